"""The Streamlit app through ``streamlit.testing.v1.AppTest`` (in-process, no browser).

The app reads its settings from the environment when ``get_service()`` first runs, and caches
the service with ``st.cache_resource``: every test points the environment at its database and
clears Streamlit's caches before and after, so no test sees another test's service.

Also checks the UI message catalogue against the keys app.py uses.
"""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sinkledger.catalogue import UI, ui_text
from sinkledger.config import REPO_ROOT, load_settings
from sinkledger.ui.text import text as t_any
from sinks import SINK_TYPES
from tests.ui.conftest import drawn_charts, figure_tables, go

APP = REPO_ROOT / "app.py"
RUN_TIMEOUT_S = 60  # the first run imports geopandas/shapely/pydeck
N_PARCELS = 105
PARCELS_BY_SINK = {"bamboo_forest": 60, "wetland": 15, "tea_garden": 30}
CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff00-\uffef]")
EXPLORER_SECTIONS = ("balances_header", "integrity_header", "explore_header")  # the landing page: no map
STATISTICS_SECTIONS = ("vintage_header", "county_header", "activity_header")
UI_MODULES = sorted((REPO_ROOT / "sinkledger" / "ui").glob("*.py"))
_APP_ENV = ("DATABASE_URL", "SINKLEDGER_HOME", "SINKLEDGER_SEED_DEMO", "SINKLEDGER_GIS_DATA",
            "SINKLEDGER_REGION")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> dict:  # type: ignore[type-arg]
    """One demo database for the module, seeded through the service API as the app would."""
    from sinkledger.demo.seed import seed_demo
    from sinkledger.services.registry import Service

    home = tmp_path_factory.mktemp("app_seeded")
    env = {"SINKLEDGER_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'demo.db'}"}
    service = Service.open(load_settings(env))
    try:
        seed_demo(service)
        report = service.verify(record=True)  # the overview shows the last verified checkpoint
        by_sink: dict[str, dict[str, int]] = {}
        for row in service.balances()["by_sink_type"]:  # one row per sink type and county
            totals = by_sink.setdefault(row["sink_type"], {})
            for column in ("issued_t", "held_t", "pledged_t", "retired_t", "cancelled_t"):
                totals[column] = totals.get(column, 0) + row[column]
    finally:
        service.db.dispose()
    assert report.ok
    return {"env": env, "entries": report.entries, "merkle_root": report.merkle_root,
            "by_sink": by_sink}


def _clear_streamlit_caches() -> None:
    st.cache_resource.clear()
    st.cache_data.clear()


