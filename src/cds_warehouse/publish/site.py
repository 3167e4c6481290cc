"""The scorecard site: static HTML pages of the target attainment, Vietnamese by default, English beside it.

An index of the provinces (as set in the targets, from marts.mart_province_scorecard) and one page per
province: its targets from marts.mart_target_attainment with status, gap and projection, colour-coded by
status, the source document and its quoted sentence, and a chart per target that has an actual (the series
the actual was taken from, the target line and the projection to the deadline). Charts are SVG written here
and styles are inline: nothing is fetched, and the pages work from file:// or any static web server.

The folder is replaced whole (publish/folders.py), as the open-data package is.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from cds_warehouse.publish.folders import publish_root, replaced_whole
from cds_warehouse.publish.svg_chart import Series, line_chart

LANGUAGES = ("vi", "en")  # the first is the default, at the site's root; the others in a folder of their name
STATUS_COLOURS = {  # background of a status cell; the text stays black for contrast
    "achieved": "#b7e1b0",
    "on_track": "#d9f0c8",
    "at_risk": "#fde9a9",
    "off_track": "#f8c9a0",
    "missed": "#f2a7a7",
    "no_data_at_deadline": "#d3d3e8",
    "not_enough_data": "#ededed",
    "no_data": "#e4e4e4",
}
WORDS = {
    "vi": {
        "title": "Bảng theo dõi chỉ tiêu chuyển đổi số",
        "provinces": "Các tỉnh",
        "province": "Tỉnh",
        "targets": "Chỉ tiêu",
        "score": "Điểm (%)",
        "coverage": "Có số liệu (%)",
        "indicator": "Chỉ số",
        "level": "Cấp",
        "deadline": "Hạn",
        "target": "Chỉ tiêu",
        "actual": "Thực hiện",
        "period": "Kỳ số liệu",
        "gap": "Chênh lệch",
        "projection": "Dự báo đến hạn",
        "status": "Trạng thái",
        "source": "Văn bản",
        "as_of": "Số liệu đến ngày",
        "no_chart": "Chưa có số liệu để vẽ biểu đồ.",
        "series": "Số liệu",
        "other": "English",
        "back": "Về danh sách tỉnh",
        "freshness": "Số liệu theo nguồn",
        "source_kind": "Loại nguồn",
        "first_period": "Từ kỳ",
        "last_period": "Đến hết ngày",
        "observations": "Số quan sát",
        "achieved": "Đã đạt",
        "on_track": "Đúng tiến độ",
        "at_risk": "Có nguy cơ",
        "off_track": "Chậm tiến độ",
        "missed": "Không đạt",
        "no_data_at_deadline": "Chưa có số liệu đến hạn",
        "not_enough_data": "Chưa đủ số liệu",
        "no_data": "Chưa có số liệu",
        "decimal": ",",
        "province_level": "Cấp tỉnh",
        "district_level": "Cấp huyện",
        "commune_level": "Cấp xã",
        "all_level": "Mọi cấp",
    },
    "en": {
        "title": "Digital-transformation targets scorecard",
        "provinces": "Provinces",
        "province": "Province",
        "targets": "Targets",
        "score": "Score (%)",
        "coverage": "With data (%)",
        "indicator": "Indicator",
        "level": "Level",
        "deadline": "Deadline",
        "target": "Target",
        "actual": "Actual",
        "period": "Period",
        "gap": "Gap",
        "projection": "Projection to the deadline",
        "status": "Status",
        "source": "Document",
        "as_of": "Data as of",
        "no_chart": "No data to chart yet.",
        "series": "Observations",
        "other": "Tiếng Việt",
        "back": "Back to the provinces",
        "freshness": "Data by source",
        "source_kind": "Kind of source",
        "first_period": "From",
        "last_period": "Up to",
        "observations": "Observations",
        "achieved": "Achieved",
        "on_track": "On track",
        "at_risk": "At risk",
        "off_track": "Off track",
        "missed": "Missed",
        "no_data_at_deadline": "No data up to the deadline",
        "not_enough_data": "Not enough data",
        "no_data": "No data",
        "decimal": ".",
        "province_level": "Province",
        "district_level": "District",
        "commune_level": "Commune",
        "all_level": "All levels",
    },
}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #111; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.5rem; vertical-align: top; text-align: left; }
td.number { text-align: right; white-space: nowrap; }
blockquote { margin: 0.2rem 0 0; font-size: 0.85em; color: #444; }
figure { margin: 0.5rem 0 1.5rem; }
nav { margin-bottom: 1rem; }
""".strip()


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    as_of: date | None
    counts: dict[str, int]  # status -> targets, over every pillar and deadline
    score: Decimal | None  # the scorecard's score over every group: achieved or on track / with data
    coverage: Decimal | None


