"""Synthetic dossier export of a provincial public-service portal.

Writes a CSV that follows the contract in ``sources/portal_dossiers.yml`` (headers, order, types, accepted
values) with plausible volumes and rates for three provinces before the 1 July 2025 reorganization:
"27" Bắc Ninh (large), "06" Bắc Kạn (small) and "40" Nghệ An (large). See docs/sources/portal_dossiers.md.

Handling-unit codes are fixed by the tables in this module and do not depend on the seed:

* provincial departments: ``{province}.S{nn}``, e.g. ``27.S03`` (Sở Tài nguyên và Môi trường, Bắc Ninh)
* district-level People's Committees: ``{province}.H{nn}``, e.g. ``27.H03`` (UBND huyện Tiên Du)
* communes, wards and townships: ``{district code}.X{nn}``, e.g. ``27.H03.X05`` (UBND xã Lạc Vệ)

Dossier codes are ``{unit code}-{yymmdd of receipt}-{row number}``, e.g. ``27.H03.X05-240115-0000123``;
the row number makes them unique within a file.

File conventions: UTF-8 (with BOM unless ``bom=False``), comma delimiter, CRLF line ends, fields quoted
only when they contain a comma or a quote, timestamps ``dd/mm/yyyy HH:MM:SS`` (local time), integers
without thousands separators, ``supplement_days`` in half days with a decimal point ("2.5"), blank = null.
Rows are in no particular order. The same arguments always give a byte-identical file.

Deliberate defects for loader tests (positions drawn from the seed, reported in the summary):

* ``bad_rows``: each chosen row gets exactly one broken field, cycling through
  ``received_at`` = "31/02/yyyy 08:00:00" (impossible date), ``received_at`` = "yyyy-13-01"
  (wrong format and month), ``channel`` = "9" (not an accepted value), ``dossier_code`` = "" (missing key).
* ``duplicate_rows``: each chosen row keeps its own content but takes the dossier code of another row of
  the file, so the key repeats.

Simplifications: the department list is the one before the March 2025 merger of departments; holidays
are Viet Nam's public holidays for 2022-2026; all rates follow smooth calendar trends plus noise.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import yaml

CONTRACT_PATH = Path(__file__).parent / "sources" / "portal_dossiers.yml"
CHUNK_ROWS = 50_000  # rows drawn at a time; part of the seed's meaning, so fixed
WRITE_ROWS = 10_000
BOM = b"\xef\xbb\xbf"
LINE_END = "\r\n"

PROVINCE, DISTRICT, COMMUNE = 0, 1, 2
LEVEL_NAMES = ("Tỉnh", "Huyện", "Xã")

# Status codes index STATUS_NAMES; the first three are open dossiers.
RECEIVED, IN_PROGRESS, WAITING_SUPPLEMENT, ENDED, RETURNED, WITHDRAWN = range(6)
STATUS_NAMES = ("Đã tiếp nhận", "Đang xử lý", "Chờ bổ sung", "Đã kết thúc", "Đã trả kết quả", "Đã rút")
RATING_NAMES = ("", "Hài lòng", "Bình thường", "Không hài lòng")
SERVICE_LEVELS = ("Toàn trình", "Một phần", "")

DEFECT_KINDS = (
    ("received_at", "impossible_date"),
    ("received_at", "iso_date_bad_month"),
    ("channel", "channel_not_accepted"),
    ("dossier_code", "blank_key"),
)

TREND_ORIGIN = date(2024, 1, 1)
# Rates as base (January 2024) + slope per year, by level (province, district, commune).
ONLINE_BASE, ONLINE_SLOPE = np.array([0.56, 0.42, 0.28]), np.array([0.24, 0.26, 0.28])
LATE_BASE, LATE_SLOPE = np.array([0.025, 0.08, 0.055]), np.array([-0.012, -0.030, -0.020])
DIGITIZED_BASE, DIGITIZED_SLOPE = np.array([0.55, 0.40, 0.25]), np.array([0.22, 0.25, 0.28])
E_RESULT_BASE, E_RESULT_SLOPE = np.array([0.60, 0.45, 0.30]), np.array([0.20, 0.24, 0.28])
# Full-process services attract more online filing than partial ones; services not offered online none.
SERVICE_ONLINE_FACTOR = np.array([1.08, 0.92, 0.0])
POSTAL_SHARE, BLANK_CHANNEL_SHARE = 0.03, 0.02
WITHDRAWN_SHARE = 0.01
SUPPLEMENT_COUNT_CUM = np.array([0.88, 0.975, 0.995, 1.0])  # 0, 1, 2, 3 requests
VOLUME_GROWTH_PER_YEAR = 0.08

OFFICE_MORNING = (7 * 3600 + 1800, 11 * 3600 + 1800)
OFFICE_AFTERNOON = (13 * 3600 + 1800, 17 * 3600)
OFFICE_OPENS = OFFICE_MORNING[0]
OFFICE_CLOSES = OFFICE_AFTERNOON[1]
SAME_DAY_CUTOFF = 15 * 3600  # same-day procedures received later are due the next morning
NEXT_MORNING_DUE = 11 * 3600 + 1800

HOLIDAYS = (
    "2022-01-03",
    "2022-01-31",
    "2022-02-01",
    "2022-02-02",
    "2022-02-03",
    "2022-02-04",
    "2022-04-11",
    "2022-05-02",
    "2022-05-03",
    "2022-09-01",
    "2022-09-02",
    "2023-01-02",
    "2023-01-20",
    "2023-01-23",
    "2023-01-24",
    "2023-01-25",
    "2023-01-26",
    "2023-05-01",
    "2023-05-02",
    "2023-05-03",
    "2023-09-01",
    "2023-09-04",
    "2024-01-01",
    "2024-02-08",
    "2024-02-09",
    "2024-02-12",
    "2024-02-13",
    "2024-02-14",
    "2024-04-18",
    "2024-04-29",
    "2024-04-30",
    "2024-05-01",
    "2024-09-02",
    "2024-09-03",
    "2025-01-01",
    "2025-01-27",
    "2025-01-28",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",
    "2025-04-07",
    "2025-04-30",
    "2025-05-01",
    "2025-05-02",
    "2025-09-01",
    "2025-09-02",
    "2026-01-01",
    "2026-01-02",
    "2026-02-16",
    "2026-02-17",
    "2026-02-18",
    "2026-02-19",
    "2026-02-20",
    "2026-04-27",
    "2026-04-30",
    "2026-05-01",
    "2026-09-01",
    "2026-09-02",
)
EARLIEST_START = date(2022, 1, 1)
REORGANIZATION = date(2025, 7, 1)  # district level abolished (Resolution 202/2025/QH15)


# --------------------------------------------------------------------------------------------------
# Reference tables: provinces, handling units, procedures, names
# --------------------------------------------------------------------------------------------------

# Department key -> name. Keys let one procedure map to whichever department a province has.
DEPARTMENTS = {
    "KHDT": "Sở Kế hoạch và Đầu tư",
    "TP": "Sở Tư pháp",
    "TNMT": "Sở Tài nguyên và Môi trường",
    "XD": "Sở Xây dựng",
    "GTVT": "Sở Giao thông vận tải",
    "CT": "Sở Công Thương",
    "NN": "Sở Nông nghiệp và Phát triển nông thôn",
    "LD": "Sở Lao động - Thương binh và Xã hội",
    "YT": "Sở Y tế",
    "GD": "Sở Giáo dục và Đào tạo",
    "TC": "Sở Tài chính",
    "NV": "Sở Nội vụ",
    "TTTT": "Sở Thông tin và Truyền thông",
    "KHCN": "Sở Khoa học và Công nghệ",
    "VH+DL": "Sở Văn hóa, Thể thao và Du lịch",
    "VH": "Sở Văn hóa và Thể thao",
    "DL": "Sở Du lịch",
    "NGV": "Sở Ngoại vụ",
    "BDT": "Ban Dân tộc",
}
CORE_DEPARTMENTS = (
    "KHDT",
    "TP",
    "TNMT",
    "XD",
    "GTVT",
    "CT",
    "NN",
    "LD",
    "YT",
    "GD",
    "TC",
    "NV",
    "TTTT",
    "KHCN",
)


@dataclass(frozen=True)
class ProvinceSpec:
    code: str
    name: str
    volume: float  # share of dossiers when all three provinces are generated
    level_split: tuple[float, float, float]  # province, district, commune
    online_shift: float
    late_factor: float
    digital_shift: float
    family_names: str  # key of FAMILY_NAMES
    departments: tuple[tuple[str, str], ...]  # (department key, name as the province spells it)
    # (kind, name, volume weight, communes "P:ward;T:township;commune") in official order
    districts: tuple[tuple[str, str, float, str], ...]


def _departments(*extra: tuple[str, str], culture: str = "VH+DL") -> tuple[tuple[str, str], ...]:
    core = [(key, DEPARTMENTS[key]) for key in CORE_DEPARTMENTS]
    culture_units = [(key, DEPARTMENTS[key]) for key in culture.split(",")]
    return tuple(core + culture_units + list(extra))


PROVINCES: dict[str, ProvinceSpec] = {
    "27": ProvinceSpec(
        "27",
        "Bắc Ninh",
        0.50,
        (0.33, 0.20, 0.47),
        0.04,
        0.8,
        0.05,
        "kinh",
        _departments(("NGV", DEPARTMENTS["NGV"]), ("KCN", "Ban Quản lý các khu công nghiệp tỉnh Bắc Ninh")),
        (
            (
                "thành phố",
                "Bắc Ninh",
                2.2,
                "P:Suối Hoa;P:Tiền An;P:Ninh Xá;P:Vệ An;P:Kinh Bắc;P:Đại Phúc;P:Võ Cường;P:Vũ Ninh;P:Đáp Cầu;"
                "P:Thị Cầu;P:Khúc Xuyên;P:Phong Khê;P:Hạp Lĩnh;P:Khắc Niệm;P:Vân Dương;P:Nam Sơn;P:Kim Chân",
            ),
            (
                "thành phố",
                "Từ Sơn",
                1.8,
                "P:Đông Ngàn;P:Đình Bảng;P:Châu Khê;P:Đồng Kỵ;P:Trang Hạ;P:Tân Hồng;P:Đồng Nguyên;P:Tương Giang;"
                "P:Phù Chẩn;P:Phù Khê;P:Hương Mạc;P:Tam Sơn",
            ),
            (
                "huyện",
                "Tiên Du",
                1.1,
                "T:Lim;Liên Bão;Hiên Vân;Hoàn Sơn;Lạc Vệ;Việt Đoàn;Phật Tích;Tân Chi;Đại Đồng;Tri Phương;"
                "Minh Đạo;Cảnh Hưng;Nội Duệ;Phú Lâm",
            ),
            (
                "huyện",
                "Yên Phong",
                1.2,
                "T:Chờ;Dũng Liệt;Tam Đa;Tam Giang;Yên Trung;Thụy Hòa;Hòa Tiến;Đông Tiến;Yên Phụ;Trung Nghĩa;"
                "Đông Phong;Long Châu;Văn Môn;Đông Thọ",
            ),
            (
                "thị xã",
                "Quế Võ",
                1.3,
                "P:Phố Mới;P:Việt Hùng;P:Phượng Mao;P:Bằng An;P:Nhân Hòa;P:Phương Liễu;P:Đại Xuân;Bồng Lai;"
                "Mộ Đạo;Chi Lăng;Phù Lương;Đức Long;Châu Phong",
            ),
            (
                "huyện",
                "Gia Bình",
                0.8,
                "T:Gia Bình;Nhân Thắng;Đông Cứu;Đại Lai;Song Giang;Lãng Ngâm;Xuân Lai;Quỳnh Phú;Thái Bảo;"
                "Vạn Ninh;Cao Đức;Bình Dương",
            ),
            (
                "huyện",
                "Lương Tài",
                0.8,
                "T:Thứa;An Thịnh;Lâm Thao;Phú Hòa;Trung Kênh;Quảng Phú;Minh Tân;Bình Định;Trừng Xá;Lai Hạ;"
                "Mỹ Hương;Phú Lương;Tân Lãng;Trung Chính",
            ),
            (
                "thị xã",
                "Thuận Thành",
                1.2,
                "P:Hồ;P:Gia Đông;P:Hà Mãn;P:Xuân Lâm;P:Song Hồ;P:Ninh Xá;P:Trạm Lộ;P:Trí Quả;P:Thanh Khương;"
                "Đại Đồng Thành;Mão Điền;Đình Tổ;Hoài Thượng;Nghĩa Đạo;Ngũ Thái;Song Liễu",
            ),
        ),
    ),
    "06": ProvinceSpec(
        "06",
        "Bắc Kạn",
        0.12,
        (0.30, 0.22, 0.48),
        -0.08,
        1.3,
        -0.05,
        "highland",
        _departments(("BDT", "Ban Dân tộc tỉnh Bắc Kạn")),
        (
            (
                "thành phố",
                "Bắc Kạn",
                2.0,
                "P:Đức Xuân;P:Nguyễn Thị Minh Khai;P:Sông Cầu;P:Phùng Chí Kiên;P:Huyền Tụng;P:Xuất Hóa;"
                "Dương Quang;Nông Thượng",
            ),
            (
                "huyện",
                "Pác Nặm",
                0.5,
                "Bộc Bố;Nhạn Môn;Giáo Hiệu;Bằng Thành;Cao Tân;Cổ Linh;An Thắng;Công Bằng",
            ),
            (
                "huyện",
                "Ba Bể",
                0.9,
                "T:Chợ Rã;Nam Mẫu;Khang Ninh;Cao Thượng;Hà Hiệu;Thượng Giáo;Mỹ Phương;Quảng Khê",
            ),
            (
                "huyện",
                "Ngân Sơn",
                0.6,
                "T:Vân Tùng;T:Nà Phặc;Bằng Vân;Cốc Đán;Thượng Quan;Thuần Mang;Hiệp Lực;Trung Hòa",
            ),
            (
                "huyện",
                "Bạch Thông",
                0.8,
                "T:Phủ Thông;Cẩm Giàng;Quân Hà;Nguyên Phúc;Vi Hương;Lục Bình;Tân Tú;Mỹ Thanh",
            ),
            (
                "huyện",
                "Chợ Đồn",
                1.0,
                "T:Bằng Lũng;Bản Thi;Ngọc Phái;Đồng Lạc;Nam Cường;Xuân Lạc;Bằng Lãng;Yên Thượng",
            ),
            (
                "huyện",
                "Chợ Mới",
                0.9,
                "T:Đồng Tâm;Yên Đĩnh;Như Cố;Thanh Mai;Cao Kỳ;Hòa Mục;Nông Hạ;Quảng Chu",
            ),
            (
                "huyện",
                "Na Rì",
                0.8,
                "T:Yến Lạc;Kim Lư;Côn Minh;Cư Lễ;Hảo Nghĩa;Lương Thượng;Văn Lang;Trần Phú",
            ),
        ),
    ),
    "40": ProvinceSpec(
        "40",
        "Nghệ An",
        0.38,
        (0.28, 0.20, 0.52),
        0.0,
        1.0,
        0.0,
        "kinh",
        _departments(
            ("NGV", DEPARTMENTS["NGV"]),
            ("KCN", "Ban Quản lý Khu kinh tế Đông Nam Nghệ An"),
            ("BDT", "Ban Dân tộc tỉnh Nghệ An"),
            culture="VH,DL",
        ),
        (
            (
                "thành phố",
                "Vinh",
                2.5,
                "P:Hưng Bình;P:Lê Mao;P:Quang Trung;P:Trường Thi;P:Hà Huy Tập;P:Bến Thủy;P:Trung Đô;P:Hưng Dũng;"
                "P:Đội Cung;P:Cửa Nam;P:Vinh Tân;P:Hưng Phúc;Hưng Lộc;Nghi Phú",
            ),
            (
                "thị xã",
                "Thái Hòa",
                0.9,
                "P:Hòa Hiếu;P:Quang Tiến;P:Long Sơn;P:Quang Phong;Nghĩa Tiến;Nghĩa Mỹ;Tây Hiếu;Đông Hiếu",
            ),
            (
                "thị xã",
                "Hoàng Mai",
                1.0,
                "P:Quỳnh Thiện;P:Mai Hùng;P:Quỳnh Dị;P:Quỳnh Phương;P:Quỳnh Xuân;Quỳnh Vinh;Quỳnh Lộc;Quỳnh Trang",
            ),
            (
                "huyện",
                "Quỳnh Lưu",
                1.3,
                "T:Cầu Giát;Quỳnh Hồng;Quỳnh Bá;Quỳnh Thạch;Quỳnh Văn;Quỳnh Lâm;Quỳnh Hưng;Quỳnh Lương;Sơn Hải;"
                "Tiến Thủy",
            ),
            (
                "huyện",
                "Diễn Châu",
                1.4,
                "T:Diễn Thành;Diễn Kỷ;Diễn Hồng;Diễn Phong;Diễn Kim;Diễn Ngọc;Diễn Hạnh;Diễn Lợi;Diễn Phúc;Diễn Thịnh",
            ),
            (
                "huyện",
                "Yên Thành",
                1.2,
                "T:Yên Thành;Công Thành;Hợp Thành;Bắc Thành;Tăng Thành;Phúc Thành;Hoa Thành;Văn Thành;Xuân Thành",
            ),
            (
                "huyện",
                "Đô Lương",
                1.1,
                "T:Đô Lương;Đông Sơn;Văn Sơn;Lạc Sơn;Đà Sơn;Thịnh Sơn;Bài Sơn;Yên Sơn;Hòa Sơn",
            ),
            (
                "huyện",
                "Nghi Lộc",
                1.1,
                "T:Quán Hành;Nghi Long;Nghi Xá;Nghi Hoa;Nghi Trung;Nghi Thạch;Nghi Phương;Nghi Đồng;Nghi Văn",
            ),
            (
                "huyện",
                "Hưng Nguyên",
                0.8,
                "T:Hưng Nguyên;Hưng Tây;Hưng Đạo;Hưng Yên Bắc;Hưng Trung;Hưng Thịnh;Hưng Lĩnh;Hưng Thành",
            ),
            (
                "huyện",
                "Nam Đàn",
                0.9,
                "T:Nam Đàn;Kim Liên;Nam Anh;Nam Cát;Nam Giang;Nam Hưng;Khánh Sơn;Xuân Hòa",
            ),
            (
                "huyện",
                "Thanh Chương",
                1.1,
                "T:Thanh Chương;Thanh Ngọc;Thanh Liên;Đồng Văn;Thanh Hưng;Thanh Tiên;Phong Thịnh;Thanh Đồng",
            ),
            (
                "huyện",
                "Anh Sơn",
                0.7,
                "T:Anh Sơn;Đỉnh Sơn;Hội Sơn;Thành Sơn;Hùng Sơn;Tường Sơn;Cẩm Sơn;Long Sơn",
            ),
            ("huyện", "Con Cuông", 0.5, "T:Trà Lân;Chi Khê;Bồng Khê;Yên Khê;Lục Dạ;Môn Sơn;Châu Khê;Cam Lâm"),
            (
                "huyện",
                "Tương Dương",
                0.4,
                "T:Thạch Giám;Tam Quang;Tam Thái;Yên Na;Lượng Minh;Nhôn Mai;Hữu Khuông;Tam Đình",
            ),
            ("huyện", "Kỳ Sơn", 0.4, "T:Mường Xén;Hữu Kiệm;Nậm Cắn;Tà Cạ;Mường Lống;Chiêu Lưu;Bảo Nam;Mỹ Lý"),
            (
                "huyện",
                "Quế Phong",
                0.4,
                "T:Kim Sơn;Châu Kim;Mường Nọc;Tiền Phong;Quang Phong;Hạnh Dịch;Đồng Văn;Tri Lễ",
            ),
            (
                "huyện",
                "Quỳ Châu",
                0.4,
                "T:Tân Lạc;Châu Hạnh;Châu Bình;Châu Tiến;Châu Hội;Châu Phong;Diên Lãm;Châu Thuận",
            ),
            (
                "huyện",
                "Quỳ Hợp",
                0.7,
                "T:Quỳ Hợp;Châu Quang;Tam Hợp;Châu Lộc;Minh Hợp;Nghĩa Xuân;Thọ Hợp;Châu Đình",
            ),
            (
                "huyện",
                "Nghĩa Đàn",
                0.8,
                "T:Nghĩa Đàn;Nghĩa Lâm;Nghĩa Thắng;Nghĩa Hội;Nghĩa Bình;Nghĩa Trung;Nghĩa Long;Nghĩa Lộc",
            ),
            (
                "huyện",
                "Tân Kỳ",
                0.8,
                "T:Tân Kỳ;Tân An;Tân Hương;Nghĩa Đồng;Kỳ Sơn;Tân Phú;Đồng Văn;Giai Xuân",
            ),
        ),
    ),
}
# Mountain districts: highland village names in addresses.
HIGHLAND_DISTRICTS = {
    "Pác Nặm",
    "Ngân Sơn",
    "Ba Bể",
    "Na Rì",
    "Chợ Đồn",
    "Con Cuông",
    "Tương Dương",
    "Kỳ Sơn",
    "Quế Phong",
    "Quỳ Châu",
    "Quỳ Hợp",
}


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    level: int
    agency: str  # department key for province-level procedures, "" otherwise
    service_level: str
    fee_vnd: int
    paper_result: int
    days: int  # processing time in working days; 0 = same day
    weight: float
    summary: str  # "{a}" = the applicant's name, "{c}" = another person of the applicant's family


def _p(code, name, level, agency, service, fee, paper, days, weight, summary) -> Procedure:
    return Procedure(code, name, level, agency, service, fee, paper, days, weight, summary)


T, M, N = "Toàn trình", "Một phần", ""
PROCEDURES: tuple[Procedure, ...] = (
    # Commune level
    _p(
        "2.000815",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp",
        COMMUNE,
        "",
        M,
        10_000,
        1,
        0,
        30,
        "Chứng thực bản sao giấy tờ cho ông/bà {a}",
    ),
    _p(
        "2.000884",
        "Chứng thực chữ ký trong các giấy tờ, văn bản",
        COMMUNE,
        "",
        M,
        10_000,
        1,
        0,
        9,
        "Chứng thực chữ ký của ông/bà {a} trên giấy ủy quyền",
    ),
    _p(
        "2.001035",
        "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất và nhà ở",
        COMMUNE,
        "",
        N,
        50_000,
        1,
        2,
        5,
        "Chứng thực hợp đồng chuyển nhượng quyền sử dụng đất của hộ ông/bà {a}",
    ),
    _p("1.001193", "Đăng ký khai sinh", COMMUNE, "", T, 0, 1, 1, 12, "Đăng ký khai sinh cho cháu {c}"),
    _p("1.000656", "Đăng ký khai tử", COMMUNE, "", T, 0, 1, 1, 3, "Đăng ký khai tử cho ông/bà {c}"),
    _p("1.000894", "Đăng ký kết hôn", COMMUNE, "", M, 0, 1, 1, 4, "Đăng ký kết hôn của anh/chị {a}"),
    _p(
        "2.000635",
        "Cấp bản sao trích lục hộ tịch",
        COMMUNE,
        "",
        T,
        10_000,
        0,
        1,
        8,
        "Cấp bản sao trích lục khai sinh cho {a}",
    ),
    _p(
        "1.004873",
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        COMMUNE,
        "",
        T,
        0,
        1,
        3,
        6,
        "Xác nhận tình trạng hôn nhân cho {a} để làm thủ tục vay vốn",
    ),
    _p("1.004884", "Đăng ký lại khai sinh", COMMUNE, "", M, 0, 1, 5, 1.5, "Đăng ký lại khai sinh cho {a}"),
    _p(
        "1.004859",
        "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
        COMMUNE,
        "",
        M,
        15_000,
        1,
        3,
        2,
        "Cải chính ngày sinh trong giấy khai sinh của {a}",
    ),
    _p("1.004837", "Đăng ký giám hộ", COMMUNE, "", M, 0, 1, 3, 0.3, "Đăng ký giám hộ cho cháu {c}"),
    _p(
        "2.000927",
        "Hòa giải tranh chấp đất đai",
        COMMUNE,
        "",
        N,
        0,
        1,
        45,
        0.4,
        "Đơn đề nghị hòa giải tranh chấp ranh giới đất của ông/bà {a}",
    ),
    _p(
        "1.001022",
        "Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        COMMUNE,
        "",
        T,
        0,
        0,
        5,
        5,
        "Liên thông khai sinh thường trú bảo hiểm y tế cho cháu {c}",
    ),
    _p(
        "1.003013",
        "Liên thông đăng ký khai tử, xóa đăng ký thường trú, hưởng chế độ tử tuất, trợ cấp mai táng",
        COMMUNE,
        "",
        T,
        0,
        0,
        10,
        1.2,
        "Liên thông khai tử và mai táng phí cho ông/bà {c}",
    ),
    _p(
        "1.001695",
        "Đăng ký nhận cha, mẹ, con",
        COMMUNE,
        "",
        M,
        0,
        1,
        3,
        0.4,
        "Đăng ký nhận cha con cho cháu {c}",
    ),
    _p(
        "1.003596",
        "Xác nhận hộ gia đình làm nông nghiệp, lâm nghiệp có mức sống trung bình",
        COMMUNE,
        "",
        M,
        0,
        1,
        10,
        0.8,
        "Xác nhận hộ làm nông nghiệp có mức sống trung bình",
    ),
    # District level
    _p(
        "1.009994",
        "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
        DISTRICT,
        "",
        T,
        75_000,
        1,
        15,
        6,
        "Cấp phép xây dựng nhà ở riêng lẻ cho hộ ông/bà {a}",
    ),
    _p(
        "2.000720",
        "Đăng ký thành lập hộ kinh doanh",
        DISTRICT,
        "",
        T,
        100_000,
        1,
        3,
        8,
        "Đăng ký hộ kinh doanh tạp hóa {a}",
    ),
    _p(
        "2.000575",
        "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        DISTRICT,
        "",
        T,
        50_000,
        1,
        3,
        3,
        "Thay đổi địa điểm kinh doanh của hộ kinh doanh {a}",
    ),
    _p(
        "2.000583",
        "Tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn của hộ kinh doanh",
        DISTRICT,
        "",
        T,
        0,
        0,
        3,
        1.5,
        "Thông báo tạm ngừng kinh doanh hộ {a}",
    ),
    _p(
        "2.000908",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của nước ngoài cấp",
        DISTRICT,
        "",
        M,
        10_000,
        1,
        0,
        3,
        "Chứng thực bản sao hộ chiếu nước ngoài",
    ),
    _p(
        "1.001766",
        "Đăng ký khai sinh có yếu tố nước ngoài",
        DISTRICT,
        "",
        M,
        75_000,
        1,
        3,
        0.5,
        "Đăng ký khai sinh có yếu tố nước ngoài cho cháu {c}",
    ),
    _p(
        "1.000893",
        "Đăng ký kết hôn có yếu tố nước ngoài",
        DISTRICT,
        "",
        M,
        500_000,
        1,
        15,
        0.4,
        "Đăng ký kết hôn có yếu tố nước ngoài của {a}",
    ),
    _p(
        "1.003003",
        "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu cho hộ gia đình, cá nhân",
        DISTRICT,
        "",
        M,
        100_000,
        1,
        30,
        5,
        "Cấp giấy chứng nhận quyền sử dụng đất lần đầu cho hộ ông/bà {a}",
    ),
    _p(
        "1.002253",
        "Chuyển mục đích sử dụng đất đối với hộ gia đình, cá nhân",
        DISTRICT,
        "",
        M,
        0,
        1,
        15,
        2,
        "Chuyển mục đích sử dụng đất vườn sang đất ở của hộ ông/bà {a}",
    ),
    _p(
        "1.001776",
        "Giải quyết chế độ trợ cấp xã hội hằng tháng đối với đối tượng bảo trợ xã hội",
        DISTRICT,
        "",
        M,
        0,
        1,
        20,
        3,
        "Đề nghị trợ cấp xã hội hằng tháng cho ông/bà {c}",
    ),
    _p(
        "2.000355",
        "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
        DISTRICT,
        "",
        M,
        0,
        1,
        5,
        1,
        "Hỗ trợ chi phí mai táng cho gia đình ông/bà {c}",
    ),
    _p(
        "1.003577",
        "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở dịch vụ ăn uống",
        DISTRICT,
        "",
        M,
        500_000,
        1,
        20,
        1.5,
        "Cấp giấy chứng nhận an toàn thực phẩm cho quán ăn của {a}",
    ),
    _p(
        "2.000620",
        "Cấp Giấy phép bán lẻ rượu",
        DISTRICT,
        "",
        T,
        400_000,
        1,
        10,
        1,
        "Cấp giấy phép bán lẻ rượu cho cửa hàng của {a}",
    ),
    # Province level
    _p(
        "2.001610",
        "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
        PROVINCE,
        "KHDT",
        T,
        50_000,
        1,
        3,
        5,
        "Đăng ký thành lập công ty TNHH một thành viên do {a} làm chủ sở hữu",
    ),
    _p(
        "2.002004",
        "Đăng ký thay đổi nội dung đăng ký doanh nghiệp",
        PROVINCE,
        "KHDT",
        T,
        50_000,
        1,
        3,
        6,
        "Thay đổi người đại diện theo pháp luật của doanh nghiệp",
    ),
    _p(
        "2.002018",
        "Thông báo tạm ngừng kinh doanh của doanh nghiệp",
        PROVINCE,
        "KHDT",
        T,
        0,
        0,
        3,
        2,
        "Thông báo tạm ngừng kinh doanh 12 tháng",
    ),
    _p(
        "1.009645",
        "Cấp Giấy chứng nhận đăng ký đầu tư đối với dự án không thuộc diện chấp thuận chủ trương",
        PROVINCE,
        "KHDT",
        M,
        0,
        1,
        15,
        0.4,
        "Cấp giấy chứng nhận đăng ký đầu tư dự án nhà xưởng",
    ),
    _p(
        "2.000488",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        PROVINCE,
        "TP",
        T,
        200_000,
        1,
        10,
        8,
        "Cấp phiếu lý lịch tư pháp số 1 cho {a}",
    ),
    _p(
        "1.008726",
        "Đăng ký hoạt động của Văn phòng công chứng",
        PROVINCE,
        "TP",
        M,
        500_000,
        1,
        10,
        0.1,
        "Đăng ký hoạt động văn phòng công chứng",
    ),
    _p(
        "1.004227",
        "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        PROVINCE,
        "TNMT",
        M,
        50_000,
        1,
        10,
        12,
        "Đăng ký biến động do nhận chuyển nhượng của ông/bà {a}",
    ),
    _p(
        "1.004193",
        "Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        PROVINCE,
        "TNMT",
        M,
        50_000,
        1,
        7,
        4,
        "Cấp đổi giấy chứng nhận cho hộ ông/bà {a}",
    ),
    _p(
        "1.004217",
        "Xóa đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất",
        PROVINCE,
        "TNMT",
        T,
        20_000,
        0,
        3,
        3,
        "Xóa thế chấp tại ngân hàng của ông/bà {a}",
    ),
    _p(
        "1.009972",
        "Cấp giấy phép xây dựng mới đối với công trình cấp I, cấp II",
        PROVINCE,
        "XD",
        T,
        150_000,
        1,
        20,
        0.6,
        "Cấp phép xây dựng nhà xưởng sản xuất",
    ),
    _p(
        "1.009982",
        "Cấp chứng chỉ hành nghề hoạt động xây dựng hạng II, hạng III",
        PROVINCE,
        "XD",
        T,
        300_000,
        1,
        20,
        0.8,
        "Cấp chứng chỉ hành nghề giám sát xây dựng cho {a}",
    ),
    _p(
        "1.002820",
        "Đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
        PROVINCE,
        "GTVT",
        T,
        135_000,
        1,
        5,
        8,
        "Đổi giấy phép lái xe hạng B2 cho {a}",
    ),
    _p(
        "1.002856",
        "Cấp phù hiệu xe ô tô kinh doanh vận tải",
        PROVINCE,
        "GTVT",
        T,
        0,
        0,
        2,
        3,
        "Cấp phù hiệu xe tải cho hộ kinh doanh {a}",
    ),
    _p(
        "2.000648",
        "Cấp Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu",
        PROVINCE,
        "CT",
        M,
        400_000,
        1,
        15,
        0.3,
        "Cấp giấy chứng nhận cửa hàng xăng dầu",
    ),
    _p(
        "2.000003",
        "Đăng ký thực hiện khuyến mại",
        PROVINCE,
        "CT",
        T,
        0,
        0,
        5,
        2,
        "Đăng ký chương trình khuyến mại tháng",
    ),
    _p(
        "1.003985",
        "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản",
        PROVINCE,
        "NN",
        M,
        500_000,
        1,
        15,
        0.5,
        "Cấp giấy chứng nhận an toàn thực phẩm cơ sở chế biến",
    ),
    _p(
        "1.003612",
        "Cấp giấy chứng nhận kiểm dịch động vật vận chuyển ra khỏi địa bàn cấp tỉnh",
        PROVINCE,
        "NN",
        T,
        0,
        0,
        1,
        1.5,
        "Kiểm dịch lô lợn thịt vận chuyển của {a}",
    ),
    _p(
        "1.000105",
        "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam",
        PROVINCE,
        "LD",
        T,
        400_000,
        1,
        5,
        2.5,
        "Cấp giấy phép lao động cho chuyên gia nước ngoài",
    ),
    _p(
        "1.001978",
        "Giải quyết hưởng trợ cấp thất nghiệp",
        PROVINCE,
        "LD",
        M,
        0,
        1,
        20,
        7,
        "Đề nghị hưởng trợ cấp thất nghiệp của {a}",
    ),
    _p(
        "1.002032",
        "Cấp chứng chỉ hành nghề dược",
        PROVINCE,
        "YT",
        M,
        500_000,
        1,
        20,
        0.8,
        "Cấp chứng chỉ hành nghề dược cho dược sĩ {a}",
    ),
    _p(
        "1.004503",
        "Cấp giấy phép hành nghề khám bệnh, chữa bệnh",
        PROVINCE,
        "YT",
        M,
        360_000,
        1,
        30,
        0.8,
        "Cấp giấy phép hành nghề cho bác sĩ {a}",
    ),
    _p(
        "1.004616",
        "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        PROVINCE,
        "GD",
        T,
        0,
        1,
        3,
        2,
        "Cấp bản sao bằng tốt nghiệp trung học phổ thông cho {a}",
    ),
    _p(
        "2.001263",
        "Đăng ký mã số đơn vị có quan hệ với ngân sách",
        PROVINCE,
        "TC",
        T,
        0,
        0,
        2,
        1,
        "Đăng ký mã số đơn vị quan hệ ngân sách",
    ),
    _p(
        "1.003918",
        "Công nhận ban vận động thành lập hội",
        PROVINCE,
        "NV",
        M,
        0,
        1,
        30,
        0.1,
        "Công nhận ban vận động thành lập hội",
    ),
    _p(
        "1.004443",
        "Cấp giấy phép xuất bản bản tin",
        PROVINCE,
        "TTTT",
        T,
        0,
        1,
        10,
        0.2,
        "Cấp giấy phép xuất bản bản tin nội bộ",
    ),
    _p(
        "1.004478",
        "Cấp Giấy chứng nhận đăng ký hoạt động khoa học và công nghệ",
        PROVINCE,
        "KHCN",
        T,
        0,
        1,
        15,
        0.15,
        "Đăng ký hoạt động tổ chức khoa học và công nghệ",
    ),
    _p(
        "1.001029",
        "Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke",
        PROVINCE,
        "VH",
        M,
        500_000,
        1,
        5,
        0.4,
        "Cấp giấy phép kinh doanh karaoke cho hộ {a}",
    ),
    _p(
        "1.001432",
        "Cấp thẻ hướng dẫn viên du lịch nội địa",
        PROVINCE,
        "DL",
        T,
        200_000,
        1,
        10,
        0.3,
        "Cấp thẻ hướng dẫn viên du lịch nội địa cho {a}",
    ),
    _p(
        "2.001738",
        "Cho phép tổ chức hội nghị, hội thảo quốc tế",
        PROVINCE,
        "NGV",
        T,
        0,
        0,
        15,
        0.1,
        "Tổ chức hội thảo quốc tế về xúc tiến đầu tư",
    ),
    _p(
        "2.000192",
        "Cấp giấy phép lao động cho người nước ngoài làm việc trong khu công nghiệp, khu kinh tế",
        PROVINCE,
        "KCN",
        T,
        400_000,
        1,
        5,
        3,
        "Cấp giấy phép lao động cho kỹ sư nước ngoài",
    ),
    _p(
        "1.009877",
        "Công nhận người có uy tín trong đồng bào dân tộc thiểu số",
        PROVINCE,
        "BDT",
        N,
        0,
        1,
        15,
        0.1,
        "Công nhận người có uy tín ông {a}",
    ),
)

# Applicants' names: (name, weight). Kinh names nationally; Tày, Nùng, Dao names weigh more in Bắc Kạn.
FAMILY_NAMES = {
    "kinh": (
        ("Nguyễn", 38),
        ("Trần", 11),
        ("Lê", 9.5),
        ("Phạm", 7),
        ("Hoàng", 5),
        ("Phan", 4.5),
        ("Vũ", 3.9),
        ("Đặng", 2.1),
        ("Bùi", 2),
        ("Đỗ", 1.4),
        ("Hồ", 1.3),
        ("Ngô", 1.3),
        ("Dương", 1),
        ("Đào", 0.8),
        ("Đinh", 0.7),
        ("Trịnh", 0.6),
        ("Đoàn", 0.6),
        ("Lý", 0.5),
        ("Lương", 0.5),
        ("Mai", 0.5),
        ("Hà", 0.5),
        ("Cao", 0.4),
        ("Tạ", 0.3),
        ("Chu", 0.3),
        ("Lưu", 0.3),
        ("Thái", 0.3),
        ("Vương", 0.3),
    ),
    "highland": (
        ("Nguyễn", 16),
        ("Hoàng", 12),
        ("Nông", 10),
        ("Triệu", 7),
        ("Ma", 5),
        ("Lý", 5),
        ("Hà", 4),
        ("Lục", 3),
        ("Đàm", 3),
        ("Dương", 3),
        ("Bế", 2),
        ("Vi", 2),
        ("Trần", 4),
        ("Lê", 3),
        ("Phạm", 2),
        ("Lường", 1),
        ("Bàn", 2),
        ("Đinh", 1),
    ),
}
MIDDLE_NAMES = (
    (
        ("Văn", 40),
        ("Đức", 10),
        ("Minh", 10),
        ("Quang", 6),
        ("Hữu", 6),
        ("Xuân", 5),
        ("Công", 5),
        ("Thành", 5),
        ("Đình", 5),
        ("Ngọc", 4),
        ("Trọng", 4),
        ("Tiến", 3),
        ("Mạnh", 3),
        ("Hoàng", 3),
    ),
    (
        ("Thị", 55),
        ("Thu", 6),
        ("Thanh", 6),
        ("Ngọc", 6),
        ("Minh", 5),
        ("Kim", 4),
        ("Phương", 4),
        ("Hồng", 4),
        ("Thúy", 3),
        ("Mai", 3),
        ("Diệu", 2),
        ("Bảo", 2),
    ),
)
GIVEN_NAMES = (
    (
        "An",
        "Bình",
        "Cường",
        "Dũng",
        "Đạt",
        "Đức",
        "Giang",
        "Hải",
        "Hiếu",
        "Hoàng",
        "Hùng",
        "Huy",
        "Khánh",
        "Kiên",
        "Lâm",
        "Long",
        "Mạnh",
        "Nam",
        "Phong",
        "Phúc",
        "Quân",
        "Sơn",
        "Thắng",
        "Thành",
        "Tiến",
        "Trung",
        "Tuấn",
        "Tùng",
        "Việt",
        "Vinh",
    ),
    (
        "Anh",
        "Chi",
        "Dung",
        "Giang",
        "Hà",
        "Hạnh",
        "Hằng",
        "Hiền",
        "Hoa",
        "Hương",
        "Huyền",
        "Lan",
        "Linh",
        "Loan",
        "Mai",
        "My",
        "Nga",
        "Ngọc",
        "Nhung",
        "Oanh",
        "Phương",
        "Quỳnh",
        "Thảo",
        "Thủy",
        "Trang",
        "Tuyết",
        "Vân",
        "Yến",
        "Liên",
        "Hậu",
    ),
)
MOBILE_PREFIXES = (
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "056",
    "058",
    "059",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "086",
    "088",
    "089",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
)
# Province codes (before July 2025) that can appear as the birth-registration code of a CCCD.
CCCD_PROVINCES = (
    1,
    2,
    4,
    6,
    8,
    10,
    11,
    12,
    14,
    15,
    17,
    19,
    20,
    22,
    24,
    25,
    26,
    27,
    30,
    31,
    33,
    34,
    35,
    36,
    37,
    38,
    40,
    42,
    44,
    45,
    46,
    48,
    49,
    51,
    52,
    54,
    56,
    58,
    60,
    62,
    64,
    66,
    67,
    68,
    70,
    72,
    74,
    75,
    77,
    79,
    80,
    82,
    83,
    84,
    86,
    87,
    89,
    91,
    92,
    93,
    94,
    95,
    96,
)
URBAN_STREETS = (
    "Tổ dân phố số 1",
    "Tổ dân phố số 2",
    "Tổ dân phố số 3",
    "Tổ dân phố số 5",
    "Tổ dân phố số 7",
    "Tổ dân phố số 9",
    "Khu phố 1",
    "Khu phố 2",
    "Khu phố 4",
    "Khu phố 6",
    "Đường Nguyễn Trãi",
    "Đường Lê Lợi",
    "Đường Trần Hưng Đạo",
    "Đường Lý Thái Tổ",
    "Đường Quang Trung",
    "Đường Nguyễn Văn Cừ",
    "Đường Trần Phú",
    "Đường Lê Duẩn",
    "Ngõ 12 Đường Ngô Gia Tự",
    "Ngõ 45 Đường Hai Bà Trưng",
)
RURAL_VILLAGES = (
    "Thôn Đông",
    "Thôn Đoài",
    "Thôn Nam",
    "Thôn Bắc",
    "Thôn Trung",
    "Thôn Thượng",
    "Thôn Hạ",
    "Thôn Ngoài",
    "Thôn Tiền",
    "Thôn Hậu",
    "Thôn Tân Lập",
    "Thôn Phú Mỹ",
    "Thôn Yên Lạc",
    "Thôn 1",
    "Thôn 2",
    "Thôn 3",
    "Thôn 5",
    "Xóm 1",
    "Xóm 2",
    "Xóm 4",
    "Xóm 6",
    "Xóm 8",
)
HIGHLAND_VILLAGES = (
    "Bản Nà Mòn",
    "Bản Pác Châm",
    "Thôn Khuổi Khí",
    "Thôn Nà Làng",
    "Bản Huổi Tụ",
    "Thôn Nà Hin",
    "Bản Cốc Phường",
    "Thôn Bản Chang",
    "Bản Phiêng Lầu",
    "Thôn Nà Đon",
)


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadRow:
    """A deliberately broken row: 1-based data row number (header is row 0), field and kind of damage."""

    row: int
    column: str
    kind: str


@dataclass(frozen=True)
class GenerationSummary:
    path: Path
    rows: int
    sha256: str
    seconds: float
    bad_rows: tuple[BadRow, ...] = ()
    duplicate_rows: tuple[int, ...] = ()  # 1-based rows whose dossier code repeats another row's


def contract_columns(contract_path: Path = CONTRACT_PATH) -> list[dict]:
    """The column entries of the portal contract, in file order."""
    with open(contract_path, encoding="utf-8") as f:
        return yaml.safe_load(f)["columns"]


def generate_portal_export(
    path: str | Path,
    rows: int,
    seed: int = 2025,
    start: date = date(2024, 1, 1),
    months: int = 18,
    provinces: Sequence[str] = ("27", "06", "40"),
    bom: bool = True,
    bad_rows: int = 0,
    duplicate_rows: int = 0,
) -> GenerationSummary:
    """Write a synthetic portal dossier export of `rows` data rows and return its summary."""
    began = time.perf_counter()
    path = Path(path)
    _check_arguments(rows, seed, start, months, provinces, bad_rows, duplicate_rows)
    columns = contract_columns()
    reference = _Reference.build(provinces)
    calendar = _Calendar.build(start, months)
    defects = _plan_defects(rows, bad_rows, duplicate_rows, seed)
    digest = hashlib.sha256()
    with open(path, "wb") as out:

        def write(data: bytes) -> None:
            out.write(data)
            digest.update(data)

        if bom:
            write(BOM)
        write((",".join(_csv_escape(c["header"]) for c in columns) + LINE_END).encode("utf-8"))
        for first in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first)
            rng = np.random.default_rng([seed, 1, first // CHUNK_ROWS])
            fields = _render_chunk(rng, n, first, rows, reference, calendar)
            _apply_defects(fields, first, n, defects)
            ordered = [fields[c["name"]] for c in columns]
            # Joined in slices: one big string per chunk would cost several times the chunk's memory.
            for lo in range(0, n, WRITE_ROWS):
                lines = zip(*[values[lo : lo + WRITE_ROWS] for values in ordered], strict=True)
                write((LINE_END.join(map(",".join, lines)) + LINE_END).encode("utf-8"))
            del fields, ordered  # free this chunk before the next one is drawn
    return GenerationSummary(
        path=path,
        rows=rows,
        sha256=digest.hexdigest(),
        seconds=round(time.perf_counter() - began, 3),
        bad_rows=tuple(BadRow(r + 1, DEFECT_KINDS[k][0], DEFECT_KINDS[k][1]) for r, k in defects.bad.items()),
        duplicate_rows=tuple(r + 1 for r in defects.duplicate_source),
    )


def _check_arguments(rows, seed, start, months, provinces, bad_rows, duplicate_rows) -> None:
    if rows < 0 or seed < 0 or months < 1:
        raise ValueError("rows and seed must be >= 0 and months >= 1")
    if start.day != 1 or start < EARLIEST_START:
        raise ValueError(f"start must be the first day of a month, not before {EARLIEST_START}")
    if _add_months(start, months) > REORGANIZATION:
        raise ValueError("the generator models three-tier local government, which ended on 1 July 2025")
    unknown = [p for p in provinces if p not in PROVINCES]
    if unknown or not provinces or len(set(provinces)) != len(provinces):
        raise ValueError(f"provinces must be distinct codes among {sorted(PROVINCES)}, got {list(provinces)}")
    if bad_rows < 0 or duplicate_rows < 0 or bad_rows + duplicate_rows > rows // 2:
        raise ValueError("bad_rows + duplicate_rows must be between 0 and half of rows")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# --------------------------------------------------------------------------------------------------
# Reference arrays
# --------------------------------------------------------------------------------------------------


def _csv_escape(value: str) -> str:
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _lut(values: Sequence[str]) -> np.ndarray:
    """Object array of CSV-ready strings, indexed by code."""
    out = np.empty(len(values), dtype=object)
    out[:] = [_csv_escape(v) for v in values]
    return out


def _cumulative(weights: Sequence[float]) -> np.ndarray:
    cum = np.cumsum(np.asarray(weights, dtype=float))
    cum /= cum[-1]
    cum[-1] = 1.0
    return cum


def _categorical(rng: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)


@dataclass
class _Reference:
    """Units and procedures as parallel arrays; all indices are positions in these arrays."""

    province_codes: list[str]
    province_cum: np.ndarray
    level_cum: list[np.ndarray]
    online_shift: np.ndarray
    late_factor: np.ndarray
    digital_shift: np.ndarray
    family_cum: list[np.ndarray]
    family_luts: list[np.ndarray]
    proc_choice: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]  # (province, level) -> procs, cum
    unit_choice: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]  # (province, level) -> units, cum
    department_of: list[np.ndarray]  # per province: procedure -> department unit (-1 if none)
    unit_code: np.ndarray
    unit_name: np.ndarray
    unit_first_commune: np.ndarray  # for districts
    unit_communes: np.ndarray  # for districts
    unit_setting: np.ndarray  # communes: 0 urban, 1 rural, 2 highland
    unit_address_tail: np.ndarray  # communes: '..., xã X, huyện Y, tỉnh Z"' (closing quote included)
    proc_code: np.ndarray
    proc_name: np.ndarray
    proc_service: np.ndarray
    proc_service_text: np.ndarray
    proc_fee: np.ndarray
    proc_fee_text: np.ndarray
    proc_paper: np.ndarray
    proc_days: np.ndarray
    summary_prefix: np.ndarray
    summary_person: np.ndarray  # 0 no name, 1 the applicant, 2 a relative
    summary_suffix: np.ndarray

    @classmethod
    def build(cls, provinces: Sequence[str]) -> _Reference:
        specs = [PROVINCES[p] for p in provinces]
        units = _build_units(specs)
        proc_choice, unit_choice, department_of = {}, {}, []
        for p in range(len(specs)):
            department_unit = {key: i for i in units.of(p, PROVINCE) for key in units.department_keys[i]}
            department_of.append(np.array([department_unit.get(pr.agency, -1) for pr in PROCEDURES]))
            for level in (PROVINCE, DISTRICT, COMMUNE):
                procs = [
                    i
                    for i, pr in enumerate(PROCEDURES)
                    if pr.level == level and (level != PROVINCE or pr.agency in department_unit)
                ]
                proc_choice[p, level] = (np.array(procs), _cumulative([PROCEDURES[i].weight for i in procs]))
                level_units = units.of(p, level)
                unit_choice[p, level] = (
                    np.array(level_units),
                    _cumulative([units.weight[i] for i in level_units]),
                )
        summary_parts = [_split_summary(pr.summary) for pr in PROCEDURES]
        return cls(
            province_codes=[s.code for s in specs],
            province_cum=_cumulative([s.volume for s in specs]),
            level_cum=[_cumulative(s.level_split) for s in specs],
            online_shift=np.array([s.online_shift for s in specs]),
            late_factor=np.array([s.late_factor for s in specs]),
            digital_shift=np.array([s.digital_shift for s in specs]),
            family_cum=[_cumulative([w for _, w in FAMILY_NAMES[s.family_names]]) for s in specs],
            family_luts=[_lut([f for f, _ in FAMILY_NAMES[s.family_names]]) for s in specs],
            proc_choice=proc_choice,
            unit_choice=unit_choice,
            department_of=department_of,
            unit_code=_lut(units.code),
            unit_name=_lut(units.name),
            unit_first_commune=np.array(units.first_commune),
            unit_communes=np.array(units.communes),
            unit_setting=np.array(units.setting),
            unit_address_tail=np.array(units.address_tail, dtype=object),
            proc_code=_lut([pr.code for pr in PROCEDURES]),
            proc_name=_lut([pr.name for pr in PROCEDURES]),
            proc_service=np.array([SERVICE_LEVELS.index(pr.service_level) for pr in PROCEDURES]),
            proc_service_text=_lut([pr.service_level for pr in PROCEDURES]),
            proc_fee=np.array([pr.fee_vnd for pr in PROCEDURES]),
            proc_fee_text=_lut([str(pr.fee_vnd) for pr in PROCEDURES]),
            proc_paper=np.array([pr.paper_result for pr in PROCEDURES]),
            proc_days=np.array([pr.days for pr in PROCEDURES]),
            summary_prefix=np.array([part[0] for part in summary_parts], dtype=object),
            summary_person=np.array([part[1] for part in summary_parts]),
            summary_suffix=np.array([part[2] for part in summary_parts], dtype=object),
        )


def _split_summary(template: str) -> tuple[str, int, str]:
    """Template -> (prefix, 0 no name | 1 applicant | 2 relative, suffix)."""
    for marker, person in (("{a}", 1), ("{c}", 2)):
        if marker in template:
            prefix, suffix = template.split(marker)
            return prefix, person, suffix
    return template, 0, ""


@dataclass
class _Units:
    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    province: list[int] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    department_keys: list[list[str]] = field(default_factory=list)
    first_commune: list[int] = field(default_factory=list)
    communes: list[int] = field(default_factory=list)
    setting: list[int] = field(default_factory=list)
    address_tail: list[str] = field(default_factory=list)

    def add(
        self,
        province: int,
        code: str,
        name: str,
        level: int,
        weight: float = 1.0,
        department_keys: Sequence[str] = (),
        first_commune: int = -1,
        communes: int = 0,
        setting: int = -1,
        address_tail: str = "",
    ) -> int:
        self.code.append(code)
        self.name.append(name)
        self.level.append(level)
        self.province.append(province)
        self.weight.append(weight)
        self.department_keys.append(list(department_keys))
        self.first_commune.append(first_commune)
        self.communes.append(communes)
        self.setting.append(setting)
        self.address_tail.append(address_tail)
        return len(self.code) - 1

    def of(self, province: int, level: int) -> list[int]:
        return [
            i for i, (p, lv) in enumerate(zip(self.province, self.level, strict=True)) if p == province and lv == level
        ]


def _build_units(specs: Sequence[ProvinceSpec]) -> _Units:
    """Departments, districts and communes of the chosen provinces; codes come from table positions."""
    units = _Units()
    for p, spec in enumerate(specs):
        for i, (keys, name) in enumerate(spec.departments, start=1):
            units.add(p, f"{spec.code}.S{i:02d}", name, PROVINCE, department_keys=keys.split("+"))
        for d, (kind, district_name, weight, communes) in enumerate(spec.districts, start=1):
            district_code = f"{spec.code}.H{d:02d}"
            entries = communes.split(";")
            district = units.add(
                p, district_code, f"UBND {kind} {district_name}", DISTRICT, weight, communes=len(entries)
            )
            units.first_commune[district] = district + 1  # its communes follow it
            for x, entry in enumerate(entries, start=1):
                commune_kind, commune_name = _commune_kind(entry)
                setting = 0 if commune_kind == "phường" else 2 if district_name in HIGHLAND_DISTRICTS else 1
                # Wards and townships are busier than rural communes.
                busy = 1.6 if commune_kind != "xã" else 1.0
                units.add(
                    p,
                    f"{district_code}.X{x:02d}",
                    f"UBND {commune_kind} {commune_name}",
                    COMMUNE,
                    weight * busy / (1 + 0.04 * x),
                    setting=setting,
                    address_tail=f', {commune_kind} {commune_name}, {kind} {district_name}, tỉnh {spec.name}"',
                )
    return units


def _commune_kind(entry: str) -> tuple[str, str]:
    if entry.startswith("P:"):
        return "phường", entry[2:]
    if entry.startswith("T:"):
        return "thị trấn", entry[2:]
    return "xã", entry


# --------------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------------

DAY = 86_400


@dataclass
class _Calendar:
    as_of: int  # export time: end of the period, epoch seconds
    busdays: np.busdaycalendar
    day_number: np.ndarray  # days since 1970-01-01 of each day of the period
    month_cum: np.ndarray
    month_years: np.ndarray  # years since TREND_ORIGIN, mid-month, drives the trends
    office_cum: np.ndarray  # month m's days span (m, m + 1]: see _day_in_month
    online_cum: np.ndarray

    @classmethod
    def build(cls, start: date, months: int) -> _Calendar:
        days = np.arange(np.datetime64(start, "D"), np.datetime64(_add_months(start, months), "D"))
        busdays = np.busdaycalendar(weekmask="1111100", holidays=np.array(HOLIDAYS, dtype="datetime64[D]"))
        working = np.is_busday(days, busdaycal=busdays)
        month = (days.astype("datetime64[M]") - np.datetime64(start, "M")).astype(np.int64)
        years = (days - np.datetime64(TREND_ORIGIN, "D")).astype(np.int64) / 365.25
        growth = 1 + VOLUME_GROWTH_PER_YEAR * years
        office_weight = working * growth
        # Online filing runs around the clock, a little on weekends and holidays too.
        online_weight = np.where(working, 1.0, 0.35) * growth
        return cls(
            as_of=int(days[-1].astype(np.int64) + 1) * DAY,
            busdays=busdays,
            day_number=days.astype(np.int64),
            month_cum=_cumulative(np.bincount(month, weights=office_weight)),
            month_years=np.bincount(month, weights=years) / np.bincount(month),
            office_cum=_per_month_cumulative(office_weight, month),
            online_cum=_per_month_cumulative(online_weight, month),
        )

    def add_working_days(self, day: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Day numbers `offset` working days after `day` (a non-working `day` first rolls forward)."""
        moved = np.busday_offset(day.astype("datetime64[D]"), offset, roll="forward", busdaycal=self.busdays)
        return moved.astype(np.int64)

    def is_working_day(self, day: np.ndarray) -> np.ndarray:
        return np.is_busday(day.astype("datetime64[D]"), busdaycal=self.busdays)


