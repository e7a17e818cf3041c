"""The income pages in a real Chromium against ``streamlit run app.py`` (the demo's income chain).

A household signs in, reads its statement and downloads it as a PDF; the collection centre
previews a sale's distribution, checks that it adds up to the fen and confirms it; the payment
officer opens the payment list. Screenshots (Chinese and English) go to test-output/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from sinkledger.ui.text import text
from tests.browser.conftest import server_service
from tests.browser.test_web_flows_browser import (
    APP_DONE_JS,
    CJK,
    TIMEOUT_MS,
    VIEWPORT,
    _is_data,
    done,
    go,
    no_traceback,
    shot,
    sign_in,
    zh,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, streamlit_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def en(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "en", **params)


def switch_to_english(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    page.wait_for_function(APP_DONE_JS)


def test_household_reads_its_statement_and_downloads_the_pdf(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "tea_household")
    go(page, zh("page_inc_my_income"))
    done(page, zh("inc_items"), zh("inc_download_pdf"))
    no_traceback(page)
    main = page.get_by_test_id("stMain")
    paid = main.locator('dl.sl-headline > div').filter(has_text=zh("inc_paid")).first.inner_text()
    assert re.search(r"[1-9][\d,]*\.\d\d 元", paid), paid  # the demo paid this household's share
    shot(page, screenshot_dir / "income_household_zh.png")
    with page.expect_download() as info:
        main.get_by_role("button", name=zh("inc_download_pdf")).click()
    pdf = info.value.path().read_bytes()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 2000
    (screenshot_dir / "income_statement.pdf").write_bytes(pdf)
    switch_to_english(page)
    done(page, en("page_inc_my_income"), en("inc_items"))
    lines = [line for line in main.inner_text().splitlines() if CJK.search(line)]
    assert all(_is_data(line) or "（" in line for line in lines), lines
    shot(page, screenshot_dir / "income_household_en.png")


def test_centre_previews_and_confirms_a_distribution(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "centre")  # the first page load has seeded the demo
    service = server_service(streamlit_server)
    try:
        sale = service.sell(service.actor("clerk"), "browser:income:sale", seller_account="CENTRE-AJ-H",
                            buyer_account="ENT-0001-H", quantity=2, price_fen_per_t=7500,
                            contract_no="HZGX-BROWSER-INC-1")
    finally:
        service.db.dispose()
    go(page, zh("page_inc_centre"))
    amount = "150.00"
    done(page, zh("inc_lines"), amount)
    no_traceback(page)
    main = page.get_by_test_id("stMain")
    preview = main.locator('[data-testid="stAlertContentSuccess"]').first.inner_text()
    assert re.search(rf"合计 {re.escape(amount)} 元，等于成交金额 {re.escape(amount)} 元", preview), preview
    shot(page, screenshot_dir / "income_distribution_preview_zh.png")
    main.get_by_role("button", name=zh("inc_confirm_distribution")).click()
    done(page, "已登记分配")
    no_traceback(page)
    service = server_service(streamlit_server)
    try:
        recorded = [d for d in service.income.distributions(service.actor("centre")) if d["sale_seq"] == sale["seq"]]
    finally:
        service.db.dispose()
    assert [d["amount_fen"] for d in recorded] == [15_000]
    switch_to_english(page)
    done(page, en("page_inc_centre"), en("inc_distributions"))
    shot(page, screenshot_dir / "income_distribution_done_en.png")


def test_payment_officer_opens_the_payment_list(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "cashier")
    go(page, zh("page_inc_paylist"))
    done(page, zh("inc_paylist_hidden"))
    main = page.get_by_test_id("stMain")
    main.get_by_role("button", name=zh("inc_show_full_accounts")).click()
    done(page, zh("inc_paylist_prepare_xlsx"))
    no_traceback(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    shot(page, screenshot_dir / "income_payment_list_zh.png")


@pytest.mark.parametrize(("user", "title", "waits_for"), [
    ("tea_coop", "page_inc_coop", "inc_by_party"), ("centre", "page_inc_contracts", "inc_documents"),
    ("bank", "page_inc_liens", "inc_my_liens"), ("insurer", "page_losses", "inc_loss_choose_parcels")])
def test_income_pages_open_without_errors(page, streamlit_server, screenshot_dir, user, title, waits_for) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, user)
    go(page, zh(title))
    done(page, zh(waits_for))
    no_traceback(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    shot(page, screenshot_dir / f"income_{user}_{title}_zh.png")
