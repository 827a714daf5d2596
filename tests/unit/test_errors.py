"""Zoho error bodies in all three dialects become the right kind of error."""

import pytest

from tap_zoho_bulk.errors import Kind, error_from_response


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (401, {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"},
         Kind.REAUTH, "INVALID_TOKEN"),
        (401, {"code": "OAUTH_SCOPE_MISMATCH", "details": {}, "message": "invalid oauth scope to access this URL",
               "status": "error"}, Kind.ACCESS, "OAUTH_SCOPE_MISMATCH"),
        (429, {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "", "status": "error"},
         Kind.RETRY, "TOO_MANY_REQUESTS"),
        (500, {"code": "INTERNAL_ERROR", "details": {}, "message": "Internal Server Error", "status": "error"},
         Kind.RETRY, "INTERNAL_ERROR"),
        (502, None, Kind.RETRY, "HTTP_502"),
        (400, {"data": [{"status": "error", "code": "FIELD_NOT_SUPPORTED", "message": "the field is not supported",
                         "details": {"api_name": "Doc"}}]}, Kind.UNSUPPORTED, "FIELD_NOT_SUPPORTED"),
        (404, {"code": "RESOURCE_NOT_FOUND", "details": {"resource": "job"}, "message": "x", "status": "error"},
         Kind.NOT_FOUND, "RESOURCE_NOT_FOUND"),
        (401, {"code": 1030, "message": "Authorization Failure."}, Kind.REAUTH, "1030"),
        (429, {"code": 2955, "message": "limit for a minute"}, Kind.RETRY, "2955"),
        (200, {"code": 4000, "message": "Account's Developer API limit has been reached."}, Kind.DAILY_LIMIT, "4000"),
        (404, {"code": 2894, "message": "No report named X found."}, Kind.NOT_FOUND, "2894"),
    ],
)
def test_classification(status, body, kind, code):
    error = error_from_response(status, body, "GET /x")
    assert error is not None
    assert (error.kind, error.code) == (kind, code)


@pytest.mark.parametrize("body", [{"data": [{"id": "1", "state": "COMPLETED"}]}, {"code": 3000, "details": {}},
                                  None, {"modules": []}])
def test_success_bodies_are_not_errors(body):
    assert error_from_response(200, body, "GET /x") is None


def test_message_names_code_message_details_and_hint():
    error = error_from_response(401, {"code": "OAUTH_SCOPE_MISMATCH", "message": "invalid oauth scope",
                                      "details": {}, "status": "error"}, "POST /crm/bulk/v8/read")
    text = str(error)
    assert "HTTP 401 OAUTH_SCOPE_MISMATCH: invalid oauth scope" in text
    assert "POST /crm/bulk/v8/read" in text
    assert "scope" in text.split(".", 1)[1]
