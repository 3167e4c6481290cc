"""Small array helpers: lookup tables of CSV-ready strings and categorical draws."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def csv_escape(value: str) -> str:
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def lut(values: Sequence[str]) -> np.ndarray:
    """Object array of CSV-ready strings, indexed by code."""
    out = np.empty(len(values), dtype=object)
    out[:] = [csv_escape(v) for v in values]
    return out


def cumulative(weights: Sequence[float]) -> np.ndarray:
    cum = np.cumsum(np.asarray(weights, dtype=float))
    cum /= cum[-1]
    cum[-1] = 1.0
    return cum


def categorical(rng: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)


def object_lut(values: Sequence[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out
