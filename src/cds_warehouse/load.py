"""Land a source file in the raw schema: streamed, typed, personal data removed, one audited batch.

The file is parsed in blocks with pyarrow (vectorised; memory flat in the file's size), each block
is cleaned column by column and streamed to PostgreSQL with COPY. Rows that fail a column's rule
go to the rejects table with their row number, column and reason; the rest load. Everything runs
in one transaction, so a crash leaves no partial batch, and a file whose content was loaded
before (same sha256) is recognised and skipped.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import queue
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

from cds_warehouse.audit import open_audit, previous_load, record_failure
from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.settings import pii_key
from cds_warehouse.sources import Column, SourceSpec, load_source
from cds_warehouse.xlsx import xlsx_to_csv

log = logging.getLogger(__name__)

CHUNK_BYTES = 32 << 20
LOGGED_REJECTS = 10
MALFORMED = "*"  # column name recorded for rows whose field count is wrong


class LoadError(Exception):
    """A file that cannot be loaded at all (not a row-level problem)."""


@dataclass(frozen=True)
class LoadResult:
    load_id: int
    source: str
    file_name: str
    file_sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    status: str  # 'loaded', or 'skipped' when the same content was loaded before
    seconds: float


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_file(path: str | Path, source: str = "portal_dossiers", dsn: str | None = None) -> LoadResult:
    path = Path(path)
    spec = load_source(source)
    started = time.monotonic()
    sha = file_sha256(path)
    with connect(dsn) as conn:
        apply_raw_schema(conn)
        previous = previous_load(conn, spec.name, sha)
        if previous:
            log.info("%s: already loaded as load %s; skipped", path.name, previous[0])
            return LoadResult(
                previous[0], spec.name, path.name, sha, *previous[1:], "skipped", time.monotonic() - started
            )
        with tempfile.TemporaryDirectory() as tmp:
            readable = _as_csv(path, spec, Path(tmp))
            columns = _map_header(readable, spec, path.name)
            load_id = open_audit(conn, spec.name, path.name, sha)
            counts = _load_into(conn, readable, spec, columns, load_id, path.name)
    seconds = time.monotonic() - started
    log.info("%s: load %s read %s, loaded %s, rejected %s rows in %.1f s", path.name, load_id, *counts, seconds)
    return LoadResult(load_id, spec.name, path.name, sha, *counts, "loaded", seconds)


def _as_csv(path: Path, spec: SourceSpec, tmp: Path) -> Path:
    """The file itself when it is CSV; an XLSX export converted to CSV first."""
    if path.suffix.lower() == ".xlsx":
        return xlsx_to_csv(path, tmp / (path.stem + ".csv"), spec)
    return path


def _load_into(conn, path: Path, spec: SourceSpec, columns, load_id: int, file_name: str):
    """One transaction: all rows and rejects, or nothing (the audit row records the failure)."""
    try:
        with conn.transaction():
            counts = _copy_file(conn, path, spec, columns, load_id, file_name)
            conn.execute(
                "update raw.load_audit set rows_read = %s, rows_loaded = %s, rows_rejected = %s,"
                " status = 'loaded', finished_at = clock_timestamp() where load_id = %s",
                (*counts, load_id),
            )
    except Exception as exc:
        record_failure(conn, load_id, exc)
        raise
    return counts


def _read_header(path: Path, file_name: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise LoadError(f"{file_name}: empty file, no header row")
    return header


def _map_header(path: Path, spec: SourceSpec, file_name: str) -> list[Column | None]:
    """The spec column for each position of the file's header (None for columns we do not know)."""
    header = _read_header(path, file_name)
    mapped = [spec.column_for_header(h) for h in header]
    names = [c.name for c in mapped if c]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LoadError(f"{file_name}: row 0 (header): columns appear twice: {', '.join(duplicated)}")
    missing = [c.header for c in spec.columns if c.required and c.name not in names]
    if missing:
        raise LoadError(f"{file_name}: row 0 (header): required columns missing: {', '.join(missing)}")
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
            return _copy_pass(conn, path, spec, columns, load_id, file_name, record_numbers=None)
    except _MalformedRowsFound:
        record_numbers, malformed = _scan_field_counts(path, len(columns))
        return _copy_pass(conn, path, spec, columns, load_id, file_name, record_numbers, malformed)


