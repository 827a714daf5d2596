"""Transport-neutral request/response objects and the route table.

Handlers only see ``Request`` and return ``Response`` so they can be unit-tested
without sockets, and a new product (e.g. Creator) plugs in by contributing more
``Route`` rows rather than editing a dispatcher.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zoho_emulator.core.replies import ErrorReply

JSON_CONTENT_TYPE = "application/json"


@dataclass
class Request:
    """One parsed HTTP request plus what routing and auth learnt about it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # regex groups of the route
    token: Any = None  # access token object once authenticated

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup (HTTP header names are case-insensitive)."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    def json_body(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None


@dataclass
class Response:
    """What a handler wants sent; the server adds common headers."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    truncate_at: int | None = None  # send only this many body bytes, then drop the socket

    @classmethod
    def json(
        cls,
        status: int,
        payload: Any,
        *,
        content_type: str = JSON_CONTENT_TYPE,
        headers: Iterable[tuple[str, str]] = (),
    ) -> Response:
        """A JSON response (UTF-8, non-ASCII kept as is like Zoho does)."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return cls(status, body, [("Content-Type", content_type), *headers])

    @classmethod
    def error(cls, error: ErrorReply) -> Response:
        """Render an ErrorReply."""
        return cls.json(error.status, error.body(), content_type=error.content_type)


Handler = Callable[[Request], Response]
ErrorFactory = Callable[[Request], ErrorReply]


@dataclass(frozen=True)
class Route:
    """One row of the route table: methods + full-path regex -> handler."""

    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler
    bad_method: ErrorFactory

    @classmethod
    def make(
        cls,
        methods: str | Iterable[str],
        regex: str,
        handler: Handler,
        bad_method: ErrorFactory,
    ) -> Route:
        """Build a route from a method (or methods) and an anchored regex."""
        names = {methods} if isinstance(methods, str) else set(methods)
        return cls(frozenset(m.upper() for m in names), re.compile(regex), handler, bad_method)


class Router:
    """Resolves (method, path) against the table; path hit + method miss is its own error."""

    def __init__(self, not_found: ErrorFactory, routes: Iterable[Route] = ()) -> None:
        self._routes: list[Route] = list(routes)
        self._not_found = not_found
        self._fallbacks: list[tuple[re.Pattern[str], ErrorFactory]] = []

    def add(self, routes: Iterable[Route]) -> None:
        """Append more rows (a product registering itself)."""
        self._routes.extend(routes)

    def not_found_under(self, prefix_regex: str, not_found: ErrorFactory) -> None:
        """Unknown paths matching ``prefix_regex`` (re.match) get this product's not-found error."""
        self._fallbacks.append((re.compile(prefix_regex), not_found))

    def _unknown_path(self, request: Request) -> ErrorReply:
        for pattern, factory in self._fallbacks:
            if pattern.match(request.path):
                return factory(request)
        return self._not_found(request)

    def dispatch(self, request: Request) -> Response:
        """Run the matching handler; ApiErrors become error responses."""
        path_hit: Route | None = None
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if request.method.upper() not in route.methods:
                path_hit = path_hit or route
                continue
            request.params = {k: v for k, v in match.groupdict().items() if v is not None}
            try:
                return route.handler(request)
            except ErrorReply as exc:
                return Response.error(exc)
        error = path_hit.bad_method(request) if path_hit else self._unknown_path(request)
        return Response.error(error)
