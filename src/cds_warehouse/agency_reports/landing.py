"""What the DAG ``agency_reports_landing`` calls (kept free of Airflow imports).

Folders (under $CDS_LANDING_DIR, with the life cycle of cds_warehouse.landing):

    agency_reports/            report workbooks (.xlsx, .xlsm) waiting to be loaded
    agency_reports/archive/    published ones, as <load_id>_<file name> (a resubmission may reuse the name)
    agency_reports/failed/     unreadable or quarantined ones (and symbolic links), each with <file name>.reason.txt
    published_766/            portal-published 766 CSVs, with the same archive/ and failed/ folders

A file is loaded as one batch, gated, and moved: to archive/ once published, to failed/ otherwise.
A file whose content was loaded before is recognised (sha256) and moved without loading it again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from cds_warehouse.agency_reports.candidates import refresh_candidates
from cds_warehouse.agency_reports.loader import PUBLISHED_SOURCE, SOURCE, gate_batch, load_report, read_issues
from cds_warehouse.audit import FileBeingLoaded
from cds_warehouse.db import connect
from cds_warehouse.dbt_build import dbt_project_dir, run_build
from cds_warehouse.landing import landing_dir, move_to_archive, move_to_failed, shown_name, waiting_files

log = logging.getLogger(__name__)

SUFFIXES = {SOURCE: (".xlsx", ".xlsm", ".xls"), PUBLISHED_SOURCE: (".csv",)}
DBT_SELECTOR = "+tag:agency_reports"
REVIEW_MODEL = "marts.agency_report_rows_awaiting_review"


def ingest(sources: tuple[str, ...] = (SOURCE, PUBLISHED_SOURCE)) -> dict:
    """Load every waiting file; unreadable ones go to failed/ at once. Returns the batches to gate
    (with their file) and the failures, as plain data for XCom."""
    from cds_warehouse.load import load_file

    batches: list[dict] = []
    failed: list[dict] = []
    for source in sources:
        files, refused = waiting_files(source, SUFFIXES[source])
        log.info("%s: %s file(s) in %s", source, len(files), shown_name(str(landing_dir(source))))
        for path, reason in refused:
            log.error("%s: %s", shown_name(path.name), reason)
            failed.append({"source": source, "file": shown_name(path.name), "reason": reason})
            move_to_failed(path, reason)
        for path in files:
            name = shown_name(path.name)
            try:
                if source == SOURCE:
                    result = load_report(path)
                    load_id, status = result.load_id, result.status
                else:
                    result = load_file(path, source)
                    load_id, status = result.load_id, result.status
                    log.info(
                        "%s: load %s %s (read %s, loaded %s, rejected %s)",
                        name,
                        load_id,
                        status,
                        result.rows_read,
                        result.rows_loaded,
                        result.rows_rejected,
                    )
            except FileBeingLoaded as exc:  # another run loads it, and gates and files it
                log.warning("%s", exc)
                continue
            except Exception as exc:  # one broken file must not hold back the others
                if not os.path.lexists(path):  # another run loaded and moved it while this one started
                    log.warning("%s: taken by another run", name)
                    continue
                reason = f"{type(exc).__name__}: {exc}"
                log.error("%s: %s", name, reason)
                failed.append({"source": source, "file": name, "reason": reason})
                move_to_failed(path, reason)
                continue
            batches.append({"source": source, "load_id": load_id, "status": status, "path": str(path)})
    known = {b["load_id"] for b in batches}
    with connect() as conn:  # batches a previous run loaded but did not gate
        for source in sources:
            for (load_id,) in conn.execute(
                "select load_id from raw.load_audit where source = %s and status = 'loaded' order by load_id",
                (source,),
            ).fetchall():
                if load_id not in known:
                    batches.append({"source": source, "load_id": load_id, "status": "loaded", "path": None})
    return {"batches": batches, "failed": failed}


def gate_and_file(ingested: dict, evaluated_on: dt.date | None = None) -> dict:
    """Gate every new batch and move its file: archive/ when published, failed/ with the reason when
    quarantined. Returns what happened, for the last task's summary. ``evaluated_on``: the run's
    evaluation date (the gate's bound on dates in a report)."""
    summary = {"published": [], "quarantined": [], "skipped": [], "failed": list(ingested.get("failed", []))}
    for batch in ingested["batches"]:
        path = Path(batch["path"]) if batch["path"] else None
        load_id, source = batch["load_id"], batch["source"]
        with connect() as conn:
            status = conn.execute("select status from raw.load_audit where load_id = %s", (load_id,)).fetchone()[0]
        if status == "loaded":
            result = gate_batch(load_id, source, evaluated_on=evaluated_on)
            status = "published" if result.passed else "quarantined"
        entry = {"source": source, "load_id": load_id, "file": shown_name(path.name) if path else None}
        if status == "quarantined":
            reason = _quarantine_reason(load_id)
            entry["reason"] = reason
            summary["quarantined"].append(entry)
            if path is not None and path.exists():
                move_to_failed(path, reason)
        else:
            summary["skipped" if batch["status"] == "skipped" else "published"].append(entry)
            if path is not None and path.exists():
                move_to_archive(path, load_id)
    for kind in ("published", "quarantined", "skipped", "failed"):
        for entry in summary[kind]:
            log.info("%s: %s %s", kind, entry.get("file"), f"(load {entry['load_id']})" if "load_id" in entry else "")
    return summary


def _quarantine_reason(load_id: int) -> str:
    with connect() as conn:
        message = conn.execute("select message from raw.load_audit where load_id = %s", (load_id,)).fetchone()[0]
        issues = read_issues(conn, load_id, limit=30)
    lines = [f"Load {load_id} was quarantined by the quality gate:", message or "", ""]
    if issues:
        lines += ["What the parser reported:", *issues]
    return "\n".join(lines).strip()


def build_models(selector: str = DBT_SELECTOR) -> None:
    """dbt build of the agency-report models and what they need (seeds: catalog, aliases, agencies).
    Run every time, so that an alias added to the seed re-matches rows already loaded. The candidate
    indicators of the texts no name matches are ranked first (they follow the catalog and the aliases)."""
    refresh_candidates(dbt_project_dir())
    run_build([selector], artifacts="agency_reports")


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
    problems += [f"{e['file']}: {e['reason']}" for e in summary.get("failed", [])]
    if problems:
        raise RuntimeError("files moved to the failed folder:\n" + "\n".join(problems))
    return total
