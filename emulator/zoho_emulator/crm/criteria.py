"""CRM/Bigin bulk-read JSON criteria: validation exactly as strict as Zoho, then evaluation.

Clients build incremental-sync filters out of these; a filter the real API would reject
(milliseconds in a datetime, ``greater_equal`` on a v2 date field, a bad group operator)
must fail here too, and one it accepts must select exactly the records Zoho would.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from zoho_emulator.crm.replies import CrmErrorReply

EMPTY = "${EMPTY}"
COMPARATORS = (
    "equal", "not_equal", "in", "not_in", "less_than", "less_equal", "greater_than",
    "greater_equal", "contains", "not_contains", "starts_with", "ends_with", "between",
    "not_between",
)  # fmt: skip
_BASE = ("equal", "not_equal", "in", "not_in")
_ORDER = ("less_than", "less_equal", "greater_than", "greater_equal")
ALLOWED: dict[str, tuple[str, ...]] = {
    "number": (*_BASE, *_ORDER),
    "text": (*_BASE, "contains", "not_contains", "starts_with", "ends_with"),
    "date": (*_BASE, "between", "not_between", *_ORDER),
    "boolean": ("equal",),
    "lookup": _BASE,
}
V2_DATE = (*_BASE, "between", "not_between")  # CRM v2 / Bigin v1 table
CATEGORY = {
    "integer": "number", "bigint": "number", "double": "number", "currency": "number",
    "percent": "number", "text": "text", "textarea": "text", "email": "text", "phone": "text",
    "website": "text", "picklist": "text", "multiselectpicklist": "text", "autonumber": "text",
    "date": "date", "datetime": "date", "boolean": "boolean", "lookup": "lookup",
    "ownerlookup": "lookup", "id": "lookup",
}  # fmt: skip
FORMULA_CATEGORY = {
    "double": "number",
    "integer": "number",
    "currency": "number",
    "text": "text",
    "date": "date",
    "datetime": "date",
    "boolean": "boolean",
}
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
ID_RE = re.compile(r"\d{1,19}")
MAX_TEXT = 255


@dataclass(frozen=True)
class FieldRef:
    """What criteria need to know about a (possibly dotted) field."""

    api_name: str
    data_type: str  # a data_type, or "id"
    formula_type: str | None = None

    @property
    def category(self) -> str | None:
        """Comparator family, or None when the type cannot be filtered on."""
        if self.data_type == "formula":
            return FORMULA_CATEGORY.get(self.formula_type or "")
        return CATEGORY.get(self.data_type)


@dataclass(frozen=True)
class Leaf:
    """A validated comparison."""

    field: FieldRef
    comparator: str
    operands: tuple[Any, ...]  # parsed values; None stands for ${EMPTY}


@dataclass(frozen=True)
class Group:
    """A validated and/or group."""

    operator: str
    children: tuple[Leaf | Group, ...]


Node = Leaf | Group
Resolver = Callable[[str], FieldRef | None]


@dataclass(frozen=True)
class Rules:
    """Version-dependent strictness."""

    field_leaves: bool  # {"field":{"api_name"}} leaves accepted
    restricted_dates: bool  # v2-era date comparator table
    max_leaves: int = 25


def parse(raw: Any, resolve: Resolver, rules: Rules) -> Node:
    """Validate a criteria tree; raises CrmErrorReply with Zoho's codes."""
    counter = [0]
    node = _parse_node(raw, resolve, rules, counter)
    if counter[0] > rules.max_leaves:
        raise CrmErrorReply("CRITERIA_LIMIT_EXCEEDED", {"limit": rules.max_leaves})
    return node


def _parse_node(raw: Any, resolve: Resolver, rules: Rules, counter: list[int]) -> Node:
    if not isinstance(raw, dict) or not raw:
        raise CrmErrorReply("INVALID_CRITERIA", {"api_name": "criteria"})
    group_keys = {"group", "group_operator"} & raw.keys()
    leaf_keys = {"api_name", "field", "comparator", "value"} & raw.keys()
    if group_keys and leaf_keys:
        raise CrmErrorReply("AMBIGUOUS_CRITERIA", {"api_name": "criteria"})
    if group_keys:
        return _parse_group(raw, resolve, rules, counter)
    counter[0] += 1
    return _parse_leaf(raw, resolve, rules)


def _parse_group(raw: dict[str, Any], resolve: Resolver, rules: Rules, counter: list[int]) -> Group:
    operator, children = raw.get("group_operator"), raw.get("group")
    if not isinstance(children, list) or not children:
        raise CrmErrorReply("INVALID_CRITERIA", {"api_name": "group"})
    if operator is None:
        raise CrmErrorReply("AMBIGUOUS_GROUP_IN_CRITERIA", {"api_name": "group_operator"})
    if not isinstance(operator, str) or operator.lower() not in ("and", "or"):
        raise CrmErrorReply("GROUP_OPERATOR_NOT_SUPPORTED", {"group_operator": operator})
    parsed = tuple(_parse_node(child, resolve, rules, counter) for child in children)
    return Group(operator.lower(), parsed)


def _leaf_name(raw: dict[str, Any], rules: Rules) -> str:
    if "field" in raw:
        field = raw["field"]
        if not rules.field_leaves or not isinstance(field, dict):
            raise CrmErrorReply("INVALID_CRITERIA", {"api_name": "field"})
        name = field.get("api_name")
    else:
        name = raw.get("api_name")
    if not isinstance(name, str) or not name:
        raise CrmErrorReply("INVALID_CRITERIA", {"api_name": "api_name"})
    return name


