"""The emulator process: one HTTP server for accounts, CRM, Bigin and Creator.

A ThreadingHTTPServer on 127.0.0.1 serves a route table built from per-product
modules, records every request for assertions, and applies armed faults before
routing so any endpoint can be made to misbehave.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import socket
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from zoho_emulator.accounts.oauth import TokenStore, token_routes
from zoho_emulator.context import EmulatorContext
from zoho_emulator.control import ControlApi, is_control_path
from zoho_emulator.core.expiring import ExpiringHandles
from zoho_emulator.core.faults import Faults, Injection
from zoho_emulator.core.job_ledger import JobLedger, JobLogEntry
from zoho_emulator.core.replies import ERROR_CONTENT_TYPE
from zoho_emulator.core.routing import Request, Response, Router
from zoho_emulator.core.throttle import LockoutWindow
from zoho_emulator.core.wallclock import ZohoClock
from zoho_emulator.creator.bulk_api import CreatorBulkApi
from zoho_emulator.creator.gate import CreatorGate
from zoho_emulator.creator.metadata_api import CreatorMetaApi
from zoho_emulator.creator.replies import CREATOR_PATH_PREFIX, generic_failure, invalid_url, is_creator_path
from zoho_emulator.creator.replies import error_for_status as creator_error_for_status
from zoho_emulator.crm.bulk_api import BulkReadApi
from zoho_emulator.crm.bulk_jobs import JobStore
from zoho_emulator.crm.callbacks import CallbackSender
from zoho_emulator.crm.count_api import RecordCountApi
from zoho_emulator.crm.credits import CreditLedger
from zoho_emulator.crm.deleted_records_api import DeletedRecordsApi
from zoho_emulator.crm.metadata_api import MetadataApi
from zoho_emulator.crm.replies import (
    CrmErrorReply,
    bad_method,
    error_for_status,
    unknown_url,
)
from zoho_emulator.crm.versions import PRODUCTS
from zoho_emulator.dataset import Dataset
from zoho_emulator.options import EmulatorOptions

CHUNK = 64 * 1024
COMMON_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-cache"),
    ("Pragma", "no-cache"),
)


@dataclass(frozen=True)
class RequestLog:
    """One served request, as tests see it (Authorization value masked)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int  # 0 when the connection was dropped without a response
    form: dict[str, str] | None = None
    time: float = 0.0

    @property
    def body(self) -> Any:
        """Alias of ``json`` (the parsed JSON body, or None)."""
        return self.json


def _mask(headers: dict[str, str]) -> dict[str, str]:
    masked = {}
    for key, value in headers.items():
        if key.lower() == "authorization":
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} ***" if rest else "***"
        masked[key] = value
    return masked


