"""TapZohoBulk: settings, discovery and the shared HTTP machinery of one run.

Streams come from the input catalog when one is given (no metadata calls during a sync), otherwise
from Zoho's metadata APIs. The catalog records each stream's product (`database_name`) and Zoho
name (`table_name`) so a sync can be driven from the catalog alone.
"""

from __future__ import annotations

import atexit
import datetime as dt
import difflib
import time
from collections.abc import Sequence
from functools import cached_property
from types import FrameType
from typing import IO, Any

import click
import requests
from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.plugin_base import JSONSchemaValidator
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_zoho_bulk import ending, inputs
from tap_zoho_bulk.auth import ZohoAuth
from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.deleted import TABLE_SUFFIX as DELETED_TABLE
from tap_zoho_bulk.deleted import DeletedRecordsStream, catalogued_definition, deleted_definition
from tap_zoho_bulk.engine import ExportEngine, Limits
from tap_zoho_bulk.errors import ConfigError, ZohoError
from tap_zoho_bulk.model import StreamDefinition
from tap_zoho_bulk.output import BlockWriter
from tap_zoho_bulk.products.base import BulkProduct
from tap_zoho_bulk.products.creator import CreatorProduct
from tap_zoho_bulk.products.crm import FAMILIES, CrmProduct
from tap_zoho_bulk.ratelimit import SharedCalls
from tap_zoho_bulk.reporting import StreamReport, summary_lines
from tap_zoho_bulk.retry import RetryPolicy
from tap_zoho_bulk.serverclock import ServerClock
from tap_zoho_bulk.settings import (
    CONFIG_SCHEMA,
    DATA_CENTERS,
    SDK_SETTINGS,
    Settings,
    StreamOptions,
    batch_config_problems,
)
from tap_zoho_bulk.streams import BulkReadStream
from tap_zoho_bulk.tokencache import TokenCache, default_directory, user_key
from tap_zoho_bulk.usage import ApiUsage

# Bulk jobs in flight at once per product unless max_concurrent_jobs says otherwise. Zoho documents
# no limit on bulk read jobs in progress for CRM and Bigin; Creator creates 5 per user per minute.
DEFAULT_CONCURRENT_JOBS = {"crm": 10, "bigin": 10, "creator": 5}
# CRM and Bigin downloads are counted together: one Zoho user's 10 a minute (the strict reading of
# Zoho's "10 download requests per minute"; a 429 there locks every download out for a minute).
DOWNLOAD_QUOTAS = {"crm": "crm+bigin", "bigin": "crm+bigin"}


