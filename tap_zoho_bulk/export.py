"""Read a bulk result: the CSV member of a ZIP file, streamed row by row.

Knows zip and CSV, nothing about HTTP. Handles what Zoho sends: a UTF-8 BOM, CRLF or LF, quoted
cells with newlines, cells far beyond Python's default 128 KiB csv field limit, `id` or `Id`.
Memory stays flat: the member is decompressed as it is read, one row at a time.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Zoho textareas reach 32k+ characters, rich text more; bounded so a broken file cannot eat memory.
MAX_CELL_CHARS = min(sys.maxsize, 64 * 1024 * 1024)


class ExportFormatError(ValueError):
    """The result file is not the ZIP-with-one-CSV Zoho documents."""


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
