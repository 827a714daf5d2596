"""JSON Schema building blocks, and the CSV row converters built from a stream's schema.

Each product types its fields in a table of its own (`products/*/field_types.py`) out of the
properties here. Converters are compiled once per (schema, CSV header): the CSV is all text, and
the SDK's own type conformance is switched off for speed, so every value is converted here
("" → None, numbers, booleans, UTC instants, multi-select lists).
"""

from __future__ import annotations

import datetime as dt
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


def to_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text.replace(",", ""))
        if not number.is_integer():
            raise
        return int(number)


def to_number(text: str) -> float | int:
    value = float(text.replace(",", "")) if "," in text else float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 and "." not in text else value


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {text[:20]!r}")


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


class RowConverter:
    """Turns CSV rows (lists of text, in header order) into typed records for one stream.

    Built once per downloaded file from the stream schema and the file's header. A selected field
    missing from the header is left out of the records (and reported once by the stream); columns
    the schema does not know are the stream's business before it builds the converter.
    """

    def __init__(
        self,
        schema: Mapping[str, Any],
        header: list[str],
        selected: Iterable[str],
        *,
        overrides: Mapping[str, Converter] | None = None,
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
            convert = converter_for(prop, overrides or {})
            self.plan.append((name, position[name], convert, prop.get("format") or json_type(prop)))
        self.width = len(header)

    def __call__(self, row: list[str]) -> dict[str, Any]:
        if len(row) < self.width:  # a short row (trailing empty cells cut) keeps its nulls
            row = row + [""] * (self.width - len(row))
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
                except ValueError as exc:
                    raise ValueError(
                        f"field {name!r} holds {text[:40]!r}, not a valid {type_name} ({exc})"
                    ) from None
        return record
