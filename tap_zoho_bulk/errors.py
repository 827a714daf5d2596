"""Zoho error bodies → typed exceptions with messages a user can act on.

Zoho answers in three dialects: CRM/Bigin (`{"code": "INVALID_TOKEN", "message", "details",
"status": "error"}`, sometimes wrapped in `{"data": [...]}`), Creator (`{"code": 1030, "message"}`,
with some errors sent as HTTP 200) and the accounts server (`{"error": "invalid_code"}`, also HTTP 200).
One table per dialect decides whether a failure is transient (retry), an expired token (refresh once),
or permanent (stop with a clear line). Nothing here ever formats a token or a secret.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from typing_extensions import override


class Kind(enum.Enum):
    """What the tap should do about an error."""

    RETRY = "retry"  # transient: back off and try again
    REAUTH = "reauth"  # the access token is no longer valid: refresh it once, then retry
    DAILY_LIMIT = "daily_limit"  # quota for the day is gone: stop, keep state
    UNSUPPORTED = "unsupported"  # module/field cannot be bulk-read: discovery skips it
    ACCESS = "access"  # scope or permission missing: discovery skips, sync stops
    NOT_FOUND = "not_found"
    GONE = "gone"  # a job's result Zoho no longer keeps: create the job again
    FATAL = "fatal"  # anything else: stop with the message


class ZohoError(Exception):
    """Base class of every error the tap raises on purpose."""


class ConfigError(ZohoError):
    """A setting is wrong; the message names it."""


class DataError(ZohoError):
    """A value in a result file does not fit its field's type."""


class AuthError(ZohoError):
    """The accounts server refused to issue an access token."""


@dataclass
class ApiError(ZohoError):
    """A Zoho API call failed; `kind` says what to do about it."""

    kind: Kind
    status: int
    code: str
    message: str
    where: str = ""
    details: Any = None
    hint: str = ""
    retry_after: float | None = None  # seconds, from a Retry-After header
    stream: str = ""  # the stream whose call failed, once known

    @override
    def __str__(self) -> str:
        text = f"Zoho answered HTTP {self.status} {self.code}: {self.message}"
        if self.stream:
            text = f"{self.stream}: {text}"
        if self.details:
            text += f" (details: {self.details})"
        if self.where:
            text += f" [{self.where}]"
        if self.hint:
            text += f". {self.hint}"
        return text


class JobFailedError(ZohoError):
    """A bulk read job ended in FAILURE (or Creator's Failed)."""


class JobTimeoutError(ZohoError):
    """A bulk read job did not complete before the configured deadline."""


