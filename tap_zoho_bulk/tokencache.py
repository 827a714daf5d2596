"""Access tokens shared by every run on this machine, until shortly before they expire.

Zoho allows 10 token refreshes per 10 minutes per refresh token and keeps at most 15 live access
tokens (https://www.zoho.com/accounts/protocol/oauth/token-limits.html); Meltano runs a tap twice
per `meltano run` (discovery, then sync), and an orchestrator may start it every few minutes. So
the access token is kept in a file only its user can read (0600, in a 0700 directory under the
user's cache directory), named by a hash of client id, client secret, refresh token and accounts
server (a wrong secret never finds another's token, so it fails at once, not an hour later). The file
holds the access token, its expiry and its API domain, never the client secret or the refresh
token. Refreshes are serialised by a lock file, so two processes starting together refresh once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CachedToken:
    """An access token as cached: valid until `expires_at` (wall-clock seconds, with margin)."""

    access_token: str
    expires_at: float
    api_domain: str | None


def default_directory() -> Path:
    """`$XDG_CACHE_HOME/tap-zoho-bulk/tokens`, else `~/.cache/tap-zoho-bulk/tokens`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tap-zoho-bulk" / "tokens"


def user_key(*, client_id: str, refresh_token: str, accounts_url: str) -> str:
    """A name for one Zoho user's grant on one accounts server: a hash, never the secrets."""
    return hashlib.sha256("\0".join((client_id, refresh_token, accounts_url)).encode()).hexdigest()[:32]


class TokenCache:
    """One cache file per (client id, client secret, refresh token, accounts server)."""

    def __init__(self, directory: Path, *, client_id: str, client_secret: str, refresh_token: str,
                 accounts_url: str) -> None:
        key = user_key(client_id=client_id, refresh_token=refresh_token,
                       accounts_url=f"{accounts_url}\0{client_secret}")
        self.directory = directory
        self.path = directory / f"{key}.json"
        self._lock_path = directory / f"{key}.lock"

    def load(self, now: float | None = None) -> CachedToken | None:
        """The cached token if it is still valid; None otherwise (or when unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            token = CachedToken(str(data["access_token"]), float(data["expires_at"]),
                                data.get("api_domain") or None)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return token if token.expires_at > (time.time() if now is None else now) else None

    def store(self, token: CachedToken) -> None:
        """Write the token atomically, readable by this user only."""
        self._ensure_directory()
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"access_token": token.access_token, "expires_at": token.expires_at,
                       "api_domain": token.api_domain}, out)
        temporary.replace(self.path)

    def drop(self, access_token: str) -> None:
        """Forget `access_token` (Zoho rejected it); a newer token another run cached is kept."""
        cached = self.load(now=0.0)
        if cached is not None and cached.access_token == access_token:
            with contextlib.suppress(OSError):
                self.path.unlink()

    @contextlib.contextmanager
    def refreshing(self) -> Iterator[None]:
        """Hold the refresh lock: one process at a time refreshes this refresh token."""
        self._ensure_directory()
        fd = os.open(self._lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            self.directory.chmod(0o700)
