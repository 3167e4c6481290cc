"""Files that cannot mean what they claim are refused whole; a bad row is a reject naming its row; and no
applicant's value reaches a table, a log or the server's log on the way."""

from __future__ import annotations

import logging

import pytest
from conftest import write_export
from leaks import LeakScan, applicants, personal_values

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import LoadError, load_file
from cds_warehouse.quality import QualityGateFailed
from cds_warehouse.sources import load_source


def _counts(conn) -> tuple[int, int]:
    return (
        conn.execute("select count(*) from raw.portal_dossier").fetchone()[0],
        conn.execute("select count(*) from raw.load_reject").fetchone()[0],
    )


def test_a_file_without_a_column_the_indicators_read_is_refused_and_the_official_name_is_read(conn, tmp_path):
    spec = load_source("portal_dossiers")
    rows = applicants(3, "R")
    scan = LeakScan(conn)
    without = [h for h in spec.headers if h != "Kênh nộp"]
    path = write_export(
        tmp_path / "no_channel.csv", [{k: v for k, v in r.items() if k != "channel"} for r in rows], headers=without
    )
    with pytest.raises(
        LoadError, match=r"no_channel.csv: row 0 \(header\): columns the indicators read are missing: Kênh nộp"
    ):
        load_file(path)
    assert conn.execute("select status from raw.load_audit").fetchone()[0] == "failed"
    assert _counts(conn) == (0, 0)  # refused whole, nothing published with a wrong meaning

    official = [h if h != "Kênh nộp" else "KenhThucHien" for h in spec.headers]
    loaded = load_file(write_export(tmp_path / "official_names.csv", rows, headers=official))
    assert (loaded.rows_loaded, loaded.rows_rejected) == (3, 0)
    channels = conn.execute("select distinct channel from raw.portal_dossier").fetchall()
    assert channels == [(2,)]
    scan.assert_clean(conn, personal_values(rows))


def test_a_column_emptied_in_a_batch_departs_from_the_recent_batches_and_is_quarantined(conn, tmp_path):
    for night in range(3):
        gate_batches([load_file(write_export(tmp_path / f"night{night}.csv", applicants(120, f"N{night}"))).load_id])
    emptied = load_file(write_export(tmp_path / "emptied.csv", applicants(120, "E", channel="")))
    assert emptied.rows_rejected == 0  # blank is a legal value of the column: no row is wrong on its own
    with pytest.raises(QualityGateFailed) as failure:
        gate_batches([emptied.load_id])
    assert "null_share_departure" in str(failure.value) and "on channel" in str(failure.value)
    assert "100.0% blank in this batch, 0.0% in those batches" in str(failure.value)
    status, message = conn.execute(
        "select status, message from raw.load_audit where load_id = %s", (emptied.load_id,)
    ).fetchone()
    assert status == "quarantined" and "channel" in message


def test_a_file_cut_inside_a_row_is_refused_whole(conn, tmp_path, caplog):
    rows = applicants(30, "R")
    whole = write_export(tmp_path / "whole.csv", rows).read_bytes()
    scan = LeakScan(conn)
    cut = tmp_path / "cut.csv"
    name = f"{rows[-1]['applicant_name']},".encode()
    cut.write_bytes(whole[: whole.rindex(name) + 8])  # inside the last row's applicant name
    with (
        caplog.at_level(logging.INFO),
        pytest.raises(
            LoadError, match=r"cut.csv: row 30, column \*: the file ends inside this row .* cut short; nothing loaded"
        ),
    ):
        load_file(cut)
    assert _counts(conn) == (0, 0)
    assert conn.execute("select status from raw.load_audit").fetchone()[0] == "failed"

    # a cut that falls inside a quoted value spanning lines is refused too
    quoted = tmp_path / "quoted.csv"
    text = whole.decode("utf-8-sig")
    body = text.rstrip("\r\n").rsplit("\r\n", 1)
    quoted.write_text(body[0] + "\r\n" + body[1].rsplit(",", 1)[0] + ',"Khai sinh\r\ncho cháu', encoding="utf-8")
    with pytest.raises(LoadError, match=r"quoted.csv: .*nothing loaded"):
        load_file(quoted)
    assert _counts(conn) == (0, 0)
    scan.assert_clean(conn, personal_values(rows), caplog.text)


