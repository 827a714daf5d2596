"""Benchmark: a full sync of one large CRM module against the emulator, as a separate process.

Prints, per export size: records, wall time, records/s, the tap process's peak RSS, the size of the
result (zipped and as CSV), and the raw ceiling: the same CSV read with `csv` and written as RECORD
lines with `orjson` (no typing, no SDK), so the ratio of the two is measured in one run.
Peak RSS that stays flat while the export grows is the evidence that no page is held in memory.

    .venv/bin/python scripts/benchmark_sync.py            # 5,000 and 50,000 Leads
    .venv/bin/python scripts/benchmark_sync.py 2000 20000
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import orjson
import requests
from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator

# The tap's own peak RSS: VmHWM of its process, read as it exits. (ru_maxrss would not do: on Linux a
# child inherits the high-water mark of the parent it was forked from, here the emulator's data.)
TAP_WITH_PEAK_RSS = """
import atexit, sys
PEAK_FILE = sys.argv[3]
def peak():
    with open("/proc/self/status") as status:
        line = next(l for l in status if l.startswith("VmHWM:"))
    with open(PEAK_FILE, "w") as out:
        out.write(line.split()[1])
atexit.register(peak)
from tap_zoho_bulk.tap import TapZohoBulk
sys.argv = sys.argv[:3]
TapZohoBulk.cli()
"""


def run_tap(config_path: Path) -> tuple[int, float, float, float]:
    """Run the tap; return (records, wall seconds, emitting seconds, peak RSS in MiB).

    Wall time includes start-up, the token, the job and the download (which the in-process
    emulator spends rendering the CSV); emitting time runs from the first RECORD line to the last
    and is the tap's own read-convert-write rate, comparable with the raw ceiling.
    """
    peak_file = config_path.with_suffix(".peak")
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", TAP_WITH_PEAK_RSS, "--config", str(config_path), str(peak_file)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    records = 0
    first = last = 0.0
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith((b'{"type":"RECORD"', b'{"type": "RECORD"')):
            last = time.perf_counter()
            if not records:
                first = last
            records += 1
    if child.wait() != 0:
        raise SystemExit(f"the tap failed with exit code {child.returncode}")
    return records, time.perf_counter() - started, last - first, int(peak_file.read_text()) / 1024


def fetch_result(emulator: ZohoEmulator, target: Path) -> None:
    """Run one bulk job by hand and save its ZIP (for the raw ceiling)."""
    config = emulator.tap_config()
    token = requests.post(f"{emulator.url}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": config["client_id"],
        "client_secret": config["client_secret"], "refresh_token": config["refresh_token"]},
        timeout=30).json()["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    created = requests.post(f"{emulator.url}/crm/bulk/v8/read", headers=headers, timeout=60,
                            json={"query": {"module": {"api_name": "Leads"}}}).json()
    job_id = created["data"][0]["details"]["id"]
    while True:
        status = requests.get(f"{emulator.url}/crm/bulk/v8/read/{job_id}", headers=headers, timeout=60).json()
        if status["data"][0]["state"] == "COMPLETED":
            break
        time.sleep(0.05)
    with requests.get(emulator.url + status["data"][0]["result"]["download_url"], headers=headers,
                      stream=True, timeout=300) as response, target.open("wb") as out:
        for chunk in response.iter_content(1 << 20):
            out.write(chunk)


def raw_ceiling(zip_path: Path) -> tuple[int, float, int]:
    """Records, seconds and CSV bytes of the plain csv → orjson loop over the same result."""
    csv.field_size_limit(1 << 30)
    started = time.perf_counter()
    count = 0
    with zipfile.ZipFile(zip_path) as archive, Path(os.devnull).open("wb") as sink:
        member = archive.infolist()[0]
        with archive.open(member) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            header = next(reader)
            for row in reader:
                sink.write(orjson.dumps({"type": "RECORD", "stream": "crm_leads",
                                         "record": dict(zip(header, row, strict=False))}) + b"\n")
                count += 1
        size = member.file_size
    return count, time.perf_counter() - started, size


def main(sizes: list[int]) -> None:
    print(f"{'records':>8} {'wall s':>7} {'wall rec/s':>10} {'emit rec/s':>10} {'peak RSS':>9} "
          f"{'zip MiB':>8} {'csv MiB':>8} {'raw rec/s':>10} {'emit/raw':>8}")
    for size in sizes:
        dataset = Dataset.generate(seed=5, records_per_module=10, module_counts={("crm", "Leads"): size})
        options = EmulatorOptions(job_duration=0.05, download_limit=1000)
        with ZohoEmulator(options=options, dataset=dataset) as emulator, tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.json"
            config.write_text(json.dumps(emulator.tap_config(crm_modules=["Leads"], bigin_modules=[],
                                                             poll_interval=0.05)))
            records, seconds, emitting, rss = run_tap(config)
            zip_path = Path(tmp) / "result.zip"
            fetch_result(emulator, zip_path)
            raw_count, raw_seconds, csv_bytes = raw_ceiling(zip_path)
            emit_rate, raw_rate = records / emitting, raw_count / raw_seconds
            print(f"{records:>8} {seconds:>7.1f} {records / seconds:>10.0f} {emit_rate:>10.0f} "
                  f"{rss:>5.0f} MiB {zip_path.stat().st_size / 2**20:>8.1f} {csv_bytes / 2**20:>8.1f} "
                  f"{raw_rate:>10.0f} {emit_rate / raw_rate:>8.2f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [5000, 50000])
