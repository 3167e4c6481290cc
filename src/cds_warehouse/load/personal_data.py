"""Personal data in the load: ID numbers and phones hashed with the warehouse's key, and a rejected value
shown in a reason only when it cannot be personal data (else by its shape)."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import cds_warehouse.load.arrow_values as av

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


def keyed_hash(values: pa.Array, key: bytes) -> pa.Array:
    """Keyed BLAKE2b of the digits of an ID number or phone: joinable, not reversible without the key."""
    # The regular expressions cost as much as the hashing's own loop: they run only where they change a value.
    if pc.all(pc.ascii_is_decimal(values)).as_py() is False:
        digits = pc.replace_substring_regex(values, r"\D", "")
        digits = pc.if_else(pc.equal(digits, av.EMPTY_STRING), av.NULL_STRING, digits)
    else:
        digits = values  # digits alone already (a blank is null)
    if pc.any(pc.starts_with(digits, pattern="84")).as_py():
        digits = pc.replace_substring_regex(digits, r"^84(\d{9})$", "0\\1")  # +84 912... == 0912...
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
        return av.strings([])
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
