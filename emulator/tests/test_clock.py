"""clock_offset: Zoho's clock running ahead of or behind the client's, everywhere it shows."""

from __future__ import annotations

import datetime as dt
import email.utils

from zoho_emulator.core.javadate import STAMP_PATTERN, parse_pattern

from tests.support import BENIN, Client, CreatorClient, bulk, creator_body

HOUR = 3600.0
SLACK = 5.0  # seconds: the test's own calls, never a race against an interval


def _behind(moment: dt.datetime, seconds: float) -> None:
    """``moment`` is ``seconds`` behind the machine's now (within SLACK)."""
    lag = dt.datetime.now(dt.UTC).timestamp() - moment.timestamp()
    assert abs(lag - seconds) < SLACK, lag


def test_default_clock_is_the_machines(client, emu):
    assert emu.options.clock_offset == 0.0
    response = client.get("/crm/v8/settings/modules")
    _behind(email.utils.parsedate_to_datetime(response.headers["Date"]), 0)


def test_an_hour_behind(make_emulator):
    emu = make_emulator(records_per_module=3, clock_offset=-HOUR, job_duration=0)
    client = Client(emu)
    response = client.get("/crm/v8/settings/modules")
    date = email.utils.parsedate_to_datetime(response.headers["Date"])
    assert response.headers["Date"].endswith(" GMT")
    _behind(date, HOUR)
    reset = dt.datetime.fromisoformat(response.headers["X-ACCESSTOKEN-RESET"])
    _behind(reset, HOUR - emu.options.token_ttl)  # the token's expiry, on Zoho's clock
    grant = client.grant()
    _behind(email.utils.parsedate_to_datetime(grant.headers["Date"]), HOUR)  # accounts server too

    (added,) = emu.dataset.add_records("crm", "Leads", 1)
    assert added["Created_Time"] == added["Modified_Time"]
    assert added["Created_Time"].utcoffset() == dt.timedelta(hours=5, minutes=30)
    _behind(added["Created_Time"], HOUR)
    updated = emu.dataset.update_record("crm", "Leads", added["id"], Lead_Score=7)
    _behind(updated["Modified_Time"], HOUR)
    (deleted,) = emu.dataset.delete_records("crm", "Leads", [added["id"]])
    _behind(deleted["deleted_time"], HOUR)

    job = client.wait("/crm/bulk/v8", client.create("/crm/bulk/v8", {"module": {"api_name": "Leads"}}))
    _behind(dt.datetime.fromisoformat(job["created_time"]), HOUR)


def test_creator_times_follow_the_offset(make_emulator):
    emu = make_emulator(records_per_module=3, clock_offset=2 * HOUR)
    path = f"{BENIN}/All_Clients"
    (added,) = emu.dataset.add_records("creator", path, 1)
    _behind(added["Added_Time"], -2 * HOUR)
    app = emu.dataset.creator.app(*path.split("/")[:2])
    details = CreatorClient(emu).create_job(bulk(path))
    created = parse_pattern(details["created_time"], STAMP_PATTERN).replace(tzinfo=app.tz)
    _behind(created, -2 * HOUR)
    response = CreatorClient(emu).get(f"{bulk(path)}/{details['id']}")
    assert creator_body(response)["code"] == 3000
    _behind(email.utils.parsedate_to_datetime(response.headers["Date"]), -2 * HOUR)
