"""The pages' SVG charts (``sinkledger/ui/charts.py``): what they draw, read back from the SVG."""

from __future__ import annotations

import itertools
import math
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sinkledger.ui import charts


class _Svg(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.titles: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles.append(data)


def parsed(chart: charts.Chart) -> _Svg:
    reader = _Svg()
    reader.feed(charts.svg(chart))
    return reader


def marks(reader: _Svg) -> list[dict[str, str | None]]:
    return [a for tag, a in reader.tags if "data-value" in a]


@given(st.floats(min_value=0.001, max_value=1e12, allow_nan=False))
def test_ticks_are_round_start_at_zero_and_cover_the_highest_value(top: float) -> None:
    ticks = charts.nice_ticks(top)
    assert ticks[0] == 0 and ticks[-1] >= top * (1 - 1e-9)
    assert 2 <= len(ticks) <= charts.MAX_TICKS + 2
    step = ticks[1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 5, 10)), step
    assert all(math.isclose(b - a, step, rel_tol=1e-9) for a, b in itertools.pairwise(ticks))
    assert ticks[-1] - step < top  # no empty step above the highest value


def test_ticks_for_nothing_to_show() -> None:
    assert charts.nice_ticks(0) == [0.0, 1.0] and charts.nice_ticks(float("nan")) == [0.0, 1.0]


def test_numbers_as_the_axis_and_tooltips_show_them() -> None:
    assert [charts.number(v) for v in (0, 1500, 1234567.0, 80.7, 76.3125, 0.5)] == [
        "0", "1,500", "1,234,567", "80.7", "76.31", "0.5"]


def test_grouped_bars_draw_each_value_once_and_nothing_for_a_missing_one() -> None:
    chart = charts.grouped_bars(["2025年1月", "2025年2月", "2025年3月"],
                                {"签发": [10, None, 30], "交易": [0, 5, None]}, charts.COLOURS, y_title="吨")
    reader = parsed(chart)
    drawn = [(m["data-category"], m["data-series"], float(m["data-value"] or "nan")) for m in marks(reader)]
    assert drawn == [("2025年1月", "签发", 10), ("2025年3月", "签发", 30), ("2025年1月", "交易", 0),
                     ("2025年2月", "交易", 5)]
    assert reader.titles == ["2025年1月 · 签发: 10 吨", "2025年3月 · 签发: 30 吨", "2025年1月 · 交易: 0 吨",
                             "2025年2月 · 交易: 5 吨"]
    # a bar stands on the zero line and its height is its value's share of the axis
    rects = [a for tag, a in reader.tags if tag == "rect"]
    bottoms = {round(float(a["y"]) + float(a["height"]), 1) for a in rects}  # type: ignore[arg-type]
    assert bottoms == {charts.HEIGHT_PX - charts.BOTTOM_PX}
    heights = [float(a["height"]) for a in rects]  # type: ignore[arg-type]
    assert heights[1] == pytest.approx(3 * heights[0]) and heights[2] == 0
    # side by side, inside their category's band, never overlapping
    lefts = [float(str(a["x"]).rstrip("%")) for a in rects]
    widths = [float(str(a["width"]).rstrip("%")) for a in rects]
    assert lefts[2] + widths[2] <= lefts[3] and all(0 <= x and x + w <= 100 for x, w in zip(lefts, widths, strict=True))
    # the legend names both series, in their colours
    legend = re.findall(r"background:(#[0-9a-f]{6})[^>]*></span>([^<]+)</span>", charts.svg(chart))
    assert legend == [(charts.COLOURS[0], "签发"), (charts.COLOURS[1], "交易")]


def test_a_line_breaks_at_a_missing_value_and_points_are_never_joined() -> None:
    months = ["1", "2", "3", "4", "5"]
    line = parsed(charts.line(months, [70.0, 72.5, None, 71.0, 80.0], "#1f77b4", y_title="元/吨"))
    assert [m["data-category"] for m in marks(line)] == ["1", "2", "4", "5"]
    segments = [a for tag, a in line.tags if tag == "line" and a.get("stroke") == "#1f77b4"]
    assert len(segments) == 2  # 1→2 and 4→5; nothing across the gap
    points = parsed(charts.points(months, [70.0, None, None, 71.0, None], "#1f77b4", y_title="元/吨"))
    assert len(marks(points)) == 2 and not [a for tag, a in points.tags if tag == "line" and a.get("stroke") == "#1f77b4"]
    # one series: no legend
    assert "figcaption" not in charts.svg(charts.line(months, [1, 2, 3, 4, 5], "#1f77b4", y_title="t"))


def test_text_in_a_chart_is_escaped() -> None:
    html = charts.svg(charts.bars(['<script>alert(1)</script>', 'a"b'], [1, 2], "#2e8b57", y_title="<b>t</b>"))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and 'data-category="a&quot;b"' in html


def test_many_categories_are_labelled_sparsely_and_all_are_in_the_tooltips() -> None:
    months = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 13)]
    reader = parsed(charts.bars(months, list(range(24)), "#2e8b57", y_title="t"))
    html = charts.svg(charts.bars(months, list(range(24)), "#2e8b57", y_title="t"))
    labels = [m for m in months if f">{m}</text>" in html]
    assert 2 <= len(labels) <= charts.MAX_LABELS and labels[0] == months[0]
    assert len(marks(reader)) == len(reader.titles) == 24  # a zero is a value: a bar of no height


def test_a_series_of_the_wrong_length_or_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="3 values for 2 categories"):
        charts.line(["a", "b"], [1, 2, 3], "#000000", y_title="t")
    with pytest.raises(ValueError, match="3 series and only 2 colours"):
        charts.grouped_bars(["a"], {"x": [1], "y": [2], "z": [3]}, charts.COLOURS[:2], y_title="t")
    with pytest.raises(ValueError, match="unknown chart kind"):
        charts.Chart("pie", ("a",), (), "t")
