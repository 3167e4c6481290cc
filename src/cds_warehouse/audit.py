"""The load audit (raw.load_audit) as file loaders use it: one row per file content and source."""

from __future__ import annotations

import psycopg

LANDED = ("loaded", "empty", "published", "quarantined")


def previous_load(conn: psycopg.Connection, source: str, sha: str) -> tuple[int, int, int, int] | None:
    """(load_id, rows_read, rows_loaded, rows_rejected) of an earlier successful load of the same content."""
    return conn.execute(
        "select load_id, rows_read, rows_loaded, rows_rejected from raw.load_audit"
        " where source = %s and file_sha256 = %s and status = any(%s)",
        (source, sha, list(LANDED)),
    ).fetchone()


def open_audit(conn: psycopg.Connection, source: str, file_name: str, sha: str) -> int:
    """The audit row is committed at once so that a failed load stays visible. An earlier load of the same
    content left 'running' was killed before it finished (its rows were never committed): it is marked
    failed, and this load takes its place."""
    conn.execute(
        "update raw.load_audit set status = 'failed', finished_at = clock_timestamp(),"
        " message = 'interrupted before it finished (the process was stopped); loaded again by a later load'"
        " where source = %s and file_sha256 = %s and status = 'running'",
        (source, sha),
    )
    load_id = conn.execute(
        "insert into raw.load_audit (source, file_name, file_sha256) values (%s, %s, %s) returning load_id",
        (source, file_name, sha),
    ).fetchone()[0]
    conn.commit()
    return load_id


def record_failure(conn: psycopg.Connection, load_id: int, exc: BaseException) -> None:
    """Roll back the load's transaction and mark its audit row failed, with the error."""
    conn.rollback()
    conn.execute(
        "update raw.load_audit set status = 'failed', finished_at = clock_timestamp(), message = %s where load_id = %s",
        (f"{type(exc).__name__}: {exc}"[:2000], load_id),
    )
    conn.commit()
