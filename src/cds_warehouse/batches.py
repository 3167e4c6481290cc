"""The raw batch's life cycle: every statement on raw.load_audit, and the one quality gate.

A batch is one file's content (or one API window) of one source, recorded in raw.load_audit:

    running -> loaded -> published | quarantined     (the gate's verdict: gate_batch)
            -> empty                                 (a file without a data row: nothing to gate)
            -> failed                                (it could not be loaded; the error is the message)

A file whose content (sha256) was loaded before is not loaded again (previous_load). The loaders (the CSV
loader, the workbook parser, the API pull) write rows; this module alone writes their batch's audit row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import NamedTuple

import psycopg
from psycopg.types.json import Jsonb

from cds_warehouse.db import connect
from cds_warehouse.quality import Failure, GateResult, QualityGateFailed, enforce, run_checkpoint
from cds_warehouse.sources import load_source

log = logging.getLogger(__name__)

LANDED = ("loaded", "empty", "published", "quarantined")
MESSAGE_CHARS = 2000
# Blank shares are compared on batches of at least MIN_ROWS loaded rows, against the last RECENT published
# ones of the source, once there are MIN_RECENT of them: small batches and a new source vary too much.
MIN_ROWS, RECENT, MIN_RECENT = 100, 10, 3


class FileBeingLoaded(Exception):
    """Another live process is loading the same content now: it will record the batch; nothing to do here."""


# --- opening a batch ----------------------------------------------------------------------------------


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
    index. The lock is what tells a live loader from a dead one in open_batch."""
    if not conn.execute(
        "select pg_try_advisory_lock(hashtextextended(%s, 0))", (f"cds_warehouse.load:{source}:{sha}",)
    ).fetchone()[0]:
        conn.rollback()
        raise FileBeingLoaded(f"{file_name}: being loaded by another run; left for it to finish")


