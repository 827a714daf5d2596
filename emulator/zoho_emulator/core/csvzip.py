"""Rendering a job's rows as Zoho's result file: a CSV inside a ZIP.

The result format is where clients silently corrupt data (ids as floats, booleans,
offsets, embedded newlines, huge cells), so the rendering rules live in one place
with knobs for the details Zoho does not document (BOM, line ending, separator).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo


def format_value(value: Any, tz: ZoneInfo, separator: str = ";") -> str:
    """One canonical value as CSV cell text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if isinstance(value, (list, tuple)):
        return separator.join(str(item) for item in value)
    return str(value)


def render_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    tz: ZoneInfo,
    separator: str = ";",
    line_terminator: str = "\r\n",
    bom: bool = False,
) -> bytes:
    """RFC 4180 CSV (minimal quoting), UTF-8, optional BOM.

    Lone surrogates are written as the raw bytes they stand for (``surrogateescape``): that is how
    a damaged cell (core.damage) carries a byte that is not UTF-8; generated data never has them.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator=line_terminator)
    writer.writerow(header)
    for row in rows:
        writer.writerow([format_value(value, tz, separator) for value in row])
    text = buffer.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8", "surrogateescape")


def zip_single(member_name: str, data: bytes, when: dt.datetime | None = None) -> bytes:
    """A deflated ZIP holding one member (deterministic timestamp when given)."""
    return zip_members([(member_name, data)], when)


def zip_members(members: Sequence[tuple[str, bytes]], when: dt.datetime | None = None) -> bytes:
    """A deflated ZIP holding these (name, data) members in order."""
    stamp = (when or dt.datetime(2020, 1, 1)).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
