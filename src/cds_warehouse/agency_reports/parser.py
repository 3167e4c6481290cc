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
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from cds_warehouse.agency_reports.numbers import BLANK, Number, parse_number, tidy
from cds_warehouse.agency_reports.periods import (
    Period,
    PeriodError,
    is_letter_date_line,
    parse_period,
    parse_report_date,
)
from cds_warehouse.agency_reports.template import VALUE_COLUMNS, Template, template
from cds_warehouse.agency_reports.text import clean, fold, indicator_key

log = logging.getLogger(__name__)
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
MAX_FILE_BYTES = 50 << 20
# Tolerances when comparing a reported rate with Tử số / Mẫu số (rounding in the report).
PERCENT_POINTS_TOLERANCE = Decimal("0.5")
FRACTION_TOLERANCE = Decimal("0.005")
RATE_WORDS = ("ti le ", "ti trong ")  # "Tỷ lệ …", "Tỷ trọng …": a rate even when the unit is blank
NATIONAL_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc")
_NUMBERING_CELL = re.compile(r"^[(\[]?[0-9A-Za-z]{1,4}[)\]]?(\s*[=*/+x:-]\s*[(\[]?[0-9A-Za-z]{1,4}[)\]]?)*$")
_DOCUMENT_NUMBER = re.compile(r"^so \d")
_UNIT_SUFFIX = re.compile(r"\(([^()]{1,20})\)\s*$")


class ReportFileError(Exception):
    """A file that cannot be read as a report at all (not a workbook, or no table in any sheet)."""


@dataclass(frozen=True)
class Issue:
    severity: str  # error: the row is not loaded | warning: a cell is ignored or read with a caveat | info
    reason: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    cell_text: str | None = None

    def __str__(self) -> str:
        where = []
        if self.sheet is not None:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = f"{self.cell_text!r} " if self.cell_text is not None else ""
        return f"[{self.severity}] {', '.join(where)}: {text}{self.reason}".replace(" : ", ": ")


@dataclass
class ReportRow:
    source_row: int  # the Excel row number
    indicator_text: str
    stt: str | None = None
    unit_text: str | None = None
    unit_kind: str | None = None  # percent | other | None (no unit given)
    level_text: str | None = None
    admin_level: str | None = None  # province | district | commune | all, None when blank or unknown
    plan_value: Decimal | None = None
    actual_value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    actual_text: str | None = None  # the Thực hiện cell as written
    value_derived: bool = False  # actual_value computed from Tử số / Mẫu số
    note: str | None = None

    @property
    def indicator_key(self) -> str:
        return indicator_key(self.indicator_text)


@dataclass
class SheetReport:
    sheet_index: int  # 1-based position in the workbook
    sheet_name: str
    header_row: int
    title: str | None = None
    agency_text: str | None = None
    province_text: str | None = None
    period_text: str | None = None
    period: Period | None = None
    submitted_text: str | None = None
    submitted_on: dt.date | None = None
    submitted_at: dt.datetime | None = None
    default_unit: str | None = None
    heading_lines: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # template column -> Excel column letter
    rows: list[ReportRow] = field(default_factory=list)
    rows_read: int = 0
    rows_rejected: int = 0


@dataclass
class ParsedWorkbook:
    file_name: str
    saved_at: dt.datetime | None  # when the workbook was last saved (its own metadata), UTC
    sheets: list[SheetReport]
    issues: list[Issue]

    @property
    def rows(self) -> list[tuple[SheetReport, ReportRow]]:
        return [(s, r) for s in self.sheets for r in s.rows]

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sheets)

    @property
    def rows_loaded(self) -> int:
        return sum(len(s.rows) for s in self.sheets)

    @property
    def rows_rejected(self) -> int:
        return sum(s.rows_rejected for s in self.sheets)


# --- reading cells --------------------------------------------------------------------------------


