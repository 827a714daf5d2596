"""Benchmark of the export engine: the tap as a process against the project's emulator.

Prints, each measured in this one run (the figures the export-engine issue targets):

  overlap     8 streams whose jobs take T s each: the sync's wall time, as a multiple of T
              (a tap running one job after another needs 8·T; the target is 1.5·T + transfer)
  next page   a 5-page CRM stream and a 5-batch Creator stream: for every job that left more
              records, the gap from its completion to the creation of the stream's next job
  poll cost   one job of 8 s and one of 60 s: status calls, and how late the completion was
              noticed, as a share of T (the target is max(1 s, T/4))
  kill        SIGTERM and SIGKILL after some records, then a rerun from the last STATE: the
              exit code, records lost, and the interrupted stream's records emitted again (pages)

    .venv/bin/python scripts/benchmark_engine.py            # all of them (about 2 minutes)
    .venv/bin/python scripts/benchmark_engine.py overlap kill
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator

PAGE = 40  # the emulator's page size and Creator batch size here (Zoho's: 200,000)


def emulator(records: int, job_duration: float, **options: Any) -> ZohoEmulator:
    return ZohoEmulator(
        EmulatorOptions.fast(job_duration=job_duration, page_size=PAGE, creator_batch_size=PAGE, **options),
        Dataset.generate(seed=3, records_per_module=records),
    ).start()


def config(emu: ZohoEmulator, **overrides: Any) -> dict[str, Any]:
    """The tap's defaults, except what the emulator lifts (downloads per minute) and window_lag."""
    settings = emu.tap_config(crm_modules=[], bigin_modules=[], window_lag=0,
                              downloads_per_minute=1000, creator_jobs_per_minute=1000)
    settings.update(overrides)
    return settings


def run(settings: dict[str, Any], tmp: Path, *, state: dict[str, Any] | None = None,
        stop_after: int | None = None, sig: int = signal.SIGTERM) -> tuple[int, list[dict[str, Any]], float]:
    """The tap as a process; with `stop_after`, signalled once that many RECORD lines were read."""
    (tmp / "config.json").write_text(json.dumps(settings))
    command = [sys.executable, "-m", "tap_zoho_bulk", "--config", str(tmp / "config.json")]
    if state is not None:
        (tmp / "state.json").write_text(json.dumps(state))
        command += ["--state", str(tmp / "state.json")]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    messages, records = [], 0
    for line in child.stdout:
        message = json.loads(line)
        messages.append(message)
        if message["type"] == "RECORD":
            records += 1
            if records == stop_after:
                child.send_signal(sig)
    return child.wait(), messages, time.perf_counter() - started


def records_of(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(m["stream"], m["record"].get("id") or m["record"].get("ID"))
            for m in messages if m["type"] == "RECORD"]


def overlap(tmp: Path) -> None:
    duration = 8.0
    emu = emulator(30, duration)
    modules = emu.dataset.modules("crm")[:8]
    code, messages, wall = run(config(emu, crm_modules=modules), tmp)
    jobs = emu.job_log()
    created = [job.created_at for job in jobs]
    emu.stop()
    print(f"overlap    8 streams x T={duration:g} s: wall {wall:.1f} s = {wall / duration:.2f} T "
          f"(one job after another: 8 T; target ≤ 1.5 T + transfer); jobs created within "
          f"{max(created) - min(created):.2f} s of each other; exit {code}, "
          f"{len(records_of(messages))} records")


def next_page(tmp: Path) -> None:
    for label, settings_of in (
        ("CRM v8, 5 pages", lambda e: config(e, crm_modules=["Leads"])),
        ("Creator v2.1, 5 batches", lambda e: config(e, creator_reports=[e.dataset.creator_reports()[0]])),
    ):
        emu = emulator(5 * PAGE, 3.0)
        code, messages, wall = run(settings_of(emu), tmp)
        jobs = emu.job_log()
        emu.stop()
        gaps = []
        for job in jobs:
            if job.more_records and job.completed_at is not None:
                following = [j.created_at for j in jobs
                             if j.module == job.module and j.created_at >= job.created_at and j is not job]
                if following:
                    gaps.append(min(following) - job.completed_at)
        print(f"next page  {label}: {len(jobs)} jobs; completion → next job's creation: "
              f"max {max(gaps):.2f} s over {len(gaps)} (target ≤ 1 s); wall {wall:.1f} s, exit {code}, "
              f"{len(records_of(messages))} records")


def poll_cost(tmp: Path) -> None:
    for duration in (8.0, 60.0):
        emu = emulator(20, duration)
        code, _, _ = run(config(emu, crm_modules=["Leads"]), tmp)
        (job,) = emu.job_log()
        emu.stop()
        late = (job.first_completed_status_at or 0) - (job.completed_at or 0)
        print(f"poll cost  T={duration:g} s: {job.status_calls} status calls; noticed {late:.2f} s late = "
              f"{late / duration:.3f} T (target ≤ max(1 s, T/4) = {max(1.0, duration / 4):g} s); exit {code}")


def kill(tmp: Path) -> None:
    for sig, after in ((signal.SIGTERM, 150), (signal.SIGKILL, 150), (signal.SIGTERM, 520)):
        emu = emulator(8 * PAGE, 0.3)
        settings = config(emu, crm_modules=["Leads", "Contacts"])
        truth = {(f"crm_{m.lower()}", r["id"])
                 for m in ("Leads", "Contacts") for r in emu.dataset.records("crm", m)}
        code, first, _ = run(settings, tmp, stop_after=after, sig=sig)
        states = [m["value"] for m in first if m["type"] == "STATE"]
        state = states[-1] if states else None
        interrupted = records_of(first)[-1][0]
        rerun_code, second, _ = run(settings, tmp, state=state)
        emu.stop()
        emitted = set(records_of(first)) | set(records_of(second))
        again = {r for r in records_of(second) if r in set(records_of(first)) and r[0] == interrupted}
        print(f"kill       {signal.Signals(sig).name} after {len(records_of(first))} records printed: "
              f"exit {code}; rerun exit {rerun_code}: lost {len(truth - emitted)}, {interrupted} "
              f"emitted again {len(again)} records = {len(again) / PAGE:.2f} pages (target ≤ 2)")


SCENARIOS = {"overlap": overlap, "next": next_page, "poll": poll_cost, "kill": kill}


def main(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in names or list(SCENARIOS):
            SCENARIOS[name](Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1:])
