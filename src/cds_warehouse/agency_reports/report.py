"""What the parser gives: reports, their rows and the issues found, per sheet and per workbook."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from cds_warehouse.agency_reports.periods import (
    Period,
)
from cds_warehouse.agency_reports.text import indicator_key


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
