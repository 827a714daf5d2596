"""What a sync spends of Zoho's quotas: API calls, and the daily API credits Zoho reports.

Zoho CRM (and Bigin) count API credits per organisation over a rolling day and send
`X-API-CREDITS-REMAINING` once half of them are used
(https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html). A run that meets the end of them
gets 429 on every call until the day rolls over, and so does every other integration of the org;
`min_api_credits_left` stops calling that API, state intact, before that happens; the other APIs
(Bigin's credits are its own org's, Creator reports none) go on.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

from tap_zoho_bulk.errors import ZohoError

LOGGER = logging.getLogger("tap-zoho-bulk")
CREDITS_HEADER = "X-API-CREDITS-REMAINING"
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+")


class CreditFloorReached(ZohoError):
    """Zoho reported fewer API credits left than `min_api_credits_left` for the API of a call:
    the streams of that API stop cleanly at their last STATE."""


class ApiUsage:
    """API calls sent and the credits Zoho last reported, per API (crm, bigin), thread-safe."""

    def __init__(self, min_credits_left: int | None = None) -> None:
        self.min_credits_left = min_credits_left
        self.calls = 0
        self._credits: dict[str, int] = {}
        self._floors: dict[str, str] = {}  # API → why its calls stopped, once they must
        self._unreadable: set[str] = set()  # APIs whose header could not be read (warned once)
        self._lock = threading.Lock()

    @property
    def credits_left(self) -> dict[str, int]:
        """The last number Zoho reported per API; empty while it reported none."""
        with self._lock:
            return dict(self._credits)

    @property
    def floors_reached(self) -> dict[str, str]:
        """API → the line saying why its calls stopped, for each API below the floor."""
        with self._lock:
            return dict(self._floors)

    def floor_reached(self, url: str) -> str | None:
        """Why calls to `url`'s API are refused, once Zoho reported fewer credits than allowed."""
        with self._lock:
            return self._floors.get(_api_of(url))

    def before_call(self, url: str) -> None:
        """Count one call; refuse it once its API's credit floor is reached (no call spends more)."""
        with self._lock:
            reason = self._floors.get(_api_of(url))
            if reason is not None:
                raise CreditFloorReached(reason)
            self.calls += 1

    def observe(self, url: str, headers: Mapping[str, str]) -> None:
        """Read the credits header of one answer (absent: Zoho has more than half the day's)."""
        value = headers.get(CREDITS_HEADER)
        if value is None:
            return
        api = _api_of(url)
        left = credits_number(value)
        if left is None:
            with self._lock:
                if api in self._unreadable:
                    return
                self._unreadable.add(api)
            LOGGER.warning("Zoho sent %s: %r for %s, which is not a number of credits; it is "
                           "not counted%s", CREDITS_HEADER, value[:40], api,
                           ", so min_api_credits_left cannot act on it"
                           if self.min_credits_left is not None else "")
            return
        with self._lock:
            self._credits[api] = left
            floor = self.min_credits_left
            if floor is not None and left < floor and api not in self._floors:
                self._floors[api] = (
                    f"Stopped before Zoho's API credits run out: Zoho reports {left:,} credits left "
                    f"for {api} (min_api_credits_left: {floor:,}); the last STATE written "
                    "continues this sync"
                )


def credits_number(value: str) -> int | None:
    """The credits a header states: ASCII digits, with thousands separators allowed (`1,234`);
    None for anything else (`²`, `-5`, `n/a`)."""
    text = value.strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return int(text) if text.isascii() and text.isdigit() else None


def _api_of(url: str) -> str:
    """`crm` / `bigin` from a Zoho API path (`/crm/bulk/v8/read`, behind a proxy's prefix too),
    else the host."""
    parts = urlsplit(url)
    return next((seg for seg in parts.path.split("/") if seg in ("crm", "bigin")), parts.netloc)
