"""Open data: the aggregated indicators as a Frictionless Data Package, in CSV and in JSON.

Read from the marts as dbt built them: the indicator catalog, one resource per indicator family (the
catalog's pillars: chính quyền số, kinh tế số, …) of observations, the target attainment and the province
scorecard. No dossier-level row: the marts hold none, and the computed figures of a single handling unit are
left out too (a small commune's month can be one or two dossiers); the province figures they add up to are
published. Field types come from the columns PostgreSQL returns, descriptions from the columns' comments
(dbt writes the models' YAML descriptions there), so the package says what the BI contract says.

The folder is replaced whole (publish/folders.py): a reader never meets half a package. File names are
stable (``data/<resource>.csv`` and ``.json``), so a portal can link to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from cds_warehouse.publish.folders import publish_root, replaced_whole

DESCRIPTION = (
    "Aggregated indicators of the provincial digital-transformation warehouse: no dossier-level row, no"
    " personal data. Each resource comes as CSV and as JSON (the resource whose name ends in _json: an array"
    " of rows, the first naming the columns), with one schema. Units: the unit column of each row (percent"
    " 0–100, points, count, rank where 1 is best), as the indicator catalog gives them."
)
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}
SOURCES = [
    {"title": "Dữ liệu hồ sơ thủ tục hành chính của Cổng Dịch vụ công (chỉ số tính lại: source_kind computed)"},
    {"title": "Báo cáo định kỳ của các sở, ngành (source_kind reported)"},
    {"title": "Số liệu Cổng Dịch vụ công quốc gia công bố theo Quyết định 766/QĐ-TTg (source_kind published)"},
    {"title": "Nghị quyết, kế hoạch, báo cáo của tỉnh và Chính phủ (chỉ tiêu và số liệu nêu trong văn bản)"},
]
# PostgreSQL type names (psycopg's) to Table Schema types; a column of another type is refused.
FIELD_TYPES = {
    "text": "string",
    "varchar": "string",
    "numeric": "number",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "date": "date",
    "bool": "boolean",
}
OBSERVATION_COLUMNS = [
    "observation_key", "indicator_code", "indicator_name_vi", "indicator_name_en", "unit", "province_code",
    "province_name", "unit_code", "admin_level", "period_type", "period_start", "period_end", "value",
    "numerator", "denominator", "source_kind", "source", "method",
]  # fmt: skip


@dataclass(frozen=True)
class Resource:
    name: str  # also the file stem: data/<name>.csv and data/<name>.json
    title: str
    model: str  # the mart read (its dbt model), for the column descriptions
    query: sql.Composable  # ordered by the primary key, so the files are stable between runs
    primary_key: list[str]
    indicator_key: bool = False  # indicator_code refers to the catalog resource


def resources(conn: psycopg.Connection) -> list[Resource]:
    catalog = Resource(
        "indicators",
        "Danh mục chỉ số / Indicator catalog",
        "dim_indicator",
        sql.SQL("select * from marts.dim_indicator order by indicator_code"),
        ["indicator_code"],
    )
    pillars = [p for (p,) in conn.execute("select distinct pillar from marts.dim_indicator order by pillar")]
    families = [
        Resource(
            f"observations_{pillar}",
            f"Số liệu chỉ số, trụ cột {pillar} / Indicator observations, pillar {pillar}",
            "mart_indicator_timeseries",
            sql.SQL(
                "select {columns} from marts.mart_indicator_timeseries"
                " where pillar = {pillar} and not (source_kind = 'computed' and unit_code <> '*')"
                " order by observation_key"
            ).format(columns=sql.SQL(", ").join(map(sql.Identifier, OBSERVATION_COLUMNS)), pillar=pillar),
            ["observation_key"],
            indicator_key=True,
        )
        for pillar in pillars
    ]
    return [
        catalog,
        *families,
        Resource(
            "target_attainment",
            "Mức độ đạt chỉ tiêu / Target attainment",
            "mart_target_attainment",
            sql.SQL("select * from marts.mart_target_attainment order by target_id"),
            ["target_id"],
            indicator_key=True,
        ),
        Resource(
            "province_scorecard",
            "Bảng điểm theo tỉnh / Province scorecard",
            "mart_province_scorecard",
            sql.SQL("select * from marts.mart_province_scorecard order by scorecard_key"),
            ["scorecard_key"],
        ),
    ]


def publish_open_data(conn: psycopg.Connection, folder: Path | None = None) -> Path:
    """Write the package to `folder` (default: $CDS_PUBLISH_DIR/open-data), replacing what was there."""
    folder = Path(folder or publish_root() / "open-data")
    with replaced_whole(folder) as staging:
        (staging / "data").mkdir()
        descriptions = _column_descriptions(conn)
        listed = []
        conn.execute("set datestyle = 'ISO, YMD'")  # dates as the Table Schema reads them
        for resource in resources(conn):
            schema = _schema(conn, resource, descriptions.get(resource.model, {}))
            _write_csv(conn, resource, staging / "data" / f"{resource.name}.csv")
            columns = [field["name"] for field in schema["fields"]]
            _write_json(conn, resource, staging / "data" / f"{resource.name}.json", columns)
            for fmt, media in (("csv", "text/csv"), ("json", "application/json")):
                listed.append(
                    {
                        "name": resource.name if fmt == "csv" else f"{resource.name}_json",
                        "title": resource.title,
                        "profile": "tabular-data-resource",
                        "path": f"data/{resource.name}.{fmt}",
                        "format": fmt,
                        "mediatype": media,
                        "encoding": "utf-8",
                        "schema": schema,
                    }
                )
        package = {
            "profile": "tabular-data-package",
            "name": "cds-provincial-digital-transformation-indicators",
            "title": "Chỉ số chuyển đổi số cấp tỉnh / Provincial digital-transformation indicators",
            "description": DESCRIPTION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "licenses": [LICENSE],
            "sources": SOURCES,
            "resources": listed,
        }
        (staging / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2), "utf-8")
    return folder


def _schema(conn: psycopg.Connection, resource: Resource, descriptions: dict[str, str]) -> dict:
    """The Table Schema of a resource, from the types PostgreSQL gives its columns (the query, no rows)."""
    cursor = conn.execute(sql.SQL("select * from ({}) q limit 0").format(resource.query))
    fields = []
    for column in cursor.description:
        type_name = conn.adapters.types.get(column.type_code).name
        if type_name not in FIELD_TYPES:
            raise TypeError(f"{resource.name}.{column.name}: no Table Schema type for PostgreSQL type {type_name}")
        field = {"name": column.name, "type": FIELD_TYPES[type_name]}
        if type_name == "bool":  # COPY's CSV writes t and f
            field |= {"trueValues": ["t", "true"], "falseValues": ["f", "false"]}
        if descriptions.get(column.name):
            field["description"] = descriptions[column.name]
        fields.append(field)
    schema: dict = {"fields": fields, "primaryKey": resource.primary_key, "missingValues": [""]}
    if resource.indicator_key:
        reference = {"resource": "indicators", "fields": ["indicator_code"]}
        schema["foreignKeys"] = [{"fields": ["indicator_code"], "reference": reference}]
    return schema


def _write_csv(conn: psycopg.Connection, resource: Resource, path: Path) -> None:
    copy = sql.SQL("copy ({}) to stdout with (format csv, header, encoding 'UTF8')").format(resource.query)
    with path.open("wb") as out, conn.cursor().copy(copy) as stream:
        for block in stream:
            out.write(block)


def _write_json(conn: psycopg.Connection, resource: Resource, path: Path, columns: list[str]) -> None:
    """An array of rows, each an array, the first naming the columns (as the CSV's header): the JSON tables
    the Frictionless specs read, an empty resource included. Built by PostgreSQL, in primary-key order."""
    names = sql.SQL(", ").join(map(sql.Literal, columns))
    values = sql.SQL(", ").join(map(sql.Identifier, columns))
    order = sql.SQL(", ").join(map(sql.Identifier, resource.primary_key))
    query = sql.SQL(
        "select (jsonb_build_array(jsonb_build_array({names}))"
        " || coalesce(jsonb_agg(jsonb_build_array({values}) order by {order}), '[]'))::text from ({query}) q"
    ).format(names=names, values=values, order=order, query=resource.query)
    path.write_text(conn.execute(query).fetchone()[0], encoding="utf-8")


def _column_descriptions(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    """mart -> column -> description: the comments dbt writes on the marts' columns from the models' YAML
    (persist_docs), read where the data are, so no dbt artifact has to sit beside the task that publishes."""
    rows = conn.execute(
        "select c.relname, a.attname, col_description(c.oid, a.attnum) from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'marts'"
        " join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped"
        " where col_description(c.oid, a.attnum) is not null"
    ).fetchall()
    descriptions: dict[str, dict[str, str]] = {}
    for model, column, description in rows:
        descriptions.setdefault(model, {})[column] = " ".join(description.split())
    return descriptions
