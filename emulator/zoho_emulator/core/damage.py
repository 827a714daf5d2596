"""Broken result files on demand, for CRM/Bigin and Creator downloads alike.

Zoho documents a result as one ZIP holding one UTF-8 CSV
(https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/download-result.html,
https://www.zoho.com/creator/help/api/v2.1/bulk-api/download-bulk-read-result.html); storage,
networks and the data itself do not always cooperate, so each way the file can be wrong is built
here once: a client must fail loudly (or cope) rather than load half a file or exhaust memory.
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from zoho_emulator.core.csvzip import zip_members

DAMAGE_KINDS = ("bad_crc", "zip_bomb", "not_utf8", "duplicate_header", "long_row", "two_members")
ZIP_BOMB_SIZE = 1 << 30  # bytes the bomb's member inflates to (1 GiB)
# "Café" with a Latin-1 é: the lone surrogate becomes the single byte 0xE9 (render_csv writes
# with errors="surrogateescape"), which no UTF-8 decoder accepts.
LATIN1_CELL = "Caf\udce9"
SURPLUS_CELL = "surplus"
# Numeric cells a client's value parsing must refuse or survive (EmulatorOptions.invalid_numbers).
INVALID_NUMBERS = ("nan", "inf", "1.234,50", "12abc")

Render = Callable[[Sequence[str], Sequence[Sequence[Any]]], bytes]  # (header, rows) -> CSV bytes
Spoiled = Mapping[int, "str | tuple[str, ...]"]  # column index -> text (a tuple rotates over rows)


def damaged_file(
    kind: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    member: str,
    render: Render,
    bomb_size: int = ZIP_BOMB_SIZE,
) -> bytes:
    """The result ZIP of ``header`` / ``rows`` damaged the ``kind`` way (see ``DAMAGE_KINDS``)."""
    if kind == "zip_bomb":
        return zip_bomb(member, bomb_size)
    if kind == "bad_crc":
        return flip_compressed(zip_members([(member, render(header, rows))]))
    if kind == "two_members":
        half = (len(rows) + 1) // 2
        stem = member.rsplit(".", 1)[0]
        parts = [(member, render(header, rows[:half])), (f"{stem}_2.csv", render(header, rows[half:]))]
        return zip_members(parts)
    cells = [list(row) for row in rows]
    names = list(header)
    if kind == "not_utf8":
        _latin1(names, cells)
    elif kind == "duplicate_header":
        _duplicate(names, cells)
    elif kind == "long_row":
        if cells:
            cells[0].append(SURPLUS_CELL)
        else:
            cells.append([""] * len(names) + [SURPLUS_CELL])
    else:
        raise ValueError(f"unknown damage {kind!r}")
    return zip_members([(member, render(names, cells))])


def _latin1(header: list[str], rows: list[list[Any]]) -> None:
    """Put a Latin-1 byte into the first text cell of the first row (the header when empty)."""
    if not rows:
        header[-1] += "\udce9"
        return
    row = rows[0]
    texts = [i for i, v in enumerate(row) if i and isinstance(v, str) and v and not v.isdigit()]
    index = texts[0] if texts else min(1, len(row) - 1)
    row[index] = LATIN1_CELL


def _duplicate(header: list[str], rows: list[list[Any]]) -> None:
    """Give the third column the second one's name (different values under one name)."""
    if len(header) >= 3:
        header[2] = header[1]
    elif len(header) == 2:
        header[1] = header[0]
    else:
        header.append(header[0])
        for row in rows:
            row.append(row[0])


def flip_compressed(payload: bytes) -> bytes:
    """Invert a few bytes two thirds into the first member's compressed data: its first part
    still inflates, then zipfile raises (bad CRC-32, or zlib's invalid-stream error)."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        info = archive.infolist()[0]
    name_length, extra_length = struct.unpack_from("<HH", payload, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    at = start + info.compress_size * 2 // 3
    data = bytearray(payload)
    for offset in range(at, min(at + 4, start + info.compress_size)):
        data[offset] ^= 0xFF
    return bytes(data)


@functools.lru_cache(maxsize=4)
def _zeros_deflated(size: int, chunk: int = 1 << 20) -> tuple[bytes, int]:
    """Raw deflate (level 9) of ``size`` zero bytes and their CRC-32, never holding them all.

    A full flush makes every compressed chunk byte-aligned and independent, so one chunk's
    output repeated is a valid stream of many chunks; only the tail is compressed separately.
    """
    full, rest = divmod(size, chunk)
    zeros = bytes(chunk)
    crc = 0
    block = b""
    if full:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
        for _ in range(full):
            crc = zlib.crc32(zeros, crc)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = block * full + tail.compress(bytes(rest)) + tail.flush()
    return stream, zlib.crc32(bytes(rest), crc)


def zip_bomb(member: str, size: int = ZIP_BOMB_SIZE) -> bytes:
    """A ZIP of about size/1000 bytes whose one member ``member`` inflates to ``size`` zero bytes."""
    if not 0 < size < 1 << 32:
        raise ValueError("a zip bomb holds 1 byte to 4 GiB - 1 (no ZIP64)")
    stream, crc = _zeros_deflated(size)
    name = member.encode("utf-8")
    when = (0, (2020 - 1980) << 9 | 1 << 5 | 1)  # DOS time, date: 2020-01-01 00:00
    sizes = (crc, len(stream), size, len(name), 0)  # CRC-32, compressed, inflated, name and extra lengths
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, *when, *sizes)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, *when, *sizes, 0, 0, 0, 0, 0)
    directory_at = len(local) + len(name) + len(stream)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(name), directory_at, 0)
    return local + name + stream + central + name + end


def spoiled_columns(
    wanted: Mapping[str, str | tuple[str, ...]], product: str, module: str, header: Sequence[str]
) -> dict[int, str | tuple[str, ...]]:
    """Columns of ``header`` that ``wanted`` (EmulatorOptions.invalid_numbers) names: by column,
    ``module/column`` or ``product/module/column`` (Creator modules are owner/app/report)."""
    spoiled = {}
    for index, column in enumerate(header):
        for key in (f"{product}/{module}/{column}", f"{module}/{column}", column):
            if key in wanted:
                spoiled[index] = wanted[key]
                break
    return spoiled


def spoil_cells(rows: Sequence[Sequence[Any]], spoiled: Spoiled) -> list[list[Any]]:
    """Rows with every non-empty cell of the spoiled columns replaced (a tuple rotates)."""
    seen = dict.fromkeys(spoiled, 0)
    out = []
    for row in rows:
        cells = list(row)
        for index, text in spoiled.items():
            if cells[index] is None or cells[index] == "":
                continue
            if isinstance(text, tuple):
                cells[index] = text[seen[index] % len(text)]
                seen[index] += 1
            else:
                cells[index] = text
        out.append(cells)
    return out
