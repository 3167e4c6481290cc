"""Land a source file in the raw schema: streamed, typed, personal data removed, one audited batch.

The file is parsed in blocks with pyarrow (vectorised; memory flat in the file's size), each block
is cleaned column by column and streamed to PostgreSQL with COPY. Rows that fail a column's rule
go to the rejects table with their row number, column and reason; the rest load. Everything runs
in one transaction, so a crash leaves no partial batch, and a file whose content was loaded
before (same sha256) is recognised and skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql
from psycopg.types.json import Jsonb

from cds_warehouse import dialects
from cds_warehouse.audit import claim_content, open_audit, previous_load, record_failure
from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.json_lines import JsonLinesError, is_json_lines, json_lines_to_csv
from cds_warehouse.landing import shown_name
from cds_warehouse.pii_key import checked_fingerprint
from cds_warehouse.run_dates import PROVINCE_TZ, load_day_after
from cds_warehouse.settings import pii_key
from cds_warehouse.sources import Column, SourceSpec, load_source
from cds_warehouse.xlsx import xlsx_to_csv

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 << 20
HEADER_BYTES = 1 << 20  # the header row is read from the file's first MB
CLEANING_THREADS = 2
LOGGED_REJECTS = 10
MALFORMED = "*"  # column name recorded for rows whose field count is wrong


class LoadError(Exception):
    """A file that cannot be loaded at all (not a row-level problem)."""


class EmptyFile(LoadError):
    """A file without a header row: nothing to load, and nothing wrong with the night."""


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
    sha = file_sha256(path)
    with connect(dsn) as conn:
        apply_raw_schema(conn)
        claim_content(conn, spec.name, sha, name)
        previous = previous_load(conn, spec.name, sha)
        if previous:
            log.info("%s: already loaded as load %s; skipped", name, previous[0])
            return LoadResult(previous[0], spec.name, name, sha, *previous[1:], "skipped", time.monotonic() - started)
        hashes = any(c.pii == "hash" for c in spec.columns)  # the key matters only to a source that hashes
        key_print = checked_fingerprint(conn, pii_key()) if hashes else None
        load_id = open_audit(conn, spec.name, name, sha, key_print)
        try:
            with _readable_csv(path, spec) as readable:
                columns = _map_header(readable, spec, name)
                # dialect hook: columns that arrived under a dialect's header are read in it (dialects.py)
                spec = dialects.as_read(spec, columns)
                counts, status = _load_into(conn, readable, spec, columns, load_id, name)
        except EmptyFile as exc:
            counts, status = _record_empty(conn, load_id, str(exc))
        except Exception as exc:  # a file that cannot be read at all is in the audit too, with why
            record_failure(conn, load_id, exc)
            raise
        analyze_raw(conn, spec)
    seconds = time.monotonic() - started
    log.info("%s: load %s %s: read %s, loaded %s, rejected %s rows in %.1f s", name, load_id, status, *counts, seconds)
    return LoadResult(load_id, spec.name, name, sha, *counts, status, seconds)


def _record_empty(conn, load_id: int, why: str) -> tuple[tuple[int, int, int], str]:
    conn.rollback()
    conn.execute(
        "update raw.load_audit set rows_read = 0, rows_loaded = 0, rows_rejected = 0, status = 'empty',"
        " finished_at = clock_timestamp(), message = %s where load_id = %s",
        (why, load_id),
    )
    conn.commit()
    return (0, 0, 0), "empty"


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
    if is_json_lines(path):  # format hook: JSON lines → the source's CSV form
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


def _load_into(conn, path: Path, spec: SourceSpec, columns, load_id: int, file_name: str):
    """One transaction: all rows and rejects, or nothing (the caller records a failure in the audit).
    A file with a header and no data row is audited 'empty': no batch to gate, nothing to publish."""
    with conn.transaction():
        copied = _copy_file(conn, path, spec, columns, load_id, file_name)
        _refuse_if_cut_short(conn, path, load_id, copied.rows_read, file_name)
        repeated = reject_repeats(conn, spec, load_id, file_name)
        counts = (copied.rows_read, copied.rows_loaded - repeated, copied.rows_read - copied.rows_loaded + repeated)
        status = "loaded" if copied.rows_read else "empty"
        conn.execute(
            "update raw.load_audit set rows_read = %s, rows_loaded = %s, rows_rejected = %s, status = %s,"
            " null_counts = %s, message = %s, finished_at = clock_timestamp() where load_id = %s",
            (
                *counts,
                status,
                Jsonb(copied.null_counts) if copied.rows_read else None,
                None if copied.rows_read else "a header and no data row",
                load_id,
            ),
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


def reject_repeats(conn, spec: SourceSpec, load_id: int, file_name: str) -> int:
    """Rows of the batch whose record (spec.unique_in_file) another row of the file holds too leave the raw
    table for the rejects, naming that row: identical rows keep the first; rows whose content differs are all
    rejected, as nothing tells which one is right. Set-based, inside the load's transaction; returns how many
    rows left."""
    if not spec.unique_in_file:
        return 0
    key = sql.SQL(", ").join(sql.Identifier(k) for k in spec.unique_in_file)
    content = sql.SQL(", ").join(sql.Identifier(c.name) for c in spec.landed_columns)
    statement = sql.SQL("""
        with repeated_keys as (
            select {key} from {raw} where load_id = %(load_id)s group by {key} having count(*) > 1
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
    )
    removed = conn.execute(statement, {"load_id": load_id, "file_name": file_name}).rowcount
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


