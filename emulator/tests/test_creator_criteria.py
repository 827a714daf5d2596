"""Creator criteria strings: parsing, and evaluation in each app's date format and time zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator
from zoho_emulator.creator.criteria import Comparison, CriteriaError, Junction, evaluate, parse

from tests.support import BENIN, CreatorClient, bulk

UTC = dt.UTC
KOLKATA = ZoneInfo("Asia/Kolkata")
KINDS = {
    "Added_Time": "datetime", "Statut": "text", "Montant": "number", "ID": "id", "Est_Signe": "bool",
    "Produits": "multi", "Date_Offre": "date", "Client.Nom": "text", "Client": "id",
}  # fmt: skip


def _parse(text: str, date_format: str = "dd-MMM-yyyy", tz: ZoneInfo = KOLKATA) -> Any:
    return parse(text, KINDS.get, date_format, tz)


# ------------------------------------------------------------------ parsing
def test_the_taps_window_expression():
    node = _parse(
        'Added_Time >= "01-Jan-2024 00:00:00" && Added_Time < "01-Feb-2024 10:30:00" && (Statut == "Ouvert")'
    )
    assert isinstance(node, Junction) and node.op == "&&"
    start, end, statut = node.children
    assert start == Comparison("Added_Time", "datetime", ">=", dt.datetime(2024, 1, 1, tzinfo=KOLKATA))
    assert end.operand == dt.datetime(2024, 2, 1, 10, 30, tzinfo=KOLKATA)
    assert statut == Comparison("Statut", "text", "==", "Ouvert")


def test_precedence_parentheses_and_literals():
    node = _parse("Montant > -1.5 || Est_Signe == true && (Produits == 'Radio FM' || Client.Nom != null)")
    assert isinstance(node, Junction) and node.op == "||"
    assert node.children[0] == Comparison("Montant", "number", ">", Decimal("-1.5"))
    inner = node.children[1]
    assert isinstance(inner, Junction) and inner.op == "&&"
    assert inner.children[0] == Comparison("Est_Signe", "bool", "==", True)
    assert _parse('Statut == "say \\"hi\\""').operand == 'say "hi"'
    assert _parse("ID == 3838000000000012345").operand == Decimal("3838000000000012345")
    assert _parse('Client == "3838000000000012345"').operand == Decimal("3838000000000012345")
    assert _parse("   ") is None


def test_dates_follow_the_app_format():
    assert _parse('Date_Offre == "01-15-2024"', "MM-dd-yyyy").operand == dt.date(2024, 1, 15)
    assert _parse('Added_Time < "Jan 15,2024 08:00:00"', "MMM dd,yyyy").operand == dt.datetime(
        2024, 1, 15, 8, tzinfo=KOLKATA
    )
    day = _parse('Added_Time >= "15-Jan-2024"')
    assert (day.operand, day.date_only) == (dt.date(2024, 1, 15), True)
    with pytest.raises(CriteriaError, match="MM-dd-yyyy"):
        _parse('Date_Offre == "15-Jan-2024"', "MM-dd-yyyy")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('Nope == "x"', "Nope"),
        ('Client.Ville == "x"', "Client.Ville"),
        ('Statut = "x"', "position 8"),
        ("Statut == Ouvert", "quoted"),
        ('Statut == "x" &&', "end"),
        ('(Statut == "x"', "')'"),
        ('Statut == "x")', "')'"),
        ('Statut > "x"', ">"),
        ('Montant == "5"', "number"),
        ("Est_Signe == 1", "true or false"),
        ("Montant < null", "null"),
        ('Added_Time >= "2024-01-01 00:00:00"', "dd-MMM-yyyy HH:mm:ss"),
        ('Added_Time >= "01-Jan-2024 00:00:00.000"', "Added_Time"),
        ('"x" == Statut', "field link name"),
        ('Statut == "unterminated', "position"),
    ],
)
def test_malformed(text, needle):
    with pytest.raises(CriteriaError) as info:
        _parse(text)
    assert needle in str(info.value)


def test_evaluation_semantics():
    record = {
        "Statut": "Ouvert", "Montant": 10.5, "ID": "3838000000000012345", "Est_Signe": False,
        "Produits": ["Radio FM", "Télévision"], "Date_Offre": dt.date(2024, 1, 15), "Client.Nom": None,
        "Added_Time": dt.datetime(2024, 1, 15, 23, 59, 59, tzinfo=KOLKATA), "Client": None,
    }  # fmt: skip

    def matches(text: str) -> bool:
        return evaluate(_parse(text), record.get, KOLKATA)

    assert matches('Statut == "Ouvert"') and matches('Statut == "OUVERT"') and not matches('Statut == "Ouv"')
    assert matches('Produits == "radio fm"') and not matches('Produits == "Radio"')
    assert matches('Statut != "Perdu"') and matches("Client.Nom == null") and not matches('Client.Nom == "x"')
    assert matches('Client.Nom != "x"') and matches('Client.Nom == ""')
    assert matches("Montant >= 10.5") and not matches("Montant > 10.5") and matches("Montant != 3")
    assert matches("ID > 3838000000000012344") and not matches("Client > 1")
    assert (
        matches("Est_Signe == false") and matches('Produits == "Radio FM"') and matches('Produits != "SMS"')
    )
    assert matches('Date_Offre >= "15-Jan-2024"') and not matches('Date_Offre > "15-Jan-2024"')
    assert matches('Added_Time == "15-Jan-2024"')  # a date literal compares the calendar day
    assert matches('Added_Time < "16-Jan-2024 00:00:00"') and not matches(
        'Added_Time < "15-Jan-2024 23:59:59"'
    )
    # the same instant seen from UTC: 18:29:59Z
    assert evaluate(_parse('Added_Time == "15-Jan-2024 18:29:59"', tz=ZoneInfo("UTC")), record.get, KOLKATA)
    assert matches('(Statut == "Perdu" || Montant < 0) || Est_Signe == false && Statut == "Ouvert"')
    assert not matches('(Statut == "Perdu" || Montant < 0 || Est_Signe == false) && Statut == "Gagné"')


# ------------------------------------------------------------------ over HTTP
INDIA = "zylker/sales-india"
APPS = [
    {"link_name": "sales-india", "application_name": "Ventes Inde", "time_zone": "Asia/Kolkata",
     "date_format": "MM-dd-yyyy"},
    {"link_name": "sales-benin", "application_name": "Ventes Bénin", "time_zone": "Africa/Porto-Novo",
     "date_format": "dd-MMM-yyyy"},
]  # fmt: skip


@pytest.fixture(scope="module")
def windowed():
    """An app per format/zone with records placed on both sides of a window's edges."""
    data = Dataset.generate(
        seed=2, records_per_module=4, creator_owner="zylker", creator_apps=APPS, module_counts={"Offre": 0}
    )
    placed: dict[str, dict[str, str]] = {}
    for app, tz in (("sales-india", KOLKATA), ("sales-benin", ZoneInfo("Africa/Porto-Novo"))):
        path = f"zylker/{app}/Tous_les_Offres"
        start = dt.datetime(2024, 1, 1, tzinfo=tz)
        end = dt.datetime(2024, 2, 1, 10, 30, tzinfo=tz)
        second = dt.timedelta(seconds=1)
        stamps = {"before": start - second, "start": start, "inside": end - second, "end": end}
        placed[app] = {}
        for label, stamp in stamps.items():
            (record,) = data.add_records("creator", path, 1, created_time=stamp.astimezone(UTC))
            data.update_record("creator", path, record["ID"], Statut="Ouvert", Modified_Time=stamp)
            placed[app][label] = record["ID"]
        # a record inside the window but with another status
        (other,) = data.add_records("creator", path, 1, created_time=start + dt.timedelta(days=3))
        data.update_record("creator", path, other["ID"], Statut="Perdu")
        placed[app]["other"] = other["ID"]
    with ZohoEmulator(EmulatorOptions.fast(), data) as emulator:
        yield emulator, placed


