"""A client-side rate limiter: at most N calls per period, waiting instead of being refused.

Zoho answers a call over its per-minute limits with HTTP 429 and, for CRM downloads, a lockout
of a whole minute; keeping under the limit costs less than recovering from it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

LOGGER = logging.getLogger("tap-zoho-bulk")


class RateLimiter:
    """At most `calls` per `period` seconds, over a sliding window (the strictest reading)."""

    def __init__(
        self,
        calls: int,
        period: float,
        *,
        what: str = "calls",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.calls, self.period, self.what = calls, period, what
        self._clock, self._sleep = clock, sleep
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Seconds until one more call is allowed (0 when it is allowed now)."""
        with self._lock:
            self._forget(self._clock())
            if len(self._times) < self.calls:
                return 0.0
            return max(0.0, self.period - (self._clock() - self._times[0]))

    def wait(self) -> None:
        """Block until one more call is allowed, and count it."""
        with self._lock:
            now = self._clock()
            self._forget(now)
            if len(self._times) >= self.calls:
                delay = self.period - (now - self._times[0])
                if delay >= 1:
                    per = "a minute" if 60 <= self.period <= 61 else f"per {self.period:g} s"
                    LOGGER.info("Waiting %.0f s: Zoho allows %d %s %s", delay, self.calls, self.what, per)
                self._sleep(delay)
                self._times.popleft()
            self._times.append(self._clock())

    def _forget(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
