"""Zoho Accounts emulation: the refresh-token grant and the access-token store.

Zoho's token rules bite clients in production (10 refreshes per 10 minutes, at most
15 live access tokens per refresh token, errors answered with HTTP 200), so they are
modelled exactly rather than handing out tokens freely.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs

from zoho_emulator.core.routing import ErrorFactory, Request, Response, Route
from zoho_emulator.core.throttle import SlidingWindow
from zoho_emulator.options import EmulatorOptions

ACCOUNTS_CONTENT_TYPE = "application/json;charset=UTF-8"
THROTTLE_BODY = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


@dataclass
class AccessToken:
    """One issued access token."""

    value: str
    refresh_token: str
    scopes: frozenset[str]  # lower-cased scope names
    expires_at: float  # time.time() seconds
    revoked: bool = False

    def valid(self, now: float) -> bool:
        """Usable right now (not expired, evicted or revoked)."""
        return not self.revoked and now < self.expires_at


@dataclass
class RefreshGrant:
    """A refresh token known to the accounts server and the scopes it carries."""

    token: str
    scopes: tuple[str, ...]


class TokenStore:
    """Issues and validates access tokens; thread-safe."""

    def __init__(
        self,
        options: EmulatorOptions,
        clock: Callable[[], float] = time.time,
        forced_throttle: Callable[[], bool] = lambda: False,
    ) -> None:
        self.options = options
        self._clock = clock
        self._forced_throttle = forced_throttle  # faults.throttle_refreshes
        self._lock = threading.Lock()
        self._grants: dict[str, RefreshGrant] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._active: dict[str, OrderedDict[str, None]] = {}
        self._throttle = SlidingWindow(options.refresh_limit, options.refresh_window, clock)
        self.refresh_count = 0
        self.add_refresh_token(options.refresh_token, options.scopes)

    def add_refresh_token(self, token: str, scopes: Iterable[str] | None = None) -> None:
        """Register another refresh token (e.g. with fewer scopes, or a second user)."""
        granted = tuple(scopes) if scopes is not None else self.options.scopes
        with self._lock:
            self._grants[token] = RefreshGrant(token, granted)

    def revoke_refresh_token(self, token: str) -> None:
        with self._lock:
            self._grants.pop(token, None)

    def grant(self, params: dict[str, str]) -> tuple[int, dict[str, object]]:
        """Handle ``grant_type=refresh_token``; returns (HTTP status, body)."""
        opts = self.options
        if params.get("grant_type") != "refresh_token":
            return 200, {"error": "unsupported_grant_type"}
        if params.get("client_id") != opts.client_id:
            return 200, {"error": "invalid_client"}
        if params.get("client_secret") != opts.client_secret:
            return 200, {"error": "invalid_client"}
        with self._lock:
            grant = self._grants.get(params.get("refresh_token", ""))
            if grant is None:
                return 200, {"error": "invalid_code"}
            if self._forced_throttle() or not self._throttle.try_acquire(grant.token):
                return opts.throttle_status, dict(THROTTLE_BODY)
            token = self._issue(grant)
            self.refresh_count += 1
        return 200, {
            "access_token": token.value,
            "scope": " ".join(grant.scopes),
            "api_domain": "",  # filled by the route, which knows the server URL
            "token_type": "Bearer",
            "expires_in": max(1, int(opts.token_ttl)),
        }

    def _issue(self, grant: RefreshGrant) -> AccessToken:
        value = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        token = AccessToken(
            value=value,
            refresh_token=grant.token,
            scopes=frozenset(s.lower() for s in grant.scopes),
            expires_at=self._clock() + self.options.token_ttl,
        )
        self._tokens[value] = token
        active = self._active.setdefault(grant.token, OrderedDict())
        active[value] = None
        while len(active) > self.options.max_active_tokens:
            oldest, _ = active.popitem(last=False)
            self._tokens[oldest].revoked = True
        return token

    def lookup(self, value: str) -> AccessToken | None:
        """The token if it is currently valid, else None (unknown/expired/evicted)."""
        with self._lock:
            token = self._tokens.get(value)
            if token is None or not token.valid(self._clock()):
                return None
            return token

    def expire_all(self) -> None:
        """Invalidate every token issued so far (fault injection)."""
        with self._lock:
            for token in self._tokens.values():
                token.revoked = True
            self._active.clear()


def _form_params(request: Request) -> dict[str, str]:
    """Query-string and form-body parameters merged (Zoho accepts either)."""
    params = dict(request.query)
    content_type = (request.header("Content-Type") or "").lower()
    if request.body and (not content_type or "x-www-form-urlencoded" in content_type):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        for key, values in parse_qs(text, keep_blank_values=True).items():
            params[key] = values[0]
    return params


def token_routes(
    store: TokenStore, api_domain: Callable[[], str], bad_method: ErrorFactory
) -> list[Route]:
    """Route rows of the accounts server (`bad_method`: the answer to a GET of the token URL)."""

    def handle_token(request: Request) -> Response:
        status, body = store.grant(_form_params(request))
        if "access_token" in body:
            body["api_domain"] = api_domain()
        return Response.json(status, body, content_type=ACCOUNTS_CONTENT_TYPE)

    return [Route.make("POST", r"/oauth/v2/token", handle_token, bad_method)]
