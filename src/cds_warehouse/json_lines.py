"""JSON-lines exports (one JSON object per line, ``.jsonl`` or ``.ndjson``): turned into the source's CSV
form, then loaded as a CSV, as XLSX exports are (xlsx.py): one set of rules serves every format.

Each object's keys are the headers (a key missing from a line is a blank cell), its values the cells as
the CSV would write them: text as it is, numbers as written (2.0 as 2), true/false as 1/0, null as blank.
Data row n of the load is the file's n-th object. The file is read whole by pyarrow (vectorised; memory
in the order of the file's size): a streaming read would fix each key's type from the first block, and a
key that is null for the first thousands of dossiers (the finish time of open ones) would fail later.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

SUFFIXES = {".jsonl", ".ndjson"}


class JsonLinesError(Exception):
    pass


def is_json_lines(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def json_lines_to_csv(path: Path, out: BinaryIO, file_name: str) -> None:
    """Write the file's objects as CSV (a header row of the keys, then one row per object) to ``out``."""
    table = _read(path, file_name)
    if any(pa.types.is_timestamp(f.type) for f in table.schema):
        # pyarrow reads ISO dates ("2024-01-15") as timestamps, which would lose how they were written (a
        # date alone, or a time): read those keys again as the text they are
        schema = pa.schema([(f.name, pa.string() if pa.types.is_timestamp(f.type) else f.type) for f in table.schema])
        table = _read(path, file_name, schema)
    columns = [_as_text(table.column(i), name, file_name) for i, name in enumerate(table.column_names)]
    pacsv.write_csv(pa.table(columns, names=table.column_names), out)


def _read(path: Path, file_name: str, schema: pa.Schema | None = None) -> pa.Table:
    try:
        return pajson.read_json(path, parse_options=pajson.ParseOptions(explicit_schema=schema))
    except pa.ArrowInvalid as exc:
        # pyarrow's message may quote the line (personal data): only its row number is kept
        where = re.search(r"row (\d+)", str(exc))
        at = f" near object {int(where.group(1)) + 1}" if where else ""
        raise JsonLinesError(
            f"{file_name}: not JSON lines{at} (each line must be one complete JSON object, with each key's values"
            " of one kind); nothing loaded"
        ) from None


def _as_text(values: pa.ChunkedArray, name: str, file_name: str) -> pa.ChunkedArray:
    kind = values.type
    if pa.types.is_boolean(kind):
        return pc.if_else(values, "1", "0")
    if pa.types.is_null(kind):
        return pc.cast(values, pa.string())
    if pa.types.is_nested(kind):
        raise JsonLinesError(f"{file_name}: key {name!r} holds lists or objects, not values; nothing loaded")
    return pc.cast(values, pa.string())
