"""What every CRM / Bigin REST call on one module checks first: the token, the module, its scope."""

from __future__ import annotations

from typing import Any

from zoho_emulator.accounts.api_tokens import authenticate, module_scopes, require_any
from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.routing import Request
from zoho_emulator.crm.replies import CrmErrorReply
from zoho_emulator.crm.versions import ProductSpec


def readable_module(ctx: EmulatorContext, product: ProductSpec, request: Request) -> tuple[Any, str]:
    """(access token, module) of a request on `.../{module}/...`: 401 without a valid token,
    INVALID_MODULE for a module the API does not offer, a scope error without its READ scope."""
    token = authenticate(request, ctx.tokens)
    module = request.params["module"]
    dataset, key = ctx.dataset, product.key
    if not dataset.has_module(key, module) or not dataset.module_spec(key, module).api_supported:
        raise CrmErrorReply("INVALID_MODULE", {"resource_path_index": 0})
    require_any(token, module_scopes(product.scope_prefix, dataset.module_spec(key, module).scope_names))
    return token, module