def _read_header(path: Path, file_name: str) -> list[str]:
    with path.open("rb") as fh:
        head = fh.read(HEADER_BYTES)
    if b"\n" not in head and head.count(b"\r") > 1:
        raise LoadError(
            f"{file_name}: lines end with a carriage return alone (an old Mac export); save the file with"
            " CRLF or LF line ends"
        )
    end = _last_record_end(head, len(head), first=True)
    try:
        text = head[: end if end >= 0 else len(head)].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"{file_name}: row 0 (header): not UTF-8 text (byte {exc.start}: {exc.reason}); the export must be"
            " saved as UTF-8 (e.g. Excel's 'CSV UTF-8'), not in a legacy code page"
        ) from None
    header = next(csv.reader(io.StringIO(text, newline="")), None)
    if not header or not any(h.strip() for h in header):
        raise EmptyFile(f"{file_name}: empty file, no header row")
    return header


def _map_header(path: Path, spec: SourceSpec, file_name: str) -> list[Column | None]:
    """The spec column for each position of the file's header (None for columns we do not know)."""
    header = _read_header(path, file_name)
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


class _MalformedRowsFound(Exception):
    pass


def _copy_file(conn, path: Path, spec: SourceSpec, columns: list[Column | None], load_id: int, file_name: str):
    """COPY the file's valid rows and its rejects; returns (read, loaded, rejected)."""
    try:
        with conn.transaction():  # savepoint: a second pass starts from a clean slate
            return _copy_pass(conn, path, spec, columns, load_id, file_name, scan=None)
    except _MalformedRowsFound:
        scan = _scan_records(path, file_name, len(columns), CHUNK_BYTES)
        return _copy_pass(conn, path, spec, columns, load_id, file_name, scan)


def _copy_pass(conn, path, spec, columns, load_id, file_name, scan: _Scan | None):
    """One streaming pass. Without a scan, row n of the stream is data row n of the file and the pieces
    are cut by record_chunks; a row with the wrong number of fields breaks that, so the pass stops and the
    caller scans the file. With the scan, its record ends cut the pieces and its numbers number the rows."""

    malformed_seen = []

    def on_malformed(row) -> str:
        # Exceptions raised here are swallowed by pyarrow; answering "error" stops the read instead.
        malformed_seen.append(row)
        return "skip" if scan is not None else "error"

    pieces = record_chunks(path, CHUNK_BYTES) if scan is None else _pieces_between(path, scan.bounds)
    try:
        return _stream_rows(conn, spec, columns, load_id, file_name, pieces, scan, on_malformed)
    except pa.ArrowInvalid as exc:
        if malformed_seen and scan is None:
            raise _MalformedRowsFound from None
        if "UTF8" in str(exc):  # pyarrow does not say where: the scan names the row
            _scan_records(path, file_name, len(columns), CHUNK_BYTES)
        why = _without_row_text(exc)
        raise LoadError(f"{file_name}: the CSV could not be parsed ({why}); nothing loaded") from None


