"""Helpers for the Creator tests: fast options, URL builders and a tiny Creator client."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import requests

from tests.emulator.conftest import FAST, Client, read_zip_csv

OWNER = "acme"
BENIN = f"{OWNER}/sales-benin"
BURKINA = f"{OWNER}/sales-burkina"
# Fast jobs, small batches, and per-minute limits out of the way unless a test wants them.
CREATOR_FAST: dict[str, Any] = {
    **FAST,
    "creator_batch_size": 40,
    "creator_create_limit": 10_000,
    "creator_org_create_limit": 10_000,
    "creator_download_limit": 10_000,
    "creator_org_download_limit": 10_000,
}


def bulk(path: str, ver: str = "v2.1", family: str = "creator") -> str:
    """The ``…/read`` URL path of a report (``owner/app/report``) in one URL family."""
    owner, app, report = path.split("/")
    tail = f"{owner}/{app}/report/{report}/read"
    return f"/creator/{ver}/bulk/{tail}" if family == "zohoapis" else f"/api/bulk/{ver}/{tail}"


def creator_body(response: requests.Response) -> dict[str, Any]:
    """A Creator JSON body, checking the content type."""
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    return response.json()


class CreatorClient(Client):
    """Drives the Creator bulk API over real HTTP."""

    def create_job(self, base: str, query: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(base, {"query": query or {}})
        assert response.status_code == 200, response.text
        body = creator_body(response)
        assert body["code"] == 3000, body
        return body["details"]

    def poll(self, base: str, job_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(f"{base}/{job_id}")
            assert response.status_code == 200, response.text
            details = creator_body(response)["details"]
            if details["status"] in ("Completed", "Failed", "COMPLETED", "FAILED"):
                return details
            assert time.monotonic() < deadline, details
            time.sleep(0.02)

    def fetch(self, download_url: str) -> tuple[list[list[str]], requests.Response]:
        response = self.get(download_url)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] in ("application/zip", "application/octet-stream")
        return read_zip_csv(response.content), response

    def export_batch(
        self, base: str, query: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[list[str]], requests.Response]:
        """Create, wait, download one batch: (status details, CSV rows, download response)."""
        details = self.create_job(base, query)
        done = self.poll(base, details["id"])
        assert done["status"] == "Completed", done
        rows, response = self.fetch(done["result"]["download_url"])
        return done, rows, response


def zip_members(payload: bytes) -> list[str]:
    """Member names of a ZIP."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return archive.namelist()
