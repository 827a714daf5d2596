"""CRM/Bigin request authentication and scope checks.

Zoho only accepts ``Authorization: Zoho-oauthtoken <token>`` and distinguishes an
unusable header (AUTHENTICATION_FAILURE) from a dead token (INVALID_TOKEN) and a
token without the right scope (OAUTH_SCOPE_MISMATCH); clients must handle each
differently (fix config / refresh / give up), so the emulator keeps them apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from zoho_emulator.accounts.oauth import AccessToken, TokenStore
from zoho_emulator.core.routing import Request
from zoho_emulator.crm.replies import CrmErrorReply

AUTH_SCHEME = "Zoho-oauthtoken"


def authenticate(request: Request, store: TokenStore) -> AccessToken:
    """Validate the Authorization header; remembers the token on the request."""
    header = request.header("Authorization")
    if not header:
        raise CrmErrorReply("AUTHENTICATION_FAILURE")
    scheme, _, value = header.partition(" ")
    if scheme != AUTH_SCHEME or not value or " " in value:
        raise CrmErrorReply("AUTHENTICATION_FAILURE")
    token = store.lookup(value)
    if token is None:
        raise CrmErrorReply("INVALID_TOKEN")
    request.token = token
    return token


def require_any(token: AccessToken, accepted: Iterable[str]) -> None:
    """Pass when the token holds at least one of ``accepted`` (case-insensitive)."""
    if not token.scopes.intersection(s.lower() for s in accepted):
        raise CrmErrorReply("OAUTH_SCOPE_MISMATCH")


def bulk_scopes(prefix: str) -> list[str]:
    """Scopes that allow bulk read for a product (``ZohoCRM`` / ``ZohoBigin``)."""
    return [f"{prefix}.bulk.READ", f"{prefix}.bulk.ALL"]


def module_scopes(prefix: str, names: Iterable[str]) -> list[str]:
    """Scopes that allow reading one module, known under any of ``names``."""
    scopes = [f"{prefix}.modules.ALL", f"{prefix}.modules.READ"]
    for name in names:
        scopes += [f"{prefix}.modules.{name}.ALL", f"{prefix}.modules.{name}.READ"]
    return scopes


def settings_scopes(prefix: str, kind: str) -> list[str]:
    """Scopes that allow a metadata API (``kind`` is ``modules`` or ``fields``)."""
    return [
        f"{prefix}.settings.ALL",
        f"{prefix}.settings.READ",
        f"{prefix}.settings.{kind}.ALL",
        f"{prefix}.settings.{kind}.READ",
    ]
