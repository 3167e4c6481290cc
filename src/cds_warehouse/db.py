"""Connections and the raw schema."""

from __future__ import annotations

from importlib.resources import files

import psycopg

from cds_warehouse.settings import warehouse_dsn


def connect(dsn: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(dsn or warehouse_dsn(), **kwargs)


def apply_raw_schema(conn: psycopg.Connection) -> None:
    """Create the raw tables if missing: every ``sql/*.sql`` file in name order (one per source).

    Idempotent; serialised so concurrent loaders do not race.
    """
    scripts = sorted(
        (p for p in files("cds_warehouse").joinpath("sql").iterdir() if p.name.endswith(".sql")), key=lambda p: p.name
    )
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('cds_warehouse.raw_schema'))")
        for script in scripts:
            conn.execute(script.read_text(encoding="utf-8"))
