"""The pages' charts as Vega-Lite specifications written here, their data in the specification
(Streamlit takes it out and sends it to the browser as an Arrow table).

``st.bar_chart`` and ``st.line_chart`` build an Altair chart on every run and validate it against
the Vega-Lite JSON schema: about 55 ms of the statistics page's script on every visit (12 ms the
bars, 42 ms the line with its hover layers), against under 1 ms for a specification handed to
``st.vega_lite_chart`` as it is (BENCHMARKS.md, issue 17). The charts here look as Streamlit's own
do (its theme is applied by the browser): a legend under the chart, a grid across, the values in
a tooltip. A missing value (``None``) is a gap, never a zero: a line breaks there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

HEIGHT_PX = 300
COLOURS = ("#2e8b57", "#1f77b4", "#9467bd")  # issued, sold, retired; sold is also every price's colour
_CATEGORY = "category"
_SERIES = "series"
_VALUE = "value"


def draw(spec: dict[str, Any]) -> None:
    """One chart, the page's width."""
    st.vega_lite_chart(spec, width="stretch")


def _x(title: str) -> dict[str, Any]:
    # the categories in the order given (months, windows), not sorted as text
    return {"field": _CATEGORY, "type": "ordinal", "sort": None, "title": title, "axis": {"grid": False}}


def _y(title: str) -> dict[str, Any]:
    return {"field": _VALUE, "type": "quantitative", "title": title, "axis": {"grid": True}}


def _tooltip(category_title: str, value_title: str, with_series: bool) -> list[dict[str, Any]]:
    tips = [{"field": _CATEGORY, "type": "ordinal", "title": category_title or " "}]
    if with_series:
        tips.append({"field": _SERIES, "type": "nominal", "title": " "})
    return tips + [{"field": _VALUE, "type": "quantitative", "title": value_title}]


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[float | None]], colours: Sequence[str], *,
                 y_title: str, x_title: str = "") -> dict[str, Any]:
    """Bars side by side for each category, one colour per series (``series``: name → values, one
    per category)."""
    names = list(series)
    values = [{_CATEGORY: c, _SERIES: name, _VALUE: v} for name in names
              for c, v in zip(categories, series[name], strict=True)]
    return {
        "height": HEIGHT_PX,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": _x(x_title),
            "xOffset": {"field": _SERIES, "sort": names},
            "y": _y(y_title),
            "color": {"field": _SERIES, "type": "nominal", "title": " ",
                      "scale": {"domain": names, "range": list(colours[:len(names)])},
                      "legend": {"orient": "bottom"}},
            "tooltip": _tooltip(x_title, y_title, True),
        },
    }


def _one_series(categories: Sequence[str], values: Sequence[float | None], *, y_title: str,
                x_title: str) -> dict[str, Any]:
    """A chart of one series, its marks left to the caller."""
    return {"height": HEIGHT_PX,
            "data": {"values": [{_CATEGORY: c, _VALUE: v} for c, v in zip(categories, values, strict=True)]},
            "encoding": {"x": _x(x_title), "y": _y(y_title), "tooltip": _tooltip(x_title, y_title, False)}}


def line(categories: Sequence[str], values: Sequence[float | None], colour: str, *, y_title: str,
         x_title: str = "") -> dict[str, Any]:
    """One line through the categories with a point at each value; a ``None`` breaks the line."""
    return _one_series(categories, values, y_title=y_title, x_title=x_title) | {
        "layer": [{"mark": {"type": "line", "color": colour, "invalid": "break-paths-show-domains"}},
                  {"mark": {"type": "point", "color": colour, "filled": True, "size": 40}}]}


def bars(categories: Sequence[str], values: Sequence[float | None], colour: str, *, y_title: str,
         x_title: str = "") -> dict[str, Any]:
    """One bar per category (a missing value: no bar)."""
    return _one_series(categories, values, y_title=y_title, x_title=x_title) | {
        "mark": {"type": "bar", "color": colour}}


def points(categories: Sequence[str], values: Sequence[float | None], colour: str, *, y_title: str,
           x_title: str = "") -> dict[str, Any]:
    """One point per category, no line between them (a series with gaps that must not look joined)."""
    return _one_series(categories, values, y_title=y_title, x_title=x_title) | {
        "mark": {"type": "point", "color": colour, "filled": True, "size": 80}}
