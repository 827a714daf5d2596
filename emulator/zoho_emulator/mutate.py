"""``zoho-emulator mutate``: add, modify or delete records on a running emulator.

The client of the control API (control.py, ``POST /_emulator/mutate``). It prints one line per
change: the record id and the times the next sync goes by (Created_Time / Added_Time,
Modified_Time, deleted_time, as Zoho shows them: the org's or the app's offset), e.g.

    added crm/Leads 5725767000001000412 Created_Time=2026-05-04T15:02:11+05:30 Modified_Time=…

Errors are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from zoho_emulator.control import MAX_COUNT, MUTATE_PATH, PRODUCTS, TOKEN_HEADER

DEFAULT_URL = "http://127.0.0.1:8765"
TOKEN_ENV = "ZOHO_EMULATOR_TOKEN"  # noqa: S105 - a variable name
VERBS = {"add": "added", "modify": "modified", "delete": "deleted"}
PROG = "zoho-emulator mutate"


class MutateError(Exception):
    """A one-line failure of the command (exit status 2)."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``mutate`` and its actions on the top-level parser's subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    _connection_options(common, argparse.SUPPRESS)  # also accepted after the action
    mutate = subparsers.add_parser(
        "mutate",
        prog=PROG,
        help="add, modify or delete records on a running emulator (zoho-emulator mutate --help)",
        description="Change the data of a running emulator, as a Zoho user would, so that the next sync "
        "has something to pick up; one line per change, with the record's id and new times.",
        epilog="examples: zoho-emulator mutate add crm Leads --count 5;  zoho-emulator mutate modify "
        "crm Leads --id 5725767000001000412;  zoho-emulator mutate --config emulator-config.json delete "
        "bigin Contacts --count 2;  zoho-emulator mutate add creator acme/sales-benin/Tous_les_Offres",
    )
    _connection_options(mutate, None)
    actions = mutate.add_subparsers(dest="action", required=True, metavar="ACTION",
                                    help="add, modify or delete (each has --help)")
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("product", metavar="PRODUCT", help="crm, bigin or creator")
    target.add_argument("module", metavar="MODULE",
                        help="a CRM/Bigin module API name (Leads, Contacts, Pipelines…) or, for creator, a "
                        "report as owner/app/report (acme/sales-benin/Tous_les_Offres)")

    def action(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, prog=f"{PROG} {name}", parents=[target, common], help=summary,
                                  description=description)

    add = action("add", "create new records, stamped now",
                 "Create records with generated values; Created_Time (Creator: Added_Time) and "
                 "Modified_Time are the emulator's now.")
    add.add_argument("--count", type=_positive, default=1,
                     help=f"how many records to create (default: %(default)s, at most {MAX_COUNT})")

    modify = action("modify", "change records, Modified_Time now",
                    "Change records: Modified_Time becomes the emulator's now, and one optional text field "
                    "the export shows (Description, …) gets 'Edited by zoho-emulator mutate at <time>'. "
                    "Only a sync on Modified_Time (stream_options.<stream>.replication_key) picks them up.")
    _pick_options(modify, "modify", "the records modified longest ago")

    delete = action("delete", "delete records",
                    "Delete records: later bulk exports lack them; for CRM and Bigin the deleted-records "
                    "API lists them (the tap's <stream>_deleted with include_deleted). Creator lists no "
                    "deletions.")
    _pick_options(delete, "delete", "the records created first")
    delete.add_argument("--permanent", action="store_const", const="permanent", dest="type",
                        help="CRM/Bigin: delete for good (type permanent) instead of to the recycle bin")


