"""The plain data every layer of the tap shares: windows, positions, job requests and statuses,
stream definitions. No behaviour and no imports from the rest of the tap, so products, the job
machinery and the streams can all speak it without depending on each other."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Window:
    """Incremental window [start, end) on the replication key; start None = from the beginning."""

    key: str
    start: dt.datetime | None
    end: dt.datetime


@dataclass(frozen=True)
class Position:
    """Where an export stands: which page, page token or record cursor comes next."""

    page: int = 1
    page_token: str | None = None
    record_cursor: str | None = None


class JobState(enum.Enum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True)
class JobStatus:
    """A product's status payload, normalised."""

    job_id: str
    state: JobState
    raw_state: str
    download_url: str | None = None
    count: int | None = None
    next_position: Position | None = None  # None: this was the last page / batch
    error: str | None = None


@dataclass(frozen=True)
class JobRequest:
    """One create-job call: where to POST and what."""

    url: str
    body: dict[str, Any]


@dataclass(frozen=True)
class StreamDefinition:
    """Everything needed to build one stream, from discovery or from an input catalog."""

    name: str
    product: str  # "crm" | "bigin" | "creator"
    target: str  # module API name, or "owner/app/report"
    schema: dict[str, Any]
    primary_key: str
    replication_key: str | None
