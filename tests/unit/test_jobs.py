"""Job polling: capped exponential backoff, an overall deadline, failures reported."""

import pytest

from tap_zoho_bulk.errors import JobFailedError, JobTimeoutError
from tap_zoho_bulk.jobs import JobRunner
from tap_zoho_bulk.model import Position, StreamDefinition
from tap_zoho_bulk.products.crm import FAMILIES, CrmProduct

STREAM = StreamDefinition("crm_leads", "crm", "Leads", {"properties": {}}, "id", "Created_Time")


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


class FakeClient:
    """Answers status polls with a scripted list of states."""

    def __init__(self, states):
        self.states = list(states)
        self.calls = 0

    def request_json(self, method, url, **_):
        self.calls += 1
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        entry = {"id": "9", "state": state}
        if state == "COMPLETED":
            entry["result"] = {"page": 1, "count": 1, "more_records": False, "download_url": "/x"}
        if state == "FAILURE":
            entry["result"] = {"error_message": {"code": "INTERNAL_SERVER_ERROR", "message": "boom"}}
        return 200, {"data": [entry]}


def runner(states, **kwargs):
    clock = FakeClock()
    client = FakeClient(states)
    jobs = JobRunner(client, sleep=clock.sleep, clock=clock, **kwargs)
    product = CrmProduct(FAMILIES["crm"], "v8", client, modules=["Leads"], stream_options={},
                         base_url=lambda: "http://zoho")
    return jobs, product, clock, client


def test_polls_back_off_exponentially_up_to_the_cap():
    jobs, product, clock, _ = runner(["ADDED"] * 9 + ["COMPLETED"], poll_interval=1, poll_max_interval=20)
    status = jobs.wait(product, STREAM, "9", Position())
    assert status.download_url == "/x"
    assert clock.sleeps == [1, 2, 4, 8, 16, 20, 20, 20, 20, 20]


def test_a_sixty_second_job_takes_at_most_eight_polls_with_the_defaults():
    # The job completes at t = 60 s: every poll before answers IN PROGRESS.
    clock = FakeClock()

    class TimedClient(FakeClient):
        def request_json(self, method, url, **_):
            self.states = ["COMPLETED" if clock.now >= 60 else "IN PROGRESS"]
            return super().request_json(method, url)

    client = TimedClient(["IN PROGRESS"])
    jobs = JobRunner(client, sleep=clock.sleep, clock=clock)
    product = CrmProduct(FAMILIES["crm"], "v8", client, modules=["Leads"], stream_options={},
                         base_url=lambda: "http://zoho")
    jobs.wait(product, STREAM, "9", Position())
    assert client.calls <= 8


def test_deadline_stops_a_job_that_never_completes():
    jobs, product, clock, _ = runner(["IN PROGRESS"], poll_interval=1, poll_max_interval=10, timeout=100)
    with pytest.raises(JobTimeoutError, match="did not complete within 100 s"):
        jobs.wait(product, STREAM, "9", Position())
    assert clock.now == pytest.approx(100)


def test_failure_is_reported_with_zoho_message():
    jobs, product, _, _ = runner(["QUEUED", "FAILURE"], poll_interval=0.1)
    with pytest.raises(JobFailedError, match="INTERNAL_SERVER_ERROR: boom"):
        jobs.wait(product, STREAM, "9", Position())
