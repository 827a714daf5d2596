"""`--test`: a connection check in seconds (one token refresh, a metadata call per product and per
Creator application, no bulk job), a verdict line per product, its exit code the verdict."""

from __future__ import annotations

import subprocess
import sys

from tests.support.emulators import tap_config
from tests.support.tap_process import run_tap

REPORTS = ["acme/sales-benin/Tous_les_Offres", "acme/sales-benin/All_Clients",
           "acme/sales-burkina/Tous_les_Offres", "acme/sales-burkina/Pipeline_Commercial"]


def verdicts(run):
    return [line.split("Connection test: ", 1)[1] for line in run.stderr.splitlines() if "Connection test: " in line]


def test_a_readable_account_passes_with_one_line_per_product_and_no_bulk_job(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, crm_modules=["Leads", "Deals"], bigin_modules=["*"], creator_reports=REPORTS,
                        token_cache=False)
    reports = REPORTS
    apps = {report.rsplit("/", 1)[0] for report in reports}
    assert len(apps) == 2 and len(reports) > len(apps)
    run = run_tap(tmp_path, config, args=("--test",))
    assert run.exit_code == 0, run.stderr[-3000:]
    lines = verdicts(run)
    assert lines[0].startswith("token refresh at ") and lines[0].endswith(": OK")
    assert lines[1] == "Zoho CRM: OK: 2 module(s) to export: Leads, Deals"
    assert lines[2].startswith("Zoho Bigin: OK: ") and "Contacts" in lines[2]
    assert lines[3] == f"Zoho Creator: OK: {len(reports)} report(s) of 2 application(s) to export: {', '.join(reports)}"
    assert len(lines) == 4 and "Connection test passed" in run.stderr and run.stdout == ""
    served = [(r.method, r.path) for r in emulator.requests]
    assert [p for m, p in served if p.endswith("/oauth/v2/token")] == ["/oauth/v2/token"]
    assert not [p for _, p in served if "/bulk/" in p]
    metadata = [p for _, p in served if not p.endswith("/oauth/v2/token")]
    # CRM modules, Bigin modules, each application's reports, and Get Applications (time zones)
    assert len(metadata) == 2 + len(apps) + 1, metadata


def test_a_refused_refresh_token_fails_with_the_reason_and_no_secret(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, refresh_token="1000.revoked.token", token_cache=False)
    run = run_tap(tmp_path, config, args=("--test",))
    assert run.exit_code == 1
    assert "Connection test failed: token refresh at " in run.stderr and "invalid_code" in run.stderr
    assert config["client_secret"] not in run.stderr and config["refresh_token"] not in run.stderr
    assert "Traceback" not in run.stderr
    assert [r.path for r in emulator.requests] == ["/oauth/v2/token"]


def test_a_cached_token_does_not_hide_a_revoked_refresh_token(tmp_path, make_emulator):
    """A sync may run on the access token cached by the run before; the connection test always
    proves the refresh token itself."""
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, crm_modules=["Leads"], creator_reports=[])
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_tap(tmp_path / "1", config, args=("--test",), env=env).exit_code == 0
    emulator.revoke_refresh_token(config["refresh_token"])
    synced = run_tap(tmp_path / "2", config, env=env)  # on the cached access token
    assert synced.exit_code == 0 and "Using the cached Zoho access token" in synced.stderr
    run = run_tap(tmp_path / "3", config, args=("--test",), env=env)
    assert run.exit_code == 1 and "Connection test failed: token refresh" in run.stderr
    assert "invalid_code" in run.stderr


def test_each_product_that_cannot_be_read_is_named_and_the_others_still_checked(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, crm_modules=["Leads", "Leadz"], bigin_modules=["Contacts"],
                        creator_reports=[*REPORTS, "acme/sales-benin/Nope", "acme/no-app/X"])
    run = run_tap(tmp_path, config, args=("--test",))
    assert run.exit_code == 1
    lines = verdicts(run)
    assert lines[1].startswith("Zoho CRM: FAILED: crm_modules: unknown module(s) Leadz; this Zoho CRM "
                               "account's modules bulk read can export: Accounts, Contacts")
    assert "Notes" not in lines[1] and "Attachments" not in lines[1]  # listed by Zoho, not exportable
    assert lines[2].startswith("Zoho Bigin: OK: ")
    assert lines[3].startswith("Zoho Creator: FAILED: 2 of 6 report(s) cannot be read: acme/sales-benin/Nope: "
                               "creator_reports: application acme/sales-benin has no report 'Nope'")
    assert "; acme/no-app/X: " in lines[3]  # every report that cannot be read, not only the first
    assert "Connection test failed: Zoho CRM, Zoho Creator (see above)" in run.stderr
    assert "Traceback" not in run.stderr and not [r for r in emulator.requests if "/bulk/" in r.path]


def test_a_wrong_client_secret_fails_the_sync_at_once_despite_a_cached_token(tmp_path, make_emulator):
    """The token cache is named by the client secret too: a mistyped secret finds no token of the
    right one, so the refresh it needs fails now rather than when the cached token expires."""
    emulator = make_emulator(records_per_module=5)
    config = tap_config(emulator, crm_modules=["Leads"], creator_reports=[])
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert run_tap(tmp_path / "1", config, env=env).exit_code == 0
    wrong = {**config, "client_secret": config["client_secret"] + "x"}
    run = run_tap(tmp_path / "2", wrong, env=env)
    assert run.exit_code == 1 and "Using the cached Zoho access token" not in run.stderr
    assert "Zoho refused to refresh the access token" in run.stderr
    assert wrong["client_secret"] not in run.stderr


def test_the_help_says_what_test_does_here():
    shown = subprocess.run([sys.executable, "-m", "tap_zoho_bulk", "--help"], capture_output=True, text=True,
                           timeout=60, check=True).stdout
    assert " ".join(shown.split()).count("Use --test to check the connection in seconds") == 1
    assert "sync a single record" not in shown
