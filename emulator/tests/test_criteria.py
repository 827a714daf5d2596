"""Criteria: Zoho's validation rules and evaluation semantics."""

from __future__ import annotations

import datetime as dt

import pytest
from zoho_emulator.crm import criteria
from zoho_emulator.crm.criteria import FieldRef
from zoho_emulator.crm.replies import CrmErrorReply

from tests.support import Client, error_code

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
TYPES = {
    "Modified_Time": "datetime",
    "Closing_Date": "date",
    "Amount": "currency",
    "Big": "bigint",
    "Name": "text",
    "Tags": "multiselectpicklist",
    "Flag": "boolean",
    "Owner": "ownerlookup",
    "File": "fileupload",
}
V8 = criteria.Rules(field_leaves=True, restricted_dates=False)
V2 = criteria.Rules(field_leaves=False, restricted_dates=True)


def resolve(name: str) -> FieldRef | None:
    return FieldRef(name, TYPES[name]) if name in TYPES else None


def parse(raw: object, rules: criteria.Rules = V8) -> criteria.Node:
    return criteria.parse(raw, resolve, rules)


def matches(raw: object, record: dict) -> bool:
    return criteria.evaluate(parse(raw), record.get)


def code_of(raw: object, rules: criteria.Rules = V8) -> tuple[str, dict]:
    with pytest.raises(CrmErrorReply) as info:
        parse(raw, rules)
    return info.value.code, info.value.details


def leaf(name: str, comparator: str, value: object) -> dict:
    return {"field": {"api_name": name}, "comparator": comparator, "value": value}


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:00:00.123+05:30",
        "2024-01-01T00:00:00",
        "2024-01-01",
        1704067200,
    ],
)
def test_datetime_literals_must_be_whole_seconds_with_offset(value):
    code, details = code_of(leaf("Modified_Time", "greater_equal", value))
    assert code in ("VALUE_IN_CRITERIA_NOT_SUPPORTED", "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE")
    assert details["api_name"] == "Modified_Time"


def test_valid_datetime_literals():
    parse(leaf("Modified_Time", "greater_equal", "2024-01-01T00:00:00Z"))
    parse(leaf("Modified_Time", "less_than", "2024-01-01T05:30:00+05:30"))
    parse(leaf("Modified_Time", "less_than", "${EMPTY}"))


def test_v2_date_comparators_are_restricted():
    code, details = code_of(
        {"api_name": "Modified_Time", "comparator": "greater_equal", "value": "2024-01-01T00:00:00Z"}, V2
    )
    assert code == "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"
    assert details == {
        "comparator": "greater_equal",
        "api_name": "Modified_Time",
        "supported": ["equal", "not_equal", "in", "not_in", "between", "not_between"],
    }
    parse({"api_name": "Modified_Time", "comparator": "between", "value": ["2024-01-01T00:00:00Z"] * 2}, V2)


def test_v2_rejects_field_leaves():
    code, _ = code_of(leaf("Name", "equal", "x"), V2)
    assert code == "INVALID_CRITERIA"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (leaf("Name", "greater_than", "a"), "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Amount", "contains", 5), "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Flag", "not_equal", True), "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Owner", "greater_than", "1"), "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Name", "like", "a"), "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Missing", "equal", "a"), "FIELD_IN_CRITERIA_NOT_AVAILABLE"),
        (leaf("File", "equal", "a"), "FIELD_IN_CRITERIA_NOT_SUPPORTED"),
        (leaf("Amount", "equal", "ten"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Big", "equal", "1.5"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Big", "equal", "12345678901234567890"), "VALUE_LIMIT_EXCEEDED_IN_CRITERIA"),
        (leaf("Name", "equal", "x" * 256), "VALUE_LIMIT_EXCEEDED_IN_CRITERIA"),
        (leaf("Closing_Date", "between", ["2024-01-01"]), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Name", "in", "x"), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Name", "equal", ["x"]), "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        (leaf("Flag", "equal", "yes"), "FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE"),
        ({"group_operator": "xor", "group": [leaf("Name", "equal", "x")]}, "GROUP_OPERATOR_NOT_SUPPORTED"),
        ({"group": [leaf("Name", "equal", "x")]}, "AMBIGUOUS_GROUP_IN_CRITERIA"),
        ({"group_operator": "and", "group": []}, "INVALID_CRITERIA"),
        ({**leaf("Name", "equal", "x"), "group_operator": "and"}, "AMBIGUOUS_CRITERIA"),
        ({"field": {"api_name": "Name"}, "comparator": "equal"}, "INVALID_CRITERIA"),
        ("Name == x", "INVALID_CRITERIA"),
    ],
)
def test_invalid_criteria(raw, code):
    assert code_of(raw)[0] == code


def test_criteria_limit():
    many = {"group_operator": "or", "group": [leaf("Name", "equal", str(i)) for i in range(26)]}
    assert code_of(many)[0] == "CRITERIA_LIMIT_EXCEEDED"


# ------------------------------------------------------------------ evaluation
def test_between_is_inclusive_and_compares_instants():
    raw = leaf("Modified_Time", "between", ["2024-01-01T00:00:00Z", "2024-01-31T23:59:59+00:00"])
    start = dt.datetime(2024, 1, 1, 5, 30, tzinfo=IST)  # == 00:00Z
    assert matches(raw, {"Modified_Time": start})
    assert matches(raw, {"Modified_Time": dt.datetime(2024, 1, 31, 23, 59, 59, tzinfo=dt.UTC)})
    assert not matches(raw, {"Modified_Time": start - dt.timedelta(seconds=1)})
    assert not matches(raw, {"Modified_Time": None})
    not_between = {**raw, "comparator": "not_between"}
    assert matches(not_between, {"Modified_Time": start - dt.timedelta(seconds=1)})


