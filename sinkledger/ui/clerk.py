"""Trading-centre clerk: record a sale with live checks, print its receipt, browse and export sales."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import streamlit as st

from sinkledger.documents import receipts
from sinkledger.services import queries as ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import figures, prices, sales_import, session
from sinkledger.ui.common import (
    attempt,
    confirmed,
    entry_link,
    get_service,
    new_form_button,
    require_roles,
    submit_once,
)
from sinkledger.ui.receipt import receipt_pdf
from sinkledger.ui.text import t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

SELLER_KINDS = ("collective", "collection_centre", "enterprise", "trading_centre", "household")
BUYER_KINDS = ("enterprise", "collection_centre", "trading_centre", "collective", "defendant", "court")


def _account_label(accounts: list[dict[str, Any]]) -> dict[str, str]:
    return {a["account_id"]: f'{a["name"]} ({a["account_id"]})' for a in accounts}


SALE_FIELDS = ("sale_quantity", "sale_price", "sale_contract", "sale_date", "sale_contract_date")  # cleared for a new sale (the parties stay)


def sale_page() -> None:
    actor = require_roles("trading_clerk")
    service = get_service()
    lang = session.lang()
    st.title(t("page_sale"))
    one, many = st.tabs([t("tab_one_sale"), t("tab_import_sales")], key="sale_tabs")
    with one:
        _one_sale(actor, service, lang)
    with many:
        sales_import.import_tab(actor, service, lang)


def _one_sale(actor: Actor, service: Service, lang: str) -> None:
    recorded = session.locked("sale")
    if recorded:  # this sale is recorded: show it, locked, until the clerk starts a new one
        _last_sale(service, recorded)
        new_form_button("sale", "new_sale", *SALE_FIELDS)
        return
    accounts = ui_queries.holding_accounts(service)
    labels = _account_label(accounts)
    sellers = [a["account_id"] for a in accounts if a["party_kind"] in SELLER_KINDS and a["held_t"] > 0]
    if not sellers:
        st.info(t("no_sellers"))
        return
    buyers = [a["account_id"] for a in sorted(accounts, key=lambda a: BUYER_KINDS.index(a["party_kind"])
                                              if a["party_kind"] in BUYER_KINDS else 99)
              if a["party_kind"] in BUYER_KINDS]  # enterprises first: they buy most
    left, right = st.columns(2)
    seller = left.selectbox(t("seller"), sellers, format_func=labels.get, key="sale_seller")
    buyer = right.selectbox(t("buyer"), buyers, format_func=labels.get, key="sale_buyer")
    quantity = left.number_input(t("quantity_t"), min_value=1, step=1, value=1, key="sale_quantity")
    price_text = right.text_input(t("unit_price_yuan"), value="73.41", key="sale_price")
    today = fmt.local_time(datetime.now(UTC)).date()  # the clerk's calendar day (Asia/Shanghai)
    # the trading centre's numbering, as the demo's contracts: HZGX-<year>-<nnkk>
    contract = st.text_input(t("contract_no"), key="sale_contract", placeholder=f"HZGX-{today.year}-0101")
    sale_day = left.date_input(t("sale_date"), value=today, max_value=today, key="sale_date", format="YYYY-MM-DD")
    contract_day = right.date_input(t("contract_date"), value=today, max_value=today, key="sale_contract_date",
                                    format="YYYY-MM-DD")
    try:
        price_fen = fmt.yuan_to_fen(price_text)
    except ValueError:
        st.error(t("price_unreadable", value=price_text))
        return
    checks = attempt(ui_queries.sale_checks, service, seller_account=seller, quantity=int(quantity),
                     price_fen_per_t=price_fen)
    if checks is None:
        return
    _show_checks(checks, lang)
    prices.reference_panel(service, actor, seller=seller, quantity=int(quantity), sale_day=_iso(sale_day) or "",
                           price_fen=price_fen, lang=lang)  # issue 22: the index and the reference price
    disabled = checks["blocking"] or not contract.strip() or seller == buyer
    if seller == buyer:
        st.warning(t("same_account"))
    elif not contract.strip():
        st.caption(t("contract_needed"))
    else:
        _contract_used(service, contract.strip(), lang)
    if st.button(t("record_sale"), type="primary", disabled=disabled, key="record_sale"):
        session.done("sale_before", checks["held_t"])
        submit_once("sale", service.sell, actor=actor, seller_account=seller, buyer_account=buyer,
                    quantity=int(quantity), price_fen_per_t=price_fen, contract_no=contract.strip(),
                    sale_date=_iso(sale_day), contract_date=_iso(contract_day))


def _contract_used(service: Service, contract: str, lang: str) -> None:
    """Warn when the contract number is already on a recorded sale (a typo, or the same sale twice)."""
    earlier = [r for r in ui_queries.sales(service, contract=contract, limit=50) if r["contract_no"] == contract]
    if earlier:
        st.warning(t("contract_already_used", contract=contract,
                     seqs=", ".join(str(r["seq"]) for r in earlier[:5]),
                     date=fmt.date_text(earlier[0]["recorded_at"], lang)))


def _show_checks(checks: dict[str, Any], lang: str) -> None:
    figures.headline([(t("available_balance"), fmt.tonnes(checks["held_t"], lang)),  # not st.metric (figures.py)
                      (t("pledged_balance"), fmt.tonnes(checks["pledged_t"], lang)),
                      (t("median_price"), fmt.price(checks["median_price_fen"], lang)),
                      (t("sale_amount"), fmt.money(checks["amount_fen"], lang))])
    for key, params in checks["warnings"]:
        if "median_fen" in params:
            params = {**params, "median": fmt.price(params["median_fen"], lang)}
            params.pop("median_fen")
        (st.error if key == "check_insufficient" else st.warning)(t(key, **params))
    if not checks["warnings"]:
        st.caption(t("checks_passed"))


def _last_sale(service: Service, result: dict[str, Any]) -> None:
    """The recorded sale: what was recorded, a link to its entry, the seller's balances now, the receipt."""
    lang = session.lang()
    before = session.last_result("sale_before")
    balance = service.account_balance(result["seller_account"])
    st.success(t("sale_recorded", seq=result["seq"], quantity=fmt.tonnes(result["quantity"], lang),
                 amount=fmt.money(result["amount_fen"], lang)))
    st.markdown(t("sale_recorded_detail", contract=result["contract_no"], seller=result["seller_account"],
                  buyer=result["buyer_account"], price=fmt.price(result["price_fen_per_t"], lang),
                  link=entry_link(result["seq"])))
    figures.headline([(t("available_balance"), fmt.tonnes(balance["held_t"], lang)),
                      (t("pledged_balance"), fmt.tonnes(balance["pledged_t"], lang))])
    if before is not None:
        st.markdown(t("balance_change", account=result["seller_account"], before=fmt.tonnes(before, lang),
                      after=fmt.tonnes(balance["held_t"], lang)))
    receipt_button(service, result["seq"], key="receipt_last")


