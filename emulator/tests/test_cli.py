"""``python -m zoho_emulator``: banner line, config file, clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import requests


def test_cli_runs_and_stops(tmp_path):
    config_path = tmp_path / "config.json"
    command = [sys.executable, "-m", "zoho_emulator", "--port", "0", "--seed", "1", "--records", "5",
               "--config-out", str(config_path)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("Zoho emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        config = json.loads(config_path.read_text())
        assert config["accounts_url"] == config["api_url"] == config["creator_url"] == url
        assert config["crm_modules"] == ["*"] and config["bigin_modules"] == ["*"]
        params = {
            "grant_type": "refresh_token",
            "client_id": config["client_id"],
            "client_secret": config["client_secret"],
            "refresh_token": config["refresh_token"],
        }
        assert "access_token" in requests.post(url + "/oauth/v2/token", data=params, timeout=5).json()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
