"""Tunable knobs of the emulator.

Every default mirrors what real Zoho does (or the most likely value where the docs
are silent), so a client tested against the defaults meets production behaviour;
tests shrink sizes and durations to stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """Configuration of one emulator instance (all fields defaulted)."""

    # --- listening socket -------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 0  # 0 = ephemeral
    verbose: bool = False  # log "METHOD path status" lines to stderr

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
    throttle_status: int = 400  # HTTP status of the "too many requests continuously" body

    # --- organisation -----------------------------------------------------
    org_timezone: str = "Asia/Kolkata"

    # --- bulk read --------------------------------------------------------
    page_size: int = 200_000  # records per job/page (Zoho: 200000); reported as per_page
    max_page: int = 50  # page above this -> PAGE_RANGE_EXCEEDED
    page_without_token_limit: int = 200_000  # v7+: records reachable by `page` alone
    page_token_ttl: float = 86_400.0  # v7+ next_page_token lifetime
    job_duration: float = 1.0  # seconds from ADDED to COMPLETED
    min_polls: int = 0  # status polls needed before a job may complete
    create_status: int = 201  # HTTP status of a successful create
    shuffle_rows: bool = True  # rows inside one CSV are in no particular order
    unsupported_modules: tuple[str, ...] = ("Notes", "Attachments", "Emails")
    criteria_limit: int = 25  # leaves allowed in one criteria tree
    send_callbacks: bool = True  # POST job details to query callback.url when done

    # --- result file ------------------------------------------------------
    id_header: str = "id"  # "id" or "Id"
    multiselect_separator: str = ";"
    csv_bom: bool = False
    csv_line_terminator: str = "\r\n"
    content_disposition: str = "quoted"  # "quoted" filename="x.zip" | "rfc5987" filename*=
    download_limit: int = 10  # downloads per download_window per refresh token
    download_window: float = 60.0
