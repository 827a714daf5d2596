"""CRM's and Bigin's deleted-records API: what it lists, in pages, since when, and how it refuses."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import Client, error_code

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)


def deleted(client: Client, path: str, since: str | None = None, **params):
    extra = {"If-Modified-Since": since} if since else {}
    return client.http.get(client.emu.url + path, params=params, headers=client.headers(**extra), timeout=10)


def delete_at(emu, product, module, indexes, moment):
    ids = [emu.dataset.records(product, module)[i]["id"] for i in indexes]
    emu.dataset.delete_records(product, module, ids, deleted_time=moment)
    return ids


def test_pages_list_the_newest_deletions_first_then_204(make_emulator):
    emu = make_emulator(records_per_module=10)
    ids = [delete_at(emu, "crm", "Leads", [0], T0 + dt.timedelta(seconds=n))[0] for n in range(5)]
    client = Client(emu)
    pages = [deleted(client, "/crm/v8/Leads/deleted", per_page="2", page=str(n)) for n in (1, 2, 3, 4)]
    assert [p.status_code for p in pages] == [200, 200, 200, 204] and pages[3].content == b""
    listed = [e["id"] for p in pages[:3] for e in p.json()["data"]]
    assert listed == ids[::-1]
    assert [p.json()["info"] for p in pages[:3]] == [
        {"per_page": 2, "count": 2, "page": 1, "more_records": True},
        {"per_page": 2, "count": 2, "page": 2, "more_records": True},
        {"per_page": 2, "count": 1, "page": 3, "more_records": False},
    ]
    entry = pages[0].json()["data"][0]
    assert set(entry) == {"deleted_by", "id", "display_name", "type", "created_by", "deleted_time"}
    assert entry["type"] == "recycle" and set(entry["deleted_by"]) == {"id", "name"}
    assert dt.datetime.fromisoformat(entry["deleted_time"]) == T0 + dt.timedelta(seconds=4)


def test_if_modified_since_keeps_the_deletions_strictly_after_it_in_any_offset(make_emulator):
    emu = make_emulator(records_per_module=10)
    at = delete_at(emu, "crm", "Deals", [0], T0)
    later = delete_at(emu, "crm", "Deals", [0], T0 + dt.timedelta(seconds=1))
    client = Client(emu)
    for since in ("2025-03-01T08:00:00+00:00", "2025-03-01T13:30:00+05:30", "2025-03-01T08:00:00Z"):
        answer = deleted(client, "/crm/v2/Deals/deleted", since=since)
        assert [e["id"] for e in answer.json()["data"]] == later, since
    earlier = deleted(client, "/crm/v2/Deals/deleted", since="2025-03-01T07:59:59+00:00")
    assert [e["id"] for e in earlier.json()["data"]] == later + at
    none = deleted(client, "/crm/v2/Deals/deleted", since="2025-03-01T08:00:01+00:00")
    assert none.status_code == 204


def test_bigin_lists_its_own_deletions(make_emulator):
    emu = make_emulator(records_per_module=10)
    ids = delete_at(emu, "bigin", "Contacts", [1, 2], T0)
    answer = deleted(Client(emu), "/bigin/v2/Contacts/deleted", type="all")
    assert sorted(e["id"] for e in answer.json()["data"]) == sorted(ids)
    assert deleted(Client(emu), "/crm/v8/Contacts/deleted").status_code == 204  # CRM's Contacts: none


def test_the_type_filter_and_nothing_deleted(make_emulator):
    emu = make_emulator(records_per_module=10)
    client = Client(emu)
    assert deleted(client, "/crm/v8/Leads/deleted").status_code == 204
    delete_at(emu, "crm", "Leads", [0], T0)
    assert deleted(client, "/crm/v8/Leads/deleted", type="recycle").status_code == 200
    assert deleted(client, "/crm/v8/Leads/deleted", type="permanent").status_code == 204


@pytest.mark.parametrize(("params", "since"), [
    ({"type": "trash"}, None), ({"per_page": "201"}, None), ({"page": "0"}, None), ({"page": "x"}, None),
    ({}, "yesterday"), ({}, "2025-03-01T08:00:00"),
])
def test_bad_parameters_are_refused(make_emulator, params, since):
    emu = make_emulator(records_per_module=5)
    answer = deleted(Client(emu), "/crm/v8/Leads/deleted", since=since, **params)
    assert answer.status_code == 400 and error_code(answer) == "INVALID_DATA"


def test_unknown_modules_tokens_and_methods(make_emulator):
    emu = make_emulator(records_per_module=5)
    client = Client(emu)
    assert error_code(deleted(client, "/crm/v8/Nope/deleted")) == "INVALID_MODULE"
    anonymous = client.http.get(emu.url + "/crm/v8/Leads/deleted", timeout=10)
    assert anonymous.status_code == 401
    post = client.http.post(emu.url + "/crm/v8/Leads/deleted", headers=client.headers(), timeout=10)
    assert error_code(post) == "INVALID_REQUEST_METHOD"


def test_a_deleted_record_leaves_later_exports(make_emulator):
    emu = make_emulator(records_per_module=10)
    (gone,) = delete_at(emu, "crm", "Leads", [3], T0)
    client = Client(emu)
    job = client.create("/crm/bulk/v8", {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]})
    status = client.wait("/crm/bulk/v8", job)
    assert status["result"]["count"] == 9
    assert gone not in {r["id"] for r in emu.dataset.records("crm", "Leads")}
