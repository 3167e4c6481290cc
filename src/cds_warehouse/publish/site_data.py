"""What the scorecard site reads from the marts (publish/site.py writes it): the provinces as they set
their targets with their counts and score, the data by source, the targets, the series behind each target's
actual, and each province's latest 766 points."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    as_of: date | None
    counts: dict[str, int]  # status -> targets, over every pillar and deadline
    score: Decimal | None  # the scorecard's score over every group: achieved or on track / with data
    coverage: Decimal | None


def provinces(conn: psycopg.Connection) -> list[Province]:
    """Each province of the scorecard, its targets counted by status (from the attainment, so a status the
    scorecard has no column for yet is counted too) and its score over every group (sums of the scorecard's
    weights, as the scorecard computes each group's)."""
    rows = conn.execute(
        """
        select province_code, max(province_name), max(as_of_date),
            round(100 * (sum(weight_achieved) + sum(weight_on_track)) / nullif(sum(weight_with_data), 0), 1),
            round(100 * sum(weight_with_data) / nullif(sum(weight_total), 0), 1)
        from marts.mart_province_scorecard
        group by province_code
        order by province_code
        """
    ).fetchall()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for code, status, count in conn.execute(
        "select province_code, status, count(*) from marts.mart_target_attainment group by 1, 2"
    ):
        counts[code][status] = count
    return [Province(code, name, as_of, counts[code], score, coverage) for code, name, as_of, score, coverage in rows]


def points_766(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """The latest 766 points of each group and indicator, per province as it set its targets: the points sit
    under the unit that held the territory when they were computed, so a merged province's are read from its
    home unit (the earliest with its code) and, from the merger on, from its successor
    (bridge_admin_unit_succession) — never from another unit that had the successor's code before."""
    rows = conn.execute(
        """
        with provinces as (
            select distinct s.province_code, first_value(u.unit_key) over (
                partition by s.province_code order by u.valid_from) as home_unit_key
            from marts.mart_province_scorecard s
            join marts.dim_admin_unit u on u.level = 'province' and u.unit_code = s.province_code
        ),
        territory as (
            select province_code, home_unit_key as unit_key from provinces
            union
            select p.province_code, b.successor_unit_key
            from provinces p
            join marts.bridge_admin_unit_succession b on b.predecessor_unit_key = p.home_unit_key
        ),
        latest as (
            select distinct on (t.province_code, o.indicator_code)
                t.province_code, i.item_766, o.indicator_code, o.indicator_name_vi, o.indicator_name_en,
                o.period_start, o.period_end, o.value, o.province_name, o.scoring_basis_766
            from territory t
            join marts.mart_indicator_timeseries o on o.province_unit_key = t.unit_key
            join marts.dim_indicator i on i.indicator_code = o.indicator_code
            where o.unit = 'points' and o.unit_code = '*' and o.admin_level = 'all'
            order by t.province_code, o.indicator_code, o.period_end desc, o.period_start desc, o.source_kind
        )
        select * from latest order by province_code, item_766, indicator_code
        """
    ).fetchall()
    by_province: dict[str, list[tuple]] = defaultdict(list)
    for code, *row in rows:
        by_province[code].append(tuple(row))
    return by_province


def freshness(conn: psycopg.Connection) -> list[tuple]:
    """Per source of the observations: its kind, name, first period start, last period end, observations."""
    return conn.execute(
        "select source_kind, source, min(period_start), max(period_end), count(*)"
        " from marts.mart_indicator_timeseries group by source_kind, source order by source_kind, source"
    ).fetchall()


def targets(conn: psycopg.Connection) -> dict[str, list[dict]]:
    by_province: dict[str, list[dict]] = defaultdict(list)
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            "select * from marts.mart_target_attainment order by province_code, pillar, deadline_year,"
            " indicator_code, admin_level, target_id"
        )
        for row in cursor:
            by_province[row["province_code"]].append(row)
    return by_province


def series(conn: psycopg.Connection) -> dict[tuple, list[tuple[date, Decimal]]]:
    """The observations a target's actual can come from, keyed as the attainment names them: (indicator,
    province, unit, level, source kind, source, method, period type) -> [(period end, value)] in time order."""
    rows = conn.execute(
        """
        select indicator_code, province_code, unit_code, admin_level, source_kind, source, method, period_type,
            period_end, value
        from marts.mart_indicator_timeseries
        where observation_key in (
            select o.observation_key
            from marts.mart_indicator_timeseries o
            join marts.mart_target_attainment t
                on o.indicator_code = t.indicator_code
                and o.province_code = t.evaluation_province_code
                and o.source_kind = t.actual_source_kind
                and o.source = t.actual_source
                and o.method = t.actual_method
                and o.admin_level = t.admin_level
                and o.period_type = t.actual_period_type
                and o.unit_code = '*'
        )
        order by period_end, period_start
        """
    ).fetchall()
    series: dict[tuple, list[tuple[date, Decimal]]] = defaultdict(list)
    for *key, period_end, value in rows:
        series[tuple(key)].append((period_end, value))
    return series
