"""Faults and hostile input end to end: survivable faults give the fault-free records; permanent
ones end in one clear line, a non-zero exit and no bookmark advanced; no secret is ever printed."""

from __future__ import annotations

import socket

import pytest

from tests.support.emulators import tap_config
from tests.support.expected import assert_records_match
from tests.support.tap_process import TapRun, run_tap


def error_lines(run: TapRun) -> list[str]:
    return [line for line in run.stderr.splitlines() if "| ERROR" in line]


def assert_one_clear_line(run: TapRun, *needles: str) -> None:
    assert run.exit_code == 1, run.stderr[-3000:]
    errors = error_lines(run)
    assert len(errors) == 1, run.stderr[-3000:]
    for needle in needles:
        assert needle in errors[0], errors[0]
    assert "Traceback" not in run.stderr


def no_bookmark(run: TapRun, stream: str) -> bool:
    return all("replication_key_value" not in s.get("bookmarks", {}).get(stream, {}) for s in run.states)


def closed_port_url() -> str:
    with socket.socket() as probe:  # bound, never listening: connecting to it is refused
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# --- tokens shared across runs, and secrets -----------------------------------------------------

def test_discovery_then_sync_and_ten_more_runs_cost_one_token_refresh(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=10)
    config = tap_config(emulator, crm_modules=["Leads"])
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}  # one machine's cache for every run
    catalog = run_tap(tmp_path / "discover", config, args=("--discover",), env=cache)
    assert catalog.exit_code == 0, catalog.stderr[-3000:]
    runs = [run_tap(tmp_path / f"run{n}", config, env=cache) for n in range(10)]
    assert all(run.exit_code == 0 for run in runs), runs[-1].stderr[-3000:]
    assert emulator.token_refreshes == 1
    (token_file,) = (tmp_path / "cache" / "tap-zoho-bulk" / "tokens").glob("*.json")
    assert token_file.stat().st_mode & 0o777 == 0o600


def test_without_the_token_cache_every_run_refreshes(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, crm_modules=["Leads"], token_cache=False)
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    for n in range(2):
        assert run_tap(tmp_path / f"run{n}", config, env=cache).exit_code == 0
    assert emulator.token_refreshes == 2
    assert not (tmp_path / "cache").exists()


def test_no_secret_is_printed_or_cached_whatever_goes_wrong(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=20)
    config = tap_config(emulator, crm_modules=["Leads", "Deals"], bigin_modules=["Contacts"])
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONWARNINGS": "always"}
    emulator.faults.inject(r"/read/\d+$", 500, times=2)
    emulator.faults.expire_access_tokens()
    runs = [
        run_tap(tmp_path / "sync", config, env=cache),
        run_tap(tmp_path / "discover", config, args=("--discover",), env=cache),
        run_tap(tmp_path / "about", config, args=("--about",), env=cache),
        run_tap(tmp_path / "bad-secret", {**config, "client_secret": config["client_secret"] + "x"},
                env={"XDG_CACHE_HOME": str(tmp_path / "other")}),
        run_tap(tmp_path / "bad-token", {**config, "refresh_token": config["refresh_token"] + "x"},
                env={"XDG_CACHE_HOME": str(tmp_path / "other")}),
    ]
    secrets = {config["client_secret"], config["refresh_token"]}
    printed = [run.stdout + run.stderr for run in runs]
    printed += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()
                and p.suffix in (".json", ".lock", ".txt") and p.name != "config.json"]
    for text in printed:
        for secret in secrets:
            assert secret not in text


# --- permanent faults: one line, exit 1, nothing bookmarked ---------------------------------------

def test_an_accounts_server_nothing_listens_on_fails_at_once_naming_it(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    closed = closed_port_url()
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"], accounts_url=closed), timeout=90)
    assert_one_clear_line(run, f"cannot reach {closed.removeprefix('http://')}", "connection refused")


@pytest.mark.parametrize("mode", ["fail", "null"])
def test_numbers_zoho_does_not_write_are_invalid_values(tmp_path, make_emulator, mode):
    emulator = make_emulator(records_per_module=20)
    leads = emulator.dataset.records("crm", "Leads")
    broken = {leads[2]["id"]: "nan", leads[5]["id"]: "1.234,50", leads[9]["id"]: "inf"}
    for record_id, text in broken.items():
        emulator.dataset.update_record("crm", "Leads", record_id, Annual_Revenue=text)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"], on_invalid_value=mode))
    if mode == "fail":
        assert_one_clear_line(run, "crm_leads", "field 'Annual_Revenue'", "record ")
        assert not any(text in run.stderr for text in ("1.234,50", "nan", "inf "))
        assert no_bookmark(run, "crm_leads")
        return
    assert run.exit_code == 0, run.stderr[-3000:]
    by_id = {r["id"]: r for r in run.records["crm_leads"]}
    assert all(by_id[record_id]["Annual_Revenue"] is None for record_id in broken)
    assert "3 invalid values were loaded as null (Annual_Revenue 3)" in run.stderr


def test_an_unknown_module_is_one_line_naming_it(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leadz"]))
    assert_one_clear_line(run, "crm_modules: unknown module(s) Leadz")
    assert not [r for r in emulator.requests if "/bulk/" in r.path]


# --- survivable faults: the fault-free records -----------------------------------------------------

def test_a_maintenance_page_on_status_and_metadata_calls_is_survived(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=30)
    page = "<html><body>We are down for maintenance</body></html>"
    emulator.faults.inject(r"/crm/bulk/v8/read/\d+$", 200, page, times=2)
    emulator.faults.inject(r"/settings/fields", 200, page, times=1)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"]))
    assert_records_match(run, emulator, "crm", ["Leads"])


def test_server_errors_on_create_status_and_download_are_survived(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=60)
    emulator.faults.inject(r"/crm/bulk/v8/read$", 500, times=1, method="POST")
    emulator.faults.inject(r"/crm/bulk/v8/read/\d+$", 503, times=1)
    emulator.faults.inject(r"/result$", 502, times=1)
    emulator.faults.truncate_download(1)
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads", "Deals"]))
    assert_records_match(run, emulator, "crm", ["Leads", "Deals"])
