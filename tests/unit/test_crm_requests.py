"""CRM and Bigin request shapes per API version (https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html)."""

import datetime as dt

import pytest

from tap_zoho_bulk.model import JobState, Position, StreamDefinition, Window
from tap_zoho_bulk.products.crm import FAMILIES, CrmProduct
from tap_zoho_bulk.settings import StreamOptions

UTC = dt.UTC
START = dt.datetime(2024, 1, 1, tzinfo=UTC)
END = dt.datetime(2024, 2, 1, 12, 30, 15, tzinfo=UTC)
LEADS = StreamDefinition("crm_leads", "crm", "Leads", {"properties": {}}, "id", "Created_Time")


def product(family="crm", version="v8"):
    return CrmProduct(FAMILIES[family], version, client=None, modules=["Leads"], stream_options={},
                      base_url=lambda: "https://www.zohoapis.eu")


def body(version, family="crm", window=Window("Created_Time", START, END), options=StreamOptions(),
         position=Position()):
    request = product(family, version).job_request(LEADS, ["Last_Name", "Created_Time"], window,
                                                   options, position)
    return request.url, request.body["query"]


def test_v8_uses_module_objects_field_leaves_and_half_open_window():
    url, query = body("v8")
    assert url == "https://www.zohoapis.eu/crm/bulk/v8/read"
    assert query["module"] == {"api_name": "Leads"}
    assert query["fields"] == ["Last_Name", "Created_Time"]
    assert query["page"] == 1
    assert query["criteria"] == {"group_operator": "and", "group": [
        {"field": {"api_name": "Created_Time"}, "comparator": "greater_equal",
         "value": "2024-01-01T00:00:00+00:00"},
        {"field": {"api_name": "Created_Time"}, "comparator": "less_than",
         "value": "2024-02-01T12:30:15+00:00"},
    ]}


@pytest.mark.parametrize(("family", "version"), [("crm", "v2"), ("bigin", "v1"), ("bigin", "v2")])
def test_v2_era_uses_string_module_api_name_leaves_and_between(family, version):
    url, query = body(version, family)
    assert url == f"https://www.zohoapis.eu/{family}/bulk/{version}/read"
    assert query["module"] == "Leads"
    # between is inclusive: the last second before the window end closes it.
    assert query["criteria"] == {"api_name": "Created_Time", "comparator": "between",
                                 "value": ["2024-01-01T00:00:00+00:00", "2024-02-01T12:30:14+00:00"]}


def test_first_window_without_start_has_only_an_upper_bound():
    _, query = body("v8", window=Window("Created_Time", None, END))
    assert query["criteria"] == {"field": {"api_name": "Created_Time"}, "comparator": "less_than",
                                 "value": "2024-02-01T12:30:15+00:00"}


def test_literals_have_no_milliseconds_and_use_utc():
    start = dt.datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    _, query = body("v8", window=Window("Created_Time", start, END))
    assert query["criteria"]["group"][0]["value"] == "2024-01-01T04:30:00+00:00"


def test_user_criteria_is_anded_and_respelled_for_the_version():
    user = {"group_operator": "or", "group": [
        {"api_name": "Lead_Source", "comparator": "equal", "value": "Web"},
        {"field": {"api_name": "Rating"}, "comparator": "in", "value": ["Hot", "Warm"]}]}
    _, v8 = body("v8", options=StreamOptions(criteria=user, cvid="42"))
    assert v8["cvid"] == "42"
    assert v8["criteria"]["group"][2] == {"group_operator": "or", "group": [
        {"field": {"api_name": "Lead_Source"}, "comparator": "equal", "value": "Web"},
        {"field": {"api_name": "Rating"}, "comparator": "in", "value": ["Hot", "Warm"]}]}
    _, v2 = body("v2", options=StreamOptions(criteria=user))
    assert v2["criteria"]["group"][1]["group"][1] == {
        "api_name": "Rating", "comparator": "in", "value": ["Hot", "Warm"]}


def test_page_token_request_carries_only_the_token():
    _, query = body("v8", position=Position(page_token="abc"))
    assert query == {"page_token": "abc"}


