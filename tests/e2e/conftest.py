"""Fixtures: a fresh emulator per test, with small pages and fast jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tap_zoho_bulk.emulator import Dataset, EmulatorOptions, ZohoEmulator

# Zoho's per-minute limits would make every multi-job test wait minutes; the tests of those limits
# set them back explicitly (test_creator.py::test_creator_create_limit_is_respected…).
FAST = {"job_duration": 0.05, "download_limit": 1000, "page_size": 25,
        "creator_create_limit": 1000, "creator_org_create_limit": 1000,
        "creator_download_limit": 1000, "creator_org_download_limit": 1000}


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., ZohoEmulator]]:
    started: list[ZohoEmulator] = []

    def make(records_per_module: int = 60, seed: int = 7, **options) -> ZohoEmulator:
        emulator = ZohoEmulator(
            options=EmulatorOptions(**{**FAST, **options}),
            dataset=Dataset.generate(seed=seed, records_per_module=records_per_module),
        ).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


def tap_config(emulator: ZohoEmulator, **overrides) -> dict:
    """Tap config for an emulator: fast polling, few retries' worth of waiting."""
    config = emulator.tap_config(poll_interval=0.02, poll_max_interval=0.2, crm_modules=["*"],
                                 bigin_modules=[])
    config.update(overrides)
    return config
