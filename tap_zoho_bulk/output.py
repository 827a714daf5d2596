"""Singer messages to stdout in large blocks.

The SDK's writers write and flush every message: one system call per record, since stdout is
unbuffered where PYTHONUNBUFFERED is set (Meltano sets it). This writer collects messages and the
columnar path's RECORD blocks and writes them in blocks of `BLOCK` bytes; it flushes at every
STATE message (a target never gets a STATE before the records it covers, nor waits for it) and
when the tap is about to wait on Zoho (`flush`), so a target is never starved either.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import sys
import time
from typing import Any, BinaryIO

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from typing_extensions import override

BLOCK = 1 << 20


class BlockWriter(MsgSpecWriter):
    """MsgSpecWriter that writes in blocks and flushes at STATE (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        self._stamped, self._stamp = -2.0, ""
        atexit.register(self._at_exit)  # however the run ends, what was written reaches stdout

    @override
    def write_message(self, message: Any) -> None:
        self._pending += self.format_message(message)
        if getattr(message, "type", None) == "STATE":
            self.flush()
        elif len(self._pending) >= BLOCK:
            self._write_out()

    def write_record(self, stream: str, record: dict[str, Any], version: int | None) -> None:
        """One RECORD message as the SDK writes it, encoded straight into the block."""
        message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = self._now()
        self._pending += encoder.encode(message)
        self._pending += b"\n"
        if len(self._pending) >= BLOCK:
            self._write_out()

    def _now(self) -> str:
        """The time of extraction, to the second (the clock is read once per second at most)."""
        now = time.monotonic()
        if now - self._stamped >= 1.0:
            self._stamped, self._stamp = now, dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        return self._stamp

    def stdout(self) -> BinaryIO:
        """Stdout itself, for a block of serialised messages written at once (the columnar
        path's RECORD blocks), after what is pending."""
        self._write_out()
        return sys.stdout.buffer

    def flush(self) -> None:
        """Everything written so far, to the reader of stdout."""
        self._write_out()
        sys.stdout.flush()

    def _at_exit(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # stdout closed or its reader gone
            self.flush()

    def _write_out(self) -> None:
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()
