"""Text as a person reads it: one form for Vietnamese labels written in NFC or NFD, any case, with or
without diacritics, with stray spaces and punctuation.

``fold`` is the matching key for headers, title-block labels, levels, units and indicator names. The
same rule is written in SQL in ``dbt_project/models/intermediate/agency_reports/
int_agency_report_indicator_keys.sql`` (indicator names are matched in dbt, so that adding an alias
re-matches rows already loaded); ``tests/test_agency_reports_dbt.py`` checks that both agree.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LEADING_NUMBERS = re.compile(r"^(?:[0-9]+ )+")
# "Tỷ lệ" / "Tỉ lệ", "kỹ năng" / "kĩ năng", "lý" / "lí": the same word spelled with y or i after a consonant.
_FINAL_Y = re.compile(r"([bcdghklmnpqrstvx])y\b")
_SPACES = re.compile(r"\s+")


def clean(value: object) -> str | None:
    """A cell's text as shown: NFC, whitespace (including no-break spaces) collapsed, trimmed; blank is None."""
    if value is None:
        return None
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", str(value)).replace("\u00a0", " ")).strip()
    return text or None


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D")


def fold(value: object) -> str:
    """Matching key for labels: no diacritics (đ is d), lower case, punctuation as spaces, single spaces,
    word-final y after a consonant read as i ("tỷ" = "tỉ"). "" for blank."""
    text = clean(value)
    if text is None:
        return ""
    return _FINAL_Y.sub(r"\1i", _NON_ALNUM.sub(" ", strip_diacritics(text).lower()).strip())


def indicator_key(value: object) -> str:
    """Matching key for indicator names: ``fold`` without leading enumerators ("1.", "2.1", "3)").

    Mirrored in SQL (int_agency_report_indicator_keys); keep the two in step."""
    text = clean(value)
    if text is None:
        return ""
    text = _LEADING_NUMBERS.sub("", _NON_ALNUM.sub(" ", strip_diacritics(text).lower()).strip() + " ").strip()
    return _FINAL_Y.sub(r"\1i", text)
