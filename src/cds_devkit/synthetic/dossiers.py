"""The numeric columns of each dossier: where it is handled, when, through which channel, and how it ends."""

from __future__ import annotations

import numpy as np

from cds_devkit.synthetic.arrays import categorical
from cds_devkit.synthetic.parameters import (
    BLANK_CHANNEL_SHARE,
    COMMUNE,
    DAY,
    DIGITIZED_BASE,
    DIGITIZED_SLOPE,
    DISTRICT,
    E_RESULT_BASE,
    E_RESULT_SLOPE,
    ENDED,
    IN_PROGRESS,
    LATE_BASE,
    LATE_SLOPE,
    NEXT_MORNING_DUE,
    OFFICE_CLOSES,
    OFFICE_OPENS,
    ONLINE_BASE,
    ONLINE_SLOPE,
    POSTAL_SHARE,
    PROVINCE,
    RECEIVED,
    RETURNED,
    SAME_DAY_CUTOFF,
    SERVICE_ONLINE_FACTOR,
    SUPPLEMENT_COUNT_CUM,
    WAITING_SUPPLEMENT,
    WITHDRAWN,
    WITHDRAWN_SHARE,
)
from cds_devkit.synthetic.reference import Reference
from cds_devkit.synthetic.working_days import Calendar, day_in_month, office_times


def draw_dossiers(rng: np.random.Generator, n: int, ref: Reference, cal: Calendar) -> dict[str, np.ndarray]:
    """Numeric columns of n dossiers; timestamps are epoch seconds of local time, -1 for none."""
    province, level, proc, unit = _draw_handling(rng, n, ref)
    month = categorical(rng, cal.month_cum, n)
    years = cal.month_years[month]
    channel = _draw_channel(rng, level, province, proc, years, ref)
    received = _draw_received(rng, month, channel == 2, cal)
    days = ref.proc_days[proc]
    start_day, start_time = _processing_start(received, cal)
    due = _due(start_day, start_time, days, cal)
    supplement_count, supplement_days = _draw_supplements(rng, days)
    late_share = (LATE_BASE[level] + LATE_SLOPE[level] * years) * ref.late_factor[province]
    late_share = np.clip(late_share, 0.005, 0.5)
    late = rng.random(n) < late_share
    finish = _draw_finish(rng, received, start_day, start_time, days, due, late, supplement_days, cal)
    withdrawn = rng.random(n) < WITHDRAWN_SHARE
    withdrawn_at = np.maximum(received, np.minimum(received + rng.integers(3600, 5 * DAY, n), cal.as_of - 1))
    finish = np.where(withdrawn, withdrawn_at, finish)
    closed = withdrawn | (finish < cal.as_of)
    finished = np.where(closed, finish, -1)
    status = _status(rng, withdrawn, closed, supplement_count, received, cal)
    # Waiting time cannot exceed the time the dossier has existed.
    elapsed = (np.where(closed, finish, cal.as_of) - received) / DAY
    supplement_days = np.minimum(supplement_days, np.floor(elapsed * 2) / 2)
    done = (status == ENDED) | (status == RETURNED)
    latest = np.where(closed, finish, received)
    return {
        "province": province,
        "level": level,
        "proc": proc,
        "unit": unit,
        "channel": channel,
        "received": received,
        "due": due,
        "finished": finished,
        "status": status,
        "supplement_count": supplement_count,
        "supplement_days": supplement_days,
        "online_payment": _draw_payment(rng, ref.proc_fee[proc], channel, years),
        "components_digitized": _draw_digitized(rng, level, province, channel, years, ref),
        "electronic_result": _draw_electronic_result(rng, level, province, proc, years, done, ref),
        "rating": _draw_rating(rng, late, done),
        "complaint": (rng.random(n) < np.where(late, 0.02, 0.004)).astype(np.int64),
        "updated": np.maximum(latest, np.minimum(latest + rng.integers(60, 1800, n), cal.as_of - 1)),
    }


def _draw_handling(rng, n, ref):
    """Province, admin level, procedure and handling unit of each dossier."""
    province = categorical(rng, ref.province_cum, n)
    level, proc, unit = (np.empty(n, dtype=np.int64) for _ in range(3))
    for p in range(len(ref.province_codes)):
        rows = np.flatnonzero(province == p)
        row_level = categorical(rng, ref.level_cum[p], rows.size)
        level[rows] = row_level
        for lv in (PROVINCE, DISTRICT, COMMUNE):
            sel = rows[row_level == lv]
            procs, proc_cum = ref.proc_choice[p, lv]
            proc[sel] = procs[categorical(rng, proc_cum, sel.size)]
            if lv == PROVINCE:
                unit[sel] = ref.department_of[p][proc[sel]]
            else:
                units, unit_cum = ref.unit_choice[p, lv]
                unit[sel] = units[categorical(rng, unit_cum, sel.size)]
    return province, level, proc, unit


def _draw_channel(rng, level, province, proc, years, ref) -> np.ndarray:
    """0 blank, 1 in person, 2 online, 3 postal."""
    online = ONLINE_BASE[level] + ONLINE_SLOPE[level] * years + ref.online_shift[province]
    online = np.clip(online, 0.02, 0.95)
    online = np.minimum(online * SERVICE_ONLINE_FACTOR[ref.proc_service[proc]], 0.93)
    u = rng.random(len(level))
    postal_end = online + POSTAL_SHARE
    return np.select([u < online, u < postal_end, u < postal_end + BLANK_CHANNEL_SHARE], [2, 3, 0], 1)


