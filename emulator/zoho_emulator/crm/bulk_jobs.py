"""Bulk read job lifecycle, and what a v7+ page token stands for.

A job snapshots its rows when it is created (later record changes do not leak in)
and then advances ADDED -> QUEUED -> IN PROGRESS -> COMPLETED/FAILURE on a clock and
a poll count, so clients must really poll; page tokens remember where an export
stopped, expire, and belong to the refresh token that created them.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    created_at: float  # time.monotonic()
    created_time: str  # ISO with org offset
    created_by: dict[str, str]
    duration: float
    min_polls: int
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
    polls: int = 0
    finished: bool = False
    zip_cache: bytes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def state(self, now: float, poll: bool = False) -> str:
        """Current state; a status poll counts towards ``min_polls``."""
        with self.lock:
            if poll:
                self.polls += 1
            elapsed = now - self.created_at
            if not self.finished and elapsed >= self.duration and self.polls >= self.min_polls:
                self.finished = True
            if self.finished:
                return FAILURE if self.fail else COMPLETED
            fraction = elapsed / self.duration if self.duration > 0 else 1.0
            if fraction < 1 / 3:
                return ADDED
            if fraction < 2 / 3:
                return QUEUED
            return IN_PROGRESS

    def finish(self) -> None:
        """Force completion (the callback fired, so the job is done)."""
        with self.lock:
            self.finished = True


class JobStore:
    """All jobs, by id; mints ids in the product's org id space."""

    def __init__(self, prefix: Callable[[str], str]) -> None:
        self._prefix = prefix
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
        """A job of this product, or None."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.product == product else None


@dataclass(frozen=True)
class PageCursor:
    """Where a v7+ export continues: same query, records after ``last_id``."""

    product: str
    module: str
    fields: tuple[str, ...] | None
    criteria: Any
    echo_query: dict[str, Any]
    page: int  # page number of the next job
    last_id: int
    refresh_token: str  # a token belongs to the user who was given it
