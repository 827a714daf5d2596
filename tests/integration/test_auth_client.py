"""Auth and client against the emulator over real HTTP: token reuse, refresh, errors, retries."""

from __future__ import annotations

import pytest
import requests

from tap_zoho_bulk.auth import ZohoAuth
from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.errors import ApiError, AuthError, Kind


def make_client(emulator, **auth_overrides):
    config = emulator.tap_config()
    session = requests.Session()
    auth = ZohoAuth(accounts_url=emulator.url, client_id=config["client_id"],
                    client_secret=config["client_secret"],
                    refresh_token=auth_overrides.pop("refresh_token", config["refresh_token"]),
                    session=session, **auth_overrides)
    client = ZohoClient(auth, session, max_tries=4, max_wait=0.2)
    client.trust(emulator.url)
    return client


def modules_url(emulator):
    return f"{emulator.url}/crm/v8/settings/modules"


def test_one_token_serves_many_calls(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator)
    for _ in range(5):
        status, body = client.request_json("GET", modules_url(emulator))
        assert status == 200 and body["modules"]
    assert emulator.token_refreshes == 1
    assert client.auth.api_domain == emulator.url
    sent = [r for r in emulator.requests if "/settings/" in r.path]
    assert all(r.headers["Authorization"].startswith("Zoho-oauthtoken ") for r in sent)


def test_revoked_token_is_refreshed_once_and_the_call_retried(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator)
    client.request_json("GET", modules_url(emulator))
    emulator.faults.expire_access_tokens()
    status, _ = client.request_json("GET", modules_url(emulator))
    assert status == 200
    assert emulator.token_refreshes == 2


def test_expired_token_is_replaced_before_zoho_rejects_it(make_emulator):
    import time

    emulator = make_emulator(records_per_module=1, token_ttl=1.0)
    client = make_client(emulator)
    client.request_json("GET", modules_url(emulator))
    time.sleep(1.0)
    client.request_json("GET", modules_url(emulator))
    assert emulator.token_refreshes == 2
    assert not [r for r in emulator.requests if r.status == 401]


def test_bad_refresh_token_names_the_problem(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator, refresh_token="1000.nope.nope")
    with pytest.raises(AuthError, match=r"invalid_code.*refresh_token is invalid"):
        client.request_json("GET", modules_url(emulator))


def test_refresh_throttling_is_waited_out_then_reported(make_emulator):
    emulator = make_emulator(records_per_module=1, refresh_limit=1, refresh_window=600)
    client = make_client(emulator, max_wait=0.5)
    client.request_json("GET", modules_url(emulator))
    emulator.faults.expire_access_tokens()
    with pytest.raises(AuthError, match="throttling token refreshes"):
        client.request_json("GET", modules_url(emulator))


def test_server_errors_are_retried(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator)
    emulator.faults.inject(r"/settings/modules", 503, times=2)
    status, _ = client.request_json("GET", modules_url(emulator))
    assert status == 200


def test_permanent_errors_are_not_retried(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator)
    with pytest.raises(ApiError) as info:
        client.request_json("GET", f"{emulator.url}/crm/v8/settings/fields", params={"module": "Nope"})
    assert info.value.kind is not Kind.RETRY
    assert len([r for r in emulator.requests if "/settings/fields" in r.path]) == 1


def test_token_is_never_sent_to_another_host(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator)
    with pytest.raises(ApiError, match="refusing to send the access token"):
        client.absolute(emulator.url, "https://evil.example.com/result.zip")
    with pytest.raises(ApiError, match="refusing to send the access token"):
        client.request_json("GET", "http://127.0.0.2:9/crm/v8/settings/modules")


def test_secrets_are_not_in_the_auth_repr(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator)
    assert emulator.tap_config()["client_secret"] not in repr(client.auth)
