"""The portal's clock against the warehouse's: a pull trusts the portal's timestamps only within a
tolerance, as the watermark follows them (docs/sources/portal_api.md)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from cds_warehouse.extract.contract import format_ts
from cds_warehouse.run_dates import PROVINCE_TZ

log = logging.getLogger(__name__)


class PortalClockError(RuntimeError):
    """The portal's clock (or a watermark it set) is outside the tolerance around the warehouse's clock."""


def warehouse_now(conn) -> datetime:
    """The warehouse's own clock in the portal's local time (whole seconds), which the API's timestamps use."""
    return conn.execute("select (now() at time zone %s)::timestamp(0)", (str(PROVINCE_TZ),)).fetchone()[0]


def check_portal_clock(
    conn, portal: str, server_time: datetime, stored: dict[str, datetime | None], tolerance: timedelta
) -> None:
    """The portal's clock, and what the watermark holds, no further ahead of the warehouse's clock than
    the tolerance: a portal clock a year ahead would otherwise carry the watermark a year ahead, and
    nothing would be pulled until then. A clock behind loses nothing (the window follows the portal's
    own stamps, only later) and is only logged: it may mean timestamps in another zone."""
    now = warehouse_now(conn)
    where = f"warehouse time {shown_time(now)} ({PROVINCE_TZ}), tolerance {tolerance}"
    if server_time < now - tolerance:
        log.warning("%s: the portal's clock is behind: portal time %s, %s", portal, shown_time(server_time), where)
    if server_time > now + tolerance:
        raise PortalClockError(
            f"portal {portal}: its clock is ahead of the warehouse's: portal time"
            f" {shown_time(server_time)}, {where}; nothing was pulled and the watermark stays where it is"
            f" ({shown_time(stored['committed_to'])}). Fix the portal's clock (or the tolerance,"
            " CDS_PORTAL_CLOCK_TOLERANCE_MINUTES) and run again."
        )
    for name, value in stored.items():
        if value is not None and value > now + tolerance:
            raise PortalClockError(
                f"portal {portal}: the watermark's {name} {shown_time(value)} lies in the future ({where}),"
                " set by a portal clock that was ahead; nothing was pulled. Set it back"
                " (docs/sources/portal_api.md, 'Re-pulling a window') and run again."
            )


def shown_time(value: datetime | None) -> str:
    """A window bound as logs and messages show it (no bound: "start")."""
    return format_ts(value) if value is not None else "start"
