"""Zoho CRM's (and Bigin's) daily API credits, per organisation.

Zoho counts credits over a rolling 24 hours per org and edition and sends
`X-API-CREDITS-REMAINING` "once your API credit usage consumes 50% or above"
(https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html); past the last credit every call
answers 429 TOO_MANY_REQUESTS. What one call costs is Zoho's table; bulk read's cost is not
documented (API-REFERENCE 1.7), so every API call costs `api_credit_cost` here, one by default,
as most GET calls do. Off (no header, no limit) unless `api_credits` is set.
"""

from __future__ import annotations

import threading

from zoho_emulator.crm.replies import CrmErrorReply

HEADER = "X-API-CREDITS-REMAINING"
EXHAUSTED = ("Number of API requests for the 24 hour period is exceeded or the concurrency limit of "
             "the user for the app is exceeded.")


class CreditLedger:
    """The credits each product's org has used today (no day rollover: an emulator run is short)."""

    def __init__(self, daily: int | None, used: int = 0, cost: int = 1) -> None:
        self.daily, self.cost = daily, cost
        self._used: dict[str, int] = {}
        self._initial = used
        self._lock = threading.Lock()

    def spend(self, product: str) -> list[tuple[str, str]]:
        """Charge one call of `product` (crm, bigin); the headers its answer carries. Raises the
        429 once the day's credits are gone."""
        if self.daily is None:
            return []
        with self._lock:
            used = self._used.get(product, self._initial)
            if used + self.cost > self.daily:
                raise CrmErrorReply("TOO_MANY_REQUESTS", message=EXHAUSTED)
            used += self.cost
            self._used[product] = used
        if used * 2 < self.daily:
            return []
        return [(HEADER, str(self.daily - used))]

    def used(self, product: str) -> int:
        with self._lock:
            return self._used.get(product, self._initial)

    def reset(self, used: int = 0, product: str | None = None) -> None:
        """A new day: every org starts again at `used` credits (only `product`'s org, if given)."""
        with self._lock:
            if product is not None:
                self._used[product] = used
                return
            self._used.clear()
            self._initial = used
