"""Job-completion callbacks (``callback.url`` in the create request).

Zoho POSTs the job details to the callback URL when a job finishes; the emulator does
the same from a timer thread so clients that listen instead of polling can be tested.
Delivery failures are ignored, as Zoho gives no delivery guarantee either.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from typing import Any


class CallbackSender:
    """Schedules and cancels callback POSTs."""

    def __init__(self) -> None:
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()

    def schedule(self, delay: float, url: str, payload: Callable[[], dict[str, Any]]) -> None:
        """POST ``payload()`` as JSON to ``url`` after ``delay`` seconds."""
        timer = threading.Timer(max(0.0, delay), self._post, args=(url, payload))
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()]
            self._timers.append(timer)
        timer.start()

    @staticmethod
    def _post(url: str, payload: Callable[[], dict[str, Any]]) -> None:
        data = json.dumps(payload(), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - scheme validated as http(s) on create
            url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                pass
        except OSError:
            pass

    def cancel_all(self) -> None:
        """Stop every pending callback (server shutdown)."""
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
