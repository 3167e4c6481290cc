"""Reading agency report workbooks as a person would: numbers, periods, names, and messy layouts built
here with openpyxl, checked value by value. No database."""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "agency_reports"))
from report_workbooks import HEADERS, simple_report, write  # noqa: E402

from cds_devkit.agency_samples import save, write_sample_workbook  # noqa: E402
from cds_warehouse.agency_reports.agencies import resolve_agency  # noqa: E402
from cds_warehouse.agency_reports.numbers import parse_number  # noqa: E402
from cds_warehouse.agency_reports.parser import ReportFileError, parse_workbook  # noqa: E402
from cds_warehouse.agency_reports.periods import PeriodError, parse_period, parse_report_date  # noqa: E402
from cds_warehouse.agency_reports.text import fold, indicator_key  # noqa: E402

D = Decimal
SAVED = dt.datetime(2025, 7, 10, 2, 0, tzinfo=dt.UTC)


def values(sheet):
    """(row, indicator, unit kind, level, plan, actual, numerator, denominator) of every row."""
    return [
        (
            r.source_row,
            r.indicator_text,
            r.unit_kind,
            r.admin_level,
            r.plan_value,
            r.actual_value,
            r.numerator,
            r.denominator,
        )
        for r in sheet.rows
    ]


# --- numbers, periods, names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "number_format", "kind", "value", "percent"),
    [
        ("76,6%", None, "number", D("76.6"), True),
        ("76,6 %", None, "number", D("76.6"), True),
        ("76,6", None, "number", D("76.6"), False),
        ("0,766", None, "number", D("0.766"), False),
        ("0.766", None, "number", D("0.766"), False),
        ("76.6", None, "number", D("76.6"), False),
        ("3.000", None, "number", D("3000"), False),
        ("12.500", None, "number", D("12500"), False),
        ("1.234.567", None, "number", D("1234567"), False),
        ("1.234,5", None, "number", D("1234.5"), False),
        ("1,234.5", None, "number", D("1234.5"), False),
        ("76.600%", None, "number", D("76.6"), True),
        ("\u00a012 345 ", None, "number", D("12345"), False),
        ("−5", None, "number", D("-5"), False),
        (3000.0, None, "number", D("3000"), False),
        (0.1 + 0.2, None, "number", D("0.3"), False),
        (0.766, "0.0%", "number", D("76.6"), True),
        (0.766, "0.00%;[Red]-0.00%", "number", D("76.6"), True),
        (76.6, '0.0"%"', "number", D("76.6"), False),  # a quoted % is text: no scaling
        ("N/A", None, "no_value", None, False),
        ("n/a", None, "no_value", None, False),
        ("—", None, "no_value", None, False),
        ("-", None, "no_value", None, False),
        ("x", None, "no_value", None, False),
        ("Không phát sinh", None, "no_value", None, False),
        ("", None, "blank", None, False),
        (None, None, "blank", None, False),
        ("abc", None, "invalid", None, False),
        ("12.5.3", None, "invalid", None, False),
        ("%", None, "invalid", None, False),
        (True, None, "invalid", None, False),
        (dt.datetime(2025, 10, 9), "dd/mm/yyyy", "invalid", None, False),
    ],
)
def test_numbers_as_agencies_write_them(cell, number_format, kind, value, percent):
    number = parse_number(cell, number_format)
    assert (number.kind, number.value, number.percent) == (kind, value, percent)


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("Tháng 9/2025", "2025-09", "2025-09-01", "2025-09-30"),
        ("tháng 02 năm 2024", "2024-02", "2024-02-01", "2024-02-29"),
        ("T9/2025", "2025-09", "2025-09-01", "2025-09-30"),
        ("09/2025", "2025-09", "2025-09-01", "2025-09-30"),
        ("Quý III/2025", "2025-Q3", "2025-07-01", "2025-09-30"),
        ("QUÝ 4 NĂM 2024", "2024-Q4", "2024-10-01", "2024-12-31"),
        ("Q1/2025", "2025-Q1", "2025-01-01", "2025-03-31"),
        ("6 tháng đầu năm 2025", "2025-H1", "2025-01-01", "2025-06-30"),
        ("Sáu tháng đầu năm 2025", "2025-H1", "2025-01-01", "2025-06-30"),
        ("6 tháng cuối năm 2024", "2024-H2", "2024-07-01", "2024-12-31"),
        ("Năm 2025", "2025", "2025-01-01", "2025-12-31"),
        ("BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ II/2025", "2025-Q2", "2025-04-01", "2025-06-30"),
        ("từ ngày 01/07/2025 đến ngày 30/09/2025", "2025-Q3", "2025-07-01", "2025-09-30"),
        ("2025-Q3", "2025-Q3", "2025-07-01", "2025-09-30"),
        (unicodedata.normalize("NFD", "Quý III/2025"), "2025-Q3", "2025-07-01", "2025-09-30"),
    ],
)
def test_periods(text, label, start, end):
    period = parse_period(text)
    assert (period.label, period.start.isoformat(), period.end.isoformat()) == (label, start, end)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9 tháng đầu năm 2025", "9-month"),
        ("Tháng 13/2025", "month 13"),
        ("từ ngày 01/07/2025 đến ngày 15/09/2025", "is not a month"),
    ],
)
def test_periods_the_warehouse_cannot_hold_are_refused_with_a_reason(text, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(text)


def test_a_letter_date_is_not_a_period_but_a_report_date():
    line = "Bắc Kạn, ngày 05 tháng 10 năm 2025"
    assert parse_period(line) is None
    assert parse_report_date(line) == (dt.date(2025, 10, 5), None)
    assert parse_report_date("05/10/2025 14:30") == (dt.date(2025, 10, 5), dt.datetime(2025, 10, 5, 14, 30))
    assert parse_report_date(dt.datetime(2025, 10, 5)) == (dt.date(2025, 10, 5), None)


def test_names_compare_without_case_diacritics_spacing_numbering_or_spelling_variants():
    forms = [
        "Tỷ lệ hộ gia đình có cáp quang",
        "1. TỶ LỆ HỘ GIA ĐÌNH CÓ CÁP QUANG",
        unicodedata.normalize("NFD", "Tỉ lệ hộ gia đình có cáp quang (%)"),
        "  Ty le  ho gia dinh\u00a0co cap quang ",
        "2.1) tỷ lệ hộ gia đình có cáp quang",
    ]
    assert {indicator_key(f) for f in forms} == {"ti le ho gia dinh co cap quang"}
    assert fold("ĐƠN VỊ BÁO CÁO:") == "don vi bao cao"
    assert fold("Quý") == "quy"  # y after a vowel stays


# --- agencies -------------------------------------------------------------------------------------------


def test_the_agency_is_found_among_those_existing_during_the_period():
    from cds_warehouse.agency_reports.periods import quarter, year

    def code(agency, province, period):
        found, problem = resolve_agency(agency, province, period)
        return found.code if found else problem

    assert code("Sở Khoa học và Công nghệ tỉnh Nghệ An", None, year(2024)) == "40.S14"
    assert code("SỞ KH&CN", "UBND TỈNH BẮC NINH", quarter(2025, 2)) == "27.S14"
    assert code("Sở KH&CN", "Bắc Ninh", quarter(2025, 3)) == "24.SKHCN"  # after the merger of provinces
    assert code("Ủy ban nhân dân huyện Ba Bể", "Bắc Kạn", year(2024)) == "06.H03"
    assert "ambiguous" in code("Sở Khoa học và Công nghệ", None, year(2024))
    assert "not in agencies.csv" in code("Sở Ngoại giao", "Nghệ An", year(2024))
    assert "not known in province" in code("UBND huyện Ba Bể", "Nghệ An", year(2024))
    assert "did not exist" in code("UBND huyện Ba Bể", "Bắc Kạn", quarter(2025, 3))


# --- workbooks ------------------------------------------------------------------------------------------


def test_the_documented_sample_reads_back(tmp_path):
    parsed = parse_workbook(write_sample_workbook(tmp_path / "mau.xlsx"))
    (sheet,) = parsed.sheets
    assert (sheet.agency_text, sheet.province_text, sheet.period.label, sheet.submitted_on) == (
        "Sở Thông tin và Truyền thông",
        "Bắc Kạn",
        "2023-H1",
        dt.date(2023, 7, 10),
    )
    assert sheet.title == "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHUYỂN ĐỔI SỐ"
    assert parsed.saved_at == dt.datetime(2023, 7, 10, 9, 0, tzinfo=dt.UTC)
    assert [(r.source_row, r.admin_level, r.actual_value, r.value_derived) for r in sheet.rows] == [
        (12, "all", D("73"), False),
        (13, "all", D("96"), False),
        (14, "all", D("76.6"), False),
        (15, "all", D("58"), False),
        (16, "all", D("50"), False),
        (17, "all", D("31.6"), False),
        (18, "province", D("94.9615"), True),  # 100 × 12345 / 13.000
        (19, "all", None, False),  # N/A
    ]
    assert sheet.rows[-1].actual_text == "N/A"
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rows_rejected) == (8, 8, 0)


