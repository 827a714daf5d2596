"""End to end into a real warehouse: the tap as a process piped into meltanolabs-target-postgres
(a virtualenv of its own), loading a throwaway PostgreSQL server, checked with SQL.

What a table must hold comes from the emulator's dataset and from the tables below (what
target-postgres makes of each JSON schema type: `target-postgres --about` and its connector),
never from the tap's code. scripts/setup_postgres provides the server's programs and the target;
under CI a missing one fails these tests instead of skipping them.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
from psycopg import sql

from tests.support.emulators import tap_config
from tests.support.expected import (
    CREATOR_BOOLEAN,
    CREATOR_INTEGER,
    CREATOR_LIST,
    CREATOR_NUMBER,
    FORMULA_NUMBERS,
    creator_column_types,
    creator_stream,
    crm_exported,
    readable_modules,
)
from tests.support.postgres import (
    SETUP_SCRIPT,
    PostgresServer,
    postgres_bindir,
    start_postgres,
    target_postgres,
)
from tests.support.tap_process import next_second, tap_command, tap_environment

REPORTS = ["acme/sales-benin/Tous_les_Offres", "acme/sales-burkina/All_Clients"]
METADATA = "_sdc_"  # the target's record metadata columns (add_record_metadata)

# What target-postgres 0.8 creates for the tap's JSON schema types, by Zoho field type.
TIMESTAMP = "timestamp without time zone"  # format date-time (the tap's instants are UTC)
CRM_PG_TYPES = {
    "integer": "bigint", "currency": "numeric", "double": "numeric", "percent": "numeric", "decimal": "numeric",
    "boolean": "boolean", "multiselectpicklist": "text[]", "date": "date", "datetime": TIMESTAMP,
}  # every other exported type (text, picklist, bigint and lookup ids, autonumber, ...) is text
CREATOR_SYSTEM_PG_TYPES = {"Added_Time": TIMESTAMP, "Modified_Time": TIMESTAMP}  # ID, Added_User, ...: text
DELETED_PG_TYPES = {"id": "text", "display_name": "text", "type": "text", "deleted_time": TIMESTAMP,
                    "deleted_by": "jsonb", "created_by": "jsonb"}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def unavailable(what: str) -> NoReturn:
    message = f"{what}: run {SETUP_SCRIPT} (scripts/test runs it)"
    if in_ci():
        pytest.fail(f"under CI the PostgreSQL tests must run: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def postgres():
    bindir = postgres_bindir()
    if bindir is None:
        unavailable("no PostgreSQL server programs (initdb, pg_ctl, postgres) found")
    server = start_postgres(bindir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def target() -> Path:
    path = target_postgres()
    if path is None:
        unavailable("no target-postgres (.venv-target-postgres/bin/target-postgres or $TARGET_POSTGRES)")
    return path


# --- running tap | target -------------------------------------------------------------------
@dataclass
class Load:
    tap_code: int
    target_code: int
    tap_stderr: str
    target_stderr: str
    target_stdout: str

    @property
    def final_state(self) -> dict[str, Any]:
        """The state the target emitted last, once it had committed the records before it: a
        line of JSON that is the state itself (as Singer targets write it and Meltano keeps it)."""
        states = [json.loads(line) for line in self.target_stdout.splitlines() if line.startswith("{")]
        assert states and "bookmarks" in states[-1], self.target_stdout[-3000:]
        return states[-1]

    def check(self) -> Load:
        assert self.tap_code == 0, self.tap_stderr[-3000:]
        assert self.target_code == 0, self.target_stderr[-3000:]
        return self


def load(tmp_path: Path, server: PostgresServer, target: Path, config: dict[str, Any], schema: str, *,
         state: dict[str, Any] | None = None, timeout: float = 120) -> Load:
    """`tap-zoho-bulk --config … [--state …] | target-postgres --config target.json` into `schema`."""
    tap = tap_command(tmp_path, config, None, state, ())
    target_config = tmp_path / "target.json"
    target_config.write_text(json.dumps({
        "sqlalchemy_url": f"postgresql+psycopg://{server.user}@{server.host}:{server.port}/postgres",
        "default_target_schema": schema,
        # target-postgres 0.8 merges on the stream's key_properties whenever it has some, whatever
        # load_method says (only `overwrite` differs: it drops the table); upsert says so
        "load_method": "upsert",
        "add_record_metadata": True,  # _sdc_batched_at tells which rows a run wrote
        "validate_records": True,
    }))
    with (tmp_path / "tap.log").open("w") as tap_log, (tmp_path / "target.log").open("w") as target_log:
        producer = subprocess.Popen(tap, stdout=subprocess.PIPE, stderr=tap_log, env=tap_environment(tmp_path, None))
        consumer = subprocess.Popen([str(target), "--config", str(target_config)], stdin=producer.stdout,
                                    stdout=subprocess.PIPE, stderr=target_log, text=True)
        assert producer.stdout is not None
        producer.stdout.close()  # the target's end alone: a target that dies stops the tap (EPIPE)
        try:
            out, _ = consumer.communicate(timeout=timeout)
            tap_code = producer.wait(timeout=timeout)
        finally:
            for child in (producer, consumer):
                if child.poll() is None:
                    child.kill()
                    child.wait()
    return Load(tap_code, consumer.returncode, (tmp_path / "tap.log").read_text(),
                (tmp_path / "target.log").read_text(), out)


# --- what the warehouse must hold -----------------------------------------------------------
@dataclass
class Table:
    """One expected table: its columns' PostgreSQL types, its key, its rows by key (as psycopg
    reads them back, instants as timestamptz)."""
    types: dict[str, str]
    key: str
    rows: dict[str, dict[str, Any]]
    extra_columns_null: bool = False  # Creator: columns the form types but no record of the report has


def pg_value(pg_type: str, value: Any) -> Any:
    """A canonical emulator value as the column of `pg_type` must hold it."""
    if value is None or value == "" or value == []:
        return None
    if pg_type == "numeric":
        return Decimal(repr(value))  # exactly the decimal Zoho writes, no binary float noise
    if pg_type == "bigint":
        return int(value)
    if pg_type == "text":
        return value if isinstance(value, str) else str(value)
    return value  # timestamp (aware datetime: compared as instants), date, boolean, text[], jsonb


def crm_pg_type(field: dict[str, Any]) -> str:
    if field["data_type"] == "formula":
        return "numeric" if (field.get("formula") or {}).get("return_type") in FORMULA_NUMBERS else "text"
    return CRM_PG_TYPES.get(field["data_type"], "text")


def crm_table(emulator, product: str, module: str) -> Table:
    types = {f["api_name"]: crm_pg_type(f) for f in emulator.dataset.fields(product, module)
             if crm_exported(module, f)}
    types["id"] = "text"
    rows = {r["id"]: {name: pg_value(t, r.get(name)) for name, t in types.items()}
            for r in emulator.dataset.records(product, module)}
    return Table(types, "id", rows)


def creator_pg_type(code: int | None) -> str:
    if code in CREATOR_INTEGER:
        return "bigint"
    if code in CREATOR_NUMBER:
        return "numeric"
    if code in CREATOR_BOOLEAN:
        return "boolean"
    if code in CREATOR_LIST:
        return "text[]"
    return {10: "date", 11: TIMESTAMP}.get(code or 0, "text")


def creator_table(emulator, path: str) -> Table:
    codes = creator_column_types(emulator, path)
    records = emulator.dataset.records("creator", path)
    names = dict.fromkeys(name for r in records for name in r)
    types = {name: CREATOR_SYSTEM_PG_TYPES.get(name) or creator_pg_type(codes.get(name)) for name in names}
    rows = {r["ID"]: {name: pg_value(t, r.get(name)) for name, t in types.items()} for r in records}
    return Table(types, "ID", rows, extra_columns_null=True)


def deleted_table(emulator, product: str, module: str) -> Table:
    rows = {e["id"]: {name: pg_value(t, e.get(name)) for name, t in DELETED_PG_TYPES.items()}
            for e in emulator.dataset.deleted(product, module)}
    return Table(dict(DELETED_PG_TYPES), "id", rows)


def expected_tables(emulator, config: dict[str, Any]) -> dict[str, Table]:
    tables = {}
    for product in ("crm", "bigin"):
        for module in readable_modules(emulator, product) if config[f"{product}_modules"] == ["*"] else \
                config[f"{product}_modules"]:
            tables[f"{product}_{module.lower()}"] = crm_table(emulator, product, module)
            if config.get("include_deleted"):
                tables[f"{product}_{module.lower()}_deleted"] = deleted_table(emulator, product, module)
    for path in config.get("creator_reports", []):
        tables[creator_stream(path)] = creator_table(emulator, path)
    return tables


# --- what the warehouse holds ---------------------------------------------------------------
def connect(server: PostgresServer) -> psycopg.Connection:
    return psycopg.connect(server.dsn, autocommit=True)


def column_types(db: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
    """information_schema's type of each column; arrays as `<element>[]` (udt_name `_text`)."""
    rows = db.execute("SELECT column_name, data_type, udt_name FROM information_schema.columns "
                      "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                      (schema, table)).fetchall()
    return {name: f"{udt[1:]}[]" if data_type == "ARRAY" else data_type for name, data_type, udt in rows}


def tables_in(db: psycopg.Connection, schema: str) -> set[str]:
    rows = db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
    return {name for (name,) in rows}


def rows_of(db: psycopg.Connection, schema: str, table: str, key: str) -> tuple[dict[str, dict[str, Any]], int]:
    """The rows by key (date-times read as the instants they are: UTC timestamps `AT TIME ZONE
    'UTC'`, a timestamptz) and the row count (more than the keys when a record landed twice)."""
    types = {name: t for name, t in column_types(db, schema, table).items() if not name.startswith(METADATA)}
    columns = [sql.SQL("{} AT TIME ZONE 'UTC' AS {}").format(sql.Identifier(name), sql.Identifier(name))
               if t == TIMESTAMP else sql.Identifier(name) for name, t in types.items()]
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(columns), sql.Identifier(schema, table))
    cursor = db.execute(query)
    names = [c.name for c in cursor.description or []]
    records = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {r[key]: r for r in records}, len(records)


