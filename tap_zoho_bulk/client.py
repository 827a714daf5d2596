"""One HTTP client for every Zoho API call: a shared session, auth, retries and error mapping.

Every request goes through `ZohoClient`, so there is one place that decides which hosts may receive
the access token, what is retried (`retry.RetryPolicy`) and how a Zoho error body becomes an
exception with a message a person can act on. An answer is checked against what its endpoint
returns before anyone reads it: a 2xx that is not JSON, or JSON of another shape (a proxy's or load
balancer's maintenance page, a truncated body), is a transient failure, never an empty result.
"""

from __future__ import annotations

import logging
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

import requests

from tap_zoho_bulk import __version__
from tap_zoho_bulk.auth import ZohoAuth
from tap_zoho_bulk.errors import (
    CREATOR_RESULT_GONE,
    ApiError,
    AuthError,
    Kind,
    TransportError,
    error_from_response,
)
from tap_zoho_bulk.retry import RetryPolicy, retry_after, transport_error
from tap_zoho_bulk.serverclock import ServerClock
from tap_zoho_bulk.usage import ApiUsage, CreditFloorReached

LOGGER = logging.getLogger("tap-zoho-bulk")
USER_AGENT = f"tap-zoho-bulk/{__version__}"
CONNECT_TIMEOUT = 10.0  # seconds to open a connection: a host that takes longer is unreachable
JSON_READ_TIMEOUT = 120.0  # an API call answers in seconds; only downloads stream for long
DOWNLOAD_LOCKOUT = 61.0  # seconds Zoho refuses every download after a 429 on one
_CHUNK = 1 << 20
T = TypeVar("T")


