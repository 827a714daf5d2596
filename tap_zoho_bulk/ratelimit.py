"""A client-side rate limiter: at most N calls per period, waiting instead of being refused.

Zoho answers a call over its per-minute limits with HTTP 429 and, for CRM downloads, a lockout
of a whole minute; keeping under the limit costs less than recovering from it. Zoho counts per
user, not per process: with `SharedCalls`, every run on this machine counts the calls of one
limit in one file, so a run that starts while the previous one's minute is still running (the
second `meltano run` of the hour, a rerun after a stop, parallel processes) waits instead of
meeting the 429.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

LOGGER = logging.getLogger("tap-zoho-bulk")


class SharedCalls:
    """The calls of one per-minute limit made by every run on this machine: wall-clock times in
    a file readable by this user only, read and changed under an exclusive lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[float]]:
        """The calls recorded so far, to read and append to; written back if changed."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            times = _times_in(_read_all(fd))
            before = list(times)
            yield times
            if times != before:
                os.lseek(fd, 0, os.SEEK_SET)
                os.ftruncate(fd, 0)
                os.write(fd, json.dumps(times).encode())
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _times_in(raw: bytes) -> list[float]:
    """The times a file holds; a file another run left half-written counts as none."""
    try:
        return [float(t) for t in json.loads(raw or b"[]")]
    except (ValueError, TypeError):
        return []


class RateLimiter:
    """At most `calls` per `period` seconds, over a sliding window (the strictest reading).

    With `shared`, the window holds every run's calls on this machine (its clock must then be the
    wall clock, which every process shares).
    """

    def __init__(
        self,
        calls: int,
        period: float,
        *,
        what: str = "calls",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: SharedCalls | None = None,
    ) -> None:
        self.calls, self.period, self.what = calls, period, what
        self._clock, self._sleep = clock, sleep
        self._shared = shared
        self._times: list[float] = []  # this process's calls, when not shared
        self._announced = 0.0  # the slot `passed_over` last said a call waits for
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _window(self) -> Iterator[list[float]]:
        with self._lock:
            if self._shared is None:
                yield self._times
            else:
                with self._shared.locked() as times:
                    yield times

    def delay(self) -> float:
        """Seconds until one more call is allowed (0 when it is allowed now)."""
        with self._window() as times:
            now = self._clock()
            return max(0.0, self._next_slot(now, times) - now)

    def acquire_now(self) -> bool:
        """Count one call if it is allowed now; False (nothing counted) if it would have to wait."""
        with self._window() as times:
            now = self._clock()
            if self._next_slot(now, times) > now:
                return False
            times.append(now)
            return True

    def wait(self) -> None:
        """Block until one more call is allowed, and count it.

        The call's slot is reserved before the sleep, which holds no lock: callers that only ask
        `delay` are never kept waiting by one that sleeps.
        """
        with self._window() as times:
            now = self._clock()
            slot = self._next_slot(now, times)
            times.append(slot)
        self._announce(slot - now)
        if slot > now:
            self._sleep(slot - now)

    def passed_over(self) -> None:
        """A call waits for this limit without sleeping on it (the caller does other work
        meanwhile): said once per wait, as `wait` says it."""
        with self._window() as times:
            now = self._clock()
            slot = self._next_slot(now, times)
            if slot <= now or slot == self._announced:
                return
            self._announced = slot
        self._announce(slot - now)

    def _announce(self, delay: float) -> None:
        if delay >= 1:
            per = "a minute" if 60 <= self.period <= 61 else f"per {self.period:g} s"
            LOGGER.info("Waiting %.0f s: Zoho allows %d %s %s", delay, self.calls, self.what, per)

    def _next_slot(self, now: float, times: list[float]) -> float:
        """When one more call may go: now, or a period after the call `calls` back (slots
        reserved by callers still asleep included). Calls a period old are forgotten."""
        times[:] = sorted(t for t in times if now - t < self.period)
        if len(times) < self.calls:
            return now
        return times[-self.calls] + self.period
