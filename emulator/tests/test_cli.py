"""``python -m zoho_emulator``: banner line, config file, flags, clean stop on SIGTERM."""

from __future__ import annotations

import contextlib
import email.utils
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import requests
from zoho_emulator.__main__ import _parser


@contextlib.contextmanager
def serving(*options: str) -> Iterator[subprocess.Popen]:
    """`python -m zoho_emulator --port 0 OPTIONS…` running; killed afterwards if still running."""
    command = [sys.executable, "-m", "zoho_emulator", "--port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def test_cli_runs_and_stops(tmp_path):
    config_path = tmp_path / "config.json"
    with serving("--seed", "1", "--records", "5", "--config-out", str(config_path),
                 "--clock-offset", "-3600", "--no-count-api") as process:
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
        grant = requests.post(url + "/oauth/v2/token", data=params, timeout=5)
        token = grant.json()["access_token"]
        lag = time.time() - email.utils.parsedate_to_datetime(grant.headers["Date"]).timestamp()
        assert abs(lag - 3600) < 5  # --clock-offset
        count = requests.get(url + "/crm/v8/Leads/actions/count", timeout=5,
                             headers={"Authorization": f"Zoho-oauthtoken {token}"})
        assert (count.status_code, count.json()["code"]) == (404, "INVALID_URL_PATTERN")  # --no-count-api
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_cli_flags_map_to_options():
    args = _parser().parse_args(["--clock-offset", "-3600", "--no-count-api", "--job-duration", "2.5"])
    assert (args.clock_offset, args.count_api, args.job_duration) == (-3600.0, False, 2.5)
    defaults = _parser().parse_args([])
    assert (defaults.clock_offset, defaults.count_api) == (0.0, True)
    help_text = _parser().format_help()
    assert all(flag in help_text for flag in ("--clock-offset", "--no-count-api", "--job-duration"))


def test_every_option_has_a_help_text():
    parser = _parser()
    for action in parser._actions:
        assert action.help, action.option_strings


def test_every_option_with_a_default_shows_it():
    """Options taking a value show their default; on/off flags (--no-count-api, --verbose) do not."""
    parser = _parser()
    shown = []
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0:  # COMMAND, --help and on/off flags
            continue
        if action.default is not None and action.default is not False:
            assert "(default:" in action.help, action.option_strings
            shown.append(action.dest)
    assert {"page_size", "job_duration", "clock_offset", "port", "records"} <= set(shown)
    help_text = " ".join(parser.format_help().split())  # wrapped to the terminal's width
    assert "(default: 200000)" in help_text and "(default: 1.0)" in help_text
    assert "--config-out FILE write a tap config JSON here" in help_text  # as in the usage line
    assert parser.format_usage().count("--config-out FILE") == 1


def test_a_long_generation_is_announced_on_stderr_only():
    from zoho_emulator.__main__ import SLOW_RECORDS, generation_note

    assert generation_note(200, 42) is None and generation_note(SLOW_RECORDS - 1, 1) is None
    assert generation_note(100_000, 7) == "Generating 100000 records per module (seed 7)…"
    assert generation_note(SLOW_RECORDS, 42) is not None


def test_a_busy_port_is_one_clear_line_and_exit_code_2():
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "zoho_emulator", "--port", str(port), "--records", "1"],
                             capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip() == (f"zoho-emulator: 127.0.0.1:{port} is in use (another emulator?): stop it, or "
                                  "choose another port with --port (0 = any free port)")


def test_api_credits_flags_map_to_options_and_bad_values_are_one_line():
    from zoho_emulator.__main__ import options_from

    options = options_from(_parser().parse_args(["--api-credits", "5000", "--api-credits-used", "4000"]))
    assert (options.api_credits, options.api_credits_used) == (5000, 4000)
    assert options_from(_parser().parse_args([])).api_credits is None
    for argv, message in ((["--api-credits", "-1"], "must be 0 or more, not -1"),
                          (["--api-credits", "lots"], "not a whole number: 'lots'"),
                          (["--api-credits", "10", "--api-credits-used", "11"],
                           "--api-credits-used 11 is more than --api-credits 10")):
        run = subprocess.run([sys.executable, "-m", "zoho_emulator", *argv], capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == 2 and run.stderr.strip().endswith(message), run.stderr


def test_api_credits_from_the_command_line_are_reported_by_the_served_api(tmp_path):
    config_path = tmp_path / "config.json"
    with serving("--records", "2", "--config-out", str(config_path), "--api-credits", "100",
                 "--api-credits-used", "60") as process:
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        config = json.loads(config_path.read_text())
        grant = requests.post(url + "/oauth/v2/token", timeout=5, data={
            "grant_type": "refresh_token", "client_id": config["client_id"],
            "client_secret": config["client_secret"], "refresh_token": config["refresh_token"]})
        headers = {"Authorization": f"Zoho-oauthtoken {grant.json()['access_token']}"}
        answer = requests.get(url + "/crm/v8/settings/modules", headers=headers, timeout=5)
        assert answer.status_code == 200
        assert answer.headers["X-API-CREDITS-REMAINING"] == "39"  # 100, 60 gone, this call 1
