"""Zoho Creator reports exported through Creator's bulk read API (v2 and v2.1).

Everything Creator does differently from CRM lives in this package: URLs carry owner, app and
report (`urls`); the body is `{"query": {criteria (a string), max_records, record_cursor}}` and
responses are `{"code": 3000, "details": {...}}` (`job_shapes`); the next batch is asked for with
the record cursor alone; dates are written in the application's date format and time zone
(`dates`, `metadata`); the form behind a report is derived, not guessed (`forms`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from typing_extensions import override

from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.columnar import FastConverter
from tap_zoho_bulk.errors import ApiError, ConfigError, Kind, ZohoError
from tap_zoho_bulk.model import JobRequest, JobStatus, Position, StreamDefinition, Window
from tap_zoho_bulk.products.base import BulkProduct
from tap_zoho_bulk.products.creator import job_shapes
from tap_zoho_bulk.products.creator.field_types import (
    SYSTEM_COLUMNS,
    creator_property,
    field_choices,
    split_choices,
    split_with_choices,
)
from tap_zoho_bulk.products.creator.forms import column_schemas, derive_form
from tap_zoho_bulk.products.creator.metadata import CreatorMetadata
from tap_zoho_bulk.products.creator.urls import CreatorUrls
from tap_zoho_bulk.schema import Converter, json_type
from tap_zoho_bulk.settings import StreamOptions

LOGGER = logging.getLogger("tap-zoho-bulk")
DEFAULT_REPLICATION_KEY = "Added_Time"


def stream_name(report: str, *, with_owner: bool = False) -> str:
    """`owner/app/report` → `creator_<app>_<report>` (`creator_<owner>_<app>_<report>` when two
    owners share app and report names), lower case, `-` → `_`."""
    owner, app, name = report.split("/")
    parts = [owner, app, name] if with_owner else [app, name]
    return re.sub(r"[^a-z0-9_]", "_", "_".join(["creator", *parts]).lower().replace("-", "_"))


def stream_names(reports: Sequence[str]) -> dict[str, str]:
    """A unique stream name per report; ConfigError when two reports cannot be told apart."""
    plain = {report: stream_name(report) for report in dict.fromkeys(reports)}
    clashing = {name for name in plain.values() if list(plain.values()).count(name) > 1}
    names = {report: stream_name(report, with_owner=name in clashing) for report, name in plain.items()}
    by_name: dict[str, list[str]] = {}
    for report, name in names.items():
        by_name.setdefault(name, []).append(report)
    for name, same in by_name.items():
        if len(same) > 1:
            raise ConfigError(
                f"creator_reports: {' and '.join(same)} would both be stream {name} (names differ only "
                "by case or by - and _); keep one of them"
            )
    return names


class CreatorProduct(BulkProduct):
    """Bulk read and metadata of Zoho Creator reports."""

    name = "creator"
    label = "Zoho Creator"
    # A report shows some of its form's fields: schema columns absent from an export are normal.
    partial_exports = True
    splits_windows = False  # batches continue with a record cursor
    cursor_in_download = True  # v2 names the next batch's cursor only in the download's headers

    def __init__(
        self,
        version: str,
        client: ZohoClient,
        *,
        reports: Sequence[str],
        stream_options: Mapping[str, StreamOptions],
        base_url: str,
        time_zone: str | None = None,
        date_format: str | None = None,
    ) -> None:
        self.version = version
        self.client = client
        self.reports = tuple(reports)
        self.stream_options = stream_options
        self.urls = CreatorUrls(base_url, version)
        self.metadata = CreatorMetadata(client, self.urls, time_zone=time_zone, date_format=date_format)

    @property
    @override
    def base_url(self) -> str:
        return self.urls.base_url

    # --- discovery ------------------------------------------------------------------------------

    @override
    def discover(self) -> list[StreamDefinition]:
        streams = []
        for report, name in stream_names(self.reports).items():
            try:
                streams.append(self._define(report, name))
            except ApiError as error:
                if error.kind is not Kind.ACCESS:
                    raise
                LOGGER.warning("Skipping Zoho Creator report %s: %s", report, error)
        return streams

    @override
    def check_connection(self) -> str:
        """Every report checked, each that cannot be read named (not only the first)."""
        failed = []
        for report in self.reports:
            owner, app, name = report.split("/")
            try:
                self.metadata.check_report(owner, app, name)
                self.metadata.app_format(owner, app)  # what a sync needs before its first job
            except ZohoError as exc:
                failed.append(f"{report}: {exc}")
        if failed:
            raise ZohoError(f"{len(failed)} of {len(self.reports)} report(s) cannot be read: "
                            + "; ".join(failed))
        apps = {report.rsplit("/", 1)[0] for report in self.reports}
        return (f"{len(self.reports)} report(s) of {len(apps)} application(s) to export: "
                f"{', '.join(self.reports)}")

    def _define(self, report: str, stream: str) -> StreamDefinition:
        owner, app, name = report.split("/")
        options = self.stream_options.get(stream, StreamOptions())
        self.metadata.check_report(owner, app, name)
        self.metadata.app_format(owner, app)  # an unknown time zone stops discovery, before any job
        form = options.form or derive_form(self.metadata, owner, app, name)
        properties: dict[str, Any] = {k: dict(v) for k, v in SYSTEM_COLUMNS.items()}
        if form:
            for link, field in self.metadata.form_fields(owner, app, form).items():
                properties.setdefault(link, creator_property(field))
        replication_key = options.replication_key or DEFAULT_REPLICATION_KEY
        if properties.get(replication_key, {}).get("format") != "date-time":
            raise ConfigError(
                f"stream_options.{stream}.replication_key: {replication_key!r} is not a datetime "
                f"column of report {report}"
            )
        return StreamDefinition(
            stream, self.name, report, {"type": "object", "properties": properties}, "ID",
            replication_key,
        )

    @override
    def column_schemas(
        self, stream: StreamDefinition, columns: Sequence[str]
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        owner, app, _ = stream.target.split("/")
        return column_schemas(self.metadata, owner, app, columns)

    # --- jobs -------------------------------------------------------------------------------------

    @override
    def job_request(
        self,
        stream: StreamDefinition,
        fields: list[str],
        window: Window | None,
        options: StreamOptions,
        position: Position,
    ) -> JobRequest:
        owner, app, _ = stream.target.split("/")
        criteria = None
        if not position.record_cursor:
            criteria = job_shapes.criteria(self.metadata.app_format(owner, app), window, options.criteria)
        return JobRequest(self.urls.bulk(stream.target), job_shapes.create_body(criteria, position))

    @override
    def count_records(self, stream: StreamDefinition, window: Window) -> int | None:
        return None  # Creator has no record count API

    @override
    def refuses_window(self, error: ApiError, window: Window) -> bool:
        # Creator filters on the report's columns: 3020 naming the key means the report hides it.
        return error.code == "3020" and f"'{window.key}'" in error.message

    @override
    def is_created(self, answer: Any) -> bool:
        details = answer.get("details") if isinstance(answer, dict) else None
        return isinstance(details, dict) and bool(details.get("id"))

    @override
    def is_status(self, answer: Any) -> bool:
        details = answer.get("details") if isinstance(answer, dict) else None
        return isinstance(details, dict) and bool(details.get("status"))

    @override
    def job_id(self, created: Any) -> str:
        return job_shapes.job_id(created)

    @override
    def status_url(self, stream: StreamDefinition, job_id: str) -> str:
        return f"{self.urls.bulk(stream.target)}/{job_id}"

    @override
    def parse_status(self, payload: Any, position: Position) -> JobStatus:
        return job_shapes.parse_status(payload)

    @override
    def next_position(self, status: JobStatus, headers: Mapping[str, str]) -> Position | None:
        return job_shapes.next_position(status, headers)

    @override
    def field_converters(
        self, stream: StreamDefinition, columns: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Converter]:
        """Multi-select and checkbox columns split by their field's choices (Get Fields), the
        stream's form first: `Fer, acier` is one choice, not two."""
        lists = [name for name, prop in columns.items() if json_type(prop) == "array"]
        if not lists:
            return {}
        owner, app, _ = stream.target.split("/")
        form = self.stream_options.get(stream.name, StreamOptions()).form
        forms = [*([form] if form else []), *self.metadata.forms(owner, app)]
        converters: dict[str, Converter] = {}
        for column in lists:
            for name in forms:
                choices = field_choices(self.metadata.form_fields(owner, app, name).get(column) or {})
                if choices:
                    converters[column] = functools.partial(split_with_choices, choices=choices)
                    break
        return converters

    @override
    def value_converters(self, stream: StreamDefinition) -> dict[str, Converter]:
        owner, app, _ = stream.target.split("/")
        fmt = self.metadata.app_format(owner, app)
        return {"date-time": fmt.parse_datetime, "date": fmt.parse_date, "array": split_choices}

    @override
    def vectorised_converters(self, stream: StreamDefinition) -> dict[Converter, FastConverter]:
        owner, app, _ = stream.target.split("/")
        return self.metadata.app_format(owner, app).vectorised()