def _draw_received(rng, month, online, cal) -> np.ndarray:
    office_day = day_in_month(rng, month, cal.office_cum)
    online_day = day_in_month(rng, month, cal.online_cum)
    day = cal.day_number[np.where(online, online_day, office_day)]
    time_of_day = office_times(rng, len(month))
    anytime = online & (rng.random(len(month)) < 0.30)
    time_of_day = np.where(anytime, rng.integers(6 * 3600, DAY, len(month)), time_of_day)
    return day * DAY + time_of_day


def _processing_start(received, cal):
    """The clock starts at receipt in office hours, else at the next working morning."""
    day, time_of_day = np.divmod(received, DAY)
    working = cal.is_working_day(day)
    after_hours = time_of_day >= OFFICE_CLOSES
    start_day = cal.add_working_days(day, (working & after_hours).astype(np.int64))
    in_hours = working & (time_of_day >= OFFICE_OPENS) & ~after_hours
    return start_day, np.where(in_hours, time_of_day, OFFICE_OPENS)


def _due(start_day, start_time, days, cal) -> np.ndarray:
    same_day = days == 0
    late_in_day = start_time > SAME_DAY_CUTOFF
    due_day = cal.add_working_days(start_day, np.where(same_day, late_in_day.astype(np.int64), days))
    due_time = np.where(same_day, np.where(late_in_day, NEXT_MORNING_DUE, OFFICE_CLOSES), start_time)
    return due_day * DAY + due_time


def _draw_supplements(rng, days):
    """Requests for supplements and days spent waiting; same-day procedures rarely need any."""
    n = len(days)
    count = categorical(rng, SUPPLEMENT_COUNT_CUM, n)
    count = np.where(rng.random(n) < np.minimum(1.0, 0.2 + days / 10), count, 0)
    days = np.round(rng.uniform(1, 7, n) * count * 2) / 2
    return count, days


def _draw_finish(rng, received, start_day, start_time, days, due, late, supplement_days, cal) -> np.ndarray:
    n = len(received)
    due_day, due_time = np.divmod(due, DAY)
    # On time: a working day up to the due day; on the due day itself, before the due time.
    elapsed_days = np.minimum((rng.random(n) * (days + 1)).astype(np.int64), days)
    # A dossier due at opening time is finished the working day before.
    early_due = (due_time - OFFICE_OPENS < 3600) & (days > 0)
    elapsed_days = np.where((elapsed_days == days) & early_due, days - 1, elapsed_days)
    on_due_day = elapsed_days == days
    day = np.where(on_due_day, due_day, cal.add_working_days(start_day, elapsed_days))
    earliest = np.where(day == start_day, start_time, OFFICE_OPENS)
    latest = np.where(on_due_day, due_time, OFFICE_CLOSES)
    time_of_day = earliest + (rng.random(n) * np.maximum(latest - earliest, 0)).astype(np.int64)
    on_time = np.minimum(np.maximum(day * DAY + time_of_day, received + rng.integers(300, 3600, n)), due)
    overdue_days = np.minimum(rng.geometric(0.3, n), 40)
    overdue = cal.add_working_days(due_day, overdue_days) * DAY + office_times(rng, n)
    finish = np.where(late, overdue, on_time)
    # Waiting for the applicant's supplements delays the finish; the due time does not move.
    wait = np.ceil(supplement_days).astype(np.int64)
    day, time_of_day = np.divmod(finish, DAY)
    return np.where(wait > 0, cal.add_working_days(day, wait) * DAY + time_of_day, finish)


def _status(rng, withdrawn, closed, supplement_count, received, cal) -> np.ndarray:
    finished = np.where(rng.random(len(closed)) < 0.12, ENDED, RETURNED)
    recent = cal.as_of - received < 3 * DAY
    still_open = np.where(supplement_count > 0, WAITING_SUPPLEMENT, np.where(recent, RECEIVED, IN_PROGRESS))
    return np.where(withdrawn, WITHDRAWN, np.where(closed, finished, still_open))


def _draw_payment(rng, fee, channel, years) -> np.ndarray:
    """0 not online, 1 national portal, 2 provincial portal; only fee-bearing dossiers can pay online."""
    share = np.clip(np.where(channel == 2, 0.30 + 0.25 * years, 0.04 + 0.04 * years), 0.0, 0.95)
    paid = (fee > 0) & (rng.random(len(fee)) < share)
    return np.where(paid, np.where(rng.random(len(fee)) < 0.45, 1, 2), 0)


def _draw_digitized(rng, level, province, channel, years, ref) -> np.ndarray:
    share = DIGITIZED_BASE[level] + DIGITIZED_SLOPE[level] * years + ref.digital_shift[province]
    share = np.clip(share + 0.10 * (channel == 2), 0.02, 0.98)
    return (rng.random(len(level)) < share).astype(np.int64)


def _draw_electronic_result(rng, level, province, proc, years, done, ref) -> np.ndarray:
    share = E_RESULT_BASE[level] + E_RESULT_SLOPE[level] * years + ref.digital_shift[province]
    share = np.clip(share - 0.05 * ref.proc_paper[proc], 0.02, 0.98)
    return (done & (rng.random(len(level)) < share)).astype(np.int64)


def _draw_rating(rng, late, done) -> np.ndarray:
    u = rng.random(len(late))
    dislike = np.where(late, 0.03, 0.004)
    rating = np.select([u < dislike, u < dislike + 0.02, u < dislike + 0.13], [3, 2, 1], 0)
    return np.where(done, rating, 0)
