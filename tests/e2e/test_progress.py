"""Progress a person can follow, and the credit floor: the tap as a process against the emulator,
its log read as a person reads it and checked against what the emulator saw."""

from __future__ import annotations

import json
import re
from collections import Counter

from tests.support.emulators import tap_config
from tests.support.tap_process import TapRun, run_tap

REPORT = "acme/sales-benin/Tous_les_Offres"
STREAMS = {  # stream → (product, module as the emulator's job log names it)
    "crm_leads": ("crm", "Leads"), "crm_deals": ("crm", "Deals"), "bigin_contacts": ("bigin", "Contacts"),
    "creator_sales_benin_tous_les_offres": ("creator", REPORT),
}
ROW = re.compile(r"(\S+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)s")


def messages(run: TapRun) -> list[str]:
    """The log's messages, without time, level and logger."""
    return [line.split(" | ", 3)[3] for line in run.stderr.splitlines() if line.count(" | ") >= 3]


def summary(run: TapRun) -> tuple[dict[str, tuple[int, ...]], str]:
    lines = messages(run)
    start = lines.index("Sync summary:")
    rows = {}
    for line in lines[start + 2:]:
        match = ROW.fullmatch(line.strip())
        if match is None:
            break
        rows[match[1]] = tuple(int(v.replace(",", "")) for v in match.groups()[1:5])
    costs = next(line for line in lines[start:] if line.startswith("Zoho: "))
    return rows, costs


def config_for(emulator, **overrides):
    return tap_config(emulator, crm_modules=["Leads", "Deals"], bigin_modules=["Contacts"],
                      creator_reports=[REPORT], **overrides)


def test_the_summary_table_counts_what_zoho_saw(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=150)
    run = run_tap(tmp_path, config_for(emulator))
    assert run.exit_code == 0, run.stderr[-3000:]
    rows, costs = summary(run)
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
    lines = messages(run)
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


def test_the_credit_floor_stops_cleanly_and_the_rerun_completes_the_export(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=200, api_credits=1_000_000)
    config = config_for(emulator)
    full = run_tap(tmp_path / "full", config)
    assert full.exit_code == 0, full.stderr[-3000:]
    spent = emulator.credits.used("crm")
    assert spent > 20

    # Half the day's credits are gone, so Zoho reports what is left on every CRM answer; the floor
    # is reached about halfway through the same export.
    emulator.credits.reset(used=500_000)
    floor = 500_000 - spent // 2
    stopped = run_tap(tmp_path / "stopped", config_for(emulator, min_api_credits_left=floor))
    assert stopped.exit_code == 0, stopped.stderr[-3000:]
    stop_lines = [line for line in messages(stopped) if line.startswith("Stopped before Zoho's API credits")]
    assert len(stop_lines) == 1, stopped.stderr[-3000:]
    left = 1_000_000 - emulator.credits.used("crm")
    assert stop_lines[0] == (f"Stopped before Zoho's API credits run out: Zoho reports {left:,} credits left "
                             f"for crm (min_api_credits_left: {floor:,}); the last STATE written "
                             "continues this sync")
    assert "Traceback" not in stopped.stderr and "Sync summary:" not in stopped.stderr
    assert sum(map(len, stopped.records.values())) < sum(map(len, full.records.values()))
    assert emulator.credits.used("crm") - 500_000 <= spent // 2 + 2  # no call sent past the floor but one

    emulator.credits.reset()  # a new day
    rest = run_tap(tmp_path / "rest", config, state=stopped.final_state)
    assert rest.exit_code == 0, rest.stderr[-3000:]
    for stream in STREAMS:
        together = stopped.records.get(stream, []) + rest.records.get(stream, [])
        assert sorted(map(json.dumps, together)) == sorted(map(json.dumps, full.records[stream])), stream
