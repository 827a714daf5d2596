"""What every Creator call goes through: token, scope, daily limit, then owner/app/report/form.

Creator answers each of these with its own numeric code (1030, 2945, 4000 with HTTP 200,
1040, 2892, 2894, 2893); running them in one fixed order for every endpoint gives clients
the same answer for the same mistake wherever they make it.
"""

from __future__ import annotations

from zoho_emulator.accounts.api_tokens import AUTH_SCHEME
from zoho_emulator.accounts.oauth import AccessToken
from zoho_emulator.context import EmulatorContext
from zoho_emulator.core.routing import Request
from zoho_emulator.core.throttle import SlidingWindow
from zoho_emulator.creator.app_catalog import CreatorForm, CreatorReport
from zoho_emulator.creator.replies import (
    auth_failure,
    daily_limit,
    no_application,
    no_form,
    no_owner,
    no_report,
    scope_mismatch,
)
from zoho_emulator.creator.workspace import CreatorApp, CreatorWorkspace

DAY = 86_400.0
CREATE_SCOPE = "ZohoCreator.bulk.CREATE"
READ_SCOPE = "ZohoCreator.bulk.READ"
APPLICATIONS_SCOPE = "ZohoCreator.dashboard.READ"
APPLICATION_META_SCOPE = "ZohoCreator.meta.application.READ"
FORM_META_SCOPE = "ZohoCreator.meta.form.READ"


class CreatorGate:
    """Authentication, scope, daily limit and resource resolution for Creator handlers."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx
        limit = ctx.options.creator_daily_limit
        self._daily = SlidingWindow(limit, DAY) if limit is not None else None

    def enter(self, request: Request, scope: str) -> AccessToken:
        """Authenticate, check the scope, count the call against the daily limit."""
        header = request.header("Authorization") or ""
        scheme, _, value = header.partition(" ")
        token = self.ctx.tokens.lookup(value) if scheme == AUTH_SCHEME and value else None
        if token is None:
            raise auth_failure()
        request.token = token
        if scope.lower() not in token.scopes:
            raise scope_mismatch()
        if self.ctx.faults.take_creator_daily_limit():
            raise daily_limit()
        if self._daily is not None and not self._daily.try_acquire(token.refresh_token):
            raise daily_limit()
        return token

    def workspace(self, request: Request) -> CreatorWorkspace:
        """The workspace of the URL's owner (one of the dataset's workspaces)."""
        owner = request.params["owner"]
        try:
            return self.ctx.dataset.creator_workspace(owner)
        except KeyError:
            raise no_owner(owner) from None

    def app(self, request: Request) -> CreatorApp:
        """The application of the URL (owner checked first)."""
        workspace = self.workspace(request)
        name = request.params["app"]
        app = workspace.apps.get(name)
        if app is None:
            raise no_application(name)
        return app

    def report(self, request: Request) -> tuple[CreatorApp, CreatorReport]:
        """The application and report of the URL."""
        app = self.app(request)
        name = request.params["report"]
        if name not in app.reports:
            raise no_report(name)
        return app, app.reports[name]

    def form(self, request: Request) -> tuple[CreatorApp, CreatorForm]:
        """The application and form of the URL."""
        app = self.app(request)
        name = request.params["form"]
        if name not in app.forms:
            raise no_form(name)
        return app, app.forms[name].spec
