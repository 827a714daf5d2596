"""The tap as a separate process (as Meltano runs it), and what it printed."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

UTC = dt.UTC


@dataclass
class TapRun:
    exit_code: int
    messages: list[dict[str, Any]]
    stderr: str
    stdout: str
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, Any] | None:
        return self.states[-1] if self.states else None

    def bookmark(self, stream: str) -> Any:
        state = self.final_state or {}
        return state.get("bookmarks", {}).get(stream, {}).get("replication_key_value")

    def schemas(self) -> dict[str, dict[str, Any]]:
        return {m["stream"]: m["schema"] for m in self.messages if m["type"] == "SCHEMA"}

    def log(self) -> list[str]:
        """The log's messages, without time, level and logger."""
        return [line.split(" | ", 3)[3] for line in self.stderr.splitlines() if line.count(" | ") >= 3]

    def summary(self, header: str = "Sync summary:") -> tuple[dict[str, tuple[int, ...]], str]:
        """The summary table's rows (records, pages, jobs, polls per stream, and "total"; a stream a
        stopped run stopped in is named "<stream> (stopped)"), and its line of costs."""
        lines = self.log()
        assert [line for line in lines if line.startswith("Sync summary")] == [header]
        start = lines.index(header)
        rows = {}
        for line in lines[start + 2:]:
            match = _SUMMARY_ROW.fullmatch(line.strip())
            if match is None:
                break
            rows[match[1]] = tuple(int(v.replace(",", "")) for v in match.groups()[1:5])
        costs = next(line for line in lines[start:] if line.startswith("Zoho: "))
        return rows, costs


_SUMMARY_ROW = re.compile(r"(\S+(?: \(stopped\))?)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)s")


def next_second() -> None:
    """Sleep into the next wall-clock second.

    Zoho stamps records in whole seconds and the tap ends each window at the whole second it
    started (exclusive), so a record stamped in the same second as a run's start belongs to the
    next run's window. A test that changes data and expects the very next run to see it waits
    until the clock has left the second of the change.
    """
    time.sleep(1.05 - time.time() % 1.0)


def tap_command(tmp_path: Path, config: dict[str, Any], catalog: dict | None, state: dict | None,
             args: tuple[str, ...]) -> list[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_zoho_bulk", "--config", str(config_path)]
    if catalog is not None:
        (tmp_path / "catalog.json").write_text(json.dumps(catalog))
        command += ["--catalog", str(tmp_path / "catalog.json")]
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state))
        command += ["--state", str(tmp_path / "state.json")]
    return [*command, *args]  # last, as Meltano orders them (`--discover` is an eager option)


def tap_environment(tmp_path: Path, env: dict[str, str] | None) -> dict[str, str]:
    """The test's environment: no TAP_ZOHO_BULK_* of the machine's, and the token cache in the
    test's own directory (never the user's)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TAP_ZOHO_BULK_")}
    environment["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    environment.update(env or {})
    return environment


def _run(code: int, stdout: str, stderr: str, discover: bool) -> TapRun:
    messages = [] if discover else [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    run = TapRun(code, messages, stderr, stdout)
    for message in messages:
        if message["type"] == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
    return run


def run_tap(tmp_path: Path, config: dict[str, Any], *, catalog: dict | None = None,
            state: dict | None = None, args: tuple[str, ...] = (), timeout: float = 300,
            env: dict[str, str] | None = None) -> TapRun:
    """`python -m tap_zoho_bulk --config … [--catalog …] [--state …]` as a child process."""
    command = tap_command(tmp_path, config, catalog, state, args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=tap_environment(tmp_path, env),
                          check=False)
    return _run(done.returncode, done.stdout, done.stderr, "--discover" in args)


def run_tap_until(tmp_path: Path, config: dict[str, Any], *, records: int, sig: int,
                  state: dict | None = None, env: dict[str, str] | None = None,
                  timeout: float = 300) -> TapRun:
    """The tap as a child process, sent `sig` once it has printed `records` RECORD lines (an
    event, not a time); what it printed before it died is kept."""
    command = tap_command(tmp_path, config, None, state, ())
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr, subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=tap_environment(tmp_path, env)) as child:
        assert child.stdout is not None
        lines, seen = [], 0
        for line in child.stdout:
            lines.append(line)
            if line.startswith('{"type":"RECORD"'):
                seen += 1
                if seen == records:
                    child.send_signal(sig)
        code = child.wait(timeout=timeout)
    return _run(code, "".join(lines), stderr_path.read_text(), discover=False)


WRITE = {"x86_64": 1, "aarch64": 64}.get(platform.machine())  # the write system call's number


def writing_to_stdout(pid: int) -> bool:
    """Whether a thread of the process is blocked in a write to its stdout, by whatever file
    descriptor (Linux; polars writes from threads of its own, to a duplicate of stdout's)."""
    stdout = Path(f"/proc/{pid}/fd/1").readlink()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "syscall").read_text().split()
            if (len(fields) > 1 and fields[0] == str(WRITE)
                    and Path(f"/proc/{pid}/fd/{int(fields[1], 16)}").readlink() == stdout):
                return True
        except OSError:  # the thread or its file ended
            continue
    return False


def run_tap_signalled_in_a_write(tmp_path: Path, config: dict[str, Any], *, records: int, sig: int,
                                 env: dict[str, str] | None = None, timeout: float = 120) -> TapRun:
    """The tap as a child process whose reader stops reading once `records` RECORD lines came,
    sent `sig` once the tap is blocked writing to the full pipe (in the middle of a block of
    messages), then read to the end. Every line of what it printed must be a whole message:
    `_run` parses them all."""
    command = tap_command(tmp_path, config, None, None, ())
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr, subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, env=tap_environment(tmp_path, env)) as child:
        assert child.stdout is not None
        out = bytearray()
        while out.count(b'{"type":"RECORD"') < records:
            chunk = os.read(child.stdout.fileno(), 1 << 16)
            assert chunk, stderr_path.read_text()[-3000:]
            out += chunk
        deadline = time.monotonic() + timeout  # a bound on the wait for the event, not a race
        while not writing_to_stdout(child.pid):
            assert time.monotonic() < deadline and child.poll() is None, stderr_path.read_text()[-3000:]
            time.sleep(0.01)
        child.send_signal(sig)
        out += child.stdout.read()
        code = child.wait(timeout=timeout)
    text = out.decode()
    assert all(line.startswith("{") for line in text.splitlines()), "a line that is not a whole message"
    return _run(code, text, stderr_path.read_text(), discover=False)


def discover(tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    run = run_tap(tmp_path, config, args=("--discover",))
    assert run.exit_code == 0, run.stderr[-3000:]
    return json.loads(run.stdout)