def publish_site(conn: psycopg.Connection, folder: Path | None = None) -> Path:
    """Write the site to `folder` (default: $CDS_PUBLISH_DIR/site), replacing what was there."""
    folder = Path(folder or publish_root() / "site")
    with replaced_whole(folder) as staging:
        provinces = _provinces(conn)
        freshness = _freshness(conn)
        targets = _targets(conn)
        series = _series(conn)
        for lang in LANGUAGES:
            root = staging if lang == LANGUAGES[0] else staging / lang
            root.mkdir(exist_ok=True)
            (root / "index.html").write_text(_index_page(provinces, freshness, lang), encoding="utf-8")
            for province in provinces:
                page = _province_page(province, targets[province.code], series, lang)
                (root / f"province-{province.code}.html").write_text(page, encoding="utf-8")
    return folder


def _provinces(conn: psycopg.Connection) -> list[Province]:
    """Each province of the scorecard, its targets counted by status and its score over every group (sums of
    the scorecard's weights, as the scorecard computes each group's)."""
    rows = conn.execute(
        """
        select province_code, max(province_name), max(as_of_date),
            sum(achieved_count), sum(on_track_count), sum(at_risk_count), sum(off_track_count),
            sum(missed_count), sum(no_data_at_deadline_count), sum(not_enough_data_count), sum(no_data_count),
            round(100 * (sum(weight_achieved) + sum(weight_on_track)) / nullif(sum(weight_with_data), 0), 1),
            round(100 * sum(weight_with_data) / nullif(sum(weight_total), 0), 1)
        from marts.mart_province_scorecard
        group by province_code
        order by province_code
        """
    ).fetchall()
    return [
        Province(code, name, as_of, dict(zip(STATUS_COLOURS, counts, strict=True)), score, coverage)
        for code, name, as_of, *counts, score, coverage in rows
    ]


def _freshness(conn: psycopg.Connection) -> list[tuple]:
    """Per source of the observations: its kind, name, first period start, last period end, observations."""
    return conn.execute(
        "select source_kind, source, min(period_start), max(period_end), count(*)"
        " from marts.mart_indicator_timeseries group by source_kind, source order by source_kind, source"
    ).fetchall()


def _targets(conn: psycopg.Connection) -> dict[str, list[dict]]:
    by_province: dict[str, list[dict]] = defaultdict(list)
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            "select * from marts.mart_target_attainment order by province_code, pillar, deadline_year,"
            " indicator_code, admin_level, target_id"
        )
        for row in cursor:
            by_province[row["province_code"]].append(row)
    return by_province


def _series(conn: psycopg.Connection) -> dict[tuple, list[tuple[date, Decimal]]]:
    """The observations a target's actual can come from, keyed as the attainment names them: (indicator,
    province, unit, level, source kind, source, method, period type) -> [(period end, value)] in time order."""
    rows = conn.execute(
        """
        select indicator_code, province_code, unit_code, admin_level, source_kind, source, method, period_type,
            period_end, value
        from marts.mart_indicator_timeseries
        where observation_key in (
            select o.observation_key
            from marts.mart_indicator_timeseries o
            join marts.mart_target_attainment t
                on o.indicator_code = t.indicator_code
                and o.province_code = t.evaluation_province_code
                and o.source_kind = t.actual_source_kind
                and o.source = t.actual_source
                and o.method = t.actual_method
                and o.admin_level = t.admin_level
                and o.period_type = t.actual_period_type
                and o.unit_code = '*'
        )
        order by period_end, period_start
        """
    ).fetchall()
    series: dict[tuple, list[tuple[date, Decimal]]] = defaultdict(list)
    for *key, period_end, value in rows:
        series[tuple(key)].append((period_end, value))
    return series


