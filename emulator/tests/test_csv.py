"""Result files: ZIP/CSV framing and the text form of every data type."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from zoho_emulator.core.csvzip import format_value

from tests.support import Client, read_zip_csv

IST = ZoneInfo("Asia/Kolkata")


def parse_cell(data_type: str, cell: str, meta: dict) -> object:
    """Decode a CSV cell back into the canonical Python value (what a client must do)."""
    if cell == "":
        return None
    kind = meta["formula"]["return_type"] if data_type == "formula" else data_type
    if kind in ("integer", "bigint"):
        return int(cell)
    if kind in ("double", "currency", "percent"):
        return float(cell)
    if kind == "boolean":
        return {"true": True, "false": False}[cell]
    if kind == "datetime":
        return dt.datetime.fromisoformat(cell)
    if kind == "date":
        return dt.date.fromisoformat(cell)
    if kind == "multiselectpicklist":
        return cell.split(";")
    return cell


@pytest.mark.parametrize(
    ("product", "module"), [("crm", "Leads"), ("crm", "Shipments"), ("crm", "Deals"), ("bigin", "Pipelines")]
)
def test_every_value_round_trips(make_emulator, product, module):
    emu = make_emulator(records_per_module=40, page_size=1000, shuffle_rows=True)
    client = Client(emu)
    base = "/crm/bulk/v8" if product == "crm" else "/bigin/bulk/v2"
    job_id = client.create(
        base, {"module": module} if product == "bigin" else {"module": {"api_name": module}}
    )
    client.wait(base, job_id)
    response = client.get(f"{base}/read/{job_id}/result")
    assert response.headers["Content-Type"] == "application/x-download"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{job_id}.zip"'
    assert int(response.headers["Content-Length"]) == len(response.content)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == [f"{job_id}.csv"]
    assert archive.infolist()[0].compress_type == zipfile.ZIP_DEFLATED
    raw = archive.read(f"{job_id}.csv")
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = read_zip_csv(response.content)
    metas = {m["api_name"]: m for m in emu.dataset.fields(product, module)}
    readable = [
        name for name, m in metas.items() if m["data_type"] not in ("fileupload", "multiselectlookup")
    ]
    assert rows[0] == ["id", *readable]
    records = {r["id"]: r for r in emu.dataset.records(product, module)}
    assert sorted(row[0] for row in rows[1:]) == sorted(records)
    for row in rows[1:]:
        record = records[row[0]]
        for name, cell in zip(rows[0][1:], row[1:], strict=True):
            decoded = parse_cell(metas[name]["data_type"], cell, metas[name])
            assert decoded == record[name], (name, cell, record[name])
            if isinstance(decoded, dt.datetime):
                assert decoded.utcoffset() == dt.timedelta(hours=5, minutes=30)
                assert len(cell) == 25  # no fractional seconds


def test_long_cells_exceed_the_default_csv_limit(client, emu):
    leads = emu.dataset.records("crm", "Leads")
    long_ids = sorted(r["id"] for r in leads if len(r["Description"] or "") > 140_000)
    assert long_ids
    ids = {"api_name": "id", "comparator": "in", "value": long_ids}
    job_id = client.create("/crm/bulk/v2", {"module": "Leads", "fields": ["Description"], "criteria": ids})
    client.wait("/crm/bulk/v2", job_id)
    payload = client.get(f"/crm/bulk/v2/read/{job_id}/result").content
    text = zipfile.ZipFile(io.BytesIO(payload)).read(f"{job_id}.csv").decode()
    old = csv.field_size_limit(131072)
    try:
        with pytest.raises(csv.Error):
            list(csv.reader(io.StringIO(text, newline="")))
    finally:
        csv.field_size_limit(old)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert sorted(row[0] for row in rows[1:]) == long_ids
    by_id = {r["id"]: r["Description"] for r in leads}
    assert all(row[1] == by_id[row[0]] for row in rows[1:])


def test_multiline_quotes_and_unicode_survive(client, emu):
    records = {r["id"]: r for r in emu.dataset.records("crm", "Accounts")}
    _job, rows = client.export_page(
        "/crm/bulk/v2", {"module": "Accounts", "fields": ["Account_Name", "Billing_Street", "Description"]}
    )
    for row in rows[1:]:
        record = records[row[0]]
        assert row[1:] == [record[k] or "" for k in ("Account_Name", "Billing_Street", "Description")]
    text = "".join("".join(row) for row in rows)
    assert '"' in text and "\n" in text and "," in text and any(ord(ch) > 0xFFFF for ch in text)


def test_format_options(make_emulator):
    emu = make_emulator(
        records_per_module=20,
        id_header="Id",
        csv_bom=True,
        csv_line_terminator="\n",
        multiselect_separator=",",
        content_disposition="rfc5987",
        page_size=1000,
    )
    client = Client(emu)
    job_id = client.create("/crm/bulk/v2", {"module": "Leads", "fields": ["Interests", "Last_Name"]})
    client.wait("/crm/bulk/v2", job_id)
    response = client.get(f"/crm/bulk/v2/read/{job_id}/result")
    assert response.headers["Content-Disposition"] == f"attachment; filename*=UTF-8''{job_id}.zip"
    raw = zipfile.ZipFile(io.BytesIO(response.content)).read(f"{job_id}.csv")
    assert raw.startswith("\ufeffId,Interests,Last_Name\n".encode())
    assert b"\r" not in raw  # LF terminator; these columns hold no line breaks
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    records = {r["id"]: r for r in emu.dataset.records("crm", "Leads")}
    for record_id, interests, _last in rows[1:]:
        assert interests == ",".join(records[record_id]["Interests"] or [])


def test_downloads_are_repeatable(client):
    job_id = client.create("/crm/bulk/v8", {"module": {"api_name": "Contacts"}})
    client.wait("/crm/bulk/v8", job_id)
    first = client.get(f"/crm/bulk/v8/read/{job_id}/result").content
    assert client.get(f"/crm/bulk/v8/read/{job_id}/result").content == first


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-2147483648, "-2147483648"),
        (2**63 - 1, "9223372036854775807"),
        (1234.5, "1234.5"),
        (-0.01, "-0.01"),
        (1e16, "10000000000000000"),
        (123456789012.34, "123456789012.34"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "2024-01-01T05:30:00+05:30"),
        (["A b", "C & d"], "A b;C & d"),
        ('He said "hi"', 'He said "hi"'),
    ],
)
def test_format_value(value, text):
    assert format_value(value, IST) == text
    if isinstance(value, float):
        assert Decimal(text) == Decimal(repr(value)) or float(text) == value
