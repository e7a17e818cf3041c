"""The price index, index insurance and the reference price in a real Chromium (issue 22,
docs/prices.md), against ``streamlit run app.py`` and its demo (sinkledger/demo/prices.py).

The public reads the index and its latest published month; the insurer issues a policy in the
form, settles a policy whose period has ended (recorded beforehand through the service with the
clock moved back to before its period) and sees the payout in the list; the insured cooperative
sees its households' lines; the clerk's sale form shows the wetland project's reference price.
Screenshots in Chinese and English go to test-output/screenshots/ (the ones worth keeping are
copied to docs/screenshots/).
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from sinkledger.demo import prices as demo
from sinkledger.demo.roles import HOUSEHOLD_CONTRACT_NO
from sinkledger.ui.figures import HEADLINE_CLASS
from sinkledger_base.money import money_text, price_text
from tests.browser.conftest import server_service
from tests.browser.test_income_browser import en
from tests.browser.test_income_browser import switch_to_english as english
from tests.browser.test_web_flows_browser import (  # noqa: F401 - page: the fixture, reused
    APP_DONE_JS,
    choose,
    done,
    go,
    no_traceback,
    page,
    shot,
    sign_in,
    zh,
)

pytestmark = pytest.mark.browser

HEADLINE = f"dl.{HEADLINE_CLASS}"  # the headline figures (sinkledger/ui/figures.py)
SETTLED_HERE = {"policy_no": "PIX-AJ-2026-002（演示）", "insured_party_id": "COL-0001",
                "contract_no": HOUSEHOLD_CONTRACT_NO, **demo.BAMBOO_MARKET, "period_start": "2026-03-01",
                "period_end": "2026-05-31", "strike_fen_per_t": 8200, "insured_t": 200, "premium_fen": 20_000}


def test_the_public_reads_the_price_index(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    """Given the demo's bamboo sales, the public page shows the latest published month (2026-09)
    with the index the service computes, and April 2025 in the table, in both languages."""
    page.goto(streamlit_server.url + "/")
    done(page)  # the first load seeds the demo
    service = server_service(streamlit_server)
    try:
        windows = service.prices.index(**demo.BAMBOO_MARKET, date_from="2024-01-01", date_to="2026-12-31")["windows"]
    finally:
        service.db.dispose()
    published = {w["window"]: w["index_fen_per_t"] for w in windows if w["published"]}
    latest = max(published)
    assert latest == demo.INDEX_MONTHS[-1]
    page.goto(streamlit_server.url + "/prices")
    done(page, zh("page_price_index"), zh("px_latest", window=latest))
    no_traceback(page)
    main = page.get_by_test_id("stMain")
    metric = main.locator(HEADLINE).filter(has_text=zh("px_latest", window=latest)).inner_text()
    assert price_text(published[latest], "zh") in metric, metric
    grid = main.locator('[data-testid="stMarkdownContainer"] table').first  # the windows, a static table
    grid.wait_for()
    assert demo.INDEX_MONTHS[-1] in grid.inner_text()
    shot(page, screenshot_dir / "price_index_public_zh.png")
    # the trace comes on demand: opened, the latest window's trace downloads and recomputes
    assert main.locator('[data-testid="stSelectbox"]').count() == 0
    main.get_by_text(zh("px_trace_title"), exact=True).click()
    done(page, zh("px_trace_window"))
    with page.expect_download() as info:
        main.get_by_role("button", name=zh("px_trace_download")).click()
    trace = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert trace["window"] == latest and trace["inputs"]
    service = server_service(streamlit_server)
    try:
        assert service.prices.check_trace(trace)["ok"] is True
    finally:
        service.db.dispose()
    english(page)
    # the trace stays open through the switch (its expander is a new one under the English label)
    done(page, en("page_price_index"), en("px_latest", window=latest), en("px_trace_window"))
    metric = main.locator(HEADLINE).filter(has_text=en("px_latest", window=latest)).inner_text()
    assert price_text(published[latest], "en") in metric, metric
    assert main.get_by_role("button", name=en("px_trace_download")).is_visible()
    no_traceback(page)
    shot(page, screenshot_dir / "price_index_public_en.png")


def test_the_insurer_issues_and_settles_a_policy(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    """Given a policy on the first collective's contract over spring 2026 (issued in February
    through the service), the insurer issues another in the form, then settles the first: the
    preview's payout is (strike − index) × tonnes, confirmed it is recorded with its lines to
    the households, and the list shows both policies and the demo's settled one."""
    sign_in(page, streamlit_server.url, "insurer")
    service = server_service(streamlit_server)
    wall = service.clock
    try:
        if SETTLED_HERE["policy_no"] not in {p["policy_no"] for p in service.prices.policies(
                service.actor("insurer"))["items"]}:
            service.clock = lambda: "2026-02-20T02:00:00.000000+00:00"  # issued before its period
            service.prices.issue_policy(service.actor("insurer"), "browser:prices:policy", **SETTLED_HERE)
        service.clock = wall
        index = service.prices.index(**demo.BAMBOO_MARKET, date_from="2026-03-01", date_to="2026-05-31")
        assert sum(w["trades"] for w in index["windows"]) >= 3  # the spring's three sellers
    finally:
        service.clock = wall
        service.db.dispose()
    go(page, zh("page_index_insurance"))
    done(page, zh("pol_contract"))
    main = page.get_by_test_id("stMain")
    main.get_by_label(zh("inc_policy_no")).fill("PIX-BROWSER-0001")
    choose(page, zh("pol_contract"), "AJSC-BF-2024-07")
    main.get_by_label(zh("pol_strike_yuan")).fill("80.00")
    main.get_by_label(zh("pol_premium_yuan")).fill("600.00")
    main.get_by_role("button", name=zh("pol_issue")).click()
    done(page, "PIX-BROWSER-0001")
    no_traceback(page)
    assert main.locator('[data-testid="stAlertContentError"]').count() == 0
    assert main.get_by_text(zh("pol_issued", policy="PIX-BROWSER-0001", cover=money_text(8000 * 1000, "zh"))).count()
    shot(page, screenshot_dir / "index_insurance_issued_zh.png")

    main.get_by_role("tab", name=zh("pol_tab_settle")).click()
    choose(page, zh("pol_choose"), "PIX-AJ-2026-002")
    done(page, zh("pol_payout"))
    service = server_service(streamlit_server)
    try:
        plan = service.prices.preview_settlement(service.actor("insurer"), policy_no=SETTLED_HERE["policy_no"])
    finally:
        service.db.dispose()
    assert plan["published"] and plan["payout_fen"] == (8200 - plan["index_fen_per_t"]) * 200 > 0
    payout = main.locator('dl.sl-headline > div').filter(has_text=zh("pol_payout")).first.inner_text()
    assert money_text(plan["payout_fen"], "zh") in payout, payout
    shot(page, screenshot_dir / "index_insurance_settle_preview_zh.png")
    main.get_by_label(zh("inc_reference")).fill("保险赔款转账（浏览器测试）")
    main.get_by_role("button", name=zh("pol_settle")).click()
    main.get_by_role("button", name=zh("confirm_yes")).click()
    done(page, zh("pol_settled", policy=SETTLED_HERE["policy_no"], payout=money_text(plan["payout_fen"], "zh")))
    no_traceback(page)
    service = server_service(streamlit_server)
    try:
        view = service.prices.policy(service.actor("insurer"), policy_no=SETTLED_HERE["policy_no"])
    finally:
        service.db.dispose()
    assert view["status"] == "settled" and view["settlement"]["payout_fen"] == plan["payout_fen"]
    assert sum(d["amount_fen"] for d in view["settlement"]["due_items"]) == plan["payout_fen"]
    assert {d["party_id"] for d in view["settlement"]["due_items"]} >= {"HH-0001"}

    main.get_by_role("tab", name=zh("pol_tab_list")).click()
    page.wait_for_function(APP_DONE_JS)
    listing = main.locator('[data-testid="stDataFrame"], [data-testid="stTable"]').last
    listing.wait_for()
    shot(page, screenshot_dir / "index_insurance_list_zh.png")
    english(page)
    done(page, en("page_index_insurance"))
    main.get_by_role("tab", name=en("pol_tab_list")).click()
    page.wait_for_function(APP_DONE_JS)
    no_traceback(page)
    shot(page, screenshot_dir / "index_insurance_list_en.png")


