"""How Zoho Creator writes dates: each application's Java-style date pattern and time zone.

Creator's result files and criteria literals use the application's `date_format` (`dd-MMM-yyyy`,
`MM-dd-yyyy`, `MMM dd,yyyy`, …) followed by ` HH:mm:ss`, in the application's `time_zone`. Zoho is
a Java shop: time zones come as Java ids, most of them IANA names, some not (`SystemV/PST8`, Zoho's
own example; `IST`; `GMT+05:30`), so those are translated here rather than refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from tap_zoho_bulk.columnar import FastConverter, format_utc
from tap_zoho_bulk.schema import Converter, format_instant

_JAVA_TO_STRPTIME = [("yyyy", "%Y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dd", "%d"),
                     ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("yy", "%y"), ("a", "%p")]

# Java zone ids that are not IANA names: java.time.ZoneId.SHORT_IDS and the SystemV zones
# (fixed offsets, or a US/Canada zone for those with daylight saving time).
JAVA_ZONE_IDS: dict[str, str] = {
    "ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo", "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare", "CNT": "America/St_Johns", "CST": "America/Chicago", "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa", "ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland", "PLT": "Asia/Karachi", "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
    "SystemV/AST4": "Etc/GMT+4", "SystemV/AST4ADT": "America/Halifax", "SystemV/CST6": "Etc/GMT+6",
    "SystemV/CST6CDT": "America/Chicago", "SystemV/EST5": "Etc/GMT+5", "SystemV/EST5EDT": "America/New_York",
    "SystemV/HST10": "Etc/GMT+10", "SystemV/MST7": "Etc/GMT+7", "SystemV/MST7MDT": "America/Denver",
    "SystemV/PST8": "Etc/GMT+8", "SystemV/PST8PDT": "America/Los_Angeles", "SystemV/YST9": "Etc/GMT+9",
    "SystemV/YST9YDT": "America/Anchorage",
}  # fmt: skip
_OFFSET_ID = re.compile(r"^(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?$")


def java_zone(name: str) -> dt.tzinfo:
    """A Java time zone id (IANA, short id, SystemV, `GMT+05:30`) as a tzinfo; ValueError if unknown."""
    try:
        return ZoneInfo(JAVA_ZONE_IDS.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        pass
    match = _OFFSET_ID.match(name.strip())
    if match:
        sign, hours, minutes = match.groups()
        offset = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
        return dt.timezone(-offset if sign == "-" else offset)
    raise ValueError(f"unknown time zone {name!r}")


def java_to_strptime(pattern: str) -> str:
    """Creator's Java-style date pattern (`dd-MMM-yyyy`) → a strptime/strftime pattern."""
    out, i = "", 0
    while i < len(pattern):
        for java, py in _JAVA_TO_STRPTIME:
            if pattern.startswith(java, i):
                out += py
                i += len(java)
                break
        else:
            out += pattern[i].replace("%", "%%")
            i += 1
    return out


@dataclass(frozen=True)
class AppFormat:
    """How one Creator application writes dates, and in which time zone."""

    time_zone: dt.tzinfo
    date_format: str  # strptime pattern of a date

    @property
    def datetime_format(self) -> str:
        return self.date_format + " %H:%M:%S"

    def parse_datetime(self, text: str) -> str:
        """Creator datetime text (the application's format and zone) → UTC RFC 3339.

        Besides ` HH:mm:ss`, only unambiguous variants are accepted: the app's date with `HH:mm` or a
        12-hour clock, and ISO 8601. A day-month order other than the app's is never guessed.
        """
        text = text.strip()
        value = None
        for pattern in (self.datetime_format, self.date_format + " %H:%M",
                        self.date_format + " %I:%M:%S %p", self.date_format + " %I:%M %p"):
            try:
                value = dt.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if value is None:
            value = _iso(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.time_zone)
        return format_instant(value)

    def parse_date(self, text: str) -> str:
        text = text.strip()
        try:
            return dt.datetime.strptime(text, self.date_format).date().isoformat()
        except ValueError:
            return _iso(text).date().isoformat()

    def vectorised(self) -> dict[Converter, FastConverter]:
        """`parse_datetime` and `parse_date` for the columnar path, for cells in the app's own
        pattern exactly (they format back to the same text); every other cell, and a local time
        that the zone's clock change makes ambiguous or skips, is left to them."""
        return {self.parse_datetime: self._fast_datetime, self.parse_date: self._fast_date}

    def _fast_datetime(self, text: pl.Expr) -> pl.Expr:
        local = text.str.to_datetime(self.datetime_format, strict=False, time_unit="us")
        exact = local.dt.strftime(self.datetime_format) == text
        zone = self.time_zone
        if isinstance(zone, ZoneInfo):
            instant = local.dt.replace_time_zone(zone.key, ambiguous="null", non_existent="null")
        else:
            offset = zone.utcoffset(None)
            assert offset is not None  # a fixed-offset zone (java_zone)
            instant = (local - pl.duration(microseconds=offset // dt.timedelta(microseconds=1))
                       ).dt.replace_time_zone("UTC")
        return pl.when(exact).then(format_utc(instant.dt.convert_time_zone("UTC")))

    def _fast_date(self, text: pl.Expr) -> pl.Expr:
        day = text.str.to_date(self.date_format, strict=False)
        return pl.when(day.dt.strftime(self.date_format) == text).then(day.dt.strftime("%Y-%m-%d"))

    def literal(self, value: dt.datetime) -> str:
        """A criteria literal for `value` in the application's format and time zone."""
        return value.astimezone(self.time_zone).strftime(self.datetime_format)


def _iso(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    except ValueError:
        raise ValueError(f"not a date in the application's format: {text[:30]!r}") from None
