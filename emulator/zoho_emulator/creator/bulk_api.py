"""Creator bulk read: create job, job status, download result (API v2 and v2.1).

Two URL families reach the same jobs: the Creator host form
``/api/bulk/{ver}/{owner}/{app}/report/{report}/read…`` and the zohoapis form
``/creator/{ver}/bulk/{owner}/{app}/report/{report}/read…``; every relative ``download_url``
points back into the family (and version) of the request that produced it, because a
client must join it with the host it called (https://www.zoho.com/creator/help/api/v2/bulk-api/download-bulk-read-result.html).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.csvzip import render_csv, zip_single
from zoho_emulator.core.damage import damaged_file, spoil_cells, spoiled_columns
from zoho_emulator.core.expiring import ExpiringHandles
from zoho_emulator.core.javadate import STAMP_PATTERN, format_pattern
from zoho_emulator.core.progress import Progress
from zoho_emulator.core.replies import ErrorReply
from zoho_emulator.core.routing import Request, Response, Route
from zoho_emulator.core.throttle import SlidingWindow
from zoho_emulator.creator import criteria as creatorcriteria
from zoho_emulator.creator.app_catalog import CreatorReport
from zoho_emulator.creator.bulk_jobs import (
    COMPLETED,
    IN_PROGRESS,
    STATUS_STYLES,
    CreatorJob,
    CreatorJobStore,
    RecordCursor,
)
from zoho_emulator.creator.cells import cell
from zoho_emulator.creator.gate import CREATE_SCOPE, READ_SCOPE, CreatorGate
from zoho_emulator.creator.replies import (
    CREATOR_CONTENT_TYPE,
    SUCCESS,
    bad_body,
    bad_method,
    generic_failure,
    invalid_url,
    per_minute_limit,
)
from zoho_emulator.creator.workspace import CreatorApp

VERSIONS = r"(?P<ver>v2|v2\.1)"
REPORT_PATH = r"(?P<owner>[^/]+)/(?P<app>[^/]+)/report/(?P<report>[^/]+)/read"
FAMILY_BASES = (
    rf"/api/bulk/{VERSIONS}/{REPORT_PATH}",  # Creator host (creator.zoho.*)
    rf"/creator/{VERSIONS}/bulk/{REPORT_PATH}",  # zohoapis host (www.zohoapis.*)
)
QUERY_KEYS = ("fields", "criteria", "max_records", "record_cursor")
MAX_RECORDS_DEFAULT = 100_000
MAX_RECORDS_MIN, MAX_RECORDS_MAX, MAX_RECORDS_STEP = 100_000, 200_000, 1000


Rows = Sequence[Sequence[Any]]


def method_error(request: Request) -> ErrorReply:
    """405 1020 for a Creator path called with the wrong method."""
    return bad_method(request.method)


@dataclass(frozen=True)
class _Plan:
    """A validated request: which columns, which records, how many per batch."""

    columns: tuple[str, ...]  # ID first
    criteria: creatorcriteria.Node | None
    max_records: int
    after_id: int | None  # continuation: records with a larger ID


class _PerMinute:
    """Creator's per-user and per-org per-minute limits of one API (429 2955)."""

    def __init__(self, user_limit: int, org_limit: int, window: float) -> None:
        self._user = SlidingWindow(user_limit, window)
        self._org = SlidingWindow(org_limit, window)

    def acquire(self, refresh_token: str) -> None:
        if not self._org.try_acquire("org") or not self._user.try_acquire(refresh_token):
            raise per_minute_limit()