def _copy_pass(conn, path, spec, columns, load_id, file_name, record_numbers, malformed=()):
    """One streaming pass. Without record_numbers, row n of the stream is data row n of the file;
    a row with the wrong number of fields breaks that, so the pass stops and the caller rescans."""

    malformed_seen = []

    def on_malformed(row) -> str:
        # Exceptions raised here are swallowed by pyarrow; answering "error" stops the read instead.
        malformed_seen.append(row)
        return "skip" if record_numbers is not None else "error"

    try:
        return _stream_rows(conn, path, spec, columns, load_id, file_name, record_numbers, malformed, on_malformed)
    except pa.ArrowInvalid:
        if malformed_seen and record_numbers is None:
            raise _MalformedRowsFound from None
        raise


def _stream_rows(conn, path, spec, columns, load_id, file_name, record_numbers, malformed, on_malformed):
    key = pii_key()
    column_names = [c.name if c else f"_ignored_{i}" for i, c in enumerate(columns)]
    present = {c.name for c in columns if c and c.lands}

    read_options = pacsv.ReadOptions(column_names=column_names)
    parse_options = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_malformed)
    convert_options = pacsv.ConvertOptions(
        include_columns=sorted(present),
        column_types={name: pa.string() for name in present},
        strings_can_be_null=False,
    )
    batches = (
        batch
        for piece in record_chunks(path, CHUNK_BYTES)
        for batch in pacsv.read_csv(pa.py_buffer(piece), read_options, parse_options, convert_options)
        .combine_chunks()
        .to_batches()
    )
    rejects: list[tuple[int, str, str]] = [(n, MALFORMED, reason) for n, reason in malformed]
    rows_read = rows_loaded = 0
    with conn.cursor() as cur, cur.copy(copy_statement(spec)) as copy, _BackgroundSender(copy) as send:
        for batch in batches:
            n = batch.num_rows
            if record_numbers is None:
                row_numbers = np.arange(rows_read + 1, rows_read + n + 1, dtype=np.int64)
            else:
                row_numbers = record_numbers[rows_read : rows_read + n]
            rows_read += n
            table, batch_rejects = clean_batch(batch, spec, present, key, row_numbers)
            rejects.extend(batch_rejects)
            if table.num_rows:
                send(as_copy_csv(table, load_id))
                rows_loaded += table.num_rows
    copy_rejects(conn, spec, load_id, file_name, rejects)
    for row, column, reason in sorted(rejects)[:LOGGED_REJECTS]:
        log.warning("%s: row %s, column %s: %s", file_name, row, column, reason)
    if len(rejects) > LOGGED_REJECTS:
        log.warning(
            "%s: %s more rejects in %s (load %s)", file_name, len(rejects) - LOGGED_REJECTS, spec.rejects_table, load_id
        )
    rows_read += len(malformed)
    return rows_read, rows_loaded, rows_read - rows_loaded


def record_chunks(path: Path, size: int) -> Iterator[bytes]:
    """The file's data rows in pieces of about ``size`` bytes, each ending on a record boundary.

    pyarrow's own streaming reader reads ahead without bound (the whole file, in practice), so the
    file is cut here and each piece parsed on its own: memory stays flat in the file's size.
    A newline ends a record when the quotes before it are balanced (CSV escapes a quote by doubling
    it, which keeps the parity), so pieces never split a quoted value that holds a newline.
    """
    with path.open("rb") as fh:
        pending = b""
        header_done = False
        while True:
            block = fh.read(size)
            data = pending + block
            if not header_done:
                end = _last_record_end(data, first=True)
                if end < 0 and block:
                    pending = data
                    continue
                data = data[end + 1 :] if end >= 0 else b""
                header_done = True
            if not block:
                if data.strip():
                    yield data
                return
            end = _last_record_end(data)
            if end < 0:
                pending = data
                continue
            yield data[: end + 1]
            pending = data[end + 1 :]


