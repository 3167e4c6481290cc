"""Dialects: other exports of the same source name its fields otherwise and code some values otherwise.

A provincial one-stop system writes "Kênh nộp", the national portal's sync writes ``KenhThucHien``; one
writes a level "Xã", the other a code. Everything about a dialect is declared in the source's YAML, never
in Python:

```yaml
dialects:
  national:                                   # the dialect's name, and what it reads dates as
    timestamp_formats: ["%Y%m%d%H%M%S", "%Y%m%d"]
columns:
  - {header: "Cấp thực hiện", name: admin_level, aliases: {national: [CapThucHien]},
     value_map: {national: {1: "Tỉnh", 2: "Huyện", 3: "Xã"}}}
```

A column that arrives under one of a dialect's headers is read in that dialect: its values are first
translated by the column's ``value_map`` of that dialect (a value without an entry passes unchanged, so the
column's own rules reject it with the usual reason), its dates read with the dialect's formats and written
back in the contract's form. Every other rule then applies as to a file in the contract's own dialect, so
the same dossier gives the same raw row in either dialect. ``aliases`` may also be a plain list: synonyms
in the contract's own dialect, read as the contract reads them.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from cds_warehouse.sources import Column, SourceSpec

CONTRACT_DATE = "%d/%m/%Y"
CONTRACT_TIMESTAMP = "%d/%m/%Y %H:%M:%S"


@dataclasses.dataclass(frozen=True)
class Dialect:
    name: str
    timestamp_formats: tuple[str, ...] = ()  # strptime formats; none: dates are written as the contract's
    description: str = ""


def parsed_dialects(raw: dict | None, source: str) -> dict[str, Dialect]:
    """The YAML's ``dialects`` key."""
    dialects = {}
    for name, declared in (raw or {}).items():
        declared = declared or {}
        unknown = set(declared) - {"timestamp_formats", "description"}
        if unknown:
            raise ValueError(f"source {source}: dialect {name}: unknown keys {sorted(unknown)}")
        dialects[name] = Dialect(name, tuple(declared.get("timestamp_formats", ())), declared.get("description", ""))
    return dialects


def parsed_aliases(raw, dialects: dict[str, Dialect], where: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """A column's ``aliases``: a list (synonyms in the contract's dialect) or a mapping dialect → headers.
    Returns every alias, and the dialect of each alias that belongs to one (by its header as written)."""
    if isinstance(raw, dict):
        _known(raw, dialects, where, "aliases")
        of_dialect = {header: dialect for dialect, headers in raw.items() for header in _as_list(headers)}
        return tuple(of_dialect), of_dialect
    return tuple(_as_list(raw)), {}


def parsed_value_map(raw: dict | None, dialects: dict[str, Dialect], where: str) -> dict[str, dict[str, str]]:
    """A column's ``value_map``: dialect → {value as the dialect writes it: value as the contract writes it}.
    YAML reads 1 as a number; both sides are compared as the text of the cell."""
    _known(raw or {}, dialects, where, "value_map")
    return {
        dialect: {_text(k): _text(v) for k, v in (mapping or {}).items()} for dialect, mapping in (raw or {}).items()
    }


def _known(raw: dict, dialects: dict[str, Dialect], where: str, key: str) -> None:
    undeclared = sorted(set(raw) - set(dialects))
    if undeclared:
        raise ValueError(f"{where}: {key} names dialects not declared under `dialects`: {undeclared}")


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or ())


def _text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def as_read(spec: SourceSpec, columns: list[Column | None]) -> SourceSpec:
    """The spec as a file with these header columns (from ``spec.column_for_header``) is read: each column
    that arrived under a dialect's header is that column tagged with its dialect. A file in the contract's
    dialect gets the spec itself."""
    arrived = {c.name: c for c in columns if c is not None and c.dialect is not None}
    if not arrived:
        return spec
    return dataclasses.replace(spec, columns=tuple(arrived.get(c.name, c) for c in spec.columns))


def translated(text: pa.Array, column: Column, spec: SourceSpec) -> pa.Array:
    """A column's values (normalised text) in the contract's dialect: value map, then dates. Vectorised;
    a no-op for a column that arrived in the contract's own dialect."""
    if column.dialect is None:
        return text
    mapping = column.value_map.get(column.dialect)
    if mapping:
        text = _mapped(text, mapping)
    formats = spec.dialects[column.dialect].timestamp_formats
    if column.type == "timestamp" and formats:
        text = _dates_in_contract_form(text, formats)
    return text


def _mapped(text: pa.Array, mapping: dict[str, str]) -> pa.Array:
    """Each value with an entry replaced by it (an entry to "" makes the value blank); others unchanged."""
    keys = pa.array(list(mapping), pa.string())
    targets = pa.array([v or None for v in mapping.values()], pa.string())
    where = pc.index_in(text, value_set=keys)
    found = pc.is_valid(where)
    if not pc.any(found).as_py():
        return text
    return pc.if_else(found, pc.take(targets, pc.fill_null(where, 0)), text)


def _dates_in_contract_form(text: pa.Array, formats: tuple[str, ...]) -> pa.Array:
    """Dates written in a dialect's formats, rewritten as dd/mm/yyyy [HH:MM:SS] (dd/mm/yyyy alone for a
    format without a time, so a due date alone still means the end of its day). A value is taken in a format
    only if writing it back in that format gives the same text: strptime rolls 20240231 over to 2 March.
    Values no format reads stay as they are, for the contract's parse to reject them with its reason."""
    out = text
    unread = pc.is_valid(text)
    for fmt in formats:
        if not pc.any(unread).as_py():
            break
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        kept = pc.fill_null(pc.and_(unread, pc.equal(pc.strftime(parsed, format=fmt), text)), False)
        if not pc.any(kept).as_py():
            continue
        has_time = any(f"%{c}" in fmt for c in "HMST")
        rewritten = pc.strftime(parsed, format=CONTRACT_TIMESTAMP if has_time else CONTRACT_DATE)
        out = pc.if_else(kept, rewritten, out)
        unread = pc.and_(unread, pc.invert(kept))
    return out
