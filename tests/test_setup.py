"""An empty warehouse is a normal first night: the set-up makes it ready, twice over, and dbt docs build."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time

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


def _hooks_as_dbt_compiles_them(dsn: str, tmp_path) -> tuple[str, str]:
    """The pre-hook of a marts model and the BI grants of every dbt run's end, compiled by dbt."""
    from cds_warehouse.dbt_build import dbt_executable
    from cds_warehouse.settings import DBT_PROJECT_DIR, libpq_env

    inline = "{{ wait_for_bi_grants() }}\n-- then --\n{{ grant_bi_access() }}"
    argv = [dbt_executable(), "--quiet", "compile", "--inline", inline, "--project-dir", str(DBT_PROJECT_DIR)]
    argv += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target")]
    argv += ["--log-path", str(tmp_path / "logs")]
    compiled = subprocess.run(argv, env={**os.environ, **libpq_env(dsn)}, capture_output=True, text=True, check=True)
    hold, grant = compiled.stdout.split("-- then --")
    return hold.strip(), grant.strip()


def _race(dsn: str, grant: str, hold: str | None, seconds: float) -> list[str]:
    """A marts table rebuilt as dbt's table materialization does (rename, then drop the backup), each step
    after ``hold``, while another session grants the BI role over and over; the errors of either side."""
    errors, stop = [], time.monotonic() + seconds

    def rebuild():
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.monotonic() < stop:
                try:
                    with conn.transaction():
                        if hold:
                            conn.execute(hold)
                        conn.execute("create table marts.race__tmp as select 1 as x")
                        conn.execute("alter table marts.race rename to race__backup")
                        conn.execute("alter table marts.race__tmp rename to race")
                    with conn.transaction():
                        if hold:
                            conn.execute(hold)
                        conn.execute("drop table marts.race__backup")
                except psycopg.Error as error:
                    errors.append(f"rebuild: {error}")

    def grants():
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.monotonic() < stop:
                try:
                    conn.execute(grant)
                except psycopg.Error as error:
                    errors.append(f"grant: {error}")

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table if exists marts.race, marts.race__tmp, marts.race__backup")
        conn.execute("create table marts.race as select 1 as x")
    threads = [threading.Thread(target=rebuild), threading.Thread(target=grants)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_bi_grants_and_marts_rebuilds_wait_for_one_another(empty_warehouse, tmp_path):
    """Under Airflow each dbt task's run ends with the BI grants while other tasks rebuild marts tables;
    PostgreSQL fails a grant on all tables, or the rename, that meets the other ("tuple concurrently
    updated"). Every marts model takes a shared lock that the grants take exclusive."""
    from cds_warehouse.dbt_build import DBT_MANIFEST
    from cds_warehouse.setup import set_up_warehouse

    set_up_warehouse()
    hold, grant = _hooks_as_dbt_compiles_them(empty_warehouse, tmp_path)
    assert "pg_advisory_xact_lock_shared" in hold
    models = json.loads(DBT_MANIFEST.read_text())["nodes"].values()
    marts = [m for m in models if m["resource_type"] == "model" and m["config"]["schema"] == "marts"]
    assert len(marts) > 10
    for model in marts:
        assert "wait_for_bi_grants()" in " ".join(hook["sql"] for hook in model["config"]["pre-hook"]), model["name"]

    without_the_lock = _race(empty_warehouse, grant, None, seconds=2)
    assert any("tuple concurrently updated" in error for error in without_the_lock)  # the race is real here
    assert _race(empty_warehouse, grant, hold, seconds=3) == []