def _without_row_text(exc: Exception) -> str:
    """What a parser's error says, without the row it quotes (it may hold personal data): only the parts
    that are numbers and fixed words are kept."""
    message = str(exc)
    kept = re.findall(r"Row #\d+|Expected \d+ columns?, got \d+|unterminated|quoted|straddl\w*|UTF-?8", message, re.I)
    return ", ".join(dict.fromkeys(kept)) or f"{type(exc).__name__}, details withheld as they may quote the row"


def _stream_rows(conn, spec, columns, load_id, file_name, pieces, scan, on_malformed):
    record_numbers = scan.record_numbers if scan is not None else None
    malformed = scan.malformed if scan is not None else ()
    key = pii_key()
    column_names = [c.name if c else f"_ignored_{i}" for i, c in enumerate(columns)]
    present = {c.name for c in columns if c and c.lands}
    counted_nulls = [c.name for c in spec.must_carry if c.lands and not c.required]

    # The pieces are already parsed in parallel (_cleaned_in_order); pyarrow's own threads on top
    # of them only contend for the same cores.
    read_options = pacsv.ReadOptions(column_names=column_names, use_threads=False)
    parse_options = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_malformed)
    convert_options = pacsv.ConvertOptions(
        include_columns=sorted(present),
        column_types={name: pa.string() for name in present},
        strings_can_be_null=False,
    )

    def parse(piece) -> pa.Table:
        try:
            return pacsv.read_csv(pa.py_buffer(piece), read_options, parse_options, convert_options)
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
        # a cell larger than pyarrow's block (1 MB) "straddles" two blocks: this piece in one block
        whole = pacsv.ReadOptions(column_names=column_names, use_threads=False, block_size=len(piece) + 1)
        return pacsv.read_csv(pa.py_buffer(piece), whole, parse_options, convert_options)

    def clean(table: pa.Table, first_row: int) -> _CleanedPiece:
        n = table.num_rows
        if n == 0:  # a piece of blank lines
            return _CleanedPiece(None, 0, 0, [])
        if record_numbers is None:
            row_numbers = np.arange(first_row + 1, first_row + n + 1, dtype=np.int64)
        else:
            row_numbers = record_numbers[first_row : first_row + n]
        cleaned, rejects = clean_batch(table.combine_chunks().to_batches()[0], spec, present, key, row_numbers)
        block = as_copy_csv(cleaned, load_id) if cleaned.num_rows else None
        nulls = {name: cleaned.column(name).null_count for name in counted_nulls}
        return _CleanedPiece(block, n, cleaned.num_rows, rejects, nulls)

    rejects: list[tuple[int, str, str]] = [(n, MALFORMED, reason) for n, reason in malformed]
    rows_read = rows_loaded = 0
    null_counts = dict.fromkeys(counted_nulls, 0)
    with conn.cursor() as cur, _neutral_copy(cur, copy_statement(spec)) as copy:
        for piece in _cleaned_in_order(pieces, parse, clean):
            rows_read += piece.rows_read
            rows_loaded += piece.rows_loaded
            rejects.extend(piece.rejects)
            for name, count in piece.null_counts.items():
                null_counts[name] += count
            if piece.copy_csv is not None:
                copy.write(piece.copy_csv)
    if record_numbers is not None and rows_read != len(record_numbers):
        raise LoadError(
            f"{file_name}: the CSV reads two ways (a quote inside an unquoted value?): {rows_read:,} well-formed"
            f" rows parsed where the scan found {len(record_numbers):,}; nothing loaded"
        )
    copy_rejects(conn, spec, load_id, file_name, rejects)
    for row, column, reason in sorted(rejects)[:LOGGED_REJECTS]:
        log.warning("%s: row %s, column %s: %s", file_name, row, column, reason)
    if len(rejects) > LOGGED_REJECTS:
        log.warning(
            "%s: %s more rejects in %s (load %s)", file_name, len(rejects) - LOGGED_REJECTS, spec.rejects_table, load_id
        )
    rows_read += len(malformed)
    return _Copied(rows_read, rows_loaded, null_counts)


