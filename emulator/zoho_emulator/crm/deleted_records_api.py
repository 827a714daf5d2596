"""CRM's and Bigin's deleted-records API: ``GET /{crm|bigin}/{version}/{module}/deleted``
(https://www.zoho.com/crm/developer/docs/api/v8/get-deleted-records.html).

It lists the deletions `Dataset.delete_records` remembered: ``type`` all / recycle / permanent,
pages of ``per_page`` (at most 200) while ``more_records``, and with ``If-Modified-Since`` only the
deletions after that instant (HTTP's meaning of the header: strictly later). Newest first. HTTP 204
with no body when nothing matches, as Zoho's other list APIs answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.routing import Request, Response, Route
from zoho_emulator.crm.replies import CrmErrorReply, bad_method
from zoho_emulator.crm.rest_modules import readable_module
from zoho_emulator.crm.versions import ProductSpec

TYPES = ("all", "recycle", "permanent")
MAX_PER_PAGE = 200


class DeletedRecordsApi:
    """The deleted-records endpoint of one CRM-family product, at every REST version it has."""

    def __init__(self, ctx: EmulatorContext, product: ProductSpec) -> None:
        self.ctx = ctx
        self.product = product

    def routes(self) -> list[Route]:
        versions = self.product.version_regex(self.product.meta_versions)
        path = rf"{self.product.url_prefix}/{versions}/(?P<module>[^/]+)/deleted"
        return [Route.make("GET", path, self.deleted, bad_method)]

    def deleted(self, request: Request) -> Response:
        _token, module = readable_module(self.ctx, self.product, request)
        dataset = self.ctx.dataset
        kind = request.query.get("type", "all")
        if kind not in TYPES:
            raise CrmErrorReply("INVALID_DATA", {"param_name": "type", "expected": list(TYPES)})
        page = _positive(request, "page", 1)
        per_page = _positive(request, "per_page", MAX_PER_PAGE)
        if per_page > MAX_PER_PAGE:
            raise CrmErrorReply("INVALID_DATA", {"param_name": "per_page", "maximum_length": MAX_PER_PAGE})
        since = _since(request.header("If-Modified-Since"))
        entries = [
            e for e in dataset.deleted(self.product.key, module)
            if (kind == "all" or e["type"] == kind) and (since is None or e["deleted_time"] > since)
        ]
        entries.sort(key=lambda e: (e["deleted_time"], e["id"]), reverse=True)
        chunk = entries[(page - 1) * per_page: page * per_page]
        if not chunk:
            return Response(204)
        return Response.json(200, {
            "data": [_listed(e) for e in chunk],
            "info": {"per_page": per_page, "count": len(chunk), "page": page,
                     "more_records": page * per_page < len(entries)},
        })


def _positive(request: Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise CrmErrorReply("INVALID_DATA", {"param_name": name})
    return int(text)


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        since = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        raise CrmErrorReply("INVALID_DATA", {"header_name": "If-Modified-Since"})
    return since


def _listed(entry: dict[str, Any]) -> dict[str, Any]:
    """One deletion in the key order of Zoho's example answer."""
    return {
        "deleted_by": entry["deleted_by"], "id": entry["id"], "display_name": entry["display_name"],
        "type": entry["type"], "created_by": entry["created_by"],
        "deleted_time": entry["deleted_time"].isoformat(timespec="seconds"),
    }
