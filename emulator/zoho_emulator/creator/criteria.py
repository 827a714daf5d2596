"""Creator criteria strings (``Added_Time >= "01-Jan-2024 00:00:00" && (Statut == "Ouvert")``).

Creator filters bulk reads with a Deluge-style expression, and its date literals are written
in the *application's* date format and time zone
(https://www.zoho.com/creator/help/api/v2/bulk-api/create-bulk-read-job.html). Incremental
clients build their windows out of exactly these literals, so the emulator parses them for real and
compares instants, not strings: a window that is off by the app's UTC offset, written in
the wrong date format, or inclusive on the wrong side selects the wrong records here too.

Grammar: ``expr := and ("||" and)*``, ``and := atom ("&&" atom)*``,
``atom := "(" expr ")" | column op literal``; ``op`` is one of ``== != < > <= >=``;
literals are double- (or single-) quoted strings, numbers, ``true``, ``false``, ``null``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from zoho_emulator.core.javadate import TIME_SUFFIX, parse_pattern

ORDERED = ("<", ">", "<=", ">=")
EQUALITY = ("==", "!=")
# Column kinds (creatorcatalog) that only support equality.
EQUALITY_ONLY = ("text", "bool", "multi")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lpar>\() | (?P<rpar>\)) | (?P<logic>&&|\|\|) | (?P<op>==|!=|<=|>=|<|>)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
    | (?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)
    )""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


class CriteriaError(ValueError):
    """The criteria cannot be used; the message says why (shown to the client)."""


@dataclass(frozen=True)
class Comparison:
    """``column op operand``; operand None means ``null``."""

    column: str
    kind: str
    op: str
    operand: Any
    date_only: bool = False  # a Date-time column compared with a date literal (by calendar day)


@dataclass(frozen=True)
class Junction:
    """``&&`` / ``||`` of two or more sub-expressions."""

    op: str
    children: tuple[Node, ...]


Node = Comparison | Junction
Resolver = Callable[[str], "str | None"]  # column name -> kind, or None when unknown


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            start = len(text) - len(text[position:].lstrip())
            raise CriteriaError(f"Invalid criteria: unexpected character at position {start + 1}.")
        tokens.append(_Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, resolve: Resolver, date_format: str, tz: ZoneInfo) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.resolve = resolve
        self.date_format = date_format
        self.tz = tz

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str, what: str) -> _Token:
        token = self.peek()
        if token is None:
            raise CriteriaError(f"Invalid criteria: expected {what} at the end.")
        if token.kind != kind:
            raise CriteriaError(
                f"Invalid criteria: expected {what} at position {token.position + 1}, found {token.text!r}."
            )
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.expression()
        token = self.peek()
        if token is not None:
            where = f"at position {token.position + 1}"
            raise CriteriaError(f"Invalid criteria: unexpected {token.text!r} {where}.")
        return node

    def expression(self) -> Node:
        return self.junction("||", self.conjunction)

    def conjunction(self) -> Node:
        return self.junction("&&", self.atom)

    def junction(self, op: str, operand: Callable[[], Node]) -> Node:
        children = [operand()]
        while (token := self.peek()) is not None and token.kind == "logic" and token.text == op:
            self.index += 1
            children.append(operand())
        return children[0] if len(children) == 1 else Junction(op, tuple(children))

    def atom(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "lpar":
            self.index += 1
            node = self.expression()
            self.take("rpar", "')'")
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        name = self.take("name", "a field link name").text
        if name in ("true", "false", "null"):
            raise CriteriaError(f"Invalid criteria: {name!r} cannot be compared; put the field first.")
        kind = self.resolve(name)
        if kind is None:
            raise CriteriaError(f"Invalid criteria: no field named {name!r} in this report.")
        op = self.take("op", "a comparison operator (== != < > <= >=)").text
        literal = self.peek()
        if literal is None or literal.kind not in ("string", "number", "name"):
            raise CriteriaError(f"Invalid criteria: expected a value after {name} {op}.")
        self.index += 1
        return self.typed(name, kind, op, literal)

    # ------------------------------------------------------------ values
    def typed(self, name: str, kind: str, op: str, token: _Token) -> Comparison:
        if token.kind == "name" and token.text == "null":
            if op not in EQUALITY:
                raise CriteriaError(f"Invalid criteria: null can only be compared with == or != ({name}).")
            return Comparison(name, kind, op, None)
        if op in ORDERED and kind in EQUALITY_ONLY:
            raise CriteriaError(f"Invalid criteria: operator {op} cannot be used on the field {name}.")
        value = _literal(token)
        if kind == "bool":
            if not isinstance(value, bool):
                raise CriteriaError(f"Invalid criteria: the decision box {name} takes true or false.")
            return Comparison(name, kind, op, value)
        if kind in ("number", "id"):
            return Comparison(name, kind, op, self.numeric(name, kind, value))
        if not isinstance(value, str):
            raise CriteriaError(f"Invalid criteria: the value compared with {name} must be quoted.")
        if kind == "date":
            return Comparison(name, kind, op, self.date(name, value, self.date_format))
        if kind == "datetime":
            return self.datetime(name, op, value)
        return Comparison(name, kind, op, value)

    @staticmethod
    def numeric(name: str, kind: str, value: Any) -> Decimal:
        digits = kind == "id" and isinstance(value, str) and value.isdigit()
        if isinstance(value, bool) or not (isinstance(value, Decimal) or digits):
            raise CriteriaError(f"Invalid criteria: the value compared with {name} must be a number.")
        return Decimal(value)

    @staticmethod
    def date(name: str, value: str, pattern: str) -> dt.date:
        try:
            parsed = parse_pattern(value, pattern)
        except ValueError:
            parsed = None
        if parsed is None or isinstance(parsed, dt.datetime):
            raise CriteriaError(
                f"Invalid criteria: {value!r} is not a date in the application's format {pattern!r} ({name})."
            )
        return parsed

    def datetime(self, name: str, op: str, value: str) -> Comparison:
        pattern = self.date_format + TIME_SUFFIX
        try:
            parsed = parse_pattern(value, pattern)
        except ValueError:
            parsed = None
        if isinstance(parsed, dt.datetime):
            return Comparison(name, "datetime", op, parsed.replace(tzinfo=self.tz))
        try:
            day = self.date(name, value, self.date_format)
        except CriteriaError:
            raise CriteriaError(
                f"Invalid criteria: {value!r} is not a date-time in the application's format"
                f" {pattern!r} ({name})."
            ) from None
        return Comparison(name, "datetime", op, day, date_only=True)


def _literal(token: _Token) -> Any:
    if token.kind == "string":
        return _ESCAPE.sub(r"\1", token.text[1:-1])
    if token.kind == "number":
        return Decimal(token.text)
    if token.text in ("true", "false"):
        return token.text == "true"
    raise CriteriaError(f"Invalid criteria: {token.text!r} is not a value (strings must be quoted).")


def parse(text: str, resolve: Resolver, date_format: str, tz: ZoneInfo) -> Node | None:
    """Validate a criteria string for one app; None for an empty criteria."""
    if not text.strip():
        return None
    return _Parser(text, resolve, date_format, tz).parse()


# ---------------------------------------------------------------- evaluation
Getter = Callable[[str], Any]


def evaluate(node: Node, get: Getter, tz: ZoneInfo) -> bool:
    """Whether a record (columns read through ``get``) matches."""
    if isinstance(node, Junction):
        results = (evaluate(child, get, tz) for child in node.children)
        return all(results) if node.op == "&&" else any(results)
    return _compare(node, get(node.column), tz)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _compare(node: Comparison, value: Any, tz: ZoneInfo) -> bool:
    op, operand = node.op, node.operand
    if operand is None or (operand == "" and node.kind == "text"):
        return _empty(value) == (op == "==")
    if _empty(value):
        return op == "!="
    if node.kind in ("text", "multi"):
        # Text equality is case-insensitive, as Creator's report search is (an assumption).
        choices = value if isinstance(value, list) else [value]
        hit = any(str(choice).casefold() == operand.casefold() for choice in choices)
        return hit if op == "==" else not hit
    current: Any = value
    if node.kind in ("number", "id"):
        current = Decimal(str(value))
    elif node.date_only:
        current = value.astimezone(tz).date()
    return {
        "==": lambda: current == operand,
        "!=": lambda: current != operand,
        "<": lambda: current < operand,
        ">": lambda: current > operand,
        "<=": lambda: current <= operand,
        ">=": lambda: current >= operand,
    }[op]()
