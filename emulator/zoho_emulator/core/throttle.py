"""Sliding-window counters shared by the OAuth throttle and the download limits.

Zoho documents these limits as "N per window" per token; a sliding window is the
strictest reading, so a client that survives it survives Zoho's real counter. CRM's
download limit also locks the user out after a refusal (``LockoutWindow``).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds per key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        events = self._events[key]
        while events and now - events[0] >= self.window:
            events.popleft()
        return events

    def try_acquire(self, key: str) -> bool:
        """Record an event if the key is under its limit; False means "throttled"."""
        with self._lock:
            now = self._clock()
            events = self._prune(key, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def reset(self) -> None:
        """Forget all events."""
        with self._lock:
            self._events.clear()


class LockoutWindow(SlidingWindow):
    """A sliding window whose first refusal locks the key out for a whole ``window``.

    Zoho's CRM download limit works this way: past 10 downloads a minute, "All downloads will
    be unsuccessful and the download request will be processed only after one minute"
    (https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/download-result.html), so a
    client that retries as soon as its oldest download ages out keeps failing. Requests
    refused during the lockout neither count nor extend it.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(limit, window, clock)
        self._locked_until: dict[str, float] = {}

    def try_acquire(self, key: str) -> bool:
        """Record an event unless the key is locked out or at its limit (which starts a lockout)."""
        with self._lock:
            now = self._clock()
            if now < self._locked_until.get(key, float("-inf")):
                return False
            events = self._prune(key, now)
            if len(events) >= self.limit:
                self._locked_until[key] = now + self.window
                return False
            events.append(now)
            return True

    def reset(self) -> None:
        """Forget all events and lockouts."""
        with self._lock:
            self._events.clear()
            self._locked_until.clear()
