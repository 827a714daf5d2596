"""Validation of a CRM/Bigin bulk-read create request into an execution plan.

Zoho rejects malformed jobs up front with specific 400 codes; doing all checks here,
before a job exists, mirrors that and keeps the job machinery free of validation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from zoho_emulator.context import EmulatorContext
from zoho_emulator.crm import criteria
from zoho_emulator.crm.field_paths import FieldPaths
from zoho_emulator.crm.replies import CrmErrorReply
from zoho_emulator.crm.versions import VersionRules

QUERY_KEYS = {"module", "cvid", "fields", "page", "criteria", "file_type", "page_token"}
TOP_KEYS = {"query", "callback", "file_type"}


@dataclass
class Plan:
    """A validated request: what to select and how to show the query back."""

    module: str
    fields: tuple[str, ...] | None
    node: criteria.Node | None
    page: int
    after_id: int | None  # page-token continuation: records with a larger id
    echo_query: dict[str, Any]
    callback: dict[str, Any] | None


def _invalid(api_name: str, message: str | None = None, **details: Any) -> CrmErrorReply:
    return CrmErrorReply("INVALID_REQUEST", {"api_name": api_name, **details}, message=message)


def parse_body(raw: bytes) -> dict[str, Any]:
    """Decode the JSON body; Zoho refuses empty and unreadable bodies."""
    if not raw.strip():
        raise CrmErrorReply("REQUEST_BODY_IS_EMPTY")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CrmErrorReply("REQUEST_BODY_NOT_READABLE") from None
    if not isinstance(body, dict):
        raise _invalid("body", "The request body must be a JSON object.")
    return body


class PlanBuilder:
    """Builds a Plan for one product/version from a decoded body."""

    def __init__(self, ctx: EmulatorContext, product: str, rules: VersionRules) -> None:
        self.ctx = ctx
        self.product = product
        self.rules = rules

    # ----------------------------------------------------------- envelope
    def envelope(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Split the body into query and callback, checking top-level keys."""
        for key in body:
            if key not in TOP_KEYS:
                raise _invalid(key, f"The key '{key}' is not supported.")
        query = body.get("query")
        if query is None:
            raise CrmErrorReply("MANDATORY_NOT_FOUND", {"api_name": "query"})
        if not isinstance(query, dict):
            raise _invalid("query", expected_data_type="jsonobject")
        self._file_type(body.get("file_type"))
        return query, self._callback(body.get("callback"))

    @staticmethod
    def _file_type(value: Any) -> None:
        if value is None or value == "csv":
            return
        if value == "ics":
            raise CrmErrorReply(
                "NOT_SUPPORTED_FEATURE",
                {"api_name": "file_type"},
                message="ICS export is supported only for the Events module.",
            )
        raise _invalid("file_type")

    @staticmethod
    def _callback(value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _invalid("callback", expected_data_type="jsonobject")
        url = value.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise CrmErrorReply("INVALID_CALLBACK_URL", {"api_name": "url"})
        if "method" in value and value["method"] != "post":
            raise CrmErrorReply("INVALID_CALLBACK_METHOD", {"api_name": "method"})
        return value

    # ----------------------------------------------------------- module
    def module(self, query: dict[str, Any]) -> str:
        """The module API name, in the shape this version demands, and bulk-readable."""
        raw = query.get("module")
        if raw is None:
            raise CrmErrorReply("MANDATORY_NOT_FOUND", {"api_name": "module"})
        shape = self.rules.module_shape
        if isinstance(raw, str):
            if shape == "object":
                raise _invalid(
                    "module",
                    'In this API version "module" must be an object such as'
                    ' {"api_name": "Leads"}, not a string.',
                    expected_data_type="jsonobject",
                )
            name = raw
        elif isinstance(raw, dict):
            if shape == "string":
                raise _invalid(
                    "module",
                    'In this API version "module" must be the module API name as a string.',
                    expected_data_type="string",
                )
            name = self._module_from_object(raw)
        else:
            raise _invalid("module", expected_data_type="jsonobject")
        self.check_module(name)
        return name

    def _module_from_object(self, raw: dict[str, Any]) -> str:
        dataset = self.ctx.dataset
        name, module_id = raw.get("api_name"), raw.get("id")
        if name is None and isinstance(module_id, str):
            for candidate in dataset.modules(self.product):
                if dataset.module_info(self.product, candidate)["id"] == module_id:
                    return candidate
        if not isinstance(name, str):
            raise CrmErrorReply("INVALID_MODULE", {"api_name": str(name)})
        known = dataset.has_module(self.product, name)
        mismatch = known and module_id is not None
        if mismatch and dataset.module_info(self.product, name)["id"] != str(module_id):
            raise CrmErrorReply("INVALID_MODULE", {"api_name": name, "id": module_id})
        return name

    def check_module(self, name: str) -> None:
        """Unknown / not API-supported -> INVALID_MODULE; skipped kinds -> MODULE_NOT_SUPPORTED."""
        dataset = self.ctx.dataset
        if not dataset.has_module(self.product, name):
            raise CrmErrorReply("INVALID_MODULE", {"api_name": name})
        spec = dataset.module_spec(self.product, name)
        if not spec.api_supported:
            raise CrmErrorReply("INVALID_MODULE", {"api_name": name})
        if name in self.ctx.options.unsupported_modules or spec.generated_type == "linking":
            raise CrmErrorReply("MODULE_NOT_SUPPORTED", {"api_name": name})

    # ----------------------------------------------------------- query parts
    def fields(self, paths: FieldPaths, raw: Any) -> tuple[str, ...] | None:
        """Validated, de-duplicated field paths (None = all bulk-readable fields)."""
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise _invalid("fields", expected_data_type="jsonarray")
        for path in raw:
            paths.check_export(path)
        return tuple(dict.fromkeys(raw)) or None

    def page(self, raw: Any) -> int:
        """Validated page number, honouring max_page and the v7+ token-less reach."""
        opts = self.ctx.options
        if raw is None:
            return 1
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _invalid("page", expected_data_type="integer")
        limit = opts.max_page
        if self.rules.page_token:
            limit = min(limit, max(1, math.ceil(opts.page_without_token_limit / opts.page_size)))
        if raw < 1 or raw > limit:
            raise CrmErrorReply("PAGE_RANGE_EXCEEDED", {"max_limit": limit})
        return raw

    def build(self, query: dict[str, Any], callback: dict[str, Any] | None) -> Plan:
        """Plan for a fresh (non-token) request."""
        for key in query:
            if key not in QUERY_KEYS or (key == "page_token" and not self.rules.page_token):
                raise _invalid(key, f"The key '{key}' is not supported in query.")
        module = self.module(query)
        paths = FieldPaths(self.ctx.dataset, self.product, module)
        fields = self.fields(paths, query.get("fields"))
        node = None
        if query.get("criteria") is not None:
            rules = criteria.Rules(
                self.rules.field_leaves, self.rules.restricted_dates, self.ctx.options.criteria_limit
            )
            node = criteria.parse(query["criteria"], paths.ref, rules)
        if query.get("cvid") is not None:
            raise CrmErrorReply("CVID_NOT_SUPPORTED", {"api_name": "cvid", "cvid": query["cvid"]})
        self._file_type(query.get("file_type"))
        page = self.page(query.get("page"))
        echo = self.echo(module, query)
        echo["page"] = page
        return Plan(module, fields, node, page, None, echo, callback)

    # ----------------------------------------------------------- echo
    def echo(self, module: str, query: dict[str, Any]) -> dict[str, Any]:
        """The `query` object shown in job details (shape per version)."""
        info = self.ctx.dataset.module_info(self.product, module)
        echo: dict[str, Any] = {}
        if query.get("fields"):
            echo["fields"] = list(query["fields"])
        if self.rules.echo_module_object:
            echo["module"] = {"id": info["id"], "api_name": module}
        else:
            echo["module"] = module
        if query.get("criteria") is not None:
            raw = query["criteria"]
            echo["criteria"] = self._echo_criteria(module, raw) if self.rules.echo_field_ids else raw
        return echo

    def _echo_criteria(self, module: str, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        if "group" in raw:
            return {
                "group_operator": raw.get("group_operator"),
                "group": [self._echo_criteria(module, child) for child in raw["group"]],
            }
        name = raw.get("field", {}).get("api_name") if "field" in raw else raw.get("api_name")
        field: dict[str, Any] = {"api_name": name}
        meta = self.ctx.dataset.field_meta(self.product, module, str(name))
        if meta is not None:
            field["id"] = meta["id"]
        return {"comparator": raw.get("comparator"), "field": field, "value": raw.get("value")}
