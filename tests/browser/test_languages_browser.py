"""Both languages in the widgets Streamlit and Leaflet draw themselves, in a real Chromium.

- the drawing map's Leaflet.draw tooltips come from the catalogue (Chinese in the Chinese UI,
  English in the English one) and its scale bar is metric only (no "mi");
- the file uploader says "选择文件" and the settings' cap (``SINKLEDGER_MAX_FILE_MB``, 256 by
  default) instead of "Upload / 200MB per file";
- the language chosen survives a reload (it is kept in the address, as the sign-in in a cookie).

Same server as the other browser tests; screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import json

import pytest

from sinkledger.ui.text import text
from tests.browser.test_web_flows_browser import (  # noqa: F401 - page: the fixture
    APP_DONE_JS,
    CJK,
    done,
    no_traceback,
    page,
    shot,
    sign_in,
    zh,
)

pytestmark = pytest.mark.browser

DRAW_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def en(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "en", **params)


def open_register(page, url: str, title: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - the page fixture
    page.goto(f"{url}/register")
    page.get_by_test_id("stMain").get_by_role("heading", name=title).first.wait_for()
    page.wait_for_function(APP_DONE_JS)


def to_english(page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - the page fixture
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    page.get_by_test_id("stMain").get_by_role("heading", name=en("page_register")).first.wait_for()
    page.wait_for_function(APP_DONE_JS)


def draw_tool(page):  # type: ignore[no-untyped-def]  # noqa: F811 - the page fixture
    frame = page.frame_locator(DRAW_FRAME)
    button = frame.locator(".leaflet-draw-draw-polygon")
    button.wait_for()
    return frame, button


def test_the_drawing_tool_and_its_scale_speak_the_ui_language(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - the page fixture
    url = streamlit_server.url
    sign_in(page, url, "coop")
    open_register(page, url, zh("page_register"))
    frame, polygon = draw_tool(page)
    assert polygon.get_attribute("title") == zh("draw_polygon")
    polygon.click()  # drawing: the toolbar's actions and the tooltip follow the catalogue
    actions = frame.locator(".leaflet-draw-actions a:visible")
    actions.first.wait_for()
    assert actions.all_inner_texts() == [zh("draw_finish"), zh("draw_undo"), zh("draw_cancel")]
    assert zh("draw_start") in frame.locator(".leaflet-draw-tooltip").inner_text()
    scale = frame.locator(".leaflet-control-scale-line")
    assert scale.count() == 1  # metric only: one line, in m or km
    assert scale.inner_text().strip().endswith("m") and "mi" not in scale.inner_text()
    shot(page, screenshot_dir / "languages_draw_zh.png")
    to_english(page)
    frame, polygon = draw_tool(page)
    assert polygon.get_attribute("title") == en("draw_polygon")
    no_traceback(page)


def test_the_uploader_speaks_the_ui_language_and_shows_the_settings_cap(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - the page fixture
    url = streamlit_server.url
    sign_in(page, url, "coop")
    open_register(page, url, zh("page_register"))
    page.get_by_test_id("stMain").get_by_role("tab", name=zh("tab_upload")).click()
    zone = page.get_by_test_id("stFileUploaderDropzone").first
    zone.get_by_text(zh("uploader_button")).wait_for()
    page.wait_for_function(APP_DONE_JS)
    words = zone.inner_text()
    assert zh("uploader_limit", mb=256) in words
    assert "Upload" not in words and "per file" not in words and "200" not in words
    shot(page, screenshot_dir / "languages_uploader_zh.png")
    to_english(page)
    page.get_by_test_id("stMain").get_by_role("tab", name=en("tab_upload")).click()
    zone = page.get_by_test_id("stFileUploaderDropzone").first
    zone.get_by_text(en("uploader_limit", mb=256)).wait_for()
    assert not CJK.search(zone.inner_text())


def test_the_language_survives_a_reload(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - the page fixture
    url = streamlit_server.url
    sign_in(page, url, "coop")
    open_register(page, url, zh("page_register"))
    to_english(page)
    page.wait_for_function("() => location.search.includes('lang=en')")
    page.reload()
    done(page, en("page_register"))
    # still signed in, in English: the sidebar's last elements may still be arriving when the
    # main area's heading is there, so its sign-out button is waited for, not counted at once
    page.get_by_test_id("stSidebar").get_by_text(en("sign_out")).wait_for(timeout=30_000)
    assert page.get_by_test_id("stSidebar").get_by_text(en("sign_out")).count() == 1
    assert page.get_by_test_id("stMain").get_by_role("heading", name=en("page_register")).count() >= 1
    shot(page, screenshot_dir / "languages_reload_en.png")


def test_pickers_speak_the_ui_language(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 - the page fixture
    """A multiselect's and an empty picker's placeholder: "请选择", not "Choose options"."""
    url = streamlit_server.url
    sign_in(page, url, "insurer")
    picker = page.get_by_test_id("stMultiSelect").first
    picker.wait_for()
    page.wait_for_function(APP_DONE_JS)
    placeholder = picker.locator("input[placeholder]")
    wanted = json.dumps(zh("choose_options"))
    page.wait_for_function(f"""() => [...document.querySelectorAll('[data-testid="stMultiSelect"] input')]
        .some(e => e.getAttribute('placeholder') === {wanted})""")
    assert placeholder.get_attribute("placeholder") == zh("choose_options")
    shot(page, screenshot_dir / "languages_pickers_zh.png")
