"""How Creator writes one value into its bulk-read CSV.

Unlike CRM (ISO 8601), Creator writes dates and datetimes in the application's own
``date_format`` and time zone, decision boxes as ``true``/``false`` and multi-select or
checkbox choices joined with ", "; clients that assume ISO dates or ``;`` break here, which
is why these rules are explicit and configurable where Zoho is vague.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from zoho_emulator.core.csvzip import format_value
from zoho_emulator.core.javadate import TIME_SUFFIX, format_pattern


def cell(value: Any, date_format: str, tz: ZoneInfo, separator: str = ", ") -> str:
    """One canonical value as Creator's CSV cell text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return format_pattern(value.astimezone(tz), date_format + TIME_SUFFIX)
    if isinstance(value, dt.date):
        return format_pattern(value, date_format)
    if isinstance(value, (list, tuple)):
        return separator.join(str(item) for item in value)
    return format_value(value, tz)
