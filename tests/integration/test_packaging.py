"""What `pip install .` of the tap installs (the tap, and nothing of its test double), and the
plugin definition and settings table a user reads (meltano.yml, README) equal to the tap's own."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tap_zoho_bulk.settings import SDK_SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_the_tap_wheel_holds_the_tap_only(tmp_path):
    # Built from a copy of what git tracks, so no build/ directory of an earlier build can leak in.
    source = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(source)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("tap_zoho_bulk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(meta).decode()
        entry_points = archive.read(meta.replace("METADATA", "entry_points.txt")).decode()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"tap_zoho_bulk"}
    assert not [n for n in names if "emulator" in n]
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requires and not [line for line in requires if "emulator" in line]
    assert entry_points.split() == ["[console_scripts]", "tap-zoho-bulk", "=", "tap_zoho_bulk.tap:TapZohoBulk.cli"]
    assert "License-Expression: Apache-2.0" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def about(fmt):
    run = subprocess.run([sys.executable, "-m", "tap_zoho_bulk", "--about", "--format", fmt],
                         capture_output=True, text=True, check=True)
    return run.stdout


def test_the_readme_settings_table_is_the_one_about_prints():
    printed = about("markdown").split("\n## Settings\n", 1)[1]
    table = [line for line in printed.splitlines() if line.startswith("|")]
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- settings table: scripts/update_settings_docs.py -->", 1)[1]
    section = section.split("<!-- end of settings table -->", 1)[0]
    assert [line for line in section.splitlines() if line.strip()] == table
    assert any(line.startswith("| include_deleted |") for line in table)


def test_meltano_yml_declares_every_setting_with_its_kind_and_the_real_capabilities():
    # Meltano passes a setting's TAP_ZOHO_BULK_* variable, and lists it in `meltano config list`,
    # only when the plugin declares it: the SDK's settings too, whatever the capabilities say.
    import yaml
    from singer_sdk.helpers.capabilities import BATCH_CONFIG, FLATTENING_CONFIG, STREAM_MAPS_CONFIG

    info = json.loads(about("json"))
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    (extractor,) = project["plugins"]["extractors"]
    assert sorted(extractor["capabilities"]) == sorted(info["capabilities"])
    settings = {s["name"]: s for s in extractor["settings"]}
    assert len(settings) == len(extractor["settings"])
    # The SDK's settings: those of the capabilities the tap advertises, as --about shows them.
    capability_settings = {"stream-maps": STREAM_MAPS_CONFIG, "schema-flattening": FLATTENING_CONFIG,
                           "batch": BATCH_CONFIG}
    sdk = {name for capability, schema in capability_settings.items()
           if capability in info["capabilities"] for name in schema["properties"]}
    assert {"stream_maps", "stream_map_config", "faker_config", "flattening_enabled",
            "flattening_max_depth", "batch_config"} <= sdk <= set(info["settings"]["properties"])
    own = {name for name in info["settings"]["properties"] if name not in SDK_SETTINGS}
    assert len(own) == 31
    assert set(settings) == own | sdk == set(info["settings"]["properties"])
    kinds = {"string": {"string", "password", "options", "date_iso8601"}, "integer": {"integer"},
             "number": {"decimal"}, "boolean": {"boolean"}, "array": {"array"}, "object": {"object"}}
    for name, schema in info["settings"]["properties"].items():
        types = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        json_type = next(t for t in types if t != "null")
        assert settings[name]["kind"] in kinds[json_type], name
        assert settings[name]["description"] == schema["description"], name
        assert (settings[name]["kind"] == "password") == bool(schema.get("secret")), name
        if "enum" in schema:
            assert [o["value"] for o in settings[name]["options"]] == schema["enum"], name
        if name in sdk:
            assert settings[name]["kind"] == json_type, name  # no password, options or date kinds
            assert "value" not in settings[name], name  # the SDK's default: unset
    expected = {"stream_maps": "object", "stream_map_config": "object", "faker_config": "object",
                "batch_config": "object", "flattening_enabled": "boolean", "flattening_max_depth": "integer"}
    assert {name: settings[name]["kind"] for name in expected} == expected
    # the tap's own settings first, in the schema's order, then the SDK's
    names = [s["name"] for s in extractor["settings"]]
    assert names == [n for n in info["settings"]["properties"] if n in own] + \
        [n for n in info["settings"]["properties"] if n in sdk]


def test_the_prod_environment_shows_all_three_products():
    text = (ROOT / "meltano.yml").read_text()
    prod = text.split("- name: prod\n", 1)[1]
    assert 'crm_modules: ["*"]' in prod
    for setting in ("bigin_modules:", "creator_reports:", "include_deleted:", "data_center:"):
        assert f"# {setting}" in prod, setting


def test_the_settings_docs_script_finds_nothing_to_update():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_settings_docs.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
