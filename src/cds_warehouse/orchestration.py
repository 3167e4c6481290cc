"""What the Airflow DAGs call. Kept free of Airflow imports so it is tested without a scheduler."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cds_warehouse.db import connect
from cds_warehouse.load import LoadResult, load_file
from cds_warehouse.settings import STATE_DIR
from cds_warehouse.sources import load_source

log = logging.getLogger(__name__)


def landing_dir(source: str) -> Path:
    """Folder where a source's files are dropped: $CDS_LANDING_DIR/<source>/."""
    root = Path(os.environ.get("CDS_LANDING_DIR", STATE_DIR / "landing"))
    return root / source


def ingest_landing(source: str) -> dict[str, list]:
    """Load every file waiting in the source's landing folder; returns the load ids to gate
    (``load_ids``) and the files that could not be loaded, with why (``failed``).

    Files already loaded are recognised by content and skipped, so a re-run duplicates nothing.
    Every batch of the source still awaiting its quality gate is returned, including one left
    behind by a run that stopped between load and gate. A file that cannot be loaded at all does not
    hold back the others, nor the night: it is in raw.load_audit as failed, with the reason, and the
    DAG's last task (raise_for_failed_files) fails the run once the marts are built.
    """
    folder = landing_dir(source)
    exports = folder.iterdir() if folder.is_dir() else ()
    files = sorted(p for p in exports if p.is_file() and p.suffix.lower() in (".csv", ".xlsx"))
    log.info("%s: %s file(s) in %s", source, len(files), folder)
    results: list[LoadResult] = []
    errors: list[str] = []
    for path in files:
        try:
            results.append(load_file(path, source))
        except Exception as exc:  # keep going: one broken file must not hold back the others
            log.error("%s: %s", path.name, exc)
            errors.append(f"{path.name}: {exc}")
    for r in results:
        log.info(
            "%s: load %s %s (read %s, loaded %s, rejected %s)",
            r.file_name,
            r.load_id,
            r.status,
            r.rows_read,
            r.rows_loaded,
            r.rows_rejected,
        )
    with connect() as conn:
        rows = conn.execute(
            "select load_id from raw.load_audit where source = %s and status = 'loaded' order by load_id",
            (load_source(source).name,),
        ).fetchall()
    return {"load_ids": [r[0] for r in rows], "failed": errors}


def raise_for_failed_files(failed: list[str]) -> None:
    """The night's verdict on its files, given after the marts are built from the others."""
    if failed:
        raise RuntimeError(f"{len(failed)} file(s) could not be loaded (see raw.load_audit):\n" + "\n".join(failed))


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
