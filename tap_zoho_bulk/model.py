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
    more_records: bool = False  # CRM/Bigin: the query matched more than this page holds
    per_page: int | None = None  # CRM/Bigin: the page size Zoho used (200,000)


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
    deleted: bool = False  # the module's deleted records (REST), not its bulk export


@dataclass(frozen=True)
class Checkpoint:
    """Where an interrupted export continues: its window, and the next part not yet emitted.

    A part is a slice [part_start, part_end) of the window exported by one job per page, and
    `position` / `job_id` name the page: a rerun reuses the job's result while Zoho keeps it, or
    creates the job again at that position. A full-table stream has no window: `window_end` is None.
    """

    key: str | None  # the window's replication key
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    part_start: dt.datetime | None
    part_end: dt.datetime | None
    position: Position
    job_id: str | None = None

    def to_state(self) -> dict[str, Any]:
        """The checkpoint as it is kept in the stream's STATE."""
        return {
            "key": self.key,
            "window": [_text(self.window_start), _text(self.window_end)],
            "part": [_text(self.part_start), _text(self.part_end)],
            "job_id": self.job_id,
            "page": self.position.page,
            "page_token": self.position.page_token,
            "record_cursor": self.position.record_cursor,
        }

    @classmethod
    def from_state(cls, value: Any) -> Checkpoint | None:
        """A checkpoint read back from STATE; None when absent or not one this tap wrote."""
        if not isinstance(value, dict):
            return None
        try:
            window_start, window_end = (_instant(v) for v in value["window"])
            part_start, part_end = (_instant(v) for v in value["part"])
            position = Position(
                page=int(value.get("page") or 1),
                page_token=value.get("page_token") or None,
                record_cursor=value.get("record_cursor") or None,
            )
        except (KeyError, TypeError, ValueError):
            return None
        job_id, key = value.get("job_id"), value.get("key")
        return cls(str(key) if key else None, window_start, window_end, part_start, part_end,
                   position, str(job_id) if job_id else None)


def _text(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _instant(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
