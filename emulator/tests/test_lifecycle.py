"""Jobs that never finish, results that go away, and the job log that measures it all."""

from __future__ import annotations

import time

import pytest

from tests.support import BENIN, Client, CreatorClient, bulk, creator_body, error_code

CRM8 = "/crm/bulk/v8"
LEADS = {"module": {"api_name": "Leads"}}
CLIENTS = f"{BENIN}/All_Clients"


def _state(client: Client, base: str, job_id: str) -> str:
    response = client.get(f"{base}/read/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()["data"][0]["state"]


def _gone(response, job_id: str) -> None:
    assert (response.status_code, error_code(response)) == (404, "RESOURCE_NOT_FOUND")
    assert response.json()["details"] == {"resource": job_id}


def _creator_gone(response) -> None:
    assert response.status_code == 404
    assert creator_body(response)["code"] == 1000


# ------------------------------------------------------------------ faults.stall_next_jobs
@pytest.mark.parametrize("base", [CRM8, "/bigin/bulk/v1"])
def test_stalled_jobs_stay_in_progress(make_emulator, base):
    emu = make_emulator(records_per_module=3, job_duration=0.05)
    client = Client(emu)
    module = LEADS if base == CRM8 else {"module": "Contacts"}
    emu.faults.stall_next_jobs(1)
    stalled = client.create(base, module)
    later = client.create(base, module)
    assert client.wait(base, later)["state"] == "COMPLETED"  # created after, with the same duration
    assert _state(client, base, stalled) == "IN PROGRESS"
    early = client.get(f"{base}/read/{stalled}/result")
    assert (early.status_code, error_code(early)) == (400, "RESOURCE_NOT_FOUND")
    assert client.wait(base, client.create(base, module))["state"] == "COMPLETED"  # n=1


def test_stalled_creator_job_stays_in_progress(make_emulator):
    emu = make_emulator(records_per_module=3, job_duration=0.05)
    client = CreatorClient(emu)
    base = bulk(CLIENTS)
    emu.faults.stall_next_jobs(1)
    stalled = client.create_job(base)["id"]
    assert client.poll(base, client.create_job(base)["id"])["status"] == "Completed"
    assert creator_body(client.get(f"{base}/{stalled}"))["details"]["status"] == "In-progress"


# ------------------------------------------------------------------ faults.expire_next_results
def test_expired_result_fault_on_crm(make_emulator):
    emu = make_emulator(records_per_module=3, job_duration=0)
    client = Client(emu)
    emu.faults.stall_next_jobs(1)
    unfinished = client.create(CRM8, LEADS)
    job_id = client.create(CRM8, LEADS)
    client.wait(CRM8, job_id)
    emu.faults.expire_next_results(1)
    assert client.get(f"{CRM8}/read/{unfinished}/result").status_code == 400  # not completed: not consumed
    _gone(client.get(f"{CRM8}/read/{job_id}/result"), job_id)
    _gone(client.get(f"{CRM8}/read/{job_id}"), job_id)
    _gone(client.get(f"{CRM8}/read/{job_id}/result"), job_id)
    other = client.create(CRM8, LEADS)
    client.wait(CRM8, other)
    assert len(client.download(CRM8, other)) == 4  # n=1


def test_expired_result_fault_on_creator(make_emulator):
    emu = make_emulator(records_per_module=3, job_duration=0)
    client = CreatorClient(emu)
    base = bulk(CLIENTS)
    done = client.poll(base, client.create_job(base)["id"])
    emu.faults.expire_next_results(1)
    _creator_gone(client.get(done["result"]["download_url"]))
    _creator_gone(client.get(f"{base}/{done['id']}"))
    again = client.poll(base, client.create_job(base)["id"])
    rows, _ = client.fetch(again["result"]["download_url"])
    assert len(rows) == 4


# ------------------------------------------------------------------ result_ttl
def test_result_ttl_zero_drops_results_on_completion(make_emulator):
    emu = make_emulator(records_per_module=3, job_duration=0, result_ttl=0)
    client = Client(emu)
    job_id = client.create(CRM8, LEADS)
    _gone(client.get(f"{CRM8}/read/{job_id}"), job_id)
    _gone(client.get(f"{CRM8}/read/{job_id}/result"), job_id)


def test_result_ttl_counts_from_completion(make_emulator):
    ttl = 2.0
    emu = make_emulator(records_per_module=3, job_duration=0.05, result_ttl=ttl)
    client = Client(emu)
    job_id = client.create(CRM8, LEADS)
    client.wait(CRM8, job_id)
    assert len(client.download(CRM8, job_id)) == 4
    deadline = time.monotonic() + 30
    while client.get(f"{CRM8}/read/{job_id}").status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    gone_at = time.time()
    _gone(client.get(f"{CRM8}/read/{job_id}/result"), job_id)
    (entry,) = emu.job_log()
    assert entry.completed_at is not None and gone_at >= entry.completed_at + ttl


def test_results_are_kept_by_default(make_emulator):
    emu = make_emulator(records_per_module=3, job_duration=0)
    assert emu.options.result_ttl is None
    client = Client(emu)
    job_id = client.create(CRM8, LEADS)
    client.wait(CRM8, job_id)
    assert [len(client.download(CRM8, job_id)) for _ in range(3)] == [4, 4, 4]


# ------------------------------------------------------------------ job_log
def test_job_log_of_a_crm_export(make_emulator):
    emu = make_emulator(records_per_module=25, page_size=10, job_duration=0.05)
    client = Client(emu)
    before = time.time()
    job_id = client.create(CRM8, LEADS)
    job = client.wait(CRM8, job_id)
    statuses = sum(1 for r in emu.requests if r.path == f"{CRM8}/read/{job_id}")
    client.download(CRM8, job_id)
    client.download(CRM8, job_id)
    after = time.time()
    (entry,) = emu.job_log()
    assert (entry.job_id, entry.product, entry.module) == (job_id, "crm", "Leads")
    assert before <= entry.created_at <= after
    assert entry.completed_at == pytest.approx(entry.created_at + 0.05)
    assert entry.first_completed_status_at is not None
    assert entry.completed_at <= entry.first_completed_status_at <= after
    assert entry.status_calls == statuses
    assert len(entry.downloaded_at) == 2
    assert entry.first_completed_status_at <= entry.downloaded_at[0] <= entry.downloaded_at[1] <= after
    assert entry.more_records is True and job["result"]["more_records"] is True
    assert (entry.failed, entry.stalled) == (False, False)
    entry.downloaded_at.append(0.0)  # a copy
    assert len(emu.job_log()[0].downloaded_at) == 2


def test_job_log_min_polls_failures_stalls_and_creator(make_emulator):
    emu = make_emulator(records_per_module=3, job_duration=0, min_polls=3)
    client = Client(emu)
    job_id = client.create("/bigin/bulk/v2", {"module": "Contacts"})
    for _ in range(2):
        assert _state(client, "/bigin/bulk/v2", job_id) == "IN PROGRESS"
    assert emu.job_log()[0].completed_at is None  # two polls of three
    third = time.time()
    assert _state(client, "/bigin/bulk/v2", job_id) == "COMPLETED"
    (entry,) = emu.job_log()
    assert entry.product == "bigin" and entry.status_calls == 3 and entry.more_records is False
    assert entry.completed_at is not None and entry.first_completed_status_at is not None
    assert third <= entry.completed_at <= entry.first_completed_status_at
    emu.faults.stall_next_jobs(1)
    stalled = client.create(CRM8, LEADS)
    emu.faults.fail_next_jobs(1)
    failed = client.create(CRM8, LEADS)
    base = bulk(CLIENTS)
    creator = CreatorClient(emu)
    creator_job = creator.poll(base, creator.create_job(base)["id"])
    creator.fetch(creator_job["result"]["download_url"])
    for _ in range(3):
        _state(client, CRM8, failed)
    log = {e.job_id: e for e in emu.job_log()}
    assert [e.job_id for e in emu.job_log()] == [job_id, stalled, failed, creator_job["id"]]
    assert log[stalled].stalled and log[stalled].completed_at is None
    assert log[failed].failed and log[failed].completed_at is not None
    assert log[failed].first_completed_status_at is None  # it never said COMPLETED
    made = log[creator_job["id"]]
    assert (made.product, made.module, made.status_calls) == ("creator", CLIENTS, 3)
    assert made.first_completed_status_at is not None and len(made.downloaded_at) == 1
    assert made.more_records is False
