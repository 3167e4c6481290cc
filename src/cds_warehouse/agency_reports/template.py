"""The report template as the parser knows it, read from ``sources/agency_reports.yml``: the table's columns
and their synonyms, the title-block labels, the words for levels and percent units, the rows that end
the table. Everything is compared after ``fold`` (NFC, case, diacritics, punctuation, whitespace)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from cds_warehouse.agency_reports.text import clean, fold

CONTRACT = Path(__file__).resolve().parents[1] / "sources" / "agency_reports.yml"
VALUE_COLUMNS = ("plan_value", "actual_value", "numerator", "denominator")
TITLE_FIELDS = ("agency", "province", "period", "submitted", "unit")
ADMIN_LEVELS = ("province", "district", "commune", "all")


@dataclass(frozen=True)
class TemplateColumn:
    name: str
    header: str
    required: bool
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Template:
    columns: tuple[TemplateColumn, ...]
    extensions: tuple[str, ...]
    header_search_rows: int
    title_labels: dict[str, str]  # folded label -> field
    title_headers: dict[str, str]  # field -> label as written in the template
    levels: dict[str, str]  # folded word -> admin level
    percent_units: frozenset[str]
    end_of_table: tuple[str, ...]
    header_keys: dict[str, str]  # folded header or synonym -> column name

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def header_of(self, name: str) -> str:
        return next(c.header for c in self.columns if c.name == name)

    def column_for_header(self, text: object) -> str | None:
        """The template column a header cell names: exactly, else by its longest leading synonym
        ("Kế hoạch năm 2025" is Kế hoạch, "Thực hiện Quý III/2025" is Thực hiện)."""
        key = fold(text)
        if not key:
            return None
        if key in self.header_keys:
            return self.header_keys[key]
        prefixes = [k for k in self.header_keys if len(k) > 2 and key.startswith(k + " ")]
        return self.header_keys[max(prefixes, key=len)] if prefixes else None

    def title_field(self, label: object) -> str | None:
        return self.title_labels.get(fold(label))

    def admin_level(self, text: object) -> str | None:
        """province, district, commune or all for a "Cấp" cell; None when it names no level."""
        key = fold(text)
        if key in self.levels:
            return self.levels[key]
        if key.startswith("cap "):
            return self.levels.get(key[4:])
        return None

    def is_percent_unit(self, text: object) -> bool:
        shown = clean(text) or ""
        return "%" in shown or fold(shown) in self.percent_units

    def ends_table(self, text: object) -> bool:
        """A footnote or signature line: the whole cell is a marker ("Người lập biểu"), or a marker
        followed by a colon ("Ghi chú: …", "Nơi nhận:"). "Nguồn nhân lực số" is not "Nguồn: …"."""
        shown = clean(text) or ""
        label, colon, _ = shown.partition(":")
        return fold(shown) in self.end_of_table or bool(colon and fold(label) in self.end_of_table)


@cache
def template(path: Path = CONTRACT) -> Template:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    columns = tuple(
        TemplateColumn(c["name"], c["header"], bool(c.get("required")), tuple(c.get("synonyms", ())))
        for c in raw["columns"]
    )
    header_keys: dict[str, str] = {}
    for col in columns:
        for text in (col.header, *col.synonyms):
            header_keys.setdefault(fold(text), col.name)
    title_labels: dict[str, str] = {}
    for field, spec in raw["title_block"].items():
        for text in (spec["label"], *spec.get("synonyms", ())):
            title_labels.setdefault(fold(text), field)
    levels = {fold(word): level for level, words in raw["levels"].items() for word in words}
    return Template(
        columns=columns,
        extensions=tuple(raw["format"]["extensions"]),
        header_search_rows=int(raw["format"]["header_search_rows"]),
        title_labels=title_labels,
        title_headers={field: spec["label"] for field, spec in raw["title_block"].items()},
        levels=levels,
        percent_units=frozenset(fold(u) for u in raw["percent_units"] if fold(u)),
        end_of_table=tuple(fold(m) for m in raw["end_of_table"]),
        header_keys=header_keys,
    )
