"""Fault injection API: each fault hits the intended requests, then disarms."""

from __future__ import annotations

import pytest
import requests

from tests.support import Client, error_code

LEADS = {"query": {"module": {"api_name": "Leads"}}}


@pytest.fixture
def private(make_emulator):
    emu = make_emulator(records_per_module=20)
    return emu, Client(emu)


def test_expire_access_tokens(private):
    emu, client = private
    assert client.get("/crm/v8/settings/modules").status_code == 200
    emu.faults.expire_access_tokens()
    response = client.get("/crm/v8/settings/modules")
    assert (response.status_code, error_code(response)) == (401, "INVALID_TOKEN")
    fresh = Client(emu)
    assert fresh.get("/crm/v8/settings/modules").status_code == 200
    assert emu.token_refreshes == 2


def test_inject_with_body_times_and_method(private):
    emu, client = private
    body = {"code": "INTERNAL_ERROR", "details": {}, "message": "Internal Server Error", "status": "error"}
    emu.faults.inject(r"/crm/bulk/v8/read$", 500, body, times=2, method="POST")
    assert client.get("/crm/v8/settings/modules").status_code == 200  # other paths untouched
    for _ in range(2):
        response = client.post("/crm/bulk/v8/read", LEADS)
        assert (response.status_code, response.json()) == (500, body)
    assert client.post("/crm/bulk/v8/read", LEADS).status_code == 201
    emu.faults.inject(r"/read$", 429, method="GET")
    assert client.post("/crm/bulk/v8/read", LEADS).status_code == 201  # method filter


def test_inject_default_body_raw_body_and_headers(private):
    emu, client = private
    emu.faults.inject("/settings/modules", 429)
    response = client.get("/crm/v8/settings/modules")
    assert (response.status_code, error_code(response)) == (429, "TOO_MANY_REQUESTS")
    emu.faults.inject(
        "/settings/modules", 502, "<html>Bad gateway</html>", headers={"Content-Type": "text/html"}
    )
    response = client.get("/crm/v8/settings/modules")
    assert response.status_code == 502 and response.headers["Content-Type"] == "text/html"
    assert response.text == "<html>Bad gateway</html>"
    emu.faults.inject("/settings/modules", 503, times=None)
    assert [client.get("/crm/v8/settings/modules").status_code for _ in range(3)] == [503] * 3
    emu.faults.clear()
    assert client.get("/crm/v8/settings/modules").status_code == 200


def test_reset_connection(private):
    emu, client = private
    emu.faults.reset_connection(r"/oauth/v2/token$")
    with pytest.raises(requests.ConnectionError):
        client.grant()
    assert "access_token" in client.grant().json()
    assert emu.requests[-2].status == 0


def test_truncated_download(private):
    emu, client = private
    job_id = client.create("/crm/bulk/v8", LEADS["query"])
    client.wait("/crm/bulk/v8", job_id)
    emu.faults.truncate_download()
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        client.http.get(f"{emu.url}/crm/bulk/v8/read/{job_id}/result", headers=client.headers()).content  # noqa: B018
    complete = client.get(f"/crm/bulk/v8/read/{job_id}/result")
    assert complete.status_code == 200 and len(complete.content) == int(complete.headers["Content-Length"])


def test_metadata_no_content(private):
    emu, client = private
    emu.faults.metadata_no_content("crm", "Deals")
    response = client.get("/crm/v8/settings/fields", params={"module": "Deals"})
    assert (response.status_code, response.content) == (204, b"")
    assert client.get("/crm/v8/settings/fields", params={"module": "Leads"}).status_code == 200
    assert client.get("/crm/v8/settings/fields", params={"module": "Deals"}).status_code == 200
    emu.faults.metadata_no_content("bigin", "Products", times=None)
    for _ in range(2):
        assert client.get("/bigin/v2/settings/fields", params={"module": "Products"}).status_code == 204


def test_fail_next_jobs_counts(private):
    emu, client = private
    emu.faults.fail_next_jobs(2)
    states = [
        client.wait("/crm/bulk/v2", client.create("/crm/bulk/v2", {"module": "Leads"}))["state"]
        for _ in range(3)
    ]
    assert states == ["FAILURE", "FAILURE", "COMPLETED"]
