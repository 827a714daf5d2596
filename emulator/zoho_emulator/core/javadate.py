"""Java-style date patterns (``dd-MMM-yyyy``, ``MM-dd-yyyy``, ``MMM dd,yyyy`` …) as Creator uses them.

Every Zoho Creator application has its own ``date_format``; its result files and its criteria
literals are written in it, so the emulator must both format and parse any such pattern.
English month names are built in (never the process locale) because Zoho's are English.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LETTERS = "yMdHhmsaE"
TIME_SUFFIX = " HH:mm:ss"
# Format of Creator's own timestamps (job created_time, application creation_date).
STAMP_PATTERN = "dd-MMM-yyyy HH:mm:ss"


def _tokens(pattern: str) -> list[str]:
    """Runs of the same pattern letter, and single literal characters ('…' quoting honoured)."""
    tokens: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = pattern.find("'", index + 1)
            end = len(pattern) if end < 0 else end
            literal = pattern[index + 1 : end] or "'"
            tokens.extend("'" + ch for ch in literal)
            index = end + 1
        elif char in LETTERS:
            run = index
            while run < len(pattern) and pattern[run] == char:
                run += 1
            tokens.append(pattern[index:run])
            index = run
        else:
            tokens.append("'" + char)
            index += 1
    return tokens


def _field(token: str, moment: dt.date) -> str:
    letter, width = token[0], len(token)
    if letter == "y":
        return f"{moment.year % 100:02d}" if width == 2 else f"{moment.year:0{max(width, 4)}d}"
    if letter == "M":
        if width >= 4:
            return MONTHS[moment.month - 1]
        if width == 3:
            return MONTHS[moment.month - 1][:3]
        return f"{moment.month:0{width}d}"
    if letter == "d":
        return f"{moment.day:0{width}d}"
    if letter == "E":
        name = DAYS[moment.weekday()]
        return name if width >= 4 else name[:3]
    if not isinstance(moment, dt.datetime):
        raise ValueError(f"pattern letter {letter!r} needs a time of day")
    if letter == "H":
        return f"{moment.hour:0{width}d}"
    if letter == "h":
        return f"{(moment.hour % 12) or 12:0{width}d}"
    if letter == "m":
        return f"{moment.minute:0{width}d}"
    if letter == "s":
        return f"{moment.second:0{width}d}"
    return "AM" if moment.hour < 12 else "PM"  # "a"


def format_pattern(moment: dt.date, pattern: str) -> str:
    """Render a date or datetime with a Java-style pattern."""
    return "".join(token[1:] if token[0] == "'" else _field(token, moment) for token in _tokens(pattern))


_REGEX = {
    "y": r"(?P<y>\d{4})",
    "yy": r"(?P<y>\d{2})",
    "MMMM": r"(?P<Mname>[A-Za-z]+)",
    "MMM": r"(?P<Mname>[A-Za-z]{3})",
    "MM": r"(?P<M>\d{2})",
    "M": r"(?P<M>\d{1,2})",
    "dd": r"(?P<d>\d{2})",
    "d": r"(?P<d>\d{1,2})",
    "HH": r"(?P<H>\d{2})",
    "H": r"(?P<H>\d{1,2})",
    "hh": r"(?P<h>\d{2})",
    "h": r"(?P<h>\d{1,2})",
    "mm": r"(?P<m>\d{2})",
    "m": r"(?P<m>\d{1,2})",
    "ss": r"(?P<s>\d{2})",
    "s": r"(?P<s>\d{1,2})",
    "a": r"(?P<a>[AaPp][Mm])",
}


@dataclass(frozen=True)
class _Parser:
    regex: re.Pattern[str]
    has_time: bool


def _token_regex(token: str) -> str:
    letter, width = token[0], len(token)
    if letter == "y":
        return _REGEX["yy"] if width == 2 else _REGEX["y"]
    if letter == "M":
        return _REGEX["MMMM" if width >= 4 else "M" * width]
    if letter == "E":
        return r"[A-Za-z]+"
    if letter == "a":
        return _REGEX["a"]
    return _REGEX[letter * min(width, 2)]


@lru_cache(maxsize=64)
def _parser(pattern: str) -> _Parser:
    parts = [re.escape(t[1:]) if t[0] == "'" else _token_regex(t) for t in _tokens(pattern)]
    regex = re.compile("".join(parts), re.IGNORECASE)
    return _Parser(regex, any(name in regex.groupindex for name in ("H", "h")))


def _month(groups: dict[str, str]) -> int:
    if groups.get("M"):
        return int(groups["M"])
    name = groups["Mname"].lower()
    for index, full in enumerate(MONTHS, start=1):
        if full.lower() == name or full[:3].lower() == name:
            return index
    raise ValueError(f"unknown month name {groups['Mname']!r}")


def parse_pattern(text: str, pattern: str) -> dt.date | dt.datetime:
    """Parse ``text`` written with ``pattern``: a date, or a naive datetime when it has a time."""
    parser = _parser(pattern)
    match = parser.regex.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} does not match the pattern {pattern!r}")
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    year = int(groups["y"])
    if len(groups["y"]) == 2:
        year += 2000
    day = dt.date(year, _month(groups), int(groups["d"]))
    if not parser.has_time:
        return day
    if "H" in groups:
        hour = int(groups["H"])
    else:
        hour = int(groups["h"]) % 12 + (12 if groups.get("a", "").upper() == "PM" else 0)
    return dt.datetime(day.year, day.month, day.day, hour, int(groups.get("m", 0)), int(groups.get("s", 0)))
