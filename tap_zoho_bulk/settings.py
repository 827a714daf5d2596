"""Configuration: the public settings, validated once, with errors that name the setting.

The names of the settings are a public contract (users' configs and Meltano projects depend on
them). `Settings.from_config` turns the raw config into typed values and collects every problem
before the tap makes a single request.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import BATCH_CONFIG, FLATTENING_CONFIG, STREAM_MAPS_CONFIG

from tap_zoho_bulk.errors import ConfigError


@dataclass(frozen=True)
class DataCenter:
    """Base URLs of one Zoho data centre (https://www.zoho.com/accounts/protocol/oauth/multi-dc.html)."""

    accounts: str
    api: str
    creator: str


DATA_CENTERS: dict[str, DataCenter] = {
    "us": DataCenter("https://accounts.zoho.com", "https://www.zohoapis.com", "https://creator.zoho.com"),
    "eu": DataCenter("https://accounts.zoho.eu", "https://www.zohoapis.eu", "https://creator.zoho.eu"),
    "in": DataCenter("https://accounts.zoho.in", "https://www.zohoapis.in", "https://creator.zoho.in"),
    "au": DataCenter(
        "https://accounts.zoho.com.au", "https://www.zohoapis.com.au", "https://creator.zoho.com.au"
    ),
    "jp": DataCenter("https://accounts.zoho.jp", "https://www.zohoapis.jp", "https://creator.zoho.jp"),
    "ca": DataCenter(
        "https://accounts.zohocloud.ca", "https://www.zohoapis.ca", "https://creator.zohocloud.ca"
    ),
    "sa": DataCenter("https://accounts.zoho.sa", "https://www.zohoapis.sa", "https://creator.zoho.sa"),
    "cn": DataCenter(
        "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn", "https://creator.zoho.com.cn"
    ),
    "uk": DataCenter("https://accounts.zoho.uk", "https://www.zohoapis.uk", "https://creator.zoho.uk"),
}

CRM_VERSIONS = ("v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8")
BIGIN_VERSIONS = ("v1", "v2")
CREATOR_VERSIONS = ("v2.1", "v2")
REPORT_RE = re.compile(r"^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$")
STREAM_OPTION_KEYS = {"replication_key", "criteria", "cvid", "form"}

# The JSON schema the SDK shows in --about and validates first; semantic checks follow below.
CONFIG_SCHEMA = th.PropertiesList(
    th.Property("client_id", th.StringType, required=True, secret=True,
                description="OAuth client id of a Zoho self client or server-based client (README: Connect a "
                "Zoho account). Secret: never printed or logged."),
    th.Property("client_secret", th.StringType, required=True, secret=True,
                description="OAuth client secret. Secret: never printed or logged."),
    th.Property("refresh_token", th.StringType, required=True, secret=True,
                description="OAuth refresh token carrying the bulk read and metadata scopes of the products "
                "exported. Secret: never printed or logged."),
    th.Property("data_center", th.StringType, default="us",
                allowed_values=list(DATA_CENTERS),
                description="Zoho data centre of the account: us, eu, in, au, jp, ca, sa, cn, uk. "
                "Selects the accounts server, the API domain and the Creator host (README: Data "
                "centres)."),
    th.Property("accounts_url", th.StringType,
                description="Override of the accounts server base URL (proxy, emulator). Default: from "
                "data_center."),
    th.Property("api_url", th.StringType,
                description="Override of the CRM/Bigin API domain. Default: the api_domain "
                "returned with the access token."),
    th.Property("creator_url", th.StringType,
                description="Override of the Zoho Creator host. Default: from data_center."),
    th.Property("start_date", th.DateTimeType,
                description="Lower bound (ISO 8601) of the first incremental window; a value without offset "
                "is UTC. Default: everything."),
    th.Property("crm_modules", th.ArrayType(th.StringType), default=[],
                description='CRM module API names to export (["Leads", "Sales_Orders"]); ["*"] = every '
                "module bulk read supports."),
    th.Property("bigin_modules", th.ArrayType(th.StringType), default=[],
                description='Bigin module API names to export (Accounts is Bigin\'s Companies, Pipelines its '
                'deals); ["*"] = every module bulk read supports.'),
    th.Property("crm_api_version", th.StringType, default="v8", allowed_values=list(CRM_VERSIONS),
                description="CRM API version used for bulk read and metadata: v2, v2.1, v3 ... v8; request "
                "shapes follow the version."),
    th.Property("bigin_api_version", th.StringType, default="v2",
                allowed_values=list(BIGIN_VERSIONS), description="Bigin API version: v1 or v2."),
    th.Property("creator_reports", th.ArrayType(th.StringType), default=[],
                description='Creator reports as "owner/app/report" link names '
                '("acme/sales-benin/Tous_les_Offres"); any number of owners and apps.'),
    th.Property("creator_api_version", th.StringType, default="v2.1",
                allowed_values=list(CREATOR_VERSIONS), description="Creator bulk API version: v2.1 or v2."),
    th.Property("creator_time_zone", th.StringType,
                description="IANA time zone of the Creator applications' dates (default: the "
                "application's time_zone from the applications metadata)."),
    th.Property("creator_date_format", th.StringType,
                description="Date format of the Creator applications, e.g. dd-MMM-yyyy (default: the "
                "application's date_format from the metadata)."),
    th.Property("creator_jobs_per_minute", th.IntegerType, default=5,
                description="Creator bulk jobs the tap creates per minute at most (Zoho allows 5 per "
                "user; counted like downloads_per_minute)."),
    th.Property("stream_options", th.ObjectType(additional_properties=True), default={},
                description="Per-stream options keyed by stream name: replication_key (default "
                "Created_Time, Creator Added_Time; e.g. Modified_Time to catch updates), criteria "
                "(CRM/Bigin: a Zoho criteria object; Creator: a criteria string; ANDed with the "
                "incremental window), cvid (CRM/Bigin custom view id), form (Creator: the form "
                "behind the report)."),
    th.Property("poll_interval", th.NumberType, default=1.0,
                description="Seconds before the first job status poll; then a job is polled every "
                "quarter of its age, at most poll_max_interval apart."),
    th.Property("poll_max_interval", th.NumberType, default=60.0,
                description="Longest wait between two job status polls, in seconds."),
    th.Property("job_timeout", th.NumberType, default=7200.0,
                description="Seconds one bulk job may take before the run fails (state not advanced)."),
    th.Property("request_timeout", th.NumberType, default=300.0,
                description="Seconds to wait for one HTTP response."),
    th.Property("max_retries", th.IntegerType, default=8,
                description="Attempts for a transient failure (429, 5xx, connection reset, cut download)."),
    th.Property("max_concurrent_jobs", th.IntegerType,
                description="Bulk jobs in flight at once, per product (default: CRM 10, Bigin 10, "
                "Creator 5)."),
    th.Property("downloads_per_minute", th.IntegerType, default=10,
                description="Result downloads per minute: CRM and Bigin together, Creator on its own "
                "(Zoho allows 10 per user). Runs on one machine count theirs together (token_cache); "
                "lower it only for runs of one Zoho user that share no cache directory."),
    th.Property("download_ahead_mb", th.NumberType, default=1024,
                description="Temporary disk for results downloaded ahead of the stream being "
                "emitted, in MB."),
    th.Property("on_invalid_value", th.StringType, default="fail", allowed_values=["fail", "null"],
                description="A cell that is not a valid value of its field's type: fail (stop with "
                "one line naming stream, field and record id) or null (load it as null, and count "
                "them per field at the end)."),
    th.Property("token_cache", th.BooleanType, default=True,
                description="Share with the other runs on this machine, in files only this user "
                "can read (under the user's cache directory): the access token, so repeated runs "
                "do not refresh it each time, and the count of Zoho's per-minute calls (downloads, "
                "Creator job creations), so a run started within the previous one's minute waits "
                "instead of meeting a 429."),
    th.Property("include_deleted", th.BooleanType, default=False,
                description="Also export each CRM / Bigin module's deleted records, as a stream "
                "<stream>_deleted (e.g. crm_leads_deleted) from Zoho's deleted-records API, "
                "incremental on deleted_time."),
    th.Property("min_api_credits_left", th.IntegerType,
                description="Stop calling Zoho CRM (or Bigin) once it reports fewer API credits "
                "left than this (its X-API-CREDITS-REMAINING header, sent once half the day's "
                "credits are used), so other integrations of the organisation keep theirs: that "
                "API's streams end cleanly at their last STATE, the other products' streams "
                "finish, and the run exits 0 with one line saying why. Default: no limit."),
    th.Property("window_lag", th.NumberType, default=30,
                description="Seconds before Zoho's current time (its Date header) at which each "
                "incremental window ends."),
).to_dict()

# The tap's own settings (the SDK adds its built-in ones to CONFIG_SCHEMA in place when it validates)
# and the SDK's, which it validates and applies itself: together, every setting a config may hold.
OWN_SETTINGS = frozenset(CONFIG_SCHEMA["properties"])
SDK_SETTINGS = frozenset(
    name for schema in (STREAM_MAPS_CONFIG, FLATTENING_CONFIG, BATCH_CONFIG) for name in schema["properties"]
)


def unknown_settings(config: Mapping[str, Any], known: Collection[str]) -> list[str]:
    """A problem per setting no one reads (a typo would otherwise change a run silently), each
    with the closest known name."""
    problems = []
    for name in sorted(set(config) - set(known), key=str):
        close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(f"{name}: unknown setting{hint}")
    return problems


# What the SDK's BatchConfig (and its encoding and storage) accept: its JSON schema allows any
# other key, which BatchConfig then refuses with a TypeError in the middle of the sync.
BATCH_CONFIG_KEYS: dict[str, frozenset[str] | None] = {
    "encoding": frozenset({"format", "compression"}),
    "storage": frozenset({"root", "prefix", "params"}),
    "batch_size": None,
}


def batch_config_problems(value: Any) -> list[str]:
    """A problem per key of `batch_config` the SDK would refuse mid-sync, with the closest name."""
    if not isinstance(value, Mapping):
        return []  # its type is the JSON schema's to report
    problems = [f"batch_config.{p}" for p in unknown_settings(value, BATCH_CONFIG_KEYS)]
    for name, keys in BATCH_CONFIG_KEYS.items():
        inner = value.get(name)
        if keys is not None and isinstance(inner, Mapping):
            problems += [f"batch_config.{name}.{p}" for p in unknown_settings(inner, keys)]
    return problems


def date_pattern_problems(pattern: str) -> list[str]:
    """`creator_date_format` is an application's date pattern (Creator writes ` HH:mm:ss` after it
    for a date-time): day, month and year, and no time of day."""
    unquoted = re.sub(r"'[^']*'", "", pattern)  # Java's quoted literal text
    problems = []
    timed = sorted(set(re.findall(r"[HhkKmsSaAzZX]", unquoted)))
    if timed:
        problems.append(f"creator_date_format: {pattern!r} has a time of day ({', '.join(timed)}); give "
                        "the date part only (e.g. dd-MMM-yyyy): Creator writes HH:mm:ss after it")
    parts = (("d", "day"), ("M", "month"), ("y", "year"))
    missing = [part for letter, part in parts if letter not in unquoted]
    if missing:
        problems.append(f"creator_date_format: {pattern!r} has no {' or '.join(missing)} (e.g. dd-MMM-yyyy)")
    return problems


@dataclass(frozen=True)
class StreamOptions:
    """Per-stream options from `stream_options.<stream>`."""

    replication_key: str | None = None
    criteria: Any = None
    cvid: str | None = None
    form: str | None = None


@dataclass(frozen=True)
class Settings:
    """Validated configuration."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    data_center: str
    accounts_url: str
    api_url: str | None
    creator_url: str
    start_date: dt.datetime | None
    crm_modules: tuple[str, ...]
    bigin_modules: tuple[str, ...]
    crm_api_version: str
    bigin_api_version: str
    creator_reports: tuple[str, ...]
    creator_api_version: str
    creator_time_zone: str | None
    creator_date_format: str | None
    creator_jobs_per_minute: int
    stream_options: Mapping[str, StreamOptions]
    poll_interval: float
    poll_max_interval: float
    job_timeout: float
    request_timeout: float
    max_retries: int
    max_concurrent_jobs: int | None = None
    downloads_per_minute: int = 10
    download_ahead_mb: float = 1024.0
    window_lag: float = 30.0
    token_cache: bool = True
    on_invalid_value: str = "fail"
    include_deleted: bool = False
    min_api_credits_left: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Validate `config`; raise ConfigError listing every problem, each naming its setting.
        A setting set to null is a setting not set."""
        config = {name: value for name, value in config.items() if value is not None}
        problems = unknown_settings(config, OWN_SETTINGS | SDK_SETTINGS)

        def text(name: str, *, required: bool = False) -> str | None:
            value = config.get(name)
            if value is None or value == "":
                if required:
                    problems.append(f"{name}: required setting is missing")
                return None
            if not isinstance(value, str):
                problems.append(f"{name}: must be a string")
                return None
            return value.strip()

        def url(name: str) -> str | None:
            value = text(name)
            if value and not re.match(r"^https?://[^/\s]+", value):
                problems.append(f"{name}: {value!r} is not an http(s) URL")
                return None
            return value.rstrip("/") if value else None

        def names(name: str, pattern: re.Pattern[str] | None = None) -> tuple[str, ...]:
            value = config.get(name) or []
            if isinstance(value, str):  # tolerate "Leads,Deals" from environment variables
                value = [part for part in value.split(",") if part.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"{name}: must be a list of strings")
                return ()
            items = tuple(v.strip() for v in value if v.strip())
            if pattern is not None:
                for item in items:
                    if not pattern.match(item):
                        problems.append(
                            f"{name}: {item!r} is not of the form owner/app/report"
                        )
            return items

        def number(name: str, default: float, minimum: float) -> float:
            # The SDK reads config numbers as Decimal.
            value = config.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or value < minimum:
                problems.append(f"{name}: must be a number >= {minimum}")
                return default
            return float(value)

        def integer(name: str, default: int | None, minimum: int) -> int | None:
            value = config.get(name, default)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                problems.append(f"{name}: must be an integer >= {minimum}")
                return default
            return value

        def flag(name: str, default: bool) -> bool:
            value = config.get(name, default)
            if not isinstance(value, bool):
                problems.append(f"{name}: must be true or false")
                return default
            return value

        def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = config.get(name) or default
            if value not in allowed:
                problems.append(f"{name}: {value!r} is not one of {', '.join(allowed)}")
                return default
            return value

        client_id = text("client_id", required=True)
        client_secret = text("client_secret", required=True)
        refresh_token = text("refresh_token", required=True)
        data_center = str(config.get("data_center") or "us").strip().lower()
        if data_center not in DATA_CENTERS:
            problems.append(
                f"data_center: {data_center!r} is not one of {', '.join(DATA_CENTERS)}"
            )
            data_center = "us"
        dc = DATA_CENTERS[data_center]

        start_date = None
        raw_start = config.get("start_date")
        if raw_start not in (None, ""):
            start_date = parse_start_date(raw_start, problems)

        crm_modules = names("crm_modules")
        bigin_modules = names("bigin_modules")
        creator_reports = names("creator_reports", REPORT_RE)
        if not (crm_modules or bigin_modules or creator_reports):
            problems.append(
                "crm_modules / bigin_modules / creator_reports: nothing to export, "
                'set at least one (["*"] exports every module of a product)'
            )

        max_retries = integer("max_retries", 8, 1) or 8
        max_concurrent_jobs = integer("max_concurrent_jobs", None, 1)
        downloads_per_minute = integer("downloads_per_minute", 10, 1) or 10
        jobs_per_minute = integer("creator_jobs_per_minute", 5, 1) or 5
        min_api_credits_left = integer("min_api_credits_left", None, 0)

        settings_options = _stream_options(config.get("stream_options"), problems)
        creator_time_zone = text("creator_time_zone")
        if creator_time_zone:
            try:
                ZoneInfo(creator_time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(f"creator_time_zone: {creator_time_zone!r} is not an IANA time zone")
        creator_date_format = text("creator_date_format")
        if creator_date_format:
            problems += date_pattern_problems(creator_date_format)
        accounts_url = url("accounts_url") or dc.accounts
        api_url = url("api_url")
        creator_url = url("creator_url") or dc.creator
        versions = (
            choice("crm_api_version", CRM_VERSIONS, "v8"),
            choice("bigin_api_version", BIGIN_VERSIONS, "v2"),
            choice("creator_api_version", CREATOR_VERSIONS, "v2.1"),
        )
        timings = (
            number("poll_interval", 1.0, 0.0),
            number("poll_max_interval", 60.0, 0.0),
            number("job_timeout", 7200.0, 1.0),
            number("request_timeout", 300.0, 1.0),
            number("download_ahead_mb", 1024.0, 1.0),
            number("window_lag", 30.0, 0.0),
        )
        if timings[1] < timings[0]:
            problems.append(
                f"poll_max_interval: {timings[1]:g} is shorter than poll_interval ({timings[0]:g})")
        token_cache = flag("token_cache", True)
        include_deleted = flag("include_deleted", False)
        if include_deleted and not (crm_modules or bigin_modules):
            problems.append("include_deleted: lists the deletions of CRM / Bigin modules, and "
                            "crm_modules and bigin_modules are empty (Creator has no such API)")
        on_invalid_value = choice("on_invalid_value", ("fail", "null"), "fail")
        if problems:
            raise ConfigError("Invalid configuration:\n  - " + "\n  - ".join(problems))
        assert client_id and client_secret and refresh_token
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
            data_center=data_center,
            accounts_url=accounts_url,
            api_url=api_url,
            creator_url=creator_url,
            start_date=start_date,
            crm_modules=crm_modules,
            bigin_modules=bigin_modules,
            crm_api_version=versions[0],
            bigin_api_version=versions[1],
            creator_reports=creator_reports,
            creator_api_version=versions[2],
            creator_time_zone=creator_time_zone,
            creator_date_format=creator_date_format,
            creator_jobs_per_minute=jobs_per_minute,
            stream_options=settings_options,
            poll_interval=timings[0],
            poll_max_interval=timings[1],
            job_timeout=timings[2],
            request_timeout=timings[3],
            max_retries=max_retries,
            max_concurrent_jobs=max_concurrent_jobs,
            downloads_per_minute=downloads_per_minute,
            download_ahead_mb=timings[4],
            window_lag=timings[5],
            token_cache=token_cache,
            on_invalid_value=on_invalid_value,
            include_deleted=include_deleted,
            min_api_credits_left=min_api_credits_left,
        )


def parse_start_date(value: Any, problems: list[str]) -> dt.datetime | None:
    """Parse an ISO 8601 date or datetime; a value without offset is taken as UTC."""
    if not isinstance(value, str):
        problems.append("start_date: must be an ISO 8601 string such as 2024-01-31T00:00:00Z")
        return None
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        problems.append(
            f"start_date: {value!r} is not an ISO 8601 datetime such as 2024-01-31T00:00:00Z"
        )
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _stream_options(raw: Any, problems: list[str]) -> dict[str, StreamOptions]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        problems.append("stream_options: must be an object keyed by stream name")
        return {}
    options: dict[str, StreamOptions] = {}
    for stream, value in raw.items():
        where = f"stream_options.{stream}"
        if not re.match(r"^(crm|bigin|creator)_[a-z0-9_]+$", str(stream)):
            problems.append(
                f"{where}: {stream!r} is not a stream name (crm_<module>, bigin_<module>, "
                "creator_<app>_<report>, lower case)"
            )
            continue
        if not isinstance(value, Mapping):
            problems.append(f"{where}: must be an object")
            continue
        unknown = set(value) - STREAM_OPTION_KEYS
        if unknown:
            problems.append(
                f"{where}: unknown option(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(STREAM_OPTION_KEYS))}"
            )
        key = value.get("replication_key")
        if key is not None and (not isinstance(key, str) or not key):
            problems.append(f"{where}.replication_key: must be a field API name")
        criteria = value.get("criteria")
        if criteria is not None:
            if stream.startswith("creator_"):
                if not isinstance(criteria, str):
                    problems.append(f"{where}.criteria: must be a Creator criteria string")
            elif not isinstance(criteria, Mapping):
                problems.append(
                    f"{where}.criteria: must be a Zoho criteria object such as "
                    '{"field": {"api_name": "Lead_Source"}, "comparator": "equal", '
                    '"value": "Web"}'
                )
        cvid, form = value.get("cvid"), value.get("form")
        creator = stream.startswith("creator_")
        if cvid is not None and creator:
            problems.append(f"{where}.cvid: a CRM / Bigin option (custom view); Creator has none")
        elif cvid is not None and (isinstance(cvid, bool) or not isinstance(cvid, str | int)):
            problems.append(f"{where}.cvid: must be a custom view id")
        if form is not None and not creator:
            problems.append(f"{where}.form: a Creator option (the report's form); CRM / Bigin have none")
        elif form is not None and not (isinstance(form, str) and form):
            problems.append(f"{where}.form: must be a form link name")
        options[stream] = StreamOptions(
            replication_key=key if isinstance(key, str) and key else None,
            criteria=criteria,
            cvid=str(cvid) if cvid is not None else None,
            form=value.get("form") if isinstance(value.get("form"), str) else None,
        )
    return options
