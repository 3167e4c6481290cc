"""The scorecard site: static HTML pages of the target attainment, Vietnamese by default, English beside it.

An index of the provinces (as set in the targets, from marts.mart_province_scorecard) and one page per
province: its targets from marts.mart_target_attainment with status, gap and projection, colour-coded by
status, the source document and its quoted sentence, and a chart per target that has an actual (the series
the actual was taken from, the target line and the projection to the deadline), and its latest 766 points
by group. Coded values (statuses, levels, units, source kinds) show their labels from marts.dim_code_label.
What the pages show is read by publish/site_data.py. Charts are SVG written here and styles are inline:
nothing is fetched, and the pages work from file:// or any static web server.

The folder is replaced whole (publish/folders.py), as the open-data package is.
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

from cds_warehouse.publish import site_data
from cds_warehouse.publish.folders import publish_root, replaced_whole
from cds_warehouse.publish.labels import Labels, label, read_labels
from cds_warehouse.publish.svg_chart import Series, line_chart

LANGUAGES = ("vi", "en")  # the first is the default, at the site's root; the others in a folder of their name
STATUS_COLOURS = {  # background of a status cell; the text stays black for contrast
    "achieved": "#b7e1b0",
    "on_track": "#d9f0c8",
    "at_risk": "#fde9a9",
    "off_track": "#f8c9a0",
    "missed": "#f2a7a7",
    "no_data_at_deadline": "#d6c8e8",
    "not_enough_data": "#ededed",
    "no_data": "#e4e4e4",
}
UNKNOWN_STATUS_COLOUR = "#ffffff"  # a status the site does not know yet shows uncoloured, with its label
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
        "decimal": ",",
        "points_766": "Điểm theo Quyết định 766, theo nhóm",
        "group_766": "Nhóm",
        "points": "Điểm",
        "territory": "Địa bàn",
        "no_points": "Chưa có điểm 766.",
        "scoring_basis": "Cách chấm điểm",
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
        "decimal": ".",
        "points_766": "Decision 766 points, by group",
        "group_766": "Group",
        "points": "Points",
        "territory": "Territory",
        "no_points": "No 766 points yet.",
        "scoring_basis": "How it is scored",
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


def publish_site(conn: psycopg.Connection, folder: Path | None = None) -> Path:
    """Write the site to `folder` (default: $CDS_PUBLISH_DIR/site), replacing what was there."""
    folder = Path(folder or publish_root() / "site")
    with replaced_whole(folder) as staging:
        labels = read_labels(conn)
        provinces = site_data.provinces(conn)
        freshness = site_data.freshness(conn)
        targets = site_data.targets(conn)
        series = site_data.series(conn)
        points = site_data.points_766(conn)
        for lang in LANGUAGES:
            root = staging if lang == LANGUAGES[0] else staging / lang
            root.mkdir(exist_ok=True)
            (root / "index.html").write_text(_index_page(provinces, freshness, labels, lang), encoding="utf-8")
            for p in provinces:
                page = _province_page(p, targets[p.code], series, points[p.code], labels, lang)
                (root / f"province-{p.code}.html").write_text(page, encoding="utf-8")
    return folder


def _statuses(provinces: list[site_data.Province]) -> list[str]:
    """The statuses of the index's columns: those with a colour, then any other the marts hold."""
    seen = {status for p in provinces for status in p.counts}
    return [*STATUS_COLOURS, *sorted(seen - STATUS_COLOURS.keys())]


