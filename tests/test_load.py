"""The loader against a real PostgreSQL: typed rows, rejects with row/column/reason, idempotence,
atomicity and personal data."""

from __future__ import annotations

import unicodedata

import pyarrow as pa
import pytest
from conftest import dossier, write_export

import cds_warehouse.load.copying as copy_module
import cds_warehouse.load.file as file_module
from cds_warehouse.load import LoadError, load_file
from cds_warehouse.load.cleaning import parse_vn_timestamp
from cds_warehouse.load.stream import record_chunks
from cds_warehouse.sources import load_source


def test_good_rows_land_typed_and_bad_rows_are_kept_with_reason(conn, tmp_path):
    rows = [
        dossier(dossier_code="A1", channel="", fee_vnd="50.000", supplement_days="2,5"),
        dossier(dossier_code="A2", received_at="31/02/2024 08:00:00"),
        dossier(dossier_code="A3", channel="9"),
        dossier(dossier_code="", received_at="01/13/2024"),
        dossier(dossier_code="A5", received_at="05/01/2024", due_at="10/01/2024"),
    ]
    result = load_file(write_export(tmp_path / "export.csv", rows), dsn=None)

    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 2, 3)
    rejects = conn.execute(
        "select file_name, source_row, column_name, reason from raw.load_reject order by source_row, column_name"
    ).fetchall()
    assert rejects == [
        ("export.csv", 2, "received_at", "'31/02/2024 08:00:00' is not a date dd/mm/yyyy [HH:MM[:SS]]"),
        ("export.csv", 3, "channel", "'9' is not one of [1, 2, 3]"),
        ("export.csv", 4, "dossier_code", "required value is missing"),
        ("export.csv", 4, "received_at", "'01/13/2024' is not a date dd/mm/yyyy [HH:MM[:SS]]"),
    ]
    loaded = conn.execute(
        "select source_row, dossier_code, channel, fee_vnd, supplement_days, received_at::text, due_at::text"
        " from raw.portal_dossier order by source_row"
    ).fetchall()
    assert loaded == [
        (1, "A1", None, 50000, 2.5, "2024-01-05 08:15:00", "2024-01-08 17:00:00"),
        (5, "A5", 2, 0, 0, "2024-01-05 00:00:00", "2024-01-10 23:59:59"),  # a due date alone: by the day's end
    ]
    audit = conn.execute(
        "select source, file_name, file_sha256, rows_read, rows_loaded, rows_rejected, status from raw.load_audit"
    ).fetchall()
    assert audit == [("portal_dossiers", "export.csv", result.file_sha256, 5, 2, 3, "loaded")]


def test_same_file_twice_is_loaded_once(conn, tmp_path):
    path = write_export(tmp_path / "export.csv", [dossier(dossier_code=f"B{i}") for i in range(3)])
    first = load_file(path)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    second = load_file(copy)

    assert first.status == "loaded" and second.status == "skipped"
    assert second.load_id == first.load_id
    assert conn.execute("select count(*) from raw.portal_dossier").fetchone()[0] == 3
    assert conn.execute("select count(*) from raw.load_audit").fetchone()[0] == 1


def test_headers_in_nfd_without_bom_and_extra_columns_are_read(conn, tmp_path):
    spec = load_source("portal_dossiers")
    nfd = [
        unicodedata.normalize("NFD", h).upper() if i % 2 else unicodedata.normalize("NFD", h)
        for i, h in enumerate(spec.headers)
    ]
    path = write_export(
        tmp_path / "nfd.csv",
        [dossier(admin_level=unicodedata.normalize("NFD", "Xã"))],
        bom=False,
        headers=nfd,
    )
    result = load_file(path)
    assert result.rows_loaded == 1
    assert conn.execute("select admin_level from raw.portal_dossier").fetchone()[0] == "Xã"


def test_rows_with_the_wrong_number_of_fields_are_rejected_by_row_number(conn, tmp_path):
    path = write_export(
        tmp_path / "ragged.csv",
        [dossier(dossier_code="C1"), dossier(dossier_code="C2")],
        extra_lines=["C3,too,few,fields", ",".join(['"C4"'] + ['""'] * 27)],
    )
    result = load_file(path)
    rejects = conn.execute(
        "select source_row, column_name, reason from raw.load_reject where column_name = '*'"
    ).fetchall()
    assert rejects == [(3, "*", "expected 28 fields, found 4")]
    assert result.rows_read == 4
    # C4 has the right shape but no data: rejected for its missing required values, by row 4.
    assert {r[0] for r in conn.execute("select source_row from raw.load_reject")} == {3, 4}
    assert [r[0] for r in conn.execute("select dossier_code from raw.portal_dossier order by 1")] == [
        "C1",
        "C2",
    ]


