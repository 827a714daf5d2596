"""The lifecycle log of every bulk job (CRM, Bigin, Creator), for measurements.

Tests and benchmarks of a client want to know how long it left a finished job unpolled,
how often it polled and when it downloaded; the log answers from the jobs' own
``Progress`` so it can never disagree with what the API answered.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from zoho_emulator.core.progress import Progress


@dataclass(frozen=True)
class JobLogEntry:
    """One job's lifecycle; times are the machine's ``time.time()`` (no clock_offset)."""

    job_id: str
    product: str  # "crm" | "bigin" | "creator"
    module: str  # CRM/Bigin module API name, or Creator report path owner/app/report
    created_at: float
    completed_at: float | None  # when it became complete (created_at + duration once reached)
    first_completed_status_at: float | None  # first status answer saying COMPLETED / Completed
    status_calls: int
    downloaded_at: list[float]  # each served download
    more_records: bool  # CRM/Bigin: result.more_records; Creator: a record_cursor was issued
    failed: bool  # ends in FAILURE / Failed (completed_at is then when it failed)
    stalled: bool  # never completes (faults.stall_next_jobs)


@dataclass
class _Tracked:
    job_id: str
    product: str
    module: str
    progress: Progress
    more_records: bool
    failed: bool


class JobLedger:
    """Registry of jobs' progress, in creation order; thread-safe."""

    def __init__(self) -> None:
        self._jobs: list[_Tracked] = []
        self._lock = threading.Lock()

    def track(
        self, job_id: str, product: str, module: str, progress: Progress, *, more_records: bool, failed: bool
    ) -> None:
        """Start logging a newly created job."""
        with self._lock:
            self._jobs.append(_Tracked(job_id, product, module, progress, more_records, failed))

    def entries(self) -> list[JobLogEntry]:
        """A snapshot of every job's lifecycle (copies)."""
        with self._lock:
            tracked = list(self._jobs)
        now = time.monotonic()
        entries = []
        for job in tracked:
            progress = job.progress
            completed = progress.completed_wall(now)
            with progress.lock:
                entries.append(
                    JobLogEntry(
                        job_id=job.job_id,
                        product=job.product,
                        module=job.module,
                        created_at=progress.created_wall,
                        completed_at=completed,
                        first_completed_status_at=progress.reported_wall,
                        status_calls=progress.polls,
                        downloaded_at=list(progress.downloads),
                        more_records=job.more_records,
                        failed=job.failed,
                        stalled=progress.stalled,
                    )
                )
        return entries
