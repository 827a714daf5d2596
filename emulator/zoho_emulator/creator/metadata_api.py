"""Creator metadata: applications, forms, reports, pages, sections, form fields.

Clients learn each application's date format and time zone from Get Applications and the
column types from Get Fields before they can read a single CSV cell; both URL families
(Creator host ``/api/v2/…``, zohoapis ``/creator/{ver}/meta/…``) answer from the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.routing import Request, Response, Route
from zoho_emulator.creator.app_catalog import CHOICE_STYLES, FORM_TYPE
from zoho_emulator.creator.bulk_api import method_error
from zoho_emulator.creator.gate import (
    APPLICATION_META_SCOPE,
    APPLICATIONS_SCOPE,
    FORM_META_SCOPE,
    CreatorGate,
)
from zoho_emulator.creator.replies import CREATOR_CONTENT_TYPE, SUCCESS
from zoho_emulator.creator.workspace import CreatorApp

VERSIONS = r"(?:v2|v2\.1)"
OWNER, APP, FORM = r"(?P<owner>[^/]+)", r"(?P<app>[^/]+)", r"(?P<form>[^/]+)"
PREFIXES = (rf"/api/{VERSIONS}", rf"/creator/{VERSIONS}/meta")
# Documented "nothing here" answers (HTTP 200, https://www.zoho.com/creator/help/api/v2.1/status-codes.html).
EMPTY = {"forms": (3910, "No forms available."), "pages": (3920, "No pages available."),
         "reports": (3930, "No reports available.")}  # fmt: skip
Lister = Callable[[CreatorApp], list[dict[str, Any]]]
FORM_COMPONENT, REPORT_COMPONENT = 1, 2


def _ok(key: str, items: list[dict[str, Any]]) -> Response:
    if not items and key in EMPTY:
        code, message = EMPTY[key]
        body: dict[str, Any] = {"code": code, "message": message}
    else:
        body = {"code": SUCCESS, key: items}
    return Response.json(200, body, content_type=CREATOR_CONTENT_TYPE)


class CreatorMetaApi:
    """Metadata endpoints of the Creator workspace."""

    def __init__(self, ctx: EmulatorContext, gate: CreatorGate) -> None:
        if ctx.options.creator_field_choices not in CHOICE_STYLES:
            raise ValueError(f"creator_field_choices must be one of {', '.join(CHOICE_STYLES)}")
        self.ctx = ctx
        self.gate = gate

    def routes(self) -> list[Route]:
        """Rows for both URL families."""
        per_app: dict[str, Lister] = {
            "forms": self._forms,
            "reports": self._reports,
            "pages": lambda _app: [],
            "sections": self._sections,
        }
        rows = []
        for prefix in PREFIXES:
            rows += [
                Route.make("GET", prefix + "/applications", self.applications, method_error),
                Route.make("GET", f"{prefix}/{OWNER}/applications", self.applications, method_error),
                Route.make("GET", f"{prefix}/{OWNER}/{APP}/form/{FORM}/fields", self.fields, method_error),
            ]
            for key, build in per_app.items():
                handler = self._app_list(key, build)
                rows.append(Route.make("GET", f"{prefix}/{OWNER}/{APP}/{key}", handler, method_error))
        return rows

    def applications(self, request: Request) -> Response:
        """All applications the user reaches, every workspace's (or those of the URL's workspace)."""
        self.gate.enter(request, APPLICATIONS_SCOPE)
        if "owner" in request.params:
            workspaces = [self.gate.workspace(request)]
        else:
            workspaces = self.ctx.dataset.creator_workspaces()
        apps = [app for workspace in workspaces for app in workspace.apps.values()]
        return _ok("applications", [app.metadata() for app in apps])

    def _app_list(self, key: str, build: Lister) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            self.gate.enter(request, APPLICATION_META_SCOPE)
            return _ok(key, build(self.gate.app(request)))

        return handler

    @staticmethod
    def _forms(app: CreatorApp) -> list[dict[str, Any]]:
        return [
            {"display_name": f.spec.display_name, "link_name": f.spec.link_name, "type": FORM_TYPE}
            for f in app.forms.values()
        ]

    @staticmethod
    def _reports(app: CreatorApp) -> list[dict[str, Any]]:
        return [
            {"display_name": r.display_name, "link_name": r.link_name, "type": r.type}
            for r in app.reports.values()
        ]

    @staticmethod
    def _sections(app: CreatorApp) -> list[dict[str, Any]]:
        """The menu: a section per form (the form, then the reports shown with it), then sections
        that only hold reports (``CreatorReport.section``)."""
        sections: dict[str, list[dict[str, Any]]] = {}
        for state in app.forms.values():
            form = state.spec
            sections.setdefault(form.section, []).append(
                {"type": FORM_COMPONENT, "link_name": form.link_name, "display_name": form.display_name}
            )
        for report in app.reports.values():
            name = report.section or app.forms[report.form].spec.section
            sections.setdefault(name, []).append({
                "view_type": report.type,
                "type": REPORT_COMPONENT,
                "link_name": report.link_name,
                "display_name": report.display_name,
            })
        return [{"components": components, "display_name": name, "link_name": name}
                for name, components in sections.items()]

    def fields(self, request: Request) -> Response:
        """Field metadata of one form."""
        self.gate.enter(request, FORM_META_SCOPE)
        app, form = self.gate.form(request)
        return _ok("fields", app.field_metadata(form.link_name, self.ctx.options.creator_field_choices))
