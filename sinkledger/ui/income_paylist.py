"""Payment officer (支付专员, the demo user ``cashier``): the payment list (收益支付清单) of a
distribution's or a fixed-payment year's due items, with the payees' bank accounts.

Every call of ``PeopleService.payment_list`` is a logged read of personal data
(``docs/personal-data.md`` §8): the list is read only when the officer presses "show full
accounts", and kept in ``st.session_state`` so that a rerun (any widget change) shows the same
list without logging another read. The Excel file is made on its own button for the same reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from sinkledger.services.people import PeopleService
from sinkledger.ui import format as fmt
from sinkledger.ui import session
from sinkledger.ui.common import attempt, get_service, require_roles
from sinkledger.ui.income_common import party_label, table
from sinkledger.ui.text import t, t_or

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

PAYMENT_LIST = "income_payment_list"  # session key: {"source": id, "rows": [...], "xlsx": bytes | None}
PURPOSE = "revenue_payment"


def _people(service: Service) -> PeopleService:
    return service.people


def payment_list_page() -> None:
    actor = require_roles("collection_centre")
    service = get_service()
    people = _people(service)
    st.title(t("page_inc_paylist"))
    capabilities = attempt(people.capabilities, actor) or {}
    if not capabilities.get("payment_list_unmasked"):
        st.info(t("inc_paylist_masked_note"))
    items = attempt(service.income.due_items, actor, outstanding_only=True) or []
    sources = sorted({i["source_id"] for i in items}, reverse=True)
    if not sources:
        st.caption(t("inc_nothing_outstanding"))
        return
    source = st.selectbox(t("inc_choose_source"), sources, key="paylist_source", format_func=_source_label(items))
    chosen = [i for i in items if i["source_id"] == source and i["payer_party_id"] == actor.party_id]
    st.caption(t("inc_paylist_count", n=len(chosen), amount=fmt.money(sum(i["outstanding_fen"] for i in chosen),
                                                                      session.lang())))
    lines = [{"party_id": i["party_id"], "due_id": i["id"], "contract_no": i["contract_no"],
              "amount_fen": i["outstanding_fen"]} for i in chosen]
    kept = st.session_state.get(PAYMENT_LIST)
    if kept and kept["source"] != source:
        kept = None
    if st.button(t("inc_show_full_accounts"), type="primary", key="paylist_show", disabled=not lines):
        rows = attempt(people.payment_list, actor, lines, PURPOSE, note=t("inc_paylist_note", source=source))
        if rows is not None:
            kept = {"source": source, "rows": rows, "xlsx": None}
            st.session_state[PAYMENT_LIST] = kept
    if kept is None:
        st.caption(t("inc_paylist_hidden"))
        return
    _show(kept["rows"])
    _excel(actor, people, lines, kept)


def _source_label(items: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    kinds = {i["source_id"]: i["source_kind"] for i in items}
    labels = {k: t_or(f"inc_source_kind_{v}", v) for k, v in kinds.items()}
    return lambda source: f"{source} · {labels.get(source, '')}"


def _show(rows: list[dict[str, Any]]) -> None:
    table([{t("inc_col_due_id"): r.get("due_id"), t("col_party"): party_label(r["party_id"]),
            t("inc_payee_name"): r.get("name") or "—", t("inc_bank_name"): r.get("bank_name") or "—",
            t("inc_bank_account"): r.get("bank_account") or "—",
            t("inc_col_amount_yuan"): fmt.yuan(r.get("amount_fen")),
            t("col_status"): t_or(f"inc_payee_{r['status']}", r["status"])} for r in rows])


def _excel(actor: Actor, people: PeopleService, lines: list[dict[str, Any]], kept: dict[str, Any]) -> None:
    if kept["xlsx"] is None and st.button(t("inc_paylist_prepare_xlsx"), key="paylist_prepare"):
        with st.spinner(t("inc_loading")):
            kept["xlsx"] = attempt(_export, actor, people, lines, kept["source"])
        st.session_state[PAYMENT_LIST] = kept
    if kept["xlsx"] is not None:
        st.download_button(t("inc_download_xlsx"), kept["xlsx"], file_name=f"payment-list-{kept['source']}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="paylist_xlsx")


def _export(actor: Actor, people: PeopleService, lines: list[dict[str, Any]], source: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "payment-list.xlsx"
        people.export_payment_list(actor, lines, fmt="xlsx", path=path, note=t("inc_paylist_note", source=source))
        return path.read_bytes()
