"""The table below the header: one ReportRow per indicator row, values read and settled (percentages,
fractions, numerator and denominator checked against each other)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from openpyxl.utils import get_column_letter

from cds_warehouse.agency_reports.grid import Grid
from cds_warehouse.agency_reports.numbers import BLANK, Number, parse_number, tidy
from cds_warehouse.agency_reports.report import Issue, ReportRow, SheetReport
from cds_warehouse.agency_reports.template import VALUE_COLUMNS
from cds_warehouse.agency_reports.text import clean, indicator_key

# Tolerances when comparing a reported rate with Tử số / Mẫu số (rounding in the report).
PERCENT_POINTS_TOLERANCE = Decimal("0.5")
FRACTION_TOLERANCE = Decimal("0.005")
RATE_WORDS = ("ti le ", "ti trong ")  # "Tỷ lệ …", "Tỷ trọng …": a rate even when the unit is blank
_NUMBERING_CELL = re.compile(r"^[(\[]?[0-9A-Za-z]{1,4}[)\]]?(\s*[=*/+x:-]\s*[(\[]?[0-9A-Za-z]{1,4}[)\]]?)*$")
_UNIT_SUFFIX = re.compile(r"\(([^()]{1,20})\)\s*$")


@dataclass
class _Candidate:
    row: ReportRow
    numbers: dict[str, Number]


def read_body(grid: Grid, first_row: int, columns: dict[str, int], tpl, report: SheetReport, issues) -> None:
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


def _is_numbering_row(grid: Grid, row: int) -> bool:
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
