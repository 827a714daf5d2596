"""The shapes of Creator's bulk read jobs: the create body, the criteria string, the status
payload, and where the next batch's record cursor comes from
(https://www.zoho.com/creator/help/api/v2.1/bulk-api/get-the-status-of-the-bulk-read-job.html)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap_zoho_bulk.errors import ApiError, Kind
from tap_zoho_bulk.model import JobState, JobStatus, Position, Window
from tap_zoho_bulk.products.creator.dates import AppFormat

MAX_RECORDS = 200_000  # the largest batch Creator allows (100,000 to 200,000 in steps of 1,000)


def create_body(criteria: str | None, position: Position) -> dict[str, Any]:
    """The create-job body of the batch at `position`.

    No `fields`: Creator refuses a field its report does not show, and no API tells which form
    fields and system columns a report shows. The whole report is exported; columns deselected in
    the catalog are dropped by the stream. A follow-up batch may carry nothing but the cursor.
    """
    if position.record_cursor:
        return {"query": {"record_cursor": position.record_cursor}}
    query: dict[str, Any] = {"max_records": MAX_RECORDS}
    if criteria:
        query["criteria"] = criteria
    return {"query": query}


def criteria(fmt: AppFormat, window: Window | None, user: str | None) -> str | None:
    """The window as a criteria string in the app's date format and zone, AND the user's criteria."""
    parts = []
    if window is not None:
        if window.start is not None:
            parts.append(f'{window.key} >= "{fmt.literal(window.start)}"')
        parts.append(f'{window.key} < "{fmt.literal(window.end)}"')
    if user:
        parts.append(f"({user})")
    return " && ".join(parts) or None


def job_id(created: Any) -> str:
    """The job id of a create-job answer (`{"code": 3000, "details": {"id": …}}`)."""
    details = created.get("details") if isinstance(created, dict) else None
    if not isinstance(details, dict) or not details.get("id"):
        raise ApiError(Kind.FATAL, 200, "UNEXPECTED_RESPONSE", "the create-job response has no job id")
    return str(details["id"])


def parse_status(payload: Any) -> JobStatus:
    """A status answer, normalised: Zoho spells states `In-progress` / `Completed` in its samples
    and `IN PROGRESS` / `COMPLETED` / `FAILED` in its prose."""
    details = (payload or {}).get("details") or {}
    raw = str(details.get("status") or "")
    state = raw.strip().upper().replace("-", " ").replace("_", " ")
    result = details.get("result") or {}
    job = str(details.get("id") or "")
    if state in ("COMPLETED", "COMPLETE"):
        cursor = result.get("record_cursor")
        return JobStatus(
            job, JobState.COMPLETED, raw,
            download_url=result.get("download_url"),
            count=result.get("count"),
            next_position=Position(record_cursor=str(cursor)) if cursor else None,
        )
    if state in ("FAILED", "FAILURE"):
        return JobStatus(job, JobState.FAILED, raw, error=str(result.get("error_message") or ""))
    return JobStatus(job, JobState.PENDING, raw)


def next_position(status: JobStatus, headers: Mapping[str, str]) -> Position | None:
    """v2.1 names the next batch's cursor in the status; both versions in the `recordCursor`
    header of the download."""
    if status.next_position is not None:
        return status.next_position
    cursor = next((v for k, v in headers.items() if k.lower() == "recordcursor" and v), None)
    return Position(record_cursor=cursor) if cursor else None