def batched_at(db: psycopg.Connection, schema: str, table: str, key: str) -> dict[str, dt.datetime]:
    query = sql.SQL("SELECT {}, _sdc_batched_at FROM {}").format(sql.Identifier(key), sql.Identifier(schema, table))
    return dict(db.execute(query).fetchall())


def assert_warehouse_holds(db: psycopg.Connection, schema: str, expected: dict[str, Table]) -> None:
    """A table per stream, every record once with every value, every column typed as the schema says."""
    assert tables_in(db, schema) == set(expected)
    for name, table in expected.items():
        types = {c: t for c, t in column_types(db, schema, name).items() if not c.startswith(METADATA)}
        if table.extra_columns_null:
            assert set(table.types) <= set(types), f"{name}: columns missing"
            assert {c: types[c] for c in table.types} == table.types, f"{name}: column types"
        else:
            assert types == table.types, f"{name}: column types"
        rows, count = rows_of(db, schema, name, table.key)
        assert count == len(rows) == len(table.rows), f"{name}: {count} rows, {len(table.rows)} records"
        assert rows.keys() == table.rows.keys(), name
        for key, want in table.rows.items():
            got = rows[key]
            assert {c: got[c] for c in want} == want, f"{name} {key}"
            assert all(got[c] is None for c in got.keys() - want.keys()), f"{name} {key}: extra columns"


