"""Server behaviour: concurrency, request log, download rate limit, lifecycle, callbacks."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from zoho_emulator import EmulatorOptions, ZohoEmulator
from zoho_emulator.core.throttle import LockoutWindow

from tests.support import Client, error_code


def test_concurrent_exports(make_emulator):
    emu = make_emulator(records_per_module=30, page_size=1000, job_duration=0.1)
    modules = ["Leads", "Contacts", "Accounts", "Deals", "Sales_Orders", "Shipments"]

    def export(module: str) -> int:
        _job, rows = Client(emu).export_page("/crm/bulk/v8", {"module": {"api_name": module}})
        return len(rows) - 1

    with ThreadPoolExecutor(max_workers=6) as pool:
        counts = list(pool.map(export, modules * 2))
    assert counts == [30] * 12


def test_request_log_masks_the_token(make_emulator):
    emu = make_emulator(records_per_module=3)
    client = Client(emu)
    client.post("/crm/bulk/v8/read", {"query": {"module": {"api_name": "Leads"}}})
    entry = emu.requests[-1]
    assert (entry.method, entry.path, entry.status) == ("POST", "/crm/bulk/v8/read", 201)
    assert entry.headers["Authorization"] == "Zoho-oauthtoken ***"
    assert entry.json == entry.body == {"query": {"module": {"api_name": "Leads"}}}
    client.get("/crm/v8/settings/fields", params={"module": "Leads"})
    assert emu.requests[-1].query == {"module": "Leads"} and emu.requests[-1].json is None
    assert client.token not in repr(emu.requests)
    emu.clear_requests()
    assert emu.requests == []


def test_download_rate_limit(make_emulator):
    emu = make_emulator(records_per_module=3, download_limit=3, download_window=0.6)
    client = Client(emu)
    job_id = client.create("/crm/bulk/v8", {"module": {"api_name": "Leads"}})
    client.wait("/crm/bulk/v8", job_id)
    path = f"/crm/bulk/v8/read/{job_id}/result"
    assert [client.get(path).status_code for _ in range(3)] == [200] * 3
    limited = client.get(path)
    assert (limited.status_code, error_code(limited)) == (429, "TOO_MANY_REQUESTS")
    assert "Retry-After" not in limited.headers
    emu.add_refresh_token("1000.someone.else")
    assert Client(emu, "1000.someone.else").get(path).status_code == 200  # per refresh token
    time.sleep(0.65)
    assert client.get(path).status_code == 200


def test_download_lockout_counts_from_the_refusal():
    now = [0.0]
    lockout = LockoutWindow(2, 60.0, clock=lambda: now[0])
    assert [lockout.try_acquire("u"), lockout.try_acquire("u")] == [True, True]
    now[0] = 30.0
    assert lockout.try_acquire("u") is False  # the 3rd within a minute: locked out until 90
    assert lockout.try_acquire("other") is True
    now[0] = 60.0  # the first two aged out: a plain sliding window would let this one through
    assert lockout.try_acquire("u") is False
    now[0] = 89.9  # refusals during the lockout neither count nor extend it
    assert lockout.try_acquire("u") is False
    now[0] = 90.0
    assert [lockout.try_acquire("u"), lockout.try_acquire("u"), lockout.try_acquire("u")] == [True, True, False]
    lockout.reset()
    assert lockout.try_acquire("u") is True


def test_download_lockout_over_http(make_emulator):
    window = 1.5
    emu = make_emulator(records_per_module=3, download_limit=2, download_window=window)
    client = Client(emu)
    job_id = client.create("/crm/bulk/v8", {"module": {"api_name": "Leads"}})
    client.wait("/crm/bulk/v8", job_id)
    path = f"/crm/bulk/v8/read/{job_id}/result"
    first = time.monotonic()
    assert [client.get(path).status_code for _ in range(2)] == [200, 200]
    while time.monotonic() < first + window / 2:  # half a window on: the two still count
        time.sleep(0.02)
    refused_from = time.monotonic()
    limited = client.get(path)
    assert (limited.status_code, error_code(limited)) == (429, "TOO_MANY_REQUESTS")
    deadline = refused_from + 20
    while (response := client.get(path)).status_code == 429:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert response.status_code == 200
    # the lockout ran a full window from the refusal, not from the oldest counted download
    assert time.monotonic() - refused_from >= window


def test_lifecycle_and_tap_config(dataset):
    emu = ZohoEmulator(EmulatorOptions(), dataset)
    with pytest.raises(RuntimeError):
        _ = emu.url
    with emu:
        assert emu.start() is emu
        config = emu.tap_config(crm_modules=["Leads"], extra=1)
        assert config == {
            "client_id": emu.options.client_id,
            "client_secret": emu.options.client_secret,
            "refresh_token": emu.options.refresh_token,
            "accounts_url": emu.url,
            "api_url": emu.url,
            "creator_url": emu.url,
            "crm_modules": ["Leads"],
            "bigin_modules": ["*"],
            "extra": 1,
        }
        session = requests.Session()
        assert session.post(emu.url + "/oauth/v2/token").status_code == 200  # keep-alive connection
        url = emu.url
    with pytest.raises(requests.ConnectionError):
        session.post(url + "/oauth/v2/token", timeout=2)
    emu.stop()  # idempotent


def test_verbose_logs_only_method_path_status(make_emulator, capfd):
    emu = make_emulator(records_per_module=2, verbose=True)
    Client(emu).get("/crm/v8/settings/modules")
    out, err = capfd.readouterr()
    assert out == ""
    assert "POST /oauth/v2/token 200" in err and "GET /crm/v8/settings/modules 200" in err
    assert "1000." not in err


class _Sink(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        _Sink.received.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("base", "module", "envelope"),
    [("/crm/bulk/v8", {"api_name": "Leads"}, True), ("/bigin/bulk/v1", "Contacts", False)],
)
def test_callbacks(make_emulator, base, module, envelope):
    sink = HTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    _Sink.received = []
    try:
        emu = make_emulator(records_per_module=3, job_duration=0.05)
        callback = {"url": f"http://127.0.0.1:{sink.server_address[1]}/hook", "method": "post"}
        job_id = Client(emu).create(base, {"module": module}, callback=callback)
        deadline = time.monotonic() + 5
        while not _Sink.received and time.monotonic() < deadline:
            time.sleep(0.02)
        (path, body), *_ = _Sink.received
        assert path == "/hook"
        details = body["data"][0] if envelope else body
        assert details["id" if envelope else "job_id"] == job_id
        assert details["state"] == "COMPLETED" and details["result"]["count"] == 3
    finally:
        sink.shutdown()
        sink.server_close()


def test_a_revoked_refresh_token_is_refused_and_its_access_tokens_still_work(make_emulator):
    import requests as http

    emu = make_emulator(records_per_module=2)
    config = emu.tap_config()
    form = {"grant_type": "refresh_token", "client_id": config["client_id"],
            "client_secret": config["client_secret"], "refresh_token": config["refresh_token"]}
    token = http.post(emu.url + "/oauth/v2/token", data=form, timeout=10).json()["access_token"]
    emu.revoke_refresh_token(config["refresh_token"])
    assert http.post(emu.url + "/oauth/v2/token", data=form, timeout=10).json() == {"error": "invalid_code"}
    modules = http.get(emu.url + "/crm/v8/settings/modules", timeout=10,
                       headers={"Authorization": f"Zoho-oauthtoken {token}"})
    assert modules.status_code == 200
