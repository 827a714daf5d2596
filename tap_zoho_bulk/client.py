"""One HTTP client for every Zoho call: a shared session, auth, retries and error mapping.

Every request goes through `ZohoClient`, so there is one place that decides which hosts may receive
the access token, what is retried (429, 5xx, connection resets, cut downloads) and how a Zoho error
body becomes an exception with a message a person can act on.
"""

from __future__ import annotations

import logging
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

import backoff
import requests

from tap_zoho_bulk import __version__
from tap_zoho_bulk.auth import ZohoAuth
from tap_zoho_bulk.errors import CREATOR_RESULT_GONE, ApiError, Kind, TransportError, error_from_response
from tap_zoho_bulk.serverclock import ServerClock

LOGGER = logging.getLogger("tap-zoho-bulk")
USER_AGENT = f"tap-zoho-bulk/{__version__}"
_CHUNK = 1 << 20
T = TypeVar("T")


class _Transient(Exception):
    """Internal: a failure worth retrying; carries the error to raise when retries run out."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class ZohoClient:
    """Authenticated JSON calls and streamed downloads against Zoho's API hosts."""

    def __init__(
        self,
        auth: ZohoAuth,
        session: requests.Session,
        *,
        timeout: float = 300.0,
        max_tries: int = 8,
        max_wait: float = 60.0,
        server_clock: ServerClock | None = None,
    ) -> None:
        self.auth = auth
        self.server_clock = server_clock or ServerClock()  # Zoho's time, from every Date header
        self.session = session
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.timeout = timeout
        self.max_tries = max_tries
        self.max_wait = max_wait
        self._trusted_hosts: set[str] = set()
        self._local = threading.local()

    def trust(self, base_url: str) -> None:
        """Allow the access token to be sent to the host of `base_url`."""
        self._trusted_hosts.add(urlsplit(base_url).netloc.lower())

    def absolute(self, base_url: str, path_or_url: str) -> str:
        """Join a Zoho path (a relative `download_url`) to `base_url`; refuse foreign hosts.

        Zoho's paths start at its API root (`/crm/bulk/…`), so a path prefix of `base_url` (a proxy
        such as https://proxy.example/zoho) is kept in front of them, unless the path has it already.
        """
        if urlsplit(path_or_url).scheme:
            url = path_or_url
        else:
            base = base_url.rstrip("/")
            prefix = urlsplit(base).path
            path = "/" + path_or_url.lstrip("/")
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                base = base[: -len(prefix)]
            url = base + path
        host = urlsplit(url).netloc.lower()
        if host not in self._trusted_hosts:
            raise ApiError(
                Kind.FATAL, 0, "UNTRUSTED_HOST",
                f"refusing to send the access token to {host}, which is not a configured Zoho host",
            )
        return url

    # --- JSON API calls -------------------------------------------------------------------

    def request_json(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> tuple[int, Any]:
        """Send one API call; return (status, parsed body or None for 204).

        Retries transient failures with capped exponential backoff, refreshes the token once
        after INVALID_TOKEN, and raises `ApiError` for everything else.
        """
        where = f"{method} {urlsplit(url).path}"

        def attempt() -> tuple[int, Any]:
            response = self._send(method, url, where, json=json, params=params, stream=False)
            body = _json_body(response)
            error = error_from_response(response.status_code, body, where)
            if error is not None:
                raise error
            return response.status_code, body

        return self._with_retries(attempt, where)

    # --- downloads ----------------------------------------------------------------------------

    def download(self, url: str, dest: Path) -> tuple[int, dict[str, str]]:
        """Stream a bulk result to `dest` (never into memory); return its size and the headers.

        The body must be a complete ZIP: a short read or a body that is not a ZIP (an expired link
        answering HTML, a proxy page) is retried like a connection reset.
        """
        where = f"GET {urlsplit(url).path}"

        def attempt() -> tuple[int, dict[str, str]]:
            # A ZIP gains nothing from gzip; ask for the bytes as they are (a server may still
            # encode them, which requests then decodes).
            response = self._send("GET", url, where, stream=True,
                                  headers={"Accept-Encoding": "identity"})
            with response:
                content_type = response.headers.get("Content-Type", "").lower()
                if response.status_code != 200 or "json" in content_type:
                    body = _json_body(response)
                    error = error_from_response(response.status_code, body, where)
                    if error is None:  # a 200 JSON body without an error code is still not a ZIP
                        error = ApiError(
                            Kind.RETRY, response.status_code, "NOT_A_ZIP",
                            "the result download answered JSON instead of a ZIP file", where,
                        )
                    if error.kind is Kind.NOT_FOUND or error.code == CREATOR_RESULT_GONE:
                        error.kind = Kind.GONE  # the result expired: the job must be created again
                    raise error
                # Content-Length counts the bytes on the wire: comparable with what was written
                # only when the body was not content-encoded.
                encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
                expected = None if encoded else response.headers.get("Content-Length")
                size = _copy_body(response, dest)
            if expected is not None and expected.isdigit() and int(expected) != size:
                raise TransportError(f"download cut short: {size} of {expected} bytes [{where}]")
            if not zipfile.is_zipfile(dest):
                raise TransportError(f"the downloaded result is not a ZIP file [{where}]")
            return size, dict(response.headers)

        return self._with_retries(attempt, where)

    # --- internals ----------------------------------------------------------------------------

    def _send(self, method: str, url: str, where: str, **kwargs: Any) -> requests.Response:
        if urlsplit(url).netloc.lower() not in self._trusted_hosts:
            raise ApiError(
                Kind.FATAL, 0, "UNTRUSTED_HOST",
                f"refusing to send the access token to {urlsplit(url).netloc}", where,
            )
        token = self.auth.token()
        self._local.token = token  # the token to forget if Zoho rejects this request
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Zoho-oauthtoken {token}"}
        if kwargs.get("json") is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method, url, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise TransportError(f"{type(exc).__name__} talking to Zoho [{where}]") from None
        self.server_clock.observe(response.headers)
        return response

    def _with_retries(self, attempt: Callable[[], T], where: str) -> T:
        reauthenticated = False

        def guarded() -> T:
            nonlocal reauthenticated
            try:
                return attempt()
            except ApiError as error:
                if error.kind is Kind.REAUTH and not reauthenticated:
                    reauthenticated = True
                    LOGGER.info("Zoho rejected the access token (%s); refreshing it", error.code)
                    self.auth.invalidate(getattr(self._local, "token", ""))
                    return attempt()
                if error.kind is Kind.RETRY:
                    raise _Transient(error) from None
                raise
            except TransportError as error:
                raise _Transient(error) from None

        retrying = backoff.on_exception(
            backoff.expo,
            _Transient,
            factor=1,
            max_value=self.max_wait,
            max_tries=self.max_tries,
            jitter=backoff.random_jitter,
            logger=None,
            raise_on_giveup=True,
            on_backoff=lambda d: LOGGER.warning(
                "%s failed (%s); retry %d/%d in %.1f s",
                where, d["exception"], d["tries"], self.max_tries - 1, d["wait"],
            ),
        )(guarded)
        try:
            return retrying()
        except _Transient as transient:
            raise transient.error from None


def _json_body(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return {"code": f"HTTP_{response.status_code}", "message": "response is not JSON"}


def _copy_body(response: requests.Response, dest: Path) -> int:
    size = 0
    try:
        with dest.open("wb") as out:
            out_file: BinaryIO = out
            for chunk in response.iter_content(chunk_size=_CHUNK):
                out_file.write(chunk)
                size += len(chunk)
    except requests.RequestException as exc:
        raise TransportError(f"download interrupted: {type(exc).__name__}") from None
    return size