def assert_instants_in_sql(db: psycopg.Connection, schema: str, emulator) -> None:
    """The date-times compared by PostgreSQL itself with Zoho's own text of them (the org's and
    the Creator app's local time with its offset, cast to timestamptz)."""
    for table, key, column, records in [
        ("crm_leads", "id", "Created_Time", emulator.dataset.records("crm", "Leads")),
        ("bigin_pipelines", "id", "Modified_Time", emulator.dataset.records("bigin", "Pipelines")),
        (creator_stream(REPORTS[0]), "ID", "Added_Time", emulator.dataset.records("creator", REPORTS[0])),
    ]:
        ids = [r[key] for r in records]
        local = [r[column].isoformat() for r in records]
        assert any(not text.endswith("+00:00") for text in local), "no instant of a non-UTC offset"
        query = sql.SQL("SELECT count(*) FROM {} t JOIN unnest(%s::text[], %s::text[]) AS z(k, at) ON t.{} = z.k "
                        "WHERE t.{} AT TIME ZONE 'UTC' = z.at::timestamptz").format(
            sql.Identifier(schema, table), sql.Identifier(key), sql.Identifier(column))
        assert db.execute(query, (ids, local)).fetchone() == (len(records),), f"{table}.{column}"


# --- the tests ------------------------------------------------------------------------------
def warehouse_config(emulator, **overrides: Any) -> dict[str, Any]:
    """Every CRM and Bigin module, a Creator report of each app, the deleted records; deals by
    Modified_Time (so an update is re-sent)."""
    return tap_config(emulator, crm_modules=["*"], bigin_modules=["*"], creator_reports=REPORTS,
                      include_deleted=True, stream_options={"crm_deals": {"replication_key": "Modified_Time"}},
                      **overrides)


def delete_some(emulator) -> None:
    for product, module, indexes in [("crm", "Leads", (0, 5, 7)), ("bigin", "Contacts", (2,)),
                                     ("crm", "Deals", (1,))]:
        records = emulator.dataset.records(product, module)
        emulator.dataset.delete_records(product, module, [records[i]["id"] for i in indexes])


