"""The overview page in a real Chromium against ``streamlit run app.py`` (first start, fresh home).

Waiting rule: a page is "done" when the expected text is on screen AND
``[data-testid="stApp"]`` has ``data-test-script-state="notRunning"``; no fixed sleeps, except
a short settle before screenshots so that the deck.gl canvas has painted, and a bounded window
in which a request to another host would be caught (absence cannot be awaited).

Screenshots land in ``<repo>/test-output/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import re
import urllib.request
from urllib.parse import urlsplit

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # the browser fixture skips with a reason
    PlaywrightTimeoutError = TimeoutError  # type: ignore[misc,assignment]

from sinkledger.catalogue import ui_text
from tests.browser.conftest import BROWSER_DATABASE_URL

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 1800}
PAGE_TIMEOUT_MS = 60_000  # first load seeds the demo database (~5-10 s on 2 cores)
OFFLINE_WINDOW_MS = 3_000  # how long to watch for a request to another host
SINK_ROWS = {"zh": ["竹林", "湿地", "茶园"], "en": ["Bamboo forest", "Wetland", "Tea garden"]}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff00-\uffef]")

APP_DONE_JS = """() => { const s = document.querySelector('[data-testid="stApp"]');
    return s !== null && s.getAttribute('data-test-script-state') === 'notRunning'; }"""
# The overview's figure tables are static Markdown tables (sinkledger.ui.figures.markdown_table),
# the sink type each row's first cell; the credits-by-sink-type table is the page's first.
FIGURE_TABLES = '[data-testid="stMain"] [data-testid="stMarkdownContainer"] table'
SINK_COLUMN_JS = """() => [...((document.querySelector('%s') || document.createElement('p'))
    .querySelectorAll('tbody tr td:first-child'))].map(e => e.textContent.trim())""" % FIGURE_TABLES


def n_parcels(server, page) -> int:  # type: ignore[no-untyped-def]
    """The active parcels the map's caption counts, read from the app server's own database now:
    the browser tests of one worker share one server, and some register parcels. Read once
    ``page`` has been drawn (a fresh server seeds its demo database on its first page)."""
    from sinkledger.services import tiles
    from tests.browser.conftest import server_service

    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for()
    page.wait_for_function(APP_DONE_JS)
    service = server_service(server)
    try:
        return sum(count for count, _ in tiles.parcel_summary(service).values())
    finally:
        service.db.dispose()


@pytest.fixture
def page(browser, streamlit_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    pg = context.new_page()
    pg.requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda request: pg.requests.append(request.url))  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        context.close()


def wait_until_done(page, *texts: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for every text in the main area, then for the script run to have finished."""
    main = page.get_by_test_id("stMain")
    for text in texts:
        main.get_by_text(text, exact=False).first.wait_for(state="visible")
    page.wait_for_function(APP_DONE_JS)


def sized_map_canvas(page, min_width: int, min_height: int):  # type: ignore[no-untyped-def]
    """The first map's deck.gl canvas, once deck.gl has sized it: a canvas is 300 x 150 until
    its first layout, and the chart's JS chunk loads lazily, after the script run."""
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay').first
    canvas.wait_for(state="visible")
    page.wait_for_function(
        """([w, h]) => { const c = document.querySelector('[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay');
        if (!c) return false; const r = c.getBoundingClientRect(); return r.width > w && r.height > h; }""",
        arg=[min_width, min_height])
    return canvas


