"""Bank: pledge a holder's credits as loan collateral; release on repayment or transfer on default;
liens on the future issuances of a collection contract's parcels (收储贷)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from sinkledger.services import queries as ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import figures, session
from sinkledger.ui.common import (
    attempt,
    confirmed,
    get_service,
    require_roles,
    show_recorded,
    submit_once,
)
from sinkledger.ui.income_common import parse_yuan
from sinkledger.ui.text import t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service


def pledges_page() -> None:
    actor = require_roles("bank")
    service = get_service()
    lang = session.lang()
    st.title(t("page_pledges"))
    accounts = [a for a in ui_queries.holding_accounts(service) if a["party_kind"] in
                ("collective", "collection_centre", "enterprise", "household")]
    labels = {a["account_id"]: f'{a["name"]} ({a["account_id"]})' for a in accounts}
    recorded = session.locked("pledge")
    if recorded:
        show_recorded("pledge", t("pledge_recorded", pledge=recorded["pledge_id"],
                                  quantity=fmt.tonnes(recorded["quantity"], lang)),
                      seq=recorded["seq"], new_label_key="new_pledge", fields=PLEDGE_FIELDS)
    else:
        _pledge_form(actor, service, labels, lang)
    _pledge_list(actor, service, lang)


PLEDGE_FIELDS = ("pledge_quantity", "pledge_loan", "pledge_amount", "pledge_term")


def _pledge_form(actor: Actor, service: Service, labels: dict[str, str], lang: str) -> None:
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
    amount_fen = parse_yuan(amount) if ok else None
    if amount_fen is None:
        return
    submit_once("pledge", service.pledge, actor=actor, account_id=account, quantity=int(quantity),
                loan_reference=loan.strip(), loan_amount_fen=amount_fen, term_end=term_end.isoformat())


PLEDGES_SHOWN = 200  # a bank of the county dataset has 26,960 pledges: the newest are listed


def _pledge_list(actor: Actor, service: Service, lang: str) -> None:
    st.subheader(t("my_pledges"))
    found = ui_queries.pledges_page(service, bank_party_id=actor.party_id, limit=PLEDGES_SHOWN)
    rows = found["items"]
    if not rows:
        st.caption(t("nothing_yet"))
        return
    if found["count"] > len(rows):
        st.caption(t("account_newest_shown", n=len(rows), total=f"{found['count']:,}"))
    figures.list_table([{t("col_pledge"): r["id"], t("pledge_account"): r["account_name"],
                         t("col_quantity_t"): r["quantity"], t("loan_reference"): r["loan_reference"],
                         t("loan_amount"): fmt.money(r["loan_amount_fen"], lang),
                         t("term_end"): fmt.date_text(r["term_end"], lang),
                         t("col_status"): t(f"pledge_status_{r['status']}")} for r in rows])
    # every active pledge can be ended, not only the listed ones: the newest of them are offered
    active = ui_queries.pledges(service, bank_party_id=actor.party_id, status="active", limit=PLEDGES_SHOWN)
    _pledge_actions(actor, service, [r["id"] for r in active], lang)


def _pledge_actions(actor: Actor, service: Service, active: list[str], lang: str) -> None:
    """Release or default one pledge. One form for the list: once a pledge is ended the form
    locks, so a second press cannot reach the pledge the list moves on to."""
    ended = session.locked("pledge_action")
    if ended:
        show_recorded("pledge_action", t("pledge_ended", pledge=ended["pledge_id"],
                                         status=t(f"pledge_status_{ended['status']}"),
                                         quantity=fmt.tonnes(ended["quantity"], lang), account=ended["to_account"]),
                      seq=ended["seq"])
        return
    if not active:
        return
    c1, c2, c3 = st.columns([2, 1, 1])
    chosen = c1.selectbox(t("col_pledge"), active, key="pledge_chosen")
    if c2.button(t("release_pledge"), key="release"):
        submit_once("pledge_action", service.release, actor=actor, pledge_id=chosen)
    asked = c3.button(t("default_pledge"), key="default")
    if confirmed("pledge_action", asked, t("default_confirm", pledge=chosen)):
        submit_once("pledge_action", service.default_pledge, actor=actor, pledge_id=chosen)


# -- liens on future issuances (收储贷 / 碳汇共富贷) --------------------------------------------------

def liens_page() -> None:
    """A lien pledges the future issuances of a collection contract's parcels: while it is active,
    credits issued for them arrive pledged; releasing (repaid) or defaulting ends every pledge it made."""
    actor = require_roles("bank")
    service = get_service()
    lang = session.lang()
    st.title(t("page_inc_liens"))
    st.caption(t("inc_liens_intro"))
    contracts = attempt(service.income.contracts, actor) or []
    _lien_form(actor, service, contracts, lang)
    liens = attempt(service.income.liens, actor) or []
    st.subheader(t("inc_my_liens"))
    if not liens:
        st.caption(t("nothing_yet"))
        return
    st.dataframe(pd.DataFrame([_lien_row(r, lang) for r in liens]), hide_index=True, width="stretch")
    _lien_actions(actor, service, [r["id"] for r in liens if r["status"] == "active"], lang)


def _lien_actions(actor: Actor, service: Service, active: list[str], lang: str) -> None:
    """Release (repaid) or default one lien; locked once done, as the pledges' actions."""
    ended = session.locked("lien_action")
    if ended:
        show_recorded("lien_action", t("inc_lien_ended", lien=ended["lien_id"],
                                       status=t(f"inc_lien_status_{ended['status']}"),
                                       n=len(ended["pledges_ended"]), quantity=fmt.tonnes(ended["quantity"], lang)),
                      seq=ended["seq"])
        return
    if not active:
        return
    c1, c2, c3 = st.columns([2, 1, 1])
    chosen = c1.selectbox(t("inc_choose_lien"), active, key="lien_chosen")
    if c2.button(t("inc_release_lien"), key="lien_release"):
        submit_once("lien_action", service.income.release_lien, actor=actor, lien_id=chosen)
    asked = c3.button(t("inc_default_lien"), key="lien_default")
    if confirmed("lien_action", asked, t("default_confirm", pledge=chosen)):
        submit_once("lien_action", service.income.default_lien, actor=actor, lien_id=chosen)


