"""The marts as a BI user meets them, checked on marts dbt really built: every relation and column of the BI
contract carries a PostgreSQL comment, every coded value a label, and the example queries of docs/marts.md
run and answer their question.

Called from the published-fixture test of tests/test_attainment.py, which builds the marts anyway.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from cds_warehouse.publish.labels import coded_columns, unlabelled_codes

MARTS_DOC = Path(__file__).resolve().parent.parent / "docs" / "marts.md"


def check_marts_for_bi(conn: psycopg.Connection) -> None:
    assert_every_contract_relation_and_column_has_a_comment(conn)
    assert_every_coded_value_has_a_label(conn)
    assert_example_queries_answer(conn)


def assert_every_contract_relation_and_column_has_a_comment(conn: psycopg.Connection) -> None:
    """dbt's persist_docs writes the YAML descriptions as comments: Metabase, Superset and Power BI show them."""
    tables = conn.execute(
        """
        select c.relname, coalesce(obj_description(c.oid, 'pg_class'), '') <> ''
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'marts' and c.relkind in ('r', 'v', 'p')
            and has_table_privilege('bi_reader', c.oid, 'select')
        order by 1
        """
    ).fetchall()
    assert {"mart_target_attainment", "dim_code_label"} <= {name for name, _ in tables}
    assert "fct_dossier" not in {name for name, _ in tables}  # not in the contract
    assert [name for name, commented in tables if not commented] == []
    uncommented = conn.execute(
        """
        select c.relname || '.' || a.attname
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'marts' and c.relkind in ('r', 'v', 'p') and a.attnum > 0 and not a.attisdropped
            and has_table_privilege('bi_reader', c.oid, 'select')
            and coalesce(col_description(c.oid, a.attnum), '') = ''
        order by 1
        """
    ).fetchall()
    assert uncommented == []
    columns = conn.execute(
        "select count(*) from pg_attribute a join pg_class c on c.oid = a.attrelid"
        " where c.relnamespace = 'marts'::regnamespace and c.relkind in ('r', 'v', 'p') and a.attnum > 0"
        " and not a.attisdropped and has_table_privilege('bi_reader', c.oid, 'select')"
    ).fetchone()[0]
    assert columns > 150  # the count above was over the whole contract
    comment = conn.execute("select obj_description('marts.fct_online_dossier_rate_monthly'::regclass)").fetchone()[0]
    rate = conn.execute(
        "select col_description('marts.fct_online_dossier_rate_monthly'::regclass, attnum) from pg_attribute"
        " where attrelid = 'marts.fct_online_dossier_rate_monthly'::regclass and attname = 'value'"
    ).fetchone()[0]
    (name_vi,) = conn.execute(
        "select name_vi from marts.dim_indicator where indicator_code = 'online_dossier_rate'"
    ).fetchone()
    assert comment.startswith(name_vi) and rate.startswith(name_vi)  # the catalog's Vietnamese name first


def assert_every_coded_value_has_a_label(conn: psycopg.Connection) -> None:
    columns = coded_columns(conn)
    assert {("mart_target_attainment", "status", "status"), ("dim_admin_unit", "level", "admin_level")} <= set(columns)
    missing = unlabelled_codes(conn)
    assert missing == [], missing
    statuses = {s for (s,) in conn.execute("select distinct status from marts.mart_target_attainment")}
    assert len(statuses) >= 3  # the check above ran over several statuses


def example_queries() -> dict[str, str]:
    """The SQL blocks of docs/marts.md's "Example queries", by the question heading each."""
    text = MARTS_DOC.read_text(encoding="utf-8")
    section = text.split("## Example queries", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"### (.+?)\n.*?```sql\n(.*?)```", section, flags=re.S))


def answer(conn: psycopg.Connection, question: str) -> list[dict]:
    """The rows docs/marts.md's query for the question (a word of its heading) gives, run as written."""
    queries = example_queries()
    assert len(queries) == 3, list(queries)
    [query] = [q for heading, q in queries.items() if question in heading]
    with conn.cursor() as cursor:
        cursor.execute(query.replace("%", "%%"))
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
    assert rows, f"docs/marts.md: no answer to {question!r} on the fixture"
    return rows


def assert_example_queries_answer(conn: psycopg.Connection) -> None:
    """The off-track and national-average queries (the district one: assert_district_rates_answer, on the
    dossier fixture of tests/test_indicators.py)."""
    off_track = answer(conn, "off track")
    expected = conn.execute(
        "select target_id, gap from marts.mart_target_attainment where province_code = '27'"
        " and status in ('at_risk', 'off_track', 'missed') order by gap, target_id"
    ).fetchall()
    assert [(r["target_id"], r["gap"]) for r in off_track] == expected
    assert all(r["status_vi"] and r["status_en"] and r["status_vi"] != r["status"] for r in off_track)
    national = answer(conn, "national average")
    assert {r["province_code"] for r in national} >= {"06", "24"}  # Bắc Kạn's and the new Bắc Ninh's
    for r in national:
        assert r["difference"] == r["province_value"] - r["national_value"] and r["province_code"] != "VN"
    online = {r["province_code"]: r for r in national if r["indicator_code"] == "online_dossier_rate"}
    assert online["24"]["national_value"] == 43  # the 2024 figure of the Government's document


def assert_district_rates_answer(conn: psycopg.Connection, expected: dict[tuple, tuple]) -> None:
    """`expected`: (unit_code, month start 'YYYY-MM-DD') -> (numerator, denominator, value) of Bắc Ninh's
    district-level units, worked out by hand."""
    rows = answer(conn, "per district")
    got = {(r["district_unit_code"], r["month"].isoformat()): (r["numerator"], r["denominator"], r["rate_percent"])
           for r in rows}  # fmt: skip
    assert got == expected
