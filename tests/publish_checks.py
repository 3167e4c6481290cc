"""What `cds publish` writes (cds_warehouse.publish: the open-data package and the scorecard site), checked
on marts dbt really built.

Called at the end of a test that has built them anyway (tests/test_attainment.py, whose fixture holds
computed, published and document figures): building the marts for this alone would cost a minute.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import frictionless
import psycopg
import pytest
from site_browser import pages_in_browser, why_no_browser

from cds_warehouse.publish import cli
from cds_warehouse.publish.labels import read_labels
from cds_warehouse.publish.open_data import publish_open_data
from cds_warehouse.publish.site import STATUS_COLOURS, UNKNOWN_STATUS_COLOUR, publish_site

PERSONAL_FIELDS = ("dossier_code", "applicant_name", "applicant_id_hash", "applicant_phone_hash", "summary")


def check_publish(conn: psycopg.Connection, root: Path, dossiers: list[dict[str, str]]) -> None:
    """`root` is the publish folder: open-data/ and site/ in it."""
    publish_open_data(conn, root / "open-data")
    assert_valid_frictionless_package(root / "open-data")
    assert_province_figures_and_no_single_units_computed_ones(conn, root / "open-data")
    publish_site(conn, root / "site")
    assert_site_shows_the_marts(conn, root / "site")
    assert_points_766_under_the_provinces_that_set_targets(conn, root / "site")
    assert_no_dossier_and_no_personal_value(root, dossiers)
    assert_cds_publish_replaces_both_under_the_same_file_names(root)
    no_browser = why_no_browser()
    if no_browser:
        pytest.skip(f"every check but the browser's passed; the browser's did not run: {no_browser}")
    assert_site_in_a_real_browser_shows_the_marts(conn, root / "site")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def assert_valid_frictionless_package(folder: Path) -> None:
    """Valid by the library of the Frictionless Data specs: schemas, types, primary and foreign keys."""
    report = frictionless.Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])[:20]
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["licenses"][0]["name"] and descriptor["sources"]
    names = {r["name"] for r in descriptor["resources"]}
    families = {f"observations_{p}" for p in ("chinh_quyen_so", "kinh_te_so", "xa_hoi_so")}
    assert {"indicators", "target_attainment", "province_scorecard"} | families <= names
    assert {f"{n}_json" for n in names if not n.endswith("_json")} <= names  # each in both formats
    value = next(f for r in descriptor["resources"] if r["name"] == "observations_chinh_quyen_so"
                 for f in r["schema"]["fields"] if f["name"] == "value")  # fmt: skip
    assert value["type"] == "number" and "percent" in value["description"]  # from the model's YAML


def assert_province_figures_and_no_single_units_computed_ones(conn: psycopg.Connection, folder: Path) -> None:
    in_mart = conn.execute(
        "select observation_key, value, source_kind, unit_code from marts.mart_indicator_timeseries"
        " where pillar = 'chinh_quyen_so' order by observation_key"
    ).fetchall()
    unit_rows = {key for key, _, kind, unit in in_mart if kind == "computed" and unit != "*"}
    assert unit_rows, "the mart has no computed unit rows: their exclusion would not be tested"
    expected = [(key, value) for key, value, _, _ in in_mart if key not in unit_rows]
    published = read_csv(folder / "data" / "observations_chinh_quyen_so.csv")
    assert [(r["observation_key"], Decimal(r["value"])) for r in published] == expected
    assert {r["source_kind"] for r in published} >= {"computed", "published", "document"}
    header, *as_json = json.loads((folder / "data" / "observations_chinh_quyen_so.json").read_text(encoding="utf-8"))
    assert header == list(published[0])  # the CSV's header
    key, value = header.index("observation_key"), header.index("value")
    assert [(r[key], Decimal(str(r[value]))) for r in as_json] == expected
    targets = read_csv(folder / "data" / "target_attainment.csv")
    in_targets = conn.execute("select target_id, status from marts.mart_target_attainment order by target_id")
    assert [(r["target_id"], r["status"]) for r in targets] == in_targets.fetchall()


def assert_no_dossier_and_no_personal_value(folder: Path, dossiers: list[dict[str, str]]) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file())
    for row in dossiers:
        for field in PERSONAL_FIELDS:
            assert row[field] not in text, f"{field} of a dossier is in the open data"


def assert_cds_publish_replaces_both_under_the_same_file_names(root: Path) -> None:
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    (root / "open-data" / "data" / "stale.csv").write_text("left from an older run\n")
    (root / "site" / "stale.html").write_text("left from an older run\n")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["publish", "--out", str(root)])
    args.func(args)
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == names  # staging folders gone too


class Tables(HTMLParser):
    """The tables of a page: each a list of rows, each row its cells' (text, style); and every href."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: list[list[list[tuple[str, str]]]] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None
        self._style = ""
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._style = [], attrs.get("style") or ""
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append((" ".join("".join(self._cell).split()), self._style))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def shown(value) -> str:
    """A mart figure as the Vietnamese pages show it: no padding, decimal comma."""
    return "" if value is None else format(Decimal(value).normalize(), "f").replace(".", ",")