def test_empty_and_header_only_files_are_audited_as_empty_and_do_not_stop_the_night(conn, tmp_path, monkeypatch):
    from cds_warehouse.landing import ingest

    monkeypatch.setenv("CDS_LANDING_DIR", str(tmp_path))
    folder = tmp_path / "portal_dossiers"
    folder.mkdir()
    (folder / "a_zero_bytes.csv").write_bytes(b"")
    write_export(folder / "b_header_only.csv", [])
    write_export(folder / "c_good.csv", applicants(3, "R"))
    ingested = ingest("portal_dossiers")
    audit = conn.execute(
        "select load_id, file_name, status, rows_read from raw.load_audit order by file_name"
    ).fetchall()
    assert [a[1:] for a in audit] == [
        ("a_zero_bytes.csv", "empty", 0),
        ("b_header_only.csv", "empty", 0),
        ("c_good.csv", "loaded", 3),
    ]
    assert ingested["load_ids"] == [audit[2][0]] and ingested["failed"] == []
    gate_batches(ingested["load_ids"])  # the night goes on: the good file is published
    again = ingest("portal_dossiers")  # an empty file is recognised like any other
    assert again["failed"] == [] and conn.execute("select count(*) from raw.load_audit").fetchone()[0] == 3


def test_a_row_with_an_impossible_year_is_a_reject_naming_its_row_and_the_batch_is_published(conn, tmp_path):
    rows = applicants(40, "R")
    rows[6]["received_at"] = "05/01/2205 08:15:00"
    rows[9]["updated_at"] = "08/01/2014 10:05:00"
    scan = LeakScan(conn)
    result = load_file(write_export(tmp_path / "typo.csv", rows))
    assert (result.rows_loaded, result.rows_rejected) == (38, 2)
    rejects = conn.execute("select source_row, column_name, reason from raw.load_reject order by 1").fetchall()
    assert rejects[0][:2] == (7, "received_at") and "is after the day of the load" in rejects[0][2]
    assert rejects[1] == (10, "updated_at", "'08/01/2014 10:05:00' is before 2015-01-01")
    gate_batches([result.load_id])
    assert conn.execute("select status from raw.load_audit").fetchone()[0] == "published"
    scan.assert_clean(conn, personal_values(rows))


def test_a_dossier_in_two_rows_is_a_reject_naming_the_other_row(conn, tmp_path, caplog):
    rows = applicants(40, "R")
    repeated = [*rows, dict(rows[2])]  # row 41 repeats row 3 exactly
    repeated.append({**rows[4], "status": "Đang xử lý"})  # row 42 says otherwise of row 5's dossier
    scan = LeakScan(conn)
    with caplog.at_level(logging.WARNING):
        result = load_file(write_export(tmp_path / "repeats.csv", repeated))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (42, 39, 3)
    rejects = conn.execute("select source_row, column_name, reason from raw.load_reject order by 1").fetchall()
    assert rejects == [
        (
            5,
            "dossier_code",
            "the same dossier as row 42 with other content (an export holds one row per dossier): none of them is kept",
        ),
        (41, "dossier_code", "repeats row 3 (the same dossier and content)"),
        (
            42,
            "dossier_code",
            "the same dossier as row 5 with other content (an export holds one row per dossier): none of them is kept",
        ),
    ]
    codes = [r[0] for r in conn.execute("select dossier_code from raw.portal_dossier order by source_row")]
    assert len(codes) == len(set(codes)) == 39 and "R-00002" in codes and "R-00004" not in codes
    audit = conn.execute("select rows_read, rows_loaded, rows_rejected from raw.load_audit").fetchone()
    assert audit == (42, 39, 3)
    assert "row 41: repeats row 3" in caplog.text
    scan.assert_clean(conn, personal_values(repeated), caplog.text)


def test_a_malformed_row_leaves_no_applicant_value_in_the_server_log_or_the_messages(conn, tmp_path, caplog):
    rows = applicants(5, "R")
    path = write_export(tmp_path / "shifted.csv", rows)
    text = path.read_bytes().decode("utf-8-sig").split("\r\n")
    # row 3 slipped: its applicant's fields came first (the parser quotes the row's start in its errors)
    third = rows[2]
    text[3] = ",".join([third["applicant_name"], third["applicant_id_hash"], third["applicant_phone_hash"], text[3]])
    path.write_text("\r\n".join(text), encoding="utf-8-sig")
    scan = LeakScan(conn)
    with caplog.at_level(logging.DEBUG):
        result = load_file(path)
    assert (result.rows_loaded, result.rows_rejected) == (4, 1)
    assert conn.execute("select source_row, column_name, reason from raw.load_reject").fetchall() == [
        (3, "*", "expected 28 fields, found 31")
    ]
    scan.assert_clean(conn, personal_values(rows), caplog.text)
