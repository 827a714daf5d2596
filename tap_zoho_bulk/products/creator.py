"""Zoho Creator: reports exported through Creator's bulk read API (v2 and v2.1).

Everything Creator does differently from CRM lives here: URLs carry owner, app and report; the body
is `{"query": {fields, criteria (a string), max_records, record_cursor}}`; responses are
`{"code": 3000, "details": {...}}`; the next batch is asked for with the record cursor alone; dates
are written in the application's date format and time zone.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.errors import ApiError, ConfigError, Kind
from tap_zoho_bulk.products.base import (
    JobRequest,
    JobState,
    JobStatus,
    Position,
    StreamDefinition,
    Window,
)
from tap_zoho_bulk.products.creator_dates import (
    DEFAULT_DATE_FORMAT,
    AppFormat,
    java_to_strptime,
    java_zone,
)
from tap_zoho_bulk.schema import BOOLEAN, DATE, DATETIME, INTEGER, NUMBER, STRING, STRING_LIST
from tap_zoho_bulk.settings import StreamOptions

LOGGER = logging.getLogger("tap-zoho-bulk")
DEFAULT_REPLICATION_KEY = "Added_Time"
MAX_RECORDS = 200_000  # the largest batch Creator allows (100,000 to 200,000 in steps of 1,000)

# Creator form field `type` codes (API-REFERENCE §6.4) → JSON schema; unlisted codes are strings.
CREATOR_TYPES: dict[int, dict[str, Any]] = {
    5: INTEGER,  # Number
    6: NUMBER,  # Decimal
    7: NUMBER,  # Percent
    8: NUMBER,  # Currency
    10: DATE,
    11: DATETIME,
    16: BOOLEAN,  # Decision box
    14: STRING_LIST,  # Multi select (or lookup shown as multi select)
    15: STRING_LIST,  # Checkbox (or lookup shown as checkboxes)
}
# Columns Creator adds to every record; reports show some of them. These are in every schema…
SYSTEM_COLUMNS: dict[str, dict[str, Any]] = {
    "ID": {"type": ["string"]},
    "Added_Time": DATETIME,
    "Modified_Time": DATETIME,
    "Added_User": STRING,
    "Modified_User": STRING,
}
# … these join it when an export shows them; all under their link names, also when the CSV labels
# them as Creator's exports do ("Added User IP Address").
SYSTEM_FIELDS = (*SYSTEM_COLUMNS, "Added_User_IP_Address", "Modified_User_IP_Address",
                 "Added_Location", "Modified_Location")
SYSTEM_DISPLAY_NAMES = {name.replace("_", " "): name for name in SYSTEM_FIELDS}
def creator_property(field: Mapping[str, Any]) -> dict[str, Any]:
    """JSON schema of one form field from its Get Fields `type` code."""
    return dict(CREATOR_TYPES.get(_int(field.get("type")), STRING))


FORM_COMPONENT = 1  # Get Sections component types: 1 form, 2 report, 3 page


def stream_name(report: str) -> str:
    """`owner/app/report` → `creator_<app>_<report>`, lower case, `-` → `_`."""
    _, app, name = report.split("/")
    return re.sub(r"[^a-z0-9_]", "_", f"creator_{app}_{name}".lower().replace("-", "_"))


class RateLimiter:
    """At most `calls` per `period` seconds (Creator: 5 job creations per user per minute)."""

    def __init__(self, calls: int, period: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.calls, self.period = calls, period
        self._clock, self._sleep = clock, sleep
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            while self._times and now - self._times[0] >= self.period:
                self._times.popleft()
            if len(self._times) >= self.calls:
                delay = self.period - (now - self._times[0])
                LOGGER.info("Waiting %.1f s: Creator allows %d bulk jobs per minute", delay, self.calls)
                self._sleep(delay)
                self._times.popleft()
            self._times.append(self._clock())


class CreatorProduct:
    """Bulk read and metadata of Zoho Creator reports."""

    name = "creator"
    # A report shows some of its form's fields: schema columns absent from an export are normal.
    partial_exports = True

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
        jobs_per_minute: int = 5,
    ) -> None:
        self.version = version
        self.client = client
        self.reports = tuple(reports)
        self.stream_options = stream_options
        # Creator answers on two URL families: its own host (`/api/bulk/…`, `/api/v2/…`) and the
        # unified API domain (`/creator/{ver}/bulk/…`, `/creator/{ver}/meta/…`). The second is used
        # when creator_url is a www.zohoapis.* host or ends with `/creator` (a proxy, an emulator).
        # A path prefix before that (https://proxy.example/zoho) is kept.
        parts = urlsplit(base_url.rstrip("/"))
        prefix = parts.path.removesuffix("/creator")
        self.zohoapis = "zohoapis" in parts.netloc or prefix != parts.path
        self.base_url = f"{parts.scheme}://{parts.netloc}{prefix}"
        self.time_zone = time_zone
        self.date_format = date_format
        self.limiter = RateLimiter(jobs_per_minute, 60.0)
        self._formats: dict[str, AppFormat] = {}
        self._applications: list[dict[str, Any]] | None = None
        self._applications_problem = ""  # why an app's time zone is not known, for the error
        self._form_names: dict[str, list[str]] = {}  # metadata read once per run: Creator counts
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}  # every call against a daily limit

    # --- URLs -------------------------------------------------------------------------------------

    def _bulk_url(self, report: str) -> str:
        owner, app, name = report.split("/")
        if self.zohoapis:
            return f"{self.base_url}/creator/{self.version}/bulk/{owner}/{app}/report/{name}/read"
        return f"{self.base_url}/api/bulk/{self.version}/{owner}/{app}/report/{name}/read"

    def _meta_url(self, path: str) -> str:
        if self.zohoapis:
            return f"{self.base_url}/creator/{self.version}/meta/{path}"
        return f"{self.base_url}/api/v2/{path}"

    # --- discovery ------------------------------------------------------------------------------

    def discover(self) -> list[StreamDefinition]:
        streams = []
        for report in dict.fromkeys(self.reports):
            try:
                streams.append(self._define(report))
            except ApiError as error:
                if error.kind is not Kind.ACCESS:
                    raise
                LOGGER.warning("Skipping Zoho Creator report %s: %s", report, error)
        return streams

    def _define(self, report: str) -> StreamDefinition:
        owner, app, name = report.split("/")
        stream = stream_name(report)
        options = self.stream_options.get(stream, StreamOptions())
        self._check_report(owner, app, name)
        self.app_format(owner, app)  # an unknown time zone stops discovery, before any job
        form = options.form or self._derive_form(owner, app, name)
        properties: dict[str, Any] = {k: dict(v) for k, v in SYSTEM_COLUMNS.items()}
        if form:
            for link, field in self._form_fields(owner, app, form).items():
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

    def _get(self, path: str, key: str) -> list[dict[str, Any]]:
        _, body = self.client.request_json("GET", self._meta_url(path))
        value = (body or {}).get(key) if isinstance(body, dict) else None
        return value if isinstance(value, list) else []

    def _check_report(self, owner: str, app: str, report: str) -> None:
        try:
            names = {r.get("link_name") for r in self._get(f"{owner}/{app}/reports", "reports")}
        except ApiError as error:
            if error.kind is Kind.NOT_FOUND:
                raise ConfigError(f"creator_reports: {owner}/{app}/{report}: {error}") from None
            raise
        if report not in names:
            raise ConfigError(
                f"creator_reports: application {owner}/{app} has no report {report!r}; "
                f"it has: {', '.join(sorted(n for n in names if n)) or 'no reports'}"
            )

    def _derive_form(self, owner: str, app: str, report: str) -> str | None:
        """The form behind a report. Zoho has no API for it, so, in this order:

        1. the only form in the menu section that lists the report (Get Sections);
        2. the one form whose link name the report's name contains (`All_Orders` → `Order`,
           `Tous_les_Offres` → `Offre`; `Offres_par_Client` names two forms: no guess);
        3. the application's only form.

        Otherwise None: the report's columns are typed from the form fields when the first export
        shows them (`column_schemas`), and `stream_options.<stream>.form` makes it exact.
        """
        forms = list(self._forms(owner, app))
        in_section = [f for f in self._section_forms(owner, app, report) if f in forms]
        if len(in_section) == 1:
            return in_section[0]
        folded = report.lower()
        candidates = in_section or forms
        matches = [f for f in candidates if f.lower() in folded or f.lower().rstrip("s") in folded]
        if len(matches) == 1:
            return matches[0]
        if len(forms) == 1:
            return forms[0]
        LOGGER.warning(
            "creator %s/%s/%s: no metadata tells which form feeds this report; its columns are "
            "typed from the form fields when the first export shows them (set stream_options."
            "<stream>.form to type them at discovery)", owner, app, report,
        )
        return None

    def _section_forms(self, owner: str, app: str, report: str) -> list[str]:
        """Forms listed in the same menu section(s) as `report`; [] when sections are unavailable
        (the reference documents Get Sections on the zohoapis family only): it is only a hint."""
        try:
            sections = self._get(f"{owner}/{app}/sections", "sections")
        except ApiError as error:
            if error.kind is Kind.DAILY_LIMIT:
                raise
            LOGGER.debug("creator %s/%s: no sections (%s)", owner, app, error)
            return []
        found: list[str] = []
        for section in sections:
            components = section.get("components") or []
            if any(c.get("link_name") == report for c in components):
                found += [str(c["link_name"]) for c in components
                          if _int(c.get("type")) == FORM_COMPONENT and c.get("link_name")]
        return list(dict.fromkeys(found))

    def _forms(self, owner: str, app: str) -> list[str]:
        key = f"{owner}/{app}"
        if key not in self._form_names:
            self._form_names[key] = [
                str(f["link_name"]) for f in self._get(f"{key}/forms", "forms") if f.get("link_name")
            ]
        return self._form_names[key]

    def _form_fields(self, owner: str, app: str, form: str) -> dict[str, dict[str, Any]]:
        key = f"{owner}/{app}/{form}"
        if key not in self._fields:
            fields = self._get(f"{owner}/{app}/form/{form}/fields", "fields")
            self._fields[key] = {str(f["link_name"]): f for f in fields if f.get("link_name")}
        return self._fields[key]

    def column_schemas(
        self, stream: StreamDefinition, columns: Sequence[str]
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """Record key and schema for report columns the catalog lacks, from the form fields.

        A report shows one form's fields, so the form sharing the most columns is asked first. A
        column is a field's link name, or its display name (as Creator's own exports label
        columns; the record key is then the link name); `Client.Nom`, a lookup's display column,
        is field `Nom` of form `Client` when that form exists; anything else is a string.
        """
        owner, app, _ = stream.target.split("/")
        forms = {form: self._form_fields(owner, app, form) for form in self._forms(owner, app)}
        by_display = {
            form: {str(f["display_name"]): f for f in fields.values() if f.get("display_name")}
            for form, fields in forms.items()
        }
        wanted = set(columns)

        def overlap(form: str) -> int:
            return len(wanted & (forms[form].keys() | by_display[form].keys()))

        ranked = sorted(forms, key=overlap, reverse=True)
        adopted: dict[str, tuple[str, dict[str, Any]]] = {}
        for column in columns:
            system = SYSTEM_DISPLAY_NAMES.get(column, column)
            if system in SYSTEM_FIELDS:
                adopted[column] = (system, dict(SYSTEM_COLUMNS.get(system, STRING)))
                continue
            head, dot, tail = column.partition(".")
            field = forms.get(head, {}).get(tail) if dot else None
            field = field or next((forms[f][column] for f in ranked if column in forms[f]), None)
            if field is None:
                field = next((by_display[f][column] for f in ranked if column in by_display[f]), None)
                name = str(field["link_name"]) if field else column
            else:
                name = column
            adopted[column] = (name, creator_property(field) if field else dict(STRING))
        return adopted

    def app_format(self, owner: str, app: str) -> AppFormat:
        """Date format and time zone of an application (settings override the metadata).

        Without them every instant would be off by the app's UTC offset, so an application whose
        time zone neither Get Applications nor creator_time_zone gives stops the run.
        """
        key = f"{owner}/{app}"
        if key not in self._formats:
            meta = {} if self.time_zone and self.date_format else self._application(owner, app)
            zone_name = self.time_zone or meta.get("time_zone")
            if not zone_name:
                raise ConfigError(
                    f"creator_time_zone: the time zone of Creator application {key} is unknown "
                    f"({self._applications_problem or 'Get Applications gives none'}); add the "
                    "ZohoCreator.dashboard.READ scope to the token, or set creator_time_zone and "
                    "creator_date_format"
                )
            try:
                zone = java_zone(zone_name)
            except ValueError:
                where = "creator_time_zone" if self.time_zone else f"Get Applications' time_zone of {key}"
                raise ConfigError(
                    f"creator_time_zone: {where} is {zone_name!r}, which is not a known time zone; "
                    "set creator_time_zone to the IANA name of the application's zone"
                ) from None
            pattern = self.date_format or meta.get("date_format") or DEFAULT_DATE_FORMAT
            self._formats[key] = AppFormat(zone, java_to_strptime(pattern))
        return self._formats[key]

    def _application(self, owner: str, app: str) -> dict[str, Any]:
        if self._applications is None:
            try:
                self._applications = self._get("applications", "applications")
            except ApiError as error:
                if error.kind not in (Kind.ACCESS, Kind.NOT_FOUND):
                    raise
                self._applications_problem = f"Get Applications answered {error.code}: {error.message}"
                self._applications = []
        for meta in self._applications:
            if meta.get("link_name") == app and meta.get("workspace_name", owner) in (owner, None):
                return meta
        for meta in self._applications:
            if meta.get("link_name") == app:
                return meta
        if not self._applications_problem:
            self._applications_problem = "Get Applications does not list it"
        return {}

    # --- jobs -------------------------------------------------------------------------------------

    def job_request(
        self,
        stream: StreamDefinition,
        fields: list[str],
        window: Window | None,
        options: StreamOptions,
        position: Position,
    ) -> JobRequest:
        self.limiter.wait()
        url = self._bulk_url(stream.target)
        if position.record_cursor:
            # A follow-up batch may carry nothing but the cursor.
            return JobRequest(url, {"query": {"record_cursor": position.record_cursor}})
        # No `fields`: Creator refuses a field its report does not show, and no API tells which
        # form fields and system columns a report shows. The whole report is exported; columns
        # deselected in the catalog are dropped by the SDK.
        query: dict[str, Any] = {"max_records": MAX_RECORDS}
        criteria = self.criteria(stream, window, options.criteria)
        if criteria:
            query["criteria"] = criteria
        return JobRequest(url, {"query": query})

    def criteria(self, stream: StreamDefinition, window: Window | None, user: str | None) -> str | None:
        owner, app, _ = stream.target.split("/")
        parts = []
        if window is not None:
            fmt = self.app_format(owner, app)
            if window.start is not None:
                parts.append(f'{window.key} >= "{fmt.literal(window.start)}"')
            parts.append(f'{window.key} < "{fmt.literal(window.end)}"')
        if user:
            parts.append(f"({user})")
        return " && ".join(parts) or None

    def job_id(self, created: Any) -> str:
        details = created.get("details") if isinstance(created, dict) else None
        if not isinstance(details, dict) or not details.get("id"):
            raise ApiError(Kind.FATAL, 200, "UNEXPECTED_RESPONSE", "the create-job response has no job id")
        return str(details["id"])

    def status_url(self, stream: StreamDefinition, job_id: str) -> str:
        return f"{self._bulk_url(stream.target)}/{job_id}"

    def parse_status(self, payload: Any, position: Position) -> JobStatus:
        details = (payload or {}).get("details") or {}
        raw = str(details.get("status") or "")
        state = raw.strip().upper().replace("-", " ").replace("_", " ")
        result = details.get("result") or {}
        job_id = str(details.get("id") or "")
        if state in ("COMPLETED", "COMPLETE"):
            cursor = result.get("record_cursor")
            return JobStatus(
                job_id, JobState.COMPLETED, raw,
                download_url=result.get("download_url"),
                count=result.get("count"),
                next_position=Position(record_cursor=str(cursor)) if cursor else None,
            )
        if state in ("FAILED", "FAILURE"):
            return JobStatus(job_id, JobState.FAILED, raw, error=str(result.get("error_message") or ""))
        return JobStatus(job_id, JobState.PENDING, raw)

    def next_position(self, status: JobStatus, headers: Mapping[str, str]) -> Position | None:
        """v2.1 names the next batch's cursor in the status; both versions in the `recordCursor`
        header of the download."""
        if status.next_position is not None:
            return status.next_position
        cursor = next((v for k, v in headers.items() if k.lower() == "recordcursor" and v), None)
        return Position(record_cursor=cursor) if cursor else None

    def value_converters(self, stream: StreamDefinition) -> dict[str, Any]:
        owner, app, _ = stream.target.split("/")
        fmt = self.app_format(owner, app)
        return {"date-time": fmt.parse_datetime, "date": fmt.parse_date, "array": split_choices}


def split_choices(text: str) -> list[str]:
    """Creator joins the choices of a multi-select / checkbox cell with `;` or with `,`."""
    separator = ";" if ";" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
