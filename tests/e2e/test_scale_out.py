"""Scale-out without a home-made engine: parallel `meltano run` invocations, one Zoho user.

An organisation with many large modules runs two inherited plugins of tap-zoho-bulk at once
(README: "Scale out: several processes"). Each invocation does what `meltano run` does: `--discover`
with the plugin's config, the plugin's own `select` applied to that catalog, then the sync from it,
with the state of its own state id (none on a first run). Both use one Zoho user (same client and
refresh token), so they share its per-user limits, which the emulator keeps at Zoho's real values:
10 CRM/Bigin result downloads a minute (a refusal locks the user's downloads out for a minute),
Creator 5 job creations and 10 downloads a minute, 10 token refreshes per 10 minutes, 15 live
access tokens. On one machine the processes share the token cache directory, where every run
counts the user's per-minute calls together, so each keeps the default limits; in a container
per invocation nothing is shared, and each plugin gets its share of the limits through its
settings.

The data is sized so that the shares are used exactly: the pair downloads 10 CRM/Bigin results and
creates 5 Creator jobs within one minute — the user's whole budget, so one request more by either
process would be refused — and neither process needs to wait for its own share (a process that did
would take a minute). The reference run (one invocation, every stream, the default limits) has an
emulator of its own with the same data (`Dataset.generate` is deterministic): on the same emulator
it would need a second minute of the user's budget.

That the default limits (10 downloads and 5 Creator jobs a minute, per process) are not enough
for processes that share nothing once each has more pages than its share is the control,
`test_two_processes_with_the_default_limits_meet_a_429`; that processes sharing the cache
directory wait instead is `test_two_processes_sharing_the_cache_directory_wait_instead_of_a_429`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from zoho_emulator import ZohoEmulator

from tests.support.emulators import start_emulator, tap_config
from tests.support.expected import assert_creator_records, assert_records_match, creator_stream
from tests.support.tap_process import TapRun, discover, run_tap

BENIN_OFFRES = "acme/sales-benin/Tous_les_Offres"
BENIN_CLIENTS = "acme/sales-benin/All_Clients"
BURKINA_OFFRES = "acme/sales-burkina/Tous_les_Offres"
REPORTS = [BENIN_OFFRES, BENIN_CLIENTS, BURKINA_OFFRES]

# Zoho's per-user limits, kept by the emulator: CRM/Bigin downloads
# (https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/download-result.html), Creator
# (https://www.zoho.com/creator/help/api/v2/bulk-api/limitations.html), tokens
# (https://www.zoho.com/accounts/protocol/oauth/token-limits.html).
ZOHO_LIMITS = {
    "download_limit": 10, "download_window": 60.0,  # CRM and Bigin result downloads (emulator: one counter)
    "creator_create_limit": 5, "creator_create_window": 60.0,  # Creator job creations per user
    "creator_download_limit": 10, "creator_download_window": 60.0,  # Creator downloads per user
    "creator_org_create_limit": 15, "creator_org_download_limit": 30,
    "refresh_limit": 10, "refresh_window": 600.0, "max_active_tokens": 15,
}
PAGE = 40  # records per bulk read page / Creator batch (EmulatorOptions.fast)
# Every CRM and Bigin module fits in one page (one job, one download each: 6 + 4 = 10 downloads,
# Zoho's 10 a minute); each Tous_les_Offres report takes two Creator batches, All_Clients one
# (5 job creations, Creator's 5 a minute).
DATA = {"records_per_module": 30, "data": {"module_counts": {("creator", "Offre"): PAGE + 20}}}

# The two inherited plugins of meltano.yml (README, "Scale out"): their `select` and their share of
# the user's limits. Every stream of the base plugin is selected by exactly one of them.
PLUGINS: dict[str, dict[str, Any]] = {
    "tap-zoho-bulk--crm": {
        "select": ["crm_accounts.*", "crm_contacts.*", "crm_deals.*", "crm_leads.*", "crm_sales_orders.*",
                   f"{creator_stream(BENIN_OFFRES)}.*"],
        "config": {"downloads_per_minute": 5, "creator_jobs_per_minute": 2, "max_concurrent_jobs": 5},
    },
    "tap-zoho-bulk--rest": {
        "select": ["crm_shipments.*", "bigin_*.*", f"{creator_stream(BENIN_CLIENTS)}.*",
                   f"{creator_stream(BURKINA_OFFRES)}.*"],
        "config": {"downloads_per_minute": 5, "creator_jobs_per_minute": 3, "max_concurrent_jobs": 5},
    },
}


def zoho() -> ZohoEmulator:
    """An emulator at Zoho's per-user limits, holding the data of `DATA`."""
    return start_emulator(**DATA, **ZOHO_LIMITS)