def _export(client: CreatorClient, path: str, criteria: str, ver: str = "v2.1") -> set[str]:
    _details, rows, _response = client.export_batch(bulk(path, ver), {"criteria": criteria})
    return {row[0] for row in rows[1:]}


@pytest.mark.parametrize(
    ("app", "start", "end"),
    [
        ("sales-india", "01-01-2024 00:00:00", "02-01-2024 10:30:00"),
        ("sales-benin", "01-Jan-2024 00:00:00", "01-Feb-2024 10:30:00"),
    ],
)
def test_window_boundaries_are_instants_in_the_app_zone(windowed, app, start, end):
    emu, placed = windowed
    client = CreatorClient(emu)
    path = f"zylker/{app}/Tous_les_Offres"
    ids = placed[app]
    window = f'Added_Time >= "{start}" && Added_Time < "{end}"'
    assert _export(client, path, window) == {ids["start"], ids["inside"], ids["other"]}
    assert _export(client, path, f'{window} && (Statut == "Ouvert")', "v2") == {ids["start"], ids["inside"]}
    modified = window.replace("Added_Time", "Modified_Time")
    assert _export(client, path, f'{modified} && (Statut != "Perdu")') == {ids["start"], ids["inside"]}
    everything = {r["ID"] for r in emu.dataset.records("creator", path)}
    assert _export(client, path, f'Added_Time < "{start}" || Added_Time >= "{end}"') == everything - {
        ids["start"],
        ids["inside"],
        ids["other"],
    }


