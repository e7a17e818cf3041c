"""AppTest fixtures: one seeded database (demo + :mod:`tests.ui.scenario`) per module, the app
pointed at it through the environment, Streamlit caches cleared around every test.

``open_app(user=..., page=...)`` signs a user in by putting it in the session (the sign-in page
itself is tested on its own) and opens a page by its url path: AppTest's ``switch_page`` only
knows file pages, so the helper sets the page hash Streamlit derives from a url path.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from sinkledger.config import REPO_ROOT, load_settings

APP = str(REPO_ROOT / "app.py")
RUN_TIMEOUT_S = 60
CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff00-\uffef]")
_APP_ENV = ("DATABASE_URL", "SINKLEDGER_HOME", "SINKLEDGER_SEED_DEMO", "SINKLEDGER_GIS_DATA", "SINKLEDGER_REGION")


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> dict:  # type: ignore[type-arg]
    """The demo plus the test scenario, built once; each module copies the file."""
    from sinkledger.demo.seed import seed_demo
    from sinkledger.services.registry import Service
    from tests.ui.scenario import add_scenario

    home = tmp_path_factory.mktemp("ui_template")
    service = Service.open(load_settings({"SINKLEDGER_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'ui.db'}"}))
    try:
        seed_demo(service)
        facts = add_scenario(service)
        service.verify(record=True)  # the overview shows the last verified checkpoint
        users = {u["username"]: u for u in service.users()}
    finally:
        service.db.dispose()
    return {"path": home / "ui.db", "facts": facts, "users": users}


@pytest.fixture(scope="module")
def ui_db(seeded_template, tmp_path_factory) -> dict:  # type: ignore[type-arg]
    home = tmp_path_factory.mktemp("ui_module")
    shutil.copy(seeded_template["path"], home / "ui.db")
    key = seeded_template["path"].parent / "data.key"  # the person register's key, generated with the demo
    if key.exists():
        shutil.copy(key, home / "data.key")
    return {"env": {"SINKLEDGER_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'ui.db'}"},
            "facts": seeded_template["facts"], "users": seeded_template["users"], "home": home}


def _clear() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_env(ui_db, monkeypatch):  # type: ignore[no-untyped-def]
    for name in _APP_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in ui_db["env"].items():
        monkeypatch.setenv(name, value)
    _clear()
    yield ui_db
    _clear()


def service_for(ui_db: dict):  # type: ignore[no-untyped-def,type-arg]
    from sinkledger.services.registry import Service

    return Service.open(load_settings(ui_db["env"]))


def open_app(ui_db: dict, *, user: str | None = None, page: str | None = None, lang: str = "zh") -> AppTest:  # type: ignore[type-arg]
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    at.session_state["lang"] = lang
    if user:
        u = ui_db["users"][user]
        at.session_state["user"] = {"username": u["username"], "role": u["role"], "party_id": u["party_id"],
                                    "display_name": u["display_name"]}
    at.run()
    if page:
        go(at, page)
    return at


def go(at: AppTest, page: str) -> AppTest:
    at._page_hash = calc_hash(page)
    at.run()
    at._page_hash = ""
    return at


_TABLE_RULE = re.compile(r"^\|(:?-+:?\|)+$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def headline(at: AppTest) -> list[tuple[str, str]]:
    """The headline figures (``sinkledger.ui.figures.headline_html``, where pages once drew
    ``st.metric``) as (label, value) pairs, in order, unescaped; [] when the page has none."""
    import html

    from sinkledger.ui.figures import HEADLINE_CLASS

    return [(html.unescape(label), html.unescape(value)) for element in at.markdown
            if f'class="{HEADLINE_CLASS}"' in element.value
            for label, value in re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", element.value)]


class _ChartReader(HTMLParser):
    """The marks of one chart (``sinkledger.ui.charts.svg``), read from their ``data-`` attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.kind = ""
        self.y_title = ""
        self.marks: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure" and "sl-chart" in (a.get("class") or ""):
            self.kind = a.get("data-kind") or ""
            self.y_title = a.get("data-unit") or ""
        elif "data-value" in a:
            self.marks.append({"category": a["data-category"], "series": a["data-series"],
                               "value": float(a["data-value"] or "nan")})


