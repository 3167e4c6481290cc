"""Synthetic dossier export of a provincial public-service portal.

Writes a CSV that follows the contract in ``cds_warehouse/sources/portal_dossiers.yml`` (headers, order,
types, accepted values) with plausible volumes and rates for three provinces before the 1 July 2025 reorganization:
"27" Bắc Ninh (large), "06" Bắc Kạn (small) and "40" Nghệ An (large). See docs/sources/portal_dossiers.md.

Handling-unit codes are fixed by the reference data (``data/provinces.yml``: the order of departments,
districts and communes) and do not depend on the seed:

* provincial departments: ``{province}.S{nn}``, e.g. ``27.S03`` (Sở Tài nguyên và Môi trường, Bắc Ninh)
* district-level People's Committees: ``{province}.H{nn}``, e.g. ``27.H03`` (UBND huyện Tiên Du)
* communes, wards and townships: ``{district code}.X{nn}``, e.g. ``27.H03.X05`` (UBND xã Lạc Vệ)

Dossier codes are ``{unit code}-{yymmdd of receipt}-{row number}``, e.g. ``27.H03.X05-240115-0000123``;
the row number makes them unique within a file.

File conventions: UTF-8 (with BOM unless ``bom=False``), comma delimiter, CRLF line ends, fields quoted
only when they contain a comma or a quote, timestamps ``dd/mm/yyyy HH:MM:SS`` (local time), integers
without thousands separators, ``supplement_days`` in half days with a decimal point ("2.5"), blank = null.
Rows are in no particular order. The same arguments always give a byte-identical file.

Deliberate defects for loader tests (positions drawn from the seed, reported in the summary):

* ``bad_rows``: each chosen row gets exactly one broken field, cycling through
  ``received_at`` = "31/02/yyyy 08:00:00" (impossible date), ``received_at`` = "yyyy-13-01"
  (wrong format and month), ``channel`` = "9" (not an accepted value), ``dossier_code`` = "" (missing key).
* ``duplicate_rows``: each chosen row keeps its own content but takes the dossier code of another row of
  the file, so the key repeats.

Simplifications: the department list is the one before the March 2025 merger of departments; holidays
are Viet Nam's public holidays for 2022-2026; all rates follow smooth calendar trends plus noise.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import yaml

import cds_warehouse
from cds_devkit.synthetic.applicants import draw_applicants
from cds_devkit.synthetic.arrays import csv_escape, lut, object_lut
from cds_devkit.synthetic.dossiers import draw_dossiers
from cds_devkit.synthetic.parameters import (
    DAY,
    DEFECT_KINDS,
    EARLIEST_START,
    LEVEL_NAMES,
    RATING_NAMES,
    REORGANIZATION,
    STATUS_NAMES,
)
from cds_devkit.synthetic.reference import Reference
from cds_devkit.synthetic.reference_data import PROVINCES
from cds_devkit.synthetic.working_days import Calendar, add_months

CONTRACT_PATH = Path(cds_warehouse.__file__).parent / "sources" / "portal_dossiers.yml"
CHUNK_ROWS = 50_000  # rows drawn at a time; part of the seed's meaning, so fixed
WRITE_ROWS = 10_000
BOM = b"\xef\xbb\xbf"
LINE_END = "\r\n"


@dataclass(frozen=True)
class BadRow:
    """A deliberately broken row: 1-based data row number (header is row 0), field and kind of damage."""

    row: int
    column: str
    kind: str


@dataclass(frozen=True)
class GenerationSummary:
    path: Path
    rows: int
    sha256: str
    seconds: float
    bad_rows: tuple[BadRow, ...] = ()
    duplicate_rows: tuple[int, ...] = ()  # 1-based rows whose dossier code repeats another row's


def contract_columns(contract_path: Path = CONTRACT_PATH) -> list[dict]:
    """The column entries of the portal contract, in file order."""
    with open(contract_path, encoding="utf-8") as f:
        return yaml.safe_load(f)["columns"]


def generate_portal_export(
    path: str | Path,
    rows: int,
    seed: int = 2025,
    start: date = date(2024, 1, 1),
    months: int = 18,
    provinces: Sequence[str] = ("27", "06", "40"),
    bom: bool = True,
    bad_rows: int = 0,
    duplicate_rows: int = 0,
) -> GenerationSummary:
    """Write a synthetic portal dossier export of `rows` data rows and return its summary."""
    began = time.perf_counter()
    path = Path(path)
    _check_arguments(rows, seed, start, months, provinces, bad_rows, duplicate_rows)
    columns = contract_columns()
    reference = Reference.build(provinces)
    calendar = Calendar.build(start, months)
    defects = _plan_defects(rows, bad_rows, duplicate_rows, seed)
    digest = hashlib.sha256()
    with open(path, "wb") as out:

        def write(data: bytes) -> None:
            out.write(data)
            digest.update(data)

        if bom:
            write(BOM)
        write((",".join(csv_escape(c["header"]) for c in columns) + LINE_END).encode("utf-8"))
        for first in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first)
            rng = np.random.default_rng([seed, 1, first // CHUNK_ROWS])
            fields = _render_chunk(rng, n, first, rows, reference, calendar)
            _apply_defects(fields, first, n, defects)
            ordered = [fields[c["name"]] for c in columns]
            # Joined in slices: one big string per chunk would cost several times the chunk's memory.
            for lo in range(0, n, WRITE_ROWS):
                lines = zip(*[values[lo : lo + WRITE_ROWS] for values in ordered], strict=True)
                write((LINE_END.join(map(",".join, lines)) + LINE_END).encode("utf-8"))
            del fields, ordered  # free this chunk before the next one is drawn
    return GenerationSummary(
        path=path,
        rows=rows,
        sha256=digest.hexdigest(),
        seconds=round(time.perf_counter() - began, 3),
        bad_rows=tuple(BadRow(r + 1, DEFECT_KINDS[k][0], DEFECT_KINDS[k][1]) for r, k in defects.bad.items()),
        duplicate_rows=tuple(r + 1 for r in defects.duplicate_source),
    )


def _check_arguments(rows, seed, start, months, provinces, bad_rows, duplicate_rows) -> None:
    if rows < 0 or seed < 0 or months < 1:
        raise ValueError("rows and seed must be >= 0 and months >= 1")
    if start.day != 1 or start < EARLIEST_START:
        raise ValueError(f"start must be the first day of a month, not before {EARLIEST_START}")
    if add_months(start, months) > REORGANIZATION:
        raise ValueError("the generator models three-tier local government, which ended on 1 July 2025")
    unknown = [p for p in provinces if p not in PROVINCES]
    if unknown or not provinces or len(set(provinces)) != len(provinces):
        raise ValueError(f"provinces must be distinct codes among {sorted(PROVINCES)}, got {list(provinces)}")
    if bad_rows < 0 or duplicate_rows < 0 or bad_rows + duplicate_rows > rows // 2:
        raise ValueError("bad_rows + duplicate_rows must be between 0 and half of rows")


_STATUS_LUT = lut(STATUS_NAMES)
_RATING_LUT = lut(RATING_NAMES)
_CHANNEL_LUT = lut(["", "1", "2", "3"])
_SMALL_INT_LUT = lut([str(i) for i in range(10)])
_HALF_DAYS_LUT = lut([f"{k / 2:g}" for k in range(200)])
_TIME_LUT = lut([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)])


def _render_chunk(rng, n: int, first: int, rows: int, ref: Reference, cal: Calendar) -> dict[str, list[str]]:
    d = draw_dossiers(rng, n, ref, cal)
    proc, unit = d["proc"], d["unit"]
    closed = d["finished"] >= 0
    fields = {
        "dossier_code": _dossier_codes(ref.unit_code[unit], d["received"], first, rows),
        "procedure_code": ref.proc_code[proc],
        "procedure_name": ref.proc_name[proc],
        "service_level": ref.proc_service_text[proc],
        "province_code": lut(ref.province_codes)[d["province"]],
        "unit_code": ref.unit_code[unit],
        "unit_name": ref.unit_name[unit],
        "admin_level": lut(LEVEL_NAMES)[d["level"]],
        "channel": _CHANNEL_LUT[d["channel"]],
        "received_at": _timestamps(d["received"]),
        "due_at": _timestamps(d["due"]),
        "finished_at": np.where(closed, _timestamps(np.where(closed, d["finished"], d["received"])), ""),
        "status": _STATUS_LUT[d["status"]],
        "supplement_count": _SMALL_INT_LUT[d["supplement_count"]],
        "supplement_days": _HALF_DAYS_LUT[(d["supplement_days"] * 2).astype(np.int64)],
        "fee_vnd": ref.proc_fee_text[proc],
        "online_payment": _SMALL_INT_LUT[d["online_payment"]],
        "components_digitized": _SMALL_INT_LUT[d["components_digitized"]],
        "electronic_result": _SMALL_INT_LUT[d["electronic_result"]],
        "paper_result": _SMALL_INT_LUT[ref.proc_paper[proc]],
        "rating": _RATING_LUT[d["rating"]],
        "complaint": _SMALL_INT_LUT[d["complaint"]],
        "updated_at": _timestamps(d["updated"]),
    }
    rendered = {name: (v.tolist() if isinstance(v, np.ndarray) else v) for name, v in fields.items()}
    rendered.update(draw_applicants(rng, d, ref))
    return rendered


def _day_strings(first_day: int, last_day: int, layout: str) -> np.ndarray:
    iso = np.datetime_as_string(np.arange(first_day, last_day + 1).astype("datetime64[D]"))
    if layout == "dmy":
        return object_lut([f"{s[8:10]}/{s[5:7]}/{s[0:4]} " for s in iso.tolist()])
    return object_lut([f"{s[2:4]}{s[5:7]}{s[8:10]}" for s in iso.tolist()])


def _timestamps(seconds: np.ndarray) -> np.ndarray:
    """dd/mm/yyyy HH:MM:SS for epoch seconds of local time."""
    day, time_of_day = np.divmod(seconds, DAY)
    first_day = int(day.min()) if len(day) else 0
    last_day = int(day.max()) if len(day) else 0
    return _day_strings(first_day, last_day, "dmy")[day - first_day] + _TIME_LUT[time_of_day]


def _dossier_codes(unit_codes: np.ndarray, received: np.ndarray, first: int, rows: int) -> list[str]:
    day = received // DAY
    first_day = int(day.min()) if len(day) else 0
    dates = _day_strings(first_day, int(day.max()) if len(day) else 0, "ymd")[day - first_day].tolist()
    width = max(7, len(str(rows)))
    numbers = range(first + 1, first + len(received) + 1)
    return [f"{u}-{d}-{k:0{width}d}" for u, d, k in zip(unit_codes.tolist(), dates, numbers, strict=True)]


# --------------------------------------------------------------------------------------------------
# Deliberate defects
# --------------------------------------------------------------------------------------------------


@dataclass
class _Defects:
    bad: dict[int, int]  # 0-based row -> index into DEFECT_KINDS
    duplicate_source: dict[int, int]  # 0-based row -> row (same chunk) whose dossier code it takes


def _plan_defects(rows: int, bad_rows: int, duplicate_rows: int, seed: int) -> _Defects:
    if bad_rows + duplicate_rows == 0:
        return _Defects({}, {})
    rng = np.random.default_rng([seed, 2])
    chosen = rng.choice(rows, size=bad_rows + duplicate_rows, replace=False)
    bad = {int(r): i % len(DEFECT_KINDS) for i, r in enumerate(np.sort(chosen[:bad_rows]))}
    taken = set(chosen.tolist())
    duplicates = {}
    for row in np.sort(chosen[bad_rows:]).tolist():
        duplicates[row] = _nearby_clean_row(row, rows, taken)
    return _Defects(bad, duplicates)


def _nearby_clean_row(row: int, rows: int, taken: set[int]) -> int:
    """The nearest row of the same chunk that is not itself damaged (chunks are rendered one at a time)."""
    chunk_start = row // CHUNK_ROWS * CHUNK_ROWS
    chunk_end = min(chunk_start + CHUNK_ROWS, rows)
    for distance in range(1, CHUNK_ROWS):
        for candidate in (row - distance, row + distance):
            if chunk_start <= candidate < chunk_end and candidate not in taken:
                return candidate
    raise ValueError(f"no undamaged row left near row {row}; ask for fewer defects")


def _apply_defects(fields: dict[str, list[str]], first: int, n: int, defects: _Defects) -> None:
    for row, kind in defects.bad.items():
        if first <= row < first + n:
            _break_field(fields, row - first, DEFECT_KINDS[kind][1])
    for row, source in defects.duplicate_source.items():
        if first <= row < first + n:
            fields["dossier_code"][row - first] = fields["dossier_code"][source - first]


def _break_field(fields: dict[str, list[str]], i: int, kind: str) -> None:
    year = fields["received_at"][i][6:10]
    if kind == "impossible_date":
        fields["received_at"][i] = f"31/02/{year} 08:00:00"
    elif kind == "iso_date_bad_month":
        fields["received_at"][i] = f"{year}-13-01"
    elif kind == "channel_not_accepted":
        fields["channel"][i] = "9"
    elif kind == "blank_key":
        fields["dossier_code"][i] = ""
    else:
        raise ValueError(kind)
