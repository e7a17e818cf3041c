"""Issue 19 in a real Chromium: a double click records one sale and the form locks; the balances
at the top follow; a signed-in page opens by its address (bookmark, reload, shared link); an
enterprise's retirement is confirmed first and ends on its certificate.

Same server and waiting rules as test_web_flows_browser.py; screenshots in test-output/screenshots/.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import server_service
from tests.browser.test_web_flows_browser import (  # noqa: F401
    APP_DONE_JS,
    done,
    no_traceback,
    page,
    shot,
    sign_in,
    zh,
)

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
    assert urlparse(page.url).path.endswith("/sales")  # the address may also keep the language (?lang=)
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


def _metric_t(main, label: str) -> int:  # type: ignore[no-untyped-def]
    metric = main.locator('dl.sl-headline > div').filter(has_text=label).first
    return int(re.search(r"([\d,]+) 吨", metric.inner_text()).group(1).replace(",", ""))


def test_a_double_click_records_one_sale_and_locks_the_form(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "clerk")
    main = page.get_by_test_id("stMain")
    before = _metric_t(main, zh("available_balance"))
    contract = main.get_by_label(zh("contract_no"))
    contract.fill("HZGX-DOUBLE-0001")
    contract.press("Enter")
    page.wait_for_function(APP_DONE_JS)
    main.get_by_role("button", name=zh("record_sale")).dblclick()
    done(page, "交易已记录")
    page.wait_for_timeout(1500)  # a second press, had it counted, would have run by now
    page.wait_for_function(APP_DONE_JS)
    no_traceback(page)
    service = server_service(streamlit_server)
    try:
        sales = [s for s in service_sales(service) if s["contract_no"] == "HZGX-DOUBLE-0001"]
    finally:
        service.db.dispose()
    assert len(sales) == 1, sales
    assert main.get_by_role("button", name=zh("record_sale")).count() == 0  # locked
    assert _metric_t(main, zh("available_balance")) == before - 1  # the balance at the top follows
    link = main.get_by_role("link", name=zh("entry_link", seq=sales[0]["seq"]))
    assert link.get_attribute("href").endswith(f"registry?entry={sales[0]['seq']}")
    shot(page, screenshot_dir / "sale_double_click_locked_zh.png")
    main.get_by_role("button", name=zh("new_sale")).click()
    main.get_by_role("button", name=zh("record_sale")).wait_for()
    page.wait_for_function(APP_DONE_JS)
    assert main.get_by_label(zh("contract_no")).input_value() == ""


def service_sales(service):  # type: ignore[no-untyped-def]
    from sinkledger.services import queries as ui_queries

    return ui_queries.sales(service, contract="HZGX-DOUBLE")


def test_an_enterprise_retirement_is_confirmed_and_ends_on_its_certificate(page, streamlit_server,
                                                                          screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "enterprise")
    main = page.get_by_test_id("stMain")
    before = _metric_t(main, zh("available_balance"))
    main.get_by_label(zh("beneficiary")).fill("浏览器测试受益人（虚构）")
    main.get_by_label(zh("purpose")).fill("演示")
    main.get_by_role("button", name=zh("retire_credits")).click()
    done(page, "注销后不可撤销")
    assert _metric_t(main, zh("available_balance")) == before  # nothing before the confirmation
    shot(page, screenshot_dir / "retire_confirm_zh.png")
    main.get_by_role("button", name=zh("confirm_yes")).click()
    done(page, zh("retired_message", quantity="1 吨"))
    no_traceback(page)
    assert _metric_t(main, zh("available_balance")) == before - 1
    link = main.get_by_role("link", name=zh("pr_certificate_link")).first
    assert "certificate?retirement=RT-" in link.get_attribute("href")
    with page.expect_download() as info:
        main.get_by_role("button", name=re.compile("下载注销证明")).first.click()
    assert info.value.path().read_bytes()[:5] == b"%PDF-"
    shot(page, screenshot_dir / "retire_done_certificate_zh.png")
