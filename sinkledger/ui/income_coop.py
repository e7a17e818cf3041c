"""Cooperative / village collective (合作社 / 村集体): its collection contracts, its own statement
and those of its households, and recording what it paid its own households (the service allows
a collective to pay its households' lines; the centre pays the rest)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import streamlit as st

from sinkledger.ui import format as fmt
from sinkledger.ui import session
from sinkledger.ui.common import (
    asking,
    attempt,
    confirmed,
    get_service,
    require_roles,
    show_recorded,
    submit_once,
)
from sinkledger.ui.income_common import (
    item_row,
    parse_yuan,
    party_label,
    party_labeller,
    statement_section,
    table,
    terms_text,
)
from sinkledger.ui.text import t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor


def coop_income_page() -> None:
    actor = require_roles("cooperative")
    service = get_service()
    st.title(t("page_inc_coop"))
    contracts = attempt(service.income.contracts, actor, collective_party_id=actor.party_id) or []
    tabs = st.tabs([t("inc_tab_statement"), t("inc_tab_households"), t("inc_tab_contracts"), t("inc_tab_pay")])
    with tabs[0]:
        statement = statement_section(actor, actor.party_id, "coop_statement")
    with tabs[1]:
        _household_statements(actor, statement)
    with tabs[2]:
        contracts_table(contracts)
    with tabs[3]:
        pay_form(actor, "coop_pay", roles=("household",))


def contracts_table(contracts: list[dict[str, Any]]) -> None:
    lang = session.lang()
    table([{t("contract_no"): c["contract_no"], t("inc_collective"): party_label(c["collective_party_id"]),
            t("inc_term"): f'{fmt.date_text(c["term_start"], lang)} – {fmt.date_text(c["term_end"], lang)}',
            t("inc_signed"): fmt.date_text(c["signed_date"], lang), t("inc_terms"): terms_text(c["payment_terms"]),
            t("inc_parcel_list"): ", ".join(c["parcel_codes"]), t("inc_documents"): len(c["documents"])}
           for c in contracts])


def _household_statements(actor: Actor, statement: dict[str, Any] | None) -> None:
    """A household of the collective's parcels: its own statement (same period picker)."""
    households = sorted({h for p in (statement or {}).get("parcels", []) for h in p.get("household_shares_bp", {})})
    if not households:
        st.caption(t("nothing_yet"))
        return
    chosen = st.selectbox(t("inc_choose_household"), households, format_func=party_labeller(), key="coop_household")
    statement_section(actor, chosen, f"coop_hh_{chosen}")


def pay_form(actor: Actor, form: str, *, roles: tuple[str, ...] | None = None, source_id: str | None = None) -> None:
    """Record a payment of outstanding due items (each in full, or one item in part)."""
    service = get_service()
    lang = session.lang()
    items = attempt(service.income.due_items, actor, source_id=source_id, outstanding_only=True) or []
    items = [i for i in items if roles is None or i["role"] in roles]
    done = session.locked(form)
    if done:  # this payment is recorded: shown, the form locked until a new payment is started
        show_recorded(form, t("inc_payment_recorded", payment=done["payment_id"],
                              amount=fmt.money(done["amount_fen"], lang), n=len(done["items"])),
                      seq=done["seq"], new_label_key="new_payment",
                      fields=(f"{form}_items", f"{form}_amount", f"{form}_reference"))
        return
    if not items:
        st.caption(t("inc_nothing_outstanding"))
        return
    table([item_row(i) for i in items], height=260)
    labels = {i["id"]: f'{i["id"]} · {party_label(i["party_id"])} · {fmt.yuan(i["outstanding_fen"])}' for i in items}
    with st.form(f"{form}_form"):
        chosen = st.multiselect(t("inc_choose_items"), list(labels), format_func=labels.get, key=f"{form}_items")
        c1, c2, c3 = st.columns(3)
        partial = c1.text_input(t("inc_partial_amount"), key=f"{form}_amount", help=t("inc_partial_help"))
        paid = c2.date_input(t("inc_paid_date"), value=date.today(), key=f"{form}_date")
        reference = c3.text_input(t("inc_reference"), key=f"{form}_reference")
        asked = st.form_submit_button(t("inc_record_payment"), type="primary")
    if not asked and not asking(form):
        return
    if not chosen:
        st.error(t("inc_choose_items_first"))
        return
    outstanding = {i["id"]: i["outstanding_fen"] for i in items}
    amounts = {d: outstanding[d] for d in chosen}
    if partial.strip():
        if len(chosen) != 1:
            st.error(t("inc_partial_one_item"))
            return
        fen = parse_yuan(partial)
        if fen is None:
            return
        amounts = {chosen[0]: fen}
    question = t("pay_confirm", n=len(amounts), amount=fmt.money(sum(amounts.values()), lang),
                 date=fmt.date_text(paid, lang))
    if confirmed(form, asked, question):
        submit_once(form, service.income.record_payment, actor=actor,
                    items=[{"due_id": d, "amount_fen": fen} for d, fen in amounts.items()],
                    paid_date=paid.isoformat(), reference=reference.strip())
