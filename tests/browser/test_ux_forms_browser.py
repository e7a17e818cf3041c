"""Issue 19 in a real Chromium: a double click records one sale and the form locks; the balances
at the top follow; a signed-in page opens by its address (bookmark, reload, shared link); an
enterprise's retirement is confirmed first and ends on its certificate.

Same server and waiting rules as test_web_flows_browser.py; screenshots in test-output/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import server_service
from tests.browser.test_web_flows_browser import APP_DONE_JS, done, no_traceback, page, shot, sign_in, zh  # noqa: F401

pytestmark = pytest.mark.browser


def _not_found(page) -> bool:  # type: ignore[no-untyped-def]
    return page.get_by_text("Page not found").count() > 0 or page.get_by_text("You have requested page").count() > 0


def test_a_signed_in_page_opens_by_its_address(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    """A reload or a bookmark of a signed-in page opens that page, not "Page not found"."""
    sign_in(page, streamlit_server.url, "clerk")
    page.goto(streamlit_server.url + "/sales")  # a bookmark, in the same browser
    page.get_by_test_id("stMain").get_by_role("heading", name=zh("page_sales")).first.wait_for()
    page.wait_for_function(APP_DONE_JS)
    assert not _not_found(page)
    page.reload()
    page.get_by_test_id("stMain").get_by_role("heading", name=zh("page_sales")).first.wait_for()
    page.wait_for_function(APP_DONE_JS)
    page.wait_for_timeout(500)
    assert not _not_found(page)
    no_traceback(page)
    assert page.url.endswith("/sales")
    shot(page, screenshot_dir / "address_reload_sales_zh.png")


def test_a_signed_in_address_signs_in_first_then_opens(browser, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    """A shared link to a signed-in page in a browser that is not signed in: the sign-in page,
    then, once signed in, the page the link named."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    pg = context.new_page()
    try:
        pg.goto(streamlit_server.url + "/sales")
        done(pg, zh("demo_users"))
        assert not _not_found(pg)
        pg.get_by_label(zh("username")).fill("clerk")
        pg.get_by_label(zh("password")).fill("demo1234")
        pg.get_by_test_id("stMain").get_by_role("button", name=zh("sign_in")).click()
        pg.get_by_test_id("stMain").get_by_role("heading", name=zh("page_sales")).first.wait_for()
        pg.wait_for_function(APP_DONE_JS)
        assert not _not_found(pg)
        shot(pg, screenshot_dir / "address_signin_then_sales_zh.png")
    finally:
        context.close()
