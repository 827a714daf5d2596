"""Changing the data at a chosen moment: deletions, completion hooks, and what page tokens make of them."""

from __future__ import annotations

import datetime as dt

import pytest
from zoho_emulator import Dataset

from tests.support import BENIN, Client, CreatorClient, bulk

CRM8 = "/crm/bulk/v8"
IST = dt.timedelta(hours=5, minutes=30)


# ------------------------------------------------------------------ Dataset.delete_records
def test_delete_records_remembers_each_deletion():
    data = Dataset.generate(seed=5, records_per_module=6)
    leads = data.records("crm", "Leads")
    when = dt.datetime(2025, 3, 1, 12, 0, 0, 750_000, tzinfo=dt.UTC)
    entries = data.delete_records("crm", "Leads", [leads[0]["id"], leads[1]["id"]], deleted_time=when)
    assert [r["id"] for r in data.records("crm", "Leads")] == [r["id"] for r in leads[2:]]
    user = data.current_user("crm")
    creator = next(u for u in data.users("crm") if u["id"] == leads[0]["Created_By"])
    first = entries[0]
    assert set(first) == {"id", "display_name", "deleted_time", "deleted_by", "created_by", "type"}
    assert first["id"] == leads[0]["id"] and first["type"] == "recycle"
    assert first["display_name"] == " ".join(p for p in (leads[0]["First_Name"], leads[0]["Last_Name"]) if p)
    assert first["deleted_by"] == {"id": user["id"], "name": user["name"]}
    assert first["created_by"] == {"id": creator["id"], "name": creator["name"]}
    assert first["deleted_time"] == when.replace(microsecond=0)
    assert first["deleted_time"].utcoffset() == IST  # the org's offset, whole seconds
    assert data.deleted("crm", "Leads") == entries
    assert data.deleted("crm", "Deals") == []
    deal = data.records("bigin", "Pipelines")[0]
    (entry,) = data.delete_records("bigin", "Pipelines", [deal["id"]])
    assert entry["display_name"] == deal["Deal_Name"]
    now = dt.datetime.now(dt.UTC)
    assert abs((entry["deleted_time"] - now).total_seconds()) < 5


def test_delete_records_refuses_unknown_ids_and_naive_times():
    data = Dataset.generate(seed=5, records_per_module=3)
    with pytest.raises(KeyError):
        data.delete_records("crm", "Leads", ["1"])
    assert len(data.records("crm", "Leads")) == 3  # nothing deleted
    with pytest.raises(ValueError, match="timezone-aware"):
        data.delete_records("crm", "Leads", [data.records("crm", "Leads")[0]["id"]], dt.datetime(2025, 1, 1))
    report = data.creator_reports()[0]
    with pytest.raises(KeyError):
        data.delete_records("creator", report, ["1"])
    with pytest.raises(ValueError, match="CRM and Bigin"):
        data.delete_records("creator", report, [data.records("creator", report)[0]["ID"]], type="permanent")
    assert len(data.records("creator", report)) == 3  # nothing deleted


def test_creator_deletions_leave_every_report_of_the_form():
    data = Dataset.generate(seed=5, records_per_module=4)
    offers, pipeline = f"{BENIN}/Tous_les_Offres", f"{BENIN}/Pipeline_Commercial"
    assert data.creator_report(offers)["form"] == data.creator_report(pipeline)["form"]
    victim = data.records("creator", offers)[1]["ID"]
    (entry,) = data.delete_records("creator", offers, [victim, victim])
    assert entry["id"] == victim and entry["deleted_time"].tzinfo is not None
    for report in (offers, pipeline):
        ids = [r["ID"] for r in data.records("creator", report)]
        assert len(ids) == 3 and victim not in ids


def test_deleted_records_leave_later_exports_but_not_earlier_jobs(make_emulator):
    emu = make_emulator(records_per_module=10, page_size=1000, job_duration=0)
    client = Client(emu)
    before = client.create(CRM8, {"module": {"api_name": "Contacts"}})
    victims = [r["id"] for r in emu.dataset.records("crm", "Contacts")[:4]]
    emu.dataset.delete_records("crm", "Contacts", victims)
    _, rows = client.export_page(CRM8, {"module": {"api_name": "Contacts"}})
    assert {row[0] for row in rows[1:]} == {r["id"] for r in emu.dataset.records("crm", "Contacts")}
    assert not set(victims) & {row[0] for row in rows[1:]}
    assert client.wait(CRM8, before)["result"]["count"] == 10  # the snapshot was taken before
    assert len(client.download(CRM8, before)) == 11


