"""Failures: one clear message, a non-zero exit, no secret printed and no bookmark advanced."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.emulators import tap_config
from tests.support.expected import assert_records_match
from tests.support.tap_process import discover, run_tap, tap_command, tap_environment


def assert_failed_cleanly(run, *needles, config=None):
    assert run.exit_code != 0
    for needle in needles:
        assert needle in run.stderr, run.stderr[-3000:]
    for state in run.states:
        for bookmark in state.get("bookmarks", {}).values():
            assert "replication_key_value" not in bookmark, state
    if config:
        for secret in ("client_secret", "refresh_token"):
            assert config[secret] not in run.stderr and config[secret] not in run.stdout


def test_bad_refresh_token_is_reported_clearly(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, refresh_token="1000.revoked.token")
    run = run_tap(tmp_path, config)
    assert_failed_cleanly(run, "invalid_code", "refresh_token", config=config)
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("secret", ["client_secret", "refresh_token"])
def test_a_refused_refresh_is_one_error_line_even_under_meltano(tmp_path, make_emulator, secret):
    """Meltano discovers with --state and sets PYTHONWARNINGS: the failure stays one clear line."""
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, **{secret: "1000.not.valid"})
    run = run_tap(tmp_path, config, state={}, args=("--discover",), env={"PYTHONWARNINGS": "once"})
    assert_failed_cleanly(run, "Zoho refused to refresh the access token", secret, config=config)
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, run.stderr
    assert "Warning" not in run.stderr and "Traceback" not in run.stderr


def test_a_job_that_fails_once_is_created_again_with_the_same_records(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=30)
    emulator.faults.fail_next_jobs(1)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"]))
    assert_records_match(run, emulator, "crm", ["Leads"])
    assert "Zoho reports bulk job" in run.stderr and "creating it again" in run.stderr


def test_a_job_that_keeps_failing_stops_the_run_without_advancing_state(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=30)
    emulator.faults.fail_next_jobs(100)
    config = tap_config(emulator, crm_modules=["Leads"])
    run = run_tap(tmp_path, config)
    assert_failed_cleanly(run, "FAILURE", "INTERNAL_SERVER_ERROR", "3 attempts", config=config)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"client_id": None}, "client_id"),
        ({"data_center": "mars"}, "data_center"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"crm_modules": ["Leadz"]}, "crm_modules: unknown module(s) Leadz"),
        ({"crm_api_version": "v9"}, "crm_api_version"),
    ],
)
def test_bad_config_stops_before_any_bulk_request(tmp_path, make_emulator, changes, needle):
    emulator = make_emulator(records_per_module=5)
    config = {k: v for k, v in {**tap_config(emulator), **changes}.items() if v is not None}
    run = run_tap(tmp_path, config)
    assert_failed_cleanly(run, needle, config=config)
    assert not [r for r in emulator.requests if "/bulk/" in r.path]


def test_transient_faults_are_survived_with_the_same_records(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=60)
    emulator.faults.inject(r"/crm/bulk/v8/read/\d+$", 500, {"code": "INTERNAL_ERROR", "details": {},
                           "message": "Internal Server Error", "status": "error"}, times=2, method="GET")
    emulator.faults.inject(r"/crm/bulk/v8/read$", 429, {"code": "TOO_MANY_REQUESTS", "details": {},
                           "message": "too many requests", "status": "error"}, times=1, method="POST")
    emulator.faults.reset_connection(r"/result$", times=1)
    emulator.faults.truncate_download(times=1)
    config = tap_config(emulator, crm_modules=["Leads", "Deals"])
    run = run_tap(tmp_path, config)
    assert_records_match(run, emulator, "crm", ["Leads", "Deals"])


@pytest.mark.parametrize("mode", ["accepted", "always"])
def test_gzip_encoded_answers_and_downloads_are_read_whole(tmp_path, make_emulator, mode):
    """Zoho's front end may gzip answers; "always" also encodes the downloads the tap asked for as
    identity, so Content-Length (compressed) differs from the bytes written: not a cut download."""
    emulator = make_emulator(records_per_module=60, gzip_responses=mode)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"], bigin_modules=["Contacts"],
                                       max_retries=2))
    assert_records_match(run, emulator, "crm", ["Leads"])
    assert_records_match(run, emulator, "bigin", ["Contacts"])
    assert "cut short" not in run.stderr
    downloads = [r for r in emulator.requests if r.path.endswith("/result")]
    assert downloads and all(r.headers.get("Accept-Encoding") == "identity" for r in downloads)


def test_a_product_the_token_has_no_scope_for_is_skipped_with_a_warning(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5, scopes=("ZohoCRM.bulk.ALL", "ZohoCRM.modules.ALL",
                                                           "ZohoCRM.settings.ALL"))
    config = tap_config(emulator, crm_modules=["Leads"], bigin_modules=["*"],
                        creator_reports=["acme/sales-benin/All_Clients"])
    run = run_tap(tmp_path, config)
    assert_records_match(run, emulator, "crm", ["Leads"])
    assert set(run.records) == {"crm_leads"}
    assert "Skipping Zoho Bigin (bigin_modules: *)" in run.stderr and "OAUTH_SCOPE_MISMATCH" in run.stderr
    assert "Skipping Zoho Creator report acme/sales-benin/All_Clients" in run.stderr and "2945" in run.stderr


def test_nothing_readable_at_all_is_a_clear_failure(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5, scopes=("ZohoCRM.bulk.ALL", "ZohoCRM.modules.ALL"))
    config = tap_config(emulator, crm_modules=["*"], bigin_modules=["*"])
    run = run_tap(tmp_path, config)
    assert_failed_cleanly(run, "none of the configured modules and reports can be exported", config=config)
    assert "Traceback" not in run.stderr


def test_a_config_with_many_problems_reports_them_all_in_one_run_before_any_request(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    config = {**tap_config(emulator), "crm_modules": None, "crm_module": ["Leads"], "start_dat": "2024-01-01",
              "data_center": "mars", "max_retries": -1, "batch_config": {"encoding": {"format": "xml"}},
              "stream_maps": {"crm_leads": 5}}
    config = {k: v for k, v in config.items() if v is not None}
    run = run_tap(tmp_path, config)
    assert_failed_cleanly(run, "crm_module: unknown setting; did you mean crm_modules?",
                          "start_dat: unknown setting; did you mean start_date?", "data_center: 'mars'",
                          "max_retries: must be an integer >= 1", "crm_modules / bigin_modules / creator_reports",
                          "batch_config.encoding.format: 'xml' is not one of", "stream_maps.crm_leads:",
                          config=config)
    assert "Traceback" not in run.stderr and not emulator.requests


def test_null_for_an_sdk_setting_is_not_set(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=20)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"], stream_maps=None, batch_config=None,
                                       flattening_enabled=None))
    assert_records_match(run, emulator, "crm", ["Leads"])


def test_a_catalog_naming_another_replication_key_than_the_config_stops_the_run(tmp_path, make_emulator):
    """The catalog was discovered without the option: the run would silently keep Created_Time."""
    emulator = make_emulator(records_per_module=20)
    catalog = discover(tmp_path / "discover", tap_config(emulator, crm_modules=["Leads"]))
    config = tap_config(emulator, crm_modules=["Leads"],
                        stream_options={"crm_leads": {"replication_key": "Modified_Time"}})
    run = run_tap(tmp_path, config, catalog=catalog)
    assert_failed_cleanly(run, "stream_options.crm_leads.replication_key is Modified_Time, but the input "
                          "catalog's replication key is Created_Time", config=config)
    assert "Traceback" not in run.stderr and not [r for r in emulator.requests if "/bulk/" in r.path]
    rediscovered = discover(tmp_path / "again", config)  # the remedy the line names works
    agreeing = run_tap(tmp_path / "agree", config, catalog=rediscovered)
    assert_records_match(agreeing, emulator, "crm", ["Leads"])
    assert agreeing.final_state["bookmarks"]["crm_leads"]["replication_key"] == "Modified_Time"


@pytest.mark.parametrize(("option", "content", "message"), [
    ("--config", None, "{path}: no such file"),
    ("--config", '{"client_id": ', "{path} is not valid JSON (Expecting value: line 1 column 15)"),
    ("--config", '["a"]', "{path} holds a JSON array, not an object"),
    ("--state", '{"bookmarks": {', "{path} is not valid JSON (Expecting property name enclosed in double "
                                    "quotes: line 1 column 16)"),
    ("--state", '{"type": "STATE", "value": {"bookmarks": {}}}',
     '{path} holds a whole STATE message; pass its value (the object under "value")'),
    ("--state", "null", "{path} holds a JSON null, not an object"),
    ("--catalog", "{", "{path} is not valid JSON (Expecting property name enclosed in double quotes: "
                       "line 1 column 2)"),
])
def test_a_broken_input_file_is_one_line_naming_it_and_nothing_is_sent(tmp_path, make_emulator, option,
                                                                         content, message):
    emulator = make_emulator(records_per_module=5)
    path = tmp_path / "given.json"
    if content is not None:
        path.write_text(content)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"]), args=(option, str(path)))
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines()[-1] == f"Error: Invalid value for '{option}': " + message.format(path=path)
    assert "Traceback" not in run.stderr and not emulator.requests and run.messages == []


def test_an_empty_state_file_is_a_first_run_said_in_one_line(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=20)
    path = tmp_path / "empty-state.json"
    path.write_text("\n")
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"]), args=("--state", str(path)))
    assert_records_match(run, emulator, "crm", ["Leads"])
    assert f"--state {path} is empty: the sync starts without bookmarks" in run.log()


def test_a_misspelt_batch_config_key_is_named_before_any_request(tmp_path, make_emulator):
    """The SDK's schema lets any key through and its BatchConfig refuses it mid-sync, a traceback."""
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, crm_modules=["Leads"],
                        batch_config={"encodng": {"format": "jsonl"}, "storage": {"root": f"file://{tmp_path}"}})
    run = run_tap(tmp_path, config)
    assert_failed_cleanly(run, "batch_config.encodng: unknown setting; did you mean encoding?", config=config)
    assert "Traceback" not in run.stderr and not emulator.requests


