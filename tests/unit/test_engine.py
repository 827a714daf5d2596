"""The export engine on an injected clock against an in-memory Zoho (no sockets, no wall clock)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import threading
import time
import zipfile

import pytest

from tap_zoho_bulk.engine import ExportEngine, Limits, Page, StreamExport, poll_delay
from tap_zoho_bulk.errors import DataError, JobFailedError, JobTimeoutError
from tap_zoho_bulk.model import Checkpoint, Position, StreamDefinition, Window
from tap_zoho_bulk.products.crm import FAMILIES, CrmProduct
from tap_zoho_bulk.settings import StreamOptions
from tests.support.fake_zoho import BASE, FakeClock, FakeZoho

UTC = dt.UTC
START = dt.datetime(2024, 1, 1, tzinfo=UTC)
END = dt.datetime(2026, 1, 1, tzinfo=UTC)
SCHEMA = {"properties": {"id": {"type": ["string"]}, "Name": {"type": ["string", "null"]},
                         "Created_Time": {"type": ["string", "null"], "format": "date-time"}}}


ENGINES: list[ExportEngine] = []


@pytest.fixture(autouse=True)
def _close_engines():
    """Every engine a test built is closed after it (its temporary directory goes)."""
    yield
    while ENGINES:
        ENGINES.pop().close()


def setup(modules: dict[str, int], *, step=dt.timedelta(hours=1), page_size=25, duration=8.0,
          counts=True, limits=None, key="Created_Time", checkpoint=None, window=None, zoho=None, **engine):
    """An engine over a fake Zoho holding `modules`; with `zoho`, a rerun against that same Zoho."""
    rerun = zoho is not None
    clock = zoho.clock if rerun else FakeClock()
    zoho = zoho or FakeZoho(clock, page_size=page_size, duration=duration, counts=counts)
    product = CrmProduct(FAMILIES["crm"], "v8", zoho, modules=["*"], stream_options={}, base_url=lambda: BASE)
    exports = []
    for module, count in modules.items():
        if not rerun:
            zoho.add_module(module, count, start=START, step=step)
        definition = StreamDefinition(f"crm_{module.lower()}", "crm", module, SCHEMA, "id", key)
        exports.append(StreamExport(definition, product, ["Name", key], StreamOptions(),
                                    [window or Window(key, None, END)], checkpoint))
    engine = ExportEngine(zoho, exports, {"crm": limits or Limits(10, 10_000)}, threads=False,
                          clock=clock, sleep=clock.sleep, **engine)
    ENGINES.append(engine)
    return clock, zoho, engine


def ids_of(page: Page) -> list[str]:
    if page.path is None:
        return []
    with zipfile.ZipFile(page.path) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    return [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]


def drain(engine: ExportEngine, name: str) -> tuple[list[str], list[Page]]:
    ids, pages = [], []
    for page in engine.pages(name):
        ids += ids_of(page)
        pages.append(page)
    return ids, pages


def all_ids(zoho: FakeZoho, module: str) -> set[str]:
    return {r["id"] for r in zoho.records[module]}


# --- the poll schedule ---------------------------------------------------------------------------

def polls_until(duration: float, first: float = 1.0, longest: float = 60.0) -> list[float]:
    times, now = [], 0.0
    while not times or times[-1] < duration:
        now += poll_delay(now, first, longest)
        times.append(now)
    return times


@pytest.mark.parametrize("duration", [0.2, 1.0, 2.5, 4.0, 8.0, 9.9, 15.0, 60.0, 333.0, 3000.0])
def test_a_job_is_noticed_within_a_quarter_of_its_age_or_a_second(duration):
    noticed = polls_until(duration)[-1]
    assert noticed - duration <= max(1.0, duration / 4) + 1e-9


def test_a_60_second_job_costs_17_status_calls_and_poll_max_interval_caps_the_gaps():
    # Noticing within a quarter of the age means polls at most 25 % apart: from 1 s to 60 s that is
    # 16 or more calls whatever the schedule.
    assert len(polls_until(60.0)) == 17
    hour = polls_until(3600.0)
    gaps = [later - earlier for earlier, later in itertools.pairwise(hour)]
    assert max(gaps) == 60.0 and len(hour) <= 80
    assert {round(gap, 6) for earlier, gap in zip(hour, gaps, strict=False) if earlier >= 240} == {60.0}


# --- everything in flight at once ------------------------------------------------------------------

def test_every_streams_first_job_is_created_at_once_and_the_jobs_overlap():
    clock, zoho, engine = setup({f"M{n}": 20 for n in range(8)}, duration=8.0)
    for n in range(8):
        ids, _ = drain(engine, f"crm_m{n}")
        assert sorted(ids) == sorted(all_ids(zoho, f"M{n}"))
    assert zoho.created_times() == [0.0] * 8
    assert clock.now <= 1.5 * 8.0  # eight 8-s jobs, one after another, would take 64 s


def test_max_concurrent_jobs_bounds_the_jobs_in_flight():
    _, zoho, engine = setup({f"M{n}": 20 for n in range(8)}, duration=8.0, limits=Limits(3, 10_000))
    for n in range(8):
        drain(engine, f"crm_m{n}")
    jobs = list(zoho.jobs.values())
    for job in jobs:
        in_flight = [j for j in jobs if j.created_at <= job.created_at < (j.completed_seen_at or 1e9)]
        assert len(in_flight) <= 3


def test_the_next_page_is_asked_for_when_its_job_completes_before_it_is_downloaded():
    # All records in one second: the part cannot be cut, so Zoho's page tokens are followed.
    _, zoho, engine = setup({"Leads": 60}, step=dt.timedelta(0), duration=3.0)
    ids, _ = drain(engine, "crm_leads")
    assert sorted(ids) == sorted(all_ids(zoho, "Leads"))
    paged = [job for job in zoho.jobs.values() if job.downloaded_at]
    assert [len(job.rows) for job in paged] == [25, 25, 10]
    for previous, following in itertools.pairwise(paged):
        assert following.created_at == previous.completed_seen_at  # at once
        assert following.created_at <= previous.downloaded_at[0]  # before the download


# --- parts that fit in one page ------------------------------------------------------------------

@pytest.mark.parametrize("counts", [True, False], ids=["count API", "cut in halves"])
def test_a_window_over_a_page_is_exported_in_parts_that_each_fit(counts):
    _, zoho, engine = setup({"Leads": 125}, counts=counts)
    ids, pages = drain(engine, "crm_leads")
    assert sorted(ids) == sorted(all_ids(zoho, "Leads"))  # each exactly once
    assert not [job for job in zoho.jobs.values() if job.more and job.downloaded_at]
    assert all(job.page == 1 for job in zoho.jobs.values())
    assert pages[-1].finished_window == Window("Created_Time", None, END)
    assert all(p.finished_window is None for p in pages[:-1])


@pytest.mark.parametrize("key", ["Created_Time", "Modified_Time"])
@pytest.mark.parametrize("counts", [True, False], ids=["count API", "cut in halves"])
def test_no_unchanged_record_is_lost_whatever_changes_between_pages(key, counts):
    _, zoho, engine = setup({"Leads": 300}, counts=counts, key=key, duration=2.0)
    records = sorted(zoho.records["Leads"], key=lambda r: int(r["id"]))
    deleted = {r["id"] for r in records[10:25]}
    updated = {r["id"] for r in records[40:65]} if key == "Modified_Time" else set()

    def mutate(fake: FakeZoho) -> None:
        fake.delete("Leads", deleted)
        fake.touch("Leads", updated, END + dt.timedelta(days=1))  # a change moves it past the window

    zoho.on_first_completion["Leads"] = mutate
    ids, _ = drain(engine, "crm_leads")
    unchanged = {r["id"] for r in records} - deleted - updated
    assert unchanged <= set(ids)
    assert len(ids) == len(set(ids))


# --- failures absorbed, and the ones that end a stream --------------------------------------------

def test_a_job_that_fails_once_is_created_again_and_the_records_are_the_same():
    _, zoho, engine = setup({"Leads": 20})
    zoho.fail_jobs = {1}
    ids, _ = drain(engine, "crm_leads")
    assert sorted(ids) == sorted(all_ids(zoho, "Leads"))
    assert len(zoho.jobs) == 2


def test_a_job_that_keeps_failing_fails_its_stream_in_one_line_naming_it():
    _, zoho, engine = setup({"Leads": 20, "Deals": 20})
    zoho.fail_jobs = {1, 3, 4}  # Leads' three attempts (Deals' first job is the second created)
    deals, _ = drain(engine, "crm_deals")
    assert sorted(deals) == sorted(all_ids(zoho, "Deals"))
    with pytest.raises(JobFailedError, match=r"crm_leads: Zoho reports bulk job \d+ as FAILURE.*3 attempts"):
        drain(engine, "crm_leads")


def test_a_result_that_is_gone_is_exported_again():
    _, zoho, engine = setup({"Leads": 20})
    zoho.gone_downloads = 1
    ids, _ = drain(engine, "crm_leads")
    assert sorted(ids) == sorted(all_ids(zoho, "Leads"))
    assert len(zoho.jobs) == 2


def test_a_damaged_result_is_downloaded_again_and_emitted_once():
    _, zoho, engine = setup({"Leads": 20})
    zoho.damaged_downloads = 1
    ids, _ = drain(engine, "crm_leads")
    assert sorted(ids) == sorted(all_ids(zoho, "Leads"))
    (job,) = zoho.jobs.values()
    assert len(job.downloaded_at) == 2


def test_a_result_that_stays_damaged_fails_its_stream_naming_the_job():
    _, zoho, engine = setup({"Leads": 20})
    zoho.damaged_downloads = 100
    with pytest.raises(DataError, match=r"crm_leads: the result of bulk job \d+ is not a valid export after 3"):
        drain(engine, "crm_leads")


def test_a_job_past_job_timeout_fails_its_stream_naming_the_job():
    clock, zoho, engine = setup({"Leads": 20}, job_timeout=30.0)
    zoho.stall_jobs = {1}
    with pytest.raises(JobTimeoutError, match=r"crm_leads: bulk job 5000000001 did not complete within 30 s"):
        drain(engine, "crm_leads")
    assert 30.0 <= clock.now <= 30.0 + 8.0


def test_downloads_keep_within_zohos_limit_per_minute():
    _, zoho, engine = setup({"Leads": 300}, duration=1.0, limits=Limits(20, 10))
    drain(engine, "crm_leads")
    times = sorted(t for job in zoho.jobs.values() for t in job.downloaded_at)
    assert len(times) > 10
    assert all(later - earlier >= 60.0 for earlier, later in zip(times, times[10:], strict=False))


def _two_products(quota: str | None) -> tuple[FakeZoho, ExportEngine]:
    """Leads of product "crm" and Contacts of a second product, each limited to 3 downloads a
    minute, counted together when both name the same quota."""
    clock = FakeClock()
    zoho = FakeZoho(clock, page_size=25, duration=1.0)
    exports = []
    for name, module in (("crm", "Leads"), ("bigin", "Contacts")):
        product = CrmProduct(FAMILIES["crm"], "v8", zoho, modules=["*"], stream_options={}, base_url=lambda: BASE)
        product.name = name  # a second product on the same fake Zoho
        zoho.add_module(module, 100, start=START, step=dt.timedelta(hours=1))
        definition = StreamDefinition(f"{name}_{module.lower()}", name, module, SCHEMA, "id", "Created_Time")
        exports.append(StreamExport(definition, product, ["Name", "Created_Time"], StreamOptions(),
                                    [Window("Created_Time", None, END)], None))
    limits = {name: Limits(20, 3, download_quota=quota) for name in ("crm", "bigin")}
    engine = ExportEngine(zoho, exports, limits, threads=False, clock=clock, sleep=clock.sleep)
    ENGINES.append(engine)
    return zoho, engine


@pytest.mark.parametrize("shared", [True, False])
def test_products_of_one_download_quota_keep_within_it_together(shared):
    zoho, engine = _two_products("crm+bigin" if shared else None)
    assert len(drain(engine, "crm_leads")[0]) == 100
    ids = [i for page in engine.pages("bigin_contacts") for i in ids_of(page)]
    assert len(ids) == 100
    times = sorted(t for job in zoho.jobs.values() for t in job.downloaded_at)
    assert len(times) >= 8  # 4 pages each, at least
    within = all(later - earlier >= 60.0 for earlier, later in zip(times, times[3:], strict=False))
    assert within is shared  # on their own quotas, the two products together exceed 3 a minute


class _HeldZoho:
    """A FakeZoho shared by threads (one call at a time), whose first call about `module` waits
    until `release` is set: a call its product retries, sleeping in that product's scheduler."""

    def __init__(self, zoho: FakeZoho, module: str) -> None:
        self.zoho, self.module = zoho, module
        self.release = threading.Event()
        self.held = threading.Event()
        self.released_by_event: bool | None = None
        self._lock = threading.Lock()

    def _hold(self, url: str, body: object) -> None:
        if not self.held.is_set() and (self.module in url or self.module in str(body)):
            self.held.set()
            self.released_by_event = self.release.wait(timeout=30.0)

    def request_json(self, method, url, *, json=None, params=None, expect=None):
        self._hold(url, json)
        with self._lock:
            return self.zoho.request_json(method, url, json=json, params=params, expect=expect)

    def download(self, url, dest, *, before_retry=None):
        with self._lock:
            return self.zoho.download(url, dest, before_retry=before_retry)

    def absolute(self, base_url, path):
        return self.zoho.absolute(base_url, path)


