"""``zoho-emulator`` (``python -m zoho_emulator``): run the emulator in the foreground.

Handy for manual runs of the tap (``--config-out`` writes a ready tap config). ``zoho-emulator
mutate add|modify|delete …`` changes the records of a running one (see ``mutate --help``).
"""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from zoho_emulator import mutate
from zoho_emulator.dataset import Dataset
from zoho_emulator.options import EmulatorOptions
from zoho_emulator.server import ZohoEmulator

SLOW_RECORDS = 2_000  # --records from which generating takes a second or two, or more


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoho-emulator",
        usage="%(prog)s [--port PORT] [--config-out FILE] [option ...]   serve, until Ctrl-C\n"
              "       %(prog)s mutate {add,modify,delete} PRODUCT MODULE ...  change a running "
              "emulator's records",
        description="A local stand-in for Zoho Accounts and the Zoho CRM, Bigin and Creator bulk read and "
                    "metadata APIs. Without a command it serves in the foreground (--config-out writes "
                    "a tap config pointing at it); 'mutate' adds, modifies or deletes records of a "
                    "running one.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8765,
                        help="port to listen on (default: %(default)s); 0 = any free port")
    parser.add_argument("--seed", type=int, default=42,
                        help="seed of the generated records: same seed, same data (default: %(default)s)")
    parser.add_argument("--records", type=int, default=200, help="records per module (default: %(default)s)")
    parser.add_argument("--config-out", type=Path, metavar="FILE", help="write a tap config JSON here")
    parser.add_argument("--page-size", type=int, default=EmulatorOptions.page_size,
                        help="records per bulk read page, 200000 at Zoho (default: %(default)s)")
    parser.add_argument("--job-duration", type=float, default=EmulatorOptions.job_duration,
                        help="seconds a bulk job takes from creation to completion (default: %(default)s)")
    parser.add_argument("--clock-offset", type=float, default=EmulatorOptions.clock_offset,
                        help="seconds added to the emulator's now (Date header, job and record times);"
                             " negative = Zoho's clock behind this machine's (default: %(default)s)")
    parser.add_argument("--no-count-api", dest="count_api", action="store_false",
                        help="serve no CRM record count API (its path answers 404 INVALID_URL_PATTERN)")
    parser.add_argument("--control-token", metavar="TOKEN",
                        help="also let other machines change the data (zoho-emulator mutate --token TOKEN); "
                             "without it only this machine can, with no token")
    parser.add_argument("--no-control-api", dest="control_api", action="store_false",
                        help="serve no control API (/_emulator/…, the emulator's own, used by "
                             "zoho-emulator mutate)")
    parser.add_argument("--api-credits", type=_count, metavar="N",
                        help="Zoho CRM's daily API credits per org (CRM, Bigin): the "
                             "X-API-CREDITS-REMAINING header once half are used, 429 past the last "
                             "(default: no limit, no header)")
    parser.add_argument("--api-credits-used", type=_count, default=0, metavar="N",
                        help="of --api-credits, how many are gone at start (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     help="mutate: change the records of a running emulator; none: serve")
    mutate.add_parser(commands)
    return parser


def generation_note(records: int, seed: int) -> str | None:
    """The stderr line announcing a generation that takes a while (about 0.75 s per 1,000 records
    per module), or None when it is quick: stdout's first line stays the banner either way."""
    if records < SLOW_RECORDS:
        return None
    return f"Generating {records} records per module (seed {seed})…"


def _count(text: str) -> int:
    """A whole number of credits, 0 or more (argparse says so in one line otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def options_from(args: argparse.Namespace) -> EmulatorOptions:
    """The emulator's options, as the command line sets them."""
    if args.api_credits is not None and args.api_credits_used > args.api_credits:
        _parser().error(f"--api-credits-used {args.api_credits_used} is more than --api-credits "
                        f"{args.api_credits}")
    return EmulatorOptions(
        host=args.host,
        port=args.port,
        page_size=args.page_size,
        job_duration=args.job_duration,
        clock_offset=args.clock_offset,
        count_api=args.count_api,
        control_api=args.control_api,
        control_token=args.control_token or None,
        api_credits=args.api_credits,
        api_credits_used=args.api_credits_used,
        verbose=args.verbose,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM, or run `mutate` against a running emulator; the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "mutate":
        return mutate.run(args)
    options = options_from(args)
    note = generation_note(args.records, args.seed)
    if note:
        print(note, file=sys.stderr, flush=True)
    dataset = Dataset.generate(seed=args.seed, records_per_module=args.records, timezone=options.org_timezone)
    try:
        emulator = ZohoEmulator(options=options, dataset=dataset).start()
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(f"zoho-emulator: {args.host}:{args.port} is in use (another emulator?): stop it, or choose "
              "another port with --port (0 = any free port)", file=sys.stderr)
        return 2
    if args.config_out:  # whole or absent for a script waiting on it (written, then renamed)
        partial = args.config_out.with_name(args.config_out.name + ".partial")
        partial.write_text(json.dumps(emulator.demo_config(), indent=2) + "\n")
        partial.replace(args.config_out)
    print(f"Zoho emulator listening on {emulator.url}", flush=True)

    stop = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
