"""The pages' charts, drawn here as SVG inside the page: no chart library in the browser.

A Vega-Lite chart (``st.vega_lite_chart``, ``st.bar_chart``, ``st.line_chart``) makes the browser
fetch and compile Vega's scripts on every first visit: about 140 ms of the statistics and price
index pages' first paint, against a goal of one second for the whole page (issue 17; BENCHMARKS.md,
"the charts as SVG"). The charts here are small and fixed (bars per month, a line of prices), so
they are drawn as SVG, which the browser paints with the page, in a Markdown element with HTML
(``st.html`` would do too, but it sanitises with an HTML-only profile that drops every SVG
element).

What a reader gets, as before: a grid across with round values on the left, the unit above them,
the categories below (thinned when there are many), a legend under the chart for several series,
and every value in a tooltip (an SVG ``<title>``: hover, or a screen reader). A missing value
(``None``) is a gap, never a zero: no bar, and a line breaks there. Widths are percentages and
heights pixels, so a chart fills its column at any width without stretching its text.

Every mark carries its category, series and value as ``data-`` attributes: the tests read the
charts from them, in the app's test runner and in a browser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import streamlit as st

HEIGHT_PX = 300
COLOURS = ("#2e8b57", "#1f77b4", "#9467bd")  # issued, sold, retired; sold is also every price's colour
AXIS_PX = 56  # the column of value labels, left of the plot
TOP_PX = 22  # room for the unit above the highest value
BOTTOM_PX = 26  # room for the category labels
MAX_LABELS = 5  # category labels shown at most (a half-width column fits five months); all are in the tooltips
MAX_TICKS = 5
KINDS = ("bars", "line", "points")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    colour: str


@dataclass(frozen=True)
class Chart:
    """What is drawn: ``kind`` (bars side by side, a line with points, or points alone), one value
    per category in each series, the unit of the values (``y_title``) and of the categories."""

    kind: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    y_title: str
    x_title: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")
        for s in self.series:
            if len(s.values) != len(self.categories):
                raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(self.categories)} categories")


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[float | None]], colours: Sequence[str], *,
                 y_title: str, x_title: str = "") -> Chart:
    """Bars side by side for each category, one colour per series (``series``: name → values, one
    per category; at least as many ``colours`` as series)."""
    if len(colours) < len(series):
        raise ValueError(f"{len(series)} series and only {len(colours)} colours")
    return Chart("bars", tuple(categories), tuple(Series(name, tuple(values), colour) for (name, values), colour
                                                  in zip(series.items(), colours, strict=False)), y_title, x_title)


def _one(kind: str, categories: Sequence[str], values: Sequence[float | None], colour: str, y_title: str,
         x_title: str) -> Chart:
    return Chart(kind, tuple(categories), (Series("", tuple(values), colour),), y_title, x_title)


def line(categories: Sequence[str], values: Sequence[float | None], colour: str, *, y_title: str,
         x_title: str = "") -> Chart:
    """One line through the categories with a point at each value; a ``None`` breaks the line."""
    return _one("line", categories, values, colour, y_title, x_title)


def bars(categories: Sequence[str], values: Sequence[float | None], colour: str, *, y_title: str,
         x_title: str = "") -> Chart:
    """One bar per category (a missing value: no bar)."""
    return _one("bars", categories, values, colour, y_title, x_title)


def points(categories: Sequence[str], values: Sequence[float | None], colour: str, *, y_title: str,
           x_title: str = "") -> Chart:
    """One point per category, no line between them (a series with gaps that must not look joined)."""
    return _one("points", categories, values, colour, y_title, x_title)


def draw(chart: Chart) -> None:
    """One chart, the width of its column."""
    st.markdown(svg(chart), unsafe_allow_html=True)


def nice_ticks(top: float, most: int = MAX_TICKS) -> list[float]:
    """Round values from 0 to at least ``top`` (steps of 1, 2 or 5 × 10ⁿ), at most ``most`` + 1."""
    if not top > 0 or not math.isfinite(top):
        return [0.0, 1.0]
    rough = top / most
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def number(value: float) -> str:
    """A value as the axis and the tooltips show it: thousands separated, at most two decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _pct(x: float) -> str:
    return f"{x:.3f}%"


