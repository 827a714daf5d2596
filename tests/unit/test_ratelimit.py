"""The client-side rate limiter: never more than N calls in any period, and a caller asleep on it
never keeps another from asking how long it would wait."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time

from tap_zoho_bulk.ratelimit import RateLimiter, SharedCalls


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limiter_waits_for_the_oldest_call_to_leave_the_window():
    clock = Clock()
    limiter = RateLimiter(5, 60, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.wait()
        clock.now += 1
    limiter.wait()
    assert clock.sleeps == [55.0]


def test_no_period_ever_holds_more_than_the_allowed_calls():
    clock = Clock()
    limiter = RateLimiter(3, 61, clock=clock, sleep=clock.sleep)
    sent = []
    for gap in itertools.islice(itertools.cycle([0.0, 5.0, 0.5, 30.0, 0.0, 70.0]), 60):
        clock.now += gap
        limiter.wait()
        sent.append(clock.now)
    assert all(later - earlier >= 61 for earlier, later in zip(sent, sent[3:], strict=False))


def test_callers_that_sleep_reserve_successive_slots_and_hold_no_lock():
    clock = Clock()
    asleep, release = threading.Event(), threading.Event()
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        asleep.set()
        release.wait(timeout=30.0)

    limiter = RateLimiter(1, 61, clock=clock, sleep=sleep)
    limiter.wait()  # the minute's one call
    sleeper = threading.Thread(target=limiter.wait)
    sleeper.start()
    try:
        assert asleep.wait(timeout=30.0)
        # Asked while the other caller sleeps: answered at once, and after that caller's slot.
        assert limiter.delay() == 122.0
    finally:
        release.set()
        sleeper.join(timeout=30.0)
    assert slept == [61.0]


def test_a_wait_passed_over_is_said_once_per_slot(caplog):
    clock = Clock()
    limiter = RateLimiter(2, 61, what="result downloads", clock=clock, sleep=clock.sleep)
    assert limiter.acquire_now() and limiter.acquire_now() and not limiter.acquire_now()
    with caplog.at_level("INFO", logger="tap-zoho-bulk"):
        limiter.passed_over()
        clock.now = 10.0
        limiter.passed_over()  # the same wait, asked again
        clock.now = 61.0
        assert limiter.acquire_now() and limiter.acquire_now()
        limiter.passed_over()  # the next wait
    assert [r.getMessage() for r in caplog.records] == [
        "Waiting 61 s: Zoho allows 2 result downloads a minute",
        "Waiting 61 s: Zoho allows 2 result downloads a minute",
    ]


def test_runs_sharing_a_record_of_calls_keep_within_the_limit_together(tmp_path):
    clock = Clock()
    path = tmp_path / "limits" / "user-crm+bigin-downloads.json"
    first = RateLimiter(3, 61, clock=clock, sleep=clock.sleep, shared=SharedCalls(path))
    assert first.acquire_now() and first.acquire_now()
    clock.now = 20.0
    # A second run starts 20 s into the first's minute (another process: its own limiter).
    second = RateLimiter(3, 61, clock=clock, sleep=clock.sleep, shared=SharedCalls(path))
    assert second.acquire_now() and not second.acquire_now()
    assert second.delay() == 41.0 and first.delay() == 41.0
    second.wait()  # sleeps until the first run's first call is a period old
    assert clock.sleeps == [41.0]
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(path.parent.stat().st_mode & 0o777) == "0o700"


def test_a_call_another_process_recorded_is_counted(tmp_path):
    path = tmp_path / "calls.json"
    code = ("import sys, time; from pathlib import Path; from tap_zoho_bulk.ratelimit import RateLimiter, "
            "SharedCalls; limiter = RateLimiter(2, 61, clock=time.time, shared=SharedCalls(Path(sys.argv[1]))); "
            "assert limiter.acquire_now() and limiter.acquire_now()")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    here = RateLimiter(2, 61, clock=time.time, shared=SharedCalls(path))
    assert not here.acquire_now() and 59.0 < here.delay() <= 61.0


def test_a_half_written_record_counts_as_no_calls(tmp_path):
    path = tmp_path / "calls.json"
    path.write_text("[1764770000.5, 17647")
    limiter = RateLimiter(1, 61, clock=lambda: 1764770001.0, shared=SharedCalls(path))
    assert limiter.acquire_now()
    assert json.loads(path.read_text()) == [1764770001.0]