@contextmanager
def _neutral_copy(cur, statement):
    """COPY whose abort tells the server nothing of the data. When reading the file fails mid-COPY, psycopg
    sends the exception's text as the abort reason and the server writes it to its log; a parse error's text
    holds the row (an applicant's name, ID number, phone). The server is given a fixed reason; the exception
    itself goes on to the loader, which words it without the row."""
    failure = None
    try:
        with cur.copy(statement) as copy:
            try:
                yield copy
            except BaseException as exc:
                failure = exc
                raise _CopyAborted from None
    except _CopyAborted:
        raise failure from None


class _CopyAborted(Exception):
    def __str__(self) -> str:
        return "the loader stopped reading the file"


@dataclass
class _Copied:
    rows_read: int
    rows_loaded: int
    null_counts: dict[str, int]  # per column the file must carry (not every row requires), among loaded rows


@dataclass
class _CleanedPiece:
    copy_csv: memoryview | None  # COPY input of the piece's good rows (None when it has none)
    rows_read: int
    rows_loaded: int
    rejects: list[tuple[int, str, str]]
    null_counts: dict[str, int] = field(default_factory=dict)


def _cleaned_in_order(pieces: Iterator, parse, clean, workers: int = CLEANING_THREADS) -> Iterator[_CleanedPiece]:
    """Parse and clean the pieces on worker threads, yielded in file order.

    pyarrow releases the GIL, so the workers and the caller (sending COPY data) run at the same time.
    A piece's first row number is known once the piece before it is parsed: each task hands the
    next one its row offset, so cleaning never waits for the whole file. At most workers + 1 pieces
    are in flight, which keeps memory flat in the file's size.
    """
    pool = ThreadPoolExecutor(workers, thread_name_prefix="clean")
    in_flight: deque[Future] = deque()
    offset: Future = Future()
    offset.set_result(0)
    try:
        for piece in pieces:
            next_offset: Future = Future()
            in_flight.append(pool.submit(_parse_then_clean, piece, offset, next_offset, parse, clean))
            offset = next_offset
            if len(in_flight) > workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _parse_then_clean(piece, offset: Future, next_offset: Future, parse, clean) -> _CleanedPiece:
    try:
        table = parse(piece)
        first_row = offset.result()
    except BaseException as exc:  # the next piece cannot be numbered: it fails too, never waits forever
        next_offset.set_exception(exc)
        raise
    next_offset.set_result(first_row + table.num_rows)
    return clean(table, first_row)


def record_chunks(path: Path, size: int) -> Iterator[memoryview]:
    """The file's data rows in pieces of about ``size`` bytes, each ending on a record boundary.

    pyarrow's own streaming reader reads ahead without bound (the whole file, in practice), so the
    file is cut here and each piece parsed on its own: memory stays flat in the file's size.
    A newline ends a record when the quotes before it are balanced (CSV escapes a quote by doubling
    it, which keeps the parity), so pieces never split a quoted value that holds a newline.
    Each piece is a view of its own buffer, read into directly: no copy of the data is made.
    """
    with path.open("rb") as fh:
        carry = b""  # the start of a record cut by the end of the previous read
        header_done = False
        while True:
            buf = bytearray(len(carry) + size)
            buf[: len(carry)] = carry
            got = fh.readinto(memoryview(buf)[len(carry) :])
            data = memoryview(buf)[: len(carry) + got]
            start = 0
            if not header_done:
                end = _last_record_end(buf, len(data), first=True)
                if end < 0 and got:
                    carry = bytes(data)
                    continue
                start = end + 1 if end >= 0 else len(data)
                header_done = True
            if not got:
                if bytes(data[start:]).strip():
                    yield data[start:]
                return
            end = _last_record_end(buf, len(data))
            if end < start:
                carry = bytes(data[start:])
                continue
            yield data[start : end + 1]
            carry = bytes(data[end + 1 :])


