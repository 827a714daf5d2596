"""How a run ends: one clear line and an exit code a scheduler can act on, never a traceback
for a failure the tap knows; the summary of how far a stopped sync got comes first.

- a known failure (`ZohoError`): its line, exit 1;
- SIGTERM / SIGINT (`SyncStopped`): exit 128 + the signal's number, as a shell reports a kill;
- `min_api_credits_left` reached outside a stream (`CreditFloorReached`): its line, exit 0;
- a target that stopped reading (broken pipe): one line, exit 1.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from tap_zoho_bulk.engine import ExportEngine
from tap_zoho_bulk.errors import ZohoError
from tap_zoho_bulk.output import broken_pipe
from tap_zoho_bulk.usage import CreditFloorReached


class SyncStopped(BaseException):
    """SIGTERM or SIGINT arrived: unwind the sync (a BaseException, so no `except Exception`
    on the way, the SDK's included, mistakes it for a failure to report)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


class _Summarised(Protocol):
    """What of the tap a stopped run needs: its engine, to stop, and its summary, to log."""

    @property
    def started_engine(self) -> ExportEngine | None: ...

    def log_summary(self, stopped: str | None = None) -> None: ...


# The tap whose sync is running in this context, so that a run ended by an exception (which
# unwinds past the tap, out of the SDK's sync_all) still logs how far it got.
_SYNCING: ContextVar[_Summarised | None] = ContextVar("tap_zoho_bulk_syncing", default=None)


def syncing(tap: _Summarised) -> None:
    """`tap`'s sync has begun: from here on, a stop logs its summary."""
    _SYNCING.set(tap)


def _summary_of_stopped_run(why: str) -> None:
    """The engine stops first (no job is created or logged after the summary), then the table."""
    tap = _SYNCING.get()
    if tap is None:
        return
    if tap.started_engine is not None:
        tap.started_engine.close()
    tap.log_summary(stopped=why)


def _exit(code: int) -> None:
    # The SDK's CLI closes the --state / --catalog files it opened only when it returns; the
    # process ends here and the OS closes them, so the interpreter's "unclosed file" warnings
    # (printed when PYTHONWARNINGS is set, as Meltano does) would only bury the line before.
    warnings.simplefilter("ignore", ResourceWarning)
    sys.exit(code)


@contextmanager
def clear_errors(logger: logging.Logger) -> Iterator[None]:
    """End the run as the module docstring says; the line saying why is the last."""
    try:
        yield
    except SyncStopped as stop:
        name = signal.Signals(stop.signum).name
        _summary_of_stopped_run(f"stopped by {name}")
        logger.error("Stopped by %s; the last STATE written continues this sync", name)
        _exit(128 + stop.signum)
    except CreditFloorReached as stop:  # a clean end: what was emitted is complete and in STATE
        _summary_of_stopped_run("stopped at min_api_credits_left")
        logger.warning("%s", stop)
        _exit(0)
    except OSError as exc:
        if not broken_pipe(exc):
            raise
        # The target exited (or `| head`): nothing more can be written, so stdout goes nowhere,
        # and the interpreter's own flush at exit adds no second traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        _summary_of_stopped_run("failed")
        logger.error("The target stopped reading the tap's output (broken pipe): the sync stops; the "
                     "last STATE the target received continues it")
        _exit(1)
    except ZohoError as exc:
        _summary_of_stopped_run("failed")
        logger.error("%s", exc)
        _exit(1)
