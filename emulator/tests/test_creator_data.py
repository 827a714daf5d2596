"""The generated Creator workspace: shape, determinism, awkward values, and mutation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from zoho_emulator import Dataset

from tests.support import BENIN, BURKINA, OWNER

APPS = ("sales-benin", "sales-burkina")
REPORTS = ("Tous_les_Offres", "All_Clients", "Pipeline_Commercial")
SYSTEM = ["ID", "Added_Time", "Modified_Time", "Added_User"]
KINDS = {
    1: str, 2: str, 3: str, 4: str, 17: str, 29: str, 12: str, 13: str, 5: int, 9: int,
    6: float, 7: float, 8: float, 10: dt.date, 11: dt.datetime, 14: list, 15: list, 16: bool,
}  # fmt: skip


def test_reports_apps_and_columns(dataset):
    assert dataset.creator_reports() == [f"{OWNER}/{a}/{r}" for a in APPS for r in REPORTS]
    benin = dataset.creator_app(OWNER, "sales-benin")
    assert benin == {
        "application_name": "Ventes Bénin",
        "date_format": "dd-MMM-yyyy",
        "creation_date": benin["creation_date"],
        "link_name": "sales-benin",
        "category": 1,
        "time_zone": "Africa/Porto-Novo",
        "created_by": OWNER,
        "workspace_name": OWNER,
    }
    assert re.fullmatch(r"\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d", benin["creation_date"])
    burkina = dataset.creator_app(OWNER, "sales-burkina")
    assert (burkina["application_name"], burkina["time_zone"]) == ("Ventes Burkina", "Africa/Ouagadougou")
    with pytest.raises(KeyError):
        dataset.creator_app("someone", "sales-benin")
    offres = dataset.creator_report(f"{BENIN}/Tous_les_Offres")
    assert offres["form"] == "Offre" and offres["columns"][:4] == SYSTEM
    offre_fields = [f["link_name"] for f in dataset.fields("creator", f"{BENIN}/Offre")]
    assert set(offres["columns"][4:]) < set(offre_fields)  # "most" fields: one is in no report
    pipeline = dataset.creator_report(f"{BURKINA}/Pipeline_Commercial")
    assert pipeline["form"] == "Offre" and "Client.Nom" in pipeline["columns"]
    assert "Client.Nom" not in offre_fields
    clients = dataset.creator_report(f"{BENIN}/All_Clients")
    client_fields = [f["link_name"] for f in dataset.fields("creator", f"{BENIN}/Client")]
    assert clients == {"form": "Client", "columns": SYSTEM + client_fields}


def test_field_metadata_uses_creator_type_codes(dataset):
    fields = dataset.fields("creator", f"{BENIN}/Offre")
    base = {"link_name", "display_name", "type", "unique", "max_char", "mandatory"}
    # drop-down, radio, multi-select and checkbox fields (not lookups) also list their choices
    assert all(set(f) == base | ({"choices"} if f["type"] in (12, 13, 14, 15) and f["link_name"] != "Client"
                                 else set()) for f in fields)
    codes = {f["type"] for f in fields + dataset.fields("creator", f"{BENIN}/Client")}
    assert {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 29} <= codes
    lookup = next(f for f in fields if f["link_name"] == "Client")
    assert lookup["type"] == 12


@pytest.mark.parametrize("path", [f"{OWNER}/{a}/{r}" for a in APPS for r in REPORTS])
def test_canonical_records(dataset, path):
    owner, app, _ = path.split("/")
    report = dataset.creator_report(path)
    types = {f["link_name"]: f["type"] for f in dataset.fields("creator", f"{owner}/{app}/{report['form']}")}
    offset = {"sales-benin": dt.timedelta(hours=1), "sales-burkina": dt.timedelta(0)}[app]
    records = dataset.records("creator", path)
    assert len(records) == 90
    assert len({r["ID"] for r in records}) == 90
    for record in records:
        assert list(record) == report["columns"]
        assert re.fullmatch(r"\d{16,19}", record["ID"])
        assert record["Added_User"] == OWNER
        assert record["Added_Time"] <= record["Modified_Time"]
        for name in ("Added_Time", "Modified_Time"):
            assert record[name].utcoffset() == offset and record[name].microsecond == 0
        for name, value in record.items():
            if value is None or name in SYSTEM or name == "Client.Nom":
                continue
            code = types[name]
            expected = str if name == "Client" else KINDS[code]
            assert isinstance(value, expected), (name, value)
            if code == 16:
                assert isinstance(value, bool)
            if code == 11:
                assert value.utcoffset() == offset
            if isinstance(value, list):
                assert 1 <= len(value) <= 3
                assert all("," not in item and ";" not in item for item in value)


def test_lookup_and_display_value_columns(dataset):
    clients = {r["ID"]: r for r in dataset.records("creator", f"{BENIN}/All_Clients")}
    pipeline = dataset.records("creator", f"{BENIN}/Pipeline_Commercial")
    linked = [r for r in pipeline if r["Client"] is not None]
    assert linked and any(r["Client"] is None for r in pipeline)
    for record in linked:
        assert record["Client.Nom"] == clients[record["Client"]]["Nom"]
    # a report is a view of its form's records
    offres = {r["ID"]: r for r in dataset.records("creator", f"{BENIN}/Tous_les_Offres")}
    assert offres.keys() == {r["ID"] for r in pipeline}
    assert all(offres[r["ID"]]["Titre"] == r["Titre"] for r in pipeline)


def test_awkward_values_are_present(dataset):
    values = [
        v
        for path in (f"{BENIN}/Tous_les_Offres", f"{BURKINA}/All_Clients")
        for r in dataset.records("creator", path)
        for v in r.values()
    ]
    texts = [v for v in values if isinstance(v, str)]
    assert any("," in t for t in texts) and any('"' in t for t in texts) and any("\n" in t for t in texts)
    assert any(ord(ch) > 0xFFFF for t in texts for ch in t)  # emoji
    assert any(ch in "éèàçÉ" for t in texts for ch in t)  # French accents
    assert any(len(t) > 140_000 for t in texts)
    assert any(v is None for v in values)
    assert any(isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0 for v in values)
    added = [r["Added_Time"] for r in dataset.records("creator", f"{BENIN}/Tous_les_Offres")]
    assert max(added) - min(added) > dt.timedelta(days=365)


def test_deterministic_and_overridable():
    a = Dataset.generate(seed=4, records_per_module=6)
    b = Dataset.generate(seed=4, records_per_module=6)
    assert a.records("creator", f"{BENIN}/Tous_les_Offres") == b.records(
        "creator", f"{BENIN}/Tous_les_Offres"
    )
    apps = [{"link_name": "sales-india", "application_name": "Ventes Inde", "time_zone": "Asia/Kolkata",
             "date_format": "MM-dd-yyyy"}]  # fmt: skip
    custom = Dataset.generate(
        seed=4,
        records_per_module=6,
        creator_owner="zylker",
        creator_apps=apps,
        module_counts={("creator", "Client"): 2, ("creator", "sales-india/Offre"): 3},
    )
    assert custom.creator_reports() == [f"zylker/sales-india/{r}" for r in REPORTS]
    meta = custom.creator_app("zylker", "sales-india")
    assert (meta["date_format"], meta["time_zone"], meta["workspace_name"]) == (
        "MM-dd-yyyy",
        "Asia/Kolkata",
        "zylker",
    )
    assert len(custom.records("creator", "zylker/sales-india/All_Clients")) == 2
    offres = custom.records("creator", "zylker/sales-india/Tous_les_Offres")
    assert len(offres) == 3
    assert offres[0]["Added_Time"].utcoffset() == dt.timedelta(hours=5, minutes=30)
    # CRM and Bigin are unaffected by the Creator arguments
    assert a.records("crm", "Deals") == custom.records("crm", "Deals")


def test_add_and_update_records():
    data = Dataset.generate(seed=5, records_per_module=5)
    path = f"{BENIN}/Pipeline_Commercial"
    before = {r["ID"] for r in data.records("creator", path)}
    added = data.add_records("creator", path, 2)
    assert len(added) == 2 and not before & {r["ID"] for r in added}
    assert all(list(r) == data.creator_report(path)["columns"] for r in added)
    assert all(int(r["ID"]) > max(int(i) for i in before) for r in added)
    now = dt.datetime.now(dt.UTC)
    for record in added:
        assert record["Added_Time"] == record["Modified_Time"]
        assert abs(record["Added_Time"] - now) < dt.timedelta(seconds=5)
        assert record["Added_Time"].utcoffset() == dt.timedelta(hours=1)
    # the other reports of the form see them too
    assert {r["ID"] for r in added} <= {r["ID"] for r in data.records("creator", f"{BENIN}/Tous_les_Offres")}
    stamp = dt.datetime(2020, 5, 1, 12, 0, tzinfo=dt.UTC)
    (old,) = data.add_records("creator", path, 1, created_time=stamp)
    assert old["Added_Time"] == stamp
    with pytest.raises(ValueError):
        data.add_records("creator", path, 1, created_time=dt.datetime(2020, 1, 1))
    updated = data.update_record("creator", path, old["ID"], Statut="Gagné", Montant=-12.5)
    assert (updated["Statut"], updated["Montant"]) == ("Gagné", -12.5)
    assert updated["Modified_Time"] > stamp and updated["Added_Time"] == stamp
    assert updated in data.records("creator", path)
    fixed = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    assert data.update_record("creator", path, old["ID"], Modified_Time=fixed)["Modified_Time"] == fixed
    with pytest.raises(KeyError):
        data.update_record("creator", path, old["ID"], Nope=1)
    with pytest.raises(KeyError):
        data.update_record("creator", path, "1", Statut="Perdu")
    with pytest.raises(KeyError):
        data.records("creator", f"{BENIN}/Nope")
