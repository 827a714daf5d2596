"""Zoho's own clock, read from the `Date` header of its answers (RFC 9110: every response has one).

An incremental window must end at a moment Zoho has already passed: a window that ends ahead of
Zoho's clock (this machine's clock running fast) would be bookmarked before Zoho has stamped the
records that fall into its last seconds, and those records would be skipped for good.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

import requests


class ServerClock:
    """This machine's estimate of Zoho's time: the last `Date` seen, advanced by local time since.

    `Date` has whole seconds and is truncated, so the estimate is at most one second behind
    Zoho's clock, never ahead of it.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._offset: float | None = None
        self._lock = threading.Lock()

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from one response's headers (a missing or unreadable `Date` is ignored)."""
        value = next((v for k, v in headers.items() if k.lower() == "date"), None)
        if not value:
            return
        try:
            stamp = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        with self._lock:
            self._offset = stamp.timestamp() - self._clock()

    def probe(self, session: requests.Session, url: str) -> None:
        """Read the time of an unauthenticated request (no token, no API credit); a failure here
        only means the machine's clock is used."""
        try:
            with session.head(url, timeout=(10.0, 10.0), allow_redirects=False) as response:
                self.observe(response.headers)
        except requests.RequestException:
            return

    def now(self) -> dt.datetime | None:
        """Zoho's time now, or None before any `Date` was seen."""
        with self._lock:
            offset = self._offset
        if offset is None:
            return None
        return dt.datetime.fromtimestamp(self._clock() + offset, dt.UTC)
