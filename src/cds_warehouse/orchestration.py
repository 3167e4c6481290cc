"""What the Airflow DAGs call. Kept free of Airflow imports so it is tested without a scheduler."""

from __future__ import annotations

import datetime as dt
import logging
import os

from cds_warehouse.audit import FileBeingLoaded
from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.landing import landing_dir, move_to_archive, move_to_failed, shown_name, waiting_files
from cds_warehouse.load import LoadResult, load_file
from cds_warehouse.pii_key import PiiKeyChanged, checked_fingerprint
from cds_warehouse.settings import pii_key
from cds_warehouse.sources import load_source

log = logging.getLogger(__name__)

EXPORT_SUFFIXES = (".csv", ".xlsx", ".jsonl", ".ndjson")


def ingest_landing(source: str) -> dict[str, list]:
    """Load every file waiting in the source's landing folder; returns the load ids to gate
    (``load_ids``) and the files that could not be loaded, with why (``failed``).

    The folder's life cycle is the agency folders' (cds_warehouse.landing): a file is moved to archive/
    as soon as it is loaded, as <load_id>_<name>; its rows are then committed in raw as an audited batch,
    which is what the rest of the night works from (a night that stops after loading resumes from the
    batch, never from the file). A file whose content was loaded before is archived without a second
    batch. A file that cannot be loaded at all, a symbolic link, or a delivery of content the gate
    quarantined before goes to failed/ with a reason file: it does not hold back the others, nor the
    night (a file that was read is in raw.load_audit as failed, with the reason), and the DAG's last task
    (raise_for_failed_files) fails the run once the marts are built. A file another run is loading right
    now is left to it. Every batch of the source still awaiting its quality gate is returned, including
    one left behind by a run that stopped between load and gate.

    A CDS_PII_KEY that is not the warehouse's stops the task before any file (pii_key.PiiKeyChanged): the
    key is the night's problem, not the files', and they wait in the folder until it is fixed.
    """
    files, refused = waiting_files(source, EXPORT_SUFFIXES)
    log.info("%s: %s file(s) in %s", source, len(files), shown_name(str(landing_dir(source))))
    spec = load_source(source)
    if files and any(c.pii == "hash" for c in spec.columns):
        with connect() as conn:
            apply_raw_schema(conn)
            checked_fingerprint(conn, pii_key())
    errors = [_refused(path, reason) for path, reason in refused]
    for path in files:
        try:
            result = load_file(path, source)
        except FileBeingLoaded as exc:  # the other run loads it, archives it and gates it
            log.warning("%s", exc)
            continue
        except PiiKeyChanged:  # a rotation declared during the night: not the file's fault either
            raise
        except Exception as exc:  # keep going: one broken file must not hold back the others
            if not os.path.lexists(path):  # another run loaded and moved it while this one started
                log.warning("%s: taken by another run", shown_name(path.name))
                continue
            errors.append(_refused(path, f"{type(exc).__name__}: {exc}"))
            continue
        _log_result(result)
        errors.extend(_file_away(path, result))
    with connect() as conn:
        rows = conn.execute(
            "select load_id from raw.load_audit where source = %s and status = 'loaded' order by load_id",
            (spec.name,),
        ).fetchall()
    return {"load_ids": [r[0] for r in rows], "failed": errors}


def _refused(path, reason: str) -> str:
    """Move a refused file to failed/ with its reason; the night's line for it."""
    name = shown_name(path.name)
    log.error("%s: %s", name, reason)
    move_to_failed(path, reason)
    return f"{name}: {reason}"


def _log_result(r: LoadResult) -> None:
    log.info(
        "%s: load %s %s (read %s, loaded %s, rejected %s)",
        r.file_name,
        r.load_id,
        r.status,
        r.rows_read,
        r.rows_loaded,
        r.rows_rejected,
    )


def _file_away(path, result: LoadResult) -> list[str]:
    """Archive a loaded file; a delivery of content the gate quarantined before is refused again."""
    with connect() as conn:
        status = conn.execute("select status from raw.load_audit where load_id = %s", (result.load_id,)).fetchone()[0]
    if status == "quarantined":
        return [_refused(path, _quarantine_reason(result.load_id, "the same content was loaded before as"))]
    move_to_archive(path, result.load_id)
    return []


def _quarantine_reason(load_id: int, how: str) -> str:
    # the gate's own message stays in the audit: it may quote values, the reason file need not
    return (
        f"{how} load {load_id}, which the quality gate quarantined; what failed is in raw.load_audit.message"
        f" (select message from raw.load_audit where load_id = {load_id}). Fix the file and deliver it again."
    )


def gate_new_batches(source: str, load_ids: list[int], evaluated_on: dt.date) -> None:
    """The quality gate of the night's batches (quality.gate_batches), then the files of the batches it
    quarantined moved from archive/ to failed/ with a reason file, before the task fails on them."""
    from cds_warehouse.quality import gate_batches

    try:
        gate_batches(load_ids, evaluated_on=evaluated_on)
    finally:
        _file_quarantined(source, load_ids)


def _file_quarantined(source: str, load_ids: list[int]) -> None:
    with connect() as conn:
        quarantined = conn.execute(
            "select load_id from raw.load_audit where load_id = any(%s) and source = %s and status = 'quarantined'",
            (list(load_ids), load_source(source).name),
        ).fetchall()
    folder = landing_dir(source)
    for (load_id,) in quarantined:
        for archived in (folder / "archive").glob(f"{load_id}_*"):
            move_to_failed(archived, _quarantine_reason(load_id, "loaded as"), folder)


def raise_for_failed_files(failed: list[str]) -> None:
    """The night's verdict on its files, given after the marts are built from the others."""
    if failed:
        raise RuntimeError(
            f"{len(failed)} file(s) could not be loaded (moved to failed/ with a reason file; see raw.load_audit):\n"
            + "\n".join(failed)
        )


def ingest_portal_api() -> list[int]:
    """Pull the portal API (CDS_PORTAL_URL / CDS_PORTAL_TOKEN, or the Airflow connection cds_portal) into
    one batch; returns the API batches awaiting the quality gate, including any a stopped run left behind.
    Without a configured portal it does nothing and says so."""
    from cds_warehouse.extract import SOURCE, ingest_api, portal_config

    config = portal_config()
    if config is None:
        log.info(
            "portal API: no portal configured (CDS_PORTAL_URL and CDS_PORTAL_TOKEN, or the Airflow connection"
            " cds_portal); API ingestion skipped"
        )
        return []
    result = ingest_api(config)
    log.info("portal API %s: %s", config.safe_url, result)
    with connect() as conn:
        rows = conn.execute(
            "select load_id from raw.load_audit where source = %s and status = 'loaded' order by load_id", (SOURCE,)
        ).fetchall()
    return [r[0] for r in rows]
