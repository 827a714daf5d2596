"""Read a bulk result: the CSV member of a ZIP file, verified, then streamed row by row.

Knows zip and CSV, nothing about HTTP. Handles what Zoho sends: a UTF-8 BOM, CRLF or LF, quoted
cells with newlines, cells far beyond Python's default 128 KiB csv field limit, `id` or `Id`.
Memory stays flat: the member is decompressed as it is read, one row at a time. A deflated member
is inflated by ISA-L (`isal`), four times zlib's speed, with zipfile's CRC check kept
(`_Inflating`); zipfile's own reader takes any other member.

A file is verified before any of its records is emitted (`verify_export`): one member, a size
within a bound of the download's (a zip bomb is refused unread), the CRC, UTF-8, distinct column
names, every row as wide as the header. A record emitted from a file that later turns out broken
could not be taken back.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from isal import isal_zlib
from typing_extensions import override

# Zoho textareas reach 32k+ characters, rich text more; bounded so a broken file cannot eat memory.
MAX_CELL_CHARS = min(sys.maxsize, 64 * 1024 * 1024)
# A CSV deflates 5 to 30 times; a zip bomb thousands of times. Small files are never refused.
MAX_INFLATION = 400
ALWAYS_ALLOWED = 64 * 1024 * 1024


# What inflating a damaged member raises (zipfile's reader: zlib's; `_Inflating`: ISA-L's).
INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, cast("type[Exception]", isal_zlib.error))
_DAMAGED: tuple[type[Exception], ...] = (zipfile.BadZipFile, EOFError, *INFLATE_ERRORS)


class ExportFormatError(ValueError):
    """The result file is not the ZIP-with-one-CSV Zoho documents (the reason never quotes data)."""


def verify_export(path: Path, *, primary_key: str = "id") -> None:
    """Raise ExportFormatError unless `path` is a ZIP of one well-formed UTF-8 CSV."""
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        with _member(path) as (archive, member, raw):
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise ExportFormatError(f"the ZIP holds {len(members)} files, not one CSV")
            limit = max(ALWAYS_ALLOWED, MAX_INFLATION * path.stat().st_size)
            if member.file_size > limit:
                raise ExportFormatError(
                    f"the ZIP would inflate to {member.file_size} bytes from {path.stat().st_size}: "
                    "refused as a zip bomb"
                )
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(text, strict=False)
            header = [_normalise(name, primary_key) for name in next(reader, [])]
            repeated = sorted({name for name in header if header.count(name) > 1})
            if repeated:
                raise ExportFormatError(f"the CSV names columns twice: {', '.join(repeated)}")
            for line, row in enumerate(reader, start=2):
                if row and len(row) != len(header):
                    raise ExportFormatError(
                        f"row {line} of the CSV has {len(row)} cells, its header {len(header)}"
                    )
    except _DAMAGED as exc:
        raise ExportFormatError(f"the ZIP is damaged ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"the CSV is not UTF-8 (byte {exc.start} of a block)") from None
    except csv.Error as exc:
        raise ExportFormatError(f"the CSV is not well formed ({exc})") from None


@contextmanager
def _member(path: Path) -> Iterator[tuple[zipfile.ZipFile, zipfile.ZipInfo, IO[bytes]]]:
    """The result's archive, its CSV member and that member's bytes, inflated as they are read."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ExportFormatError(f"the result is not a ZIP file: {exc}") from None
    with archive:
        member = _csv_member(archive)
        if member.compress_type == zipfile.ZIP_DEFLATED and not member.flag_bits & 1:  # not encrypted
            with path.open("rb") as file, io.BufferedReader(_Inflating(file, member), 1 << 18) as raw:
                yield archive, member, raw
        else:
            with archive.open(member) as raw:
                yield archive, member, raw


class _Inflating(io.RawIOBase):
    """A deflated ZIP member inflated by ISA-L, its size and CRC-32 checked at its end as zipfile
    checks them (zipfile's reader allows no other inflater)."""

    PIECE = 1 << 18  # compressed bytes read at a time

    def __init__(self, file: IO[bytes], member: zipfile.ZipInfo) -> None:
        super().__init__()
        file.seek(member.header_offset)
        local = file.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {member.filename}")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        file.seek(member.header_offset + 30 + name_length + extra_length)
        self._file, self._member = file, member
        self._compressed_left, self._inflated = member.compress_size, 0
        self._inflate, self._crc, self._tail = isal_zlib.decompressobj(-15), 0, b""

    @override
    def readable(self) -> bool:
        return True

    @override
    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # any writable buffer
        while True:
            if not self._tail and self._compressed_left:
                self._tail = self._file.read(min(self.PIECE, self._compressed_left))
                if not self._tail:
                    raise EOFError(f"{self._member.filename} ends early")
                self._compressed_left -= len(self._tail)
            if self._inflate.eof:
                return self._end()
            data = self._inflate.decompress(self._tail, len(buffer))
            self._tail = self._inflate.unconsumed_tail
            if data:
                buffer[:len(data)] = data
                self._crc = isal_zlib.crc32(data, self._crc)
                self._inflated += len(data)
                return len(data)
            if not self._tail and not self._compressed_left:  # all read, nothing more comes out
                return self._end()

    def _end(self) -> int:
        if self._inflated != self._member.file_size or not self._inflate.eof:
            raise EOFError(f"{self._member.filename} ends early")
        if self._crc != self._member.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {self._member.filename!r}")
        return 0


def _csv_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [m for m in archive.infolist() if not m.is_dir()]
    for member in members:
        if member.filename.lower().endswith(".csv"):
            return member
    if members:
        return members[0]
    raise ExportFormatError("the result ZIP file is empty")


