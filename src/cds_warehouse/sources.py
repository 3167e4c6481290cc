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
    # the indicators read this column: a file without it is refused, even though its values may be blank
    must_carry: bool = False
    # other headers the column arrives under (e.g. the national portal's field name)
    aliases: tuple[str, ...] = ()
    # timestamp columns: the earliest date a true value can have (a year typo is a rejected row)
    earliest: str | None = None
    # timestamp columns: a value on a day after the load's (Viet Nam time) cannot be true yet
    not_after_load: bool = False

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
    # what a file holds once: a record in several rows of one file is a row-level fault (load.reject_repeats)
    unique_in_file: tuple[str, ...] = ()
    # the most a batch's share of blank values in a column it must carry may depart from recent batches'
    null_share_bound: float = 0.25

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def landed_columns(self) -> list[Column]:
        return [c for c in self.columns if c.lands]

    @property
    def must_carry(self) -> list[Column]:
        """Columns a file must carry to be loaded: those whose every value is required, and those the
        indicators read."""
        return [c for c in self.columns if c.required or c.must_carry]

    def column_for_header(self, header: str) -> Column | None:
        wanted = normalize_header(header)
        return next((c for c in self.columns if wanted in {normalize_header(h) for h in (c.header, *c.aliases)}), None)


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
        must_carry=bool(raw.get("must_carry", False)),
        aliases=tuple(raw.get("aliases", ())),
        earliest=str(raw["earliest"]) if "earliest" in raw else None,
        not_after_load=bool(raw.get("not_after_load", False)),
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
        unique_in_file=tuple(raw.get("unique_in_file", ())),
        null_share_bound=float(raw.get("null_share_bound", 0.25)),
    )
