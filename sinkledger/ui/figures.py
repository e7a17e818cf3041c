"""Figures as static HTML and Markdown: headline figures, short tables and lists that need no widget.

``st.metric`` and ``st.dataframe``/``st.table`` make the browser load and run their scripts (a
number formatter, a chart loader, Arrow, a grid: about 1.4 MB) once a page's elements arrive; a
page that only shows figures or a list to read draws them here, as one escaped HTML block or a
Markdown table (BENCHMARKS.md, issue 17).
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import streamlit as st

from sinkledger.ui.text import t

HEADLINE_CLASS = "sl-headline"


def headline_html(figures: list[tuple[str, str]] | list[tuple[str, str, str | None]]) -> str:
    """Headline figures, ``(label, value)`` or ``(label, value, note)`` each, as one HTML block
    laid out as Streamlit's metrics are (a small label over a large value, a note such as a
    difference in small type under it; side by side, wrapping on a narrow screen). Not
    ``st.metric``: four of them in four columns cost the landing page about 55 ms (the browser
    loads the metric's scripts, a number formatter and a chart loader among them, once the page's
    elements arrive; BENCHMARKS.md issue 17). Every text is escaped."""
    items = []
    for label, value, *rest in figures:
        note = rest[0] if rest else None
        below = f'<dd style="margin:0;font-size:0.875rem;opacity:0.8">{escape(note)}</dd>' if note else ""
        items.append(f'<div style="flex:1 1 10rem"><dt style="font-size:0.875rem;opacity:0.8">{escape(label)}</dt>'
                     f'<dd style="margin:0;font-size:2.25rem;line-height:1.3">{escape(value)}</dd>{below}</div>')
    return (f'<dl class="{HEADLINE_CLASS}" style="display:flex;flex-wrap:wrap;gap:1rem;margin:0 0 1rem">'
            f'{"".join(items)}</dl>')


def headline(figures: list[tuple[str, str]] | list[tuple[str, str, str | None]]) -> None:
    """Draw :func:`headline_html` (every text escaped)."""
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
    """A number, a figure already formatted (``80.70 元/吨``, ``-3``), blank or a dash (none); not
    a hash (``3fa9…``: hex digits)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    text = str(value).strip()
    if _HEX.fullmatch(text):
        return False
    return text in ("", "—", "-") or text[0].isdigit() or (text[0] in "-+" and text[1:2].isdigit())


_HEX = re.compile(r"[0-9a-f]{16,}")


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


# -- lists to read ---------------------------------------------------------------------------------

LIST_CLASS = "sl-list"
LIST_MAX_HEIGHT_REM = 25  # about 14 rows, then the list scrolls under its header
LONG_TEXT = 40  # characters: a longer cell wraps
ENTRY_LINK = r"entry=(\d+)$"  # a link column to an entry on the public registry shows its number
RETIREMENT_LINK = r"retirement=(.*)$"  # one to a retirement's certificate, the retirement's id
_LIST_STYLE = """<style>
.sl-list {max-height:%(height)srem;overflow:auto;border:1px solid rgba(128,128,128,0.3);border-radius:0.5rem;margin-bottom:1rem}
.sl-list table {width:100%%;border-collapse:separate;border-spacing:0;font-size:0.875rem;margin:0}
.sl-list th {position:sticky;top:0;z-index:1;background:#f0f2f6;color:#31333f;text-align:left;font-weight:600;
  padding:0.3rem 0.6rem;border-bottom:1px solid rgba(128,128,128,0.35);white-space:nowrap}
.sl-list td {padding:0.25rem 0.6rem;border-bottom:1px solid rgba(128,128,128,0.15);white-space:nowrap}
.sl-list a {color:inherit;text-decoration:underline;text-decoration-color:rgba(128,128,128,0.6)}
.sl-list tbody tr:hover td {background:rgba(128,128,128,0.08)}
.sl-list .n {text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.sl-list td.w {white-space:normal;min-width:16rem;overflow-wrap:anywhere}
</style>"""


def _link_text(url: str, shown: str) -> str:
    """What a link cell shows: the part of the address that ``shown`` picks when it is a pattern
    with a group that matches (``entry=(.*)$``, as ``st.column_config.LinkColumn`` takes it), else
    ``shown`` itself (a label such as "Certificate (PDF)" stays a label)."""
    try:
        pattern = re.compile(shown)
    except re.error:
        return shown
    found = pattern.search(url) if pattern.groups else None
    return found.group(1) if found and found.group(1) else shown


def list_table_html(rows: list[dict[str, Any]], *, links: dict[str, str] | None = None,
                    max_height_rem: int = LIST_MAX_HEIGHT_REM) -> str:
    """``rows`` (dicts with the same keys, in column order) as one escaped HTML table in a box that
    scrolls under a sticky header once it is taller than ``max_height_rem``. A column of figures
    (:func:`_is_figure`) is right-aligned, integers with thousands separators (an identifier given
    as text keeps its digits); a column of ``links`` (column → the text shown, or a pattern as
    :func:`_link_text` takes it) holds relative addresses, drawn as links in the same tab. The
    header is a band of its own colours (Streamlit's light grey and text), opaque over the rows
    scrolled under it and readable in either theme."""
    links = links or {}
    header = list(rows[0])
    figures = {h for h in header if h not in links and all(_is_figure(r[h]) for r in rows)}

    def cell(h: str, value: Any) -> str:
        if h in links and value:
            return f'<td><a href="{escape(str(value))}" target="_self">{escape(_link_text(str(value), links[h]))}</a></td>'
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        elif isinstance(value, float):
            value = f"{value:,.1f}"
        if h in figures:
            return f'<td class="n">{escape(str(value))}</td>'
        text = str(value)  # a long text (a list of parcels, a reason) wraps; a name or a code stays on its line
        return f'<td class="w">{escape(text)}</td>' if len(text) > LONG_TEXT else f"<td>{escape(text)}</td>"

    head = "".join(f'<th class="n">{escape(h)}</th>' if h in figures else f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(h, r[h]) for h in header) + "</tr>" for r in rows)
    style = _LIST_STYLE % {"height": max_height_rem}
    return f'{style}<div class="{LIST_CLASS}"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def list_table(rows: list[dict[str, Any]], *, links: dict[str, str] | None = None) -> None:
    """A list to read (:func:`list_table_html`): not ``st.dataframe``, whose grid and Arrow are
    about 1.4 MB of scripts a browser loads and compiles before the page is ready (a 100-row list:
    about 100 ms more than this table, BENCHMARKS.md issue 17). Its text can be selected and
    copied, and a screen reader reads it as a table. No rows: a caption saying there is nothing yet."""
    if not rows:
        st.caption(t("nothing_yet"))
        return
    st.html(list_table_html(rows, links=links))
