"""Creator specifics: names, date formats and zones, criteria strings, statuses, cursors, limits."""

import datetime as dt

import pytest

from tap_zoho_bulk.model import JobState, Position, StreamDefinition, Window
from tap_zoho_bulk.products.creator import CreatorProduct, stream_name
from tap_zoho_bulk.products.creator.dates import AppFormat, java_to_strptime, java_zone
from tap_zoho_bulk.products.creator.field_types import split_choices
from tap_zoho_bulk.products.creator.forms import derive_form
from tap_zoho_bulk.ratelimit import RateLimiter
from tap_zoho_bulk.settings import StreamOptions

UTC = dt.UTC
REPORT = StreamDefinition("creator_sales_benin_tous_les_offres", "creator", "acme/sales-benin/Tous_les_Offres",
                          {"properties": {}}, "ID", "Added_Time")


def product(base="https://creator.zoho.eu", version="v2.1", **kwargs):
    p = CreatorProduct(version, client=None, reports=[REPORT.target], stream_options={}, base_url=base, **kwargs)
    p.metadata._formats["acme/sales-benin"] = AppFormat(dt.timezone(dt.timedelta(hours=1)), java_to_strptime("dd-MMM-yyyy"))
    p.limiter = RateLimiter(1000, 60)
    return p


def test_stream_names():
    assert stream_name("acme/sales-benin/Tous_les_Offres") == "creator_sales_benin_tous_les_offres"
    assert stream_name("o/my-app/All-Orders") == "creator_my_app_all_orders"


@pytest.mark.parametrize(("java", "py"), [("dd-MMM-yyyy", "%d-%b-%Y"), ("MM-dd-yyyy", "%m-%d-%Y"),
                                          ("MMM dd,yyyy", "%b %d,%Y"), ("yyyy/MM/dd", "%Y/%m/%d")])
def test_java_date_patterns(java, py):
    assert java_to_strptime(java) == py


def test_datetimes_are_read_in_the_application_zone_and_emitted_in_utc():
    fmt = AppFormat(dt.timezone(dt.timedelta(hours=1)), "%d-%b-%Y")
    assert fmt.parse_datetime("06-Sep-2021 16:47:18") == "2021-09-06T15:47:18+00:00"
    assert fmt.parse_date("06-Sep-2021") == "2021-09-06"
    assert fmt.literal(dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC)) == "01-Jan-2024 01:00:00"


def test_other_date_formats():
    from zoneinfo import ZoneInfo

    fmt = AppFormat(ZoneInfo("Asia/Kolkata"), java_to_strptime("MM-dd-yyyy"))
    assert fmt.parse_datetime("09-06-2021 16:47:18") == "2021-09-06T11:17:18+00:00"


def test_urls_of_both_families():
    assert product().urls.bulk(REPORT.target) == (
        "https://creator.zoho.eu/api/bulk/v2.1/acme/sales-benin/report/Tous_les_Offres/read")
    assert product("https://www.zohoapis.eu", "v2").urls.bulk(REPORT.target) == (
        "https://www.zohoapis.eu/creator/v2/bulk/acme/sales-benin/report/Tous_les_Offres/read")


def test_first_request_has_the_window_as_a_criteria_string_and_the_largest_batch():
    window = Window("Added_Time", dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 2, 1, 9, 30, tzinfo=UTC))
    request = product().job_request(REPORT, ["ID", "Nom"], window, StreamOptions(criteria='Statut == "Ouvert"'),
                                    Position())
    assert request.body == {"query": {
        "max_records": 200000,
        "criteria": 'Added_Time >= "01-Jan-2024 01:00:00" && Added_Time < "01-Feb-2024 10:30:00" '
                    '&& (Statut == "Ouvert")'}}


def test_next_batch_sends_only_the_cursor():
    request = product().job_request(REPORT, ["ID"], None, StreamOptions(), Position(record_cursor="c1"))
    assert request.body == {"query": {"record_cursor": "c1"}}


@pytest.mark.parametrize("status", ["In-progress", "IN PROGRESS", "in_progress"])
def test_pending_spellings(status):
    payload = {"code": 3000, "details": {"id": "1", "status": status}}
    assert product().parse_status(payload, Position()).state is JobState.PENDING