def wait_for_sink_rows(page, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Poll the first table's row headers until they show the sink types in ``lang`` (after a
    language switch the old rows stay for a moment)."""
    page.wait_for_function(f"expected => JSON.stringify(({SINK_COLUMN_JS})()) === JSON.stringify(expected)",
                           arg=SINK_ROWS[lang])
    return page.evaluate(SINK_COLUMN_JS)


def switch_language(page, lang_label: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("stSidebar").get_by_text(lang_label, exact=True).click()


def save_screenshot(page, path) -> None:  # type: ignore[no-untyped-def]
    """Full-page screenshot. Streamlit scrolls ``stMain``, not the document, so grow the viewport
    to the content height first; the short settle lets deck.gl paint its canvas."""
    content_height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
    if content_height + 100 > VIEWPORT["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": content_height + 200})
        page.wait_for_function(APP_DONE_JS)
    page.wait_for_timeout(750)
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    size = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert size[0] == VIEWPORT["width"] and size[1] >= VIEWPORT["height"], (path, size)


def foreign_requests(urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob"}:
            continue
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOCAL_HOSTS:
            continue
        out.append(url)
    return out


def test_health_endpoint_answers_ok(streamlit_server) -> None:  # type: ignore[no-untyped-def]
    with urllib.request.urlopen(f"{streamlit_server.url}/_stcore/health", timeout=10) as resp:
        assert resp.status == 200
        assert resp.read().decode().strip() == "ok"


def test_landing_page_in_chinese(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    page.goto(streamlit_server.url + "/")
    wait_until_done(page, ui_text("app_title", "zh"), "哈希链已校验至第", ui_text("explore_map", "zh"))

    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name=ui_text("app_title", "zh")).count() >= 1
    # The first-start path created the default SQLite database in the fresh home.
    if not BROWSER_DATABASE_URL:
        assert (streamlit_server.home / "sinkledger.db").is_file(), streamlit_server.log()
    assert wait_for_sink_rows(page, "zh") == SINK_ROWS["zh"]
    success = page.locator('[data-testid="stAlertContentSuccess"]')
    assert success.count() == 1
    assert re.fullmatch(r"哈希链已校验至第 \d+ 条流水，无篡改。", success.inner_text().strip()), \
        success.inner_text()
    assert re.search(r"最新默克尔根: [0-9a-f]{64}", main.inner_text())
    assert page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count() == 0
    assert page.locator('[data-testid="stDeckGlJsonChart"]').count() == 0  # the landing page draws no map
    save_screenshot(page, screenshot_dir / "overview_zh.png")

    # ... it links to the map, which draws every parcel over tiles
    main.get_by_text(ui_text("explore_map", "zh"), exact=True).click()
    caption = ui_text("map_caption", "zh", n=n_parcels(streamlit_server, page))
    wait_until_done(page, caption)
    assert page.url.split("?")[0].endswith("/map")
    assert main.get_by_text(caption, exact=True).count() == 1, f"caption missing: {caption}"
    # The chart's JS chunk loads lazily: the element can appear after the script run ended.
    canvas = sized_map_canvas(page, 300, 300)
    assert page.locator('[data-testid="stDeckGlJsonChart"]').count() == 1
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300, box
    save_screenshot(page, screenshot_dir / "map_zh.png")

    # ... and to the statistics: the tables and the monthly charts
    page.goto(streamlit_server.url + "/")
    wait_until_done(page, ui_text("explore_statistics", "zh"))
    main.get_by_text(ui_text("explore_statistics", "zh"), exact=True).click()
    wait_until_done(page, ui_text("vintage_header", "zh"), ui_text("county_header", "zh"),
                    ui_text("activity_header", "zh"))
    assert page.url.split("?")[0].endswith("/statistics")
    charts = page.locator("figure.sl-chart")  # SVG in the page (sinkledger/ui/charts.py)
    charts.nth(1).wait_for(state="visible")
    assert charts.count() == 2 and page.locator('[data-testid="stVegaLiteChart"]').count() == 0
    for i in range(2):  # each fills its half of the page, its marks drawn inside it, each with its tooltip
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] >= 300, box
        marks = charts.nth(i).locator("rect[data-value], circle[data-value]")
        assert marks.count() > 3
        first = marks.first.bounding_box()
        assert first is not None and box["x"] <= first["x"] <= box["x"] + box["width"], (first, box)
        assert re.fullmatch(r".+: [\d,.]+ .+", marks.first.locator("title").text_content() or "")
    assert page.locator(FIGURE_TABLES).count() == 2 and page.locator('[data-testid="stTable"]').count() == 0
    save_screenshot(page, screenshot_dir / "statistics_zh.png")


def test_map_loads_nothing_from_other_hosts(page, streamlit_server) -> None:  # type: ignore[no-untyped-def]
    """The map must work offline: no basemap, no request to any host but the app server."""
    page.goto(streamlit_server.url + "/map")
    wait_until_done(page, ui_text("map_caption", "zh", n=n_parcels(streamlit_server, page)))
    chart = page.locator('[data-testid="stDeckGlJsonChart"]')
    chart.locator("canvas#deckgl-overlay").wait_for(state="visible")
    # Absence can only be observed over a window: wait up to OFFLINE_WINDOW_MS for a request to
    # another host (returns at once when one is made; networkidle never settles while a web
    # basemap keeps retrying, so it cannot be used here).
    try:
        page.wait_for_event("request", predicate=lambda r: bool(foreign_requests([r.url])),
                            timeout=OFFLINE_WINDOW_MS)
    except PlaywrightTimeoutError:
        pass

    basemap = chart.locator(".mapboxgl-map, .maplibregl-map")
    assert basemap.count() == 0, "the pydeck chart renders a web basemap (needs the internet)"
    urls = page.requests  # type: ignore[attr-defined]
    assert urls, "no requests recorded at all"
    assert foreign_requests(urls) == []


def test_switch_to_english(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    page.goto(streamlit_server.url + "/")
    wait_until_done(page, ui_text("app_title", "zh"), "哈希链已校验至第")
    wait_for_sink_rows(page, "zh")

    switch_language(page, "English")
    wait_until_done(page, ui_text("app_title", "en"), ui_text("integrity_header", "en"),
                    ui_text("explore_map", "en"), "Hash chain verified up to entry")
    main = page.get_by_test_id("stMain")
    assert main.get_by_text("Ledger integrity", exact=True).count() == 1
    assert wait_for_sink_rows(page, "en") == SINK_ROWS["en"]
    success = page.locator('[data-testid="stAlertContentSuccess"]').inner_text().strip()
    assert re.fullmatch(r"Hash chain verified up to entry \d+; no tampering found\.", success), success
    # Nothing in the main area is left in Chinese (the sidebar's language names are bilingual).
    leftovers = [line for line in main.inner_text().splitlines() if CJK.search(line)]
    assert leftovers == [], f"untranslated text in English mode: {leftovers}"

    save_screenshot(page, screenshot_dir / "overview_en.png")

    # the statistics and the map, reached from the landing page, stay in English
    main.get_by_text(ui_text("explore_statistics", "en"), exact=True).click()
    wait_until_done(page, ui_text("activity_header", "en"))
    page.locator("figure.sl-chart").nth(1).wait_for(state="visible")
    leftovers = [line for line in main.inner_text().splitlines() if CJK.search(line)]
    assert leftovers == [], f"untranslated text on the statistics page: {leftovers}"
    page.goto(streamlit_server.url + "/map?lang=en")
    wait_until_done(page, ui_text("map_caption", "en", n=n_parcels(streamlit_server, page)))
    sized_map_canvas(page, 300, 300)
    leftovers = [line for line in main.inner_text().splitlines() if CJK.search(line)]
    assert leftovers == [], f"untranslated text on the map page: {leftovers}"

    switch_language(page, "中文")
    wait_until_done(page, ui_text("page_map", "zh"), ui_text("map_caption", "zh", n=n_parcels(streamlit_server, page)))



@pytest.mark.parametrize("path", ["/overview", "/map"])
def test_a_page_opened_by_its_own_address_is_found(page, streamlit_server, path) -> None:  # type: ignore[no-untyped-def]
    """The landing page (served at "/") opened by its own address, as a bookmark or a reload
    does: no "Page not found" dialog, the page itself, and "/" still shows the landing page."""
    page.goto(streamlit_server.url + path)
    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for()
    page.wait_for_function(APP_DONE_JS)
    page.wait_for_timeout(500)
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    page.goto(streamlit_server.url + "/")
    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for()
    page.wait_for_function(APP_DONE_JS)
    assert page.get_by_text("Page not found").count() == 0