# ------------------------------------------------------------------ faults.on_completed
def test_on_completed_runs_once_before_the_first_completed_answer(make_emulator):
    emu = make_emulator(records_per_module=5, job_duration=0)
    client = Client(emu)
    calls: list[int] = []

    def action(dataset: Dataset) -> None:
        calls.append(len(dataset.records("crm", "Leads")))
        dataset.delete_records("crm", "Leads", [dataset.records("crm", "Leads")[0]["id"]])

    emu.faults.on_completed("crm", "Leads", action)
    other = client.wait(CRM8, client.create(CRM8, {"module": {"api_name": "Deals"}}))
    assert other["state"] == "COMPLETED" and calls == []  # another module
    job_id = client.create(CRM8, {"module": {"api_name": "Leads"}})
    job = client.wait(CRM8, job_id)
    assert calls == [5] and job["result"]["count"] == 5  # its own result is frozen
    client.wait(CRM8, job_id)
    again = client.wait(CRM8, client.create(CRM8, {"module": {"api_name": "Leads"}}))
    assert calls == [5] and again["result"]["count"] == 4  # times=1


def test_on_completed_for_creator_reports(make_emulator):
    emu = make_emulator(records_per_module=3, job_duration=0)
    client = CreatorClient(emu)
    path = f"{BENIN}/All_Clients"
    emu.faults.on_completed("creator", path, lambda dataset: dataset.add_records("creator", path, 2), times=None)
    base = bulk(path)
    first = client.poll(base, client.create_job(base)["id"])
    assert first["result"]["count"] == 3 and len(emu.dataset.records("creator", path)) == 5
    second = client.poll(base, client.create_job(base)["id"])
    assert second["result"]["count"] == 5 and len(emu.dataset.records("creator", path)) == 7


# ------------------------------------------------------------------ page tokens and deletions
def _export_by_tokens(emu, client: Client, module: str, delete_after_first: int) -> list[str]:
    """Every id a v8 token export yields when ``delete_after_first`` records of page 1 are
    deleted right as page 1 completes."""
    ids: list[str] = []

    def delete_some(dataset: Dataset) -> None:
        first_page = sorted(dataset.records("crm", module), key=lambda r: int(r["id"]))[:10]
        dataset.delete_records("crm", module, [r["id"] for r in first_page[:delete_after_first]])

    emu.faults.on_completed("crm", module, delete_some)
    job, rows = client.export_page(CRM8, {"module": {"api_name": module}})
    ids += [row[0] for row in rows[1:]]
    while job["result"]["more_records"]:
        job, rows = client.export_page(CRM8, {"page_token": job["result"]["next_page_token"]})
        ids += [row[0] for row in rows[1:]]
    return ids


def test_page_token_offsets_shift_records_past_a_deletion(make_emulator):
    emu = make_emulator(records_per_module=25, page_size=10)
    client = Client(emu)
    everything = sorted((r["id"] for r in emu.dataset.records("crm", "Deals")), key=int)
    ids = _export_by_tokens(emu, client, "Deals", delete_after_first=4)
    assert len(ids) == len(set(ids)) == 21  # page 2 started 4 records later than page 1 ended
    assert set(everything) - set(ids) == set(everything[10:14])


def test_page_tokens_after_the_last_id_miss_nothing(make_emulator):
    emu = make_emulator(records_per_module=25, page_size=10, page_token_offsets=False)
    client = Client(emu)
    everything = {r["id"] for r in emu.dataset.records("crm", "Deals")}
    ids = _export_by_tokens(emu, client, "Deals", delete_after_first=4)
    assert len(ids) == len(set(ids)) == 25 and set(ids) == everything


def test_page_numbers_shift_like_offset_tokens(make_emulator):
    emu = make_emulator(records_per_module=25, page_size=10)
    client = Client(emu)
    everything = sorted((r["id"] for r in emu.dataset.records("crm", "Deals")), key=int)
    emu.faults.on_completed(
        "crm", "Deals", lambda dataset: dataset.delete_records("crm", "Deals", everything[:4])
    )
    _, page1 = client.export_page("/crm/bulk/v6", {"module": {"api_name": "Deals"}, "page": 1})
    _, page2 = client.export_page("/crm/bulk/v6", {"module": {"api_name": "Deals"}, "page": 2})
    assert {row[0] for row in page2[1:]} == set(everything[14:24])
    assert len(page1) == 11