def _last_record_end(data: bytes, first: bool = False) -> int:
    """Offset of the last (or, with first, the first) newline outside quotes; -1 if none."""
    if first:
        pos = data.find(b"\n")
        while pos >= 0 and data.count(b'"', 0, pos) % 2:
            pos = data.find(b"\n", pos + 1)
        return pos
    quotes = data.count(b'"')
    pos = len(data)
    while (pos := data.rfind(b"\n", 0, pos)) >= 0:
        if (quotes - data.count(b'"', pos)) % 2 == 0:
            return pos
    return -1


class _BackgroundSender:
    """Sends COPY blocks from a thread while the caller cleans the next block, so client and server
    work at the same time; the queue is short so memory stays flat however large the file."""

    _DONE = object()

    def __init__(self, copy, depth: int = 2):
        self._copy = copy
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-sender", daemon=True)

    def _run(self) -> None:
        while (block := self._queue.get()) is not self._DONE:
            if self._error is None:
                try:
                    self._copy.write(block)
                except BaseException as exc:  # surfaced in the caller's thread
                    self._error = exc

    def __call__(self, block) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(block)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._queue.put(self._DONE)
        self._thread.join()
        if self._error is not None and exc_info[0] is None:
            raise self._error


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


def _scan_field_counts(path: Path, expected: int):
    """Data-row numbers of the well-formed records, and the malformed ones with their reason."""
    good: list[int] = []
    malformed: list[tuple[int, str]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        number = 0
        for record in reader:
            if not record:
                continue  # blank line, skipped by the parser too
            number += 1
            if len(record) == expected:
                good.append(number)
            else:
                malformed.append((number, f"expected {expected} fields, found {len(record)}"))
    return np.array(good, dtype=np.int64), malformed


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
                rejects.append((row_numbers[i], col.name, f"{shown[i]!r} {reason}"))
            row_bad |= bad
        typed[col.name] = values
    table = pa.table(typed)
    if row_bad.any():
        table = table.filter(pa.array(~row_bad))
    return table, rejects


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


def parse_vn_timestamp(text: pa.Array, formats: tuple[str, ...]) -> pa.Array:
    """dd/mm/yyyy with an optional time, as naive local time; impossible dates (31/02) are null."""
    present = pc.sum(pc.is_valid(text)).as_py() or 0
    parsed = pc.strptime(text, format=formats[0], unit="s", error_is_null=True)
    for fmt in formats[1:]:
        if (pc.sum(pc.is_valid(parsed)).as_py() or 0) == present:
            break  # every value read with the formats so far: skip the costlier fallbacks
        parsed = pc.coalesce(parsed, pc.strptime(text, format=fmt, unit="s", error_is_null=True))
    # strptime rolls 31/02 over to 03/03. A rolled-over date always lands on day 1-3, so only
    # those rows need the check that day and month survived the parse.
    suspect = pc.fill_null(pc.less_equal(pc.day(parsed), 3), False)
    if not pc.any(suspect).as_py():
        return parsed
    parts = pc.extract_regex(pc.fill_null(text, ""), r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/")
    day = pc.cast(pc.struct_field(parts, "d"), pa.int64())
    month = pc.cast(pc.struct_field(parts, "m"), pa.int64())
    intact = pc.and_(pc.equal(pc.day(parsed), day), pc.equal(pc.month(parsed), month))
    return pc.if_else(pc.fill_null(intact, False), parsed, pa.scalar(None, parsed.type))


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
    keyed = hashlib.blake2b(key=key[:64], digest_size=16)

    def digest(value: str) -> str:
        h = keyed.copy()  # copying the keyed state skips re-absorbing the key for every value
        h.update(value.encode())
        return h.hexdigest()

    return pa.array([digest(v) if v else None for v in digits.to_pylist()], type=pa.string())