def drawn_charts(at: AppTest) -> list[_ChartReader]:
    """The SVG charts on the page (``sinkledger.ui.charts``), in order, each with its kind, unit and
    marks ({category, series, value}; a missing value has no mark)."""
    charts = []
    for element in at.markdown:
        if element.value.startswith('<figure class="sl-chart"'):
            reader = _ChartReader()
            reader.feed(element.value)
            charts.append(reader)
    return charts


def figure_tables(at: AppTest) -> list[list[dict[str, object]]]:
    """The static figure tables on the page (``sinkledger.ui.figures.markdown_table``: Markdown
    tables), each as rows of {header: value}, figures read back as int or float (thousands
    separators dropped), escapes undone. A Markdown element that is not such a table is skipped."""
    tables = []
    for element in at.markdown:
        lines = element.value.splitlines()
        if len(lines) < 2 or not lines[0].startswith("| ") or not _TABLE_RULE.match(lines[1]):
            continue

        def cells(line: str) -> list[str]:
            return [re.sub(r"\\(.)", r"\1", c.strip()) for c in _CELL_SPLIT.split(line.strip())[1:-1]]

        def value(text: str) -> object:
            plain = text.replace(",", "")
            if re.fullmatch(r"-?\d+", plain):
                return int(plain)
            if re.fullmatch(r"-?\d+\.\d+", plain):
                return float(plain)
            return text

        header = cells(lines[0])
        tables.append([dict(zip(header, [value(c) for c in cells(line)], strict=True)) for line in lines[2:]])
    return tables


class _ListReader(HTMLParser):
    """The header and rows of :func:`sinkledger.ui.figures.list_table_html`: cell texts, a link
    cell's address."""

    def __init__(self) -> None:
        super().__init__()
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._href: str | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell, self._href = [], None
        elif tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag in ("th", "td") and self._cell is not None:
            text = self._href if self._href is not None else "".join(self._cell)
            (self.header if tag == "th" else self.rows[-1]).append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def list_tables(at: AppTest, root: object = None) -> list[object]:
    """The lists on the page (``sinkledger.ui.figures.list_table``: HTML tables, where the
    pages once drew ``st.dataframe``), each as a pandas DataFrame: the cells' texts, a whole
    number read back as int (thousands separators dropped), a link's address."""
    import pandas as pd

    from sinkledger.ui.figures import LIST_CLASS

    def value(text: str) -> object:
        plain = text.replace(",", "")
        return int(plain) if re.fullmatch(r"-?\d+", plain) else text

    frames = []
    for element in (root or at).get("html"):
        body = element.proto.body
        if f'class="{LIST_CLASS}"' not in body:
            continue
        reader = _ListReader()
        reader.feed(body)
        frames.append(pd.DataFrame([[value(c) for c in row] for row in reader.rows], columns=reader.header))
    return frames


def registered_pages(at: AppTest) -> set[str]:
    """Url paths of the pages ``st.navigation`` registered (the default page's public path is
    empty, so pages are recognised by the hash of their url path)."""
    from sinkledger.ui.navigation import PAGES

    from sinkledger.ui.navigation import HOME_PATH

    by_hash = {calc_hash(path): path for path in PAGES}
    # the hidden stand-in at "/" while the first page is asked for by its address is no page of its own
    assert set(at._registered_pages) - set(by_hash) <= {calc_hash(HOME_PATH)}
    return {by_hash[h] for h in at._registered_pages if h in by_hash}


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def texts(at: AppTest, *kinds: str) -> list[str]:
    kinds = kinds or ("title", "header", "subheader", "caption", "markdown", "info", "success", "warning", "error")
    return [e.value for kind in kinds for e in getattr(at.main, kind)]


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    """The (form submit or plain) button with this label."""
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in at.button]}"
    return found[0]


@pytest.fixture
def no_full_read(monkeypatch):  # type: ignore[no-untyped-def]
    """Every read of the whole parcel register fails the test (issue 17: no page makes one)."""
    from sinkledger.services.parcels import ParcelCalls

    calls: list[str | None] = []

    def refused(self, status: str | None = None, holder: str | None = None):  # type: ignore[no-untyped-def]
        calls.append(status)
        raise AssertionError("a page read every parcel (Service.parcels)")

    monkeypatch.setattr(ParcelCalls, "parcels", refused)
    return calls
