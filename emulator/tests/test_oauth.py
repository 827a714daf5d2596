"""Accounts server: refresh grant, its errors, throttling, expiry and eviction."""

from __future__ import annotations

import re
import time

from tests.support import Client, error_code


def test_grant_via_query_string(make_emulator):
    emu = make_emulator()
    response = Client(emu).grant(via="query")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert re.fullmatch(r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}", body["access_token"])
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["api_domain"] == emu.url
    assert "ZohoCRM.bulk.ALL" in body["scope"].split()
    assert "refresh_token" not in body
    assert emu.token_refreshes == 1


def test_grant_via_form_body_and_log_keeps_form(make_emulator):
    emu = make_emulator()
    response = Client(emu).grant(via="form")
    assert "access_token" in response.json()
    entry = emu.requests[-1]
    assert entry.path == "/oauth/v2/token" and entry.form is not None
    assert entry.form["grant_type"] == "refresh_token"


def test_bad_refresh_token_is_invalid_code_with_http_200(make_emulator):
    response = Client(make_emulator()).grant(refresh_token="1000.nope.nope")
    assert (response.status_code, response.json()) == (200, {"error": "invalid_code"})


def test_bad_client_id_or_secret_is_invalid_client(make_emulator):
    client = Client(make_emulator())
    for bad in ({"client_id": "1000.OTHER"}, {"client_secret": "wrong"}):
        response = client.grant(**bad)
        assert (response.status_code, response.json()) == (200, {"error": "invalid_client"})
    assert client.grant(grant_type="password").json() == {"error": "unsupported_grant_type"}


def test_throttle_after_refresh_limit(make_emulator):
    emu = make_emulator(refresh_limit=3, refresh_window=600)
    client = Client(emu)
    for _ in range(3):
        assert "access_token" in client.grant().json()
    response = client.grant()
    assert response.status_code == 400
    assert response.json() == {
        "error_description": "You have made too many requests continuously."
        " Please try again after some time.",
        "error": "Access Denied",
        "status": "failure",
    }
    assert emu.token_refreshes == 3
    # the limit is per refresh token
    emu.add_refresh_token("1000.second.user")
    assert "access_token" in Client(emu, "1000.second.user").grant().json()


def test_throttle_status_is_configurable_and_window_slides(make_emulator):
    emu = make_emulator(refresh_limit=1, refresh_window=0.5, throttle_status=200)
    client = Client(emu)
    assert "access_token" in client.grant().json()
    throttled = client.grant()
    assert throttled.status_code == 200 and throttled.json()["error"] == "Access Denied"
    time.sleep(0.55)
    assert "access_token" in client.grant().json()


def test_access_token_expires(make_emulator):
    emu = make_emulator(token_ttl=1)
    client = Client(emu)
    assert client.grant().json()["expires_in"] == 1
    assert client.get("/crm/v8/settings/modules").status_code == 200
    time.sleep(1.1)
    response = client.get("/crm/v8/settings/modules")
    assert response.status_code == 401 and error_code(response) == "INVALID_TOKEN"
    assert response.json()["message"] == "invalid oauth token"


def test_sixteenth_token_evicts_the_oldest(make_emulator):
    emu = make_emulator(refresh_limit=100)
    client = Client(emu)
    tokens = [client.grant().json()["access_token"] for _ in range(16)]

    def status(token: str) -> int:
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        return client.http.get(emu.url + "/crm/v8/settings/modules", headers=headers).status_code

    assert status(tokens[0]) == 401
    assert all(status(token) == 200 for token in tokens[1:])


def test_api_domain_option_for_multi_dc(make_emulator):
    emu = make_emulator(api_domain="https://www.zohoapis.eu")
    assert Client(emu).grant().json()["api_domain"] == "https://www.zohoapis.eu"


def test_wrong_method_on_token_endpoint(make_emulator):
    emu = make_emulator()
    response = Client(emu).http.get(emu.url + "/oauth/v2/token")
    assert response.status_code == 400
