"""Shared fixtures: emulators with small pages and fast jobs, and a tiny HTTP client."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tap_zoho_bulk.emulator import Dataset, EmulatorOptions, ZohoEmulator

FAST: dict[str, Any] = {
    "job_duration": 0.05,
    "page_size": 40,
    "download_limit": 10_000,
    "refresh_limit": 10_000,
}
csv.field_size_limit(10**8)


class Client:
    """Minimal Zoho client used to drive the emulator over real HTTP."""

    def __init__(self, emulator: ZohoEmulator, refresh_token: str | None = None) -> None:
        self.emu = emulator
        self.refresh_token = refresh_token or emulator.options.refresh_token
        self.http = requests.Session()
        self._token: str | None = None

    # -- OAuth -------------------------------------------------------------
    def token_params(self, **overrides: str) -> dict[str, str]:
        opts = self.emu.options
        params = {
            "grant_type": "refresh_token",
            "client_id": opts.client_id,
            "client_secret": opts.client_secret,
            "refresh_token": self.refresh_token,
        }
        params.update(overrides)
        return params

    def grant(self, via: str = "query", **overrides: str) -> requests.Response:
        params = self.token_params(**overrides)
        url = self.emu.url + "/oauth/v2/token"
        if via == "query":
            return self.http.post(url, params=params)
        return self.http.post(url, data=params)

    @property
    def token(self) -> str:
        if self._token is None:
            response = self.grant()
            assert "access_token" in response.json(), response.text
            self._token = response.json()["access_token"]
        return self._token

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.token}", **extra}

    # -- plain calls ---------------------------------------------------------
    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.emu.url + path, headers=self.headers(), **kwargs)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.http.post(self.emu.url + path, headers=self.headers(), json=body)

    # -- bulk ----------------------------------------------------------------
    def create(self, base: str, query: dict[str, Any], **top: Any) -> str:
        response = self.post(f"{base}/read", {"query": query, **top})
        assert response.status_code == 201, response.text
        return response.json()["data"][0]["details"]["id"]

    def wait(self, base: str, job_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(f"{base}/read/{job_id}")
            assert response.status_code == 200, response.text
            job = response.json()["data"][0]
            if job["state"] in ("COMPLETED", "FAILURE"):
                return job
            assert time.monotonic() < deadline, job
            time.sleep(0.02)

    def download(self, base: str, job_id: str) -> list[list[str]]:
        response = self.get(f"{base}/read/{job_id}/result")
        assert response.status_code == 200, response.text
        return read_zip_csv(response.content)

    def export_page(self, base: str, query: dict[str, Any]) -> tuple[dict[str, Any], list[list[str]]]:
        job_id = self.create(base, query)
        job = self.wait(base, job_id)
        assert job["state"] == "COMPLETED", job
        return job, self.download(base, job_id)


def read_zip_csv(payload: bytes, **reader: Any) -> list[list[str]]:
    """The single CSV member of a result ZIP as rows."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), **reader))


def error_code(response: requests.Response) -> str:
    """The Zoho error code of a JSON error response."""
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["status"] == "error", body
    assert set(body) == {"code", "details", "message", "status"}, body
    return body["code"]


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """One generated dataset, shared read-only by module-scoped emulators."""
    return Dataset.generate(seed=7, records_per_module=90)


@pytest.fixture(scope="module")
def emu(dataset: Dataset) -> Iterator[ZohoEmulator]:
    """A running emulator that tests must not mutate (no data changes, no faults left armed)."""
    with ZohoEmulator(EmulatorOptions(**FAST), dataset) as emulator:
        yield emulator


@pytest.fixture
def client(emu: ZohoEmulator) -> Client:
    """A client of the shared emulator."""
    return Client(emu)


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., ZohoEmulator]]:
    """Factory for private emulators (own options / own data), stopped afterwards."""
    started: list[ZohoEmulator] = []

    def make(records_per_module: int = 30, seed: int = 3, **options: Any) -> ZohoEmulator:
        emulator = ZohoEmulator(
            EmulatorOptions(**{**FAST, **options}),
            Dataset.generate(seed=seed, records_per_module=records_per_module),
        ).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture(scope="module")
def cemu(dataset: Dataset) -> Iterator[ZohoEmulator]:
    """A Creator test module's emulator: fast jobs, small batches, per-minute limits out of the way."""
    from tests.emulator.creator_support import CREATOR_FAST  # creator_support imports this module

    with ZohoEmulator(EmulatorOptions(**CREATOR_FAST), dataset) as emulator:
        yield emulator


@pytest.fixture
def cclient(cemu: ZohoEmulator) -> Any:
    from tests.emulator.creator_support import CreatorClient

    return CreatorClient(cemu)
