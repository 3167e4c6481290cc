"""Report workbooks written from code: the documented sample (docs/samples/bao_cao_cds_mau.xlsx) and the
synthetic files ``make demo`` drops into the landing folder.

    cds samples workbook docs/samples/bao_cao_cds_mau.xlsx
    from cds_devkit.agency_samples import write_demo_files
    write_demo_files(landing_dir("agency_reports").parent)   # agency_reports/ and published_766/

The same call always writes the same bytes (fixed workbook timestamps and zip entry times).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from cds_warehouse.sources import load_source

# The table header as the contract (sources/agency_reports.yml) writes it, in its order.
HEADERS = tuple(load_source("agency_reports").headers)
WIDTHS = (6, 58, 11, 11, 11, 11, 12, 12, 36)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)


@dataclass(frozen=True)
class Line:
    """One table row of a report; numbers may be given as Excel numbers or as text ("76,6%", "N/A")."""

    indicator: str
    unit: str = "%"
    level: str = ""
    plan: object = None
    actual: object = None
    numerator: object = None
    denominator: object = None
    note: str = ""
    stt: object = None


@dataclass(frozen=True)
class Report:
    province_heading: str  # "UBND TỈNH BẮC KẠN"
    agency: str  # "Sở Thông tin và Truyền thông"
    province: str  # "Bắc Kạn"
    period: str  # "6 tháng đầu năm 2023"
    submitted: str  # "10/07/2023"
    place: str  # for the date line: "Bắc Kạn"
    number: str  # document number "45/BC-STTTT"
    lines: tuple[Line, ...]
    title: str = "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHUYỂN ĐỔI SỐ"
    saved_at: dt.datetime = dt.datetime(2023, 7, 10, 9, 0, tzinfo=dt.UTC)


FOOTNOTES = (
    "Ghi chú: (1) Chỉ tiêu tỷ lệ ghi theo phần trăm (76,6 hoặc 76,6%); Tử số và Mẫu số ghi khi có.",
    "(2) Cấp: Tỉnh, Huyện, Xã, hoặc Toàn tỉnh / để trống khi số liệu chung cho cả tỉnh.",
    "(3) Không có số liệu ghi N/A; báo cáo bổ sung ghi ngày báo cáo mới.",
)


def write_report(path: str | Path, report: Report) -> Path:
    """A workbook in the template's layout (docs/sources/agency_reports.md, "The template")."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    _title_block(ws, report, first_row=1)
    header_row = 11
    _table(ws, header_row, report.lines)
    _footer(ws, header_row + len(report.lines) + 2)
    return save(wb, path, report.saved_at)


def _title_block(ws, report: Report, first_row: int) -> None:
    r = first_row
    day, month, year = (int(p) for p in report.submitted.split("/"))
    for offset, left, right in (
        (0, report.province_heading, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        (1, report.agency.upper(), "Độc lập - Tự do - Hạnh phúc"),
        (2, f"Số: {report.number}", f"{report.place}, ngày {day:02d} tháng {month:02d} năm {year}"),
    ):
        ws.cell(r + offset, 1, left).font = BOLD
        ws.merge_cells(start_row=r + offset, start_column=1, end_row=r + offset, end_column=2)
        ws.cell(r + offset, 5, right).font = BOLD if offset < 2 else Font(italic=True)
        ws.merge_cells(start_row=r + offset, start_column=5, end_row=r + offset, end_column=9)
    ws.cell(r + 4, 1, report.title).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=r + 4, start_column=1, end_row=r + 4, end_column=9)
    ws.cell(r + 4, 1).alignment = Alignment(horizontal="center")
    for offset, label, value in (
        (5, "Đơn vị báo cáo:", report.agency),
        (6, "Tỉnh:", report.province),
        (7, "Kỳ báo cáo:", report.period),
        (8, "Ngày báo cáo:", report.submitted),
    ):
        ws.cell(r + offset, 1, label).font = BOLD
        ws.merge_cells(start_row=r + offset, start_column=1, end_row=r + offset, end_column=2)
        ws.cell(r + offset, 3, value)
        ws.merge_cells(start_row=r + offset, start_column=3, end_row=r + offset, end_column=6)


