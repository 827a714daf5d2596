"""Fault injection: make the next matching request fail the way production does.

Every fault is armed for a number of uses and disarms itself, so a test states
exactly which request misbehaves and the client's recovery path is what gets tested.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zoho_emulator.core.damage import DAMAGE_KINDS, ZIP_BOMB_SIZE

CompletionAction = Callable[[Any], None]  # receives the emulator's Dataset

# What a front end shows while a service is down for maintenance: an HTML page, possibly with
# HTTP 200, where the client expects JSON. Zoho documents no such answer; clients that call
# .json() on every 200 meet it anyway (proxies, captive portals, maintenance windows).
MAINTENANCE_HTML = (
    "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>Zoho - Scheduled Maintenance</title>"
    "</head>\n<body><h1>We'll be back shortly</h1><p>Zoho is undergoing scheduled maintenance."
    " Please try again after some time.</p></body></html>\n"
)
HTML_CONTENT_TYPE = "text/html;charset=UTF-8"


@dataclass
class Injection:
    """A canned response for matching requests."""

    pattern: re.Pattern[str]
    status: int
    body: Any
    method: str | None
    headers: dict[str, str]
    remaining: int | None  # None = forever


@dataclass(frozen=True)
class Answer:
    """One step of a ``Faults.sequence``: a status, and a body as ``Faults.inject`` takes it.

    ``expire_tokens`` invalidates every access token issued so far as this answer is sent, so a
    401 step really kills the client's token (it must refresh, not just retry).
    """

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    expire_tokens: bool = False


# The 401 a request meets when its access token died under it (Zoho's INVALID_TOKEN,
# Creator's 1030 on Creator paths), with the tokens really invalidated.
TOKEN_DIED = Answer(401, expire_tokens=True)
AnswerLike = int | tuple[int, Any] | Answer


def _answer(step: AnswerLike) -> Answer:
    if isinstance(step, Answer):
        return step
    if isinstance(step, int):
        return Answer(step)
    status, body = step
    return Answer(status, body)


@dataclass
class _Sequence:
    pattern: re.Pattern[str]
    method: str | None
    steps: deque[Answer]


@dataclass
class _Broken:
    kind: str
    product: str | None
    modules: frozenset[str] | None
    remaining: int | None
    bomb_size: int


@dataclass(frozen=True)
class BrokenResult:
    """How a download's result file is to be damaged (see ``Faults.broken_result``)."""

    kind: str
    bomb_size: int = ZIP_BOMB_SIZE


@dataclass
class _OnCompleted:
    product: str
    module: str
    action: CompletionAction
    remaining: int | None


@dataclass
class _Armed:
    pattern: re.Pattern[str]
    remaining: int | None
    method: str | None = None


def _take(remaining: int | None) -> int | None:
    return None if remaining is None else remaining - 1