class _HttpServer(ThreadingHTTPServer):
    """Threading server that knows its open sockets so stop() can cut keep-alives."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: ZohoEmulator) -> None:
        self.emulator = emulator
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-request are normal here; only report when verbose."""
        if self.emulator.options.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the emulator; HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "ZGS"
    timeout = 60
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: _HttpServer

    def version_string(self) -> str:
        """Zoho's front end announces itself as ZGS."""
        return "ZGS"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header on Zoho's clock (``clock_offset``), as RFC 7231 wants it."""
        moment = self.server.emulator.clock.time() if timestamp is None else timestamp
        return email.utils.formatdate(moment, usegmt=True)

    def _serve(self) -> None:
        self.server.emulator._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the emulator logs on its own terms (never bodies or tokens)."""


class ZohoEmulator:
    """A local, faithful stand-in for Zoho Accounts + CRM + Bigin + Creator bulk read."""

    def __init__(self, options: EmulatorOptions | None = None, dataset: Dataset | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.dataset = dataset or Dataset.generate(
            timezone=self.options.org_timezone, creator_owner=self.options.creator_owner
        )
        opts = self.options
        self.clock = ZohoClock(opts.clock_offset)
        self.dataset.use_clock(self.clock)
        self.faults = Faults(lambda: self._tokens.expire_all())
        self._tokens = TokenStore(opts, forced_throttle=self.faults.take_refresh_throttle)
        self._ctx = EmulatorContext(
            options=opts,
            dataset=self.dataset,
            tokens=self._tokens,
            jobs=JobStore(self.dataset.org_prefix, opts.result_ttl),
            page_tokens=ExpiringHandles(opts.page_token_ttl),
            faults=self.faults,
            downloads=LockoutWindow(opts.download_limit, opts.download_window),
            callbacks=CallbackSender(),
            base_url=lambda: self.url,
            clock=self.clock,
            ledger=JobLedger(),
        )
        self.router = Router(unknown_url)
        self.router.add(token_routes(self._tokens, lambda: opts.api_domain or self.url, bad_method))
        for product in PRODUCTS:
            self.router.add(BulkReadApi(self._ctx, product).routes())
            self.router.add(MetadataApi(self._ctx, product).routes())
            self.router.add(DeletedRecordsApi(self._ctx, product).routes())
            if product.count_versions and opts.count_api:
                self.router.add(RecordCountApi(self._ctx, product).routes())
        creator_gate = CreatorGate(self._ctx)
        self.router.add(CreatorBulkApi(self._ctx, creator_gate).routes())
        self.router.add(CreatorMetaApi(self._ctx, creator_gate).routes())
        self.router.not_found_under(CREATOR_PATH_PREFIX, lambda _request: invalid_url())
        self.control = ControlApi(self.dataset, opts) if opts.control_api else None
        self.credits = CreditLedger(opts.api_credits, opts.api_credits_used, opts.api_credit_cost)
        self._log: list[RequestLog] = []
        self._log_lock = threading.Lock()
        self._server: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._released = threading.Event()  # set by stop(): requests held by faults.hang() end
        self._refusing: list[socket.socket] = []

    # ------------------------------------------------------------ lifecycle
    def start(self) -> ZohoEmulator:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._released.clear()
        self._server = _HttpServer((self.options.host, self.options.port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="zoho-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections (those held by faults.hang too), pending callbacks
        and the ports of refused_url()."""
        for held in self._refusing:
            held.close()
        self._refusing.clear()
        server, self._server = self._server, None
        if server is None:
            return
        self._released.set()
        server.shutdown()
        with server.sockets_lock:
            for sock in list(server.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        self._ctx.callbacks.cancel_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ZohoEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ public helpers
    @property
    def port(self) -> int:
        """The bound TCP port (after start())."""
        if self._server is None:
            raise RuntimeError("emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL serving accounts, CRM and Bigin, e.g. http://127.0.0.1:8765."""
        return f"http://{self.options.host}:{self.port}"

    def tap_config(self, **overrides: Any) -> dict[str, Any]:
        """A tap config pointing every base URL at this emulator."""
        opts = self.options
        config: dict[str, Any] = {
            "client_id": opts.client_id,
            "client_secret": opts.client_secret,
            "refresh_token": opts.refresh_token,
            "accounts_url": self.url,
            "api_url": self.url,
            "creator_url": self.url,
            "crm_modules": ["*"],
            "bigin_modules": ["*"],
        }
        config.update(overrides)
        return config

    def demo_config(self, **overrides: Any) -> dict[str, Any]:
        """The config of scripts/demo and meltano.yml: every CRM and Bigin module, and four Creator
        reports, the original user notes' Tous_les_Offres of both apps among them (four jobs keep
        within Creator's five job creations per minute). Pipeline_Commercial is a report no
        metadata ties to its form (as Zoho allows): the config names the form, as the tap's
        warning asks, so a demo run warns of nothing."""
        reports = self.dataset.creator_reports()
        wanted = [r for r in reports if r.endswith(("/Tous_les_Offres", "sales-benin/All_Clients",
                                                    "sales-burkina/Pipeline_Commercial"))]
        options = {"creator_sales_burkina_pipeline_commercial": {"form": "Offre"}}
        return self.tap_config(**{"creator_reports": wanted, "stream_options": options, **overrides})

    def refused_url(self) -> str:
        """A base URL on which every connection is refused ("connection refused", e.g. an accounts
        server that is down), e.g. ``tap_config(accounts_url=emulator.refused_url())``.

        The port is bound but never listened on, and held until stop(), so no other process can
        take it meanwhile and the refusal is certain (unlike a port merely believed free).
        """
        held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        held.bind((self.options.host, 0))
        self._refusing.append(held)
        return f"http://{self.options.host}:{held.getsockname()[1]}"

    def add_refresh_token(self, token: str, scopes: list[str] | tuple[str, ...] | None = None) -> None:
        """Register another refresh token (another user, or narrower scopes)."""
        self._tokens.add_refresh_token(token, scopes)

    def revoke_refresh_token(self, token: str) -> None:
        """Revoke a refresh token: its grants answer invalid_code from now on, while the access
        tokens issued before stay valid until they expire (a client may still hold one)."""
        self._tokens.revoke_refresh_token(token)

    @property
    def requests(self) -> list[RequestLog]:
        """Every request served so far (a copy)."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self._log_lock:
            self._log.clear()

    def job_log(self) -> list[JobLogEntry]:
        """The lifecycle of every bulk job so far (CRM, Bigin, Creator), in creation order (copies)."""
        return self._ctx.ledger.entries()

    @property
    def token_refreshes(self) -> int:
        """Successful refresh_token grants served."""
        return self._tokens.refresh_count

    # ------------------------------------------------------------ serving
    def _serve(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        headers = dict(handler.headers.items())
        body = _read_body(handler)
        request = Request(handler.command, parts.path, query, headers, body)
        if self.control is not None and is_control_path(request.path):
            # the emulator's own API: before faults, and not in the log of Zoho requests
            response = self.control.handle(request, str(handler.client_address[0]))
            if self.options.verbose:
                print(f"{request.method} {request.path} {response.status}", file=sys.stderr, flush=True)
            self._send(handler, response)
            return

        if self.faults.take_reset(request.path):
            self._record(request, 0)
            _drop(handler)
            return
        if self.faults.take_hang(request.method, request.path):
            self._record(request, 0)
            self._released.wait()  # hold the socket, unanswered, until stop()
            _drop(handler)
            return
        injection = self.faults.take_injection(request.method, request.path)
        creator = is_creator_path(request.path)
        product = request.path.split("/", 2)[1]
        credit_headers: list[tuple[str, str]] = []
        if injection is not None:
            response = _injected(injection, creator)
        elif product in ("crm", "bigin") and (refused := self._spend_credit(product, credit_headers)):
            response = refused
        else:
            try:
                response = self.router.dispatch(request)
            except Exception:
                if self.options.verbose:
                    traceback.print_exc(file=sys.stderr)
                error = generic_failure(500) if creator else CrmErrorReply("INTERNAL_ERROR")
                response = Response.error(error)
        if request.token is not None:
            reset = self._ctx.now_iso(request.token.expires_at)
            response.headers.append(("X-ACCESSTOKEN-RESET", reset))
        response.headers.extend(credit_headers)
        self._record(request, response.status)  # before sending: the client may look at once
        self._send(handler, self._encoded(request, response))

    def _spend_credit(self, product: str, headers: list[tuple[str, str]]) -> Response | None:
        """Charge one CRM / Bigin API call; its 429 once the org's credits for the day are gone."""
        try:
            headers.extend(self.credits.spend(product))
        except CrmErrorReply as refused:
            return Response.error(refused)
        return None

    def _encoded(self, request: Request, response: Response) -> Response:
        """gzip the body the way Zoho's front end may (`gzip` is seen on API answers in Zoho's bulk
        write Postman samples): when the client accepts gzip, or ("always") even when it asked for
        identity."""
        mode = self.options.gzip_responses
        accepts = "gzip" in (request.header("Accept-Encoding") or "").lower()
        wanted = mode == "always" or (mode == "accepted" and accepts)
        if response.status == 204 or not response.body or not wanted:
            return response
        body = gzip.compress(response.body, mtime=0)
        truncate = None if response.truncate_at is None else len(body) // 2
        return Response(response.status, body, [*response.headers, ("Content-Encoding", "gzip")], truncate)

    def _record(self, request: Request, status: int) -> None:
        content_type = (request.header("Content-Type") or "").lower()
        form = None
        if request.path.startswith("/oauth/") and "json" not in content_type and request.body:
            parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            form = {k: v[0] for k, v in parsed.items()}
        entry = RequestLog(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=_mask(dict(request.headers)),
            json=request.json_body(),
            status=status,
            form=form,
            time=time.time(),
        )
        with self._log_lock:
            self._log.append(entry)
        if self.options.verbose:
            print(f"{request.method} {request.path} {status}", file=sys.stderr, flush=True)

    @staticmethod
    def _send(handler: _Handler, response: Response) -> None:
        body = response.body
        try:
            handler.send_response(response.status)
            for key, value in (*COMMON_HEADERS, *response.headers):
                handler.send_header(key, value)
            if response.status != 204:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if response.status == 204:
                return
            if response.truncate_at is not None:
                handler.wfile.write(body[: response.truncate_at])
                handler.wfile.flush()
                handler.close_connection = True
                return
            for offset in range(0, len(body), CHUNK):
                handler.wfile.write(body[offset : offset + CHUNK])
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """Request body by Content-Length, or de-chunked."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        chunks = []
        while True:
            size_line = handler.rfile.readline().split(b";")[0].strip()
            size = int(size_line or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                break
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection abruptly (RST) without sending a response."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.shutdown(socket.SHUT_RDWR)


def _injected(injection: Injection, creator: bool = False) -> Response:
    """Build the canned response of an injection (Creator's error body on Creator paths)."""
    body, status = injection.body, injection.status
    if body is None:
        error = creator_error_for_status(status) if creator else error_for_status(status)
        response = Response.json(status, error.body(), content_type=ERROR_CONTENT_TYPE)
    elif isinstance(body, (bytes, str)):
        raw = body.encode("utf-8") if isinstance(body, str) else body
        response = Response(status, raw, [("Content-Type", "text/plain;charset=utf-8")])
    else:
        response = Response.json(status, body, content_type=ERROR_CONTENT_TYPE)
    if injection.headers:
        names = {name.lower() for name in injection.headers}
        response.headers = [(k, v) for k, v in response.headers if k.lower() not in names]
        response.headers.extend(injection.headers.items())
    return response
