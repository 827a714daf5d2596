"""The one retry policy: what is retried, how long it waits, and what ends at once."""

from __future__ import annotations

import pytest
import requests

from tap_zoho_bulk.errors import ApiError, AuthError, Kind, TransportError
from tap_zoho_bulk.retry import RetryPolicy, retry_after, transport_error


class Script:
    """An attempt that fails with the given errors, then answers `ok`."""

    def __init__(self, *failures):
        self.failures = list(failures)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def transient(code="INTERNAL_ERROR", retry_after=None):
    return ApiError(Kind.RETRY, 500, code, "boom", retry_after=retry_after)


def test_transient_failures_are_retried_with_growing_capped_waits():
    waits = []
    attempt = Script(*[transient() for _ in range(5)])
    assert RetryPolicy(max_tries=8, max_wait=4.0, sleep=waits.append).call(attempt, "GET /x") == "ok"
    assert attempt.calls == 6 and len(waits) == 5
    assert all(0 < wait <= 4.0 for wait in waits) and waits[-1] > waits[0]


def test_retries_end_after_max_tries_with_the_last_failure():
    attempt = Script(*[transient() for _ in range(10)])
    with pytest.raises(ApiError, match="INTERNAL_ERROR"):
        RetryPolicy(max_tries=3, sleep=lambda _: None).call(attempt, "GET /x")
    assert attempt.calls == 3


def test_retry_after_is_waited_for_as_zoho_asks():
    waits = []
    RetryPolicy(sleep=waits.append).call(Script(transient("TOO_MANY_REQUESTS", retry_after=61.0)), "GET /x")
    assert waits == [61.0]


def test_the_overall_deadline_stops_retrying():
    now = [0.0]
    policy = RetryPolicy(max_tries=100, max_wait=60.0, deadline=100.0, clock=lambda: now[0],
                         sleep=lambda wait: now.__setitem__(0, now[0] + wait))
    with pytest.raises(ApiError):
        policy.call(Script(*[transient() for _ in range(100)]), "GET /x")
    assert now[0] <= 100.0


def test_permanent_errors_are_not_retried():
    attempt = Script(ApiError(Kind.FATAL, 400, "INVALID_REQUEST", "no"), transient())
    with pytest.raises(ApiError, match="INVALID_REQUEST"):
        RetryPolicy(sleep=lambda _: None).call(attempt, "GET /x")
    assert attempt.calls == 1


def test_a_rejected_token_is_refreshed_once_and_the_next_failure_is_retried_too():
    refreshed = []
    attempt = Script(ApiError(Kind.REAUTH, 401, "INVALID_TOKEN", "invalid oauth token"),
                     ApiError(Kind.RETRY, 503, "HTTP_503", "down"), transient())
    policy = RetryPolicy(max_tries=3, sleep=lambda _: None)
    assert policy.call(attempt, "GET /x", reauthenticate=lambda: refreshed.append(1)) == "ok"
    assert refreshed == [1] and attempt.calls == 4


def test_a_token_rejected_twice_is_not_refreshed_again():
    attempt = Script(*[ApiError(Kind.REAUTH, 401, "INVALID_TOKEN", "invalid") for _ in range(3)])
    with pytest.raises(ApiError, match="INVALID_TOKEN"):
        RetryPolicy(sleep=lambda _: None).call(attempt, "GET /x", reauthenticate=lambda: None)
    assert attempt.calls == 2


def test_an_unreachable_host_fails_after_a_few_quick_attempts_and_counts_its_retries_so(caplog):
    waits = []
    attempt = Script(*[TransportError("cannot reach accounts.zoho.eu", unreachable=True) for _ in range(9)])
    with pytest.raises(TransportError, match=r"cannot reach accounts\.zoho\.eu"):
        RetryPolicy(max_tries=8, sleep=waits.append).call(attempt, "POST token")
    assert attempt.calls == 3 and sum(waits) < 5
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert [line.split("; ")[1].split(" in ")[0] for line in retries] == ["retry 1/2", "retry 2/2"]


def test_auth_errors_are_final():
    attempt = Script(AuthError("invalid_code"))
    with pytest.raises(AuthError):
        RetryPolicy(sleep=lambda _: None).call(attempt, "POST token")
    assert attempt.calls == 1


def test_connection_failures_are_told_apart_and_name_the_host():
    refused = requests.ConnectionError("HTTPConnectionPool: Max retries exceeded (Caused by "
                                       "NewConnectionError('Failed to establish a new connection: "
                                       "[Errno 111] Connection refused'))")
    error = transport_error(refused, "accounts.zoho.eu", "token refresh")
    assert error.unreachable and "cannot reach accounts.zoho.eu (connection refused)" in str(error)
    reset = requests.ConnectionError("('Connection aborted.', ConnectionResetError(104, 'reset'))")
    assert not transport_error(reset, "www.zohoapis.eu", "GET /x").unreachable
    assert transport_error(requests.ReadTimeout(), "accounts.zoho.eu", "token refresh").unreachable


def test_retry_after_reads_seconds_and_dates():
    assert retry_after({"Retry-After": "30"}) == 30.0
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after({}) is None and retry_after({"Retry-After": "soon"}) is None
