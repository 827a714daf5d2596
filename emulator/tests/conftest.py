"""Fixtures of the emulator tests: a shared read-only emulator, private ones, and clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from zoho_emulator import Dataset, EmulatorOptions, ZohoEmulator

from tests.support import Client, CreatorClient


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """One generated dataset, shared read-only by module-scoped emulators."""
    return Dataset.generate(seed=7, records_per_module=90)


@pytest.fixture(scope="module")
def emu(dataset: Dataset) -> Iterator[ZohoEmulator]:
    """A running emulator that tests must not mutate (no data changes, no faults left armed)."""
    with ZohoEmulator(EmulatorOptions.fast(), dataset) as emulator:
        yield emulator


@pytest.fixture
def client(emu: ZohoEmulator) -> Client:
    """A client of the shared emulator."""
    return Client(emu)


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., ZohoEmulator]]:
    """Factory for private emulators (own options / own data, or a given ``dataset``), stopped afterwards."""
    started: list[ZohoEmulator] = []

    def make(
        records_per_module: int = 30, seed: int = 3, dataset: Dataset | None = None, **options: Any
    ) -> ZohoEmulator:
        emulator = ZohoEmulator(
            EmulatorOptions.fast(**options),
            dataset or Dataset.generate(seed=seed, records_per_module=records_per_module),
        ).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture(scope="module")
def cemu(emu: ZohoEmulator) -> ZohoEmulator:
    """The shared emulator, as the Creator tests call it."""
    return emu


@pytest.fixture
def cclient(cemu: ZohoEmulator) -> CreatorClient:
    return CreatorClient(cemu)
