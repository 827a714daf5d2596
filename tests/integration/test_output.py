"""Output discipline: stdout in large blocks, flushed at every STATE and before every wait on Zoho."""

from __future__ import annotations

import contextlib
import io
import json
import sys

import pytest

from tap_zoho_bulk.engine import ExportEngine
from tap_zoho_bulk.output import BLOCK, BlockWriter
from tap_zoho_bulk.tap import TapZohoBulk
from tests.support.emulators import tap_config


class Stdout(io.TextIOWrapper):
    """A stdout whose every write to its binary layer is recorded, with what was written so far."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.flushes = 0
        raw = self

        class Binary(io.BytesIO):
            def write(self, data):  # type: ignore[override]
                raw.writes.append(bytes(data))
                return super().write(data)

        super().__init__(Binary(), encoding="utf-8")

    def flush(self) -> None:
        self.flushes += 1
        super().flush()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in b"".join(self.writes).splitlines()]


@pytest.fixture
def stdout():
    """Swapped in by the test itself (pytest puts its own capture back after fixtures run)."""
    return Stdout()


@contextlib.contextmanager
def writing_to(out):
    real, sys.stdout = sys.stdout, out
    try:
        yield
    finally:
        sys.stdout = real


def test_messages_leave_in_blocks_and_a_state_leaves_at_once(stdout):
    with writing_to(stdout):
        write_some(stdout)


def write_some(stdout):
    from singer_sdk.singerlib import RecordMessage, StateMessage

    writer = BlockWriter()
    for i in range(50):
        writer.write_message(RecordMessage(stream="s", record={"id": str(i)}))
    assert stdout.writes == []  # 50 small records: still in the block
    writer.write_message(StateMessage(value={"bookmarks": {}}))
    assert len(stdout.writes) == 1 and stdout.flushes == 1  # records and STATE in one write
    assert [m["type"] for m in stdout.lines()] == ["RECORD"] * 50 + ["STATE"]
    big = "x" * 1000
    for i in range(BLOCK // 1000 + 10):
        writer.write_record("s", {"id": str(i), "t": big}, None)
    assert len(stdout.writes) == 2 and len(stdout.writes[1]) >= BLOCK  # one block of ~1 MiB
    writer.write_block(lambda out: out.write(b'{"type":"RECORD","stream":"s","record":{"id":"z"}}\n'))
    writer.flush()  # the block is written on a thread; a flush waits for it
    assert len(stdout.writes) == 4  # what was pending goes first, in order
    assert stdout.lines()[-1]["record"] == {"id": "z"}


class Raw(io.RawIOBase):
    """A raw stdout (as under PYTHONUNBUFFERED) that writes at most `most` bytes a call, and calls
    `during` on its first write (a signal arriving while a block is being written)."""

    def __init__(self, most: int, during=None) -> None:
        self.data = bytearray()
        self.calls = 0
        self.most, self.during = most, during

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.calls += 1
        if self.calls == 1 and self.during:
            self.during()
        part = bytes(data[:self.most])
        self.data += part
        return len(part)


class Stopped(BaseException):
    pass


@pytest.mark.parametrize("kind", ["block", "pending"])
def test_a_stop_asked_for_while_a_block_is_written_follows_the_whole_block(kind):
    writer = BlockWriter()
    stops: list[int] = []

    def stop():
        stops.append(len(raw.data))
        raise Stopped

    raw = Raw(most=1000, during=lambda: writer.interrupt(stop))
    lines = b"".join(b'{"type":"RECORD","stream":"s","record":{"id":"%d"}}\n' % i for i in range(2000))
    with writing_to(io.TextIOWrapper(raw, write_through=True)), pytest.raises(Stopped):
        if kind == "block":
            writer.write_block(lambda out: out.write(lines))  # on the writer's thread
            writer.flush()
        else:
            writer._pending += lines
            writer.flush()
    assert raw.calls > 50  # many short writes ...
    assert bytes(raw.data) == lines and stops == [len(lines)]  # ... all of them, then the stop
    writer.flush()  # as at exit: nothing is written twice
    assert bytes(raw.data) == lines
    with pytest.raises(Stopped):  # no write in progress: at once
        writer.interrupt(stop)


def test_polars_blocks_reach_a_raw_stdout_whole_through_short_writes():
    import polars as pl

    from tap_zoho_bulk import columnar

    raw = Raw(most=777)
    frame = pl.DataFrame({"id": [str(i) for i in range(5000)], "n": list(range(5000))})
    with writing_to(io.TextIOWrapper(raw, write_through=True)):
        writer = BlockWriter()
        writer.write_block(lambda out: columnar.write_records(frame, "s", out))
        writer.flush()
    lines = [json.loads(line) for line in bytes(raw.data).splitlines()]
    assert [line["record"] for line in lines] == frame.to_dicts()


def test_everything_written_is_flushed_before_the_tap_waits_for_a_page(stdout, make_emulator, monkeypatch):
    emulator = make_emulator(records_per_module=100)
    pending_at_wait: list[int] = []
    original = ExportEngine.pages

    def pages(engine, name):
        pending_at_wait.append(len(tap.message_writer._pending))  # the first page (after SCHEMA)
        for page in original(engine, name):
            yield page
            # the stream asks for the next page: it may wait on Zoho, so nothing may be held back
            pending_at_wait.append(len(tap.message_writer._pending))

    monkeypatch.setattr(ExportEngine, "pages", pages)
    tap = TapZohoBulk(config=tap_config(emulator, crm_modules=["Leads", "Deals"]), setup_mapper=True)
    with writing_to(stdout):
        tap.sync_all()
    messages = stdout.lines()
    assert len(pending_at_wait) > 4  # several pages per stream (pages of 40 records)
    assert set(pending_at_wait) == {0}
    records = [m for m in messages if m["type"] == "RECORD"]
    assert len(records) == 200
    assert messages[-1]["type"] == "STATE"
