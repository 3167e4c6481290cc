"""Declarative sources: one YAML file per source in this folder says everything about it.

Its columns (types, rules, personal data), which checkpoint gates its batches, where its files wait and
what happens to them after their load, and how fresh its newest published batch must be. The loader,
the landing routine, the quality gate and the generator all read the same spec, so adding a source
means adding a YAML file (and, for a new raw table, its DDL), not new loader code.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

from cds_warehouse import dialects
from cds_warehouse.settings import EXPECTATIONS_DIR

SOURCES_DIR = Path(__file__).parent
COLUMN_TYPES = {"text", "integer", "numeric", "timestamp"}
PII_ACTIONS = {"drop", "hash"}
# format.kind -> how a file is loaded: csv and xlsx (a table in the first sheet) by the CSV loader,
# report_workbook by the agency report parser; api: pulled, never landed as a file
FORMAT_KINDS = {"csv", "xlsx", "report_workbook", "api"}
AFTER_LOAD = {"archive", "keep"}
FRESHNESS_PERIODS = {"minute", "hour", "day"}


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
class Landing:
    """Where a file source's files wait ($CDS_LANDING_DIR/<folder>/), which of them are its own
    (case-insensitive globs), and what happens to a loaded file: archive (to archive/<load_id>_<name>) or
    keep (left where it is). A refused file always goes to failed/."""

    folder: str
    patterns: tuple[str, ...]
    after_load: str = "archive"


@dataclass(frozen=True)
class Freshness:
    """How old the newest published batch may be before dbt's source freshness warns or errs."""

    loaded_at_field: str
    warn_after: tuple[int, str]  # (count, period)
    error_after: tuple[int, str]


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
    kind: str = "csv"  # format.kind: which loader reads its files (FORMAT_KINDS)
    checkpoint: str | None = None  # the GX checkpoint that gates each batch
    landing: Landing | None = None  # None for a source that lands no files (the API)
    freshness: Freshness | None = None
    # other dialects of the source's exports: their names and date formats (dialects.py)
    dialects: dict[str, dialects.Dialect] = field(default_factory=dict, hash=False)

    @property
    def has_personal_data(self) -> bool:
        return any(c.pii for c in self.columns)

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


def _landing(raw: dict | None, source: str) -> Landing | None:
    if raw is None:
        return None
    landing = Landing(
        folder=str(raw.get("folder", source)),
        patterns=tuple(str(p) for p in raw.get("patterns", ())),
        after_load=raw.get("after_load", "archive"),
    )
    if not landing.patterns:
        raise ValueError(f"source {source}: landing.patterns: at least one pattern (e.g. '*.csv')")
    if landing.after_load not in AFTER_LOAD:
        raise ValueError(f"source {source}: landing.after_load must be one of {sorted(AFTER_LOAD)}")
    if "/" in landing.folder or landing.folder in ("", ".", ".."):
        raise ValueError(f"source {source}: landing.folder must be a folder name under $CDS_LANDING_DIR")
    return landing


def _after(raw: dict, key: str, source: str) -> tuple[int, str]:
    after = raw.get(key) or {}
    count, period = after.get("count"), after.get("period")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1 or period not in FRESHNESS_PERIODS:
        raise ValueError(
            f"source {source}: freshness.{key} must be {{count: a whole number >= 1, period: one of"
            f" {sorted(FRESHNESS_PERIODS)}}}"
        )
    return count, period


def _freshness(raw: dict | None, source: str) -> Freshness | None:
    if raw is None:
        return None
    if not raw.get("loaded_at_field"):
        raise ValueError(f"source {source}: freshness.loaded_at_field is missing")
    freshness = Freshness(raw["loaded_at_field"], _after(raw, "warn_after", source), _after(raw, "error_after", source))
    seconds = {"minute": 60, "hour": 3600, "day": 86400}
    if freshness.warn_after[0] * seconds[freshness.warn_after[1]] > (
        freshness.error_after[0] * seconds[freshness.error_after[1]]
    ):
        raise ValueError(f"source {source}: freshness.warn_after is longer than error_after")
    return freshness


def _checkpoint(name: str | None, source: str) -> str | None:
    if name is not None and not (EXPECTATIONS_DIR / "checkpoints" / f"{name}.yml").is_file():
        raise ValueError(f"source {source}: checkpoint {name!r}: no expectations/checkpoints/{name}.yml")
    return name


@cache
def load_source(name: str) -> SourceSpec:
    """The source's spec from <name>.yml. A source with ``contract: <other>`` (the portal API) has the
    other source's columns, tables and rules, and its own name, format, checkpoint and freshness."""
    raw = yaml.safe_load((SOURCES_DIR / f"{name}.yml").read_text(encoding="utf-8"))
    source = raw["name"]
    if source != name:
        raise ValueError(f"{name}.yml: names the source {source!r}; the file and the source share one name")
    fmt = raw["format"]
    if fmt.get("kind", "csv") not in FORMAT_KINDS:
        raise ValueError(f"source {source}: format.kind must be one of {sorted(FORMAT_KINDS)}")
    if "contract" in raw:
        spec = load_source(raw["contract"])
    else:
        source_dialects = dialects.parsed_dialects(raw.get("dialects"), source)
        spec = SourceSpec(
            name=source,
            raw_table=raw["raw_table"],
            rejects_table=raw["rejects_table"],
            key=tuple(raw["key"]),
            timestamp_formats=tuple(fmt["timestamp_formats"]),
            columns=tuple(_column(c, source, source_dialects) for c in raw["columns"]),
            unique_in_file=tuple(raw.get("unique_in_file", ())),
            null_share_bound=float(raw.get("null_share_bound", 0.25)),
            dialects=source_dialects,
        )
    landing = _landing(raw.get("landing"), source)
    if (landing is None) != (fmt.get("kind", "csv") == "api"):
        raise ValueError(f"source {source}: a file source has a landing: key, an api source none")
    return replace(
        spec,
        name=source,
        kind=fmt.get("kind", "csv"),
        checkpoint=_checkpoint(raw.get("checkpoint"), source),
        landing=landing,
        freshness=_freshness(raw.get("freshness"), source),
    )


def file_sources() -> list[str]:
    """The sources whose files land in a folder, by name."""
    names = sorted(p.stem for p in SOURCES_DIR.glob("*.yml"))
    return [n for n in names if load_source(n).landing is not None]
