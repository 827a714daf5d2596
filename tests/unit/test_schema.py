"""Field metadata → JSON schema, and CSV text → typed values."""

import pytest

from tap_zoho_bulk.products.crm.field_types import crm_property, crm_schema
from tap_zoho_bulk.schema import (
    InvalidValue,
    RowConverter,
    format_instant,
    iso_to_utc,
    to_bool,
    to_int,
    to_number,
)


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        ("integer", {"type": ["integer", "null"]}),
        ("bigint", {"type": ["string", "null"]}),
        ("lookup", {"type": ["string", "null"]}),
        ("ownerlookup", {"type": ["string", "null"]}),
        ("autonumber", {"type": ["string", "null"]}),
        ("double", {"type": ["number", "null"]}),
        ("currency", {"type": ["number", "null"]}),
        ("percent", {"type": ["number", "null"]}),
        ("boolean", {"type": ["boolean", "null"]}),
        ("date", {"type": ["string", "null"], "format": "date"}),
        ("datetime", {"type": ["string", "null"], "format": "date-time"}),
        ("multiselectpicklist", {"type": ["array", "null"], "items": {"type": "string"}}),
        ("text", {"type": ["string", "null"]}),
        ("picklist", {"type": ["string", "null"]}),
        ("textarea", {"type": ["string", "null"]}),
    ],
)
def test_crm_types(data_type, expected):
    assert crm_property({"api_name": "X", "data_type": data_type}) == expected


def test_formula_type_follows_its_return_type():
    assert crm_property({"data_type": "formula", "formula": {"return_type": "double"}})["type"][0] == "number"
    assert crm_property({"data_type": "formula", "formula": {"return_type": "text"}})["type"][0] == "string"


def test_fields_bulk_read_rejects_are_left_out():
    schema = crm_schema("Sales_Orders", [
        {"api_name": "Doc", "data_type": "fileupload"},
        {"api_name": "Links", "data_type": "multiselectlookup"},
        {"api_name": "Ordered_Items", "data_type": "text"},
        {"api_name": "Subject", "data_type": "text"},
    ])
    assert list(schema["properties"]) == ["id", "Subject"]


def test_instants_keep_the_exact_instant_in_utc():
    assert iso_to_utc("2024-03-01T14:20:04+05:30") == "2024-03-01T08:50:04+00:00"
    assert iso_to_utc("2024-03-01T00:10:00-08:00") == "2024-03-01T08:10:00+00:00"
    assert iso_to_utc("2024-03-01T08:50:04Z") == "2024-03-01T08:50:04+00:00"
    assert iso_to_utc("2024-03-01T08:50:04") == "2024-03-01T08:50:04+00:00"


def test_instant_text_sorts_like_the_instants():
    a = iso_to_utc("2024-03-01T10:00:00+05:30")  # 04:30 UTC
    b = iso_to_utc("2024-03-01T05:00:00+00:00")
    assert a < b


def test_scalars():
    assert to_int("-42") == -42
    assert to_int("7.0") == 7
    with pytest.raises(ValueError):
        to_int("7.5")
    assert to_number("1234.50") == 1234.5
    assert to_number("12") == 12
    assert to_bool("true") is True and to_bool("FALSE") is False
    with pytest.raises(ValueError):
        to_bool("maybe")


def test_row_converter_types_every_column_and_nulls_empty_cells():
    schema = crm_schema("Leads", [
        {"api_name": "Name", "data_type": "text"},
        {"api_name": "Count", "data_type": "integer"},
        {"api_name": "Amount", "data_type": "currency"},
        {"api_name": "Opted", "data_type": "boolean"},
        {"api_name": "Born", "data_type": "date"},
        {"api_name": "Created_Time", "data_type": "datetime"},
        {"api_name": "Tags", "data_type": "multiselectpicklist"},
        {"api_name": "Owner", "data_type": "ownerlookup"},
    ])
    header = ["id", "Name", "Count", "Amount", "Opted", "Born", "Created_Time", "Tags", "Owner"]
    convert = RowConverter(schema, header, list(schema["properties"]))
    row = ["5725767000000123456", "Zoë, \"Z\"", "3", "10.5", "false", "1990-02-03",
           "2024-01-01T05:30:00+05:30", "A;B c", "5725767000000000001"]
    assert convert(row) == {
        "id": "5725767000000123456", "Name": "Zoë, \"Z\"", "Count": 3, "Amount": 10.5,
        "Opted": False, "Born": "1990-02-03", "Created_Time": "2024-01-01T00:00:00+00:00",
        "Tags": ["A", "B c"], "Owner": "5725767000000000001",
    }
    assert convert(["1", "", "", "", "", "", "", "", ""]) == {
        "id": "1", **dict.fromkeys(header[1:])}


def test_row_converter_reports_missing_columns_and_converts_only_selected_ones():
    schema = crm_schema("Leads", [{"api_name": "Name", "data_type": "text"},
                                  {"api_name": "Phone", "data_type": "phone"}])
    convert = RowConverter(schema, ["id", "Name", "Surprise"], ["id", "Name", "Phone"])
    assert convert.missing == ["Phone"]
    assert convert(["1", "n", "s"]) == {"id": "1", "Name": "n"}


def test_an_invalid_cell_names_the_field_and_never_its_text():
    schema = crm_schema("Leads", [{"api_name": "Count", "data_type": "integer"}])
    convert = RowConverter(schema, ["id", "Count"], ["id", "Count"])
    with pytest.raises(InvalidValue, match="field 'Count' is not a valid integer") as info:
        convert(["1", "Jane Secret"])
    assert "Jane" not in str(info.value)


def test_with_null_invalid_an_invalid_cell_becomes_null_and_is_counted():
    schema = crm_schema("Leads", [{"api_name": "Count", "data_type": "integer"},
                                  {"api_name": "Amount", "data_type": "currency"}])
    convert = RowConverter(schema, ["id", "Count", "Amount"], ["id", "Count", "Amount"], null_invalid=True)
    assert convert(["1", "x", "nan"]) == {"id": "1", "Count": None, "Amount": None}
    assert convert(["2", "3", "inf"]) == {"id": "2", "Count": 3, "Amount": None}
    assert convert.nulled == {"Count": 1, "Amount": 2}


@pytest.mark.parametrize("text", ["1,234", "1.234,50", "nan", "NaN", "inf", "-inf", "Infinity", "12abc",
                                  "0x1F", "1_000", " 12", "", "+", ".", "1e", "١٢"])
def test_numbers_are_only_what_zohos_csv_writes(text):
    with pytest.raises(ValueError):
        to_number(text)
    with pytest.raises(ValueError):
        to_int(text)


@pytest.mark.parametrize(("text", "number"), [
    ("0", 0), ("-12", -12), ("+7", 7), ("1234.50", 1234.5), ("-0.5", -0.5), (".5", 0.5), ("5.", 5.0),
    ("1.5E3", 1500.0), ("2e-2", 0.02), ("9007199254740993", 9007199254740993.0),
])
def test_numbers_as_zohos_csv_writes_them(text, number):
    assert to_number(text) == number


def test_integers_stay_exact_beyond_float_precision():
    assert to_int("9007199254740993") == 9007199254740993
    assert to_int("12.0") == 12 and to_int("1.2e1") == 12
    with pytest.raises(ValueError):
        to_int("12.5")
    with pytest.raises(ValueError):
        to_number("1e400")  # beyond a double: not read as infinity



def test_format_instant_is_fixed_width_utc():
    import datetime as dt
    value = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert format_instant(value) == "2024-01-02T08:04:05+00:00"