def base_config(emulator: ZohoEmulator, **overrides: Any) -> dict[str, Any]:
    """The base plugin's config: every module, three reports, and the tap's default limits."""
    config = tap_config(emulator, crm_modules=["*"], bigin_modules=["*"], creator_reports=REPORTS)
    for name in ("downloads_per_minute", "creator_jobs_per_minute"):
        del config[name]  # tap_config lifts them; the defaults are the single-process ones
    config.update(overrides)
    return config


def select(catalog: dict[str, Any], patterns: list[str]) -> dict[str, Any]:
    """The catalog as Meltano passes it after applying a plugin's `select` patterns
    (`stream.property`, shell wildcards): matching streams and properties selected, others not."""
    catalog = json.loads(json.dumps(catalog))
    for entry in catalog["streams"]:
        stream = entry["tap_stream_id"]
        for meta in entry["metadata"]:
            breadcrumb = meta["breadcrumb"]
            if not breadcrumb:
                chosen = any(fnmatch.fnmatchcase(stream, p.split(".", 1)[0]) for p in patterns)
            else:
                chosen = any(fnmatch.fnmatchcase(f"{stream}.{breadcrumb[-1]}", p) for p in patterns)
            meta["metadata"]["selected"] = chosen
    return catalog


def meltano_run(tmp_path: Path, config: dict[str, Any], patterns: list[str], cache: Path) -> TapRun:
    """One `meltano run` of a plugin: discovery, the plugin's selection, the sync (its own state id:
    a first run has no state). Both tap processes run in the invocation's environment, whose cache
    directory (the token cache) is `cache`."""
    env = {"XDG_CACHE_HOME": str(cache)}
    found = run_tap(tmp_path / "discover", config, args=("--discover",), env=env)
    assert found.exit_code == 0, found.stderr[-3000:]
    return run_tap(tmp_path / "sync", config, catalog=select(json.loads(found.stdout), patterns), env=env,
                   timeout=120)


def multiset(records: list[dict[str, Any]]) -> Counter[str]:
    return Counter(json.dumps(r, sort_keys=True) for r in records)


def refusals(emulator: ZohoEmulator) -> list[tuple[str, str, int]]:
    """Every answer that was not a success: 429 (per-minute limits), 400 from the accounts server
    (refresh throttle), 401 (an access token Zoho no longer knows, e.g. evicted), 5xx."""
    return [(r.method, r.path, r.status) for r in emulator.requests if r.status >= 400 or r.status == 0]


