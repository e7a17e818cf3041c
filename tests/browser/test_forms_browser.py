"""Issue 19's rule for forms in a real Chromium: a second press (a double click, or a press
again as soon as the first is recorded, while the page redraws) has one effect, a reload after
success repeats nothing, and an irreversible act is asked first (cancelling changes nothing);
the success shows what was recorded with a link to its entry. The court case and order, the
lien (register, and release from a list whose next lien a stray second press would reach), the
payment and the erasure. On the pages before issue 19's forms rule the order and the lien were
recorded twice by the same presses.

What each flow did is counted in the app's own database (``server_service``). Same server and
waiting rules as test_web_flows_browser.py; screenshots in test-output/screenshots/.
"""

from __future__ import annotations

import pytest

from sinkledger.demo.people import synthetic_person
from sinkledger.services.people import PeopleService
from sinkledger.ui.text import text
from tests.browser.conftest import server_service
from tests.browser.test_web_flows_browser import (  # noqa: F401
    APP_DONE_JS,
    choose,
    done,
    no_traceback,
    page,
    shot,
    sign_in,
    zh,
)

pytestmark = pytest.mark.browser

SECOND_PRESS_MS = 1500  # a second press, had it counted, would have run by then


def en(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "en", **params)


def read(server, fn):  # type: ignore[no-untyped-def]
    """``fn(service)`` on the app server's own database."""
    service = server_service(server)
    try:
        return fn(service)
    finally:
        service.db.dispose()


def press_twice(page, server, button, recorded) -> None:  # type: ignore[no-untyped-def]
    """Press ``button``, and press it again as soon as the first press is recorded
    (``recorded(service)`` true), on the button as it was: what a hurried person does while the
    page is still redrawing. (``dblclick`` alone is too fast: Streamlit cuts the first run short
    before it reaches the command, so the old pages recorded it once too.)"""
    handle = button.element_handle()
    button.click()
    service = server_service(server)
    try:
        for _ in range(300):
            if recorded(service):
                break
            page.wait_for_timeout(100)
        else:
            from tests.browser.conftest import SCREENSHOT_DIR

            page.screenshot(path=str(SCREENSHOT_DIR / "failure_last.png"), full_page=True)
            raise AssertionError("the first press was never recorded")
    finally:
        service.db.dispose()
    handle.evaluate("el => { if (el.isConnected) el.click(); }")


def settle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(SECOND_PRESS_MS)
    page.wait_for_function(APP_DONE_JS)


