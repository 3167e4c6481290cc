"""Landing: every file source's files, from its folder to a gated batch. Both DAGs call it (kept free of
Airflow imports, so it is tested without a scheduler).

A source's YAML says where its files wait and which are its own (``landing: folder, patterns``), which
loader reads them (``format.kind``: csv and xlsx by the CSV loader, report_workbook by the agency report
parser), the checkpoint that gates each batch (``checkpoint``) and what happens to a loaded file
(``landing.after_load``). Under $CDS_LANDING_DIR/<folder>/:

    <folder>/            files waiting to be loaded
    <folder>/archive/    loaded ones, as <load_id>_<file name> (a later delivery may reuse the name)
    <folder>/failed/     refused ones, each with <file name>.reason.txt saying why

``ingest`` loads every waiting file as one audited batch (cds_warehouse.batches) and moves it to archive/
as soon as its rows are committed (after_load: archive; keep leaves it), so the rest of the night works
from the batch, never from the file. A file whose content was loaded before is archived without a
second batch. A file that cannot be loaded, a symbolic link, or a delivery of content the gate
quarantined before goes to failed/ with a reason file: it does not hold back the others. ``gate`` runs
each batch's checkpoint and moves the file of a batch it quarantines from archive/ to failed/.

Only regular files are taken. A symbolic link (or a pipe, a device) is refused, moved to failed/ as it is,
never followed: a link can point anywhere the loader can read. File names are shown escaped wherever they
are logged, stored or reported (``log_text.shown_name``): a name can hold a newline that would split a
log line or forge another.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from cds_warehouse import batches
from cds_warehouse.agency_reports.loader import load_report, read_issues
from cds_warehouse.batches import FileBeingLoaded
from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.load import load_file
from cds_warehouse.log_text import shown_name
from cds_warehouse.pii_key import PiiKeyChanged, checked_fingerprint
from cds_warehouse.quality import QualityGateFailed, enforce
from cds_warehouse.settings import STATE_DIR, pii_key
from cds_warehouse.sources import SourceSpec, load_source

log = logging.getLogger(__name__)

ISSUES_IN_REASON = 30  # a quarantined workbook's reason file lists its first parser issues


def landing_dir(source: str) -> Path:
    """Folder where a source's files are dropped: $CDS_LANDING_DIR/<landing.folder>/."""
    root = Path(os.environ.get("CDS_LANDING_DIR", STATE_DIR / "landing"))
    landing = load_source(source).landing
    if landing is None:
        raise ValueError(f"source {source} lands no files (no landing: in its YAML)")
    return root / landing.folder


# --- the routine the DAGs call ---------------------------------------------------------------------------


def ingest(*sources: str) -> dict[str, list]:
    """Load every file waiting in the sources' folders. Returns, as plain data for XCom, the batches to gate
    (``load_ids``: the sources' batches awaiting the gate, including one a run that stopped between load and
    gate left behind) and the files refused (``failed``: "<name>: <reason>", each moved to failed/).

    A file another run is loading right now is left to it. A CDS_PII_KEY that is not the warehouse's stops
    the task before any file of a source that hashes personal data (pii_key.PiiKeyChanged): the key is the
    night's problem, not the files', and they wait in the folder until it is fixed."""
    failed: list[str] = []
    for source in sources:
        failed += _ingest_source(load_source(source))
    with connect() as conn:
        load_ids = batches.awaiting_gate(conn, sources)
    return {"load_ids": load_ids, "failed": failed}


