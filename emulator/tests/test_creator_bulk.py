"""Creator bulk read: job lifecycle, URL families, batches and cursors, request validation, CSV."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from typing import Any

import pytest
import requests
from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator

from tests.support import (
    BENIN,
    BURKINA,
    CreatorClient,
    bulk,
    creator_body,
    zip_members,
)

OFFRES = f"{BENIN}/Tous_les_Offres"
PIPELINE = f"{BURKINA}/Pipeline_Commercial"


@pytest.fixture
def private():
    started: list[ZohoEmulator] = []

    def make(records: int = 30, **options: Any) -> tuple[ZohoEmulator, CreatorClient]:
        emulator = ZohoEmulator(
            EmulatorOptions.fast(**options),
            Dataset.generate(seed=9, records_per_module=records),
        ).start()
        started.append(emulator)
        return emulator, CreatorClient(emulator)

    yield make
    for emulator in started:
        emulator.stop()


def _error(response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = creator_body(response)
    assert set(body) == {"code", "message"} and body["code"] == code, body
    return body["message"]


# ------------------------------------------------------------------ lifecycle
def test_create_response_shape(cclient):
    response = cclient.post(bulk(OFFRES, "v2"), {"query": {}})
    assert response.status_code == 200
    body = creator_body(response)
    assert set(body) == {"code", "details"} and body["code"] == 3000
    details = body["details"]
    assert list(details) == ["created_time", "id", "operation", "created_by", "status"]
    assert re.fullmatch(r"\d{13}", details["id"])
    assert (details["operation"], details["created_by"], details["status"]) == ("read", "acme", "In-progress")
    created = dt.datetime.strptime(details["created_time"], "%d-%b-%Y %H:%M:%S")
    local_now = dt.datetime.now(dt.timezone(dt.timedelta(hours=1))).replace(tzinfo=None)  # Porto-Novo
    assert abs(created - local_now) < dt.timedelta(seconds=5)


@pytest.mark.parametrize(
    ("ver", "family", "download_url"),
    [
        ("v2", "creator", "/api/bulk/v2/acme/sales-benin/report/Tous_les_Offres/read/{id}/result"),
        ("v2.1", "creator", "/api/bulk/v2.1/acme/sales-benin/report/Tous_les_Offres/read/{id}/result/"),
        ("v2", "zohoapis", "/creator/v2/bulk/acme/sales-benin/report/Tous_les_Offres/read/{id}/result"),
        ("v2.1", "zohoapis", "/creator/v2.1/bulk/acme/sales-benin/report/Tous_les_Offres/read/{id}/result"),
    ],
)
def test_status_and_download_per_family(cclient, cemu, ver, family, download_url):
    base = bulk(OFFRES, ver, family)
    details, rows, response = cclient.export_batch(base)
    assert list(details) == ["result", "created_time", "id", "operation", "created_by", "status"]
    result = details["result"]
    assert result["download_url"] == download_url.format(id=details["id"])
    assert result["count"] == 40 == len(rows) - 1
    if ver == "v2.1":
        assert set(result) == {"count", "download_url", "record_cursor"}
    else:
        assert set(result) == {"count", "download_url"}  # v2 names the cursor only in the download header
    assert response.headers["recordCursor"]
    assert zip_members(response.content) == [f"Tous_les_Offres_{details['id']}.csv"]
    assert rows[0] == cemu.dataset.creator_report(OFFRES)["columns"]
    expected = sorted(int(r["ID"]) for r in cemu.dataset.records("creator", OFFRES))[:40]
    assert sorted(int(row[0]) for row in rows[1:]) == expected  # first batch = lowest IDs
    assert [row[0] for row in rows[1:]] != [str(i) for i in expected]  # rows are shuffled


def test_download_with_and_without_trailing_slash(cclient):
    base = bulk(PIPELINE, "v2")
    details, _rows, _response = cclient.export_batch(base)
    for suffix in ("/result", "/result/"):
        assert cclient.get(f"{base}/{details['id']}{suffix}").status_code == 200
    other = bulk(PIPELINE, "v2.1", "zohoapis")  # the job is reachable from the other family too
    assert cclient.get(f"{other}/{details['id']}/result/").status_code == 200


def test_in_progress_until_duration_and_polls(private):
    _emu, client = private(records=3, job_duration=0.3, min_polls=3)
    base = bulk(OFFRES)
    job_id = client.create_job(base)["id"]
    seen = []
    for _ in range(3):
        details = creator_body(client.get(f"{base}/{job_id}"))["details"]
        seen.append(details["status"])
        assert ("result" in details) == (details["status"] == "Completed")
        time.sleep(0.16)
    assert seen == ["In-progress", "In-progress", "Completed"]
    early_id = client.create_job(base)["id"]
    message = _error(client.get(f"{base}/{early_id}/result"), 404, 2930)
    assert message == "Error Occurred. We are sorry for the inconvenience."


def test_upper_status_style(private):
    _emu, client = private(records=3, creator_status_style="upper")
    base = bulk(OFFRES)
    assert client.create_job(base)["status"] == "IN PROGRESS"
    done = client.poll(base, client.create_job(base)["id"])
    assert done["status"] == "COMPLETED" and done["result"]["count"] == 3


def test_failed_jobs(private):
    emu, client = private(records=5)
    base = bulk(OFFRES, "v2", "zohoapis")
    emu.faults.fail_next_jobs(2)
    failed = [client.poll(base, client.create_job(base)["id"]) for _ in range(2)]
    assert [d["status"] for d in failed] == ["Failed", "Failed"]
    assert all("result" not in d for d in failed)
    _error(client.get(f"{base}/{failed[0]['id']}/result"), 404, 2930)
    assert client.poll(base, client.create_job(base)["id"])["status"] == "Completed"


def test_unknown_and_foreign_jobs(cclient):
    base = bulk(OFFRES)
    _error(cclient.get(f"{base}/2000000099003"), 404, 1000)
    _error(cclient.get(f"{base}/2000000099003/result"), 404, 1000)
    job_id = cclient.create_job(base)["id"]
    _error(cclient.get(f"{bulk(f'{BENIN}/All_Clients')}/{job_id}"), 404, 1000)  # a job of another report
    _error(cclient.get(f"{bulk(f'{BURKINA}/Tous_les_Offres')}/{job_id}"), 404, 1000)


def test_results_expire(private):
    _emu, client = private(records=3, creator_result_ttl=0.3)
    base = bulk(OFFRES)
    done = client.poll(base, client.create_job(base)["id"])
    assert client.get(done["result"]["download_url"]).status_code == 200
    time.sleep(0.35)
    _error(client.get(done["result"]["download_url"]), 404, 1000)


def test_snapshot_is_fixed_at_creation(private):
    emu, client = private(records=10, job_duration=0.2)
    base = bulk(f"{BENIN}/All_Clients")
    job_id = client.create_job(base)["id"]
    emu.dataset.add_records("creator", f"{BENIN}/All_Clients", 3)
    done = client.poll(base, job_id)
    assert done["result"]["count"] == 10


# ------------------------------------------------------------------ batches and cursors
def _ids(rows: list[list[str]]) -> list[str]:
    return [row[0] for row in rows[1:]]


def test_v21_cursor_in_status_reaches_every_record_once(cclient, cemu):
    base = bulk(OFFRES, "v2.1")
    details, rows, response = cclient.export_batch(base)
    ids, batches = _ids(rows), 1
    while "record_cursor" in details["result"]:
        cursor = details["result"]["record_cursor"]
        assert response.headers["recordCursor"] == cursor
        details, rows, response = cclient.export_batch(base, {"record_cursor": cursor})
        ids += _ids(rows)
        batches += 1
    assert "recordCursor" not in response.headers
    expected = [r["ID"] for r in cemu.dataset.records("creator", OFFRES)]
    assert batches == 3  # 90 records, 40 per batch
    assert len(ids) == len(set(ids)) == 90 and set(ids) == set(expected)


@pytest.mark.parametrize("family", ["creator", "zohoapis"])
def test_v2_cursor_in_download_header_reaches_every_record_once(cclient, cemu, family):
    base = bulk(PIPELINE, "v2", family)
    query = {"fields": ["Statut", "Client.Nom"], "criteria": 'Statut != "Perdu"'}
    details, rows, response = cclient.export_batch(base, query)
    header = rows[0]
    ids, counts = _ids(rows), [details["result"]["count"]]
    while "recordCursor" in response.headers:
        assert "record_cursor" not in details["result"]
        details, rows, response = cclient.export_batch(
            base, {"record_cursor": response.headers["recordCursor"]}
        )
        assert rows[0] == header == ["ID", "Statut", "Client.Nom"]  # the cursor keeps the query
        assert all(row[1] != "Perdu" for row in rows[1:])
        ids += _ids(rows)
        counts.append(details["result"]["count"])
    expected = [r["ID"] for r in cemu.dataset.records("creator", PIPELINE) if r["Statut"] != "Perdu"]
    assert len(ids) == len(set(ids)) and set(ids) == set(expected)
    assert counts[:-1] == [40] * (len(counts) - 1) and sum(counts) == len(expected)


def test_max_records_caps_the_batch(private):
    _emu, client = private(records=150_001 // 1000, creator_batch_size=200_000)
    details, rows, response = client.export_batch(bulk(OFFRES), {"max_records": 100_000})
    assert details["result"]["count"] == 150 and "recordCursor" not in response.headers
    assert len(rows) == 151


def test_cursor_only_rule(cclient):
    base = bulk(OFFRES, "v2.1")
    details, _rows, _response = cclient.export_batch(base)
    cursor = details["result"]["record_cursor"]
    for extra in ({"max_records": 100000}, {"fields": ["Titre"]}, {"criteria": 'Statut == "Ouvert"'}):
        response = cclient.post(base, {"query": {"record_cursor": cursor, **extra}})
        message = _error(response, 400, 3020)
        assert "record_cursor" in message and "only" in message, message
    assert cclient.create_job(base, {"record_cursor": cursor})["status"] == "In-progress"
    message = _error(cclient.post(base, {"query": {"record_cursor": "bogus"}}), 400, 3020)
    assert "record_cursor" in message and "invalid" in message
    other = bulk(f"{BURKINA}/Tous_les_Offres", "v2.1")
    message = _error(cclient.post(other, {"query": {"record_cursor": cursor}}), 400, 3020)
    assert "another report" in message


def test_cursor_expires(private):
    _emu, client = private(records=30, creator_batch_size=20, creator_cursor_ttl=0.4)
    base = bulk(OFFRES, "v2")
    _details, _rows, response = client.export_batch(base)
    cursor = response.headers["recordCursor"]
    time.sleep(0.45)
    message = _error(client.post(base, {"query": {"record_cursor": cursor}}), 400, 3020)
    assert "expired" in message


def test_new_records_show_up_in_later_batches(private):
    emu, client = private(records=30, creator_batch_size=20)
    base = bulk(OFFRES, "v2.1")
    details, rows, _response = client.export_batch(base)
    fresh = emu.dataset.add_records("creator", OFFRES, 2)
    details, rows, _response = client.export_batch(
        base, {"record_cursor": details["result"]["record_cursor"]}
    )
    assert {r["ID"] for r in fresh} <= set(_ids(rows))
    assert details["result"]["count"] == 12


# ------------------------------------------------------------------ request validation
@pytest.mark.parametrize(
    "raw",
    [b"", b"{not json", b"[]", b"{}", b'{"query": null}', b'{"query": "x"}', b'{"query": []}'],
)
def test_missing_or_garbled_body_is_3020(cclient, raw):
    url = cclient.emu.url + bulk(OFFRES)
    response = cclient.http.post(
        url, data=raw, headers=cclient.headers(**{"Content-Type": "application/json"})
    )
    assert (response.status_code, creator_body(response)) == (
        400,
        {"code": 3020, "message": "API request's body is either missing or incomplete."},
    )


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ({"max_records": 99_000}, "max_records"),
        ({"max_records": 201_000}, "max_records"),
        ({"max_records": 150_500}, "max_records"),
        ({"max_records": "100000"}, "max_records"),
        ({"max_records": 100_000.5}, "max_records"),
        ({"fields": ["Titre", "Nope"]}, "Nope"),
        ({"fields": ["Commentaire_Interne"]}, "Commentaire_Interne"),  # a form field the report does not show
        ({"fields": "Titre"}, "fields"),
        ({"criteria": 'Nope == "x"'}, "Nope"),
        ({"criteria": 'Statut = "Ouvert"'}, "criteria"),
        ({"criteria": "Statut == Ouvert"}, "criteria"),
        ({"criteria": 'Added_Time >= "2024-01-01T00:00:00Z"'}, "Added_Time"),
        ({"criteria": 42}, "criteria"),
        ({"page": 2}, "page"),
    ],
)
def test_invalid_query_is_400_with_a_clear_message(cclient, query, needle):
    message = _error(cclient.post(bulk(OFFRES), {"query": query}), 400, 3020)
    assert needle in message, message


def test_unknown_top_level_key(cclient):
    message = _error(cclient.post(bulk(OFFRES), {"query": {}, "callback": {"url": "http://x"}}), 400, 3020)
    assert "callback" in message


@pytest.mark.parametrize("max_records", [100_000, 137_000, 200_000])
def test_valid_max_records(cclient, max_records):
    assert cclient.create_job(bulk(OFFRES), {"max_records": max_records})["id"]


def test_fields_order_and_id_first(cclient, cemu):
    _details, rows, _response = cclient.export_batch(
        bulk(PIPELINE), {"fields": ["Montant", "Client.Nom", "ID", "Titre", "Montant"]}
    )
    assert rows[0] == ["ID", "Montant", "Client.Nom", "Titre"]
    by_id = {r["ID"]: r for r in cemu.dataset.records("creator", PIPELINE)}
    for row in rows[1:]:
        assert row[2] == (by_id[row[0]]["Client.Nom"] or "")
        assert row[3] == by_id[row[0]]["Titre"]


# ------------------------------------------------------------------ CSV values
def _expected_cell(value: Any, tz: dt.tzinfo) -> str:
    """Creator's CSV text for a canonical value, with an app date format of dd-MMM-yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).strftime("%d-%b-%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d-%b-%Y")
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


