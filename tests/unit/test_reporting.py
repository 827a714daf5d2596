"""Progress a person can follow: job transitions once each, page lines, the summary table."""

from __future__ import annotations

import datetime as dt
import logging
import re

from tap_zoho_bulk.engine import ExportEngine, Limits, StreamExport
from tap_zoho_bulk.model import Checkpoint, Position, StreamDefinition, Window
from tap_zoho_bulk.products.crm import FAMILIES, CrmProduct
from tap_zoho_bulk.reporting import PageMeter, StreamReport, summary_lines
from tap_zoho_bulk.settings import StreamOptions
from tests.support.fake_zoho import BASE, FakeClock, FakeZoho

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SCHEMA = {"properties": {"id": {"type": ["string"]}, "Name": {"type": ["string", "null"]},
                         "Created_Time": {"type": ["string", "null"], "format": "date-time"}}}


def leads(checkpoint: Checkpoint | None = None, zoho: FakeZoho | None = None) -> tuple[FakeZoho, ExportEngine]:
    """An engine exporting 10 Leads of a fake Zoho whose jobs take 20 s (that Zoho, when given)."""
    if zoho is None:
        zoho = FakeZoho(FakeClock(), page_size=25, duration=20.0)
        zoho.add_module("Leads", 10, start=START, step=dt.timedelta(hours=1))
    product = CrmProduct(FAMILIES["crm"], "v8", zoho, modules=["*"], stream_options={}, base_url=lambda: BASE)
    definition = StreamDefinition("crm_leads", "crm", "Leads", SCHEMA, "id", "Created_Time")
    export = StreamExport(definition, product, ["Name", "Created_Time"], StreamOptions(),
                          [Window("Created_Time", None, END)], checkpoint)
    clock = zoho.clock
    return zoho, ExportEngine(zoho, [export], {"crm": Limits(10, 10)}, threads=False, clock=clock,
                              sleep=clock.sleep, poll_interval=1.0, poll_max_interval=2.0)


def test_each_job_state_is_logged_once_however_often_it_is_polled(caplog):
    _, engine = leads()
    try:
        with caplog.at_level(logging.INFO, logger="tap-zoho-bulk"):
            pages = list(engine.pages("crm_leads"))
        jobs, polls = engine.costs("crm_leads")
    finally:
        engine.close()
    assert len(pages) == 1 and jobs == 1
    assert polls >= 5  # polled IN PROGRESS many times over the job's 20 s
    lines = [r.getMessage() for r in caplog.records]
    job = pages[0].job_id
    created, in_progress, completed = [line for line in lines if f"job {job}" in line and "downloaded" not in line]
    assert created == f"crm_leads: bulk job {job} created (the beginning → 2026-01-01T00:00:00Z, page 1)"
    assert in_progress == f"crm_leads: job {job} is IN PROGRESS (1.0 s after its creation)"
    # the first poll after the job's 20 s, polls at most poll_max_interval (2 s) apart
    took = float(re.fullmatch(rf"crm_leads: job {job} completed in ([\d.]+) s with 10 records", completed)[1])
    assert 20.0 <= took <= 22.0


def test_a_page_line_says_records_time_and_rate(caplog):
    now = [100.0]
    meter = PageMeter("crm_leads", clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="tap-zoho-bulk"):
        meter.page_begins()
        now[0] = 102.0
        meter.page_emitted(200_000, "42")
        meter.page_begins()
        meter.page_emitted(0, None)  # a part that matched nothing is no page
        now[0] = 103.0
    report = meter.done()
    assert [r.getMessage() for r in caplog.records] == [
        "crm_leads: page 1 emitted: 200,000 records of job 42 in 2.0 s (100,000 records/s); 200,000 so far",
    ]
    assert (report.records, report.pages, report.seconds) == (200_000, 1, 3.0)


def test_the_summary_is_a_table_with_totals_and_the_runs_costs():
    lines = summary_lines(
        [StreamReport("crm_leads", 1_234_567, 7, 8, 30, 95.25, finished=True),
         StreamReport("bigin_x", 0, 0, 1, 2, 0.5, finished=True)],
        token_refreshes=1, api_calls=1_050, downloads=7, credits_left={"crm": 48_000}, seconds=100.0,
    )
    assert lines == [
        "Sync summary:",
        "stream         records   pages   jobs   polls       time",
        "crm_leads    1,234,567       7      8      30      95.2s",
        "bigin_x              0       0      1       2       0.5s",
        "total        1,234,567       7      9      32     100.0s",
        "Zoho: 1 token refresh(es), 1,050 API call(s), 7 download(s); API credits left: crm 48,000",
    ]


def test_credits_not_reported_say_why():
    lines = summary_lines([], token_refreshes=0, api_calls=0, downloads=0, credits_left={}, seconds=0.0)
    assert lines[-1].endswith("API credits left: not reported (Zoho reports them once half the day's "
                              "credits are used)")


def test_a_stopped_runs_summary_marks_the_stream_it_stopped_in_and_names_those_not_reached():
    lines = summary_lines(
        [StreamReport("crm_leads", 400_000, 2, 3, 12, 60.0, finished=True),
         StreamReport("crm_deals", 200_000, 1, 2, 9, 30.5)],
        token_refreshes=1, api_calls=30, downloads=3, credits_left={}, seconds=91.0,
        stopped="stopped by SIGTERM", not_synced=["crm_notes", "bigin_pipelines"],
    )
    assert lines[:5] == [
        "Sync summary (stopped by SIGTERM):",
        "stream                   records   pages   jobs   polls       time",
        "crm_leads                400,000       2      3      12      60.0s",
        "crm_deals (stopped)      200,000       1      2       9      30.5s",
        "total                    600,000       3      5      21      91.0s",
    ]
    assert lines[-1] == "Not synced in this run: crm_notes, bigin_pipelines"


def test_a_job_of_the_previous_run_does_not_claim_a_duration_it_did_not_measure(caplog):
    zoho, earlier = leads()
    try:
        earlier.step()  # the previous run created the job, then was killed
    finally:
        earlier.close()
    (job,) = zoho.jobs
    zoho.clock.sleep(15.0)
    _, engine = leads(Checkpoint("Created_Time", None, END, None, END, Position(), job), zoho)
    try:
        with caplog.at_level(logging.INFO, logger="tap-zoho-bulk"):
            list(engine.pages("crm_leads"))
    finally:
        engine.close()
    lines = [r.getMessage() for r in caplog.records if f"job {job}" in r.getMessage()]
    assert lines[0] == f"crm_leads: job {job} is IN PROGRESS (0.0 s after this run first polled it)"
    took = re.fullmatch(rf"crm_leads: job {job} of the previous run completed with 10 records "
                        r"\(([\d.]+) s after this run first polled it\)", lines[1])
    assert took is not None and 5.0 <= float(took[1]) <= 7.0  # the job's last 5 s, polled 1-2 s apart
