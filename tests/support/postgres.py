"""A throwaway PostgreSQL server for the tests, and the target-postgres that loads into it.

`scripts/setup_postgres` installs both (the Debian package of the server when it is missing, and
meltanolabs-target-postgres in a virtualenv of its own); `start_postgres` runs a server of its own
in a temporary directory on a free port of 127.0.0.1 (as the `postgres` system user when the tests
run as root: initdb and postgres refuse root) until `PostgresServer.stop`.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = "scripts/setup_postgres"
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")


def postgres_bindir() -> Path | None:
    """The directory of the server's programs: $POSTGRES_BINDIR, else the newest Debian
    /usr/lib/postgresql/<version>/bin, else the directory of an `initdb` on PATH."""
    candidates = []
    if os.environ.get("POSTGRES_BINDIR"):
        candidates.append(Path(os.environ["POSTGRES_BINDIR"]))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)], reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    return next((c for c in candidates if all((c / p).is_file() for p in SERVER_PROGRAMS)), None)


def target_postgres() -> Path | None:
    """The target-postgres executable: $TARGET_POSTGRES, else the one scripts/setup_postgres
    installs in .venv-target-postgres."""
    path = Path(os.environ.get("TARGET_POSTGRES") or REPO / ".venv-target-postgres/bin/target-postgres")
    return path if path.is_file() and os.access(path, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    base: Path  # the temporary directory: data/, the log, the socket
    port: int
    as_user: tuple[str, ...]  # the command prefix that runs a program as the server's owner
    user: str = "postgres"  # the superuser initdb made (trust authentication)
    host: str = "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def dsn(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname=postgres"

    def log(self) -> str:
        path = self.base / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                                "-w", "stop"], capture_output=True, text=True, timeout=60, check=False)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start_postgres(bindir: Path, attempts: int = 5) -> PostgresServer:
    """initdb in a new temporary directory and start a server on a free port of 127.0.0.1 only
    (no durability: fsync off). The caller stops it."""
    base = Path(tempfile.mkdtemp(prefix="tap-zoho-bulk-postgres-"))
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base)
            raise RuntimeError("running as root, and there is no `postgres` system user to run the server "
                               f"as (the Debian package creates it: run {SETUP_SCRIPT})") from None
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_user = ("runuser", "-u", "postgres", "--")
    server = PostgresServer(bindir, base, 0, as_user)
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(server.data), "-U", server.user,
                        "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"],
                       capture_output=True, text=True, timeout=120, check=True)
        for _ in range(attempts):  # a port found free can be taken before the server binds it
            server.port = free_port()
            options = (f"-p {server.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC")
            started = subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(server.data), "-l",
                                      str(base / "server.log"), "-o", options, "-w", "-t", "60", "start"],
                                     capture_output=True, text=True, timeout=120, check=False)
            if started.returncode == 0:
                return server
        raise RuntimeError(f"PostgreSQL did not start: {started.stdout}{started.stderr}\n{server.log()[-3000:]}")
    except subprocess.CalledProcessError as failed:
        server.stop()
        raise RuntimeError(f"initdb failed: {failed.stdout}{failed.stderr}") from None
    except BaseException:
        server.stop()
        raise