def test_a_call_one_product_retries_does_not_hold_up_another_products_jobs():
    # Threads and the wall clock, but nothing races it: the held call waits on an event that only
    # the other product's finished stream sets (30 s is a failure, not a timing).
    zoho = FakeZoho(time.monotonic, page_size=25, duration=0.0)
    held = _HeldZoho(zoho, "Leads")
    exports = []
    for name, module in (("crm", "Leads"), ("bigin", "Contacts")):
        product = CrmProduct(FAMILIES["crm"], "v8", held, modules=["*"], stream_options={},
                             base_url=lambda: BASE)
        product.name = name
        zoho.add_module(module, 60, start=START, step=dt.timedelta(hours=1))
        definition = StreamDefinition(f"{name}_{module.lower()}", name, module, SCHEMA, "id", "Created_Time")
        exports.append(StreamExport(definition, product, ["Name", "Created_Time"], StreamOptions(),
                                    [Window("Created_Time", None, END)], None))
    limits = {name: Limits(10, 10_000) for name in ("crm", "bigin")}
    engine = ExportEngine(held, exports, limits, poll_interval=0.01).start()
    ENGINES.append(engine)
    assert held.held.wait(timeout=30.0)
    contacts = [i for page in engine.pages("bigin_contacts") for i in ids_of(page)]
    held.release.set()
    leads, _ = drain(engine, "crm_leads")
    assert held.released_by_event is True  # Bigin's stream finished while CRM's call was held
    assert sorted(contacts) == sorted(all_ids(zoho, "Contacts"))
    assert sorted(leads) == sorted(all_ids(zoho, "Leads"))


