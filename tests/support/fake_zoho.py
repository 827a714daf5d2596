"""An in-memory stand-in for the HTTP client, answering like Zoho CRM v8's bulk read API, on an
injected clock, for unit tests of the export engine that must not race the wall clock.

Pessimistic where Zoho's documentation allows it: every page's job evaluates its query when it is
created (page N = records at offsets [(N-1)*page_size, N*page_size) ordered by id), and a page
token remembers the query and the offset, not the records.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tap_zoho_bulk.errors import ApiError, Kind

BASE = "https://fake.zohoapis.test"
UTC = dt.UTC


class FakeClock:
    """Time that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@dataclass
class FakeJob:
    id: str
    module: str
    created_at: float
    duration: float
    rows: list[dict[str, Any]]
    fields: list[str]
    page: int
    per_page: int
    more: bool
    next_token: str | None
    fail: bool = False
    stall: bool = False
    gone: bool = False
    status_calls: int = 0
    completed_seen_at: float | None = None
    downloaded_at: list[float] = field(default_factory=list)


class FakeZoho:
    """Records per module, jobs, and the client interface the engine and CrmProduct use."""

    def __init__(self, clock: FakeClock, *, page_size: int = 25, duration: float = 8.0,
                 counts: bool = True) -> None:
        self.clock = clock
        self.page_size = page_size
        self.duration: Callable[[str], float] = lambda module: duration
        self.counts = counts
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.jobs: dict[str, FakeJob] = {}
        self.log: list[tuple[float, str, str]] = []  # (time, what, job id or module)
        self.fail_jobs: set[int] = set()  # ordinal numbers (1-based) of jobs that end in FAILURE
        self.stall_jobs: set[int] = set()
        self.gone_downloads = 0  # the next n downloads find the result gone
        self.damaged_downloads = 0  # the next n downloads send a ZIP whose CSV has a row too wide
        self.on_first_completion: dict[str, Callable[[FakeZoho], None]] = {}
        self._tokens: dict[str, tuple[str, list[str], Any, int]] = {}
        self._created = 0

    # --- data ---------------------------------------------------------------------------------

    def add_module(self, module: str, count: int, *, start: dt.datetime, step: dt.timedelta) -> None:
        self.records[module] = [
            {"id": str(10**15 + n), "Created_Time": start + n * step, "Modified_Time": start + n * step,
             "Name": f"{module} {n}"}
            for n in range(count)
        ]

    def delete(self, module: str, ids: set[str]) -> None:
        self.records[module] = [r for r in self.records[module] if r["id"] not in ids]

    def touch(self, module: str, ids: set[str], when: dt.datetime) -> None:
        for record in self.records[module]:
            if record["id"] in ids:
                record["Modified_Time"] = when

    # --- the client interface -----------------------------------------------------------------

    def absolute(self, base_url: str, path: str) -> str:
        return path if path.startswith("http") else base_url.rstrip("/") + path

    def request_json(self, method: str, url: str, *, json: Any = None,
                     params: dict[str, Any] | None = None,
                     expect: Callable[[Any], bool] | None = None) -> tuple[int, Any]:
        status, body = self._answer(method, url, json, params)
        assert expect is None or expect(body), (url, body)  # the caller's shape check knows Zoho's
        return status, body

    def _answer(self, method: str, url: str, json: Any, params: dict[str, Any] | None) -> tuple[int, Any]:
        path = urlsplit(url).path
        if method == "POST" and path.endswith("/read"):
            return 201, self._create(json["query"])
        match = re.fullmatch(r"/(?:crm|bigin)/bulk/v8/read/(\d+)", path)
        if method == "GET" and match:
            return 200, self._status(match.group(1))
        match = re.fullmatch(r"/(?:crm|bigin)/v8/(\w+)/actions/count", path)
        if method == "GET" and match:
            if not self.counts:
                raise ApiError(Kind.NOT_FOUND, 404, "INVALID_URL_PATTERN", "no such URL")
            return 200, {"count": len(self._matching(match.group(1), _parse_count((params or {})["criteria"])))}
        raise AssertionError(f"unexpected call {method} {url}")

    def download(self, url: str, dest: Path, *,
                 before_retry: Callable[[], None] | None = None) -> tuple[int, dict[str, str]]:
        job = self.jobs[re.fullmatch(r".*/read/(\d+)/result", url).group(1)]
        if self.gone_downloads:
            self.gone_downloads -= 1
            job.gone = True
        if job.gone:
            raise ApiError(Kind.GONE, 404, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.")
        job.downloaded_at.append(self.clock())
        self.log.append((self.clock(), "download", job.id))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", *job.fields])
        for row in job.rows:
            writer.writerow([row["id"], *(_cell(row.get(f)) for f in job.fields)])
        if self.damaged_downloads:
            self.damaged_downloads -= 1
            writer.writerow(["1", "too", "many", "cells", "here"])
        with zipfile.ZipFile(dest, "w") as archive:
            archive.writestr(f"{job.id}.csv", buffer.getvalue())
        return dest.stat().st_size, {}

    # --- the bulk API ---------------------------------------------------------------------------

    def _create(self, query: dict[str, Any]) -> dict[str, Any]:
        if "page_token" in query:
            assert set(query) == {"page_token"}, query
            module, fields, criteria, page = self._tokens.pop(query["page_token"])
        else:
            module, fields = query["module"]["api_name"], query.get("fields", [])
            criteria, page = _parse_criteria(query.get("criteria")), query.get("page", 1)
        matching = self._matching(module, criteria)
        offset = (page - 1) * self.page_size
        rows = matching[offset:offset + self.page_size]
        more = len(matching) > offset + self.page_size
        self._created += 1
        job_id = str(5_000_000_000 + self._created)
        token = None
        if more:
            token = f"token-{job_id}"
            self._tokens[token] = (module, fields, criteria, page + 1)
        self.jobs[job_id] = FakeJob(
            job_id, module, self.clock(), self.duration(module), [dict(r) for r in rows], fields, page,
            self.page_size, more, token, fail=self._created in self.fail_jobs,
            stall=self._created in self.stall_jobs,
        )
        self.log.append((self.clock(), "create", job_id))
        return {"data": [{"status": "success", "code": "ADDED_SUCCESSFULLY",
                          "details": {"id": job_id, "state": "ADDED"}}]}

    def _status(self, job_id: str) -> dict[str, Any]:
        job = self.jobs.get(job_id)
        if job is None or job.gone:
            raise ApiError(Kind.NOT_FOUND, 404, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.")
        job.status_calls += 1
        done = not job.stall and self.clock() - job.created_at >= job.duration
        entry: dict[str, Any] = {"id": job.id, "operation": "read", "state": "IN PROGRESS"}
        if done and job.fail:
            entry.update(state="FAILURE", result={"error_message": {"code": "INTERNAL_SERVER_ERROR",
                                                                     "message": "Internal server error occurred."}})
        elif done:
            if job.completed_seen_at is None:
                job.completed_seen_at = self.clock()
                hook = self.on_first_completion.pop(job.module, None)
                if hook is not None:
                    hook(self)
            self.log.append((self.clock(), "completed", job.id))
            result = {"page": job.page, "per_page": job.per_page, "count": len(job.rows),
                      "download_url": f"/crm/bulk/v8/read/{job.id}/result", "more_records": job.more}
            if job.next_token:
                result["next_page_token"] = job.next_token
            entry.update(state="COMPLETED", result=result)
        return {"data": [entry]}

    def _matching(self, module: str, criteria: list[tuple[str, str, dt.datetime]]) -> list[dict[str, Any]]:
        def keep(record: dict[str, Any]) -> bool:
            for name, comparator, value in criteria:
                have = record[name]
                if comparator == "greater_equal" and not have >= value:
                    return False
                if comparator == "less_than" and not have < value:
                    return False
            return True

        return sorted((r for r in self.records[module] if keep(r)), key=lambda r: int(r["id"]))

    # --- measurements -----------------------------------------------------------------------------

    def created_times(self, module: str | None = None) -> list[float]:
        return [job.created_at for job in self.jobs.values() if module in (None, job.module)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat()
    return str(value)


def _parse_criteria(node: Any) -> list[tuple[str, str, dt.datetime]]:
    """The tap's window criteria: a leaf or an `and` group of leaves (v8 spelling)."""
    if node is None:
        return []
    if "group" in node:
        assert node["group_operator"] == "and", node
        return [leaf for child in node["group"] for leaf in _parse_criteria(child)]
    return [(node["field"]["api_name"], node["comparator"], dt.datetime.fromisoformat(node["value"]))]


def _parse_count(text: str) -> list[tuple[str, str, dt.datetime]]:
    """`((K:greater_equal:T)and(K:less_than:T))` or `(K:less_than:T)`."""
    leaves = re.findall(r"\((\w+):(\w+):([^()]+)\)", text)
    return [(name, comparator, dt.datetime.fromisoformat(value)) for name, comparator, value in leaves]
