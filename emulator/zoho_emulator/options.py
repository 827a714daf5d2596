"""Tunable knobs of the emulator.

Every default mirrors what real Zoho does (or the most likely value where the docs
are silent), so a client tested against the defaults meets production behaviour;
tests shrink sizes and durations to stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_SCOPES: tuple[str, ...] = (
    "ZohoCRM.bulk.ALL",
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoBigin.bulk.ALL",
    "ZohoBigin.modules.ALL",
    "ZohoBigin.settings.ALL",
    "ZohoCreator.bulk.CREATE",
    "ZohoCreator.bulk.READ",
    "ZohoCreator.dashboard.READ",
    "ZohoCreator.meta.application.READ",
    "ZohoCreator.meta.form.READ",
)


@dataclass
class EmulatorOptions:
    """Configuration of one emulator instance (all fields defaulted).

    Where Zoho's documentation is silent (result retention, what a page token stands for, the
    count API's scopes) the default is the most likely or the more pessimistic behaviour, and the
    option switches to the other reading so a client can be tested against both. Standing
    hostility is set here (``invalid_numbers``, ``creator_field_choices``); answers that misbehave
    for a number of requests are armed on ``ZohoEmulator.faults`` instead.
    """

    # --- listening socket -------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 0  # 0 = ephemeral
    verbose: bool = False  # log "METHOD path status" lines to stderr
    # The emulator's own control API (control.py: POST /_emulator/mutate, no Zoho endpoint), used
    # by `zoho-emulator mutate`; False: those paths answer as any unknown URL. Without a token it
    # answers loopback clients only; with one, any client that sends it (X-Emulator-Token).
    control_api: bool = True
    control_token: str | None = None

    # --- OAuth (accounts server) ------------------------------------------
    client_id: str = "1000.EMULATORCLIENT0000000000000000"
    client_secret: str = "emulator0client0secret0000000000000000000a"  # noqa: S105 - fake
    refresh_token: str = "1000.emulatorrefresh0000000000000000.emulatorrefresh000000000000"  # noqa: S105
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    api_domain: str | None = None  # value of "api_domain" in token responses; None = own URL
    token_ttl: float = 3600.0  # access-token lifetime, seconds
    max_active_tokens: int = 15  # per refresh token; the 16th evicts the oldest
    refresh_limit: int = 10  # refresh grants per refresh_window per refresh token
    refresh_window: float = 600.0
    # HTTP status of the "too many requests continuously" body (one client documents 400, Zoho's
    # Kaizen #43 says 200); faults.throttle_refreshes() forces that answer regardless of the count.
    throttle_status: int = 400

    # --- organisation -----------------------------------------------------
    org_timezone: str = "Asia/Kolkata"
    # Seconds added to the emulator's "now" wherever Zoho shows one: the HTTP Date header, job
    # created_time, X-ACCESSTOKEN-RESET, Creator job times, and records that Dataset.add_records /
    # update_record / delete_records stamp "now". Negative = Zoho's clock behind the client's.
    clock_offset: float = 0.0

    # --- bulk read --------------------------------------------------------
    page_size: int = 200_000  # records per job/page (Zoho: 200000); reported as per_page
    max_page: int = 50  # page above this -> PAGE_RANGE_EXCEEDED
    page_without_token_limit: int = 200_000  # v7+: records reachable by `page` alone
    page_token_ttl: float = 86_400.0  # v7+ next_page_token lifetime
    # What a v7+ next_page_token stands for, which Zoho does not say
    # (https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html). True (pessimistic):
    # the query and the next page's offset, the page cut from the records matching when its job is
    # created, exactly like `page`, so records deleted between pages shift later records onto pages
    # already exported. False: the export continues after the last id it exported.
    page_token_offsets: bool = True
    job_duration: float = 1.0  # seconds from ADDED to COMPLETED
    min_polls: int = 0  # status polls needed before a job may complete
    create_status: int = 201  # HTTP status of a successful create
    shuffle_rows: bool = True  # rows inside one CSV are in no particular order
    unsupported_modules: tuple[str, ...] = ("Notes", "Attachments", "Emails")
    criteria_limit: int = 25  # leaves allowed in one criteria tree
    send_callbacks: bool = True  # POST job details to query callback.url when done
    # Seconds a CRM/Bigin job's result is kept after it completes; then its status and download
    # answer 404 RESOURCE_NOT_FOUND. None = for the emulator's life (Zoho documents no retention).
    result_ttl: float | None = None

    # --- record count (CRM v3+: GET /crm/{ver}/{module}/actions/count) ----------
    count_api: bool = True  # False: the path answers 404 INVALID_URL_PATTERN, as an unknown URL
    # Whether a count with criteria/email/phone/word also needs ZohoSearch.securesearch.READ, as
    # Zoho's search API does (https://www.zoho.com/crm/developer/docs/api/v2/search-records.html);
    # the count page's own scope list is not confirmed, so by default the module scope is enough.
    count_search_scope: bool = False

    # --- result file ------------------------------------------------------
    # A job that matched nothing: a download_url to a header-only CSV (True), or no download_url
    # at all (False; both products). Which one Zoho does is not documented.
    empty_result_file: bool = True
    id_header: str = "id"  # "id" or "Id"
    multiselect_separator: str = ";"
    csv_bom: bool = False
    csv_line_terminator: str = "\r\n"
    content_disposition: str = "quoted"  # "quoted" filename="x.zip" | "rfc5987" filename*=
    # "never", "accepted" (gzip when the request's Accept-Encoding allows it) or "always" (even when
    # the client asked for identity, as a misbehaving proxy would)
    gzip_responses: str = "never"
    # CRM/Bigin downloads per download_window per refresh token; the refusal of one
    # more locks that user's downloads out for download_window seconds from that refusal.
    download_limit: int = 10
    download_window: float = 60.0
    # Daily API credits of each org (CRM, Bigin; crm/credits.py): None = not modelled (no
    # X-API-CREDITS-REMAINING header, no limit); `api_credits_used` of them are gone at start.
    api_credits: int | None = None
    api_credits_used: int = 0
    api_credit_cost: int = 1  # credits one API call costs (bulk read's cost is undocumented)
    # Cells written as invalid numbers, to test a client's value parsing (both products). Keys name
    # a column ("Amount"), a module's column ("Deals/Amount") or a product's ("crm/Deals/Amount";
    # Creator modules are report paths: "acme/sales-benin/Tous_les_Offres/Montant"); the value is
    # the text of every non-empty cell of it, or a tuple rotated over the rows, e.g.
    # core.damage.INVALID_NUMBERS ("nan", "inf", "1.234,50", "12abc"). Empty cells stay empty.
    invalid_numbers: dict[str, str | tuple[str, ...]] = field(default_factory=dict)

    # --- Zoho Creator -----------------------------------------------------
    # Owner (workspace) of the generated Creator data when the emulator generates its own
    # dataset; a dataset passed to ZohoEmulator keeps its own owner (Dataset.generate(creator_owner=)).
    creator_owner: str = "acme"
    creator_batch_size: int = 200_000  # records per job at most (also capped by query.max_records)
    creator_cursor_ttl: float = 900.0  # record_cursor lifetime (Zoho: 15 minutes)
    creator_result_ttl: float = 86_400.0  # a job's result is kept this long (Zoho: 24 hours)
    creator_status_style: str = "mixed"  # "mixed": In-progress/Completed/Failed; "upper": IN PROGRESS/…
    creator_multiselect_separator: str = ", "  # between multi-select / checkbox choices in the CSV
    # CSV header cells: field link names (as `fields` names them), or "display_name" as Creator's
    # report export labels columns (Zoho's download page does not say which one bulk read writes).
    creator_csv_header: str = "link_name"
    # `choices` of drop-down, radio, multi-select and checkbox fields in Get Fields: "objects"
    # [{"display_value", "id"}], "strings" ["…"], or "none" (key absent). Zoho's older field listing
    # includes the choices of these types (https://www.zoho.com/creator/help/api/rest-api/rest-api-list-form-fields.html);
    # the OAS schema of https://www.zoho.com/creator/help/api/v2.1/get-fields.html names no such key.
    creator_field_choices: str = "objects"
    creator_create_limit: int = 5  # job creations per creator_create_window per refresh token (user)
    creator_create_window: float = 60.0
    creator_org_create_limit: int = 15  # … and for the whole org
    creator_download_limit: int = 10  # downloads per creator_download_window per refresh token (user)
    creator_download_window: float = 60.0
    creator_org_download_limit: int = 30  # … and for the whole org
    creator_daily_limit: int | None = None  # Creator API calls per refresh token per day (None = no limit)

    @classmethod
    def fast(cls, **overrides: Any) -> EmulatorOptions:
        """Options for tests and demos that must not wait: jobs of 50 ms, pages of 40 records,
        and the per-minute limits lifted (tests of those limits set them back)."""
        fast = cls(
            job_duration=0.05, page_size=40, creator_batch_size=40,
            download_limit=10_000, refresh_limit=10_000,
            creator_create_limit=10_000, creator_org_create_limit=10_000,
            creator_download_limit=10_000, creator_org_download_limit=10_000,
        )
        return replace(fast, **overrides)