class ZohoClient:
    """Authenticated JSON calls and streamed downloads against Zoho's API hosts."""

    def __init__(
        self,
        auth: ZohoAuth,
        session: requests.Session,
        *,
        timeout: float = 300.0,
        policy: RetryPolicy | None = None,
        server_clock: ServerClock | None = None,
        usage: ApiUsage | None = None,
    ) -> None:
        self.auth = auth
        self.usage = usage or ApiUsage()  # calls sent, credits Zoho reports, the credit floor
        self.server_clock = server_clock or ServerClock()  # Zoho's time, from every Date header
        self.session = session
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
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
        headers: dict[str, str] | None = None,
        expect: Callable[[Any], bool] | None = None,
    ) -> tuple[int, Any]:
        """Send one API call; return (status, parsed body, None for 204).

        `expect` says whether a successful body is what the endpoint returns; when it is not, the
        answer is treated as transient and the call made again.
        """
        where = f"{method} {urlsplit(url).path}"

        def attempt() -> tuple[int, Any]:
            response = self._send(method, url, where, json=json, params=params, headers=headers or {},
                                  stream=False,
                                  timeout=(CONNECT_TIMEOUT, min(self.timeout, JSON_READ_TIMEOUT)))
            body = _json_body(response, where)
            error = error_from_response(response.status_code, body, where)
            if error is not None:
                self._stop_at_credit_floor(url)
                error.retry_after = retry_after(response.headers)
                raise error
            if expect is not None and response.status_code != 204 and not expect(body):
                raise TransportError(
                    f"Zoho answered HTTP {response.status_code} with a body that is not what this "
                    f"call returns [{where}]"
                )
            return response.status_code, body

        return self.policy.call(attempt, where, reauthenticate=self._reauthenticate)

    # --- downloads ----------------------------------------------------------------------------

    def download(self, url: str, dest: Path, *,
                 before_retry: Callable[[], None] | None = None) -> tuple[int, dict[str, str]]:
        """Stream a bulk result to `dest` (never into memory); return its size and the headers.

        The body must be a complete ZIP: a short read or a body that is not a ZIP (an expired link
        answering HTML, a proxy page) is retried like a connection reset. A result Zoho no longer
        keeps is `Kind.GONE`: the job has to be created again. `before_retry` runs before each
        attempt after the first: Zoho counts every download request against its limit, retries
        included, so the caller's limiter counts them too.
        """
        where = f"GET {urlsplit(url).path}"
        attempts = 0

        def attempt() -> tuple[int, dict[str, str]]:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and before_retry is not None:
                before_retry()
            # A ZIP gains nothing from gzip; ask for the bytes as they are (a server may still
            # encode them, which requests then decodes).
            response = self._send("GET", url, where, stream=True, timeout=(CONNECT_TIMEOUT, self.timeout),
                                  headers={"Accept-Encoding": "identity"})
            with response:
                content_type = response.headers.get("Content-Type", "").lower()
                if response.status_code != 200 or "json" in content_type:
                    body = _json_body(response, where, required=False)
                    error = error_from_response(response.status_code, body, where)
                    if error is None:  # a 200 JSON body without an error code is still not a ZIP
                        error = ApiError(
                            Kind.RETRY, response.status_code, "NOT_A_ZIP",
                            "the result download answered JSON instead of a ZIP file", where,
                        )
                    self._stop_at_credit_floor(url)
                    if error.kind is Kind.NOT_FOUND or error.code == CREATOR_RESULT_GONE:
                        error.kind = Kind.GONE  # the result expired: the job must be created again
                    error.retry_after = retry_after(response.headers)
                    if error.retry_after is None and error.code == "TOO_MANY_REQUESTS":
                        # "the download request will be processed only after one minute"
                        # (https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/download-result.html):
                        # an earlier retry meets the lockout again. Another run may have used the ten.
                        error.retry_after = DOWNLOAD_LOCKOUT
                    raise error
                # Content-Length counts the bytes on the wire: comparable with what was written
                # only when the body was not content-encoded.
                encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
                expected = None if encoded else response.headers.get("Content-Length")
                size = _copy_body(response, dest, where)
            if expected is not None and expected.isdigit() and int(expected) != size:
                raise TransportError(f"download cut short: {size} of {expected} bytes [{where}]")
            if not zipfile.is_zipfile(dest):
                raise TransportError(f"the downloaded result is not a ZIP file [{where}]")
            return size, dict(response.headers)

        return self.policy.call(attempt, where, reauthenticate=self._reauthenticate)

    # --- internals ----------------------------------------------------------------------------

    def _stop_at_credit_floor(self, url: str) -> None:
        """A failed call is not retried once its API's credit floor is reached (no retry would be
        sent)."""
        reason = self.usage.floor_reached(url)
        if reason is not None:
            raise CreditFloorReached(reason)

    def _reauthenticate(self) -> None:
        self.auth.invalidate(getattr(self._local, "token", ""))

    def _send(self, method: str, url: str, where: str, **kwargs: Any) -> requests.Response:
        host = urlsplit(url).netloc.lower()
        if host not in self._trusted_hosts:
            raise ApiError(Kind.FATAL, 0, "UNTRUSTED_HOST", f"refusing to send the access token to {host}",
                           where)
        try:
            token = self.auth.token()
        except (ApiError, TransportError) as error:  # the refresh spent its own retries: final
            raise AuthError(str(error)) from None
        self._local.token = token  # the token to forget if Zoho rejects this request
        self.usage.before_call(url)
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Zoho-oauthtoken {token}"}
        if kwargs.get("json") is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(method, url, headers=headers, **kwargs)
        except requests.RequestException as exc:
            raise transport_error(exc, host, where) from None
        self.server_clock.observe(response.headers)
        self.usage.observe(url, response.headers)
        return response


def _json_body(response: requests.Response, where: str, *, required: bool = True) -> Any:
    """The JSON body; a 2xx that is not JSON is transient (`required`), an error page is mapped."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        if required and 200 <= response.status_code < 300:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise TransportError(
                f"Zoho answered HTTP {response.status_code} with a body that is not JSON ({kind}): "
                f"a proxy or maintenance page? [{where}]"
            ) from None
        return {"code": f"HTTP_{response.status_code}", "message": "response is not JSON"}


def _copy_body(response: requests.Response, dest: Path, where: str) -> int:
    size = 0
    try:
        with dest.open("wb") as out:
            out_file: BinaryIO = out
            for chunk in response.iter_content(chunk_size=_CHUNK):
                out_file.write(chunk)
                size += len(chunk)
    except requests.RequestException as exc:
        raise TransportError(f"download interrupted: {type(exc).__name__} [{where}]") from None
    return size
