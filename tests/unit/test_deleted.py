"""Deleted records: the window [start, end) decides, each id once."""

import datetime as dt

from tap_zoho_bulk.deleted import in_window

UTC = dt.UTC


def deletion(record_id, when):
    return {"id": record_id, "deleted_time": when}


def test_the_window_is_half_open_and_each_id_is_emitted_once():
    start, end = dt.datetime(2024, 1, 1, 10, tzinfo=UTC), dt.datetime(2024, 1, 1, 11, tzinfo=UTC)
    listed = [
        deletion("before", "2024-01-01T09:59:59+00:00"),
        deletion("at-start", "2024-01-01T10:00:00+00:00"),
        deletion("inside", "2024-01-01T10:30:00+00:00"),
        deletion("at-end", "2024-01-01T11:00:00+00:00"),
        deletion("inside", "2024-01-01T10:30:00+00:00"),  # listed again on the next page
    ]
    assert [r["id"] for r in in_window(listed, start, end)] == ["at-start", "inside"]
    assert [r["id"] for r in in_window(listed, None, end)] == ["before", "at-start", "inside"]


def test_a_listed_deletion_becomes_a_utc_record_whatever_the_spelling_of_created_by():
    import pytest

    from tap_zoho_bulk.deleted import deletion_record
    from tap_zoho_bulk.errors import DataError

    entry = {"id": 5725767000000123456, "display_name": "Zoë", "type": "recycle",
             "deleted_time": "2024-01-01T10:00:00+05:30", "deleted_by": {"id": "1", "name": "A"},
             "Created_By": {"id": "2", "name": "B"}}
    assert deletion_record("crm_leads_deleted", entry) == {
        "id": "5725767000000123456", "display_name": "Zoë", "type": "recycle",
        "deleted_time": "2024-01-01T04:30:00+00:00", "deleted_by": {"id": "1", "name": "A"},
        "created_by": {"id": "2", "name": "B"},
    }
    for broken in ({**entry, "deleted_time": "yesterday"}, {**entry, "id": ""},
                   {**entry, "deleted_time": "2024-01-01T10:00:00"}):
        with pytest.raises(DataError, match="crm_leads_deleted: Zoho listed a deletion"):
            deletion_record("crm_leads_deleted", broken)
