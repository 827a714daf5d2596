"""How a bulk job moves towards completion, shared by CRM/Bigin and Creator jobs.

A job completes once ``duration`` seconds have passed and it was polled ``min_polls``
times (so clients must really poll); a stalled job never completes (a Zoho job stuck in
progress), and a completed job may later be gone (results are not kept for ever). The
moments that matter for measurements (created, completed, first reported, downloaded)
are kept on the machine's wall clock for the job log.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Progress:
    """Completion state of one job; every method is thread-safe."""

    duration: float
    min_polls: int
    stalled: bool = False
    # read first, so wall times derived from it are never later than the moments they stand for
    created_wall: float = field(default_factory=time.time)
    created_at: float = field(default_factory=time.monotonic)
    polls: int = 0
    polls_met_at: float | None = None  # monotonic moment the min_polls-th poll arrived
    done_at: float | None = None  # monotonic moment the job became complete
    reported_wall: float | None = None  # time.time() of the first status answer saying complete
    downloads: list[float] = field(default_factory=list)  # time.time() of each served download
    gone: bool = False  # result dropped early (fault), as if expired
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.min_polls <= 0:
            self.polls_met_at = self.created_at

    def _settle(self, now: float) -> float | None:
        """The completion moment if reached by ``now`` (call under the lock)."""
        if self.done_at is None and not self.stalled and self.polls_met_at is not None:
            ready = self.created_at + self.duration
            if now >= ready:
                self.done_at = max(ready, self.polls_met_at)
        return self.done_at

    def advance(self, now: float, poll: bool = False) -> bool:
        """Count a status poll (when ``poll``); whether the job is complete at ``now``."""
        with self.lock:
            if poll:
                self.polls += 1
                if self.polls_met_at is None and self.polls >= self.min_polls:
                    self.polls_met_at = now
            return self._settle(now) is not None

    def fraction(self, now: float) -> float:
        """Share of ``duration`` elapsed (1.0 for zero-length jobs)."""
        return (now - self.created_at) / self.duration if self.duration > 0 else 1.0

    def force_done(self, now: float) -> None:
        """Complete now whatever the polls (the completion callback fired)."""
        with self.lock:
            if self.done_at is None and not self.stalled:
                self.done_at = now

    def first_report(self) -> bool:
        """True exactly once: for the first status answer that reports the job complete."""
        with self.lock:
            if self.reported_wall is not None:
                return False
            self.reported_wall = time.time()
            return True

    def downloaded(self) -> None:
        """Remember a served download."""
        with self.lock:
            self.downloads.append(time.time())

    def expired(self, now: float, ttl: float | None) -> bool:
        """Whether the result is gone: dropped, or kept ``ttl`` seconds after completion."""
        with self.lock:
            if self.gone:
                return True
            done_at = self._settle(now)
            return ttl is not None and done_at is not None and now >= done_at + ttl

    def drop(self) -> None:
        """Forget the result now (the job answers as expired from here on)."""
        with self.lock:
            self.gone = True

    def completed_wall(self, now: float) -> float | None:
        """``time.time()`` of completion, or None while not complete."""
        with self.lock:
            done_at = self._settle(now)
            return None if done_at is None else self.created_wall + (done_at - self.created_at)
