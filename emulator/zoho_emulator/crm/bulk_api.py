"""CRM/Bigin bulk read endpoints: create job, job details, download result.

Routes: ``POST {prefix}/bulk/{ver}/read``, ``GET …/read/{job_id}``,
``GET …/read/{job_id}/result`` for every documented version of the product.
"""

from __future__ import annotations

import random
import time
from typing import Any

from zoho_emulator.accounts.api_tokens import authenticate, bulk_scopes, module_scopes, require_any
from zoho_emulator.accounts.oauth import AccessToken
from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.csvzip import render_csv, zip_single
from zoho_emulator.core.damage import damaged_file, spoil_cells, spoiled_columns
from zoho_emulator.core.progress import Progress
from zoho_emulator.core.routing import Request, Response, Route
from zoho_emulator.crm import criteria
from zoho_emulator.crm.bulk_jobs import COMPLETED, FAILURE, Job, PageCursor
from zoho_emulator.crm.field_paths import FieldPaths
from zoho_emulator.crm.job_plans import Plan, PlanBuilder, parse_body
from zoho_emulator.crm.replies import CrmErrorReply, bad_method
from zoho_emulator.crm.versions import ProductSpec, VersionRules

FAILURE_MESSAGE = {
    "status": "error",
    "code": "INTERNAL_SERVER_ERROR",
    "message": "Internal server error occurred.",
    "details": {},
}


