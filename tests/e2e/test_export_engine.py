"""The export engine end to end: the tap as a process against the emulator.

Jobs of every stream in flight at once, parts that fit in one page whatever changes between
pages, resumable STATE after a kill, failures absorbed, Zoho's limits and Zoho's clock kept.
"""

from __future__ import annotations

import datetime as dt
import signal

import pytest

from tests.support.emulators import tap_config
from tests.support.expected import assert_creator_records, assert_records_match, creator_stream
from tests.support.tap_process import next_second, run_tap, run_tap_signalled_in_a_write, run_tap_until

PAGE = 40  # EmulatorOptions.fast()'s page size


def downloaded_jobs(emulator):
    return [job for job in emulator.job_log() if job.downloaded_at]


def test_every_streams_first_job_is_created_before_any_job_completes(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=20, job_duration=3.0)
    modules = ["Leads", "Contacts", "Deals", "Accounts"]
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=modules))
    assert_records_match(run, emulator, "crm", modules)
    jobs = emulator.job_log()
    assert {job.module for job in jobs} == set(modules)
    assert max(job.created_at for job in jobs) < min(job.completed_at for job in jobs)


@pytest.mark.parametrize("count_api", [True, False], ids=["count API", "no count API"])
def test_a_window_over_a_page_is_exported_in_parts_that_each_fit_in_one(tmp_path, make_emulator, count_api):
    emulator = make_emulator(records_per_module=5 * PAGE, count_api=count_api)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"]))
    assert_records_match(run, emulator, "crm", ["Leads"])
    assert not [job for job in downloaded_jobs(emulator) if job.more_records]
    counted = [r.status for r in emulator.requests if r.path.endswith("/actions/count")]
    assert counted and set(counted) == ({200} if count_api else {404})
    assert len(counted) == 1 or count_api  # without it, one attempt; then parts are cut in halves


@pytest.mark.parametrize(("product", "version"), [("crm", "v5"), ("crm", "v8"), ("bigin", "v1")])
def test_no_unchanged_record_is_lost_when_records_change_between_pages(tmp_path, make_emulator, product, version):
    emulator = make_emulator(records_per_module=300)
    module = "Contacts"
    before = sorted(emulator.dataset.records(product, module), key=lambda r: int(r["id"]))
    deleted = [r["id"] for r in before[10:25]]
    updated = [r["id"] for r in before[40:65]]

    completions = []

    def change(dataset):  # when the export's second job completes, before the next is created
        completions.append(1)
        if len(completions) == 2:
            dataset.delete_records(product, module, deleted)
            for record_id in updated:
                dataset.update_record(product, module, record_id)  # Modified_Time: now, past the window

    emulator.faults.on_completed(product, module, change, times=None)
    stream = f"{product}_{module.lower()}"
    config = tap_config(emulator, crm_modules=[module] if product == "crm" else [],
                        bigin_modules=[module] if product == "bigin" else [],
                        stream_options={stream: {"replication_key": "Modified_Time"}},
                        **{f"{product}_api_version": version})
    run = run_tap(tmp_path, config)
    assert run.exit_code == 0, run.stderr[-3000:]
    emitted = [r["id"] for r in run.records[stream]]
    unchanged = {r["id"] for r in before} - set(deleted) - set(updated)
    assert unchanged - set(emitted) == set()
    assert len(emitted) == len(set(emitted))
    assert len(completions) > 2  # the change came between two of the export's jobs


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -9)])
def test_a_killed_sync_rerun_from_its_last_state_loses_nothing_and_redoes_at_most_two_pages(
        tmp_path, make_emulator, sig, code):
    emulator = make_emulator(records_per_module=8 * PAGE, job_duration=0.2)
    modules = ["Leads", "Contacts"]
    config = tap_config(emulator, crm_modules=modules)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    killed = run_tap_until(tmp_path / "1", config, records=3 * PAGE + 7, sig=sig, env={"TMPDIR": str(temporary)})
    assert killed.exit_code == code, killed.stderr[-3000:]
    if sig != signal.SIGKILL:
        name = signal.Signals(sig).name
        log = killed.log()
        assert log[-1] == f"Stopped by {name}; the last STATE written continues this sync"
        # How far it got, first: the stream it stopped in is marked, its records are whole pages.
        table = log[log.index(f"Sync summary (stopped by {name}):"):-1]
        stopped = [line.split()[0] for line in table if " (stopped) " in line]
        assert stopped == [[m["stream"] for m in killed.messages if m["type"] == "RECORD"][-1]]
        row = next(line for line in table if line.startswith(f"{stopped[0]} (stopped) "))
        whole = int(row.split()[2].replace(",", ""))
        last_state = max(i for i, m in enumerate(killed.messages) if m["type"] == "STATE")
        assert whole == sum(1 for m in killed.messages[:last_state]
                            if m["type"] == "RECORD" and m["stream"] == stopped[0])
        assert list(temporary.iterdir()) == []  # the downloaded results are gone with it
    rerun = run_tap(tmp_path / "2", config, state=killed.final_state)
    assert rerun.exit_code == 0, rerun.stderr[-3000:]
    interrupted = [m["stream"] for m in killed.messages if m["type"] == "RECORD"][-1]
    first = {(s, r["id"]) for s, rows in killed.records.items() for r in rows}
    second = [(s, r["id"]) for s, rows in rerun.records.items() for r in rows]
    truth = {(f"crm_{m.lower()}", r["id"]) for m in modules for r in emulator.dataset.records("crm", m)}
    assert first | set(second) == truth
    again = [key for key in second if key in first]
    assert len(again) <= 2 * PAGE  # of the interrupted stream only: finished streams are not redone
    assert {stream for stream, _ in again} <= {interrupted}


