"""Plain-text views of the marts for the terminal (the BI tools read the marts directly)."""

from __future__ import annotations

import psycopg

ATTAINMENT_SQL = """
select province_name, indicator_code, admin_level, deadline_year, comparator, target_value,
       to_char(actual_period_start, 'MM/YYYY') as period, actual_value, gap, status
from marts.mart_target_attainment
where status <> 'no_data'
order by province_code, indicator_code, deadline_year, admin_level
"""


def attainment_table(conn: psycopg.Connection) -> str:
    """Targets that have an actual value; the others are counted in one line."""
    rows = conn.execute(ATTAINMENT_SQL).fetchall()
    waiting = conn.execute("select count(*) from marts.mart_target_attainment where status = 'no_data'").fetchone()[0]
    header = ("province", "indicator", "level", "by", "target", "period", "actual", "gap", "status")
    body = [
        (
            r[0],
            r[1],
            r[2],
            str(r[3]),
            f"{r[4]} {r[5]:g}",
            r[6] or "-",
            "-" if r[7] is None else f"{r[7]:.2f}",
            "-" if r[8] is None else f"{r[8]:+.2f}",
            r[9],
        )
        for r in rows
    ]
    return format_table(header, body) + f"\n({waiting} more targets have no data yet)"


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
        "raw.load_audit loads": "select count(*) from raw.load_audit",
        "marts.fct_dossier rows": "select count(*) from marts.fct_dossier",
        "marts.fct_online_dossier_rate_monthly rows": "select count(*) from marts.fct_online_dossier_rate_monthly",
        "marts.mart_target_attainment rows": "select count(*) from marts.mart_target_attainment",
    }
    return {label: conn.execute(q).fetchone()[0] for label, q in queries.items()}