def _last_record_end(buf: bytes | bytearray, limit: int, first: bool = False) -> int:
    """Offset of the last newline before ``limit`` (or, with first, the first one) outside quotes; -1 if none."""
    if first:
        pos = buf.find(b"\n", 0, limit)
        while pos >= 0 and buf.count(b'"', 0, pos) % 2:
            pos = buf.find(b"\n", pos + 1, limit)
        return pos
    quotes = buf.count(b'"', 0, limit)
    pos = limit
    while (pos := buf.rfind(b"\n", 0, pos)) >= 0:
        if (quotes - buf.count(b'"', pos, limit)) % 2 == 0:
            return pos
    return -1


def copy_statement(spec: SourceSpec, table: str | None = None) -> sql.Composed:
    """COPY into the source's raw table (or another table of the same shape) in CSV format."""
    columns = ["load_id", "source_row", *[c.name for c in spec.landed_columns]]
    return sql.SQL("copy {} ({}) from stdin (format csv)").format(
        sql.SQL(table or spec.raw_table), sql.SQL(", ").join(sql.Identifier(n) for n in columns)
    )


def as_copy_csv(table: pa.Table, load_id: int) -> memoryview:
    """A cleaned table (from clean_batch) as COPY input, prefixed with its load id."""
    out = table.add_column(0, "load_id", pa.array(np.full(table.num_rows, load_id)))
    buf = pa.BufferOutputStream()
    pacsv.write_csv(out, buf, pacsv.WriteOptions(include_header=False))
    return memoryview(buf.getvalue())


@dataclass
class _Scan:
    record_numbers: np.ndarray  # data-row numbers of the well-formed records, in file order
    malformed: list[tuple[int, str]]  # (data-row number, reason) of the others
    bounds: list[int]  # byte offsets: the end of the header, record ends about piece_bytes apart, the end


csv.field_size_limit(1 << 30)  # the scan reads what pyarrow reads: cells of any size


def _scan_records(path: Path, file_name: str, expected: int, piece_bytes: int) -> _Scan:
    """Every record of the file, read by Python's csv module, which alone decides where records end.
    The quote count of record_chunks is misled by a quote inside an unquoted value (12" inch): it can
    cut a piece inside a quoted value that holds a newline, and the cut rows would go missing. The
    reader takes one line at a time, so after each record the bytes read so far end exactly on it."""
    good: list[int] = []
    malformed: list[tuple[int, str]] = []
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        with path.open("rb") as fh:
            for i, line in enumerate(fh):
                consumed += len(line)
                yield line.decode("utf-8-sig" if i == 0 else "utf-8")

    reader = csv.reader(lines())
    next(reader, None)
    bounds = [consumed]
    number = 0
    records = iter(reader)
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a carriage return alone inside an unquoted value
            raise LoadError(f"{file_name}: row {number + 1}: {exc}; nothing loaded") from None
        except UnicodeDecodeError as exc:
            raise LoadError(
                f"{file_name}: row {number + 1}: not UTF-8 text ({exc.reason}); the file must be UTF-8 throughout;"
                " nothing loaded"
            ) from None
        if consumed - bounds[-1] >= piece_bytes:
            bounds.append(consumed)
        if not record:
            continue  # blank line, skipped by the parser too
        number += 1
        if len(record) == expected:
            good.append(number)
        else:
            malformed.append((number, f"expected {expected} fields, found {len(record)}"))
    if consumed > bounds[-1]:
        bounds.append(consumed)
    return _Scan(np.array(good, dtype=np.int64), malformed, bounds)


def _pieces_between(path: Path, bounds: list[int]) -> Iterator[memoryview]:
    """The bytes between consecutive offsets of `bounds`, one piece each."""
    with path.open("rb") as fh:
        fh.seek(bounds[0])
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            buf = bytearray(end - start)
            fh.readinto(buf)
            yield memoryview(buf)


def copy_rejects(conn, spec: SourceSpec, load_id: int, file_name: str, rejects) -> None:
    if not rejects:
        return
    stmt = sql.SQL("copy {} (load_id, file_name, source_row, column_name, reason) from stdin").format(
        sql.SQL(spec.rejects_table)
    )
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for row, column, reason in rejects:
            copy.write_row((load_id, file_name, int(row), column, reason))


