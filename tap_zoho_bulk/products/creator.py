"""Zoho Creator: reports exported through Creator's bulk read API (v2 and v2.1).

Everything Creator does differently from CRM lives here: URLs carry owner, app and report; the body
is `{"query": {fields, criteria (a string), max_records, record_cursor}}`; responses are
`{"code": 3000, "details": {...}}`; the next batch is asked for with the record cursor alone; dates
are written in the application's date format and time zone.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from tap_zoho_bulk.schema import BOOLEAN, DATE, DATETIME, INTEGER, NUMBER, STRING, STRING_LIST, format_instant
from tap_zoho_bulk.settings import StreamOptions

LOGGER = logging.getLogger("tap-zoho-bulk")
DEFAULT_REPLICATION_KEY = "Added_Time"
MAX_RECORDS = 200_000  # the largest batch Creator allows (100,000 to 200,000 in steps of 1,000)
DEFAULT_DATE_FORMAT = "dd-MMM-yyyy"

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
# Columns Creator adds to every record; reports show some of them.
SYSTEM_COLUMNS: dict[str, dict[str, Any]] = {
    "ID": {"type": ["string"]},
    "Added_Time": DATETIME,
    "Modified_Time": DATETIME,
    "Added_User": STRING,
    "Modified_User": STRING,
    "Added_User_IP_Address": STRING,
    "Modified_User_IP_Address": STRING,
}
_JAVA_TO_STRPTIME = [("yyyy", "%Y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dd", "%d"),
                     ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("yy", "%y"), ("a", "%p")]


def java_to_strptime(pattern: str) -> str:
    """Creator's Java-style date pattern (`dd-MMM-yyyy`) → a strptime/strftime pattern."""
    out, i = "", 0
    while i < len(pattern):
        for java, py in _JAVA_TO_STRPTIME:
            if pattern.startswith(java, i):
                out += py
                i += len(java)
                break
        else:
            out += pattern[i].replace("%", "%%")
            i += 1
    return out


@dataclass(frozen=True)
class AppFormat:
    """How one Creator application writes dates, and in which time zone."""

    time_zone: dt.tzinfo
    date_format: str  # strptime pattern of a date

    @property
    def datetime_format(self) -> str:
        return self.date_format + " %H:%M:%S"

    def parse_datetime(self, text: str) -> str:
        """Creator datetime text (application format and zone, or ISO) → UTC RFC 3339."""
        text = text.strip()
        try:
            value = dt.datetime.strptime(text, self.datetime_format)
        except ValueError:
            value = _parse_loose(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.time_zone)
        return format_instant(value)

    def parse_date(self, text: str) -> str:
        text = text.strip()
        try:
            return dt.datetime.strptime(text, self.date_format).date().isoformat()
        except ValueError:
            return _parse_loose(text).date().isoformat()

    def literal(self, value: dt.datetime) -> str:
        """A criteria literal for `value` in the application's format and time zone."""
        return value.astimezone(self.time_zone).strftime(self.datetime_format)


_LOOSE_FORMATS = ("%d-%b-%Y %H:%M:%S", "%d-%b-%Y", "%Y-%m-%d %H:%M:%S", "%m-%d-%Y %H:%M:%S", "%d-%b-%Y %H:%M")


def _parse_loose(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for pattern in _LOOSE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text[:30]!r}")


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
        self.base_url = base_url.rstrip("/")
        self.time_zone = time_zone
        self.date_format = date_format
        # Both URL families of Creator: its own host, or the unified www.zohoapis.* domain.
        self.zohoapis = "zohoapis" in urlsplit(self.base_url).netloc
        self.limiter = RateLimiter(jobs_per_minute, 60.0)
        self._formats: dict[str, AppFormat] = {}
        self._applications: list[dict[str, Any]] | None = None

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
            owner, app, name = report.split("/")
            stream = stream_name(report)
            options = self.stream_options.get(stream, StreamOptions())
            app_format = self.app_format(owner, app)
            self._check_report(owner, app, name)
            form = options.form or self._derive_form(owner, app, name)
            properties: dict[str, Any] = {k: dict(v) for k, v in SYSTEM_COLUMNS.items()}
            if form:
                for field in self._form_fields(owner, app, form):
                    link = field.get("link_name")
                    if link and link not in properties:
                        properties[str(link)] = dict(CREATOR_TYPES.get(_int(field.get("type")), STRING))
            replication_key = options.replication_key or DEFAULT_REPLICATION_KEY
            if properties.get(replication_key, {}).get("format") != "date-time":
                raise ConfigError(
                    f"stream_options.{stream}.replication_key: {replication_key!r} is not a datetime "
                    f"column of report {report}"
                )
            streams.append(StreamDefinition(
                stream, self.name, report, {"type": "object", "properties": properties}, "ID",
                replication_key,
                extra={"form": form, "time_zone": getattr(app_format.time_zone, "key", "UTC"),
                       "date_format": app_format.date_format},
            ))
        return streams

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
        if names and report not in names:
            raise ConfigError(
                f"creator_reports: application {owner}/{app} has no report {report!r}; "
                f"it has: {', '.join(sorted(n for n in names if n))}"
            )

    def _derive_form(self, owner: str, app: str, report: str) -> str | None:
        """The form behind a report. Zoho has no API for it, so: the form whose link name the report's
        name contains (longest match, e.g. `All_Orders` → `Orders`, `Tous_les_Offres` → `Offre`),
        else the only form of the application, else none (columns then come as strings)."""
        forms = [f.get("link_name") for f in self._get(f"{owner}/{app}/forms", "forms") if f.get("link_name")]
        folded = report.lower()
        matches = [f for f in forms if f.lower() in folded or f.lower().rstrip("s") in folded]
        if matches:
            return max(matches, key=len)
        if len(forms) == 1:
            return forms[0]
        LOGGER.warning(
            "creator %s/%s/%s: cannot tell which form feeds this report; set stream_options."
            "<stream>.form for typed columns (until then they are strings)", owner, app, report,
        )
        return None

    def _form_fields(self, owner: str, app: str, form: str) -> list[dict[str, Any]]:
        return self._get(f"{owner}/{app}/form/{form}/fields", "fields")

    def app_format(self, owner: str, app: str) -> AppFormat:
        """Date format and time zone of an application (settings override the metadata)."""
        key = f"{owner}/{app}"
        if key not in self._formats:
            meta = self._application(owner, app)
            zone_name = self.time_zone or meta.get("time_zone")
            try:
                zone: dt.tzinfo = ZoneInfo(zone_name) if zone_name else dt.timezone.utc
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(f"creator_time_zone: unknown time zone {zone_name!r}") from None
            if not zone_name:
                LOGGER.warning("creator %s: no time zone in the metadata; datetimes read as UTC", key)
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
                LOGGER.warning("Cannot list Creator applications (%s)", error)
                self._applications = []
        for meta in self._applications:
            if meta.get("link_name") == app and meta.get("workspace_name", owner) in (owner, None):
                return meta
        for meta in self._applications:
            if meta.get("link_name") == app:
                return meta
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
        query: dict[str, Any] = {"max_records": MAX_RECORDS}
        if fields:
            query["fields"] = fields
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