def test_half_open_window():
    raw = {
        "group_operator": "and",
        "group": [
            leaf("Modified_Time", "greater_equal", "2024-01-01T00:00:00Z"),
            leaf("Modified_Time", "less_than", "2024-02-01T00:00:00Z"),
        ],
    }
    assert matches(raw, {"Modified_Time": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)})
    assert not matches(raw, {"Modified_Time": dt.datetime(2024, 2, 1, tzinfo=dt.UTC)})


def test_nested_groups():
    raw = {
        "group_operator": "or",
        "group": [
            {
                "group_operator": "and",
                "group": [leaf("Name", "starts_with", "ac"), leaf("Flag", "equal", True)],
            },
            leaf("Amount", "greater_than", "1000"),
        ],
    }
    assert matches(raw, {"Name": "Acme", "Flag": True, "Amount": 1})
    assert not matches(raw, {"Name": "Acme", "Flag": False, "Amount": 1})
    assert matches(raw, {"Name": "Zed", "Flag": False, "Amount": 1000.5})


def test_values_of_every_family():
    assert matches(leaf("Big", "greater_than", "9007199254740993"), {"Big": 9007199254740994})
    assert not matches(leaf("Big", "greater_than", "9007199254740993"), {"Big": 9007199254740993})
    assert matches(leaf("Name", "contains", "ÉLAN"), {"Name": "Café élan"})
    assert matches(leaf("Name", "in", ["x", "café élan"]), {"Name": "Café Élan"})
    assert matches(leaf("Name", "equal", "${EMPTY}"), {"Name": None})
    assert matches(leaf("Name", "not_equal", "${EMPTY}"), {"Name": "x"})
    assert matches(leaf("Tags", "equal", "Cold Chain"), {"Tags": ["Express", "Cold Chain"]})
    assert matches(leaf("Flag", "equal", "false"), {"Flag": False})
    assert matches(leaf("Owner", "in", ["1", "2"]), {"Owner": "2"})
    assert matches(leaf("Closing_Date", "less_equal", "2024-03-01"), {"Closing_Date": dt.date(2024, 3, 1)})


# ------------------------------------------------------------------ over HTTP
def _ids(client: Client, base: str, query: dict) -> set[str]:
    _job, rows = client.export_page(base, query)
    return {row[0] for row in rows[1:]}


def test_criteria_select_the_right_records_over_http(make_emulator):
    emu = make_emulator(records_per_module=30, page_size=1000)
    client = Client(emu)
    leads = emu.dataset.records("crm", "Leads")
    pivot = sorted(r["Modified_Time"] for r in leads)[15]
    emu.dataset.update_record("crm", "Leads", leads[0]["id"], Modified_Time=pivot)
    leads = emu.dataset.records("crm", "Leads")
    literal = pivot.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    v8 = {"module": {"api_name": "Leads"}, "criteria": leaf("Modified_Time", "greater_equal", literal)}
    assert _ids(client, "/crm/bulk/v8", v8) == {r["id"] for r in leads if r["Modified_Time"] >= pivot}
    both = [pivot.isoformat(), pivot.isoformat()]
    v2 = {
        "module": "Leads",
        "criteria": {"api_name": "Modified_Time", "comparator": "between", "value": both},
    }
    assert _ids(client, "/crm/bulk/v2", v2) == {r["id"] for r in leads if r["Modified_Time"] == pivot}
    assert leads[0]["id"] in _ids(client, "/crm/bulk/v2", v2)
    owner = emu.dataset.users("crm")[0]
    dotted = {
        "module": "Leads",
        "criteria": {"api_name": "Owner.last_name", "comparator": "equal", "value": owner["last_name"]},
    }
    assert _ids(client, "/crm/bulk/v2", dotted) == {r["id"] for r in leads if r["Owner"] == owner["id"]}


def test_http_rejections(client):
    ms = {
        "module": {"api_name": "Leads"},
        "criteria": leaf("Modified_Time", "greater_equal", "2024-01-01T00:00:00.000Z"),
    }
    response = client.post("/crm/bulk/v8/read", {"query": ms})
    assert response.status_code == 400
    assert error_code(response) == "VALUE_IN_CRITERIA_NOT_SUPPORTED"
    ge = {"api_name": "Modified_Time", "comparator": "greater_equal", "value": "2024-01-01T00:00:00+05:30"}
    for base, module in (("/crm/bulk/v2", "Leads"), ("/bigin/bulk/v1", "Contacts")):
        response = client.post(f"{base}/read", {"query": {"module": module, "criteria": ge}})
        assert response.status_code == 400
        assert error_code(response) == "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"
        assert response.json()["details"]["comparator"] == "greater_equal"
    # newer APIs accept it, with either leaf form
    assert (
        client.post("/bigin/bulk/v2/read", {"query": {"module": "Contacts", "criteria": ge}}).status_code
        == 201
    )
    assert (
        client.post(
            "/crm/bulk/v5/read", {"query": {"module": {"api_name": "Leads"}, "criteria": ge}}
        ).status_code
        == 201
    )
    unknown = {"module": {"api_name": "Leads"}, "criteria": leaf("Nope", "equal", "x")}
    response = client.post("/crm/bulk/v8/read", {"query": unknown})
    assert error_code(response) == "FIELD_IN_CRITERIA_NOT_AVAILABLE"
