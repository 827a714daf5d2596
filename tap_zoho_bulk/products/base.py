"""The product interface: what every Zoho product (CRM, Bigin, Creator) offers the rest of the tap.

A product knows the shapes of its own API (URLs, request bodies, status payloads, metadata) and
nothing about Singer; the job machinery and the streams only talk to it through `BulkProduct`,
in the plain data of `tap_zoho_bulk.model`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tap_zoho_bulk.columnar import FastConverter
from tap_zoho_bulk.errors import ApiError
from tap_zoho_bulk.model import JobRequest, JobStatus, Position, StreamDefinition, Window
from tap_zoho_bulk.schema import Converter
from tap_zoho_bulk.settings import StreamOptions


class BulkProduct(Protocol):
    """The per-product half of a bulk export (CRM and Bigin share one implementation)."""

    name: str
    label: str  # the product as a person names it: Zoho CRM, Zoho Bigin, Zoho Creator
    # True when a window may be cut in parts that each fit in one page (CRM, Bigin: Zoho
    # re-evaluates the query for every page). Creator pages with a cursor and is not cut.
    splits_windows: bool
    # True when the next page's position may come only with the download (Creator v2's
    # `recordCursor` header), so that download cannot wait for the disk budget.
    cursor_in_download: bool
    # True when an export may lack schema columns as a matter of course (a Creator report shows a
    # subset of its form); False when a missing column means the field is gone (CRM, Bigin).
    partial_exports: bool

    @property
    def base_url(self) -> str:
        """The base URL a relative `download_url` is joined to."""
        ...

    def discover(self) -> list[StreamDefinition]:
        """Streams this product offers for the configured modules / reports."""
        ...

    def check_connection(self) -> str:
        """What this token can read of the configured modules / reports, from one metadata call
        (one per application for Creator) and no bulk job; raises a ZohoError saying why not."""
        ...

    def count_records(self, stream: StreamDefinition, window: Window) -> int | None:
        """Records of `window` (one call of Zoho's record count API, its user criteria aside: a
        superset is safe), or None when the product cannot count."""
        ...

    def job_request(
        self,
        stream: StreamDefinition,
        fields: list[str],
        window: Window | None,
        options: StreamOptions,
        position: Position,
    ) -> JobRequest:
        """The create-job call for the page / batch at `position`."""
        ...

    def refuses_window(self, error: ApiError, window: Window) -> bool:
        """Whether Zoho refused a job because its report cannot be filtered on the window's key
        (a Creator report that does not show Added_Time): the export then reads it in full."""
        ...

    def is_created(self, answer: Any) -> bool:
        """Whether a create-job answer has the shape this API returns (a proxy page has not)."""
        ...

    def is_status(self, answer: Any) -> bool:
        """Whether a job-status answer has the shape this API returns."""
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

    def field_converters(
        self, stream: StreamDefinition, columns: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Converter]:
        """Parsers of particular columns (name → JSON schema), ahead of the per-format ones
        (Creator: a multi-select column split by its field's own choices)."""
        ...

    def value_converters(self, stream: StreamDefinition) -> dict[str, Converter]:
        """Product-specific CSV value parsers by JSON schema format (e.g. Creator datetimes)."""
        ...

    def vectorised_converters(self, stream: StreamDefinition) -> dict[Converter, FastConverter]:
        """Vectorised forms of this product's own converters, keyed by them, for the columnar path
        (`columnar.FastConverter`: decide what they can exactly, leave the rest to the converter)."""
        ...