class TapZohoBulk(Tap):
    """Singer tap for Zoho CRM, Bigin and Creator through the bulk read API."""

    name = "tap-zoho-bulk"
    config_jsonschema = CONFIG_SCHEMA
    dynamic_catalog = True  # validate the config for --discover too
    # msgspec encodes the row path's messages; all output leaves in blocks (tap_zoho_bulk.output).
    message_writer_class = BlockWriter
    _summary_logged = False  # the summary table is logged once, at the end or on a stop

    # --- configuration --------------------------------------------------------------------------

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Every problem of the config in one run: the tap's settings checked by `Settings`
        (unknown names included), the SDK's (stream maps, flattening, batch) by their JSON schema.
        An SDK setting set to null is not set (the SDK would fail on it with a traceback)."""
        for name in SDK_SETTINGS & set(self._config):
            if self._config[name] is None:
                del self._config[name]
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        validator = JSONSchemaValidator(schema)  # the SDK's own, as its _validate_config uses
        problems = [
            f"{'.'.join(str(part) for part in error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(self._config)
            if error.absolute_path and error.absolute_path[0] in SDK_SETTINGS
        ] + batch_config_problems(self._config.get("batch_config"))
        try:
            self.settings = Settings.from_config(self.config)
        except ConfigError as exc:
            problems = (str(exc).split("\n  - ")[1:] or [str(exc)]) + problems
        if problems and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=problems) from None
        return problems

    @cached_property
    def _settings(self) -> Settings:
        return getattr(self, "settings", None) or Settings.from_config(self.config)

    # --- shared machinery (one session, one token, one job runner per run) ----------------------

    @cached_property
    def _session(self) -> requests.Session:
        return requests.Session()

    @cached_property
    def server_clock(self) -> ServerClock:
        """Zoho's time, learnt from the Date header of every answer (accounts and APIs)."""
        return ServerClock()

    @cached_property
    def zoho_auth(self) -> ZohoAuth:
        s = self._settings
        cache = None
        if s.token_cache:
            cache = TokenCache(default_directory(), client_id=s.client_id, client_secret=s.client_secret,
                               refresh_token=s.refresh_token, accounts_url=s.accounts_url)
        return ZohoAuth(
            accounts_url=s.accounts_url,
            client_id=s.client_id,
            client_secret=s.client_secret,
            refresh_token=s.refresh_token,
            session=self._session,
            policy=self.retry_policy,
            cache=cache,
            server_clock=self.server_clock,
        )

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """The one retry policy of every call (API, downloads, token refresh)."""
        return RetryPolicy(max_tries=self._settings.max_retries)

    @cached_property
    def zoho_client(self) -> ZohoClient:
        s = self._settings
        client = ZohoClient(
            self.zoho_auth, self._session, timeout=s.request_timeout, policy=self.retry_policy,
            server_clock=self.server_clock, usage=ApiUsage(s.min_api_credits_left),
        )
        if s.api_url:
            client.trust(s.api_url)
        client.trust(s.creator_url)
        return client

    @cached_property
    def _reports(self) -> dict[str, StreamReport]:
        """Each synced stream's part of this run, for the summary at its end."""
        return {}

    @cached_property
    def sync_end(self) -> dt.datetime:
        """End of every incremental window of this run: Zoho's time (from its Date header) less
        `window_lag`, in whole seconds, so a machine whose clock runs ahead skips nothing."""
        clock = self.server_clock
        if clock.now() is None:
            self.zoho_auth.token()  # a refresh's answer carries a Date too
        if clock.now() is None:  # the token came from the cache: ask the accounts server the time
            clock.probe(self._session, self._settings.accounts_url)
        now = clock.now()
        if now is None:
            self.logger.warning("Zoho sent no Date header: windows end at this machine's clock")
            now = dt.datetime.now(dt.UTC)
        return (now - dt.timedelta(seconds=self._settings.window_lag)).replace(microsecond=0)

    @cached_property
    def export_engine(self) -> ExportEngine:
        """The one engine of this sync: every selected stream's jobs, started on first use."""
        s = self._settings
        exports = [
            stream.export_plan() for stream in self.streams.values()
            if isinstance(stream, BulkReadStream) and stream.selected
        ]
        limits = {
            name: Limits(
                max_concurrent_jobs=s.max_concurrent_jobs or DEFAULT_CONCURRENT_JOBS[name],
                downloads_per_minute=s.downloads_per_minute,
                creates_per_minute=s.creator_jobs_per_minute if name == "creator" else None,
                download_quota=DOWNLOAD_QUOTAS.get(name),
            )
            for name in self.products
        }
        engine = ExportEngine(
            self.zoho_client, exports, limits,
            poll_interval=s.poll_interval, poll_max_interval=s.poll_max_interval,
            job_timeout=s.job_timeout, download_ahead_bytes=int(s.download_ahead_mb * 2**20),
            shared_calls=self._shared_calls if s.token_cache else None,
        )
        atexit.register(engine.close)  # temporary files go, however the run ends
        return engine.start()

    def _shared_calls(self, limit: str) -> SharedCalls:
        """Where every run on this machine with this grant counts the calls of one Zoho limit
        (Zoho counts per user): beside the token cache."""
        s = self._settings
        key = user_key(client_id=s.client_id, refresh_token=s.refresh_token, accounts_url=s.accounts_url)
        return SharedCalls(default_directory().parent / "limits" / f"{key}-{limit}.json")

    @property
    def started_engine(self) -> ExportEngine | None:
        """The export engine if this run has started it (a run may stop before it needs one)."""
        engine = self.__dict__.get("export_engine")  # the cached_property's value, once computed
        return engine if isinstance(engine, ExportEngine) else None

    def api_base_url(self) -> str:
        """CRM/Bigin API domain: `api_url`, else the token's `api_domain`, else the DC default."""
        s = self._settings
        if s.api_url:
            return s.api_url
        self.zoho_auth.token()
        base = self.zoho_auth.api_domain or DATA_CENTERS[s.data_center].api
        self.zoho_client.trust(base)
        return base

    @cached_property
    def products(self) -> dict[str, BulkProduct]:
        s = self._settings
        return {
            "crm": CrmProduct(
                FAMILIES["crm"], s.crm_api_version, self.zoho_client,
                modules=s.crm_modules, stream_options=s.stream_options,
                base_url=self.api_base_url,
            ),
            "bigin": CrmProduct(
                FAMILIES["bigin"], s.bigin_api_version, self.zoho_client,
                modules=s.bigin_modules, stream_options=s.stream_options,
                base_url=self.api_base_url,
            ),
            "creator": CreatorProduct(
                s.creator_api_version, self.zoho_client,
                reports=s.creator_reports, stream_options=s.stream_options,
                base_url=s.creator_url, time_zone=s.creator_time_zone,
                date_format=s.creator_date_format,
            ),
        }

    def _configured_products(self) -> list[BulkProduct]:
        """The products the config selects modules or reports of (in the order of `products`)."""
        s = self._settings
        selected = {"crm": s.crm_modules, "bigin": s.bigin_modules, "creator": s.creator_reports}
        return [product for name, product in self.products.items() if selected[name]]

    # --- discovery ------------------------------------------------------------------------------

    @override
    def discover_streams(self) -> Sequence[Stream]:
        definitions = self._definitions_from_catalog()
        if definitions is None:
            definitions = self._discover_definitions()
        known = sorted(d.name for d in definitions)
        for name in self._settings.stream_options:
            if name not in known:  # a warning: one config may serve plugins of other modules
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
                self.logger.warning("stream_options.%s: no such stream in this run%s; its options "
                                    "are not used", name, f" (did you mean {close[0]}?)" if close else "")
        return [self._build_stream(d) for d in definitions]

    def _discover_definitions(self) -> list[StreamDefinition]:
        s = self._settings
        definitions: list[StreamDefinition] = []
        with ending.clear_errors(self.logger):
            for product in self._configured_products():
                definitions.extend(product.discover())
            if not definitions:
                raise ConfigError(
                    "crm_modules / bigin_modules / creator_reports: none of the configured modules "
                    "and reports can be exported with this token (see the warnings above)"
                )
        if not s.include_deleted:
            return definitions
        with_deleted = []  # each module's deletions next to it (Creator has no deleted-records API)
        for definition in definitions:
            with_deleted.append(definition)
            if definition.product != "creator":
                with_deleted.append(deleted_definition(definition))
        names = [d.name for d in with_deleted]
        clashes = sorted({name for name in names if names.count(name) > 1})
        if clashes:
            raise ConfigError(f"include_deleted: the stream name(s) {', '.join(clashes)} would be both "
                              "a module's and another module's deleted records")
        return with_deleted

    def _definitions_from_catalog(self) -> list[StreamDefinition] | None:
        """Stream definitions from the input catalog, if it has what a sync needs."""
        catalog = self.input_catalog
        if not catalog:
            return None
        definitions = []
        for entry in catalog.values():
            if entry.database not in self.products or not entry.table:
                return None  # not a catalog this tap wrote: discover from Zoho instead
            if entry.table.endswith(DELETED_TABLE):
                if not self._settings.include_deleted:
                    self.logger.warning("%s: in the catalog, not synced: include_deleted is false",
                                        entry.tap_stream_id)
                    continue
                definitions.append(catalogued_definition(entry.tap_stream_id, entry.database, entry.table))
                continue
            schema = entry.schema.to_dict()
            options = self._settings.stream_options.get(entry.tap_stream_id, StreamOptions())
            replication_key = entry.replication_key or entry.metadata.root.replication_key
            if options.replication_key:
                replication_key = options.replication_key
            definitions.append(StreamDefinition(
                name=entry.tap_stream_id,
                product=entry.database,
                target=entry.table,
                schema=schema,
                primary_key=(list(entry.key_properties or []) or ["id"])[0],
                replication_key=replication_key,
            ))
        return definitions

    def _build_stream(self, definition: StreamDefinition) -> Stream:
        if definition.deleted:
            product = self.products[definition.product]
            assert isinstance(product, CrmProduct)
            return DeletedRecordsStream(
                self, definition, product, sync_end=lambda: self.sync_end,
                start_date=self._settings.start_date,
                on_started=self._stream_started, on_synced=self._stream_synced,
            )
        return BulkReadStream(
            self,
            definition,
            self.products[definition.product],
            self._settings.stream_options.get(definition.name, StreamOptions()),
            engine=lambda: self.export_engine,
            sync_end=lambda: self.sync_end,
            start_date=self._settings.start_date,
            null_invalid=self._settings.on_invalid_value == "null",
            on_started=self._stream_started, on_synced=self._stream_synced,
        )

    @property
    @override
    def catalog_dict(self) -> dict[str, Any]:
        catalog = super().catalog_dict
        for entry in catalog.get("streams", []):
            stream = self.streams.get(entry["tap_stream_id"])
            if isinstance(stream, BulkReadStream | DeletedRecordsStream):
                entry["database_name"] = stream.definition.product
                entry["table_name"] = stream.definition.target
        return catalog

    # --- running --------------------------------------------------------------------------------

    @classmethod
    @override
    def invoke(  # type: ignore[override]  # the SDK's own Tap.invoke narrows PluginBase.invoke too
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: Any = None,
        state: IO[str] | None = None,
        catalog: IO[str] | None = None,
    ) -> None:
        """The CLI's sync: a known failure ends it with one clear line and exit code 1, a
        SIGTERM / SIGINT with exit code 143 / 130; a --state or --catalog file that is not what
        it must be, with one line and exit code 2, before any request."""
        state, catalog = inputs.state_input(state), inputs.catalog_input(catalog)
        with ending.clear_errors(cls.logger):
            super().invoke(
                about=about, about_format=about_format, config=config, state=state, catalog=catalog
            )

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        """The SDK's command, its --test help saying what --test does here."""
        command = super().get_singer_command()
        for param in command.params:
            if param.name == "test" and isinstance(param, click.Option):
                param.help = ("Use --test to check the connection in seconds: one token refresh and "
                              "one metadata call per product (per Creator application), no bulk job. "
                              "Use --test=schema to test schema output without syncing records.")
        return command

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> Any:
        """Each --config file checked first: one line naming a missing or broken file, exit 2."""
        inputs.check_config_files(value)
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test` checks the connection (`check_connection`) in seconds: the SDK's syncs a record
        of every stream after discovering them all; `--test=schema` stays the SDK's."""
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        given = ctx.params.get("config")
        with ending.clear_errors(cls.logger):
            tap = cls(config=getattr(given, "config", None),
                      parse_env_config=getattr(given, "parse_env", False),
                      validate_config=True, setup_mapper=False)
            tap.check_connection()
        ctx.exit()

    def check_connection(self) -> None:
        """One token refresh and one metadata call per configured product (per application for
        Creator), no bulk job: a verdict line per product; ConnectionTestFailed if any fails."""
        s = self._settings
        try:
            self.zoho_auth.verify()
        except ZohoError as exc:
            raise ConnectionTestFailed(
                f"Connection test failed: token refresh at {s.accounts_url}: {exc}") from None
        self.logger.info("Connection test: token refresh at %s: OK", s.accounts_url)
        failed = []
        for product in self._configured_products():
            try:
                verdict = product.check_connection()
            except ZohoError as exc:
                failed.append(product.label)
                self.logger.error("Connection test: %s: FAILED: %s", product.label, exc)
            else:
                self.logger.info("Connection test: %s: OK: %s", product.label, verdict)
        if failed:
            raise ConnectionTestFailed(f"Connection test failed: {', '.join(failed)} (see above)")
        self.logger.info("Connection test passed")

    @override
    def run_discovery(self) -> str:
        with ending.clear_errors(self.logger):
            return super().run_discovery()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stop at once (the SDK would write state and exit 0, so a killed run looked finished).

        The STATE last written is that of the last page fully emitted (streams write it after
        every page), which is what a rerun must continue from; nothing more is written here.
        A block of messages being written is written whole first (`BlockWriter.interrupt`).
        """
        def stop() -> None:
            raise ending.SyncStopped(signum)

        writer = self.message_writer
        if isinstance(writer, BlockWriter):
            writer.interrupt(stop)
        else:
            stop()

    def _stream_started(self, report: StreamReport) -> None:
        """Called by each stream as its sync begins: from here on a stopped run has a summary."""
        self._reports[report.name] = report
        ending.syncing(self)

    def _stream_synced(self, report: StreamReport) -> None:
        """Called by each stream when its sync is done; after the last one, the summary table."""
        self._reports[report.name] = report
        if all(name in self._reports and self._reports[name].finished for name in self._selected):
            floors = self.zoho_client.usage.floors_reached
            self.log_summary("stopped at min_api_credits_left" if floors else None)
            for reason in floors.values():  # the last line(s): why streams stopped early
                self.logger.warning("%s", reason)
            if self.started_engine is not None:
                self.started_engine.close()

    @property
    def _selected(self) -> list[str]:
        """The selected streams' names, in sync order."""
        return [name for name, stream in self.streams.items() if stream.selected]

    def log_summary(self, stopped: str | None = None) -> None:
        """The summary table of this sync (once): when it ends, or why it `stopped` and how far
        it got."""
        if self._summary_logged or not self._reports:
            return
        self._summary_logged = True
        engine = self.started_engine
        now = time.monotonic()
        for report in self._reports.values():
            if not report.finished:
                report.seconds = now - report.began
                if engine is not None and isinstance(self.streams[report.name], BulkReadStream):
                    report.jobs, report.polls = engine.costs(report.name)
        selected = self._selected
        lines = summary_lines(
            (self._reports[name] for name in selected if name in self._reports),
            token_refreshes=self.zoho_auth.refreshes, api_calls=self.zoho_client.usage.calls,
            downloads=engine.downloads if engine is not None else 0,
            credits_left=self.zoho_client.usage.credits_left,
            seconds=now - min(report.began for report in self._reports.values()),
            stopped=stopped, not_synced=[name for name in selected if name not in self._reports],
        )
        for line in lines:
            self.logger.info("%s", line)


class ConnectionTestFailed(ZohoError):
    """`--test` found a product it cannot read (the lines before it say which and why)."""


if __name__ == "__main__":
    TapZohoBulk.cli()