class CreatorBulkApi:
    """Bulk read of Creator reports."""

    def __init__(self, ctx: EmulatorContext, gate: CreatorGate) -> None:
        opts = ctx.options
        if opts.creator_status_style not in STATUS_STYLES:
            raise ValueError(f"creator_status_style must be one of {sorted(STATUS_STYLES)}")
        self.ctx = ctx
        self.gate = gate
        self.jobs = CreatorJobStore()
        self.cursors: ExpiringHandles[RecordCursor] = ExpiringHandles(opts.creator_cursor_ttl, size=48)
        self.creates = _PerMinute(
            opts.creator_create_limit, opts.creator_org_create_limit, opts.creator_create_window
        )
        self.downloads = _PerMinute(
            opts.creator_download_limit, opts.creator_org_download_limit, opts.creator_download_window
        )
        self.style = STATUS_STYLES[opts.creator_status_style]

    def routes(self) -> list[Route]:
        """Create / status / download rows for both URL families."""
        rows = []
        for base in FAMILY_BASES:
            rows += [
                Route.make("POST", base, self.create, method_error),
                Route.make("GET", base + r"/(?P<job_id>[^/]+)", self.status, method_error),
                Route.make("GET", base + r"/(?P<job_id>[^/]+)/result/?", self.download, method_error),
            ]
        return rows

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _path(request: Request) -> str:
        params = request.params
        return f"{params['owner']}/{params['app']}/{params['report']}"

    def _job(self, request: Request) -> CreatorJob:
        job = self.jobs.get(request.params["job_id"], self._path(request))
        if job is None:
            raise invalid_url()
        return job

    @staticmethod
    def _download_url(request: Request, job: CreatorJob) -> str:
        """Relative result URL in the family and version of ``request``."""
        ver = request.params["ver"]
        owner, app, report = job.path.split("/")
        tail = f"{owner}/{app}/report/{report}/read/{job.id}/result"
        if request.path.startswith("/creator/"):
            return f"/creator/{ver}/bulk/{tail}"
        return f"/api/bulk/{ver}/{tail}" + ("/" if ver == "v2.1" else "")

    # ------------------------------------------------------------ create
    def create(self, request: Request) -> Response:
        """POST …/read: validate, freeze the batch, answer "In-progress"."""
        token = self.gate.enter(request, CREATE_SCOPE)
        app, report = self.gate.report(request)
        self.creates.acquire(token.refresh_token)
        query = _query(request.body)
        path = self._path(request)
        if "record_cursor" in query:
            plan = self._continuation(query, path)
        else:
            plan = self._fresh(app, report, query)
        job = self._execute(app, report, path, plan)
        details = {
            "created_time": job.created_time,
            "id": job.id,
            "operation": "read",
            "created_by": job.created_by,
            "status": self.style[IN_PROGRESS],
        }
        return Response.json(200, {"code": SUCCESS, "details": details}, content_type=CREATOR_CONTENT_TYPE)

    def _fresh(self, app: CreatorApp, report: CreatorReport, query: dict[str, Any]) -> _Plan:
        for key in query:
            if key not in QUERY_KEYS:
                raise bad_body(f"The key '{key}' is not supported in query.")
        max_records = query.get("max_records", MAX_RECORDS_DEFAULT)
        valid = isinstance(max_records, int) and not isinstance(max_records, bool)
        if not (
            valid
            and MAX_RECORDS_MIN <= max_records <= MAX_RECORDS_MAX
            and max_records % MAX_RECORDS_STEP == 0
        ):
            raise bad_body(
                "max_records must be an integer from 100000 to 200000 in multiples of 1000"
                f" (got {json.dumps(max_records)})."
            )
        columns = _columns(report, query.get("fields"))
        criteria = query.get("criteria")
        node = None
        if criteria is not None:
            if not isinstance(criteria, str):
                raise bad_body("criteria must be a string such as Number==1.")
            try:
                node = creatorcriteria.parse(
                    criteria,
                    lambda name: app.resolve_shown(report, name),
                    app.spec.date_format,
                    app.tz,
                )
            except creatorcriteria.CriteriaError as error:
                raise bad_body(str(error)) from None
        return _Plan(columns, node, max_records, None)

    def _continuation(self, query: dict[str, Any], path: str) -> _Plan:
        others = [key for key in query if key != "record_cursor"]
        if others:
            raise bad_body(
                "When record_cursor is given it must be the only key in query"
                f" (also found: {', '.join(others)})."
            )
        value = query["record_cursor"]
        cursor, expired = self.cursors.lookup(value) if isinstance(value, str) else (None, False)
        if cursor is None:
            raise bad_body("The given record_cursor is invalid.")
        if cursor.path != path:
            raise bad_body("The given record_cursor belongs to another report.")
        if expired:
            minutes = self.cursors.ttl / 60
            raise bad_body(
                f"The given record_cursor has expired (valid for {minutes:g} minutes); start a new export."
            )
        return _Plan(cursor.columns, cursor.criteria, cursor.max_records, cursor.last_id)

    def _execute(self, app: CreatorApp, report: CreatorReport, path: str, plan: _Plan) -> CreatorJob:
        """Freeze the next batch of matching records (by ascending ID) into a job."""
        ctx, opts = self.ctx, self.ctx.options
        form = report.form
        batch = min(plan.max_records, opts.creator_batch_size)
        date_format, separator = app.spec.date_format, opts.creator_multiselect_separator
        with ctx.dataset.locked():
            matching = [
                record
                for record in app.forms[form].records
                if (plan.after_id is None or int(record["ID"]) > plan.after_id)
                and (
                    plan.criteria is None
                    or creatorcriteria.evaluate(
                        plan.criteria, lambda column, r=record: app.value(form, r, column), app.tz
                    )
                )
            ]
            matching.sort(key=lambda record: int(record["ID"]))
            selected = matching[:batch]
            rows = [
                [cell(app.value(form, record, c), date_format, app.tz, separator) for c in plan.columns]
                for record in selected
            ]
        job_id = self.jobs.new_id()
        if opts.shuffle_rows:
            random.Random(int(job_id)).shuffle(rows)
        fail = ctx.faults.take_job_failure()
        cursor = None
        if len(matching) > batch and not fail:
            cursor = self.cursors.issue(
                RecordCursor(
                    path=path,
                    columns=plan.columns,
                    criteria=plan.criteria,
                    max_records=plan.max_records,
                    last_id=int(selected[-1]["ID"]),
                )
            )
        progress = Progress(opts.job_duration, opts.min_polls, stalled=ctx.faults.take_job_stall())
        job = CreatorJob(
            id=job_id,
            path=path,
            progress=progress,
            created_time=format_pattern(app.now(), STAMP_PATTERN),
            created_by=app.owner,
            fail=fail,
            header=list(plan.columns),
            rows=rows,
            cursor=cursor,
            expires_at=progress.created_at + opts.creator_result_ttl,
        )
        self.jobs.add(job)
        ctx.ledger.track(job_id, "creator", path, progress, more_records=cursor is not None, failed=fail)
        return job

    # ------------------------------------------------------------ status
    def status(self, request: Request) -> Response:
        """GET …/read/{job_id}: count a poll and describe the job (the first answer saying
        Completed first runs an armed ``faults.on_completed`` action)."""
        self.gate.enter(request, READ_SCOPE)
        self.gate.report(request)
        job = self._job(request)
        state = job.state(time.monotonic(), poll=True)
        if state == COMPLETED and job.progress.first_report():
            action = self.ctx.faults.take_on_completed("creator", job.path)
            if action is not None:
                action(self.ctx.dataset)
        details: dict[str, Any] = {}
        if state == COMPLETED:
            result: dict[str, Any] = {"count": job.count}
            if job.count or self.ctx.options.empty_result_file:
                result["download_url"] = self._download_url(request, job)
            if request.params["ver"] == "v2.1" and job.cursor:
                result["record_cursor"] = job.cursor
            details["result"] = result
        details.update(
            created_time=job.created_time,
            id=job.id,
            operation="read",
            created_by=job.created_by,
            status=self.style[state],
        )
        return Response.json(200, {"code": SUCCESS, "details": details}, content_type=CREATOR_CONTENT_TYPE)

    # ------------------------------------------------------------ download
    def download(self, request: Request) -> Response:
        """GET …/read/{job_id}/result: the ZIP, plus ``recordCursor`` when more batches remain."""
        token = self.gate.enter(request, READ_SCOPE)
        app, report = self.gate.report(request)
        self.downloads.acquire(token.refresh_token)
        job = self._job(request)
        if job.state(time.monotonic()) != COMPLETED:
            raise generic_failure()
        if self.ctx.faults.take_result_expiry():
            job.progress.drop()
            raise invalid_url()  # what an unknown or expired job answers (see _job)
        broken = self.ctx.faults.take_broken_result("creator", job.path)
        if broken is None:
            payload = self._zip(app, report, job)
        else:
            header, rows = self._table(app, report, job)
            member = f"{report.link_name}_{job.id}.csv"
            payload = damaged_file(broken.kind, header, rows, member, self._render(app), broken.bomb_size)
        headers = [
            ("Content-Type", "application/zip"),
            ("Content-Disposition", f'attachment; filename="{job.id}.zip"'),
        ]
        if job.cursor:
            headers.append(("recordCursor", job.cursor))
        truncate = len(payload) // 2 if self.ctx.faults.take_truncation() else None
        job.progress.downloaded()
        return Response(200, payload, headers, truncate_at=truncate)

    def _table(self, app: CreatorApp, report: CreatorReport, job: CreatorJob) -> tuple[list[str], Rows]:
        """Header and rows as the file shows them (display names, ``invalid_numbers`` applied)."""
        opts = self.ctx.options
        header = job.header
        rows: Rows = job.rows
        if opts.invalid_numbers:
            spoiled = spoiled_columns(opts.invalid_numbers, "creator", job.path, header)
            rows = spoil_cells(rows, spoiled) if spoiled else rows
        if opts.creator_csv_header == "display_name":
            header = [_display_name(app, report, column) for column in header]
        return header, rows

    def _render(self, app: CreatorApp) -> Callable[[Any, Any], bytes]:
        opts = self.ctx.options

        def render(header: Any, rows: Any) -> bytes:
            terminator = opts.csv_line_terminator
            return render_csv(header, rows, tz=app.tz, line_terminator=terminator, bom=opts.csv_bom)

        return render

    def _zip(self, app: CreatorApp, report: CreatorReport, job: CreatorJob) -> bytes:
        with job.lock:
            if job.zip_cache is None:
                data = self._render(app)(*self._table(app, report, job))
                job.zip_cache = zip_single(f"{report.link_name}_{job.id}.csv", data)
            return job.zip_cache


