"""What every Zoho product offers the rest of the tap, as plain data plus one small interface.

A product module knows the shapes of its own API (URLs, request bodies, status payloads, metadata)
and nothing about Singer; the job runner and the streams only talk to it through `BulkProduct`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tap_zoho_bulk.settings import StreamOptions


@dataclass(frozen=True)
class Window:
    """Incremental window [start, end) on the replication key; start None = from the beginning."""

    key: str
    start: dt.datetime | None
    end: dt.datetime


@dataclass(frozen=True)
class Position:
    """Where an export stands: which page, page token or record cursor comes next.

    Kept as data so a stream can one day save it in STATE and resume a crashed export.
    """

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


class BulkProduct(Protocol):
    """The per-product half of a bulk export (CRM and Bigin share one implementation)."""

    name: str
    base_url: str
    # True when an export may lack schema columns as a matter of course (a Creator report shows a
    # subset of its form); False when a missing column means the field is gone (CRM, Bigin).
    partial_exports: bool

    def discover(self) -> list[StreamDefinition]:
        """Streams this product offers for the configured modules / reports."""
        ...

    def job_request(
        self,
        stream: StreamDefinition,
        fields: list[str],
        window: Window,
        options: StreamOptions,
        position: Position,
    ) -> JobRequest:
        """The create-job call for the page / batch at `position`."""
        ...

    def job_id(self, created: Any) -> str:
        """Job id from the create-job response."""
        ...

    def status_url(self, stream: StreamDefinition, job_id: str) -> str:
        """URL of the job status call."""
        ...

    def parse_status(self, payload: Any, position: Position) -> JobStatus:
        """Normalised status from the status response."""
        ...

    def next_position(self, status: JobStatus, headers: Mapping[str, str]) -> Position | None:
        """Where the export continues after this result (status payload or download headers)."""
        ...

    def column_schemas(
        self, stream: StreamDefinition, columns: Sequence[str]
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """For each column an export has and the stream's schema lacks: the record key it goes
        under and its JSON schema (typed from the metadata where the product can). Every column
        gets an entry: unknown columns are kept, never dropped."""
        ...

    def value_converters(self, stream: StreamDefinition) -> dict[str, Any]:
        """Product-specific CSV value parsers by JSON schema format (e.g. Creator datetimes)."""
        ...
