"""Repeated records found while the rows stream (load/repeats.py): the same rejects as grouping every row,
whether the copies sit in one piece or in pieces far apart, and whether the candidates run over."""

from __future__ import annotations

from pathlib import Path

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
    monkeypatch.setattr(repeats_module, "MAX_CANDIDATES", 5)  # the file has 8 candidate rows
    answers = []
    found = RepeatFinder.candidate_rows
    monkeypatch.setattr(RepeatFinder, "candidate_rows", lambda self: answers.append(found(self)) or answers[-1])
    result = load_file(_export_with_repeats(tmp_path))

    assert answers == [None]  # every row grouped
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (801, 796, 5)
    assert _rejects(conn) == EXPECTED


def _piece(codes: list[str], first_row: int, province: str = "27") -> pa.Table:
    rows = np.arange(first_row, first_row + len(codes), dtype=np.int64)
    return pa.table({"province_code": [province] * len(codes), "dossier_code": codes, "source_row": rows})


def test_the_candidates_are_the_rows_of_each_repeated_key_and_the_files_go_with_the_finder():
    codes = [f"27-{i:07}" for i in range(20_000)]
    with RepeatFinder(("province_code", "dossier_code")) as finder:
        folder = Path(finder._files[0].name).parent
        finder.add(_piece(codes[:10_000], 1))
        finder.add(_piece([*codes[10_000:], codes[5], codes[7]], 10_001))
        finder.add(_piece([codes[7]], 20_003, province="40"))  # the same code in another province: not a repeat
        candidates = finder.candidate_rows()
        assert sorted(p.name for p in folder.iterdir())[:2] == ["000", "001"]

    assert candidates.tolist() == [6, 8, 20_001, 20_002]  # codes[5] at rows 6 and 20,001; codes[7] at 8, 20,002
    assert not folder.exists()


def test_past_max_candidates_every_row_is_grouped(monkeypatch):
    monkeypatch.setattr(repeats_module, "MAX_CANDIDATES", 3)
    with RepeatFinder(("dossier_code",)) as finder:
        finder.add(pa.table({"dossier_code": ["a", "b", "a", "b"], "source_row": [1, 2, 3, 4]}))
        assert finder.candidate_rows() is None


def test_the_key_hash_tells_keys_and_columns_apart():
    finder = RepeatFinder(("province_code", "dossier_code"))
    first = _piece([f"27-{i:07}" for i in range(10_000)], 1)
    same = finder.key_hashes(pa.table({"province_code": ["27", "40"], "dossier_code": ["27-0000005"] * 2}))
    assert same[0] == finder.key_hashes(first.slice(5, 1))[0] and same[0] != same[1]
    assert np.unique(finder.key_hashes(first)).size == 10_000
    top_bits = (finder.key_hashes(first) >> repeats_module._BUCKET_SHIFT).astype(np.intp)
    buckets = np.bincount(top_bits, minlength=repeats_module.BUCKETS)
    assert buckets.min() > 10_000 / repeats_module.BUCKETS / 2  # the top bits spread the keys over the buckets
