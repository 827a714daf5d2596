"""Zoho's clock as the emulator shows it: the machine's clock plus a fixed offset.

Zoho's servers keep their own time, and a client that trusts its own clock to build
incremental windows misses records when the two disagree; a negative ``clock_offset``
models a Zoho clock running behind the client's. Every "now" the emulator shows (the
``Date`` header, job times, token reset times, records stamped now) comes from here,
while internal timing (job durations, TTLs, limits) stays on the machine's monotonic clock.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo


class ZohoClock:
    """The machine clock shifted by ``offset`` seconds."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def time(self) -> float:
        """Now on Zoho's clock, as a POSIX timestamp."""
        return time.time() + self.offset

    def shift(self, machine_time: float) -> float:
        """A machine timestamp (``time.time()`` based) as Zoho's clock shows that moment."""
        return machine_time + self.offset

    def now(self, tz: ZoneInfo) -> dt.datetime:
        """Now on Zoho's clock in ``tz``, whole seconds (Zoho's record times have no fraction)."""
        return dt.datetime.fromtimestamp(self.time(), tz).replace(microsecond=0)