class TransportError(ZohoError):
    """The connection failed, or an answer was cut short or is not what the endpoint returns
    (transient). `unreachable`: the host could not be reached at all (refused, no such name, no
    answer), which more minutes of retrying would not change."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


_SCOPE_HINT = (
    "The refresh token lacks a scope this call needs: generate it again with the scopes the "
    "README lists for this product"
)

# CRM and Bigin codes (https://www.zoho.com/crm/developer/docs/api/v8/status-codes.html and each
# bulk read page's error list). Codes not listed fall back on the HTTP status.
CRM_CODES: dict[str, tuple[Kind, str]] = {
    "INVALID_TOKEN": (Kind.REAUTH, ""),
    "AUTHENTICATION_FAILURE": (Kind.REAUTH, ""),
    "OAUTH_SCOPE_MISMATCH": (Kind.ACCESS, _SCOPE_HINT),
    "NO_PERMISSION": (Kind.ACCESS, "The Zoho user behind the token may not read this module"),
    "AUTHORIZATION_FAILED": (Kind.ACCESS, "The Zoho user behind the token may not read this"),
    "TOO_MANY_REQUESTS": (Kind.RETRY, ""),
    "INTERNAL_ERROR": (Kind.RETRY, ""),
    "INTERNAL_SERVER_ERROR": (Kind.RETRY, ""),
    "INVALID_MODULE": (Kind.UNSUPPORTED, "This module cannot be exported by bulk read"),
    "MODULE_NOT_SUPPORTED": (Kind.UNSUPPORTED, "This module cannot be exported by bulk read"),
    "MODULE_NOT_AVAILABLE": (Kind.UNSUPPORTED, "This module is not available to this user"),
    "INVALID_QUERY": (Kind.UNSUPPORTED, "Bulk read rejected the query for this module"),
    "FIELD_NOT_SUPPORTED": (Kind.UNSUPPORTED, "Bulk read cannot export this field"),
    "FIELD_NOT_AVAILABLE": (Kind.UNSUPPORTED, "This field does not exist (any more) in Zoho"),
    "RESOURCE_NOT_FOUND": (Kind.NOT_FOUND, ""),
    "INVALID_URL_PATTERN": (
        Kind.NOT_FOUND,
        "Check api_url / data_center and the API version settings",
    ),
    "PAGE_RANGE_EXCEEDED": (Kind.FATAL, "Use crm_api_version v7 or later to page with tokens"),
}

# Creator codes (https://www.zoho.com/creator/help/api/v2.1/status-codes.html). Success: 3000, and
# 3910 / 3920 / 3930 ("No forms / pages / reports available.", HTTP 200), which are empty lists.
CREATOR_SUCCESS = frozenset({3000, 3910, 3920, 3930})
# Creator's catch-all "Error Occurred" (404): on a result download, the result is no longer kept.
CREATOR_RESULT_GONE = "2930"
CREATOR_CODES: dict[int, tuple[Kind, str]] = {
    1030: (Kind.REAUTH, ""),
    2945: (Kind.ACCESS, _SCOPE_HINT),
    1060: (Kind.ACCESS, "The Zoho user behind the token may not access this application"),
    2933: (Kind.ACCESS, "The Zoho user behind the token may not access this application"),
    1080: (Kind.ACCESS, "The application is disabled"),
    1040: (Kind.NOT_FOUND, "Check the owner name in creator_reports"),
    2892: (Kind.NOT_FOUND, "Check the application link name in creator_reports"),
    2894: (Kind.NOT_FOUND, "Check the report link name in creator_reports"),
    2893: (Kind.NOT_FOUND, "Check the form link name (stream_options.<stream>.form)"),
    1000: (Kind.NOT_FOUND, "Check creator_url / data_center and creator_api_version"),
    2955: (Kind.RETRY, ""),
    2930: (Kind.RETRY, ""),
    4000: (
        Kind.DAILY_LIMIT,
        "Zoho Creator's daily API limit is used up: run again tomorrow (the interrupted stream's "
        "bookmark was not advanced)",
    ),
    3020: (Kind.FATAL, "The request body was refused"),
}

# Accounts server `error` values
# (https://www.zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html).
AUTH_ERRORS: dict[str, str] = {
    "invalid_code": (
        "the refresh_token is invalid, expired or revoked, or was issued in another data centre "
        "than data_center / accounts_url: generate a new one (README: Connect a Zoho account)"
    ),
    "invalid_client": (
        "the accounts server does not accept this client: check client_id and client_secret, and "
        "that data_center / accounts_url is the data centre the client was created in"
    ),
    "invalid_client_secret": "client_secret does not match client_id",
    "Access Denied": (
        "Zoho is throttling token refreshes for this refresh token (too many in 10 minutes); "
        "it clears after some minutes without requests"
    ),
}


def _kind_for_status(status: int) -> Kind:
    if status == 429 or status >= 500:
        return Kind.RETRY
    if status == 401:
        return Kind.REAUTH
    if status == 403:
        return Kind.ACCESS
    if status == 404:
        return Kind.NOT_FOUND
    return Kind.FATAL


def _unwrap(body: Any) -> dict[str, Any]:
    """CRM validation errors may come wrapped in `{"data": [error]}`."""
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
        first = body["data"][0]
        if isinstance(first, dict) and first.get("status") == "error":
            return first
    return body if isinstance(body, dict) else {}


def error_from_response(status: int, body: Any, where: str) -> ApiError | None:
    """Return the error a Zoho response carries, or None when it is a success.

    Looks at the body as well as the status, because Creator reports its daily limit (and the
    accounts server its refusals) with HTTP 200.
    """
    payload = _unwrap(body)
    code = payload.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        if code in CREATOR_SUCCESS and status < 400:
            return None
        kind, hint = CREATOR_CODES.get(code, (_kind_for_status(status), ""))
        if status < 400 and code not in CREATOR_CODES:
            kind = Kind.FATAL
        return ApiError(
            kind, status, str(code), str(payload.get("message", "")), where, None, hint
        )
    if status < 400 and payload.get("status") != "error":
        return None
    text_code = str(code or f"HTTP_{status}")
    kind, hint = CRM_CODES.get(text_code, (_kind_for_status(status), ""))
    if status >= 500:
        kind = Kind.RETRY
    message = str(payload.get("message", "")) or "no error message in the response"
    return ApiError(kind, status, text_code, message, where, payload.get("details") or None, hint)
