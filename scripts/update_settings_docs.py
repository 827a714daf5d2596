"""Keep the settings' two public descriptions equal to the tap's own: the README's settings table
(the Settings section of `tap-zoho-bulk --about --format=markdown`) and the settings of the
extractor in meltano.yml (name, kind, default, options, description, from the config schema that
`--about` prints): the tap's own settings, then the SDK's built-in ones the tap accepts (stream
maps, flattening, batch). Meltano passes a setting's environment variable (TAP_ZOHO_BULK_...) and
lists it in `meltano config list` only when the plugin declares it, capabilities or not.

    .venv/bin/python scripts/update_settings_docs.py          # rewrite both
    .venv/bin/python scripts/update_settings_docs.py --check  # exit 1 when either is out of date

tests/integration/test_packaging.py runs the check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from singer_sdk.about import AboutFormatter

from tap_zoho_bulk.settings import OWN_SETTINGS, SDK_SETTINGS
from tap_zoho_bulk.tap import TapZohoBulk

ROOT = Path(__file__).resolve().parent.parent
README, MELTANO = ROOT / "README.md", ROOT / "meltano.yml"
TABLE_START = "<!-- settings table: scripts/update_settings_docs.py -->"
TABLE_END = "<!-- end of settings table -->"
SETTINGS_START, SETTINGS_END = "    settings:\n", "  loaders:\n"  # the extractor's settings in meltano.yml


def about_settings_table() -> str:
    """The table under `## Settings` of `--about --format=markdown`, as the SDK renders it."""
    about = AboutFormatter.get_formatter("markdown").format_about(TapZohoBulk._get_about_info())
    section = about.split("\n## Settings\n", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return "\n".join(lines) + "\n"


def meltano_kind(name: str, schema: dict[str, Any]) -> str:
    types = schema.get("type", "string")
    kind = next(t for t in ([types] if isinstance(types, str) else types) if t != "null")
    if schema.get("secret"):
        return "password"
    if schema.get("enum"):
        return "options"
    if schema.get("format") == "date-time":
        return "date_iso8601"
    return {"number": "decimal"}.get(kind, kind)


def meltano_settings() -> str:
    """The extractor's `settings:` entries, one per top-level setting of the schema `--about`
    prints that the tap accepts: its own, then the SDK's (in the schema's order, so the file only
    changes when a schema does). An SDK setting also gets the SDK's title as its label."""
    properties = TapZohoBulk._get_about_info().settings["properties"]
    missing = sorted((OWN_SETTINGS | SDK_SETTINGS) - set(properties))
    if missing:
        raise SystemExit(f"settings the tap accepts but --about does not show: {', '.join(missing)}")
    lines = []
    for name, schema in sorted(properties.items(), key=lambda item: item[0] not in OWN_SETTINGS):
        if name not in OWN_SETTINGS | SDK_SETTINGS:
            continue
        kind = meltano_kind(name, schema)
        lines += [f"    - name: {name}"]
        if name in SDK_SETTINGS and schema.get("title"):
            lines.append(f"      label: {json.dumps(schema['title'], ensure_ascii=False)}")
        lines.append(f"      kind: {kind}")
        if schema.get("secret"):
            lines.append("      sensitive: true")
        if schema.get("default") is not None:
            lines.append(f"      value: {json.dumps(schema['default'])}")
        if kind == "options":
            lines.append("      options:")
            lines += [f"      - {{label: {json.dumps(v)}, value: {json.dumps(v)}}}" for v in schema["enum"]]
        lines.append(f"      description: {json.dumps(schema['description'], ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def replaced(text: str, start: str, end: str, body: str, where: Path) -> str:
    if start not in text or end not in text.split(start, 1)[1]:
        raise SystemExit(f"{where.name}: no {start.strip()!r} … {end.strip()!r} section")
    head, rest = text.split(start, 1)
    return head + start + body + end + rest.split(end, 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only say whether the files are up to date")
    args = parser.parse_args()
    stale = []
    for path, start, end, body in (
        (README, TABLE_START + "\n", TABLE_END, "\n" + about_settings_table() + "\n"),
        (MELTANO, SETTINGS_START, SETTINGS_END, meltano_settings()),
    ):
        text = path.read_text()
        new = replaced(text, start, end, body, path)
        if new != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(new)
    if stale:
        verb = "out of date (run scripts/update_settings_docs.py)" if args.check else "updated"
        print(f"{', '.join(stale)}: {verb}", file=sys.stderr)
        sys.exit(1 if args.check else 0)


if __name__ == "__main__":
    main()
