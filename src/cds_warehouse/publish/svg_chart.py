"""A small line chart as inline SVG: a time series, a target line to its deadline, a projection to it.

Written here rather than drawn by a script in the browser: the pages must work offline and from file://, and
a chart of a few dozen points needs no library. Dates on x (first and last year labelled), values on y (the
bottom, the top and the target labelled).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 12, 28  # margins: room for the axis labels
SERIES_COLOUR, TARGET_COLOUR, PROJECTION_COLOUR = "#1f5fa8", "#b03030", "#6a6a6a"


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[date, Decimal]]  # in time order


def line_chart(
    title: str,
    series: Series,
    target: tuple[str, Decimal, date],
    projection: Series | None = None,
    decimal: str = ".",
) -> str:
    """The SVG element; `target` is (label, value, deadline): a horizontal line up to the deadline."""
    target_label, target_value, deadline = target
    lines = [series] + ([projection] if projection else [])
    days = [d for s in lines for d, _ in s.points] + [deadline]
    values = [v for s in lines for _, v in s.points] + [target_value]
    x0, x1 = min(days).toordinal(), max(days).toordinal()
    y0, y1 = min(0, min(values)), max(values) or 1
    y1 += (y1 - y0) * Decimal("0.08")  # headroom above the highest mark
    span_x, span_y = max(x1 - x0, 1), (y1 - y0) or 1

    def x(day: date) -> float:
        return LEFT + (day.toordinal() - x0) * (WIDTH - LEFT - RIGHT) / span_x

    def y(value: Decimal) -> float:
        return HEIGHT - BOTTOM - float((value - y0) / span_y) * (HEIGHT - TOP - BOTTOM)

    def label(value: Decimal) -> str:
        text = format(Decimal(value).quantize(Decimal("0.1")).normalize(), "f")
        return text.replace(".", decimal)

    def path(s: Series, colour: str, dash: str = "") -> str:
        coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in s.points)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dashes} points="{coords}">'
            f"<title>{_e(s.label)}</title></polyline>"
        )

    marks = [
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#888"/>',
        _text(LEFT - 6, y(y0) + 4, label(y0), "end"),
        _text(LEFT - 6, y(y1) + 4, label(y1), "end"),
        _text(LEFT, HEIGHT - 8, str(min(days).year), "start"),
        _text(WIDTH - RIGHT, HEIGHT - 8, str(max(days).year), "end"),
        f'<line x1="{LEFT}" y1="{y(target_value):.1f}" x2="{x(deadline):.1f}" y2="{y(target_value):.1f}"'
        f' stroke="{TARGET_COLOUR}" stroke-width="1.5" stroke-dasharray="6 4"><title>{_e(target_label)}</title></line>',
        _text(LEFT - 6, y(target_value) + 4, label(target_value), "end", TARGET_COLOUR),
    ]
    if projection:
        marks.append(path(projection, PROJECTION_COLOUR, "3 3"))
    marks.append(path(series, SERIES_COLOUR))
    marks += [
        f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3" fill="{SERIES_COLOUR}">'
        f"<title>{d.isoformat()}: {label(v)}</title></circle>"
        for d, v in series.points
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>' + "".join(marks) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str, colour: str = "#333") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="{anchor}" fill="{colour}">{_e(text)}</text>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)