@pytest.mark.parametrize("status", ["Completed", "COMPLETED"])
def test_completed_spellings_and_cursor(status):
    payload = {"code": 3000, "details": {"id": "1", "status": status, "result": {
        "count": 3, "download_url": "/api/bulk/v2.1/acme/sales-benin/report/R/read/1/result/", "record_cursor": "c2"}}}
    parsed = product().parse_status(payload, Position())
    assert parsed.state is JobState.COMPLETED
    assert parsed.next_position == Position(record_cursor="c2")
    assert product().next_position(parsed, {}) == Position(record_cursor="c2")


def test_v2_cursor_comes_from_the_download_header():
    payload = {"code": 3000, "details": {"id": "1", "status": "Completed", "result": {"count": 3, "download_url": "/x"}}}
    parsed = product(version="v2").parse_status(payload, Position())
    assert product().next_position(parsed, {"recordCursor": "c9"}) == Position(record_cursor="c9")
    assert product().next_position(parsed, {}) is None


def test_failed_status():
    payload = {"code": 3000, "details": {"id": "1", "status": "Failed"}}
    assert product().parse_status(payload, Position()).state is JobState.FAILED


def test_multi_select_cells():
    assert split_choices("Rouge, Vert") == ["Rouge", "Vert"]
    assert split_choices("A;B") == ["A", "B"]


class MetadataClient:
    """Answers Creator metadata GETs from a dict of path suffix → body; records what was asked."""

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def request_json(self, method, url, **_):
        path = url.split("/api/v2/", 1)[1]
        self.asked.append(path)
        return 200, self.answers.get(path, {"code": 3000})


FORMS = {"code": 3000, "forms": [{"link_name": "Client", "type": 1}, {"link_name": "Offre", "type": 1}]}
FIELDS = {
    "acme/sales-benin/form/Client/fields": {"code": 3000, "fields": [
        {"link_name": "Nom", "type": 1}, {"link_name": "Solde", "type": 8}, {"link_name": "Actif", "type": 16}]},
    "acme/sales-benin/form/Offre/fields": {"code": 3000, "fields": [
        {"link_name": "Titre", "type": 1}, {"link_name": "Client", "type": 12},
        {"link_name": "Montant", "display_name": "Montant (FCFA)", "type": 8},
        {"link_name": "Quantite", "type": 5},
        {"link_name": "Date_Offre", "display_name": "Date de l'offre", "type": 10},
        {"link_name": "Produits", "type": 14}, {"link_name": "Actif", "type": 1}]},
}


def metadata_product(sections):
    client = MetadataClient({"acme/sales-benin/forms": FORMS, "acme/sales-benin/sections": sections, **FIELDS})
    p = CreatorProduct("v2.1", client=client, reports=[], stream_options={}, base_url="https://creator.zoho.eu")
    return p, client


def section(name, *components):
    return {"link_name": name, "components": [{"type": kind, "link_name": link} for kind, link in components]}


def test_the_form_in_the_report_section_is_the_report_form():
    sections = {"code": 3000, "sections": [section("Suivi", (1, "Client"), (2, "Pipeline")),
                                            section("Ventes", (1, "Offre"), (2, "Tous_les_Offres"))]}
    p, _ = metadata_product(sections)
    assert derive_form(p.metadata, "acme", "sales-benin", "Pipeline") == "Client"  # the section wins over the name
    assert derive_form(p.metadata, "acme", "sales-benin", "Tous_les_Offres") == "Offre"


def test_without_a_section_form_only_a_default_report_name_tells_the_form():
    sections = {"code": 3000, "sections": [section("Pilotage", (2, "Pipeline"), (2, "Toutes_les_Offres_2024"))]}
    p, client = metadata_product(sections)
    assert derive_form(p.metadata, "acme", "sales-benin", "All_Offres") == "Offre"  # Creator's own name
    assert derive_form(p.metadata, "acme", "sales-benin", "Client_Report") == "Client"
    assert derive_form(p.metadata, "acme", "sales-benin", "Toutes_les_Offres_2024") is None  # no guessing
    assert derive_form(p.metadata, "acme", "sales-benin", "Clientele") is None  # `Client` is not its form
    assert derive_form(p.metadata, "acme", "sales-benin", "Pipeline") is None
    assert client.asked.count("acme/sales-benin/forms") == 1  # metadata is read once per run