def test_missing_required_column_is_a_clear_error(conn, tmp_path):
    spec = load_source("portal_dossiers")
    headers = [h if h != "Ngày tiếp nhận" else "Ngày nhận" for h in spec.headers]
    path = write_export(tmp_path / "renamed_header.csv", [dossier()], headers=headers)
    with pytest.raises(
        LoadError,
        match=r"renamed_header.csv: row 0 \(header\): required columns missing: "
        r"Ngày tiếp nhận",
    ):
        load_file(path)
    # the file that could not be read is in the audit, with why
    status, message = conn.execute("select status, message from raw.load_audit").fetchone()
    assert status == "failed" and "required columns missing: Ngày tiếp nhận" in message


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("Mã hồ sơ;Mã TTHC;Mã tỉnh\r\nA;B;27\r\n".encode(), "the header is separated by ';'"),
        (b"M\xe3 h\xf4 s\xf5,Tr\xe1ng th\xe1i\r\n", "not UTF-8 text"),  # a legacy Vietnamese code page
    ],
)
def test_a_file_that_cannot_be_read_is_audited_as_failed_with_a_clear_reason(conn, tmp_path, content, why):
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=f"odd.csv: .*{why}"):
        load_file(path)
    assert conn.execute("select file_name, status, message like %s from raw.load_audit", (f"%{why}%",)).fetchone() == (
        "odd.csv",
        "failed",
        True,
    )


def test_carriage_returns_alone_fail_clearly_and_cells_over_a_megabyte_load(conn, tmp_path):
    path = write_export(tmp_path / "mac.csv", [dossier(dossier_code=f"M{i}") for i in range(3)])
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    with pytest.raises(LoadError, match="mac.csv: lines end with a carriage return alone"):
        load_file(path)
    big = write_export(tmp_path / "big_cells.csv", [dossier(dossier_code="B1", procedure_name="x" * (3 << 20))])
    assert load_file(big).rows_loaded == 1


def test_a_byte_that_is_not_utf8_in_a_data_row_is_named_by_its_row(conn, tmp_path):
    path = write_export(tmp_path / "mixed.csv", [dossier(dossier_code=f"U{i}") for i in range(6)])
    data = path.read_bytes()
    path.write_bytes(data.replace(b"U4,", b"U4\xe3,", 1))
    with pytest.raises(LoadError, match=r"mixed.csv: row 5: not UTF-8 text"):
        load_file(path)
    assert conn.execute("select status from raw.load_audit").fetchone() == ("failed",)


def test_a_load_killed_before_it_finished_is_marked_failed_when_the_file_is_loaded_again(conn, tmp_path):
    path = write_export(tmp_path / "again.csv", [dossier()])
    conn.execute(  # what a killed load leaves: its audit row, never its uncommitted rows
        "insert into raw.load_audit (source, file_name, file_sha256) values ('portal_dossiers', 'again.csv', %s)",
        (file_module.file_sha256(path),),
    )
    result = load_file(path)
    audits = conn.execute("select status, message like 'interrupted%' from raw.load_audit order by load_id")
    assert audits.fetchall() == [("failed", True), ("loaded", None)]  # the second has no message
    assert result.rows_loaded == 1


