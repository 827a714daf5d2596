"""Deterministic, deliberately awkward field values.

Real CRM data is full of commas, quotes, line breaks, accents, CJK, emoji, huge
numbers and empty cells; clients break on exactly those, so the generator produces
them on purpose (seeded, so a failing test reproduces).
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Sequence
from typing import Any

from zoho_emulator.crm.field_specs import FieldSpec

FIRST_NAMES = (
    "José", "Zoë", "Ananya", "Søren", "Chloé", "Mateus", "Åsa", "太郎", "Olúwaseun",
    "Łukasz", "Priya", "John", "Émilie", "Nguyễn", "Mia", "Fatima", "Kwame", "Ingrid",
)  # fmt: skip
LAST_NAMES = (
    "Álvarez", "O'Brien", "Müller", "山田", "Nakamura", "Smith, Jr.", "van der Berg",
    "Kowalski", "Iyer", "Dubois", "Ng", "Øvergaard", "Durand-Lefèvre", "Raman", "Okafor",
)  # fmt: skip
COMPANIES = (
    'Acme "Rockets" Inc.', "Zylker Corp", "Globex, Ltd.", "Umbrella Holdings", "Initech",
    "株式会社サンプル", "Café Olé S.A.", "Bären & Söhne GmbH", "🚀 Rocket Labs",
    "Wayne Enterprises", "Tata Sample Pvt. Ltd.", "Ñandú Logística", "北京示例科技有限公司",
    "Stark Industries", " Leading Space Ltd",
)  # fmt: skip
TITLES = ("CEO", "VP, Sales", 'Head of "Growth"', "Ingénieur", "営業部長", "CTO", "Buyer")
DEPARTMENTS = ("Sales", "R&D", "Finance, Legal", "Support", "Einkauf", "マーケティング")
CITIES = (
    "Chennai", "São Paulo", "München", "東京", "Zürich", "New York, NY", "Kraków",
    "Reykjavík", "Bengaluru", "Montréal",
)  # fmt: skip
COUNTRIES = (
    "India", "Brazil", "Germany", "Japan", "Switzerland", "United States", "Poland",
    "Iceland", "Côte d'Ivoire", "Canada",
)  # fmt: skip
STREETS = (
    "12, MG Road", "1600 Amphitheatre Pkwy", "Königstraße 5", 'Rua "Augusta", 1500',
    "3-1-1 Marunouchi", "Flat 4B\nSunrise Apartments",
)  # fmt: skip
SUBJECT_WORDS = (
    "Renewal 2025", "Q3 expansion, phase 2", '"Pilot" rollout', "Upgrade 🚀", "Rahmenvertrag",
    "年間契約", "Multi-site deal", "Emergency order; rush", "Évaluation",
)  # fmt: skip
PRODUCTS = (
    "Widget Pro", "Gadget ✨ Max", "Ünicode Cable, 2m", 'Sensor "X"', "Plan Enterprise",
    "ルーター 3000", "Service Pack – Gold",  # noqa: RUF001 - en dash on purpose
)  # fmt: skip
SENTENCES = (
    "Met at the trade show, follow up next week.",
    'Customer said "call me after lunch", twice.',
    "Budget approved: ₹12,50,000; awaiting PO.",
    "Prefers e-mail over phone 📧.",
    "議事録を送付済み。",
    "Needs a demo of the reporting module, incl. exports.",
    "Ça marche, on signe lundi !",
    "Line with trailing spaces   ",
    "Semicolons; commas, and 'quotes' all in one.",
)  # fmt: skip
EMAIL_LOCALS = ("jose.alvarez", "zoe.muller", "priya+crm", "o.brien", "taro.yamada", "mia_ng")
EMAIL_DOMAINS = ("example.com", "example.co.in", "mail.example.org", "sub.example.jp")
WEBSITES = (
    "https://www.example.com",
    "http://zylker.example.org/products?id=42&ref=crm",
    "https://example.co.jp/会社概要",
    "www.example.net",
)
PHONE_FORMATS = ("+91 98{0:03d} {1:05d}", "+1 (555) 01{0:1d}-{1:04d}", "+81 3-{0:04d}-{1:04d}")

LONG_TEXT_MIN = 140_001  # above Python csv's default 131,072-char field limit


class ValueGenerator:
    """Produces canonical Python values for one data type at a time."""

    def __init__(self, rng: random.Random, start: dt.datetime, end: dt.datetime) -> None:
        self.rng = rng
        self.start = start
        self.end = end

    # -- helpers ------------------------------------------------------------
    def datetime_between(self, low: dt.datetime, high: dt.datetime) -> dt.datetime:
        """Whole-second instant in [low, high], in low's time zone."""
        span = max(0, int((high - low).total_seconds()))
        return (low + dt.timedelta(seconds=self.rng.randint(0, span))).replace(microsecond=0)

    def date(self) -> dt.date:
        """A date within the generated span."""
        days = (self.end.date() - self.start.date()).days
        return self.start.date() + dt.timedelta(days=self.rng.randint(0, days))

    def long_text(self, pool: Sequence[str] = SENTENCES) -> str:
        """A multi-line value longer than Python csv's default field limit, from `pool`'s lines."""
        target = self.rng.randint(LONG_TEXT_MIN, LONG_TEXT_MIN + 20_000)
        parts: list[str] = []
        size = 0
        while size < target:
            line = self.rng.choice(pool)
            parts.append(line)
            size += len(line) + 1
        return "\n".join(parts)[:target]

    def text(self, hint: str) -> str:
        """Realistic single-line text steered by a hint."""
        rng = self.rng
        if hint == "first_name":
            return rng.choice(FIRST_NAMES)
        if hint == "last_name":
            return rng.choice(LAST_NAMES)
        if hint == "full_name":
            return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if hint == "company":
            return rng.choice(COMPANIES)
        pools = {
            "title": TITLES,
            "department": DEPARTMENTS,
            "city": CITIES,
            "country": COUNTRIES,
            "street": STREETS,
            "product": PRODUCTS,
        }
        if hint in pools:
            return rng.choice(pools[hint])
        if hint in ("subject", "deal"):
            company, word = rng.choice(COMPANIES).strip(), rng.choice(SUBJECT_WORDS)
            return f"{company} \u2013 {word}"
        if hint == "code":
            letters = "".join(rng.choices(string.ascii_uppercase, k=2))
            return f"{letters}-{rng.randint(0, 99999):05d}"
        if hint == "ticker":
            return "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 4)))
        if hint == "file":
            return f"report_{rng.randint(2019, 2025)}_{rng.randint(1, 99)}.pdf"
        return rng.choice(SENTENCES)

    def textarea(self, pool: Sequence[str] = SENTENCES) -> str:
        """One to four lines of `pool`, LF or CRLF separated."""
        lines = [self.rng.choice(pool) for _ in range(self.rng.randint(1, 4))]
        return ("\r\n" if self.rng.random() < 0.2 else "\n").join(lines)

    def choices(self, options: Sequence[str]) -> list[str] | None:
        """None or one to three of `options`, in their order (a multi-select value)."""
        count = self.rng.randint(0, 3)
        if count == 0:
            return None
        chosen = set(self.rng.sample(options, min(count, len(options))))
        return [option for option in options if option in chosen]

    # -- numbers ------------------------------------------------------------
    def integer(self) -> int:
        """32-bit integers incl. negatives and the extremes."""
        roll = self.rng.random()
        if roll < 0.05:
            return self.rng.choice((2_147_483_647, -2_147_483_648, 0))
        if roll < 0.2:
            return self.rng.randint(-1000, -1)
        if roll < 0.3:
            return self.rng.randint(1_000_000, 2_147_483_647)
        return self.rng.randint(0, 5000)

    def bigint(self) -> int:
        """Up to 19 digits, mostly beyond 2**53 (where floats lose precision)."""
        roll = self.rng.random()
        if roll < 0.5:
            return self.rng.randint(2**53 + 1, 2**63 - 1)
        if roll < 0.8:
            return self.rng.randint(0, 1_000_000)
        return self.rng.randint(-(2**62), -1)

    def double(self) -> float:
        """Two-decimal floats, negative, large and integral ones included."""
        roll = self.rng.random()
        if roll < 0.2:
            return round(self.rng.uniform(-10_000, 0), 2)
        if roll < 0.3:
            return round(self.rng.uniform(1e9, 1e12), 2)
        if roll < 0.4:
            return float(self.rng.randint(0, 100))
        return round(self.rng.uniform(0, 10_000), 2)

    def currency(self) -> float:
        """Money amounts, occasionally negative."""
        if self.rng.random() < 0.1:
            return round(self.rng.uniform(-5000, 0), 2)
        return round(self.rng.uniform(0, 5e7), 2)

    def percent(self) -> float:
        """0..100 with two decimals."""
        return (
            self.rng.choice((0.0, 100.0)) if self.rng.random() < 0.1 else round(self.rng.uniform(0, 100), 2)
        )

    # -- dispatcher -----------------------------------------------------------
    def value(self, spec: FieldSpec) -> Any:
        """Canonical value for a plain (non-lookup, non-formula, non-system) field."""
        kind = spec.data_type
        if kind == "boolean":
            return self.rng.random() < 0.5
        if not spec.mandatory and self.rng.random() < 0.12:
            return None
        if kind == "textarea":
            return self.textarea()
        simple = {
            "integer": self.integer,
            "bigint": self.bigint,
            "double": self.double,
            "currency": self.currency,
            "percent": self.percent,
            "date": self.date,
        }
        if kind in simple:
            return simple[kind]()
        if kind == "datetime":
            return self.datetime_between(self.start, self.end)
        if kind == "email":
            local = self.rng.choice(EMAIL_LOCALS)
            return f"{local}{self.rng.randint(1, 999)}@{self.rng.choice(EMAIL_DOMAINS)}"
        if kind == "phone":
            fmt = self.rng.choice(PHONE_FORMATS)
            return fmt.format(self.rng.randint(0, 9), self.rng.randint(0, 9999))
        if kind == "website":
            return self.rng.choice(WEBSITES)
        if kind == "picklist":
            return self.rng.choice(spec.options)
        if kind == "multiselectpicklist":
            return self.choices(spec.options)
        if kind == "fileupload":
            return [f"{self.rng.randint(10**17, 10**18 - 1)}"]
        return self.text(spec.hint)
