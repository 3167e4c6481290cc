"""The load audit (raw.load_audit) as file loaders use it: one row per file content and source."""

from __future__ import annotations

import psycopg

LANDED = ("loaded", "empty", "published", "quarantined")


class FileBeingLoaded(Exception):
    """Another live process is loading the same content now: it will record the batch; nothing to do here."""


def previous_load(conn: psycopg.Connection, source: str, sha: str) -> tuple[int, int, int, int] | None:
    """(load_id, rows_read, rows_loaded, rows_rejected) of an earlier successful load of the same content."""
    return conn.execute(
        "select load_id, rows_read, rows_loaded, rows_rejected from raw.load_audit"
        " where source = %s and file_sha256 = %s and status = any(%s)",
        (source, sha, list(LANDED)),
    ).fetchone()


def claim_content(conn: psycopg.Connection, source: str, sha: str, file_name: str) -> None:
    """Take the content's lock for as long as the connection lives (a session advisory lock, so a killed
    loader releases it with its connection). Raises FileBeingLoaded when another live loader holds it:
    two loaders of one file would otherwise both load it, and the second would fail on the one-success
    index. The lock is what tells a live loader from a dead one in open_audit."""
    if not conn.execute(
        "select pg_try_advisory_lock(hashtextextended(%s, 0))", (f"cds_warehouse.load:{source}:{sha}",)
    ).fetchone()[0]:
        conn.rollback()
        raise FileBeingLoaded(f"{file_name}: being loaded by another run; left for it to finish")


def open_audit(
    conn: psycopg.Connection, source: str, file_name: str, sha: str, pii_key_fingerprint: str | None = None
) -> int:
    """The audit row is committed at once so that a failed load stays visible. The caller holds the
    content's lock (claim_content), so an earlier load of the same content left 'running' is not running:
    it was killed before it finished (its rows were never committed) and is marked failed; this load takes
    its place."""
    conn.execute(
        "update raw.load_audit set status = 'failed', finished_at = clock_timestamp(),"
        " message = 'interrupted before it finished (the process was stopped); loaded again by a later load'"
        " where source = %s and file_sha256 = %s and status = 'running'",
        (source, sha),
    )
    load_id = conn.execute(
        "insert into raw.load_audit (source, file_name, file_sha256, pii_key_fingerprint) values (%s, %s, %s, %s)"
        " returning load_id",
        (source, file_name, sha, pii_key_fingerprint),
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
