"""Benchmark: the tap's record paths against a naive untyped loop, and its memory, in one run.

Against the project's emulator, the tap runs as a separate process on one CRM Leads export:
- narrow: the typical field mix without the long-text Description (>= 25 columns), 200,000 records;
- wide text: every field, Description included (2 % of its cells hold over 140,000 characters).
For each it prints the records/s of the tap's RECORD path (columnar), of the SDK path with a stream
map configured, and of BATCH jsonl.gz files, each next to the naive loop measured just before it on
the same ZIP (`csv` rows -> `orjson` RECORD lines, untyped, to /dev/null) and as a ratio of the two.
Then the tap's peak RSS on narrow syncs of 100,000 and 1,000,000 records (5 pages of 200,000).

Rates: RECORD and SDK paths from the first RECORD line to the last; BATCH from the first BATCH
message to the last (the records of the files written in between). Job time, download and the
check of each result file come before the first line and are the export engine's business.

    .venv/bin/python scripts/benchmark_sync.py                 # the figures of the README
    .venv/bin/python scripts/benchmark_sync.py --records 50000 --rss 20000 100000
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import orjson
import requests
from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator

# The tap's own peak RSS: VmHWM of its process, read as it exits. (ru_maxrss would not do: on Linux a
# child inherits the high-water mark of the parent it was forked from, here the emulator's data.)
TAP_WITH_PEAK_RSS = """
import atexit, sys
PEAK_FILE = sys.argv[-1]
def peak():
    with open("/proc/self/status") as status:
        line = next(l for l in status if l.startswith("VmHWM:"))
    with open(PEAK_FILE, "w") as out:
        out.write(line.split()[1])
