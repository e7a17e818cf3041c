"""The pages of issue 22 in a real Chromium against ``streamlit run app.py`` (the demo): the
authority pays a verified estimate from its programme and sees its obligations; the enterprise
sees its obligation met and downloads the certificate; a tea household sees the compensation on
its statement; anyone checks the certificate on the public page. Screenshots in Chinese and
English go to test-output/screenshots/."""

from __future__ import annotations

import pytest

from sinkledger.demo.instruments import PROGRAMME
from tests.browser.conftest import server_service
from tests.browser.test_income_browser import en, switch_to_english
from tests.browser.test_web_flows_browser import APP_DONE_JS, TIMEOUT_MS, VIEWPORT, done, go, no_traceback, shot, \
    sign_in, zh

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


def in_table(page, *texts: str) -> None:  # type: ignore[no-untyped-def]
    """Texts in a dataframe (drawn on a canvas; its cells are in the page, not visible as text)."""
    for text in texts:
        page.get_by_test_id("stMain").get_by_text(text, exact=False).first.wait_for(state="attached")


def _tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("stMain").get_by_role("tab", name=name).click()
    page.wait_for_function(APP_DONE_JS)


def test_the_authority_pays_from_its_programme_and_follows_its_obligations(page, streamlit_server,  # type: ignore[no-untyped-def]
                                                                           screenshot_dir) -> None:
    sign_in(page, streamlit_server.url, "authority")
    done(page, zh("page_authority"), zh("ins_new_programme"))
    in_table(page, PROGRAMME["code"])
    no_traceback(page)
    shot(page, screenshot_dir / "authority_programmes_zh.png")
    service = server_service(streamlit_server)
    try:
        payable = service.compensation.payable_estimates(service.actor("authority"), programme_code=PROGRAMME["code"])
        before = service.compensation.programme(service.actor("authority"), code=PROGRAMME["code"])["paid_fen"]
    finally:
        service.db.dispose()
    _tab(page, zh("ins_payments"))
    main = page.get_by_test_id("stMain")
    if payable:  # the demo leaves estimates to pay: pay the first from the page
        done(page, zh("ins_payable"), zh("ins_pay"))
        main.get_by_label(zh("ins_pay_reference")).fill("浏览器测试 001")
        shot(page, screenshot_dir / "authority_payment_preview_zh.png")
        main.get_by_role("button", name=zh("ins_pay")).click()
        done(page, "EC-")
        no_traceback(page)
        service = server_service(streamlit_server)
        try:
            after = service.compensation.programme(service.actor("authority"), code=PROGRAMME["code"])["paid_fen"]
        finally:
            service.db.dispose()
        assert after > before
    _tab(page, zh("ins_obligations"))
    done(page, zh("ins_new_obligation"))
    in_table(page, zh("ins_status_met"), zh("ins_status_open"))
    shot(page, screenshot_dir / "authority_obligations_zh.png")
    switch_to_english(page)
    _tab(page, en("ins_obligations"))
    done(page, en("ins_new_obligation"))
    in_table(page, en("ins_status_met"), en("ins_shortfall"))
    no_traceback(page)
    shot(page, screenshot_dir / "authority_obligations_en.png")


def test_the_enterprise_sees_its_obligation_met_and_downloads_the_certificate(page, streamlit_server,  # type: ignore[no-untyped-def]
                                                                              screenshot_dir) -> None:
    sign_in(page, streamlit_server.url, "enterprise")
    go(page, zh("page_obligations"))
    done(page, zh("ins_certificate_pdf_zh"))
    in_table(page, zh("ins_status_met"))
    no_traceback(page)
    shot(page, screenshot_dir / "enterprise_obligation_zh.png")
    main = page.get_by_test_id("stMain")
    with page.expect_download() as info:
        main.get_by_role("button", name=zh("ins_certificate_pdf_zh")).click()
    pdf = info.value.path().read_bytes()
    assert pdf[:5] == b"%PDF-"
    (screenshot_dir / "obligation_certificate_zh.pdf").write_bytes(pdf)
    switch_to_english(page)
    done(page, en("page_obligations"), en("ins_certificate_pdf_en"))
    with page.expect_download() as info:
        main.get_by_role("button", name=en("ins_certificate_pdf_en")).click()
    (screenshot_dir / "obligation_certificate_en.pdf").write_bytes(info.value.path().read_bytes())
    shot(page, screenshot_dir / "enterprise_obligation_en.png")


def test_a_household_sees_the_compensation_and_anyone_checks_the_certificate(page, streamlit_server,  # type: ignore[no-untyped-def]
                                                                             screenshot_dir) -> None:
    service = server_service(streamlit_server)
    try:
        household = service.actor("tea_household")
        paid = [i for i in service.income.due_items(household) if i["source_kind"] == "compensation"]
    finally:
        service.db.dispose()
    assert paid and all(i["party_id"] == household.party_id for i in paid)
    sign_in(page, streamlit_server.url, "tea_household")
    go(page, zh("page_inc_my_income"))
    done(page, zh("inc_items"))
    in_table(page, "生态补偿", *{i["source_id"] for i in paid})  # each compensation payment, by its id
    no_traceback(page)
    shot(page, screenshot_dir / "household_compensation_zh.png")
    service = server_service(streamlit_server)
    try:
        met = [o for o in service.obligations.obligations(service.actor("authority")) if o["status"] == "met"][0]
        code = service.obligations.obligation(service.actor("authority"), obligation_id=met["id"])["certificates"][0][
            "code"]
    finally:
        service.db.dispose()
    page.goto(f"{streamlit_server.url}/certificate?ocert={code}")
    done(page, zh("certificate_valid", code=code))
    no_traceback(page)
    shot(page, screenshot_dir / "public_obligation_certificate_zh.png")
