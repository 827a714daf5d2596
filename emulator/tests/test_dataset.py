"""The generated dataset: deterministic, realistic, awkward, and mutable on purpose."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from zoho_emulator import Dataset

IST_OFFSET = dt.timedelta(hours=5, minutes=30)


def test_deterministic_per_seed():
    a = Dataset.generate(seed=11, records_per_module=15)
    b = Dataset.generate(seed=11, records_per_module=15)
    c = Dataset.generate(seed=12, records_per_module=15)
    assert a.records("crm", "Deals") == b.records("crm", "Deals")
    assert a.fields("bigin", "Pipelines") == b.fields("bigin", "Pipelines")
    assert a.records("crm", "Deals") != c.records("crm", "Deals")


def test_modules_and_counts():
    data = Dataset.generate(seed=1, records_per_module=12, module_counts={("crm", "Leads"): 3, "Products": 4})
    assert data.modules("crm")[:6] == ["Accounts", "Contacts", "Leads", "Deals", "Sales_Orders", "Shipments"]
    assert {"Notes", "Attachments", "Emails", "Contacts_X_Deals", "Visits"} <= set(data.modules("crm"))
    assert set(data.modules("bigin")) == {"Accounts", "Contacts", "Pipelines", "Products", "Notes"}
    assert len(data.records("crm", "Leads")) == 3
    assert len(data.records("bigin", "Products")) == 4
    assert len(data.records("crm", "Deals")) == 12


def test_canonical_value_types(dataset):
    allowed = (str, int, float, bool, dt.date, list, type(None))
    ids = set()
    for product in dataset.products():
        for module in dataset.modules(product):
            metas = {m["api_name"]: m for m in dataset.fields(product, module)}
            for record in dataset.records(product, module):
                assert re.fullmatch(r"\d{19}", record["id"])
                ids.add(record["id"])
                assert set(record) == {"id", *metas}
                assert record["Created_Time"] <= record["Modified_Time"]
                for name, value in record.items():
                    assert isinstance(value, allowed), (name, value)
                    if isinstance(value, dt.datetime):
                        assert value.utcoffset() == IST_OFFSET and value.microsecond == 0
                    if name != "id" and metas[name]["data_type"] in ("lookup", "ownerlookup") and value:
                        assert re.fullmatch(r"\d{19}", value)
                    if isinstance(value, list):
                        assert all(isinstance(item, str) and ";" not in item for item in value)
                        assert 1 <= len(value) <= 3
    assert len(ids) == sum(len(dataset.records(p, m)) for p in dataset.products() for m in dataset.modules(p))


def test_awkward_values_are_present(dataset):
    values = [
        v
        for m in ("Leads", "Accounts", "Contacts", "Shipments")
        for r in dataset.records("crm", m)
        for v in r.values()
    ]
    texts = [v for v in values if isinstance(v, str)]
    assert any("," in t for t in texts) and any('"' in t for t in texts) and any("\n" in t for t in texts)
    assert any(ord(ch) > 0xFFFF for t in texts for ch in t)  # emoji
    assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t)  # CJK
    assert any(len(t) > 140_000 for t in texts)
    ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    assert any(v > 2**53 for v in ints) and any(v < 0 for v in ints)
    assert any(v is None for v in values)
    floats = [v for v in values if isinstance(v, float)]
    assert any(v < 0 for v in floats)
    created = [r["Created_Time"] for r in dataset.records("crm", "Leads")]
    assert max(created) - min(created) > dt.timedelta(days=300)


def test_add_and_update_records():
    data = Dataset.generate(seed=5, records_per_module=5)
    before = {r["id"] for r in data.records("crm", "Deals")}
    added = data.add_records("crm", "Deals", 2)
    assert len(added) == 2 and not before & {r["id"] for r in added}
    now = dt.datetime.now(dt.UTC)
    for record in added:
        assert record["Created_Time"] == record["Modified_Time"]
        assert abs(record["Created_Time"] - now) < dt.timedelta(seconds=5)
    stamp = dt.datetime(2020, 5, 1, 12, 0, tzinfo=dt.UTC)
    (old,) = data.add_records("crm", "Deals", 1, created_time=stamp)
    assert old["Created_Time"] == stamp
    with pytest.raises(ValueError):
        data.add_records("crm", "Deals", 1, created_time=dt.datetime(2020, 1, 1))
    updated = data.update_record("crm", "Deals", old["id"], Amount=100.0, Probability=50.0)
    assert updated["Expected_Revenue"] == 50.0  # formulas follow
    assert updated["Modified_Time"] > stamp
    assert data.records("crm", "Deals")[-1] == updated or updated in data.records("crm", "Deals")
    with pytest.raises(KeyError):
        data.update_record("crm", "Deals", old["id"], Nope=1)
    with pytest.raises(KeyError):
        data.update_record("crm", "Deals", "1", Amount=1.0)


def test_records_are_copies(dataset):
    record = dataset.records("crm", "Leads")[0]
    record["Last_Name"] = "changed"
    assert dataset.records("crm", "Leads")[0]["Last_Name"] != "changed"