def test_unknown_columns_are_typed_from_the_best_matching_form():
    p, _ = metadata_product({"code": 3000, "sections": []})
    stream = StreamDefinition("creator_sales_benin_pipeline", "creator", "acme/sales-benin/Pipeline",
                              {"properties": {}}, "ID", "Added_Time")
    columns = ["Modified_Time", "Titre", "Client", "Client.Nom", "Client.Solde", "Montant", "Quantite",
               "Date_Offre", "Produits", "Actif", "Remarque"]
    adopted = p.column_schemas(stream, columns)
    assert {column: (key, s["type"][0], s.get("format")) for column, (key, s) in adopted.items()} == {
        "Modified_Time": ("Modified_Time", "string", "date-time"),
        "Titre": ("Titre", "string", None),
        "Client": ("Client", "string", None),  # a lookup: the related record's id
        "Client.Nom": ("Client.Nom", "string", None),  # a lookup's display column: Nom of form Client
        "Client.Solde": ("Client.Solde", "number", None),
        "Montant": ("Montant", "number", None),
        "Quantite": ("Quantite", "integer", None),
        "Date_Offre": ("Date_Offre", "string", "date"),
        "Produits": ("Produits", "array", None),
        "Actif": ("Actif", "string", None),  # Offre shares most columns: its single-line Actif
        "Remarque": ("Remarque", "string", None),  # no metadata describes it: kept as a string
    }


def test_display_name_columns_go_under_the_field_link_names():
    p, _ = metadata_product({"code": 3000, "sections": []})
    stream = StreamDefinition("creator_sales_benin_pipeline", "creator", "acme/sales-benin/Pipeline",
                              {"properties": {}}, "ID", "Added_Time")
    adopted = p.column_schemas(stream, ["Added Time", "Montant (FCFA)", "Date de l'offre", "Titre"])
    assert {column: (key, s["type"][0], s.get("format")) for column, (key, s) in adopted.items()} == {
        "Added Time": ("Added_Time", "string", "date-time"),
        "Montant (FCFA)": ("Montant", "number", None),
        "Date de l'offre": ("Date_Offre", "string", "date"),
        "Titre": ("Titre", "string", None),
    }


@pytest.mark.parametrize(("name", "offset_in_january"), [
    ("Africa/Porto-Novo", 1), ("SystemV/PST8", -8), ("SystemV/PST8PDT", -8), ("PST", -8), ("IST", 5.5),
    ("GMT+05:30", 5.5), ("UTC-03", -3), ("Etc/GMT+8", -8),
])
def test_java_time_zone_ids(name, offset_in_january):
    offset = dt.datetime(2024, 1, 15, 12, tzinfo=java_zone(name)).utcoffset()
    assert offset == dt.timedelta(hours=offset_in_january)


def test_an_unknown_time_zone_of_an_application_names_where_it_came_from():
    from tap_zoho_bulk.errors import ConfigError

    client = MetadataClient({"applications": {"code": 3000, "applications": [
        {"link_name": "sales-benin", "workspace_name": "acme", "time_zone": "Mars/Olympus", "date_format": "dd-MMM-yyyy"}]}})
    p = CreatorProduct("v2.1", client=client, reports=[], stream_options={}, base_url="https://creator.zoho.eu")
    with pytest.raises(ConfigError, match=r"time_zone of acme/sales-benin is 'Mars/Olympus'.*set creator_time_zone"):
        p.metadata.app_format("acme", "sales-benin")


def test_zoho_example_zone_is_read_for_real():
    client = MetadataClient({"applications": {"code": 3000, "applications": [
        {"link_name": "zylker-store", "workspace_name": "jason18", "time_zone": "SystemV/PST8", "date_format": "MMM dd,yyyy"}]}})
    p = CreatorProduct("v2.1", client=client, reports=[], stream_options={}, base_url="https://creator.zoho.com")
    fmt = p.metadata.app_format("jason18", "zylker-store")
    assert fmt.parse_datetime("Apr 20,2020 16:23:50") == "2020-04-21T00:23:50+00:00"