@pytest.mark.parametrize("maps", [{}, {"stream_maps": {"crm_leads": {"__alias__": "crm_leads"}}}],
                         ids=["columnar path", "SDK path"])
def test_a_sync_stopped_while_it_writes_a_block_leaves_only_whole_messages_and_resumes(
        tmp_path, make_emulator, maps):
    emulator = make_emulator(records_per_module=6 * PAGE)  # pages of 40 records of ~3.6 KB: more than a pipe holds
    config = tap_config(emulator, crm_modules=["Leads"], **maps)
    killed = run_tap_signalled_in_a_write(tmp_path / "1", config, records=PAGE + 5, sig=signal.SIGTERM)
    assert killed.exit_code == 143, killed.stderr[-3000:]
    assert "Stopped by SIGTERM" in killed.stderr
    rerun = run_tap(tmp_path / "2", config, state=killed.final_state)
    assert rerun.exit_code == 0, rerun.stderr[-3000:]
    emitted = {r["id"] for r in killed.records["crm_leads"]} | {r["id"] for r in rerun.records["crm_leads"]}
    assert emitted == {r["id"] for r in emulator.dataset.records("crm", "Leads")}


def test_a_job_that_never_completes_ends_the_run_in_one_line_naming_it(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=20)
    emulator.faults.stall_next_jobs(1)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"], job_timeout=3))
    assert run.exit_code == 1
    (job,) = emulator.job_log()
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert any(f"crm_leads: bulk job {job.job_id} did not complete within 3 s" in line for line in errors)
    assert "Traceback" not in run.stderr
    assert all("replication_key_value" not in s["bookmarks"].get("crm_leads", {}) for s in run.states)


def test_an_expired_result_is_exported_again_with_the_same_records(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=30)
    emulator.faults.expire_next_results(1)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"]))
    assert_records_match(run, emulator, "crm", ["Leads"])
    assert "is gone" in run.stderr


def test_windows_end_at_zohos_clock_when_the_machines_runs_ahead(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=20, clock_offset=-3600.0)  # Zoho an hour behind
    config = tap_config(emulator, crm_modules=["Leads"])
    first = run_tap(tmp_path / "1", config)
    assert first.exit_code == 0, first.stderr[-3000:]
    bookmark = dt.datetime.fromisoformat(first.bookmark("crm_leads"))
    assert bookmark < dt.datetime.now(dt.UTC) - dt.timedelta(minutes=50)
    added = emulator.dataset.add_records("crm", "Leads", 4)  # stamped on Zoho's clock
    next_second()
    second = run_tap(tmp_path / "2", config, state=first.final_state)
    assert second.exit_code == 0, second.stderr[-3000:]
    assert sorted(r["id"] for r in second.records["crm_leads"]) == sorted(r["id"] for r in added)


