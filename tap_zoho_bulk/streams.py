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
import io
import logging
import sys
import threading
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import polars as pl
import singer_sdk.singerlib as singer
from singer_sdk import Stream
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform
from typing_extensions import override

from tap_zoho_bulk import columnar
from tap_zoho_bulk.engine import ExportEngine, Page, StreamExport
from tap_zoho_bulk.errors import ConfigError, DataError, ZohoError
from tap_zoho_bulk.export import INFLATE_ERRORS, ExportFormatError, open_blocks, open_export
from tap_zoho_bulk.model import Checkpoint, StreamDefinition, Window
from tap_zoho_bulk.output import BlockWriter, broken_pipe
from tap_zoho_bulk.products.base import BulkProduct
from tap_zoho_bulk.reporting import PageMeter, StreamReport
from tap_zoho_bulk.schema import InvalidValue, RowConverter, format_instant, json_type
from tap_zoho_bulk.settings import StreamOptions
from tap_zoho_bulk.usage import CreditFloorReached

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig

LOGGER = logging.getLogger("tap-zoho-bulk")
EXPORT_STATE_KEY = "export"  # the checkpoint's key in the stream's state
UNREADABLE: tuple[type[Exception], ...] = (
    ExportFormatError, zipfile.BadZipFile, *INFLATE_ERRORS, EOFError, UnicodeDecodeError, csv.Error)
