"""CRM's and Bigin's deleted-records API: what it lists, in pages, since when, and how it refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from zoho_emulator import Dataset

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


@pytest.mark.parametrize(
    ("params", "since"),
    [
        ({"type": "trash"}, None),
        ({"per_page": "201"}, None),
        ({"page": "0"}, None),
        ({"page": "x"}, None),
        ({}, "yesterday"),
        ({}, "2025-03-01T08:00:00"),
    ],
)
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


def test_deleted_time_is_rendered_in_the_orgs_offset(make_emulator):
    india = make_emulator(dataset=Dataset.generate(seed=3, records_per_module=5))  # Asia/Kolkata
    pacific = make_emulator(
        dataset=Dataset.generate(seed=3, records_per_module=5, timezone="America/Los_Angeles")
    )
    for emu, rendered in ((india, "2025-03-01T13:30:00+05:30"), (pacific, "2025-03-01T00:00:00-08:00")):
        delete_at(emu, "crm", "Leads", [0], T0)
        (entry,) = deleted(Client(emu), "/crm/v8/Leads/deleted").json()["data"]
        assert entry["deleted_time"] == rendered


def test_an_entry_says_who_deleted_what(make_emulator):
    emu = make_emulator(records_per_module=5)
    record = emu.dataset.records("crm", "Leads")[2]
    delete_at(emu, "crm", "Leads", [2], T0)
    answer = deleted(Client(emu), "/crm/v8/Leads/deleted")
    assert answer.json()["info"] == {"per_page": 200, "count": 1, "page": 1, "more_records": False}
    (entry,) = answer.json()["data"]
    creator = emu.dataset.user("crm", record["Created_By"])
    assert entry["id"] == record["id"] and entry["type"] == "recycle"
    assert entry["created_by"] == {"id": creator["id"], "name": creator["name"]}
    assert entry["display_name"] == " ".join(p for p in (record.get("First_Name"), record["Last_Name"]) if p)


def test_deletions_of_one_second_are_listed_highest_id_first(make_emulator):
    emu = make_emulator(records_per_module=10)
    ids = delete_at(emu, "crm", "Leads", [1, 4, 7], T0)
    listed = [e["id"] for e in deleted(Client(emu), "/crm/v8/Leads/deleted").json()["data"]]
    assert listed == sorted(ids, key=int, reverse=True)


def test_the_type_filter_tells_recycled_from_permanent(make_emulator):
    emu = make_emulator(records_per_module=10)
    leads = emu.dataset.records("crm", "Leads")
    recycled, purged = leads[0]["id"], leads[1]["id"]
    emu.dataset.delete_records("crm", "Leads", [recycled], deleted_time=T0)
    emu.dataset.delete_records(
        "crm", "Leads", [purged], deleted_time=T0 + dt.timedelta(seconds=1), type="permanent"
    )
    client = Client(emu)

    def listed(**params):
        return [
            (e["id"], e["type"]) for e in deleted(client, "/crm/v8/Leads/deleted", **params).json()["data"]
        ]

    assert listed() == listed(type="all") == [(purged, "permanent"), (recycled, "recycle")]
    assert listed(type="recycle") == [(recycled, "recycle")]
    assert listed(type="permanent") == [(purged, "permanent")]
    with pytest.raises(ValueError, match="type"):
        emu.dataset.delete_records("crm", "Leads", [leads[2]["id"]], type="trash")


@pytest.mark.parametrize(
    "path",
    [
        *(f"/crm/{v}/Leads/deleted" for v in ("v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8")),
        "/bigin/v1/Contacts/deleted",
        "/bigin/v2/Contacts/deleted",
    ],
)
def test_every_rest_version_serves_it(make_emulator, path):
    emu = make_emulator(records_per_module=5)
    product, module = path.split("/")[1], path.split("/")[3]
    (gone,) = delete_at(emu, product, module, [0], T0)
    answer = deleted(Client(emu), path)
    assert answer.status_code == 200 and [e["id"] for e in answer.json()["data"]] == [gone]


@pytest.mark.parametrize(
    "path", ["/crm/v1/Leads/deleted", "/crm/v9/Leads/deleted", "/bigin/v3/Contacts/deleted"]
)
def test_versions_the_product_lacks_are_unknown_urls(make_emulator, path):
    emu = make_emulator(records_per_module=3)
    answer = deleted(Client(emu), path)
    assert (answer.status_code, error_code(answer)) == (404, "INVALID_URL_PATTERN")


@pytest.mark.parametrize(
    ("params", "since", "details"),
    [
        ({"type": "Recycle"}, None, {"param_name": "type"}),
        ({"per_page": "0"}, None, {"param_name": "per_page"}),
        ({"per_page": "-1"}, None, {"param_name": "per_page"}),
        ({"per_page": "2.5"}, None, {"param_name": "per_page"}),
        ({"page": "\u00b2"}, None, {"param_name": "page"}),  # a digit to str.isdigit(), not a number
        ({"page": ""}, None, {"param_name": "page"}),
        ({}, "Sat, 01 Mar 2025 08:00:00 GMT", {"header_name": "If-Modified-Since"}),
    ],
)
def test_refusals_name_what_was_wrong(make_emulator, params, since, details):
    emu = make_emulator(records_per_module=3)
    answer = deleted(Client(emu), "/crm/v8/Leads/deleted", since=since, **params)
    assert (answer.status_code, error_code(answer)) == (400, "INVALID_DATA")
    assert details.items() <= answer.json()["details"].items()


def test_per_page_200_is_the_maximum_and_a_page_past_the_end_is_204(make_emulator):
    emu = make_emulator(records_per_module=5)
    delete_at(emu, "crm", "Leads", [0, 1], T0)
    client = Client(emu)
    answer = deleted(client, "/crm/v8/Leads/deleted", per_page="200")
    assert answer.json()["info"] == {"per_page": 200, "count": 2, "page": 1, "more_records": False}
    past = deleted(client, "/crm/v8/Leads/deleted", page="2")
    assert (past.status_code, past.content) == (204, b"")


def test_modules_the_api_does_not_offer(make_emulator):
    emu = make_emulator(records_per_module=3)
    client = Client(emu)
    for path in ("/crm/v8/Visits/deleted", "/bigin/v2/Leads/deleted"):  # api_supported false; not Bigin's
        answer = deleted(client, path)
        assert (answer.status_code, error_code(answer)) == (400, "INVALID_MODULE"), path
        assert answer.json()["details"] == {"resource_path_index": 0}


def test_tokens_and_scopes(make_emulator):
    emu = make_emulator(records_per_module=3)
    bad = requests_get(emu, "/crm/v8/Leads/deleted", "Zoho-oauthtoken 1000.not.a.token")
    assert (bad.status_code, error_code(bad)) == (401, "INVALID_TOKEN")
    missing = requests_get(emu, "/crm/v8/Leads/deleted", None)
    assert (missing.status_code, error_code(missing)) == (401, "AUTHENTICATION_FAILURE")
    grants = {
        "1000.all.modules": ["ZohoCRM.modules.ALL"],
        "1000.leads.only": ["ZohoCRM.modules.leads.READ"],
        "1000.bulk.only": ["ZohoCRM.bulk.ALL", "ZohoCRM.settings.ALL"],
        "1000.bigin.modules": ["ZohoBigin.modules.ALL"],
    }
    for token, scopes in grants.items():
        emu.add_refresh_token(token, scopes)
    expected = {
        ("1000.all.modules", "/crm/v8/Deals/deleted"): 204,
        ("1000.leads.only", "/crm/v8/Leads/deleted"): 204,
        ("1000.leads.only", "/crm/v8/Deals/deleted"): 401,
        ("1000.bulk.only", "/crm/v8/Leads/deleted"): 401,
        ("1000.bigin.modules", "/bigin/v2/Contacts/deleted"): 204,
        ("1000.bigin.modules", "/crm/v8/Leads/deleted"): 401,
    }
    for (token, path), status in expected.items():
        answer = deleted(Client(emu, token), path)
        assert answer.status_code == status, (token, path)
        if status == 401:
            assert error_code(answer) == "OAUTH_SCOPE_MISMATCH"


def test_a_deleted_record_is_absent_from_the_exported_csv(make_emulator):
    emu = make_emulator(records_per_module=6)
    before = emu.dataset.records("bigin", "Contacts")
    (gone,) = delete_at(emu, "bigin", "Contacts", [2], T0)
    client = Client(emu)
    job = client.create("/bigin/bulk/v2", {"module": "Contacts", "fields": ["Last_Name"]})
    client.wait("/bigin/bulk/v2", job)
    rows = client.download("/bigin/bulk/v2", job)
    exported = {row[rows[0].index("id")] for row in rows[1:]}
    assert exported == {r["id"] for r in before} - {gone}


def requests_get(emu, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    return Client(emu).http.get(emu.url + path, headers=headers, timeout=10)
