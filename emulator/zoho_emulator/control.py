"""The emulator's own control API: change the data of a running emulator over HTTP.

Zoho has no such endpoint; it lives under ``/_emulator/``, a path no Zoho API uses, is served
before fault injection and is not in ``ZohoEmulator.requests`` (it is not Zoho traffic), so it
changes no Zoho endpoint's behaviour. ``zoho-emulator mutate`` is its client.

``POST /_emulator/mutate`` with a JSON body::

    {"action": "add" | "modify" | "delete",
     "product": "crm" | "bigin" | "creator",
     "module": "Leads"  (CRM/Bigin module API name)  |  "acme/sales-benin/Tous_les_Offres"  (Creator report),
     "count": 3,        (add: records to create, default 1; modify/delete: how many to pick)
     "ids": ["…"],      (modify/delete: these records instead of count)
     "type": "recycle" | "permanent"}   (delete, CRM/Bigin only; default recycle)

changes the data through ``Dataset.add_records`` / ``update_record`` / ``delete_records``, which
stamp "now" on the emulator's clock (``clock_offset``), so the change shows the way Zoho would
show it: new records in later bulk exports with Created_Time (Creator: Added_Time) = now, modified
ones with Modified_Time = now, deleted ones gone from later exports and listed by the
deleted-records API (CRM/Bigin; Creator has none). ``count`` picks, for modify, the records
modified longest ago and, for delete, those created first. The answer lists each change::

    {"action": "add", "product": "crm", "module": "Leads",
     "changes": [{"id": "…", "Created_Time": "2026-05-04T15:02:11+05:30", "Modified_Time": "…"}]}

A modification also writes ``Edited by zoho-emulator mutate at <UTC time>`` into one optional
text field the module (or report) shows, named in the change (``"field": "Description"``), so the
new value is visible in the export; a module without one only gets its new Modified_Time.

``GET /_emulator/modules`` lists what can be changed: ``{"crm": [...], "bigin": [...],
"creator": [...]}``.

Errors are ``{"error": "one line"}``: 400 (bad body, count too large), 403 (not allowed), 404
(unknown product, module, report, record or control path), 405 (wrong method).

Access: without ``EmulatorOptions.control_token``, loopback clients only (the emulator listens on
127.0.0.1 by default; one started with ``--host 0.0.0.0`` still only takes changes from its own
machine). With a token, every control request must carry it in ``X-Emulator-Token``, from any
address (an emulator in a container, driven from the host).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hmac
import ipaddress
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from zoho_emulator.core.routing import Request, Response
from zoho_emulator.dataset import CREATOR, DELETION_TYPES, SYSTEM_FIELDS, Dataset
from zoho_emulator.options import EmulatorOptions

CONTROL_PREFIX = "/_emulator"
MUTATE_PATH = f"{CONTROL_PREFIX}/mutate"
MODULES_PATH = f"{CONTROL_PREFIX}/modules"
TOKEN_HEADER = "X-Emulator-Token"  # noqa: S105 - a header name
ACTIONS = ("add", "modify", "delete")
PRODUCTS = ("crm", "bigin", CREATOR)
MAX_COUNT = 200_000  # records one call may add (one bulk read page)
EDIT_TEXT = "Edited by zoho-emulator mutate at {stamp}"
CREATOR_TEXT_TYPES = (1, 2)  # single line, multi line
Change = dict[str, Any]


class ControlError(Exception):
    """A refused control request: HTTP status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_control_path(path: str) -> bool:
    """Whether a request path belongs to the control API."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


class ControlApi:
    """Serves ``/_emulator/…`` for one emulator's dataset."""

    def __init__(self, dataset: Dataset, options: EmulatorOptions) -> None:
        self.dataset = dataset
        self.options = options

    def handle(self, request: Request, client_host: str) -> Response:
        """Answer one control request from ``client_host`` (the peer's IP address)."""
        try:
            self._allow(request, client_host)
            if request.path == MUTATE_PATH:
                _method(request, "POST")
                return Response.json(200, self.mutate(_body(request)))
            if request.path == MODULES_PATH:
                _method(request, "GET")
                return Response.json(200, self.modules())
            raise ControlError(404, f"unknown control path {request.path}: POST {MUTATE_PATH} or GET "
                                    f"{MODULES_PATH}")
        except ControlError as error:
            return Response.json(error.status, {"error": error.message})

    def _allow(self, request: Request, client_host: str) -> None:
        token = self.options.control_token
        if token:
            given = request.header(TOKEN_HEADER) or ""
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise ControlError(403, f"wrong or missing {TOKEN_HEADER}: this emulator was started with a "
                                        "control token (zoho-emulator mutate --token)")
            return
        if not _loopback(client_host):
            raise ControlError(403, f"the control API answers this machine only (the request came from "
                                    f"{client_host}); start the emulator with --control-token to allow "
                                    "others")

    # ------------------------------------------------------------ the operations
    def modules(self) -> dict[str, list[str]]:
        """What can be changed: CRM and Bigin module API names, Creator report paths."""
        listed = {product: self.dataset.modules(product) for product in self.dataset.products()}
        listed[CREATOR] = self.dataset.creator_reports()
        return listed

    def mutate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply one change (see the module docstring) and describe it."""
        action = body.get("action")
        if action not in ACTIONS:
            raise ControlError(400, f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        product = body.get("product")
        if product not in PRODUCTS:
            raise ControlError(404, f"unknown product {product!r}: crm, bigin or creator")
        module = body.get("module")
        if not isinstance(module, str) or not module:
            raise ControlError(400, "module must be a module API name (Leads) or, for creator, a report "
                                    "path owner/app/report")
        self._check_module(product, module)
        unknown = sorted(set(body) - {"action", "product", "module", "count", "ids", "type"})
        if unknown:
            raise ControlError(400, f"unknown keys {unknown}")
        if body.get("type") is not None and (action != "delete" or product == CREATOR):
            raise ControlError(400, "type applies to deletions of CRM and Bigin records only "
                                    "(Creator lists no deletions)")
        operation: Callable[[str, str, dict[str, Any]], list[Change]] = {
            "add": self._add, "modify": self._modify, "delete": self._delete,
        }[action]
        with self.dataset.locked():  # picking and changing in one consistent state
            changes = operation(product, module, body)
        return {"action": action, "product": product, "module": module, "changes": changes}

    def _add(self, product: str, module: str, body: dict[str, Any]) -> list[Change]:
        if body.get("ids") is not None:
            raise ControlError(400, "add creates new records: give count, not ids")
        count = _count(body, default=1)
        records = self.dataset.add_records(product, module, count)
        keys = ("Added_Time", "Modified_Time") if product == CREATOR else ("Created_Time", "Modified_Time")
        return [{"id": _id(product, r), **{k: _iso(r.get(k)) for k in keys if k in r}} for r in records]

    def _modify(self, product: str, module: str, body: dict[str, Any]) -> list[Change]:
        def age(record: dict[str, Any]) -> tuple[Any, ...]:
            modified = record.get("Modified_Time")
            return (modified is not None, modified or 0, len(_id(product, record)), _id(product, record))

        ids = self._pick(product, module, body, "modify", age)
        field, zone = self._text_field(product, module)
        stamp = self.dataset.clock.now(zone)
        values: dict[str, Any] = {"Modified_Time": stamp}
        if field is not None:
            values[field] = EDIT_TEXT.format(stamp=stamp.astimezone(dt.UTC).isoformat())
        changes = []
        for record_id in ids:
            record = self.dataset.update_record(product, module, record_id, **values)
            change: Change = {"id": record_id, "Modified_Time": _iso(stamp)}
            if field is not None:
                change["field"] = field
                change["value"] = record.get(field)
            changes.append(change)
        return changes

    def _delete(self, product: str, module: str, body: dict[str, Any]) -> list[Change]:
        kind = body.get("type")
        if kind is not None and kind not in DELETION_TYPES:
            raise ControlError(400, f"type must be one of {', '.join(DELETION_TYPES)}, not {kind!r}")
        key = "Added_Time" if product == CREATOR else "Created_Time"

        def age(record: dict[str, Any]) -> tuple[Any, ...]:
            created = record.get(key)
            return (created is not None, created or 0, len(_id(product, record)), _id(product, record))

        ids = self._pick(product, module, body, "delete", age)
        entries = self.dataset.delete_records(product, module, ids, type=kind)
        order = ("id", "deleted_time", "type", "display_name")
        return [{k: _iso(entry[k]) for k in order if k in entry} for entry in entries]

    # ------------------------------------------------------------ helpers
    def _check_module(self, product: str, module: str) -> None:
        known = self.dataset.creator_reports() if product == CREATOR else self.dataset.modules(product)
        if module in known:
            return
        what = "Creator report" if product == CREATOR else f"{product} module"
        same = [name for name in known if name.lower() == module.lower()]
        close = same or difflib.get_close_matches(module, known, n=3, cutoff=0.6)
        if not close and product == CREATOR:
            close = [path for path in known if path.endswith("/" + module.strip("/"))][:3]
        hint = f"did you mean {' or '.join(close)}?" if close else f"it has: {', '.join(known)}"
        raise ControlError(404, f"unknown {what} {module!r}: {hint}")

    def _pick(
        self,
        product: str,
        module: str,
        body: dict[str, Any],
        action: str,
        age: Callable[[dict[str, Any]], tuple[Any, ...]],
    ) -> list[str]:
        """The ids of ``body["ids"]`` (each checked) or the ``count`` first records by ``age``."""
        records = self.dataset.records(product, module)
        ids = body.get("ids")
        if ids is not None:
            if body.get("count") is not None:
                raise ControlError(400, "give ids or count, not both")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
                raise ControlError(400, "ids must be a non-empty list of record ids (strings)")
            present = {_id(product, record) for record in records}
            missing = [record_id for record_id in dict.fromkeys(ids) if record_id not in present]
            if missing:
                raise ControlError(404, f"no record {', '.join(missing)} in {product}/{module}")
            return list(dict.fromkeys(ids))
        count = _count(body, default=None)
        if count > len(records):
            raise ControlError(400, f"{product}/{module} has {len(records)} records: cannot {action} {count}")
        return [_id(product, record) for record in sorted(records, key=age)[:count]]

    def _text_field(self, product: str, module: str) -> tuple[str | None, ZoneInfo]:
        """The optional text field a modification writes (None when there is none), and the time
        zone the module's times are kept in."""
        if product == CREATOR:
            owner, app, _report = module.split("/")
            report = self.dataset.creator_report(module)
            form = f"{owner}/{app}/{report['form']}"
            fields = {f["link_name"]: f for f in self.dataset.fields(CREATOR, form)}
            shown = [
                column for column in report["columns"]
                if column in fields and fields[column]["type"] in CREATOR_TEXT_TYPES
                and not fields[column]["mandatory"] and not fields[column]["unique"]
            ]  # fmt: skip
            zone = self.dataset.creator_workspace(owner).app(owner, app).tz
            return (shown[0] if shown else None), zone
        spec = self.dataset.module_spec(product, module)
        candidates = [
            f for f in spec.fields
            if f.data_type in ("textarea", "text") and not f.mandatory and not f.read_only
            and f.api_name not in SYSTEM_FIELDS and f.bulk_readable
        ]  # fmt: skip
        candidates.sort(key=lambda f: f.data_type != "textarea")  # a description first
        return (candidates[0].api_name if candidates else None), self.dataset.tz


def _loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def _method(request: Request, wanted: str) -> None:
    if request.method.upper() != wanted:
        raise ControlError(405, f"{request.path} takes {wanted}, not {request.method}")


def _body(request: Request) -> dict[str, Any]:
    body = request.json_body()
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object: {\"action\", \"product\", \"module\", …}")
    return body


def _count(body: dict[str, Any], default: int | None) -> int:
    count = body.get("count", default)
    if count is None:
        raise ControlError(400, "give count (how many records) or ids")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ControlError(400, f"count must be a whole number from 1 to {MAX_COUNT}, not {count!r}")
    return count


def _id(product: str, record: dict[str, Any]) -> str:
    return str(record.get("ID" if product == CREATOR else "id"))


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value
