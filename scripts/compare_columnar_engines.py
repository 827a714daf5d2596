"""Why polars: the two columnar engines on the tap's job, one narrow CRM export, in one run.

The job: CSV text (from the ZIP, in bounded blocks) -> text columns -> JSON lines. Typing adds
the same vectorised casts to either; what differs is the reading and, above all, the writing:
polars writes JSON lines itself, pyarrow has no JSON writer, so its records must become Python
objects (`to_pylist`) to be encoded (orjson here, the fastest encoder). Both read every column
as text, as the tap does. Needs pyarrow (a development dependency; the tap does not use it).

    .venv/bin/python scripts/compare_columnar_engines.py [records]
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from benchmark_sync import emulator_for, fetch_result, leads_catalog, naive_loop

from tap_zoho_bulk.export import open_blocks


def with_polars(zip_path: Path) -> int:
    count = 0
    sink = io.BytesIO()
    with open_blocks(zip_path) as (header, blocks):
        schema = {f"c{i}": pl.String for i in range(len(header))}
        for block in blocks:
            frame = pl.read_csv(io.BytesIO(block), has_header=False, infer_schema=False, schema=schema)
            frame.write_ndjson(sink)
            sink.seek(0)
            sink.truncate()
            count += frame.height
    return count


def with_pyarrow(zip_path: Path) -> int:
    count = 0
    with zipfile.ZipFile(zip_path) as archive, archive.open(archive.infolist()[0]) as raw:
        header = raw.readline().decode("utf-8-sig").strip().split(",")
        reader = pacsv.open_csv(
            raw, read_options=pacsv.ReadOptions(column_names=header, block_size=4 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())))
        sink = io.BytesIO()
        for batch in reader:
            for record in batch.to_pylist():
                sink.write(orjson.dumps(record))
                sink.write(b"\n")
            sink.seek(0)
            sink.truncate()
            count += batch.num_rows
    return count


def main(records: int) -> None:
    with emulator_for(records) as emulator, tempfile.TemporaryDirectory() as tmp:
        _, fields = leads_catalog(emulator, Path(tmp), narrow=True)
        zip_path = Path(tmp) / "result.zip"
        fetch_result(emulator, fields, zip_path)
        count, naive = naive_loop(zip_path)
        print(f"{count:,} records x {len(fields) + 1} columns; naive csv -> orjson loop: {naive:,.0f} rec/s")
        for name, run in (("polars: read_csv + write_ndjson", with_polars),
                          ("pyarrow: open_csv + to_pylist + orjson", with_pyarrow)):
            started = time.perf_counter()
            assert run(zip_path) == count
            rate = count / (time.perf_counter() - started)
            print(f"{name:<40} {rate:>10,.0f} rec/s  {rate / naive:5.2f} x naive")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
