"""Declarative sources: one YAML file per source under ``sources/`` describes its columns.

The loader, the generator and the quality suite all read the same spec, so adding a source
means adding a YAML file (and, for a new raw table, its DDL), not new loader code.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

from cds_warehouse import dialects

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
    # the dialect of each alias that belongs to one, and per dialect its codes → the contract's (dialects.py)
    alias_dialects: dict[str, str] = field(default_factory=dict, hash=False)
    value_map: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)
    # the dialect this column arrived in, in the file being read (None: the contract's own)
    dialect: str | None = None
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
    # other dialects of the source's exports: their names and date formats (dialects.py)
    dialects: dict[str, dialects.Dialect] = field(default_factory=dict, hash=False)

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
        """The column a file's header names; one that arrived under a dialect's alias comes tagged with
        that dialect (its values are then read in it: dialects.translated)."""
        wanted = normalize_header(header)
        for c in self.columns:
            if wanted == normalize_header(c.header):
                return c
            dialect = next((d for h, d in c.alias_dialects.items() if normalize_header(h) == wanted), None)
            if dialect is not None:
                return replace(c, dialect=dialect)
            if wanted in {normalize_header(h) for h in c.aliases}:
                return c
        return None


def _column(raw: dict, source: str, source_dialects: dict[str, dialects.Dialect]) -> Column:
    where = f"source {source}: column {raw.get('name')}"
    aliases, alias_dialects = dialects.parsed_aliases(raw.get("aliases", ()), source_dialects, where)
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
        aliases=aliases,
        alias_dialects=alias_dialects,
        value_map=dialects.parsed_value_map(raw.get("value_map"), source_dialects, where),
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
    source_dialects = dialects.parsed_dialects(raw.get("dialects"), raw["name"])
    return SourceSpec(
        name=raw["name"],
        raw_table=raw["raw_table"],
        rejects_table=raw["rejects_table"],
        key=tuple(raw["key"]),
        timestamp_formats=tuple(raw["format"]["timestamp_formats"]),
        columns=tuple(_column(c, raw["name"], source_dialects) for c in raw["columns"]),
        unique_in_file=tuple(raw.get("unique_in_file", ())),
        null_share_bound=float(raw.get("null_share_bound", 0.25)),
        dialects=source_dialects,
    )
