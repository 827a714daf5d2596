"""Fault injection: make the next matching request fail the way production does.

Every fault is armed for a number of uses and disarms itself, so a test states
exactly which request misbehaves and the client's recovery path is what gets tested.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CompletionAction = Callable[[Any], None]  # receives the emulator's Dataset


@dataclass
class Injection:
    """A canned response for matching requests."""

    pattern: re.Pattern[str]
    status: int
    body: Any
    method: str | None
    headers: dict[str, str]
    remaining: int | None  # None = forever


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

    def take_injection(self, method: str, path: str) -> Injection | None:
        """Consume an injected response matching this request."""
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

    def take_creator_daily_limit(self) -> bool:
        """Count one Creator call; True when the armed daily limit is reached."""
        with self._lock:
            if self._creator_daily_after is None:
                return False
            if self._creator_daily_after > 0:
                self._creator_daily_after -= 1
                return False
            return True
