"""The period's calendar: working days (weekends and public holidays), monthly volumes, office hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from cds_devkit.synthetic.arrays import cumulative
from cds_devkit.synthetic.parameters import DAY, OFFICE_AFTERNOON, OFFICE_MORNING, TREND_ORIGIN, VOLUME_GROWTH_PER_YEAR
from cds_devkit.synthetic.reference_data import HOLIDAYS


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Calendar:
    as_of: int  # export time: end of the period, epoch seconds
    busdays: np.busdaycalendar
    day_number: np.ndarray  # days since 1970-01-01 of each day of the period
    month_cum: np.ndarray
    month_years: np.ndarray  # years since TREND_ORIGIN, mid-month, drives the trends
    office_cum: np.ndarray  # month m's days span (m, m + 1]: see day_in_month
    online_cum: np.ndarray

    @classmethod
    def build(cls, start: date, months: int) -> Calendar:
        days = np.arange(np.datetime64(start, "D"), np.datetime64(add_months(start, months), "D"))
        busdays = np.busdaycalendar(weekmask="1111100", holidays=np.array(HOLIDAYS, dtype="datetime64[D]"))
        working = np.is_busday(days, busdaycal=busdays)
        month = (days.astype("datetime64[M]") - np.datetime64(start, "M")).astype(np.int64)
        years = (days - np.datetime64(TREND_ORIGIN, "D")).astype(np.int64) / 365.25
        growth = 1 + VOLUME_GROWTH_PER_YEAR * years
        office_weight = working * growth
        # Online filing runs around the clock, a little on weekends and holidays too.
        online_weight = np.where(working, 1.0, 0.35) * growth
        return cls(
            as_of=int(days[-1].astype(np.int64) + 1) * DAY,
            busdays=busdays,
            day_number=days.astype(np.int64),
            month_cum=cumulative(np.bincount(month, weights=office_weight)),
            month_years=np.bincount(month, weights=years) / np.bincount(month),
            office_cum=_per_month_cumulative(office_weight, month),
            online_cum=_per_month_cumulative(online_weight, month),
        )

    def add_working_days(self, day: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Day numbers `offset` working days after `day` (a non-working `day` first rolls forward)."""
        moved = np.busday_offset(day.astype("datetime64[D]"), offset, roll="forward", busdaycal=self.busdays)
        return moved.astype(np.int64)

    def is_working_day(self, day: np.ndarray) -> np.ndarray:
        return np.is_busday(day.astype("datetime64[D]"), busdaycal=self.busdays)


def _per_month_cumulative(weights: np.ndarray, month: np.ndarray) -> np.ndarray:
    out = np.empty(len(weights))
    for m in np.unique(month):
        in_month = month == m
        cum = np.cumsum(weights[in_month])
        cum /= cum[-1]
        cum[-1] = 1.0
        out[in_month] = m + cum
    return out


def day_in_month(rng: np.random.Generator, month: np.ndarray, cum: np.ndarray) -> np.ndarray:
    # The first day whose cumulative weight passes m + u lies in month m and is never a zero-weight day.
    return np.searchsorted(cum, month + rng.random(len(month)), side="right")


def office_times(rng: np.random.Generator, n: int) -> np.ndarray:
    morning = rng.random(n) < 0.58
    return np.where(morning, rng.integers(*OFFICE_MORNING, n), rng.integers(*OFFICE_AFTERNOON, n))
