"""Issue 19, point 5, in a real Chromium: the parcel upload's field mapping is the cooperative's,
kept between visits. A file whose code column the importer does not know is mapped once (its
column, a default sink type and holder); signed in again later (a new browser session), a file of
the same shape is offered that mapping and previews clean at once.

Screenshots: test-output/screenshots/upload_mapping_set_zh.png, upload_mapping_reused_zh.png.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.test_web_flows_browser import (  # noqa: F401
    APP_DONE_JS,
    TIMEOUT_MS,
    VIEWPORT,
    choose,
    done,
    no_traceback,
    shot,
    sign_in,
    zh,
)
from tests.ui.scenario import square

pytestmark = pytest.mark.browser

COLUMN = "小班流水号"  # a code column under a name the importer does not recognise


def _bare(path, code: str) -> None:  # type: ignore[no-untyped-def]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": square("waiting"), "properties": {COLUMN: code, "county_code": "330523"}}]},
        ensure_ascii=False), encoding="utf-8")


def _upload(browser, server, path):  # type: ignore[no-untyped-def]
    """A new browser session: sign in as the cooperative and upload ``path`` on the register page."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, server.url, "coop")
    page.goto(server.url + "/register")
    page.get_by_test_id("stMain").get_by_role("heading", name=zh("page_register")).first.wait_for()
    page.get_by_role("tab", name=zh("tab_upload")).click()
    page.get_by_test_id("stMain").locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    return context, page


def test_the_upload_mapping_is_offered_again_in_a_later_session(browser, streamlit_server, screenshot_dir,
                                                                tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "first.geojson", tmp_path / "second.geojson"
    _bare(first, "MAP-B-0001")
    _bare(second, "MAP-B-0002")
    context, page = _upload(browser, streamlit_server, first)
    try:
        done(page, zh("mapping_needed"))
        choose(page, zh("mapfield_parcel_code"), COLUMN)
        choose(page, zh("mapping_default", field=zh("col_sink_type")), "竹林")
        choose(page, zh("mapping_default", field=zh("col_holder")), "COL-0001")
        done(page, zh("preview_ok", n=1))
        no_traceback(page)
        shot(page, screenshot_dir / "upload_mapping_set_zh.png")
    finally:
        context.close()
    context, page = _upload(browser, streamlit_server, second)  # later: a new session
    try:
        done(page, zh("preview_ok", n=1))  # the mapping is offered again: clean at once
        assert page.get_by_test_id("stMain").get_by_text(zh("mapping_needed")).count() == 0
        applied = page.get_by_test_id("stMain").get_by_text(f"{zh('mapfield_parcel_code')} ← {COLUMN}", exact=False)
        assert applied.first.is_visible()  # "the mapping applied" names the column it reads the code from
        no_traceback(page)
        shot(page, screenshot_dir / "upload_mapping_reused_zh.png")
    finally:
        context.close()
