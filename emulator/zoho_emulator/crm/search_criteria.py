"""CRM's REST search criteria (``criteria=((Field:comparator:value)and(…))``), parsed into the
bulk-read criteria tree so both select records with one evaluator.

The record count API takes this syntax
(https://www.zoho.com/crm/developer/docs/api/v2/search-records.html describes it): a leaf is
``(field:comparator:value)`` where the value runs to the closing parenthesis and may hold ':'
(datetimes) and the escapes ``\\(``, ``\\)``, ``\\,``; groups join leaves or groups with ``and`` /
``or`` and nest. A client that counts with one filter and exports with another must see the
same records both ways, hence the shared evaluation in ``crm.criteria``.
"""

from __future__ import annotations

from zoho_emulator.crm import criteria
from zoho_emulator.crm.replies import CrmErrorReply

# REST comparator -> the bulk-read comparator with the same meaning.
COMPARATORS = {
    "equals": "equal", "not_equal": "not_equal", "greater_than": "greater_than",
    "greater_equal": "greater_equal", "less_than": "less_than", "less_equal": "less_equal",
    "between": "between", "in": "in", "starts_with": "starts_with",
}  # fmt: skip
_ORDERED = (
    "equals", "not_equal", "greater_than", "greater_equal", "less_than", "less_equal", "between", "in",
)  # fmt: skip
ALLOWED: dict[str, tuple[str, ...]] = {
    "text": ("equals", "not_equal", "starts_with", "in"),
    "number": _ORDERED,
    "date": _ORDERED,
    "boolean": ("equals", "not_equal"),
    "lookup": ("equals", "not_equal", "in"),
}
MAX_LEAVES = 10  # "You can search for a maximum of 10 criteria" (search-records page)
ESCAPABLE = "(),\\"


def invalid(reason: str, **details: str) -> CrmErrorReply:
    """Zoho's answer to a criteria string it cannot use."""
    return CrmErrorReply("INVALID_QUERY", {"reason": reason, **details})


def parse(text: str, resolve: criteria.Resolver) -> criteria.Node:
    """Validate a REST criteria string into a criteria tree; raises INVALID_QUERY."""
    return _Parser(text, resolve).parse()


def _split_unescaped(raw: str, separator: str, limit: int = -1) -> list[str]:
    """Split on ``separator`` where it is not escaped (escapes are kept)."""
    parts, current, index, splits = [], [], 0, 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            current.append(raw[index : index + 2])
            index += 2
            continue
        if char == separator and splits != limit:
            parts.append("".join(current))
            current, splits = [], splits + 1
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _unescape(raw: str) -> str:
    out, index = [], 0
    while index < len(raw):
        if raw[index] == "\\" and index + 1 < len(raw) and raw[index + 1] in ESCAPABLE:
            out.append(raw[index + 1])
            index += 2
        else:
            out.append(raw[index])
            index += 1
    return "".join(out)


class _Parser:
    """Recursive descent: ``sequence := term (("and"|"or") term)*``,
    ``term := "(" (sequence | leaf) ")"``."""

    def __init__(self, text: str, resolve: criteria.Resolver) -> None:
        self.text = text.strip()
        self.pos = 0
        self.resolve = resolve
        self.leaves = 0

    def parse(self) -> criteria.Node:
        if not self.text:
            raise invalid("criteria is empty")
        node: criteria.Node
        if not self.text.startswith("("):
            # a lone leaf without parentheses (Quote_Stage:equals:Draft) is accepted in practice
            node = self._leaf(self.text)
        else:
            node = self._sequence()
            if self.pos != len(self.text):
                raise invalid(f"unexpected text at position {self.pos}: {self.text[self.pos:]!r}")
        if self.leaves > MAX_LEAVES:
            raise invalid(f"more than {MAX_LEAVES} criteria")
        return node

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip_spaces(self) -> None:
        while self._peek() == " ":
            self.pos += 1

    def _sequence(self) -> criteria.Node:
        terms = [self._term()]
        operators = set()
        while True:
            self._skip_spaces()
            if self._peek() in ("", ")"):
                break
            operators.add(self._operator())
            self._skip_spaces()
            terms.append(self._term())
        if len(operators) > 1:
            raise invalid("and and or mixed in one group; nest the groups in parentheses")
        if len(terms) == 1:
            return terms[0]
        return criteria.Group(operators.pop(), tuple(terms))

    def _operator(self) -> str:
        for word in ("and", "or"):
            if self.text[self.pos : self.pos + len(word)].lower() == word:
                self.pos += len(word)
                return word
        raise invalid(f"expected and / or at position {self.pos}")

    def _term(self) -> criteria.Node:
        if self._peek() != "(":
            raise invalid(f"expected ( at position {self.pos}")
        self.pos += 1
        if self._peek() == "(":
            node = self._sequence()
        else:
            start = self.pos
            while self._peek() not in ("", ")"):
                char = self._peek()
                if char == "(":
                    raise invalid("unescaped ( in a value; write \\(")
                self.pos += 2 if char == "\\" else 1
            node = self._leaf(self.text[start : self.pos])
        if self._peek() != ")":
            raise invalid("missing )")
        self.pos += 1
        return node

    def _leaf(self, raw: str) -> criteria.Leaf:
        self.leaves += 1
        parts = _split_unescaped(raw, ":", limit=2)
        if len(parts) != 3 or not all(parts):
            raise invalid(f"expected (field:comparator:value), got ({raw})")
        name, comparator, value = parts[0].strip(), parts[1].strip().lower(), parts[2]
        field = self.resolve(name)
        if field is None:
            raise invalid("the field is not available", api_name=name)
        category = field.category
        if category is None:
            raise invalid("the field cannot be searched", api_name=name)
        if comparator not in ALLOWED[category]:
            raise invalid(f"the comparator {comparator} is not supported for this field", api_name=name)
        if comparator in ("in", "between"):
            values = [_unescape(item) for item in _split_unescaped(value, ",")]
            if comparator == "between" and len(values) != 2:
                raise invalid("between takes two values: low,high", api_name=name)
        else:
            values = [_unescape(value)]
        try:
            operands = tuple(criteria.convert_value(field, item) for item in values)
        except CrmErrorReply as error:
            raise invalid(f"the value does not suit the field ({error.message})", api_name=name) from None
        return criteria.Leaf(field, COMPARATORS[comparator], operands)
