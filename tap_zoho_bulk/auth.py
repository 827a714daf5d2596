"""OAuth: one access token, refreshed only when it is about to expire or was rejected.

Zoho throttles refreshes (10 per 10 minutes per refresh token) and keeps at most 15 live access
tokens, so refreshing per request, per stream or per process breaks real runs. One `ZohoAuth` is
shared by every stream and thread of a run, and runs share its token through `TokenCache`. A
refresh goes through the same retry policy as every other call: an accounts server that fails for
a moment is waited out, one that cannot be reached fails in seconds with a line naming it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from typing_extensions import override

from tap_zoho_bulk.errors import AUTH_ERRORS, ApiError, AuthError, Kind, TransportError
from tap_zoho_bulk.retry import RetryPolicy, transport_error
from tap_zoho_bulk.serverclock import ServerClock
from tap_zoho_bulk.tokencache import CachedToken, TokenCache

LOGGER = logging.getLogger("tap-zoho-bulk")

# Zoho's accounts server answers some failures (throttling) in a way worth waiting out.
_THROTTLED = "Access Denied"
ACCOUNTS_TIMEOUT = (10.0, 15.0)  # connect, read: the token endpoint answers at once or not at all


class ZohoAuth:
    """Refresh-token grant against the data centre's accounts server, with a cached access token."""

    def __init__(
        self,
        *,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        session: requests.Session,
        policy: RetryPolicy | None = None,
        cache: TokenCache | None = None,
        server_clock: ServerClock | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._token_url = accounts_url.rstrip("/") + "/oauth/v2/token"
        self._host = urlsplit(self._token_url).netloc
        self._form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        self._session = session
        self._policy = policy or RetryPolicy()
        self._cache = cache
        self.server_clock = server_clock or ServerClock()
        self._clock = wall_clock
        self._lock = threading.Lock()
        self._token: CachedToken | None = None
        self.api_domain: str | None = None
        self.refreshes = 0

    @override
    def __repr__(self) -> str:  # never show the secrets
        return f"ZohoAuth(token_url={self._token_url!r})"

    def token(self) -> str:
        """A valid access token: this run's, another run's from the cache, or a fresh one."""
        with self._lock:
            if self._token is None or self._clock() >= self._token.expires_at:
                self._token = self._cached() or self._refresh_shared()
                self.api_domain = self._token.api_domain
            return self._token.access_token

    def verify(self) -> None:
        """Refresh now, whatever the cache holds: proves Zoho accepts the client and the refresh
        token (the connection test); the fresh token is cached for the runs after."""
        with self._lock:
            self._token = self._refresh()
            self.api_domain = self._token.api_domain
            if self._cache is not None:
                with self._cache.refreshing():
                    self._cache.store(self._token)

    def invalidate(self, token: str) -> None:
        """Forget `token` after Zoho rejected it, here and in the cache (a newer one is kept)."""
        with self._lock:
            if self._token is not None and self._token.access_token == token:
                self._token = None
            if self._cache is not None:
                self._cache.drop(token)

    def _cached(self) -> CachedToken | None:
        if self._cache is None:
            return None
        cached = self._cache.load(self._clock())
        if cached is not None:
            LOGGER.info("Using the cached Zoho access token (usable for %d more s)",
                        cached.expires_at - self._clock())
        return cached

    def _refresh_shared(self) -> CachedToken:
        """Refresh, one process at a time; a process that waited takes the token just cached."""
        if self._cache is None:
            return self._refresh()
        with self._cache.refreshing():
            token = self._cached() or self._refresh()
            self._cache.store(token)
            return token

    def _refresh(self) -> CachedToken:
        where = f"POST {self._host}/oauth/v2/token"
        return self._policy.call(self._refresh_once, where)

    def _refresh_once(self) -> CachedToken:
        try:
            response = self._session.post(self._token_url, data=self._form, timeout=ACCOUNTS_TIMEOUT)
        except requests.RequestException as exc:
            raise transport_error(exc, self._host, "token refresh") from None
        self.server_clock.observe(response.headers)
        if response.status_code >= 500:
            raise ApiError(Kind.RETRY, response.status_code, f"HTTP_{response.status_code}",
                           f"the accounts server {self._host} failed", "token refresh")
        try:
            body = response.json()
        except ValueError:
            raise TransportError(
                f"the accounts server {self._token_url} answered HTTP {response.status_code} with a "
                "body that is not JSON: a maintenance page, or check accounts_url / data_center"
            ) from None
        error = body.get("error") if isinstance(body, dict) else "unexpected response"
        if error or response.status_code >= 400 or not body.get("access_token"):
            error = str(error or f"HTTP {response.status_code}")
            explanation = AUTH_ERRORS.get(error, body.get("error_description") or "")
            message = f"Zoho refused to refresh the access token ({error})"
            if explanation:
                message += f": {explanation}"
            if error == _THROTTLED:
                raise ApiError(Kind.RETRY, response.status_code, error, message, "token refresh")
            raise AuthError(message)
        ttl = _expires_in_seconds(body)
        # Keep the token until shortly before Zoho expires it: 5 minutes, or 10% of a short TTL.
        margin = min(300.0, ttl * 0.1)
        self.refreshes += 1
        LOGGER.info("Obtained a Zoho access token valid for %d s", ttl)
        domain = str(body["api_domain"]).rstrip("/") if body.get("api_domain") else None
        return CachedToken(str(body["access_token"]), self._clock() + max(ttl - margin, 0.0), domain)


def _expires_in_seconds(body: dict[str, Any]) -> float:
    """Seconds of validity; the legacy form sends `expires_in` in ms next to `expires_in_sec`."""
    if "expires_in_sec" in body:
        return float(body["expires_in_sec"])
    value = float(body.get("expires_in") or 3600)
    return value / 1000.0 if value > 86_400 else value
