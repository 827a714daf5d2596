"""The one way the tap's tests start a Zoho emulator, and the tap config that points at it."""

from __future__ import annotations

from typing import Any

from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator


def start_emulator(records_per_module: int = 60, seed: int = 7, *, data: dict[str, Any] | None = None,
                   **options: Any) -> ZohoEmulator:
    """A running emulator with fast jobs, small pages and the per-minute limits lifted
    (`EmulatorOptions.fast`); `options` override any of them, `data` goes to `Dataset.generate`
    (e.g. `creator_apps`). The caller stops it."""
    return ZohoEmulator(
        options=EmulatorOptions.fast(**options),
        dataset=Dataset.generate(seed=seed, records_per_module=records_per_module, **(data or {})),
    ).start()


def creator_apps(**spec: Any) -> list[dict[str, Any]]:
    """The emulator's two default Creator apps, with `spec` (an AppSpec option) set on both."""
    return [
        {"link_name": "sales-benin", "application_name": "Ventes Bénin", "time_zone": "Africa/Porto-Novo",
         "date_format": "dd-MMM-yyyy", **spec},
        {"link_name": "sales-burkina", "application_name": "Ventes Burkina",
         "time_zone": "Africa/Ouagadougou", "date_format": "dd-MMM-yyyy", **spec},
    ]


def tap_config(emulator: ZohoEmulator, **overrides: Any) -> dict[str, Any]:
    """Tap config for an emulator: every CRM module, no Bigin, fast polling, windows ending at the
    emulator's clock, and the tap's own per-minute limits lifted as the emulator's are (tests of
    those limits set them back)."""
    config = emulator.tap_config(poll_interval=0.02, poll_max_interval=0.2, crm_modules=["*"],
                                 bigin_modules=[], window_lag=0, downloads_per_minute=10_000,
                                 creator_jobs_per_minute=10_000)
    config.update(overrides)
    return config
