"""The columnar record path: a result's CSV typed a block at a time by polars, never row by row.

Polars parses a block of complete CSV rows (`export.open_blocks`) into text columns in Rust and
types each column with one vectorised expression. The typing contract is the row path's
(`schema.RowConverter`), and the row path's converters stay its arbiter: a vectorised expression
only decides the cells it can decide exactly (a strict pattern in front of every cast) and leaves
the rest null; every cell left undecided goes to the row path's converter, so an unusual value
(`1.2e1` in an integer field, a datetime in `Z`, a whitespace Python strips and Rust does not) is
typed exactly as the row path types it, and an invalid one fails or becomes null the same way.

Typed blocks leave as Singer RECORD lines (`record_lines`, written by polars' JSON writer) or as
BATCH files (`write_jsonl` / `write_parquet`), without a Python object per record.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import polars as pl
from isal import igzip

from tap_zoho_bulk.schema import (
    Converter,
    InvalidValue,
    RowConverter,
    iso_to_utc,
    json_type,
    split_multiselect,
    to_bool,
    to_date,
    to_int,
    to_number,
)

# A vectorised converter: an expression over a text column (empty cells already null) giving the
# typed value of each cell it can decide exactly, null for every other cell.
FastConverter = Callable[[pl.Expr], pl.Expr]

DTYPES: dict[str, Any] = {
    "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "array": pl.List(pl.String),
}
_CRM_INSTANT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$"
_PYTHON_ONLY_SPACE = r"[\x1c-\x1f]"  # str.strip() strips these, Rust's trim does not


def fast_int(text: pl.Expr) -> pl.Expr:
    """Plain decimal integers of up to 18 digits (always within int64)."""
    return pl.when(text.str.contains(r"^[+-]?[0-9]{1,18}$")).then(text.cast(pl.Int64, strict=False))


def fast_number(text: pl.Expr) -> pl.Expr:
    """Decimal numbers without exponent (the cast rounds correctly, as Python's float() does)."""
    return pl.when(text.str.contains(r"^[+-]?[0-9]{1,300}(\.[0-9]{1,300})?$")).then(
        text.cast(pl.Float64, strict=False))


def fast_bool(text: pl.Expr) -> pl.Expr:
    return pl.when(text == "true").then(True).when(text == "false").then(False)


def fast_date(text: pl.Expr) -> pl.Expr:
    """`YYYY-MM-DD` that is a real date, as it is (what the row path's isoformat gives)."""
    valid = text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$") & text.str.to_date(
        "%Y-%m-%d", strict=False).is_not_null()
    return pl.when(valid).then(text)


def fast_instant(text: pl.Expr) -> pl.Expr:
    """`YYYY-MM-DDTHH:MM:SS±hh:mm` (Zoho CRM's form) → the tap's UTC form."""
    shaped = text.str.contains(_CRM_INSTANT)
    instant = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", strict=False, time_zone="UTC")
    return pl.when(shaped).then(format_utc(instant))


def format_utc(instant: pl.Expr) -> pl.Expr:
    """A UTC datetime expression in the tap's one textual form (schema.format_instant)."""
    return instant.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def fast_multiselect(text: pl.Expr) -> pl.Expr:
    parts = text.str.split(";").list.eval(pl.element().str.strip_chars())
    return pl.when(~text.str.contains(_PYTHON_ONLY_SPACE)).then(
        parts.list.eval(pl.element().filter(pl.element().str.len_bytes() > 0)))


GENERIC: dict[Converter, FastConverter] = {
    to_int: fast_int, to_number: fast_number, to_bool: fast_bool, to_date: fast_date,
    iso_to_utc: fast_instant, split_multiselect: fast_multiselect,
}


@dataclass(frozen=True)
class Column:
    """How one record field is typed from one CSV column."""

    name: str  # record key
    index: int  # position in the CSV header
    exact: Converter | None  # the row path's converter (None: the text as it is)
    fast: FastConverter | None  # decides the cells it can; None: every cell goes to `exact`
    dtype: Any
    type_name: str