def _per_month_cumulative(weights: np.ndarray, month: np.ndarray) -> np.ndarray:
    out = np.empty(len(weights))
    for m in np.unique(month):
        in_month = month == m
        cum = np.cumsum(weights[in_month])
        cum /= cum[-1]
        cum[-1] = 1.0
        out[in_month] = m + cum
    return out


def _day_in_month(rng: np.random.Generator, month: np.ndarray, cum: np.ndarray) -> np.ndarray:
    # The first day whose cumulative weight passes m + u lies in month m and is never a zero-weight day.
    return np.searchsorted(cum, month + rng.random(len(month)), side="right")


def _office_times(rng: np.random.Generator, n: int) -> np.ndarray:
    morning = rng.random(n) < 0.58
    return np.where(morning, rng.integers(*OFFICE_MORNING, n), rng.integers(*OFFICE_AFTERNOON, n))


# --------------------------------------------------------------------------------------------------
# Dossiers
# --------------------------------------------------------------------------------------------------


def _draw_dossiers(rng: np.random.Generator, n: int, ref: _Reference, cal: _Calendar) -> dict[str, np.ndarray]:
    """Numeric columns of n dossiers; timestamps are epoch seconds of local time, -1 for none."""
    province, level, proc, unit = _draw_handling(rng, n, ref)
    month = _categorical(rng, cal.month_cum, n)
    years = cal.month_years[month]
    channel = _draw_channel(rng, level, province, proc, years, ref)
    received = _draw_received(rng, month, channel == 2, cal)
    days = ref.proc_days[proc]
    start_day, start_time = _processing_start(received, cal)
    due = _due(start_day, start_time, days, cal)
    supplement_count, supplement_days = _draw_supplements(rng, days)
    late_share = (LATE_BASE[level] + LATE_SLOPE[level] * years) * ref.late_factor[province]
    late_share = np.clip(late_share, 0.005, 0.5)
    late = rng.random(n) < late_share
    finish = _draw_finish(rng, received, start_day, start_time, days, due, late, supplement_days, cal)
    withdrawn = rng.random(n) < WITHDRAWN_SHARE
    withdrawn_at = np.maximum(received, np.minimum(received + rng.integers(3600, 5 * DAY, n), cal.as_of - 1))
    finish = np.where(withdrawn, withdrawn_at, finish)
    closed = withdrawn | (finish < cal.as_of)
    finished = np.where(closed, finish, -1)
    status = _status(rng, withdrawn, closed, supplement_count, received, cal)
    # Waiting time cannot exceed the time the dossier has existed.
    elapsed = (np.where(closed, finish, cal.as_of) - received) / DAY
    supplement_days = np.minimum(supplement_days, np.floor(elapsed * 2) / 2)
    done = (status == ENDED) | (status == RETURNED)
    latest = np.where(closed, finish, received)
    return {
        "province": province,
        "level": level,
        "proc": proc,
        "unit": unit,
        "channel": channel,
        "received": received,
        "due": due,
        "finished": finished,
        "status": status,
        "supplement_count": supplement_count,
        "supplement_days": supplement_days,
        "online_payment": _draw_payment(rng, ref.proc_fee[proc], channel, years),
        "components_digitized": _draw_digitized(rng, level, province, channel, years, ref),
        "electronic_result": _draw_electronic_result(rng, level, province, proc, years, done, ref),
        "rating": _draw_rating(rng, late, done),
        "complaint": (rng.random(n) < np.where(late, 0.02, 0.004)).astype(np.int64),
        "updated": np.maximum(latest, np.minimum(latest + rng.integers(60, 1800, n), cal.as_of - 1)),
    }