def svg(chart: Chart) -> str:
    """The chart as HTML: the value labels and the plot side by side, the legend under them."""
    values = [v for s in chart.series for v in s.values if v is not None]
    ticks = nice_ticks(max(values, default=0.0))
    top = ticks[-1]
    plot_px = HEIGHT_PX - TOP_PX - BOTTOM_PX

    def y(v: float) -> float:
        return TOP_PX + plot_px * (1 - v / top)

    axis = [f'<text x="0" y="10" fill="currentColor" fill-opacity="0.75">{escape(chart.y_title)}</text>']
    grid = []
    for v in ticks:
        axis.append(f'<text x="{AXIS_PX - 8}" y="{y(v) + 4:.1f}" text-anchor="end" fill="currentColor" '
                    f'fill-opacity="0.75">{number(v)}</text>')
        grid.append(f'<line x1="0" x2="100%" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="currentColor" '
                    f'stroke-opacity="{0.35 if v == 0 else 0.12}"/>')
    n = max(1, len(chart.categories))
    band = 100 / n
    every = max(1, math.ceil(len(chart.categories) / MAX_LABELS))  # at most MAX_LABELS, from the first
    labels = [f'<text x="{_pct((i + 0.5) * band)}" y="{HEIGHT_PX - 8}" text-anchor="middle" fill="currentColor" '
              f'fill-opacity="0.75">{escape(c)}</text>'
              for i, c in enumerate(chart.categories) if i % every == 0]
    marks = _marks(chart, band, y)
    named = [s for s in chart.series if s.name]
    legend = "".join(f'<span style="display:inline-flex;align-items:center;gap:0.35em">'
                     f'<span style="width:0.8em;height:0.8em;background:{s.colour};display:inline-block"></span>'
                     f'{escape(s.name)}</span>' for s in named) if len(named) > 1 else ""
    title = escape(chart.y_title + (f" / {chart.x_title}" if chart.x_title else ""))
    return (f'<figure class="sl-chart" data-kind="{chart.kind}" data-unit="{escape(chart.y_title)}" role="img" '
            f'aria-label="{title}" '
            f'style="margin:0;font-size:12px">'
            f'<div style="display:flex">'
            f'<svg width="{AXIS_PX}" height="{HEIGHT_PX}" style="flex:none;overflow:visible">{"".join(axis)}</svg>'
            f'<svg width="100%" height="{HEIGHT_PX}" style="flex:1;min-width:0;overflow:visible">'
            f'{"".join(grid)}{"".join(marks)}{"".join(labels)}</svg></div>'
            + (f'<figcaption style="display:flex;gap:1.2em;justify-content:center;padding-top:0.3em">{legend}'
               f'</figcaption>' if legend else "")
            + "</figure>")


def _tip(chart: Chart, category: str, series: str, value: float) -> str:
    name = f"{category} · {series}" if series else category
    return escape(f"{name}: {number(value)} {chart.y_title}".strip())


def _data(category: str, series: Series, value: float) -> str:
    return (f'data-category="{escape(category)}" data-series="{escape(series.name)}" '
            f'data-value="{value!r}"')


def _marks(chart: Chart, band: float, y) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    if chart.kind == "bars":
        width = band * 0.8 / len(chart.series)
        for j, s in enumerate(chart.series):
            for i, (c, v) in enumerate(zip(chart.categories, s.values, strict=True)):
                if v is None:
                    continue
                top, bottom = y(v), y(0)
                out.append(f'<rect x="{_pct(i * band + band * 0.1 + j * width)}" y="{top:.1f}" '
                           f'width="{_pct(width)}" height="{max(bottom - top, 0.0):.1f}" fill="{s.colour}" '
                           f'{_data(c, s, v)}><title>{_tip(chart, c, s.name, v)}</title></rect>')
        return out
    centres = [(i + 0.5) * band for i in range(len(chart.categories))]
    for s in chart.series:
        if chart.kind == "line":  # a segment between each two neighbours that both have a value
            for i in range(len(s.values) - 1):
                a, b = s.values[i], s.values[i + 1]
                if a is not None and b is not None:
                    out.append(f'<line x1="{_pct(centres[i])}" y1="{y(a):.1f}" x2="{_pct(centres[i + 1])}" '
                               f'y2="{y(b):.1f}" stroke="{s.colour}" stroke-width="2"/>')
        radius = 4 if chart.kind == "line" else 5
        for c, x, v in zip(chart.categories, centres, s.values, strict=True):
            if v is not None:
                out.append(f'<circle cx="{_pct(x)}" cy="{y(v):.1f}" r="{radius}" fill="{s.colour}" '
                           f'{_data(c, s, v)}><title>{_tip(chart, c, s.name, v)}</title></circle>')
    return out