# --- cleaning -------------------------------------------------------------------------------------


def clean_batch(
    batch: pa.RecordBatch, spec: SourceSpec, present: set[str], key: bytes, row_numbers: np.ndarray
) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    n = batch.num_rows
    row_bad = np.zeros(n, dtype=bool)
    rejects: list[tuple[int, str, str]] = []
    typed: dict[str, pa.Array] = {"source_row": pa.array(row_numbers)}
    for col in spec.landed_columns:
        text = _normalized_text(batch.column(col.name)) if col.name in present else pa.nulls(n, pa.string())
        text = dialects.translated(text, col, spec)  # dialect hook: codes and dates in the contract's form
        if col.digits:
            text = _leading_zeros_restored(text, col.digits)
        if col.pii == "hash":
            typed[col.name] = keyed_hash(text, key)
            continue
        values, bad, reason = _convert(text, col, spec)
        if col.required:
            missing = pc.is_null(text).to_numpy(zero_copy_only=False)
            for i in np.flatnonzero(missing):
                rejects.append((row_numbers[i], col.name, "required value is missing"))
            row_bad |= missing
        if bad is not None and bad.any():
            shown = text.to_pylist()
            for i in np.flatnonzero(bad):
                rejects.append((row_numbers[i], col.name, f"{shown_in_reason(shown[i])!r} {reason}"))
            row_bad |= bad
        typed[col.name] = values
    table = pa.table(typed)
    if row_bad.any():
        table = table.filter(pa.array(~row_bad))
    return table, rejects


_DATE_LIKE = re.compile(r"\d{1,2}/\d{1,2}/\d{1,4}(?: \d{1,2}:\d{1,2}(?::\d{1,2})?)?")


def shown_in_reason(value: str) -> str:
    """A rejected value as a reject reason may show it. A row out of line (a footer's signature, a shifted
    column) can put a name, an ID number or a phone in any column, and reasons are stored: a value is shown
    as it is only when it looks like a date and time, or holds no letter and at most eight digits (an ID
    number or a phone has nine or more, whatever separates them); any other by its shape (letters x,
    digits 9)."""
    if _DATE_LIKE.fullmatch(value) or (not re.search(r"[^\W\d_]", value) and sum(c.isdigit() for c in value) <= 8):
        return value
    shape = re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "x", value))
    return shape if len(shape) <= 40 else shape[:40] + "…"


def _leading_zeros_restored(text: pa.Array, digits: int) -> pa.Array:
    """Codes of `digits` digits that lost one or two leading zeros (a spreadsheet read them as numbers)."""
    short = pc.fill_null(pc.match_substring_regex(text, rf"^\d{{{max(digits - 2, 1)},{digits - 1}}}$"), False)
    if not pc.any(short).as_py():
        return text
    return pc.if_else(short, pc.utf8_lpad(text, width=digits, padding="0"), text)


