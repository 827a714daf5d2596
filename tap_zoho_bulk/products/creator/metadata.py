"""Creator's metadata, read once per run: applications (date format, time zone), reports, forms,
form fields and menu sections (https://www.zoho.com/creator/help/api/v2.1/get-fields.html and its
sibling pages). Every Creator call counts against the account's daily API limit, so nothing is
asked twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.errors import ApiError, ConfigError, Kind
from tap_zoho_bulk.products.creator.dates import AppFormat, java_to_strptime, java_zone
from tap_zoho_bulk.products.creator.field_types import type_code
from tap_zoho_bulk.products.creator.urls import CreatorUrls

LOGGER = logging.getLogger("tap-zoho-bulk")
FORM_COMPONENT = 1  # Get Sections component types: 1 form, 2 report, 3 page


def _listing(key: str) -> Callable[[Any], bool]:
    """A metadata answer: `{"code": 3000, key: [...]}`, or one of Creator's "none available"."""
    def valid(answer: Any) -> bool:
        return isinstance(answer, dict) and (isinstance(answer.get(key), list) or answer.get("code") != 3000)
    return valid


class CreatorMetadata:
    """Cached reads of the metadata APIs, and each application's date format and zone."""

    def __init__(
        self,
        client: ZohoClient,
        urls: CreatorUrls,
        *,
        time_zone: str | None = None,
        date_format: str | None = None,
    ) -> None:
        self.client = client
        self.urls = urls
        self.time_zone = time_zone
        self.date_format = date_format
        self._formats: dict[str, AppFormat] = {}
        self._applications: list[dict[str, Any]] | None = None
        self._applications_refused = ""  # why Get Applications could not be read, for the error
        self._form_names: dict[str, list[str]] = {}
        self._report_names: dict[str, set[str]] = {}  # per owner/app
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}

    def get(self, path: str, key: str) -> list[dict[str, Any]]:
        """The list under `key` of one metadata call (empty for Creator's 3910/3920/3930)."""
        _, body = self.client.request_json("GET", self.urls.meta(path), expect=_listing(key))
        value = (body or {}).get(key) if isinstance(body, dict) else None
        return value if isinstance(value, list) else []

    def check_report(self, owner: str, app: str, report: str) -> None:
        """Stop with a line naming the setting when the report does not exist (one call for all
        the reports of an application)."""
        key = f"{owner}/{app}"
        if key not in self._report_names:
            try:
                listed = self.get(f"{key}/reports", "reports")
                self._report_names[key] = {str(r["link_name"]) for r in listed if r.get("link_name")}
            except ApiError as error:
                if error.kind is Kind.NOT_FOUND:
                    raise ConfigError(f"creator_reports: {owner}/{app}/{report}: {error}") from None
                raise
        names = self._report_names[key]
        if report not in names:
            raise ConfigError(
                f"creator_reports: application {owner}/{app} has no report {report!r}; "
                f"it has: {', '.join(sorted(n for n in names if n)) or 'no reports'}"
            )

    def forms(self, owner: str, app: str) -> list[str]:
        """Link names of the application's forms."""
        key = f"{owner}/{app}"
        if key not in self._form_names:
            self._form_names[key] = [
                str(f["link_name"]) for f in self.get(f"{key}/forms", "forms") if f.get("link_name")
            ]
        return self._form_names[key]

    def form_fields(self, owner: str, app: str, form: str) -> dict[str, dict[str, Any]]:
        """Get Fields of one form, by link name."""
        key = f"{owner}/{app}/{form}"
        if key not in self._fields:
            fields = self.get(f"{owner}/{app}/form/{form}/fields", "fields")
            self._fields[key] = {str(f["link_name"]): f for f in fields if f.get("link_name")}
        return self._fields[key]

    def section_forms(self, owner: str, app: str, report: str) -> list[str]:
        """Forms listed in the same menu section(s) as `report`; [] when sections are unavailable
        (Zoho documents Get Sections on the zohoapis URL family only): it is only a hint."""
        try:
            sections = self.get(f"{owner}/{app}/sections", "sections")
        except ApiError as error:
            if error.kind is Kind.DAILY_LIMIT:
                raise
            LOGGER.debug("creator %s/%s: no sections (%s)", owner, app, error)
            return []
        found: list[str] = []
        for section in sections:
            components = section.get("components") or []
            if any(c.get("link_name") == report for c in components):
                found += [str(c["link_name"]) for c in components
                          if type_code(c.get("type")) == FORM_COMPONENT and c.get("link_name")]
        return list(dict.fromkeys(found))

    def app_format(self, owner: str, app: str) -> AppFormat:
        """Date format and time zone of an application (settings override the metadata).

        Without them every instant would be off by the app's UTC offset, so an application whose
        time zone neither Get Applications nor creator_time_zone gives stops the run.
        """
        key = f"{owner}/{app}"
        if key not in self._formats:
            meta, problem = ({}, "") if self.time_zone and self.date_format else self._application(owner, app)
            zone_name = self.time_zone or meta.get("time_zone")
            if not zone_name:
                raise ConfigError(
                    f"creator_time_zone: the time zone of Creator application {key} is unknown "
                    f"({problem or 'Get Applications gives none'}); add the "
                    "ZohoCreator.dashboard.READ scope to the token, or set creator_time_zone and "
                    "creator_date_format"
                )
            try:
                zone = java_zone(zone_name)
            except ValueError:
                where = "creator_time_zone" if self.time_zone else f"Get Applications' time_zone of {key}"
                raise ConfigError(
                    f"creator_time_zone: {where} is {zone_name!r}, which is not a known time zone; "
                    "set creator_time_zone to the IANA name of the application's zone"
                ) from None
            pattern = self.date_format or meta.get("date_format")
            if not pattern:
                raise ConfigError(
                    f"creator_date_format: the date format of Creator application {key} is unknown "
                    f"({problem or 'Get Applications gives none'}); set "
                    "creator_date_format (e.g. dd-MMM-yyyy) to the application's date format"
                )
            self._formats[key] = AppFormat(zone, java_to_strptime(pattern))
        return self._formats[key]

    def _application(self, owner: str, app: str) -> tuple[dict[str, Any], str]:
        """The application's Get Applications entry, or {} and why there is none. Owner and app
        must both match: another owner's app of the same name is another app."""
        if self._applications is None:
            try:
                self._applications = self.get("applications", "applications")
            except ApiError as error:
                if error.kind not in (Kind.ACCESS, Kind.NOT_FOUND):
                    raise
                self._applications_refused = f"Get Applications answered {error.code}: {error.message}"
                self._applications = []
        for meta in self._applications:
            workspace = meta.get("workspace_name") or meta.get("created_by")
            if meta.get("link_name") == app and workspace == owner:
                return meta, ""
        return {}, self._applications_refused or f"Get Applications lists no application {app} of {owner}"
