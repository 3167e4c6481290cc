"""What a sample says about each column: its name in the warehouse, its type, and whether it looks like
personal data. Guesses for a person to confirm: the YAML the scaffold writes marks each with a comment."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

# the loader's conventions (load.py): dd/mm/yyyy [HH:MM[:SS]], "3.000" is three thousand, decimal comma
TIMESTAMP = r"^\d{1,2}/\d{1,2}/\d{4}( \d{1,2}:\d{2}(:\d{2})?)?$"
INTEGER = r"^-?(\d{1,18}|\d{1,3}(\.\d{3})+)$"
NUMERIC = r"^-?\d+([.,]\d+)?%?$"
CODE_WITH_LEADING_ZERO = r"^0\d+$"  # a code ("06", "027…"), not a number: text, its zeros kept
RESERVED = {"load_id", "source_row"}  # the raw table's own columns

# Headers (folded: no diacritics, lower case) that name personal data (DOMAIN.md, "Personal data"), and what
# the loader does with it: drop names, addresses and free text; hash ID numbers and phones (joinable).
PII_HEADERS = [
    ("hash", "an ID number", 12, ("cccd", "cmnd", "can cuoc", "dinh danh", "ho chieu", "id number", "passport")),
    ("hash", "a phone number", 10, ("dien thoai", "sdt", "so dt", "phone", "mobile")),
    ("drop", "an e-mail address", None, ("email", "e-mail", "thu dien tu")),
    # "Người …" is a person (người nộp, người ký, người phụ trách) unless the values are counts (số người dùng)
    (
        "drop",
        "a person's name",
        None,
        ("ho ten", "ho va ten", "nguoi", "chu ho so", "can bo", "full name", "applicant", "contact person"),
    ),
    ("drop", "an address", None, ("dia chi", "address", "noi o", "thuong tru", "tam tru")),
    ("drop", "free text", None, ("trich yeu", "noi dung", "ghi chu", "y kien", "mo ta", "summary", "note", "comment")),
]
ID_NUMBER = r"^\d{9}$|^\d{12}$"  # CMND (9 digits) or CCCD (12)
PHONE = r"^(\+?84|0)\d{9}$"
FREE_TEXT_LENGTH = 60  # a column whose values run this long on average, with spaces, is prose


@dataclass(frozen=True)
class InferredColumn:
    header: str
    name: str
    type: str  # text | integer | numeric | timestamp
    required: bool  # a value in every row of the sample
    pii: str | None = None  # drop | hash
    pii_why: str = ""
    digits: int | None = None  # codes and hashed numbers: their width, leading zeros restored

    @property
    def lands(self) -> bool:
        return self.pii != "drop"


def folded(text: str) -> str:
    """Lower case without diacritics (đ as d), runs of anything else as one space."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", plain).split())


def column_name(header: str, taken: set[str]) -> str:
    """snake_case ASCII of the header ("Số chứng thư số" → so_chung_thu_so), unique among ``taken``."""
    name = folded(header).replace("%", "pct").replace(" ", "_") or "column"
    if name[0].isdigit():
        name = f"c_{name}"
    name = name[:55]
    base, n = name, 2
    while name in taken or name in RESERVED:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def infer_columns(headers: list[str], columns: list[list[str]]) -> list[InferredColumn]:
    taken: set[str] = set()
    return [_infer(h, column_name(h, taken), values) for h, values in zip(headers, columns, strict=True)]


def _infer(header: str, name: str, values: list[str]) -> InferredColumn:
    text = pa.array(values, pa.string())
    present = pc.filter(text, pc.not_equal(text, ""))
    required = len(values) > 0 and len(present) == len(values)
    kind, digits = _type_of(present)
    if folded(header).split()[:1] == ["ma"] and kind == "integer":  # "Mã …": a code, compared as text
        kind = "text"
    pii, why, pii_digits = _personal_data(header, present, kind)
    if pii is not None:
        kind = "text"
    return InferredColumn(header, name, kind, required, pii, why, pii_digits or digits)


def _all(values: pa.Array, pattern: str) -> bool:
    return len(values) > 0 and pc.all(pc.match_substring_regex(values, pattern)).as_py()


def _any(values: pa.Array, pattern: str) -> bool:
    return len(values) > 0 and pc.any(pc.match_substring_regex(values, pattern)).as_py()


def _type_of(values: pa.Array) -> tuple[str, int | None]:
    if _all(values, TIMESTAMP):
        return "timestamp", None
    if _all(values, r"^\d+$") and _any(values, CODE_WITH_LEADING_ZERO):
        widths = set(pc.utf8_length(values).to_pylist())
        return "text", widths.pop() if len(widths) == 1 else None
    if _all(values, INTEGER):
        return "integer", None
    if _all(values, NUMERIC) and not _any(values, "%"):
        return "numeric", None
    return "text", None


def _personal_data(header: str, values: pa.Array, kind: str) -> tuple[str | None, str, int | None]:
    words = f" {folded(header)} "
    for action, what, digits, keys in PII_HEADERS:
        if any(f" {key} " in words for key in keys) and (kind == "text" or digits):
            return action, f"the header names {what}", digits
    digits_only = pc.replace_substring_regex(values, r"[\s.\-]", "") if len(values) else values
    if _all(digits_only, PHONE):
        return "hash", "its values look like phone numbers", 10
    if _all(digits_only, ID_NUMBER):
        return "hash", "its values look like ID numbers (CMND/CCCD)", 12
    if len(values) and _any(values, r"\s") and pc.mean(pc.utf8_length(values)).as_py() >= FREE_TEXT_LENGTH:
        return "drop", "its values are long free text, which often holds names", None
    return None, "", None
