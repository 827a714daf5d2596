"""End to end: the tap as a process against the emulator, every record compared."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from tests.support.emulators import tap_config
from tests.support.expected import assert_records_match, expected_records, readable_modules
from tests.support.tap_process import discover, next_second, run_tap

UTC = dt.UTC


@pytest.mark.parametrize(("product", "version"), [("crm", "v8"), ("crm", "v2"), ("bigin", "v1"),
                                                  ("bigin", "v2")])
def test_full_sync_emits_exactly_the_emulator_records(tmp_path, make_emulator, product, version):
    emulator = make_emulator()
    modules = readable_modules(emulator, product)
    config = tap_config(emulator, crm_modules=["*"] if product == "crm" else [],
                        bigin_modules=["*"] if product == "bigin" else [],
                        **{f"{product}_api_version": version})
    run = run_tap(tmp_path, config)
    assert set(run.records) == {f"{product}_{m.lower()}" for m in modules}
    assert_records_match(run, emulator, product, modules)
    # Every module holds more than a page: each was exported in parts that fit in one page, so no
    # page of a query that had more records was used (Zoho re-evaluates such a query per page).
    creates = [r for r in emulator.requests if r.method == "POST" and "/bulk/" in r.path]
    assert all(len(emulator.dataset.records(product, m)) > emulator.options.page_size for m in modules)
    assert not [r for r in creates if "page_token" in (r.body or {}).get("query", {})]
    assert {(r.body or {})["query"].get("page") for r in creates} == {1}


def test_discovery_types_every_field_and_skips_unreadable_modules(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    catalog = discover(tmp_path, tap_config(emulator, bigin_modules=["*"]))
    entries = {e["tap_stream_id"]: e for e in catalog["streams"]}
    expected = {f"crm_{m.lower()}" for m in readable_modules(emulator, "crm")}
    expected |= {f"bigin_{m.lower()}" for m in readable_modules(emulator, "bigin")}
    assert set(entries) == expected
    leads = entries["crm_leads"]
    assert leads["key_properties"] == ["id"]
    assert leads["replication_key"] == "Created_Time"
    assert (leads["database_name"], leads["table_name"]) == ("crm", "Leads")
    props = leads["schema"]["properties"]
    by_type = {f["data_type"]: f["api_name"] for f in emulator.dataset.fields("crm", "Leads")}
    for data_type, json_type in [("integer", "integer"), ("double", "number"), ("currency", "number"),
                                 ("boolean", "boolean"), ("bigint", "string"), ("lookup", "string")]:
        if data_type in by_type:
            assert props[by_type[data_type]]["type"][0] == json_type, data_type
    for data_type in ("fileupload", "multiselectlookup"):
        for product in ("crm", "bigin"):
            for module in readable_modules(emulator, product):
                for f in emulator.dataset.fields(product, module):
                    if f["data_type"] == data_type:
                        assert f["api_name"] not in entries[f"{product}_{module.lower()}"]["schema"]["properties"]


def test_sync_from_a_catalog_makes_no_metadata_calls_and_requests_only_selected_fields(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=30)
    config = tap_config(emulator, crm_modules=["Leads", "Deals"])
    catalog = discover(tmp_path / "d", config)
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if entry["tap_stream_id"] == "crm_deals":
                meta["metadata"]["selected"] = False
            elif meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = True
            elif meta["breadcrumb"][-1] not in ("Last_Name", "Email", "Created_Time", "id"):
                meta["metadata"]["selected"] = False
    emulator.clear_requests()
    run = run_tap(tmp_path / "s", config, catalog=catalog)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert not [r for r in emulator.requests if "/settings/" in r.path]
    assert set(run.records) == {"crm_leads"}
    creates = [r for r in emulator.requests if r.method == "POST" and "/bulk/" in r.path]
    first = creates[0].body["query"]
    assert set(first["fields"]) == {"Last_Name", "Email", "Created_Time"}
    expected = expected_records(emulator, "crm", "Leads")
    for record in run.records["crm_leads"]:
        assert record == {k: expected[record["id"]][k] for k in ("id", "Last_Name", "Email", "Created_Time")}


def test_second_sync_returns_only_new_records(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=40)
    config = tap_config(emulator, crm_modules=["Leads", "Contacts"])
    first = run_tap(tmp_path / "1", config)
    assert first.exit_code == 0, first.stderr[-3000:]
    assert len(first.records["crm_leads"]) == 40
    bookmark = first.bookmark("crm_leads")
    assert bookmark is not None and bookmark.endswith("+00:00")
    time.sleep(1.1)  # new records get a Created_Time after the first window's end
    added = emulator.dataset.add_records("crm", "Leads", 7)
    next_second()
    second = run_tap(tmp_path / "2", config, state=first.final_state)
    assert second.exit_code == 0, second.stderr[-3000:]
    assert sorted(r["id"] for r in second.records.get("crm_leads", [])) == sorted(r["id"] for r in added)
    assert second.records.get("crm_contacts", []) == []
    assert all(r["Created_Time"] >= bookmark for r in second.records["crm_leads"])
    assert second.bookmark("crm_leads") > bookmark
    third = run_tap(tmp_path / "3", config, state=second.final_state)
    assert third.exit_code == 0 and third.records == {}


def test_start_date_limits_the_first_window(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=60)
    records = emulator.dataset.records("crm", "Leads")
    times = sorted(r["Created_Time"] for r in records)
    cut = times[len(times) // 2]
    config = tap_config(emulator, crm_modules=["Leads"], start_date=cut.isoformat())
    run = run_tap(tmp_path, config)
    assert run.exit_code == 0, run.stderr[-3000:]
    want = {r["id"] for r in records if r["Created_Time"] >= cut}
    assert {r["id"] for r in run.records["crm_leads"]} == want


@pytest.mark.parametrize("empty_result_file", [True, False])
def test_a_run_with_nothing_new_moves_the_bookmark_whether_or_not_zoho_sends_a_file(
        tmp_path, make_emulator, empty_result_file):
    emulator = make_emulator(records_per_module=20, empty_result_file=empty_result_file)
    config = tap_config(emulator, crm_modules=["Leads"], bigin_modules=["Contacts"],
                        creator_reports=["acme/sales-benin/All_Clients"], creator_jobs_per_minute=1000)
    first = run_tap(tmp_path / "1", config)
    assert first.exit_code == 0, first.stderr[-3000:]
    next_second()
    second = run_tap(tmp_path / "2", config, state=first.final_state)
    assert second.exit_code == 0, second.stderr[-3000:]
    assert second.records == {}
    for stream in ("crm_leads", "bigin_contacts", "creator_sales_benin_all_clients"):
        assert second.bookmark(stream) > first.bookmark(stream)
    downloads = [r for r in emulator.requests if r.path.rstrip("/").endswith("/result")]
    assert len(downloads) == 3  # the first run's; a job that matched nothing has nothing to fetch


def test_a_start_date_ahead_of_the_clock_reads_nothing_and_keeps_the_bookmark_there(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=10)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"], start_date=future.isoformat()))
    assert run.exit_code == 0, run.stderr[-3000:]
    assert run.records == {}
    assert run.bookmark("crm_leads") == future.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert not [r for r in emulator.requests if "/bulk/" in r.path]


def test_token_expiring_mid_sync_is_refreshed_and_nothing_is_lost(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=80, job_duration=0.1)
    config = tap_config(emulator, crm_modules=["Leads", "Contacts", "Deals"])
    stop = threading.Event()

    def expire_after_first_download():
        while not stop.is_set():
            if any(r.path.endswith("/result") for r in emulator.requests):
                emulator.faults.expire_access_tokens()
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=expire_after_first_download, daemon=True)
    watcher.start()
    run = run_tap(tmp_path, config)
    stop.set()
    assert_records_match(run, emulator, "crm", ["Leads", "Contacts", "Deals"])
    assert any(r.status == 401 for r in emulator.requests), "the token never expired mid-run"
    assert emulator.token_refreshes == 2  # the first token, and one after it was revoked


def test_short_lived_tokens_are_refreshed_before_they_expire(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=50, token_ttl=1.0, job_duration=1.5)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads", "Contacts"]))
    assert_records_match(run, emulator, "crm", ["Leads", "Contacts"])
    assert 2 <= emulator.token_refreshes <= 20


def test_modified_time_replication_catches_updates(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=30)
    config = tap_config(emulator, crm_modules=["Deals"],
                        stream_options={"crm_deals": {"replication_key": "Modified_Time"}})
    first = run_tap(tmp_path / "1", config)
    assert first.exit_code == 0, first.stderr[-3000:]
    assert first.final_state["bookmarks"]["crm_deals"]["replication_key"] == "Modified_Time"
    time.sleep(1.1)
    target = emulator.dataset.records("crm", "Deals")[3]
    emulator.dataset.update_record("crm", "Deals", target["id"], Deal_Name="Renamed ✓")
    next_second()
    second = run_tap(tmp_path / "2", config, state=first.final_state)
    assert second.exit_code == 0, second.stderr[-3000:]
    assert [(r["id"], r["Deal_Name"]) for r in second.records["crm_deals"]] == [(target["id"], "Renamed ✓")]


def test_user_criteria_is_anded_with_the_window(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=80)
    records = emulator.dataset.records("crm", "Leads")
    source = next(r["Lead_Source"] for r in records if r.get("Lead_Source"))
    criteria = {"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": source}
    for version in ("v8", "v2"):
        config = tap_config(emulator, crm_modules=["Leads"], crm_api_version=version,
                            stream_options={"crm_leads": {"criteria": criteria}})
        run = run_tap(tmp_path / version, config)
        assert run.exit_code == 0, run.stderr[-3000:]
        assert {r["id"] for r in run.records["crm_leads"]} == {
            r["id"] for r in records if r.get("Lead_Source") == source}


def test_the_committed_catalog_is_what_discovery_produces_for_the_demo_data(tmp_path, make_emulator):
    import json
    from pathlib import Path

    emulator = make_emulator(records_per_module=5, seed=42)
    committed = json.loads((Path(__file__).parents[2] / "catalog.json").read_text())
    produced = discover(tmp_path, emulator.demo_config())  # the config scripts/demo uses
    assert produced["streams"] == committed["streams"]