def _table(ws, header_row: int, lines: Sequence[Line]) -> None:
    for col, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = ws.cell(header_row, col, header)
        cell.font, cell.border = BOLD, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for i, line in enumerate(lines, start=1):
        values = (
            line.stt if line.stt is not None else i,
            line.indicator,
            line.unit,
            line.level,
            line.plan,
            line.actual,
            line.numerator,
            line.denominator,
            line.note,
        )
        for col, value in enumerate(values, start=1):
            cell = ws.cell(header_row + i, col, None if value == "" else value)
            cell.border = BOX
            if col == 2 or col == 9:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(value, float) and col in (5, 6):
                cell.number_format = "0.0"
            if isinstance(value, int | float) and col in (7, 8):
                cell.number_format = "#,##0"


def _footer(ws, row: int) -> None:
    for i, text in enumerate(FOOTNOTES):
        ws.cell(row + i, 1, text).font = Font(italic=True)
        ws.merge_cells(start_row=row + i, start_column=1, end_row=row + i, end_column=9)
    sign = row + len(FOOTNOTES) + 1
    ws.cell(sign, 2, "NGƯỜI LẬP BIỂU").font = BOLD
    ws.cell(sign, 6, "THỦ TRƯỞNG ĐƠN VỊ").font = BOLD
    ws.merge_cells(start_row=sign, start_column=6, end_row=sign, end_column=9)


def save(wb: Workbook, path: str | Path, saved_at: dt.datetime) -> Path:
    """Save with a fixed 'last saved' time (what Excel records on save) and fixed zip entry times."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    stamp = saved_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{stamp}\g<2>", text)
                data = text.encode("utf-8")
            target.writestr(zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return path


# --- the documented sample --------------------------------------------------------------------------

SOURCE_002 = "Số liệu 6 tháng đầu năm 2023 theo bài viết ngày 27/07/2023 (002_49b66683a2321e14.txt)"

SAMPLE = Report(
    province_heading="UBND TỈNH BẮC KẠN",
    agency="Sở Thông tin và Truyền thông",
    province="Bắc Kạn",
    period="6 tháng đầu năm 2023",
    submitted="10/07/2023",
    place="Bắc Kạn",
    number="45/BC-STTTT",
    lines=(
        Line("Tỷ lệ người dân có điện thoại thông minh", "%", "Toàn tỉnh", 75, 73, note=SOURCE_002),
        Line("Tỷ lệ phủ sóng băng rộng di động tới thôn, bản", "%", "Toàn tỉnh", None, "96%", note=SOURCE_002),
        Line("Tỷ lệ hộ gia đình có kết nối Internet cáp quang", "%", "Toàn tỉnh", 80, "76,6", note=SOURCE_002),
        Line("Tỷ lệ dịch vụ công trực tuyến phát sinh hồ sơ", "%", "Toàn tỉnh", None, 58, note=SOURCE_002),
        Line("Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến", "%", "Toàn tỉnh", 50, 50, note=SOURCE_002),
        Line(
            "Tỷ lệ số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
            "%",
            "Toàn tỉnh",
            None,
            "31,6%",
            note=SOURCE_002,
        ),  # fmt: skip
        Line(
            "Tỷ lệ hồ sơ công việc tại cấp tỉnh được xử lý trên môi trường mạng",
            "%",
            "Tỉnh",
            90,
            None,
            12345,
            "13.000",
            "Số liệu minh họa: Thực hiện để trống, tính từ Tử số/Mẫu số",
        ),
        Line("Tỷ trọng kinh tế số trong GRDP", "%", "Toàn tỉnh", 10, "N/A", note="Chưa có số liệu thống kê"),
    ),
)


def write_sample_workbook(path: str | Path = "docs/samples/bao_cao_cds_mau.xlsx") -> Path:
    """The documented sample: Bắc Kạn, first half of 2023, with the figures of the domain's seed 002."""
    return write_report(path, SAMPLE)


# --- demo files ---------------------------------------------------------------------------------------


