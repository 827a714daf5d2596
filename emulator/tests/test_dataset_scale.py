"""Linking lookups scales: each lookup costs O(1), not a copy of the target module.

Generation used to build ``[r for r in targets if r["id"] != record["id"]]`` for every lookup
of every record (quadratic in --records); ``_candidates`` is a view of the same sequence. No
wall-clock timing here: the tests check the view against that naive list, the links of a
whole dataset against a naive replay, and count how many target records a lookup reads.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest
from zoho_emulator import Dataset
from zoho_emulator import dataset as dataset_module
from zoho_emulator.dataset import _candidates

LOOKUPS = ("lookup", "multiselectlookup")
SEED = 9
# 1 Contact: its Reports_To (a lookup of its own module) has no candidate; 10 Products: the
# pool branch of random.sample (population <= 21); 40 elsewhere: its set branch
COUNTS = {"Contacts": 1, "Products": 10}


@pytest.fixture(scope="module")
def small() -> Dataset:
    return Dataset.generate(seed=SEED, records_per_module=40, module_counts=COUNTS)


def lookup_fields(data: Dataset, product: str, module: str) -> list[Any]:
    return [f for f in data.module_spec(product, module).fields if f.data_type in LOOKUPS and f.lookup]


def naive_links(data: Dataset, product: str, module: str) -> list[dict[str, Any]]:
    """The lookups of every record as the quadratic implementation drew them (same rng stream)."""
    rng = random.Random(f"{SEED}:{product}:{module}:links")
    drawn = []
    for record in data.raw_records(product, module):
        links: dict[str, Any] = {}
        for fspec in lookup_fields(data, product, module):
            targets = data.raw_records(product, fspec.lookup)
            candidates = [r for r in targets if r["id"] != record["id"]] if targets else []
            if not candidates or (not fspec.mandatory and rng.random() < 0.15):
                links[fspec.api_name] = None
            elif fspec.data_type == "lookup":
                links[fspec.api_name] = rng.choice(candidates)["id"]
            else:
                picked = rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))
                links[fspec.api_name] = [r["id"] for r in picked]
        drawn.append(links)
    return drawn


def test_generated_links_are_those_of_the_naive_implementation(small):
    checked = 0
    for product in small.products():
        for module in small.modules(product):
            fields = lookup_fields(small, product, module)
            if not fields:
                continue
            records = small.raw_records(product, module)
            got = [{f.api_name: record[f.api_name] for f in fields} for record in records]
            assert got == naive_links(small, product, module), (product, module)
            checked += len(records)
    assert checked > 100
    assert small.raw_records("crm", "Contacts")[0]["Reports_To"] is None  # no other Contact
    kinds = {f.data_type for p in small.products() for m in small.modules(p) for f in lookup_fields(small, p, m)}
    assert kinds == set(LOOKUPS)


def test_candidates_are_the_target_records_but_the_record_itself(small):
    for product in small.products():
        for module in small.modules(product):
            for fspec in lookup_fields(small, product, module):
                targets = small._products[product][fspec.lookup]
                for position, record in enumerate(small.raw_records(product, module)):
                    naive = [r for r in targets.records if r["id"] != record["id"]]
                    hint = position if fspec.lookup == module else None
                    assert list(_candidates(targets, record, hint)) == naive
                    assert list(_candidates(targets, record, None)) == naive  # found without the hint
                    assert list(_candidates(targets, record, position + 1)) == naive  # a wrong hint
    accounts = small._products["crm"]["Accounts"]
    view = _candidates(accounts, accounts.records[5], 5)
    everything = [r for r in accounts.records if r is not accounts.records[5]]
    assert len(view) == len(everything) == 39
    assert (view[0], view[5], view[-1], view[-39]) == (everything[0], everything[5], everything[-1], everything[0])
    assert view[3:8] == everything[3:8] and view[::-7] == everything[::-7]
    for index in (39, -40):
        with pytest.raises(IndexError):
            view[index]


def test_generation_knows_where_each_record_is(monkeypatch):
    """Generation passes each record's position, so no lookup searches the module for it."""
    calls = []

    def checked(targets, record, position=None):
        own = targets.by_id.get(record["id"])
        calls.append(own is not None)
        if own is not None:
            assert targets.records[position] is own
        return original(targets, record, position)

    original = dataset_module._candidates
    monkeypatch.setattr(dataset_module, "_candidates", checked)
    Dataset.generate(seed=3, records_per_module=30)
    assert any(calls) and not all(calls)  # own-module lookups (Parent_Account, Reports_To) and others


class CountingList(list):
    """A list that counts the items read from it (by index or by iterating)."""

    reads = 0

    def __getitem__(self, index):
        self.reads += 1
        return super().__getitem__(index)

    def __iter__(self):
        self.reads += len(self)
        return super().__iter__()


@pytest.mark.parametrize("size", [100, 10_000, 200_000])
def test_a_lookup_reads_a_few_records_whatever_the_module_size(size):
    records = CountingList({"id": f"{n:019d}"} for n in range(size))
    targets = SimpleNamespace(records=records, by_id={r["id"]: r for r in list.__iter__(records)})
    rng = random.Random(1)
    lookups = 200
    for _ in range(lookups):
        position = rng.randrange(size)
        own = list.__getitem__(records, position)
        candidates = _candidates(targets, own, position)
        assert rng.choice(candidates) is not own
        assert own not in rng.sample(candidates, 3)
        assert rng.choice(_candidates(targets, {"id": "elsewhere"})) is not None  # not in the module
    # per lookup: 1 read checking the hint, 1 choice, 3 sampled (a few more on a rare collision)
    assert records.reads <= lookups * 8
