"""Arrow values made from buffers, not converted from Python objects.

pyarrow converts a Python value (``pa.scalar``, ``pa.array``, a literal passed to a compute function, a
boolean array turned into numpy) by first asking pandas whether it is one of pandas' values, which imports
pandas: some 37 MB of memory for each loading process, a quarter of its budget, for nothing the loader
uses. The loader's literals and masks go through these helpers instead; tests/test_load_memory.py checks
that a load imports no pandas.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pyarrow as pa

_EPOCH = dt.datetime(1970, 1, 1)


def int64s(values: np.ndarray) -> pa.Array:
    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def float64s(values: np.ndarray) -> pa.Array:
    data = np.ascontiguousarray(values, dtype=np.float64)
    return pa.Array.from_buffers(pa.float64(), len(data), [None, pa.py_buffer(data)])


def booleans(values: np.ndarray) -> pa.Array:
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def strings(values: list[str | None]) -> pa.Array:
    """Text values (None for null) as a string array."""
    encoded = [b"" if v is None else v.encode() for v in values]
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    validity = None
    if any(v is None for v in values):
        validity = pa.py_buffer(np.packbits([v is not None for v in values], bitorder="little"))
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(pa.string(), len(values), [validity, pa.py_buffer(offsets), data])


# The constants below are made once per value: each is a few pyarrow calls, which the cleaning of every
# piece of a load would otherwise repeat (some 8,000 casts per million rows).
@lru_cache(maxsize=256)
def values_of(values: tuple, type_: pa.DataType) -> pa.Array:
    """A short list of values (a column's accepted values) as an array of the column's type."""
    if pa.types.is_string(type_):
        return strings([None if v is None else str(v) for v in values])
    if pa.types.is_integer(type_):
        return int64s(np.array(values, dtype=np.int64)).cast(type_)
    return float64s(np.array(values, dtype=np.float64)).cast(type_)


@lru_cache(maxsize=256)
def null(type_: pa.DataType) -> pa.Scalar:
    return pa.nulls(1, type_)[0]


@lru_cache(maxsize=256)
def string(value: str) -> pa.Scalar:
    return strings([value])[0]


@lru_cache(maxsize=256)
def number(value: float, type_: pa.DataType) -> pa.Scalar:
    """A bound (a column's minimum or maximum) as a scalar of the values' type."""
    if pa.types.is_integer(type_) and float(value).is_integer():
        return int64s(np.array([int(value)]))[0].cast(type_)
    return float64s(np.array([value]))[0].cast(type_)


@lru_cache(maxsize=256)
def timestamp(value: dt.datetime, type_: pa.DataType) -> pa.Scalar:
    """A naive datetime as a scalar of a timestamp type in seconds (the loader's)."""
    seconds = int((value - _EPOCH).total_seconds())
    return int64s(np.array([seconds]))[0].cast(pa.timestamp("s")).cast(type_)


@lru_cache(maxsize=256)
def seconds(count: int) -> pa.Scalar:
    return int64s(np.array([count]))[0].cast(pa.duration("s"))


FALSE = booleans(np.array([False]))[0]
NULL_STRING = null(pa.string())
EMPTY_STRING = string("")


def mask(values: pa.Array) -> np.ndarray:
    """A boolean array without nulls (a mask: from is_null, or after fill_null) as a numpy bool array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count:
        raise ValueError("a mask has no nulls: fill them first")
    bits = np.frombuffer(values.buffers()[1], dtype=np.uint8)
    return np.unpackbits(bits, bitorder="little", count=values.offset + len(values))[values.offset :].astype(bool)


def int64_values(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An int64 array without nulls as a numpy view of its buffer (``to_numpy`` on a chunked array imports
    pandas)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count or values.type != pa.int64():
        raise ValueError("int64 values without nulls expected")
    return np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset : values.offset + len(values)]
