"""Creator limits: per-minute create/download throttles (429 2955) and the daily limit (HTTP 200 4000)."""

from __future__ import annotations

import time

from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator

from tests.support import BENIN, OWNER, CreatorClient, bulk, creator_body

OFFRES = f"{BENIN}/Tous_les_Offres"
PER_MINUTE = {
    "code": 2955,
    "message": "You have reached your API call limit for a minute. Please try again after sometime.",
}
DAILY = {
    "code": 4000,
    "message": "Account's Developer API limit has been reached. Please upgrade to execute more REST API calls.",
}


def test_documented_defaults():
    with ZohoEmulator(EmulatorOptions(job_duration=0.05), Dataset.generate(records_per_module=2)) as emu:
        opts = emu.options
        assert (opts.creator_create_limit, opts.creator_create_window) == (5, 60.0)
        assert (opts.creator_download_limit, opts.creator_download_window) == (10, 60.0)
        assert (opts.creator_cursor_ttl, opts.creator_batch_size, opts.creator_daily_limit) == (900.0, 200_000, None)
        client = CreatorClient(emu)
        statuses = [client.post(bulk(OFFRES), {"query": {}}).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]


def test_create_limit_per_user(make_emulator):
    emu = make_emulator(records_per_module=2, creator_create_limit=2, creator_create_window=0.5)
    client = CreatorClient(emu)
    base = bulk(OFFRES, "v2", "zohoapis")
    assert [client.post(base, {"query": {}}).status_code for _ in range(2)] == [200, 200]
    limited = client.post(base, {"query": {}})
    assert (limited.status_code, creator_body(limited)) == (429, PER_MINUTE)
    assert client.get("/api/v2/applications").status_code == 200  # other APIs are not throttled
    emu.add_refresh_token("1000.second.user")
    assert CreatorClient(emu, "1000.second.user").post(base, {"query": {}}).status_code == 200
    time.sleep(0.55)
    assert client.post(base, {"query": {}}).status_code == 200


def test_org_create_limit(make_emulator):
    emu = make_emulator(records_per_module=2, creator_org_create_limit=3, creator_create_window=0.5)
    emu.add_refresh_token("1000.second.user")
    clients = [CreatorClient(emu), CreatorClient(emu, "1000.second.user")]
    statuses = [clients[i % 2].post(bulk(OFFRES), {"query": {}}).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_download_limit(make_emulator):
    emu = make_emulator(records_per_module=2, creator_download_limit=2, creator_download_window=0.5)
    client = CreatorClient(emu)
    base = bulk(OFFRES)
    done = client.poll(base, client.create_job(base)["id"])
    url = done["result"]["download_url"]
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    limited = client.get(url)
    assert (limited.status_code, creator_body(limited)) == (429, PER_MINUTE)
    assert client.get(f"{base}/{done['id']}").status_code == 200  # status polls are not downloads
    time.sleep(0.55)
    assert client.get(url).status_code == 200


def test_daily_limit_answers_http_200_code_4000(make_emulator):
    emu = make_emulator(records_per_module=2, creator_daily_limit=3)
    client = CreatorClient(emu)
    assert client.get("/api/v2/applications").status_code == 200
    assert client.get(f"/creator/v2/meta/{BENIN}/forms").status_code == 200
    details = client.create_job(bulk(OFFRES))
    for response in (
        client.get(f"{bulk(OFFRES)}/{details['id']}"),
        client.post(bulk(OFFRES), {"query": {}}),
        client.get(f"/api/v2/{OWNER}/nowhere/forms"),
    ):
        assert response.status_code == 200
        assert creator_body(response) == DAILY
    emu.add_refresh_token("1000.second.user")
    assert CreatorClient(emu, "1000.second.user").get("/api/v2/applications").json()["code"] == 3000
    assert client.get("/crm/v8/settings/modules").status_code == 200  # CRM is not Creator


def test_daily_limit_fault(make_emulator):
    emu = make_emulator(records_per_module=2)
    client = CreatorClient(emu)
    emu.faults.creator_daily_limit(after=2)
    codes = [creator_body(client.get("/api/v2/applications"))["code"] for _ in range(4)]
    assert codes == [3000, 3000, 4000, 4000]
    response = client.post(bulk(OFFRES), {"query": {}})
    assert (response.status_code, response.json()) == (200, DAILY)
    emu.faults.clear()
    assert client.get("/api/v2/applications").json()["code"] == 3000
    emu.faults.creator_daily_limit()
    assert client.get("/api/v2/applications").json() == DAILY


def test_injected_status_gets_a_creator_body(make_emulator):
    emu = make_emulator(records_per_module=2)
    client = CreatorClient(emu)
    emu.faults.inject(r"/report/Tous_les_Offres/read$", 429, method="POST")
    response = client.post(bulk(OFFRES), {"query": {}})
    assert (response.status_code, creator_body(response)) == (429, PER_MINUTE)
    emu.faults.inject(r"/applications$", 200, {"code": 4000, "message": "x"})
    assert client.get("/api/v2/applications").json() == {"code": 4000, "message": "x"}
    assert client.post(bulk(OFFRES), {"query": {}}).status_code == 200