def _parse_leaf(raw: dict[str, Any], resolve: Resolver, rules: Rules) -> Leaf:
    name = _leaf_name(raw, rules)
    comparator = raw.get("comparator")
    if not isinstance(comparator, str) or "value" not in raw:
        raise CrmErrorReply("INVALID_CRITERIA", {"api_name": name})
    field = resolve(name)
    if field is None:
        raise CrmErrorReply("FIELD_IN_CRITERIA_NOT_AVAILABLE", {"api_name": name})
    category = field.category
    if category is None:
        raise CrmErrorReply("FIELD_IN_CRITERIA_NOT_SUPPORTED", {"api_name": name})
    allowed = V2_DATE if category == "date" and rules.restricted_dates else ALLOWED[category]
    if comparator not in allowed:
        raise CrmErrorReply(
            "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED",
            {"comparator": comparator, "api_name": name, "supported": list(allowed)},
        )
    return Leaf(field, comparator, _operands(field, comparator, raw["value"]))


def _operands(field: FieldRef, comparator: str, value: Any) -> tuple[Any, ...]:
    details = {"api_name": field.api_name, "comparator": comparator}
    if comparator in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise CrmErrorReply("COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
        values = value
    elif comparator in ("between", "not_between"):
        if not isinstance(value, list) or len(value) != 2 or EMPTY in value:
            raise CrmErrorReply("COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
        values = value
    else:
        if isinstance(value, (list, dict)):
            raise CrmErrorReply("COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
        values = [value]
    return tuple(convert_value(field, item) for item in values)


def convert_value(field: FieldRef, value: Any) -> Any:
    """Parse one criteria value for the field's category; None = ${EMPTY}."""
    category = field.category
    details = {"api_name": field.api_name, "value": value}
    if value == EMPTY and category != "boolean":
        return None
    if category == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise CrmErrorReply("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
    if category == "number":
        return _number(value, field, details)
    if category == "date":
        return _temporal(value, field, details)
    if category == "lookup":
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not ID_RE.fullmatch(text):
            raise CrmErrorReply("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
        return text
    if not isinstance(value, str):
        raise CrmErrorReply("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
    if len(value) > MAX_TEXT:
        raise CrmErrorReply("VALUE_LIMIT_EXCEEDED_IN_CRITERIA", details)
    return value


def _number(value: Any, field: FieldRef, details: dict[str, Any]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise CrmErrorReply("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CrmErrorReply("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details) from None
    if not number.is_finite():
        raise CrmErrorReply("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
    if field.data_type in ("integer", "bigint") and number != number.to_integral_value():
        raise CrmErrorReply("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
    if len(number.as_tuple().digits) > 19:
        raise CrmErrorReply("VALUE_LIMIT_EXCEEDED_IN_CRITERIA", details)
    return number


def _temporal(value: Any, field: FieldRef, details: dict[str, Any]) -> dt.date:
    if not isinstance(value, str):
        raise CrmErrorReply("FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", details)
    is_datetime = field.data_type == "datetime" or field.formula_type == "datetime"
    pattern = DATETIME_RE if is_datetime else DATE_RE
    if not pattern.fullmatch(value):
        # e.g. milliseconds ("…:00.000Z"), a missing offset, or a date for a datetime
        raise CrmErrorReply("VALUE_IN_CRITERIA_NOT_SUPPORTED", details)
    try:
        if is_datetime:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CrmErrorReply("VALUE_IN_CRITERIA_NOT_SUPPORTED", details) from None


# ---------------------------------------------------------------- evaluation
Getter = Callable[[str], Any]


def evaluate(node: Node, get: Getter) -> bool:
    """Whether a record (accessed through ``get(api_name)``) matches."""
    if isinstance(node, Group):
        results = (evaluate(child, get) for child in node.children)
        return all(results) if node.operator == "and" else any(results)
    return _match(node, get(node.field.api_name))


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _record_value(leaf: Leaf, value: Any) -> Any:
    """Bring a canonical record value into the comparison domain of the leaf."""
    category = leaf.field.category
    if category == "number":
        return Decimal(str(value))
    if category == "lookup":
        return str(value)
    if category == "text" and not isinstance(value, list):
        return str(value)
    return value


def _equal(leaf: Leaf, value: Any, operand: Any) -> bool:
    if operand is None:
        return _is_empty(value)
    if _is_empty(value):
        return False
    category = leaf.field.category
    if category == "text":
        options = value if isinstance(value, list) else [value]
        return any(str(option).casefold() == str(operand).casefold() for option in options)
    return _record_value(leaf, value) == operand


def _text(value: Any) -> str:
    return ";".join(value) if isinstance(value, list) else str(value)


def _match(leaf: Leaf, value: Any) -> bool:
    comparator, operands = leaf.comparator, leaf.operands
    negated = comparator.startswith("not_")
    base = comparator[4:] if negated else comparator
    if base in ("equal", "in"):
        hit = any(_equal(leaf, value, operand) for operand in operands)
    elif _is_empty(value):
        hit = False
    elif base in ("contains", "starts_with", "ends_with"):
        text, needle = _text(value).casefold(), str(operands[0]).casefold()
        hit = {
            "contains": needle in text,
            "starts_with": text.startswith(needle),
            "ends_with": text.endswith(needle),
        }[base]
    elif base == "between":
        low, high = operands
        current = _record_value(leaf, value)
        hit = low is not None and high is not None and low <= current <= high
    else:
        operand = operands[0]
        if operand is None:
            return False
        current = _record_value(leaf, value)
        hit = {
            "less_than": current < operand,
            "less_equal": current <= operand,
            "greater_than": current > operand,
            "greater_equal": current >= operand,
        }[base]
    return not hit if negated else hit
