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
        self._announced = 0.0  # the slot `passed_over` last said a call waits for
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Seconds until one more call is allowed (0 when it is allowed now)."""
        with self._lock:
            now = self._clock()
            return max(0.0, self._next_slot(now) - now)

    def acquire_now(self) -> bool:
        """Count one call if it is allowed now; False (nothing counted) if it would have to wait."""
        with self._lock:
            now = self._clock()
            if self._next_slot(now) > now:
                return False
            self._times.append(now)
            return True

    def wait(self) -> None:
        """Block until one more call is allowed, and count it.

        The call's slot is reserved before the sleep, which holds no lock: callers that only ask
        `delay` are never kept waiting by one that sleeps.
        """
        with self._lock:
            now = self._clock()
            slot = self._next_slot(now)
            self._times.append(slot)
        self._announce(slot - now)
        if slot > now:
            self._sleep(slot - now)

    def passed_over(self) -> None:
        """A call waits for this limit without sleeping on it (the caller does other work
        meanwhile): said once per wait, as `wait` says it."""
        with self._lock:
            now = self._clock()
            slot = self._next_slot(now)
            if slot <= now or slot == self._announced:
                return
            self._announced = slot
        self._announce(slot - now)

    def _announce(self, delay: float) -> None:
        if delay >= 1:
            per = "a minute" if 60 <= self.period <= 61 else f"per {self.period:g} s"
            LOGGER.info("Waiting %.0f s: Zoho allows %d %s %s", delay, self.calls, self.what, per)

    def _next_slot(self, now: float) -> float:
        """When one more call may go (lock held): now, or a period after the call `calls` back
        (slots reserved by callers still asleep included)."""
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
        if len(self._times) < self.calls:
            return now
        return self._times[-self.calls] + self.period
