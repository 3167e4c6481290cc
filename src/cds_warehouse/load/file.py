"""A file as one audited batch: recognised by its content, its header mapped to the source's columns,
copied in one transaction, refused whole when it was cut short, its repeated records made rejects."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from psycopg import sql

from cds_warehouse import dialects
from cds_warehouse.batches import claim_content, open_batch, previous_load, record_empty, record_failure, record_loaded
from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.json_lines import JsonLinesError, is_json_lines, json_lines_to_csv
from cds_warehouse.load.copying import LOGGED_REJECTS, copy_file
from cds_warehouse.load.errors import EmptyFile, LoadError
from cds_warehouse.load.progress import Progress, file_line
from cds_warehouse.load.stream import read_header
from cds_warehouse.log_text import shown_name
from cds_warehouse.pii_key import checked_fingerprint
from cds_warehouse.settings import pii_key
from cds_warehouse.sources import Column, SourceSpec, load_source
from cds_warehouse.xlsx import xlsx_to_csv

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    load_id: int
    source: str
    file_name: str
    file_sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    status: str  # 'loaded'; 'empty' when the file has no data row; 'skipped' when the same content was loaded before
    seconds: float


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_file(path: str | Path, source: str = "portal_dossiers", dsn: str | None = None) -> LoadResult:
    """Load one file as one audited batch. Raises FileBeingLoaded when another live process is loading the
    same content, PiiKeyChanged (before anything is written) when CDS_PII_KEY is not the warehouse's key."""
    path = Path(path)
    name = shown_name(path.name)  # as logs, messages and the audit show it: one line, whatever the name
    spec = load_source(source)
    started = time.monotonic()
    with Progress(log, file_line(name)) as progress:
        result = _load(path, name, spec, dsn, progress)
    seconds = time.monotonic() - started
    if result.status != "skipped":
        log.info(
            "%s: load %s %s: read %s, loaded %s, rejected %s rows in %.1f s",
            name, result.load_id, result.status, result.rows_read, result.rows_loaded, result.rows_rejected, seconds,
        )  # fmt: skip
    return dataclasses.replace(result, seconds=seconds)


def _load(path: Path, name: str, spec: SourceSpec, dsn: str | None, progress: Progress) -> LoadResult:
    progress.total_bytes = _size(path)
    progress.step = "computing the file's checksum"
    sha = file_sha256(path)
    progress.step = ""
    with connect(dsn) as conn:
        apply_raw_schema(conn)
        claim_content(conn, spec.name, sha, name)
        previous = previous_load(conn, spec.name, sha)
        if previous:
            log.info("%s: already loaded as load %s; skipped", name, previous[0])
            return LoadResult(previous[0], spec.name, name, sha, *previous[1:], "skipped", 0.0)
        hashes = any(c.pii == "hash" for c in spec.columns)  # the key matters only to a source that hashes
        key_print = checked_fingerprint(conn, pii_key()) if hashes else None
        load_id = open_batch(conn, spec.name, name, sha, key_print)
        try:
            with _readable_csv(path, spec) as readable:
                progress.total_bytes = _size(readable)  # an XLSX or JSON-lines export is read as its CSV
                columns = map_header(readable, spec, name)
                # columns that arrived under a dialect's header are read in that dialect (dialects.py)
                spec = dialects.as_read(spec, columns)
                counts, status = _load_into(conn, readable, spec, columns, load_id, name, progress)
        except EmptyFile as exc:
            record_empty(conn, load_id, str(exc))
            counts, status = (0, 0, 0), "empty"
        except Exception as exc:  # a file that cannot be read at all is in the audit too, with why
            record_failure(conn, load_id, exc)
            raise
        progress.step = "updating the raw table's statistics"
        analyze_raw(conn, spec)
    return LoadResult(load_id, spec.name, name, sha, *counts, status, 0.0)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # a path that is not a file is refused later, with its reason
        return 0


def analyze_raw(conn, spec: SourceSpec) -> None:
    """Index summaries and planner statistics of the source's raw table brought up to date after a
    batch. The batch's rows sit in block ranges its BRIN index has not summarised yet, which every index
    scan must read, and its load_id lies above the statistics' range; without this the models' and
    tests' filters on the new loads read the whole history. Both steps read the new blocks or a fixed
    sample, so they cost the same whatever the table's size. Only load_id, the column those filters
    use, is analysed here, from a small sample (sql/010_raw_portal.sql); autovacuum keeps the others."""
    brin_indexes = conn.execute(
        "select i.indexrelid::regclass::text from pg_index as i join pg_class as c on c.oid = i.indexrelid"
        " join pg_am as am on am.oid = c.relam where i.indrelid = %s::regclass and am.amname = 'brin'",
        (spec.raw_table,),
    ).fetchall()
    for (index,) in brin_indexes:
        conn.execute("select brin_summarize_new_values(%s::regclass)", (index,))
    conn.execute(sql.SQL("analyze {} (load_id)").format(sql.SQL(spec.raw_table)))
    conn.commit()


