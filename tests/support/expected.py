"""The oracle: what the tap must emit, derived from the emulator's own data.

The type tables below are written from Zoho's documentation of its field types
(https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html,
https://www.zoho.com/creator/help/api/v2.1/get-fields.html) and the README's typing contract,
independently of the tap's tables, so a wrong type mapping in the tap fails these tests.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zoho_emulator import ZohoEmulator

from tests.support.tap_process import TapRun

UTC = dt.UTC

# --- CRM and Bigin --------------------------------------------------------------------------
CRM_NUMBERS = {"double", "currency", "percent", "decimal"}  # JSON numbers
CRM_ID_LIKE = {"bigint", "long", "lookup", "ownerlookup", "userlookup", "autonumber"}  # strings
# Zoho refuses these in a bulk read's `fields` (bulk read limitations page): never exported.
CRM_NOT_EXPORTED = {"fileupload", "multiselectlookup", "subform", "imageupload"}
CRM_NOT_EXPORTED_FIELDS = {
    ("Calls", "CTI_Entry"), ("Cases", "Comments"), ("Events", "Participants"),
    ("Price_Books", "Pricing_Details"), ("Solutions", "Comments"), ("Invoices", "Invoiced_Items"),
    ("Purchase_Orders", "Purchase_Items"), ("Quotes", "Quoted_Items"), ("Sales_Orders", "Ordered_Items"),
}
FORMULA_NUMBERS = {"double", "integer", "currency", "percent", "decimal", "bigint", "long"}


def utc_text(value: dt.datetime) -> str:
    """The tap's one textual form of an instant: UTC, whole seconds, `+00:00`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def crm_expected_value(field: dict[str, Any], value: Any) -> Any:
    """What the tap must emit for one canonical emulator value of a CRM/Bigin field."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    data_type = field["data_type"]
    if data_type == "formula":
        numeric = (field.get("formula") or {}).get("return_type") in FORMULA_NUMBERS
        return float(value) if numeric else str(value)
    if data_type in CRM_NUMBERS:
        return float(value)
    if data_type in CRM_ID_LIKE:
        return str(value)
    return value


def crm_exported(module: str, field: dict[str, Any]) -> bool:
    return field["data_type"] not in CRM_NOT_EXPORTED and (module, field["api_name"]) not in CRM_NOT_EXPORTED_FIELDS


def readable_modules(emulator: ZohoEmulator, product: str) -> list[str]:
    """Modules a faithful tap must export: those the emulator's metadata calls bulk-readable."""
    skipped = set(emulator.options.unsupported_modules)
    listed = emulator.dataset.module_meta(product)
    return sorted(m["api_name"] for m in listed if m.get("api_supported") is not False
                  and m.get("generated_type") not in ("linking", "subform")
                  and m["api_name"] not in skipped)


def expected_records(emulator: ZohoEmulator, product: str, module: str) -> dict[str, dict[str, Any]]:
    """The emulator's records of one CRM/Bigin module as the tap must emit them, keyed by id."""
    fields = [f for f in emulator.dataset.fields(product, module) if crm_exported(module, f)]
    out = {}
    for record in emulator.dataset.records(product, module):
        row = {"id": record["id"]}
        for meta in fields:
            if meta["api_name"] != "id":
                row[meta["api_name"]] = crm_expected_value(meta, record.get(meta["api_name"]))
        out[record["id"]] = row
    return out


def assert_records_match(run: TapRun, emulator: ZohoEmulator, product: str, modules: list[str]) -> None:
    """Every record of every module emitted once, exactly as the oracle says, and exit code 0."""
    assert run.exit_code == 0, run.stderr[-4000:]
    for module in modules:
        stream = f"{product}_{module.lower()}"
        expected = expected_records(emulator, product, module)
        got = {r["id"]: r for r in run.records.get(stream, [])}
        assert len(run.records.get(stream, [])) == len(expected), f"{stream}: duplicates or missing"
        assert got.keys() == expected.keys(), stream
        for record_id, record in expected.items():
            assert got[record_id] == record, f"{stream} record {record_id}"


# --- Creator --------------------------------------------------------------------------------
# Get Fields `type` codes as the README types them.
CREATOR_INTEGER, CREATOR_NUMBER, CREATOR_BOOLEAN = {5}, {6, 7, 8}, {16}
CREATOR_LIST = {14, 15}


def creator_expected_value(code: int | None, value: Any) -> Any:
    """What the tap must emit for one canonical emulator value of a Creator column."""
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if code in CREATOR_NUMBER:
        return float(value)
    if code in CREATOR_INTEGER or code in CREATOR_BOOLEAN or code in CREATOR_LIST:
        return value
    return value if isinstance(value, str) else str(value)


def creator_stream(path: str) -> str:
    """The stream name the README gives a report `owner/app/report`."""
    _, app, report = path.split("/")
    return f"creator_{app}_{report}".lower().replace("-", "_")


def creator_column_types(emulator: ZohoEmulator, path: str, form: str | None = None) -> dict[str, int]:
    owner, app, _ = path.split("/")
    form = form or emulator.dataset.creator_report(path)["form"]
    return {f["link_name"]: int(f["type"]) for f in emulator.dataset.fields("creator", f"{owner}/{app}/{form}")}


def creator_expected_records(emulator: ZohoEmulator, path: str) -> dict[str, dict[str, Any]]:
    """A Creator report's records as the tap must emit them, keyed by ID."""
    types = creator_column_types(emulator, path)
    return {r["ID"]: {k: creator_expected_value(types.get(k), v) for k, v in r.items()}
            for r in emulator.dataset.records("creator", path)}


def assert_creator_records(run: TapRun, emulator: ZohoEmulator, paths: list[str]) -> None:
    """Every record of every report emitted once, exactly as the oracle says, and exit code 0."""
    assert run.exit_code == 0, run.stderr[-4000:]
    for path in paths:
        stream = creator_stream(path)
        expected = creator_expected_records(emulator, path)
        got = run.records.get(stream, [])
        assert len(got) == len(expected), f"{stream}: {len(got)} records, expected {len(expected)}"
        by_id = {r["ID"]: r for r in got}
        assert by_id.keys() == expected.keys()
        for record_id, record in expected.items():
            assert by_id[record_id] == record, f"{stream} {record_id}"
