"""What a person reads of a sync: a line per emitted page, and a table of the whole run at its end.

The log lines of the engine say what Zoho does (jobs created, queued, completed, downloaded); these
say what the target gets, and what the run cost, in numbers a person can compare between runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

LOGGER = logging.getLogger("tap-zoho-bulk")


@dataclass
class StreamReport:
    """One stream's part of a sync."""

    name: str
    records: int = 0
    pages: int = 0
    jobs: int = 0
    polls: int = 0
    seconds: float = 0.0
    began: float = 0.0  # on the meter's clock (time.monotonic): the first stream's is the run's
    finished: bool = False  # its sync is over (False in the summary of a run stopped meanwhile)
    stopped: bool = False  # it ended early: its API's credit floor was reached


class PageMeter:
    """Times the pages of one stream as they are emitted, logging one line per page."""

    def __init__(self, stream: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._page_began = clock()
        self.report = StreamReport(stream, began=self._page_began)

    def page_begins(self) -> None:
        self._page_began = self._clock()

    def page_emitted(self, records: int, job_id: str | None) -> None:
        """Count and log a page that held records (`job_id` None: a part that matched none)."""
        if job_id is None:
            return
        report = self.report
        report.pages += 1
        report.records += records
        took = max(self._clock() - self._page_began, 1e-6)
        LOGGER.info("%s: page %d emitted: %s records of job %s in %.1f s (%s records/s); %s so far",
                    report.name, report.pages, f"{records:,}", job_id, took,
                    f"{records / took:,.0f}", f"{report.records:,}")

    def page_read(self) -> None:
        """Count a page of an API that lists records (the deleted records' pages of 200)."""
        self.report.pages += 1

    def done(self, *, stopped: bool = False) -> StreamReport:
        self.report.seconds = self._clock() - self.report.began
        self.report.finished, self.report.stopped = True, stopped
        return self.report


def summary_lines(
    streams: Iterable[StreamReport],
    *,
    token_refreshes: int,
    api_calls: int,
    downloads: int,
    credits_left: Mapping[str, int],
    seconds: float,
    stopped: str | None = None,
    not_synced: Iterable[str] = (),
) -> list[str]:
    """The table logged at the end of a sync, a line per stream and one of totals, then the costs.

    A run that `stopped` (why, e.g. "stopped by SIGTERM") marks the stream it stopped in and names
    the streams it never reached; its figures count what was emitted in whole pages, which is
    what the last STATE covers.
    """
    rows = list(streams)
    names = {row.name: row.name if row.finished and not row.stopped else f"{row.name} (stopped)"
             for row in rows}
    width = max([len("stream"), *(len(name) for name in names.values())])
    header = f"{'stream':<{width}}  {'records':>11}  {'pages':>6}  {'jobs':>5}  {'polls':>6}  {'time':>9}"

    def line(name: str, records: int, pages: int, jobs: int, polls: int, took: float) -> str:
        return f"{name:<{width}}  {records:>11,}  {pages:>6,}  {jobs:>5,}  {polls:>6,}  {took:>8.1f}s"

    lines = [f"Sync summary ({stopped}):" if stopped else "Sync summary:", header]
    lines += [line(names[r.name], r.records, r.pages, r.jobs, r.polls, r.seconds) for r in rows]
    lines.append(line("total", sum(r.records for r in rows), sum(r.pages for r in rows),
                      sum(r.jobs for r in rows), sum(r.polls for r in rows), seconds))
    credits = (
        ", ".join(f"{api} {left:,}" for api, left in sorted(credits_left.items()))
        if credits_left else "not reported (Zoho reports them once half the day's credits are used)"
    )
    lines.append(f"Zoho: {token_refreshes} token refresh(es), {api_calls:,} API call(s), "
                 f"{downloads:,} download(s); API credits left: {credits}")
    missing = list(not_synced)
    if missing:
        lines.append(f"Not synced in this run: {', '.join(missing)}")
    return lines