@pytest.mark.parametrize("token_cache", ["one machine", "one container per invocation"])
def test_two_invocations_with_disjoint_selections_produce_exactly_what_one_does(tmp_path, token_cache):
    """Same records (every one, as multisets of JSON), same schemas, each state with its own
    streams' bookmarks, exit codes 0, and not one refused request at the shared Zoho user. The
    cache directory is shared (one worker machine: both invocations count the user's calls in one
    place, with the default limits) or not (a container per invocation: divided limits)."""
    solo, shared = zoho(), zoho()
    try:
        assert solo.dataset.records("crm", "Leads") == shared.dataset.records("crm", "Leads")
        one = meltano_run(tmp_path / "one", base_config(solo), ["*.*"], tmp_path / "one-cache")
        assert one.exit_code == 0, one.stderr[-3000:]
        streams = set(one.records)
        assert len(streams) == 13 and {s.split("_")[0] for s in streams} == {"crm", "bigin", "creator"}

        # Two invocations at once, one Zoho user: each with its selection and its share of the limits.
        def invocation(name: str) -> TapRun:
            plugin = PLUGINS[name]
            if token_cache == "one machine":
                return meltano_run(tmp_path / name, base_config(shared), plugin["select"], tmp_path / "cache")
            return meltano_run(tmp_path / name, base_config(shared, **plugin["config"]), plugin["select"],
                               tmp_path / f"{name}-cache")

        with ThreadPoolExecutor(max_workers=len(PLUGINS)) as pool:
            runs = dict(zip(PLUGINS, pool.map(invocation, PLUGINS), strict=True))

        for name, run in runs.items():
            assert run.exit_code == 0, f"{name}: {run.stderr[-3000:]}"
            assert "Waiting" not in run.stderr, f"{name} waited for its share: the split does not fit"
        # Disjoint selections, together every stream, and every record exactly as one process emits it.
        crm, rest = (set(run.records) for run in runs.values())
        assert not crm & rest and crm | rest == streams
        for stream in streams:
            owner = next(run for run in runs.values() if stream in run.records)
            assert multiset(owner.records[stream]) == multiset(one.records[stream]), stream
            assert owner.schemas()[stream] == one.schemas()[stream], stream
        # ... which is what the emulator holds (the reference is right, not merely equal).
        assert_records_match(one, solo, "crm", ["Accounts", "Contacts", "Deals", "Leads", "Sales_Orders", "Shipments"])
        assert_records_match(one, solo, "bigin", ["Accounts", "Contacts", "Pipelines", "Products"])
        assert_creator_records(one, solo, REPORTS)

        # Each invocation's state (kept under its own state id) holds its own streams' bookmarks only.
        for run in runs.values():
            state = run.final_state or {}
            assert set(state["bookmarks"]) == set(run.records)
            for stream, rows in run.records.items():
                key = state["bookmarks"][stream]["replication_key"]
                assert state["bookmarks"][stream]["replication_key_value"] >= max(r[key] for r in rows)
        assert set(one.final_state["bookmarks"]) == streams

        # Zoho's per-user limits held: no refusal of any kind, and the pair used the whole minute's
        # budget (one download or job creation more would have met a 429).
        assert refusals(shared) == []
        assert refusals(solo) == []
        requests = shared.requests
        downloads = [r for r in requests if r.path.rstrip("/").endswith("/result")]
        crm_bigin = [r for r in downloads if r.path.startswith(("/crm/", "/bigin/"))]
        creator_creates = [r for r in requests if r.method == "POST" and r.path.startswith("/api/bulk/")]
        assert len(crm_bigin) == ZOHO_LIMITS["download_limit"]
        assert len(creator_creates) == ZOHO_LIMITS["creator_create_limit"]
        bulk = [r.time for r in requests if "/bulk/" in r.path]
        assert max(bulk) - min(bulk) < 60, "the test must fit in one minute of Zoho's limits"
        # Tokens: one refresh per token cache (two discoveries and two syncs), whichever process got
        # there first; within Zoho's 10 per 10 minutes and 15 live tokens.
        assert shared.token_refreshes == (1 if token_cache == "one machine" else len(PLUGINS))
        assert solo.token_refreshes == 1
    finally:
        solo.stop()
        shared.stop()


def start_tap(directory: Path, config: dict[str, Any], catalog: dict[str, Any], cache: Path) -> subprocess.Popen[bytes]:
    """The tap as a child process syncing from `catalog`, its output dropped."""
    directory.mkdir(parents=True)
    (directory / "config.json").write_text(json.dumps(config))
    (directory / "catalog.json").write_text(json.dumps(catalog))
    command = [sys.executable, "-m", "tap_zoho_bulk", "--config", str(directory / "config.json"),
               "--catalog", str(directory / "catalog.json")]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TAP_ZOHO_BULK_")}
    with (directory / "stderr.txt").open("w") as stderr:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr,
                                env={**environment, "XDG_CACHE_HOME": str(cache)})


def first_refusal(emulator: ZohoEmulator, children: list[subprocess.Popen[bytes]], prefix: str) -> None:
    """Wait for the emulator's first 429 under `prefix` (an event: it fails at once if every
    process ended without one), then stop the processes still running."""
    try:
        deadline = time.monotonic() + 45  # a bound on the wait, well inside the limits' minute
        while True:
            if any(r.status == 429 and r.path.startswith(prefix) for r in emulator.requests):
                return
            assert any(child.poll() is None for child in children), "every process ended: no 429"
            assert time.monotonic() < deadline, "no 429 yet"
            time.sleep(0.02)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        codes = [child.wait(timeout=60) for child in children]
        # 0: it had finished; 143: it stopped at the signal; -15: the signal came as it was exiting
        assert set(codes) <= {0, 143, -signal.SIGTERM}, codes