def test_a_product_at_its_download_limit_does_not_keep_the_workers_from_another_products_results():
    # A worker that had to wait on CRM's limit sleeps until `release` (set by a watchdog after
    # 30 s: a failure, not a timing); Bigin's result must be fetched meanwhile.
    zoho = FakeZoho(time.monotonic, page_size=25, duration=0.0)
    release = threading.Event()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        release.wait()

    exports = []
    for name, module, count in (("crm", "Leads", 100), ("bigin", "Contacts", 10)):
        product = CrmProduct(FAMILIES["crm"], "v8", zoho, modules=["*"], stream_options={},
                             base_url=lambda: BASE)
        product.name = name
        zoho.add_module(module, count, start=START, step=dt.timedelta(hours=1))
        definition = StreamDefinition(f"{name}_{module.lower()}", name, module, SCHEMA, "id", "Created_Time")
        exports.append(StreamExport(definition, product, ["Name", "Created_Time"], StreamOptions(),
                                    [Window("Created_Time", None, END)], None))
    limits = {"crm": Limits(10, 1), "bigin": Limits(10, 10)}
    engine = ExportEngine(zoho, exports, limits, poll_interval=0.01, sleep=sleep).start()
    ENGINES.append(engine)
    watchdog = threading.Timer(30.0, release.set)
    watchdog.start()
    try:
        crm = engine.pages("crm_leads")
        first = ids_of(next(crm))  # CRM's one download of the minute
        contacts = [i for page in engine.pages("bigin_contacts") for i in ids_of(page)]
        fetched_in_time = not release.is_set()
    finally:
        release.set()
        watchdog.cancel()
    assert fetched_in_time, "Bigin's result waited for CRM's download limit"
    assert sorted(contacts) == sorted(all_ids(zoho, "Contacts")) and first
    assert slept == []  # no worker went to sleep on CRM's limit: each passed it over


