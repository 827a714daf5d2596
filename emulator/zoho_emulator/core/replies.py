"""The base of every error an emulated API answers with: an exception a handler raises and the
router renders (status, content type and the product's own body shape)."""

from __future__ import annotations

from typing import Any

ERROR_CONTENT_TYPE = "application/json;charset=utf-8"


class ErrorReply(Exception):
    """An error that a handler turns into an HTTP response (product-neutral base)."""

    status: int = 500
    content_type: str = ERROR_CONTENT_TYPE

    def body(self) -> Any:
        """JSON-serialisable response body."""
        raise NotImplementedError
