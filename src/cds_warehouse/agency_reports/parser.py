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

import datetime as dt
import re
import unicodedata
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from cds_warehouse.agency_reports.grid import Grid, read_grid, saved_at
from cds_warehouse.agency_reports.periods import (
    Period,
    PeriodError,
    is_letter_date_line,
    parse_period,
    parse_report_date,
)
from cds_warehouse.agency_reports.report import Issue, ParsedWorkbook, ReportFileError, SheetReport
from cds_warehouse.agency_reports.table_body import read_body
from cds_warehouse.agency_reports.template import Template, template
from cds_warehouse.agency_reports.text import clean, fold

MAX_FILE_BYTES = 50 << 20
NATIONAL_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc")
_DOCUMENT_NUMBER = re.compile(r"^so \d")


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
    _inherit_title_block(sheets, issues)
    for sheet in sheets:
        _check_title_block(sheet, issues)
    return ParsedWorkbook(name, saved_at(path), sheets, issues)


def _inherit_title_block(sheets: list[SheetReport], issues: list[Issue]) -> None:
    """A sheet without its own agency, province, period or report date takes the first sheet's."""
    for attr, label in (
        ("agency_text", "Đơn vị báo cáo"),
        ("province_text", "Tỉnh"),
        ("period_text", "Kỳ báo cáo"),
        ("submitted_text", "Ngày báo cáo"),
    ):
        donor = next((s for s in sheets if getattr(s, attr)), None)
        if donor is None:
            continue
        for sheet in sheets:
            if getattr(sheet, attr) is None and sheet is not donor:
                setattr(sheet, attr, getattr(donor, attr))
                if attr == "period_text":
                    sheet.period = donor.period
                if attr == "submitted_text":
                    sheet.submitted_on, sheet.submitted_at = donor.submitted_on, donor.submitted_at
                issues.append(Issue("info", f"{label} taken from sheet {donor.sheet_name!r}", sheet=sheet.sheet_name))


def _check_title_block(sheet: SheetReport, issues: list[Issue]) -> None:
    if sheet.agency_text is None:
        issues.append(Issue("error", "no reporting agency (Đơn vị báo cáo) in the title block", sheet=sheet.sheet_name))
    if sheet.period is None and sheet.period_text is None:
        issues.append(Issue("error", "no reporting period (Kỳ báo cáo) in the title block", sheet=sheet.sheet_name))
    elif sheet.period is None:
        issues.append(
            Issue("error", "is not a period (Tháng 9/2025, Quý III/2025, 6 tháng đầu năm 2025, Năm 2025)",
                  sheet=sheet.sheet_name, column="Kỳ báo cáo", cell_text=sheet.period_text)
        )  # fmt: skip


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
    _read_title_block(grid, header_rows[0], tpl, report, issues)
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


# --- title block ----------------------------------------------------------------------------------


def _read_title_block(grid: Grid, header_row: int, tpl: Template, report: SheetReport, issues: list) -> None:
    labelled: dict[str, tuple[object, str]] = {}
    free_lines: list[str] = []
    for row in range(1, header_row):
        cells = [(c, grid.cells[(row, c)][0]) for c in range(1, grid.max_col + 1) if (row, c) in grid.cells]
        skip_next = False
        for i, (_, value) in enumerate(cells):
            if skip_next:
                skip_next = False
                continue
            text = clean(value) if not isinstance(value, dt.date) else None
            if text is None:
                continue
            label, colon, rest = text.partition(":")
            field_name = tpl.title_field(label) if colon else tpl.title_field(text)
            if field_name is not None:
                if colon and rest.strip():
                    labelled.setdefault(field_name, (rest.strip(), text))
                elif i + 1 < len(cells):  # the value is in the next cell of the row
                    labelled.setdefault(field_name, (cells[i + 1][1], text))
                    skip_next = True
                continue
            free_lines.append(text)
    report.heading_lines = free_lines
    report.title = next((line for line in free_lines if fold(line).startswith("bao cao")), None)

    if "agency" in labelled:
        report.agency_text = clean(labelled["agency"][0])
    if "province" in labelled:
        report.province_text = clean(labelled["province"][0])
    if "unit" in labelled:
        report.default_unit = clean(labelled["unit"][0])
    title_index = next((i for i, line in enumerate(free_lines) if line == report.title), len(free_lines))
    heading = [
        line
        for line in free_lines[:title_index]
        if fold(line) not in NATIONAL_MOTTO and not is_letter_date_line(line) and not _DOCUMENT_NUMBER.match(fold(line))
    ]
    if report.province_text is None:
        report.province_text = next((line for line in heading if _is_province_committee(line)), None)
    if report.agency_text is None and heading:
        report.agency_text = heading[-1]  # "UBND TỈNH X" above "SỞ …": the lower line is the agency

    if "period" in labelled:
        value = labelled["period"][0]
        report.period_text = clean(value) if not isinstance(value, dt.date) else f"{value:%m/%Y}"
        report.period = _period(report.period_text, report.sheet_name, issues)
    else:
        for line in [report.title, *free_lines]:
            if line is None or is_letter_date_line(line):
                continue
            try:
                period = parse_period(line)
            except PeriodError:
                continue
            if period is not None:
                report.period_text, report.period = line, period
                break

    submitted = labelled.get("submitted")
    if submitted is not None:
        value = submitted[0]
        report.submitted_text = value.isoformat() if isinstance(value, dt.date) else clean(value)
        report.submitted_on, report.submitted_at = parse_report_date(value)
        if report.submitted_on is None:
            issues.append(
                Issue("warning", "is not a date dd/mm/yyyy; the report's version is ordered by the file instead",
                      sheet=report.sheet_name, column="Ngày báo cáo", cell_text=report.submitted_text)
            )  # fmt: skip
    else:
        line = next((line for line in free_lines if is_letter_date_line(line)), None)
        if line is not None:
            report.submitted_text = line
            report.submitted_on, report.submitted_at = parse_report_date(line)


def _is_province_committee(line: str) -> bool:
    key = fold(line)
    return key.startswith(("ubnd tinh ", "uy ban nhan dan tinh ", "ubnd thanh pho ", "uy ban nhan dan thanh pho "))


def _period(text: str | None, sheet: str, issues: list[Issue]) -> Period | None:
    try:
        return parse_period(text)
    except PeriodError as exc:
        issues.append(Issue("error", str(exc), sheet=sheet, column="Kỳ báo cáo", cell_text=text))
        return None
