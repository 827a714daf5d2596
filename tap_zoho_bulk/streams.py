"""BulkReadStream: one Singer stream per CRM/Bigin module or Creator report.

Knows Singer (schema, selection, state) and asks its product for the next job. Per sync it reads
the window [bookmark or start_date, sync start): it runs one bulk job per page / page token /
record cursor, streams each downloaded CSV as typed records, and moves the bookmark to the window's
end only once every page has been emitted — rows arrive unsorted, so nothing earlier is safe.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_zoho_bulk.errors import ApiError, DataError, Kind
from tap_zoho_bulk.export import open_export
from tap_zoho_bulk.jobs import JobRunner
from tap_zoho_bulk.model import Position, StreamDefinition, Window
from tap_zoho_bulk.products.base import BulkProduct
from tap_zoho_bulk.schema import RowConverter, format_instant, json_type
from tap_zoho_bulk.settings import StreamOptions

if TYPE_CHECKING:
    from singer_sdk import Tap

LOGGER = logging.getLogger("tap-zoho-bulk")


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
        jobs: JobRunner,
        options: StreamOptions,
        sync_started: dt.datetime,
        on_synced: Callable[[str], None] = lambda _name: None,
    ) -> None:
        self.definition = definition
        self._on_synced = on_synced
        self.product = product
        self.jobs = jobs
        self.options = options
        self.sync_started = sync_started
        self._renames: dict[str, str] = {}  # export column → record key, learnt from the metadata
        super().__init__(tap, schema=definition.schema, name=definition.name)
        self.primary_keys = [definition.primary_key]
        self.replication_key = definition.replication_key

    # Replication-key values and bookmarks are UTC instants in one fixed format (schema.format_
    # instant), so the SDK's string comparison of bookmarks is a comparison of instants.
    @override
    def get_replication_key_signpost(self, context: Mapping[str, Any] | None = None) -> None:
        return None  # the bookmark is set explicitly to the window end when the stream completes

    def selected_fields(self) -> list[str]:
        """Selected properties, in schema order (the job's `fields` and the record keys)."""
        return [name for name in self.schema["properties"] if self.mask[("properties", name)]]

    def window(self, context: Mapping[str, Any] | None) -> Window | None:
        if not self.replication_key:
            return None
        start = self.get_starting_timestamp(context)
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=dt.UTC)
        return Window(self.replication_key, start, self.sync_started)

    @override
    def get_records(self, context: Mapping[str, Any] | None) -> Iterable[dict[str, Any]]:
        window = self.window(context)
        if window is not None and window.start is not None and window.start >= window.end:
            LOGGER.info("%s: bookmark is at the sync start; nothing to read", self.name)
            self._advance_bookmark(context, window)
            self._on_synced(self.name)
            return
        selected = self.selected_fields()
        fields = [name for name in selected if name != self.definition.primary_key]
        overrides = self.product.value_converters(self.definition)
        position: Position | None = Position()
        emitted = 0
        while position is not None:
            status = self._run_job(fields, window, position)
            if not status.download_url and status.count == 0:
                # Nothing matched: Zoho may complete such a job without a result file.
                position = self.product.next_position(status, {})
                continue
            with self.jobs.download(self.product, self.definition, status) as result, open_export(
                result.path, primary_key=self.definition.primary_key
            ) as (header, rows):
                header = [self._renames.get(column, column) for column in header]
                unknown = [column for column in header if column not in self.schema["properties"]]
                if unknown:
                    header, selected = self._adopt_columns(header, unknown, selected)
                convert = RowConverter(self.schema, header, selected, overrides=overrides)
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
                    except ValueError as exc:
                        raise DataError(f"{self.name}: {exc}; state was not advanced") from None
                    emitted += 1
            position = result.next_position
        LOGGER.info("%s: %d records exported", self.name, emitted)
        if window is not None:
            self._advance_bookmark(context, window)
        self._on_synced(self.name)

    def _run_job(self, fields: list[str], window: Window | None, position: Position) -> Any:
        """Create the job for `position` (dropping fields Zoho refuses to export) and wait for it."""
        while True:
            request = self.product.job_request(
                self.definition, fields, window, self.options, position
            )
            try:
                job_id = self.jobs.submit(self.product, request)
            except ApiError as error:
                field = (error.details or {}).get("api_name") if isinstance(
                    error.details, Mapping) else None
                if error.kind is Kind.UNSUPPORTED and field in fields:
                    LOGGER.warning(
                        "%s: Zoho cannot bulk-export field %s (%s); it is left out",
                        self.name, field, error.code,
                    )
                    fields = [name for name in fields if name != field]
                    continue
                raise
            LOGGER.info(
                "%s: bulk job %s created (%s)", self.name, job_id, _describe(position)
            )
            status = self.jobs.wait(self.product, self.definition, job_id, position)
            LOGGER.info("%s: job %s completed with %s records", self.name, job_id, status.count)
            return status

    def _adopt_columns(
        self, header: list[str], unknown: list[str], selected: list[str]
    ) -> tuple[list[str], list[str]]:
        """Columns the schema does not know are never dropped. The product names and types them
        (Creator: from the form fields, display names mapped to link names); new ones join the
        schema, announced by a SCHEMA message before the first record that carries them.
        Returns the header under record keys and the selected fields including the new ones."""
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
        return header, [*selected, *added]

    def _advance_bookmark(self, context: Mapping[str, Any] | None, window: Window) -> None:
        """Set the bookmark to the window end: every record created before it has been emitted
        (never back: a start ahead of this run's clock is kept)."""
        state = self.get_context_state(context)
        state.pop("progress_markers", None)
        state["replication_key"] = window.key
        state["replication_key_value"] = format_instant(max(window.end, window.start or window.end))


def _describe(position: Position) -> str:
    if position.page_token:
        return "next page token"
    if position.record_cursor:
        return "next record cursor"
    return f"page {position.page}"

