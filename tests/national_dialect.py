"""Exports of today's dialect rewritten, by hand-written rules independent of the source's YAML, in the national
portal's dialect (docs/sources/portal_dossiers.md, "Dialects"): as CSV, and as JSON lines with typed values."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

FIELD = {
    "Mã hồ sơ": "MaHoSo",
    "Mã TTHC": "MaTTHC",
    "Tên TTHC": "TenTTHC",
    "Mức độ DVC": "MucDo",
    "Mã tỉnh": "MaTinh",
    "Mã đơn vị": "MaDonVi",
    "Tên đơn vị": "TenDonVi",
    "Cấp thực hiện": "CapThucHien",
    "Kênh nộp": "KenhThucHien",
    "Ngày tiếp nhận": "NgayTiepNhan",
    "Ngày hẹn trả": "NgayHenTra",
    "Ngày kết thúc xử lý": "NgayKetThucXuLy",
    "Trạng thái": "TrangThaiHoSo",
    "Số lần yêu cầu bổ sung": "SoLanYeuCauBoSung",
    "Số ngày chờ bổ sung": "SoNgayChoBoSung",
    "Lệ phí (đồng)": "LePhi",
    "Thanh toán trực tuyến": "DuocThanhToanTrucTuyen",
    "Số hóa thành phần hồ sơ": "HoSoCoThanhPhanSoHoa",
    "Có kết quả điện tử": "CoKetQuaDienTu",
    "Kết quả bản giấy": "KetQuaBanGiay",
    "Đánh giá": "DanhGia",
    "Phản ánh kiến nghị": "CoPhanAnhKienNghi",
    "Ngày cập nhật": "NgayCapNhat",
    "Họ tên người nộp": "ChuHoSo",
    "Số CCCD": "SoGiayToChuHoSo",
    "Số điện thoại": "SoDienThoaiChuHoSo",
    "Địa chỉ": "DiaChiChuHoSo",
    "Trích yếu": "TrichYeuHoSo",
}
CODE = {
    "MucDo": {"Toàn trình": "4", "Một phần": "3"},
    "CapThucHien": {"Tỉnh": "1", "Huyện": "2", "Xã": "3"},
    "TrangThaiHoSo": {
        "Đã tiếp nhận": "2",
        "Đang xử lý": "4",
        "Chờ bổ sung": "5",
        "Đã rút": "7",
        "Đã kết thúc": "9",
        "Đã trả kết quả": "10",
    },
    "DanhGia": {"Hài lòng": "1", "Bình thường": "2", "Không hài lòng": "3"},
}
DATES = {"NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayCapNhat"}
NUMBERS = {"MaTinh", "KenhThucHien", "CapThucHien", "TrangThaiHoSo", "MucDo", "DanhGia", "LePhi", "SoGiayToChuHoSo"}
NUMBERS |= {"SoLanYeuCauBoSung", "SoNgayChoBoSung", "DuocThanhToanTrucTuyen"}
FLAGS = {"HoSoCoThanhPhanSoHoa", "CoKetQuaDienTu", "KetQuaBanGiay", "CoPhanAnhKienNghi"}


def national_rows(today: Path) -> list[dict[str, str]]:
    """The export's rows with the national field names, codes and compact dates (yyyymmddHHMMSS)."""
    with today.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        national = {}
        for header, value in row.items():
            field = FIELD[header]
            value = CODE.get(field, {}).get(value, value)
            if field in DATES and value:
                with_time = len(value) > 10
                parsed = dt.datetime.strptime(value, "%d/%m/%Y %H:%M:%S" if with_time else "%d/%m/%Y")
                value = parsed.strftime("%Y%m%d%H%M%S" if with_time else "%Y%m%d")
            national[field] = value
        out.append(national)
    return out


def write_national_csv(today: Path, path: Path) -> Path:
    rows = national_rows(today)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_national_json_lines(today: Path, path: Path) -> Path:
    """As a JSON sync writes it: codes and amounts as numbers (a province 06 as 6, an ID number losing its
    leading zero), 0/1 flags as booleans, dates in ISO 8601, blanks as null."""
    with path.open("w", encoding="utf-8") as fh:
        for row in national_rows(today):
            record = {}
            for field, value in row.items():
                if value == "":
                    record[field] = None
                elif field in NUMBERS:
                    record[field] = float(value) if "." in value else int(value)
                elif field in FLAGS:
                    record[field] = value == "1"
                elif field in DATES:
                    compact, iso = ("%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S") if len(value) == 14 else ("%Y%m%d", "%Y-%m-%d")
                    record[field] = dt.datetime.strptime(value, compact).strftime(iso)
                else:
                    record[field] = value
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
