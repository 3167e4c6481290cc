"""An empty warehouse is a normal first night: the set-up makes it ready, twice over, and dbt docs build."""

from __future__ import annotations

import psycopg
import pytest
from conftest import fresh_database

WAREHOUSE = "cds_setup_test"


@pytest.fixture
def empty_warehouse(dsn, monkeypatch):
    empty = fresh_database(dsn, WAREHOUSE)
    monkeypatch.setenv("AIRFLOW_CONN_CDS_WAREHOUSE", empty)
    yield empty
    fresh_database(dsn, WAREHOUSE, create=False)


def test_set_up_makes_an_empty_warehouse_ready_and_is_idempotent(empty_warehouse):
    from cds_warehouse.setup import set_up_warehouse

    first = set_up_warehouse()
    assert set_up_warehouse() == first  # a second night changes nothing
    with psycopg.connect(empty_warehouse) as conn:
        raw = {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'raw'")}
        assert {"load_audit", "load_reject", "portal_dossier", "portal_api_watermark"} <= raw
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace")}
        assert {"raw", "staging", "intermediate", "marts", "reference"} <= schemas
        assert conn.execute("select has_schema_privilege('bi_reader', 'marts', 'usage')").fetchone()[0]
        assert not conn.execute("select has_schema_privilege('bi_reader', 'raw', 'usage')").fetchone()[0]


@pytest.mark.slow
def test_dbt_docs_generate_on_a_fresh_warehouse(empty_warehouse):
    from cds_warehouse.dbt_build import generate_docs
    from cds_warehouse.setup import set_up_warehouse

    set_up_warehouse()
    index = generate_docs()
    assert index.is_file() and (index.parent / "catalog.json").is_file()


def test_a_bi_login_reads_the_marts_and_nothing_else(empty_warehouse, capsys):
    from cds_warehouse.cli import main

    main(["bi-user", "metabase_test"])
    printed = capsys.readouterr().out
    password = next(line.split()[1] for line in printed.splitlines() if line.strip().startswith("password"))
    # the settings of each BI tool, the password on its own line only (the Superset URI has a placeholder)
    info = psycopg.conninfo.conninfo_to_dict(empty_warehouse)
    assert printed.count(password) == 1
    with psycopg.connect(empty_warehouse) as conn:
        ssl = conn.execute("show ssl").fetchone()[0] == "on"
    uri = f"postgresql+psycopg2://metabase_test:<password>@{info['host']}:{info['port']}/{info['dbname']}"
    assert f"{uri}?sslmode={'require' if ssl else 'disable'}" in printed
    assert f"Server {info['host']}:{info['port']}, Database {info['dbname']}" in printed  # Power BI
    assert "Metabase:" in printed and ("does NOT offer" in printed) != ssl
    with psycopg.connect(empty_warehouse) as conn:
        conn.execute("create table marts.example as select 1 as x")  # a mart built after the login
        conn.commit()
    login = {**info, "user": "metabase_test", "password": password}
    with psycopg.connect(**login) as bi:
        assert bi.execute("select x from marts.example").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute("select 1 from raw.load_audit")
    main(["bi-user", "metabase_test"])  # again: a new password, the old one no longer works
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**login).close()
    with psycopg.connect(empty_warehouse, autocommit=True) as conn:
        conn.execute("drop owned by metabase_test")
        conn.execute("drop role metabase_test")