def test_the_insured_cooperative_sees_its_policy_and_lines(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    """The insured collective's page lists the settled policy and, line by line, what it owes
    its households of the payout: the amounts the ledger recorded."""
    sign_in(page, streamlit_server.url, "coop")  # the server seeds the demo on its first page
    go(page, zh("page_my_policies"))
    heading = page.get_by_test_id("stMain").get_by_role("heading", name=zh("pol_lines_of", policy=demo.POLICY["policy_no"]))
    heading.wait_for()
    page.wait_for_function(APP_DONE_JS)
    no_traceback(page)
    service = server_service(streamlit_server)
    try:
        policy = service.prices.policy(service.actor("coop"), policy_no=demo.POLICY["policy_no"])
    finally:
        service.db.dispose()
    lines = policy["settlement"]["due_items"]
    assert lines and sum(d["amount_fen"] for d in lines) <= policy["settlement"]["payout_fen"]
    assert heading.count() == 1
    main = page.get_by_test_id("stMain")
    for d in lines:  # the table's cells (drawn on a canvas; their text is in the page, not visible)
        for text in (d["parcel_code"], money_text(d["amount_fen"], "zh")):
            main.get_by_text(text, exact=False).first.wait_for(state="attached")
    shot(page, screenshot_dir / "index_insurance_coop_zh.png")


def test_the_clerks_sale_form_shows_the_reference_price(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    """Given the wetland project's factors and the published wetland month, choosing a seller of
    its credits shows the index and the reference price = index × the factors' product."""
    sign_in(page, streamlit_server.url, "clerk")
    service = server_service(streamlit_server)
    try:
        seller = service.parcel(demo.PRICED_SALE[1])["holder_party_id"] + "-H"
        form = service.prices.reference_price(service.actor("clerk"), seller_account=seller, quantity=1)
    finally:
        service.db.dispose()
    line = form["lines"][0]
    assert line["reference_index"]["published"] and line["factors"]
    expected = (Decimal(line["reference_index"]["index_fen_per_t"]) * Decimal(line["product"])).quantize(
        Decimal(1), ROUND_HALF_UP)
    assert line["reference_price_fen_per_t"] == int(expected)
    choose(page, zh("seller"), seller)
    done(page, zh("px_reference_title"), zh("px_reference_price"))
    no_traceback(page)
    main = page.get_by_test_id("stMain")
    reference = main.locator('dl.sl-headline > div').filter(has_text=zh("px_reference_price")).inner_text()
    assert price_text(line["reference_price_fen_per_t"], "zh") in reference, reference
    shot(page, screenshot_dir / "sale_reference_price_zh.png")
    english(page)
    done(page, en("px_reference_title"), en("px_reference_price"))
    reference = main.locator('dl.sl-headline > div').filter(has_text=en("px_reference_price")).inner_text()
    assert price_text(line["reference_price_fen_per_t"], "en") in reference, reference
    shot(page, screenshot_dir / "sale_reference_price_en.png")


def test_the_household_sees_the_payout_in_its_statement(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    """The demo policy's payout, passed on by the collective, is in the household's statement: its
    totals on the page are the service's, whose items include the payout's lines (the items
    table is a canvas grid: its text is not in the page; the screenshot shows it)."""
    from datetime import date

    sign_in(page, streamlit_server.url, "household")
    go(page, zh("page_inc_my_income"))
    done(page, zh("inc_items"))
    no_traceback(page)
    service = server_service(streamlit_server)
    try:
        settlement = service.prices.policy(service.actor("insurer"), policy_no=demo.POLICY["policy_no"])["settlement"]
        statement = service.income.statement(service.actor("household"), party_id="HH-0001",
                                             period_start=f"{date.today().year - 1}-01-01",
                                             period_end=date.today().isoformat())
    finally:
        service.db.dispose()
    mine = [i for i in statement["items"] if i["source_id"] == settlement["id"]]
    assert mine and all(i["status"] == "paid" for i in mine)
    main = page.get_by_test_id("stMain")
    paid = main.locator('dl.sl-headline > div').filter(has_text=zh("inc_paid")).first.inner_text()
    assert money_text(statement["totals"]["paid_fen"], "zh") in paid, paid
    main.get_by_text(zh("inc_items")).first.scroll_into_view_if_needed()
    shot(page, screenshot_dir / "index_insurance_household_zh.png")
