"""Broken result files on demand (CRM, Bigin and Creator downloads), and invalid numeric cells."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib

import pytest
import requests
from zoho_emulator.core.damage import INVALID_NUMBERS, LATIN1_CELL

from tests.support import BENIN, Client, CreatorClient, bulk, read_zip_csv

OFFRES = f"{BENIN}/Tous_les_Offres"
# (product, module, base of the bulk URL, create query)
CRM = ("crm", "Leads", "/crm/bulk/v8", {"module": {"api_name": "Leads"}})
BIGIN = ("bigin", "Contacts", "/bigin/bulk/v2", {"module": "Contacts"})
TARGETS = [CRM, BIGIN, ("creator", OFFRES, bulk(OFFRES), {})]


@pytest.fixture
def emu(make_emulator):
    return make_emulator(records_per_module=24, page_size=100, creator_batch_size=100)


def _download(emu, target) -> tuple[requests.Response, int]:
    """A completed job's download of ``target`` (and the job's record count), over HTTP."""
    product, _module, base, query = target
    if product == "creator":
        client = CreatorClient(emu)
        details = client.create_job(base, query)
        done = client.poll(base, details["id"])
        return client.get(done["result"]["download_url"]), done["result"]["count"]
    client = Client(emu)
    job_id = client.create(base, query)
    job = client.wait(base, job_id)
    return client.get(f"{base}/read/{job_id}/result"), job["result"]["count"]


def _member(payload: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        (name,) = archive.namelist()
        return archive.read(name)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t[0])
def test_bad_crc_once(emu, target):
    emu.faults.broken_result("bad_crc")
    response, _count = _download(emu, target)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert len(archive.namelist()) == 1  # the directory is intact, the data is not
        with pytest.raises((zipfile.BadZipFile, zlib.error)):
            archive.read(archive.namelist()[0])
    good, count = _download(emu, target)
    assert len(read_zip_csv(good.content)) == count + 1


def test_bad_crc_always_on_one_product_only(emu):
    emu.faults.broken_result("bad_crc", times=None, product="bigin")
    for _ in range(2):
        with pytest.raises((zipfile.BadZipFile, zlib.error)):
            _member(_download(emu, BIGIN)[0].content)
    assert _rows(_member(_download(emu, CRM)[0].content))
    emu.faults.clear()
    assert _rows(_member(_download(emu, BIGIN)[0].content))


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t[0])
def test_zip_bomb(emu, target):
    emu.faults.broken_result("zip_bomb")
    response, _count = _download(emu, target)
    assert len(response.content) < 2_000_000
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        (info,) = archive.infolist()
        assert info.file_size == 1 << 30 and info.filename.endswith(".csv")
        with archive.open(info) as member:
            assert member.read(1 << 20) == bytes(1 << 20)


def test_small_zip_bomb_inflates_exactly_with_a_good_crc(emu):
    emu.faults.broken_result("zip_bomb", bomb_size=3 * (1 << 20) + 7, modules="Leads")
    data = _member(_download(emu, CRM)[0].content)  # zipfile checks the CRC at the end
    assert data == bytes(3 * (1 << 20) + 7)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t[0])
def test_not_utf8(emu, target):
    emu.faults.broken_result("not_utf8")
    data = _member(_download(emu, target)[0].content)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"Caf\xe9" in data
    rows = list(csv.reader(io.StringIO(data.decode("latin-1"), newline="")))
    assert "Café" in rows[1]  # one cell of the first data row
    assert LATIN1_CELL.encode("utf-8", "surrogateescape") == b"Caf\xe9"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t[0])
def test_duplicate_header(emu, target):
    emu.faults.broken_result("duplicate_header")
    header = _rows(_member(_download(emu, target)[0].content))[0]
    assert header[1] == header[2] and len(set(header)) == len(header) - 1


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t[0])
def test_long_row(emu, target):
    emu.faults.broken_result("long_row")
    rows = _rows(_member(_download(emu, target)[0].content))
    assert len(rows[1]) == len(rows[0]) + 1 and rows[1][-1] == "surplus"
    assert all(len(row) == len(rows[0]) for row in rows[2:])


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t[0])
def test_two_members(emu, target):
    emu.faults.broken_result("two_members")
    response, count = _download(emu, target)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        parts = [_rows(archive.read(name)) for name in names]
    assert len(names) == 2 and all(name.endswith(".csv") for name in names)
    assert parts[0][0] == parts[1][0]  # each member has the header
    assert len(parts[0]) - 1 + len(parts[1]) - 1 == count and len(parts[1]) > 1


def test_damage_follows_modules_and_times(emu):
    emu.faults.broken_result("long_row", times=2, modules=[OFFRES, "Contacts"])
    emu.faults.broken_result("duplicate_header", times=None, product="crm", modules="Deals")
    leads = _rows(_member(_download(emu, CRM)[0].content))
    assert all(len(row) == len(leads[0]) for row in leads) and len(set(leads[0])) == len(leads[0])
    creator = ("creator", OFFRES, bulk(OFFRES), {})
    for target in (creator, BIGIN):
        rows = _rows(_member(_download(emu, target)[0].content))
        assert len(rows[1]) == len(rows[0]) + 1
    rows = _rows(_member(_download(emu, BIGIN)[0].content))
    assert all(len(row) == len(rows[0]) for row in rows)  # two uses, spent
    deals = ("crm", "Deals", "/crm/bulk/v8", {"module": {"api_name": "Deals"}, "fields": ["Deal_Name", "Amount"]})
    for _ in range(2):
        header = _rows(_member(_download(emu, deals)[0].content))[0]
        assert header == ["id", "Deal_Name", "Deal_Name"]
    with pytest.raises(ValueError, match="kind"):
        emu.faults.broken_result("nope")


def test_crm_numbers_are_plain_decimals(emu):
    """What the emulator writes for doubles and currencies: Python's shortest repr, never an
    exponent or a thousands separator, negative with a leading minus, integral ones as "100.0"."""
    client = Client(emu)
    query = {"module": {"api_name": "Deals"}, "fields": ["Amount", "Probability", "Expected_Revenue"]}
    _job, rows = client.export_page("/crm/bulk/v8", query)
    cells = [cell for row in rows[1:] for cell in row[1:] if cell]
    assert cells and all(re.fullmatch(r"-?\d+(\.\d+)?", cell) for cell in cells)
    assert any(cell.startswith("-") for cell in cells)


def test_invalid_numbers_option(make_emulator):
    emu = make_emulator(records_per_module=24, page_size=100, creator_batch_size=100, invalid_numbers={
        "Deals/Amount": "nan",
        "crm/Leads/Annual_Revenue": INVALID_NUMBERS,
        f"{OFFRES}/Montant": "1.234,50",
    })
    client = Client(emu)
    _job, rows = client.export_page("/crm/bulk/v8", {"module": {"api_name": "Deals"}, "fields": ["Amount"]})
    assert {row[1] for row in rows[1:]} <= {"nan", ""} and "nan" in {row[1] for row in rows[1:]}
    _job, rows = client.export_page("/crm/bulk/v8", {"module": {"api_name": "Leads"},
                                                     "fields": ["Annual_Revenue", "Lead_Score"]})
    revenue = [row[1] for row in rows[1:] if row[1]]
    assert set(revenue) == set(INVALID_NUMBERS)
    assert all(re.fullmatch(r"-?\d+", row[2]) for row in rows[1:] if row[2])  # other columns intact
    _job, rows = client.export_page("/bigin/bulk/v2", {"module": "Pipelines", "fields": ["Amount"]})
    assert not {row[1] for row in rows[1:]} & {"nan"}  # "Deals/Amount" is not Bigin's Pipelines
    creator = CreatorClient(emu)
    _done, rows, _response = creator.export_batch(bulk(OFFRES), {"fields": ["Montant", "Quantite"]})
    assert {row[1] for row in rows[1:]} <= {"1.234,50", ""} and "1.234,50" in {row[1] for row in rows[1:]}
    _done, rows, _response = creator.export_batch(bulk(f"{BENIN}/Pipeline_Commercial"), {"fields": ["Montant"]})
    assert "1.234,50" not in {row[1] for row in rows[1:]}  # another report of the same form