@pytest.mark.parametrize("limit", ["CRM downloads", "Creator job creations"])
def test_two_processes_with_the_default_limits_meet_a_429(tmp_path, limit):
    """The control: two processes that share nothing (a container each), each within its own
    default limits — 6 CRM downloads of its 10 a minute, or 4 Creator job creations of its 5 —
    exceed the one user's together (12 of 10, 8 of 5), and Zoho answers 429 (for CRM downloads,
    with a minute's lockout of that user). The processes are stopped at the first refusal."""
    emulator = start_emulator(records_per_module=PAGE + 20, **ZOHO_LIMITS)  # two pages or batches each
    try:
        if limit == "CRM downloads":
            config = base_config(emulator, bigin_modules=[], creator_reports=[])
            selections = [["crm_accounts.*", "crm_contacts.*", "crm_deals.*"],
                          ["crm_leads.*", "crm_sales_orders.*", "crm_shipments.*"]]
            prefix, used, allowed = "/crm/", "/result", ZOHO_LIMITS["download_limit"]
        else:
            reports = [BENIN_OFFRES, BENIN_CLIENTS, BURKINA_OFFRES, "acme/sales-burkina/All_Clients"]
            config = base_config(emulator, crm_modules=[], bigin_modules=[], creator_reports=reports)
            selections = [["creator_sales_benin_*.*"], ["creator_sales_burkina_*.*"]]
            prefix, used, allowed = "/api/bulk/", "/read", ZOHO_LIMITS["creator_create_limit"]
        catalog = discover(tmp_path / "catalog", config)
        children = [start_tap(tmp_path / f"process-{i}", config, select(catalog, patterns),
                              tmp_path / f"cache-{i}")
                    for i, patterns in enumerate(selections)]
        first_refusal(emulator, children, prefix)
        # Zoho accepted exactly the user's limit (all within its minute: the rest was refused),
        # and neither process alone asked for more than its own default.
        accepted = [r for r in emulator.requests if r.path.startswith(prefix)
                    and r.path.rstrip("/").endswith(used) and r.status in (200, 201)]
        assert len(accepted) == allowed
    finally:
        emulator.stop()


def test_runs_sharing_the_cache_directory_count_the_users_minute_together_and_wait_instead_of_a_429(tmp_path):
    """The control's data and default limits, but the processes share the cache directory (one
    machine): a run that starts while the previous one's minute is still running (the next
    `meltano run`, a rerun after a stop) waits for Zoho's limits instead of meeting the 429. Run
    one after the other, each needs 6 of the user's 10 CRM downloads and 4 of its 5 Creator job
    creations a minute."""
    emulator = start_emulator(records_per_module=PAGE + 20, **ZOHO_LIMITS)  # two pages or batches each
    try:
        reports = [BENIN_OFFRES, BENIN_CLIENTS, BURKINA_OFFRES, "acme/sales-burkina/All_Clients"]
        config = base_config(emulator, bigin_modules=[], creator_reports=reports)
        catalog = discover(tmp_path / "catalog", config)
        selections = [["crm_accounts.*", "crm_contacts.*", "crm_deals.*", "creator_sales_benin_*.*"],
                      ["crm_leads.*", "crm_sales_orders.*", "crm_shipments.*", "creator_sales_burkina_*.*"]]
        env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
        runs = [run_tap(tmp_path / f"run-{i}", config, catalog=select(catalog, patterns), env=env, timeout=180)
                for i, patterns in enumerate(selections)]
        for run in runs:
            assert run.exit_code == 0, run.stderr[-3000:]
        assert refusals(emulator) == []
        assert "Waiting" not in runs[0].stderr
        waits = [line for line in runs[1].log() if line.startswith("Waiting ")]
        assert "Zoho allows 10 result downloads a minute" in " ".join(waits), runs[1].stderr[-3000:]
        assert "Zoho allows 5 bulk jobs a minute" in " ".join(waits), runs[1].stderr[-3000:]
        merged = TapRun(0, runs[0].messages + runs[1].messages, "", "",
                        {**runs[0].records, **runs[1].records})
        assert_records_match(merged, emulator, "crm", ["Accounts", "Contacts", "Deals", "Leads", "Sales_Orders",
                                                       "Shipments"])
        assert_creator_records(merged, emulator, reports)
    finally:
        emulator.stop()
