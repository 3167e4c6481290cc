"""Cleaning a block of rows column by column (vectorised with pyarrow): text normalised, values typed and
checked against the column's rules; a row with a bad value becomes a reject naming its row, column and
the value's shape; personal data hashed or dropped."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import cds_warehouse.load.arrow_values as av
from cds_warehouse import dialects
from cds_warehouse.load.personal_data import keyed_hash, shown_in_reason
from cds_warehouse.run_dates import PROVINCE_TZ, load_day_after
from cds_warehouse.sources import Column, SourceSpec


def clean_batch(
    batch: pa.RecordBatch, spec: SourceSpec, present: set[str], key: bytes, row_numbers: np.ndarray
) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    n = batch.num_rows
    row_bad = np.zeros(n, dtype=bool)
    rejects: list[tuple[int, str, str]] = []
    typed: dict[str, pa.Array] = {"source_row": av.int64s(row_numbers)}
    for col in spec.landed_columns:
        text = _normalized_text(batch.column(col.name)) if col.name in present else pa.nulls(n, pa.string())
        text = dialects.translated(text, col, spec)  # codes and dates of another dialect in the contract's form
        if col.digits:
            text = _leading_zeros_restored(text, col.digits)
        if col.pii == "hash":
            typed[col.name] = keyed_hash(text, key)
            continue
        values, bad, reason = _convert(text, col, spec)
        if col.required:
            missing = av.mask(pc.is_null(text))
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
        table = table.filter(av.booleans(~row_bad))
    return table, rejects


def _leading_zeros_restored(text: pa.Array, digits: int) -> pa.Array:
    """Codes of `digits` digits that lost one or two leading zeros (a spreadsheet read them as numbers)."""
    if not pc.any(pc.less(pc.utf8_length(text), av.number(digits, pa.int32()))).as_py():
        return text  # none is short: the regular expression, as costly as a parse, is not needed
    short = pc.fill_null(pc.match_substring_regex(text, rf"^\d{{{max(digits - 2, 1)},{digits - 1}}}$"), av.FALSE)
    if not pc.any(short).as_py():
        return text
    return pc.if_else(short, pc.utf8_lpad(text, width=digits, padding="0"), text)


def _normalized_text(values: pa.Array) -> pa.Array:
    """NFC, trimmed, blank as null: what a person reading the cell would take it to be."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.utf8_trim_whitespace(_nfc(values))
    return _blank_as_null(text)


def _blank_as_null(text: pa.Array) -> pa.Array:
    """Blank values as nulls by a new validity bitmap over the same offsets and bytes: if_else would copy
    every value of the column."""
    present = pc.fill_null(pc.not_equal(text, av.EMPTY_STRING), av.FALSE)
    if text.offset or present.offset or text.type != pa.string():  # the bitmap must start where the values do
        return pc.if_else(present, text, av.NULL_STRING)
    return pa.Array.from_buffers(pa.string(), len(text), [present.buffers()[1], *text.buffers()[1:]])


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
            date_only = pc.fill_null(pc.less_equal(pc.utf8_length(text), av.number(10, pa.int32())), av.FALSE)
            if pc.any(date_only).as_py():
                end_of_day = pc.add(values, av.seconds(86399))
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
        values = pc.cast(pc.if_else(ok, cleaned, av.NULL_STRING), pa.int64())
        reason = "is not a whole number"
    elif col.type == "numeric":
        cleaned = pc.replace_substring(text, ",", ".")  # decimal comma
        ok = pc.match_substring_regex(cleaned, r"^-?\d+(\.\d+)?$")
        values = pc.cast(pc.if_else(ok, cleaned, av.NULL_STRING), pa.float64())
        reason = "is not a number"
    else:
        values, reason = text, ""
    invalid = pc.and_(present, pc.is_null(values))
    if col.type == "timestamp":
        invalid, reason = _impossible_dates(values, invalid, reason, col)
    if col.minimum is not None or col.maximum is not None:
        low = pc.less(values, av.number(col.minimum, values.type)) if col.minimum is not None else pc.is_null(values)
        high = (
            pc.greater(values, av.number(col.maximum, values.type)) if col.maximum is not None else pc.is_null(values)
        )
        out_of_range = pc.fill_null(pc.or_(low, high), av.FALSE)
        if pc.any(out_of_range).as_py():
            outside = f"is outside [{_number(col.minimum)}, {_number(col.maximum)}]"
            reason = f"{reason} or {outside}" if pc.any(pc.fill_null(invalid, av.FALSE)).as_py() else outside
            invalid = pc.or_(invalid, out_of_range)
    if col.accepted is not None:
        accepted = av.values_of(tuple(a for a in col.accepted if a != ""), values.type)
        outside = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=accepted)))
        invalid = pc.or_(invalid, outside)
        reason = f"is not one of {[a for a in col.accepted if a != '']}"
    if col.pattern is not None:
        invalid = pc.or_(invalid, pc.and_(present, pc.invert(pc.match_substring_regex(text, col.pattern))))
        reason = f"does not match {col.pattern}"
    mask = av.mask(pc.fill_null(invalid, av.FALSE))
    return values, mask, reason