# --- checkpoints and resuming --------------------------------------------------------------------

def test_each_page_names_where_a_rerun_continues_and_a_rerun_from_it_loses_nothing():
    _, zoho, engine = setup({"Leads": 125})
    emitted, checkpoint = [], None
    for index, page in enumerate(engine.pages("crm_leads")):
        emitted += ids_of(page)
        if index == 1:
            checkpoint = page.checkpoint
            break
    engine.close()
    assert checkpoint is not None and checkpoint.window_end == END and checkpoint.key == "Created_Time"
    window = Window("Created_Time", checkpoint.window_start, checkpoint.window_end)
    _, _, rerun = setup({"Leads": 125}, checkpoint=checkpoint, window=window, zoho=zoho)
    rest, _ = drain(rerun, "crm_leads")
    assert set(emitted) | set(rest) == all_ids(zoho, "Leads")
    assert not set(emitted) & set(rest)  # nothing emitted twice: the checkpoint was after a page


def test_a_rerun_reuses_the_checkpoints_job_while_zoho_keeps_it():
    _, zoho, engine = setup({"Leads": 20})
    first, _ = drain(engine, "crm_leads")
    (job,) = zoho.jobs.values()
    checkpoint = Checkpoint("Created_Time", None, END, None, END, Position(), job_id=job.id)
    _, _, rerun = setup({"Leads": 20}, checkpoint=checkpoint, zoho=zoho)
    ids, _ = drain(rerun, "crm_leads")
    assert sorted(ids) == sorted(first)
    assert list(zoho.jobs) == [job.id]  # no new job