def _draw_handling(rng, n, ref):
    """Province, admin level, procedure and handling unit of each dossier."""
    province = _categorical(rng, ref.province_cum, n)
    level, proc, unit = (np.empty(n, dtype=np.int64) for _ in range(3))
    for p in range(len(ref.province_codes)):
        rows = np.flatnonzero(province == p)
        row_level = _categorical(rng, ref.level_cum[p], rows.size)
        level[rows] = row_level
        for lv in (PROVINCE, DISTRICT, COMMUNE):
            sel = rows[row_level == lv]
            procs, proc_cum = ref.proc_choice[p, lv]
            proc[sel] = procs[_categorical(rng, proc_cum, sel.size)]
            if lv == PROVINCE:
                unit[sel] = ref.department_of[p][proc[sel]]
            else:
                units, unit_cum = ref.unit_choice[p, lv]
                unit[sel] = units[_categorical(rng, unit_cum, sel.size)]
    return province, level, proc, unit


def _draw_channel(rng, level, province, proc, years, ref) -> np.ndarray:
    """0 blank, 1 in person, 2 online, 3 postal."""
    online = ONLINE_BASE[level] + ONLINE_SLOPE[level] * years + ref.online_shift[province]
    online = np.clip(online, 0.02, 0.95)
    online = np.minimum(online * SERVICE_ONLINE_FACTOR[ref.proc_service[proc]], 0.93)
    u = rng.random(len(level))
    postal_end = online + POSTAL_SHARE
    return np.select([u < online, u < postal_end, u < postal_end + BLANK_CHANNEL_SHARE], [2, 3, 0], 1)


