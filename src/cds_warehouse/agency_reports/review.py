"""What the DAG ``agency_reports_landing`` calls after landing (cds_warehouse.landing): the agency-report
models built, and the rows that wait for a reviewer (an indicator text no alias matches yet)."""

from __future__ import annotations

import logging

from cds_warehouse.db import connect
from cds_warehouse.dbt_build import run_build

log = logging.getLogger(__name__)

SOURCES = ("agency_reports", "published_766")  # the sources the DAG lands
DBT_SELECTOR = "+tag:agency_reports"
REVIEW_MODEL = "marts.agency_report_rows_awaiting_review"


def build_models(selector: str = DBT_SELECTOR) -> None:
    """dbt build of the agency-report models and what they need (seeds: catalog, aliases, agencies).
    Run every time, so that an alias added to the seed re-matches rows already loaded."""
    run_build([selector], artifacts="agency_reports")


def rows_awaiting_review(limit: int = 20) -> tuple[int, list[str]]:
    """How many report rows wait for an alias (or another fix), and the first ones as log lines."""
    with connect() as conn:
        total = conn.execute(f"select count(*) from {REVIEW_MODEL}").fetchone()[0]
        rows = conn.execute(
            "select agency_code, source_file, sheet_name, source_row, indicator_text, review_reason"
            f" from {REVIEW_MODEL} order by agency_code, source_file, sheet_name, source_row limit %s",
            (limit,),
        ).fetchall()
    return total, [
        f"{agency} {file} sheet {sheet!r} row {row}: {text!r} ({reason})"
        for agency, file, sheet, row, text, reason in rows
    ]


def report(summary: dict) -> int:
    """Log the rows awaiting review; fail (after logging) when a file was quarantined or unreadable."""
    total, lines = rows_awaiting_review()
    log.info(
        "%s report row(s) await review in %s: add their text to dbt_project/seeds/indicator_aliases.csv "
        "(or fix the agency or level) and re-run; no file needs to be loaded again",
        total,
        REVIEW_MODEL,
    )
    for line in lines:
        log.info("  %s", line)
    problems = [f"{e['file']}: quarantined (load {e['load_id']})" for e in summary.get("quarantined", [])]
    problems += summary.get("failed", [])
    if problems:
        raise RuntimeError("files moved to the failed folder:\n" + "\n".join(problems))
    return total
