"""Where Creator's APIs live: two URL families for the same API.

Creator answers on its own host (`/api/bulk/…`, `/api/v2/…`,
https://www.zoho.com/creator/help/api/v2/bulk-api/create-bulk-read-job.html) and on the unified
API domain (`/creator/{version}/bulk/…`, `/creator/{version}/meta/…`). The second is used when
`creator_url` is a www.zohoapis.* host or ends with `/creator` (a proxy, an emulator); a path
prefix before that (https://proxy.example/zoho) is kept.
"""

from __future__ import annotations

from urllib.parse import urlsplit


class CreatorUrls:
    """URL builder for one Creator host and API version."""

    def __init__(self, base_url: str, version: str) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        prefix = parts.path.removesuffix("/creator")
        self.zohoapis = "zohoapis" in parts.netloc or prefix != parts.path
        self.base_url = f"{parts.scheme}://{parts.netloc}{prefix}"
        self.version = version

    def bulk(self, report: str) -> str:
        """The `…/read` URL of a report (`owner/app/report`)."""
        owner, app, name = report.split("/")
        if self.zohoapis:
            return f"{self.base_url}/creator/{self.version}/bulk/{owner}/{app}/report/{name}/read"
        return f"{self.base_url}/api/bulk/{self.version}/{owner}/{app}/report/{name}/read"

    def meta(self, path: str) -> str:
        """A metadata URL (`applications`, `owner/app/forms`, …)."""
        if self.zohoapis:
            return f"{self.base_url}/creator/{self.version}/meta/{path}"
        return f"{self.base_url}/api/v2/{path}"