def _draw_received(rng, month, online, cal) -> np.ndarray:
    office_day = _day_in_month(rng, month, cal.office_cum)
    online_day = _day_in_month(rng, month, cal.online_cum)
    day = cal.day_number[np.where(online, online_day, office_day)]
    time_of_day = _office_times(rng, len(month))
    anytime = online & (rng.random(len(month)) < 0.30)
    time_of_day = np.where(anytime, rng.integers(6 * 3600, DAY, len(month)), time_of_day)
    return day * DAY + time_of_day


def _processing_start(received, cal):
    """The clock starts at receipt in office hours, else at the next working morning."""
    day, time_of_day = np.divmod(received, DAY)
    working = cal.is_working_day(day)
    after_hours = time_of_day >= OFFICE_CLOSES
    start_day = cal.add_working_days(day, (working & after_hours).astype(np.int64))
    in_hours = working & (time_of_day >= OFFICE_OPENS) & ~after_hours
    return start_day, np.where(in_hours, time_of_day, OFFICE_OPENS)


def _due(start_day, start_time, days, cal) -> np.ndarray:
    same_day = days == 0
    late_in_day = start_time > SAME_DAY_CUTOFF
    due_day = cal.add_working_days(start_day, np.where(same_day, late_in_day.astype(np.int64), days))
    due_time = np.where(same_day, np.where(late_in_day, NEXT_MORNING_DUE, OFFICE_CLOSES), start_time)
    return due_day * DAY + due_time


