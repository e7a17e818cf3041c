"""Staying signed in, and the person-register pages, in a real Chromium against ``streamlit run``.

- sign in, reload, still signed in (and in a new tab); sign out, reload, signed out: the session
  cookie (``sinkledger_session``) is set at sign-in with ``SameSite=Strict`` and removed at
  sign-out, and the URL never carries it;
- the household sees its own details in full (Chinese and English screenshots);
- the administrator erases a person: grounds, an explicit tick, then the erasure;
- the collection centre's masked household list and a batch estimate (screenshots).

Same server as the other browser tests; screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import pytest

from sinkledger.demo.people import synthetic_person
from sinkledger.services.people import PeopleService
from sinkledger.ui.text import text
from tests.browser.conftest import server_service
from tests.browser.test_web_flows_browser import (
    APP_DONE_JS,
    TIMEOUT_MS,
    VIEWPORT,
    done,
    no_traceback,
    shot,
    zh,
)
from tests.browser.test_web_flows_browser import sign_in as sign_in_here

pytestmark = pytest.mark.browser

COOKIE = "sinkledger_session"


@pytest.fixture
def page(browser, streamlit_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def en(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "en", **params)


def signed_in(pg) -> bool:  # type: ignore[no-untyped-def]
    return pg.get_by_test_id("stSidebar").get_by_text("已登录").count() > 0


def session_cookie(pg) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    return next((c for c in pg.context.cookies() if c["name"] == COOKIE), None)


def sign_in(pg, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in, then wait for the sidebar's script to store the session cookie (it runs when the
    element mounts, a moment after the run that signed in)."""
    sign_in_here(pg, url, username)
    pg.wait_for_function(f"() => document.cookie.includes('{COOKIE}=')")


def settle(pg) -> None:  # type: ignore[no-untyped-def]
    pg.wait_for_function(APP_DONE_JS)
    pg.wait_for_timeout(500)
    pg.wait_for_function(APP_DONE_JS)


def open_page(pg, url: str, path: str, *texts: str) -> None:  # type: ignore[no-untyped-def]
    pg.goto(f"{url}/{path}")
    done(pg, *texts)


def test_reload_and_new_tab_keep_the_user_signed_in_until_sign_out(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    sign_in(page, url, "verifier")
    cookie = session_cookie(page)
    assert cookie is not None and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert len(cookie["value"]) >= 43 and cookie["value"] not in page.url and "verifier" not in page.url
    page.reload()
    page.get_by_test_id("stSidebar").get_by_text("已登录").wait_for()
    settle(page)
    assert signed_in(page)
    done(page, zh("page_verify"))
    tab = page.context.new_page()
    tab.goto(url)
    tab.get_by_test_id("stSidebar").get_by_text("已登录").wait_for()
    tab.close()
    page.get_by_test_id("stSidebar").get_by_role("button", name=zh("sign_out")).click()
    page.get_by_test_id("stSidebar").get_by_text("已登录").wait_for(state="detached")
    settle(page)
    assert session_cookie(page) is None
    page.reload()
    settle(page)
    done(page, zh("page_signin"))  # the verifier's address, signed out: the sign-in, then that page (issue 19)
    assert not signed_in(page)
    no_traceback(page)
    shot(page, screenshot_dir / "people_signed_out_after_reload_zh.png")


def test_a_stale_cookie_does_not_sign_in(page, streamlit_server) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    sign_in(page, url, "clerk")
    old = session_cookie(page)["value"]
    page.get_by_test_id("stSidebar").get_by_role("button", name=zh("sign_out")).click()
    page.get_by_test_id("stSidebar").get_by_text("已登录").wait_for(state="detached")
    settle(page)
    host = url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": COOKIE, "value": old, "domain": host, "path": "/"}])  # replayed
    page.reload()
    settle(page)
    done(page, zh("page_signin"))  # the clerk's address, not signed in: the sign-in there
    assert not signed_in(page)


def test_household_sees_its_own_details(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    me = synthetic_person(1)
    url = streamlit_server.url
    sign_in(page, url, "household")
    open_page(page, url, "my_details", zh("page_my_details"), me["resident_id"], zh("pd_who_read_header"))
    main = page.get_by_test_id("stMain")
    for field in ("name", "phone", "bank_account"):
        assert main.get_by_text(me[field]).count() >= 1, field
    no_traceback(page)
    shot(page, screenshot_dir / "people_my_details_zh.png")
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    done(page, en("page_my_details"), en("pd_who_read_header"))
    settle(page)
    no_traceback(page)
    shot(page, screenshot_dir / "people_my_details_en.png")
    page.reload()  # still signed in, and still in English: the language is kept in the address (issue 19)
    page.get_by_test_id("stSidebar").get_by_text("Signed in").wait_for()
    done(page, en("page_my_details"))


def test_admin_erases_a_person_with_confirmation(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    target = synthetic_person(6)
    url = streamlit_server.url
    sign_in(page, url, "admin")
    open_page(page, url, "personal_data", zh("page_personal_data"))
    page.get_by_role("tab", name=zh("pd_tab_erase")).click()
    main = page.get_by_test_id("stMain")
    main.get_by_label(zh("pd_find_by_id")).fill(target["resident_id"])
    main.get_by_label(zh("pd_find_note")).fill("删除申请 E-B-1")
    main.get_by_role("button", name=zh("pd_find")).click()
    done(page, "找到：HH-0006")
    main.get_by_role("button", name=zh("pd_erase_start")).first.click()
    done(page, zh("pd_erase_confirm_header", party="HH-0006"))
    main.get_by_label(zh("pd_erase_reason")).fill("删除申请 E-B-1（2025-05-01）")
    main.get_by_role("button", name=zh("pd_erase_confirm")).click()
    done(page, zh("pd_erase_tick"))  # not ticked: nothing happens
    main.get_by_text(zh("pd_erase_check")).click()
    settle(page)
    shot(page, screenshot_dir / "people_erase_confirm_zh.png")
    main.get_by_role("button", name=zh("pd_erase_confirm")).click()
    done(page, "已删除 HH-0006")
    no_traceback(page)
    page.get_by_role("tab", name=zh("pd_tab_log")).click()
    settle(page)
    shot(page, screenshot_dir / "people_access_log_zh.png")
    service = server_service(streamlit_server)  # what the page did, read back from its database
    try:
        log = PeopleService(service).access_log(service.actor("admin"), party_id="HH-0006")
        erasures = [r for r in log if r["action"] == "erase"]
        assert len(erasures) == 1 and erasures[0]["note"] == "删除申请 E-B-1（2025-05-01）"
        assert service.verify().ok  # erasing personal data leaves the chain intact
    finally:
        service.db.dispose()


def test_centre_households_and_batch(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    sign_in(page, url, "centre")
    open_page(page, url, "households", zh("page_households"))
    page.get_by_test_id("stMain").get_by_text("139****0001").first.wait_for(state="attached")  # a grid cell
    assert page.get_by_test_id("stMain").get_by_text(synthetic_person(1)["phone"]).count() == 0
    no_traceback(page)
    shot(page, screenshot_dir / "people_households_centre_zh.png")
    open_page(page, url, "batch", zh("page_batch"))
    main = page.get_by_test_id("stMain")
    main.get_by_role("button", name=zh("batch_run")).click()
    done(page, "完成：")
    no_traceback(page)
    shot(page, screenshot_dir / "batch_estimates_zh.png")