LIEN_FIELDS = ("lien_parcels", "lien_loan", "lien_amount", "lien_term")


def _lien_form(actor: Actor, service: Service, contracts: list[dict[str, Any]], lang: str) -> None:
    """A new lien; once registered the form shows it, locked, until another is started (a fast
    second press is the same request, never a second lien)."""
    done = session.locked("lien_register")
    if done:
        show_recorded("lien_register", t("inc_lien_registered", lien=done["lien_id"], contract=done["contract_no"]),
                      seq=done["seq"], new_label_key="new_lien", fields=LIEN_FIELDS,
                      detail=t("inc_lien_registered_detail", parcels=", ".join(done["parcel_codes"]),
                               loan=done["loan_reference"], amount=fmt.money(done["loan_amount_fen"], lang)))
        return
    if not contracts:
        st.caption(t("inc_no_contracts"))
        return
    by_no = {c["contract_no"]: c for c in contracts}
    contract_no = st.selectbox(t("inc_choose_contract"), list(by_no), key="lien_contract")
    with st.form("lien_form"):
        c1, c2 = st.columns(2)
        parcels = c1.multiselect(t("inc_lien_parcels"), by_no[contract_no]["parcel_codes"], key="lien_parcels",
                                 help=t("inc_lien_parcels_help"))
        loan = c2.text_input(t("loan_reference"), key="lien_loan")
        amount = c1.text_input(t("loan_amount_yuan"), value="500000", key="lien_amount")
        term_end = c2.date_input(t("term_end"), value=date.today() + timedelta(days=3 * 365), key="lien_term")
        ok = st.form_submit_button(t("inc_register_lien"), type="primary")
    amount_fen = parse_yuan(amount) if ok else None
    if amount_fen is None:
        return
    submit_once("lien_register", service.income.register_lien, actor=actor, contract_no=contract_no,
                loan_reference=loan.strip(), loan_amount_fen=amount_fen, term_end=term_end.isoformat(),
                parcel_codes=parcels or None)


def _lien_row(r: dict[str, Any], lang: str) -> dict[str, Any]:
    pledged = sum(p["quantity"] for p in r["pledges"] if p["status"] == "active")
    return {t("inc_lien"): r["id"], t("contract_no"): r["contract_no"], t("inc_parcel_list"): ", ".join(r["parcel_codes"]),
            t("loan_reference"): r["loan_reference"], t("loan_amount"): fmt.money(r["loan_amount_fen"], lang),
            t("term_end"): fmt.date_text(r["term_end"], lang), t("inc_lien_pledges"): len(r["pledges"]),
            t("inc_lien_pledged_t"): fmt.tonnes(pledged, lang), t("col_status"): t(f"inc_lien_status_{r['status']}")}
