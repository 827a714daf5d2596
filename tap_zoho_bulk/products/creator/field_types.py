"""How Creator fields become JSON Schema: Get Fields' `type` codes
(https://www.zoho.com/creator/help/api/v2.1/get-fields.html), the system columns every record has,
and how a multi-select cell holds its choices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap_zoho_bulk.schema import BOOLEAN, DATE, DATETIME, INTEGER, NUMBER, STRING, STRING_LIST

# Form field `type` codes → JSON schema; unlisted codes are strings.
CREATOR_TYPES: dict[int, dict[str, Any]] = {
    5: INTEGER,  # Number
    6: NUMBER,  # Decimal
    7: NUMBER,  # Percent
    8: NUMBER,  # Currency
    10: DATE,
    11: DATETIME,
    16: BOOLEAN,  # Decision box
    14: STRING_LIST,  # Multi select (or lookup shown as multi select)
    15: STRING_LIST,  # Checkbox (or lookup shown as checkboxes)
}
# Columns Creator adds to every record; reports show some of them. These are in every schema…
SYSTEM_COLUMNS: dict[str, dict[str, Any]] = {
    "ID": {"type": ["string"]},
    "Added_Time": DATETIME,
    "Modified_Time": DATETIME,
    "Added_User": STRING,
    "Modified_User": STRING,
}
# … these join it when an export shows them; all under their link names, also when the CSV labels
# them as Creator's exports do ("Added User IP Address").
SYSTEM_FIELDS = (*SYSTEM_COLUMNS, "Added_User_IP_Address", "Modified_User_IP_Address",
                 "Added_Location", "Modified_Location")
SYSTEM_DISPLAY_NAMES = {name.replace("_", " "): name for name in SYSTEM_FIELDS}


def type_code(value: Any) -> int:
    """A Get Fields / Get Sections `type` as an int (0 when absent or not a number)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def creator_property(field: Mapping[str, Any]) -> dict[str, Any]:
    """JSON schema of one form field from its Get Fields `type` code."""
    return dict(CREATOR_TYPES.get(type_code(field.get("type")), STRING))


CHOICE_FIELDS = frozenset({12, 13, 14, 15})  # drop-down, radio, multi select, checkbox
_SEPARATORS = (", ", "; ", ",", ";")


def split_choices(text: str) -> list[str]:
    """Creator joins the choices of a multi-select / checkbox cell with `;` or with `,`."""
    separator = ";" if ";" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


def field_choices(field: Mapping[str, Any]) -> frozenset[str]:
    """The choices Get Fields lists for a field (`{"display_value": …}` objects or strings)."""
    values = []
    for choice in field.get("choices") or ():
        value = choice.get("display_value") if isinstance(choice, Mapping) else choice
        if isinstance(value, str) and value:
            values.append(value)
    return frozenset(values)


def split_with_choices(text: str, choices: frozenset[str]) -> list[str]:
    """A multi-select cell split into the field's own choices, so that a choice holding the
    separator (`Fer, acier`) stays one: the split into known choices with the fewest items.
    A cell holding a choice the metadata does not list is split as `split_choices` does."""
    if text in choices:
        return [text]
    for separator in _SEPARATORS:
        parts = text.split(separator)
        if len(parts) > 1:
            found = _fewest_choices(parts, separator, choices)
            if found is not None:
                return found
    return split_choices(text)


def _fewest_choices(parts: list[str], separator: str, choices: frozenset[str]) -> list[str] | None:
    best: list[list[str] | None] = [[]] + [None] * len(parts)  # best[i]: parts[:i] as choices
    for end in range(1, len(parts) + 1):
        for start in range(end):
            head = best[start]
            candidate = separator.join(parts[start:end])
            if head is not None and candidate in choices:
                current = best[end]
                if current is None or len(head) + 1 < len(current):
                    best[end] = [*head, candidate]
    return best[-1]
