"""CRM/Bigin metadata: ``/settings/modules`` and ``/settings/fields?module=X``.

Clients discover streams and column types here before exporting, so the answers
come straight from the dataset the bulk jobs read; the 204 fault reproduces Zoho
modules whose field listing is empty.
"""

from __future__ import annotations

from .apiauth import authenticate, require_any, settings_scopes
from .context import EmulatorContext
from .errors import ZohoError
from .products import ProductSpec
from .routing import Request, Response, Route


class MetadataApi:
    """Metadata endpoints of one CRM-family product."""

    def __init__(self, ctx: EmulatorContext, product: ProductSpec) -> None:
        self.ctx = ctx
        self.product = product

    def routes(self) -> list[Route]:
        """Route rows for modules and fields."""
        base = f"{self.product.url_prefix}/{self.product.version_regex(self.product.meta_versions)}/settings"
        return [
            Route.make("GET", base + "/modules", self.modules),
            Route.make("GET", base + r"/modules/(?P<module>[^/]+)", self.module),
            Route.make("GET", base + "/fields", self.fields),
        ]

    def _auth(self, request: Request, kind: str) -> None:
        token = authenticate(request, self.ctx.tokens)
        require_any(token, settings_scopes(self.product.scope_prefix, kind))

    def modules(self, request: Request) -> Response:
        """All modules of the org."""
        self._auth(request, "modules")
        dataset, key = self.ctx.dataset, self.product.key
        return Response.json(200, {"modules": dataset.module_meta(key)})

    def module(self, request: Request) -> Response:
        """One module by API name."""
        self._auth(request, "modules")
        name = request.params["module"]
        if not self.ctx.dataset.has_module(self.product.key, name):
            raise ZohoError("INVALID_MODULE", {"resource_path_index": 0})
        return Response.json(200, {"modules": [self.ctx.dataset.module_info(self.product.key, name)]})

    def fields(self, request: Request) -> Response:
        """Field metadata of ``?module=``; 204 when the fault is armed."""
        self._auth(request, "fields")
        name = request.query.get("module")
        if not name:
            raise ZohoError("REQUIRED_PARAM_MISSING", {"param": "module"})
        if not self.ctx.dataset.has_module(self.product.key, name):
            raise ZohoError("INVALID_MODULE", {"param": "module"})
        if self.ctx.faults.take_no_content(self.product.key, name):
            return Response(204)
        return Response.json(200, {"fields": self.ctx.dataset.fields(self.product.key, name)})
