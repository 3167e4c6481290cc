"""`cds add-source NAME --sample FILE`: a new source from a sample file, in every place a source lives.

It writes the source's YAML (columns from the headers, inferred types, personal data flagged for a person
to decide), the raw table's DDL, the GX suite and checkpoint, the dbt staging model with its YAML and its
table in dbt's `raw` source, and a docs page; the templates are the files under ``templates/``. It never
overwrites: when any of the files exists, nothing is written. The one decision it leaves to a person is
what the columns mean for the indicators (the docs page says how).
"""

from __future__ import annotations

import json
import re
import string
import textwrap
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from cds_warehouse.settings import scaffold_root

if TYPE_CHECKING:
    from cds_warehouse.scaffold.infer import InferredColumn

NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
SQL_TYPES = {"text": "text", "integer": "bigint", "numeric": "numeric", "timestamp": "timestamp"}
FRESHNESS = {"warn": (35, "day"), "error": (62, "day")}  # a monthly delivery, as the YAML's defaults say


class ScaffoldError(Exception):
    pass


@dataclass(frozen=True)
class Targets:
    """Where a new source's files go, under the project root (``settings.scaffold_root``)."""

    root: Path
    name: str
    entity: str

    @property
    def source_yaml(self) -> Path:
        return self.root / "src" / "cds_warehouse" / "sources" / f"{self.name}.yml"

    @property
    def sql_dir(self) -> Path:
        return self.root / "src" / "cds_warehouse" / "sql"

    @property
    def suite(self) -> Path:
        return self.root / "expectations" / "suites" / f"raw_{self.name}.yml"

    @property
    def checkpoint(self) -> Path:
        return self.root / "expectations" / "checkpoints" / f"raw_{self.name}_batch.yml"

    @property
    def staging_dir(self) -> Path:
        return self.root / "dbt_project" / "models" / "staging" / self.name

    @property
    def doc(self) -> Path:
        return self.root / "docs" / "sources" / f"{self.name}.md"

    def raw_sql(self) -> Path:
        """``NNN_raw_<name>.sql``, NNN the next free tens after the existing scripts (applied in name order)."""
        numbers = [int(m.group(1)) for p in self.sql_dir.glob("*.sql") if (m := re.match(r"(\d+)_", p.name))]
        return self.sql_dir / f"{(max(numbers, default=0) // 10 + 1) * 10:03d}_raw_{self.name}.sql"


def add_source(name: str, sample: Path, entity: str = "rows", root: Path | None = None) -> list[Path]:
    """Write the new source ``name`` from ``sample`` (CSV or XLSX); returns the files written."""
    if not NAME.match(name) or not NAME.match(entity):
        raise ScaffoldError(f"{name!r}/{entity!r}: names are lower case letters, digits and _, starting with a letter")
    targets = Targets(root or scaffold_root(), name, entity)
    taken = [p for p in (targets.source_yaml, targets.suite, targets.checkpoint, targets.staging_dir, targets.doc)]
    taken = [p for p in taken if p.exists()] + sorted(targets.sql_dir.glob(f"*_raw_{name}.sql"))
    if taken:
        raise ScaffoldError(
            f"source {name}: not written, these exist already (nothing is overwritten): "
            + ", ".join(str(p.relative_to(targets.root)) for p in taken)
        )
    from cds_warehouse.scaffold.infer import infer_columns  # pyarrow: only when a source is written
    from cds_warehouse.scaffold.sample import read_sample

    found = read_sample(Path(sample))
    columns = infer_columns(found.headers, found.columns)
    values = _values(targets, Path(sample).name, found.kind, columns)
    staging = targets.staging_dir
    files_to_write = {
        targets.source_yaml: "source.yml",
        targets.raw_sql(): "raw.sql",
        targets.suite: "suite.yml",
        targets.checkpoint: "checkpoint.yml",
        staging / f"stg_{name}__{entity}.sql": "stg.sql",
        staging / f"_{name}__models.yml": "stg_models.yml",
        staging / f"_{name}__sources.yml": "sources.yml",
        targets.doc: "doc.md",
    }
    written = []
    for path, template in files_to_write.items():
        text = string.Template(_template(template)).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:  # "x": never overwrite, even a file made meanwhile
            fh.write(text)
        written.append(path)
    return written


def _template(name: str) -> str:
    return files("cds_warehouse.scaffold").joinpath("templates", name).read_text(encoding="utf-8")


