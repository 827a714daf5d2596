"""Bulk read job lifecycle, request shapes per version, and request validation."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from tests.support import Client, error_code

CRM8 = "/crm/bulk/v8"
CRM2 = "/crm/bulk/v2"


def test_create_response_shape(client):
    response = client.post(f"{CRM8}/read", {"query": {"module": {"api_name": "Leads"}}})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"data", "info"} and body["info"] == {}
    (entry,) = body["data"]
    assert entry["status"] == "success"
    assert entry["code"] == "ADDED_SUCCESSFULLY"
    assert entry["message"] == "Added successfully."
    details = entry["details"]
    assert re.fullmatch(r"\d{19}", details["id"])
    assert (details["operation"], details["state"]) == ("read", "ADDED")
    assert set(details["created_by"]) == {"id", "name"}
    created = dt.datetime.fromisoformat(details["created_time"])
    assert created.utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30", details["created_time"])


def test_states_progress_and_result_only_when_completed(make_emulator):
    emu = make_emulator(records_per_module=5, job_duration=0.3, min_polls=4)
    client = Client(emu)
    job_id = client.create(CRM8, {"module": {"api_name": "Deals"}})
    seen = []
    for _ in range(4):
        job = client.get(f"{CRM8}/read/{job_id}").json()["data"][0]
        seen.append(job["state"])
        if job["state"] != "COMPLETED":
            assert "result" not in job
        time.sleep(0.11)
    assert seen[0] == "ADDED"
    assert "IN PROGRESS" in seen or "QUEUED" in seen
    assert seen[-1] == "COMPLETED"
    assert seen.index("COMPLETED") == 3  # min_polls


def test_min_polls_hold_a_job_back(make_emulator):
    emu = make_emulator(records_per_module=5, job_duration=0, min_polls=3)
    client = Client(emu)
    job_id = client.create(CRM8, {"module": {"api_name": "Deals"}})
    states = [client.get(f"{CRM8}/read/{job_id}").json()["data"][0]["state"] for _ in range(3)]
    assert states == ["IN PROGRESS", "IN PROGRESS", "COMPLETED"]


def test_v8_job_details(client, emu):
    job_id = client.create(CRM8, {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]})
    job = client.wait(CRM8, job_id)
    total = len(emu.dataset.records("crm", "Leads"))
    assert job["id"] == job_id and job["operation"] == "read"
    assert job["result"] == {
        "page": 1,
        "per_page": 40,
        "count": 40,
        "download_url": f"/crm/bulk/v8/read/{job_id}/result",
        "more_records": total > 40,
        "next_page_token": job["result"]["next_page_token"],
    }
    module_id = emu.dataset.module_info("crm", "Leads")["id"]
    assert job["query"] == {
        "fields": ["Last_Name"],
        "module": {"id": module_id, "api_name": "Leads"},
        "page": 1,
    }
    assert job["file_type"] == "csv"
    assert set(job["created_by"]) == {"id", "name"}


def test_v2_job_details_use_string_module_and_no_token(client):
    criteria = {"api_name": "Lead_Source", "comparator": "equal", "value": "Chat"}
    query = {"module": "Leads", "criteria": criteria, "page": 1}
    job = client.wait(CRM2, client.create(CRM2, query))
    assert job["query"] == {"module": "Leads", "criteria": criteria, "page": 1}
    assert "file_type" not in job
    assert "next_page_token" not in job["result"]
    assert job["result"]["download_url"].startswith("/crm/bulk/v2/read/")


def test_v7_echo_adds_field_ids_to_criteria(client, emu):
    criteria = {"field": {"api_name": "Stage"}, "comparator": "equal", "value": "Closed Won"}
    job = client.wait(
        "/crm/bulk/v7", client.create("/crm/bulk/v7", {"module": {"api_name": "Deals"}, "criteria": criteria})
    )
    field_id = emu.dataset.field_meta("crm", "Deals", "Stage")["id"]
    assert job["query"]["criteria"]["field"] == {"api_name": "Stage", "id": field_id}


@pytest.mark.parametrize("base", ["/bigin/bulk/v1", "/bigin/bulk/v2"])
def test_bigin_flow(client, emu, base):
    job, rows = client.export_page(base, {"module": "Pipelines", "page": 1})
    assert job["query"]["module"] == "Pipelines"
    assert job["result"]["download_url"] == f"{base}/read/{job['id']}/result"
    expected = sorted(r["id"] for r in emu.dataset.records("bigin", "Pipelines"))[:40]
    assert sorted(row[0] for row in rows[1:]) == expected


def test_bigin_v2_also_accepts_module_object_but_v1_does_not(client):
    body = {"query": {"module": {"api_name": "Contacts"}}}
    assert client.post("/bigin/bulk/v2/read", body).status_code == 201
    response = client.post("/bigin/bulk/v1/read", body)
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("/crm/bulk/v8/read", "Leads"),
        ("/crm/bulk/v2.1/read", "Leads"),
        ("/crm/bulk/v2/read", {"api_name": "Leads"}),
    ],
)
def test_module_shape_is_enforced_per_version(client, path, module):
    response = client.post(path, {"query": {"module": module}})
    assert response.status_code == 400
    assert error_code(response) == "INVALID_REQUEST"
    assert response.json()["details"]["api_name"] == "module"
    assert "module" in response.json()["message"]


def test_failed_job(make_emulator):
    emu = make_emulator(records_per_module=5)
    client = Client(emu)
    emu.faults.fail_next_jobs(1)
    failed = client.wait(CRM8, client.create(CRM8, {"module": {"api_name": "Leads"}}))
    assert failed["state"] == "FAILURE"
    assert failed["result"] == {
        "error_message": {
            "status": "error",
            "code": "INTERNAL_SERVER_ERROR",
            "message": "Internal server error occurred.",
            "details": {},
        }
    }
    response = client.get(f"{CRM8}/read/{failed['id']}/result")
    assert response.status_code == 400
    ok = client.wait(CRM8, client.create(CRM8, {"module": {"api_name": "Leads"}}))
    assert ok["state"] == "COMPLETED"


def test_unknown_job_and_early_download(make_emulator):
    emu = make_emulator(records_per_module=5, job_duration=30)
    client = Client(emu)
    response = client.get(f"{CRM8}/read/5725767000000000001")
    assert response.status_code == 404 and error_code(response) == "RESOURCE_NOT_FOUND"
    assert response.json()["details"]["resource"] == "5725767000000000001"
    job_id = client.create(CRM8, {"module": {"api_name": "Leads"}})
    early = client.get(f"{CRM8}/read/{job_id}/result")
    assert early.status_code == 400 and error_code(early) == "RESOURCE_NOT_FOUND"
    # a CRM job is not visible through Bigin
    response = client.get(f"/bigin/bulk/v2/read/{job_id}")
    assert response.status_code == 404


def test_snapshot_is_fixed_at_creation(make_emulator):
    emu = make_emulator(records_per_module=10, job_duration=0.2, page_size=1000)
    client = Client(emu)
    job_id = client.create(CRM8, {"module": {"api_name": "Contacts"}})
    emu.dataset.add_records("crm", "Contacts", 3)
    job = client.wait(CRM8, job_id)
    assert job["result"]["count"] == 10
    assert len(client.download(CRM8, job_id)) == 11


def test_create_status_option(make_emulator):
    emu = make_emulator(records_per_module=2, create_status=200)
    response = Client(emu).post(f"{CRM8}/read", {"query": {"module": {"api_name": "Leads"}}})
    assert response.status_code == 200


# ------------------------------------------------------------------ errors
def test_url_and_method_errors(client):
    for path in ("/crm/bulk/v9/read", "/crm/bulk/v8/reads", "/crm/bulk/v8/read/1/result/x", "/nothing"):
        response = client.post(path, {"query": {}})
        assert response.status_code == 404, path
        assert response.json() == {
            "code": "INVALID_URL_PATTERN",
            "details": {},
            "message": "Please check if the URL trying to access is a correct one",
            "status": "error",
        }
    for method, path in (
        ("GET", "/crm/bulk/v8/read"),
        ("POST", "/crm/bulk/v8/read/123"),
        ("DELETE", "/crm/bulk/v8/read/1/result"),
    ):
        response = client.http.request(method, client.emu.url + path, headers=client.headers())
        assert response.status_code == 400, (method, path)
        assert error_code(response) == "INVALID_REQUEST_METHOD"


def test_content_type_and_body_errors(client):
    url = client.emu.url + f"{CRM8}/read"
    body = '{"query": {"module": {"api_name": "Leads"}}}'
    for content_type in (None, "text/plain", "application/x-www-form-urlencoded"):
        headers = client.headers(**({"Content-Type": content_type} if content_type else {}))
        response = client.http.post(url, data=body, headers=headers)
        assert response.status_code == 415, content_type
        assert error_code(response) == "MEDIA_TYPE_NOT_SUPPORTED"
    ok = client.http.post(
        url, data=body, headers=client.headers(**{"Content-Type": "application/json; charset=utf-8"})
    )
    assert ok.status_code == 201
    json_headers = client.headers(**{"Content-Type": "application/json"})
    for raw, code in (
        (b"{not json", "REQUEST_BODY_NOT_READABLE"),
        (b"", "REQUEST_BODY_IS_EMPTY"),
        (b"[1]", "INVALID_REQUEST"),
    ):
        response = client.http.post(url, data=raw, headers=json_headers)
        assert (response.status_code, error_code(response)) == (400, code), raw


@pytest.mark.parametrize(
    ("query", "code", "details"),
    [
        ({}, "MANDATORY_NOT_FOUND", {"api_name": "module"}),
        ({"module": {"api_name": "Nope"}}, "INVALID_MODULE", {"api_name": "Nope"}),
        ({"module": {"api_name": "leads"}}, "INVALID_MODULE", {"api_name": "leads"}),
        ({"module": {"api_name": "Visits"}}, "INVALID_MODULE", {"api_name": "Visits"}),
        ({"module": {"api_name": "Notes"}}, "MODULE_NOT_SUPPORTED", {"api_name": "Notes"}),
        ({"module": {"api_name": "Emails"}}, "MODULE_NOT_SUPPORTED", {"api_name": "Emails"}),
        (
            {"module": {"api_name": "Contacts_X_Deals"}},
            "MODULE_NOT_SUPPORTED",
            {"api_name": "Contacts_X_Deals"},
        ),
        ({"module": {"api_name": "Leads"}, "fields": ["Nope"]}, "FIELD_NOT_AVAILABLE", {"api_name": "Nope"}),
        (
            {"module": {"api_name": "Leads"}, "fields": ["Owner.nope"]},
            "FIELD_NOT_AVAILABLE",
            {"api_name": "Owner.nope"},
        ),
        (
            {"module": {"api_name": "Leads"}, "fields": ["Last_Name", "Lead_Attachment"]},
            "FIELD_NOT_SUPPORTED",
            {"api_name": "Lead_Attachment"},
        ),
        (
            {"module": {"api_name": "Deals"}, "fields": ["Deal_Contacts"]},
            "FIELD_NOT_SUPPORTED",
            {"api_name": "Deal_Contacts"},
        ),
        ({"module": {"api_name": "Leads"}, "page": 51}, "PAGE_RANGE_EXCEEDED", None),
        ({"module": {"api_name": "Leads"}, "page": 0}, "PAGE_RANGE_EXCEEDED", None),
        ({"module": {"api_name": "Leads"}, "page": "1"}, "INVALID_REQUEST", None),
        ({"module": {"api_name": "Leads"}, "fields": "Last_Name"}, "INVALID_REQUEST", None),
        ({"module": {"api_name": "Leads"}, "sort_by": "id"}, "INVALID_REQUEST", {"api_name": "sort_by"}),
        ({"module": {"api_name": "Leads"}, "cvid": "5725767000000093005"}, "CVID_NOT_SUPPORTED", None),
    ],
)
def test_crm_v6_query_validation(client, query, code, details):
    response = client.post("/crm/bulk/v6/read", {"query": query})
    assert response.status_code == 400, response.text
    assert error_code(response) == code
    if details is not None:
        assert response.json()["details"] == details
    if code == "PAGE_RANGE_EXCEEDED":
        assert response.json()["details"] == {"max_limit": 50}


def test_top_level_validation(client):
    module = {"module": {"api_name": "Leads"}}
    cases = [
        ({"query": module, "callback": {"url": "ftp://x", "method": "post"}}, "INVALID_CALLBACK_URL"),
        (
            {"query": module, "callback": {"url": "https://example.com/cb", "method": "get"}},
            "INVALID_CALLBACK_METHOD",
        ),
        ({"query": module, "file_type": "ics"}, "NOT_SUPPORTED_FEATURE"),
        ({"query": module, "file_type": "xlsx"}, "INVALID_REQUEST"),
        ({"query": module, "extra": 1}, "INVALID_REQUEST"),
        ({"callback": {"url": "https://example.com/cb"}}, "MANDATORY_NOT_FOUND"),
    ]
    for body, code in cases:
        response = client.post(f"{CRM8}/read", body)
        assert (response.status_code, error_code(response)) == (400, code), body
    ok = client.post(f"{CRM8}/read", {"query": module, "file_type": "csv"})
    assert ok.status_code == 201


def test_id_and_dotted_fields_are_allowed(client, emu):
    query = {
        "module": "Contacts",
        "fields": ["Last_Name", "id", "Owner.last_name", "Account_Name.Account_Name"],
    }
    _job, rows = client.export_page(CRM2, query)
    assert rows[0] == ["id", "Last_Name", "Owner.last_name", "Account_Name.Account_Name"]
    accounts = {r["id"]: r for r in emu.dataset.records("crm", "Accounts")}
    users = {u["id"]: u for u in emu.dataset.users("crm")}
    contacts = {r["id"]: r for r in emu.dataset.records("crm", "Contacts")}
    for row in rows[1:]:
        contact = contacts[row[0]]
        assert row[2] == users[contact["Owner"]]["last_name"]
        account = accounts.get(contact["Account_Name"])
        assert row[3] == (account["Account_Name"] if account else "")
