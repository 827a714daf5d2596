"""CRM's record count API: ``GET /crm/{v3..v8}/{module}/actions/count``, its criteria in the
search syntax of https://www.zoho.com/crm/developer/docs/api/v2/search-records.html.

A client sizes an export (or checks it afterwards) with it, so it counts exactly the records
a bulk read job created at the same moment with the same filter would export: the live
records (deleted ones gone), filtered by the same evaluator. Bigin offers no such API, and
``count_api=False`` removes it from CRM too, so clients can be tested without it.
"""

from __future__ import annotations

from collections.abc import Callable

from zoho_emulator.accounts.api_tokens import require_any
from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.routing import Request, Response, Route
from zoho_emulator.crm import criteria, search_criteria
from zoho_emulator.crm.field_paths import FieldPaths
from zoho_emulator.crm.field_specs import Record
from zoho_emulator.crm.replies import CrmErrorReply, bad_method
from zoho_emulator.crm.rest_modules import readable_module
from zoho_emulator.crm.versions import ProductSpec

SEARCH_PARAMS = ("criteria", "email", "phone", "word")
SEARCH_SCOPES = ("ZohoSearch.securesearch.READ", "ZohoSearch.securesearch.ALL")

Matcher = Callable[[Record], bool]


class RecordCountApi:
    """The record count endpoint of one CRM-family product."""

    def __init__(self, ctx: EmulatorContext, product: ProductSpec) -> None:
        self.ctx = ctx
        self.product = product

    def routes(self) -> list[Route]:
        """The count row of the route table (GET only; other methods: INVALID_REQUEST_METHOD)."""
        versions = self.product.version_regex(self.product.count_versions)
        path = rf"{self.product.url_prefix}/{versions}/(?P<module>[^/]+)/actions/count"
        return [Route.make("GET", path, self.count, bad_method)]

    def count(self, request: Request) -> Response:
        """``{"count": N}`` of the module's records matching ``criteria`` / ``email`` / ``phone`` /
        ``word``, or of all of them (also for a ``cvid``: the emulator has no custom views)."""
        ctx, key = self.ctx, self.product.key
        token, module = readable_module(ctx, self.product, request)
        dataset = ctx.dataset
        present = [name for name in ("cvid", *SEARCH_PARAMS) if name in request.query]
        if len(present) > 1:  # cvid with a search parameter (or two search parameters)
            raise CrmErrorReply("AMBIGUITY_DURING_PROCESSING", {"params": present})
        given = [name for name in present if name != "cvid"]
        if given and ctx.options.count_search_scope:
            require_any(token, SEARCH_SCOPES)
        paths = FieldPaths(dataset, key, module)
        matches = self._matcher(paths, given[0], request.query[given[0]]) if given else None
        with dataset.locked():
            records = dataset.raw_records(key, module)
            total = len(records) if matches is None else sum(1 for record in records if matches(record))
        return Response.json(200, {"count": total})

    def _matcher(self, paths: FieldPaths, param: str, value: str) -> Matcher:
        if param == "criteria":
            node = search_criteria.parse(value, paths.ref)
            return lambda record: criteria.evaluate(node, lambda path: paths.value(record, path))
        if not value.strip():
            raise CrmErrorReply("INVALID_QUERY", {"reason": f"{param} is empty", "param": param})
        specs = self.ctx.dataset.module_spec(self.product.key, paths.module).fields
        if param == "word":
            names = [s.api_name for s in specs if criteria.CATEGORY.get(s.data_type) == "text"]
            needle = value.casefold()
            return lambda record: any(needle in _text(record.get(name)).casefold() for name in names)
        kind = "email" if param == "email" else "phone"
        names = [s.api_name for s in specs if s.data_type == kind]
        wanted = value.strip().casefold()
        return lambda record: any(_text(record.get(name)).casefold() == wanted for name in names)


def _text(value: object) -> str:
    if value is None:
        return ""
    return ";".join(map(str, value)) if isinstance(value, list) else str(value)
