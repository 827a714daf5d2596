"""The columnar record path, the SDK path (a stream map configured) and BATCH files produce the
same records: every product, every type, long and multi-line text, unicode, empty cells, leading
zeros, values above 2^53, Creator dates in zones with and without daylight saving time."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.support.emulators import creator_apps, tap_config
from tests.support.expected import assert_creator_records, assert_records_match, readable_modules
from tests.support.tap_process import discover, run_tap

OWNER = "acme"
USA = {"link_name": "sales-usa", "application_name": "Sales USA", "time_zone": "America/New_York",
       "date_format": "MM-dd-yyyy"}  # a zone with daylight saving time
APPS = [creator_apps()[0], USA]
REPORTS = [f"{OWNER}/{app['link_name']}/{report}" for app in APPS
           for report in ("Tous_les_Offres", "All_Clients")]


@pytest.fixture(scope="module")
def emulator():
    from tests.support.emulators import start_emulator

    started = start_emulator(records_per_module=120, seed=23, data={"creator_apps": APPS})
    yield started
    started.stop()


def config_for(emulator, **overrides):
    return tap_config(emulator, crm_modules=["*"], bigin_modules=["*"], creator_reports=REPORTS, **overrides)


def identity_maps(tmp_path, emulator):
    """A stream map for every stream that changes nothing (so the SDK's mapper runs)."""
    catalog = discover(tmp_path / "discover", config_for(emulator))
    return {entry["tap_stream_id"]: {"__alias__": entry["tap_stream_id"]} for entry in catalog["streams"]}


@pytest.fixture(scope="module")
def columnar_run(emulator, tmp_path_factory):
    run = run_tap(tmp_path_factory.mktemp("columnar"), config_for(emulator))
    assert run.exit_code == 0, run.stderr[-3000:]
    return run


def test_the_columnar_path_emits_the_emulator_records(columnar_run, emulator):
    assert "read row by row" not in columnar_run.stderr
    for product in ("crm", "bigin"):
        assert_records_match(columnar_run, emulator, product, readable_modules(emulator, product))
    assert_creator_records(columnar_run, emulator, REPORTS)


def test_the_sdk_path_with_a_stream_map_emits_the_same_records(columnar_run, emulator, tmp_path):
    run = run_tap(tmp_path, config_for(emulator, stream_maps=identity_maps(tmp_path, emulator)))
    assert run.exit_code == 0, run.stderr[-3000:]
    assert set(run.records) == set(columnar_run.records)
    for stream, records in columnar_run.records.items():
        assert by_id(run.records[stream]) == by_id(records), stream
        # the same JSON types too (1 and 1.0 are equal in Python, not in a target's column)
        assert sorted(map(json.dumps, run.records[stream])) == sorted(map(json.dumps, records)), stream
    assert state_shape(run) == state_shape(columnar_run)
    assert run.schemas() == columnar_run.schemas()


@pytest.mark.parametrize(("fmt", "compression"), [("jsonl", "gzip"), ("jsonl", "none"),
                                                  ("parquet", "gzip"), ("parquet", "none")])
def test_batch_files_hold_the_same_records(columnar_run, emulator, tmp_path, fmt, compression):
    root = tmp_path / "batches"
    batch_config = {"encoding": {"format": fmt, "compression": compression},
                    "storage": {"root": root.as_uri(), "prefix": "zoho-"}, "batch_size": 25}
    run = run_tap(tmp_path, config_for(emulator, batch_config=batch_config))
    assert run.exit_code == 0, run.stderr[-3000:]
    assert not run.records
    batches = [m for m in run.messages if m["type"] == "BATCH"]
    got: dict[str, list[dict]] = {}
    sizes = []
    for message in batches:
        assert message["encoding"] == {"format": fmt, "compression": compression}
        for url in message["manifest"]:
            path = Path(url.removeprefix("file://"))
            assert path.parent == root and path.name.startswith("zoho-tap-zoho-bulk--")
            rows = read_batch(path, fmt, compression)
            sizes.append(len(rows))
            got.setdefault(message["stream"], []).extend(rows)
    assert max(sizes) == 25 and min(sizes) > 0  # a page (40 records here) ends a file
    assert set(got) == set(columnar_run.records)
    for stream, records in columnar_run.records.items():
        assert by_id(got[stream]) == by_id(records), stream
        assert sorted(map(json.dumps, got[stream])) == sorted(map(json.dumps, records)), stream
    # a BATCH comes before the STATE that moves past its records
    positions = [m["type"] for m in run.messages if m["type"] in ("BATCH", "STATE")]
    assert positions[-1] == "STATE"
    assert state_shape(run) == state_shape(columnar_run)


def state_shape(run) -> dict[str, dict]:
    """The final bookmarks less their instants (each run ends its windows at its own time)."""
    bookmarks = run.final_state["bookmarks"]
    assert all(b.get("replication_key_value") for b in bookmarks.values() if b.get("replication_key"))
    return {name: {k: v for k, v in b.items() if k != "replication_key_value"} for name, b in bookmarks.items()}


def by_id(records: list[dict]) -> dict[str, dict]:
    """Records by id (the order of parts and pages may differ between two runs)."""
    keyed = {record.get("id") or record.get("ID"): record for record in records}
    assert len(keyed) == len(records)
    return keyed


def read_batch(path: Path, fmt: str, compression: str) -> list[dict]:
    if fmt == "parquet":
        return pq.read_table(path).to_pylist()
    data = path.read_bytes()
    if compression == "gzip":
        assert path.suffix == ".gz"
        data = gzip.decompress(data)
    return [json.loads(line) for line in data.splitlines()]
