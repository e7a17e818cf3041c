"""Bank: pledge a holder's credits as loan collateral; release on repayment or transfer on default."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from sinkledger import ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import session
from sinkledger.ui.common import attempt, get_service, require_roles, submit
from sinkledger.ui.text import t


def pledges_page() -> None:
    actor = require_roles("bank")
    service = get_service()
    lang = session.lang()
    st.title(t("page_pledges"))
    accounts = [a for a in ui_queries.holding_accounts(service) if a["party_kind"] in
                ("collective", "collection_centre", "enterprise", "household")]
    labels = {a["account_id"]: f'{a["name"]} ({a["account_id"]})' for a in accounts}
    with st.form("pledge_form"):
        c1, c2 = st.columns(2)
        account = c1.selectbox(t("pledge_account"), list(labels), format_func=labels.get, key="pledge_account")
        quantity = c2.number_input(t("quantity_t"), min_value=1, step=1, value=10, key="pledge_quantity")
        loan = c1.text_input(t("loan_reference"), key="pledge_loan")
        amount = c2.text_input(t("loan_amount_yuan"), value="50000", key="pledge_amount")
        term_end = c1.date_input(t("term_end"), value=date.today() + timedelta(days=365), key="pledge_term")
        ok = st.form_submit_button(t("record_pledge"), type="primary")
    balance = attempt(service.account_balance, account)
    if balance:
        st.caption(t("account_balance_line", held=fmt.tonnes(balance["held_t"], lang),
                     pledged=fmt.tonnes(balance["pledged_t"], lang)))
    if ok:
        try:
            amount_fen = fmt.yuan_to_fen(amount)
        except ValueError:
            st.error(t("price_unreadable", value=amount))
            amount_fen = None
        if amount_fen is not None:
            out = submit("pledge", service.pledge, actor=actor, account_id=account, quantity=int(quantity),
                         loan_reference=loan.strip(), loan_amount_fen=amount_fen, term_end=term_end.isoformat())
            if out is not None:
                st.success(t("pledge_recorded", pledge=out["pledge_id"], quantity=fmt.tonnes(out["quantity"], lang)))
    _pledge_list(actor, service, lang)


def _pledge_list(actor: Any, service: Any, lang: str) -> None:
    st.subheader(t("my_pledges"))
    rows = ui_queries.pledges(service, bank_party_id=actor.party_id)
    if not rows:
        st.caption(t("nothing_yet"))
        return
    st.dataframe(pd.DataFrame([{t("col_pledge"): r["id"], t("pledge_account"): r["account_name"],
                                t("col_quantity_t"): r["quantity"], t("loan_reference"): r["loan_reference"],
                                t("loan_amount"): fmt.money(r["loan_amount_fen"], lang),
                                t("term_end"): fmt.date_text(r["term_end"], lang),
                                t("col_status"): t(f"pledge_status_{r['status']}")} for r in rows]),
                 hide_index=True, width="stretch")
    active = [r["id"] for r in rows if r["status"] == "active"]
    if not active:
        return
    c1, c2, c3 = st.columns([2, 1, 1])
    chosen = c1.selectbox(t("col_pledge"), active, key="pledge_chosen")
    if c2.button(t("release_pledge"), key="release"):
        if submit(f"release_{chosen}", service.release, actor=actor, pledge_id=chosen) is not None:
            st.rerun()
    if c3.button(t("default_pledge"), key="default"):
        if submit(f"default_{chosen}", service.default_pledge, actor=actor, pledge_id=chosen) is not None:
            st.rerun()
