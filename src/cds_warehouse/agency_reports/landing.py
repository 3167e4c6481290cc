"""What the DAG ``agency_reports_landing`` calls (kept free of Airflow imports).

Folders (under $CDS_LANDING_DIR, see orchestration.landing_dir):

    agency_reports/            report workbooks (.xlsx, .xlsm) waiting to be loaded
    agency_reports/archive/    published ones, as <load_id>_<file name> (a resubmission may reuse the name)
    agency_reports/failed/     unreadable or quarantined ones, each with <file name>.reason.txt
    published_766/            portal-published 766 CSVs, with the same archive/ and failed/ folders

A file is loaded as one batch, gated, and moved: to archive/ once published, to failed/ otherwise.
A file whose content was loaded before is recognised (sha256) and moved without loading it again.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

from cds_warehouse.agency_reports.loader import PUBLISHED_SOURCE, SOURCE, gate_batch, load_report, read_issues
from cds_warehouse.db import connect
from cds_warehouse.dbt_build import run_build
from cds_warehouse.orchestration import landing_dir

log = logging.getLogger(__name__)

PATTERNS = {SOURCE: ("*.xlsx", "*.xlsm", "*.xls"), PUBLISHED_SOURCE: ("*.csv",)}
DBT_SELECTOR = "+tag:agency_reports"
REVIEW_MODEL = "marts.agency_report_rows_awaiting_review"


def waiting_files(source: str) -> list[Path]:
    folder = landing_dir(source)
    found = {p for pattern in PATTERNS[source] for p in folder.glob(pattern) if p.is_file()}
    # "~$name.xlsx" is Excel's lock file of an open workbook; dot files are editors' or sync tools'
    return sorted(p for p in found if not p.name.startswith(("~$", ".")))


def ingest(sources: tuple[str, ...] = (SOURCE, PUBLISHED_SOURCE)) -> dict:
    """Load every waiting file; unreadable ones go to failed/ at once. Returns the batches to gate
    (with their file) and the failures, as plain data for XCom."""
    from cds_warehouse.load import load_file

    batches: list[dict] = []
    failed: list[dict] = []
    for source in sources:
        files = waiting_files(source)
        log.info("%s: %s file(s) in %s", source, len(files), landing_dir(source))
        for path in files:
            try:
                if source == SOURCE:
                    result = load_report(path)
                    load_id, status = result.load_id, result.status
                else:
                    result = load_file(path, source)
                    load_id, status = result.load_id, result.status
                    log.info(
                        "%s: load %s %s (read %s, loaded %s, rejected %s)",
                        path.name,
                        load_id,
                        status,
                        result.rows_read,
                        result.rows_loaded,
                        result.rows_rejected,
                    )
            except Exception as exc:  # one broken file must not hold back the others
                reason = f"{type(exc).__name__}: {exc}"
                log.error("%s: %s", path.name, reason)
                failed.append({"source": source, "file": path.name, "reason": reason})
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
        entry = {"source": source, "load_id": load_id, "file": path.name if path else None}
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


def _target(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    n = 1
    while target.exists() or target.with_name(target.name + ".reason.txt").exists():
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target


def move_to_archive(path: Path, load_id: int) -> Path:
    target = path.parent / "archive" / f"{load_id}_{path.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():  # the same content was archived before (sha256): keep one copy
        path.unlink()
        return target
    shutil.move(str(path), target)
    return target


def move_to_failed(path: Path, reason: str) -> Path:
    target = _target(path.parent / "failed", path.name)
    shutil.move(str(path), target)
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    target.with_name(target.name + ".reason.txt").write_text(
        f"{path.name} ({stamp})\n\n{reason}\n\nFix the file and drop it into {path.parent} again.\n", encoding="utf-8"
    )
    log.info("%s moved to %s", path.name, target)
    return target


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
    problems += [f"{e['file']}: {e['reason']}" for e in summary.get("failed", [])]
    if problems:
        raise RuntimeError("files moved to the failed folder:\n" + "\n".join(problems))
    return total