PAGE_END = None  # what _export yields after a page's items, before that page's STATE
FILE_WRITERS = 2  # BATCH files written at once (polars and ISA-L release the GIL)


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
        on_started: Callable[[StreamReport], None] = lambda _report: None,
        on_synced: Callable[[StreamReport], None] = lambda _report: None,
    ) -> None:
        self.definition = definition
        self.null_invalid = null_invalid
        self.nulled: Counter[str] = Counter()  # invalid values made null, per field
        self.start_date = start_date
        self.product = product
        self.options = options
        self._engine = engine
        self._sync_end = sync_end
        self._on_started, self._on_synced = on_started, on_synced
        self._renames: dict[str, str] = {}  # export column → record key, learnt from the metadata
        self._ahead: dt.datetime | None = None  # a start (start_date) past the window end
        super().__init__(tap, schema=definition.schema, name=definition.name)
        self.logger.addFilter(_one_line_per_failure)
        self.primary_keys = [definition.primary_key]
        self.replication_key = definition.replication_key

    @override
    def apply_catalog(self, catalog: singer.Catalog) -> None:
        """The input catalog's choices, unless they contradict stream_options: a replication key
        set in the config must mean what it says, so a catalog naming another one stops the run."""
        super().apply_catalog(catalog)
        wanted = self.options.replication_key
        if wanted and self.replication_key != wanted:
            raise ConfigError(
                f"stream_options.{self.name}.replication_key is {wanted}, but the input catalog's "
                f"replication key is {self.replication_key or 'none'}: run --discover with this "
                "config for a catalog that agrees, or remove the option")

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
        """Read from the state itself: the engine plans every stream before their syncs begin, and
        the SDK's `get_starting_timestamp` knows a stream's start only once its own sync began."""
        return starting_instant(state, self.replication_key, self.start_date)

    @override
    def get_records(self, context: Mapping[str, Any] | None) -> Iterable[dict[str, Any]]:
        """The SDK path's records (stream maps or flattening configured, dry runs): typed a block
        at a time as the columnar path types them, then handed to the SDK one by one."""
        for block in self._export():
            if block is not PAGE_END:
                yield from block.iter_rows(named=True)

    def _export(self) -> Iterator[pl.DataFrame | None]:
        """Every page of this stream's export as typed blocks, each page followed by PAGE_END and
        then its STATE; flushed before every wait on Zoho."""
        selected = self.selected_fields()  # grows when an export shows columns the schema lacks
        overrides = self.product.value_converters(self.definition)
        meter = PageMeter(self.name)  # counts the records emitted, a page at a time
        self._on_started(meter.report)
        engine = self._engine()
        pages = engine.pages(self.name)
        floor: CreditFloorReached | None = None
        while True:
            self._flush()  # the next page may take a while: the target gets what is written
            try:
                page = next(pages, None)
            except CreditFloorReached as reached:  # the stream ends at the last page's STATE
                floor = reached
                break
            if page is None:
                break
            meter.page_begins()
            emitted = 0
            if page.path is not None:
                try:
                    for block in self._typed_blocks(page, selected, overrides):
                        yield block
                        emitted += block.height
                except UNREADABLE as exc:
                    # Verified when downloaded, so only a file changed since gets here: one line.
                    raise DataError(f"{self.name}: the result of job {page.job_id} could not be read "
                                    f"({type(exc).__name__}); state was not advanced") from None
            yield PAGE_END
            # Counted before its STATE is written: a stop comes at the end of a write (the STATE's
            # most often), and the summary of a stopped run counts what that STATE covers.
            meter.page_emitted(emitted, page.job_id if page.path is not None else None)
            finished = page.finished_window
            self._save_progress(page.checkpoint, finished.end if finished else None)
        if self._ahead is not None and floor is None:
            # Nothing to read yet: the bookmark is the start (a future start_date), never earlier.
            self._save_progress(None, self._ahead)
        LOGGER.info("%s: %d records exported%s", self.name, meter.report.records,
                    "; stopped at min_api_credits_left (the next run continues)" if floor else "")
        if self.nulled:
            LOGGER.warning("%s: on_invalid_value is null: %d invalid values were loaded as null (%s)",
                           self.name, sum(self.nulled.values()),
                           ", ".join(f"{field} {count}" for field, count in sorted(self.nulled.items())))
        report = meter.done(stopped=floor is not None)
        report.jobs, report.polls = engine.costs(self.name)
        self._on_synced(report)

    def _flush(self) -> None:
        writer = self._tap.message_writer
        if isinstance(writer, BlockWriter):  # the SDK's own writers flush every message anyway
            writer.flush()

    # --- the columnar path (no stream maps, no flattening: the usual case) ----------------------

    def columnar(self) -> bool:
        """Whether records can skip the SDK's per-record machinery: no stream map or flattening
        changes them, and no dry run counts them one by one."""
        maps = self.stream_maps
        return (
            self.ABORT_AT_RECORD_COUNT is None
            and len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and maps[0].stream_alias == self.name
            and not maps[0].flattening_enabled
        )

    @override
    def _sync_records(
        self, context: Mapping[str, Any] | None = None, *, write_messages: bool = True
    ) -> Generator[dict[str, Any], Any, Any]:
        """RECORD messages written a typed block at a time (columnar), else the SDK's loop."""
        if not (write_messages and context is None and self.columnar()):
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        writer = self._tap.message_writer
        if not isinstance(writer, BlockWriter):  # a writer given to the tap: keep the SDK's loop
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        with self.get_record_counter() as counter, self.get_sync_timer():
            self._write_starting_replication_value(None)
            for block in self._export():
                if block is PAGE_END or not block.height:
                    continue
                writer.write_block(partial(columnar.write_records, block, self.name,
                                           version=self._stream_version, time_extracted=utc_now()))
                self.state_manager.is_flushed = False
                counter.increment(block.height)
            self._finalize_state(self.get_context_state(None))
        self._write_state_message()
        yield from ()

    @override
    def get_batches(
        self, batch_config: BatchConfig, context: Mapping[str, Any] | None = None
    ) -> Iterable[tuple[BaseBatchFileEncoding, list[str]]]:
        """BATCH files written from the typed blocks (jsonl or parquet, gzip or none); a page's
        files are announced before the STATE that moves past the page."""
        encoding = batch_config.encoding
        writers = {"jsonl": (columnar.write_jsonl, ".json"), "parquet": (columnar.write_parquet, ".parquet")}
        if encoding.format not in writers:
            raise ConfigError(
                f"batch_config.encoding.format: {encoding.format!r} is not one of jsonl, parquet")
        write, suffix = writers[encoding.format]
        compress = encoding.compression == "gzip"
        if compress and encoding.format == "jsonl":
            suffix += ".gz"
        storage, size = batch_config.storage, batch_config.batch_size
        sync_id = f"{storage.prefix or ''}{self.tap_name}--{self.name}-{uuid4()}"
        pending: list[pl.DataFrame] = []
        files = rows = 0

        storing = threading.Lock()  # the SDK's storage writes in one fsspec transaction at a time

        def batch_file(blocks: list[pl.DataFrame], number: int) -> list[str]:
            filename, encoded = f"{sync_id}-{number}{suffix}", io.BytesIO()
            write(blocks, encoded, compress=compress)
            with storing, storage.open(filename, "wb") as out:
                out.write(encoded.getbuffer())
            return [storage.get_url(filename)]

        # Files are written (encoded, compressed) on two threads while the next blocks are typed;
        # each is announced once it is complete, in order, and a page's files before its STATE.
        with ThreadPoolExecutor(max_workers=FILE_WRITERS, thread_name_prefix="batch") as files_writer:
            writing: deque[Future[list[str]]] = deque()
            for block in self._export():
                if block is not PAGE_END:
                    while block.height:
                        take = min(size - rows, block.height)
                        pending.append(block.slice(0, take))
                        rows += take
                        block = block.slice(take)
                        if rows < size:
                            break
                        if len(writing) == FILE_WRITERS:
                            yield encoding, writing.popleft().result()
                        files += 1
                        writing.append(files_writer.submit(batch_file, pending[:], files))
                        pending.clear()
                        rows = 0
                    continue
                if pending:
                    files += 1
                    writing.append(files_writer.submit(batch_file, pending[:], files))
                    pending.clear()
                    rows = 0
                while writing:
                    yield encoding, writing.popleft().result()

    def _typed_blocks(
        self, page: Page, selected: list[str], overrides: Mapping[str, Any]
    ) -> Iterator[pl.DataFrame]:
        assert page.path is not None
        with open_blocks(page.path, primary_key=self.definition.primary_key) as (header, blocks):
            convert, key = self._converter(page, header, selected, overrides)
            typer = columnar.BlockTyper(convert, self.schema, len(header), key_index=key,
                                        vectorised=self.product.vectorised_converters(self.definition))
            try:
                yield from columnar.typed_frames(
                    blocks, typer, lambda done: self._records(page, selected, overrides, skip=done),
                    on_fallback=lambda done: LOGGER.info(
                        "%s: job %s's result is read row by row from record %d on",
                        self.name, page.job_id, done + 1),
                )
            except columnar.BlockInvalid as invalid:
                raise self._invalid(invalid.invalid, invalid.key, page) from None

    # --- the row path ---------------------------------------------------------------------------

    @override
    def _generate_record_messages(
        self, record: dict[str, Any]
    ) -> Generator[singer.RecordMessage, None, None]:
        """The SDK's, less the per-record passes that do nothing here: records hold only selected
        fields (the job exports only those) and are typed already (TYPE_CONFORMANCE_LEVEL)."""
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield singer.RecordMessage(stream=stream_map.stream_alias, record=mapped,
                                           version=self._stream_version, time_extracted=utc_now())

    @override
    def _write_record_message(self, record: dict[str, Any]) -> None:
        """Each mapped record encoded straight into the writer's block (no message object)."""
        writer = self._tap.message_writer
        if not isinstance(writer, BlockWriter):
            super()._write_record_message(record)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                writer.write_record(stream_map.stream_alias, mapped, self._stream_version)
        self.state_manager.is_flushed = False

    def _records(
        self, page: Page, selected: list[str], overrides: Mapping[str, Any], skip: int = 0
    ) -> Iterator[dict[str, Any]]:
        """The page's records, after its first `skip` (emitted already)."""
        assert page.path is not None
        with open_export(page.path, primary_key=self.definition.primary_key) as (header, rows):
            convert, key = self._converter(page, header, selected, overrides)
            for row in rows:
                if not row:
                    continue
                if skip:
                    skip -= 1
                    continue
                try:
                    yield convert(row)
                except InvalidValue as invalid:
                    raise self._invalid(invalid, row[key] if key is not None else None, page) from None

    def _converter(
        self, page: Page, header: list[str], selected: list[str], overrides: Mapping[str, Any]
    ) -> tuple[RowConverter, int | None]:
        """The typing plan of one result file (both paths): its columns under record keys, adopted
        columns added to the schema, the position of the key column."""
        if header and self.definition.primary_key not in header:
            raise DataError(
                f"{self.name}: the export of {self.definition.target} has no "
                f"{self.definition.primary_key} column, which identifies its records; show it in "
                "the report (Creator: the report's columns); state was not advanced"
            )
        header[:] = [self._renames.get(column, column) for column in header]
        unknown = [column for column in header if column not in self.schema["properties"]]
        if unknown:
            renamed, added = self._adopt_columns(header, unknown)
            header[:] = renamed
            selected.extend(added)
        convert = RowConverter(self.schema, header, selected, overrides=overrides,
                               field_overrides=self._field_converters(selected),
                               null_invalid=self.null_invalid, nulled=self.nulled)
        if convert.missing:
            log = LOGGER.info if self.product.partial_exports else LOGGER.warning
            log("%s: the export lacks selected columns, left out of the records: %s",
                self.name, ", ".join(convert.missing))
        key = header.index(self.definition.primary_key) if self.definition.primary_key in header else None
        return convert, key

    def _invalid(self, invalid: InvalidValue, key: str | None, page: Page) -> DataError:
        record = f"record {key}" if key is not None else "a record"
        return DataError(
            f"{self.name}: {invalid} in {record} (job {page.job_id}); state was not "
            "advanced. Set on_invalid_value to null to load such values as null"
        )

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
        # INFO: Creator's metadata cannot name these (lookup and subform columns), so discovering
        # again would not help, and the same line would be a warning on every run.
        LOGGER.info(
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


def starting_instant(
    state: Mapping[str, Any], replication_key: str | None, start_date: dt.datetime | None
) -> dt.datetime | None:
    """Where a stream's next window starts: its bookmark, or start_date when that is later (or
    there is no bookmark, or the bookmark is of another replication key)."""
    bookmark = None
    value = state.get("replication_key_value")
    if value and state.get("replication_key") == replication_key:
        bookmark = dt.datetime.fromisoformat(str(value))
        bookmark = bookmark if bookmark.tzinfo else bookmark.replace(tzinfo=dt.UTC)
    starts = [s for s in (bookmark, start_date) if s is not None]
    return max(starts) if starts else None


def _one_line_per_failure(record: logging.LogRecord) -> bool:
    """Drop the SDK's own "An unhandled error occurred while syncing" for a failure the tap
    reports itself in one line (the SDK logs it from within the `except` that re-raises it)."""
    failure = sys.exc_info()[1]
    ours = isinstance(failure, ZohoError) or (failure is not None and broken_pipe(failure))
    return not (ours and str(record.msg).startswith("An unhandled error occurred"))
