"""Which rows of a file may hold a record another row holds too, found while the rows stream, in memory that
does not grow with the file.

Finding repeated records in SQL groups every key of the batch (reject_repeats): 3 s of a 10 s load at 1M
rows and 85 s at 30M, most of it for keys that each appear once. Here each row's key is hashed (64 bits,
vectorised) as its piece is sent, and the hash goes with the row's number to one of BUCKETS temporary
files, chosen by the hash's top bits. When every row is sent, the files are read one at a time: the rows
whose hash is met more than once are the candidates. They are every row of each repeated record, and
almost never another (two keys sharing 64 bits: about one chance in 40,000 over 30M keys), so
reject_repeats groups only them and finds exactly what grouping every row finds; with no candidate, no
query runs. A file with more than MAX_CANDIDATES such rows (one that repeats much of itself) is grouped
whole.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

import cds_warehouse.load.arrow_values as av
from cds_warehouse.sources import SourceSpec

_BUCKET_BITS = 8  # the top bits of a hash choose its bucket
BUCKETS = 1 << _BUCKET_BITS  # one bucket of a 150M-row file is 9 MB to read back; 256 files open in a load
MAX_CANDIDATES = 200_000  # rows in the query's list (1.6 MB); past them every row is grouped
_ENTRY = np.dtype([("hash", "<u8"), ("row", "<i8")])
_BUCKET_SHIFT = np.uint64(64 - _BUCKET_BITS)
_MULTIPLIER = np.uint64(0x100000001B3)  # FNV's prime: the polynomial hash of a key's bytes
_COLUMN_MIX = np.uint64(0x9E3779B97F4A7C15)


def finder_for(spec: SourceSpec) -> RepeatFinder | None:
    """A finder when the source's record key is text that every loaded row holds (a required column):
    the hashes then see every key. Otherwise None: every row is grouped."""
    if not spec.unique_in_file:
        return None
    columns = {c.name: c for c in spec.landed_columns}
    if all(k in columns and columns[k].required and columns[k].type == "text" for k in spec.unique_in_file):
        return RepeatFinder(spec.unique_in_file)
    return None


class RepeatFinder:
    """Used as a context manager: its temporary files (hashes and row numbers, no value of a row) are
    removed on leaving it, whether the load succeeded or not."""

    def __init__(self, key_columns: tuple[str, ...]):
        self.key_columns = key_columns
        self._folder: tempfile.TemporaryDirectory | None = None
        self._files: list = []

    def __enter__(self) -> RepeatFinder:
        self._folder = tempfile.TemporaryDirectory(prefix="cds-repeats-")
        self._files = [(Path(self._folder.name) / f"{b:03}").open("wb") for b in range(BUCKETS)]
        return self

    def __exit__(self, *exc) -> None:
        for fh in self._files:
            fh.close()
        if self._folder is not None:
            self._folder.cleanup()

    def key_hashes(self, table: pa.Table) -> np.ndarray:
        """64-bit hashes of the rows' keys."""
        combined = np.zeros(table.num_rows, dtype=np.uint64)
        for name in self.key_columns:
            combined = combined * _COLUMN_MIX + _string_hashes(table.column(name))
        return _mixed(combined)

    def add(self, table: pa.Table) -> None:
        """The rows of one piece (with their source_row), in any order of pieces, one piece at a time."""
        if not table.num_rows:
            return
        entries = np.empty(table.num_rows, dtype=_ENTRY)
        entries["hash"] = self.key_hashes(table)
        entries["row"] = av.int64_values(table.column("source_row"))
        buckets = (entries["hash"] >> _BUCKET_SHIFT).astype(np.intp)
        entries = entries[np.argsort(buckets, kind="stable")]
        counts = np.bincount(buckets, minlength=BUCKETS)
        ends = np.cumsum(counts)
        for bucket in np.flatnonzero(counts):
            self._files[bucket].write(entries[ends[bucket] - counts[bucket] : ends[bucket]].tobytes())

    def candidate_rows(self) -> np.ndarray | None:
        """The source rows whose key may be in another row too (sorted), or None when there are more than
        MAX_CANDIDATES."""
        found: list[np.ndarray] = []
        count = 0
        for fh in self._files:
            fh.close()
            entries = np.fromfile(fh.name, dtype=_ENTRY)
            hashes, counts = np.unique(entries["hash"], return_counts=True)
            repeated = hashes[counts > 1]
            if len(repeated):
                rows = entries["row"][np.isin(entries["hash"], repeated)]
                count += len(rows)
                if count > MAX_CANDIDATES:
                    return None
                found.append(rows)
        return np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def _string_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Polynomial hash of each value's UTF-8 bytes (the values have no nulls: the key columns are required)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].astype(np.uint64)
    lengths = np.diff(offsets)
    starts = offsets[:-1] - offsets[0]
    position = np.arange(len(data)) - np.repeat(starts, lengths)
    powers = np.cumprod(np.full(int(lengths.max(initial=0)) + 1, _MULTIPLIER, dtype=np.uint64))
    terms = data * powers[position]
    hashes = np.zeros(len(values), dtype=np.uint64)
    filled = lengths > 0  # reduceat takes an empty segment's next element: empty values keep 0
    if filled.any():
        hashes[filled] = np.add.reduceat(terms, starts[filled])
    return hashes + lengths.astype(np.uint64)


def _mixed(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit, so the top bits choose buckets evenly."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))