@contextmanager
def _readable_csv(path: Path, spec: SourceSpec) -> Iterator[Path]:
    """The file itself when it is CSV. An XLSX export is converted to CSV first, in an unnamed temporary
    file (reopened through /dev/fd): the sheet holds personal data, and a file with a name would outlive
    a load that is killed. A JSON-lines export likewise (json_lines.py)."""
    if is_json_lines(path):
        with tempfile.TemporaryFile() as raw:
            try:
                json_lines_to_csv(path, raw, shown_name(path.name))
            except JsonLinesError as exc:
                raise LoadError(str(exc)) from None
            raw.flush()
            yield Path(f"/dev/fd/{raw.fileno()}")
        return
    if path.suffix.lower() != ".xlsx":
        yield path
        return
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        xlsx_to_csv(path, text, spec)
        text.flush()
        text.detach()
        yield Path(f"/dev/fd/{raw.fileno()}")


def _load_into(conn, path: Path, spec: SourceSpec, columns, load_id: int, file_name: str, progress: Progress):
    """One transaction: all rows and rejects, or nothing (the caller records a failure in the audit).
    A file with a header and no data row is audited 'empty': no batch to gate, nothing to publish."""
    with conn.transaction():
        copied = copy_file(conn, path, spec, columns, load_id, file_name, progress)
        progress.step = "all rows sent; checking the file's end and finding repeated dossiers"
        _refuse_if_cut_short(conn, path, load_id, copied.rows_read, file_name)
        repeated = reject_repeats(conn, spec, load_id, file_name, copied.repeat_candidates)
        progress.step = "committing the batch"
        counts = (copied.rows_read, copied.rows_loaded - repeated, copied.rows_read - copied.rows_loaded + repeated)
        status = record_loaded(
            conn,
            load_id,
            counts,
            null_counts=copied.null_counts if copied.rows_read else None,
            message=None if copied.rows_read else "a header and no data row",
        )
    return counts, status


def _refuse_if_cut_short(conn, path: Path, load_id: int, rows_read: int, file_name: str) -> None:
    """A file that does not end with a line break and ends inside a quoted value, or whose last row is a
    reject, was cut short (a transfer or a disk that stopped): its rows cannot be trusted to be all there,
    so nothing of it is loaded. (A file cut just after a line break cannot be told from a whole one.)"""
    if not rows_read or path.suffix.lower() == ".xlsx":
        return
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        if fh.read(1) in b"\n\r":
            return
        fh.seek(0)
        quotes = sum(chunk.count(b'"') for chunk in iter(lambda: fh.read(1 << 20), b""))
    if quotes % 2:
        raise LoadError(
            f"{file_name}: row {rows_read}: the file ends inside a quoted value, without a line break: it was cut"
            " short; nothing loaded (deliver the whole file again)"
        )
    last = conn.execute(
        "select column_name, reason from raw.load_reject where load_id = %s and source_row = %s limit 1",
        (load_id, rows_read),
    ).fetchone()
    if last is not None:
        raise LoadError(
            f"{file_name}: row {rows_read}, column {last[0]}: the file ends inside this row ({last[1]}) without a"
            " line break: it was cut short; nothing loaded (deliver the whole file again)"
        )


