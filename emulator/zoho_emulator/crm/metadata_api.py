"""CRM/Bigin metadata: ``/settings/modules`` and ``/settings/fields?module=X``.

Clients discover streams and column types here before exporting, so the answers
come straight from the dataset the bulk jobs read; the 204 fault reproduces Zoho
modules whose field listing is empty.
"""

from __future__ import annotations

from zoho_emulator.accounts.api_tokens import authenticate, require_any, settings_scopes
from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.routing import Request, Response, Route
from zoho_emulator.crm.replies import CrmErrorReply, bad_method
from zoho_emulator.crm.versions import ProductSpec


class MetadataApi:
    """Metadata endpoints of one CRM-family product."""

    def __init__(self, ctx: EmulatorContext, product: ProductSpec) -> None:
        self.ctx = ctx
        self.product = product

    def routes(self) -> list[Route]:
        """Route rows for modules and fields."""
        base = f"{self.product.url_prefix}/{self.product.version_regex(self.product.meta_versions)}/settings"
        return [
            Route.make("GET", base + "/modules", self.modules, bad_method),
            Route.make("GET", base + r"/modules/(?P<module>[^/]+)", self.module, bad_method),
            Route.make("GET", base + "/fields", self.fields, bad_method),
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
            raise CrmErrorReply("INVALID_MODULE", {"resource_path_index": 0})
        return Response.json(200, {"modules": [self.ctx.dataset.module_info(self.product.key, name)]})

    def fields(self, request: Request) -> Response:
        """Field metadata of ``?module=``; 204 when the fault is armed."""
        self._auth(request, "fields")
        name = request.query.get("module")
        if not name:
            raise CrmErrorReply("REQUIRED_PARAM_MISSING", {"param": "module"})
        if not self.ctx.dataset.has_module(self.product.key, name):
            raise CrmErrorReply("INVALID_MODULE", {"param": "module"})
        if self.ctx.faults.take_no_content(self.product.key, name):
            return Response(204)
        return Response.json(200, {"fields": self.ctx.dataset.fields(self.product.key, name)})
