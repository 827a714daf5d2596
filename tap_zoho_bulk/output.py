"""Singer messages to stdout in large blocks.

The SDK's writers write and flush every message: one system call per record, since stdout is
unbuffered where PYTHONUNBUFFERED is set (Meltano sets it). This writer collects messages and the
columnar path's RECORD blocks and writes them in blocks of `BLOCK` bytes; it flushes at every
STATE message (a target never gets a STATE before the records it covers, nor waits for it) and
when the tap is about to wait on Zoho (`flush`), so a target is never starved either.

The columnar path's RECORD blocks are encoded and written on a thread of their own, so a block
leaves while the next is typed; every other write waits for the block in flight, which keeps the
order of messages.

Every line reaches stdout whole. Stdout is a raw file under PYTHONUNBUFFERED, whose write may
write part of a block when a signal arrives; `_WholeWrites` writes the rest, and a stop asked for
by a signal handler while a block is being written (`interrupt`) is carried out once it is written,
so a killed run never leaves a target half a message.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import errno
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any, BinaryIO

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from typing_extensions import override

BLOCK = 1 << 20


def broken_pipe(exc: BaseException) -> bool:
    """Whether `exc` says stdout's reader went away (the target exited; `| head`). polars' writer
    raises a plain OSError whose text alone says so."""
    return isinstance(exc, OSError) and (exc.errno == errno.EPIPE or "Broken pipe" in str(exc))


class BlockWriter(MsgSpecWriter):
    """MsgSpecWriter that writes in blocks and flushes at STATE (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        self._stamped, self._stamp = -2.0, ""
        self._writing = False
        self._deferred: Callable[[], None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stdout")
        self._in_flight: Future[None] | None = None
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

    def write_block(self, write: Callable[[IO[bytes]], None]) -> None:
        """A block of serialised messages (the columnar path's RECORD lines), after what is
        pending, encoded and written by `write` on a thread of its own while the caller types the
        next block; one block at a time is in flight (every other write waits for it)."""
        self._write_out()
        out = _WholeWrites(sys.stdout.buffer)
        self._in_flight = self._thread.submit(self._write_whole, write, out)

    def interrupt(self, stop: Callable[[], None]) -> None:
        """From a signal handler: `stop` (which raises) now, or once the block being written is
        written whole."""
        if self._writing or self._in_flight is not None:
            self._deferred = stop
        else:
            stop()

    def flush(self) -> None:
        """Everything written so far, to the reader of stdout."""
        self._write_out()
        sys.stdout.flush()

    def _at_exit(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # stdout closed or its reader gone
            self.flush()

    def _write_out(self) -> None:
        self._wait()
        if self._pending:
            self._write_whole(lambda out: out.write(self._pending), _WholeWrites(sys.stdout.buffer))
            self._pending.clear()  # before a deferred stop, which must not have it written again
        self._stop_if_asked()

    def _write_whole(self, write: Callable[[IO[bytes]], Any], out: _WholeWrites) -> None:
        """A write no signal handler interrupts (`interrupt` defers the stop meanwhile)."""
        self._writing = True
        try:
            write(out)  # type: ignore[arg-type]  # all a writer uses of a binary file
        finally:
            self._writing = False

    def _wait(self) -> None:
        """The block in flight written (its failure raised here)."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.result()

    def _stop_if_asked(self) -> None:
        stop, self._deferred = self._deferred, None
        if stop is not None:
            stop()


class _WholeWrites:
    """A binary file whose `write` writes all it is given, however many writes of the file under
    it that takes (a raw file's write writes only part of it when a signal interrupts it)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data).cast("B")
        while view:
            written = self._out.write(view)
            view = view[written or 0:]  # None: nothing written yet (a non-blocking file)
        return len(data)

    def flush(self) -> None:
        self._out.flush()
