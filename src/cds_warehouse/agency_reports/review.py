"""What the DAG ``agency_reports_landing`` calls around the landing routine (cds_warehouse.landing): which
sources it lands, the models built from them, and the rows that wait for a reviewer (an indicator text no
alias matches yet)."""

from __future__ import annotations

import logging

from cds_warehouse.agency_reports.candidates import refresh_candidates
from cds_warehouse.db import connect
from cds_warehouse.dbt_build import dbt_project_dir, run_build
from cds_warehouse.sources import file_sources, load_source

log = logging.getLogger(__name__)

NIGHTLY_SOURCE = "portal_dossiers"  # landed by portal_dossiers_nightly, beside the portal API
AGENCY_SOURCES = ("agency_reports", "published_766")  # their models carry the tag agency_reports
DBT_SELECTOR = "+tag:agency_reports"
REVIEW_MODEL = "marts.agency_report_rows_awaiting_review"


def landed_sources() -> list[str]:
    """The sources this DAG lands: every file source but the portal's exports, so a source added with
    `cds add-source` is landed from its first night with no code."""
    return [name for name in file_sources() if name != NIGHTLY_SOURCE]


def build_models(selector: str = DBT_SELECTOR) -> None:
    """dbt build of the agency-report models and what they need (seeds: catalog, aliases, agencies), and of
    every model that reads another source this DAG lands. Run every time, so that an alias added to the seed
    re-matches rows already loaded. The candidate indicators of the texts no name matches are ranked first
    (they follow the catalog and the aliases)."""
    others = [load_source(name).raw_table for name in landed_sources() if name not in AGENCY_SOURCES]
    refresh_candidates(dbt_project_dir())
    run_build([selector, *(f"source:{table}+" for table in others)], artifacts="agency_reports")


def rows_awaiting_review(limit: int = 20) -> tuple[int, list[str]]:
    """How many report rows wait for an alias (or another fix), and the first ones as log lines."""
    with connect() as conn:
        total = conn.execute(f"select count(*) from {REVIEW_MODEL}").fetchone()[0]
        rows = conn.execute(
            "select agency_code, source_file, sheet_name, source_row, indicator_text, review_reason,"
            " review_row_key, candidate_codes"
            f" from {REVIEW_MODEL} order by agency_code, source_file, sheet_name, source_row limit %s",
            (limit,),
        ).fetchall()
    return total, [
        f"{agency} {file} sheet {sheet!r} row {row}: {text!r} ({reason}) [{key}]"
        + (f" candidates: {candidates}" if candidates else "")
        for agency, file, sheet, row, text, reason, key, candidates in rows
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