def test_a_load_holds_every_record_once_incremental_runs_add_only_the_new_and_re_runs_upsert(
        tmp_path, make_emulator, target, postgres):
    emulator = make_emulator(records_per_module=25)
    delete_some(emulator)
    next_second()
    config = warehouse_config(emulator)
    schema = "warehouse"
    first = load(tmp_path / "1", postgres, target, config, schema).check()
    with connect(postgres) as db:
        expected = expected_tables(emulator, config)
        assert len(expected) == 2 * (6 + 4) + 2  # CRM and Bigin modules, their deletions, two reports
        assert sum(len(t.rows) for t in expected.values()) > 250
        assert len(expected["crm_leads_deleted"].rows) == 3 and len(expected["bigin_contacts_deleted"].rows) == 1
        assert_warehouse_holds(db, schema, expected)
        assert_instants_in_sql(db, schema, emulator)
        before = {name: batched_at(db, schema, name, t.key) for name, t in expected.items()}
        products_before = expected["bigin_products"].rows

    # Incremental: new leads and offers, a changed deal (Modified_Time), a new deletion.
    added = {"crm_leads": [r["id"] for r in emulator.dataset.add_records("crm", "Leads", 4)],
             creator_stream(REPORTS[0]): [r["ID"] for r in emulator.dataset.add_records("creator", REPORTS[0], 3)]}
    deal = emulator.dataset.records("crm", "Deals")[3]["id"]
    emulator.dataset.update_record("crm", "Deals", deal, Deal_Name="Renamed ✓", Amount=1234.5)
    gone = emulator.dataset.records("bigin", "Products")[4]["id"]
    emulator.dataset.delete_records("bigin", "Products", [gone])
    next_second()
    load(tmp_path / "2", postgres, target, config, schema, state=first.final_state).check()
    with connect(postgres) as db:
        expected = expected_tables(emulator, config)
        # the warehouse keeps the product deleted since, as it was: the deletion is a row of its own
        assert gone not in expected["bigin_products"].rows
        expected["bigin_products"].rows[gone] = products_before[gone]
        assert_warehouse_holds(db, schema, expected)
        assert rows_of(db, schema, "crm_deals", "id")[0][deal]["Deal_Name"] == "Renamed ✓"
        after = {name: batched_at(db, schema, name, t.key) for name, t in expected.items()}
        written = {name: {k for k, at in rows.items() if before[name].get(k) != at} for name, rows in after.items()}
        assert {name: keys for name, keys in written.items() if keys} == {
            **{name: set(ids) for name, ids in added.items()}, "crm_deals": {deal},
            "bigin_products_deleted": {gone}}

    # A re-run without state sends every record again: each lands on its row, none twice.
    load(tmp_path / "3", postgres, target, config, schema).check()
    with connect(postgres) as db:
        assert_warehouse_holds(db, schema, expected)
        again = {name: batched_at(db, schema, name, t.key) for name, t in expected.items()}
        rewritten = {name: {k for k, at in rows.items() if after[name].get(k) != at} for name, rows in again.items()}
        assert rewritten["crm_leads"] == set(expected["crm_leads"].rows)
        assert rewritten["bigin_products"] == set(expected["bigin_products"].rows) - {gone}


def test_batch_files_land_as_the_records_do(tmp_path, make_emulator, target, postgres):
    emulator = make_emulator(records_per_module=25)
    delete_some(emulator)
    next_second()
    records = warehouse_config(emulator)
    root = tmp_path / "batches"
    batches = warehouse_config(emulator, batch_config={
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": root.as_uri(), "prefix": "zoho-"}, "batch_size": 10})
    load(tmp_path / "records", postgres, target, records, "via_records").check()
    load(tmp_path / "batches-run", postgres, target, batches, "via_batch").check()
    expected = expected_tables(emulator, records)
    files = list(root.glob("zoho-*.gz"))  # every record went through a file (the tap sent BATCH only)
    assert sum(len(gzip.decompress(f.read_bytes()).splitlines()) for f in files) == sum(
        len(t.rows) for t in expected.values())
    with connect(postgres) as db:
        assert_warehouse_holds(db, "via_batch", expected)
        assert_instants_in_sql(db, "via_batch", emulator)
        for name, table in expected.items():
            assert column_types(db, "via_batch", name) == column_types(db, "via_records", name), name
            assert rows_of(db, "via_batch", name, table.key) == rows_of(db, "via_records", name, table.key), name