def _draw_supplements(rng, days):
    """Requests for supplements and days spent waiting; same-day procedures rarely need any."""
    n = len(days)
    count = _categorical(rng, SUPPLEMENT_COUNT_CUM, n)
    count = np.where(rng.random(n) < np.minimum(1.0, 0.2 + days / 10), count, 0)
    days = np.round(rng.uniform(1, 7, n) * count * 2) / 2
    return count, days


def _draw_finish(rng, received, start_day, start_time, days, due, late, supplement_days, cal) -> np.ndarray:
    n = len(received)
    due_day, due_time = np.divmod(due, DAY)
    # On time: a working day up to the due day; on the due day itself, before the due time.
    elapsed_days = np.minimum((rng.random(n) * (days + 1)).astype(np.int64), days)
    # A dossier due at opening time is finished the working day before.
    early_due = (due_time - OFFICE_OPENS < 3600) & (days > 0)
    elapsed_days = np.where((elapsed_days == days) & early_due, days - 1, elapsed_days)
    on_due_day = elapsed_days == days
    day = np.where(on_due_day, due_day, cal.add_working_days(start_day, elapsed_days))
    earliest = np.where(day == start_day, start_time, OFFICE_OPENS)
    latest = np.where(on_due_day, due_time, OFFICE_CLOSES)
    time_of_day = earliest + (rng.random(n) * np.maximum(latest - earliest, 0)).astype(np.int64)
    on_time = np.minimum(np.maximum(day * DAY + time_of_day, received + rng.integers(300, 3600, n)), due)
    overdue_days = np.minimum(rng.geometric(0.3, n), 40)
    overdue = cal.add_working_days(due_day, overdue_days) * DAY + _office_times(rng, n)
    finish = np.where(late, overdue, on_time)
    # Waiting for the applicant's supplements delays the finish; the due time does not move.
    wait = np.ceil(supplement_days).astype(np.int64)
    day, time_of_day = np.divmod(finish, DAY)
    return np.where(wait > 0, cal.add_working_days(day, wait) * DAY + time_of_day, finish)