SYSTEM_DISPLAY_NAMES = {
    "Added_Time": "Added Time", "Modified_Time": "Modified Time", "Added_User": "Added User",
}


def _display_name(app: CreatorApp, report: CreatorReport, column: str) -> str:
    """A column as Creator's own report export labels it (field display names); lookup display
    columns such as ``Client.Nom`` and ``ID`` keep their names."""
    field = app.forms[report.form].spec.field(column)
    return field.display_name if field else SYSTEM_DISPLAY_NAMES.get(column, column)


def _query(raw: bytes) -> dict[str, Any]:
    """The ``query`` object of a create body; anything unusable is 3020."""
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("query"), dict):
        raise bad_body()
    for key in body:
        if key != "query":
            raise bad_body(f"The key '{key}' is not supported; the body holds only 'query'.")
    return body["query"]


def _columns(report: CreatorReport, fields: Any) -> tuple[str, ...]:
    """Requested columns in request order (all report columns when omitted), ID first when the
    report shows it (a report that does not show ID writes no ID column)."""
    if fields is None or fields == []:
        names: list[str] = list(report.columns)
    elif isinstance(fields, list) and all(isinstance(name, str) for name in fields):
        for name in fields:
            if name not in report.columns:
                raise bad_body(f"No field named '{name}' found in the report {report.link_name}.")
        names = list(dict.fromkeys(fields))
    else:
        raise bad_body("fields must be an array of field link names.")
    if "ID" not in report.columns:
        return tuple(names)
    return ("ID", *(name for name in names if name != "ID"))
