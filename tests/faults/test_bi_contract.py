"""The BI contract: a BI login reads the marts but not the row-level marts.fct_dossier (docs/marts.md), on the
first build, on a nightly merge and after a full refresh."""

from __future__ import annotations

import psycopg
from conftest import bi_login, dossier, run_dbt, write_export
from leaks import LeakScan, personal_values

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file

SELECTED = ("--select", "+int_portal_loads_processed", "+dim_admin_unit", "--indirect-selection", "buildable")


def _load(path) -> None:
    result = load_file(path)
    assert (result.status, result.rows_rejected) == ("loaded", 0)
    gate_batches([result.load_id])


def _bi_reads(conn) -> tuple[set[str], set[str]]:
    """(the tables of the marts schema a BI login may read, those it should read)."""
    tables = [t for (t,) in conn.execute("select tablename from pg_tables where schemaname = 'marts'").fetchall()]
    readable = set()
    with bi_login(conn, "bi_contract_test_user") as bi:
        for table in tables:
            try:
                bi.execute(f"select 1 from marts.{table} limit 1")
                readable.add(table)
            except psycopg.errors.InsufficientPrivilege:
                pass
    assert tables, "no marts built: the check would prove nothing"
    return readable, set(tables) - {"fct_dossier"}


def test_a_bi_login_never_reads_fct_dossier(conn, tmp_path):
    work = tmp_path / "dbt"
    rows = [dossier(), dossier(dossier_code="H27.99-240105-0002", applicant_name="Lê Thị Khác")]
    scan = LeakScan(conn, work)
    _load(write_export(tmp_path / "first.csv", rows[:1]))
    run_dbt(work, "build", *SELECTED)
    readable, expected = _bi_reads(conn)
    assert "dim_admin_unit" in expected and readable == expected

    _load(write_export(tmp_path / "second.csv", rows[1:]))
    run_dbt(work, "build", *SELECTED)
    assert _bi_reads(conn)[0] == expected
    run_dbt(work, "build", *SELECTED, "--full-refresh")
    assert _bi_reads(conn)[0] == expected
    assert conn.execute("select count(*), count(distinct dossier_key) from marts.fct_dossier").fetchone() == (2, 2)
    scan.assert_clean(conn, personal_values(rows))


def test_the_role_keeps_no_privilege_on_fct_dossier(conn, tmp_path):
    """Grants a warehouse had before the contract changed are taken back by the next run."""
    work = tmp_path / "dbt"
    _load(write_export(tmp_path / "one.csv", [dossier()]))
    run_dbt(work, "build", *SELECTED)
    conn.execute("grant select on marts.fct_dossier to bi_reader")
    run_dbt(work, "run", "--select", "stg_portal__dossiers")  # any run ends by setting the grants
    privileges = conn.execute(
        "select count(*) from information_schema.role_table_grants"
        " where grantee = 'bi_reader' and table_schema = 'marts' and table_name = 'fct_dossier'"
    ).fetchone()[0]
    assert privileges == 0
