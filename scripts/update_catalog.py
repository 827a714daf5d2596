"""Regenerate catalog.json: the catalog `--discover` produces for the demo data (emulator, seed 42)."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    options = EmulatorOptions(job_duration=0.05)
    dataset = Dataset.generate(seed=42, records_per_module=5)
    with ZohoEmulator(options=options, dataset=dataset) as emulator, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps(emulator.demo_config()))
        catalog = subprocess.run(
            [sys.executable, "-m", "tap_zoho_bulk", "--config", str(config), "--discover"],
            capture_output=True, text=True, check=True,
        ).stdout
    (ROOT / "catalog.json").write_text(catalog)
    print(f"catalog.json: {len(json.loads(catalog)['streams'])} streams")


if __name__ == "__main__":
    main()