def _connection_options(parser: argparse.ArgumentParser, default: Any) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", default=default,
                       help=f"base URL of the running emulator (default: {DEFAULT_URL}, as zoho-emulator "
                       "--port 8765 prints it)")
    where.add_argument("--config", type=Path, default=default,
                       help="take the emulator's URL from a tap config written by zoho-emulator --config-out "
                       "(handy with --port 0)")
    parser.add_argument("--token", default=default,
                        help=f"the --control-token the emulator was started with (default: ${TOKEN_ENV}; "
                        "none needed on the emulator's own machine)")
    parser.add_argument("--timeout", type=float, default=default,
                        help="seconds to wait for the emulator's answer (default: 60)")


def _pick_options(parser: argparse.ArgumentParser, action: str, picked: str) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--count", type=_positive, help=f"how many records to {action}: {picked}")
    which.add_argument("--id", dest="ids", action="append", metavar="ID",
                       help=f"the id of a record to {action} (repeat --id for several)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_COUNT}, not {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Send the change, print one line per change; 2 on any failure."""
    try:
        if args.product not in PRODUCTS:
            raise MutateError(f"unknown product {args.product!r}: crm, bigin or creator")
        url = _base_url(args)
        body: dict[str, Any] = {"action": args.action, "product": args.product, "module": args.module}
        for key in ("count", "ids", "type"):
            if getattr(args, key, None) is not None:
                body[key] = getattr(args, key)
        token = args.token if args.token is not None else os.environ.get(TOKEN_ENV)
        answer = _post(url, body, token, args.timeout if args.timeout is not None else 60.0)
        for change in answer.get("changes", []):
            print(describe(args.action, args.product, args.module, change), flush=True)
    except MutateError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    return 0


def describe(action: str, product: str, module: str, change: dict[str, Any]) -> str:
    """One output line: ``added crm/Leads <id> Created_Time=… Modified_Time=…``."""
    rest = " ".join(f"{key}={_shown(value)}" for key, value in change.items() if key != "id")
    return f"{VERBS[action]} {product}/{module} {change.get('id')} {rest}".rstrip()


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if any(c.isspace() or c in "\"'" for c in text) or not text:
        return json.dumps(text, ensure_ascii=False)
    return text


def _base_url(args: argparse.Namespace) -> str:
    url = args.url
    if args.config is not None:
        if url is not None:
            raise MutateError("give --url or --config, not both")
        try:
            config = json.loads(args.config.read_text(encoding="utf-8"))
        except OSError as error:
            raise MutateError(f"cannot read --config {args.config}: {error.strerror or error}") from None
        except ValueError:
            raise MutateError(f"--config {args.config} is not a JSON tap config") from None
        url = config.get("api_url") if isinstance(config, dict) else None
        if not isinstance(url, str) or not url:
            raise MutateError(f"--config {args.config} has no api_url (as zoho-emulator --config-out writes)")
    url = (url or DEFAULT_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise MutateError(f"--url must be an http:// URL such as {DEFAULT_URL}, not {url!r}")
    return url


def _post(url: str, body: dict[str, Any], token: str | None, timeout: float) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers[TOKEN_HEADER] = token
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked: http(s) only
        url + MUTATE_PATH, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) checked
            payload = response.read()
    except urllib.error.HTTPError as error:
        payload = error.read()
        message = _json(payload).get("error")
        if isinstance(message, str):
            raise MutateError(message) from None
        raise MutateError(f"{url} answered HTTP {error.code} to {MUTATE_PATH}: not a zoho-emulator with its "
                          "control API (was it started with --no-control-api?)") from None
    except urllib.error.URLError as error:
        reason = getattr(error.reason, "strerror", None) or str(error.reason)
        raise MutateError(f"cannot reach the emulator at {url} ({reason.lower()}): start it with "
                          f"zoho-emulator, or give its URL with --url or --config") from None
    except TimeoutError:
        raise MutateError(f"no answer from {url} within {timeout:g} s") from None
    except OSError as error:
        raise MutateError(f"cannot reach the emulator at {url} ({error})") from None
    answer = _json(payload)
    if "changes" not in answer:
        raise MutateError(f"{url} answered something else than the emulator's control API")
    return answer


def _json(payload: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