def reject_repeats(conn, spec: SourceSpec, load_id: int, file_name: str, candidates: np.ndarray | None = None) -> int:
    """Rows of the batch whose record (spec.unique_in_file) another row of the file holds too leave the raw
    table for the rejects, naming that row: identical rows keep the first; rows whose content differs are all
    rejected, as nothing tells which one is right. Set-based, inside the load's transaction; returns how many
    rows left. With ``candidates`` (repeats.py: the source rows whose record may be in another row, every
    row of a repeated record among them), only those rows are grouped; none means no repeats."""
    if not spec.unique_in_file or (candidates is not None and len(candidates) == 0):
        return 0
    key = sql.SQL(", ").join(sql.Identifier(k) for k in spec.unique_in_file)
    params = {"load_id": load_id, "file_name": file_name}
    among = sql.SQL("")
    if candidates is not None:
        # A filter on each row, which PostgreSQL checks through a hash of the array. (A join to the
        # candidates was planned as a nested loop, the batch's rows being unknown to the statistics yet:
        # 13 s at 1M rows.) A candidate whose record no other row holds forms a group of its own, so the
        # grouping finds exactly the repeated records.
        among = sql.SQL(" and source_row = any(%(candidates)s::int[])")
        params["candidates"] = candidates.tolist()
    content = sql.SQL(", ").join(sql.Identifier(c.name) for c in spec.landed_columns)
    statement = sql.SQL("""
        with repeated_keys as (
            select {key} from {raw} where load_id = %(load_id)s{among} group by {key} having count(*) > 1
        ),
        copies as (
            select
                r.source_row,
                min(r.source_row) over copies_of_one as first_row,
                max(r.source_row) over copies_of_one as last_row,
                min(md5(row({content})::text)) over copies_of_one
                    <> max(md5(row({content})::text)) over copies_of_one as differ
            from {raw} as r join repeated_keys using ({key})
            where r.load_id = %(load_id)s
            window copies_of_one as (partition by {key})
        ),
        judged as (
            select
                source_row,
                case when differ
                    then 'the same dossier as row '
                        || case when source_row = first_row then last_row else first_row end
                        || ' with other content (an export holds one row per dossier): none of them is kept'
                    else 'repeats row ' || first_row || ' (the same dossier and content)'
                end as reason
            from copies
            where differ or source_row <> first_row
        ),
        removed as (
            delete from {raw} as t using judged
            where t.load_id = %(load_id)s and t.source_row = judged.source_row
        )
        insert into {rejects} (load_id, file_name, source_row, column_name, reason)
        select %(load_id)s, %(file_name)s, source_row, {key_column}, reason from judged
    """).format(
        key=key,
        raw=sql.SQL(spec.raw_table),
        rejects=sql.SQL(spec.rejects_table),
        content=content,
        key_column=sql.Literal(spec.key[0]),
        among=among,
    )
    # The grouping holds every key of the batch: with the default 4 MB of work memory it spills to disk
    # (64 MB of temporary files at 1M rows) and takes half as long again. For this statement only.
    conn.execute("set local work_mem = '256MB'")
    removed = conn.execute(statement, params).rowcount
    conn.execute("reset work_mem")
    if removed:
        shown = conn.execute(
            sql.SQL(
                "select source_row, reason from {} where load_id = %s"
                " and reason like any(array['repeats row %%', 'the same dossier as row %%'])"
                " order by source_row limit %s"
            ).format(sql.SQL(spec.rejects_table)),
            (load_id, LOGGED_REJECTS),
        ).fetchall()
        for row, reason in shown:
            log.warning("%s: row %s: %s", file_name, row, reason)
        log.warning("%s: %s row(s) hold a dossier another row of the file holds; kept as rejects", file_name, removed)
    return removed


def map_header(path: Path, spec: SourceSpec, file_name: str) -> list[Column | None]:
    """The spec column for each position of the file's header (None for columns we do not know)."""
    header = read_header(path, file_name)
    mapped = [spec.column_for_header(h) for h in header]
    names = [c.name for c in mapped if c]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LoadError(f"{file_name}: row 0 (header): columns appear twice: {', '.join(duplicated)}")
    hint = ""
    if len(header) == 1 and ";" in header[0]:
        hint = " (the header is separated by ';', as Excel saves CSV in some locales; the contract uses ',')"
    missing = [c.header for c in spec.columns if c.required and c.name not in names]
    if missing:
        raise LoadError(f"{file_name}: row 0 (header): required columns missing: {', '.join(missing)}{hint}")
    # Without a column the indicators read, every row would count as if its value were blank (a file
    # without the channel reads as 0 % online): the file is refused, not loaded with wrong meaning.
    uncarried = [c.header for c in spec.must_carry if c.name not in names]
    if uncarried:
        raise LoadError(
            f"{file_name}: row 0 (header): columns the indicators read are missing: {', '.join(uncarried)}{hint};"
            " a file must carry them (blank values are allowed; see the source's page in docs/sources/)"
        )
    unknown = [h for h, c in zip(header, mapped, strict=True) if c is None]
    if unknown:
        log.warning("%s: columns not in the %s spec are ignored: %s", file_name, spec.name, unknown)
    return mapped