class BulkReadApi:
    """Bulk read for one CRM-family product."""

    def __init__(self, ctx: EmulatorContext, product: ProductSpec) -> None:
        self.ctx = ctx
        self.product = product

    def routes(self) -> list[Route]:
        """The product's bulk read rows of the route table."""
        versions = self.product.version_regex(list(self.product.bulk_versions))
        base = f"{self.product.url_prefix}/bulk/{versions}/read"
        return [
            Route.make("POST", base, self.create, bad_method),
            Route.make("GET", base + r"/(?P<job_id>[^/]+)", self.status, bad_method),
            Route.make("GET", base + r"/(?P<job_id>[^/]+)/result", self.download, bad_method),
        ]

    # ------------------------------------------------------------ helpers
    def _rules(self, request: Request) -> VersionRules:
        return self.product.bulk_versions[request.params["ver"]]

    def _authenticate(self, request: Request) -> AccessToken:
        token = authenticate(request, self.ctx.tokens)
        require_any(token, bulk_scopes(self.product.scope_prefix))
        return token

    def _require_module_scope(self, token: AccessToken, module: str) -> None:
        spec = self.ctx.dataset.module_spec(self.product.key, module)
        require_any(token, module_scopes(self.product.scope_prefix, spec.scope_names))

    def _job(self, request: Request, token: AccessToken) -> Job:
        job_id = request.params["job_id"]
        job = self.ctx.jobs.get(self.product.key, job_id)
        if job is None:
            raise CrmErrorReply("RESOURCE_NOT_FOUND", {"resource": job_id})
        self._require_module_scope(token, job.module)
        return job

    # ------------------------------------------------------------ create
    def create(self, request: Request) -> Response:
        """POST …/read: validate, snapshot the matching records, answer ADDED."""
        token = self._authenticate(request)
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise CrmErrorReply("MEDIA_TYPE_NOT_SUPPORTED")
        rules = self._rules(request)
        builder = PlanBuilder(self.ctx, self.product.key, rules)
        query, callback = builder.envelope(parse_body(request.body))
        if "page_token" in query and rules.page_token:
            plan = self._continuation(query, callback, token)
        else:
            plan = builder.build(query, callback)
        self._require_module_scope(token, plan.module)
        job = self._execute(plan, rules, token)
        details = {
            "id": job.id,
            "operation": "read",
            "state": "ADDED",
            "created_by": job.created_by,
            "created_time": job.created_time,
        }
        body = {
            "data": [
                {
                    "status": "success",
                    "code": "ADDED_SUCCESSFULLY",
                    "message": "Added successfully.",
                    "details": details,
                }
            ],
            "info": {},
        }
        return Response.json(self.ctx.options.create_status, body)

    def _continuation(
        self, query: dict[str, Any], callback: dict[str, Any] | None, token: AccessToken
    ) -> Plan:
        extra = [key for key in query if key != "page_token"]
        if extra:
            raise CrmErrorReply(
                "INVALID_REQUEST",
                {"api_name": extra[0]},
                message="When page_token is given it must be the only key in query.",
            )
        value = query["page_token"]
        cursor, expired = self.ctx.page_tokens.lookup(value) if isinstance(value, str) else (None, False)
        if (
            cursor is None
            or expired
            or cursor.refresh_token != token.refresh_token
            or cursor.product != self.product.key
        ):
            raise CrmErrorReply(
                "INVALID_REQUEST",
                {"api_name": "page_token"},
                message="The given page_token is invalid or has expired.",
            )
        echo = dict(cursor.echo_query, page=cursor.page)
        return Plan(
            cursor.module,
            cursor.fields,
            cursor.criteria,
            cursor.page,
            cursor.after_id,
            echo,
            callback,
        )

    def _execute(self, plan: Plan, rules: VersionRules, token: AccessToken) -> Job:
        """Freeze the page of matching records into a new job."""
        ctx, product = self.ctx, self.product.key
        opts = ctx.options
        paths = FieldPaths(ctx.dataset, product, plan.module)
        columns = [c for c in (plan.fields or paths.exportable()) if c != "id"]
        size = opts.page_size
        with ctx.dataset.locked():
            matching = [
                record
                for record in ctx.dataset.raw_records(product, plan.module)
                if plan.node is None
                or criteria.evaluate(plan.node, lambda path, r=record: paths.value(r, path))
            ]
            matching.sort(key=lambda record: int(record["id"]))
            if plan.after_id is not None:
                matching = [r for r in matching if int(r["id"]) > plan.after_id]
                start = 0
            else:
                start = (plan.page - 1) * size
            selected = matching[start : start + size]
            more = len(matching) > start + size
            rows = [
                [record["id"], *(_copy(paths.value(record, column)) for column in columns)]
                for record in selected
            ]
        job_id = ctx.jobs.new_id(product)
        if opts.shuffle_rows:
            random.Random(int(job_id)).shuffle(rows)
        next_token = None
        if rules.page_token and more and selected:
            # page_token_offsets: the token stands for the query and the next page's offset, so the
            # next page is cut from the records matching when its job is created, like `page`;
            # otherwise it continues after the last id exported.
            next_token = ctx.page_tokens.issue(
                PageCursor(
                    product=product,
                    module=plan.module,
                    fields=plan.fields,
                    criteria=plan.node,
                    echo_query={k: v for k, v in plan.echo_query.items() if k != "page"},
                    page=plan.page + 1,
                    after_id=None if opts.page_token_offsets else int(selected[-1]["id"]),
                    refresh_token=token.refresh_token,
                )
            )
        user = ctx.dataset.current_user(product)
        progress = Progress(opts.job_duration, opts.min_polls, stalled=ctx.faults.take_job_stall())
        job = Job(
            id=job_id,
            product=product,
            version=rules.name,
            module=plan.module,
            echo_query=plan.echo_query,
            progress=progress,
            created_time=ctx.now_iso(progress.created_wall),
            created_by={"id": user["id"], "name": user["name"]},
            fail=ctx.faults.take_job_failure(),
            page=plan.page,
            per_page=size,
            count=len(rows),
            more_records=more,
            header=[opts.id_header, *columns],
            rows=rows,
            refresh_token=token.refresh_token,
            next_page_token=next_token,
            callback=plan.callback,
        )
        ctx.jobs.add(job)
        ctx.ledger.track(job.id, product, plan.module, progress, more_records=more, failed=job.fail)
        if plan.callback and opts.send_callbacks and not progress.stalled:
            ctx.callbacks.schedule(
                opts.job_duration, plan.callback["url"], lambda: self._callback_body(job, rules)
            )
        return job

    # ------------------------------------------------------------ status
    def details(self, job: Job, state: str) -> dict[str, Any]:
        """The job-details object for a state (result only once finished)."""
        rules = self.product.bulk_versions[job.version]
        body: dict[str, Any] = {"id": job.id, "operation": "read", "state": state}
        if state == COMPLETED:
            result: dict[str, Any] = {
                "page": job.page,
                "per_page": job.per_page,
                "count": job.count,
                "download_url": f"{self.product.url_prefix}/bulk/{job.version}/read/{job.id}/result",
                "more_records": job.more_records,
            }
            if rules.page_token and job.more_records and job.next_page_token:
                result["next_page_token"] = job.next_page_token
            if job.count == 0 and not self.ctx.options.empty_result_file:
                del result["download_url"]
            body["result"] = result
        elif state == FAILURE:
            body["result"] = {"error_message": dict(FAILURE_MESSAGE, details={})}
        body["query"] = job.echo_query
        body["created_by"] = job.created_by
        body["created_time"] = job.created_time
        if rules.echo_file_type:
            body["file_type"] = "csv"
        return body

    def _callback_body(self, job: Job, rules: VersionRules) -> dict[str, Any]:
        job.finish()
        details = self.details(job, job.state(time.monotonic()))
        if rules.callback_envelope:
            return {"data": [details]}
        flat = {"job_id": details.pop("id")}
        flat.update(details)
        return flat

    def status(self, request: Request) -> Response:
        """GET …/read/{job_id}: advance the job by one poll and describe it.

        The first answer reporting COMPLETED first runs an armed ``faults.on_completed`` action.
        """
        token = self._authenticate(request)
        job = self._job(request, token)
        state = job.state(time.monotonic(), poll=True)
        if state == COMPLETED and job.progress.first_report():
            action = self.ctx.faults.take_on_completed(self.product.key, job.module)
            if action is not None:
                action(self.ctx.dataset)
        return Response.json(200, {"data": [self.details(job, state)]})

    # ------------------------------------------------------------ download
    def download(self, request: Request) -> Response:
        """GET …/read/{job_id}/result: the ZIP, rate-limited per refresh token (a refusal locks
        the user's downloads out for ``download_window`` seconds)."""
        ctx = self.ctx
        token = self._authenticate(request)
        if not ctx.downloads.try_acquire(token.refresh_token):
            raise CrmErrorReply("TOO_MANY_REQUESTS")
        job = self._job(request, token)
        if job.state(time.monotonic()) != COMPLETED:
            raise CrmErrorReply(
                "RESOURCE_NOT_FOUND",
                {"resource": job.id},
                message="The result of the job is not available yet.",
                status=400,
            )
        if ctx.faults.take_result_expiry():
            job.progress.drop()
            raise CrmErrorReply("RESOURCE_NOT_FOUND", {"resource": job.id})
        broken = ctx.faults.take_broken_result(self.product.key, job.module)
        if broken is None:
            payload = self._zip(job)
        else:
            header, rows = self._table(job)
            payload = damaged_file(broken.kind, header, rows, f"{job.id}.csv", self._render, broken.bomb_size)
        disposition = (
            f"attachment; filename*=UTF-8''{job.id}.zip"
            if ctx.options.content_disposition == "rfc5987"
            else f'attachment; filename="{job.id}.zip"'
        )
        headers = [
            ("Content-Type", "application/x-download"),
            ("Content-Disposition", disposition),
        ]
        truncate = len(payload) // 2 if ctx.faults.take_truncation() else None
        job.progress.downloaded()
        return Response(200, payload, headers, truncate_at=truncate)

    def _table(self, job: Job) -> tuple[list[str], list[list[Any]]]:
        """Header and rows as the file shows them (``invalid_numbers`` applied)."""
        wanted = self.ctx.options.invalid_numbers
        spoiled = spoiled_columns(wanted, self.product.key, job.module, job.header) if wanted else {}
        return job.header, spoil_cells(job.rows, spoiled) if spoiled else job.rows

    def _render(self, header: Any, rows: Any) -> bytes:
        opts = self.ctx.options
        return render_csv(
            header,
            rows,
            tz=self.ctx.tz,
            separator=opts.multiselect_separator,
            line_terminator=opts.csv_line_terminator,
            bom=opts.csv_bom,
        )

    def _zip(self, job: Job) -> bytes:
        with job.lock:
            if job.zip_cache is None:
                job.zip_cache = zip_single(f"{job.id}.csv", self._render(*self._table(job)))
            return job.zip_cache


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value
