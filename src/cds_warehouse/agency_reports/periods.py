"""Reporting periods and report dates as written in Vietnamese reports.

Periods: "Tháng 9/2025", "tháng 09 năm 2025", "T9/2025", "09/2025" (month); "Quý III/2025", "Quý 3 năm
2025", "Q3/2025" (quarter); "6 tháng đầu năm 2025", "Sáu tháng đầu năm 2025", "6 tháng năm 2025" (first
half), "6 tháng cuối năm 2025" (second half); "Năm 2025", "cả năm 2025" (year); a date range that is
exactly one of these ("từ ngày 01/07/2025 đến ngày 30/09/2025"); and the machine forms "2025-09",
"2025-Q3", "2025-H1", "2025". Cumulative periods that are none of these ("9 tháng đầu năm 2025") are
recognised and refused with a reason: the indicator facts have no such period type.

Report dates: "05/10/2025", "05/10/2025 14:30", an Excel date, or the heading line of an official
letter "Bắc Kạn, ngày 05 tháng 10 năm 2025".
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from cds_warehouse.agency_reports.text import clean, fold

PERIOD_TYPES = ("month", "quarter", "half_year", "year")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass(frozen=True)
class Period:
    period_type: str  # month | quarter | half_year | year
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """Canonical short form: 2025-09, 2025-Q3, 2025-H1, 2025."""
        year = self.start.year
        if self.period_type == "month":
            return f"{year}-{self.start.month:02d}"
        if self.period_type == "quarter":
            return f"{year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.period_type == "half_year":
            return f"{year}-H{1 if self.start.month == 1 else 2}"
        return str(year)

    @property
    def label_vi(self) -> str:
        year = self.start.year
        if self.period_type == "month":
            return f"Tháng {self.start.month}/{year}"
        if self.period_type == "quarter":
            return f"Quý {('I', 'II', 'III', 'IV')[(self.start.month - 1) // 3]}/{year}"
        if self.period_type == "half_year":
            return f"6 tháng {'đầu' if self.start.month == 1 else 'cuối'} năm {year}"
        return f"Năm {year}"


class PeriodError(ValueError):
    """Text that names a period the warehouse cannot hold (or an impossible one)."""


def month(year: int, number: int) -> Period:
    return _span("month", year, number, number)


def quarter(year: int, number: int) -> Period:
    return _span("quarter", year, 3 * number - 2, 3 * number)


def half_year(year: int, number: int) -> Period:
    return _span("half_year", year, 6 * number - 5, 6 * number)


def year(number: int) -> Period:
    return _span("year", number, 1, 12)


def _span(kind: str, year_: int, first_month: int, last_month: int) -> Period:
    if not 2000 <= year_ <= 2100:
        raise PeriodError(f"year {year_} is not plausible")
    if not 1 <= first_month <= last_month <= 12:
        raise PeriodError(f"month {last_month} does not exist")
    last_day = calendar.monthrange(year_, last_month)[1]
    return Period(kind, dt.date(year_, first_month, 1), dt.date(year_, last_month, last_day))


_YEAR = r"(?P<year>(?:19|20|21)\d\d)"
_PATTERNS: list[tuple[re.Pattern, str]] = [
    # machine forms first (matched on the cleaned text, not the folded one)
    (re.compile(rf"^{_YEAR}-(?P<n>0[1-9]|1[0-2])$"), "month"),
    (re.compile(rf"^{_YEAR}-[qQ](?P<n>[1-4])$"), "quarter"),
    (re.compile(rf"^{_YEAR}-[hH](?P<n>[12])$"), "half_year"),
    (re.compile(rf"^{_YEAR}$"), "year"),
]
_FOLDED: list[tuple[re.Pattern, str]] = [
    (re.compile(rf"\b(?:9|chin) thang(?: dau)?(?: nam)? {_YEAR}\b"), "nine_months"),
    (re.compile(rf"\b(?:6|sau) thang cuoi(?: nam)? {_YEAR}\b"), "half_2"),
    (re.compile(rf"\bnua cuoi(?: nam)? {_YEAR}\b"), "half_2"),
    (re.compile(rf"\b(?:6|sau) thang(?: dau)?(?: nam)? {_YEAR}\b"), "half_1"),
    (re.compile(rf"\bnua dau(?: nam)? {_YEAR}\b"), "half_1"),
    (re.compile(rf"\bquy (?P<n>[1-4]|iv|iii|ii|i)(?: nam)? {_YEAR}\b"), "quarter"),
    (re.compile(rf"\bqui (?P<n>[1-4]|iv|iii|ii|i)(?: nam)? {_YEAR}\b"), "quarter"),
    (re.compile(rf"\bq(?P<n>[1-4])(?: nam)? {_YEAR}\b"), "quarter"),
    (re.compile(rf"\bthang (?P<n>\d{{1,2}})(?: nam)? {_YEAR}\b"), "month"),
    (re.compile(rf"\bt(?P<n>\d{{1,2}})(?: nam)? {_YEAR}\b"), "month"),
    (re.compile(rf"^(?P<n>\d{{1,2}}) {_YEAR}$"), "month"),
    (re.compile(rf"(?<!den )(?<!toi )\b(?:ca )?nam {_YEAR}\b"), "year"),
]
_RANGE = re.compile(
    r"\btu(?: ngay)? (?P<d1>\d{1,2}) (?P<m1>\d{1,2}) (?P<y1>\d{4}) (?:den|toi)(?: ngay)? "
    r"(?P<d2>\d{1,2}) (?P<m2>\d{1,2}) (?P<y2>\d{4})\b"
)
_LETTER_DATE = re.compile(r"\bngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})\b")


def parse_period(text: object) -> Period | None:
    """The period named in ``text``, None when it names none; raises PeriodError for one it cannot hold."""
    cleaned = clean(text)
    if cleaned is None:
        return None
    for pattern, kind in _PATTERNS:
        if m := pattern.match(cleaned):
            return _build(kind, int(m["year"]), m.groupdict().get("n"))
    folded = fold(cleaned)
    if m := _RANGE.search(folded):
        return _from_range(m)
    if _LETTER_DATE.search(folded):
        # "…, ngày 05 tháng 10 năm 2025" is the date of a letter, not a period
        folded = _LETTER_DATE.sub(" ", folded)
    for pattern, kind in _FOLDED:
        if m := pattern.search(folded):
            return _build(kind, int(m["year"]), m.groupdict().get("n"))
    return None


def _build(kind: str, year_: int, n: str | None) -> Period:
    if kind == "month":
        return month(year_, int(n))
    if kind == "quarter":
        return quarter(year_, ROMAN.get(n) or int(n))
    if kind == "half_year":
        return half_year(year_, int(n))
    if kind == "half_1":
        return half_year(year_, 1)
    if kind == "half_2":
        return half_year(year_, 2)
    if kind == "year":
        return year(year_)
    raise PeriodError(f"9-month cumulative periods ({year_}) are not a period type the warehouse holds")


def _from_range(m: re.Match) -> Period:
    try:
        first = dt.date(int(m["y1"]), int(m["m1"]), int(m["d1"]))
        last = dt.date(int(m["y2"]), int(m["m2"]), int(m["d2"]))
    except ValueError as exc:
        raise PeriodError(f"impossible date in the period: {exc}") from None
    for kind, months in (("month", 1), ("quarter", 3), ("half_year", 6), ("year", 12)):
        if first.day == 1 and (first.month - 1) % months == 0 and first.year == last.year:
            candidate = _span(kind, first.year, first.month, first.month + months - 1)
            if candidate.end == last:
                return candidate
    raise PeriodError(f"{first:%d/%m/%Y}–{last:%d/%m/%Y} is not a month, quarter, half-year or year")


_NUMERIC_DATE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})(?:\s*,?\s*(?:lúc\s*)?(?P<H>\d{1,2})[:hg](?P<M>\d{2}))?"
)


def parse_report_date(value: object) -> tuple[dt.date | None, dt.datetime | None]:
    """(date, datetime when a time is given) of a report date cell; (None, None) when none is found."""
    if isinstance(value, dt.datetime):
        has_time = value.time() != dt.time()
        return value.date(), value if has_time else None
    if isinstance(value, dt.date):
        return value, None
    cleaned = clean(value)
    if cleaned is None:
        return None, None
    if m := _NUMERIC_DATE.search(cleaned):
        try:
            day = dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return None, None
        if m["H"] is not None and int(m["H"]) < 24 and int(m["M"]) < 60:
            return day, dt.datetime.combine(day, dt.time(int(m["H"]), int(m["M"])))
        return day, None
    if m := _LETTER_DATE.search(fold(cleaned)):
        try:
            return dt.date(int(m[3]), int(m[2]), int(m[1])), None
        except ValueError:
            return None, None
    return None, None


def is_letter_date_line(text: object) -> bool:
    """Whether a cell is the place-and-date line of an official letter ("Hà Nội, ngày … tháng … năm …")."""
    return bool(_LETTER_DATE.search(fold(text)))
