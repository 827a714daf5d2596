"""Creator bulk read jobs and record cursors.

A job freezes its batch when created and turns "Completed" only after ``job_duration``
and ``min_polls`` (so clients really poll). When more matching records remain, the job
carries a record cursor: the only way to the next batch, valid ``creator_cursor_ttl``
seconds and bound to the report, carrying the original query (Creator forbids changing
fields, criteria or max_records once a cursor exists).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoho_emulator.core.progress import Progress

IN_PROGRESS, COMPLETED, FAILED = "In-progress", "Completed", "Failed"
# creator_status_style -> how each state is spelled (samples vs documentation prose).
STATUS_STYLES: dict[str, dict[str, str]] = {
    "mixed": {IN_PROGRESS: "In-progress", COMPLETED: "Completed", FAILED: "Failed"},
    "upper": {IN_PROGRESS: "IN PROGRESS", COMPLETED: "COMPLETED", FAILED: "FAILED"},
}


@dataclass
class CreatorJob:
    """One bulk read job of a report and its frozen CSV rows."""

    id: str
    path: str  # owner/app/report
    progress: Progress
    created_time: str  # dd-MMM-yyyy HH:mm:ss in the app time zone
    created_by: str
    fail: bool
    header: list[str]
    rows: list[list[str]]
    cursor: str | None  # record cursor of the next batch, None on the last batch
    expires_at: float  # results are kept for creator_result_ttl seconds
    zip_cache: bytes | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def count(self) -> int:
        """Records in this batch."""
        return len(self.rows)

    def state(self, now: float, poll: bool = False) -> str:
        """In-progress until both the duration and the poll count are reached (for ever if stalled)."""
        if not self.progress.advance(now, poll):
            return IN_PROGRESS
        return FAILED if self.fail else COMPLETED


class CreatorJobStore:
    """Jobs by id; ids look like Zoho's ("2000000018003")."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._jobs: dict[str, CreatorJob] = {}
        self._counter = 10
        self._lock = threading.Lock()

    def new_id(self) -> str:
        """A fresh 13-digit numeric job id."""
        with self._lock:
            self._counter += 1 + secrets.randbelow(3)
            return str(2_000_000_000_003 + self._counter * 1000)

    def add(self, job: CreatorJob) -> None:
        """Register a job."""
        with self._lock:
            self._jobs[job.id] = job

    def get(self, job_id: str, path: str) -> CreatorJob | None:
        """The job if it exists for this report and its result is still kept (and not dropped)."""
        with self._lock:
            job = self._jobs.get(job_id)
        now = self._clock()
        if job is None or job.path != path or now >= job.expires_at or job.progress.expired(now, None):
            return None
        return job


@dataclass(frozen=True)
class RecordCursor:
    """Where an export continues: the original query, records with an ID above ``last_id``."""

    path: str
    columns: tuple[str, ...]
    criteria: Any  # creatorcriteria.Node | None
    max_records: int
    last_id: int
