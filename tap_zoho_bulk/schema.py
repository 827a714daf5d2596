"""JSON Schema building blocks, and the CSV row converters built from a stream's schema.

Each product types its fields in a table of its own (`products/*/field_types.py`) out of the
properties here. Converters are compiled once per (schema, CSV header): the CSV is all text, and
the SDK's own type conformance is switched off for speed, so every value is converted here
("" → None, numbers, booleans, UTC instants, multi-select lists).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Converter = Callable[[str], Any]

STRING: dict[str, Any] = {"type": ["string", "null"]}
INTEGER: dict[str, Any] = {"type": ["integer", "null"]}
NUMBER: dict[str, Any] = {"type": ["number", "null"]}
BOOLEAN: dict[str, Any] = {"type": ["boolean", "null"]}
DATE: dict[str, Any] = {"type": ["string", "null"], "format": "date"}
DATETIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
STRING_LIST: dict[str, Any] = {"type": ["array", "null"], "items": {"type": "string"}}

# --- value conversion ------------------------------------------------------------------------

_UTC = dt.UTC


# Numbers as Zoho's CSV writes them: digits, a leading sign, a decimal point, an exponent. Nothing
# else (no thousands separators, no decimal commas, no nan / inf): such a cell is not read as a
# number at all rather than read as the wrong one.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


_INT64 = range(-(2**63), 2**63)


def to_int(text: str) -> int:
    """An integer field's cell; `12.0` or `1.2e1` are the integer 12, `12.5` is invalid, and so is
    a value beyond 64 bits (integer fields are 64-bit; ids and big integers are strings)."""
    value: int | None = None
    if _INTEGER.fullmatch(text):
        value = int(text)
    elif _DECIMAL.fullmatch(text):
        exact = decimal.Decimal(text)
        if exact == exact.to_integral_value() and abs(exact.adjusted()) < 100:
            value = int(exact)
    if value is None:
        raise ValueError("not an integer")
    if value not in _INT64:
        raise ValueError("out of range")
    return value


def to_number(text: str) -> float:
    """A decimal field's cell, always a float (`5000` is 5000.0: one JSON number type per field,
    as a columnar engine types it)."""
    if not _DECIMAL.fullmatch(text):
        raise ValueError("not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("out of range")
    return value


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("not a boolean")


def iso_to_utc(text: str) -> str:
    """ISO 8601 with any offset → RFC 3339 in UTC, same instant (naive values are taken as UTC)."""
    value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return format_instant(value)


def format_instant(value: dt.datetime) -> str:
    """The one textual form of an instant the tap emits and bookmarks: UTC, seconds, `+00:00`.

    Fixed width and UTC, so the SDK's string comparison of replication keys orders instants right.
    """
    utc = value.astimezone(_UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "+00:00"


def to_date(text: str) -> str:
    return dt.date.fromisoformat(text.strip()[:10]).isoformat()


def split_multiselect(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def json_type(prop: Mapping[str, Any]) -> str:
    """The property's JSON type other than null (`["integer", "null"]` → `integer`)."""
    types = prop.get("type", "string")
    if isinstance(types, str):
        return types
    return next((t for t in types if t != "null"), "string")


def converter_for(prop: Mapping[str, Any], overrides: Mapping[str, Converter]) -> Converter | None:
    """The converter for one schema property; None means keep the text as it is."""
    kind = json_type(prop)
    if kind == "array" and "array" in overrides:
        return overrides["array"]
    if kind == "string":
        fmt = str(prop.get("format") or "")
        if fmt in overrides:
            return overrides[fmt]
        return {"date-time": iso_to_utc, "date": to_date}.get(fmt)
    return {"integer": to_int, "number": to_number, "boolean": to_bool,
            "array": split_multiselect}.get(kind)


class InvalidValue(ValueError):
    """A cell that is not a valid value of its field's type. The message names the field and the
    type, never the cell's text: cells hold personal data, and error lines end up in logs."""

    def __init__(self, field: str, type_name: str) -> None:
        super().__init__(f"field {field!r} is not a valid {type_name}")
        self.field = field


class RowConverter:
    """Turns CSV rows (lists of text, in header order) into typed records for one stream.

    Built once per downloaded file from the stream schema and the file's header. A selected field
    missing from the header is left out of the records (and reported once by the stream); columns
    the schema does not know are the stream's business before it builds the converter. An invalid
    cell raises `InvalidValue`, or (`null_invalid`) becomes null and is counted in `nulled`.
    """

    def __init__(
        self,
        schema: Mapping[str, Any],
        header: list[str],
        selected: Iterable[str],
        *,
        overrides: Mapping[str, Converter] | None = None,
        field_overrides: Mapping[str, Converter] | None = None,
        null_invalid: bool = False,
        nulled: Counter[str] | None = None,
    ) -> None:
        properties = schema.get("properties", {})
        position = {name: i for i, name in enumerate(header)}
        self.plan: list[tuple[str, int, Converter | None, str]] = []
        self.missing: list[str] = []
        for name in selected:
            if name not in position:
                self.missing.append(name)
                continue
            prop = properties[name]
            convert = (field_overrides or {}).get(name) or converter_for(prop, overrides or {})
            self.plan.append((name, position[name], convert, prop.get("format") or json_type(prop)))
        self.null_invalid = null_invalid
        self.nulled: Counter[str] = Counter() if nulled is None else nulled

    def __call__(self, row: list[str]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for name, index, convert, type_name in self.plan:
            text = row[index]
            if text == "":
                record[name] = None
            elif convert is None:
                record[name] = text
            else:
                try:
                    record[name] = convert(text)
                except ValueError:
                    if not self.null_invalid:
                        raise InvalidValue(name, type_name) from None
                    record[name] = None
                    self.nulled[name] += 1
        return record
