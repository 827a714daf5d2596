"""Opaque handles that stop working after a time-to-live.

CRM's `next_page_token` (24 h, bound to the user) and Creator's `record_cursor` (15 min, bound to
the report) are the same mechanism: the client gets an unguessable string, the server remembers
what it stands for, and after the TTL the string is refused. Expired handles are remembered, so
a server can say "expired" rather than "unknown".
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ExpiringHandles(Generic[T]):
    """Handle → remembered value, each valid for `ttl` seconds after it was issued."""

    def __init__(self, ttl: float, *, size: int = 32, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._size = size
        self._clock = clock
        self._values: dict[str, tuple[T, float]] = {}
        self._lock = threading.Lock()

    def issue(self, value: T) -> str:
        """Remember `value`; return the handle that names it."""
        handle = secrets.token_hex(self._size)
        with self._lock:
            self._values[handle] = (value, self._clock() + self.ttl)
        return handle

    def lookup(self, handle: str) -> tuple[T | None, bool]:
        """(value, expired); (None, False) when the handle was never issued."""
        with self._lock:
            entry = self._values.get(handle)
        if entry is None:
            return None, False
        value, expires_at = entry
        return value, self._clock() >= expires_at