def gate(
    load_ids: Sequence[int],
    evaluated_on: dt.date | None = None,
    *,
    failed: Sequence[str] = (),
    fail_on_quarantine: bool = False,
) -> dict[str, list]:
    """The quality gate of each batch awaiting it (batches.gate_batch: the checkpoint its source's YAML
    names), then the file of each batch it quarantined moved from archive/ to failed/ with a reason file.
    A batch of ``load_ids`` gated before (by an earlier attempt of the task) counts with its verdict, so a
    retry fails as the first attempt did. Returns what happened ({"published", "quarantined": [{source,
    load_id, file}], "failed": the files ``ingest`` refused}); with ``fail_on_quarantine`` raises
    QualityGateFailed, naming each quarantined batch and what failed, once every batch is gated and filed."""
    summary: dict[str, list] = {"published": [], "quarantined": [], "failed": list(failed)}
    failures = []
    for load_id in load_ids:
        with connect() as conn:
            batch = batches.batch_of(conn, load_id)
        if batch is None or batch.status not in ("loaded", "published", "quarantined"):
            continue  # not a batch that reached the gate (an empty file, a failed load)
        if batch.status == "loaded":
            result = batches.gate_batch(load_id, evaluated_on=evaluated_on)
            with connect() as conn:
                batch = batches.batch_of(conn, load_id)  # with the gate's verdict and message
            if not result.passed:
                try:
                    enforce(result)
                except QualityGateFailed as exc:
                    failures.append(f"load {load_id}: {exc}")
        elif batch.status == "quarantined":
            failures.append(f"load {load_id}: quarantined by the quality gate: {batch.message}")
        summary[batch.status].append({"source": batch.source, "load_id": load_id, "file": batch.file_name})
        if batch.status == "quarantined":
            _file_quarantined(batch)
    for kind in ("published", "quarantined"):
        for entry in summary[kind]:
            log.info("%s: %s (load %s)", kind, entry["file"], entry["load_id"])
    if failures and fail_on_quarantine:
        raise QualityGateFailed("\n".join(failures))
    return summary


def land(source: str, evaluated_on: dt.date | None = None) -> dict[str, list]:
    """Ingest and gate one source's waiting files (what a DAG does in two tasks)."""
    ingested = ingest(source)
    return gate(ingested["load_ids"], evaluated_on, failed=ingested["failed"])


def raise_for_failed_files(failed: Sequence[str]) -> None:
    """The night's verdict on its files, given after the marts are built from the others."""
    if failed:
        raise RuntimeError(
            f"{len(failed)} file(s) could not be loaded (moved to failed/ with a reason file; see raw.load_audit):\n"
            + "\n".join(failed)
        )


# --- loading one source's files --------------------------------------------------------------------------


def _ingest_source(spec: SourceSpec) -> list[str]:
    files, refused = waiting_files(spec.name)
    log.info("%s: %s file(s) in %s", spec.name, len(files), shown_name(str(landing_dir(spec.name))))
    if files and any(c.pii == "hash" for c in spec.columns):
        with connect() as conn:
            apply_raw_schema(conn)
            checked_fingerprint(conn, pii_key())
    failed = [_refused(path, reason) for path, reason in refused]
    for path in files:
        try:
            load_id, status = _load(path, spec)
        except FileBeingLoaded as exc:  # the other run loads it, files it and gates it
            log.warning("%s", exc)
            continue
        except PiiKeyChanged:  # a rotation declared during the night: not the file's fault either
            raise
        except Exception as exc:  # keep going: one broken file must not hold back the others
            if not os.path.lexists(path):  # another run loaded and moved it while this one started
                log.warning("%s: taken by another run", shown_name(path.name))
                continue
            failed.append(_refused(path, f"{type(exc).__name__}: {exc}"))
            continue
        failed += _file_away(path, spec, load_id)
    return failed


def _load(path: Path, spec: SourceSpec) -> tuple[int, str]:
    """The file loaded by its source's loader (format.kind); returns (load_id, status)."""
    result = load_report(path) if spec.kind == "report_workbook" else load_file(path, spec.name)
    log.info(
        "%s: load %s %s (read %s, loaded %s, rejected %s)",
        result.file_name,
        result.load_id,
        result.status,
        result.rows_read,
        result.rows_loaded,
        result.rows_rejected,
    )
    return result.load_id, result.status


def _file_away(path: Path, spec: SourceSpec, load_id: int) -> list[str]:
    """A loaded file archived (or kept, per after_load); a delivery of content the gate quarantined
    before is refused again."""
    with connect() as conn:
        batch = batches.batch_of(conn, load_id)
    if batch.status == "quarantined":
        return [_refused(path, _quarantine_reason(batch, spec, "the same content was loaded before as"))]
    if spec.landing.after_load == "archive":
        move_to_archive(path, load_id)
    return []


