"""Deleted records (`include_deleted`): `<stream>_deleted` per CRM / Bigin module emits each deletion
once, incrementally, with deleted_time in UTC; the bulk streams no longer carry deleted records."""

from __future__ import annotations

from tests.support.emulators import tap_config
from tests.support.expected import assert_records_match, utc_text
from tests.support.tap_process import discover, next_second, run_tap


def expected_deletions(emulator, product, module, ids):
    """The deletions of `ids` as the tap must emit them, from the emulator's own record of them."""
    entries = {e["id"]: e for e in emulator.dataset.deleted(product, module)}
    return {
        record_id: {
            "id": record_id,
            "display_name": entries[record_id]["display_name"],
            "type": entries[record_id]["type"],
            "deleted_time": utc_text(entries[record_id]["deleted_time"]),
            "deleted_by": entries[record_id]["deleted_by"],
            "created_by": entries[record_id]["created_by"],
        }
        for record_id in ids
    }


def emitted(run, stream):
    records = run.records.get(stream, [])
    by_id = {r["id"]: r for r in records}
    assert len(by_id) == len(records), f"{stream}: a deletion emitted twice"
    return by_id


def delete(emulator, product, module, indexes):
    ids = [emulator.dataset.records(product, module)[i]["id"] for i in indexes]
    emulator.dataset.delete_records(product, module, ids)
    return ids


def test_each_deletion_is_emitted_once_by_the_run_after_it(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=30)
    config = tap_config(emulator, crm_modules=["Leads", "Deals"], bigin_modules=["Contacts"], include_deleted=True)
    first_leads = delete(emulator, "crm", "Leads", [0, 5, 7])
    first_contacts = delete(emulator, "bigin", "Contacts", [2])
    next_second()
    first = run_tap(tmp_path / "1", config)
    assert_records_match(first, emulator, "crm", ["Leads", "Deals"])  # the deleted ones are gone
    assert not set(first_leads) & {r["id"] for r in first.records["crm_leads"]}
    assert emitted(first, "crm_leads_deleted") == expected_deletions(emulator, "crm", "Leads", first_leads)
    assert emitted(first, "bigin_contacts_deleted") == expected_deletions(emulator, "bigin", "Contacts",
                                                                         first_contacts)
    assert emitted(first, "crm_deals_deleted") == {}
    schemas = first.schemas()
    assert schemas["crm_leads_deleted"]["properties"]["deleted_time"]["format"] == "date-time"
    keys = {m["stream"]: m["key_properties"] for m in first.messages if m["type"] == "SCHEMA"}
    assert keys["crm_leads_deleted"] == ["id"]
    bookmark = first.final_state["bookmarks"]["crm_leads_deleted"]
    assert bookmark["replication_key"] == "deleted_time"

    second_leads = delete(emulator, "crm", "Leads", [1, 2])
    second_deals = delete(emulator, "crm", "Deals", [4])
    next_second()
    second = run_tap(tmp_path / "2", config, state=first.final_state)
    assert second.exit_code == 0, second.stderr[-3000:]
    assert emitted(second, "crm_leads_deleted") == expected_deletions(emulator, "crm", "Leads", second_leads)
    assert emitted(second, "crm_deals_deleted") == expected_deletions(emulator, "crm", "Deals", second_deals)
    assert emitted(second, "bigin_contacts_deleted") == {}
    assert second.final_state["bookmarks"]["crm_leads_deleted"]["replication_key_value"] > bookmark[
        "replication_key_value"]

    third = run_tap(tmp_path / "3", config, state=second.final_state)  # nothing new: nothing again
    assert third.exit_code == 0 and not any(third.records.get(s) for s in
                                            ("crm_leads_deleted", "crm_deals_deleted", "bigin_contacts_deleted"))


def test_deletions_over_many_pages_are_all_emitted_once(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=10, data={"module_counts": {("crm", "Leads"): 460}})
    ids = delete(emulator, "crm", "Leads", range(0, 450))
    next_second()
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"], include_deleted=True))
    assert run.exit_code == 0, run.stderr[-3000:]
    assert emitted(run, "crm_leads_deleted") == expected_deletions(emulator, "crm", "Leads", ids)
    pages = [r for r in emulator.requests if r.path.endswith("/Leads/deleted")]
    assert [r.query.get("page") for r in pages] == ["1", "2", "3"]
    assert {r.query.get("per_page") for r in pages} == {"200"} and {r.query.get("type") for r in pages} == {"all"}
    rows, _ = run.summary()
    assert rows["crm_leads_deleted"] == (450, 3, 0, 0)  # the API's pages of 200; no bulk job


def test_without_include_deleted_there_are_no_deleted_streams_and_no_calls(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=10)
    delete(emulator, "crm", "Leads", [0])
    catalog = discover(tmp_path / "d", tap_config(emulator, crm_modules=["Leads"]))
    assert [s["tap_stream_id"] for s in catalog["streams"]] == ["crm_leads"]
    run = run_tap(tmp_path, tap_config(emulator, crm_modules=["Leads"]))
    assert run.exit_code == 0 and "crm_leads_deleted" not in run.records
    assert not [r for r in emulator.requests if r.path.endswith("/deleted")]


def test_a_discovered_catalog_drives_the_deleted_streams(tmp_path, make_emulator):
    emulator = make_emulator(records_per_module=10)
    config = tap_config(emulator, crm_modules=["Leads"], include_deleted=True)
    catalog = discover(tmp_path / "d", config)
    entries = {s["tap_stream_id"]: s for s in catalog["streams"]}
    assert list(entries) == ["crm_leads", "crm_leads_deleted"]
    assert entries["crm_leads_deleted"]["table_name"] == "Leads/deleted"
    assert entries["crm_leads_deleted"]["key_properties"] == ["id"]
    ids = delete(emulator, "crm", "Leads", [3])
    next_second()
    emulator.clear_requests()
    run = run_tap(tmp_path, config, catalog=catalog)
    assert emitted(run, "crm_leads_deleted") == expected_deletions(emulator, "crm", "Leads", ids)
    assert not [r for r in emulator.requests if "/settings/" in r.path]  # from the catalog alone