def assert_site_shows_the_marts(conn: psycopg.Connection, site: Path) -> None:
    """Every province of the scorecard has a page in each language; each page's rows are its targets with
    the marts' figures and status (colour included); each chart that is drawn is well-formed SVG; nothing
    is fetched from elsewhere and every link leads to a page of the site."""
    provinces = conn.execute("select distinct province_code from marts.mart_province_scorecard order by 1")
    codes = [c for (c,) in provinces]
    assert len(codes) >= 3
    index = Tables((site / "index.html").read_text(encoding="utf-8"))
    (_, *province_rows), (_, *source_rows) = index.tables
    assert len(province_rows) == len(codes)
    assert {f"province-{code}.html" for code in codes} <= set(index.links)
    per_province = dict(conn.execute("select province_code, count(*) from marts.mart_target_attainment group by 1"))
    assert [int(row[1][0]) for row in province_rows] == [per_province[code] for code in codes]
    freshness = conn.execute(
        "select source, max(period_end)::text from marts.mart_indicator_timeseries group by 1 order by 1"
    ).fetchall()
    assert sorted((row[1][0], row[3][0]) for row in source_rows) == freshness
    targets = conn.execute(
        "select province_code, target_id, actual_value, gap, projected_value, status from marts.mart_target_attainment"
        " order by province_code, pillar, deadline_year, indicator_code, admin_level, target_id"
    ).fetchall()
    labels = {names["vi"]: code for (code_type, code), names in read_labels(conn).items() if code_type == "status"}
    charts = 0
    for code in codes:
        page = (site / f"province-{code}.html").read_text(encoding="utf-8")
        assert (site / "en" / f"province-{code}.html").exists()
        _, *rows = Tables(page).tables[0]
        mine = [t for t in targets if t[0] == code]
        assert len(rows) == len(mine) > 0
        for row, (_, _, actual, gap, projected, status) in zip(rows, mine, strict=True):
            assert [row[4][0], row[6][0], row[7][0]] == [shown(actual), shown(gap), shown(projected)]
            assert labels[row[8][0]] == status and STATUS_COLOURS.get(status, UNKNOWN_STATUS_COLOUR) in row[8][1]
        for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
            ET.fromstring(svg)  # well-formed
            assert "<polyline" in svg and "stroke-dasharray" in svg  # the series and the target line
            charts += 1
    assert charts > 0, "no chart drawn: the charts would not be tested"
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script|<link|<img|src=|url\(", text), f"{page} loads something"
        for link in Tables(text).links:
            if link.startswith("#"):
                assert f'id="{link[1:]}"' in text, f"{page}: {link} leads nowhere"
            else:
                assert (page.parent / link).resolve().is_file(), f"{page}: {link} leads nowhere"


def assert_points_766_under_the_provinces_that_set_targets(conn: psycopg.Connection, site: Path) -> None:
    """Each province page's 766 table holds, per 766 indicator, the latest points of the province's own unit
    or, from the merger on, of its successor; never a figure of another unit that had the successor's code
    before (Bắc Giang's 24 under Bắc Ninh 27)."""
    shown_somewhere = 0
    for (code,) in conn.execute("select distinct province_code from marts.mart_province_scorecard order by 1"):
        page = Tables((site / f"province-{code}.html").read_text(encoding="utf-8"))
        if len(page.tables) < 2:
            continue  # no 766 points for this province: the page says so instead of a table
        _, *rows = page.tables[1]
        for row in rows:
            name, points, period, territory, basis = row[1][0], row[2][0], row[3][0], row[4][0], row[5][0]
            period_end = period.split(" – ")[1]
            unit_of_the_figure = conn.execute(
                """
                select o.province_code, o.province_unit_key from marts.mart_indicator_timeseries o
                where o.indicator_name_vi = %s and o.period_end = %s and o.unit = 'points' and o.unit_code = '*'
                    and o.admin_level = 'all' and o.province_name = %s
                """,
                [name, period_end, territory],
            ).fetchall()
            assert unit_of_the_figure, f"province {code}: {name} {period} {territory} is not a mart figure"
            home_or_successor = conn.execute(
                """
                select 1 from marts.dim_admin_unit home
                left join marts.bridge_admin_unit_succession b on b.predecessor_unit_key = home.unit_key
                where home.level = 'province' and home.unit_code = %s
                    and home.valid_from = (select min(valid_from) from marts.dim_admin_unit
                                           where level = 'province' and unit_code = %s)
                    and %s in (home.unit_key, b.successor_unit_key)
                """,
                [code, code, unit_of_the_figure[0][1]],
            ).fetchone()
            assert home_or_successor, f"province {code} shows the 766 points of {unit_of_the_figure[0]}"
            later = conn.execute(
                "select max(period_end)::text from marts.mart_indicator_timeseries where indicator_name_vi = %s"
                " and unit = 'points' and unit_code = '*' and admin_level = 'all' and province_unit_key = %s",
                [name, unit_of_the_figure[0][1]],
            ).fetchone()[0]
            assert later == period_end, f"province {code}: {name} is not the latest points ({later})"
            value, basis_label = conn.execute(
                "select o.value, l.label_vi from marts.mart_indicator_timeseries o"
                " join marts.dim_code_label l on l.code_type = 'scoring_basis' and l.code = o.scoring_basis_766"
                " where o.indicator_name_vi = %s and o.period_end = %s and o.unit = 'points' and o.unit_code = '*'"
                " and o.admin_level = 'all' and o.province_unit_key = %s",
                [name, period_end, unit_of_the_figure[0][1]],
            ).fetchone()
            assert points == shown(value)
            assert basis == basis_label  # how the points were established: official, secondary, assumption
            shown_somewhere += 1
    assert shown_somewhere > 0, "no 766 points on any page: the table would not be tested"


def assert_site_in_a_real_browser_shows_the_marts(conn: psycopg.Connection, site: Path) -> None:
    """Every page loads in Chromium without a console or page error; each chart renders (an SVG with a
    width, its series, points and dashed target line); the numbers the browser shows equal the marts."""
    pages = pages_in_browser(site)
    assert set(pages) == {str(p.relative_to(site)) for p in site.rglob("*.html")}
    for name, page in pages.items():
        assert page["errors"] == [], f"{name}: {page['errors']}"
        assert page["title"]
        for chart in page["charts"]:
            assert chart["width"] > 0 and chart["series"] >= 1 and chart["points"] >= 1 and chart["dashed"] >= 1
    targets = conn.execute(
        "select province_code, actual_value, gap, projected_value, status from marts.mart_target_attainment"
        " order by province_code, pillar, deadline_year, indicator_code, admin_level, target_id"
    ).fetchall()
    labels = read_labels(conn)
    drawn = 0
    for code in sorted({t[0] for t in targets}):
        vi, en = pages[f"province-{code}.html"], pages[f"en/province-{code}.html"]
        _, *rows = vi["tables"][0]
        _, *rows_en = en["tables"][0]
        mine = [t for t in targets if t[0] == code]
        assert len(rows) == len(rows_en) == len(mine)
        for row, row_en, (_, actual, gap, projected, status) in zip(rows, rows_en, mine, strict=True):
            assert [row[4], row[6], row[7]] == [shown(actual), shown(gap), shown(projected)]
            assert [row_en[4], row_en[6], row_en[7]] == [shown(v).replace(",", ".") for v in (actual, gap, projected)]
            assert (row[8], row_en[8]) == (labels[("status", status)]["vi"], labels[("status", status)]["en"])
        with_actual = sum(1 for t in mine if t[1] is not None)
        assert len(vi["charts"]) <= with_actual
        drawn += len(vi["charts"])
    assert drawn > 0, "no chart rendered in the browser"