@pytest.mark.parametrize(
    ("path", "offset"),
    [(OFFRES, 1), (f"{BURKINA}/Tous_les_Offres", 0), (f"{BENIN}/All_Clients", 1), (PIPELINE, 0)],
)
def test_csv_values(private, path, offset):
    emu, client = private(records=25, creator_batch_size=200_000)
    base = bulk(path, "v2")
    _details, rows, response = client.export_batch(base)
    tz = dt.timezone(dt.timedelta(hours=offset))
    expected = {r["ID"]: r for r in emu.dataset.records("creator", path)}
    assert len(rows) - 1 == len(expected)
    header = rows[0]
    for row in rows[1:]:
        record = expected[row[0]]
        assert header == list(record)
        assert row == [_expected_cell(record[column], tz) for column in header]
    raw = response.content
    assert raw[:2] == b"PK"


def test_csv_awkward_cells_survive(private):
    emu, client = private(records=25, creator_batch_size=200_000)
    path = OFFRES
    record = emu.dataset.records("creator", path)[0]
    emu.dataset.update_record(
        "creator",
        path,
        record["ID"],
        Titre='Kit "Confort", 2 × 🔋\nligne 2',  # noqa: RUF001 - multiplication sign on purpose
        Produits=["Télévision", 'Batterie "Pro"', "Radio FM"],
        Canaux=None,
        Quantite=-3,
        Prix_Unitaire=-0.5,
        Est_Signe=False,
        Date_Offre=dt.date(2024, 2, 29),
        Date_Relance=dt.datetime(2024, 1, 31, 23, 30, tzinfo=dt.UTC),
    )
    _details, rows, _response = client.export_batch(bulk(path))
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == record["ID"])
    cells = dict(zip(header, row, strict=True))
    assert cells["Titre"] == 'Kit "Confort", 2 × 🔋\nligne 2'  # noqa: RUF001
    assert cells["Produits"] == 'Télévision, Batterie "Pro", Radio FM'
    assert cells["Canaux"] == ""
    assert (cells["Quantite"], cells["Prix_Unitaire"], cells["Est_Signe"]) == ("-3", "-0.5", "false")
    assert cells["Date_Offre"] == "29-Feb-2024"
    assert cells["Date_Relance"] == "01-Feb-2024 00:30:00"  # Porto-Novo is UTC+1
    assert re.fullmatch(r"\d{19}", cells["ID"])
    assert max(len(cell) for r in rows for cell in r) > 140_000


def test_csv_options(private):
    emu, client = private(
        records=10,
        creator_batch_size=200_000,
        creator_multiselect_separator=";",
        csv_bom=True,
        csv_line_terminator="\n",
    )
    path = OFFRES
    record = emu.dataset.records("creator", path)[0]
    emu.dataset.update_record("creator", path, record["ID"], Canaux=["SMS", "Appel"])
    details, _rows, _response = client.export_batch(bulk(path))
    payload = client.get(details["result"]["download_url"]).content
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        text = archive.read(archive.namelist()[0]).decode("utf-8")
    assert text.startswith("\ufeffID,") and not text.split("\n", 1)[0].endswith("\r")
    assert "Appel;SMS" in text or "SMS;Appel" in text


def test_truncated_download_fault_applies(private):
    emu, client = private(records=10)
    details = client.poll(bulk(OFFRES), client.create_job(bulk(OFFRES))["id"])
    emu.faults.truncate_download()
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        client.http.get(emu.url + details["result"]["download_url"], headers=client.headers()).content  # noqa: B018
    assert client.get(details["result"]["download_url"]).status_code == 200
