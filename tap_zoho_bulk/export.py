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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