def _impossible_dates(values: pa.Array, invalid: pa.Array, reason: str, col: Column) -> tuple[pa.Array, str]:
    """A date before the column's earliest or, where the column says so, after the day of the load (a year
    typed 2205 for 2025) is a reject of its row, not a fault of the whole file."""
    bounds = []
    if col.earliest is not None:
        earliest = dt.datetime.fromisoformat(col.earliest)
        bounds.append((pc.less(values, av.timestamp(earliest, values.type)), f"is before {col.earliest}"))
    if col.not_after_load:
        day = dt.datetime.now(PROVINCE_TZ).date()
        latest = dt.datetime.fromisoformat(load_day_after(day))
        after = pc.greater_equal(values, av.timestamp(latest, values.type))
        bounds.append((after, f"is after the day of the load ({day})"))
    for outside, why in bounds:
        outside = pc.fill_null(outside, av.FALSE)
        if pc.any(outside).as_py():
            reason = f"{reason} or {why}" if pc.any(pc.fill_null(invalid, av.FALSE)).as_py() else why
            invalid = pc.or_(invalid, outside)
    return invalid, reason


def _number(value: float | None) -> str:
    return "" if value is None else str(int(value)) if float(value).is_integer() else f"{value:g}"


def parse_vn_timestamp(text: pa.Array, formats: tuple[str, ...]) -> pa.Array:
    """dd/mm/yyyy with an optional time, as naive local time; impossible dates (31/02), years before 1000
    (strptime reads "25" as the year 25) and leap seconds (08:05:60, which strptime rolls over) are null."""
    # only a minute or a second follows ':'; the plain substring search rules out most columns first
    if pc.any(pc.fill_null(pc.match_substring(text, ":6"), av.FALSE)).as_py():
        leap = pc.fill_null(pc.match_substring_regex(text, r":6\d"), av.FALSE)  # :60 to :69, not 8:6
        text = pc.if_else(leap, av.NULL_STRING, text)
    present = pc.sum(pc.is_valid(text)).as_py() or 0
    parsed = pc.strptime(text, format=formats[0], unit="s", error_is_null=True)
    for fmt in formats[1:]:
        if (pc.sum(pc.is_valid(parsed)).as_py() or 0) == present:
            break  # every value read with the formats so far: skip the costlier fallbacks
        parsed = pc.coalesce(parsed, pc.strptime(text, format=fmt, unit="s", error_is_null=True))
    ancient = pc.fill_null(pc.less(pc.year(parsed), av.number(1000, pa.int64())), av.FALSE)
    if pc.any(ancient).as_py():
        parsed = pc.if_else(ancient, av.null(parsed.type), parsed)
    # strptime rolls 31/02 over to 03/03. A rolled-over date always lands on day 1-3, so only
    # those rows need the check that day and month survived the parse.
    # The check reads day and month back from the text with a regex, which costs as much as the parse:
    # it is run on those rows first, and on the whole column only when one of them did roll over.
    suspect = pc.indices_nonzero(pc.fill_null(pc.less_equal(pc.day(parsed), av.number(3, pa.int64())), av.FALSE))
    if len(suspect) == 0 or pc.all(_day_and_month_kept(pc.take(text, suspect), pc.take(parsed, suspect))).as_py():
        return parsed
    return pc.if_else(_day_and_month_kept(text, parsed), parsed, av.null(parsed.type))


def _day_and_month_kept(text: pa.Array, parsed: pa.Array) -> pa.Array:
    """Whether each parsed value has the day and month written in its text (false where either is null)."""
    parts = pc.extract_regex(pc.fill_null(text, av.EMPTY_STRING), r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/")
    day = pc.cast(pc.struct_field(parts, "d"), pa.int64())
    month = pc.cast(pc.struct_field(parts, "m"), pa.int64())
    return pc.fill_null(pc.and_(pc.equal(pc.day(parsed), day), pc.equal(pc.month(parsed), month)), av.FALSE)


def _try_cast(text: pa.Array, to: pa.DataType) -> pa.Array | None:
    """The plain case, cast in one go; None when some value needs the slower, forgiving path."""
    try:
        return pc.cast(text, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
