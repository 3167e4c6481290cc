"""Connections and the raw schema."""

from __future__ import annotations

import hashlib
from importlib.resources import files

import psycopg

from cds_warehouse.settings import warehouse_dsn


def connect(dsn: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(dsn or warehouse_dsn(), **kwargs)


SCHEMA_APPLIED = "raw.schema_applied"  # the digest of the sql/*.sql files last applied


def apply_raw_schema(conn: psycopg.Connection) -> None:
    """Create the raw tables if missing: every ``sql/*.sql`` file in name order (one per source).

    Idempotent, and skipped when this version of the files was applied already: the scripts' `create index
    if not exists` locks the raw tables even when the index exists, and a load that starts while another
    one is copying would wait for it while holding a lock the other one needs at its end (a deadlock).
    Applying is serialised so concurrent loaders do not race.
    """
    scripts = sorted(
        (p for p in files("cds_warehouse").joinpath("sql").iterdir() if p.name.endswith(".sql")), key=lambda p: p.name
    )
    texts = [script.read_text(encoding="utf-8") for script in scripts]
    digest = hashlib.sha256("\0".join(p.name + "\0" + t for p, t in zip(scripts, texts, strict=True)).encode())
    digest = digest.hexdigest()
    with conn.transaction():
        if _applied_digest(conn) == digest:
            return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('cds_warehouse.raw_schema'))")
        if _applied_digest(conn) == digest:  # applied by the loader that held the lock before us
            return
        for text in texts:
            conn.execute(text)
        conn.execute(f"create table if not exists {SCHEMA_APPLIED} (digest text not null, applied_at timestamptz)")
        conn.execute(f"delete from {SCHEMA_APPLIED}")
        conn.execute(f"insert into {SCHEMA_APPLIED} values (%s, now())", (digest,))


def _applied_digest(conn: psycopg.Connection) -> str | None:
    if conn.execute("select to_regclass(%s)", (SCHEMA_APPLIED,)).fetchone()[0] is None:
        return None
    row = conn.execute(f"select digest from {SCHEMA_APPLIED}").fetchone()
    return row[0] if row else None
