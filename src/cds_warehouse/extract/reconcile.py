"""The periodic reconciliation of the portal API: per day of updated_at, the versions the warehouse received
against the portal's own count (``GET /counts``), for the last N days up to the watermark.

A version the pulls never met (committed on the portal later than the overlap window reaches back, a bug
on either side) shows as a day where the portal counts more. The warehouse side is the portal's ledger of
received versions (``raw.portal_api_version``: every version landed or rejected, kept for these days when
a batch completes), so the check never reads the history-sized raw table, and a rejected version, already
reported by its batch, does not count as lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.extract.contract import format_ts
from cds_warehouse.extract.http import RetryPolicy
from cds_warehouse.extract.ingest import SOURCE, reconcile_days_setting
from cds_warehouse.extract.portal_api import PortalApi, PortalConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DayCount:
    day: date
    portal: int
    warehouse: int


@dataclass(frozen=True)
class Reconciliation:
    portal: str
    window_from: datetime | None  # None: nothing to compare yet (no finished pull)
    window_to: datetime | None
    days: list[DayCount]

    @property
    def mismatches(self) -> list[DayCount]:
        return [d for d in self.days if d.portal != d.warehouse]

    def __str__(self) -> str:
        if self.window_from is None:
            return f"portal {self.portal}: no finished pull to reconcile yet"
        span = f"[{format_ts(self.window_from)}, {format_ts(self.window_to)})"
        bad = self.mismatches
        if not bad:
            total = sum(d.warehouse for d in self.days)
            return f"portal {self.portal}: versions updated in {span}: {total} in the warehouse, as on the portal"
        listed = "; ".join(f"{d.day}: portal {d.portal}, warehouse {d.warehouse}" for d in bad)
        return f"portal {self.portal}: versions updated in {span} differ on {len(bad)} day(s): {listed}"


class CountsMismatch(RuntimeError):
    """The warehouse and the portal count different numbers of versions on some days."""


def reconcile_api(
    config: PortalConfig,
    dsn: str | None = None,
    *,
    days: int | None = None,
    policy: RetryPolicy | None = None,
    source: str = SOURCE,
    **client_options,
) -> Reconciliation:
    """Compare the last `days` days (CDS_PORTAL_RECONCILE_DAYS, default 7) of received versions with the
    portal's counts; raises CountsMismatch naming the days and both counts when they differ.

    The days end at the watermark (``committed_to``): what lies after it is not pulled yet. The last day is
    compared up to the watermark on both sides. The days start no earlier than the ledger does
    (``ledger_from``), so a warehouse that began keeping keys recently is not judged on days it never kept."""
    days = reconcile_days_setting() if days is None else days
    portal = config.safe_url
    with connect(dsn, autocommit=True) as conn:
        apply_raw_schema(conn)
        mark = conn.execute(
            "select committed_to, ledger_from from raw.portal_api_watermark where source = %s and portal = %s",
            (source, portal),
        ).fetchone()
        if not mark or mark[0] is None:
            result = Reconciliation(portal, None, None, [])
            log.info("%s", result)
            return result
        end, ledger_from = mark
        start = datetime.combine(end.date(), time()) - timedelta(days=max(days - 1, 0))
        if ledger_from is not None:
            start = max(start, ledger_from)
        warehouse = dict(
            conn.execute(
                "select updated_at::date, count(*) from raw.portal_api_version"
                " where source = %s and portal = %s and updated_at >= %s and updated_at < %s group by 1",
                (source, portal, start, end),
            ).fetchall()
        )
    if start >= end:
        result = Reconciliation(portal, start, end, [])
        log.info("%s", result)
        return result
    api = PortalApi(config, policy, **client_options)
    try:
        on_portal = api.counts(start, end)
    finally:
        api.close()
    compared = [
        DayCount(day, on_portal.get(day, 0), warehouse.get(day, 0)) for day in sorted(set(on_portal) | set(warehouse))
    ]
    result = Reconciliation(portal, start, end, compared)
    if result.mismatches:
        raise CountsMismatch(str(result))
    log.info("%s", result)
    return result


def reconcile_configured_portal() -> Reconciliation | None:
    """The DAG task's body: reconcile the configured portal (CDS_PORTAL_URL / CDS_PORTAL_TOKEN or the Airflow
    connection cds_portal); without one, say so and do nothing."""
    from cds_warehouse.extract.portal_api import portal_config

    config = portal_config()
    if config is None:
        log.info("portal API: no portal configured; reconciliation skipped")
        return None
    return reconcile_api(config)
