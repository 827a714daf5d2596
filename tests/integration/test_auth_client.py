"""Auth and client against the emulator over real HTTP: token reuse, refresh, errors, retries."""

from __future__ import annotations

import pytest
import requests

from tap_zoho_bulk.auth import ZohoAuth
from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.errors import ApiError, AuthError, Kind
from tap_zoho_bulk.retry import RetryPolicy
from tap_zoho_bulk.tokencache import TokenCache


def make_client(emulator, *, accounts_url=None, cache=None, sleep=None, **auth_overrides):
    config = emulator.tap_config()
    session = requests.Session()
    policy = RetryPolicy(max_tries=4, max_wait=0.2, **({"sleep": sleep} if sleep else {}))
    auth = ZohoAuth(accounts_url=accounts_url or emulator.url, client_id=config["client_id"],
                    client_secret=config["client_secret"],
                    refresh_token=auth_overrides.pop("refresh_token", config["refresh_token"]),
                    session=session, policy=policy, cache=cache, **auth_overrides)
    client = ZohoClient(auth, session, policy=policy)
    client.trust(emulator.url)
    return client


def token_cache(tmp_path, emulator, refresh_token=None):
    config = emulator.tap_config()
    return TokenCache(tmp_path / "tokens", client_id=config["client_id"], client_secret=config["client_secret"],
                      refresh_token=refresh_token or config["refresh_token"], accounts_url=emulator.url)


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
    client = make_client(emulator)
    client.request_json("GET", modules_url(emulator))
    emulator.faults.expire_access_tokens()
    with pytest.raises(AuthError, match="throttling token refreshes"):
        client.request_json("GET", modules_url(emulator))
    refreshes = [r for r in emulator.requests if r.path == "/oauth/v2/token"]
    assert len(refreshes) == 1 + 4  # the first token, then max_tries attempts


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


def test_a_maintenance_page_with_http_200_is_retried_not_read(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator)
    emulator.faults.inject(r"/settings/modules", 200, "<html>Down for maintenance</html>", times=2)
    status, body = client.request_json("GET", modules_url(emulator))
    assert status == 200 and body["modules"]
    assert len([r for r in emulator.requests if r.path.endswith("/settings/modules")]) == 3


def test_a_body_of_the_wrong_shape_is_retried_when_the_caller_says_what_it_expects(make_emulator):
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator)
    emulator.faults.inject(r"/settings/modules", 200, {"data": []}, times=1)
    _, body = client.request_json("GET", modules_url(emulator),
                                  expect=lambda b: isinstance(b, dict) and "modules" in b)
    assert body["modules"]


def test_retry_after_is_honoured(make_emulator):
    emulator = make_emulator(records_per_module=1)
    waits = []
    client = make_client(emulator, sleep=waits.append)
    emulator.faults.inject(r"/settings/modules", 429, times=1, headers={"Retry-After": "7"})
    client.request_json("GET", modules_url(emulator))
    assert waits == [7.0]


def test_an_unreachable_accounts_server_fails_in_a_few_attempts_naming_the_host(make_emulator):
    import socket

    emulator = make_emulator(records_per_module=1)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    waits = []
    client = make_client(emulator, accounts_url=closed, sleep=waits.append)
    with pytest.raises(AuthError, match=r"cannot reach 127\.0\.0\.1:\d+ \(connection refused\)"):
        client.request_json("GET", modules_url(emulator))
    assert len(waits) == RetryPolicy().unreachable_tries - 1


def test_runs_sharing_the_cache_refresh_the_token_once(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=1)
    for _ in range(3):  # three runs, one after another
        client = make_client(emulator, cache=token_cache(tmp_path, emulator))
        client.request_json("GET", modules_url(emulator))
    assert emulator.token_refreshes == 1


def test_a_token_zoho_rejects_is_dropped_from_the_cache(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=1)
    cache = token_cache(tmp_path, emulator)
    make_client(emulator, cache=cache).request_json("GET", modules_url(emulator))
    first = cache.load()
    emulator.faults.expire_access_tokens()
    make_client(emulator, cache=token_cache(tmp_path, emulator)).request_json("GET", modules_url(emulator))
    assert cache.load() is not None and cache.load().access_token != first.access_token
    assert emulator.token_refreshes == 2


def test_the_cache_file_is_private_and_holds_no_secret(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=1)
    cache = token_cache(tmp_path, emulator)
    make_client(emulator, cache=cache).request_json("GET", modules_url(emulator))
    config = emulator.tap_config()
    assert cache.path.stat().st_mode & 0o777 == 0o600
    assert cache.directory.stat().st_mode & 0o777 == 0o700
    text = cache.path.read_text()
    assert config["client_secret"] not in text and config["refresh_token"] not in text
    assert config["refresh_token"] not in cache.path.name
    other = token_cache(tmp_path, emulator, refresh_token="1000.another.user")
    assert other.path != cache.path


def test_a_download_refused_for_the_minute_waits_the_minute_out(make_emulator, tmp_path):
    emulator = make_emulator(records_per_module=1)
    waits = []
    client = make_client(emulator, sleep=waits.append)
    emulator.faults.inject(r"/result$", 429, times=1)  # Zoho's own answer carries no Retry-After
    with pytest.raises(ApiError):  # the download itself is not there: what matters is the wait
        client.download(f"{emulator.url}/crm/bulk/v8/read/1/result", tmp_path / "r.zip")
    assert waits[0] == 61.0


def test_each_retry_of_a_download_is_counted_before_it_is_sent(make_emulator, tmp_path):
    """Zoho counts every download request, the retried ones too (after a 429, the 11th of the
    minute would be refused again): the caller's limiter is asked before each retry."""
    emulator = make_emulator(records_per_module=1)
    client = make_client(emulator, sleep=lambda _: None)
    emulator.faults.inject(r"/result$", 429, times=2)
    asked = []
    with pytest.raises(ApiError):  # no such job: the answer after the two refusals is a 404
        client.download(f"{emulator.url}/crm/bulk/v8/read/1/result", tmp_path / "r.zip",
                        before_retry=lambda: asked.append(len(emulator.requests)))
    sent = [r for r in emulator.requests if r.path.endswith("/result")]
    assert [r.status for r in sent][:2] == [429, 429] and len(sent) == 3
    assert len(asked) == 2  # before the second and the third request, none before the first