atexit.register(peak)
from tap_zoho_bulk.tap import TapZohoBulk
sys.argv = sys.argv[:-1]
TapZohoBulk.cli()
"""
STREAM = "crm_leads"
LONG_TEXT = "Description"


def run_tap(workdir: Path, config: dict[str, Any], catalog: dict[str, Any]) -> tuple[int, float, float]:
    """Run the tap; return (records, records/s, peak RSS in MiB). See the module docstring."""
    (workdir / "config.json").write_text(json.dumps(config))
    (workdir / "catalog.json").write_text(json.dumps(catalog))
    peak_file = workdir / "peak"
    child = subprocess.Popen(
        [sys.executable, "-c", TAP_WITH_PEAK_RSS, "--config", str(workdir / "config.json"),
         "--catalog", str(workdir / "catalog.json"), str(peak_file)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        # its own cache directory: no token or count of Zoho's per-minute calls shared with other runs
        env={**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")},
    )
    assert child.stdout is not None
    records = 0
    first = last = 0.0
    batches: list[tuple[float, list[str]]] = []  # (arrival, files)
    for line in child.stdout:
        if line.startswith(b'{"type":"RECORD"'):
            last = time.perf_counter()
            if not records:
                first = last
            records += 1
        elif line.startswith(b'{"type":"BATCH"'):
            batches.append((time.perf_counter(), orjson.loads(line)["manifest"]))
    if child.wait() != 0:
        raise SystemExit(f"the tap failed with exit code {child.returncode}")
    if batches:  # files are counted once the tap is done, not to compete with it for the CPU
        counts = [sum(count_rows(url) for url in manifest) for _, manifest in batches]
        records = sum(counts)
        rate = sum(counts[1:]) / (batches[-1][0] - batches[0][0])
    else:
        rate = records / (last - first)
    return records, rate, int(peak_file.read_text()) / 1024


def count_rows(url: str) -> int:
    with gzip.open(url.removeprefix("file://"), "rb") as data:
        return sum(1 for _ in data)


def fetch_result(emulator: ZohoEmulator, fields: list[str], target: Path) -> None:
    """Run one bulk job by hand, for the fields the tap asks for, and save its ZIP."""
    config = emulator.tap_config()
    token = requests.post(f"{emulator.url}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": config["client_id"],
        "client_secret": config["client_secret"], "refresh_token": config["refresh_token"]},
        timeout=30).json()["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    created = requests.post(f"{emulator.url}/crm/bulk/v8/read", headers=headers, timeout=60,
                            json={"query": {"module": {"api_name": "Leads"}, "fields": fields}}).json()
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


def naive_loop(zip_path: Path) -> tuple[int, float]:
    """Records and records/s of the plain csv -> orjson loop over the result."""
    csv.field_size_limit(1 << 30)
    started = time.perf_counter()
    count = 0
    with zipfile.ZipFile(zip_path) as archive, Path(os.devnull).open("wb") as sink, \
            archive.open(archive.infolist()[0]) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        header = next(reader)
        for row in reader:
            sink.write(orjson.dumps({"type": "RECORD", "stream": STREAM,
                                     "record": dict(zip(header, row, strict=False))}) + b"\n")
            count += 1
    return count, count / (time.perf_counter() - started)


def emulator_for(records: int) -> ZohoEmulator:
    dataset = Dataset.generate(seed=5, records_per_module=10, module_counts={("crm", "Leads"): records})
    return ZohoEmulator(options=EmulatorOptions(job_duration=0.05, download_limit=1000), dataset=dataset)


def leads_catalog(emulator: ZohoEmulator, workdir: Path, *, narrow: bool) -> tuple[dict[str, Any], list[str]]:
    """The discovered catalog with only Leads selected (less Description when narrow), and the
    fields its job asks for."""
    config = workdir / "discover.json"
    config.write_text(json.dumps(emulator.tap_config(crm_modules=["Leads"], bigin_modules=[])))
    catalog = json.loads(subprocess.run(
        [sys.executable, "-m", "tap_zoho_bulk", "--config", str(config), "--discover"],
        capture_output=True, check=True).stdout)
    (entry,) = catalog["streams"]
    fields = []
    for item in entry["metadata"]:
        breadcrumb = item["breadcrumb"]
        chosen = not (narrow and breadcrumb[-1:] == [LONG_TEXT])
        item["metadata"]["selected"] = chosen
        if breadcrumb and chosen and breadcrumb[-1] != "id":
            fields.append(breadcrumb[-1])
    return catalog, fields


def compare_paths(records: int, repeat: int) -> None:
    print(f"records/s, {records:,} Leads; each path next to the naive untyped loop on the same ZIP")
    print(f"{'export':<10} {'columns':>7} {'csv MiB':>8} {'path':<22} {'tap rec/s':>10} {'naive rec/s':>11} "
          f"{'ratio':>6}")
    with emulator_for(records) as emulator, tempfile.TemporaryDirectory() as tmp:
        for export, narrow in (("narrow", True), ("wide text", False)):
            workdir = Path(tmp) / export.replace(" ", "_")
            workdir.mkdir()
            catalog, fields = leads_catalog(emulator, workdir, narrow=narrow)
            zip_path = workdir / "result.zip"
            fetch_result(emulator, fields, zip_path)
            with zipfile.ZipFile(zip_path) as archive:
                csv_mib = archive.infolist()[0].file_size / 2**20
            base = emulator.tap_config(crm_modules=["Leads"], bigin_modules=[], poll_interval=0.05,
                                       window_lag=0)
            paths = {
                "RECORD (columnar)": base,
                "SDK with a stream map": {**base, "stream_maps": {STREAM: {"Email": None}}},
                "BATCH jsonl.gz": {**base, "batch_config": {
                    "encoding": {"format": "jsonl", "compression": "gzip"},
                    "storage": {"root": (workdir / "batches").as_uri()}, "batch_size": 10_000}},
            }
            for name, config in paths.items():
                for _ in range(repeat):
                    count, naive = naive_loop(zip_path)
                    emitted, rate, _ = run_tap(workdir, config, catalog)
                    assert emitted == count == records, (emitted, count, records)
                    print(f"{export:<10} {len(fields) + 1:>7} {csv_mib:>8.1f} {name:<22} {rate:>10.0f} "
                          f"{naive:>11.0f} {rate / naive:>6.2f}", flush=True)


def peak_memory(sizes: list[int]) -> None:
    print("peak RSS of the tap, narrow RECORD syncs")
    peaks = []
    for records in sizes:
        with emulator_for(records) as emulator, tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            catalog, _ = leads_catalog(emulator, workdir, narrow=True)
            config = emulator.tap_config(crm_modules=["Leads"], bigin_modules=[], poll_interval=0.05,
                                         window_lag=0)
            emitted, _, rss = run_tap(workdir, config, catalog)
            assert emitted == records
            peaks.append(rss)
            print(f"{records:>10,} records  peak RSS {rss:6.0f} MiB", flush=True)
    print(f"peak RSS ratio {sizes[-1]:,} / {sizes[0]:,} records: {peaks[-1] / peaks[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000,
                        help="records of the path comparison (0: skip)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each path")
    parser.add_argument("--rss", type=int, nargs="*", default=[100_000, 1_000_000],
                        help="sync sizes whose peak RSS is compared (none: skip)")
    args = parser.parse_args()
    if args.records:
        compare_paths(args.records, args.repeat)
    if args.rss:
        peak_memory(args.rss)


if __name__ == "__main__":
    main()
