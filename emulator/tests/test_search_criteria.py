"""The REST search criteria syntax of the record count API: parsing, escapes, evaluation."""

from __future__ import annotations

import datetime as dt

import pytest
from zoho_emulator.crm import criteria, search_criteria
from zoho_emulator.crm.criteria import FieldRef
from zoho_emulator.crm.replies import CrmErrorReply

TYPES = {
    "Created_Time": "datetime",
    "Closing_Date": "date",
    "Amount": "currency",
    "Score": "integer",
    "Name": "text",
    "Stage": "picklist",
    "Tags": "multiselectpicklist",
    "Flag": "boolean",
    "Owner": "ownerlookup",
    "File": "fileupload",
}
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def resolve(name: str) -> FieldRef | None:
    return FieldRef(name, TYPES[name]) if name in TYPES else None


def matches(text: str, record: dict) -> bool:
    return criteria.evaluate(search_criteria.parse(text, resolve), record.get)


def reason(text: str) -> dict:
    with pytest.raises(CrmErrorReply) as info:
        search_criteria.parse(text, resolve)
    assert (info.value.code, info.value.status) == ("INVALID_QUERY", 400)
    return info.value.details


def test_the_documented_window_and_its_tree():
    text = "((Created_Time:greater_equal:2024-01-01T00:00:00+00:00)and(Created_Time:less_than:2025-01-01T00:00:00+00:00))"
    node = search_criteria.parse(text, resolve)
    assert isinstance(node, criteria.Group) and node.operator == "and"
    first, second = node.children
    assert isinstance(first, criteria.Leaf) and isinstance(second, criteria.Leaf)
    assert (first.comparator, second.comparator) == ("greater_equal", "less_than")
    assert first.operands == (dt.datetime(2024, 1, 1, tzinfo=dt.UTC),)
    inside = {"Created_Time": dt.datetime(2024, 6, 1, 12, tzinfo=IST)}
    at_end = {"Created_Time": dt.datetime(2025, 1, 1, 5, 30, tzinfo=IST)}  # = 2025-01-01T00:00Z
    assert matches(text, inside) and not matches(text, at_end)


@pytest.mark.parametrize(
    "literal", ["2024-01-01T05:30:00+05:30", "2024-01-01T00:00:00Z", "2023-12-31T19:00:00-05:00"]
)
def test_datetimes_compare_as_instants_in_any_offset(literal):
    record = {"Created_Time": dt.datetime(2024, 1, 1, 5, 30, tzinfo=IST)}
    assert matches(f"(Created_Time:equals:{literal})", record)
    assert matches(f"(Created_Time:greater_equal:{literal})", record)
    assert not matches(f"(Created_Time:greater_than:{literal})", record)


def test_nesting_or_and_a_bare_leaf():
    text = "((Stage:equals:Won)or((Amount:greater_than:100)and(Flag:equals:true)))"
    assert matches(text, {"Stage": "won", "Amount": 1, "Flag": False})  # equals ignores case
    assert matches(text, {"Stage": "Lost", "Amount": 500, "Flag": True})
    assert not matches(text, {"Stage": "Lost", "Amount": 500, "Flag": False})
    assert matches("Stage:equals:Won", {"Stage": "Won"})  # no parentheses, as seen in production
    assert matches("(Stage:equals:Won)or(Stage:equals:Lost)", {"Stage": "Lost"})


def test_escapes_and_colons_in_values():
    assert matches(r"(Name:equals:Burns\, B \(Sr.\))", {"Name": "Burns, B (Sr.)"})
    assert matches(r"(Name:starts_with:a\,b)", {"Name": "A,Bee"})
    assert matches("(Name:equals:10:30 meeting)", {"Name": "10:30 meeting"})
    assert matches(r"(Stage:in:Won,Lost\,late)", {"Stage": "Lost,late"})
    assert not matches(r"(Stage:in:Won,Lost\,late)", {"Stage": "Lost"})


def test_comparators_of_each_family():
    assert matches("(Amount:between:10,20)", {"Amount": 20})
    assert not matches("(Amount:between:10,20)", {"Amount": 20.5})
    assert matches("(Closing_Date:between:2024-01-01,2024-01-31)", {"Closing_Date": dt.date(2024, 1, 31)})
    assert matches("(Score:in:1,2,3)", {"Score": 2})
    assert matches("(Score:less_equal:3)", {"Score": 3}) and not matches("(Score:less_than:3)", {"Score": 3})
    assert matches("(Stage:not_equal:Won)", {"Stage": "Lost"})
    assert matches("(Tags:equals:Beta)", {"Tags": ["Alpha", "Beta"]})
    assert matches("(Owner:equals:5725767000000235011)", {"Owner": "5725767000000235011"})
    assert matches("(Flag:not_equal:true)", {"Flag": False})


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("((Name:equals:a)", "missing )"),
        ("(Name:equals:a))", "unexpected text"),
        ("(Name:equals:a(b))", "unescaped ("),
        ("(Name:equals)", "expected (field:comparator:value)"),
        ("(Name:equals:a)xor(Name:equals:b)", "expected and / or"),
        ("((Name:equals:a)and(Name:equals:b)or(Name:equals:c))", "mixed"),
        ("(Nope:equals:a)", "not available"),
        ("(File:equals:a)", "cannot be searched"),
        ("(Name:greater_than:a)", "comparator greater_than"),
        ("(Name:contains:a)", "comparator contains"),
        ("(Amount:between:1)", "two values"),
        ("(Created_Time:greater_equal:2024-01-01T00:00:00.000Z)", "does not suit"),
        ("(Created_Time:greater_equal:2024-01-01T00:00:00 00:00)", "does not suit"),  # unencoded +
        ("(Score:equals:1.5)", "does not suit"),
    ],
)
def test_malformed_criteria_are_invalid_query(text, needle):
    assert needle in reason(text)["reason"]


def test_at_most_ten_criteria():
    ten = "(" + "or".join(f"(Score:equals:{n})" for n in range(10)) + ")"
    assert matches(ten, {"Score": 9})
    eleven = "(" + "or".join(f"(Score:equals:{n})" for n in range(11)) + ")"
    assert "more than 10" in reason(eleven)["reason"]
