"""Agency reports against a real PostgreSQL: one audited batch per workbook, what could not be read kept
with its place, the quality gate, and the landing folder (archive/, failed/ with reasons)."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "agency_reports"))
from report_workbooks import simple_report  # noqa: E402

from cds_warehouse.agency_reports.loader import load_report, regate  # noqa: E402
from cds_warehouse.agency_reports.parser import ReportFileError  # noqa: E402
from cds_warehouse.batches import gate_batch  # noqa: E402

D = Decimal
ROWS = [
    (1, "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến", "%", "Tỉnh", 95, "91,2%"),
    (2, "Tỷ lệ hộ gia đình có cáp quang", "%", None, 90, "76,6", "76.600", "100.000"),
    (3, "Tỷ trọng kinh tế số trong GRDP", "%", None, 20, "N/A"),
    (4, "Tỷ lệ người dân có điện thoại thông minh", "%", None, 85, "abc"),
]


def _audit(conn, load_id):
    return conn.execute(
        "select source, file_name, rows_read, rows_loaded, rows_rejected, status from raw.load_audit"
        " where load_id = %s",
        (load_id,),
    ).fetchone()


def test_a_workbook_lands_as_one_audited_batch(conn, tmp_path):
    result = load_report(simple_report(tmp_path / "na_q3.xlsx", ROWS))

    assert (result.status, result.sheets, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "loaded",
        1,
        4,
        3,
        1,
    )
    assert _audit(conn, result.load_id) == ("agency_reports", "na_q3.xlsx", 4, 3, 1, "loaded")
    report = conn.execute(
        "select sheet_name, header_row, agency_text, province_text, agency_code, province_code, agency_problem,"
        " period_text, period_type, period_start, period_end, submitted_on, workbook_saved_at from raw.agency_report"
    ).fetchone()
    assert report == (
        "Báo cáo",
        6,
        "Sở Khoa học và Công nghệ",
        "Nghệ An",
        "40.S14",
        "40",
        None,
        "Quý III/2025",
        "quarter",
        dt.date(2025, 7, 1),
        dt.date(2025, 9, 30),
        dt.date(2025, 10, 5),
        dt.datetime(2025, 10, 5, 3, 0, tzinfo=dt.UTC),
    )
    rows = conn.execute(
        "select source_row, indicator_text, indicator_key, unit_kind, admin_level, plan_value, actual_value,"
        " numerator, denominator, actual_text from raw.agency_report_row order by source_row"
    ).fetchall()
    assert rows == [
        (7, "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến", "ti le ho so tthc duoc xu li truc tuyen", "percent",
         "province", D("95"), D("91.2"), None, None, "91,2%"),
        (8, "Tỷ lệ hộ gia đình có cáp quang", "ti le ho gia dinh co cap quang", "percent", None, D("90"),
         D("76.6"), D("76600"), D("100000"), "76,6"),
        (9, "Tỷ trọng kinh tế số trong GRDP", "ti trong kinh te so trong grdp", "percent", None, D("20"), None,
         None, None, "N/A"),
    ]  # fmt: skip
    issues = conn.execute(
        "select file_name, sheet_name, source_row, column_name, severity, reason, cell_text"
        " from raw.agency_report_issue where severity != 'info'"
    ).fetchall()
    assert issues == [
        ("na_q3.xlsx", "Báo cáo", 10, "Thực hiện (F)", "error", "is not a number; row not loaded", "abc"),
    ]


def test_the_same_content_twice_is_loaded_once_and_an_unreadable_file_is_a_failed_batch(conn, tmp_path):
    first = load_report(simple_report(tmp_path / "a.xlsx", ROWS[:1]))
    copy = tmp_path / "a_renamed.xlsx"
    copy.write_bytes((tmp_path / "a.xlsx").read_bytes())
    again = load_report(copy)
    assert (again.status, again.load_id) == ("skipped", first.load_id)
    assert conn.execute("select count(*) from raw.agency_report_row").fetchone()[0] == 1

    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(ReportFileError):
        load_report(tmp_path / "broken.xlsx")
    status, message = conn.execute(
        "select status, message from raw.load_audit where file_name = 'broken.xlsx'"
    ).fetchone()
    assert status == "failed" and message.startswith("ReportFileError: broken.xlsx: cannot be opened")


def test_an_unknown_agency_lands_with_its_problem_and_the_gate_quarantines_it(conn, tmp_path, monkeypatch):
    rows = [(1, "Tỷ lệ A", "%", "Tỉnh", 95, 80), (2, "Tỷ lệ B", "%", "Tỉnh", 95, 60, 120, 100)]
    result = load_report(simple_report(tmp_path / "unknown.xlsx", rows, agency="Sở Ngoại giao", period=None))
    assert conn.execute("select agency_code, agency_problem from raw.agency_report").fetchone() == (
        None,
        "agency 'Sở Ngoại giao' is not in agencies.csv; add it there (see docs)",
    )

    gate = gate_batch(result.load_id)
    failed = {(f.suite, f.expectation, f.column) for f in gate.critical_failures}
    assert failed == {
        ("raw_agency_report_sheets", "expect_column_values_to_not_be_null", "agency_code"),
        ("raw_agency_report_sheets", "expect_column_values_to_not_be_null", "period_start"),
        ("raw_agency_report_rows", "expect_column_pair_values_a_to_be_greater_than_b", None),
    }
    assert _audit(conn, result.load_id)[-1] == "quarantined"

    # The agency is added to the seed; the quarantined batch gets a second chance (still no period: refused)
    seed = tmp_path / "agencies.csv"
    from cds_warehouse.agency_reports.agencies import agencies_csv

    seed.write_text(
        agencies_csv().read_text(encoding="utf-8") + "40.SNG,Sở Ngoại giao,,40,Nghệ An,province,unit,,,test\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CDS_AGENCIES_CSV", str(seed))
    again = regate(result.load_id)
    assert conn.execute("select agency_code from raw.agency_report").fetchone() == ("40.SNG",)
    assert "agency_code" not in {f.column for f in again.critical_failures}
    assert _audit(conn, result.load_id)[-1] == "quarantined"


@pytest.fixture
def landing(tmp_path, monkeypatch):
    root = tmp_path / "landing"
    monkeypatch.setenv("CDS_LANDING_DIR", str(root))
    for source in ("agency_reports", "published_766"):
        (root / source).mkdir(parents=True)
    return root


def test_the_landing_folder_is_loaded_gated_and_filed(conn, landing):
    from cds_warehouse.agency_reports.review import landed_sources
    from cds_warehouse.landing import gate, ingest

    reports = landing / "agency_reports"
    simple_report(reports / "good.xlsx", ROWS[:2])
    # 766 instead of 76,6: a percentage out of range fails a critical expectation
    simple_report(reports / "typo.xlsx", [(1, "Tỷ lệ hộ gia đình có cáp quang", "%", None, 90, 766)])
    (reports / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    (reports / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (reports / "~$good.xlsx").write_bytes(b"Excel's lock file")
    (landing / "published_766" / "cong_dvc.csv").write_text(
        "province_code,period,indicator_code,admin_level,value,numerator,denominator,retrieved_at,source_url\n"
        "40,2025-09,online_dossier_rate,,66.9,,,05/10/2025 08:00,https://dichvucong.gov.vn\n",
        encoding="utf-8",
    )

    ingested = ingest(*landed_sources())
    assert sorted(f.split(": ")[0] for f in ingested["failed"]) == ["broken.xlsx", "old.xls"]
    summary = gate(ingested["load_ids"], failed=ingested["failed"])

    good_id = conn.execute("select load_id from raw.load_audit where file_name = 'good.xlsx'").fetchone()[0]
    csv_id = conn.execute("select load_id from raw.load_audit where file_name = 'cong_dvc.csv'").fetchone()[0]
    typo_id = conn.execute("select load_id from raw.load_audit where file_name = 'typo.xlsx'").fetchone()[0]
    assert sorted(p.name for p in (reports / "archive").iterdir()) == [f"{good_id}_good.xlsx"]
    assert [p.name for p in (landing / "published_766" / "archive").iterdir()] == [f"{csv_id}_cong_dvc.csv"]
    assert sorted(p.name for p in (reports / "failed").iterdir()) == sorted(
        [
            "broken.xlsx",
            "broken.xlsx.reason.txt",
            "old.xls",
            "old.xls.reason.txt",
            f"{typo_id}_typo.xlsx",  # gated after its load had archived it, as <load_id>_<name>
            f"{typo_id}_typo.xlsx.reason.txt",
        ]
    )
    assert sorted(p.name for p in reports.iterdir() if p.is_file()) == ["~$good.xlsx"]
    reason = (reports / "failed" / f"{typo_id}_typo.xlsx.reason.txt").read_text(encoding="utf-8")
    assert "expect_column_values_to_be_between on percent_value" in reason
    assert "save it as .xlsx" in (reports / "failed" / "old.xls.reason.txt").read_text(encoding="utf-8")
    statuses = dict(conn.execute("select file_name, status from raw.load_audit").fetchall())
    assert statuses == {
        "good.xlsx": "published",
        "typo.xlsx": "quarantined",
        "broken.xlsx": "failed",
        "old.xls": "failed",
        "cong_dvc.csv": "published",
    }
    assert [e["file"] for e in summary["quarantined"]] == ["typo.xlsx"]

    # The same content dropped again is recognised and archived under its batch without a second load.
    (reports / "good_again.xlsx").write_bytes((reports / "archive" / f"{good_id}_good.xlsx").read_bytes())
    again = ingest(*landed_sources())
    assert again == {"load_ids": [], "failed": []}
    assert gate(again["load_ids"]) == {"published": [], "quarantined": [], "failed": []}
    assert sorted(p.name for p in (reports / "archive").iterdir()) == [
        f"{good_id}_good.xlsx",
        f"{good_id}_good_again.xlsx",
    ]
    assert conn.execute("select count(*) from raw.load_audit").fetchone()[0] == 5
    assert not (reports / "good_again.xlsx").exists()