def test_a_sync_of_more_pages_than_zoho_allows_downloads_a_minute_receives_no_429(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=6 * PAGE, download_limit=10, download_window=60.0)
    modules = ["Leads", "Contacts"]
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=modules, downloads_per_minute=10))
    assert_records_match(run, emulator, "crm", modules)
    downloads = [r for r in emulator.requests if r.path.endswith("/result")]
    assert len(downloads) > 10
    assert [r.status for r in downloads if r.status != 200] == []


def _resuming_state(stream: str, *, job_id: str | None, page_token: str | None = None,
                    record_cursor: str | None = None, key: str = "Created_Time") -> dict:
    """The STATE a run killed mid-window leaves: its window, the part, the job and where it was.
    The window ends a day ahead, so this run has no second window (whose job would come first)."""
    end = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(microsecond=0).isoformat()
    return {"bookmarks": {stream: {"export": {
        "key": key, "window": [None, end], "part": [None, end], "job_id": job_id, "page": 1,
        "page_token": page_token, "record_cursor": record_cursor}}}}


@pytest.mark.parametrize("answer", [(400, "RESOURCE_NOT_FOUND"), (400, "INVALID_REQUEST"), (404, "INVALID_URL_PATTERN")])
def test_a_saved_page_token_zoho_no_longer_keeps_restarts_the_window_whatever_it_answers(
        tmp_path, make_emulator, answer):
    """Zoho does not document the code of an expired page token: any refusal of the saved one
    exports the window again, instead of failing this run and every run after it."""
    emulator = make_emulator(records_per_module=3 * PAGE)
    status, code = answer
    emulator.faults.inject(r"^/crm/bulk/v8/read$", status, {"code": code, "message": "expired",
                                                          "status": "error", "details": {}}, method="POST")
    config = tap_config(emulator, crm_modules=["Leads"], max_retries=2)
    run = run_tap(tmp_path, config, state=_resuming_state("crm_leads", job_id=None, page_token="expired-token"))
    assert_records_match(run, emulator, "crm", ["Leads"])
    creates = [r for r in emulator.requests if r.method == "POST" and r.path == "/crm/bulk/v8/read"]
    assert creates[0].status == status and (creates[0].body or {})["query"] == {"page_token": "expired-token"}
    assert any("no longer valid" in line and code in line for line in run.log()), run.stderr[-3000:]
    assert "replication_key_value" in run.final_state["bookmarks"]["crm_leads"]


def test_a_creator_job_and_cursor_zoho_forgot_are_exported_again(tmp_path, make_emulator):
    """A rerun a day after a kill: the saved job and its record cursor answer Creator's catch-all
    2930 (404), to the status poll and to the job created with the cursor; the window is exported
    again, every record."""
    emulator = make_emulator(records_per_module=30, creator_batch_size=12)
    report = "acme/sales-benin/Tous_les_Offres"
    stream = creator_stream(report)
    gone = {"code": 2930, "message": "Error Occurred. We are sorry for the inconvenience."}
    emulator.faults.inject(r"/report/Tous_les_Offres/read/2000000099001$", 404, gone, times=None, method="GET")
    emulator.faults.inject(r"/report/Tous_les_Offres/read$", 404, gone, times=2, method="POST")  # max_retries
    config = tap_config(emulator, crm_modules=[], creator_reports=[report], creator_jobs_per_minute=1000,
                        max_retries=2)
    state = _resuming_state(stream, job_id="2000000099001", record_cursor="forgotten-cursor", key="Added_Time")
    run = run_tap(tmp_path, config, state=state)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert_creator_records(run, emulator, [report])
    assert any("job 2000000099001 of the previous run cannot be read (2930)" in line for line in run.log())
    assert any("no longer valid (2930)" in line for line in run.log()), run.stderr[-3000:]
