"""Plain-text views of the marts for the terminal (the BI tools read the marts directly)."""

from __future__ import annotations

import psycopg

ATTAINMENT_SQL = """
select province_name, admin_level, deadline_year, comparator, target_value,
       to_char(actual_period_start, 'MM/YYYY') as period, actual_value, gap, status
from marts.mart_target_attainment
order by province_code, deadline_year, admin_level
"""


def attainment_table(conn: psycopg.Connection) -> str:
    rows = conn.execute(ATTAINMENT_SQL).fetchall()
    header = ("province", "level", "by", "target", "period", "actual %", "gap pp", "status")
    body = [
        (
            r[0],
            r[1],
            str(r[2]),
            f"{r[3]} {r[4]:g}%",
            r[5] or "-",
            "-" if r[6] is None else f"{r[6]:.2f}",
            "-" if r[7] is None else f"{r[7]:+.2f}",
            r[8],
        )
        for r in rows
    ]
    return format_table(header, body)


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
