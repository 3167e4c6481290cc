"""Plain-text views of the marts for the terminal (the BI tools read the marts directly)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg

from cds_warehouse import batches

ATTAINMENT_SQL = """
select province_name, evaluated_on_successor, evaluation_province_code, indicator_code, admin_level,
       deadline_year, comparator, target_value, actual_value, actual_period_type, actual_period_start,
       actual_period_end, gap, status, projected_value, projection_method
from marts.mart_target_attainment
where status <> 'no_data'
order by province_code, indicator_code, deadline_year, admin_level
"""
REST_SQL = """
select count(*) filter (where status = 'no_data'), max(as_of_date)
from marts.mart_target_attainment
"""
METHODS = {"linear_trend": "linear"}


def attainment_table(conn: psycopg.Connection) -> str:
    """Targets that have an actual value, one line each; the others are counted in one line."""
    rows = conn.execute(ATTAINMENT_SQL).fetchall()
    waiting, as_of = conn.execute(REST_SQL).fetchone()
    header = ("province", "indicator", "level", "by", "target", "actual", "period", "gap", "status", "projection")
    body = [
        (
            # a pre-merger target evaluated on its successor says so: "Bắc Ninh→24"
            f"{r[0]}→{r[2]}" if r[1] else r[0],
            r[3],
            r[4],
            str(r[5]),
            f"{r[6]} {_number(r[7])}",
            _number(r[8]),
            _period(r[9], r[10], r[11]),
            "-" if r[12] is None else f"{r[12]:+.2f}",
            r[13],
            "-" if r[14] is None else f"{_number(r[14])} ({METHODS.get(r[15], r[15])})",
        )
        for r in rows
    ]
    as_of_text = as_of.strftime("%d/%m/%Y") if as_of else "-"
    return format_table(header, body) + f"\n({waiting} more targets have no data yet; evaluated as of {as_of_text})"


def _number(value: Decimal | None) -> str:
    """87.0000 → 87, 76.6000 → 76.6, 99.81 → 99.81: the contract's fixed scale without its padding."""
    if value is None:
        return "-"
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _period(kind: str | None, start: dt.date | None, end: dt.date | None) -> str:
    """The period of an actual the way the reports write it: 09/2025, Q3/2025, H1/2025, 2024, 19/07/2024."""
    if kind is None or start is None or end is None:
        return "-"
    if kind == "month":
        return start.strftime("%m/%Y")
    if kind == "quarter":
        return f"Q{(start.month - 1) // 3 + 1}/{start.year}"
    if kind == "half_year":
        return f"H{(start.month - 1) // 6 + 1}/{start.year}"
    if kind == "year":
        return str(start.year)
    if kind == "as_of":
        return end.strftime("%d/%m/%Y")
    return f"{start.strftime('%m')}–{end.strftime('%m/%Y')}"  # year_to_date and anything longer


def format_table(header: tuple[str, ...], rows: list[tuple]) -> str:
    widths = [max(len(str(v)) for v in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*map(str, r)) for r in rows]
    return "\n".join(out)


def warehouse_counts(conn: psycopg.Connection) -> dict[str, int]:
    queries = {
        "raw.portal_dossier rows": "select count(*) from raw.portal_dossier",
        "raw.load_reject rows": "select count(*) from raw.load_reject",
        "raw.load_audit loads": batches.count,  # the batch life cycle's own count
        "raw.agency_report_row rows": "select count(*) from raw.agency_report_row",
        "marts.agency_report_rows_awaiting_review rows": (
            "select count(*) from marts.agency_report_rows_awaiting_review"
        ),
        "marts.fct_dossier rows": "select count(*) from marts.fct_dossier",
        "marts.fct_indicator_observation rows": "select count(*) from marts.fct_indicator_observation",
        "marts.fct_online_dossier_rate_monthly rows": "select count(*) from marts.fct_online_dossier_rate_monthly",
        "marts.mart_indicator_timeseries rows": "select count(*) from marts.mart_indicator_timeseries",
        "marts.mart_target_attainment rows": "select count(*) from marts.mart_target_attainment",
        "marts.mart_province_scorecard rows": "select count(*) from marts.mart_province_scorecard",
    }
    return {label: q(conn) if callable(q) else conn.execute(q).fetchone()[0] for label, q in queries.items()}
