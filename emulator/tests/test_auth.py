"""API authentication: header form, dead tokens, scopes, response headers."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import Client, error_code

LEADS_V8 = {"query": {"module": {"api_name": "Leads"}}}


def test_missing_or_foreign_auth_header_is_authentication_failure(client):
    url = client.emu.url + "/crm/bulk/v8/read"
    token = client.token
    for headers in (
        {},
        {"Authorization": f"Bearer {token}"},
        {"Authorization": f"zoho-oauthtoken {token}"},
        {"Authorization": token},
        {"Authorization": "Zoho-oauthtoken "},
    ):
        response = client.http.post(url, json=LEADS_V8, headers=headers)
        assert response.status_code == 401, headers
        assert error_code(response) == "AUTHENTICATION_FAILURE"
        assert response.json()["message"] == "Authentication failed"
        assert response.headers["Content-Type"] == "application/json;charset=utf-8"


def test_unknown_token_is_invalid_token(client):
    headers = {"Authorization": "Zoho-oauthtoken 1000.deadbeef.deadbeef"}
    response = client.http.get(client.emu.url + "/bigin/v2/settings/modules", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }


def test_common_response_headers(client):
    response = client.get("/crm/v8/settings/modules")
    assert response.headers["Server"] == "ZGS"
    reset = dt.datetime.fromisoformat(response.headers["X-ACCESSTOKEN-RESET"])
    assert reset.utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert reset > dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("scopes", "path", "body"),
    [
        (["ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL"], "/crm/bulk/v8/read", LEADS_V8),
        (["ZohoCRM.bulk.READ", "ZohoCRM.modules.deals.READ"], "/crm/bulk/v8/read", LEADS_V8),
        (["ZohoCRM.bulk.ALL", "ZohoCRM.modules.ALL"], "/crm/v8/settings/fields?module=Leads", None),
        (["ZohoCRM.settings.fields.READ"], "/crm/v8/settings/modules", None),
        (
            ["ZohoCRM.bulk.ALL", "ZohoCRM.modules.ALL"],
            "/bigin/bulk/v2/read",
            {"query": {"module": "Contacts"}},
        ),
    ],
)
def test_scope_mismatch(make_emulator, scopes, path, body):
    emu = make_emulator(records_per_module=3)
    emu.add_refresh_token("1000.narrow.scopes", scopes)
    client = Client(emu, "1000.narrow.scopes")
    response = client.post(path, body) if body is not None else client.get(path)
    assert response.status_code == 401
    assert error_code(response) == "OAUTH_SCOPE_MISMATCH"
    assert response.json()["message"] == "invalid oauth scope to access this URL"


def test_module_specific_and_lowercase_scopes_are_enough(make_emulator):
    emu = make_emulator(records_per_module=3)
    scopes = [
        "zohocrm.bulk.read",
        "ZohoCRM.modules.leads.READ",
        "ZohoCRM.modules.custom.READ",
        "ZohoBigin.bulk.READ",
        "ZohoBigin.modules.deals.READ",
        "ZohoCRM.settings.modules.READ",
        "ZohoCRM.settings.fields.READ",
    ]
    emu.add_refresh_token("1000.module.scopes", scopes)
    client = Client(emu, "1000.module.scopes")
    assert client.post("/crm/bulk/v8/read", LEADS_V8).status_code == 201
    shipments = {"query": {"module": {"api_name": "Shipments"}}}
    assert client.post("/crm/bulk/v8/read", shipments).status_code == 201
    assert client.post("/bigin/bulk/v1/read", {"query": {"module": "Pipelines"}}).status_code == 201
    assert client.get("/crm/v2/settings/modules").status_code == 200
    assert client.get("/crm/v2/settings/fields?module=Deals").status_code == 200


def test_status_and_download_need_the_module_scope_too(make_emulator):
    emu = make_emulator(records_per_module=3)
    owner = Client(emu)
    job_id = owner.create("/crm/bulk/v8", {"module": {"api_name": "Deals"}})
    owner.wait("/crm/bulk/v8", job_id)
    emu.add_refresh_token("1000.leads.only", ["ZohoCRM.bulk.READ", "ZohoCRM.modules.leads.READ"])
    other = Client(emu, "1000.leads.only")
    for path in (f"/crm/bulk/v8/read/{job_id}", f"/crm/bulk/v8/read/{job_id}/result"):
        response = other.get(path)
        assert (response.status_code, error_code(response)) == (401, "OAUTH_SCOPE_MISMATCH")