def _status(rng, withdrawn, closed, supplement_count, received, cal) -> np.ndarray:
    finished = np.where(rng.random(len(closed)) < 0.12, ENDED, RETURNED)
    recent = cal.as_of - received < 3 * DAY
    still_open = np.where(supplement_count > 0, WAITING_SUPPLEMENT, np.where(recent, RECEIVED, IN_PROGRESS))
    return np.where(withdrawn, WITHDRAWN, np.where(closed, finished, still_open))


def _draw_payment(rng, fee, channel, years) -> np.ndarray:
    """0 not online, 1 national portal, 2 provincial portal; only fee-bearing dossiers can pay online."""
    share = np.clip(np.where(channel == 2, 0.30 + 0.25 * years, 0.04 + 0.04 * years), 0.0, 0.95)
    paid = (fee > 0) & (rng.random(len(fee)) < share)
    return np.where(paid, np.where(rng.random(len(fee)) < 0.45, 1, 2), 0)


def _draw_digitized(rng, level, province, channel, years, ref) -> np.ndarray:
    share = DIGITIZED_BASE[level] + DIGITIZED_SLOPE[level] * years + ref.digital_shift[province]
    share = np.clip(share + 0.10 * (channel == 2), 0.02, 0.98)
    return (rng.random(len(level)) < share).astype(np.int64)


