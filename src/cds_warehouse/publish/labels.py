"""The Vietnamese and English labels of the marts' coded values (marts.dim_code_label, from the seed
code_labels), and which mart columns hold which kind of code.

A column is coded by its name: every column of the BI contract named in CODED_COLUMNS holds codes of that
type, whatever the table (status in mart_target_attainment, pillar in four marts, level in dim_admin_unit…).
"""

from __future__ import annotations

import psycopg
from psycopg import sql

CODED_COLUMNS = {  # column name -> code_type of marts.dim_code_label
    "status": "status",
    "status_basis": "status_basis",
    "open_sdg_progress": "open_sdg_progress",
    "projection_method": "projection_method",
    "scoring_basis": "scoring_basis",
    "scoring_basis_766": "scoring_basis",
    "threshold_confidence": "confidence",
    "max_points_confidence": "confidence",
    "pillar": "pillar",
    "admin_level": "admin_level",
    "level": "admin_level",
    "predecessor_level": "admin_level",
    "unit": "unit",
    "direction": "direction",
    "source_kind": "source_kind",
    "actual_source_kind": "source_kind",
    "obtained_by": "obtained_by",
    "method": "method",
    "actual_method": "method",
    "period_type": "period_type",
    "actual_period_type": "period_type",
    "target_year_kind": "target_year_kind",
    "comparator": "comparator",
    "grain": "grain",
    "review_reason": "review_reason",
}

Labels = dict[tuple[str, str], dict[str, str]]  # (code_type, code) -> {"vi": …, "en": …}


def read_labels(conn: psycopg.Connection) -> Labels:
    rows = conn.execute("select code_type, code, label_vi, label_en from marts.dim_code_label").fetchall()
    return {(code_type, code): {"vi": vi, "en": en} for code_type, code, vi, en in rows}


def label(labels: Labels, code_type: str, code: str | None, lang: str) -> str:
    """The code's label in `lang`; the code itself when the table has none (a new code shows, unlabelled)."""
    if code is None:
        return ""
    return labels.get((code_type, code), {}).get(lang, code)


def coded_columns(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(table, column, code_type) of every coded column the BI role reads in the marts schema."""
    rows = conn.execute(
        """
        select c.relname, a.attname
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'marts' and c.relkind in ('r', 'v', 'p') and a.attnum > 0 and not a.attisdropped
            and a.attname = any(%s) and has_table_privilege('bi_reader', c.oid, 'select')
        order by 1, 2
        """,
        [list(CODED_COLUMNS)],
    ).fetchall()
    return [(table, column, CODED_COLUMNS[column]) for table, column in rows]


def unlabelled_codes(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(table.column, code_type, value) of every value of a coded column without a label: one set query per
    column."""
    missing = []
    for table, column, code_type in coded_columns(conn):
        query = sql.SQL(
            "select distinct {col}::text from marts.{table} where {col} is not null"
            " except select code from marts.dim_code_label where code_type = %s"
        ).format(col=sql.Identifier(column), table=sql.Identifier(table))
        missing += [(f"{table}.{column}", code_type, value) for (value,) in conn.execute(query, [code_type])]
    return missing
