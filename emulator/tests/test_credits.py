"""Daily API credits: the header once half are used, 429 past the last, each org on its own."""

from __future__ import annotations

from tests.support import Client

HEADER = "X-API-CREDITS-REMAINING"


def test_the_credits_header_appears_once_half_the_days_credits_are_used(make_emulator):
    client = Client(make_emulator(api_credits=10))
    seen = [client.get("/crm/v8/settings/modules").headers.get(HEADER) for _ in range(6)]
    # used 1..4 of 10: under half, no header; used 5: half, 5 left; used 6: 4 left
    assert seen == [None, None, None, None, "5", "4"]


def test_past_the_last_credit_every_call_is_refused_with_429(make_emulator):
    client = Client(make_emulator(api_credits=4, api_credits_used=2))
    answers = [client.get("/crm/v8/settings/modules") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert [a.headers.get(HEADER) for a in answers[:2]] == ["1", "0"]
    body = answers[2].json()
    assert body["code"] == "TOO_MANY_REQUESTS" and "24 hour period" in body["message"]


def test_crm_and_bigin_spend_the_credits_of_their_own_org(make_emulator):
    client = Client(make_emulator(api_credits=4, api_credits_used=3))
    assert client.get("/crm/v8/settings/modules").headers.get(HEADER) == "0"
    assert client.get("/crm/v8/settings/modules").status_code == 429
    bigin = client.get("/bigin/v2/settings/modules")
    assert bigin.status_code == 200 and bigin.headers.get(HEADER) == "0"


def test_without_a_credit_budget_no_header_is_sent(make_emulator):
    client = Client(make_emulator())
    answers = [client.get("/crm/v8/settings/modules") for _ in range(3)]
    assert all(a.status_code == 200 and HEADER not in a.headers for a in answers)


def test_token_refreshes_spend_no_crm_credits(make_emulator):
    emulator = make_emulator(api_credits=2)
    client = Client(emulator)
    assert client.token
    assert emulator.credits.used("crm") == 0
    assert client.get("/crm/v8/settings/modules").status_code == 200
    assert emulator.credits.used("crm") == 1


def test_a_new_day_for_one_org_leaves_the_others_credits_as_they_are(make_emulator):
    emulator = make_emulator(api_credits=10, api_credits_used=4)
    client = Client(emulator)
    emulator.credits.reset(used=9, product="crm")
    assert client.get("/crm/v8/settings/modules").headers.get(HEADER) == "0"
    assert client.get("/bigin/v2/settings/modules").headers.get(HEADER) == "5"  # 4 used, then this call
    emulator.credits.reset()
    assert (emulator.credits.used("crm"), emulator.credits.used("bigin")) == (0, 0)
