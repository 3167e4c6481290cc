"""A sample file's header and its first values, as text: what the scaffold infers a source from."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

SAMPLE_ROWS = 5_000  # enough to see each column's kind; a sample file is small anyway
HEADER_SEARCH_ROWS = 30  # workbooks put title rows above the header


@dataclass(frozen=True)
class Sample:
    kind: str  # csv | xlsx
    headers: list[str]
    columns: list[list[str]]  # per header, its values as text ("" for a blank cell)


def read_sample(path: Path) -> Sample:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _from_rows("csv", _csv_rows(path))
    if suffix in (".xlsx", ".xlsm"):
        return _from_rows("xlsx", _xlsx_rows(path))
    raise ValueError(f"{path.name}: a sample must be a CSV or an XLSX file")


def _csv_rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [row for _, row in zip(range(SAMPLE_ROWS + HEADER_SEARCH_ROWS), reader, strict=False)]


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_row=SAMPLE_ROWS + HEADER_SEARCH_ROWS, values_only=True)
        return [[_cell_text(v) for v in row] for row in rows]
    finally:
        book.close()


def _cell_text(value) -> str:
    """A cell as the loader's CSV form writes it (cds_warehouse.xlsx): dd/mm/yyyy dates, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y" if value.time() == dt.time(0) else "%d/%m/%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _from_rows(kind: str, rows: list[list[str]]) -> Sample:
    """The header is the first of the top rows with the most filled cells (title rows above it have fewer)."""
    top = rows[:HEADER_SEARCH_ROWS]
    filled = [sum(1 for v in row if v.strip()) for row in top]
    if not filled or max(filled) == 0:
        raise ValueError("the sample has no header row")
    at = filled.index(max(filled))
    width = max(i for i, v in enumerate(rows[at]) if v.strip()) + 1
    headers = [h.strip() for h in rows[at][:width]]
    if any(not h for h in headers):
        raise ValueError(f"the header row (row {at + 1}) has blank cells between its headers")
    body = [row for row in rows[at + 1 :] if any(v.strip() for v in row)]
    columns = [[(row[i] if i < len(row) else "").strip() for row in body] for i in range(width)]
    return Sample(kind, headers, columns)
