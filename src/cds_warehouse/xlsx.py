"""Excel exports of a source: the sheet is turned into the source's CSV form, then loaded as a CSV.

Portal exports in XLSX put title rows above the header and store dates as Excel dates or as text;
the CSV form is what the loader's rules are written for, so one set of rules serves both formats.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import TextIO

from cds_warehouse.sources import SourceSpec

HEADER_SEARCH_ROWS = 30


class XlsxError(Exception):
    pass


def _cell_text(value) -> str:
    """A cell as the text a person reads in it, in the CSV conventions (dd/mm/yyyy, plain numbers)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() != dt.time(0):
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, dt.datetime):  # a date cell: Excel keeps dates as midnight
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_header(row: tuple, spec: SourceSpec) -> bool:
    known = sum(1 for v in row if isinstance(v, str) and spec.column_for_header(v) is not None)
    required = sum(1 for c in spec.columns if c.required)
    return known >= required


def xlsx_to_csv(path: Path, out: TextIO, spec: SourceSpec) -> None:
    """Write the first sheet holding the source's header as CSV to `out`; rows above the header are
    dropped, and so are the values of personal-data columns the warehouse drops (names, addresses,
    summaries): they are not even copied."""
    from openpyxl import load_workbook  # 0.1-0.2 s to import, and CSV exports never need it

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            for _, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False):
                if _is_header(row, spec):
                    width = max(i for i, v in enumerate(row) if v not in (None, "")) + 1
                    columns = [spec.column_for_header(v) if isinstance(v, str) else None for v in row[:width]]
                    kept = {i for i, c in enumerate(columns) if c is None or c.lands}
                    writer = csv.writer(out)
                    writer.writerow([_cell_text(v) for v in row[:width]])
                    for data in rows:
                        cells = [_cell_text(v) for v in data[:width]]
                        if any(cells):
                            cells += [""] * (width - len(cells))
                            writer.writerow([cells[i] if i in kept else "" for i in range(width)])
                    return
    finally:
        workbook.close()
    raise XlsxError(f"{path.name}: no sheet has the {spec.name} header in its first {HEADER_SEARCH_ROWS} rows")
