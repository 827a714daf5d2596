"""Hostile answers on demand: maintenance pages, wrong shapes, a 401 then a 503, forced refresh
throttling, an accounts server that never answers and one that refuses connections."""

from __future__ import annotations

import socket

import pytest
import requests
from zoho_emulator.core.faults import Answer

from tests.support import BENIN, Client, CreatorClient, bulk, creator_body, error_code

LEADS = {"module": {"api_name": "Leads"}}
MODULES = "/crm/v8/settings/modules"
# The body Zoho Accounts answers a refresh token used too often
# (https://help.zoho.com/portal/en/community/topic/kaizen-43-tokens-and-limitations).
THROTTLED = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


@pytest.fixture
def private(make_emulator):
    emu = make_emulator(records_per_module=20)
    return emu, Client(emu)


def _is_html(response: requests.Response) -> bool:
    if not response.headers["Content-Type"].startswith("text/html"):
        return False
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()
    return response.text.startswith("<!DOCTYPE html>")


def test_maintenance_page_on_a_status_call_n_times(private):
    emu, client = private
    job_id = client.create("/crm/bulk/v8", LEADS)
    emu.faults.maintenance_page(r"/crm/bulk/v8/read/\d+$", times=2)
    for _ in range(2):
        response = client.get(f"/crm/bulk/v8/read/{job_id}")
        assert response.status_code == 200 and _is_html(response)
    assert client.wait("/crm/bulk/v8", job_id)["state"] == "COMPLETED"


def test_maintenance_page_on_metadata_forever_and_with_another_status(private):
    emu, client = private
    emu.faults.maintenance_page("/settings/fields", times=None)
    for _ in range(3):
        response = client.get("/crm/v8/settings/fields", params={"module": "Leads"})
        assert response.status_code == 200 and _is_html(response)
    emu.faults.clear()
    assert client.get("/crm/v8/settings/fields", params={"module": "Leads"}).json()["fields"]
    emu.faults.maintenance_page(MODULES, status=503)
    response = client.get(MODULES)
    assert response.status_code == 503 and _is_html(response)


def test_maintenance_page_on_the_token_endpoint(private):
    emu, client = private
    emu.faults.maintenance_page(r"^/oauth/v2/token$")
    response = client.grant()
    assert response.status_code == 200 and _is_html(response)
    assert "access_token" in client.grant().json()


def test_wrong_shape_json_on_a_status_call(private):
    emu, client = private
    job_id = client.create("/crm/bulk/v8", LEADS)
    emu.faults.wrong_shape(r"/read/\d+$")
    emu.faults.wrong_shape(r"/read/\d+$", {"data": []}, times=2)
    answers = [client.get(f"/crm/bulk/v8/read/{job_id}") for _ in range(3)]
    assert [(r.status_code, r.json()) for r in answers] == [(200, {}), (200, {"data": []}), (200, {"data": []})]
    assert all(r.headers["Content-Type"].startswith("application/json") for r in answers)
    assert "data" in client.get(f"/crm/bulk/v8/read/{job_id}").json()


def test_invalid_token_then_503_on_the_retry(private):
    emu, client = private
    old = client.token
    emu.faults.invalid_token_then(MODULES)
    first = client.get(MODULES)
    assert (first.status_code, error_code(first)) == (401, "INVALID_TOKEN")
    # the token really died: another path refuses it too, and that call consumed no step
    other = client.get("/crm/v8/settings/fields", params={"module": "Leads"})
    assert (other.status_code, error_code(other)) == (401, "INVALID_TOKEN")
    client._token = None  # the client refreshes (a request the sequence does not match) ...
    assert client.token != old
    retried = client.get(MODULES)  # ... and its retry meets the 503
    assert (retried.status_code, retried.json()["status"]) == (503, "error")
    assert client.get(MODULES).status_code == 200  # the sequence is spent
    assert emu.token_refreshes == 2


def test_invalid_token_then_on_creator_paths_speaks_creator(make_emulator):
    emu = make_emulator(records_per_module=10)
    client = CreatorClient(emu)
    path = f"/api/v2.1/{BENIN}/reports"
    emu.faults.invalid_token_then(path, 503, (502, {"code": 2930, "message": "gateway"}))
    response = client.get(path)
    assert (response.status_code, creator_body(response)["code"]) == (401, 1030)
    client._token = None
    assert [client.get(path).status_code for _ in range(3)] == [503, 502, 200]