def test_a_crash_mid_load_leaves_no_partial_batch(conn, tmp_path, monkeypatch):
    rows = [dossier(dossier_code=f"D{i:05d}") for i in range(3000)]
    path = write_export(tmp_path / "big.csv", rows)
    monkeypatch.setattr(copy_module, "CHUNK_BYTES", 64 << 10)  # many blocks, so some are copied before the crash
    real_clean = copy_module.clean_batch
    calls = {"n": 0}

    def crash_on_third_block(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise MemoryError("simulated crash")
        return real_clean(*args, **kwargs)

    monkeypatch.setattr(copy_module, "clean_batch", crash_on_third_block)
    with pytest.raises(MemoryError):
        load_file(path)
    assert conn.execute("select count(*) from raw.portal_dossier").fetchone()[0] == 0
    assert conn.execute("select status, message from raw.load_audit").fetchone() == (
        "failed",
        "MemoryError: simulated crash",
    )

    monkeypatch.setattr(copy_module, "clean_batch", real_clean)
    assert load_file(path).rows_loaded == 3000  # the re-run loads it, once


def test_personal_data_never_lands_in_clear_text(conn, tmp_path):
    row = dossier(applicant_id_hash="027 190 001 234", applicant_phone_hash="+84 912 345 678")
    load_file(write_export(tmp_path / "pii.csv", [row, dossier(dossier_code="E2")]))
    text_columns = conn.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema = 'raw' and data_type = 'text'"
    ).fetchall()
    needles = [
        "027190001234",
        "190 001 234",
        "0912345678",
        "912 345 678",
        "Nguyễn Thị Lan",
        "Nguyễn Gia Thiều",
        "Trần Minh Anh",
    ]
    for schema, table, column in text_columns:
        for needle in needles:
            hits = conn.execute(
                f'select count(*) from {schema}.{table} where "{column}" like %s', (f"%{needle}%",)
            ).fetchone()[0]
            assert hits == 0, f"{needle!r} found in {schema}.{table}.{column}"
    hashes = conn.execute(
        "select applicant_id_hash, applicant_phone_hash from raw.portal_dossier order by dossier_code"
    ).fetchall()
    # Spacing and the +84 prefix do not change the hash: the same person joins across exports.
    assert hashes[0] == hashes[1]
    assert all(len(h) == 32 for pair in hashes for h in pair)


def test_xlsx_export_with_title_rows_and_excel_dates(conn, tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    spec = load_source("portal_dossiers")
    names = [c.name for c in spec.columns]
    wb = Workbook()
    ws = wb.active
    ws.append(["BÁO CÁO HỒ SƠ TTHC"])  # title block above the header, as portal exports have
    ws.append(["Từ ngày 01/01/2024 đến ngày 31/01/2024"])
    ws.append([])
    ws.append([unicodedata.normalize("NFD", h) for h in spec.headers])
    good = dossier(dossier_code="X1")
    cells = [good[n] for n in names]
    cells[names.index("received_at")] = dt.datetime(2024, 1, 5, 8, 15)  # a real Excel date cell
    cells[names.index("due_at")] = dt.date(2024, 1, 10)
    cells[names.index("channel")] = 2  # a number cell
    cells[names.index("fee_vnd")] = 50000.0
    ws.append(cells)
    ws.append([])  # blank row, skipped
    bad = dossier(dossier_code="X2", received_at="32/01/2024")
    ws.append([bad[n] for n in names])
    path = tmp_path / "export.xlsx"
    wb.save(path)

    result = load_file(path)

    assert (result.file_name, result.rows_read, result.rows_loaded, result.rows_rejected) == ("export.xlsx", 2, 1, 1)
    assert conn.execute(
        "select dossier_code, received_at::text, due_at::text, channel, fee_vnd from raw.portal_dossier"
    ).fetchall() == [("X1", "2024-01-05 08:15:00", "2024-01-10 23:59:59", 2, 50000)]  # a due date: all that day
    assert conn.execute("select file_name, source_row, column_name from raw.load_reject").fetchall() == [
        ("export.xlsx", 2, "received_at")
    ]
    assert load_file(path).status == "skipped"


@pytest.mark.parametrize("size", [7, 50, 333, 1 << 20])
def test_record_chunks_never_split_a_quoted_newline(tmp_path, size):
    import csv
    import io

    rows = [["Mã", "Trích yếu"]] + [[f"H{i}", f'dòng 1\ndòng "{i}",\r\n  tiếp'] for i in range(40)]
    path = tmp_path / "quoted.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    pieces = list(record_chunks(path, size))
    parsed = [r for piece in pieces for r in csv.reader(io.StringIO(bytes(piece).decode(), newline=""))]
    assert parsed == rows[1:]
    assert size > path.stat().st_size or len(pieces) > 1


def test_a_quote_inside_an_unquoted_value_loses_no_row_of_a_file_in_many_pieces(conn, tmp_path, monkeypatch):
    """Every address is quoted and holds a newline; one procedure name carries a lone inch mark. The quick
    cut of the file into pieces counts quotes and misjudges record ends after it; the rescan does not."""
    monkeypatch.setattr(copy_module, "CHUNK_BYTES", 4096)  # a small file in many pieces
    rows = [dossier(dossier_code=f"Q{i:03}", applicant_address=f"Số {i}, ngõ 7\nphường Vũ Ninh") for i in range(1, 201)]
    rows[2]["procedure_name"] = 'Cấp bản sao màn hình 12" inch'
    path = write_export(tmp_path / "inch.csv", rows)
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(text.replace('"Cấp bản sao màn hình 12"" inch"', 'Cấp bản sao màn hình 12" inch'), "utf-8-sig")
    assert 'màn hình 12" inch,' in path.read_text(encoding="utf-8-sig")  # as a careless exporter writes it

    result = load_file(path)

    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (200, 200, 0)
    loaded = conn.execute("select source_row, dossier_code, procedure_name from raw.portal_dossier").fetchall()
    assert sorted((r[0], r[1]) for r in loaded) == [(i, f"Q{i:03}") for i in range(1, 201)]
    assert ('Cấp bản sao màn hình 12" inch',) in {(r[2],) for r in loaded}


def test_values_out_of_range_two_digit_years_and_60_seconds_are_row_rejects(conn, tmp_path):
    rows = [
        dossier(dossier_code="R1", supplement_count="3000000000"),
        dossier(dossier_code="R2", received_at="01/07/25"),
        dossier(dossier_code="R3", finished_at="08/01/2024 08:05:60"),
        dossier(dossier_code="R4", fee_vnd="-5000"),
        dossier(dossier_code="R5"),
    ]
    result = load_file(write_export(tmp_path / "ranges.csv", rows))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 1, 4)
    assert conn.execute("select source_row, column_name, reason from raw.load_reject order by 1").fetchall() == [
        (1, "supplement_count", "'9999999999' is outside [0, 2147483647]"),  # ten digits: shown by shape
        (2, "received_at", "'01/07/25' is not a date dd/mm/yyyy [HH:MM[:SS]]"),
        (3, "finished_at", "'08/01/2024 08:05:60' is not a date dd/mm/yyyy [HH:MM[:SS]]"),
        (4, "fee_vnd", "'-5000' is outside [0, 999999999999999999]"),
    ]


