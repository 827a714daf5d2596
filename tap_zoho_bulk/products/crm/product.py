"""Zoho CRM and Zoho Bigin: one implementation, parametrised by product and API version.

Both use the same bulk read API (`/{crm|bigin}/bulk/{version}/read`) and the same metadata APIs;
what differs between products and versions is data (`shapes.py`, `field_types.py`), not code.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from typing_extensions import override

from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.errors import ApiError, ConfigError, Kind
from tap_zoho_bulk.model import JobRequest, JobState, JobStatus, Position, StreamDefinition, Window
from tap_zoho_bulk.products.base import BulkProduct
from tap_zoho_bulk.products.crm.field_types import crm_schema
from tap_zoho_bulk.products.crm.shapes import SKIPPED_GENERATED_TYPES, Family
from tap_zoho_bulk.schema import STRING, Converter
from tap_zoho_bulk.settings import StreamOptions

LOGGER = logging.getLogger("tap-zoho-bulk")
DELETED_PAGE = 200  # the deleted-records API's largest page
DEFAULT_REPLICATION_KEY = "Created_Time"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def format_literal(value: dt.datetime) -> str:
    """Datetime literal for criteria: UTC offset, whole seconds (Zoho rejects milliseconds)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class CrmProduct(BulkProduct):
    """Bulk read and metadata for one of CRM / Bigin at one API version."""

    partial_exports = False  # the CSV has exactly the requested fields
    splits_windows = True  # every page's job evaluates the query again
    cursor_in_download = False

    def __init__(
        self,
        family: Family,
        version: str,
        client: ZohoClient,
        *,
        modules: Sequence[str],
        stream_options: Mapping[str, StreamOptions],
        base_url: Callable[[], str],
    ) -> None:
        self.family = family
        self.name = family.name
        self.label = family.label
        self.version = version
        self.shape = family.shapes[version]
        self.client = client
        self.modules = tuple(modules)
        self.stream_options = stream_options
        self._base_url = base_url
        # Zoho documents the record count API for CRM v3+ only; it is one credit per call.
        self.counts = family.counts

    @property
    @override
    def base_url(self) -> str:
        return self._base_url()

    # --- discovery ------------------------------------------------------------------------------

    @override
    def discover(self) -> list[StreamDefinition]:
        try:
            listed = self._metadata("modules", {}, "modules") or []
        except ApiError as error:
            if error.kind is not Kind.ACCESS:
                raise
            LOGGER.warning("Skipping %s (%s_modules: %s): %s", self.family.label, self.name,
                           ", ".join(self.modules), error)
            return []
        streams = []
        for module in self._wanted(listed):
            definition = self._define(module)
            if definition is not None:
                streams.append(definition)
        return streams

    @override
    def check_connection(self) -> str:
        listed = self._metadata("modules", {}, "modules") or []
        wanted = self._wanted(listed)
        if not wanted:
            raise ConfigError(f"{self.name}_modules: none of {', '.join(self.modules)} can be exported")
        return f"{len(wanted)} module(s) to export: {', '.join(wanted)}"

    def _wanted(self, listed: Sequence[Any]) -> list[str]:
        """The configured modules (or every readable one for "*") among those Zoho lists; an
        unknown name stops the run naming the setting and what the account has."""
        by_name = {str(m.get("api_name")): m for m in listed if isinstance(m, Mapping) and m.get("api_name")}
        if "*" in self.modules:
            return [name for name, meta in by_name.items() if self._readable(meta)]
        folded = {name.lower(): name for name in by_name}
        unknown = [m for m in self.modules if m not in by_name and m.lower() not in folded]
        if unknown:
            exportable = sorted(name for name, meta in by_name.items() if self._readable(meta))
            raise ConfigError(
                f"{self.name}_modules: unknown module(s) {', '.join(unknown)}; this {self.family.label} "
                "account's modules bulk read can export: "
                f"{', '.join(exportable) or 'none visible to the token'}"
            )
        wanted = []
        for requested in self.modules:
            name = requested if requested in by_name else folded[requested.lower()]
            if self._readable(by_name[name], warn=True):
                wanted.append(name)
        return list(dict.fromkeys(wanted))

    def _readable(self, meta: Mapping[str, Any], *, warn: bool = False) -> bool:
        name = meta.get("api_name")
        reason = None
        if meta.get("api_supported") is False:
            reason = "it is not available through the API"
        elif str(meta.get("generated_type", "")).lower() in SKIPPED_GENERATED_TYPES:
            reason = f"it is a {meta.get('generated_type')} module"
        elif name in self.family.unsupported_modules:
            reason = "bulk read does not support it"
        if reason and warn:
            LOGGER.warning("Skipping %s module %s: %s", self.family.label, name, reason)
        return reason is None

    def _define(self, module: str) -> StreamDefinition | None:
        name = f"{self.name}_{module.lower()}"
        try:
            fields = self._metadata("fields", {"module": module}, "fields")
        except ApiError as error:
            if error.kind in (Kind.ACCESS, Kind.UNSUPPORTED, Kind.NOT_FOUND):
                LOGGER.warning("Skipping %s module %s: %s", self.family.label, module, error)
                return None
            raise
        if not fields:
            LOGGER.warning(
                "Skipping %s module %s: Zoho returned no field metadata for it",
                self.family.label, module,
            )
            return None
        schema = crm_schema(module, fields)
        options = self.stream_options.get(name, StreamOptions())
        replication_key: str | None = options.replication_key or DEFAULT_REPLICATION_KEY
        prop = schema["properties"].get(replication_key)
        if prop is None or prop.get("format") != "date-time":
            if options.replication_key:
                raise ConfigError(
                    f"stream_options.{name}.replication_key: {replication_key!r} is not a "
                    f"datetime field of {module}"
                )
            LOGGER.warning("%s has no %s field: it will be synced in full", name, replication_key)
            replication_key = None
        return StreamDefinition(name, self.name, module, schema, "id", replication_key)

    def _metadata(self, resource: str, params: dict[str, str], key: str) -> list[Any] | None:
        """GET settings/<resource>; some Bigin accounts only answer on the v2 metadata API."""
        versions = list(dict.fromkeys((self.version, *self.family.metadata_fallback)))
        for index, version in enumerate(versions):
            url = f"{self.base_url}/{self.name}/{version}/settings/{resource}"
            try:
                _, body = self.client.request_json(
                    "GET", url, params=params or None,
                    expect=lambda answer: isinstance(answer, dict) and isinstance(answer.get(key), list),
                )
            except ApiError as error:
                if error.kind is Kind.NOT_FOUND and index + 1 < len(versions):
                    continue
                raise
            return (body or {}).get(key) if isinstance(body, dict) else None
        return None

    # --- deleted records (REST, next to bulk read) ------------------------------------------------

    def deleted_records(
        self, module: str, since: dt.datetime | None, on_page: Callable[[], None] = lambda: None,
    ) -> Iterator[dict[str, Any]]:
        """The module's deletions (recycle bin and permanent) after `since`, as Zoho lists them:
        `GET /{crm|bigin}/{version}/{module}/deleted?type=all`, pages of 200 while more_records,
        `If-Modified-Since` for `since` (whether Zoho's bound is inclusive is undocumented: the
        caller filters on deleted_time), HTTP 204 when there are none."""
        url = f"{self.base_url}/{self.name}/{self.version}/{module}/deleted"
        headers = {"If-Modified-Since": since.isoformat(timespec="seconds")} if since else {}
        page = 1
        while True:
            status, body = self.client.request_json(
                "GET", url, params={"type": "all", "page": page, "per_page": DELETED_PAGE},
                headers=headers, expect=lambda answer: isinstance(answer, dict)
                and isinstance(answer.get("data"), list),
            )
            if status == 204 or not isinstance(body, dict):
                return
            on_page()
            yield from (entry for entry in body["data"] if isinstance(entry, dict))
            info = body.get("info")
            if not (isinstance(info, dict) and info.get("more_records") is True and body["data"]):
                return
            page += 1

    # --- jobs -----------------------------------------------------------------------------------

    def _bulk_url(self) -> str:
        return f"{self.base_url}/{self.name}/bulk/{self.version}/read"

    @override
    def job_request(
        self,
        stream: StreamDefinition,
        fields: list[str],
        window: Window | None,
        options: StreamOptions,
        position: Position,
    ) -> JobRequest:
        if position.page_token:
            # A page-token request may carry nothing else:
            # https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html
            return JobRequest(self._bulk_url(), {"query": {"page_token": position.page_token}})
        module: Any = {"api_name": stream.target} if self.shape.module_object else stream.target
        query: dict[str, Any] = {"module": module}
        if fields:
            query["fields"] = fields
        criteria = self.criteria(window, options.criteria)
        if criteria is not None:
            query["criteria"] = criteria
        if options.cvid:
            query["cvid"] = options.cvid
        query["page"] = position.page
        return JobRequest(self._bulk_url(), {"query": query})

    def criteria(self, window: Window | None, user_criteria: Any) -> dict[str, Any] | None:
        """Incremental window AND the user's criteria, in this version's spelling."""
        parts: list[dict[str, Any]] = []
        if window is not None:
            if self.shape.between_window:
                last_second = window.end - dt.timedelta(seconds=1)
                bounds = [format_literal(window.start or EPOCH), format_literal(last_second)]
                parts.append(self._leaf(window.key, "between", bounds))
            else:
                if window.start is not None:
                    parts.append(
                        self._leaf(window.key, "greater_equal", format_literal(window.start))
                    )
                parts.append(self._leaf(window.key, "less_than", format_literal(window.end)))
        if user_criteria:
            parts.append(self._respell(user_criteria))
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return {"group_operator": "and", "group": parts}

    def _leaf(self, field: str, comparator: str, value: Any) -> dict[str, Any]:
        target: dict[str, Any] = (
            {"field": {"api_name": field}} if self.shape.field_leaves else {"api_name": field}
        )
        return {**target, "comparator": comparator, "value": value}

    def _respell(self, node: Any) -> Any:
        """Rewrite a user's criteria leaves into this version's form (`api_name` vs `field`)."""
        if not isinstance(node, Mapping):
            return node
        if "group" in node:
            return {**node, "group": [self._respell(child) for child in node["group"]]}
        name = node.get("api_name") or (node.get("field") or {}).get("api_name")
        if name is None:
            return dict(node)
        rest = {k: v for k, v in node.items() if k not in ("api_name", "field")}
        return {**self._leaf(name, rest.pop("comparator", "equal"), rest.pop("value", None)), **rest}

    @override
    @override
    def count_records(self, stream: StreamDefinition, window: Window) -> int | None:
        """Zoho's record count API, `GET /crm/{v3+}/{module}/actions/count?criteria=…`, for the
        window, its criteria in the search syntax of
        https://www.zoho.com/crm/developer/docs/api/v2/search-records.html. The stream's user
        criteria and custom view are left out: counting a superset only makes parts smaller."""
        if not self.counts:
            return None
        version = self.version if self.version not in ("v2", "v2.1") else "v3"
        leaves = [f"({window.key}:less_than:{format_literal(window.end)})"]
        if window.start is not None:
            leaves.insert(0, f"({window.key}:greater_equal:{format_literal(window.start)})")
        criteria = f"({'and'.join(leaves)})" if len(leaves) > 1 else leaves[0]
        url = f"{self.base_url}/{self.name}/{version}/{stream.target}/actions/count"
        try:
            _, body = self.client.request_json(
                "GET", url, params={"criteria": criteria},
                expect=lambda answer: isinstance(answer, dict) and "count" in answer,
            )
        except ApiError as error:
            if error.kind in (Kind.RETRY, Kind.REAUTH, Kind.DAILY_LIMIT):
                raise
            LOGGER.info("%s: the record count API answered %s: %s", self.family.label, error.code,
                        error.message)
            self.counts = False
            return None
        count = body.get("count") if isinstance(body, dict) else None
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            self.counts = False
            return None
        return count

    @override
    def refuses_window(self, error: ApiError, window: Window) -> bool:
        return False  # a module's fields are all there to filter on

    @override
    def is_created(self, answer: Any) -> bool:
        try:
            self.job_id(answer)
        except ApiError:
            return False
        return True

    @override
    def is_status(self, answer: Any) -> bool:
        entries = answer.get("data") if isinstance(answer, dict) else None
        return bool(entries) and isinstance(entries, list) and isinstance(entries[0], dict) \
            and bool(entries[0].get("state"))

    @override
    def job_id(self, created: Any) -> str:
        try:
            entry = created["data"][0] if isinstance(created.get("data"), list) else created
            details = entry.get("details") or entry
            return str(details["id"])
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ApiError(
                Kind.FATAL, 200, "UNEXPECTED_RESPONSE",
                "the create-job response carries no job id",
            ) from None

    @override
    def status_url(self, stream: StreamDefinition, job_id: str) -> str:
        return f"{self._bulk_url()}/{job_id}"

    @override
    def parse_status(self, payload: Any, position: Position) -> JobStatus:
        entry = payload.get("data", [payload])[0] if isinstance(payload, dict) else {}
        job_id = str(entry.get("id") or entry.get("job_id") or "")
        raw_state = str(entry.get("state") or "").strip()
        state = raw_state.upper().replace("_", " ")
        result = entry.get("result") or {}
        if state == "COMPLETED":
            per_page = result.get("per_page")
            return JobStatus(
                job_id, JobState.COMPLETED, raw_state,
                download_url=result.get("download_url"),
                count=result.get("count"),
                next_position=self._next_position(result, position),
                more_records=bool(result.get("more_records")),
                per_page=per_page if isinstance(per_page, int) and per_page > 0 else None,
            )
        if state in ("FAILURE", "FAILED"):
            failure = result.get("error_message") or {}
            error = (
                f"{failure.get('code', 'ERROR')}: {failure.get('message', '')}".strip(": ")
                if isinstance(failure, Mapping) else str(failure)
            )
            return JobStatus(job_id, JobState.FAILED, raw_state, error=error)
        return JobStatus(job_id, JobState.PENDING, raw_state)

    def _next_position(self, result: Mapping[str, Any], position: Position) -> Position | None:
        if not result.get("more_records"):
            return None
        token = result.get("next_page_token")
        if token and self.shape.page_tokens:
            return Position(page_token=str(token))
        page = result.get("page") or position.page
        return Position(page=int(page) + 1)

    @override
    def next_position(self, status: JobStatus, headers: Mapping[str, str]) -> Position | None:
        return status.next_position

    @override
    def column_schemas(
        self, stream: StreamDefinition, columns: Sequence[str]
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        # The CSV holds the requested fields; anything else is new to the metadata: a string.
        return {column: (column, dict(STRING)) for column in columns}

    @override
    def field_converters(
        self, stream: StreamDefinition, columns: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Converter]:
        return {}

    @override
    def value_converters(self, stream: StreamDefinition) -> dict[str, Any]:
        return {}

    @override
    def vectorised_converters(self, stream: StreamDefinition) -> dict[Any, Any]:
        return {}  # CRM's and Bigin's values take the generic converters (columnar.GENERIC)
