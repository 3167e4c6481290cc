"""Pull a portal's dossier API into the raw schema: one audited batch per run, resumable page by page.

The pull reads the versions updated in a window [from, to): `from` is where the last finished batch
stopped (``raw.portal_api_watermark.committed_to``) minus an overlap, so that versions the portal committed
late are still met; `to` is the server's clock minus a settling lag, and the server's clock must agree with
the warehouse's within a tolerance. The watermark belongs to the configured portal (its base URL), not to
the id the server reports. Each verified page is loaded in its own transaction, together with the
watermark's cursor, so at any moment the warehouse holds exactly the rows up to the cursor. Rows go through
the loader's building blocks (``clean_batch``: typing, rejects, personal data hashed or dropped) into
``raw.portal_dossier``, skipping any version (updated_at, dossier_code) the portal's ledger of received
versions already holds: a repeated page or a re-read of the overlap lands nothing twice.

The batch stays 'running' in ``raw.load_audit`` until the window is complete, then becomes 'loaded' and
waits for the quality gate, which publishes it to dbt. A run that is killed leaves the batch 'running';
one that gives up on errors marks it 'failed'. Either way the next run resumes *that* batch (same
load_id) from the cursor, extending its window to the server's present.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from cds_warehouse import batches
from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.extract.contract import MAX_LIMIT
from cds_warehouse.extract.http import RetryPolicy
from cds_warehouse.extract.portal_api import (
    PortalApi,
    PortalConfig,
    portal_config,
)
from cds_warehouse.extract.pull import ApiLoadResult, Pull, Rules

log = logging.getLogger(__name__)

SOURCE = "portal_api"  # the source of API batches (sources/portal_api.yml: its checkpoint, its freshness)
DEFAULT_LAG = timedelta(minutes=2)  # versions younger than this may still be committing on the portal
DEFAULT_OVERLAP = timedelta(hours=24)  # each pull re-reads this much before the watermark (late commits)
DEFAULT_CLOCK_TOLERANCE = timedelta(minutes=10)  # how far the portal's clock may be from the warehouse's
DEFAULT_RECONCILE_DAYS = 7  # days of received versions kept for the reconciliation of per-day counts


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise RuntimeError(f"{name} must be a number, not {value!r}") from None


def overlap_setting() -> timedelta:
    """CDS_PORTAL_OVERLAP_MINUTES, default 1440 (24 hours)."""
    return timedelta(minutes=_setting("CDS_PORTAL_OVERLAP_MINUTES", DEFAULT_OVERLAP.total_seconds() / 60))


def clock_tolerance_setting() -> timedelta:
    """CDS_PORTAL_CLOCK_TOLERANCE_MINUTES, default 10."""
    default = DEFAULT_CLOCK_TOLERANCE.total_seconds() / 60
    return timedelta(minutes=_setting("CDS_PORTAL_CLOCK_TOLERANCE_MINUTES", default))


def reconcile_days_setting() -> int:
    """CDS_PORTAL_RECONCILE_DAYS, default 7."""
    return int(_setting("CDS_PORTAL_RECONCILE_DAYS", DEFAULT_RECONCILE_DAYS))


def ingest_api(
    config: PortalConfig,
    dsn: str | None = None,
    *,
    policy: RetryPolicy | None = None,
    page_size: int = MAX_LIMIT,
    lag: timedelta = DEFAULT_LAG,
    overlap: timedelta | None = None,
    clock_tolerance: timedelta | None = None,
    reconcile_days: int | None = None,
    source: str = SOURCE,
    **client_options,
) -> ApiLoadResult:
    """Pull what changed on the portal since the last finished batch (or finish the interrupted one).

    overlap, clock_tolerance and reconcile_days default to their settings (CDS_PORTAL_OVERLAP_MINUTES,
    CDS_PORTAL_CLOCK_TOLERANCE_MINUTES, CDS_PORTAL_RECONCILE_DAYS); reconcile_days only sets how long the
    keys of received versions are kept for the reconciliation (reconcile.py)."""
    api = PortalApi(config, policy, page_size, **client_options)
    rules = Rules(
        overlap_setting() if overlap is None else overlap,
        clock_tolerance_setting() if clock_tolerance is None else clock_tolerance,
        reconcile_days_setting() if reconcile_days is None else reconcile_days,
    )
    try:
        status = api.status()
        with connect(dsn, autocommit=True) as conn:
            apply_raw_schema(conn)
            return Pull(conn, api, status.portal_id, source, rules).run(status.server_time, lag)
    finally:
        api.close()


def ingest_configured_portal() -> list[int]:
    """What the nightly DAG's ``ingest_api`` calls: pull the portal API (CDS_PORTAL_URL / CDS_PORTAL_TOKEN, or
    the Airflow connection cds_portal) into one batch; returns the API batches awaiting the quality gate,
    including any a stopped run left behind. Without a configured portal it does nothing and says so."""
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
        return batches.awaiting_gate(conn, [SOURCE])