def test_window_in_the_wrong_zone_or_format_selects_other_records(windowed):
    emu, placed = windowed
    client = CreatorClient(emu)
    path = f"{INDIA}/Tous_les_Offres"
    # the same wall-clock bounds read as UTC would be 5h30 later: the window's first record falls out
    utc_bounds = 'Added_Time >= "01-01-2024 05:30:00" && Added_Time < "02-01-2024 16:00:00"'
    assert placed["sales-india"]["start"] not in _export(client, path, utc_bounds)
    response = client.post(bulk(path), {"query": {"criteria": 'Added_Time >= "01-Jan-2024 00:00:00"'}})
    assert response.status_code == 400 and response.json()["code"] == 3020
    assert "MM-dd-yyyy" in response.json()["message"]


def test_date_criteria_use_the_app_format(windowed):
    emu, _placed = windowed
    client = CreatorClient(emu)
    path = f"{INDIA}/Tous_les_Offres"
    record = emu.dataset.records("creator", path)[0]
    emu.dataset.update_record("creator", path, record["ID"], Date_Offre=dt.date(2024, 1, 15))
    assert record["ID"] in _export(client, path, 'Date_Offre == "01-15-2024"')
    expected = {
        r["ID"]
        for r in emu.dataset.records("creator", path)
        if r["Date_Offre"] and r["Date_Offre"] < dt.date(2024, 1, 16)
    }
    assert _export(client, path, 'Date_Offre < "01-16-2024"') == expected


def test_lookup_display_value_and_null_criteria(make_emulator):
    emu = make_emulator(records_per_module=30, creator_batch_size=1000)
    client = CreatorClient(emu)
    path = f"{BENIN}/Pipeline_Commercial"
    records = emu.dataset.records("creator", path)
    name = next(r["Client.Nom"] for r in records if r["Client.Nom"])
    escaped = name.replace('"', '\\"')
    assert _export(client, path, f'Client.Nom == "{escaped}"') == {
        r["ID"] for r in records if r["Client.Nom"] == name
    }
    assert _export(client, path, "Client == null") == {r["ID"] for r in records if r["Client"] is None}
    multi = f"{BENIN}/Tous_les_Offres"
    offres = emu.dataset.records("creator", multi)
    assert _export(client, multi, 'Produits == "Radio FM" && Est_Signe == true') == {
        r["ID"] for r in offres if r["Produits"] and "Radio FM" in r["Produits"] and r["Est_Signe"]
    }
    assert _export(client, multi, "Quantite < 0 || Remise >= 50") == {
        r["ID"]
        for r in offres
        if (r["Quantite"] is not None and r["Quantite"] < 0)
        or (r["Remise"] is not None and r["Remise"] >= 50)
    }
