"""OAuth: one access token per run, refreshed only when it is about to expire or was rejected.

Zoho throttles refreshes (10 per 10 minutes per refresh token) and keeps at most 15 live access
tokens, so refreshing per request or per stream breaks real runs. One `ZohoAuth` instance is shared by
every stream; it is thread-safe so concurrent job submission can share it too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import backoff
import requests
from typing_extensions import override

from tap_zoho_bulk.errors import AUTH_ERRORS, AuthError
from tap_zoho_bulk.serverclock import ServerClock

LOGGER = logging.getLogger("tap-zoho-bulk")

# Zoho's accounts server answers some failures (throttling) in a way worth waiting out.
_THROTTLED = "Access Denied"


class _RetryableAuthError(AuthError):
    """Refresh failure that may pass: connection error, 5xx, throttling."""


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
        timeout: float = 60.0,
        max_wait: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        server_clock: ServerClock | None = None,
    ) -> None:
        self._token_url = accounts_url.rstrip("/") + "/oauth/v2/token"
        self._form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        self._session = session
        self._timeout = timeout
        self._max_wait = max_wait
        self._clock = clock
        self.server_clock = server_clock or ServerClock()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.api_domain: str | None = None
        self.refreshes = 0

    @override
    def __repr__(self) -> str:  # never show the secrets
        return f"ZohoAuth(token_url={self._token_url!r})"

    def token(self) -> str:
        """A valid access token, refreshed only when missing or about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._refresh()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` after Zoho rejected it; a newer token (refreshed by a peer) is kept."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _refresh(self) -> None:
        retrying = backoff.on_exception(
            backoff.expo,
            _RetryableAuthError,
            max_time=self._max_wait,
            factor=5,
            max_value=60,
            jitter=backoff.full_jitter,
            logger=None,  # the warning below says it once; the final error is the run's one line
            on_backoff=lambda d: LOGGER.warning(
                "Token refresh failed (%s); retrying in %.0f s", d["exception"], d["wait"]
            ),
        )(self._refresh_once)
        retrying()

    def _refresh_once(self) -> None:
        try:
            response = self._session.post(self._token_url, data=self._form, timeout=self._timeout)
        except requests.RequestException as exc:
            raise _RetryableAuthError(
                f"cannot reach the accounts server {self._token_url}: {type(exc).__name__}"
            ) from None
        self.server_clock.observe(response.headers)
        if response.status_code >= 500:
            raise _RetryableAuthError(
                f"the accounts server answered HTTP {response.status_code}"
            )
        try:
            body = response.json()
        except ValueError:
            raise AuthError(
                f"The accounts server {self._token_url} answered HTTP {response.status_code} "
                "with a body that is not JSON: check accounts_url / data_center"
            ) from None
        error = body.get("error") if isinstance(body, dict) else "unexpected response"
        if error or response.status_code >= 400 or not body.get("access_token"):
            error = str(error or f"HTTP {response.status_code}")
            explanation = AUTH_ERRORS.get(error, body.get("error_description") or "")
            message = f"Zoho refused to refresh the access token ({error})"
            if explanation:
                message += f": {explanation}"
            if error == _THROTTLED:
                raise _RetryableAuthError(message)
            raise AuthError(message)
        ttl = _expires_in_seconds(body)
        # Keep the token until shortly before Zoho expires it: 5 minutes, or 10% of a short TTL.
        margin = min(300.0, ttl * 0.1)
        self._token = str(body["access_token"])
        self._expires_at = self._clock() + max(ttl - margin, 0.0)
        if body.get("api_domain"):
            self.api_domain = str(body["api_domain"]).rstrip("/")
        self.refreshes += 1
        LOGGER.info("Obtained a Zoho access token valid for %d s", ttl)


def _expires_in_seconds(body: dict[str, Any]) -> float:
    """Seconds of validity; the legacy form sends `expires_in` in ms next to `expires_in_sec`."""
    if "expires_in_sec" in body:
        return float(body["expires_in_sec"])
    value = float(body.get("expires_in") or 3600)
    return value / 1000.0 if value > 86_400 else value
