"""Zoho Creator error bodies: ``{"code": <int>, "message": "…"}`` with a fixed HTTP status per case.

Creator does not share CRM's string codes: every answer carries a numeric ``code`` (3000 =
success) and some failures even come with HTTP 200 (the daily limit, 4000), so clients must
read the code. One constructor per documented case
(https://www.zoho.com/creator/help/api/v2.1/status-codes.html) keeps the status, code and wording
of each case identical wherever it is raised.
"""

from __future__ import annotations

import re
from typing import Any

from zoho_emulator.core.replies import ErrorReply

CREATOR_CONTENT_TYPE = "application/json;charset=utf-8"
SUCCESS = 3000
BODY_MISSING = "API request's body is either missing or incomplete."
CREATOR_PATH_PREFIX = r"/(?:api|creator)/"
_CREATOR_PATH = re.compile(CREATOR_PATH_PREFIX)


def is_creator_path(path: str) -> bool:
    """Whether a request path belongs to the Creator APIs (both URL families)."""
    return _CREATOR_PATH.match(path) is not None


class CreatorErrorReply(ErrorReply):
    """A Creator failure, rendered as ``{"code": code, "message": message}``."""

    content_type = CREATOR_CONTENT_TYPE

    def __init__(self, status: int, code: int, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code}: {message}")

    def body(self) -> dict[str, Any]:
        """Creator's error envelope."""
        return {"code": self.code, "message": self.message}


def invalid_url() -> CreatorErrorReply:
    """404 1000: the path is not a Creator API URL."""
    return CreatorErrorReply(404, 1000, "Invalid API URL format.")


def bad_method(method: str) -> CreatorErrorReply:
    """405 1020: the path exists, the method does not."""
    return CreatorErrorReply(405, 1020, f"{method.upper()} is not a valid method for this request.")


def auth_failure() -> CreatorErrorReply:
    """401 1030: missing, malformed, unknown, expired or revoked access token."""
    return CreatorErrorReply(
        401, 1030, "Authorization Failure. The access token is either invalid or has expired."
    )


def scope_mismatch() -> CreatorErrorReply:
    """401 2945: the token lacks the scope this API needs."""
    return CreatorErrorReply(
        401,
        2945,
        "This is an invalid oauthscope. Please regenerate the oauthtoken corresponding to the API"
        " with proper oauthscope.",
    )


def no_owner(owner: str) -> CreatorErrorReply:
    """404 1040."""
    return CreatorErrorReply(404, 1040, f'No account owner named "{owner}" found.')


def no_application(app: str) -> CreatorErrorReply:
    """404 2892."""
    return CreatorErrorReply(404, 2892, f"No application named {app} found. Please check and try again.")


def no_form(form: str) -> CreatorErrorReply:
    """404 2893."""
    return CreatorErrorReply(404, 2893, f"No form named {form} found. Please check and try again.")


def no_report(report: str) -> CreatorErrorReply:
    """404 2894."""
    return CreatorErrorReply(404, 2894, f"No report named {report} found. Please check and try again.")


def generic_failure(status: int = 404) -> CreatorErrorReply:
    """2930, Creator's catch-all ("Error Occurred…"), 404 in the OAS."""
    return CreatorErrorReply(status, 2930, "Error Occurred. We are sorry for the inconvenience.")


def per_minute_limit() -> CreatorErrorReply:
    """429 2955: the per-user (or per-org) per-minute limit of an API."""
    return CreatorErrorReply(
        429, 2955, "You have reached your API call limit for a minute. Please try again after sometime."
    )


def daily_limit() -> CreatorErrorReply:
    """HTTP **200** 4000: the account's daily developer API limit is used up."""
    return CreatorErrorReply(
        200,
        4000,
        "Account's Developer API limit has been reached. Please upgrade to execute more REST API calls.",
    )


def bad_body(message: str = BODY_MISSING) -> CreatorErrorReply:
    """400 3020: Creator's one documented request-validation code.

    Zoho documents only the generic wording; for specific problems (bad ``max_records``,
    unknown field, malformed criteria, stale cursor) the emulator keeps code 3020 and says
    precisely what is wrong, so a client can react to the code and a human to the text.
    """
    return CreatorErrorReply(400, 3020, message)


def error_for_status(status: int) -> CreatorErrorReply:
    """A plausible Creator body for a bare HTTP status (fault injection without a body)."""
    known = {
        400: bad_body(),
        401: auth_failure(),
        404: invalid_url(),
        405: CreatorErrorReply(405, 1020, "METHOD is not a valid method for this request."),
        429: per_minute_limit(),
    }
    return known.get(status) or generic_failure(status)
