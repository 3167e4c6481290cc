"""Numbers as agencies write them in Excel: Excel numbers, percent-formatted cells, and text such as
"76,6%", "76,6", "0,766", "3.000", "1.234,5", "N/A" or "—".

Rules (docs/sources/agency_reports.md, "Numbers"):

* A decimal comma is the Vietnamese convention: "76,6" is 76.6. A dot followed by exactly three digits
  after a non-zero integer part of one to three digits groups thousands: "3.000" is 3000, "12.500" is
  12500, but "0.766" and "76.6" are decimals. Several separators of one kind group thousands ("1.234.567",
  "1,234,567"); with both kinds the last one is the decimal separator ("1.234,5", "1,234.5").
* A trailing "%" says the number is in percent ("76,6%" is 76.6 percent); thousands grouping never
  applies to it ("76.600%" is 76.6 percent).
* An Excel number formatted as a percentage is stored as a fraction: 0.766 shown as "76.6%" is 76.6
  percent. A percent sign in quotes (``0.0"%"``) is only text and does not scale.
* Markers of "no value" (N/A, —, -, x, "không", "KPS" …) are not errors: the agency says there is no figure.
* Anything else (words, dates, booleans) is unreadable and reported with the cell's text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cds_warehouse.agency_reports.text import clean, fold

NO_VALUE_MARKERS = frozenset(
    fold(m)
    for m in (
        "N/A",
        "NA",
        "n.a.",
        "x",
        "k/c",
        "không",
        "không có",
        "không phát sinh",
        "KPS",
        "chưa có",
        "chưa có số liệu",
        "không áp dụng",
        "KAD",
    )
)
# Dashes and dots alone (fold() turns them into ""): "-", "—", "–", "...", "…"
_DASHES = re.compile(r"^[\-\u2010-\u2015\u2212.…]+$")
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_SIGNED = re.compile(r"^(?P<sign>[+\-\u2212]?)(?P<body>[0-9][0-9.,]*)(?P<pct>%?)$")
_QUOTED = re.compile(r'"[^"]*"|\\.')


@dataclass(frozen=True)
class Number:
    """One cell read as a number.

    kind: 'number', 'blank' (empty cell), 'no_value' (an explicit marker such as N/A) or 'invalid'.
    value is in the unit the cell shows: a percent-formatted 0.766 is 76.6 with ``percent`` True.
    """

    kind: str
    value: Decimal | None = None
    percent: bool = False  # the cell itself says percent: a % sign or a percent number format
    shown: str | None = None
    reason: str | None = None

    @property
    def present(self) -> bool:
        """The agency wrote something in the cell (a number, a marker or something unreadable)."""
        return self.kind != "blank"


BLANK = Number("blank")


def is_percent_format(number_format: str | None) -> bool:
    """Whether Excel scales the value by 100 for display (an unquoted, unescaped % in the format)."""
    if not number_format:
        return False
    return "%" in _QUOTED.sub("", number_format)


def parse_number(value: object, number_format: str | None = None) -> Number:
    """Read one cell (its value as openpyxl gives it, and its number format)."""
    if value is None:
        return BLANK
    if isinstance(value, bool):
        return Number("invalid", shown=str(value), reason="is a true/false value, not a number")
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return Number(
            "invalid",
            shown=str(value),
            reason="is a date, not a number (Excel may have turned a typed number such as 9.10 into a date)",
        )
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
            return Number("invalid", shown=str(value), reason="is not a finite number")
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if is_percent_format(number_format):
            return Number("number", tidy(number * 100), percent=True, shown=_shown_percent(number))
        return Number("number", tidy(number), shown=_plain(number))
    return parse_number_text(str(value))


def parse_number_text(raw: str) -> Number:
    text = clean(raw)
    if text is None:
        return BLANK
    if _DASHES.match(text) or fold(text) in NO_VALUE_MARKERS:
        return Number("no_value", shown=text)
    compact = _SPACES.sub("", text)
    match = _SIGNED.match(compact)
    if not match:
        return Number("invalid", shown=text, reason="is not a number")
    percent = bool(match["pct"])
    body = _decimal_text(match["body"], percent)
    if body is None:
        return Number("invalid", shown=text, reason="is not a number (separators do not group thousands)")
    try:
        number = Decimal(body)
    except InvalidOperation:
        return Number("invalid", shown=text, reason="is not a number")
    if match["sign"] in ("-", "\u2212"):
        number = -number
    return Number("number", tidy(number), percent=percent, shown=text)


def _grouped(text: str, sep: str) -> bool:
    """Whether ``text`` is digits grouped in thousands by ``sep``: 1.234.567, 12.500."""
    return re.fullmatch(r"[1-9][0-9]{0,2}(?:" + re.escape(sep) + r"[0-9]{3})+", text) is not None


def _decimal_text(body: str, percent: bool) -> str | None:
    """The digits of ``body`` with '.' as the decimal point, or None when the separators make no sense."""
    dots, commas = body.count("."), body.count(",")
    if body[-1] in ".,":
        return None
    if dots and commas:
        decimal_sep = "." if body.rfind(".") > body.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        integer, _, fraction = body.rpartition(decimal_sep)
        if decimal_sep in integer or not (group_sep not in integer or _grouped(integer, group_sep)):
            return None
        return integer.replace(group_sep, "") + "." + fraction
    if not dots and not commas:
        return body
    sep = "." if dots else ","
    if (dots or commas) > 1:
        if _grouped(body, sep):
            return body.replace(sep, "")
        return None
    integer, _, fraction = body.partition(sep)
    if sep == "," or percent:
        return integer + "." + fraction  # decimal comma; a percentage is never grouped in thousands
    if len(fraction) == 3 and re.fullmatch(r"[1-9][0-9]{0,2}", integer):
        return integer + fraction  # "3.000": thousands
    return integer + "." + fraction


def tidy(number: Decimal) -> Decimal:
    """Drop float noise and trailing zeros: 76.60000000000001 -> 76.6, 3000.0 -> 3000."""
    rounded = round(number, 10)
    normal = rounded.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def _plain(number: Decimal) -> str:
    return format(tidy(number), "f")


def _shown_percent(number: Decimal) -> str:
    return f"{_plain(number)} ({_plain(number * 100)}%)"