def _draw_electronic_result(rng, level, province, proc, years, done, ref) -> np.ndarray:
    share = E_RESULT_BASE[level] + E_RESULT_SLOPE[level] * years + ref.digital_shift[province]
    share = np.clip(share - 0.05 * ref.proc_paper[proc], 0.02, 0.98)
    return (done & (rng.random(len(level)) < share)).astype(np.int64)


def _draw_rating(rng, late, done) -> np.ndarray:
    u = rng.random(len(late))
    dislike = np.where(late, 0.03, 0.004)
    rating = np.select([u < dislike, u < dislike + 0.02, u < dislike + 0.13], [3, 2, 1], 0)
    return np.where(done, rating, 0)


# --------------------------------------------------------------------------------------------------
# Applicants (personal data, all fake)
# --------------------------------------------------------------------------------------------------


def _draw_applicants(rng, d: dict[str, np.ndarray], ref: _Reference) -> dict[str, list[str]]:
    n = len(d["proc"])
    female = rng.random(n) < 0.52
    family = np.empty(n, dtype=object)
    for p in range(len(ref.province_codes)):
        rows = np.flatnonzero(d["province"] == p)
        family[rows] = ref.family_luts[p][_categorical(rng, ref.family_cum[p], rows.size)]
    name = family + " " + _given_names(rng, female)
    relative = family + " " + _given_names(rng, rng.random(n) < 0.5)
    summary = _summaries(d["proc"], name, relative, ref)
    return {
        "applicant_name": name.tolist(),
        "applicant_id_hash": _citizen_ids(rng, d["province"], female, ref),
        "applicant_phone_hash": _phones(rng, n),
        "applicant_address": _addresses(rng, d, ref).tolist(),
        "summary": summary.tolist(),
    }


def _given_names(rng, female: np.ndarray) -> np.ndarray:
    """Middle and given name, drawn for both sexes and picked by sex to keep the draws fixed."""
    n = len(female)
    parts = []
    for sex in (0, 1):
        middle = _MIDDLE_LUTS[sex][_categorical(rng, _MIDDLE_CUMS[sex], n)]
        given = _GIVEN_LUTS[sex][rng.integers(0, len(_GIVEN_LUTS[sex]), n)]
        parts.append(middle + " " + given)
    return np.where(female, parts[1], parts[0])


def _citizen_ids(rng, province, female, ref) -> list[str]:
    """12 digits: 0 + birth province code, sex and century digit, year of birth, 6 random digits."""
    n = len(province)
    own = np.array([int(c) for c in ref.province_codes])[province]
    elsewhere = np.array(CCCD_PROVINCES)[rng.integers(0, len(CCCD_PROVINCES), n)]
    home = np.where(rng.random(n) < 0.88, own, elsewhere)
    born = rng.integers(1950, 2007, n)
    sex_century = (born >= 2000) * 2 + female
    number = home * 10**9 + sex_century * 10**8 + (born % 100) * 10**6 + rng.integers(0, 10**6, n)
    missing = rng.random(n) < 0.01
    return [("" if m else f"0{x:011d}") for x, m in zip(number.tolist(), missing.tolist(), strict=True)]


def _phones(rng, n: int) -> list[str]:
    prefix = _PHONE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)].tolist()
    local = rng.integers(0, 10**7, n).tolist()
    missing = (rng.random(n) < 0.05).tolist()
    return [("" if m else f"{p}{x:07d}") for p, x, m in zip(prefix, local, missing, strict=True)]


