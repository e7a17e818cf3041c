"""Figures as static HTML and Markdown: headline figures and short tables that need no widget.

``st.metric`` and ``st.dataframe``/``st.table`` make the browser load and run their scripts (a
number formatter, a chart loader, Arrow, a grid: about 1 MB) once a page's elements arrive; a
page that only shows figures draws them here, as one escaped HTML block or a Markdown table
(BENCHMARKS.md, issue 17).
"""

from __future__ import annotations

from html import escape
from typing import Any

import streamlit as st

from sinkledger.ui.text import t

HEADLINE_CLASS = "sl-headline"


def headline_html(figures: list[tuple[str, str]]) -> str:
    """The landing page's headline figures, ``(label, value)`` each, as one HTML block laid out as
    Streamlit's metrics are (a small label over a large value, side by side, wrapping on a narrow
    screen). Not ``st.metric``: four of them in four columns cost the landing page about 55 ms
    (the browser loads the metric's scripts, a number formatter and a chart loader among them,
    once the page's elements arrive; BENCHMARKS.md issue 17). Labels and values are escaped."""
    items = "".join(
        f'<div style="flex:1 1 10rem"><dt style="font-size:0.875rem;opacity:0.8">{escape(label)}</dt>'
        f'<dd style="margin:0;font-size:2.25rem;line-height:1.3">{escape(value)}</dd></div>'
        for label, value in figures)
    return f'<dl class="{HEADLINE_CLASS}" style="display:flex;flex-wrap:wrap;gap:1rem;margin:0 0 1rem">{items}</dl>'


def headline(figures: list[tuple[str, str]]) -> None:
    """Draw :func:`headline_html` (its labels and values escaped)."""
    st.markdown(headline_html(figures), unsafe_allow_html=True)


def summary_table(rows: list[dict[str, Any]]) -> None:
    """A short table of figures as a static Markdown table: the overview's few rows need no
    interactive grid, and neither Arrow (``st.table``: about 1 MB of scripts for the browser to
    load and run, half the landing page's excess over a blank page, BENCHMARKS.md issue 17) nor a
    grid. The first column is the row's label; a column of figures is right-aligned, numbers with
    thousands separators (floats to one decimal), a column of words left-aligned. No rows: a
    caption saying there is nothing yet."""
    if rows:
        st.markdown(markdown_table(rows))
    else:
        st.caption(t("nothing_yet"))


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _is_figure(value: Any) -> bool:
    """A number, a figure already formatted (``80.70 元/吨``, ``-3``), blank or a dash (none)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    text = str(value).strip()
    return text in ("", "—", "-") or text[0].isdigit() or (text[0] in "-+" and text[1:2].isdigit())


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """``rows`` (dicts with the same keys, in column order) as a GitHub-flavoured Markdown table:
    the first column (the row's label) left-aligned, a column of figures right-aligned, one of
    words left-aligned."""
    header = list(rows[0])

    def cell(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value).translate(_MD_SPECIAL).replace("\n", " ")
        return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"

    def figures(h: str) -> bool:  # a column of figures is right-aligned, one of words left
        return all(_is_figure(r[h]) for r in rows)

    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join([":---"] + ["---:" if figures(h) else ":---" for h in header[1:]]) + "|"]
    lines += ["| " + " | ".join(cell(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)
