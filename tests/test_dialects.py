"""Exports in the national portal's dialect (field names, codes, dates; CSV or JSON lines) load through the
portal source by its YAML's aliases and value maps alone, into the same raw rows as today's dialect."""

from __future__ import annotations

from pathlib import Path

import pytest
from national_dialect import national_rows, write_national_csv, write_national_json_lines

from cds_warehouse.load import LoadError, load_file
from cds_warehouse.sources import load_source

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"


def raw_rows(conn, load_id: int) -> list[tuple]:
    columns = ", ".join(c.name for c in load_source("portal_dossiers").landed_columns)
    return conn.execute(
        f"select source_row, {columns} from raw.portal_dossier where load_id = %s order by source_row", (load_id,)
    ).fetchall()


@pytest.mark.parametrize("export", ["dossiers.csv", "changes.csv"])
def test_the_national_dialect_as_csv_and_json_lines_gives_the_raw_rows_of_todays_dialect(conn, tmp_path, export):
    today = load_file(FIXTURES / export)
    as_csv = load_file(write_national_csv(FIXTURES / export, tmp_path / "national.csv"))
    as_json = load_file(write_national_json_lines(FIXTURES / export, tmp_path / "national.jsonl"))

    for result in (today, as_csv, as_json):
        assert (result.status, result.rows_rejected) == ("loaded", 0), result
    expected = raw_rows(conn, today.load_id)
    assert len(expected) == today.rows_read > 0
    assert raw_rows(conn, as_csv.load_id) == expected
    assert raw_rows(conn, as_json.load_id) == expected


def test_a_code_the_dialect_does_not_map_and_an_impossible_date_are_row_rejects(conn, tmp_path):
    rows = national_rows(FIXTURES / "dossiers.csv")[:3]
    rows[0]["TrangThaiHoSo"] = "8"  # "dừng xử lý": no value of the contract says it
    rows[1]["NgayTiepNhan"] = "20240231090000"  # strptime alone would read 2 March
    rows[2]["CapThucHien"] = "Xã"  # a value already in the contract's form is read as it is
    path = tmp_path / "national.csv"
    path.write_text(",".join(rows[0]) + "\n" + "\n".join(",".join(r.values()) for r in rows) + "\n", encoding="utf-8")
    result = load_file(path)

    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 1, 2)
    rejects = conn.execute("select source_row, column_name, reason from raw.load_reject order by source_row").fetchall()
    assert rejects == [
        (
            1,
            "status",
            "'8' is not one of ['Đã tiếp nhận', 'Đang xử lý', 'Chờ bổ sung', 'Đã kết thúc',"
            " 'Đã trả kết quả', 'Đã rút']",
        ),
        # fourteen digits could be an ID number: the reason shows the value's shape only
        (2, "received_at", "'99999999999999' is not a date dd/mm/yyyy [HH:MM[:SS]]"),
    ]
    assert conn.execute("select admin_level from raw.portal_dossier").fetchall() == [("Xã",)]


def test_json_lines_that_are_not_objects_per_line_are_refused_without_quoting_them(conn, tmp_path):
    path = write_national_json_lines(FIXTURES / "dossiers.csv", tmp_path / "cut.jsonl")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) - 40], encoding="utf-8")  # the last object cut short

    with pytest.raises(LoadError) as refused:
        load_file(path)
    message = str(refused.value)
    assert "cut.jsonl: not JSON lines" in message and "nothing loaded" in message
    assert "thử nghiệm" not in message and "0912" not in message
    assert conn.execute("select count(*) from raw.portal_dossier").fetchone()[0] == 0
    assert conn.execute("select status from raw.load_audit").fetchall() == [("failed",)]


def test_a_value_map_naming_an_undeclared_dialect_is_refused_when_the_yaml_is_read():
    from cds_warehouse.dialects import parsed_value_map

    with pytest.raises(ValueError, match="not declared under `dialects`: \\['provincial'\\]"):
        parsed_value_map({"provincial": {1: "Tỉnh"}}, {}, "source s: column c")
