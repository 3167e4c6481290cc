"""The benchmark's records: one JSON per N in docs/bench/, the README's table and the plot of time and
memory against N, both written from the records (`cds bench --record`, `cds bench --report-only`)."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RECORDS_DIR = ROOT / "docs" / "bench"
PLOT = RECORDS_DIR / "bench.svg"
README = ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- bench table: written by cds bench --record -->", "<!-- end of bench table -->"
PLOTTED = {  # stage: colour
    "psql_copy": "#6a6a6a",
    "file_load": "#1f5fa8",
    "api_load": "#7b3fa0",
    "dbt_full": "#b03030",
    "dbt_nightly": "#2e8b57",
    "day_load": "#c08000",
    "nightly_dag": "#000000",
}


def record(result: dict, folder: Path = RECORDS_DIR) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench_{result['rows']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def records(folder: Path = RECORDS_DIR) -> list[dict]:
    """Every recorded run, by N."""
    found = [json.loads(p.read_text()) for p in folder.glob("bench_*.json")]
    return sorted(found, key=lambda r: r["rows"])


def table(runs: list[dict]) -> str:
    """The README's table: one row per N."""
    lines = [
        "| N dossiers | measured | CSV MB | `\\copy` s | file load s | ratio to `\\copy` | file load RSS MB |"
        " API versions/s | API client RSS MB | dbt full build s | day load s | nightly dbt s | dbt start-up s |"
        " scheduled night s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        s = {stage["stage"]: stage for stage in run["stages"]}
        api = s.get("api_load", {})
        lines.append(
            f"| {run['rows']:,} | {run.get('date', '?')} | {run['file_mb']:,.0f} | {s['psql_copy']['seconds']:,.1f}"
            f" | {s['file_load']['seconds']:,.1f} | {run['file_load_vs_copy_limit']:.2f}"
            f" | {s['file_load']['peak_rss_mb']:,.0f} | {api.get('rows_per_s') or 0:,}"
            f" | {api.get('peak_rss_mb', 0):,.0f} | {s['dbt_full']['seconds']:,.1f} | {s['day_load']['seconds']:,.1f}"
            f" | {s['dbt_nightly']['seconds']:,.1f} | {s['dbt_noop']['seconds']:,.1f}"
            f" | {s['nightly_dag']['seconds']:,.1f} |"
        )
    return "\n".join(lines)


def update_readme(runs: list[dict], readme: Path = README) -> None:
    text = readme.read_text()
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    readme.write_text(text[:start] + "\n" + table(runs) + "\n" + text[end:])


def plot(runs: list[dict]) -> str:
    """Two log-log panels side by side: seconds per stage against N, and peak RSS per stage against N."""
    panels = [
        _panel(runs, "seconds", "wall time (s)", x_offset=0),
        _panel(runs, "peak_rss_mb", "peak RSS (MB)", x_offset=PANEL_WIDTH),
    ]
    legend = "".join(
        f'<rect x="{12 + i * 128}" y="{HEIGHT - 18}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{26 + i * 128}" y="{HEIGHT - 9}" font-size="11">{stage}</text>'
        for i, (stage, colour) in enumerate(PLOTTED.items())
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * PANEL_WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {2 * PANEL_WIDTH} {HEIGHT}" font-family="sans-serif">'
        '<rect width="100%" height="100%" fill="white"/>' + "".join(panels) + legend + "</svg>\n"
    )


PANEL_WIDTH, HEIGHT = 460, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 58


def _panel(runs: list[dict], measure: str, title: str, x_offset: int) -> str:
    series = {
        stage: [(run["rows"], s[measure]) for run in runs for s in run["stages"] if s["stage"] == stage]
        for stage in PLOTTED
    }
    xs = [n for points in series.values() for n, _ in points]
    ys = [v for points in series.values() for _, v in points if v]
    if not xs or not ys:
        return ""
    x_lo, x_hi = _decades(min(xs), max(xs))
    y_lo, y_hi = _decades(min(ys), max(ys))

    def x(n: float) -> float:
        return x_offset + LEFT + (math.log10(n) - x_lo) / (x_hi - x_lo) * (PANEL_WIDTH - LEFT - RIGHT)

    def y(v: float) -> float:
        return TOP + (y_hi - math.log10(v)) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM)

    marks = [f'<text x="{x_offset + LEFT}" y="16" font-size="13">{html.escape(title)} against N (log-log)</text>']
    for decade in range(x_lo, x_hi + 1):
        marks.append(_tick(x(10**decade), HEIGHT - BOTTOM + 14, _short(10**decade), "middle"))
    for decade in range(y_lo, y_hi + 1):
        marks.append(
            f'<line x1="{x(10**x_lo):.1f}" x2="{x(10**x_hi):.1f}" y1="{y(10**decade):.1f}"'
            f' y2="{y(10**decade):.1f}" stroke="#ddd"/>'
        )
        marks.append(_tick(x_offset + LEFT - 6, y(10**decade) + 4, _short(10**decade), "end"))
    for stage, points in series.items():
        points = [(n, v) for n, v in points if v]  # no RSS for the scheduled night (many processes)
        if not points:
            continue
        coords = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in points)
        marks.append(f'<polyline fill="none" stroke="{PLOTTED[stage]}" stroke-width="2" points="{coords}"/>')
        marks += [
            f'<circle cx="{x(n):.1f}" cy="{y(v):.1f}" r="3" fill="{PLOTTED[stage]}"><title>{stage}, N = {n:,}:'
            f" {v:,}</title></circle>"
            for n, v in points
        ]
    return "".join(marks)


def _decades(lo: float, hi: float) -> tuple[int, int]:
    low, high = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    return low, max(high, low + 1)


def _short(value: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _tick(x: float, y: float, text: str, anchor: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="{anchor}" fill="#333">{text}</text>'


def write_report(folder: Path = RECORDS_DIR, readme: Path = README) -> list[dict]:
    """The plot and the README's table, from every record."""
    runs = records(folder)
    if runs:
        (folder / PLOT.name).write_text(plot(runs))
        update_readme(runs, readme)
    return runs