class _Grid:
    """A sheet's cells (value, number format) by row and column, with merged ranges resolved."""

    def __init__(self, cells: dict[tuple[int, int], tuple[object, str | None]], merges: list[tuple[int, ...]]):
        self.cells = cells
        self.max_row = max((r for r, _ in cells), default=0)
        self.max_col = max((c for _, c in cells), default=0)
        self.merged_from: dict[tuple[int, int], tuple[int, int] | None] = {}
        for r1, c1, r2, c2 in merges:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    # The first column of the range holds its value in every row; the others are empty.
                    self.merged_from[(r, c)] = (r1, c1) if c == c1 else None
            self.max_row = max(self.max_row, r2)

    def get(self, row: int, col: int) -> tuple[object, str | None]:
        if (row, col) in self.merged_from:
            source = self.merged_from[(row, col)]
            return self.cells.get(source, (None, None)) if source else (None, None)
        return self.cells.get((row, col), (None, None))

    def value(self, row: int, col: int) -> object:
        return self.get(row, col)[0]

    def text(self, row: int, col: int) -> str | None:
        value = self.value(row, col)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return clean(value)

    def row_texts(self, row: int) -> list[tuple[int, str]]:
        return [(c, t) for c in range(1, self.max_col + 1) if (t := self.text(row, c)) is not None]


def _read_grid(ws) -> _Grid:
    ws.reset_dimensions()  # the stored dimension is often wrong in files written by other programs
    cells: dict[tuple[int, int], tuple[object, str | None]] = {}
    for r, row in enumerate(ws.iter_rows(), start=1):
        for c, cell in enumerate(row, start=1):
            value = cell.value
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            cells[(r, c)] = (value, getattr(cell, "number_format", None))
    return _Grid(cells, _merged_ranges(ws))


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of the sheet's merged ranges, streamed from its XML."""
    from openpyxl.utils.cell import range_boundaries

    ranges = []
    try:
        with ws._get_source() as source:  # read-only worksheets do not expose merged cells
            for _, element in ElementTree.iterparse(source, events=("end",)):
                if element.tag == f"{SHEET_NS}mergeCell":
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                    ranges.append((min_row, min_col, max_row, max_col))
                elif element.tag == f"{SHEET_NS}row":
                    element.clear()
    except (AttributeError, ElementTree.ParseError, KeyError, ValueError) as exc:
        log.warning("sheet %r: merged cells not read (%s); reading it without them", ws.title, exc)
    return ranges