def open_batch(
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


# --- the load's outcome -------------------------------------------------------------------------------


def record_loaded(
    conn: psycopg.Connection,
    load_id: int,
    counts: tuple[int, int, int],
    *,
    null_counts: dict[str, int] | None = None,
    message: str | None = None,
    status: str | None = None,
) -> str:
    """The batch's counts (read, loaded, rejected), in the load's transaction: 'loaded' (awaiting the gate)
    when a row was read, else 'empty' with ``message``, unless ``status`` says. Returns the status."""
    status = status or ("loaded" if counts[0] else "empty")
    conn.execute(
        "update raw.load_audit set rows_read = %s, rows_loaded = %s, rows_rejected = %s, status = %s,"
        " null_counts = %s, message = %s, finished_at = clock_timestamp() where load_id = %s",
        (*counts, status, Jsonb(null_counts) if null_counts is not None else None, message, load_id),
    )
    return status


def record_empty(conn: psycopg.Connection, load_id: int, why: str) -> None:
    """A file with nothing to load (no header row): its transaction rolled back, the batch audited 'empty'."""
    conn.rollback()
    record_loaded(conn, load_id, (0, 0, 0), message=why)
    conn.commit()


def record_failure(conn: psycopg.Connection, load_id: int, exc: BaseException) -> None:
    """Roll back the load's transaction and mark its audit row failed, with the error."""
    conn.rollback()
    conn.execute(
        "update raw.load_audit set status = 'failed', finished_at = clock_timestamp(), message = %s where load_id = %s",
        (f"{type(exc).__name__}: {exc}"[:MESSAGE_CHARS], load_id),
    )
    conn.commit()


# --- a batch pulled page by page (the portal API) ---------------------------------------------------------


def open_pulled_batch(
    conn: psycopg.Connection, source: str, name: str, digest: str, rows_read: int, pii_key_fingerprint: str
) -> int:
    """A pulled batch, 'running' until its window is complete; the caller's transaction commits it."""
    return conn.execute(
        "insert into raw.load_audit (source, file_name, file_sha256, rows_read, rows_loaded, rows_rejected,"
        " pii_key_fingerprint) values (%s, %s, %s, %s, 0, 0, %s) returning load_id",
        (source, name, digest, rows_read, pii_key_fingerprint),
    ).fetchone()[0]


def resume_pulled_batch(conn: psycopg.Connection, load_id: int, name: str, digest: str) -> None:
    """An interrupted or failed pull's batch running again, under its window's new name."""
    conn.execute(
        "update raw.load_audit set status = 'running', message = null, finished_at = null,"
        " file_name = %s, file_sha256 = %s where load_id = %s",
        (name, digest, load_id),
    )


def add_page(conn: psycopg.Connection, load_id: int, read: int, loaded: int, rejected: int) -> None:
    """A page's rows counted in its batch, in the page's transaction."""
    conn.execute(
        "update raw.load_audit set rows_read = rows_read + %s, rows_loaded = rows_loaded + %s,"
        " rows_rejected = rows_rejected + %s where load_id = %s",
        (read, loaded, rejected, load_id),
    )


def finish_pulled_batch(conn: psycopg.Connection, load_id: int, expected_rows: int) -> str | None:
    """A complete window's batch set 'loaded'; returns the note recorded when the server's count of the
    window differs from the rows received (its content changed during the pull), else None."""
    rows_read = conn.execute("select rows_read from raw.load_audit where load_id = %s", (load_id,)).fetchone()[0]
    message = None
    if rows_read != expected_rows:
        message = f"the server counts {expected_rows} versions in the window; the batch received {rows_read}"
    conn.execute(
        "update raw.load_audit set status = 'loaded', finished_at = clock_timestamp(), message = %s"
        " where load_id = %s and status = 'running'",
        (message, load_id),
    )
    return message


def fail_running(conn: psycopg.Connection, load_id: int, message: str) -> None:
    """A running batch marked failed with ``message`` (a pulled one resumes from its cursor next time)."""
    conn.execute(
        "update raw.load_audit set status = 'failed', finished_at = clock_timestamp(), message = %s"
        " where load_id = %s and status = 'running'",
        (message[:MESSAGE_CHARS], load_id),
    )


# --- reading batches --------------------------------------------------------------------------------------


class Batch(NamedTuple):
    load_id: int
    source: str
    file_name: str
    status: str
    message: str | None


def batch_of(conn: psycopg.Connection, load_id: int) -> Batch | None:
    row = conn.execute(
        "select load_id, source, file_name, status, message from raw.load_audit where load_id = %s", (load_id,)
    ).fetchone()
    return Batch(*row) if row else None


def awaiting_gate(conn: psycopg.Connection, sources: Sequence[str]) -> list[int]:
    """The sources' batches loaded and not yet gated, oldest first: the night's new ones and any a run that
    stopped between load and gate left behind."""
    rows = conn.execute(
        "select load_id from raw.load_audit where source = any(%s) and status = 'loaded' order by load_id",
        (list(sources),),
    ).fetchall()
    return [r[0] for r in rows]


def last_key_fingerprint(conn: psycopg.Connection) -> str | None:
    """The personal-data key's fingerprint recorded on the newest batch that has one."""
    row = conn.execute(
        "select pii_key_fingerprint from raw.load_audit where pii_key_fingerprint is not null"
        " order by load_id desc limit 1"
    ).fetchone()
    return row[0] if row else None


def count(conn: psycopg.Connection) -> int:
    return conn.execute("select count(*) from raw.load_audit").fetchone()[0]


# --- the quality gate -------------------------------------------------------------------------------------


def gate_batch(load_id: int, dsn: str | None = None, evaluated_on: dt.date | None = None) -> GateResult:
    """Run the checkpoint that the batch's source YAML names (``checkpoint:``) on one batch, and compare its
    share of blank values with the source's recent batches; publish the batch when no critical expectation
    fails, else quarantine it with the failures as its message. Acts only on a batch still awaiting the
    gate ('loaded'). Returns the GateResult; does not raise on a quarantine (``gate_batches`` does)."""
    with connect(dsn) as conn:
        batch = batch_of(conn, load_id)
    if batch is None:
        raise ValueError(f"no load {load_id} in raw.load_audit")
    source = batch.source
    checkpoint = load_source(source).checkpoint
    if checkpoint is None:
        raise ValueError(f"source {source} names no checkpoint (checkpoint: in its YAML): its batches cannot be gated")
    result = run_checkpoint(checkpoint, dsn, evaluated_on, load_id=int(load_id))
    with connect(dsn) as conn:
        for failure in null_share_departures(conn, load_id):
            log.error("%s", failure)
            result.failures.append(failure)
        message = None if result.passed else "; ".join(str(f) for f in result.critical_failures)[:MESSAGE_CHARS]
        conn.execute(
            "update raw.load_audit set status = %s, message = %s where load_id = %s and status = 'loaded'",
            ("published" if result.passed else "quarantined", message, load_id),
        )
    return result


def gate_batches(load_ids: Sequence[int], dsn: str | None = None, evaluated_on: dt.date | None = None) -> None:
    """Gate every batch, then fail if any was quarantined (one bad file does not hide another)."""
    failed = []
    for load_id in load_ids:
        try:
            enforce(gate_batch(load_id, dsn, evaluated_on))
        except QualityGateFailed as exc:
            failed.append(f"load {load_id}: {exc}")
    if failed:
        raise QualityGateFailed("\n".join(failed))


def reopen_for_gate(conn: psycopg.Connection, load_id: int) -> str:
    """A loaded or quarantined batch set back to await the gate (reference data it failed on was fixed);
    returns its source. Raises ValueError for any other batch."""
    row = conn.execute(
        "update raw.load_audit set status = 'loaded', message = null"
        " where load_id = %s and status in ('loaded', 'quarantined') returning source",
        (load_id,),
    ).fetchone()
    if row is None:
        raise ValueError(f"load {load_id} is not a loaded or quarantined batch")
    return row[0]


def null_share_departures(conn: psycopg.Connection, load_id: int) -> list[Failure]:
    """Columns a file must carry whose share of blank values departs from the source's recent batches by more
    than the source's bound (``null_share_bound`` in its YAML): a column present but emptied (an export
    job that lost its channel) would read as 0 % online. Compared when the batch and each of at least
    MIN_RECENT earlier published batches (of the last RECENT) have MIN_ROWS loaded rows; the loader counts
    the blanks (raw.load_audit.null_counts)."""
    batch = conn.execute(
        "select source, rows_loaded, null_counts from raw.load_audit where load_id = %s", (load_id,)
    ).fetchone()
    if batch is None or not batch[2] or batch[1] < MIN_ROWS:
        return []
    source, rows, nulls = batch
    recent = conn.execute(
        "select rows_loaded, null_counts from raw.load_audit where source = %s and status = 'published'"
        " and load_id < %s and rows_loaded >= %s and null_counts is not null order by load_id desc limit %s",
        (source, load_id, MIN_ROWS, RECENT),
    ).fetchall()
    if len(recent) < MIN_RECENT:
        log.info(
            "load %s: %s earlier batches of %s, fewer than %s: blank shares not compared",
            load_id,
            len(recent),
            source,
            MIN_RECENT,
        )
        return []
    bound = load_source(source).null_share_bound
    departures = []
    for column, blank in nulls.items():
        share = blank / rows
        usual = sum(n.get(column, 0) for _, n in recent) / sum(r for r, _ in recent)
        if abs(share - usual) > bound:
            departures.append(
                Failure(
                    "null_share_departure",
                    f"share of blank values within {bound:.0%} of the last {len(recent)} published batches",
                    column,
                    "critical",
                    f"{share:.1%} blank in this batch, {usual:.1%} in those batches",
                )
            )
    return departures
