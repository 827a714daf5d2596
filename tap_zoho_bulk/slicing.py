"""Cutting an incremental window into parts that each fit in one bulk read page.

Zoho evaluates a bulk read query when the job is created, and page N holds records
200,000·(N-1)+1 … 200,000·N of that evaluation
(https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html). The next page's job
evaluates the query again, so records deleted or changed in between (with `Modified_Time` as the
replication key, a change moves a record out of the window) shift the rest across the page
boundary, and an unchanged record can fall between two pages, lost for good once the window is
bookmarked. A part that fits in one page has its record set fixed when its only job is created:
exporting a window as such parts loses nothing, whatever changes while it is exported.

Zoho stamps records in whole seconds, so parts are cut at whole seconds; a single second that
holds more than a page cannot be cut and is paged (the one case left to Zoho's paging).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_SECOND = dt.timedelta(seconds=1)
# A part found by counting holds at least this share of a page, so few jobs are needed.
GOOD_ENOUGH = 0.75
MAX_STEPS = 48  # bisection steps per cut: enough for any window down to one second


def midpoint(start: dt.datetime | None, end: dt.datetime) -> dt.datetime | None:
    """A whole second strictly inside (start, end), near the middle; None if there is none."""
    low = start or EPOCH
    middle = low + (end - low) / 2
    middle = middle.replace(microsecond=0)
    if middle <= low:
        middle = low.replace(microsecond=0) + ONE_SECOND
    return middle if low < middle < end else None


def fitting_end(
    count: Callable[[dt.datetime | None, dt.datetime], int],
    start: dt.datetime | None,
    end: dt.datetime,
    limit: int,
) -> tuple[dt.datetime, bool]:
    """Where the first part of [start, end) should end, given that the whole holds more than
    `limit` records: (t, True) with count([start, t)) ≤ limit, found by bisection on whole
    seconds; or (start + 1 s, False) when the first second alone holds more than `limit`.

    `count(start, end)` counts the records of [start, end) (one call of Zoho's count API).
    """
    low, high = start or EPOCH, end  # count([start, low)) ≤ limit < count([start, high))
    found = False
    for _ in range(MAX_STEPS):
        middle = midpoint(low, high)
        if middle is None:
            break
        held = count(start, middle)
        if held <= limit:
            low, found = middle, True
            if held >= limit * GOOD_ENOUGH:
                break
        else:
            high = middle
    if found:
        return low, True
    return (start or EPOCH).replace(microsecond=0) + ONE_SECOND, False
