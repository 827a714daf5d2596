"""Helpers of the emulator tests: tiny CRM and Creator clients over real HTTP, ZIP/CSV readers, URL builders."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from typing import Any

import requests
from zoho_emulator import ZohoEmulator

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


OWNER = "acme"
BENIN = f"{OWNER}/sales-benin"
BURKINA = f"{OWNER}/sales-burkina"


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
