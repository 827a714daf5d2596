"""The house rules: the tap never imports the emulator, and the two share no names that mean
different things."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import zoho_emulator

import tap_zoho_bulk

TAP = Path(tap_zoho_bulk.__file__).parent
EMULATOR = Path(zoho_emulator.__file__).parent
# Package names both use for the same Zoho product: they mean the same thing on either side.
SHARED_MEANING = {"__init__", "__main__", "crm", "creator"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_tap_module_imports_the_emulator():
    offenders = {
        str(path.relative_to(TAP)): sorted(m for m in imported_modules(path) if m.split(".")[0] == "zoho_emulator")
        for path in TAP.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_running_the_tap_loads_no_emulator_code():
    probe = (
        "import sys, tap_zoho_bulk.tap, tap_zoho_bulk.__main__; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'zoho_emulator'))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def module_names(root: Path) -> set[str]:
    names = {path.stem for path in root.rglob("*.py")} | {path.name for path in root.rglob("*") if path.is_dir()}
    return names - SHARED_MEANING - {"__pycache__"}


def class_names(root: Path) -> set[str]:
    return {
        node.name
        for path in root.rglob("*.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef)
    }


def test_tap_and_emulator_share_no_module_names():
    assert module_names(TAP) & module_names(EMULATOR) == set()


def test_tap_and_emulator_share_no_class_names():
    assert class_names(TAP) & class_names(EMULATOR) == set()
