"""CRM's and Bigin's deleted-records API: ``GET /{crm|bigin}/{version}/{module}/deleted``
(https://www.zoho.com/crm/developer/docs/api/v8/get-deleted-records.html; Bigin alike).

It lists the deletions `Dataset.delete_records` remembered: ``type`` all (default) / recycle /
permanent, pages of ``per_page`` (default 200) while ``more_records``, and with
``If-Modified-Since`` (ISO 8601 with an offset or ``Z``) only the deletions after that instant.
Newest first. HTTP 204 with no body when nothing matches (or the page is past the end), as
Zoho's other list APIs answer.

Where Zoho's page is silent the emulator picks the strict reading, so a client that works here
does not lean on leniency:

- ``per_page`` above 200 is refused (400 INVALID_DATA), not clamped: the page says only "the
  default and the maximum possible value is 200" and "positive integers only", and documents no
  clamping; the same goes for ``page`` / ``per_page`` that are not positive integers.
- ``If-Modified-Since`` keeps deletions strictly after the instant (HTTP's "modified since");
  one without an offset, or not ISO 8601 at all, is refused (400 INVALID_DATA naming the header).
- Deletions of the same second are listed by id, highest (the newest record) first.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.routing import Request, Response, Route
from zoho_emulator.crm.replies import CrmErrorReply, bad_method
from zoho_emulator.crm.rest_modules import readable_module
from zoho_emulator.crm.versions import ProductSpec
from zoho_emulator.dataset import DELETION_TYPES

TYPES = ("all", *DELETION_TYPES)
MAX_PER_PAGE = 200
POSITIVE = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also takes "²"


class DeletedRecordsApi:
    """The deleted-records endpoint of one CRM-family product, at every REST version it has."""

    def __init__(self, ctx: EmulatorContext, product: ProductSpec) -> None:
        self.ctx = ctx
        self.product = product

    def routes(self) -> list[Route]:
        """GET at every REST version of the product (CRM v2…v8, Bigin v1/v2); other methods:
        INVALID_REQUEST_METHOD."""
        versions = self.product.version_regex(self.product.meta_versions)
        path = rf"{self.product.url_prefix}/{versions}/(?P<module>[^/]+)/deleted"
        return [Route.make("GET", path, self.deleted, bad_method)]

    def deleted(self, request: Request) -> Response:
        """One page of the module's deletions, newest first (see the module docstring)."""
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
            e
            for e in dataset.deleted(self.product.key, module)
            if (kind == "all" or e["type"] == kind) and (since is None or e["deleted_time"] > since)
        ]
        entries.sort(key=lambda e: (e["deleted_time"], len(e["id"]), e["id"]), reverse=True)
        chunk = entries[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Response(204)
        return Response.json(
            200,
            {
                "data": [_listed(e) for e in chunk],
                "info": {
                    "per_page": per_page,
                    "count": len(chunk),
                    "page": page,
                    "more_records": page * per_page < len(entries),
                },
            },
        )


def _positive(request: Request, name: str, default: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not POSITIVE.fullmatch(text) or int(text) < 1:
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
        "deleted_by": entry["deleted_by"],
        "id": entry["id"],
        "display_name": entry["display_name"],
        "type": entry["type"],
        "created_by": entry["created_by"],
        "deleted_time": entry["deleted_time"].isoformat(timespec="seconds"),
    }
