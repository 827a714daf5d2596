"""The columnar typer against the row path's converters (the typing contract), cell for cell."""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections import Counter

import pytest

from tap_zoho_bulk.columnar import BlockInvalid, BlockTyper, typed_frames, write_records
from tap_zoho_bulk.export import open_blocks, open_export
from tap_zoho_bulk.products.creator.dates import AppFormat, java_to_strptime, java_zone
from tap_zoho_bulk.schema import (
    BOOLEAN,
    DATE,
    DATETIME,
    INTEGER,
    NUMBER,
    STRING,
    STRING_LIST,
    InvalidValue,
    RowConverter,
)

CELLS = {
    "integer": ["0", "7", "-12", "+5", "007", "12.0", "1.2e1", "12.5", " 5", "5 ", "9223372036854775807",
                "9223372036854775808", "-9223372036854775808", "123456789012345678", "1e400", "abc", "٣",
                "1_000", "0x10"],
    "number": ["0", "2.50", "-0.0", "100", "1e3", ".5", "5.", "nan", "inf", "1,5", "9007199254740993",
               "123456789.123456789", "0.1", "-3.14159", "1e-320", "+7.25", " 1", "abc"],
    "boolean": ["true", "false", "TRUE", "False", " true ", "1", "0", "yes", "no", "maybe"],
    "date": ["2024-01-31", "2024-02-30", "2024-2-3", "20240131", " 2024-01-31", "2024-01-31T10:00:00",
             "31-01-2024", "0001-01-01"],
    "date-time": ["2019-05-07T15:32:24+05:30", "2019-05-07T15:32:24-00:30", "2019-05-07T15:32:24Z",
                  "2019-05-07T15:32:24", "2019-05-07T15:32:24.123+01:00", "2019-02-29T10:00:00+00:00",
                  "2024-12-31T23:59:59-12:00", "2019-05-07 15:32:24+05:30", "garbage", "2019-05-07T25:00:00+00:00"],
    "array": ["a;b", " a ; b ;", ";;", "a", "x\u3000;\u2028y", "\x1ca;b\x1f", "é;🚀", "a;;b"],
    "string": ["", "x", " padded ", "multi\nline", 'q"uote', "é🚀", "\u2028", "0012", "9007199254740993"],
}
PROPS = {"integer": INTEGER, "number": NUMBER, "boolean": BOOLEAN, "date": DATE, "date-time": DATETIME,
         "array": STRING_LIST, "string": STRING}


def result_zip(tmp_path, header, rows):
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    path = tmp_path / "result.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("result.csv", text.getvalue())
    return path


def both_paths(path, schema, selected, *, null_invalid, overrides=None, vectorised=None):
    """Records of the row path, and of the columnar path, with their invalid-value counts."""
    row_nulled, block_nulled = Counter(), Counter()
    with open_export(path) as (header, rows):
        convert = RowConverter(schema, header, selected, overrides=overrides, null_invalid=null_invalid,
                               nulled=row_nulled)
        expected = [convert(row) for row in rows if row]
    with open_blocks(path, block_bytes=256) as (header, blocks):
        convert = RowConverter(schema, header, selected, overrides=overrides, null_invalid=null_invalid,
                               nulled=block_nulled)
        typer = BlockTyper(convert, schema, len(header), key_index=0, vectorised=vectorised)
        got = [record for block in blocks for record in typer.type_block(block).iter_rows(named=True)]
    both_paths.by_converter = typer.by_converter
    return expected, row_nulled, got, block_nulled


def assert_same(expected, got):
    assert got == expected
    # the same JSON too: 5 and 5.0 are equal in Python, not in a target's column
    assert [json.dumps(r) for r in got] == [json.dumps(r) for r in expected]


def test_every_type_is_typed_as_the_row_path_types_it(tmp_path):
    rng = random.Random(3)
    kinds = list(CELLS)
    header = ["id", *kinds]
    rows = [[str(i), *(rng.choice(CELLS[k] + [""]) for k in kinds)] for i in range(600)]
    rows += [[str(600 + i), *(CELLS[k][i % len(CELLS[k])] for k in kinds)] for i in range(40)]
    path = result_zip(tmp_path, header, rows)
    schema = {"properties": {"id": STRING, **{k: PROPS[k] for k in kinds}}}
    expected, row_nulled, got, block_nulled = both_paths(path, schema, header, null_invalid=True)
    assert_same(expected, got)
    assert block_nulled == row_nulled and sum(row_nulled.values()) > 50


@pytest.mark.parametrize("kind", ["integer", "number", "boolean", "date", "date-time"])
def test_an_invalid_cell_fails_with_the_field_and_the_record_id(tmp_path, kind):
    invalid = {"integer": "12.5", "number": "1,5", "boolean": "maybe", "date": "2024-02-30",
               "date-time": "garbage"}[kind]
    path = result_zip(tmp_path, ["id", kind], [["1", CELLS[kind][0]], ["42", invalid]])
    schema = {"properties": {"id": STRING, kind: PROPS[kind]}}
    with open_export(path) as (header, rows), pytest.raises(InvalidValue) as row_error:
        convert = RowConverter(schema, header, header)
        [convert(row) for row in rows]
    with open_blocks(path) as (header, blocks), pytest.raises(BlockInvalid) as block_error:
        typer = BlockTyper(RowConverter(schema, header, header), schema, len(header), key_index=0)
        [typer.type_block(block) for block in blocks]
    assert str(block_error.value) == str(row_error.value)
    assert block_error.value.key == "42"
    assert invalid not in str(block_error.value)


