"""Streaming a CSV file: its header, its data rows cut into pieces on record boundaries, and the pieces
parsed and cleaned on worker threads, handed on in file order. Memory stays flat in the file's size."""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from cds_warehouse.load.errors import EmptyFile, LoadError

HEADER_BYTES = 1 << 20  # the header row is read from the file's first MB
# One cleaning thread beside the one sending COPY data: on two cores PostgreSQL's COPY takes the other,
# and a second cleaning thread gained 1 s of 10 at 1M rows for 20 MB more at the peak (165 MB, over the
# 150 MB the loader keeps to).
CLEANING_THREADS = 1


def use_lean_memory_pool() -> None:
    """jemalloc as pyarrow's memory pool for the process, where pyarrow has it (its Linux wheels). The
    default pool there, mimalloc, keeps the pages each worker thread freed: a load's peak RSS was 60 MB
    higher with it (145 MB against 211 at 100k rows with 2 MB pieces). jemalloc's decay stays at its
    default: returning pages at once (decay 0) saved 20 MB more but cost 3 s of system CPU per 1M rows."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc keeps its default pool
        return
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.set_memory_pool(pool)


def read_header(path: Path, file_name: str) -> list[str]:
    with path.open("rb") as fh:
        head = fh.read(HEADER_BYTES)
    if b"\n" not in head and head.count(b"\r") > 1:
        raise LoadError(
            f"{file_name}: lines end with a carriage return alone (an old Mac export); save the file with"
            " CRLF or LF line ends"
        )
    end = last_record_end(head, len(head), first=True)
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


@dataclass
class CleanedPiece:
    good_rows: pa.Table | None  # the piece's good rows, cleaned (None when it has none)
    rows_read: int
    rows_loaded: int
    rejects: list[tuple[int, str, str]]
    null_counts: dict[str, int] = field(default_factory=dict)
    nbytes: int = 0  # the piece's size in the file, for the progress of the load


def cleaned_in_order(
    pieces: Iterator, parse: Callable, clean: Callable, workers: int = CLEANING_THREADS
) -> Iterator[CleanedPiece]:
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


def _parse_then_clean(piece, offset: Future, next_offset: Future, parse, clean) -> CleanedPiece:
    try:
        table = parse(piece)
        first_row = offset.result()
    except BaseException as exc:  # the next piece cannot be numbered: it fails too, never waits forever
        next_offset.set_exception(exc)
        raise
    next_offset.set_result(first_row + table.num_rows)
    cleaned = clean(table, first_row)
    cleaned.nbytes = len(piece)
    return cleaned


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
                end = last_record_end(buf, len(data), first=True)
                if end < 0 and got:
                    carry = bytes(data)
                    continue
                start = end + 1 if end >= 0 else len(data)
                header_done = True
            if not got:
                if bytes(data[start:]).strip():
                    yield data[start:]
                return
            end = last_record_end(buf, len(data))
            if end < start:
                carry = bytes(data[start:])
                continue
            yield data[start : end + 1]
            carry = bytes(data[end + 1 :])


def last_record_end(buf: bytes | bytearray, limit: int, first: bool = False) -> int:
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


@dataclass
class Scan:
    record_numbers: np.ndarray  # data-row numbers of the well-formed records, in file order
    malformed: list[tuple[int, str]]  # (data-row number, reason) of the others
    bounds: list[int]  # byte offsets: the end of the header, record ends about piece_bytes apart, the end


csv.field_size_limit(1 << 30)  # the scan reads what pyarrow reads: cells of any size


def scan_records(path: Path, file_name: str, expected: int, piece_bytes: int) -> Scan:
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
    return Scan(np.array(good, dtype=np.int64), malformed, bounds)


def pieces_between(path: Path, bounds: list[int]) -> Iterator[memoryview]:
    """The bytes between consecutive offsets of `bounds`, one piece each."""
    with path.open("rb") as fh:
        fh.seek(bounds[0])
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            buf = bytearray(end - start)
            fh.readinto(buf)
            yield memoryview(buf)
