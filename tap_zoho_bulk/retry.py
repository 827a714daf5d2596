"""One retry policy for every call the tap makes: API calls, downloads and token refreshes.

A call is retried when its failure may pass (Zoho's 429 and 5xx, a connection reset, a download
cut short, a 2xx answer that is not what the endpoint returns, such as a proxy's maintenance
page), with capped, jittered exponential backoff (or Zoho's `Retry-After`), within `max_tries`
attempts and an overall deadline. An access token Zoho rejects is refreshed once, and the call
that follows goes through the same policy. A host that cannot be reached at all (refused, no such
name, no answer) fails within seconds: waiting minutes would not make it appear.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import backoff
import requests

from tap_zoho_bulk.errors import ApiError, Kind, TransportError

LOGGER = logging.getLogger("tap-zoho-bulk")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how long, a transient failure is retried."""

    max_tries: int = 8
    max_wait: float = 60.0  # the longest single wait
    deadline: float = 600.0  # the longest a call may spend retrying, in all
    unreachable_tries: int = 3  # a host that cannot be reached: a few quick attempts
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def call(self, attempt: Callable[[], T], where: str, *,
             reauthenticate: Callable[[], None] | None = None) -> T:
        """Run `attempt` until it succeeds or its failure is permanent, or retries run out."""
        started = self.clock()
        waits = backoff.expo(factor=1, max_value=self.max_wait)
        next(waits)  # the generator's first value is None
        tries = 0
        reauthenticated = False
        while True:
            tries += 1
            try:
                return attempt()
            except ApiError as error:
                if error.kind is Kind.REAUTH and reauthenticate is not None and not reauthenticated:
                    reauthenticated = True
                    LOGGER.info("Zoho rejected the access token (%s); refreshing it", error.code)
                    reauthenticate()
                    tries -= 1  # the refresh is not a failed attempt of this call
                    continue
                if error.kind is not Kind.RETRY:
                    raise
                failure: ZohoErrorLike = error
                wait = error.retry_after if error.retry_after is not None else _jitter(next(waits))
            except TransportError as error:
                failure = error
                if error.unreachable and tries >= self.unreachable_tries:
                    raise
                wait = _jitter(next(waits))
            elapsed = self.clock() - started
            if tries >= self.max_tries or elapsed + wait > self.deadline:
                raise failure
            unreachable = isinstance(failure, TransportError) and failure.unreachable
            LOGGER.warning("%s failed (%s); retry %d/%d in %.1f s", where, failure, tries,
                           (self.unreachable_tries if unreachable else self.max_tries) - 1, wait)
            self.sleep(wait)


ZohoErrorLike = ApiError | TransportError


def _jitter(value: float | None) -> float:
    """A wait in the upper quarter below `value`, so that parallel runs do not retry in step."""
    return float(value or 1.0) * random.uniform(0.75, 1.0)


def transport_error(exc: requests.RequestException, host: str, where: str) -> TransportError:
    """A connection failure, saying whether the host could be reached at all."""
    if isinstance(exc, requests.ConnectTimeout | requests.ReadTimeout):
        return TransportError(f"{host} did not answer in time ({type(exc).__name__}) [{where}]",
                              unreachable=True)
    if isinstance(exc, requests.ConnectionError) and _never_connected(exc):
        return TransportError(f"cannot reach {host} ({_reason(exc)}) [{where}]", unreachable=True)
    return TransportError(f"{type(exc).__name__} talking to {host} [{where}]")


# How urllib3 and the OS word a connection that never opened (unlike a reset mid-answer).
_UNREACHABLE = {
    "Connection refused": "connection refused",
    "Name or service not known": "no such host name",
    "NameResolutionError": "no such host name",
    "No route to host": "no route to host",
    "NewConnectionError": "no connection",
}


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Refused, unknown name, no route: no byte was exchanged."""
    return any(mark in repr(exc) for mark in _UNREACHABLE)


def _reason(exc: BaseException) -> str:
    text = repr(exc)
    return next((reason for mark, reason in _UNREACHABLE.items() if mark in text), type(exc).__name__)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), if any."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
