"""Read an agency's report workbook as a person would (rules: docs/sources/agency_reports.md).

Each visible sheet that holds a table with the template's columns is one report: the header row is the
row (among the first 40) that names the most template columns, combined with the row above or below it
when the header spans two rows; the rows above it are the title block (agency, province, period, report
date). Merged cells are read as their top-left value, given to the first column of the range in every row
it spans. Rows without any value are headings, blank or footnote rows; a row starting with "Ghi chú",
"Nơi nhận", "Người lập biểu" … ends the table. Everything that cannot be read is reported as an Issue
with file, sheet, row, column and reason; nothing is silently dropped.

The workbook is opened read-only (streamed); merged ranges, which openpyxl does not give in that mode,
are read from the sheet's XML.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from cds_warehouse.agency_reports.body import read_body
from cds_warehouse.agency_reports.grid import Grid, read_grid, saved_at
from cds_warehouse.agency_reports.report import Issue, ParsedWorkbook, ReportFileError, SheetReport
from cds_warehouse.agency_reports.template import Template, template
from cds_warehouse.agency_reports.title_block import check_title_block, inherit_title_block, read_title_block

MAX_FILE_BYTES = 50 << 20

# --- the workbook ---------------------------------------------------------------------------------


def parse_workbook(path: str | Path, tpl: Template | None = None) -> ParsedWorkbook:
    """Every report in the workbook, and what could not be read. Raises ReportFileError when none."""
    path = Path(path)
    tpl = tpl or template()
    name = path.name
    if path.suffix.lower() not in tpl.extensions:
        hint = " (Excel 97–2003 format: open it in Excel and save it as .xlsx)" if path.suffix.lower() == ".xls" else ""
        raise ReportFileError(f"{name}: not an Excel workbook ({', '.join(tpl.extensions)}){hint}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ReportFileError(f"{name}: {path.stat().st_size:,} bytes; a report workbook is expected below 50 MB")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML or openpyxl errors: the file is not a readable workbook
        raise ReportFileError(f"{name}: cannot be opened as an Excel workbook ({type(exc).__name__}: {exc})") from exc
    issues: list[Issue] = []
    sheets: list[SheetReport] = []
    try:
        for index, ws in enumerate(wb.worksheets, start=1):
            if ws.sheet_state != "visible":
                issues.append(Issue("info", "hidden sheet, not read", sheet=_sheet_name(ws)))
                continue
            report = _parse_sheet(ws, index, tpl, issues)
            if report is not None:
                sheets.append(report)
    finally:
        wb.close()
    if not sheets:
        details = "; ".join(str(i) for i in issues if i.severity != "info") or "no sheet has a table"
        raise ReportFileError(
            f"{name}: no sheet has a table with the template's columns "
            f"({', '.join(c.header for c in tpl.columns)}) and at least one value: {details}"
        )
    inherit_title_block(sheets, issues)
    for sheet in sheets:
        check_title_block(sheet, issues)
    return ParsedWorkbook(name, saved_at(path), sheets, issues)


# --- one sheet ------------------------------------------------------------------------------------


def _sheet_name(ws) -> str:
    return unicodedata.normalize("NFC", ws.title)


def _parse_sheet(ws, index: int, tpl: Template, issues: list[Issue]) -> SheetReport | None:
    grid = read_grid(ws)
    name = _sheet_name(ws)
    found = _find_header(grid, tpl)
    if found is None:
        issues.append(Issue("info", "no table with the template's columns; sheet not read", sheet=name))
        return None
    header_rows, columns = found
    report = SheetReport(
        sheet_index=index,
        sheet_name=name,
        header_row=header_rows[0],
        columns={column: get_column_letter(col) for column, col in columns.items()},
    )
    _note_extra_columns(grid, header_rows, columns, name, issues)
    read_title_block(grid, header_rows[0], tpl, report, issues)
    read_body(grid, header_rows[-1] + 1, columns, tpl, report, issues)
    if report.rows_read == 0:
        issues.append(Issue("info", "table has no values; sheet not read", sheet=name))
        return None
    return report


def _header_mapping(grid: Grid, row: int, tpl: Template) -> dict[int, str]:
    mapping = {}
    for col, text in grid.row_texts(row):
        name = tpl.column_for_header(text)
        if name is not None:
            mapping[col] = name
    return mapping


def _find_header(grid: Grid, tpl: Template) -> tuple[list[int], dict[str, int]] | None:
    """The header row(s) and the column of each template column found."""
    best_row, best = None, {}
    for row in range(1, min(grid.max_row, tpl.header_search_rows) + 1):
        mapping = _header_mapping(grid, row, tpl)
        names = set(mapping.values())
        if "indicator_text" in names and len(names) >= 3 and len(names) > len(set(best.values())):
            best_row, best = row, mapping
    if best_row is None:
        return None
    rows = [best_row]
    # A header on two rows: a group label above sub-headers ("Kết quả" over Kế hoạch, Thực hiện, …).
    # The lower row is the more specific one: its names win.
    for neighbour in (best_row - 1, best_row + 1):
        if neighbour < 1 or _row_has_numbers(grid, neighbour):
            continue
        extra = _header_mapping(grid, neighbour, tpl)
        if len(extra) < 2:
            continue
        if neighbour < best_row:  # part of the header even when it adds nothing (a merged group label)
            used = set(best.values())
            best = {**best, **{c: n for c, n in extra.items() if c not in best and n not in used}}
            rows.append(neighbour)
            continue
        merged = {c: n for c, n in best.items() if n not in extra.values()} | extra
        if merged != best:
            best = merged
            rows.append(neighbour)
    columns: dict[str, int] = {}
    for col in sorted(best):
        columns.setdefault(best[col], col)  # the first column wins when a header repeats
    return sorted(rows), columns


def _row_has_numbers(grid: Grid, row: int) -> bool:
    return any(isinstance(grid.value(row, c), int | float) for c in range(1, grid.max_col + 1))


def _note_extra_columns(grid, header_rows, columns, sheet, issues) -> None:
    known = set(columns.values())
    extra = []
    for col in range(1, grid.max_col + 1):
        if col in known:
            continue
        texts = [t for r in header_rows if (t := grid.text(r, col))]
        if texts:
            extra.append(f"{get_column_letter(col)} ({' / '.join(dict.fromkeys(texts))})")
    if extra:
        issues.append(Issue("info", f"columns not in the template are ignored: {', '.join(extra)}", sheet=sheet))
