"""What "today" means for a DAG run: derived from the run, never from the clock, so a re-run of a past night
(a backfill, a cleared run) computes what that night computed. Kept free of Airflow imports."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PROVINCE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def evaluation_date(data_interval_end: dt.datetime | None, run_after: dt.datetime | None = None) -> dt.date:
    """The day a night's marts are evaluated on: the local (Viet Nam) date of the end of the run's data
    interval. A scheduled 02:00 run of 7 December evaluates on 7 December, i.e. on data up to the night
    of the 6th, exactly as a build at that time with `current_date` would. A run triggered without a
    logical date (Airflow 3 allows it) has no data interval: its run_after is used."""
    moment = data_interval_end or run_after
    if moment is None:
        raise ValueError("a DAG run without a data interval and without run_after has no evaluation date")
    if moment.tzinfo is None:  # Airflow's datetimes are aware (UTC); a naive one is taken as UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PROVINCE_TZ).date()


def load_day_after(evaluation: dt.date) -> str:
    """The quality gates' upper bound on dates in a batch: the start of the day after the evaluation date."""
    return dt.datetime.combine(evaluation + dt.timedelta(days=1), dt.time()).isoformat()
