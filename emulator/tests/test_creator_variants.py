"""Creator apps a client must survive: Get Fields choices (and a choice holding the CSV separator),
reports without Added_Time / Modified_Time / ID, two workspaces with the same link names, and
applications whose metadata lacks date_format or time_zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator
from zoho_emulator.creator.app_catalog import DEFAULT_APPS, SEPARATOR_CHOICE

from tests.support import BENIN, OWNER, CreatorClient, bulk, creator_body

BENIN_SPEC, BURKINA_SPEC = DEFAULT_APPS
FIELDS = f"/creator/v2.1/meta/{BENIN}/form/Offre/fields"


def _variant(make_emulator, records: int = 30, other_owners: tuple[str, ...] = (), **app_options):
    apps = [dataclasses.replace(BENIN_SPEC, **app_options), BURKINA_SPEC]
    dataset = Dataset.generate(seed=5, records_per_module=records, creator_apps=apps,
                               creator_other_owners=other_owners)
    emu = make_emulator(dataset=dataset, creator_batch_size=1000)
    return emu, CreatorClient(emu)


def _fields(client: CreatorClient, path: str = FIELDS) -> dict[str, dict]:
    body = creator_body(client.get(path))
    assert body["code"] == 3000
    return {f["link_name"]: f for f in body["fields"]}


def _error(response, status: int, code: int) -> str:
    body = creator_body(response)
    assert (response.status_code, body["code"]) == (status, code), body
    return body["message"]


def test_get_fields_lists_choices_as_objects_by_default(cclient):
    for path in (FIELDS, f"/api/v2/{BENIN}/form/Offre/fields"):
        fields = _fields(cclient, path)
        produits = fields["Produits"]["choices"]
        assert [c["display_value"] for c in produits][:2] == ["Kit solaire 🔆", "Télévision"]
        assert all(set(c) == {"display_value", "id"} and c["id"].isdigit() and len(c["id"]) == 19
                   for c in produits)
        assert len({c["id"] for c in produits}) == len(produits)
        for name in ("Statut", "Priorite", "Canaux"):  # drop-down, radio, checkbox
            assert fields[name]["choices"], name
        assert "choices" not in fields["Client"]  # a lookup shown as a drop-down
        assert "choices" not in fields["Titre"]
    assert _fields(cclient)["Produits"] == _fields(cclient)["Produits"]  # stable ids


@pytest.mark.parametrize(("style", "expected"), [("strings", ["SMS", "Appel"]), ("none", None)])
def test_get_fields_choices_style(make_emulator, style, expected):
    emu = make_emulator(records_per_module=5, creator_field_choices=style)
    canaux = _fields(CreatorClient(emu))["Canaux"]
    assert canaux.get("choices", [None, None])[:2] == (expected or [None, None])
    assert ("choices" in canaux) == (expected is not None)


def test_unknown_choices_style_is_refused():
    with pytest.raises(ValueError, match="creator_field_choices"):
        ZohoEmulator(EmulatorOptions.fast(creator_field_choices="dicts"), Dataset.generate(records_per_module=1))


def test_a_choice_holding_the_separator(make_emulator):
    emu, client = _variant(make_emulator, separator_choice=True)
    choices = [c["display_value"] for c in _fields(client)["Produits"]["choices"]]
    assert SEPARATOR_CHOICE in choices and ", " in SEPARATOR_CHOICE
    path = f"{BENIN}/Tous_les_Offres"
    picked = [r for r in emu.dataset.records("creator", path) if SEPARATOR_CHOICE in (r["Produits"] or [])]
    assert picked
    _done, rows, _response = client.export_batch(bulk(path), {"fields": ["Produits"]})
    cells = {row[0]: row[1] for row in rows[1:]}
    cell = cells[picked[0]["ID"]]
    assert SEPARATOR_CHOICE in cell
    assert "Fer" in cell.split(", ") and "Fer" not in choices  # a naive split invents choices
    # the other app keeps the plain choices
    burkina = _fields(client, "/creator/v2.1/meta/acme/sales-burkina/form/Offre/fields")
    assert SEPARATOR_CHOICE not in [c["display_value"] for c in burkina["Produits"]["choices"]]


def test_reports_without_system_columns(make_emulator):
    emu, client = _variant(make_emulator, narrow_reports=True)
    listed = [r["link_name"] for r in creator_body(client.get(f"/api/v2.1/{BENIN}/reports"))["reports"]]
    assert listed[3:] == ["Offres_Sans_Ajout", "Offres_Sans_Dates", "Offres_Sans_ID"]
    everything = {r["ID"] for r in emu.dataset.records("creator", f"{BENIN}/Tous_les_Offres")}
    headers = {}
    for report in listed[3:]:
        _done, rows, _response = client.export_batch(bulk(f"{BENIN}/{report}"))
        headers[report] = rows[0]
        assert rows[0] == emu.dataset.creator_report(f"{BENIN}/{report}")["columns"]
        assert len(rows) - 1 == len(everything)
    assert headers["Offres_Sans_Ajout"][:3] == ["ID", "Modified_Time", "Added_User"]
    assert "Added_Time" not in headers["Offres_Sans_Dates"] and "Modified_Time" not in headers["Offres_Sans_Dates"]
    assert "ID" not in headers["Offres_Sans_ID"] and headers["Offres_Sans_ID"][0] == "Added_Time"
    # fields naming a column the report hides are refused, and no ID is slipped in
    _done, rows, _response = client.export_batch(bulk(f"{BENIN}/Offres_Sans_ID"), {"fields": ["Titre"]})
    assert rows[0] == ["Titre"]
    message = _error(client.post(bulk(f"{BENIN}/Offres_Sans_ID"), {"query": {"fields": ["ID"]}}), 400, 3020)
    assert "ID" in message
    assert [r for r in emu.dataset.records("creator", f"{BENIN}/Offres_Sans_ID") if "ID" in r] == []


@pytest.mark.parametrize(
    ("report", "criteria"),
    [
        ("Offres_Sans_Ajout", 'Added_Time >= "01-Jan-2024 00:00:00"'),
        ("Offres_Sans_Dates", 'Modified_Time < "01-Jan-2024 00:00:00"'),
        ("Offres_Sans_ID", "ID > 0"),
        ("Tous_les_Offres", 'Commentaire_Interne == "x"'),  # a form field no report shows
    ],
)
def test_criteria_on_a_column_the_report_does_not_show_is_3020(make_emulator, report, criteria):
    _emu, client = _variant(make_emulator, records=5, narrow_reports=True)
    response = client.post(bulk(f"{BENIN}/{report}"), {"query": {"criteria": criteria}})
    column = criteria.split()[0]
    assert _error(response, 400, 3020) == f"Invalid criteria: no field named {column!r} in this report."


def test_criteria_on_a_shown_date_of_a_narrow_report(make_emulator):
    emu, client = _variant(make_emulator, narrow_reports=True)
    path = f"{BENIN}/Offres_Sans_Ajout"
    _done, rows, _response = client.export_batch(bulk(path), {"criteria": 'Modified_Time >= "01-Jan-2025 00:00:00"'})
    cutoff = dt.datetime(2025, 1, 1, tzinfo=ZoneInfo(BENIN_SPEC.time_zone))  # literals are in the app's zone
    expected = {r["ID"] for r in emu.dataset.records("creator", path) if r["Modified_Time"] >= cutoff}
    assert {row[0] for row in rows[1:]} == expected and expected


def test_a_report_without_id_still_pages_by_cursor(make_emulator):
    apps = [dataclasses.replace(BENIN_SPEC, narrow_reports=True)]
    emu = make_emulator(dataset=Dataset.generate(seed=5, records_per_module=25, creator_apps=apps),
                        creator_batch_size=10)
    client = CreatorClient(emu)
    base = bulk(f"{BENIN}/Offres_Sans_ID")
    done, rows, _response = client.export_batch(base, {"fields": ["Titre", "Added_Time"]})
    seen = rows[1:]
    while "record_cursor" in done["result"]:
        done, rows, _response = client.export_batch(base, {"record_cursor": done["result"]["record_cursor"]})
        assert rows[0] == ["Titre", "Added_Time"]
        seen += rows[1:]
    assert len(seen) == 25


def test_two_owners_with_the_same_link_names(make_emulator):
    emu, client = _variant(make_emulator, records=12, other_owners=("globex",))
    apps = creator_body(client.get("/creator/v2.1/meta/applications"))["applications"]
    assert [(a["workspace_name"], a["link_name"]) for a in apps] == [
        (OWNER, "sales-benin"), (OWNER, "sales-burkina"), ("globex", "sales-benin"), ("globex", "sales-burkina"),
    ]
    only = creator_body(client.get("/creator/v2.1/meta/globex/applications"))["applications"]
    assert [a["workspace_name"] for a in only] == ["globex", "globex"]
    assert _error(client.get("/creator/v2.1/meta/nobody/applications"), 404, 1040)
    assert "globex/sales-benin/All_Clients" in emu.dataset.creator_reports()
    exports = {}
    for owner in (OWNER, "globex"):
        path = f"{owner}/sales-benin/All_Clients"
        _done, rows, _response = client.export_batch(bulk(path))
        exports[owner] = {row[0]: row for row in rows[1:]}
        assert exports[owner].keys() == {r["ID"] for r in emu.dataset.records("creator", path)}
        assert _fields(client, f"/creator/v2.1/meta/{owner}/sales-benin/form/Client/fields")
    assert not exports[OWNER].keys() & exports["globex"].keys()  # same names, other records
    added = emu.dataset.add_records("creator", "globex/sales-benin/All_Clients", 1)
    assert added[0]["Added_User"] == "globex"
    assert len(emu.dataset.records("creator", f"{OWNER}/sales-benin/All_Clients")) == 12


def test_applications_lacking_date_format_or_time_zone(make_emulator):
    emu, client = _variant(make_emulator, records=5, omit_metadata=("date_format", "time_zone"))
    benin, burkina = creator_body(client.get("/api/v2/applications"))["applications"]
    assert "date_format" not in benin and "time_zone" not in benin and benin["link_name"] == "sales-benin"
    assert {"date_format", "time_zone"} <= set(burkina)
    assert emu.dataset.creator_app(OWNER, "sales-benin") == benin
    # the data is still written in the app's own format and zone
    _done, rows, _response = client.export_batch(bulk(f"{BENIN}/Tous_les_Offres"), {"fields": ["Date_Offre"]})
    assert all(len(row[1].split("-")) == 3 for row in rows[1:] if row[1])
    _emu, client = _variant(make_emulator, records=5, omit_metadata=("time_zone",))
    benin = creator_body(client.get("/api/v2/applications"))["applications"][0]
    assert "time_zone" not in benin and benin["date_format"] == "dd-MMM-yyyy"


def test_app_variants_from_override_dicts():
    dataset = Dataset.generate(records_per_module=3, creator_apps=[{
        "link_name": "sales-india", "time_zone": "Asia/Kolkata", "separator_choice": True,
        "narrow_reports": True, "omit_metadata": ["date_format"],
    }])
    assert "date_format" not in dataset.creator_app(OWNER, "sales-india")
    assert f"{OWNER}/sales-india/Offres_Sans_Dates" in dataset.creator_reports()
    produits = next(f for f in dataset.fields("creator", f"{OWNER}/sales-india/Offre") if f["link_name"] == "Produits")
    assert SEPARATOR_CHOICE in [c["display_value"] for c in produits["choices"]]