class BlockTyper:
    """Types blocks of one result file with the row path's contract (see the module docstring).

    Built from the `RowConverter` of the same file, so both paths share one plan: the selected
    fields present in the header, their converters, and what is invalid.
    """

    def __init__(
        self,
        rows: RowConverter,
        schema: Mapping[str, Any],
        width: int,
        *,
        key_index: int | None,
        vectorised: Mapping[Converter, FastConverter] | None = None,
    ) -> None:
        properties = schema.get("properties", {})
        fast = {**GENERIC, **(vectorised or {})}
        self.columns = [
            Column(name, index, exact, fast.get(exact) if exact is not None else None,
                   DTYPES.get(json_type(properties[name]), pl.String), type_name)
            for name, index, exact, type_name in rows.plan
        ]
        self.width = width
        self.key_index = key_index
        self.null_invalid = rows.null_invalid
        self.nulled: Counter[str] = rows.nulled
        self.by_converter: Counter[str] = Counter()  # cells the expressions left to the converter
        self._select = [self._expression(column) for column in self.columns]

    @staticmethod
    def _expression(column: Column) -> pl.Expr:
        text = pl.col(f"c{column.index}")
        if column.exact is None:
            return text.alias(column.name)
        if column.fast is not None:
            return column.fast(text).cast(column.dtype).alias(column.name)
        return pl.lit(None, dtype=column.dtype).alias(column.name)

    def parse(self, block: bytes) -> pl.DataFrame:
        """The block's rows as text columns `c0…`, empty cells null (quoted or not)."""
        return pl.read_csv(
            block, has_header=False, quote_char='"', infer_schema=False, null_values=[""],
            schema={f"c{i}": pl.String for i in range(self.width)},
        )

    def type_block(self, block: bytes) -> pl.DataFrame:
        """The block's records: one typed column per field present, in the row path's order."""
        texts = self.parse(block)
        typed = texts.lazy().select(self._select).collect()  # a quarter faster than eager select
        for column in self.columns:
            if column.exact is None:
                continue
            source, values = texts.get_column(f"c{column.index}"), typed.get_column(column.name)
            missing = (source.is_not_null() & values.is_null()).arg_true()
            if len(missing):
                self.by_converter[column.name] += len(missing)
                typed = typed.with_columns(self._decide(column, source, values, missing, texts))
        return typed

    def _decide(
        self, column: Column, source: pl.Series, values: pl.Series, missing: pl.Series, texts: pl.DataFrame
    ) -> pl.Series:
        """The undecided cells of one column, typed by the row path's converter."""
        assert column.exact is not None
        decided: list[Any] = []
        for row, text in zip(missing.to_list(), source.gather(missing).to_list(), strict=True):
            try:
                decided.append(column.exact(text))
            except ValueError:
                if not self.null_invalid:
                    key = None if self.key_index is None else texts.get_column(f"c{self.key_index}")[row]
                    raise BlockInvalid(InvalidValue(column.name, column.type_name), key) from None
                decided.append(None)
                self.nulled[column.name] += 1
        if column.dtype == DTYPES["array"]:
            merged = values.to_list()
            for row, value in zip(missing.to_list(), decided, strict=True):
                merged[row] = value
            return pl.Series(column.name, merged, dtype=column.dtype)
        return values.scatter(missing, pl.Series(decided, dtype=column.dtype))


class BlockInvalid(ValueError):
    """An invalid cell in a block: the field and type, and the record's id (never the cell)."""

    def __init__(self, invalid: InvalidValue, key: str | None) -> None:
        super().__init__(str(invalid))
        self.invalid = invalid
        self.key = key


FALLBACK_ROWS = 10_000  # rows per frame when the row path types the rest of a file


def typed_frames(
    blocks: Iterator[bytes],
    typer: BlockTyper,
    rest: Callable[[int], Iterator[dict[str, Any]]],
    on_fallback: Callable[[int], None] = lambda _done: None,
) -> Iterator[pl.DataFrame]:
    """A file's records as typed frames. Should polars fail to read a block (CSV that Python's
    csv, which checked the file, reads otherwise: a stray quote in an unquoted cell), the rest
    of the file comes from the row path: `rest(n)` gives the records after the first n."""
    done = 0
    for block in blocks:
        try:
            typed = typer.type_block(block)
        except pl.exceptions.PolarsError:
            break
        yield typed
        done += typed.height
    else:
        return
    on_fallback(done)
    schema = {column.name: column.dtype for column in typer.columns}
    rows: list[dict[str, Any]] = []
    for record in rest(done):
        rows.append(record)
        if len(rows) == FALLBACK_ROWS:
            yield pl.DataFrame(rows, schema=schema)
            rows = []
    if rows:
        yield pl.DataFrame(rows, schema=schema)


def write_records(typed: pl.DataFrame, stream: str, out: IO[bytes], *, version: int | None = None,
                  time_extracted: dt.datetime | None = None) -> None:
    """The block's records as Singer RECORD lines, as the SDK writes them (keys in its order)."""
    extracted = (time_extracted or dt.datetime.now(dt.UTC)).isoformat()
    envelope = [pl.lit("RECORD").alias("type"), pl.lit(stream).alias("stream"),
                pl.struct(pl.all()).alias("record")]
    if version is not None:
        envelope.append(pl.lit(version, dtype=pl.Int64).alias("version"))
    envelope.append(pl.lit(extracted).alias("time_extracted"))
    typed.select(envelope).write_ndjson(out)


def write_jsonl(blocks: Sequence[pl.DataFrame], out: IO[bytes], *, compress: bool) -> None:
    """Records as JSON lines (a BATCH file), gzipped when asked: by ISA-L (`isal`) at its level 1,
    several times faster than zlib's fastest level (scripts/benchmark_sync.py, BATCH jsonl.gz)."""
    buffer = io.BytesIO()
    for block in blocks:
        block.write_ndjson(buffer)
    if compress:
        out.write(igzip.compress(buffer.getbuffer(), compresslevel=1))
    else:
        out.write(buffer.getbuffer())


def write_parquet(blocks: Sequence[pl.DataFrame], out: IO[bytes], *, compress: bool) -> None:
    """Records as one Parquet file (a BATCH file), gzip-compressed when asked (as the SDK does)."""
    frame = pl.concat(blocks, how="vertical_relaxed") if len(blocks) > 1 else blocks[0]
    frame.write_parquet(out, compression="gzip" if compress else "uncompressed")
