"""Which records of a file may appear in more than one row, found while the rows stream, in fixed memory.

Finding repeated records in SQL groups every key of the batch (reject_repeats): 3 s of a 10 s load at
1M rows, most of it hashing a million keys that each appear once. Here each row's key is hashed on the
cleaning threads (vectorised) and checked against a Bloom filter of the keys met so far: a filter never
misses a key met before, so a record in two rows is always among the candidates, and a few keys met once
are too (false positives). reject_repeats then groups only the rows holding a candidate key, which gives
exactly what grouping every row gives. When the candidates outgrow their bound (a file of tens of millions
of rows fills the filter), the finder gives up and reject_repeats groups every row, as before.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

import cds_warehouse.load.arrow_values as av
from cds_warehouse.sources import SourceSpec

FILTER_BITS = 1 << 25  # 4 MB: 0.07% false positives at 1M rows, 1.5% at 3M; past 5M or so, every row is grouped
MAX_CANDIDATES = 200_000  # keys kept for the query (some 6 MB); past them every row is grouped
_PROBES = 3
_MULTIPLIER = np.uint64(0x100000001B3)  # FNV's prime: the polynomial hash of a key's bytes
_COLUMN_MIX = np.uint64(0x9E3779B97F4A7C15)


def finder_for(spec: SourceSpec) -> RepeatFinder | None:
    """A finder when the source's record key is text that every loaded row holds (a required column):
    candidates are then exactly matched by the query. Otherwise None: every row is grouped."""
    if not spec.unique_in_file:
        return None
    columns = {c.name: c for c in spec.landed_columns}
    if all(k in columns and columns[k].required and columns[k].type == "text" for k in spec.unique_in_file):
        return RepeatFinder(spec.unique_in_file)
    return None


class RepeatFinder:
    def __init__(self, key_columns: tuple[str, ...]):
        self.key_columns = key_columns
        self.bits = np.zeros(FILTER_BITS // 8, dtype=np.uint8)
        self.candidates: list[pa.Table] = []
        self.count = 0
        self.overflowed = False

    def key_hashes(self, table: pa.Table) -> np.ndarray:
        """64-bit hashes of the rows' keys (any thread: reads nothing of the finder's state)."""
        combined = np.zeros(table.num_rows, dtype=np.uint64)
        for name in self.key_columns:
            combined = combined * _COLUMN_MIX + _string_hashes(table.column(name))
        return _mixed(combined)

    def add(self, hashes: np.ndarray, table: pa.Table) -> None:
        """The rows of one piece, in any order of pieces but one piece at a time (one thread)."""
        if self.overflowed or not len(hashes):
            return
        positions = _positions(hashes)
        seen = np.ones(len(hashes), dtype=bool)
        for probe in positions:
            seen &= ((self.bits[probe >> 3] >> (probe & 7).astype(np.uint8)) & 1).astype(bool)
        # a key twice in this piece: its bits are not set yet when the second is checked
        _, first, counts = np.unique(hashes, return_index=True, return_counts=True)
        if (counts > 1).any():
            twice = np.isin(hashes, hashes[first[counts > 1]])
            seen |= twice
        for probe in positions:
            np.bitwise_or.at(self.bits, probe >> 3, (1 << (probe & 7)).astype(np.uint8))
        if seen.any():
            self.count += int(seen.sum())
            if self.count > MAX_CANDIDATES:
                self.overflowed, self.candidates = True, []
                return
            self.candidates.append(table.select(list(self.key_columns)).filter(av.booleans(seen)))

    def candidate_keys(self) -> pa.Table | None:
        """The keys that may be in several rows, or None when there were too many to say."""
        if self.overflowed:
            return None
        if not self.candidates:
            return pa.table({k: pa.nulls(0, pa.string()) for k in self.key_columns})
        return pa.concat_tables(self.candidates)


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
    """splitmix64's finaliser: every input bit moves every output bit, so the filter's probes spread."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _positions(hashes: np.ndarray) -> list[np.ndarray]:
    low, high = hashes & np.uint64(0xFFFFFFFF), (hashes >> np.uint64(32)) | np.uint64(1)
    return [((low + np.uint64(i) * high) % np.uint64(FILTER_BITS)).astype(np.int64) for i in range(_PROBES)]