def _refused(path: Path, reason: str) -> str:
    """Move a refused file to failed/ with its reason; the night's line for it."""
    name = shown_name(path.name)
    log.error("%s: %s", name, reason)
    move_to_failed(path, reason)
    return f"{name}: {reason}"


def _file_quarantined(batch: batches.Batch) -> None:
    """The file of a quarantined batch, from archive/ (or, kept, from the folder) to failed/."""
    spec = load_source(batch.source)
    if spec.landing is None:
        return  # pulled, not delivered: no file to move
    folder = landing_dir(spec.name)
    files = list((folder / "archive").glob(f"{batch.load_id}_*"))
    kept = folder / batch.file_name
    if spec.landing.after_load == "keep" and kept.is_file() and not kept.is_symlink():
        files.append(kept)
    for path in files:
        move_to_failed(path, _quarantine_reason(batch, spec, "loaded as"), folder)


def _quarantine_reason(batch: batches.Batch, spec: SourceSpec, how: str) -> str:
    """Where to read what failed. The gate's message is quoted only for a source without personal data:
    it may quote values, the reason file need not."""
    lines = [
        f"{how} load {batch.load_id}, which the quality gate quarantined; what failed is in"
        f" raw.load_audit.message (select message from raw.load_audit where load_id = {batch.load_id})."
        " Fix the file and deliver it again."
    ]
    if not spec.has_personal_data and batch.message:
        lines += ["", "What failed:", batch.message]
    if spec.kind == "report_workbook":
        with connect() as conn:
            issues = read_issues(conn, batch.load_id, limit=ISSUES_IN_REASON)
        if issues:
            lines += ["", "What the parser reported:", *issues]
    return "\n".join(lines)


# --- the folder -------------------------------------------------------------------------------------------


def waiting_files(source: str) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The source's waiting files (its landing patterns, case-insensitive), in name order, and those refused
    at sight, with why. Folders (archive/, failed/), dot files (editors' and sync tools') and "~$name.xlsx"
    (Excel's lock file of an open workbook) are not deliveries and are left alone."""
    folder = landing_dir(source)
    if not folder.is_dir():
        return [], []
    patterns = [p.lower() for p in load_source(source).landing.patterns]
    files, refused = [], []
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        if path.name.startswith(("~$", ".")) or not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        mode = path.lstat().st_mode  # lstat: the entry itself, never what a link points at
        if stat.S_ISDIR(mode):
            continue
        if stat.S_ISLNK(mode):
            refused.append((path, "a symbolic link; links are not followed: copy the file itself into the folder"))
        elif not stat.S_ISREG(mode):
            refused.append((path, "not a regular file (a pipe, a socket or a device); copy the file into the folder"))
        else:
            files.append(path)
    return files, refused


def move_to_archive(path: Path, load_id: int) -> Path:
    """A loaded file into archive/, named after its batch. The same content archived before (a file
    delivered twice is one batch) is kept once."""
    target = path.parent / "archive" / f"{load_id}_{path.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        path.unlink()
    else:
        os.replace(path, target)
    log.info("%s moved to %s", shown_name(path.name), shown_name(str(target.relative_to(path.parent))))
    return target


def move_to_failed(path: Path, reason: str, landing: Path | None = None) -> Path:
    """A refused file into failed/ of ``landing`` (default: the file's folder), with <name>.reason.txt
    beside it. A link moves as the link."""
    landing = landing or path.parent
    target = _free_name(landing / "failed", path.name)
    os.replace(path, target)  # a rename: a symbolic link moves as the link, its target untouched
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    text = f"{shown_name(path.name)} ({stamp})\n\n{reason}\n\nFix the file and drop it into {landing} again.\n"
    target.with_name(target.name + ".reason.txt").write_text(text, encoding="utf-8")
    log.info("%s moved to %s", shown_name(path.name), shown_name(str(target.relative_to(landing))))
    return target


def _free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or name.1, name.2 ... when a file (or its reason file) has it already."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    n = 1
    while os.path.lexists(target) or os.path.lexists(target.with_name(target.name + ".reason.txt")):
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target