def _values(targets: Targets, sample_name: str, kind: str, columns: list[InferredColumn]) -> dict[str, str]:
    landed = [c for c in columns if c.lands]
    if not landed:
        raise ScaffoldError("every column of the sample looks like personal data: nothing would be stored")
    title = targets.name.replace("_", " ").capitalize()
    return {
        "name": targets.name,
        "entity": targets.entity,
        "title": title,
        "sample_name": sample_name,
        "kind": kind,
        "key": landed[0].name,
        "sql_file": targets.raw_sql().name,
        **_column_lists(landed, columns),
        "warn_count": str(FRESHNESS["warn"][0]),
        "warn_period": FRESHNESS["warn"][1],
        "error_count": str(FRESHNESS["error"][0]),
        "error_period": FRESHNESS["error"][1],
    }


def _column_lists(landed: list[InferredColumn], columns: list[InferredColumn]) -> dict[str, str]:
    """The columns as each template lists them (every column in the YAML and the docs; the landed ones,
    personal data dropped, elsewhere)."""
    return {
        "yaml_columns": "\n".join(_yaml_column(c) for c in columns),
        "ddl_columns": "\n".join(_ddl_column(c, last=i == len(landed) - 1) for i, c in enumerate(landed)),
        "column_set": "\n       ".join(textwrap.wrap(", ".join(c.name for c in landed), 100)),
        "required": "\n".join(
            f"  - {{type: expect_column_values_to_not_be_null, kwargs: {{column: {c.name}}}, severity: critical}}"
            for c in landed
            if c.required and not c.pii
        ),
        "stg_columns": ",\n".join(f"        source_rows.{c.name}" for c in landed),
        "model_columns": "\n".join(
            f"      - name: {c.name}\n        description: {_quoted(_described(c))}" for c in landed
        ),
        "source_columns": "\n".join(
            f"          - name: {c.name}\n            description: {_quoted(_described(c))}" for c in landed
        ),
        "table": "\n".join(
            f"| {c.header} | {c.name if c.lands else '—'} | {c.type} | {'yes' if c.required and not c.pii else ''} | "
            f"{_pii_cell(c)} |"
            for c in columns
        ),
        "pii_text": _pii_text(columns),
    }


def _ddl_column(c: InferredColumn, last: bool) -> str:
    definition = f"{c.name} {SQL_TYPES[c.type]}{' not null' if c.required and not c.pii else ''}{'' if last else ','}"
    return f"    {definition:<60} -- {c.header}{' (keyed hash)' if c.pii == 'hash' else ''}"


def _yaml_column(c: InferredColumn) -> str:
    fields = [f"header: {_quoted(c.header)}", f"name: {c.name}"]
    if c.pii is None:
        fields.append(f"type: {c.type}")
        if c.required:
            fields.append("required: true")
    else:
        fields.append(f"pii: {c.pii}")
    if c.digits:
        fields.append(f"digits: {c.digits}")
    line = "  - {" + ", ".join(fields) + "}"
    if c.pii is None:
        return line
    return (
        f"  # DECIDE: personal data? {c.pii_why}. `pii: drop` never stores it, `pii: hash` stores a keyed hash\n"
        f"  # (joinable, not readable); without `pii` (and with a `type`) it is stored as it is.\n{line}"
    )


def _described(c: InferredColumn) -> str:
    return f"{c.header}" + (" (keyed hash of the value; CDS_PII_KEY)" if c.pii == "hash" else "")


def _pii_cell(c: InferredColumn) -> str:
    return {"drop": "dropped (DECIDE)", "hash": "keyed hash (DECIDE)"}.get(c.pii or "", "")


def _pii_text(columns: list[InferredColumn]) -> str:
    flagged = [c for c in columns if c.pii]
    if not flagged:
        return "No column of the sample looked like personal data. DECIDE: confirm it."
    lines = [f"- `{c.header}`: {c.pii_why}; `pii: {c.pii}` (DECIDE)" for c in flagged]
    return "The scaffold flagged these columns; a person decides, in the YAML:\n\n" + "\n".join(lines)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def register(subparsers) -> None:
    """`cds add-source NAME --sample FILE [--entity ENTITY]`."""
    p = subparsers.add_parser(
        "add-source", help="write a new source (YAML, raw table, GX suite, dbt staging, docs) from a sample file"
    )
    p.add_argument("name", help="the source's name, e.g. digital_signature_certificates")
    p.add_argument("--sample", type=Path, required=True, help="a CSV or XLSX file as the source delivers it")
    p.add_argument("--entity", default="rows", help="what one row is, for the staging model's name (default: rows)")
    p.set_defaults(func=_cmd_add_source)


def _cmd_add_source(args) -> None:
    try:
        written = add_source(args.name, args.sample, args.entity)
    except (ScaffoldError, ValueError) as exc:
        raise SystemExit(str(exc)) from None
    root = scaffold_root()
    print(f"Source {args.name} written:")
    for path in written:
        print(f"  {path.relative_to(root)}")
    print(
        "Next: read the DECIDE comments of the YAML (personal data, key, freshness), then the docs page; run"
        " `make dbt-parse`. The one decision left: which columns carry indicator values (docs page, last section)."
    )
