"""Settings: every bad value is reported before any request, naming its setting."""

import datetime as dt

import pytest

from tap_zoho_bulk.errors import ConfigError
from tap_zoho_bulk.settings import DATA_CENTERS, Settings

BASE = {"client_id": "cid", "client_secret": "sec", "refresh_token": "rt", "crm_modules": ["Leads"]}


def problems(**changes):
    config = {**BASE, **changes}
    config = {k: v for k, v in config.items() if v is not ...}
    with pytest.raises(ConfigError) as info:
        Settings.from_config(config)
    return str(info.value)


def test_defaults_follow_the_public_contract():
    s = Settings.from_config(BASE)
    assert s.data_center == "us"
    assert s.accounts_url == "https://accounts.zoho.com"
    assert s.api_url is None
    assert s.creator_url == "https://creator.zoho.com"
    assert (s.crm_api_version, s.bigin_api_version, s.creator_api_version) == ("v8", "v2", "v2.1")
    assert s.start_date is None
    assert s.crm_modules == ("Leads",)


@pytest.mark.parametrize("dc", sorted(DATA_CENTERS))
def test_every_data_centre_selects_its_three_hosts(dc):
    s = Settings.from_config({**BASE, "data_center": dc})
    assert s.accounts_url == DATA_CENTERS[dc].accounts
    assert s.creator_url == DATA_CENTERS[dc].creator


def test_eu_data_centre_hosts():
    s = Settings.from_config({**BASE, "data_center": "eu"})
    assert s.accounts_url == "https://accounts.zoho.eu"
    assert DATA_CENTERS["eu"].api == "https://www.zohoapis.eu"


def test_overrides_win_over_the_data_centre_and_lose_their_trailing_slash():
    s = Settings.from_config({**BASE, "data_center": "in", "accounts_url": "http://127.0.0.1:9/",
                              "api_url": "http://127.0.0.1:9/", "creator_url": "http://127.0.0.1:9"})
    assert (s.accounts_url, s.api_url, s.creator_url) == ("http://127.0.0.1:9",) * 3


@pytest.mark.parametrize("missing", ["client_id", "client_secret", "refresh_token"])
def test_missing_credentials_are_named(missing):
    assert f"{missing}: required setting is missing" in problems(**{missing: ...})


def test_unknown_data_centre_is_named():
    assert "data_center: 'mars' is not one of us, eu, in" in problems(data_center="mars")


def test_malformed_start_date_is_named():
    assert "start_date: '31/01/2024' is not an ISO 8601 datetime" in problems(start_date="31/01/2024")


def test_start_date_is_parsed_as_utc():
    s = Settings.from_config({**BASE, "start_date": "2024-01-31T10:00:00+05:30"})
    assert s.start_date == dt.datetime(2024, 1, 31, 4, 30, tzinfo=dt.UTC)
    naive = Settings.from_config({**BASE, "start_date": "2024-01-31"})
    assert naive.start_date == dt.datetime(2024, 1, 31, tzinfo=dt.UTC)


def test_bad_api_versions_are_named():
    text = problems(crm_api_version="v9", bigin_api_version="v3")
    assert "crm_api_version: 'v9'" in text
    assert "bigin_api_version: 'v3'" in text


def test_nothing_to_export_is_an_error():
    assert "nothing to export" in problems(crm_modules=[])


def test_all_problems_are_reported_at_once():
    text = problems(client_id=..., data_center="xx", start_date="yesterday")
    assert "client_id" in text and "data_center" in text and "start_date" in text


def test_stream_options_are_checked():
    assert "stream_options.leads: 'leads' is not a stream name" in problems(stream_options={"leads": {}})
    assert "unknown option(s) sort" in problems(stream_options={"crm_leads": {"sort": "x"}})
    assert "criteria: must be a Zoho criteria object" in problems(
        stream_options={"crm_leads": {"criteria": "Lead_Source == Web"}})
    s = Settings.from_config({**BASE, "stream_options": {"crm_leads": {
        "replication_key": "Modified_Time", "cvid": 123,
        "criteria": {"api_name": "Lead_Source", "comparator": "equal", "value": "Web"}}}})
    assert s.stream_options["crm_leads"].replication_key == "Modified_Time"
    assert s.stream_options["crm_leads"].cvid == "123"


def test_secrets_never_appear_in_repr():
    s = Settings.from_config({**BASE, "client_secret": "TOPSECRET", "refresh_token": "RTSECRET"})
    assert "TOPSECRET" not in repr(s) and "RTSECRET" not in repr(s)


