"""The export engine: every bulk read job of a sync, owned by one scheduler per product.

A bulk read job spends its life on Zoho's side, so the engine keeps the jobs of every selected
stream in flight at once and hands the streams their pages in order:

- at the start it submits the first job of every stream (within each product's
  `max_concurrent_jobs` and creation rate), and polls every pending job of a product from that
  product's loop (a call one product retries never holds up another's jobs), on a schedule
  that notices a job within max(poll_interval, a quarter of its age) of completing;
- when a job completes it asks for the next page / page token / record cursor at once, before the
  completed page is downloaded or emitted; a window part that turned out to hold more than one
  page is cut in two (`slicing`) so that every part is exported by one job whose record set is
  fixed when it is created;
- results are downloaded ahead by background workers, within each product's downloads per minute
  and a bound on temporary disk (the page a stream is about to emit is always allowed);
- the consumer (`pages`) yields one stream's pages in order, each with the `Checkpoint` a rerun
  needs once the page has been emitted, so STATE can always say where the export continues.

Failures it absorbs: a job that ends in FAILURE and a result that is gone are created again (at
most `MAX_JOB_ATTEMPTS` times); a job past `job_timeout` fails its stream. A stream's failure is
raised when the consumer reaches that stream, so the streams before it finish and keep their state.

It knows jobs, limits and positions, and nothing about Singer.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tap_zoho_bulk import slicing
from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.errors import ApiError, DataError, JobFailedError, JobTimeoutError, Kind, ZohoError
from tap_zoho_bulk.export import ExportFormatError, verify_export
from tap_zoho_bulk.model import Checkpoint, JobState, JobStatus, Position, StreamDefinition, Window
from tap_zoho_bulk.products.base import BulkProduct
from tap_zoho_bulk.ratelimit import RateLimiter, SharedCalls
from tap_zoho_bulk.settings import StreamOptions
from tap_zoho_bulk.usage import CreditFloorReached

LOGGER = logging.getLogger("tap-zoho-bulk")
CREATED_STATE = "ADDED"
MAX_JOB_ATTEMPTS = 3  # a job that fails, or whose result is gone, is created again this often
ZOHO_PAGE_SIZE = 200_000  # records per bulk read page until Zoho reports its `per_page`
LIMIT_PERIOD = 61.0  # seconds of Zoho's per-minute limits, as the tap keeps them
STEP_BUDGET = 0.5  # seconds of job creation / planning per scheduler pass before polling again


def poll_delay(age: float, first: float, longest: float) -> float:
    """Seconds from one status poll of a job `age` seconds old to the next.

    A quarter of the job's age (at least `first`, at most `longest`): a job that completes after T
    seconds is noticed within max(first, T/4) of completing, and long jobs cost few calls.
    """
    return min(max(first, age / 4), max(longest, first))


@dataclass(frozen=True)
class Limits:
    """What one product may have going at once (Zoho's per-user limits, kept by the tap)."""

    max_concurrent_jobs: int
    downloads_per_minute: int
    creates_per_minute: int | None = None  # Creator: 5 per user
    # The products whose downloads count against one per-user limit share one name here (CRM and
    # Bigin: one Zoho user, one token); None = the product's own limit.
    download_quota: str | None = None


@dataclass(frozen=True)
class StreamExport:
    """What a stream asks the engine for: its windows in order, from a checkpoint if resumed.

    A window of None is a full-table export (no replication key). `checkpoint`, when given,
    belongs to the first window.
    """

    definition: StreamDefinition
    product: BulkProduct
    fields: list[str]
    options: StreamOptions
    windows: list[Window | None]
    checkpoint: Checkpoint | None = None


@dataclass(frozen=True)
class Page:
    """One downloaded page, ready to emit. `path` is None for a page without records."""

    stream: str
    job_id: str | None
    path: Path | None
    count: int
    checkpoint: Checkpoint | None  # where a rerun continues once this page has been emitted
    finished_window: Window | None  # the window this page completes, if it does


class _State(enum.Enum):
    NEW = "new"  # no job yet
    RUNNING = "running"  # job created, being polled
    COMPLETED = "completed"  # job complete, result to download
    DOWNLOADING = "downloading"
    READY = "ready"  # downloaded (or empty): the consumer may take it


@dataclass(eq=False)
class _Part:
    """A slice [start, end) of one window, exported one page (= one job) at a time."""

    window_index: int
    start: dt.datetime | None
    end: dt.datetime | None
    position: Position = field(default_factory=Position)
    job_id: str | None = None
    state: _State = _State.NEW
    fits: bool = False  # counted: holds at most one page
    resumed: bool = False  # its job comes from a previous run's STATE
    saved_position: bool = False  # its position (page token, record cursor) comes from STATE
    successor: bool = False  # the next page's part was already queued
    created_at: float = 0.0
    next_poll_at: float = 0.0
    attempts: int = 0
    bad_downloads: int = 0
    status: JobStatus | None = None
    path: Path | None = None
    size: int = 0
    # The job state last logged; a job Zoho has just created is ADDED (CRM, Bigin), so its first
    # poll is a transition only when the job has moved on (QUEUED, IN PROGRESS, Creator's states).
    reported: str = CREATED_STATE

    def slice_window(self, windows: list[Window | None]) -> Window | None:
        window = windows[self.window_index]
        if window is None or self.end is None:
            return window
        return Window(window.key, self.start, self.end)

    def describe(self) -> str:
        where = f"page {self.position.page}"
        if self.position.page_token:
            where = "next page token"
        elif self.position.record_cursor:
            where = "next record cursor"
        if self.end is None:
            return where
        start = "the beginning" if self.start is None else _short(self.start)
        return f"{start} → {_short(self.end)}, {where}"


class _Stream:
    """The engine's view of one stream: its parts, in emit order."""

    def __init__(self, order: int, export: StreamExport) -> None:
        self.order = order
        self.export = export
        self.name = export.definition.name
        self.product = export.product
        self.fields = list(export.fields)
        self.windows = list(export.windows)
        self.parts: list[_Part] = []
        self.error: BaseException | None = None
        self.warned_paging = False
        self.jobs = 0  # created for this stream in this run
        self.polls = 0
        for index, window in enumerate(self.windows):
            self.parts.extend(self._initial_parts(index, window, export.checkpoint if index == 0 else None))

    def _initial_parts(self, index: int, window: Window | None, checkpoint: Checkpoint | None) -> list[_Part]:
        start = None if window is None else window.start
        end = None if window is None else window.end
        if checkpoint is None:
            return [_Part(index, start, end)]
        resumed = _Part(
            index, checkpoint.part_start, checkpoint.part_end, checkpoint.position, checkpoint.job_id,
            state=_State.RUNNING if checkpoint.job_id else _State.NEW,
            fits=checkpoint.part_end != end, resumed=bool(checkpoint.job_id), saved_position=True,
        )
        parts = [resumed]
        if end is not None and checkpoint.part_end is not None and checkpoint.part_end < end:
            parts.append(_Part(index, checkpoint.part_end, end))
        return parts


class ExportEngine:
    """Runs every stream's bulk jobs; see the module docstring.

    With `threads=False` nothing runs in the background: `pages` drives the scheduler itself,
    which makes the engine deterministic under an injected clock (the unit tests).
    """

    def __init__(
        self,
        client: ZohoClient,
        exports: list[StreamExport],
        limits: Mapping[str, Limits],
        *,
        poll_interval: float = 1.0,
        poll_max_interval: float = 60.0,
        job_timeout: float = 7200.0,
        download_ahead_bytes: int = 1 << 30,
        download_workers: int = 2,
        threads: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared_calls: Callable[[str], SharedCalls] | None = None,
    ) -> None:
        """`shared_calls` names, per limit ("crm+bigin-downloads", "creator-creates", …), the
        record of calls every run on this machine shares; None: this process counts alone."""
        self.client = client
        self.limits = dict(limits)
        self.poll_interval = poll_interval
        self.poll_max_interval = poll_max_interval
        self.job_timeout = job_timeout
        self.download_ahead_bytes = download_ahead_bytes
        self._threaded = threads
        self._workers = download_workers
        self._clock, self._sleep = clock, sleep
        self._streams = {e.definition.name: _Stream(i, e) for i, e in enumerate(exports)}
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._current: _Stream | None = None  # the stream being emitted
        self._bytes_ahead = 0
        self._page_size: dict[str, int] = {}
        self._no_count: set[str] = set()  # products whose count API is unavailable
        def limiter(calls: int, what: str, quota: str) -> RateLimiter:
            # One second over the minute: Zoho counts a call when it arrives, the tap when it sends.
            if shared_calls is None:
                return RateLimiter(calls, LIMIT_PERIOD, what=what, clock=clock, sleep=sleep)
            return RateLimiter(calls, LIMIT_PERIOD, what=what, clock=time.time, sleep=sleep,
                               shared=shared_calls(quota))

        self._create_limiters = {
            name: limiter(lim.creates_per_minute, "bulk jobs", f"{name}-creates")
            for name, lim in self.limits.items() if lim.creates_per_minute
        }
        quotas: dict[str, RateLimiter] = {}
        for name, lim in self.limits.items():
            quota = lim.download_quota or name
            if quota not in quotas:
                quotas[quota] = limiter(lim.downloads_per_minute, "result downloads", f"{quota}-downloads")
        self._download_limiters = {
            name: quotas[lim.download_quota or name] for name, lim in self.limits.items()
        }
        now = clock()
        for stream in self._streams.values():
            for part in stream.parts:
                if part.state is _State.RUNNING:  # a job of the previous run: poll it at once
                    part.created_at = part.next_poll_at = now
        self._tmp = Path(tempfile.mkdtemp(prefix="tap-zoho-bulk-"))
        self.jobs_created = 0
        self.polls = 0
        self.downloads = 0

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> ExportEngine:
        """Start the scheduler and the download workers (threaded mode)."""
        if not self._threaded or self._threads:
            return self
        # One scheduler per product: a call one product retries (a 429, a 5xx, Zoho's
        # Retry-After) waits in its own thread, and the other products' jobs go on meanwhile.
        products = sorted({stream.product.name for stream in self._streams.values()})
        self._threads = [
            threading.Thread(target=self._schedule_loop, args=(name,), name=f"zoho-scheduler-{name}",
                             daemon=True)
            for name in products
        ]
        self._threads += [
            threading.Thread(target=self._download_loop, name=f"zoho-download-{n}", daemon=True)
            for n in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def close(self) -> None:
        """Stop every background thread and remove the temporary files (idempotent)."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        deadline = time.monotonic() + 0.5  # a call in flight is left to die with the process
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        shutil.rmtree(self._tmp, ignore_errors=True)

    # --- the consumer ---------------------------------------------------------------------------

    def pages(self, name: str) -> Iterator[Page]:
        """The stream's pages in order; raises the stream's failure when it reaches it."""
        stream = self._streams[name]
        with self._lock:
            self._current = stream
            self._lock.notify_all()
        while True:
            with self._lock:
                head = self._wait_for_head(stream)
                if head is None:
                    return
                page = self._page(stream, head)
            try:
                yield page
            finally:
                with self._lock:
                    self._release(stream, head)

    def _wait_for_head(self, stream: _Stream) -> _Part | None:
        """Block (lock held) until the stream's next part is ready; None when it has no more."""
        while True:
            head = stream.parts[0] if stream.parts else None
            # A page downloaded before its API's credit floor was reached is still emitted.
            if stream.error is not None and not (
                    isinstance(stream.error, CreditFloorReached) and head is not None
                    and head.state is _State.READY):
                raise stream.error
            if head is None:
                return None
            if head.state is _State.READY:
                return head
            if self._stop.is_set():
                raise ZohoError("the export engine was stopped")
            if self._threaded:
                self._lock.wait(timeout=0.5)
            else:
                self._lock.release()
                try:
                    if not self.step():
                        self._sleep(self._idle_time())
                finally:
                    self._lock.acquire()

    def _page(self, stream: _Stream, head: _Part) -> Page:
        rest = stream.parts[1:]
        same_window = bool(rest) and rest[0].window_index == head.window_index
        finished = None if same_window else stream.windows[head.window_index]
        following = rest[0] if rest else None
        checkpoint = None
        if following is not None:
            window = stream.windows[following.window_index]
            checkpoint = Checkpoint(
                window.key if window else None, window.start if window else None,
                window.end if window else None, following.start, following.end,
                following.position, following.job_id,
            )
        status = head.status
        return Page(stream.name, head.job_id, head.path, (status.count or 0) if status else 0,
                    checkpoint, finished)

    def _release(self, stream: _Stream, head: _Part) -> None:
        if stream.parts and stream.parts[0] is head:
            stream.parts.pop(0)
        if head.path is not None:
            head.path.unlink(missing_ok=True)
            self._bytes_ahead -= head.size
            head.path = None
        self._lock.notify_all()

    # --- the scheduler --------------------------------------------------------------------------

    def step(self, product: str | None = None) -> bool:
        """One pass: create jobs, poll the due ones, and (without threads) one download.

        With `product`, only that product's jobs (its scheduler thread); otherwise every product's.
        """
        progressed = self._submit_some(product)
        progressed = self._poll_due(product) or progressed
        if not self._threaded:
            progressed = self._download_one() or progressed
        return progressed

    def _schedule_loop(self, product: str) -> None:
        try:
            while not self._stop.is_set():
                if not self.step(product):
                    with self._lock:
                        self._lock.wait(timeout=self._idle_time(product))
        except BaseException as exc:  # a bug must not leave the consumer waiting forever
            LOGGER.exception("The export scheduler of %s stopped", product)
            self._fail_all(exc)

    def _of(self, product: str | None) -> list[_Stream]:
        """The streams of `product` (every stream for None), in emit order."""
        return [s for s in self._streams.values() if product is None or s.product.name == product]

    def _idle_time(self, product: str | None = None) -> float:
        """How long a scheduler may sleep: until its next poll is due (at most a second)."""
        now = self._clock()
        with self._lock:
            due = [p.next_poll_at for s in self._of(product) for p in s.parts
                   if p.state is _State.RUNNING]
        wait = min(due, default=now + 1.0) - now
        return min(max(wait, 0.01), 1.0)

    def _fail(self, stream: _Stream, error: BaseException) -> None:
        """The stream fails with `error`, which names it (and the option Zoho refused, if set)."""
        if isinstance(error, ApiError) and not error.stream:
            error.stream = stream.name
            refused = error.details.get("api_name") if isinstance(error.details, Mapping) else None
            if refused in ("cvid", "criteria") and getattr(stream.export.options, refused) \
                    and not error.hint:
                error.hint = f"It is stream_options.{stream.name}.{refused}"
        with self._lock:
            if stream.error is None:
                stream.error = error
            self._lock.notify_all()

    def _fail_all(self, error: BaseException) -> None:
        for stream in self._streams.values():
            self._fail(stream, error)

    # --- creating jobs ---------------------------------------------------------------------------

    def _submit_some(self, product: str | None) -> bool:
        """Create jobs for parts that have none, in emit order, within the products' limits."""
        deadline = self._clock() + STEP_BUDGET
        progressed = False
        while self._clock() < deadline and not self._stop.is_set():
            candidate = self._next_to_submit(product)
            if candidate is None:
                break
            stream, part = candidate
            try:
                self._submit(stream, part)
            except ZohoError as error:
                self._fail(stream, error)
            progressed = True
        return progressed

    def _next_to_submit(self, product: str | None) -> tuple[_Stream, _Part] | None:
        with self._lock:
            streams = self._of(product)
            running: dict[str, int] = {}
            for stream in streams:
                for part in stream.parts:
                    if part.state is _State.RUNNING and stream.error is None:
                        running[stream.product.name] = running.get(stream.product.name, 0) + 1
            # Parts continuing a record cursor first: the cursor lives 15 minutes.
            candidates = sorted(
                ((s, p) for s in streams if s.error is None
                 for p in s.parts if p.state is _State.NEW),
                key=lambda sp: (not sp[1].position.record_cursor, sp[0].order),
            )
            for stream, part in candidates:
                name = stream.product.name
                if running.get(name, 0) >= self.limits[name].max_concurrent_jobs:
                    continue
                limiter = self._create_limiters.get(name)
                if limiter is not None and limiter.delay() > 0:
                    limiter.passed_over()  # the log says how long the job waits (once)
                    continue
                return stream, part
        return None

    def _submit(self, stream: _Stream, part: _Part) -> None:
        """Create the part's job (after planning it, where it may hold more than a page)."""
        product = stream.product
        if self._needs_count(stream, part):
            self._plan(stream, part)
            return
        window = part.slice_window(stream.windows)
        while True:
            request = product.job_request(stream.export.definition, stream.fields, window,
                                          stream.export.options, part.position)
            limiter = self._create_limiters.get(product.name)
            if limiter is not None:
                limiter.wait()
            try:
                _, created = self.client.request_json("POST", request.url, json=request.body,
                                                      expect=product.is_created)
                job_id = product.job_id(created)
            except ApiError as error:
                if self._drop_refused_field(stream, error):
                    continue
                if window is not None and product.refuses_window(error, window):
                    self._export_in_full(stream, window)
                    return
                if part.saved_position and (part.position.page_token or part.position.record_cursor):
                    # Whatever Zoho answers to a page token or record cursor it no longer keeps
                    # (its code is not documented), the window is exported again: a saved
                    # position that fails on every run would stop the stream for good.
                    self._restart_window(stream, part, error)
                    return
                raise
            break
        if self._stop.is_set():  # the run ended meanwhile: the job is no one's, and says nothing
            return
        now = self._clock()
        with self._lock:
            part.job_id, part.state = job_id, _State.RUNNING
            part.resumed = False  # the job is this run's
            part.created_at = now
            part.next_poll_at = now + poll_delay(0.0, self.poll_interval, self.poll_max_interval)
            part.reported = CREATED_STATE
            self.jobs_created += 1
            stream.jobs += 1
        LOGGER.info("%s: bulk job %s created (%s)", stream.name, job_id, part.describe())

    def _drop_refused_field(self, stream: _Stream, error: ApiError) -> bool:
        """Zoho refuses to export a field the metadata offered: leave it out of this stream."""
        field_name = error.details.get("api_name") if isinstance(error.details, Mapping) else None
        if error.kind is not Kind.UNSUPPORTED or field_name not in stream.fields:
            return False
        LOGGER.warning("%s: Zoho cannot bulk-export field %s (%s); it is left out",
                       stream.name, field_name, error.code)
        stream.fields = [name for name in stream.fields if name != field_name]
        return True

    def _export_in_full(self, stream: _Stream, window: Window) -> None:
        """The report cannot be filtered on the window's key: this run exports it in full, as a
        full-table stream (no bookmark moves, so nothing is skipped next time either)."""
        LOGGER.warning(
            "%s: Zoho refused to filter %s on %s (the report does not show it); exporting the "
            "whole report. Show %s in the report, or set stream_options.%s.replication_key to a "
            "datetime column it shows, for incremental syncs", stream.name,
            stream.export.definition.target, window.key, window.key, stream.name,
        )
        with self._lock:
            stream.windows = [None]
            stream.parts[:] = [_Part(0, None, None)]
            self._lock.notify_all()

    def _restart_window(self, stream: _Stream, part: _Part, error: ApiError) -> None:
        """A saved page token or record cursor Zoho no longer accepts: export the window again."""
        window = stream.windows[part.window_index]
        LOGGER.warning(
            "%s: the page token / record cursor saved in STATE is no longer valid (%s); "
            "exporting the window again from its start", stream.name, error.code,
        )
        with self._lock:
            index = part.window_index
            kept = [p for p in stream.parts if p.window_index != index]
            first = next((i for i, p in enumerate(stream.parts) if p.window_index == index), 0)
            fresh = _Part(index, window.start if window else None, window.end if window else None)
            kept.insert(first, fresh)
            stream.parts[:] = kept

    # --- planning: parts that fit in one page ---------------------------------------------------

    def _needs_count(self, stream: _Stream, part: _Part) -> bool:
        product = stream.product
        return (
            product.splits_windows
            and product.name not in self._no_count
            and not part.fits
            and part.end is not None
            and part.position == Position()
            and slicing.midpoint(part.start, part.end) is not None
        )

    def _plan(self, stream: _Stream, part: _Part) -> None:
        """Count the part; if it holds more than a page, cut off a first part that fits."""
        product, definition = stream.product, stream.export.definition
        window = stream.windows[part.window_index]
        assert window is not None and part.end is not None

        def count(start: dt.datetime | None, end: dt.datetime) -> int:
            counted = product.count_records(definition, Window(window.key, start, end))
            if counted is None:
                raise _CountUnavailable
            return counted

        limit = self._page_size.get(product.name, ZOHO_PAGE_SIZE)
        try:
            total = count(part.start, part.end)
            if total <= limit:
                with self._lock:
                    part.fits = True
                return
            cut, fits = slicing.fitting_end(count, part.start, part.end, limit)
        except _CountUnavailable:
            with self._lock:
                self._no_count.add(product.name)
            LOGGER.info("%s: Zoho's record count API is not available; a window over one page "
                        "is cut in halves when its job reports more records", product.name)
            return
        with self._lock:
            # A first part that does not fit is one second holding more than a page: it is paged.
            self._replace(stream, part, [_Part(part.window_index, part.start, cut, fits=True),
                                         _Part(part.window_index, cut, part.end)])
        LOGGER.info("%s: %d records from %s to %s; the first part ends at %s%s", stream.name, total,
                    _short(part.start), _short(part.end), _short(cut), "" if fits else " (one second)")

    def _replace(self, stream: _Stream, part: _Part, parts: list[_Part]) -> None:
        index = stream.parts.index(part)
        stream.parts[index:index + 1] = parts
        self._lock.notify_all()

    # --- polling --------------------------------------------------------------------------------

    def _poll_due(self, product: str | None) -> bool:
        now = self._clock()
        with self._lock:
            due = sorted(
                ((p.next_poll_at, s.order, s, p) for s in self._of(product) if s.error is None
                 for p in s.parts if p.state is _State.RUNNING and p.next_poll_at <= now),
                key=lambda item: (item[0], item[1]),
            )
        for _, _, stream, part in due:
            if self._stop.is_set():
                return True
            try:
                self._poll(stream, part)
            except ZohoError as error:
                self._fail(stream, error)
        return bool(due)

    def _poll(self, stream: _Stream, part: _Part) -> None:
        product, definition = stream.product, stream.export.definition
        assert part.job_id is not None
        try:
            _, payload = self.client.request_json("GET", product.status_url(definition, part.job_id),
                                                  expect=product.is_status)
        except ApiError as error:
            if part.resumed:
                # Zoho forgets jobs (a day for CRM), and says so in more than one way (404,
                # Creator's catch-all 2930): a job of the previous run that cannot be read is
                # created again at its position.
                LOGGER.info("%s: job %s of the previous run cannot be read (%s); creating it again",
                            stream.name, part.job_id, error.code)
                self._again(stream, part, count_attempt=False)
                return
            if error.kind is not Kind.NOT_FOUND:
                raise
            if part.attempts + 1 >= MAX_JOB_ATTEMPTS:
                raise
            LOGGER.warning("%s: Zoho no longer knows job %s (%s); creating it again",
                           stream.name, part.job_id, error.code)
            self._again(stream, part)
            return
        if self._stop.is_set():
            return
        status = product.parse_status(payload, part.position)
        now = self._clock()
        with self._lock:
            self.polls += 1
            stream.polls += 1
        if status.state is JobState.COMPLETED:
            if part.resumed:  # created by an earlier run, which did not save when
                LOGGER.info("%s: job %s of the previous run completed with %s records (%.1f s "
                            "after this run first polled it)", stream.name, part.job_id,
                            status.count, now - part.created_at)
            else:
                LOGGER.info("%s: job %s completed in %.1f s with %s records", stream.name,
                            part.job_id, now - part.created_at, status.count)
            self._completed(stream, part, status)
        elif status.state is JobState.FAILED:
            self._failed(stream, part, status)
        elif now - part.created_at >= self.job_timeout:
            raise JobTimeoutError(
                f"{stream.name}: bulk job {part.job_id} did not complete within "
                f"{self.job_timeout:.0f} s (job_timeout); state was not advanced"
            )
        else:
            delay = poll_delay(now - part.created_at, self.poll_interval, self.poll_max_interval)
            deadline = part.created_at + self.job_timeout
            with self._lock:
                part.next_poll_at = min(now + delay, max(deadline, now))
            if status.raw_state.upper() != part.reported.upper():
                part.reported = status.raw_state
                since = "this run first polled it" if part.resumed else "its creation"
                LOGGER.info("%s: job %s is %s (%.1f s after %s)", stream.name, part.job_id,
                            status.raw_state, now - part.created_at, since)

    def _failed(self, stream: _Stream, part: _Part, status: JobStatus) -> None:
        detail = f": {status.error}" if status.error else ""
        if part.attempts + 1 >= MAX_JOB_ATTEMPTS:
            raise JobFailedError(
                f"{stream.name}: Zoho reports bulk job {part.job_id} as {status.raw_state}{detail} "
                f"({MAX_JOB_ATTEMPTS} attempts); state was not advanced"
            )
        LOGGER.warning("%s: Zoho reports bulk job %s as %s%s; creating it again",
                       stream.name, part.job_id, status.raw_state, detail)
        self._again(stream, part)

    def _again(self, stream: _Stream, part: _Part, *, count_attempt: bool = True) -> None:
        """Create the part's job again, at the same position."""
        with self._lock:
            part.attempts += int(count_attempt)
            part.job_id, part.status, part.state = None, None, _State.NEW
            part.resumed = part.resumed and not count_attempt
            self._lock.notify_all()

    def _completed(self, stream: _Stream, part: _Part, status: JobStatus) -> None:
        product = stream.product
        with self._lock:
            if status.per_page:
                self._page_size[product.name] = min(
                    self._page_size.get(product.name, ZOHO_PAGE_SIZE), status.per_page)
            if status.more_records and product.splits_windows and part.end is not None \
                    and part.position == Position() and slicing.midpoint(part.start, part.end):
                self._cut_in_two(stream, part)
                return
            part.status = status
            if status.next_position is not None:
                if status.more_records and product.splits_windows and not stream.warned_paging:
                    stream.warned_paging = True
                    LOGGER.warning(
                        "%s: more than one page of records carry the same second; they are paged, "
                        "and a record deleted or changed meanwhile may shift across pages",
                        stream.name,
                    )
                self._queue_successor(stream, part, status.next_position)
            if status.count == 0 or (not status.download_url and not status.count):
                # Nothing matched: no file to fetch (Zoho may even complete without one), and a
                # download slot of the ten a minute saved.
                part.state = _State.READY
            else:
                part.state = _State.COMPLETED
            self._lock.notify_all()

    def _cut_in_two(self, stream: _Stream, part: _Part) -> None:
        """The part's one job reported more records than its page holds (lock held): its page is
        not used. Where Zoho can count, the part is planned again with the page size now known;
        elsewhere it is cut in halves, each exported (and cut again) in turn."""
        assert part.end is not None
        if stream.product.name not in self._no_count:
            LOGGER.info("%s: job %s holds more than one page; counting to cut %s", stream.name,
                        part.job_id, part.describe())
            self._replace(stream, part, [_Part(part.window_index, part.start, part.end)])
            return
        middle = slicing.midpoint(part.start, part.end)
        assert middle is not None
        LOGGER.info("%s: job %s holds more than one page; exporting %s as two parts",
                    stream.name, part.job_id, part.describe())
        self._replace(stream, part, [
            _Part(part.window_index, part.start, middle), _Part(part.window_index, middle, part.end),
        ])

    def _queue_successor(self, stream: _Stream, part: _Part, position: Position) -> None:
        """Queue the next page of the part (lock held): its job is created at once."""
        if part.successor:
            return
        part.successor = True
        index = stream.parts.index(part)
        following = _Part(part.window_index, part.start, part.end, position, fits=part.fits)
        stream.parts.insert(index + 1, following)
        self._lock.notify_all()

    # --- downloading ----------------------------------------------------------------------------

    def _download_loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._download_one():
                    with self._lock:
                        self._lock.wait(timeout=0.5)
            except BaseException as exc:
                LOGGER.exception("A download worker stopped")
                self._fail_all(exc)
                return

    def _next_download(self) -> tuple[_Stream, _Part] | None:
        """The most urgent completed result whose product may download now (lock held): the page
        being waited for first; then, in emit order, while the disk budget allows, or whatever
        continues a record cursor only its download names (Creator v2: the cursor lives 15
        minutes). A product at its downloads per minute is passed over, so no worker sleeps on
        its limit while another product's result could be fetched."""
        allowed: dict[int, bool | None] = {}  # per limiter, asked once a pass (a shared one reads a file)
        current = self._current
        if current is not None and current.error is None and current.parts \
                and current.parts[0].state is _State.COMPLETED and self._may_download(current, allowed):
            return current, current.parts[0]
        for stream in sorted(self._streams.values(), key=lambda s: s.order):
            if stream.error is not None or not self._may_download(stream, allowed):
                continue
            for part in stream.parts:
                if part.state is not _State.COMPLETED:
                    continue
                if self._bytes_ahead < self.download_ahead_bytes or (
                        stream.product.cursor_in_download and not part.successor):
                    return stream, part
        return None

    def _may_download(self, stream: _Stream, allowed: dict[int, bool | None]) -> bool:
        """Whether the stream's product may download now; if not while a result of the stream
        is waiting, the log says how long for (once per wait). `allowed` holds each limiter's
        answer for this pass: True, False, or None once its wait has been passed over."""
        limiter = self._download_limiters[stream.product.name]
        if id(limiter) not in allowed:
            allowed[id(limiter)] = limiter.delay() <= 0
        if allowed[id(limiter)]:
            return True
        if allowed[id(limiter)] is False and any(part.state is _State.COMPLETED for part in stream.parts):
            limiter.passed_over()
            allowed[id(limiter)] = None
        return False

    def _download_one(self) -> bool:
        """Download the most urgent result one may fetch now; False if there is none (the worker
        waits for a notification or half a second, and looks again)."""
        with self._lock:
            picked = self._next_download()
            if picked is None:
                return False
            stream, part = picked
            if not self._download_limiters[stream.product.name].acquire_now():
                return False  # picked as allowed, under this lock: only a clock gone backwards
            part.state = _State.DOWNLOADING
        try:
            self._download(stream, part)
        except ZohoError as error:
            self._fail(stream, error)
        return True

    def _download(self, stream: _Stream, part: _Part) -> None:
        """Fetch a completed result (its download already counted against the product's limit)."""
        product = stream.product
        status = part.status
        assert status is not None and part.job_id is not None
        if not status.download_url:
            raise JobFailedError(
                f"{stream.name}: bulk job {part.job_id} completed with {status.count} records "
                "but without a download_url; state was not advanced"
            )
        url = self.client.absolute(product.base_url, status.download_url)
        path = self._tmp / f"{stream.name}-{part.job_id}.zip"
        started = self._clock()
        # A retry (after a 429's minute, a cut connection) is one more download to Zoho: counted,
        # and waiting for its slot, so the retry and the other workers' downloads keep within it.
        limiter = self._download_limiters[product.name]
        try:
            size, headers = self.client.download(url, path, before_retry=limiter.wait)
        except ApiError as error:
            path.unlink(missing_ok=True)
            if error.kind is not Kind.GONE:
                raise
            if part.attempts + 1 >= MAX_JOB_ATTEMPTS:
                raise JobFailedError(
                    f"{stream.name}: the result of bulk job {part.job_id} is gone ({error.code}) "
                    f"after {MAX_JOB_ATTEMPTS} attempts; state was not advanced"
                ) from None
            LOGGER.warning("%s: the result of job %s is gone (%s); creating the job again",
                           stream.name, part.job_id, error.code)
            self._again(stream, part)
            return
        try:
            verify_export(path, primary_key=stream.export.definition.primary_key)
        except ExportFormatError as problem:
            path.unlink(missing_ok=True)
            self._bad_file(stream, part, problem)
            return
        with self._lock:
            self.downloads += 1
            if self._stop.is_set():
                path.unlink(missing_ok=True)
                return
            part.path, part.size = path, size
            self._bytes_ahead += size
            part.state = _State.READY
            if not part.successor:
                following = product.next_position(status, headers)
                if following is not None:
                    self._queue_successor(stream, part, following)
            self._lock.notify_all()
        LOGGER.info("%s: downloaded the result of job %s (%d bytes, %.1f s)",
                    stream.name, part.job_id, size, self._clock() - started)

    def _bad_file(self, stream: _Stream, part: _Part, problem: ExportFormatError) -> None:
        """A damaged or malformed result: downloaded again, a few times, before the stream fails
        (nothing of it was emitted, so nothing of it is claimed in STATE)."""
        with self._lock:
            part.bad_downloads += 1
            if part.bad_downloads >= MAX_JOB_ATTEMPTS:
                raise DataError(
                    f"{stream.name}: the result of bulk job {part.job_id} is not a valid export "
                    f"after {MAX_JOB_ATTEMPTS} downloads ({problem}); state was not advanced"
                )
            part.state = _State.COMPLETED
            self._lock.notify_all()
        LOGGER.warning("%s: the result of job %s is not a valid export (%s); downloading it again",
                       stream.name, part.job_id, problem)

    def costs(self, name: str) -> tuple[int, int]:
        """Bulk jobs created and status polls sent for stream `name` in this run."""
        with self._lock:
            stream = self._streams[name]
            return stream.jobs, stream.polls

    @property
    def temporary_directory(self) -> Path:
        return self._tmp


class _CountUnavailable(Exception):
    """The product cannot count records (Bigin; or Zoho refused the count API)."""


def _short(value: dt.datetime | None) -> str:
    return "the beginning" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