def messy_workbook(path: Path) -> Path:
    """Header on rows 7-8 with merged cells, title lines without labels, an extra column, a numbering row,
    section headings, levels written in the name column under their indicator, percent-formatted and text
    numbers, a blank row, N/A, footnotes and a signature block, and an instructions sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Quý II"
    ws["A1"] = "UBND TỈNH BẮC NINH"
    ws["E1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["A2"] = "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    ws["E2"] = "Độc lập - Tự do - Hạnh phúc"
    ws["A3"] = "Số: 215/BC-SKHCN"
    ws["E3"] = "Bắc Ninh, ngày 08 tháng 7 năm 2025"
    ws["A5"] = "BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ II/2025"
    ws.merge_cells("A5:K5")
    write(ws, 7, ("TT", "Nội dung chỉ tiêu", "ĐVT", "Cấp", "Nguồn số liệu", "Kết quả", None, None, None, "Ghi chú"))
    write(ws, 8, (None, None, None, None, None, "Kế hoạch năm 2025", "Thực hiện Quý II", "Tử số", "Mẫu số"))
    for col in "ABCDEJ":
        ws.merge_cells(f"{col}7:{col}8")
    ws.merge_cells("F7:I7")
    write(ws, 9, ("(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)"))
    write(ws, 10, ("I", "CHÍNH QUYỀN SỐ"))
    write(ws, 11, (1, "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến", None, None, "Cổng DVC"))
    write(ws, 12, (None, "- Cấp tỉnh", "%", None, "Cổng DVC", 0.95, 0.912))
    write(ws, 13, (None, "- Cấp huyện", "%", None, "Cổng DVC", 0.9, 0.845))
    write(ws, 14, (None, "- Cấp xã", "%", None, "Cổng DVC", 0.85, "68,8%"))
    for row, col in ((12, 7), (13, 6), (13, 7), (14, 6)):
        ws.cell(row, col).number_format = "0.0%"
    ws.cell(12, 6).number_format = "0%"
    write(ws, 15, (2, "Tỷ lệ hồ sơ công việc cấp tỉnh được xử lý trên môi trường mạng", "%", "Tỉnh", "QLVB"))
    write(ws, 15, ("95%", "97,2", "48.600", "50.000", "Số liệu đến 30/6"), first_col=6)
    # row 16 blank
    write(ws, 17, ("II", "XÃ HỘI SỐ"))
    write(ws, 18, (3, "Tỷ lệ hộ gia đình có cáp quang", "%", None, "VNPT", 95, "N/A"))
    write(ws, 19, (4, "Số doanh nghiệp công nghệ số", "doanh nghiệp", "Toàn tỉnh", None, 1.200, "1.250"))
    write(ws, 21, ("Ghi chú: tỷ lệ cấp xã gồm phường, thị trấn; số liệu 6 tháng 12.345 hồ sơ.",))
    ws.merge_cells("A21:K21")
    write(ws, 23, (None, "Người lập biểu", None, None, None, None, "GIÁM ĐỐC"))
    write(ws, 24, (None, None, None, None, None, None, 12))  # a stray number below the signature
    guide = wb.create_sheet("Hướng dẫn")
    guide["A1"] = "Ghi tỷ lệ theo phần trăm; không có số liệu ghi N/A."
    return save(wb, path, SAVED)


def test_a_messy_workbook_is_read_as_a_person_would(tmp_path):
    parsed = parse_workbook(messy_workbook(tmp_path / "messy.xlsx"))
    (sheet,) = parsed.sheets
    assert sheet.sheet_name == "Quý II" and sheet.header_row == 7
    assert sheet.columns == {
        "stt": "A",
        "indicator_text": "B",
        "unit_text": "C",
        "level_text": "D",
        "plan_value": "F",
        "actual_value": "G",
        "numerator": "H",
        "denominator": "I",
        "note": "J",
    }
    assert (sheet.agency_text, sheet.province_text, sheet.period.label, sheet.submitted_on) == (
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "UBND TỈNH BẮC NINH",
        "2025-Q2",
        dt.date(2025, 7, 8),
    )
    online = "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến"
    assert values(sheet) == [
        (12, online, "percent", "province", D("95"), D("91.2"), None, None),
        (13, online, "percent", "district", D("90"), D("84.5"), None, None),
        (14, online, "percent", "commune", D("85"), D("68.8"), None, None),
        (15, "Tỷ lệ hồ sơ công việc cấp tỉnh được xử lý trên môi trường mạng", "percent", "province",
         D("95"), D("97.2"), D("48600"), D("50000")),
        (18, "Tỷ lệ hộ gia đình có cáp quang", "percent", None, D("95"), None, None, None),
        (19, "Số doanh nghiệp công nghệ số", "other", "all", D("1.2"), D("1250"), None, None),
    ]  # fmt: skip
    assert [(r.level_text, r.actual_text, r.note) for r in sheet.rows[:4]] == [
        ("- Cấp tỉnh", "0.912 (91.2%)", None),
        ("- Cấp huyện", "0.845 (84.5%)", None),
        ("- Cấp xã", "68,8%", None),
        ("Tỉnh", "97,2", "Số liệu đến 30/6"),
    ]
    notes = [str(i) for i in parsed.issues]
    assert "[info] sheet 'Quý II': columns not in the template are ignored: E (Nguồn số liệu)" in notes
    assert "[info] sheet 'Hướng dẫn': no table with the template's columns; sheet not read" in notes
    assert not [i for i in parsed.issues if i.severity != "info"]


def test_nfd_text_labels_in_one_cell_two_sheets_and_fractions(tmp_path):
    """Headers in NFD and capitals, "Label: value" title lines, a second sheet without a title block,
    and a Thực hiện column written as fractions (0,934) in Excel numbers and in text."""
    nfd = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731
    wb = Workbook()
    first = wb.active
    first.title = "Cấp tỉnh"
    first["A1"] = nfd("Đơn vị báo cáo: Sở Khoa học và Công nghệ tỉnh Nghệ An")
    first["A2"] = nfd("Kỳ báo cáo: Năm 2024")
    first["A3"] = "Ngày báo cáo: 15/01/2025 16:30"
    second = wb.create_sheet(nfd("Cấp xã"))
    for ws, level, fibre, records in ((first, "Tỉnh", 0.934, "0,962"), (second, "Xã", 0.612, "0,775")):
        write(ws, 5, [nfd(h).upper() for h in HEADERS])
        write(ws, 6, (1, nfd("Tỷ lệ hồ sơ giải quyết theo dịch vụ công trực tuyến"), "%", nfd(level), None, fibre))
        write(ws, 8, (2, "Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng", "%", level, None, records))
    parsed = parse_workbook(save(wb, tmp_path / "nfd.xlsx", SAVED))
    province, commune = parsed.sheets
    assert commune.sheet_name == "Cấp xã" and commune.sheet_index == 2
    for sheet in (province, commune):
        assert sheet.agency_text == "Sở Khoa học và Công nghệ tỉnh Nghệ An"  # NFC from here on
        assert (sheet.period.label, sheet.submitted_at) == ("2024", dt.datetime(2025, 1, 15, 16, 30))
    assert [(r.source_row, r.indicator_text, r.admin_level, r.actual_value) for r in province.rows] == [
        (6, "Tỷ lệ hồ sơ giải quyết theo dịch vụ công trực tuyến", "province", D("93.4")),
        (8, "Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng", "province", D("96.2")),
    ]
    assert [(r.admin_level, r.actual_value) for r in commune.rows] == [("commune", D("61.2")), ("commune", D("77.5"))]
    assert "[info] sheet 'Cấp xã': Đơn vị báo cáo taken from sheet 'Cấp tỉnh'" in [str(i) for i in parsed.issues]


def test_fraction_or_percentage_is_decided_by_the_column_and_by_numerator_and_denominator(tmp_path):
    path = simple_report(
        tmp_path / "rates.xlsx",
        [
            (1, "Tỷ lệ A", "%", "Tỉnh", 95, 80.5),
            (2, "Tỷ lệ B", "%", "Tỉnh", 90, "0,5", 1, 200),  # 1/200 = 0,5%: Tử số/Mẫu số say percent
            (3, "Tỷ lệ C", "%", "Tỉnh", 90, 0.766, 766, 1000),  # = Tử số/Mẫu số as a fraction
            (4, "Tỷ lệ D", "%", "Tỉnh", 90, 0.4),  # alone among percentages: 0,4% with a warning
            (5, "Tỷ lệ E", "%", "Tỉnh", 90, 40, 45, 100),  # kept, with a warning: 45%
            (6, "Tỷ lệ hộ có máy tính", None, "Tỉnh", None, 35),  # "Tỷ lệ …": a rate without a unit
            (7, "Số xã có cáp quang", "xã", "Tỉnh", None, "12%"),  # a % sign on a count: as written
        ],
    )
    (sheet,) = parse_workbook(path).sheets
    assert [(r.unit_kind, r.actual_value) for r in sheet.rows] == [
        ("percent", D("80.5")),
        ("percent", D("0.5")),
        ("percent", D("76.6")),
        ("percent", D("0.4")),
        ("percent", D("40")),
        ("percent", D("35")),
        ("other", D("12")),
    ]
    warnings = [(i.row, i.column, i.reason) for i in parse_workbook(path).issues if i.severity == "warning"]
    assert warnings == [
        (10, "Thực hiện (F)", "read as 0,4% (other values of the column are percentages); write 40% if a fraction "
         "was meant"),
        (11, "Thực hiện (F)", "differs from Tử số/Mẫu số (45%); the reported value is kept"),
        (13, "Thực hiện (F)", "has a % sign but the unit is 'xã'; read as written"),
    ]  # fmt: skip


def test_the_table_ends_at_footnotes_and_signatures_not_at_words_that_look_like_them(tmp_path):
    path = simple_report(
        tmp_path / "end.xlsx",
        [
            ("III", "Nguồn nhân lực số"),  # a heading, not "Nguồn: …"
            (1, "Tỷ lệ cán bộ được đào tạo kỹ năng số", "%", "Tỉnh", 90, 88),
            (None, "Nguồn: Sở Nội vụ"),
            (2, "Tỷ lệ sau chú thích", "%", "Tỉnh", 90, 10),
        ],
    )
    (sheet,) = parse_workbook(path).sheets
    assert [(r.source_row, r.indicator_text, r.actual_value) for r in sheet.rows] == [
        (8, "Tỷ lệ cán bộ được đào tạo kỹ năng số", D("88"))
    ]


def test_what_cannot_be_read_is_reported_by_sheet_row_and_column(tmp_path):
    when = dt.datetime(2025, 9, 10)
    path = simple_report(
        tmp_path / "typos.xlsx",
        [
            (1, "Tỷ lệ A", "%", "Tỉnh", 95, "8O,5"),  # letter O: not a number, row not loaded
            (2, "Tỷ lệ B", "%", "Tỉnh", "chín mươi", "70"),  # unreadable plan: ignored, row loaded
            (3, None, "%", None, 90, 60),  # values without an indicator
            (4, "Tỷ lệ C", "%", "Cấp thôn", 90, when),  # a date in Thực hiện; an unknown level
            (5, "Tỷ lệ D", "%", "Tỉnh", 90, 50, "nhiều", 100),
        ],
    )
    parsed = parse_workbook(path)
    assert [(r.source_row, r.plan_value, r.actual_value, r.numerator) for r in parsed.sheets[0].rows] == [
        (8, None, D("70"), None),
        (11, D("90"), D("50"), None),
    ]
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rows_rejected) == (5, 2, 3)
    assert [str(i) for i in parsed.issues if i.severity != "info"] == [
        "[error] sheet 'Báo cáo', row 7, column Thực hiện (F): '8O,5' is not a number; row not loaded",
        "[warning] sheet 'Báo cáo', row 8, column Kế hoạch (E): 'chín mươi' is not a number; cell ignored",
        "[error] sheet 'Báo cáo', row 9, column Chỉ tiêu (B): values without an indicator name (Chỉ tiêu); "
        "row not loaded",
        "[error] sheet 'Báo cáo', row 10, column Thực hiện (F): '2025-09-10 00:00:00' is a date, not a number "
        "(Excel may have turned a typed number such as 9.10 into a date); row not loaded",
        "[warning] sheet 'Báo cáo', row 11, column Tử số (G): 'nhiều' is not a number; cell ignored",
    ]


def test_missing_or_impossible_title_block_fields_are_reported(tmp_path):
    path = simple_report(tmp_path / "no_period.xlsx", [(1, "Tỷ lệ A", "%", "Tỉnh", 95, 80)], period=None, agency=None)
    parsed = parse_workbook(path)
    assert [str(i) for i in parsed.issues if i.severity == "error"] == [
        "[error] sheet 'Báo cáo': no reporting agency (Đơn vị báo cáo) in the title block",
        "[error] sheet 'Báo cáo': no reporting period (Kỳ báo cáo) in the title block",
    ]
    path = simple_report(tmp_path / "nine.xlsx", [(1, "Tỷ lệ A", "%", "Tỉnh", 95, 80)], period="9 tháng năm 2025")
    assert parse_workbook(path).sheets[0].period is None
    assert "9-month cumulative periods" in str(parse_workbook(path).issues[0])


def test_files_that_are_not_reports_fail_with_a_clear_reason(tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 not really")
    with pytest.raises(ReportFileError, match=r"old.xls: not an Excel workbook .* save it as .xlsx"):
        parse_workbook(tmp_path / "old.xls")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ReportFileError, match="broken.xlsx: cannot be opened as an Excel workbook"):
        parse_workbook(tmp_path / "broken.xlsx")
    wb = Workbook()
    wb.active["A1"] = "Danh sách đơn vị"
    hidden = wb.create_sheet("Ẩn")
    write(hidden, 1, HEADERS)
    write(hidden, 2, (1, "Tỷ lệ A", "%", "Tỉnh", 95, 80))
    hidden.sheet_state = "hidden"
    with pytest.raises(ReportFileError, match="no sheet has a table with the template's columns"):
        parse_workbook(save(wb, tmp_path / "no_table.xlsx", SAVED))


def test_the_demo_files_read_cleanly_and_name_known_agencies(tmp_path):
    from cds_devkit.agency_samples import write_demo_files

    paths = write_demo_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "agency_reports/06_STTTT_6thang_2023.xlsx",
        "agency_reports/27_SKHCN_QuyII_2025.xlsx",
        "agency_reports/27_SKHCN_QuyII_2025_bosung.xlsx",
        "agency_reports/40_SKHCN_nam_2024.xlsx",
        "agency_reports/06_H03_thang9_2024.xlsx",
        "published_766/cong_dvc_766_2025-06.csv",
    ]
    agencies = []
    for path in paths[:-1]:
        parsed = parse_workbook(path)
        assert not [i for i in parsed.issues if i.severity != "info"], path.name
        for sheet in parsed.sheets:
            agency, problem = resolve_agency(sheet.agency_text, sheet.province_text, sheet.period)
            assert problem is None, (path.name, problem)
            agencies.append((path.name, sheet.sheet_name, agency.code, sheet.period.label, sheet.submitted_on))
    assert agencies == [
        ("06_STTTT_6thang_2023.xlsx", "Báo cáo", "06.S13", "2023-H1", dt.date(2023, 7, 10)),
        ("27_SKHCN_QuyII_2025.xlsx", "BC Quy II", "27.S14", "2025-Q2", dt.date(2025, 7, 8)),
        ("27_SKHCN_QuyII_2025_bosung.xlsx", "BC Quy II", "27.S14", "2025-Q2", dt.date(2025, 7, 11)),
        ("40_SKHCN_nam_2024.xlsx", "Cấp tỉnh", "40.S14", "2024", dt.date(2025, 1, 15)),
        ("40_SKHCN_nam_2024.xlsx", "Cấp xã", "40.S14", "2024", dt.date(2025, 1, 15)),
        ("06_H03_thang9_2024.xlsx", "Báo cáo", "06.H03", "2024-09", dt.date(2024, 10, 3)),
    ]
    # the same call writes the same bytes
    again = write_demo_files(tmp_path / "again")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]
