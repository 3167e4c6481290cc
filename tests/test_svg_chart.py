"""The scorecard site's SVG chart (cds_warehouse.publish.svg_chart): where its marks land."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal as D

from cds_warehouse.publish.svg_chart import BOTTOM, HEIGHT, LEFT, RIGHT, WIDTH, Series, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def points(polyline: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in polyline.get("points").split()]


def test_series_target_and_projection_land_where_their_dates_and_values_say():
    series = Series("Số liệu", [(date(2024, 1, 1), D(40)), (date(2024, 7, 1), D("62.5"))])
    projection = Series("Dự báo", [(date(2024, 7, 1), D("62.5")), (date(2025, 1, 1), D(85))])
    svg = ET.fromstring(
        line_chart("Tỷ lệ", series, target=("Chỉ tiêu", D(80), date(2025, 1, 1)), projection=projection, decimal=",")
    )
    lines = svg.findall(f"{SVG}polyline")
    assert [line.find(f"{SVG}title").text for line in lines] == ["Dự báo", "Số liệu"]
    (p0, p1), (s0, s1) = points(lines[0]), points(lines[1])
    assert s0[0] == LEFT and p1[0] == WIDTH - RIGHT  # the first observation to the deadline
    assert s1 == p0  # the projection starts at the last actual
    assert s0[1] > s1[1] > p1[1]  # higher values are drawn higher
    zero_y = HEIGHT - BOTTOM
    assert abs((zero_y - s1[1]) / (zero_y - s0[1]) - 62.5 / 40) < 0.01  # from zero, in proportion
    target = next(line for line in svg.findall(f"{SVG}line") if line.get("stroke-dasharray"))
    assert float(target.get("x2")) == WIDTH - RIGHT
    assert abs((zero_y - float(target.get("y1"))) / (zero_y - s0[1]) - 2) < 0.01  # 80 is twice 40
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert "80" in labels and "2024" in labels and "2025" in labels
    assert [c.find(f"{SVG}title").text for c in svg.findall(f"{SVG}circle")] == ["2024-01-01: 40", "2024-07-01: 62,5"]


def test_a_single_observation_on_its_deadline_still_draws():
    series = Series("x", [(date(2025, 6, 30), D(0))])
    svg = ET.fromstring(line_chart("t", series, target=("t", D(0), date(2025, 6, 30))))
    ((x, y),) = points(svg.find(f"{SVG}polyline"))
    assert x == LEFT and y == HEIGHT - BOTTOM
