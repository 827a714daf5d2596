"""Fixtures of the tap's tests (helpers live in tests.support)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from zoho_emulator import ZohoEmulator

from tests.support.emulators import start_emulator


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., ZohoEmulator]]:
    """Start emulators (tests.support.emulators.start_emulator) and stop them after the test."""
    started: list[ZohoEmulator] = []

    def make(**kwargs: Any) -> ZohoEmulator:
        emulator = start_emulator(**kwargs)
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