def test_stream_options_of_a_stream_not_in_the_run_are_said_to_be_unused_with_the_closest_name(
        tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"],
                                       stream_options={"crm_lead": {"replication_key": "Modified_Time"}}))
    assert run.exit_code == 0, run.stderr[-3000:]
    assert ("stream_options.crm_lead: no such stream in this run (did you mean crm_leads?); its options are "
            "not used") in run.log()


def test_a_refused_stream_option_is_named_with_its_stream(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, crm_modules=["Leads"], stream_options={"crm_leads": {"cvid": "5725767000000087501"}})
    run = run_tap(tmp_path, config)
    errors = [line for line in run.log() if "CVID_NOT_SUPPORTED" in line]
    assert len(errors) == 1, run.stderr[-3000:]
    assert errors[0].startswith("crm_leads: Zoho answered HTTP 400 CVID_NOT_SUPPORTED: ")
    assert errors[0].endswith(". It is stream_options.crm_leads.cvid")
    assert_failed_cleanly(run, config=config)


def test_a_target_that_stops_reading_ends_the_run_in_one_line(tmp_path, make_emulator):
    """`tap | head`, or a target that exits: the next write meets a broken pipe."""
    emulator = make_emulator(records_per_module=2000)
    config = tap_config(emulator, crm_modules=["Leads", "Contacts"])
    command = tap_command(tmp_path, config, None, None, ())
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=tap_environment(tmp_path, None)) as tap:
        assert tap.stdout.read(1000)  # a target that read a little, then went away
        tap.stdout.close()
        stderr = tap.stderr.read().decode()
        code = tap.wait(timeout=120)
    errors = [line for line in stderr.splitlines() if " | ERROR " in line]
    assert code == 1 and "Traceback" not in stderr and "Exception ignored" not in stderr, stderr[-3000:]
    assert errors == [errors[0]] and errors[0].endswith(
        "The target stopped reading the tap's output (broken pipe): the sync stops; the last STATE the "
        "target received continues it")