def test_creator_reports_must_name_owner_app_and_report():
    assert "creator_reports: 'sales/report' is not of the form owner/app/report" in problems(
        creator_reports=["sales/report"])


def test_an_unknown_setting_is_named_with_the_closest_known_one():
    text = problems(crm_module=["Leads"], start_dat="2024-01-01", colour="blue")
    assert "crm_module: unknown setting; did you mean crm_modules?" in text
    assert "start_dat: unknown setting; did you mean start_date?" in text
    assert "colour: unknown setting\n" in text + "\n"  # nothing close: no guess


def test_the_sdks_own_settings_are_known_and_null_means_not_set():
    s = Settings.from_config({**BASE, "stream_maps": {"crm_leads": {"Email": None}}, "flattening_enabled": True,
                              "flattening_max_depth": 2, "batch_config": None, "faker_config": None,
                              "stream_map_config": {}, "start_date": None, "poll_interval": None})
    assert s.start_date is None and s.poll_interval == 1.0


def test_every_problem_of_a_config_is_reported_at_once():
    text = problems(crm_modules=..., crm_module=["Leads"], data_center="mars", max_retries=0,
                    poll_interval="fast", start_date="last tuesday", token_cache="yes",
                    stream_options={"creator_a_b": {"cvid": 5}, "crm_leads": {"form": "F"}})
    lines = text.splitlines()[1:]
    for setting in ("crm_module:", "crm_modules / bigin_modules / creator_reports:", "data_center:",
                    "max_retries:", "poll_interval:", "start_date:", "token_cache:",
                    "stream_options.creator_a_b.cvid:", "stream_options.crm_leads.form:"):
        assert sum(line.strip().startswith(f"- {setting}") for line in lines) == 1, (setting, text)
    assert len(lines) == 9, text


def test_the_longest_poll_wait_cannot_be_shorter_than_the_first():
    assert "poll_max_interval: 0.5 is shorter than poll_interval (2)" in problems(
        poll_interval=2, poll_max_interval=0.5)
    assert Settings.from_config({**BASE, "poll_interval": 2, "poll_max_interval": 2}).poll_max_interval == 2


def test_batch_config_keys_are_those_the_sdks_batch_config_accepts():
    import dataclasses

    from singer_sdk.helpers import _batch

    from tap_zoho_bulk.settings import BATCH_CONFIG_KEYS

    assert set(BATCH_CONFIG_KEYS) == {f.name for f in dataclasses.fields(_batch.BatchConfig)}
    assert BATCH_CONFIG_KEYS["encoding"] == {f.name for f in dataclasses.fields(_batch.BaseBatchFileEncoding)}
    assert BATCH_CONFIG_KEYS["storage"] == {f.name for f in dataclasses.fields(_batch.StorageTarget)}


def test_a_misspelt_batch_config_key_is_named_with_the_closest():
    from tap_zoho_bulk.settings import batch_config_problems

    assert batch_config_problems({"encodng": {"format": "jsonl"}, "storage": {"rot": "file:///x"},
                                  "batch_size": 5}) == [
        "batch_config.encodng: unknown setting; did you mean encoding?",
        "batch_config.storage.rot: unknown setting; did you mean root?",
    ]
    assert batch_config_problems({"encoding": {"format": "jsonl", "compression": "gzip"},
                                  "storage": {"root": "file:///x", "prefix": "p"}, "batch_size": 5}) == []
    assert batch_config_problems(None) == [] and batch_config_problems("x") == []


@pytest.mark.parametrize(("pattern", "message"), [
    ("yyyy-MM-dd HH:mm:ss", "creator_date_format: 'yyyy-MM-dd HH:mm:ss' has a time of day (H, m, s); give the date "
                            "part only (e.g. dd-MMM-yyyy): Creator writes HH:mm:ss after it"),
    ("dd-MM", "creator_date_format: 'dd-MM' has no year (e.g. dd-MMM-yyyy)"),
    ("hh a", "has a time of day (a, h)"),
])
def test_a_creator_date_format_with_a_time_or_without_a_date_part_is_refused(pattern, message):
    assert message in problems(creator_date_format=pattern)


@pytest.mark.parametrize("pattern", ["dd-MMM-yyyy", "MM/dd/yyyy", "MMM dd,yyyy", "yyyy-MM-dd", "dd 'de' MMMM yyyy"])
def test_creators_date_formats_are_accepted(pattern):
    assert Settings.from_config({**BASE, "creator_date_format": pattern}).creator_date_format == pattern
