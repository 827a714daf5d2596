"""The emulated organisations' data: modules, field metadata, users and records.

Keyed by product ("crm", "bigin", and "creator" for the Creator workspace, whose
applications/forms/reports live in ``creatordata``) so every handler reads the same source
of truth, and tests can compare what a client exported with ``records()`` exactly.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, overload
from zoneinfo import ZoneInfo

from zoho_emulator.core.values import ValueGenerator
from zoho_emulator.core.wallclock import ZohoClock
from zoho_emulator.creator.app_catalog import DEFAULT_APPS, AppSpec
from zoho_emulator.creator.workspace import CreatorWorkspace, app_specs
from zoho_emulator.crm.field_specs import FieldSpec, ModuleSpec, Record, field_metadata, module_metadata
from zoho_emulator.crm.org_modules import CATALOG

ORG_PREFIX = {"crm": "5725767", "bigin": "6183425"}
USER_NAMES = (
    ("Patricia", "Boyle"),
    ("José", "Álvarez"),
    ("伟", "张"),
    ("Ayşe", "Yılmaz"),  # noqa: RUF001 - Turkish dotless i on purpose
    ("Priya", "Raman"),
)
DEFAULT_END = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=730)
SYSTEM_FIELDS = ("Created_Time", "Modified_Time", "Created_By", "Modified_By", "Owner")

ModuleCounts = Mapping[str | tuple[str, str], int]
CREATOR = "creator"
DELETION_TYPES = ("recycle", "permanent")  # the `type` of a deleted-records entry


class _Module:
    """Mutable state of one module: spec, rendered metadata, records."""

    def __init__(self, spec: ModuleSpec, info: dict[str, Any], fields: list[dict[str, Any]]):
        self.spec = spec
        self.info = info
        self.fields = fields
        self.field_specs = {f.api_name: f for f in spec.fields}
        self.records: list[Record] = []
        self.by_id: dict[str, Record] = {}
        self.deleted: list[dict[str, Any]] = []
        self.autonumber = 1001

    def add(self, record: Record) -> None:
        self.records.append(record)
        self.by_id[record["id"]] = record

    def remove(self, ids: set[str]) -> None:
        self.records = [record for record in self.records if record["id"] not in ids]
        for record_id in ids:
            del self.by_id[record_id]


class Dataset:
    """Products -> modules -> field metadata + records; thread-safe."""

    def __init__(self, seed: int = 0, timezone: str = "Asia/Kolkata") -> None:
        self.seed = seed
        self.tz = ZoneInfo(timezone)
        self._lock = threading.RLock()
        self._products: dict[str, dict[str, _Module]] = {}
        self._users: dict[str, list[dict[str, Any]]] = {}
        self._counters: dict[str, int] = {}
        self._live_rng = random.Random(f"{seed}:live")
        self.clock = ZohoClock()  # "now" of records stamped now; the emulator serving it sets its own
        self.creator = CreatorWorkspace("acme", self._lock, seed, self.clock)  # empty until generate()
        self._creator_others: dict[str, CreatorWorkspace] = {}  # generate(creator_other_owners=)

    # ------------------------------------------------------------ generation
    @classmethod
    def generate(
        cls,
        seed: int = 0,
        records_per_module: int = 200,
        *,
        module_counts: ModuleCounts | None = None,
        timezone: str = "Asia/Kolkata",
        end: dt.datetime | None = None,
        creator_owner: str = "acme",
        creator_apps: Iterable[Mapping[str, Any] | AppSpec] | None = None,
        creator_other_owners: Iterable[str] = (),
    ) -> Dataset:
        """Build the CRM and Bigin orgs and the Creator workspace; same arguments give the same data.

        ``module_counts`` overrides the record count per module, keyed by
        ``(product, module)`` or by a bare module name (all products). Creator forms are
        keyed ``("creator", "Offre")`` (every app), ``("creator", "sales-benin/Offre")``
        (one app) or the bare form name.
        Generated datetimes fall in the two years before ``end`` (fixed default, so
        the data does not depend on today's date).

        ``creator_apps`` replaces the two default Creator applications (sales-benin,
        sales-burkina), e.g. ``[{"link_name": "sales-india", "application_name": "Ventes
        Inde", "time_zone": "Asia/Kolkata", "date_format": "MM-dd-yyyy"}]``; every app gets
        the same forms and reports. ``creator_owner`` is the workspace (account owner) name.
        ``creator_other_owners`` adds more workspaces, each holding the same applications (same
        link names, reports and forms) with records of their own (other IDs and values), as when
        apps of other workspaces are shared with the user: Get Applications lists them all.
        """
        dataset = cls(seed, timezone)
        end_local = (end or DEFAULT_END).astimezone(dataset.tz)
        counts = dict(module_counts or {})
        for product, catalog in CATALOG.items():
            dataset._build_product(product, catalog(), end_local, records_per_module, counts)

        def creator_count(app: str, form: str) -> int:
            for key in ((CREATOR, f"{app}/{form}"), (CREATOR, form), form):
                if key in counts:
                    return counts[key]
            return records_per_module

        specs = app_specs(creator_apps, DEFAULT_APPS)
        owners = list(dict.fromkeys([creator_owner, *creator_other_owners]))
        for position, owner in enumerate(owners):
            workspace = CreatorWorkspace.build(
                seed=seed,
                owner=owner,
                apps=specs,
                end=end or DEFAULT_END,
                count=creator_count,
                lock=dataset._lock,
                clock=dataset.clock,
                first_index=position * len(specs),
                scope=f":{owner}" if position else "",
            )
            if position:
                dataset._creator_others[owner] = workspace
            else:
                dataset.creator = workspace
        return dataset

    def use_clock(self, clock: ZohoClock) -> None:
        """Stamp "now" by ``clock`` from here on (ZohoEmulator passes its clock_offset clock)."""
        with self._lock:
            self.clock = clock
            for workspace in self.creator_workspaces():
                workspace.use_clock(clock)

    def _next_id(self, product: str, step: int = 1) -> str:
        self._counters[product] += step
        return f"{ORG_PREFIX[product]}{self._counters[product]:012d}"

    def _build_product(
        self,
        product: str,
        specs: list[ModuleSpec],
        end: dt.datetime,
        default_count: int,
        counts: dict[str | tuple[str, str], int],
    ) -> None:
        self._counters[product] = 235_000
        self._users[product] = [
            {
                "id": self._next_id(product, 11),
                "name": f"{first} {last}",
                "first_name": first,
                "last_name": last,
                "full_name": f"{first} {last}",
                "email": f"user{index}@{product}.example.com",
            }
            for index, (first, last) in enumerate(USER_NAMES)
        ]
        self._counters[product] = 2_000
        module_ids = {spec.api_name: self._next_id(product, 25) for spec in specs}
        modules: dict[str, _Module] = {}
        for spec in specs:
            fields = []
            for fspec in spec.fields:
                field_id = self._next_id(product, 3)
                option_ids = [self._next_id(product) for _ in range(len(fspec.options) + 1)]
                fields.append(field_metadata(fspec, field_id, module_ids, option_ids))
            info = module_metadata(spec, module_ids[spec.api_name])
            modules[spec.api_name] = _Module(spec, info, fields)
        self._products[product] = modules

        self._counters[product] = 1_000_000
        start = end - SPAN
        for spec in specs:
            count = counts.get((product, spec.api_name), counts.get(spec.api_name, default_count))
            rng = random.Random(f"{self.seed}:{product}:{spec.api_name}")
            gen = ValueGenerator(rng, start, end)
            module = modules[spec.api_name]
            fresh = [self._new_record(product, module, gen, None) for _ in range(count)]
            for fspec in spec.fields:
                if fspec.long_text and fresh:
                    fresh[0][fspec.api_name] = gen.long_text()
            self._number(module, sorted(fresh, key=lambda r: r["Created_Time"]))
            rng.shuffle(fresh)
            for record in fresh:
                module.add(record)
        for spec in specs:
            rng = random.Random(f"{self.seed}:{product}:{spec.api_name}:links")
            for position, record in enumerate(modules[spec.api_name].records):
                self._link(product, modules[spec.api_name], record, rng, position)
                self._compute(modules[spec.api_name], record)

    def _new_record(
        self,
        product: str,
        module: _Module,
        gen: ValueGenerator,
        created: dt.datetime | None,
    ) -> Record:
        """A record with plain values; lookups/formulas/autonumbers filled later."""
        rng = gen.rng
        users = self._users[product]
        record: Record = {"id": self._next_id(product, rng.randint(1, 3))}
        if created is None:
            created = gen.datetime_between(gen.start, gen.end - dt.timedelta(days=1))
            modified = created if rng.random() < 0.2 else gen.datetime_between(created, gen.end)
        else:
            modified = created
        for fspec in module.spec.fields:
            name, kind = fspec.api_name, fspec.data_type
            if name == "Created_Time":
                record[name] = created
            elif name == "Modified_Time":
                record[name] = modified
            elif kind == "ownerlookup":
                record[name] = rng.choice(users)["id"]
            elif kind in ("lookup", "multiselectlookup", "formula", "autonumber"):
                record[name] = None
            elif kind == "datetime" and name == "Last_Activity_Time":
                record[name] = None if rng.random() < 0.3 else gen.datetime_between(created, modified)
            elif fspec.long_text and rng.random() < 0.02:
                record[name] = gen.long_text()
            else:
                record[name] = gen.value(fspec)
        return record

    def _number(self, module: _Module, records: list[Record]) -> None:
        for fspec in module.spec.fields:
            if fspec.data_type != "autonumber":
                continue
            for offset, record in enumerate(records):
                record[fspec.api_name] = f"{fspec.prefix}{module.autonumber + offset}"
        if records and any(f.data_type == "autonumber" for f in module.spec.fields):
            module.autonumber += len(records)

    def _link(
        self, product: str, module: _Module, record: Record, rng: random.Random, position: int | None = None
    ) -> None:
        """Fill the lookups of ``record`` with ids of other records; ``position`` is its index in
        ``module.records`` when it is there (generation), which spares searching for it."""
        for fspec in module.spec.fields:
            if fspec.data_type not in ("lookup", "multiselectlookup") or not fspec.lookup:
                continue
            targets = self._products[product][fspec.lookup]
            candidates = _candidates(targets, record, position if targets is module else None)
            if not candidates or (not fspec.mandatory and rng.random() < 0.15):
                record[fspec.api_name] = None
            elif fspec.data_type == "lookup":
                record[fspec.api_name] = rng.choice(candidates)["id"]
            else:
                picked = rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))
                record[fspec.api_name] = [r["id"] for r in picked]

    @staticmethod
    def _compute(module: _Module, record: Record) -> None:
        for fspec in module.spec.fields:
            if fspec.data_type == "formula" and fspec.compute is not None:
                record[fspec.api_name] = fspec.compute(record)

    # ------------------------------------------------------------ read API
    def products(self) -> list[str]:
        """Product keys ("crm", "bigin")."""
        return list(self._products)

    def _module(self, product: str, module: str) -> _Module:
        try:
            return self._products[product][module]
        except KeyError:
            raise KeyError(f"unknown module {product}/{module}") from None

    def has_module(self, product: str, module: str) -> bool:
        """Whether the product has a module with this exact API name."""
        return module in self._products.get(product, {})

    def modules(self, product: str) -> list[str]:
        """Module API names of a product, as listed by /settings/modules."""
        return list(self._products[product])

    def module_spec(self, product: str, module: str) -> ModuleSpec:
        """The static definition of a module."""
        return self._module(product, module).spec

    def module_meta(self, product: str) -> list[dict[str, Any]]:
        """All /settings/modules entries of a product, as served (copies)."""
        return [copy.deepcopy(m.info) for m in self._products[product].values()]

    def module_info(self, product: str, module: str) -> dict[str, Any]:
        """The /settings/modules entry of a module (a copy)."""
        return copy.deepcopy(self._module(product, module).info)

    def fields(self, product: str, module: str) -> list[dict[str, Any]]:
        """Field metadata dicts exactly as served by /settings/fields (copies).

        For ``"creator"``, ``module`` is ``"owner/app/form"`` and the dicts are Creator's
        Get Fields entries ``{unique, max_char, display_name, link_name, type, mandatory}``, plus
        ``choices`` (``{display_value, id}`` objects) for drop-down, radio, multi-select, checkbox.
        """
        if product == CREATOR:
            return self._workspace(module).fields(module)
        return copy.deepcopy(self._module(product, module).fields)

    def field_spec(self, product: str, module: str, api_name: str) -> FieldSpec | None:
        """The definition of one field, or None."""
        return self._module(product, module).field_specs.get(api_name)

    def field_meta(self, product: str, module: str, api_name: str) -> dict[str, Any] | None:
        """The served metadata of one field, or None."""
        for meta in self._module(product, module).fields:
            if meta["api_name"] == api_name:
                return meta
        return None

    def records(self, product: str, module: str) -> list[Record]:
        """Canonical records (deep copies).

        For ``"creator"``, ``module`` is a report path ``"owner/app/report"`` and each record
        has exactly the report's columns as keys.
        """
        if product == CREATOR:
            return self._workspace(module).records(module)
        with self._lock:
            return copy.deepcopy(self._module(product, module).records)

    def users(self, product: str) -> list[dict[str, Any]]:
        """The org's users (owner lookups point at these ids)."""
        return copy.deepcopy(self._users[product])

    def user(self, product: str, user_id: str) -> dict[str, Any] | None:
        """One user by id (not copied: internal use)."""
        return next((u for u in self._users[product] if u["id"] == user_id), None)

    def current_user(self, product: str) -> dict[str, Any]:
        """The user every API call acts as (the first user)."""
        return copy.deepcopy(self._users[product][0])

    def org_prefix(self, product: str) -> str:
        """Leading digits of ids minted in this product's org."""
        return ORG_PREFIX[product]

    # ------------------------------------------------------------ Creator
    def creator_workspaces(self) -> list[CreatorWorkspace]:
        """Every Creator workspace, the primary one (``creator``) first."""
        return [self.creator, *self._creator_others.values()]

    def creator_workspace(self, owner: str) -> CreatorWorkspace:
        """The workspace of an account owner (KeyError when unknown)."""
        if owner == self.creator.owner:
            return self.creator
        if owner in self._creator_others:
            return self._creator_others[owner]
        raise KeyError(f"unknown Creator owner {owner!r}")

    def _workspace(self, path: str) -> CreatorWorkspace:
        return self.creator_workspace(path.split("/", 1)[0])

    def creator_reports(self) -> list[str]:
        """Every Creator report as ``"owner/app/report"`` (every workspace)."""
        return [path for workspace in self.creator_workspaces() for path in workspace.report_paths()]

    def creator_app(self, owner: str, app: str) -> dict[str, Any]:
        """The Get Applications entry of one Creator application (KeyError when unknown)."""
        return self.creator_workspace(owner).app(owner, app).metadata()

    def creator_report(self, path: str) -> dict[str, Any]:
        """``{"form": <form link name>, "columns": [column names in CSV order]}`` of a report."""
        _app, report = self._workspace(path).report(path)
        return {"form": report.form, "columns": list(report.columns)}

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the data lock (so a job snapshot sees one consistent state)."""
        with self._lock:
            yield

    def raw_records(self, product: str, module: str) -> list[Record]:
        """The live record list; only use inside ``locked()`` and never mutate."""
        return self._module(product, module).records

    def raw_record(self, product: str, module: str, record_id: str) -> Record | None:
        """A live record by id; only use inside ``locked()``."""
        return self._module(product, module).by_id.get(record_id)

    # ------------------------------------------------------------ write API
    def _now(self) -> dt.datetime:
        return self.clock.now(self.tz)

    def add_records(
        self, product: str, module: str, n: int, created_time: dt.datetime | None = None
    ) -> list[Record]:
        """Create ``n`` records stamped now (or at ``created_time``, timezone-aware).

        For ``"creator"``, ``module`` is a report path; the records are added to the report's
        form (Added_Time = Modified_Time = the stamp) and returned as the report shows them.
        """
        if product == CREATOR:
            return self._workspace(module).add_records(module, n, created_time)
        if created_time is not None and created_time.tzinfo is None:
            raise ValueError("created_time must be timezone-aware")
        with self._lock:
            state = self._module(product, module)
            stamp = (created_time or self._now()).astimezone(self.tz).replace(microsecond=0)
            start = stamp - SPAN
            gen = ValueGenerator(self._live_rng, start, stamp)
            fresh = [self._new_record(product, state, gen, stamp) for _ in range(n)]
            self._number(state, fresh)
            for record in fresh:
                self._link(product, state, record, self._live_rng)
                self._compute(state, record)
                state.add(record)
            return copy.deepcopy(fresh)

    def update_record(self, product: str, module: str, record_id: str, **values: Any) -> Record:
        """Change field values; Modified_Time becomes now unless given explicitly.

        For ``"creator"``, ``module`` is a report path and ``values`` are form field link
        names (or Added_Time / Modified_Time / Added_User); returns the report's view.
        """
        if product == CREATOR:
            return self._workspace(module).update_record(module, record_id, **values)
        with self._lock:
            state = self._module(product, module)
            record = state.by_id.get(record_id)
            if record is None:
                raise KeyError(f"no record {record_id} in {product}/{module}")
            unknown = [name for name in values if name not in state.field_specs]
            if unknown:
                raise KeyError(f"unknown fields for {product}/{module}: {unknown}")
            record.update(values)
            if "Modified_Time" not in values:
                record["Modified_Time"] = self._now()
            self._compute(state, record)
            return copy.deepcopy(record)

    def delete_records(
        self,
        product: str,
        module: str,
        ids: Iterable[str],
        deleted_time: dt.datetime | None = None,
        type: str | None = None,  # named as Zoho's field and the API's parameter
    ) -> list[dict[str, Any]]:
        """Delete CRM/Bigin records at ``deleted_time`` (timezone-aware) or now: to the recycle bin
        (``type="recycle"``, the default) or for good (``type="permanent"``).

        Later exports and counts no longer see them (jobs already created keep their snapshot);
        each deletion is remembered as the deleted-records API lists it
        (https://www.zoho.com/crm/developer/docs/api/v8/get-deleted-records.html) and returned.

        For ``"creator"``, ``module`` is a report path: the records leave the report's form (so
        every report of that form), and ``[{"id", "deleted_time"}]`` is returned; Creator has no
        deleted-records API, so ``deleted()`` does not list them and ``type`` does not apply.
        """
        if product == CREATOR:
            if type is not None:
                raise ValueError("type applies to CRM and Bigin deletions only (Creator lists no deletions)")
            return self._workspace(module).delete_records(module, ids, deleted_time)
        type = type or "recycle"
        if deleted_time is not None and deleted_time.tzinfo is None:
            raise ValueError("deleted_time must be timezone-aware")
        if type not in DELETION_TYPES:
            raise ValueError(f"type must be one of {DELETION_TYPES}, not {type!r}")
        wanted = list(dict.fromkeys(ids))
        with self._lock:
            state = self._module(product, module)
            missing = [record_id for record_id in wanted if record_id not in state.by_id]
            if missing:
                raise KeyError(f"no records {missing} in {product}/{module}")
            stamp = (deleted_time or self._now()).astimezone(self.tz).replace(microsecond=0)
            user = self._users[product][0]
            entries = [
                {
                    "id": record_id,
                    "display_name": _display_name(state, state.by_id[record_id]),
                    "deleted_time": stamp,
                    "deleted_by": {"id": user["id"], "name": user["name"]},
                    "created_by": self._user_ref(product, state.by_id[record_id].get("Created_By")),
                    "type": type,
                }
                for record_id in wanted
            ]
            state.remove(set(wanted))
            state.deleted.extend(entries)
            return copy.deepcopy(entries)

    def deleted(self, product: str, module: str) -> list[dict[str, Any]]:
        """Every deletion of the module so far, oldest first (copies; deleted_time as datetime)."""
        with self._lock:
            return copy.deepcopy(self._module(product, module).deleted)

    def _user_ref(self, product: str, user_id: str | None) -> dict[str, str] | None:
        user = self.user(product, user_id) if user_id else None
        return {"id": user["id"], "name": user["name"]} if user else None


def _display_name(module: _Module, record: Record) -> str:
    """What Zoho lists as a deleted record's name: the person's name, else the first mandatory
    text field (Account_Name, Deal_Name, …), else the id."""
    first, last = record.get("First_Name"), record.get("Last_Name")
    if last:
        return f"{first} {last}" if first else str(last)
    for spec in module.spec.fields:
        if spec.mandatory and spec.data_type == "text" and record.get(spec.api_name):
            return str(record[spec.api_name])
    return str(record["id"])


def _candidates(targets: _Module, record: Record, position: int | None = None) -> Sequence[Record]:
    """The records of ``targets`` a lookup of ``record`` may point at: all but ``record`` itself.

    The same sequence as ``[r for r in targets.records if r["id"] != record["id"]]`` (ids are
    unique in a module, so at most one record is left out), without copying the list: a view,
    so linking every record of a module costs O(1) per lookup instead of O(module size). The
    ``rng.choice`` / ``rng.sample`` calls on it draw exactly what they drew on the copied list, so
    a seed still gives the same links. ``position`` is where ``record`` is in ``targets.records``,
    if known; it is looked up (once, linearly) only when it is wrong or missing.
    """
    records = targets.records
    own = targets.by_id.get(record["id"])
    if own is None:  # not in that module (another module, or a record not added yet)
        return records
    if position is None or not 0 <= position < len(records) or records[position] is not own:
        position = next(index for index, item in enumerate(records) if item is own)
    return _Without(records, position)


class _Without(Sequence[Record]):
    """A read-only view of ``records`` without the item at ``skip``."""

    __slots__ = ("_records", "_skip")

    def __init__(self, records: list[Record], skip: int) -> None:
        self._records = records
        self._skip = skip

    def __len__(self) -> int:
        return len(self._records) - 1

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("index out of range")
        return self._records[index + 1 if index >= self._skip else index]