def test_a_rerun_whose_job_is_gone_creates_it_again():
    checkpoint = Checkpoint("Created_Time", None, END, None, END, Position(), job_id="4999")
    _, zoho, rerun = setup({"Leads": 20}, checkpoint=checkpoint)
    ids, _ = drain(rerun, "crm_leads")
    assert sorted(ids) == sorted(all_ids(zoho, "Leads"))


def test_checkpoint_round_trips_through_state():
    checkpoint = Checkpoint("Modified_Time", START, END, START, END - dt.timedelta(days=1),
                            Position(page_token="abc"), job_id="123")
    assert Checkpoint.from_state(checkpoint.to_state()) == checkpoint
    assert Checkpoint.from_state({"window": "nonsense"}) is None


# --- cutting windows, and Zoho's clock -------------------------------------------------------------

def test_a_cut_by_counting_leaves_a_first_part_of_three_quarters_to_one_page():
    from tap_zoho_bulk import slicing

    stamps = [START + dt.timedelta(minutes=7 * n) for n in range(1000)]

    def count(start, end):
        return sum(1 for s in stamps if (start is None or s >= start) and s < end)

    for start in (None, START):
        cut, fits = slicing.fitting_end(count, start, END, 200)
        assert fits and 150 <= count(start, cut) <= 200
        assert cut == cut.replace(microsecond=0)


def test_a_second_holding_more_than_a_page_is_cut_off_alone():
    from tap_zoho_bulk import slicing

    cut, fits = slicing.fitting_end(lambda s, e: 500 if e > START else 0, START, END, 200)
    assert (cut, fits) == (START + dt.timedelta(seconds=1), False)
    assert slicing.midpoint(START, START + dt.timedelta(seconds=1)) is None


def test_zohos_clock_is_read_from_the_date_header_and_runs_on_locally():
    from tap_zoho_bulk.serverclock import ServerClock

    local = FakeClock()
    local.now = 1_800_000_000.0
    zoho = ServerClock(clock=local)
    assert zoho.now() is None
    zoho.observe({"Date": "Wed, 02 Dec 2026 05:00:00 GMT"})
    local.sleep(90)
    assert zoho.now() == dt.datetime(2026, 12, 2, 5, 1, 30, tzinfo=UTC)
    zoho.observe({"date": "not a date"})
    assert zoho.now() == dt.datetime(2026, 12, 2, 5, 1, 30, tzinfo=UTC)
