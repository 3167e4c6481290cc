"""Shared fixtures: a real PostgreSQL database per test session, and export files written by hand."""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
TEST_DB = os.environ.get("CDS_TEST_DB", "cds_test")
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".state" / "airflow"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["CDS_PII_KEY"] = "test-key-not-a-secret"
# dag.test() runs in this process wait out a failed task's retries: the tests that expect a failure expect
# it at once (the retries themselves are tested under the scheduler, tests/test_scheduler.py)
os.environ["CDS_TASK_RETRIES"] = "0"


def pytest_collection_modifyitems(items):
    """Every test under tests/faults/ belongs to the fault suite (`pytest -m faults`)."""
    faults = ROOT / "tests" / "faults"
    for item in items:
        if faults in Path(item.path).parents:
            item.add_marker(pytest.mark.faults)


def _server_dsn() -> str:
    if os.environ.get("WAREHOUSE_DSN"):
        return os.environ["WAREHOUSE_DSN"]
    subprocess.run([str(ROOT / "scripts" / "pg.sh"), "up"], check=True, capture_output=True)
    return subprocess.run(
        [str(ROOT / "scripts" / "pg.sh"), "dsn"], check=True, capture_output=True, text=True
    ).stdout.strip()


def fresh_database(server_dsn: str, name: str, *, create: bool = True) -> str:
    """Drop the database ``name`` on the server of ``server_dsn`` and make it anew (or only drop it);
    returns its DSN."""
    base = server_dsn.rpartition("/")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        if create:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def dsn() -> str:
    """A fresh database on the warehouse server; the Airflow connection cds_warehouse (what the DAGs read),
    WAREHOUSE_DSN (the CLI) and PG* (the tests' own dbt runs) point at it for the session."""
    from cds_warehouse.settings import libpq_env

    test_dsn = fresh_database(_server_dsn(), TEST_DB)
    os.environ["WAREHOUSE_DSN"] = test_dsn
    os.environ["AIRFLOW_CONN_CDS_WAREHOUSE"] = test_dsn
    os.environ.update(libpq_env(test_dsn))
    return test_dsn


@pytest.fixture
def conn(dsn):
    from cds_warehouse.db import apply_raw_schema

    with psycopg.connect(dsn, autocommit=True) as c:
        apply_raw_schema(c)
        c.execute("truncate raw.portal_dossier, raw.load_reject, raw.load_audit restart identity cascade")
        # dbt's relations too: incremental models would otherwise keep rows of truncated loads
        c.execute("drop schema if exists staging, intermediate, marts, reference cascade")
        yield c


# --- export files -------------------------------------------------------------------------------


def dossier(**overrides) -> dict[str, str]:
    """One export row (by field name) that passes every rule; override what a test is about."""
    row = {
        "dossier_code": "H27.99-240105-0001",
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "service_level": "Toàn trình",
        "province_code": "27",
        "unit_code": "27.H01.X01",
        "unit_name": "UBND phường Vũ Ninh",
        "admin_level": "Xã",
        "channel": "2",
        "received_at": "05/01/2024 08:15:00",
        "due_at": "08/01/2024 17:00:00",
        "finished_at": "08/01/2024 10:00:00",
        "status": "Đã trả kết quả",
        "supplement_count": "0",
        "supplement_days": "0",
        "fee_vnd": "0",
        "online_payment": "0",
        "components_digitized": "1",
        "electronic_result": "1",
        "paper_result": "0",
        "rating": "",
        "complaint": "0",
        "updated_at": "08/01/2024 10:05:00",
        "applicant_name": "Nguyễn Thị Lan",
        "applicant_id_hash": "027190001234",
        "applicant_phone_hash": "0912345678",
        "applicant_address": "Số 5, phố Nguyễn Gia Thiều, TP Bắc Ninh",
        "summary": "Khai sinh cho cháu Trần Minh Anh",
    }
    row.update(overrides)
    return row


def write_export(
    path: Path,
    rows: list[dict[str, str]],
    *,
    bom: bool = True,
    headers: list[str] | None = None,
    extra_lines: list[str] = (),
) -> Path:
    from cds_warehouse.sources import load_source

    spec = load_source("portal_dossiers")
    names = [c.name for c in spec.columns]
    headers = headers or spec.headers
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(n, "") for n in names])
        for line in extra_lines:
            fh.write(line + "\r\n")
    return path


def run_dbt(work: Path, *args: str) -> str:
    """dbt on the real project against the test database (the ``dsn`` fixture sets PG*), with its target
    and logs under ``work`` (reusing one ``work`` lets later runs reuse dbt's partial parse)."""
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(ROOT / "dbt_project"),
        "--profiles-dir",
        str(ROOT / "dbt_project"),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, f"dbt {' '.join(args)} failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@contextlib.contextmanager
def bi_login(conn: psycopg.Connection, name: str):
    """A login role in bi_reader (with a password: the warehouse accepts no other login), connected."""
    password = secrets.token_urlsafe(16)
    conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))
    conn.execute(
        sql.SQL("create role {} login password {} in role bi_reader").format(
            sql.Identifier(name), sql.Literal(password)
        )
    )
    info = conn.info
    try:
        with psycopg.connect(
            host=info.host, port=info.port, dbname=info.dbname, user=name, password=password, autocommit=True
        ) as bi:
            yield bi
    finally:
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))
