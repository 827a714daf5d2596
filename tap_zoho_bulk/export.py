"""Read a bulk result: the CSV member of a ZIP file, verified, then streamed row by row.

Knows zip and CSV, nothing about HTTP. Handles what Zoho sends: a UTF-8 BOM, CRLF or LF, quoted
cells with newlines, cells far beyond Python's default 128 KiB csv field limit, `id` or `Id`.
Memory stays flat: the member is decompressed as it is read, one row at a time.

A file is verified before any of its records is emitted (`verify_export`): one member, a size
within a bound of the download's (a zip bomb is refused unread), the CRC, UTF-8, distinct column
names, every row as wide as the header. A record emitted from a file that later turns out broken
could not be taken back.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
import zlib
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO

# Zoho textareas reach 32k+ characters, rich text more; bounded so a broken file cannot eat memory.
MAX_CELL_CHARS = min(sys.maxsize, 64 * 1024 * 1024)
# A CSV deflates 5 to 30 times; a zip bomb thousands of times. Small files are never refused.
MAX_INFLATION = 400
ALWAYS_ALLOWED = 64 * 1024 * 1024


class ExportFormatError(ValueError):
    """The result file is not the ZIP-with-one-CSV Zoho documents (the reason never quotes data)."""


def verify_export(path: Path, *, primary_key: str = "id") -> None:
    """Raise ExportFormatError unless `path` is a ZIP of one well-formed UTF-8 CSV."""
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise ExportFormatError(f"the ZIP holds {len(members)} files, not one CSV")
            (member,) = members
            limit = max(ALWAYS_ALLOWED, MAX_INFLATION * path.stat().st_size)
            if member.file_size > limit:
                raise ExportFormatError(
                    f"the ZIP would inflate to {member.file_size} bytes from {path.stat().st_size}: "
                    "refused as a zip bomb"
                )
            with archive.open(member) as raw:
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
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ExportFormatError(f"the ZIP is damaged ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"the CSV is not UTF-8 (byte {exc.start} of a block)") from None
    except csv.Error as exc:
        raise ExportFormatError(f"the CSV is not well formed ({exc})") from None


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
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ExportFormatError(f"the result is not a ZIP file: {exc}") from None
    with archive:
        member = _csv_member(archive)
        with archive.open(member) as raw:
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


BLOCK_BYTES = 3 * 1024 * 1024  # CSV text per columnar block: big enough to amortise, small to stay flat


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
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ExportFormatError(f"the result is not a ZIP file: {exc}") from None
    with archive, archive.open(_csv_member(archive)) as raw:
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
    """Blocks of whole rows; the next part of the file is inflated on a thread meanwhile (zlib
    releases the GIL), so reading overlaps the typing of the block just yielded."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="inflate") as reader:
        ahead = reader.submit(_read, raw, block_bytes)
        while True:
            more = ahead.result()
            if not more:
                if buffer.strip(b"\r\n"):
                    yield _without_blank_lines(buffer)
                return
            ahead = reader.submit(_read, raw, block_bytes)
            buffer += more
            cut = _last_row_end(buffer)
            if cut < 0:
                continue  # one row longer than the block so far: read on
            yield _without_blank_lines(buffer[: cut + 1])
            buffer = buffer[cut + 1:]


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


def _without_blank_lines(block: bytes) -> bytes:
    """The block without empty lines outside quotes (Python's csv skips them; polars would read
    a row of nulls). Inside a quoted cell an empty line is data and stays."""
    if not (block.startswith((b"\n", b"\r\n")) or b"\n\n" in block or b"\n\r\n" in block):
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
