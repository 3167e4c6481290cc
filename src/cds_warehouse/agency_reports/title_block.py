"""The title block of a report sheet: the rows above the table header that name the agency, the province,
the period and the report date ("Label: value", or the label in one cell and the value in the next), and
the heading lines (UBND TỈNH X / SỞ …) that name them when no label does."""

from __future__ import annotations

import datetime as dt
import re

from cds_warehouse.agency_reports.grid import Grid
from cds_warehouse.agency_reports.periods import (
    Period,
    PeriodError,
    is_letter_date_line,
    parse_period,
    parse_report_date,
)
from cds_warehouse.agency_reports.report import Issue, SheetReport
from cds_warehouse.agency_reports.template import Template
from cds_warehouse.agency_reports.text import clean, fold

NATIONAL_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc")
_DOCUMENT_NUMBER = re.compile(r"^so \d")


def read_title_block(grid: Grid, header_row: int, tpl: Template, report: SheetReport, issues: list) -> None:
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


def inherit_title_block(sheets: list[SheetReport], issues: list[Issue]) -> None:
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


def check_title_block(sheet: SheetReport, issues: list[Issue]) -> None:
    if sheet.agency_text is None:
        issues.append(Issue("error", "no reporting agency (Đơn vị báo cáo) in the title block", sheet=sheet.sheet_name))
    if sheet.period is None and sheet.period_text is None:
        issues.append(Issue("error", "no reporting period (Kỳ báo cáo) in the title block", sheet=sheet.sheet_name))
    elif sheet.period is None:
        issues.append(
            Issue("error", "is not a period (Tháng 9/2025, Quý III/2025, 6 tháng đầu năm 2025, Năm 2025)",
                  sheet=sheet.sheet_name, column="Kỳ báo cáo", cell_text=sheet.period_text)
        )  # fmt: skip