def _index_page(provinces: list[Province], freshness: list[tuple], lang: str) -> str:
    w = WORDS[lang]
    head = [w["province"], w["targets"], *(w[s] for s in STATUS_COLOURS), w["score"], w["coverage"], w["as_of"]]
    rows = []
    for p in provinces:
        cells = [
            f'<td><a href="province-{_e(p.code)}.html">{_e(p.name)}</a></td>',
            _number_cell(sum(p.counts.values()), lang),
            *(f'<td class="number" style="background:{STATUS_COLOURS[s]}">{p.counts[s]}</td>' for s in STATUS_COLOURS),
            _number_cell(p.score, lang),
            _number_cell(p.coverage, lang),
            f"<td>{_date(p.as_of)}</td>",
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    sources = [
        f"<tr><td>{_e(kind)}</td><td>{_e(source)}</td><td>{_date(first)}</td><td>{_date(last)}</td>"
        f"{_number_cell(count, lang)}</tr>"
        for kind, source, first, last, count in freshness
    ]
    sources_head = [w["source_kind"], w["source"], w["first_period"], w["last_period"], w["observations"]]
    body = (
        f"<h1>{_e(w['title'])}</h1>\n<h2>{_e(w['provinces'])}</h2>\n{_table(head, rows)}\n"
        f"<h2>{_e(w['freshness'])}</h2>\n{_table(sources_head, sources)}"
    )
    return _page(w["title"], body, lang, "index.html")


def _province_page(province: Province, targets: list[dict], series: dict, lang: str) -> str:
    w = WORDS[lang]
    name_field = "indicator_name_vi" if lang == "vi" else "indicator_name_en"
    head = [w["indicator"], w["level"], w["deadline"], w["target"], w["actual"], w["period"], w["gap"]]
    head += [w["projection"], w["status"], w["source"]]
    rows, charts = [], []
    for t in targets:
        anchor = f"t-{t['target_id']}"
        status = t["status"]
        cells = [
            f'<td><a href="#{_e(anchor)}">{_e(t[name_field] or t["indicator_code"])}</a></td>',
            f"<td>{_e(w[t['admin_level'] + '_level'])}</td>",
            f"<td>{_date(t['deadline_date'])}</td>",
            f'<td class="number">{_e(t["comparator"])} {_number(t["target_value"], lang)} {_e(t["unit"] or "")}</td>',
            _number_cell(t["actual_value"], lang),
            f"<td>{_date(t['actual_period_start'])} – {_date(t['actual_period_end'])}</td>"
            if t["actual_period_end"]
            else "<td></td>",
            _number_cell(t["gap"], lang),
            _number_cell(t["projected_value"], lang),
            f'<td style="background:{STATUS_COLOURS[status]}">{_e(w[status])}</td>',
            f"<td>{_e(t['source_file'] or '')}<blockquote>{_e(t['source_quote'] or '')}</blockquote></td>",
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
        charts.append(_target_chart(t, series, anchor, name_field, lang))
    as_of = f"<p>{_e(w['as_of'])}: {_date(province.as_of)}</p>"
    body = f"<h1>{_e(province.name)}</h1>\n{as_of}\n{_table(head, rows)}\n" + "\n".join(charts)
    nav_back = f'<a href="index.html">{_e(w["back"])}</a>'
    return _page(f"{province.name} — {w['title']}", body, lang, f"province-{province.code}.html", nav_back)


def _target_chart(t: dict, series: dict, anchor: str, name_field: str, lang: str) -> str:
    w = WORDS[lang]
    title = f"{t[name_field] or t['indicator_code']} ({w[t['admin_level'] + '_level']}, {t['deadline_year']})"
    key = (
        t["indicator_code"], t["evaluation_province_code"], "*", t["admin_level"],
        t["actual_source_kind"], t["actual_source"], t["actual_method"], t["actual_period_type"],
    )  # fmt: skip
    points = series.get(key, []) if t["actual_value"] is not None else []
    if not points:
        return f'<figure id="{_e(anchor)}"><figcaption>{_e(title)}</figcaption><p>{_e(w["no_chart"])}</p></figure>'
    projection = None
    if t["projected_value"] is not None:
        projection = Series(
            w["projection"], [(t["actual_period_end"], t["actual_value"]), (t["deadline_date"], t["projected_value"])]
        )
    svg = line_chart(
        title,
        Series(w["series"], points),
        target=(w["target"], t["target_value"], t["deadline_date"]),
        projection=projection,
        decimal=w["decimal"],
    )
    return f'<figure id="{_e(anchor)}"><figcaption>{_e(title)}</figcaption>{svg}</figure>'


def _page(title: str, body: str, lang: str, name: str, extra_nav: str = "") -> str:
    """A whole page, with a link to the same page in the other language."""
    other = LANGUAGES[1] if lang == LANGUAGES[0] else LANGUAGES[0]
    href = f"{other}/{name}" if lang == LANGUAGES[0] else f"../{name}"
    nav = f'<nav>{extra_nav} <a href="{href}" hreflang="{other}">{_e(WORDS[lang]["other"])}</a></nav>'
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
        f"<style>\n{STYLE}\n</style>\n</head>\n<body>\n{nav}\n{body}\n</body>\n</html>\n"
    )


def _table(head: list[str], rows: list[str]) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    return f"<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"


def _number(value: Decimal | int | None, lang: str) -> str:
    """The figure without the marts' padding (87.0000 reads 87), with the language's decimal mark."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return _e(text.replace(".", WORDS[lang]["decimal"]))


def _number_cell(value: Decimal | int | None, lang: str) -> str:
    return f'<td class="number">{_number(value, lang)}</td>'


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
