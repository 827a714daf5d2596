"""BulkReadStream: one Singer stream per CRM/Bigin module or Creator report.

Knows Singer (schema, selection, state) and asks the export engine for its pages. Per sync it
reads the window [bookmark or start_date, Zoho's time less window_lag), after finishing a window an
earlier run was interrupted in. After every page it writes STATE: the checkpoint a rerun continues
from (window, part, job id, page / page token / record cursor of the next page not yet emitted);
the bookmark moves to a window's end only once every page of it has been emitted, because rows
arrive unsorted and nothing earlier is safe.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import sys
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_zoho_bulk.engine import ExportEngine, Page, StreamExport
from tap_zoho_bulk.errors import DataError, ZohoError
from tap_zoho_bulk.export import ExportFormatError, open_export
from tap_zoho_bulk.model import Checkpoint, StreamDefinition, Window
from tap_zoho_bulk.products.base import BulkProduct
from tap_zoho_bulk.schema import InvalidValue, RowConverter, format_instant, json_type
from tap_zoho_bulk.settings import StreamOptions

if TYPE_CHECKING:
    from singer_sdk import Tap

LOGGER = logging.getLogger("tap-zoho-bulk")
EXPORT_STATE_KEY = "export"  # the checkpoint's key in the stream's state
UNREADABLE = (ExportFormatError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError, csv.Error)


class BulkReadStream(Stream):
    """A Zoho module or report exported through bulk read jobs."""

    # get_records yields values already typed as the schema says (see schema.RowConverter), so the
    # SDK's per-record conformance pass is skipped: it is most of the SDK's per-record cost.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    is_sorted = False
    STATE_MSG_FREQUENCY = 100_000

    def __init__(
        self,
        tap: Tap,
        definition: StreamDefinition,
        product: BulkProduct,
        options: StreamOptions,
        engine: Callable[[], ExportEngine],
        sync_end: Callable[[], dt.datetime],
        start_date: dt.datetime | None = None,
        null_invalid: bool = False,
        on_synced: Callable[[str], None] = lambda _name: None,
    ) -> None:
        self.definition = definition
        self.null_invalid = null_invalid
        self.nulled: Counter[str] = Counter()  # invalid values made null, per field
        self.start_date = start_date
        self.product = product
        self.options = options
        self._engine = engine
        self._sync_end = sync_end
        self._on_synced = on_synced
        self._renames: dict[str, str] = {}  # export column → record key, learnt from the metadata
        self._ahead: dt.datetime | None = None  # a start (start_date) past the window end
        super().__init__(tap, schema=definition.schema, name=definition.name)
        self.logger.addFilter(_one_line_per_failure)
        self.primary_keys = [definition.primary_key]
        self.replication_key = definition.replication_key

    # Replication-key values and bookmarks are UTC instants in one fixed format (schema.format_
    # instant), so the SDK's string comparison of bookmarks is a comparison of instants.
    @override
    def get_replication_key_signpost(self, context: Mapping[str, Any] | None = None) -> None:
        return None  # the bookmark is set explicitly to the window end when the stream completes

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Mapping[str, Any] | None = None
    ) -> None:
        """Nothing per record: the state moves per page (checkpoint) and per window (bookmark)."""

    def selected_fields(self) -> list[str]:
        """Selected properties, in schema order (the job's `fields` and the record keys)."""
        return [name for name in self.schema["properties"] if self.mask[("properties", name)]]

    def export_plan(self) -> StreamExport:
        """What this stream asks the engine for: its windows, from a checkpoint if resumed."""
        fields = [name for name in self.selected_fields() if name != self.definition.primary_key]
        state = self.get_context_state(None)
        checkpoint = Checkpoint.from_state(state.get(EXPORT_STATE_KEY))
        if not self.replication_key:
            if checkpoint is not None and checkpoint.window_end is not None:
                checkpoint = None  # written while the stream was incremental
            return StreamExport(self.definition, self.product, fields, self.options, [None], checkpoint)
        start = self._starting_instant(state)
        end = self._sync_end()
        windows: list[Window | None] = []
        if checkpoint is not None:
            if checkpoint.window_end is None or checkpoint.key != self.replication_key:
                checkpoint = None  # written for another replication key: start afresh
            else:
                windows.append(Window(self.replication_key, checkpoint.window_start, checkpoint.window_end))
                LOGGER.info("%s: resuming the export interrupted at %s", self.name,
                            format_instant(checkpoint.part_start) if checkpoint.part_start else "its start")
                start = checkpoint.window_end
        if start is None or start < end:
            windows.append(Window(self.replication_key, start, end))
        elif not windows:
            LOGGER.info("%s: the bookmark is at Zoho's current time; nothing to read", self.name)
            self._ahead = start
        return StreamExport(self.definition, self.product, fields, self.options, windows, checkpoint)

    def _starting_instant(self, state: Mapping[str, Any]) -> dt.datetime | None:
        """The bookmark, or start_date when it is later (or there is none).

        Read from the state itself: the engine plans every stream before their syncs begin, and
        the SDK's `get_starting_timestamp` knows a stream's start only once its own sync began.
        """
        bookmark = None
        value = state.get("replication_key_value")
        if value and state.get("replication_key") == self.replication_key:
            bookmark = dt.datetime.fromisoformat(str(value))
            bookmark = bookmark if bookmark.tzinfo else bookmark.replace(tzinfo=dt.UTC)
        starts = [s for s in (bookmark, self.start_date) if s is not None]
        return max(starts) if starts else None

    @override
    def get_records(self, context: Mapping[str, Any] | None) -> Iterable[dict[str, Any]]:
        selected = self.selected_fields()  # grows when an export shows columns the schema lacks
        overrides = self.product.value_converters(self.definition)
        emitted = 0
        for page in self._engine().pages(self.name):
            if page.path is not None:
                try:
                    for record in self._records(page, selected, overrides):
                        yield record
                        emitted += 1
                except UNREADABLE as exc:
                    # Verified when downloaded, so only a file changed since gets here: one line.
                    raise DataError(f"{self.name}: the result of job {page.job_id} could not be read "
                                    f"({type(exc).__name__}); state was not advanced") from None
            finished = page.finished_window
            self._save_progress(page.checkpoint, finished.end if finished else None)
        if self._ahead is not None:
            # Nothing to read yet: the bookmark is the start (a future start_date), never earlier.
            self._save_progress(None, self._ahead)
        LOGGER.info("%s: %d records exported", self.name, emitted)
        if self.nulled:
            LOGGER.warning("%s: on_invalid_value is null: %d invalid values were loaded as null (%s)",
                           self.name, sum(self.nulled.values()),
                           ", ".join(f"{field} {count}" for field, count in sorted(self.nulled.items())))
        self._on_synced(self.name)

    def _records(
        self, page: Page, selected: list[str], overrides: Mapping[str, Any]
    ) -> Iterable[dict[str, Any]]:
        assert page.path is not None
        with open_export(page.path, primary_key=self.definition.primary_key) as (header, rows):
            if header and self.definition.primary_key not in header:
                raise DataError(
                    f"{self.name}: the export of {self.definition.target} has no "
                    f"{self.definition.primary_key} column, which identifies its records; show it in "
                    "the report (Creator: the report's columns); state was not advanced"
                )
            header = [self._renames.get(column, column) for column in header]
            unknown = [column for column in header if column not in self.schema["properties"]]
            if unknown:
                header, added = self._adopt_columns(header, unknown)
                selected.extend(added)
            convert = RowConverter(self.schema, header, selected, overrides=overrides,
                                   field_overrides=self._field_converters(selected),
                                   null_invalid=self.null_invalid, nulled=self.nulled)
            key = header.index(self.definition.primary_key) if self.definition.primary_key in header else None
            if convert.missing:
                log = LOGGER.info if self.product.partial_exports else LOGGER.warning
                log(
                    "%s: the export lacks selected columns, left out of the records: %s",
                    self.name, ", ".join(convert.missing),
                )
            for row in rows:
                if not row:
                    continue
                try:
                    yield convert(row)
                except InvalidValue as invalid:
                    record = f"record {row[key]}" if key is not None else "a record"
                    raise DataError(
                        f"{self.name}: {invalid} in {record} (job {page.job_id}); state was not "
                        "advanced. Set on_invalid_value to null to load such values as null"
                    ) from None

    def _field_converters(self, columns: list[str]) -> dict[str, Any]:
        properties = self.schema["properties"]
        return self.product.field_converters(
            self.definition, {name: properties[name] for name in columns if name in properties})

    def _save_progress(self, checkpoint: Checkpoint | None, window_end: dt.datetime | None) -> None:
        """STATE once a page has been emitted: the checkpoint of the next page, and the bookmark at
        the end of the window the page completes, if it does (never moved back)."""
        state = self.get_context_state(None)
        if window_end is not None and self.replication_key:
            bookmark, previous = format_instant(window_end), state.get("replication_key_value")
            if not (isinstance(previous, str) and previous > bookmark):
                state["replication_key"] = self.replication_key
                state["replication_key_value"] = bookmark
        if checkpoint is not None:
            state[EXPORT_STATE_KEY] = checkpoint.to_state()
        else:
            state.pop(EXPORT_STATE_KEY, None)
        self.finalize_state_progress_markers(state)

    def _adopt_columns(self, header: list[str], unknown: list[str]) -> tuple[list[str], list[str]]:
        """Columns the schema does not know are never dropped. The product names and types them
        (Creator: from the form fields, display names mapped to link names); new ones join the
        schema, announced by a SCHEMA message before the first record that carries them.
        Returns the header under record keys and the new record keys (selected)."""
        adopted = self.product.column_schemas(self.definition, unknown)
        self._renames.update({column: key for column, (key, _) in adopted.items() if key != column})
        properties = self.schema["properties"]
        added = {key: prop for key, prop in adopted.values() if key not in properties}
        described = (
            f"{column}{'' if key == column else f' → {key}'} ({prop.get('format') or json_type(prop)})"
            for column, (key, prop) in adopted.items()
        )
        LOGGER.warning(
            "%s: the export has columns the catalog does not know; %s", self.name, ", ".join(described)
        )
        if added:
            self._schema = {**self.schema, "properties": {**properties, **added}}
            # The SDK's mapper holds its own copy of the (selected) schema: register the new one
            # so SCHEMA messages and stream maps follow, then let the stream fetch its maps again.
            selected_schema = {
                **self.schema,
                "properties": {
                    name: prop for name, prop in self.schema["properties"].items()
                    if self.mask[("properties", name)]
                },
            }
            self._tap.mapper.register_raw_stream_schema(self.name, selected_schema, self.primary_keys)
            self._stream_maps = None
            self._write_schema_message()
        header = [self._renames.get(column, column) for column in header]
        return header, list(added)


def _one_line_per_failure(record: logging.LogRecord) -> bool:
    """Drop the SDK's own "An unhandled error occurred while syncing" for a failure the tap
    reports itself in one line (the SDK logs it from within the `except` that re-raises it)."""
    failure = sys.exc_info()[1]
    return not (isinstance(failure, ZohoError) and str(record.msg).startswith("An unhandled error occurred"))
