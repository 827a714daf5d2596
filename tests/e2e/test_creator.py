"""End to end for Zoho Creator: the tap as a process against the emulator's Creator apps."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.support.emulators import tap_config
from tests.support.expected import (
    CREATOR_BOOLEAN,
    CREATOR_INTEGER,
    CREATOR_LIST,
    CREATOR_NUMBER,
    assert_creator_records,
    creator_column_types,
    creator_stream,
)
from tests.support.tap_process import discover, next_second, run_tap

UTC = dt.UTC
OWNER = "acme"
APPS = ("sales-benin", "sales-burkina")
REPORTS = ("Tous_les_Offres", "All_Clients", "Pipeline_Commercial")
DATE, DATETIME = {10}, {11}  # Get Fields type codes


def creator_config(emulator, reports, **overrides):
    config = tap_config(emulator, crm_modules=[], bigin_modules=[], creator_reports=list(reports),
                        creator_jobs_per_minute=1000)
    config.update(overrides)
    return config


def all_reports():
    return [f"{OWNER}/{app}/{report}" for app in APPS for report in REPORTS]


@pytest.mark.parametrize("version", ["v2.1", "v2"])
def test_every_report_of_both_apps_record_for_record(tmp_path, make_emulator, version):
    emulator = make_emulator(records_per_module=45, creator_batch_size=20)
    options = {creator_stream(p): {"form": "Offre"} for p in all_reports() if p.endswith("Pipeline_Commercial")}
    config = creator_config(emulator, all_reports(), creator_api_version=version, stream_options=options)
    run = run_tap(tmp_path, config)
    assert_creator_records(run, emulator, all_reports())
    creates = [r for r in emulator.requests if r.method == "POST" and "/report/" in r.path]
    cursors = [r for r in creates if "record_cursor" in r.body["query"]]
    assert cursors, "several batches expected with a batch size of 20"
    assert all(r.body["query"] == {"record_cursor": r.body["query"]["record_cursor"]} for r in cursors)
    assert all(f"/api/bulk/{version}/" in r.path for r in creates)
    firsts = [r for r in creates if "record_cursor" not in r.body["query"]]
    assert all(r.body["query"]["max_records"] == 200000 for r in firsts)


def test_schema_is_typed_from_the_form_and_unknown_columns_are_kept(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=10)
    paths = [f"{OWNER}/sales-benin/Tous_les_Offres", f"{OWNER}/sales-benin/Pipeline_Commercial"]
    run = run_tap(tmp_path, creator_config(emulator, paths))
    assert run.exit_code == 0, run.stderr[-3000:]
    schemas = run.schemas()
    offres = schemas[creator_stream(paths[0])]["properties"]
    assert offres["ID"]["type"][0] == "string"
    assert offres["Added_Time"]["format"] == "date-time"
    for name, code in creator_column_types(emulator, paths[0]).items():
        if name not in offres:
            continue
        first = offres[name]["type"][0]
        if code in CREATOR_INTEGER:
            assert first == "integer", name
        elif code in CREATOR_NUMBER:
            assert first == "number", name
        elif code in CREATOR_BOOLEAN:
            assert first == "boolean", name
        elif code in CREATOR_LIST:
            assert first == "array", name
        elif code in DATE:
            assert offres[name]["format"] == "date", name
        elif code in DATETIME:
            assert offres[name]["format"] == "date-time", name
    # Pipeline_Commercial: neither its name nor its menu section tells its form, and it shows a
    # lookup's display column no form describes. Nothing is dropped: the columns are typed from
    # the form fields they match when the export shows them, announced by a new SCHEMA message.
    pipeline_stream = creator_stream(paths[1])
    discovered = [m["schema"] for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == pipeline_stream]
    assert "Montant" not in discovered[0]["properties"]
    pipeline = schemas[pipeline_stream]["properties"]
    columns = emulator.dataset.creator_report(paths[1])["columns"]
    assert set(columns) <= set(pipeline)
    assert pipeline["Montant"]["type"][0] == "number" and pipeline["Date_Offre"]["format"] == "date"
    assert pipeline["Date_Relance"]["format"] == "date-time" and pipeline["Client.Nom"]["type"][0] == "string"
    assert_creator_records(run, emulator, paths)
    assert any(r.get("Client.Nom") for r in run.records[pipeline_stream])
    first_record = next(i for i, m in enumerate(run.messages) if m.get("stream") == pipeline_stream and m["type"] == "RECORD")
    last_schema = max(i for i, m in enumerate(run.messages) if m.get("stream") == pipeline_stream and m["type"] == "SCHEMA")
    assert last_schema < first_record


def test_display_name_headers_are_mapped_to_link_names(tmp_path, make_emulator):
    """Which header Creator's bulk CSV carries is unconfirmed; with display names ("Added Time",
    "Montant (FCFA)") the records still come keyed and typed by field link names."""
    emulator = make_emulator(records_per_module=30, creator_batch_size=12, creator_csv_header="display_name")
    paths = [f"{OWNER}/sales-benin/Tous_les_Offres", f"{OWNER}/sales-burkina/Pipeline_Commercial"]
    run = run_tap(tmp_path, creator_config(emulator, paths))
    assert_creator_records(run, emulator, paths)
    pipeline = run.schemas()[creator_stream(paths[1])]["properties"]
    assert "Montant (FCFA)" not in pipeline and pipeline["Montant"]["type"][0] == "number"
    assert run.stderr.count("columns the catalog does not know") == 2  # once per stream, not per batch


def test_zohoapis_url_family(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=25, creator_batch_size=10)
    paths = [f"{OWNER}/sales-burkina/All_Clients"]
    run = run_tap(tmp_path, creator_config(emulator, paths, creator_url=f"{emulator.url}/creator"))
    assert_creator_records(run, emulator, paths)
    assert all(r.path.startswith("/creator/") for r in emulator.requests if "/report/" in r.path)


def test_second_run_returns_only_records_added_since(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=30, creator_batch_size=15)
    paths = [f"{OWNER}/{app}/Tous_les_Offres" for app in APPS]
    config = creator_config(emulator, paths)
    first = run_tap(tmp_path / "1", config)
    assert_creator_records(first, emulator, paths)
    bookmark = first.bookmark(creator_stream(paths[0]))
    assert bookmark and bookmark.endswith("+00:00")
    time.sleep(1.1)
    added = emulator.dataset.add_records("creator", paths[0], 4)
    next_second()
    second = run_tap(tmp_path / "2", config, state=first.final_state)
    assert second.exit_code == 0, second.stderr[-3000:]
    assert sorted(r["ID"] for r in second.records[creator_stream(paths[0])]) == sorted(r["ID"] for r in added)
    assert creator_stream(paths[1]) not in second.records
    assert second.bookmark(creator_stream(paths[0])) > bookmark


def test_original_user_notes_flow(tmp_path, make_emulator):
    """Regression for the project's origin: one owner, two country apps with the same report, one
    token for create and read, the result a ZIP (the user's client called .json() on it)."""
    emulator = make_emulator(records_per_module=20)
    paths = [f"{OWNER}/sales-benin/Tous_les_Offres", f"{OWNER}/sales-burkina/Tous_les_Offres"]
    run = run_tap(tmp_path, creator_config(emulator, paths, creator_api_version="v2", data_center="eu"))
    assert_creator_records(run, emulator, paths)
    downloads = [r for r in emulator.requests if r.path.rstrip("/").endswith("/result")]
    assert len(downloads) == 2 and all(r.status == 200 for r in downloads)
    assert emulator.token_refreshes == 1


def test_daily_limit_stops_the_run_with_state_intact(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=20)
    paths = [f"{OWNER}/sales-benin/All_Clients"]
    config = creator_config(emulator, paths)
    first = run_tap(tmp_path / "1", config)
    assert first.exit_code == 0
    catalog = discover(tmp_path / "d", config)  # the sync then makes no metadata calls
    emulator.dataset.add_records("creator", paths[0], 3)
    next_second()
    emulator.clear_requests()
    # Applications metadata (time zone) and the job creation pass; the first status poll gets 4000.
    emulator.faults.creator_daily_limit(after=2)
    second = run_tap(tmp_path / "2", config, catalog=catalog, state=first.final_state)
    bulk = [(r.method, r.status) for r in emulator.requests if "/report/" in r.path]
    assert bulk[0] == ("POST", 200) and bulk[1] == ("GET", 200), bulk
    assert second.exit_code != 0
    assert "4000" in second.stderr and "daily API limit" in second.stderr
    assert "Traceback" not in second.stderr
    # Nothing advanced: either no STATE at all (the orchestrator keeps the old one) or the same one.
    assert all(state == first.final_state for state in second.states)
    assert second.records.get(creator_stream(paths[0]), []) == []


def test_without_the_applications_scope_the_time_zone_must_be_configured(tmp_path, make_emulator):
    scopes = ("ZohoCreator.bulk.CREATE", "ZohoCreator.bulk.READ", "ZohoCreator.meta.application.READ",
              "ZohoCreator.meta.form.READ")
    emulator = make_emulator(records_per_module=10, scopes=scopes)
    paths = [f"{OWNER}/sales-benin/All_Clients"]
    failed = run_tap(tmp_path / "1", creator_config(emulator, paths))
    assert failed.exit_code == 1 and not failed.records
    assert "time zone of Creator application acme/sales-benin is unknown" in failed.stderr
    assert "2945" in failed.stderr and "ZohoCreator.dashboard.READ" in failed.stderr
    app = emulator.dataset.creator_app(OWNER, "sales-benin")
    pattern = app["date_format"]
    run = run_tap(tmp_path / "2", creator_config(emulator, paths, creator_time_zone=app["time_zone"],
                                                 creator_date_format=pattern))
    assert_creator_records(run, emulator, paths)
    assert not [r for r in emulator.requests if r.path.endswith("/applications")][1:]  # only run 1 asked


def test_unknown_report_is_a_clear_config_error(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    run = run_tap(tmp_path, creator_config(emulator, [f"{OWNER}/sales-benin/Nope"]))
    assert run.exit_code != 0
    assert "creator_reports" in run.stderr and "Nope" in run.stderr


def test_per_minute_limit_is_backed_off(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=20)
    emulator.faults.inject(r"/report/All_Clients/read$", 429, {"code": 2955, "message": "You have reached your API call limit for a minute. Please try again after sometime."}, times=2, method="POST")
    paths = [f"{OWNER}/sales-benin/All_Clients"]
    run = run_tap(tmp_path, creator_config(emulator, paths))
    assert_creator_records(run, emulator, paths)
