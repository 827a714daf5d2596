"""Paging: `page` numbers (v2-v6, Bigin) and v7+ page tokens reach every record once."""

from __future__ import annotations

import time

import pytest

from tests.support import Client, error_code


def _by_pages(client: Client, base: str, module: object) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        job, rows = client.export_page(base, {"module": module, "page": page})
        assert job["result"]["page"] == page
        assert job["result"]["count"] == len(rows) - 1
        ids += [row[0] for row in rows[1:]]
        if not job["result"]["more_records"]:
            return ids
        page += 1


def _by_tokens(client: Client, base: str, module: str) -> tuple[list[str], int]:
    job, rows = client.export_page(base, {"module": {"api_name": module}})
    ids = [row[0] for row in rows[1:]]
    jobs = 1
    while job["result"]["more_records"]:
        token = job["result"]["next_page_token"]
        job, rows = client.export_page(base, {"page_token": token})
        ids += [row[0] for row in rows[1:]]
        jobs += 1
    assert "next_page_token" not in job["result"]
    return ids, jobs


@pytest.mark.parametrize(
    ("base", "product", "module"),
    [
        ("/crm/bulk/v2", "crm", "Leads"),
        ("/crm/bulk/v6", "crm", {"api_name": "Sales_Orders"}),
        ("/bigin/bulk/v1", "bigin", "Accounts"),
        ("/bigin/bulk/v2", "bigin", "Products"),
    ],
)
def test_page_numbers_reach_every_record_once(client, emu, base, product, module):
    name = module if isinstance(module, str) else module["api_name"]
    ids = _by_pages(client, base, module)
    expected = [r["id"] for r in emu.dataset.records(product, name)]
    assert len(ids) == len(expected) == 90
    assert sorted(ids) == sorted(expected)


@pytest.mark.parametrize("version", ["v7", "v8"])
def test_page_tokens_reach_every_record_once(client, emu, version):
    ids, jobs = _by_tokens(client, f"/crm/bulk/{version}", "Shipments")
    expected = [r["id"] for r in emu.dataset.records("crm", "Shipments")]
    assert jobs == 3  # 90 records, 40 per page
    assert len(ids) == len(set(ids)) == 90
    assert sorted(ids) == sorted(expected)


def test_page_beyond_the_data_is_empty(client):
    job, rows = client.export_page("/crm/bulk/v2", {"module": "Leads", "page": 5})
    assert job["result"]["count"] == 0 and job["result"]["more_records"] is False
    assert rows == [rows[0]]


def test_order_is_by_id_across_pages_but_shuffled_inside_a_file(client):
    _, first = client.export_page("/crm/bulk/v2", {"module": "Deals", "page": 1})
    _, second = client.export_page("/crm/bulk/v2", {"module": "Deals", "page": 2})
    first_ids = [int(row[0]) for row in first[1:]]
    assert max(first_ids) < min(int(row[0]) for row in second[1:])
    assert first_ids != sorted(first_ids)


def test_v7_page_without_token_is_limited(make_emulator):
    emu = make_emulator(records_per_module=30, page_size=10, page_without_token_limit=20)
    client = Client(emu)
    ok = client.wait(
        "/crm/bulk/v8", client.create("/crm/bulk/v8", {"module": {"api_name": "Leads"}, "page": 2})
    )
    assert ok["result"]["page"] == 2
    response = client.post("/crm/bulk/v8/read", {"query": {"module": {"api_name": "Leads"}, "page": 3}})
    assert (response.status_code, error_code(response)) == (400, "PAGE_RANGE_EXCEEDED")
    assert response.json()["details"] == {"max_limit": 2}
    # the v6 API still pages by number
    assert (
        client.post("/crm/bulk/v6/read", {"query": {"module": {"api_name": "Leads"}, "page": 3}}).status_code
        == 201
    )


def test_page_token_must_be_alone_valid_and_owned(make_emulator):
    emu = make_emulator(records_per_module=30, page_size=10, page_token_ttl=0.5)
    client = Client(emu)
    job = client.wait("/crm/bulk/v8", client.create("/crm/bulk/v8", {"module": {"api_name": "Leads"}}))
    token = job["result"]["next_page_token"]

    def create(query: dict, who: Client = client):
        return who.post("/crm/bulk/v8/read", {"query": query})

    response = create({"page_token": token, "module": {"api_name": "Leads"}})
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST")
    response = create({"page_token": "not-a-token"})
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST")
    assert response.json()["details"] == {"api_name": "page_token"}
    response = client.post("/crm/bulk/v6/read", {"query": {"page_token": token}})
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST")
    emu.add_refresh_token("1000.other.user")
    response = create({"page_token": token}, Client(emu, "1000.other.user"))
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST")
    assert create({"page_token": token}).status_code == 201  # reusable while valid
    time.sleep(0.55)
    response = create({"page_token": token})
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST")


@pytest.mark.parametrize("offsets", [True, False], ids=["offsets", "after-last-id"])
def test_page_tokens_reach_records_added_between_pages(make_emulator, offsets):
    # new records get larger ids, so both token semantics reach them once (deletions tell the
    # two apart: tests/test_mutations.py)
    emu = make_emulator(records_per_module=25, page_size=10, page_token_offsets=offsets)
    client = Client(emu)
    job, rows = client.export_page("/crm/bulk/v8", {"module": {"api_name": "Deals"}})
    seen = [row[0] for row in rows[1:]]
    added = emu.dataset.add_records("crm", "Deals", 3)
    while job["result"]["more_records"]:
        job, rows = client.export_page("/crm/bulk/v8", {"page_token": job["result"]["next_page_token"]})
        seen += [row[0] for row in rows[1:]]
    assert len(seen) == len(set(seen)) == 28
    assert {r["id"] for r in added} <= set(seen)
    assert job["query"]["module"]["api_name"] == "Deals" and job["result"]["page"] == 3
