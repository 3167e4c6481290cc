"""The generator's model: codes, rates and their trends, office hours, the period it can cover."""

from __future__ import annotations

from datetime import date

import numpy as np

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

EARLIEST_START = date(2022, 1, 1)
REORGANIZATION = date(2025, 7, 1)  # district level abolished (Resolution 202/2025/QH15)
DAY = 86_400