def _addresses(rng, d, ref) -> np.ndarray:
    """Applicants mostly live in the commune (or district) that handles their dossier."""
    n = len(d["proc"])
    home = np.empty(n, dtype=np.int64)
    for p in range(len(ref.province_codes)):
        rows = np.flatnonzero(d["province"] == p)
        communes, cum = ref.unit_choice[p, COMMUNE]
        home[rows] = communes[_categorical(rng, cum, rows.size)]
    unit, level = d["unit"], d["level"]
    local = rng.random(n) < 0.9
    in_district = ref.unit_first_commune[unit] + (rng.random(n) * ref.unit_communes[unit]).astype(np.int64)
    home = np.where(local & (level == DISTRICT), in_district, home)
    home = np.where(local & (level == COMMUNE), unit, home)
    setting = ref.unit_setting[home]
    place = np.select(
        [setting == 0, setting == 2],
        [
            _URBAN_LUT[rng.integers(0, len(_URBAN_LUT), n)],
            _HIGHLAND_LUT[rng.integers(0, len(_HIGHLAND_LUT), n)],
        ],
        _RURAL_LUT[rng.integers(0, len(_RURAL_LUT), n)],
    )
    numbered = rng.random(n) < np.where(setting == 0, 0.75, 0.15)
    house = np.where(numbered, _HOUSE_LUT[rng.integers(1, len(_HOUSE_LUT), n)], _HOUSE_LUT[0])
    return house + place + ref.unit_address_tail[home]


def _summaries(proc, name, relative, ref) -> np.ndarray:
    person = ref.summary_person[proc]
    who = np.where(person == 1, name, np.where(person == 2, relative, ""))
    return ref.summary_prefix[proc] + who + ref.summary_suffix[proc]


def _object_lut(values: Sequence[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


_MIDDLE_LUTS = [_object_lut([m for m, _ in MIDDLE_NAMES[s]]) for s in (0, 1)]
_MIDDLE_CUMS = [_cumulative([w for _, w in MIDDLE_NAMES[s]]) for s in (0, 1)]
_GIVEN_LUTS = [_object_lut(GIVEN_NAMES[s]) for s in (0, 1)]
_PHONE_PREFIXES = _object_lut(MOBILE_PREFIXES)
_URBAN_LUT = _object_lut(URBAN_STREETS)
_RURAL_LUT = _object_lut(RURAL_VILLAGES)
_HIGHLAND_LUT = _object_lut(HIGHLAND_VILLAGES)
# Addresses always contain commas, so the field opens with a quote here and the unit tail closes it.
_HOUSE_LUT = _object_lut(['"'] + [f'"Số {k}, ' for k in range(1, 300)])


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------

_STATUS_LUT = _lut(STATUS_NAMES)
_RATING_LUT = _lut(RATING_NAMES)
_CHANNEL_LUT = _lut(["", "1", "2", "3"])
_SMALL_INT_LUT = _lut([str(i) for i in range(10)])
_HALF_DAYS_LUT = _lut([f"{k / 2:g}" for k in range(200)])
_TIME_LUT = _lut([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)])


def _render_chunk(rng, n: int, first: int, rows: int, ref: _Reference, cal: _Calendar) -> dict[str, list[str]]:
    d = _draw_dossiers(rng, n, ref, cal)
    proc, unit = d["proc"], d["unit"]
    closed = d["finished"] >= 0
    fields = {
        "dossier_code": _dossier_codes(ref.unit_code[unit], d["received"], first, rows),
        "procedure_code": ref.proc_code[proc],
        "procedure_name": ref.proc_name[proc],
        "service_level": ref.proc_service_text[proc],
        "province_code": _lut(ref.province_codes)[d["province"]],
        "unit_code": ref.unit_code[unit],
        "unit_name": ref.unit_name[unit],
        "admin_level": _lut(LEVEL_NAMES)[d["level"]],
        "channel": _CHANNEL_LUT[d["channel"]],
        "received_at": _timestamps(d["received"]),
        "due_at": _timestamps(d["due"]),
        "finished_at": np.where(closed, _timestamps(np.where(closed, d["finished"], d["received"])), ""),
        "status": _STATUS_LUT[d["status"]],
        "supplement_count": _SMALL_INT_LUT[d["supplement_count"]],
        "supplement_days": _HALF_DAYS_LUT[(d["supplement_days"] * 2).astype(np.int64)],
        "fee_vnd": ref.proc_fee_text[proc],
        "online_payment": _SMALL_INT_LUT[d["online_payment"]],
        "components_digitized": _SMALL_INT_LUT[d["components_digitized"]],
        "electronic_result": _SMALL_INT_LUT[d["electronic_result"]],
        "paper_result": _SMALL_INT_LUT[ref.proc_paper[proc]],
        "rating": _RATING_LUT[d["rating"]],
        "complaint": _SMALL_INT_LUT[d["complaint"]],
        "updated_at": _timestamps(d["updated"]),
    }
    rendered = {name: (v.tolist() if isinstance(v, np.ndarray) else v) for name, v in fields.items()}
    rendered.update(_draw_applicants(rng, d, ref))
    return rendered


def _day_strings(first_day: int, last_day: int, layout: str) -> np.ndarray:
    iso = np.datetime_as_string(np.arange(first_day, last_day + 1).astype("datetime64[D]"))
    if layout == "dmy":
        return _object_lut([f"{s[8:10]}/{s[5:7]}/{s[0:4]} " for s in iso.tolist()])
    return _object_lut([f"{s[2:4]}{s[5:7]}{s[8:10]}" for s in iso.tolist()])


def _timestamps(seconds: np.ndarray) -> np.ndarray:
    """dd/mm/yyyy HH:MM:SS for epoch seconds of local time."""
    day, time_of_day = np.divmod(seconds, DAY)
    first_day = int(day.min()) if len(day) else 0
    last_day = int(day.max()) if len(day) else 0
    return _day_strings(first_day, last_day, "dmy")[day - first_day] + _TIME_LUT[time_of_day]


def _dossier_codes(unit_codes: np.ndarray, received: np.ndarray, first: int, rows: int) -> list[str]:
    day = received // DAY
    first_day = int(day.min()) if len(day) else 0
    dates = _day_strings(first_day, int(day.max()) if len(day) else 0, "ymd")[day - first_day].tolist()
    width = max(7, len(str(rows)))
    numbers = range(first + 1, first + len(received) + 1)
    return [f"{u}-{d}-{k:0{width}d}" for u, d, k in zip(unit_codes.tolist(), dates, numbers, strict=True)]


# --------------------------------------------------------------------------------------------------
# Deliberate defects
# --------------------------------------------------------------------------------------------------


@dataclass
class _Defects:
    bad: dict[int, int]  # 0-based row -> index into DEFECT_KINDS
    duplicate_source: dict[int, int]  # 0-based row -> row (same chunk) whose dossier code it takes


def _plan_defects(rows: int, bad_rows: int, duplicate_rows: int, seed: int) -> _Defects:
    if bad_rows + duplicate_rows == 0:
        return _Defects({}, {})
    rng = np.random.default_rng([seed, 2])
    chosen = rng.choice(rows, size=bad_rows + duplicate_rows, replace=False)
    bad = {int(r): i % len(DEFECT_KINDS) for i, r in enumerate(np.sort(chosen[:bad_rows]))}
    taken = set(chosen.tolist())
    duplicates = {}
    for row in np.sort(chosen[bad_rows:]).tolist():
        duplicates[row] = _nearby_clean_row(row, rows, taken)
    return _Defects(bad, duplicates)


def _nearby_clean_row(row: int, rows: int, taken: set[int]) -> int:
    """The nearest row of the same chunk that is not itself damaged (chunks are rendered one at a time)."""
    chunk_start = row // CHUNK_ROWS * CHUNK_ROWS
    chunk_end = min(chunk_start + CHUNK_ROWS, rows)
    for distance in range(1, CHUNK_ROWS):
        for candidate in (row - distance, row + distance):
            if chunk_start <= candidate < chunk_end and candidate not in taken:
                return candidate
    raise ValueError(f"no undamaged row left near row {row}; ask for fewer defects")


def _apply_defects(fields: dict[str, list[str]], first: int, n: int, defects: _Defects) -> None:
    for row, kind in defects.bad.items():
        if first <= row < first + n:
            _break_field(fields, row - first, DEFECT_KINDS[kind][1])
    for row, source in defects.duplicate_source.items():
        if first <= row < first + n:
            fields["dossier_code"][row - first] = fields["dossier_code"][source - first]


def _break_field(fields: dict[str, list[str]], i: int, kind: str) -> None:
    year = fields["received_at"][i][6:10]
    if kind == "impossible_date":
        fields["received_at"][i] = f"31/02/{year} 08:00:00"
    elif kind == "iso_date_bad_month":
        fields["received_at"][i] = f"{year}-13-01"
    elif kind == "channel_not_accepted":
        fields["channel"][i] = "9"
    elif kind == "blank_key":
        fields["dossier_code"][i] = ""
    else:
        raise ValueError(kind)


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cds_warehouse.generate",
        description="Write a synthetic portal dossier export (CSV) that follows sources/portal_dossiers.yml.",
    )
    parser.add_argument("out", type=Path, help="CSV file to write")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1), help="YYYY-MM-01")
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--provinces", default="27,06,40", help="comma-separated codes among 27, 06, 40")
    parser.add_argument("--no-bom", dest="bom", action="store_false", help="write UTF-8 without BOM")
    parser.add_argument("--bad-rows", type=int, default=0)
    parser.add_argument("--duplicate-rows", type=int, default=0)
    args = parser.parse_args(argv)
    summary = generate_portal_export(
        args.out,
        args.rows,
        seed=args.seed,
        start=args.start,
        months=args.months,
        provinces=tuple(args.provinces.split(",")),
        bom=args.bom,
        bad_rows=args.bad_rows,
        duplicate_rows=args.duplicate_rows,
    )
    print(f"path     {summary.path}")
    print(f"rows     {summary.rows}")
    print(f"sha256   {summary.sha256}")
    print(f"seconds  {summary.seconds}")
    if summary.bad_rows or summary.duplicate_rows:
        print(f"bad rows {len(summary.bad_rows)}, duplicate codes {len(summary.duplicate_rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
