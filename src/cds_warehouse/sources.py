"""Declarative sources: one YAML file per source under ``sources/`` describes its columns.

The loader, the generator and the quality suite all read the same spec, so adding a source
means adding a YAML file (and, for a new raw table, its DDL), not new loader code.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

SOURCES_DIR = Path(__file__).parent / "sources"
COLUMN_TYPES = {"text", "integer", "numeric", "timestamp"}
PII_ACTIONS = {"drop", "hash"}


def normalize_header(text: str) -> str:
    """Headers arrive in NFC or NFD, with stray spaces and case drift; compare them in one form."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


@dataclass(frozen=True)
class Column:
    header: str
    name: str
    type: str = "text"
    required: bool = False
    accepted: tuple | None = None
    pattern: str | None = None
    minimum: float | None = None  # integer and numeric columns: the smallest and largest value accepted
    maximum: float | None = None
    # a code of this many digits: a value of only digits one or two shorter gets its leading zeros back
    # (a spreadsheet that took the code for a number dropped them)
    digits: int | None = None
    # timestamp columns: a date written without a time means the end of that day (a due date: the
    # dossier is on time all that day), not its first second
    date_only_is_end_of_day: bool = False
    pii: str | None = None
    description: str = ""

    @property
    def lands(self) -> bool:
        """Whether the column reaches the raw table (dropped personal data does not)."""
        return self.pii != "drop"


@dataclass(frozen=True)
class SourceSpec:
    name: str
    raw_table: str
    rejects_table: str
    key: tuple[str, ...]
    timestamp_formats: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def landed_columns(self) -> list[Column]:
        return [c for c in self.columns if c.lands]

    def column_for_header(self, header: str) -> Column | None:
        wanted = normalize_header(header)
        return next((c for c in self.columns if normalize_header(c.header) == wanted), None)


def _column(raw: dict, source: str) -> Column:
    col = Column(
        header=raw["header"],
        name=raw["name"],
        type=raw.get("type", "text"),
        required=bool(raw.get("required", False)),
        accepted=tuple(raw["accepted"]) if "accepted" in raw else None,
        pattern=raw.get("pattern"),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        digits=raw.get("digits"),
        date_only_is_end_of_day=bool(raw.get("date_only_is_end_of_day", False)),
        pii=raw.get("pii"),
        description=raw.get("description", ""),
    )
    if col.type not in COLUMN_TYPES:
        raise ValueError(f"source {source}: column {col.name}: unknown type {col.type!r}")
    if col.pii is not None and col.pii not in PII_ACTIONS:
        raise ValueError(f"source {source}: column {col.name}: pii must be one of {sorted(PII_ACTIONS)}")
    return col


@cache
def load_source(name: str) -> SourceSpec:
    path = SOURCES_DIR / f"{name}.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return SourceSpec(
        name=raw["name"],
        raw_table=raw["raw_table"],
        rejects_table=raw["rejects_table"],
        key=tuple(raw["key"]),
        timestamp_formats=tuple(raw["format"]["timestamp_formats"]),
        columns=tuple(_column(c, raw["name"]) for c in raw["columns"]),
    )