def _normalized_text(values: pa.Array) -> pa.Array:
    """NFC, trimmed, blank as null: what a person reading the cell would take it to be."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.utf8_trim_whitespace(_nfc(values))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _nfc(values: pa.Array) -> pa.Array:
    """NFC normalisation is costly; ASCII needs none, and repeated values (names of units and
    procedures) are normalised once each through their dictionary."""
    if pc.all(pc.string_is_ascii(values)).as_py() is not False:
        return values
    encoded = values.dictionary_encode()
    if len(encoded.dictionary) > len(values) // 2:
        return pc.utf8_normalize(values, form="NFC")
    return pc.take(pc.utf8_normalize(encoded.dictionary, form="NFC"), encoded.indices)


def _convert(text: pa.Array, col: Column, spec: SourceSpec):
    """(typed values, mask of present-but-invalid values, reason) for one column."""
    present = pc.is_valid(text)
    if col.type == "timestamp":
        values = parse_vn_timestamp(text, spec.timestamp_formats)
        reason = "is not a date dd/mm/yyyy [HH:MM[:SS]]"
        if col.date_only_is_end_of_day:
            # a parsed value of at most 10 characters is dd/mm/yyyy alone; with a time it is longer
            date_only = pc.fill_null(pc.less_equal(pc.utf8_length(text), 10), False)
            if pc.any(date_only).as_py():
                end_of_day = pc.add(values, pa.scalar(86399, pa.duration("s")))
                values = pc.if_else(date_only, end_of_day, values)
    elif col.type == "integer" and (fast := _try_cast(text, pa.int64())) is not None:
        values, reason = fast, "is not a whole number"
    elif col.type == "integer":
        cleaned = pc.if_else(
            pc.match_substring_regex(text, r"^-?\d{1,3}(\.\d{3})+$"),
            pc.replace_substring(text, ".", ""),
            text,
        )  # "3.000" is three thousand
        ok = pc.match_substring_regex(cleaned, r"^-?\d{1,18}$")
        values = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())), pa.int64())
        reason = "is not a whole number"
    elif col.type == "numeric":
        cleaned = pc.replace_substring(text, ",", ".")  # decimal comma
        ok = pc.match_substring_regex(cleaned, r"^-?\d+(\.\d+)?$")
        values = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())), pa.float64())
        reason = "is not a number"
    else:
        values, reason = text, ""
    invalid = pc.and_(present, pc.is_null(values))
    if col.type == "timestamp":
        invalid, reason = _impossible_dates(values, invalid, reason, col)
    if col.minimum is not None or col.maximum is not None:
        low = pc.less(values, col.minimum) if col.minimum is not None else pc.is_null(values)
        high = pc.greater(values, col.maximum) if col.maximum is not None else pc.is_null(values)
        out_of_range = pc.fill_null(pc.or_(low, high), False)
        if pc.any(out_of_range).as_py():
            outside = f"is outside [{_number(col.minimum)}, {_number(col.maximum)}]"
            reason = f"{reason} or {outside}" if pc.any(pc.fill_null(invalid, False)).as_py() else outside
            invalid = pc.or_(invalid, out_of_range)
    if col.accepted is not None:
        accepted = pa.array([a for a in col.accepted if a != ""], type=values.type)
        outside = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=accepted)))
        invalid = pc.or_(invalid, outside)
        reason = f"is not one of {[a for a in col.accepted if a != '']}"
    if col.pattern is not None:
        invalid = pc.or_(invalid, pc.and_(present, pc.invert(pc.match_substring_regex(text, col.pattern))))
        reason = f"does not match {col.pattern}"
    mask = pc.fill_null(invalid, False).to_numpy(zero_copy_only=False)
    return values, mask, reason


def _impossible_dates(values: pa.Array, invalid: pa.Array, reason: str, col: Column) -> tuple[pa.Array, str]:
    """A date before the column's earliest or, where the column says so, after the day of the load (a year
    typed 2205 for 2025) is a reject of its row, not a fault of the whole file."""
    bounds = []
    if col.earliest is not None:
        earliest = dt.datetime.fromisoformat(col.earliest)
        bounds.append((pc.less(values, pa.scalar(earliest, values.type)), f"is before {col.earliest}"))
    if col.not_after_load:
        day = dt.datetime.now(PROVINCE_TZ).date()
        latest = dt.datetime.fromisoformat(load_day_after(day))
        after = pc.greater_equal(values, pa.scalar(latest, values.type))
        bounds.append((after, f"is after the day of the load ({day})"))
    for outside, why in bounds:
        outside = pc.fill_null(outside, False)
        if pc.any(outside).as_py():
            reason = f"{reason} or {why}" if pc.any(pc.fill_null(invalid, False)).as_py() else why
            invalid = pc.or_(invalid, outside)
    return invalid, reason


def _number(value: float | None) -> str:
    return "" if value is None else str(int(value)) if float(value).is_integer() else f"{value:g}"


def parse_vn_timestamp(text: pa.Array, formats: tuple[str, ...]) -> pa.Array:
    """dd/mm/yyyy with an optional time, as naive local time; impossible dates (31/02), years before 1000
    (strptime reads "25" as the year 25) and leap seconds (08:05:60, which strptime rolls over) are null."""
    # only a minute or a second follows ':'; the plain substring search rules out most columns first
    if pc.any(pc.fill_null(pc.match_substring(text, ":6"), False)).as_py():
        leap = pc.fill_null(pc.match_substring_regex(text, r":6\d"), False)  # :60 to :69, not 8:6
        text = pc.if_else(leap, pa.scalar(None, pa.string()), text)
    present = pc.sum(pc.is_valid(text)).as_py() or 0
    parsed = pc.strptime(text, format=formats[0], unit="s", error_is_null=True)
    for fmt in formats[1:]:
        if (pc.sum(pc.is_valid(parsed)).as_py() or 0) == present:
            break  # every value read with the formats so far: skip the costlier fallbacks
        parsed = pc.coalesce(parsed, pc.strptime(text, format=fmt, unit="s", error_is_null=True))
    ancient = pc.fill_null(pc.less(pc.year(parsed), 1000), False)
    if pc.any(ancient).as_py():
        parsed = pc.if_else(ancient, pa.scalar(None, parsed.type), parsed)
    # strptime rolls 31/02 over to 03/03. A rolled-over date always lands on day 1-3, so only
    # those rows need the check that day and month survived the parse.
    # The check reads day and month back from the text with a regex, which costs as much as the parse:
    # it is run on those rows first, and on the whole column only when one of them did roll over.
    suspect = pc.indices_nonzero(pc.fill_null(pc.less_equal(pc.day(parsed), 3), False))
    if len(suspect) == 0 or pc.all(_day_and_month_kept(pc.take(text, suspect), pc.take(parsed, suspect))).as_py():
        return parsed
    return pc.if_else(_day_and_month_kept(text, parsed), parsed, pa.scalar(None, parsed.type))


def _day_and_month_kept(text: pa.Array, parsed: pa.Array) -> pa.Array:
    """Whether each parsed value has the day and month written in its text (false where either is null)."""
    parts = pc.extract_regex(pc.fill_null(text, ""), r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/")
    day = pc.cast(pc.struct_field(parts, "d"), pa.int64())
    month = pc.cast(pc.struct_field(parts, "m"), pa.int64())
    return pc.fill_null(pc.and_(pc.equal(pc.day(parsed), day), pc.equal(pc.month(parsed), month)), False)


def _try_cast(text: pa.Array, to: pa.DataType) -> pa.Array | None:
    """The plain case, cast in one go; None when some value needs the slower, forgiving path."""
    try:
        return pc.cast(text, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def keyed_hash(values: pa.Array, key: bytes) -> pa.Array:
    """Keyed BLAKE2b of the digits of an ID number or phone: joinable, not reversible without the key."""
    digits = pc.replace_substring_regex(values, r"\D", "")
    digits = pc.replace_substring_regex(digits, r"^84(\d{9})$", "0\\1")  # +84 912... == 0912...
    digits = pc.if_else(pc.equal(digits, ""), pa.scalar(None, pa.string()), digits)
    present = digits.drop_null()
    hashed = _blake2b_hex(present, key)
    if len(present) == len(digits):
        return hashed
    return pc.replace_with_mask(pa.nulls(len(digits), pa.string()), pc.is_valid(digits), hashed)


def _blake2b_hex(values: pa.StringArray, key: bytes) -> pa.StringArray:
    """32 hex characters per value. The values are read straight from the array's buffers and the
    digests hex-encoded in one go: the per-value Python work is one copy of the keyed state and
    one update."""
    if len(values) == 0:
        return pa.array([], pa.string())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    data = values.buffers()[2].to_pybytes()
    keyed = hashlib.blake2b(key=key[:64], digest_size=16)  # copying the keyed state skips re-absorbing the key
    new = keyed.copy
    digests = []
    bounds = offsets.tolist()
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        h = new()
        h.update(data[start:end])
        digests.append(h.digest())
    hexed = b"".join(digests).hex().encode()
    hex_offsets = np.arange(0, 32 * (len(values) + 1), 32, dtype=np.int32)
    return pa.StringArray.from_buffers(len(values), pa.py_buffer(hex_offsets), pa.py_buffer(hexed))