def test_a_reject_reason_shows_a_value_with_letters_or_nine_digits_by_its_shape(conn, tmp_path):
    # a footer padded to the header's width puts the signer's name in a coded column
    rows = [
        dossier(dossier_code="S1", service_level="Người lập biểu Nguyễn Văn Lập"),
        dossier(dossier_code="S2", channel="0912345678"),
        dossier(dossier_code="S3", fee_vnd="(+84) 912 345 678"),
        dossier(dossier_code="S4", received_at="001 090 012 345"),
        dossier(dossier_code="S5", received_at="31/02/2024 08:00"),  # a date is shown as it is
    ]
    load_file(write_export(tmp_path / "footer.csv", rows))
    reasons = [r[0] for r in conn.execute("select reason from raw.load_reject order by source_row")]
    assert reasons == [
        "'xxxxx xxx xxxx xxxxxx xxx xxx' is not one of ['Toàn trình', 'Một phần']",
        "'9999999999' is not one of [1, 2, 3]",
        "'(+99) 999 999 999' is not a whole number",
        "'999 999 999 999' is not a date dd/mm/yyyy [HH:MM[:SS]]",
        "'31/02/2024 08:00' is not a date dd/mm/yyyy [HH:MM[:SS]]",
    ]


def test_xlsx_codes_typed_as_numbers_keep_their_leading_zeros_and_no_named_copy_is_made(conn, tmp_path, monkeypatch):
    import tempfile

    from openpyxl import Workbook

    spec = load_source("portal_dossiers")
    names = [c.name for c in spec.columns]
    wb = Workbook()
    ws = wb.active
    ws.append(spec.headers)
    as_text = dossier(dossier_code="Z1", province_code="06", applicant_id_hash="001190001234")
    as_text.update(applicant_phone_hash="0912345678", applicant_name="Hoàng Thị Xuyến")
    as_numbers = {**as_text, "dossier_code": "Z2", "province_code": 6, "applicant_id_hash": 1190001234}
    as_numbers["applicant_phone_hash"] = 912345678
    for row in (as_text, as_numbers):
        ws.append([row.get(n, "") for n in names])
    path = tmp_path / "numbers.xlsx"
    wb.save(path)

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the conversion's temporary file goes
    load_into = file_module._load_into
    named_copies = []

    def looking_for_copies(conn_, readable, *args):
        named_copies.extend(scratch.rglob("*"))  # the sheet, names and IDs included, is being read now
        assert str(readable).startswith("/dev/fd/")
        return load_into(conn_, readable, *args)

    monkeypatch.setattr(file_module, "_load_into", looking_for_copies)
    result = load_file(path)
    assert (result.rows_loaded, result.rows_rejected, named_copies) == (2, 0, [])
    rows = conn.execute(
        "select province_code, applicant_id_hash, applicant_phone_hash from raw.portal_dossier order by dossier_code"
    ).fetchall()
    assert rows[0] == rows[1] and rows[0][0] == "06"