def _point_env_at(monkeypatch, env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for name in _APP_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def app_env(seeded, monkeypatch):  # type: ignore[no-untyped-def]
    _point_env_at(monkeypatch, seeded["env"])
    _clear_streamlit_caches()
    yield seeded
    _clear_streamlit_caches()


def run_app(page: str | None = None) -> AppTest:
    """The app's first run (the landing page), then ``page`` (a url path) if given."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    at.run()
    if page:
        go(at, page)
    return at


def deck_spec(at: AppTest) -> dict:  # type: ignore[type-arg]
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1, f"expected one pydeck chart, got {len(charts)}"
    return json.loads(charts[0].proto.json)


def assert_no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# -- the app ---------------------------------------------------------------------------------------

def test_app_runs_without_exception(app_env) -> None:  # type: ignore[no-untyped-def]
    at = run_app()
    assert_no_errors(at)


def test_chinese_by_default(app_env) -> None:  # type: ignore[no-untyped-def]
    at = run_app()
    assert_no_errors(at)
    assert at.session_state["lang"] == "zh"
    assert at.sidebar.radio(key="lang").value == "zh"
    assert [t.value for t in at.title] == [ui_text("app_title", "zh")]
    assert [s.value for s in at.subheader] == [t_any(k, "zh") for k in EXPLORER_SECTIONS]
    assert [i.value for i in at.info] == [ui_text("synthetic_notice", "zh")]
    assert not at.get("deck_gl_json_chart")  # the landing page draws no map: it links to it
    links = [e.proto.label for e in at.get("page_link")]
    assert links == [ui_text(k, "zh") for k in ("explore_map", "explore_statistics", "explore_registry",
                                                 "explore_prices")]
    go(at, "map")
    assert_no_errors(at)
    assert [t.value for t in at.title] == [ui_text("page_map", "zh")]
    assert ui_text("map_caption", "zh", n=N_PARCELS) in [c.value for c in at.caption]
    go(at, "statistics")
    assert_no_errors(at)
    assert [s.value for s in at.subheader] == [t_any(k, "zh") for k in STATISTICS_SECTIONS]
    assert [c.kind for c in drawn_charts(at)][:1] == ["bars"] and len(drawn_charts(at)) == 2  # volumes, price


def test_switching_language_to_english(app_env) -> None:  # type: ignore[no-untyped-def]
    at = run_app()
    at.sidebar.radio(key="lang").set_value("en").run()
    assert_no_errors(at)
    assert at.session_state["lang"] == "en"
    assert [t.value for t in at.title] == [ui_text("app_title", "en")]
    assert [s.value for s in at.subheader] == ["Credits by sink type (tCO2e)", "Ledger integrity", "Explore"]
    assert [s.value for s in at.success] == [ui_text("integrity_ok", "en", n=app_env["entries"])]
    rows = figure_tables(at)[0]  # the overview's first summary table (static Markdown)
    assert list(rows[0])[0] == "Sink type"
    assert [r["Sink type"] for r in rows] == [s.name_en for s in SINK_TYPES.values()]
    # Every text element in the main area is English (the map tooltip data aside).
    texts = [e.value for kind in ("title", "subheader", "caption", "markdown", "info", "success")
             for e in getattr(at.main, kind)]
    assert [t for t in texts if CJK.search(t)] == []
    go(at, "map")
    assert ui_text("map_caption", "en", n=N_PARCELS) in [c.value for c in at.caption]
    spec = deck_spec(at)
    parcels = next(layer for layer in spec["layers"] if layer["id"] == "parcels")
    assert parcels["data"].endswith("?lang=en")  # the tiles' text (sink type, status, area) in English
    go(at, "statistics")
    assert [s.value for s in at.subheader] == ["By vintage and sink type (tCO2e)", "By county (tCO2e)",
                                               "Issuance, sales, retirements and average price"]
    texts = [e.value for kind in ("title", "subheader", "caption", "markdown") for e in getattr(at.main, kind)]
    assert [t for t in texts if CJK.search(t)] == []

    at.sidebar.radio(key="lang").set_value("zh").run()  # the same page, in Chinese
    assert [t.value for t in at.title] == [ui_text("page_statistics", "zh")]


def test_map_spec_has_counties_and_the_parcels_as_tiles(app_env) -> None:  # type: ignore[no-untyped-def]
    """The overview holds the counties and the URL of the parcel tiles, not the parcels: the
    tiles (tests/test_tiles.py) carry them, generalised, and deck.gl parses them in the worker
    served from static/."""
    from sinkledger.services import tiles
    from sinkledger.ui import maps

    at = run_app("map")
    spec = deck_spec(at)
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert list(layers) == ["counties", "parcels"]
    assert layers["counties"]["@@type"] == "GeoJsonLayer" and len(layers["counties"]["data"]["features"]) == 5
    parcels = layers["parcels"]
    assert parcels["@@type"] == "MVTLayer" and parcels["pickable"] is True
    from sinkledger.db.database import Database

    db = Database(app_env["env"]["DATABASE_URL"])
    version = tiles.parcels_version(db)
    db.dispose()
    assert version > 0 and parcels["data"] == f"/tiles/parcels/{version}/{{z}}/{{x}}/{{y}}.pbf?lang=zh"
    assert parcels["loadOptions"] == {"mvt": {"workerUrl": maps.MVT_WORKER_URL}}
    assert (REPO_ROOT / maps.MVT_WORKER_URL.removeprefix("/app/")).is_file()
    assert parcels["getFillColor"] == "@@=[properties.r, properties.g, properties.b, properties.a]"
    assert len(charts_json(at)) < 20_000  # the counties and a URL: no parcel geometry in the page
    view = spec["initialViewState"]
    assert 119.14 <= view["longitude"] <= 120.50 and 30.37 <= view["latitude"] <= 31.18


def charts_json(at: AppTest) -> str:
    return "".join(c.proto.json for c in at.get("deck_gl_json_chart"))


def test_map_spec_has_no_web_basemap(app_env) -> None:  # type: ignore[no-untyped-def]
    """pydeck's no-basemap form (``map_provider=None``, default map_style) emits the sentinel
    ``"__MAP_STYLE__"``; Streamlit's frontend then draws no basemap. Without any mapStyle it
    falls back to Carto tiles."""
    spec = deck_spec(run_app("map"))
    assert "mapProvider" not in spec
    assert spec.get("mapStyle") == "__MAP_STYLE__", f"mapStyle={spec.get('mapStyle')!r}"


def test_balances_table(app_env) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    at = run_app()
    df = pd.DataFrame(figure_tables(at)[0])  # the overview's first summary table (static Markdown)
    assert list(df.columns) == [ui_text(k, "zh") for k in (
        "col_sink_type", "col_parcels", "col_area_ha", "col_issued", "col_held", "col_pledged",
        "col_retired", "col_cancelled")]
    assert list(df["碳汇类型"]) == ["竹林", "湿地", "茶园"]
    assert list(df["地块数"]) == [60, 15, 30]
    bamboo = df.iloc[0]
    expected = app_env["by_sink"]["bamboo_forest"]
    assert bamboo["已签发"] == expected["issued_t"] > 0
    assert bamboo["持有"] == expected["held_t"]
    assert bamboo["质押"] == expected["pledged_t"]
    assert bamboo["已注销"] == expected["retired_t"] > 0
    cancelled = ui_text("col_cancelled", "zh")
    assert bamboo[cancelled] == expected["cancelled_t"] > 0  # the demo's snow loss (sinkledger/demo/income.py)
    assert bamboo["持有"] + bamboo["质押"] + bamboo["已注销"] + bamboo[cancelled] == bamboo["已签发"]
    wetland = df.iloc[1]  # the price index demo's priced wetland credits (sinkledger/demo/prices.py)
    assert wetland["已签发"] == app_env["by_sink"]["wetland"]["issued_t"] > 0
    assert wetland["持有"] + wetland["质押"] + wetland["已注销"] + wetland[cancelled] == wetland["已签发"]
    tea = df.iloc[2]
    assert tea["已签发"] == app_env["by_sink"]["tea_garden"]["issued_t"] > 0
    assert tea["持有"] + tea["质押"] + tea["已注销"] + tea[cancelled] == tea["已签发"]


def test_integrity_message_and_merkle_root(app_env) -> None:  # type: ignore[no-untyped-def]
    at = run_app()
    assert [s.value for s in at.success] == [ui_text("integrity_ok", "zh", n=app_env["entries"])]
    assert f'{ui_text("merkle_root", "zh")}: `{app_env["merkle_root"]}`' in [c.value for c in at.caption]


def test_first_start_seeds_the_default_database(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Fresh SINKLEDGER_HOME and no DATABASE_URL: the app creates and seeds the demo."""
    _point_env_at(monkeypatch, {"SINKLEDGER_HOME": str(tmp_path)})
    _clear_streamlit_caches()
    try:
        at = run_app()
        assert_no_errors(at)
        assert (tmp_path / "sinkledger.db").is_file()
        assert re.fullmatch(r"哈希链已校验至第 \d+ 条流水，无篡改。", at.success[0].value)
        go(at, "map")
        assert ui_text("map_caption", "zh", n=N_PARCELS) in [c.value for c in at.caption]
    finally:
        _clear_streamlit_caches()


def test_an_empty_named_database_says_it_is_not_initialised(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A DATABASE_URL naming an empty database (not the default, so not seeded): every page says
    the database is not initialised, in the reader's language, instead of an unexpected error."""
    from sinkledger import catalogue

    _point_env_at(monkeypatch, {"SINKLEDGER_HOME": str(tmp_path),
                                "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    _clear_streamlit_caches()
    try:
        at = run_app()
        zh, _ = catalogue.messages(catalogue_error("database_not_initialised"))
        assert zh in [e.value for e in at.error], [e.value for e in at.error]
        assert not at.exception
    finally:
        _clear_streamlit_caches()


def catalogue_error(code: str):  # type: ignore[no-untyped-def]
    from sinkledger_base.errors import NotFound

    return NotFound(code)


# -- the UI catalogue ------------------------------------------------------------------------------

def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _catalogue_calls(path: Path) -> list[tuple[int, str, set[str]]]:
    """(line, key, keyword names) of every ``t("key", ...)`` / ``ui_text("key", ...)`` call."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # t(key, **params) itself forwards its argument to ui_text(key, ...).
    wrapper = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "t"
               for n in ast.walk(f)}
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in {"t", "ui_text"} and node.args) or id(node) in wrapper:
            continue
        first = node.args[0]
        if isinstance(first, ast.Name):  # a helper forwarding its own key argument
            continue
        if isinstance(first, ast.JoinedStr):  # t(f"role_{role}"): a family of keys with a fixed prefix
            prefix = first.values[0].value if isinstance(first.values[0], ast.Constant) else ""
            assert prefix, f"{path.name}:{node.lineno}: a computed key needs a literal prefix"
            calls.append((node.lineno, f"{prefix}*", {k.arg for k in node.keywords if k.arg}))
            continue
        assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
            f"{path.name}:{node.lineno}: catalogue key is not a string literal"
        calls.append((node.lineno, first.value, {k.arg for k in node.keywords if k.arg}))
    return calls


def test_every_catalogue_entry_has_zh_and_en() -> None:
    for key, texts in UI.items():
        assert isinstance(texts, tuple) and len(texts) == 2, key
        zh, en = texts
        assert isinstance(zh, str) and zh.strip(), f"{key}: empty Chinese text"
        assert isinstance(en, str) and en.strip(), f"{key}: empty English text"
        assert _fields(zh) == _fields(en), f"{key}: placeholders differ: {_fields(zh)} vs {_fields(en)}"


def test_pages_use_only_catalogued_keys_with_their_placeholders() -> None:
    """Every ``t("key", ...)`` in app.py and the pages names a catalogued key with its fields."""
    catalogue = UI
    calls = [(path.name, *call) for path in (APP, *UI_MODULES) for call in _catalogue_calls(path)]
    assert len(calls) >= 200, "found suspiciously few catalogue calls in the pages"
    families = [(name, line, key[:-1]) for name, line, key, _ in calls if key.endswith("*")]
    assert [f for f in families if not any(k.startswith(f[2]) for k in catalogue)] == []
    calls = [c for c in calls if not c[2].endswith("*")]
    missing = [f"{name}:{line}: {key}" for name, line, key, _ in calls if key not in catalogue]
    assert missing == [], f"keys used but missing from the catalogue: {missing}"
    mismatched = [f"{name}:{line}: {key} given {sorted(kw)}, template needs {sorted(_fields(catalogue[key][0]))}"
                  for name, line, key, kw in calls if kw != _fields(catalogue[key][0])]
    assert mismatched == [], mismatched


def test_no_sql_and_no_rules_in_the_pages() -> None:
    """The app layer calls the service API: no SQL, no ledger tables, no direct journal access."""
    forbidden = (r"\bselect\(", r"\bsqlmodel\b", r"\bsqlalchemy\b", r"ledger\.store", r"ledger\.journal",
                 r"\brun_command\b", r"\.db\.", r"\bSELECT\b")
    for path in (APP, *UI_MODULES):
        source = path.read_text(encoding="utf-8")
        found = [word for word in forbidden if re.search(word, source)]
        assert found == [], f"{path.name} uses {found}"


def test_figures_are_static_html_not_metrics() -> None:
    """A figure is drawn by ``figures.headline`` (one HTML block), never ``st.metric``: its scripts
    (a number formatter, a chart loader) cost a page's first paint about 50 ms (BENCHMARKS.md,
    issue 17)."""
    for path in (APP, *UI_MODULES):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\.metric\(", source), f"{path.name} draws st.metric"


def test_figure_tables_are_markdown_with_escaped_labels_and_aligned_figures() -> None:
    """The overview's figure tables are static Markdown (no Arrow for the browser to load): a
    label's Markdown characters are escaped, figures right-aligned with thousands separators."""
    from sinkledger.ui.figures import markdown_table

    text = markdown_table([{"类型": "a|b *c*", "n": 1234567, "ha": 0.25}, {"类型": "湿地", "n": -3, "ha": 1e4}])
    assert text.splitlines() == ["| 类型 | n | ha |", "|:---|---:|---:|",
                                 "| a\\|b \\*c\\* | 1,234,567 | 0.2 |", "| 湿地 | -3 | 10,000.0 |"]
    # a column of words is left-aligned; one of figures (formatted or not, or a dash for none) right
    text = markdown_table([{"月": "2026-09", "指数": "80.70 元/吨", "笔数": 3, "说明": ""},
                           {"月": "2026-08", "指数": "未发布", "笔数": 0, "说明": "无成交"},
                           {"月": "2026-07", "指数": "—", "笔数": 1, "说明": "—"}])
    assert text.splitlines()[1] == "|:---|:---|---:|:---|"
    assert markdown_table([{"a": "x", "b": "-3 吨", "c": "—"}]).splitlines()[1] == "|:---|---:|---:|"


def test_list_tables_are_escaped_html_with_links_and_aligned_figures() -> None:
    """A list to read (``figures.list_table_html``, where pages drew ``st.dataframe``): one HTML
    table whose every text is escaped, a link column's cells link to the relative address with the
    text its pattern picks (or a fixed text), figures right-aligned with thousands separators, words
    and hashes left-aligned, the header kept in view over a list taller than its box."""
    from html.parser import HTMLParser

    from sinkledger.ui.figures import LIST_CLASS, list_table_html

    rows = [{"流水号": "registry?entry=1000100", "买方": "<b>甲</b> & 乙", "数量": 1234567, "树根": "3f" * 32,
             "证书": "certificate?retirement=R-1", "单价": "80.70 元/吨"},
            {"流水号": "registry?entry=7", "买方": "丙", "数量": -3, "树根": "ab" * 32,
             "证书": "certificate?retirement=R-2", "单价": "—"}]
    html = list_table_html(rows, links={"流水号": r"entry=(\d+)$", "证书": "证书"})

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.cells: list[tuple[str, dict[str, str | None], str]] = []  # (tag, attributes, text)
            self.links: list[tuple[str | None, str]] = []
            self._open: list[tuple[str, dict[str, str | None]]] = []
            self.tags: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.add(tag)
            self._open.append((tag, dict(attrs)))

        def handle_endtag(self, tag: str) -> None:
            self._open.pop()

        def handle_data(self, data: str) -> None:
            if self._open and self._open[-1][0] in ("th", "td"):
                self.cells.append((self._open[-1][0], self._open[-1][1], data))
            elif self._open and self._open[-1][0] == "a":
                self.links.append((self._open[-1][1].get("href"), data))

    reader = Reader()
    reader.feed(html)
    assert reader.tags <= {"style", "div", "table", "thead", "tbody", "tr", "th", "td", "a"}  # "<b>" stayed text
    assert f'<div class="{LIST_CLASS}">' in html and "position:sticky" in html
    header = [text for tag, _, text in reader.cells if tag == "th"]
    assert header == list(rows[0])
    body = {text: attrs.get("class") for tag, attrs, text in reader.cells if tag == "td"}
    # words and hashes to the left; a long text (over figures.LONG_TEXT) may wrap, a short one keeps its line
    assert body["<b>甲</b> & 乙"] is None and body["3f" * 32] == "w"
    assert body["1,234,567"] == "n" and body["-3"] == "n" and body["80.70 元/吨"] == "n" and body["—"] == "n"
    assert reader.links == [("registry?entry=1000100", "1000100"), ("certificate?retirement=R-1", "证书"),
                            ("registry?entry=7", "7"), ("certificate?retirement=R-2", "证书")]
    # a label that looks like a pattern but picks nothing from the address stays the label
    assert ">Certificate (PDF)</a>" in list_table_html([{"c": "certificate?retirement=R-1"}],
                                                       links={"c": "Certificate (PDF)"})


def test_the_shipped_server_config_watches_no_sources() -> None:
    """``streamlit run app.py`` reads ``.streamlit/config.toml``: with Streamlit's default source
    watcher, every page run hashed each loaded module and set up file watches on the server's
    event loop (about 1 s a page load at county scale, holding back tiles and messages), what
    the benchmarks never measured; Streamlit itself reads the shipped setting as "none"."""
    import subprocess
    import sys
    import tomllib

    shipped = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert shipped["server"]["fileWatcherType"] == "none"
    read = subprocess.run([sys.executable, "-c", "from streamlit import config; "
                           "print(config.get_option('server.fileWatcherType'))"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert read.stdout.strip() == "none"