def _messy_bac_ninh(path: Path, submitted: str, online_commune: object, saved_at: dt.datetime) -> Path:
    """Bắc Ninh (27), Sở KH&CN, Quý II/2025, as agencies really send it: title lines without labels, a
    two-row merged header starting on row 7, an extra column, percent-formatted cells, text numbers,
    a level written in the name column, N/A, an unknown indicator, footnotes and a second sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "BC Quy II"
    ws["A1"] = "UBND TỈNH BẮC NINH"
    ws["A2"] = "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    ws["F2"] = f"Bắc Ninh, ngày {submitted}"
    ws["A4"] = "BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ II/2025"
    ws.merge_cells("A4:J4")
    header_top = ("TT", "Tên chỉ tiêu", "ĐVT", "Cấp thực hiện", "Kết quả", None, None, None, "Nguồn số liệu", "Ghi chú")
    header_sub = (None, None, None, None, "Kế hoạch năm 2025", "Thực hiện Quý II/2025", "Tử số", "Mẫu số")
    for col, text in enumerate(header_top, start=1):
        if text:
            ws.cell(7, col, text)
    for col, text in enumerate(header_sub, start=1):
        if text:
            ws.cell(8, col, text)
    for col in (1, 2, 3, 4, 9, 10):
        ws.merge_cells(start_row=7, start_column=col, end_row=8, end_column=col)
    ws.merge_cells("E7:H7")
    rows = [
        ("I", "CHÍNH QUYỀN SỐ"),
        (1, "Tỷ lệ hồ sơ TTHC được tiếp nhận, giải quyết trực tuyến", None, None, None, None, None, None, "Cổng DVC"),
        (None, "- Cấp tỉnh", "%", None, 0.95, 0.912, None, None, "Cổng DVC"),
        (None, "- Cấp huyện", "%", None, 0.9, 0.845, None, None, "Cổng DVC"),
        (None, "- Cấp xã", "%", None, 0.85, online_commune, None, None, "Cổng DVC"),
        (
            2,
            "Tỷ lệ hồ sơ công việc cấp tỉnh được xử lý trên môi trường mạng",
            "%",
            "Tỉnh",
            "95%",
            "97,2%",
            "48.600",
            "50.000",
            "Hệ thống QLVB",
        ),
        ("II", "KINH TẾ SỐ"),
        (3, "Tỷ trọng kinh tế số trong GRDP của tỉnh", "%", "Toàn tỉnh", 20, "N/A", None, None, "Cục Thống kê"),
        (4, "Tỷ lệ doanh nghiệp nhỏ và vừa sử dụng nền tảng số", "%", "Toàn tỉnh", 50, 38.5, None, None, "Sở KH&CN"),
        ("III", "XÃ HỘI SỐ"),
        (5, "Tỷ lệ hộ gia đình có cáp quang", "%", None, 95, "92,4", None, None, "Doanh nghiệp viễn thông"),
        (6, "Tỷ lệ dân số trưởng thành có điện thoại thông minh", "%", None, 90, "86,1%", None, None, "VNPT, Viettel"),
    ]
    r = 9
    for values in rows:
        for col, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = ws.cell(r, col, value)
            if isinstance(value, float) and value <= 1 and col in (5, 6):
                cell.number_format = "0.0%"
        r += 1
    r += 1
    ws.cell(r, 1, "Ghi chú: số liệu Quý II/2025 lấy đến ngày 30/6/2025; tỷ lệ cấp xã gồm phường, thị trấn.")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=10)
    ws.cell(r + 2, 2, "Người lập biểu")
    ws.cell(r + 2, 7, "GIÁM ĐỐC")
    guide = wb.create_sheet("Hướng dẫn")
    guide["A1"] = "Hướng dẫn điền biểu: ghi tỷ lệ theo phần trăm; không có số liệu ghi N/A."
    return save(wb, path, saved_at)


def _yearly_nghe_an(path: Path) -> Path:
    """Nghệ An (40), Sở KH&CN, Năm 2024, labels in one cell ("Kỳ báo cáo: Năm 2024"), NFD text, two
    report sheets (province level and commune level), a blank row and Excel numbers as fractions."""
    import unicodedata

    wb = Workbook()
    first = True
    for sheet, level, values in (
        ("Cấp tỉnh", "Tỉnh", (0.934, 0.962)),
        ("Cấp xã", "Xã", (0.612, 0.775)),
    ):
        ws = wb.active if first else wb.create_sheet()
        ws.title = sheet
        if first:
            ws["A1"] = unicodedata.normalize("NFD", "Đơn vị báo cáo: Sở Khoa học và Công nghệ tỉnh Nghệ An")
            ws["A2"] = "Kỳ báo cáo: Năm 2024"
            ws["A3"] = "Ngày báo cáo: 15/01/2025 16:30"
        for col, header in enumerate(HEADERS, start=1):
            ws.cell(5, col, unicodedata.normalize("NFD", header).upper() if col % 2 else header)
        ws.cell(6, 1, 1)
        ws.cell(6, 2, unicodedata.normalize("NFD", "Tỷ lệ hồ sơ giải quyết theo dịch vụ công trực tuyến"))
        ws.cell(6, 3, "%")
        ws.cell(6, 4, level)
        ws.cell(6, 6, values[0])
        ws.cell(8, 1, 2)  # a blank row 7 above
        ws.cell(8, 2, "Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng")
        ws.cell(8, 3, "%")
        ws.cell(8, 4, level)
        ws.cell(8, 6, values[1])
        first = False
    return save(wb, path, dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC))


def _district_ba_be(path: Path) -> Path:
    """A district (UBND huyện Ba Bể, Bắc Kạn) reporting its own figures for Tháng 9/2024."""
    report = Report(
        province_heading="UBND TỈNH BẮC KẠN",
        agency="UBND huyện Ba Bể",
        province="Bắc Kạn",
        period="Tháng 9/2024",
        submitted="03/10/2024",
        place="Ba Bể",
        number="112/BC-UBND",
        lines=(
            Line("Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến", "%", "Huyện", 70, None, 1234, "2.000"),
            Line("Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng", "%", "", 90, "88,5"),
        ),
        saved_at=dt.datetime(2024, 10, 3, 2, 15, tzinfo=dt.UTC),
    )
    return write_report(path, report)


PUBLISHED_766_HEADER = ",".join(load_source("published_766").headers)
PUBLISHED_766_ROWS = (
    "27,2025-04,online_dossier_rate,all,71.2,,,05/07/2025 08:00,https://dichvucong.gov.vn/p/home/dvc-index-tinhtp-tonghop.html",
    "27,2025-05,online_dossier_rate,all,72.8,,,05/07/2025 08:00,https://dichvucong.gov.vn/p/home/dvc-index-tinhtp-tonghop.html",
    "27,2025-06,online_dossier_rate,all,74.5,,,05/07/2025 08:00,https://dichvucong.gov.vn/p/home/dvc-index-tinhtp-tonghop.html",
    "06,2025-06,online_dossier_rate,all,58.3,,,05/07/2025 08:00,https://dichvucong.gov.vn/p/home/dvc-index-tinhtp-tonghop.html",
    "40,2025-06,online_dossier_rate,all,66.9,,,05/07/2025 08:00,https://dichvucong.gov.vn/p/home/dvc-index-tinhtp-tonghop.html",
)


def write_published_766(path: str | Path) -> Path:
    """A portal-published 766 CSV (format: sources/published_766.yml); the figures are synthetic."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\r\n".join((PUBLISHED_766_HEADER, *PUBLISHED_766_ROWS)) + "\r\n", encoding="utf-8")
    return path


