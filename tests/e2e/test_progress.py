"""Progress a person can follow, and the credit floor: the tap as a process against the emulator,
its log read as a person reads it and checked against what the emulator saw."""

from __future__ import annotations

import json
import re
from collections import Counter

from tests.support.emulators import tap_config
from tests.support.tap_process import run_tap

REPORT = "acme/sales-benin/Tous_les_Offres"
STREAMS = {  # stream → (product, module as the emulator's job log names it)
    "crm_leads": ("crm", "Leads"), "crm_deals": ("crm", "Deals"), "bigin_contacts": ("bigin", "Contacts"),
    "creator_sales_benin_tous_les_offres": ("creator", REPORT),
}
def config_for(emulator, **overrides):
    return tap_config(emulator, crm_modules=["Leads", "Deals"], bigin_modules=["Contacts"],
                      creator_reports=[REPORT], **overrides)


def test_the_summary_table_counts_what_zoho_saw(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=150)
    run = run_tap(tmp_path, config_for(emulator))
    assert run.exit_code == 0, run.stderr[-3000:]
    rows, costs = run.summary()
    assert set(rows) == {*STREAMS, "total"}
    log = emulator.job_log()
    for stream, (product, module) in STREAMS.items():
        jobs = [j for j in log if (j.product, j.module) == (product, module)]
        expected = (len(run.records[stream]), sum(1 for j in jobs if j.downloaded_at), len(jobs),
                    sum(j.status_calls for j in jobs))
        assert rows[stream] == expected, stream
        assert expected[0] == 150 and expected[1] >= 1  # every record, in pages that held some
    assert rows["total"] == tuple(sum(rows[s][i] for s in STREAMS) for i in range(4))
    api_calls = sum(1 for r in emulator.requests if not r.path.startswith("/oauth/"))
    downloads = sum(len(j.downloaded_at) for j in log)
    assert costs == (f"Zoho: {emulator.token_refreshes} token refresh(es), {api_calls:,} API call(s), "
                     f"{downloads:,} download(s); API credits left: not reported (Zoho reports them "
                     "once half the day's credits are used)")


def test_every_emitted_page_and_every_job_has_its_line(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=150)
    run = run_tap(tmp_path, config_for(emulator))
    assert run.exit_code == 0, run.stderr[-3000:]
    lines = run.log()
    for job in emulator.job_log():
        created = [line for line in lines if re.search(rf"bulk job {job.job_id} created \(", line)]
        completed = [line for line in lines if f"job {job.job_id} completed in " in line]
        assert len(created) == 1 and len(completed) == 1, job.job_id
        states = [m[1] for line in lines if (m := re.search(rf"job {job.job_id} is (.+) \(", line))]
        assert len(states) == len(set(states)), f"a state of job {job.job_id} logged twice: {states}"
    pages = Counter()
    for line in lines:
        match = re.fullmatch(r"(\w+): page (\d+) emitted: ([\d,]+) records of job (\d+) in [\d.]+ s "
                             r"\(([\d,]+) records/s\); ([\d,]+) so far", line)
        if match:
            pages[match[1]] += int(match[3].replace(",", ""))
    assert pages == {stream: len(records) for stream, records in run.records.items()}
    assert not [line for line in lines if "WARNING" in line or "assumed to be unsorted" in line]
    assert " | WARNING " not in run.stderr


def test_the_credit_floor_stops_crms_streams_cleanly_the_others_finish_and_the_rerun_completes(
        tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=200, api_credits=1_000_000)
    config = config_for(emulator, include_deleted=True)
    full = run_tap(tmp_path / "full", config)
    assert full.exit_code == 0, full.stderr[-3000:]
    spent = emulator.credits.used("crm")
    assert spent > 20

    # Half of CRM's credits for the day are gone, so Zoho reports what is left on every CRM answer;
    # the floor is reached about halfway through the same export. Bigin's org has all of its own.
    emulator.credits.reset()
    emulator.credits.reset(used=500_000, product="crm")
    floor = 500_000 - spent // 2
    stopped = run_tap(tmp_path / "stopped", {**config, "min_api_credits_left": floor})
    assert stopped.exit_code == 0, stopped.stderr[-3000:]
    assert "Traceback" not in stopped.stderr
    stop_lines = [line for line in stopped.log() if line.startswith("Stopped before Zoho's API credits")]
    log = [line for line in stopped.log() if not line.startswith("METRIC: ")]  # the SDK's, at the end
    assert stop_lines == log[-1:], stopped.stderr[-3000:]  # one line, the last
    match = re.fullmatch(r"Stopped before Zoho's API credits run out: Zoho reports ([\d,]+) credits left "
                         rf"for crm \(min_api_credits_left: {floor:,}\); the last STATE written "
                         "continues this sync", stop_lines[0])
    assert match is not None, stop_lines[0]
    # What Zoho reported, below the floor; a call the scheduler or a download worker had already
    # sent when that answer came may have spent one more credit each.
    reported, left = int(match[1].replace(",", "")), 1_000_000 - emulator.credits.used("crm")
    assert reported < floor and 0 <= reported - left <= 2
    # No call is sent once the floor is reached: past the answer that reached it, only the calls
    # already on their way (one per thread that calls CRM: its scheduler, two download workers).
    assert emulator.credits.used("crm") - 500_000 <= spent // 2 + 3

    # The summary: every stream, those of CRM that ended early marked; whole pages only.
    rows, _ = stopped.summary("Sync summary (stopped at min_api_credits_left):")
    names = {name.removesuffix(" (stopped)"): name.endswith(" (stopped)") for name in rows if name != "total"}
    assert set(names) == set(full.records) | {f"{s}_deleted" for s in STREAMS if not s.startswith("creator")}
    ended_early = {name for name, early in names.items() if early}
    assert ended_early and all(name.startswith("crm_") for name in ended_early)
    for name, row in rows.items():
        if name != "total":
            assert row[0] == len(stopped.records.get(name.removesuffix(" (stopped)"), [])), name
    # Bigin's credits are its own org's and Creator reports none: their streams finish.
    for stream in ("bigin_contacts", "creator_sales_benin_tous_les_offres"):
        assert sorted(map(json.dumps, stopped.records[stream])) == sorted(map(json.dumps, full.records[stream]))
    bookmarks = (stopped.final_state or {}).get("bookmarks", {})
    assert "replication_key_value" in bookmarks["bigin_contacts_deleted"]
    for name in ended_early & {"crm_leads_deleted", "crm_deals_deleted"}:
        assert "replication_key_value" not in bookmarks.get(name, {}), name  # listed again next run
    assert sum(map(len, stopped.records.values())) < sum(map(len, full.records.values()))

    emulator.credits.reset()  # a new day
    rest = run_tap(tmp_path / "rest", config, state=stopped.final_state)
    assert rest.exit_code == 0, rest.stderr[-3000:]
    assert "Sync summary:" in rest.log() and not [line for line in rest.log() if "(stopped)" in line]
    for stream in full.records:
        together = stopped.records.get(stream, []) + rest.records.get(stream, [])
        assert sorted(map(json.dumps, together)) == sorted(map(json.dumps, full.records[stream])), stream