@pytest.mark.parametrize(("zone", "pattern"), [("America/New_York", "MM-dd-yyyy"), ("Asia/Kolkata", "dd-MMM-yyyy"),
                                               ("GMT+05:30", "MMM dd,yyyy"), ("Europe/London", "dd/MM/yyyy")])
def test_creator_dates_in_the_app_zone_as_the_row_path_reads_them(tmp_path, zone, pattern):
    app = AppFormat(java_zone(zone), java_to_strptime(pattern))
    rng = random.Random(5)
    import datetime as dt

    start = dt.datetime(2023, 1, 1)
    cells, days = [], []
    for _ in range(400):
        local = start + dt.timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
        cells.append(local.strftime(app.datetime_format))
        days.append(local.strftime(app.date_format) if rng.random() < 0.9 else "2023-06-01")
    # both clock changes of New York and London (a skipped and a repeated hour), other spellings
    cells += ["03-12-2023 02:30:00", "11-05-2023 01:30:00", "26/03/2023 01:30:00", "29/10/2023 01:30:00",
              "2023-06-01T10:00:00Z", " " + cells[0], cells[1] + " ", "13-45-2023 10:00:00"]
    days += ["2023-06-01"] * 8
    rows = [[str(i), c, d] for i, (c, d) in enumerate(zip(cells, days, strict=True))]
    path = result_zip(tmp_path, ["ID", "Added_Time", "Day"], rows)
    schema = {"properties": {"ID": STRING, "Added_Time": DATETIME, "Day": DATE}}
    overrides = {"date-time": app.parse_datetime, "date": app.parse_date}
    expected, row_nulled, got, block_nulled = both_paths(path, schema, ["ID", "Added_Time", "Day"],
                                                         null_invalid=True, overrides=overrides,
                                                         vectorised=app.vectorised())
    assert_same(expected, got)
    assert block_nulled == row_nulled
    # the app's own spelling is typed by the expressions; the odd cells only by the converters
    assert 0 < sum(both_paths.by_converter.values()) <= 8 + 2 * 60


def test_zoho_crm_values_are_all_typed_by_the_expressions(tmp_path):
    kinds = list(CELLS)
    usual = {"integer": ["0", "-12", "2147483647"], "number": ["2.50", "100", "-0.5"], "boolean": ["true", "false"],
             "date": ["2024-01-31"], "date-time": ["2019-05-07T15:32:24+05:30"], "array": ["a;b", "c"],
             "string": ["x", "multi\nline"]}
    rows = [[str(i), *(usual[k][i % len(usual[k])] for k in kinds)] for i in range(300)]
    path = result_zip(tmp_path, ["id", *kinds], rows)
    schema = {"properties": {"id": STRING, **{k: PROPS[k] for k in kinds}}}
    expected, _, got, _ = both_paths(path, schema, ["id", *kinds], null_invalid=False)
    assert_same(expected, got)
    assert not both_paths.by_converter


def test_record_lines_are_singer_record_messages(tmp_path):
    path = result_zip(tmp_path, ["id", "n", "t"], [["1", "2.5", "é\n\"x\""], ["2", "", ""]])
    schema = {"properties": {"id": STRING, "n": NUMBER, "t": STRING}}
    with open_blocks(path) as (header, blocks):
        typer = BlockTyper(RowConverter(schema, header, header), schema, len(header), key_index=0)
        out = io.BytesIO()
        for block in blocks:
            write_records(typer.type_block(block), "s", out, version=7)
        lines = out.getvalue()
    messages = [json.loads(line) for line in lines.splitlines()]
    assert [m["record"] for m in messages] == [{"id": "1", "n": 2.5, "t": 'é\n"x"'}, {"id": "2", "n": None, "t": None}]
    assert all(list(m) == ["type", "stream", "record", "version", "time_extracted"] for m in messages)
    assert all(m["type"] == "RECORD" and m["stream"] == "s" and m["version"] == 7 for m in messages)


def test_a_file_polars_cannot_read_goes_on_row_by_row_from_where_it_stopped(tmp_path):
    rows = [[str(i), str(i * 3), f"text {i}"] for i in range(200)]
    path = result_zip(tmp_path, ["id", "n", "t"], rows)
    # a stray quote inside an unquoted cell, past the first blocks: Python's csv reads it as text
    with zipfile.ZipFile(path) as archive:
        text = archive.read("result.csv").replace(b"text 150\n", b'te"xt 150\n')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("result.csv", text)
    schema = {"properties": {"id": STRING, "n": INTEGER, "t": STRING}}
    with open_export(path) as (header, lines):
        convert = RowConverter(schema, header, header)
        expected = [convert(row) for row in lines]
    assert expected[150]["t"] == 'te"xt 150'

    def rest(done):
        with open_export(path) as (header, lines):
            convert = RowConverter(schema, header, header)
            yield from (convert(row) for row in list(lines)[done:])

    fell_back = []
    with open_blocks(path, block_bytes=300) as (header, blocks):
        typer = BlockTyper(RowConverter(schema, header, header), schema, len(header), key_index=0)
        frames = list(typed_frames(blocks, typer, rest, on_fallback=fell_back.append))
    assert [r for f in frames for r in f.iter_rows(named=True)] == expected
    assert fell_back and 50 < fell_back[0] <= 150
