"""Bulk read job lifecycle, and what a v7+ page token stands for.

A job snapshots its rows when it is created (later record changes do not leak in)
and then advances ADDED -> QUEUED -> IN PROGRESS -> COMPLETED/FAILURE on a clock and
a poll count, so clients must really poll; page tokens remember where an export
stopped, expire, and belong to the refresh token that created them. Results may expire
(``result_ttl``): Zoho does not document how long CRM keeps them.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoho_emulator.core.progress import Progress

ADDED, QUEUED, IN_PROGRESS = "ADDED", "QUEUED", "IN PROGRESS"
COMPLETED, FAILURE = "COMPLETED", "FAILURE"


@dataclass
class Job:
    """One bulk read job and its frozen result page."""

    id: str
    product: str
    version: str
    module: str
    echo_query: dict[str, Any]  # the `query` object shown by job details
    progress: Progress
    created_time: str  # ISO with org offset
    created_by: dict[str, str]
    fail: bool
    page: int
    per_page: int
    count: int
    more_records: bool
    header: list[str]
    rows: list[list[Any]]
    refresh_token: str
    next_page_token: str | None = None
    callback: dict[str, Any] | None = None
    zip_cache: bytes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def state(self, now: float, poll: bool = False) -> str:
        """Current state; a status poll counts towards ``min_polls``."""
        if self.progress.advance(now, poll):
            return FAILURE if self.fail else COMPLETED
        fraction = self.progress.fraction(now)
        if fraction < 1 / 3:
            return ADDED
        if fraction < 2 / 3:
            return QUEUED
        return IN_PROGRESS

    def finish(self) -> None:
        """Force completion (the callback fired, so the job is done)."""
        self.progress.force_done(time.monotonic())


class JobStore:
    """All jobs, by id; mints ids in the product's org id space; hides expired results."""

    def __init__(
        self,
        prefix: Callable[[str], str],
        result_ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._prefix = prefix
        self._ttl = result_ttl
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._counter = 9_000_000
        self._lock = threading.Lock()

    def new_id(self, product: str) -> str:
        """A fresh ~19-digit numeric job id."""
        with self._lock:
            self._counter += 1 + secrets.randbelow(3)
            return f"{self._prefix(product)}{self._counter:012d}"

    def add(self, job: Job) -> None:
        """Register a job."""
        with self._lock:
            self._jobs[job.id] = job

    def get(self, product: str, job_id: str) -> Job | None:
        """A job of this product whose result is still kept, or None."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.product != product or job.progress.expired(self._clock(), self._ttl):
            return None
        return job


@dataclass(frozen=True)
class PageCursor:
    """Where a v7+ export continues: the same query, re-evaluated when the next job is created,
    from the offset of ``page`` (``after_id`` None) or after the record ``after_id``."""

    product: str
    module: str
    fields: tuple[str, ...] | None
    criteria: Any
    echo_query: dict[str, Any]
    page: int  # page number of the next job
    after_id: int | None  # page_token_offsets=False: continue after this id
    refresh_token: str  # a token belongs to the user who was given it
