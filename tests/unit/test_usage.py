"""API calls and Zoho's credits header: what the summary reports and when the credit floor stops."""

from __future__ import annotations

import pytest

from tap_zoho_bulk.usage import ApiUsage, CreditFloorReached

CRM = "https://www.zohoapis.eu/crm/bulk/v8/read"
BIGIN = "https://www.zohoapis.eu/bigin/v2/settings/modules"


def test_credits_are_kept_per_api_as_zoho_last_reported_them():
    usage = ApiUsage()
    usage.observe(CRM, {"X-API-CREDITS-REMAINING": "4200"})
    usage.observe(CRM, {"X-API-CREDITS-REMAINING": "4199"})
    usage.observe(BIGIN, {"X-API-CREDITS-REMAINING": "900"})
    usage.observe(CRM, {})  # a call without the header leaves the last figure
    assert usage.credits_left == {"crm": 4199, "bigin": 900}


def test_a_proxy_prefix_before_the_api_path_is_looked_through():
    usage = ApiUsage()
    usage.observe("https://proxy.example/zoho/crm/v8/Leads/actions/count", {"X-API-CREDITS-REMAINING": "7"})
    assert usage.credits_left == {"crm": 7}


@pytest.mark.parametrize("value", ["", "lots", "-3", "1.5", "²", "1,23", "12,34,567", "1 234"])
def test_a_header_that_is_not_a_count_is_not_counted_and_said_once_per_api(value, caplog):
    usage = ApiUsage(min_credits_left=10)
    for url in (CRM, CRM, BIGIN):
        usage.observe(url, {"X-API-CREDITS-REMAINING": value})
    assert usage.credits_left == {} and usage.floors_reached == {}
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 2
    assert warned[0] == (f"Zoho sent X-API-CREDITS-REMAINING: {value!r} for crm, which is not a number "
                         "of credits; it is not counted, so min_api_credits_left cannot act on it")
    assert "for bigin" in warned[1]


@pytest.mark.parametrize(("value", "left"), [("1,234", 1234), (" 12,345,678 ", 12_345_678), ("007", 7)])
def test_thousands_separators_are_read(value, left):
    usage = ApiUsage(min_credits_left=2000)
    usage.observe(CRM, {"X-API-CREDITS-REMAINING": value})
    assert usage.credits_left == {"crm": left}
    assert (usage.floor_reached(CRM) is not None) is (left < 2000)


CREATOR = "https://creator.zoho.eu/api/bulk/v2/acme/sales/report/Orders/read"


def test_calls_are_counted_until_zoho_reports_fewer_credits_than_the_floor_then_refused():
    usage = ApiUsage(min_credits_left=100)
    usage.before_call(CRM)
    usage.observe(CRM, {"X-API-CREDITS-REMAINING": "100"})  # at the floor: not below it
    usage.before_call(CRM)
    assert usage.floor_reached(CRM) is None and usage.calls == 2
    usage.observe(CRM, {"X-API-CREDITS-REMAINING": "99"})
    reason = usage.floor_reached(CRM)
    assert reason is not None and "99 credits left for crm (min_api_credits_left: 100)" in reason
    with pytest.raises(CreditFloorReached, match="Stopped before Zoho's API credits run out"):
        usage.before_call(CRM)
    assert usage.calls == 2  # the refused call was never sent
    assert usage.floors_reached == {"crm": reason}


def test_the_floor_of_one_api_leaves_the_others_calls_alone():
    usage = ApiUsage(min_credits_left=100)
    usage.observe(CRM, {"X-API-CREDITS-REMAINING": "5"})
    with pytest.raises(CreditFloorReached):
        usage.before_call("https://www.zohoapis.eu/crm/v8/Leads/deleted")
    usage.before_call(BIGIN)  # Bigin's credits are its own org's
    usage.before_call(CREATOR)  # Creator reports none
    assert usage.calls == 2 and usage.floor_reached(BIGIN) is None and set(usage.floors_reached) == {"crm"}


def test_without_a_floor_nothing_is_ever_refused():
    usage = ApiUsage()
    usage.observe(CRM, {"X-API-CREDITS-REMAINING": "0"})
    usage.before_call(CRM)
    assert usage.floors_reached == {} and usage.calls == 1