def test_day_and_month_are_never_swapped_to_make_a_value_fit():
    fmt = AppFormat(UTC, java_to_strptime("dd-MM-yyyy"))
    assert fmt.parse_datetime("05-06-2024 10:00:00") == "2024-06-05T10:00:00+00:00"
    assert fmt.parse_datetime("05-06-2024 10:00") == "2024-06-05T10:00:00+00:00"
    assert fmt.parse_datetime("05-06-2024 10:00:00 PM") == "2024-06-05T22:00:00+00:00"
    assert fmt.parse_datetime("2024-06-05T10:00:00Z") == "2024-06-05T10:00:00+00:00"
    with pytest.raises(ValueError):
        fmt.parse_datetime("06-13-2024 10:00:00")  # month 13 in the app's order: refused, not swapped


def test_a_report_named_after_two_forms_is_not_guessed():
    sections = {"code": 3000, "sections": []}
    p, _ = metadata_product(sections)
    assert derive_form(p.metadata, "acme", "sales-benin", "Offres_par_Client") is None


def test_every_system_column_label_maps_to_its_link_name():
    p, _ = metadata_product({"code": 3000, "sections": []})
    stream = StreamDefinition("creator_sales_benin_pipeline", "creator", "acme/sales-benin/Pipeline",
                              {"properties": {}}, "ID", "Added_Time")
    adopted = p.column_schemas(stream, ["Added User IP Address", "Modified Time", "Added_Location"])
    assert {c: (k, s["type"][0], s.get("format")) for c, (k, s) in adopted.items()} == {
        "Added User IP Address": ("Added_User_IP_Address", "string", None),
        "Modified Time": ("Modified_Time", "string", "date-time"),
        "Added_Location": ("Added_Location", "string", None),
    }


def test_no_reports_available_is_an_empty_list_and_a_clear_config_error():
    from tap_zoho_bulk.errors import ConfigError, error_from_response

    assert error_from_response(200, {"code": 3930, "message": "No reports available."}, "GET x") is None
    client = MetadataClient({"acme/sales-benin/reports": {"code": 3930, "message": "No reports available."}})
    p = CreatorProduct("v2.1", client=client, reports=[], stream_options={}, base_url="https://creator.zoho.eu")
    with pytest.raises(ConfigError, match="creator_reports: application acme/sales-benin has no report 'R'; it has: no reports"):
        p.metadata.check_report("acme", "sales-benin", "R")


def test_a_multi_select_cell_is_split_into_the_fields_own_choices():
    from tap_zoho_bulk.products.creator.field_types import field_choices, split_with_choices

    choices = field_choices({"choices": [{"display_value": "Fer, acier", "id": "1"},
                                         {"display_value": "Bois", "id": "2"}, "Ciment"]})
    assert choices == {"Fer, acier", "Bois", "Ciment"}
    assert split_with_choices("Fer, acier, Bois", choices) == ["Fer, acier", "Bois"]
    assert split_with_choices("Fer, acier", choices) == ["Fer, acier"]
    assert split_with_choices("Bois;Ciment", choices) == ["Bois", "Ciment"]
    assert split_with_choices("Bois, Inconnu", choices) == ["Bois", "Inconnu"]  # a choice since removed


def test_stream_names_carry_the_owner_only_when_two_owners_share_them_and_clashes_are_refused():
    from tap_zoho_bulk.errors import ConfigError
    from tap_zoho_bulk.products.creator import stream_names

    names = stream_names(["acme/sales/Orders", "zylker/sales/Orders", "acme/hr/Staff"])
    assert names == {"acme/sales/Orders": "creator_acme_sales_orders",
                     "zylker/sales/Orders": "creator_zylker_sales_orders", "acme/hr/Staff": "creator_hr_staff"}
    with pytest.raises(ConfigError, match="acme/sales-x/R and acme/sales_x/R would both be stream"):
        stream_names(["acme/sales-x/R", "acme/sales_x/R"])
