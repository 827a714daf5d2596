"""The shared state every handler works on, bundled so handlers take one argument."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .callbacks import CallbackSender
from .data import Dataset
from .faults import Faults
from .jobs import JobStore, PageTokens
from .oauth import TokenStore
from .options import EmulatorOptions
from .ratelimit import SlidingWindow


@dataclass
class EmulatorContext:
    """Options, data and the mutable stores of one emulator instance."""

    options: EmulatorOptions
    dataset: Dataset
    tokens: TokenStore
    jobs: JobStore
    page_tokens: PageTokens
    faults: Faults
    downloads: SlidingWindow
    callbacks: CallbackSender
    base_url: Callable[[], str]

    @property
    def tz(self) -> ZoneInfo:
        """The org time zone (offsets in timestamps and CSV datetimes)."""
        return ZoneInfo(self.options.org_timezone)

    def now_iso(self, timestamp: float | None = None) -> str:
        """An ISO 8601 timestamp with the org's offset, whole seconds."""
        moment = (
            dt.datetime.now(self.tz) if timestamp is None else dt.datetime.fromtimestamp(timestamp, self.tz)
        )
        return moment.replace(microsecond=0).isoformat()