def _index_page(provinces: list[site_data.Province], freshness: list[tuple], labels: Labels, lang: str) -> str:
    w = WORDS[lang]
    statuses = _statuses(provinces)
    head = [w["province"], w["targets"], *(label(labels, "status", s, lang) for s in statuses)]
    head += [w["score"], w["coverage"], w["as_of"]]
    rows = []
    for p in provinces:
        cells = [
            f'<td><a href="province-{_e(p.code)}.html">{_e(p.name)}</a></td>',
            _number_cell(sum(p.counts.values()), lang),
            *(f'<td class="number" style="background:{_colour(s)}">{p.counts.get(s, 0)}</td>' for s in statuses),
            _number_cell(p.score, lang),
            _number_cell(p.coverage, lang),
            f"<td>{_date(p.as_of)}</td>",
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    sources = [
        f"<tr><td>{_e(label(labels, 'source_kind', kind, lang))}</td><td>{_e(source)}</td>"
        f"<td>{_date(first)}</td><td>{_date(last)}</td>"
        f"{_number_cell(count, lang)}</tr>"
        for kind, source, first, last, count in freshness
    ]
    sources_head = [w["source_kind"], w["source"], w["first_period"], w["last_period"], w["observations"]]
    body = (
        f"<h1>{_e(w['title'])}</h1>\n<h2>{_e(w['provinces'])}</h2>\n{_table(head, rows)}\n"
        f"<h2>{_e(w['freshness'])}</h2>\n{_table(sources_head, sources)}"
    )
    return _page(w["title"], body, lang, "index.html")


def _province_page(
    province: site_data.Province, targets: list[dict], series: dict, points: list[tuple], labels: Labels, lang: str
) -> str:
    w = WORDS[lang]
    name_field = "indicator_name_vi" if lang == "vi" else "indicator_name_en"
    head = [w["indicator"], w["level"], w["deadline"], w["target"], w["actual"], w["period"], w["gap"]]
    head += [w["projection"], w["status"], w["source"]]
    rows, charts = [], []
    for t in targets:
        anchor = f"t-{t['target_id']}"
        status, unit = t["status"], label(labels, "unit", t["unit"], lang)
        cells = [
            f'<td><a href="#{_e(anchor)}">{_e(t[name_field] or t["indicator_code"])}</a></td>',
            f"<td>{_e(label(labels, 'admin_level', t['admin_level'], lang))}</td>",
            f"<td>{_date(t['deadline_date'])}</td>",
            f'<td class="number">{_e(t["comparator"])} {_number(t["target_value"], lang)} {_e(unit)}</td>',
            _number_cell(t["actual_value"], lang),
            f"<td>{_date(t['actual_period_start'])} – {_date(t['actual_period_end'])}</td>"
            if t["actual_period_end"]
            else "<td></td>",
            _number_cell(t["gap"], lang),
            _number_cell(t["projected_value"], lang),
            f'<td style="background:{_colour(status)}">{_e(label(labels, "status", status, lang))}</td>',
            f"<td>{_e(t['source_file'] or '')}<blockquote>{_e(t['source_quote'] or '')}</blockquote></td>",
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
        charts.append(_target_chart(t, series, anchor, name_field, labels, lang))
    as_of = f"<p>{_e(w['as_of'])}: {_date(province.as_of)}</p>"
    body = f"<h1>{_e(province.name)}</h1>\n{as_of}\n{_table(head, rows)}\n{_points_table(points, labels, lang)}\n"
    body += "\n".join(charts)
    nav_back = f'<a href="index.html">{_e(w["back"])}</a>'
    return _page(f"{province.name} — {w['title']}", body, lang, f"province-{province.code}.html", nav_back)


def _points_table(points: list[tuple], labels: Labels, lang: str) -> str:
    """The latest 766 points per group (item_766) and indicator, with the period and the unit they are of, and
    how their scoring was established (official, secondary source, project assumption)."""
    w = WORDS[lang]
    heading = f'<h2 id="points-766">{_e(w["points_766"])}</h2>'
    if not points:
        return f"{heading}\n<p>{_e(w['no_points'])}</p>"
    head = [w["group_766"], w["indicator"], w["points"], w["period"], w["territory"], w["scoring_basis"]]
    rows = [
        f"<tr><td>{_e(group or '')}</td><td>{_e((name_vi if lang == 'vi' else name_en) or code)}</td>"
        f"{_number_cell(value, lang)}<td>{_date(start)} – {_date(end)}</td><td>{_e(territory or '')}</td>"
        f"<td>{_e(label(labels, 'scoring_basis', basis, lang))}</td></tr>"
        for group, code, name_vi, name_en, start, end, value, territory, basis in points
    ]
    return f"{heading}\n{_table(head, rows)}"


def _target_chart(t: dict, series: dict, anchor: str, name_field: str, labels: Labels, lang: str) -> str:
    w = WORDS[lang]
    level = label(labels, "admin_level", t["admin_level"], lang)
    title = f"{t[name_field] or t['indicator_code']} ({level}, {t['deadline_year']})"
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


def _colour(status: str) -> str:
    return STATUS_COLOURS.get(status, UNKNOWN_STATUS_COLOUR)


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