def test_sequence_of_any_answers_with_a_method_filter(private):
    emu, client = private
    html = Answer(502, "<html>Bad gateway</html>", {"Content-Type": "text/html"})
    emu.faults.sequence(r"/crm/bulk/v8/read$", [429, (500, {"oops": True}), html], method="POST")
    assert client.get(MODULES).status_code == 200  # other paths take no step
    first = client.post("/crm/bulk/v8/read", {"query": LEADS})
    assert (first.status_code, error_code(first)) == (429, "TOO_MANY_REQUESTS")
    second = client.post("/crm/bulk/v8/read", {"query": LEADS})
    assert (second.status_code, second.json()) == (500, {"oops": True})
    third = client.post("/crm/bulk/v8/read", {"query": LEADS})
    assert (third.status_code, third.headers["Content-Type"], third.text) == (
        502, "text/html", "<html>Bad gateway</html>"
    )
    assert client.post("/crm/bulk/v8/read", {"query": LEADS}).status_code == 201


def test_throttle_refreshes_answers_the_documented_body(private):
    emu, client = private
    emu.faults.throttle_refreshes(2)
    for _ in range(2):
        response = client.grant()
        assert (response.status_code, response.json()) == (400, THROTTLED)
    assert "access_token" in client.grant().json()
    assert emu.token_refreshes == 1
    emu.faults.throttle_refreshes(None)
    assert [client.grant().json() for _ in range(3)] == [THROTTLED] * 3
    emu.faults.clear()
    assert "access_token" in client.grant().json()


def test_throttle_refreshes_uses_throttle_status(make_emulator):
    emu = make_emulator(throttle_status=200)
    emu.faults.throttle_refreshes()
    response = Client(emu).grant(via="form")
    assert (response.status_code, response.json()) == (200, THROTTLED)


def test_hung_token_endpoint_times_out_and_is_released_on_stop(make_emulator):
    emu = make_emulator()
    client = Client(emu)
    token = client.token
    emu.faults.hang(r"^/oauth/v2/token$")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{emu.url}/oauth/v2/token", params=client.token_params(), timeout=0.5)
    assert emu.requests[-1].path == "/oauth/v2/token" and emu.requests[-1].status == 0
    # the APIs still answer, with the token the client already had
    assert requests.get(emu.url + MODULES, headers={"Authorization": f"Zoho-oauthtoken {token}"},
                        timeout=30).status_code == 200
    raw = socket.create_connection(("127.0.0.1", emu.port), timeout=30)
    raw.sendall(b"POST /oauth/v2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    emu.stop()  # releases the held connections without an answer
    try:
        assert raw.recv(1024) == b""
    except ConnectionResetError:
        pass
    finally:
        raw.close()


def test_hang_for_n_requests_only(make_emulator):
    emu = make_emulator()
    emu.faults.hang(MODULES, times=1, method="GET")
    client = Client(emu)
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.http.get(emu.url + MODULES, headers=client.headers(), timeout=0.5)
    assert client.get(MODULES).status_code == 200


def test_refused_url_refuses_connections(make_emulator):
    emu = make_emulator()
    url = emu.refused_url()
    assert url.startswith("http://127.0.0.1:") and url != emu.url
    for _ in range(2):
        with pytest.raises(requests.exceptions.ConnectionError) as caught:
            requests.post(f"{url}/oauth/v2/token", timeout=30)
        assert not isinstance(caught.value, requests.exceptions.Timeout)
    assert Client(emu).get(MODULES).status_code == 200


def test_faults_reach_creator_bulk_paths_too(make_emulator):
    emu = make_emulator(records_per_module=10)
    client = CreatorClient(emu)
    base = bulk(f"{BENIN}/All_Clients")
    job = client.create_job(base)
    emu.faults.maintenance_page(rf"{base}/\d+$")
    response = client.get(f"{base}/{job['id']}")
    assert response.status_code == 200 and _is_html(response)
    assert client.poll(base, job["id"])["status"] == "Completed"