def _saved_at(path: Path) -> dt.datetime | None:
    """dcterms:modified of docProps/core.xml: set by Excel when the workbook is saved (UTC)."""
    try:
        with zipfile.ZipFile(path) as archive:
            core = ElementTree.fromstring(archive.read("docProps/core.xml"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    node = core.find("{http://purl.org/dc/terms/}modified")
    if node is None or not (node.text or "").strip():
        return None
    try:
        stamp = dt.datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


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
    return ParsedWorkbook(name, _saved_at(path), sheets, issues)


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
    grid = _read_grid(ws)
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
    _read_body(grid, header_rows[-1] + 1, columns, tpl, report, issues)
    if report.rows_read == 0:
        issues.append(Issue("info", "table has no values; sheet not read", sheet=name))
        return None
    return report


def _header_mapping(grid: _Grid, row: int, tpl: Template) -> dict[int, str]:
    mapping = {}
    for col, text in grid.row_texts(row):
        name = tpl.column_for_header(text)
        if name is not None:
            mapping[col] = name
    return mapping


def _find_header(grid: _Grid, tpl: Template) -> tuple[list[int], dict[str, int]] | None:
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


def _row_has_numbers(grid: _Grid, row: int) -> bool:
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


def _read_title_block(grid: _Grid, header_row: int, tpl: Template, report: SheetReport, issues: list) -> None:
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


# --- table body -----------------------------------------------------------------------------------


@dataclass
class _Candidate:
    row: ReportRow
    numbers: dict[str, Number]


def _read_body(grid: _Grid, first_row: int, columns: dict[str, int], tpl, report: SheetReport, issues) -> None:
    sheet = report.sheet_name
    header = {c.name: c.header for c in tpl.columns}  # how issues name a column: "Thực hiện (F)"
    header.update({name: f"{header[name]} ({get_column_letter(col)})" for name, col in columns.items()})
    candidates: list[_Candidate] = []
    context: str | None = None  # the indicator a row without its own name belongs to
    if _is_numbering_row(grid, first_row):
        first_row += 1
    for row in range(first_row, grid.max_row + 1):
        texts = grid.row_texts(row)
        if not texts:
            continue

        def cell(name: str, row: int = row):
            return grid.get(row, columns[name]) if name in columns else (None, None)

        numbers = {name: parse_number(*cell(name)) if name in columns else BLANK for name in VALUE_COLUMNS}
        if tpl.ends_table(texts[0][1]) and not any(n.present for n in numbers.values()):
            break
        indicator = clean(cell("indicator_text")[0])
        level_text = clean(cell("level_text")[0])
        if indicator is not None and level_text is None and tpl.admin_level(indicator) and context:
            level_text, indicator = indicator, context  # "- Cấp tỉnh" under "Tỷ lệ hồ sơ trực tuyến"
        if not any(n.present for n in numbers.values()):
            if indicator is not None and not tpl.admin_level(indicator):
                context = indicator  # a heading, or an indicator left empty
            continue
        report.rows_read += 1
        if indicator is None:
            if context is not None and level_text is not None:
                indicator = context  # the same indicator, another level (name not repeated)
            else:
                report.rows_rejected += 1
                issues.append(
                    Issue("error", "values without an indicator name (Chỉ tiêu); row not loaded",
                          sheet=sheet, row=row, column=header["indicator_text"])
                )  # fmt: skip
                continue
        context = indicator
        bad = [(name, n) for name, n in numbers.items() if n.kind == "invalid"]
        fatal = [(name, n) for name, n in bad if name == "actual_value"]
        for name, n in bad:
            severity = "error" if fatal else "warning"
            outcome = "row not loaded" if fatal else "cell ignored"
            issues.append(
                Issue(severity, f"{n.reason}; {outcome}", sheet=sheet, row=row, column=header[name], cell_text=n.shown)
            )
        if fatal:
            report.rows_rejected += 1
            continue
        numbers = {name: (BLANK if n.kind == "invalid" else n) for name, n in numbers.items()}
        unit_text = clean(cell("unit_text")[0]) or report.default_unit
        if unit_text is None and (m := _UNIT_SUFFIX.search(indicator)):
            unit_text = m[1].strip()  # "Tỷ lệ hộ gia đình có cáp quang (%)"
        admin_level = tpl.admin_level(level_text) if level_text else None
        if level_text and admin_level is None:
            issues.append(
                Issue("warning", "is not a level (Tỉnh, Huyện, Xã, Toàn tỉnh); row kept for review",
                      sheet=sheet, row=row, column=header["level_text"], cell_text=level_text)
            )  # fmt: skip
        unit_kind = None
        if unit_text is not None:
            unit_kind = "percent" if tpl.is_percent_unit(unit_text) else "other"
        elif any(n.percent for n in numbers.values()) or any(
            indicator_key(indicator).startswith(w) for w in RATE_WORDS
        ):
            unit_kind = "percent"
        candidates.append(
            _Candidate(
                ReportRow(
                    source_row=row,
                    indicator_text=indicator,
                    stt=clean(grid.text(row, columns["stt"])) if "stt" in columns else None,
                    unit_text=unit_text,
                    unit_kind=unit_kind,
                    level_text=level_text,
                    admin_level=admin_level,
                    numerator=numbers["numerator"].value,
                    denominator=numbers["denominator"].value,
                    actual_text=numbers["actual_value"].shown,
                    note=clean(cell("note")[0]),
                ),
                numbers,
            )
        )
    _settle_values(candidates, sheet, header, issues)
    report.rows = [c.row for c in candidates]


def _is_numbering_row(grid: _Grid, row: int) -> bool:
    """The row of column numbers under a header: (1) (2) (3) …, A B 1 2 …, (5)=(6)/(7)."""
    texts = grid.row_texts(row)
    return len(texts) >= 3 and all(_NUMBERING_CELL.match(t) for _, t in texts)


def _settle_values(candidates: list[_Candidate], sheet: str, header: dict[str, str], issues: list[Issue]) -> None:
    """Plan and actual values in their unit: percentages in 0–100 whatever way the sheet wrote them."""
    fractions = {}  # per column: does the sheet write its percentages as fractions (0,766)?
    for name in ("plan_value", "actual_value"):
        bare = [
            n.value
            for c in candidates
            if c.row.unit_kind == "percent" and (n := c.numbers[name]).kind == "number" and not n.percent and n.value
        ]
        fractions[name] = bool(bare) and all(abs(v) <= 1 for v in bare)
    for c in candidates:
        row, numbers = c.row, c.numbers
        ratio = None
        if row.numerator is not None and row.denominator:
            ratio = row.numerator / row.denominator
        for name in ("plan_value", "actual_value"):
            n = numbers[name]
            if n.kind != "number":
                continue
            value = n.value
            if row.unit_kind == "percent" and not n.percent:
                value = _percent_value(n, ratio if name == "actual_value" else None, fractions[name], row, sheet,
                                       header[name], issues)  # fmt: skip
            elif row.unit_kind == "other" and n.percent:
                issues.append(
                    Issue("warning", f"has a % sign but the unit is {row.unit_text!r}; read as written",
                          sheet=sheet, row=row.source_row, column=header[name], cell_text=n.shown)
                )  # fmt: skip
            setattr(row, name, tidy(value))
        if row.actual_value is None and ratio is not None and row.unit_kind in ("percent", None):
            row.actual_value = tidy(round(100 * ratio, 4))
            row.unit_kind = "percent"
            row.value_derived = True
            issues.append(
                Issue("info", f"Thực hiện computed from Tử số/Mẫu số: {row.actual_value}%",
                      sheet=sheet, row=row.source_row, column=header["actual_value"], cell_text=row.actual_text)
            )  # fmt: skip
        elif row.actual_value is not None and ratio is not None and row.unit_kind == "percent":
            expected = 100 * ratio
            if abs(row.actual_value - expected) > PERCENT_POINTS_TOLERANCE:
                issues.append(
                    Issue("warning",
                          f"differs from Tử số/Mẫu số ({_fmt(expected)}%); the reported value is kept",
                          sheet=sheet, row=row.source_row, column=header["actual_value"], cell_text=row.actual_text)
                )  # fmt: skip


def _percent_value(n: Number, ratio, fractions: bool, row: ReportRow, sheet: str, column: str, issues) -> Decimal:
    """A bare number in a percent row: a fraction (0,766) or percentage points (76,6)?"""
    value = n.value
    if ratio is not None:
        if abs(value) <= 1 and abs(value - ratio) <= FRACTION_TOLERANCE:
            return value * 100  # 0,766 with Tử số/Mẫu số = 0,766
        if abs(value - 100 * ratio) <= PERCENT_POINTS_TOLERANCE:
            return value
    if fractions:
        issues.append(
            Issue("info", f"read as {_fmt(value * 100)}% (the column writes percentages as fractions)",
                  sheet=sheet, row=row.source_row, column=column, cell_text=n.shown)
        )  # fmt: skip
        return value * 100
    if 0 < abs(value) < 1:
        issues.append(
            Issue("warning", f"read as {_fmt(value)}% (other values of the column are percentages); "
                  f"write {_fmt(value * 100)}% if a fraction was meant",
                  sheet=sheet, row=row.source_row, column=column, cell_text=n.shown)
        )  # fmt: skip
    return value


def _fmt(value: Decimal) -> str:
    text = format(round(Decimal(value), 4).normalize(), "f")
    return text.replace(".", ",")
