"""Error bodies, one table for all CRM/Bigin error codes.

Zoho's CRM and Bigin APIs answer errors as ``{"code","details","message","status":"error"}``
with a fixed HTTP status per code; keeping them in one table guarantees every handler
emits the same status/message pair for a code. Other products (Creator: numeric codes)
add their own ``ErrorReply`` subclass instead of bending this one.
"""

from __future__ import annotations

from typing import Any

from zoho_emulator.core.replies import ErrorReply

# code -> (HTTP status, message). Messages are Zoho's where known
# (https://www.zoho.com/crm/developer/docs/api/v8/status-codes.html and the bulk read pages).
ERRORS: dict[str, tuple[int, str]] = {
    "INVALID_TOKEN": (401, "invalid oauth token"),
    "AUTHENTICATION_FAILURE": (401, "Authentication failed"),
    "OAUTH_SCOPE_MISMATCH": (401, "invalid oauth scope to access this URL"),
    "INVALID_URL_PATTERN": (404, "Please check if the URL trying to access is a correct one"),
    "INVALID_REQUEST_METHOD": (400, "The http request method type is not a valid one"),
    "RESOURCE_NOT_FOUND": (404, "The requested resource doesn't exist."),
    "NO_PERMISSION": (403, "Permission denied to read"),
    "AUTHORIZATION_FAILED": (400, "User does not have sufficient privilege to read."),
    "MEDIA_TYPE_NOT_SUPPORTED": (415, "Media type is not supported."),
    "INTERNAL_ERROR": (500, "Internal Server Error"),
    "INTERNAL_SERVER_ERROR": (500, "Internal server error occurred."),
    "TOO_MANY_REQUESTS": (
        429,
        "You have reached the maximum number of download requests allowed per minute."
        " Please try again after some time.",
    ),
    "REQUEST_BODY_IS_EMPTY": (400, "The request body is empty."),
    "REQUEST_BODY_NOT_READABLE": (400, "The request body is not readable."),
    "INVALID_REQUEST": (400, "The request is invalid."),
    "MANDATORY_NOT_FOUND": (400, "required field not found"),
    "REQUIRED_PARAM_MISSING": (400, "One of the expected parameter is missing"),
    "INVALID_MODULE": (400, "the module name given seems to be invalid"),
    "INVALID_DATA": (400, "invalid data"),
    "MODULE_NOT_SUPPORTED": (400, "The given module is not supported for bulk read."),
    "FIELD_NOT_AVAILABLE": (400, "The given field is not available in the module."),
    "FIELD_NOT_SUPPORTED": (400, "The given field is not supported for bulk read."),
    "PAGE_RANGE_EXCEEDED": (400, "The page value is out of range."),
    "CVID_NOT_SUPPORTED": (400, "The given cvid is not supported."),
    "INVALID_CALLBACK_URL": (400, "The given callback url is invalid."),
    "INVALID_CALLBACK_METHOD": (400, "The given callback method is invalid."),
    "NOT_SUPPORTED_FEATURE": (400, "The requested feature is not supported."),
    "INVALID_CRITERIA": (400, "The given criteria is invalid."),
    "AMBIGUOUS_CRITERIA": (400, "The given criteria is ambiguous."),
    "AMBIGUOUS_GROUP_IN_CRITERIA": (400, "The group in the criteria is ambiguous."),
    "CRITERIA_LIMIT_EXCEEDED": (400, "The number of criteria exceeds the limit."),
    "GROUP_OPERATOR_NOT_SUPPORTED": (400, "The given group operator is not supported."),
    "FIELD_IN_CRITERIA_NOT_SUPPORTED": (400, "The field is not supported in criteria."),
    "FIELD_IN_CRITERIA_NOT_AVAILABLE": (400, "The field in the criteria is not available."),
    "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED": (
        400,
        "The comparator is not supported for the field in criteria.",
    ),
    "VALUE_IN_CRITERIA_NOT_SUPPORTED": (400, "The value in the criteria is not supported."),
    "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE": (
        400,
        "The value in the criteria is not compatible with the field.",
    ),
    "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE": (
        400,
        "The value in the criteria is not compatible with the comparator.",
    ),
    "VALUE_LIMIT_EXCEEDED_IN_CRITERIA": (400, "The value in the criteria exceeds the limit."),
    # REST search syntax (record count): https://www.zoho.com/crm/developer/docs/api/v2/search-records.html
    "INVALID_QUERY": (400, "invalid query formed"),
    "AMBIGUITY_DURING_PROCESSING": (400, "Only one of cvid, criteria, email, phone and word can be given."),
}


class CrmErrorReply(ErrorReply):
    """A CRM/Bigin error, rendered as ``{"code","details","message","status":"error"}``."""

    def __init__(
        self,
        code: str,
        details: dict[str, Any] | None = None,
        *,
        message: str | None = None,
        status: int | None = None,
    ) -> None:
        default_status, default_message = ERRORS.get(code, (400, code.replace("_", " ").lower()))
        self.code = code
        self.details = details or {}
        self.message = message or default_message
        self.status = status or default_status
        super().__init__(f"{self.status} {code}: {self.message}")

    def body(self) -> dict[str, Any]:
        """Zoho's error envelope (key order as in captured responses)."""
        return {
            "code": self.code,
            "details": self.details,
            "message": self.message,
            "status": "error",
        }


def error_for_status(status: int) -> CrmErrorReply:
    """A plausible error for an HTTP status, used when a fault injects only a status."""
    for code, (code_status, _message) in ERRORS.items():
        if code_status == status:
            return CrmErrorReply(code)
    return CrmErrorReply("INTERNAL_ERROR", status=status)


def bad_method(_request: object) -> CrmErrorReply:
    """A known CRM/Bigin path asked with a method it does not take."""
    return CrmErrorReply("INVALID_REQUEST_METHOD")


def unknown_url(_request: object) -> CrmErrorReply:
    """A path no CRM/Bigin API serves."""
    return CrmErrorReply("INVALID_URL_PATTERN")
