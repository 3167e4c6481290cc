"""Repeated records found while the rows stream (load/repeats.py): the same rejects as grouping every row,
whether the copies sit in one piece or in pieces far apart, and whether the filter's candidates run over."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from conftest import dossier, write_export

import cds_warehouse.load.copying as copy_module
import cds_warehouse.load.repeats as repeats_module
from cds_warehouse.load import load_file
from cds_warehouse.load.repeats import RepeatFinder


def _export_with_repeats(tmp_path):
    rows = [dossier(dossier_code=f"P{i:04}", unit_code=f"27.H{i % 9:02}") for i in range(1, 801)]
    rows[9] = dict(rows[3])  # row 10 repeats row 4 (same content)
    rows[10] = dict(rows[4], channel="1")  # row 11: the same dossier as row 5, other content
    rows[11] = dict(rows[11], dossier_code="P0012", province_code="40")  # same code, another province: kept
    rows[790] = dict(rows[1])  # row 791 repeats row 2, many pieces later
    rows[791] = dict(rows[791], dossier_code="P0792")
    rows.append(dict(rows[791]))  # row 801 repeats the row just before it (same piece)
    return write_export(tmp_path / "repeats.csv", rows)


def _rejects(conn):
    return conn.execute("select source_row, column_name, reason from raw.load_reject order by 1, 2").fetchall()


EXPECTED = [
    (5, "dossier_code", "the same dossier as row 11 with other content (an export holds one row per dossier):"
     " none of them is kept"),
    (10, "dossier_code", "repeats row 4 (the same dossier and content)"),
    (11, "dossier_code", "the same dossier as row 5 with other content (an export holds one row per dossier):"
     " none of them is kept"),
    (791, "dossier_code", "repeats row 2 (the same dossier and content)"),
    (801, "dossier_code", "repeats row 792 (the same dossier and content)"),
]  # fmt: skip


@pytest.mark.parametrize("piece_bytes", [1 << 11, 1 << 20], ids=["many pieces", "one piece"])
def test_repeats_in_one_piece_or_far_apart_are_the_rejects_grouping_every_row_gives(
    conn, tmp_path, monkeypatch, piece_bytes
):
    monkeypatch.setattr(copy_module, "CHUNK_BYTES", piece_bytes)
    result = load_file(_export_with_repeats(tmp_path))

    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (801, 796, 5)
    assert _rejects(conn) == EXPECTED


def test_when_the_candidates_run_over_every_row_is_grouped_with_the_same_result(conn, tmp_path, monkeypatch):
    monkeypatch.setattr(copy_module, "CHUNK_BYTES", 1 << 11)
    monkeypatch.setattr(repeats_module, "FILTER_BITS", 64)  # a filter that is soon full: every key a candidate
    monkeypatch.setattr(repeats_module, "MAX_CANDIDATES", 50)
    result = load_file(_export_with_repeats(tmp_path))

    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (801, 796, 5)
    assert _rejects(conn) == EXPECTED


def test_the_filter_flags_every_key_met_before_and_few_others():
    codes = [f"27-{i:07}" for i in range(20_000)]
    finder = RepeatFinder(("province_code", "dossier_code"))
    first = pa.table({"province_code": ["27"] * 10_000, "dossier_code": codes[:10_000]})
    second = pa.table({"province_code": ["27"] * 10_001, "dossier_code": [*codes[10_000:], codes[5]]})
    for table in (first, second):
        finder.add(finder.key_hashes(table), table)

    candidates = finder.candidate_keys().column("dossier_code").to_pylist()
    assert codes[5] in candidates and len(candidates) < 20  # the repeat, and false positives at most
    same = finder.key_hashes(pa.table({"province_code": ["27", "40"], "dossier_code": [codes[5], codes[5]]}))
    assert same[0] == finder.key_hashes(first.slice(5, 1))[0] and same[0] != same[1]
    assert np.unique(finder.key_hashes(first)).size == 10_000