@contextmanager
def open_export(path: Path, *, primary_key: str = "id") -> Iterator[tuple[list[str], Iterator[list[str]]]]:
    """Open a downloaded result; yield (header, rows) where rows is a lazy iterator of lists.

    The header's id column is normalised to `primary_key` (`Id` → `id` for CRM and Bigin).
    """
    csv.field_size_limit(MAX_CELL_CHARS)
    with _member(path) as (_, _, raw):
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, strict=False)
        header = next(reader, None)
        if header is None:
            yield [], iter(())
            return
        header = [_normalise(name, primary_key) for name in header]
        yield header, reader


def _normalise(name: str, primary_key: str) -> str:
    name = name.strip()
    if name.lower() == primary_key.lower():
        return primary_key
    return name


BLOCK_BYTES = 2 * 1024 * 1024  # CSV text per columnar block: 3 MiB were no faster and held 40 MiB more


@contextmanager
def open_blocks(
    path: Path, *, primary_key: str = "id", block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[list[str], Generator[bytes, None, None]]]:
    """Open a downloaded result; yield (header, blocks): the CSV after its header as byte blocks
    of whole rows (about `block_bytes` each; more when one row is longer), blank lines removed,
    for the columnar path. The header is `open_export`'s.

    A row ends at a line break outside quotes: with Zoho's RFC 4180 quoting, where the count of
    `"` before it is even. `verify_export` has checked the file is well-formed CSV beforehand.
    """
    with _member(path) as (_, _, raw):
        buffer = raw.read(max(block_bytes, 3))
        if buffer.startswith(b"\xef\xbb\xbf"):
            buffer = buffer[3:]
        end = _first_row_end(buffer)
        while end < 0:
            more = raw.read(block_bytes)
            if not more:
                end = len(buffer)
                break
            buffer += more
            end = _first_row_end(buffer)
        line = buffer[:end].decode("utf-8")
        cells = next(csv.reader([line.rstrip("\r\n")], strict=False), []) if line.strip() else []
        header = [_normalise(name, primary_key) for name in cells]
        blocks = _blocks(raw, buffer[end + 1:], block_bytes)
        try:
            yield header, blocks
        finally:
            blocks.close()  # its read ahead ends before the file is closed


def _blocks(raw: IO[bytes], buffer: bytes, block_bytes: int) -> Generator[bytes, None, None]:
    """Blocks of whole rows, each inflated and cut on a thread while the one before it is typed
    (typing runs in polars, which releases the GIL), so reading costs the typing thread nothing."""
    cut = _cut(raw, buffer, block_bytes)
    try:
        # Leaving the executor waits for the block being read, however the loop ends (a signal's
        # stop included), so the file is never closed under the reading thread.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="inflate") as reader:
            ahead = reader.submit(next, cut, None)
            while (block := ahead.result()) is not None:
                ahead = reader.submit(next, cut, None)
                yield block
    finally:
        with contextlib.suppress(ValueError):  # still running: a stop cut the wait short
            cut.close()


def _cut(raw: IO[bytes], buffer: bytes, block_bytes: int) -> Generator[bytes, None, None]:
    """The CSV after its header (the part in `buffer`, then the rest of `raw`) as blocks of whole
    rows without blank lines."""
    while True:
        more = _read(raw, block_bytes)
        if not more:
            if buffer.strip(b"\r\n"):
                yield _without_blank_lines(buffer)
            return
        buffer += more
        end = _last_row_end(buffer)
        if end < 0:
            continue  # one row longer than the block so far: read on
        yield _without_blank_lines(buffer[: end + 1])
        buffer = buffer[end + 1:]


def _read(raw: IO[bytes], size: int, piece: int = 256 * 1024) -> bytes:
    """`size` bytes of the member (fewer at its end), inflated a piece at a time: zipfile's own
    read(size) holds `size` bytes of compressed input besides its output."""
    out = bytearray()
    while len(out) < size:
        data = raw.read(min(piece, size - len(out)))
        if not data:
            break
        out += data
    return bytes(out)


def _first_row_end(data: bytes) -> int:
    """Index of the line break ending the first row, or -1 when `data` holds no whole row."""
    end, quotes = data.find(b"\n"), 0
    start = 0
    while end >= 0:
        quotes += data.count(b'"', start, end)
        if quotes % 2 == 0:
            return end
        start, end = end, data.find(b"\n", end + 1)
    return -1


def _last_row_end(data: bytes) -> int:
    """Index of the line break ending the last whole row of `data` (starting at a row), or -1."""
    end = data.rfind(b"\n")
    if end < 0:
        return -1
    quotes = data.count(b'"', 0, end)
    while end >= 0:
        if quotes % 2 == 0:
            return end
        previous = data.rfind(b"\n", 0, end)
        quotes -= data.count(b'"', max(previous, 0), end)
        end = previous
    return -1


_BLANK_LINE = re.compile(rb"\n\r?\n")


def _without_blank_lines(block: bytes) -> bytes:
    """The block without empty lines outside quotes (Python's csv skips them; polars would read
    a row of nulls). Inside a quoted cell an empty line is data and stays."""
    if not (block.startswith((b"\n", b"\r\n")) or _BLANK_LINE.search(block)):  # one pass, 1 ms a block
        return block
    kept: list[bytes] = []
    position = quotes = 0  # quotes: the count of `"` before `position`
    while position < len(block):
        end = block.find(b"\n", position)
        end = len(block) - 1 if end < 0 else end
        line = block[position:end + 1]
        if not (quotes % 2 == 0 and line in (b"\n", b"\r\n")):
            kept.append(line)
        quotes += line.count(b'"')
        position = end + 1
    return b"".join(kept)