def open_path(page, url: str, path: str, heading: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/{path}")
    page.get_by_test_id("stMain").get_by_role("heading", name=heading).first.wait_for()
    page.wait_for_function(APP_DONE_JS)


def english(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    page.wait_for_function(APP_DONE_JS)


def gone(page, text_: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until no visible element says ``text_`` (a question answered), then for the run."""
    page.get_by_test_id("stMain").get_by_text(text_).first.wait_for(state="hidden")
    settle(page)


def shown(main, text_: str) -> int:  # type: ignore[no-untyped-def]
    """How many visible elements say ``text_`` (hidden tabs keep their elements in the page)."""
    return main.get_by_text(text_).filter(visible=True).count()


def links_to_entry(main, seq: int) -> bool:  # type: ignore[no-untyped-def]
    """The page links journal entry ``seq`` on the public registry, under its name."""
    link = main.get_by_role("link", name=zh("entry_link", seq=seq))
    return link.count() == 1 and link.get_attribute("href").endswith(f"registry?entry={seq}")


# -- court: an order, double-clicked; a withdrawal, asked first ------------------------------------

CASE = "(2025)浙0521民初1919号"


def test_a_double_clicked_order_is_one_order_and_a_withdrawal_is_asked_first(page, streamlit_server,
                                                                             screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    sign_in(page, url, "court")
    main = page.get_by_test_id("stMain")
    # the court's page drawn before its form is looked at (is_visible does not wait: a click on
    # an expander still being drawn open would fold it)
    main.get_by_role("heading", name=zh("page_cases")).first.wait_for()
    page.wait_for_function(APP_DONE_JS)
    if not main.get_by_label(zh("col_case_no")).is_visible():  # folded once the court has cases
        main.get_by_text(zh("register_case"), exact=True).first.click()
    main.get_by_label(zh("col_case_no")).fill(CASE)
    choose(page, zh("defendants"), "ENT-0002")
    main.get_by_label(zh("col_ecosystem")).fill("下渚湖湿地（演示）")
    main.get_by_label(zh("description")).fill("非法捕捞（演示）")
    main.get_by_role("button", name=zh("register_case")).dblclick()
    try:
        done(page, zh("case_registered", case_no=CASE), zh("case_heading", case_no=CASE))
    except Exception as exc:  # what the page shows instead, for the log
        raise AssertionError(f"no registration shown; the page says: {main.inner_text()[:2000]!r}") from exc
    settle(page)
    cases = read(streamlit_server, lambda s: [c for c in s.court.cases(s.actor("court")) if c["case_no"] == CASE])
    assert len(cases) == 1 and not page.locator('[data-testid="stAlertContentError"]').count()
    # the page opens the new case, also when the list was already on the page with another one
    assert main.get_by_role("heading", name=zh("case_heading", case_no=CASE)).count() == 1
    assert not page.locator('[data-testid="stAlertContentWarning"]').count()
    main.get_by_label(zh("quantity_t")).fill("5")

    def orders(s):  # type: ignore[no-untyped-def]
        return s.court.status(s.actor("court"), case_no=CASE)["orders"]

    press_twice(page, streamlit_server, main.get_by_role("button", name=zh("issue_order")), orders)
    done(page, "判令 CO-")
    settle(page)
    no_traceback(page)

    found = read(streamlit_server, orders)
    assert len(found) == 1, found  # one order, though the button was pressed twice
    order_id = found[0]["order_id"]
    assert shown(main, zh("order_issued", order=order_id)) == 1
    seq = read(streamlit_server, lambda s: s.journal(limit=1, kind="court_order_issued")[0]["seq"])
    assert links_to_entry(main, seq)
    shot(page, screenshot_dir / "forms_court_order_issued_zh.png")
    page.reload()  # a reload after success repeats nothing
    page.get_by_test_id("stMain").get_by_role("heading", name=zh("page_cases")).first.wait_for()
    settle(page)
    assert len(read(streamlit_server, orders)) == 1
    # the withdrawal, in English: asked first; cancelling changes nothing
    english(page)
    done(page, en("case_heading", case_no=CASE))
    page.get_by_text(en("amend_or_withdraw")).last.click()
    main.get_by_label(en("withdraw_reason")).last.fill("Restored by the defendant (demo)")
    main.get_by_role("button", name=en("withdraw_order")).last.click()
    done(page, "A withdrawal cannot be undone")
    shot(page, screenshot_dir / "forms_withdraw_confirm_en.png")
    before = read(streamlit_server, lambda s: s.journal(limit=1)[0]["seq"])
    main.get_by_role("button", name=en("confirm_cancel")).click()
    gone(page, "A withdrawal cannot be undone")
    assert read(streamlit_server, lambda s: s.journal(limit=1)[0]["seq"]) == before
    assert read(streamlit_server, orders)[0]["status"] == "ordered"
    assert shown(main, "A withdrawal cannot be undone") == 0


# -- bank: a lien, double-clicked; a release from the list, double-clicked; a default, asked first --

def _free_parcel(s):  # type: ignore[no-untyped-def]
    """A contract and one of its parcels under no active lien."""
    bank = s.actor("bank")
    taken = {p for lien in s.income.liens(bank) if lien["status"] == "active" for p in lien["parcel_codes"]}
    for contract in s.income.contracts(bank):
        free = [p for p in contract["parcel_codes"] if p not in taken]
        if len(free) >= 2:
            return contract["contract_no"], free[:2]
    raise AssertionError("the demo has no contract with two parcels free of liens")


def _liens(s, loan: str):  # type: ignore[no-untyped-def]
    return [r for r in s.income.liens(s.actor("bank")) if r["loan_reference"] == loan]


def _register_lien(page, server, contract: str, parcel: str, loan: str) -> None:  # type: ignore[no-untyped-def]
    main = page.get_by_test_id("stMain")
    choose(page, zh("inc_choose_contract"), contract)
    choose(page, zh("inc_lien_parcels"), parcel)
    main.get_by_label(zh("loan_reference")).fill(loan)
    press_twice(page, server, main.get_by_role("button", name=zh("inc_register_lien")), lambda s: _liens(s, loan))
    done(page, "已登记质押 LN-")
    settle(page)


def test_a_double_clicked_lien_is_one_lien_and_a_double_clicked_release_ends_one(page, streamlit_server,
                                                                                screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    sign_in(page, url, "bank")  # the first page load seeds the demo
    contract, (first, second) = read(streamlit_server, _free_parcel)
    open_path(page, url, "liens", zh("page_inc_liens"))
    main = page.get_by_test_id("stMain")
    _register_lien(page, streamlit_server, contract, first, "LOAN-DOUBLE-1")
    no_traceback(page)
    made = read(streamlit_server, lambda s: _liens(s, "LOAN-DOUBLE-1"))
    assert len(made) == 1, made  # one lien, though the button was pressed twice
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0  # nor a refusal of a second one
    assert main.get_by_role("button", name=zh("inc_register_lien")).count() == 0  # locked
    seq = read(streamlit_server, lambda s: s.journal(limit=1, kind="lien_registered")[0]["seq"])
    assert links_to_entry(main, seq)
    shot(page, screenshot_dir / "forms_lien_registered_zh.png")
    page.reload()
    page.get_by_test_id("stMain").get_by_role("heading", name=zh("page_inc_liens")).first.wait_for()
    settle(page)
    assert len(read(streamlit_server, lambda s: _liens(s, "LOAN-DOUBLE-1"))) == 1
    _register_lien(page, streamlit_server, contract, second, "LOAN-DOUBLE-2")  # a second active lien: the list's next one
    active = read(streamlit_server, lambda s: sorted(r["id"] for r in s.income.liens(s.actor("bank"))
                                                     if r["status"] == "active"))
    target = made[0]["id"]
    assert len(active) >= 2 and target in active
    choose(page, zh("inc_choose_lien"), target)
    press_twice(page, streamlit_server, main.get_by_role("button", name=zh("inc_release_lien")),
                lambda s: _liens(s, "LOAN-DOUBLE-1")[0]["status"] != "active")
    done(page, f"未来签发质押 {target}：已解除")
    settle(page)
    no_traceback(page)
    after = read(streamlit_server, lambda s: sorted(r["id"] for r in s.income.liens(s.actor("bank"))
                                                    if r["status"] == "active"))
    assert after == [i for i in active if i != target]  # only the chosen lien ended, not the next one too
    main.get_by_role("button", name=zh("new_action")).click()
    page.wait_for_function(APP_DONE_JS)
    # a default, in English: asked first, and cancelling changes nothing
    english(page)
    other = read(streamlit_server, lambda s: _liens(s, "LOAN-DOUBLE-2"))[0]["id"]
    choose(page, en("inc_choose_lien"), other)
    main.get_by_role("button", name=en("inc_default_lien")).click()
    done(page, en("default_confirm", pledge=other))
    shot(page, screenshot_dir / "forms_lien_default_confirm_en.png")
    main.get_by_role("button", name=en("confirm_cancel")).click()
    gone(page, en("default_confirm", pledge=other))
    assert read(streamlit_server, lambda s: _liens(s, "LOAN-DOUBLE-2"))[0]["status"] == "active"
    assert shown(main, en("default_confirm", pledge=other)) == 0


# -- collection centre: a payment, asked first, the confirmation double-clicked ------------------

def _outstanding_item(s):  # type: ignore[no-untyped-def]
    """A fresh sale of the centre's credits, distributed: due items the centre pays."""
    sale = s.sell(s.actor("clerk"), "browser:forms:sale", seller_account="CENTRE-AJ-H", buyer_account="ENT-0001-H",
                  quantity=1, price_fen_per_t=8000, contract_no="HZGX-BROWSER-FORMS-1")
    centre = s.actor("centre")
    distribution = s.income.distribute(centre, sale_seq=sale["seq"])
    items = [i for i in s.income.due_items(centre, source_id=distribution["distribution_id"], outstanding_only=True)
             if i["payer_party_id"] == centre.party_id]
    return items[0]


def test_a_payment_is_asked_first_and_a_double_clicked_confirmation_pays_once(page, streamlit_server,
                                                                              screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    sign_in(page, url, "centre")  # the first page load seeds the demo
    item = read(streamlit_server, _outstanding_item)
    open_path(page, url, "income_centre", zh("page_inc_centre"))
    page.get_by_role("tab", name=zh("inc_tab_dues")).click()
    main = page.get_by_test_id("stMain")
    choose(page, zh("inc_choose_items"), item["id"])
    main.get_by_label(zh("inc_reference")).fill("BANK-REF-FORMS-1")

    def payments(s):  # type: ignore[no-untyped-def]
        return len(s.journal(limit=500, kind="payment"))

    before = read(streamlit_server, payments)
    main.get_by_role("button", name=zh("inc_record_payment")).click()
    done(page, "付款一经记录不可撤销")
    shot(page, screenshot_dir / "forms_payment_confirm_zh.png")
    main.get_by_role("button", name=zh("confirm_cancel")).click()
    gone(page, "付款一经记录不可撤销")
    assert read(streamlit_server, payments) == before  # cancelled: nothing recorded
    assert shown(main, "付款一经记录不可撤销") == 0
    main.get_by_role("button", name=zh("inc_record_payment")).click()
    done(page, "付款一经记录不可撤销")
    press_twice(page, streamlit_server, main.get_by_role("button", name=zh("confirm_yes")),
                lambda s: payments(s) > before)
    done(page, "已登记支付")
    settle(page)
    no_traceback(page)
    assert read(streamlit_server, payments) == before + 1  # one payment, though Confirm was pressed twice
    paid = read(streamlit_server, lambda s: next(i for i in s.income.due_items(s.actor("centre"))
                                                 if i["id"] == item["id"]))
    assert paid["outstanding_fen"] == 0
    seq = read(streamlit_server, lambda s: s.journal(limit=1, kind="payment")[0]["seq"])
    assert links_to_entry(main, seq)
    shot(page, screenshot_dir / "forms_payment_recorded_zh.png")
    english(page)  # the locked form, in the other language (the tabs' labels changed: open it again)
    page.get_by_role("tab", name=en("inc_tab_dues")).click()
    done(page, "Payment PY-", en("new_payment"))
    shot(page, screenshot_dir / "forms_payment_recorded_en.png")
    page.reload()
    page.get_by_test_id("stMain").get_by_role("heading", name=en("page_inc_centre")).first.wait_for()
    settle(page)
    assert read(streamlit_server, payments) == before + 1


# -- administrator: an erasure, cancelled, then its confirmation double-clicked ----------------------

def test_an_erasure_is_asked_first_and_a_double_clicked_confirmation_erases_once(page, streamlit_server,
                                                                                screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    target = synthetic_person(8)
    party = "HH-0008"
    sign_in(page, url, "admin")
    open_path(page, url, "personal_data", zh("page_personal_data"))
    page.get_by_role("tab", name=zh("pd_tab_erase")).click()
    main = page.get_by_test_id("stMain")

    def erasures(s):  # type: ignore[no-untyped-def]
        log = PeopleService(s).access_log(s.actor("admin"), party_id=party)
        return len([r for r in log if r["action"] == "erase"])

    def start() -> None:
        main.get_by_label(zh("pd_find_by_id")).fill(target["resident_id"])
        main.get_by_label(zh("pd_find_note")).fill("删除申请 E-F-1")
        main.get_by_role("button", name=zh("pd_find")).click()
        done(page, f"找到：{party}")
        main.get_by_role("button", name=zh("pd_erase_start")).first.click()
        done(page, zh("pd_erase_confirm_header", party=party))
        main.get_by_label(zh("pd_erase_reason")).fill("删除申请 E-F-1（2025-06-01）")
        main.get_by_text(zh("pd_erase_check")).click()
        page.wait_for_function(APP_DONE_JS)

    start()
    main.get_by_role("button", name=zh("pd_erase_cancel")).click()
    gone(page, zh("pd_erase_confirm_header", party=party))
    assert read(streamlit_server, erasures) == 0  # cancelled: nothing erased
    assert not read(streamlit_server, lambda s: PeopleService(s).view(s.actor("admin"), party)["erased"])
    start()
    press_twice(page, streamlit_server, main.get_by_role("button", name=zh("pd_erase_confirm")), erasures)
    done(page, f"已删除 {party}")
    settle(page)
    no_traceback(page)
    assert read(streamlit_server, erasures) == 1  # one erasure, though Confirm was pressed twice
    assert shown(main, zh("pd_already_erased", party=party)) == 0  # no second attempt either
    assert main.get_by_role("button", name=zh("pd_erase_confirm")).count() == 0  # locked
    shot(page, screenshot_dir / "forms_erasure_done_zh.png")
    page.reload()
    page.get_by_test_id("stMain").get_by_role("heading", name=zh("page_personal_data")).first.wait_for()
    settle(page)
    assert read(streamlit_server, erasures) == 1