class Faults:
    """Thread-safe registry of pending faults."""

    def __init__(self, expire_tokens: Callable[[], None]) -> None:
        self._expire_tokens = expire_tokens
        self._lock = threading.Lock()
        self._injections: list[Injection] = []
        self._resets: list[_Armed] = []
        self._failing_jobs = 0
        self._stalling_jobs = 0
        self._expiring_results = 0
        self._on_completed: list[_OnCompleted] = []
        self._truncations = 0
        self._no_content: dict[tuple[str, str], int | None] = {}
        self._creator_daily_after: int | None = None
        self._sequences: list[_Sequence] = []
        self._hangs: list[_Armed] = []
        self._broken: list[_Broken] = []
        self._refresh_throttles: int | None = 0  # None = every refresh

    # ----------------------------------------------------------- arming
    def expire_access_tokens(self) -> None:
        """Invalidate every access token issued so far (next call: INVALID_TOKEN)."""
        self._expire_tokens()

    def fail_next_jobs(self, n: int = 1) -> None:
        """The next ``n`` created jobs end in state FAILURE."""
        with self._lock:
            self._failing_jobs += n

    def stall_next_jobs(self, n: int = 1) -> None:
        """The next ``n`` created bulk jobs (CRM, Bigin, Creator) never complete: they stay
        IN PROGRESS (Creator: In-progress) for ever, and send no callback."""
        with self._lock:
            self._stalling_jobs += n

    def expire_next_results(self, n: int = 1) -> None:
        """The next ``n`` downloads of a completed job find its result gone: they answer as for
        an expired job (CRM/Bigin 404 RESOURCE_NOT_FOUND, Creator 404 code 1000), and so do
        later status calls and downloads of that job."""
        with self._lock:
            self._expiring_results += n

    def on_completed(
        self, product: str, module: str, action: CompletionAction, times: int | None = 1
    ) -> None:
        """Run ``action(dataset)`` when a status call is about to report a job of ``product`` /
        ``module`` complete for the first time, before it answers.

        ``product`` is "crm", "bigin" or "creator" (``module`` then is the report path
        owner/app/report). The job's own result is already frozen, so the change shows in
        later jobs only: a test can delete or update records between one page's job and the
        next, deterministically. ``times=None`` keeps it armed for every such job.
        """
        with self._lock:
            self._on_completed.append(_OnCompleted(product, module, action, times))

    def inject(
        self,
        path_regex: str,
        status: int,
        body: Any = None,
        times: int | None = 1,
        method: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path matches (re.search) with this.

        ``body`` None sends Zoho's error body for the status; a dict/list is sent as
        JSON; str/bytes are sent verbatim. ``times=None`` keeps it armed forever.
        """
        with self._lock:
            self._injections.append(
                Injection(
                    re.compile(path_regex),
                    status,
                    body,
                    method.upper() if method else None,
                    dict(headers or {}),
                    times,
                )
            )

    def reset_connection(self, path_regex: str, times: int | None = 1) -> None:
        """Close the socket without answering the next matching requests."""
        with self._lock:
            self._resets.append(_Armed(re.compile(path_regex), times))

    def truncate_download(self, times: int = 1) -> None:
        """The next downloads send part of the ZIP (full Content-Length), then close."""
        with self._lock:
            self._truncations += times

    def metadata_no_content(self, product: str, module: str, times: int | None = 1) -> None:
        """GET settings/fields for this module answers 204 with an empty body."""
        with self._lock:
            self._no_content[(product, module)] = times

    def creator_daily_limit(self, after: int = 0) -> None:
        """After ``after`` more Creator calls, every Creator call answers HTTP 200 code 4000.

        Stays armed until ``clear()``: Zoho's daily limit does not lift within a run either.
        """
        with self._lock:
            self._creator_daily_after = max(0, after)

    def maintenance_page(
        self, path_regex: str, times: int | None = 1, *, status: int = 200, method: str | None = None
    ) -> None:
        """Answer the next ``times`` matching requests with an HTML maintenance page
        (``Content-Type: text/html``, HTTP ``status``, 200 by default) instead of JSON: what a
        Zoho front end in maintenance serves on any path, the token endpoint included."""
        self.inject(path_regex, status, MAINTENANCE_HTML, times, method, {"Content-Type": HTML_CONTENT_TYPE})

    def wrong_shape(
        self, path_regex: str, body: Any = None, times: int | None = 1, *, method: str | None = None
    ) -> None:
        """Answer the next ``times`` matching requests with HTTP 200 and a JSON body of the wrong
        shape (``{}`` by default; e.g. ``{"data": []}`` for a job status)."""
        payload = {} if body is None else body
        self.inject(path_regex, 200, payload, times, method, {"Content-Type": "application/json"})

    def sequence(self, path_regex: str, answers: Sequence[AnswerLike], *, method: str | None = None) -> None:
        """Answer the next matching requests with ``answers`` in order, one each, then disarm.

        Each answer is a status (Zoho's error body for it), ``(status, body)`` or an ``Answer``;
        requests on other paths (a token refresh between two steps) do not consume a step.
        """
        steps = deque(_answer(step) for step in answers)
        if not steps:
            return
        armed = _Sequence(re.compile(path_regex), method.upper() if method else None, steps)
        with self._lock:
            self._sequences.append(armed)

    def invalid_token_then(
        self, path_regex: str, *then: AnswerLike, method: str | None = None
    ) -> None:
        """The next matching request answers 401 INVALID_TOKEN (Creator: 1030) and every access
        token issued so far really dies; the matching requests after it (a client's retry with a
        fresh token) answer ``then`` in order, a 503 by default."""
        self.sequence(path_regex, [TOKEN_DIED, *(then or (503,))], method=method)

    def hang(self, path_regex: str, times: int | None = None, *, method: str | None = None) -> None:
        """Read the next ``times`` matching requests (None = all) and never answer: the socket is
        held open until the emulator stops, so only a client-side timeout gets the caller out
        (an accounts server that accepts connections and stalls). For "connection refused", point
        the client at ``ZohoEmulator.refused_url()`` instead."""
        with self._lock:
            self._hangs.append(_Armed(re.compile(path_regex), times, method.upper() if method else None))

    def broken_result(
        self,
        kind: str,
        times: int | None = 1,
        *,
        product: str | None = None,
        modules: str | Iterable[str] | None = None,
        bomb_size: int = ZIP_BOMB_SIZE,
    ) -> None:
        """Damage the result file of the next ``times`` downloads (None = every download).

        ``kind``: "bad_crc" (bytes flipped inside the compressed data: a CRC or zlib error part-way
        through), "zip_bomb" (one member inflating to ``bomb_size`` bytes, 1 GiB by default, from a
        ZIP of about a megabyte), "not_utf8" (a Latin-1 byte in a cell), "duplicate_header" (two
        columns with one name), "long_row" (a data row with one cell more than the header),
        "two_members" (the rows split over two CSV members). ``product`` ("crm", "bigin",
        "creator") and ``modules`` (module API names; Creator report paths owner/app/report) narrow
        which downloads; None = all.
        """
        if kind not in DAMAGE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(DAMAGE_KINDS)}")
        chosen = None if modules is None else frozenset([modules] if isinstance(modules, str) else modules)
        with self._lock:
            self._broken.append(_Broken(kind, product, chosen, times, bomb_size))

    def throttle_refreshes(self, times: int | None = 1) -> None:
        """The next ``times`` refresh grants (None = all) answer Zoho's "too many requests
        continuously" body with ``throttle_status``, whatever the refresh counter says."""
        with self._lock:
            if times is None or self._refresh_throttles is None:
                self._refresh_throttles = None
            else:
                self._refresh_throttles += times

    def clear(self) -> None:
        """Disarm everything still pending."""
        with self._lock:
            self._injections.clear()
            self._resets.clear()
            self._failing_jobs = 0
            self._stalling_jobs = 0
            self._expiring_results = 0
            self._on_completed.clear()
            self._truncations = 0
            self._no_content.clear()
            self._creator_daily_after = None
            self._sequences.clear()
            self._hangs.clear()
            self._broken.clear()
            self._refresh_throttles = 0

    # ----------------------------------------------------------- consuming
    def take_reset(self, path: str) -> bool:
        """Consume a connection-reset fault matching this path."""
        with self._lock:
            for armed in self._resets:
                if armed.pattern.search(path):
                    armed.remaining = _take(armed.remaining)
                    if armed.remaining == 0:
                        self._resets.remove(armed)
                    return True
        return False

    def take_hang(self, method: str, path: str) -> bool:
        """Consume a hang fault matching this request."""
        with self._lock:
            for armed in self._hangs:
                if armed.method not in (None, method.upper()) or not armed.pattern.search(path):
                    continue
                armed.remaining = _take(armed.remaining)
                if armed.remaining == 0:
                    self._hangs.remove(armed)
                return True
        return False

    def _take_step(self, method: str, path: str) -> Answer | None:
        with self._lock:
            for armed in self._sequences:
                if armed.method not in (None, method.upper()) or not armed.pattern.search(path):
                    continue
                step = armed.steps.popleft()
                if not armed.steps:
                    self._sequences.remove(armed)
                return step
        return None

    def take_injection(self, method: str, path: str) -> Injection | None:
        """Consume an injected response matching this request (a sequence step first)."""
        step = self._take_step(method, path)
        if step is not None:
            if step.expire_tokens:
                self._expire_tokens()
            return Injection(re.compile(""), step.status, step.body, None, dict(step.headers), None)
        with self._lock:
            for injection in self._injections:
                if injection.method not in (None, method.upper()):
                    continue
                if injection.pattern.search(path):
                    injection.remaining = _take(injection.remaining)
                    if injection.remaining == 0:
                        self._injections.remove(injection)
                    return injection
        return None

    def take_job_failure(self) -> bool:
        """Consume one pending job failure."""
        with self._lock:
            if self._failing_jobs > 0:
                self._failing_jobs -= 1
                return True
        return False

    def take_job_stall(self) -> bool:
        """Consume one pending job stall."""
        with self._lock:
            if self._stalling_jobs > 0:
                self._stalling_jobs -= 1
                return True
        return False

    def take_result_expiry(self) -> bool:
        """Consume one pending result expiry."""
        with self._lock:
            if self._expiring_results > 0:
                self._expiring_results -= 1
                return True
        return False

    def take_on_completed(self, product: str, module: str) -> CompletionAction | None:
        """Consume the first completion action armed for this product/module."""
        with self._lock:
            for armed in self._on_completed:
                if (armed.product, armed.module) == (product, module):
                    armed.remaining = _take(armed.remaining)
                    if armed.remaining == 0:
                        self._on_completed.remove(armed)
                    return armed.action
        return None

    def take_truncation(self) -> bool:
        """Consume one pending download truncation."""
        with self._lock:
            if self._truncations > 0:
                self._truncations -= 1
                return True
        return False

    def take_no_content(self, product: str, module: str) -> bool:
        """Consume a 204 fault for this module's field metadata."""
        with self._lock:
            key = (product, module)
            if key not in self._no_content:
                return False
            remaining = _take(self._no_content[key])
            if remaining == 0:
                del self._no_content[key]
            else:
                self._no_content[key] = remaining
            return True

    def take_broken_result(self, product: str, module: str) -> BrokenResult | None:
        """Consume a result-file damage armed for a download of this product/module."""
        with self._lock:
            for armed in self._broken:
                if armed.product not in (None, product):
                    continue
                if armed.modules is not None and module not in armed.modules:
                    continue
                armed.remaining = _take(armed.remaining)
                if armed.remaining == 0:
                    self._broken.remove(armed)
                return BrokenResult(armed.kind, armed.bomb_size)
        return None

    def take_refresh_throttle(self) -> bool:
        """Consume a forced refresh throttle."""
        with self._lock:
            if self._refresh_throttles is None:
                return True
            if self._refresh_throttles > 0:
                self._refresh_throttles -= 1
                return True
        return False

    def take_creator_daily_limit(self) -> bool:
        """Count one Creator call; True when the armed daily limit is reached."""
        with self._lock:
            if self._creator_daily_after is None:
                return False
            if self._creator_daily_after > 0:
                self._creator_daily_after -= 1
                return False
            return True