def receipt_button(service: Service, seq: int, *, key: str) -> None:
    sale = attempt(ui_queries.sale, service, seq)
    if sale is None:
        return
    lang = session.lang()  # the PDF is made when the button is pressed, not on every run of the page
    st.download_button(t("download_receipt"), lambda: receipt_pdf(sale, lang), file_name=f"receipt-{seq}.pdf",
                       mime="application/pdf", key=key)


# -- history ----------------------------------------------------------------------------------

PAGE_ROWS = 100  # the newest sales the page lists (and offers for a receipt or a correction); filters find the others


def history_page() -> None:
    require_roles("trading_clerk")
    service = get_service()
    lang = session.lang()
    st.title(t("page_sales"))
    c1, c2, c3, c4 = st.columns(4)
    start = c1.date_input(t("date_from"), value=None, key="sales_from")
    end = c2.date_input(t("date_to"), value=None, key="sales_to")
    contract = c3.text_input(t("contract_no"), key="sales_contract")
    party = c4.text_input(t("party_filter"), key="sales_party")
    found = ui_queries.sales_page(service, date_from=_iso(start), date_to=_iso(end),
                                  contract=contract.strip() or None, party_text=party.strip() or None,
                                  limit=PAGE_ROWS)
    rows = found["sales"]
    st.caption(t("sales_count", n=fmt.integer(found["count"], lang), quantity=fmt.tonnes(found["quantity"], lang),
                 amount=fmt.money(found["amount_fen"], lang)))
    if found["count"] > len(rows):
        st.caption(t("sales_newest_shown", n=len(rows)))
    table = [_history_row(r, lang) for r in rows]
    figures.list_table(table, links={t("col_entry"): figures.ENTRY_LINK})  # to read: no grid (figures.list_table)
    if table:
        title = t("page_sales")  # the workbook is made when the button is pressed
        st.download_button(t("export_excel"), lambda: receipts.table_xlsx(_export_rows(rows), sheet_title=title),
                           file_name="sales.xlsx", key="export_sales",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        seq = st.selectbox(t("receipt_for"), [r["seq"] for r in rows], key="receipt_seq")
        receipt_button(service, seq, key="receipt_history")
    _correction(service, [r["seq"] for r in rows])


CORRECTION_FIELDS = ("correct_seq", "correct_reason")


def _correction(service: Service, seqs: list[int]) -> None:
    """Correct a sale recorded by mistake: a new entry that reverses it, with the reason (history
    is never edited); confirmed first, since the credits go back to the seller at once."""
    actor = session.actor()
    st.subheader(t("correct_sale"))
    done_ = session.locked("correct_sale")
    if done_:
        st.success(t("sale_corrected", seq=done_["corrected_seq"], reason=done_["reason"]))
        st.markdown(entry_link(done_["seq"]))
        new_form_button("correct_sale", "new_correction", *CORRECTION_FIELDS)
        return
    if not seqs:
        st.caption(t("nothing_yet"))
        return
    c1, c2 = st.columns([1, 3])
    seq = c1.selectbox(t("col_entry"), seqs, key="correct_seq")
    reason = c2.text_input(t("correction_reason"), key="correct_reason")
    asked = st.button(t("correct_sale"), key="correct_sale_button", disabled=not reason.strip())
    if confirmed("correct_sale", asked, t("correct_confirm", seq=seq, reason=reason.strip())):
        submit_once("correct_sale", service.correct, actor=actor, entry_seq=int(seq), reason=reason.strip())


def _iso(value: date | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _history_row(r: dict[str, Any], lang: str) -> dict[str, Any]:
    return {t("col_entry"): f"registry?entry={r['seq']}", t("col_date"): fmt.date_text(r["recorded_at"], lang),
            t("seller"): r["seller_name"], t("buyer"): r["buyer_name"], t("col_quantity_t"): r["quantity"],
            t("unit_price"): fmt.price(r["price_fen_per_t"], lang), t("sale_amount"): fmt.money(r["amount_fen"], lang),
            t("contract_no"): r["contract_no"]}


def _export_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Excel keeps exact numbers: yuan with two decimals as text-free numbers, dates ISO."""
    return [{t("col_entry"): r["seq"], t("col_date"): fmt.local_time(r["recorded_at"]).date().isoformat(),
             t("seller"): r["seller_name"],
             t("col_seller_account"): r["seller_account"], t("buyer"): r["buyer_name"],
             t("col_buyer_account"): r["buyer_account"], t("col_quantity_t"): r["quantity"],
             t("col_price_yuan"): r["price_fen_per_t"] / 100, t("col_amount_yuan"): r["amount_fen"] / 100,
             t("contract_no"): r["contract_no"]} for r in rows]
