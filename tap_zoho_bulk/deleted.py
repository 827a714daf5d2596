"""Deleted records: a companion stream `<stream>_deleted` per CRM / Bigin module (`include_deleted`).

A bulk export only shows the records that exist, so a record deleted in Zoho would stay in every
downstream table. Zoho's deleted-records API lists each deletion (recycle bin and permanent) with
its time; these streams emit them incrementally, one window per run like the bulk streams: from the
bookmark (or start_date) to Zoho's time less `window_lag`, the bookmark then set to the window's
end, so each deletion is emitted once, by the run whose window holds its `deleted_time`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_zoho_bulk.errors import ApiError, DataError, Kind
from tap_zoho_bulk.model import StreamDefinition
from tap_zoho_bulk.products.crm import CrmProduct
from tap_zoho_bulk.reporting import PageMeter, StreamReport
from tap_zoho_bulk.schema import format_instant
from tap_zoho_bulk.streams import starting_instant
from tap_zoho_bulk.usage import CreditFloorReached

LOGGER = logging.getLogger("tap-zoho-bulk")

SUFFIX = "_deleted"
TABLE_SUFFIX = "/deleted"  # the catalog's table_name of a deleted-records stream: "<Module>/deleted"
REPLICATION_KEY = "deleted_time"
_USER = {"type": ["object", "null"], "properties": {"id": {"type": ["string", "null"]},
                                                    "name": {"type": ["string", "null"]}}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "display_name": {"type": ["string", "null"]},
        "type": {"type": ["string", "null"]},  # recycle (in the recycle bin) or permanent
        "deleted_time": {"type": "string", "format": "date-time"},
        "deleted_by": _USER,
        "created_by": _USER,
    },
}


def deleted_definition(module_stream: StreamDefinition) -> StreamDefinition:
    """The deleted-records companion of a CRM / Bigin module stream."""
    return catalogued_definition(module_stream.name + SUFFIX, module_stream.product,
                                 module_stream.target + TABLE_SUFFIX)


def catalogued_definition(name: str, product: str, table: str) -> StreamDefinition:
    """A deleted-records stream as a catalog names it (its table: `<Module>/deleted`)."""
    return StreamDefinition(name=name, product=product, target=table, schema=SCHEMA, primary_key="id",
                            replication_key=REPLICATION_KEY, deleted=True)


class DeletedRecordsStream(Stream):
    """The deletions of one CRM / Bigin module (primary key `id`, replication key deleted_time)."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # records are built typed below
    is_sorted = False

    def __init__(
        self,
        tap: Tap,
        definition: StreamDefinition,
        product: CrmProduct,
        *,
        sync_end: Callable[[], dt.datetime],
        start_date: dt.datetime | None = None,
        on_started: Callable[[StreamReport], None] = lambda _report: None,
        on_synced: Callable[[StreamReport], None] = lambda _report: None,
    ) -> None:
        self.definition = definition
        self.product = product
        self.module = definition.target.removesuffix(TABLE_SUFFIX)
        self.start_date = start_date
        self._sync_end = sync_end
        self._on_started, self._on_synced = on_started, on_synced
        super().__init__(tap, schema=definition.schema, name=definition.name)
        self.primary_keys = ["id"]
        self.replication_key = REPLICATION_KEY

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Mapping[str, Any] | None = None
    ) -> None:
        """Nothing per record: the bookmark is the window's end, set once the window is read."""

    @override
    def get_records(self, context: Mapping[str, Any] | None) -> Iterable[dict[str, Any]]:
        state = self.get_context_state(None)
        start, end = starting_instant(state, REPLICATION_KEY, self.start_date), self._sync_end()
        meter = PageMeter(self.name)  # the API's pages of 200 and their records; no bulk jobs
        self._on_started(meter.report)
        stopped = False
        if start is not None and start >= end:
            LOGGER.info("%s: the bookmark is at Zoho's current time; nothing to read", self.name)
        else:
            try:
                for record in self._window(state, start, end, meter.page_read):
                    meter.report.records += 1
                    yield record
            except CreditFloorReached:  # the bookmark stays: the next run lists these again
                LOGGER.info("%s: stopped at min_api_credits_left; the bookmark stays where it was",
                            self.name)
                stopped = True
        self._on_synced(meter.done(stopped=stopped))

    def _window(
        self, state: dict[str, Any], start: dt.datetime | None, end: dt.datetime,
        on_page: Callable[[], None],
    ) -> Iterator[dict[str, Any]]:
        """The deletions of [start, end), then the bookmark at `end` (left as it was when Zoho
        lists no deleted records for the module)."""
        # Asked from a second earlier whatever Zoho's bound (> or >=); the window decides exactly.
        since = start - dt.timedelta(seconds=1) if start is not None else None
        emitted = 0
        try:
            listed = (deletion_record(self.name, entry)
                      for entry in self.product.deleted_records(self.module, since, on_page))
            for record in in_window(listed, start, end):
                emitted += 1
                yield record
        except ApiError as error:
            if error.kind not in (Kind.UNSUPPORTED, Kind.NOT_FOUND):
                raise
            LOGGER.warning("%s: Zoho lists no deleted records for module %s (%s); the bookmark "
                           "stays where it was", self.name, self.module, error)
            return
        state["replication_key"] = REPLICATION_KEY
        state["replication_key_value"] = format_instant(end)
        self.finalize_state_progress_markers(state)
        LOGGER.info("%s: %d deletions up to %s", self.name, emitted, format_instant(end))


def deletion_record(stream: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """A deletion as the schema says: deleted_time in UTC like every date-time of the tap."""
    record_id, deleted = entry.get("id"), entry.get(REPLICATION_KEY)
    try:
        when = dt.datetime.fromisoformat(str(deleted).replace("Z", "+00:00"))
    except ValueError:
        when = None
    if record_id in (None, "") or when is None or when.tzinfo is None:
        raise DataError(f"{stream}: Zoho listed a deletion without a valid id and deleted_time "
                        f"(id {record_id!r}, deleted_time {deleted!r})")
    return {
        "id": str(record_id),
        "display_name": _text(entry.get("display_name")),
        "type": _text(entry.get("type")),
        "deleted_time": format_instant(when),
        "deleted_by": _user(entry.get("deleted_by")),
        "created_by": _user(entry.get("created_by", entry.get("Created_By"))),  # old APIs: Created_By
    }


def in_window(
    records: Iterable[dict[str, Any]], start: dt.datetime | None, end: dt.datetime
) -> Iterator[dict[str, Any]]:
    """The deletions of [start, end), each id once: a deletion made while the pages are read
    shifts them (newest first), so a record may be listed twice."""
    seen: set[str] = set()
    low, high = format_instant(start) if start is not None else "", format_instant(end)
    for record in records:
        instant = record[REPLICATION_KEY]  # format_instant's fixed-width UTC: text order is time order
        if record["id"] in seen or not low <= instant < high:
            continue
        seen.add(record["id"])
        yield record


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _user(value: Any) -> dict[str, str | None] | None:
    if not isinstance(value, Mapping):
        return None
    return {"id": _text(value.get("id")), "name": _text(value.get("name"))}