def completed(more, token=None, page=1):
    result = {"page": page, "count": 3, "per_page": 200000, "more_records": more,
              "download_url": "/crm/bulk/v8/read/1/result"}
    if token:
        result["next_page_token"] = token
    return {"data": [{"id": "1", "state": "COMPLETED", "result": result}]}


def test_v8_follows_the_page_token_and_v6_the_page_number():
    status = product("crm", "v8").parse_status(completed(True, "tok"), Position())
    assert status.state is JobState.COMPLETED and status.next_position == Position(page_token="tok")
    status = product("crm", "v6").parse_status(completed(True, "tok", page=2), Position(page=2))
    assert status.next_position == Position(page=3)
    assert product().parse_status(completed(False), Position()).next_position is None


@pytest.mark.parametrize("state", ["ADDED", "QUEUED", "IN PROGRESS"])
def test_unfinished_states_are_pending_and_their_result_is_ignored(state):
    payload = completed(True)
    payload["data"][0]["state"] = state
    assert product().parse_status(payload, Position()).state is JobState.PENDING


def test_failure_carries_zoho_error_message():
    payload = {"data": [{"id": "1", "state": "FAILURE", "result": {"error_message": {
        "status": "error", "code": "INTERNAL_SERVER_ERROR", "message": "Internal server error occurred.",
        "details": {}}}}]}
    status = product().parse_status(payload, Position())
    assert status.state is JobState.FAILED
    assert status.error == "INTERNAL_SERVER_ERROR: Internal server error occurred."


def test_job_id_from_the_create_response():
    created = {"data": [{"status": "success", "code": "ADDED_SUCCESSFULLY", "message": "Added successfully.",
                         "details": {"id": "554023000000568002", "operation": "read", "state": "ADDED"}}],
               "info": {}}
    assert product().job_id(created) == "554023000000568002"


class ListingClient:
    """Answers the deleted-records calls with the given (status, body) pairs, in order."""

    def __init__(self, answers):
        self.answers, self.calls = list(answers), []

    def request_json(self, method, url, *, params=None, headers=None, expect=None, json=None):
        self.calls.append((method, url, params, headers))
        status, body = self.answers.pop(0)
        assert status == 204 or expect(body)
        return status, body


def entry(n):
    return {"id": str(n), "deleted_time": "2024-01-01T10:00:00+05:30"}


@pytest.mark.parametrize(("family", "version"), [("crm", "v8"), ("crm", "v2"), ("bigin", "v2"), ("bigin", "v1")])
def test_deleted_records_page_until_more_records_is_false(family, version):
    client = ListingClient([
        (200, {"data": [entry(1), entry(2)], "info": {"page": 1, "more_records": True}}),
        (200, {"data": [entry(3)], "info": {"page": 2, "more_records": False}}),
    ])
    crm = CrmProduct(FAMILIES[family], version, client=client, modules=["Leads"], stream_options={},
                     base_url=lambda: "https://www.zohoapis.eu")
    since = dt.datetime(2024, 1, 1, 4, 29, 59, tzinfo=UTC)
    assert [e["id"] for e in crm.deleted_records("Leads", since)] == ["1", "2", "3"]
    url = f"https://www.zohoapis.eu/{family}/{version}/Leads/deleted"
    assert client.calls == [
        ("GET", url, {"type": "all", "page": page, "per_page": 200},
         {"If-Modified-Since": "2024-01-01T04:29:59+00:00"}) for page in (1, 2)
    ]


def test_deleted_records_end_at_a_204_and_ask_everything_without_a_start():
    client = ListingClient([(200, {"data": [entry(1)], "info": {"more_records": True}}), (204, None)])
    crm = CrmProduct(FAMILIES["crm"], "v8", client=client, modules=["Leads"], stream_options={},
                     base_url=lambda: "https://www.zohoapis.eu")
    assert [e["id"] for e in crm.deleted_records("Leads", None)] == ["1"]
    assert [call[3] for call in client.calls] == [{}, {}]
