"""The files a person names on the command line (--config, --state, --catalog), read up front.

The SDK reads them with a bare `json.loads`, so a missing file, a half-written one or a pasted
STATE message ends in a traceback; here each is one line saying which file and what is wrong
(click's usage error, exit code 2), before anything is sent to Zoho.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import IO, Any

import click

LOGGER = logging.getLogger("tap-zoho-bulk")


def check_config_files(paths: tuple[str, ...]) -> None:
    """Every --config file exists and holds a JSON object ("ENV" reads the environment)."""
    for path in paths:
        if path != "ENV":
            _object(_parse(_read(Path(path), "--config"), path, "--config"), path, "--config")


def state_input(given: IO[str] | None) -> IO[str] | None:
    """The --state file, checked; an empty file is no state (a first run), said in one line."""
    if given is None:
        return None
    name = getattr(given, "name", "--state")
    text = given.read()
    if not text.strip():
        LOGGER.warning("--state %s is empty: the sync starts without bookmarks", name)
        return None
    state = _object(_parse(text, name, "--state"), name, "--state")
    if state.get("type") == "STATE" and "value" in state:
        raise click.BadParameter(
            f"{name} holds a whole STATE message; pass its value (the object under \"value\")",
            param_hint="'--state'",
        )
    return io.StringIO(text)


def catalog_input(given: IO[str] | None) -> IO[str] | None:
    """The --catalog file, checked: a JSON object (its streams are the SDK's to read)."""
    if given is None:
        return None
    name = getattr(given, "name", "--catalog")
    text = given.read()
    _object(_parse(text, name, "--catalog"), name, "--catalog")
    return io.StringIO(text)


def _read(path: Path, option: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise click.BadParameter(f"{path}: no such file", param_hint=f"'{option}'") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{path} cannot be read ({exc.__class__.__name__}: {exc})",
                                 param_hint=f"'{option}'") from None


def _parse(text: str, name: str, option: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"{name} is not valid JSON ({exc.msg}: line {exc.lineno} column {exc.colno})",
            param_hint=f"'{option}'",
        ) from None


_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def _object(value: Any, name: str, option: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        kind = "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)
        raise click.BadParameter(f"{name} holds a JSON {kind}, not an object", param_hint=f"'{option}'")
    return value