def test_two_loads_at_once_both_land(conn, tmp_path, monkeypatch):
    """The nightly DAG's file and API ingestion run side by side: a load starting while another is copying
    must neither wait for it nor deadlock with it (the raw schema is not re-applied when it is current)."""
    import threading

    first = write_export(tmp_path / "first.csv", [dossier(dossier_code=f"F{i:05d}") for i in range(3000)])
    second = write_export(tmp_path / "second.csv", [dossier(dossier_code=f"S{i:05d}") for i in range(50)])
    monkeypatch.setattr(copy_module, "CHUNK_BYTES", 64 << 10)  # the first load copies in many pieces
    copying, second_done = threading.Event(), threading.Event()
    clean = copy_module.clean_batch

    def slow_clean(*args, **kwargs):
        copying.set()
        second_done.wait(timeout=20)  # the first load holds its COPY open while the second one runs
        return clean(*args, **kwargs)

    monkeypatch.setattr(copy_module, "clean_batch", slow_clean)
    results = {}
    worker = threading.Thread(target=lambda: results.setdefault("first", load_file(first)))
    worker.start()
    assert copying.wait(timeout=20)
    monkeypatch.setattr(copy_module, "clean_batch", clean)
    results["second"] = load_file(second)
    second_done.set()
    worker.join(timeout=60)
    assert (results["first"].rows_loaded, results["second"].rows_loaded) == (3000, 50)
    assert conn.execute("select count(*) from raw.portal_dossier").fetchone()[0] == 3050


def test_a_file_that_cannot_be_loaded_holds_back_neither_the_others_nor_the_night(conn, tmp_path, monkeypatch):
    from cds_warehouse.landing import ingest, raise_for_failed_files

    monkeypatch.setenv("CDS_LANDING_DIR", str(tmp_path))
    folder = tmp_path / "portal_dossiers"
    folder.mkdir()
    (folder / "a_broken.csv").write_bytes(b"M\xe3 h\xf4 s\xf5,Tr\xe1ng th\xe1i\r\n")
    write_export(folder / "b_good.csv", [dossier()])

    ingested = ingest("portal_dossiers")

    audit = conn.execute("select load_id, file_name, status from raw.load_audit order by load_id").fetchall()
    assert [(name, status) for _, name, status in audit] == [("a_broken.csv", "failed"), ("b_good.csv", "loaded")]
    assert ingested["load_ids"] == [audit[1][0]]  # the good file goes on to the gate and the marts
    assert len(ingested["failed"]) == 1 and "a_broken.csv: " in ingested["failed"][0]
    with pytest.raises(RuntimeError, match=r"1 file\(s\) could not be loaded .*\na_broken.csv: .*not UTF-8"):
        raise_for_failed_files(ingested["failed"])  # the DAG's last task: the run ends failed, marts built


def test_timestamps_that_strptime_rolls_over_or_misreads_are_null_and_the_others_parse():
    formats = load_source("portal_dossiers").timestamp_formats
    text = pa.array(
        [
            "01/03/2024 08:00:00",  # day 1 to 3, intact: checked against its text and kept
            "31/02/2024 08:00:00",  # rolled over to 02/03 by strptime
            "02/03/2024",
            "30/02/2024 8:6",  # rolled over, and a single-digit minute 6 (not a leap second)
            "03/12/2024 08:05:60",  # leap second
            "01/07/25",  # a two-digit year
            None,
            "15/06/2024 23:59",
        ]
    )
    parsed = [None if v is None else v.isoformat(sep=" ") for v in parse_vn_timestamp(text, formats).to_pylist()]
    assert parsed == [
        "2024-03-01 08:00:00",
        None,
        "2024-03-02 00:00:00",
        None,
        None,
        None,
        None,
        "2024-06-15 23:59:00",
    ]
    intact = pa.array(["01/03/2024 08:00:00", "02/03/2024 8:6", "20/05/2024"])
    assert parse_vn_timestamp(intact, formats).null_count == 0
