"""COPY of a file's rows into its raw table: one streaming pass that parses, cleans and sends the pieces,
and the rejects beside them. A file with malformed rows (a wrong field count) is read a second time,
with the records numbered by a scan of the file."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

import cds_warehouse.load.arrow_values as av
from cds_warehouse.load.cleaning import clean_batch
from cds_warehouse.load.errors import LoadError
from cds_warehouse.load.progress import Progress
from cds_warehouse.load.repeats import finder_for
from cds_warehouse.load.stream import (
    CleanedPiece,
    Scan,
    cleaned_in_order,
    pieces_between,
    record_chunks,
    scan_records,
    use_lean_memory_pool,
)
from cds_warehouse.settings import pii_key
from cds_warehouse.sources import Column, SourceSpec

log = logging.getLogger(__name__)

# The size of the pieces a pass streams. Up to four are held at once (two being cleaned, one waiting,
# one being sent), each with its parsed, cleaned and COPY forms: 2 MB keeps a load's peak RSS under
# 150 MB; 8 MB took it to 300 MB, for 15% less CPU (each piece costs a fixed number of pyarrow calls).
CHUNK_BYTES = 2 << 20
LOGGED_REJECTS = 10
MALFORMED = "*"  # column name recorded for rows whose field count is wrong


class _MalformedRowsFound(Exception):
    pass


def copy_file(
    conn, path: Path, spec: SourceSpec, columns: list[Column | None], load_id: int, file_name: str, progress: Progress
):
    """COPY the file's valid rows and its rejects; returns (read, loaded, rejected). The pass counts the rows
    and bytes it has read in ``progress``."""
    try:
        with conn.transaction():  # savepoint: a second pass starts from a clean slate
            return _copy_pass(conn, path, spec, columns, load_id, file_name, None, progress)
    except _MalformedRowsFound:
        progress.rows = progress.bytes = 0
        progress.step = "numbering the records (rows with a wrong field count were found)"
        scan = scan_records(path, file_name, len(columns), CHUNK_BYTES)
        progress.step = "reading the file again"
        return _copy_pass(conn, path, spec, columns, load_id, file_name, scan, progress)


def _copy_pass(conn, path, spec, columns, load_id, file_name, scan: Scan | None, progress: Progress):
    """One streaming pass. Without a scan, row n of the stream is data row n of the file and the pieces
    are cut by record_chunks; a row with the wrong number of fields breaks that, so the pass stops and the
    caller scans the file. With the scan, its record ends cut the pieces and its numbers number the rows."""

    malformed_seen = []

    def on_malformed(row) -> str:
        # Exceptions raised here are swallowed by pyarrow; answering "error" stops the read instead.
        malformed_seen.append(row)
        return "skip" if scan is not None else "error"

    pieces = record_chunks(path, CHUNK_BYTES) if scan is None else pieces_between(path, scan.bounds)
    try:
        return _stream_rows(conn, spec, columns, load_id, file_name, pieces, scan, on_malformed, progress)
    except pa.ArrowInvalid as exc:
        if malformed_seen and scan is None:
            raise _MalformedRowsFound from None
        if "UTF8" in str(exc):  # pyarrow does not say where: the scan names the row
            scan_records(path, file_name, len(columns), CHUNK_BYTES)
        why = _without_row_text(exc)
        raise LoadError(f"{file_name}: the CSV could not be parsed ({why}); nothing loaded") from None


def _without_row_text(exc: Exception) -> str:
    """What a parser's error says, without the row it quotes (it may hold personal data): only the parts
    that are numbers and fixed words are kept."""
    message = str(exc)
    kept = re.findall(r"Row #\d+|Expected \d+ columns?, got \d+|unterminated|quoted|straddl\w*|UTF-?8", message, re.I)
    return ", ".join(dict.fromkeys(kept)) or f"{type(exc).__name__}, details withheld as they may quote the row"


def _stream_rows(conn, spec, columns, load_id, file_name, pieces, scan, on_malformed, progress: Progress):
    use_lean_memory_pool()
    record_numbers = scan.record_numbers if scan is not None else None
    malformed = scan.malformed if scan is not None else ()
    key = pii_key()
    column_names = [c.name if c else f"_ignored_{i}" for i, c in enumerate(columns)]
    present = {c.name for c in columns if c and c.lands}
    counted_nulls = [c.name for c in spec.must_carry if c.lands and not c.required]
    finder = finder_for(spec)

    parse_options = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_malformed)
    convert_options = pacsv.ConvertOptions(
        include_columns=sorted(present),
        column_types={name: pa.string() for name in present},
        strings_can_be_null=False,
    )

    def parse(piece) -> pa.Table:
        # The pieces are already parsed in parallel (cleaned_in_order); pyarrow's own threads on top of
        # them only contend for the same cores. Each piece is one block: its columns come in one chunk,
        # which clean_batch then takes without a copy, and a cell larger than pyarrow's default block
        # (1 MB) cannot "straddle" two blocks.
        whole = pacsv.ReadOptions(column_names=column_names, use_threads=False, block_size=len(piece) + 1)
        return pacsv.read_csv(pa.py_buffer(piece), whole, parse_options, convert_options)

    def clean(table: pa.Table, first_row: int) -> CleanedPiece:
        n = table.num_rows
        if n == 0:  # a piece of blank lines
            return CleanedPiece(None, 0, 0, [])
        if record_numbers is None:
            row_numbers = np.arange(first_row + 1, first_row + n + 1, dtype=np.int64)
        else:
            row_numbers = record_numbers[first_row : first_row + n]
        cleaned, rejects = clean_batch(table.combine_chunks().to_batches()[0], spec, present, key, row_numbers)
        nulls = {name: cleaned.column(name).null_count for name in counted_nulls}
        return CleanedPiece(cleaned if cleaned.num_rows else None, n, cleaned.num_rows, rejects, nulls)

    rejects: list[tuple[int, str, str]] = [(n, MALFORMED, reason) for n, reason in malformed]
    rows_read = rows_loaded = 0
    null_counts = dict.fromkeys(counted_nulls, 0)
    candidates = None  # without a finder: any row may repeat another
    with finder or nullcontext(), conn.cursor() as cur:
        with _neutral_copy(cur, copy_statement(spec)) as copy:
            for piece in cleaned_in_order(pieces, parse, clean):
                rows_read += piece.rows_read
                rows_loaded += piece.rows_loaded
                rejects.extend(piece.rejects)
                for name, count in piece.null_counts.items():
                    null_counts[name] += count
                # The COPY text and the records' key hashes are made here, not on the cleaning thread: this
                # thread would otherwise only wait for it (the cleaning is the longest stage; pyarrow's CSV
                # writer and numpy release the GIL).
                if piece.good_rows is not None:
                    copy.write(as_copy_csv(piece.good_rows, load_id))
                    if finder is not None:
                        finder.add(piece.good_rows)
                progress.rows, progress.bytes = rows_read + len(malformed), progress.bytes + piece.nbytes
        if finder is not None:
            candidates = finder.candidate_rows()
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
    return _Copied(rows_read, rows_loaded, null_counts, candidates)


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
    repeat_candidates: np.ndarray | None  # rows whose record may be in another row; None: any may (repeats.py)


def copy_statement(spec: SourceSpec, table: str | None = None) -> sql.Composed:
    """COPY into the source's raw table (or another table of the same shape) in CSV format."""
    columns = ["load_id", "source_row", *[c.name for c in spec.landed_columns]]
    return sql.SQL("copy {} ({}) from stdin (format csv)").format(
        sql.SQL(table or spec.raw_table), sql.SQL(", ").join(sql.Identifier(n) for n in columns)
    )


def as_copy_csv(table: pa.Table, load_id: int) -> memoryview:
    """A cleaned table (from clean_batch) as COPY input, prefixed with its load id."""
    out = table.add_column(0, "load_id", av.int64s(np.full(table.num_rows, load_id)))
    buf = pa.BufferOutputStream()
    pacsv.write_csv(out, buf, pacsv.WriteOptions(include_header=False))
    return memoryview(buf.getvalue())


def copy_rejects(conn, spec: SourceSpec, load_id: int, file_name: str, rejects) -> None:
    if not rejects:
        return
    stmt = sql.SQL("copy {} (load_id, file_name, source_row, column_name, reason) from stdin").format(
        sql.SQL(spec.rejects_table)
    )
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for row, column, reason in rejects:
            copy.write_row((load_id, file_name, int(row), column, reason))
