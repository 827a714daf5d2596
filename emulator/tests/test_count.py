"""The CRM record count API: what it counts, how it refuses, and where it does not exist."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import Client, error_code

WINDOW = "((Created_Time:greater_equal:{start})and(Created_Time:less_than:{end}))"


def _count(client: Client, module: str, ver: str = "v8", **params: str) -> int:
    response = client.get(f"/crm/{ver}/{module}/actions/count", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"count"}
    return body["count"]


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("ver", ["v3", "v4", "v5", "v6", "v7", "v8"])
def test_counts_every_record_of_a_module(client, emu, ver):
    assert _count(client, "Leads", ver) == len(emu.dataset.records("crm", "Leads")) == 90
    assert _count(client, "Notes", ver) == len(emu.dataset.records("crm", "Notes"))


def test_window_criteria_count_what_the_window_holds(client, emu):
    leads = emu.dataset.records("crm", "Leads")
    times = sorted(r["Created_Time"] for r in leads)
    start, end = times[20], times[70]
    expected = sum(1 for r in leads if start <= r["Created_Time"] < end)
    assert expected == 50
    offsets = WINDOW.format(start=start.isoformat(), end=end.astimezone(dt.timezone(dt.timedelta(hours=-7))).isoformat())
    assert _count(client, "Leads", criteria=offsets) == expected
    assert _count(client, "Leads", criteria=WINDOW.format(start=_utc(start), end=_utc(end))) == expected


def test_count_equals_what_a_bulk_job_created_then_exports(make_emulator):
    emu = make_emulator(records_per_module=60, page_size=1000)
    client = Client(emu)
    deals = emu.dataset.records("crm", "Deals")
    pivot = sorted(r["Modified_Time"] for r in deals)[25]
    rest = f"((Modified_Time:greater_equal:{_utc(pivot)})and(Stage:not_equal:Closed Lost))"
    json_criteria = {
        "group_operator": "and",
        "group": [
            {"field": {"api_name": "Modified_Time"}, "comparator": "greater_equal", "value": _utc(pivot)},
            {"field": {"api_name": "Stage"}, "comparator": "not_equal", "value": "Closed Lost"},
        ],
    }
    job, rows = client.export_page("/crm/bulk/v8", {"module": {"api_name": "Deals"}, "criteria": json_criteria})
    assert _count(client, "Deals", criteria=rest) == job["result"]["count"] == len(rows) - 1 > 0
    gone = [row[0] for row in rows[1:4]]
    emu.dataset.delete_records("crm", "Deals", gone)
    assert _count(client, "Deals", criteria=rest) == job["result"]["count"] - 3
    assert _count(client, "Deals") == 57


def test_email_phone_and_word(client, emu):
    leads = emu.dataset.records("crm", "Leads")
    sample = next(r for r in leads if r["Email"])
    assert _count(client, "Leads", email=sample["Email"].upper()) == sum(
        1 for r in leads if (r["Email"] or "").casefold() == sample["Email"].casefold()
    )
    phone = next(r for r in leads if r["Phone"])["Phone"]
    assert _count(client, "Leads", phone=phone) >= 1
    company = next(r for r in leads if r["Company"])["Company"]
    assert _count(client, "Leads", word=company) >= 1


def test_cvid_counts_the_whole_module_and_is_ambiguous_with_a_search(client):
    assert _count(client, "Deals", cvid="5725767000000087501") == 90
    response = client.get(
        "/crm/v8/Deals/actions/count", params={"cvid": "5725767000000087501", "criteria": "(Stage:equals:x)"}
    )
    assert (response.status_code, error_code(response)) == (400, "AMBIGUITY_DURING_PROCESSING")
    assert response.json()["details"] == {"params": ["cvid", "criteria"]}


def test_rejections(client):
    response = client.get("/crm/v8/Nope/actions/count")
    assert (response.status_code, error_code(response)) == (400, "INVALID_MODULE")
    assert response.json()["details"] == {"resource_path_index": 0}
    response = client.get("/crm/v8/Leads/actions/count", params={"criteria": "(Nope:equals:x)"})
    assert (response.status_code, error_code(response)) == (400, "INVALID_QUERY")
    assert response.json()["details"]["api_name"] == "Nope"
    response = client.post("/crm/v8/Leads/actions/count", {})
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST_METHOD")
    response = client.http.get(client.emu.url + "/crm/v8/Leads/actions/count")
    assert (response.status_code, error_code(response)) == (401, "AUTHENTICATION_FAILURE")


@pytest.mark.parametrize(
    "path", ["/crm/v2/Leads/actions/count", "/crm/v2.1/Leads/actions/count", "/bigin/v2/Contacts/actions/count",
             "/bigin/v1/Contacts/actions/count"],
)
def test_no_count_api_before_crm_v3_nor_in_bigin(client, path):
    response = client.get(path)
    assert (response.status_code, error_code(response)) == (404, "INVALID_URL_PATTERN")


def test_count_api_can_be_switched_off(make_emulator):
    client = Client(make_emulator(records_per_module=3, count_api=False))
    response = client.get("/crm/v8/Leads/actions/count")
    assert (response.status_code, error_code(response)) == (404, "INVALID_URL_PATTERN")
    assert client.get("/crm/v8/settings/modules").status_code == 200


def test_scopes(make_emulator):
    emu = make_emulator(records_per_module=4, count_search_scope=True)
    emu.add_refresh_token("1000.leads.only", ["ZohoCRM.modules.leads.READ"])
    emu.add_refresh_token("1000.bulk.only", ["ZohoCRM.bulk.ALL", "ZohoCRM.settings.ALL"])
    emu.add_refresh_token("1000.searcher", ["ZohoCRM.modules.READ", "ZohoSearch.securesearch.READ"])
    leads_only = Client(emu, "1000.leads.only")
    assert _count(leads_only, "Leads") == 4
    for client, path in ((leads_only, "/crm/v8/Deals/actions/count"), (Client(emu, "1000.bulk.only"),
                                                                        "/crm/v8/Leads/actions/count")):
        response = client.get(path)
        assert (response.status_code, error_code(response)) == (401, "OAUTH_SCOPE_MISMATCH")
    # count_search_scope: a search needs ZohoSearch.securesearch.READ as well
    response = leads_only.get("/crm/v8/Leads/actions/count", params={"criteria": "(Company:starts_with:a)"})
    assert (response.status_code, error_code(response)) == (401, "OAUTH_SCOPE_MISMATCH")
    assert _count(Client(emu, "1000.searcher"), "Leads", word="zz-no-such-word") == 0
    # by default the module scope is enough
    default = make_emulator(records_per_module=4)
    default.add_refresh_token("1000.leads.only", ["ZohoCRM.modules.leads.READ"])
    assert _count(Client(default, "1000.leads.only"), "Leads", criteria="(Company:starts_with:zz-none)") == 0
