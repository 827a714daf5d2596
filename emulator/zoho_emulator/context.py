"""The shared state every handler works on, bundled so handlers take one argument."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from zoho_emulator.accounts.oauth import TokenStore
from zoho_emulator.core.expiring import ExpiringHandles
from zoho_emulator.core.faults import Faults
from zoho_emulator.core.job_ledger import JobLedger
from zoho_emulator.core.throttle import SlidingWindow
from zoho_emulator.core.wallclock import ZohoClock
from zoho_emulator.crm.bulk_jobs import JobStore, PageCursor
from zoho_emulator.crm.callbacks import CallbackSender
from zoho_emulator.dataset import Dataset
from zoho_emulator.options import EmulatorOptions


@dataclass
class EmulatorContext:
    """Options, data and the mutable stores of one emulator instance."""

    options: EmulatorOptions
    dataset: Dataset
    tokens: TokenStore
    jobs: JobStore
    page_tokens: ExpiringHandles[PageCursor]
    faults: Faults
    downloads: SlidingWindow
    callbacks: CallbackSender
    base_url: Callable[[], str]
    clock: ZohoClock
    ledger: JobLedger

    @property
    def tz(self) -> ZoneInfo:
        """The org time zone (offsets in timestamps and CSV datetimes)."""
        return ZoneInfo(self.options.org_timezone)

    def now_iso(self, timestamp: float | None = None) -> str:
        """Now, or the machine moment ``timestamp`` (``time.time()`` based), as Zoho's clock shows
        it: ISO 8601 with the org's offset, whole seconds."""
        machine = time.time() if timestamp is None else timestamp
        moment = dt.datetime.fromtimestamp(self.clock.shift(machine), self.tz)
        return moment.replace(microsecond=0).isoformat()