def write_demo_files(landing_root: str | Path) -> list[Path]:
    """Synthetic report workbooks in ``landing_root/agency_reports/`` (one of them a corrected
    resubmission) and a published-766 CSV in ``landing_root/published_766/``; returns the paths."""
    root = Path(landing_root)
    folder = root / "agency_reports"
    utc = dt.UTC
    return [
        write_sample_workbook(folder / "06_STTTT_6thang_2023.xlsx"),
        _messy_bac_ninh(
            folder / "27_SKHCN_QuyII_2025.xlsx", "08 tháng 7 năm 2025", 0.688, dt.datetime(2025, 7, 8, 3, 0, tzinfo=utc)
        ),  # fmt: skip
        # the agency corrects the commune-level rate three days later
        _messy_bac_ninh(
            folder / "27_SKHCN_QuyII_2025_bosung.xlsx",
            "11 tháng 7 năm 2025",
            0.702,
            dt.datetime(2025, 7, 11, 2, 0, tzinfo=utc),
        ),  # fmt: skip
        _yearly_nghe_an(folder / "40_SKHCN_nam_2024.xlsx"),
        _district_ba_be(folder / "06_H03_thang9_2024.xlsx"),
        write_published_766(root / "published_766" / "cong_dvc_766_2025-06.csv"),
    ]


def register(subparsers) -> None:
    top = subparsers.add_parser("samples", help="sample agency report workbooks and the demo's landing files")
    sub = top.add_subparsers(required=True)
    p = sub.add_parser("workbook", help="write the documented sample workbook")
    p.add_argument("out", type=Path, nargs="?", default=Path("docs/samples/bao_cao_cds_mau.xlsx"))
    p.set_defaults(func=lambda a: print(write_sample_workbook(a.out)))
    p = sub.add_parser("demo-files", help="write demo workbooks and a published-766 CSV into the landing folders")
    p.add_argument("landing", type=Path, nargs="?", default=None, help="landing root (default: the configured one)")
    p.set_defaults(func=_demo_files)


def _demo_files(args) -> None:
    from cds_warehouse.landing import landing_dir

    print(*write_demo_files(args.landing or landing_dir("agency_reports").parent), sep="\n")
