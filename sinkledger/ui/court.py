"""Court clerk (and procurator, read-only): cases, orders, fulfilment, certificates, calculator."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from sinkledger.services import queries as ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import figures, session
from sinkledger.ui.common import (
    asking,
    attempt,
    confirmed,
    county_names,
    get_service,
    require_roles,
    show_recorded,
    sink_name,
    submit_once,
)
from sinkledger.ui.text import labeller, sink_labeller, t
from sinks import SINK_TYPES

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

DEFENDANT_KINDS = ("defendant", "enterprise", "collective")
VIEW_ROLES = ("court", "procurator")


def _sink_options() -> list[str]:
    return [s.value for s in SINK_TYPES]


def cases_page() -> None:
    actor = require_roles(*VIEW_ROLES)
    service = get_service()
    st.title(t("page_cases"))
    cases = attempt(service.court.cases, actor) or []
    if actor.role.value == "court":
        with st.expander(t("register_case"), expanded=not cases or bool(session.locked("case"))):
            _case_form(actor, service)
    if not cases:
        st.info(t("no_cases"))
        return
    lang = session.lang()
    st.dataframe(pd.DataFrame([{t("col_case_no"): c["case_no"], t("col_court"): c["court_name"],
                                t("col_judgment_date"): fmt.date_text(c["judgment_date"], lang),
                                t("col_sink_type"): sink_name(c["sink_type"]),
                                t("col_ecosystem"): c["ecosystem_name"]} for c in cases]),
                 hide_index=True, width="stretch")
    numbers = [c["case_no"] for c in cases]
    chosen = st.selectbox(t("choose_case"), numbers, **_case_choice(numbers))
    status = attempt(service.court.status, actor, case_no=chosen)
    if status is not None:
        _case_detail(actor, service, status)


CASE_FIELDS = ("case_no", "case_defendants", "case_ecosystem", "case_area", "case_description")


def _case_form(actor: Actor, service: Service) -> None:
    recorded = session.locked("case")
    if recorded:  # registered: shown with its entry, the form locked until another case is started
        show_recorded("case", t("case_registered", case_no=recorded["case_no"]), seq=recorded["seq"],
                      new_label_key="new_case", fields=CASE_FIELDS)
        return
    parties = ui_queries.holding_accounts(service, kinds=DEFENDANT_KINDS)
    names = {p["party_id"]: f'{p["name"]} ({p["party_id"]})' for p in parties}
    counties = county_names(service)
    with st.form("case_form"):
        c1, c2 = st.columns(2)
        case_no = c1.text_input(t("col_case_no"), key="case_no", placeholder="(2025)浙0521刑初1号")
        judgment = c2.date_input(t("col_judgment_date"), value=date.today(), key="case_judgment")
        defendants = st.multiselect(t("defendants"), list(names), format_func=names.get, key="case_defendants")
        sink = c1.selectbox(t("col_sink_type"), _sink_options(), format_func=sink_labeller(), key="case_sink")
        county = c2.selectbox(t("col_county"), list(counties), index=_jurisdiction(actor, service, list(counties)),
                              format_func=counties.get, key="case_county", placeholder=t("county_choose"),
                              help=t("county_jurisdiction_help"))
        ecosystem = c1.text_input(t("col_ecosystem"), key="case_ecosystem")
        area = c2.text_input(t("damaged_area_ha"), value="1", key="case_area")
        description = st.text_area(t("description"), key="case_description")
        ok = st.form_submit_button(t("register_case"), type="primary")
    if ok:
        # the case list below opens on the new case (see _open_case)
        submit_once("case", service.court.register_case, actor=actor, case_no=case_no.strip(),
                    judgment_date=judgment.isoformat(), defendants=defendants, sink_type=sink, county_code=county,
                    ecosystem_name=ecosystem.strip(), damaged_area_ha=area.strip(), description=description.strip(),
                    on_success=_open_case)


CASE_CHOICE = "court_case"  # the case list's selectbox key; a registration starts a new one


def _open_case(out: dict[str, Any]) -> None:
    """Open the case list on the case just registered. The list's selectbox gets a new key, so
    a press that reaches the server after this run, carrying the browser's stale choice of the
    old selectbox (a double click), cannot take the page back to the case shown before."""
    st.session_state[f"{CASE_CHOICE}_opened"] = out["case_no"]
    st.session_state[f"{CASE_CHOICE}_generation"] = st.session_state.get(f"{CASE_CHOICE}_generation", 0) + 1


def _case_choice(numbers: list[str]) -> dict[str, Any]:
    """The case selectbox's key and, until the user chooses, its case: the one just registered,
    else the newest."""
    generation = st.session_state.get(f"{CASE_CHOICE}_generation", 0)
    key = CASE_CHOICE if not generation else f"{CASE_CHOICE}_{generation}"
    if key in st.session_state and st.session_state[key] in numbers:
        return {"key": key}
    opened = st.session_state.get(f"{CASE_CHOICE}_opened")
    st.session_state.pop(key, None)
    return {"key": key, "index": numbers.index(opened) if opened in numbers else len(numbers) - 1}


def _jurisdiction(actor: Actor, service: Service, counties: list[str]) -> int | None:
    """The case's county follows from the court's jurisdiction (its party's county), never the
    first county of a list (issue 19); no choice made when the court has no county of its own."""
    own = next((p["county_code"] for p in service.parties() if p["party_id"] == actor.party_id), None)
    return counties.index(own) if own in counties else None


def _case_detail(actor: Actor, service: Service, status: dict[str, Any]) -> None:
    lang = session.lang()
    case = status["case"]
    st.subheader(t("case_heading", case_no=case["case_no"]))
    st.markdown(t("case_summary", court=case["court_name"], sink=sink_name(case["sink_type"]),
                  ecosystem=case["ecosystem_name"], area=case["damaged_area_ha"],
                  defendants=", ".join(case["defendants"])))
    is_court = actor.role.value == "court"
    if is_court:
        issued = bool(session.locked(_order_form_name(case)))
        with st.expander(t("issue_order"), expanded=not status["orders"] or issued):
            _order_form(actor, service, case["case_no"])
    for order in status["orders"]:
        _order_card(actor, service, order, lang, is_court)


ORDER_FIELDS = ("order_item", "order_quantity", "order_amount", "order_due", "order_same_sink", "order_same_county")


def _order_form_name(case: dict[str, Any]) -> str:
    return f"order_{case['case_no']}"


def _order_form(actor: Actor, service: Service, case_no: str) -> None:
    form = _order_form_name({"case_no": case_no})
    recorded = session.locked(form)
    if recorded:
        show_recorded(form, t("order_issued", order=recorded["order_id"]), seq=recorded["seq"],
                      new_label_key="new_order", fields=ORDER_FIELDS)
        return
    with st.form("order_form"):
        c1, c2 = st.columns(2)
        item = c1.text_input(t("order_item"), value="判决第二项" if session.lang() == "zh" else "Item 2",
                             key="order_item")
        kind = c2.radio(t("order_kind"), ["quantity", "money"], format_func=labeller("order_kind_"),
                        horizontal=True, key="order_kind")
        quantity = c1.number_input(t("quantity_t"), min_value=1, step=1, value=10, key="order_quantity")
        amount = c2.text_input(t("order_amount_yuan"), value="10000", key="order_amount")
        due = c1.date_input(t("due_date"), value=date.today() + timedelta(days=90), key="order_due")
        same_sink = c2.checkbox(t("same_sink_type"), key="order_same_sink")
        same_county = c2.checkbox(t("same_county"), key="order_same_county")
        ok = st.form_submit_button(t("issue_order"), type="primary")
    if ok:
        try:
            amount_fen = fmt.yuan_to_fen(amount) if kind == "money" else None
        except ValueError:
            st.error(t("price_unreadable", value=amount))
            return
        submit_once(form, service.court.issue_order, actor=actor, case_no=case_no, item=item.strip(), kind=kind,
                    due_date=due.isoformat(), quantity_t=int(quantity) if kind == "quantity" else None,
                    amount_fen=amount_fen, same_sink_type=same_sink, same_county=same_county)


def _order_card(actor: Actor, service: Service, order: dict[str, Any], lang: str, is_court: bool) -> None:
    with st.container(border=True):
        target = (fmt.tonnes(order["quantity_t"], lang) if order["kind"] == "quantity"
                  else fmt.money(order["amount_fen"], lang))
        st.markdown(t("order_line", order=order["order_id"], item=order["item"], target=target,
                      due=fmt.date_text(order["due_date"], lang), status=t(f"order_status_{order['status']}")))
        done_share = _progress(order)
        st.progress(done_share, text=t("order_progress", retired=fmt.tonnes(order["fulfilled_t"], lang),
                                       spent=fmt.money(order["spent_fen"], lang), pct=round(done_share * 100)))
        if order["fulfilments"]:
            st.dataframe(pd.DataFrame([{t("col_date"): fmt.date_text(f["purchase_date"], lang),
                                        t("col_seller"): f["seller_account"], t("col_quantity_t"): f["quantity_t"],
                                        t("unit_price"): fmt.price(f["price_fen_per_t"], lang),
                                        t("contract_no"): f["contract_no"]} for f in order["fulfilments"]]),
                         hide_index=True, width="stretch")
        open_order = order["status"] in ("ordered", "partly_fulfilled", "overdue")
        if is_court:
            _fulfil(actor, service, order, open_order)
            _changes(actor, service, order, open_order)
        _certificates(actor, service, order, is_court)


def _progress(order: dict[str, Any]) -> float:
    if order["kind"] == "quantity":
        return min(order["fulfilled_t"] / max(order["quantity_t"] or 1, 1), 1.0)
    return min(order["spent_fen"] / max(order["amount_fen"] or 1, 1), 1.0)


def _fulfil(actor: Actor, service: Service, order: dict[str, Any], open_order: bool) -> None:
    """The fulfilment of this order: what the last one recorded (locked until another is started,
    while the order stays open), else the form."""
    form = f"fulfil_{order['order_id']}"
    recorded = session.locked(form)
    if recorded:
        show_recorded(form, t("fulfilment_recorded", quantity=fmt.tonnes(recorded["quantity_t"], session.lang()),
                              status=t(f"order_status_{recorded['status']}")), seq=recorded["seq"],
                      new_label_key="new_fulfilment" if open_order else None,
                      fields=(f"{form}_contract", f"{form}_quantity"))
    elif open_order:
        _fulfil_form(actor, service, order, form)


def _fulfil_form(actor: Actor, service: Service, order: dict[str, Any], form: str) -> None:
    accounts = [a for a in ui_queries.holding_accounts(service) if a["held_t"] > 0
                and a["party_kind"] in ("collective", "collection_centre", "trading_centre", "enterprise")]
    unit = "吨" if session.lang() == "zh" else "t"
    labels = {a["account_id"]: f'{a["name"]} ({a["account_id"]}, {a["held_t"]} {unit})'
              for a in sorted(accounts, key=lambda a: -a["held_t"])}
    with st.form(form):
        st.markdown(f"**{t('fulfil_order')}**")
        c1, c2, c3 = st.columns(3)
        seller = c1.selectbox(t("seller"), list(labels), format_func=labels.get, key=f"{form}_seller")
        price = c2.text_input(t("unit_price_yuan"), value="73.41", key=f"{form}_price")
        contract = c3.text_input(t("contract_no"), key=f"{form}_contract")
        quantity = c1.number_input(t("quantity_optional"), min_value=0, step=1, value=0, key=f"{form}_quantity")
        ok = st.form_submit_button(t("fulfil_order"), type="primary")
    if ok:
        try:
            price_fen = fmt.yuan_to_fen(price)
        except ValueError:
            st.error(t("price_unreadable", value=price))
            return
        # a new fulfilment makes a new certificate possible: that form opens again
        submit_once(form, service.court.fulfil, actor=actor, order_id=order["order_id"], seller_account=seller,
                    price_fen_per_t=price_fen, contract_no=contract.strip(), quantity_t=int(quantity) or None,
                    on_success=lambda _: session.new_form(f"certificate_{order['order_id']}"))


def _changes(actor: Actor, service: Service, order: dict[str, Any], open_order: bool) -> None:
    """Amend the order's terms or withdraw it, each a new entry with its reason (history is
    never edited); a withdrawal cannot be undone, so it is confirmed first."""
    order_id = order["order_id"]
    amended, withdrawn = session.locked(f"amend_{order_id}"), session.locked(f"withdraw_{order_id}")
    if withdrawn:
        show_recorded(f"withdraw_{order_id}", t("order_withdrawal_recorded", order=order_id), seq=withdrawn["seq"],
                      new_label_key=None)
        return
    if amended:
        show_recorded(f"amend_{order_id}", t("order_amended", order=order_id), seq=amended["seq"],
                      new_label_key="new_amendment", fields=(f"amend_{order_id}_reason",))
        return
    if not open_order:
        return
    with st.expander(t("amend_or_withdraw"), expanded=asking(f"withdraw_{order_id}")):
        _amend_form(actor, service, order)
        _withdraw_form(actor, service, order)


def _amend_form(actor: Actor, service: Service, order: dict[str, Any]) -> None:
    form = f"amend_{order['order_id']}"
    with st.form(form):
        c1, c2 = st.columns(2)
        if order["kind"] == "quantity":
            target = c1.number_input(t("quantity_t"), min_value=1, step=1, value=int(order["quantity_t"] or 1),
                                     key=f"{form}_quantity")
        else:
            target = c1.text_input(t("order_amount_yuan"), value=fmt.yuan(order["amount_fen"]).replace(",", ""),
                                   key=f"{form}_amount")
        due = c2.date_input(t("due_date"), value=date.fromisoformat(order["due_date"]), key=f"{form}_due")
        reason = st.text_input(t("amend_reason"), key=f"{form}_reason")
        ok = st.form_submit_button(t("amend_submit"))
    if not ok:
        return
    changes: dict[str, Any] = {}
    if order["kind"] == "quantity" and int(target) != order["quantity_t"]:
        changes["quantity_t"] = int(target)
    if order["kind"] == "money":
        try:
            fen = fmt.yuan_to_fen(target)
        except ValueError:
            st.error(t("price_unreadable", value=target))
            return
        if fen != order["amount_fen"]:
            changes["amount_fen"] = fen
    if due.isoformat() != order["due_date"]:
        changes["due_date"] = due.isoformat()
    submit_once(form, service.court.amend_order, actor=actor, order_id=order["order_id"], reason=reason.strip(),
                **changes)


def _withdraw_form(actor: Actor, service: Service, order: dict[str, Any]) -> None:
    form = f"withdraw_{order['order_id']}"
    with st.form(f"{form}_form"):  # the reason and the press arrive together (no disabled button to guess at)
        reason = st.text_input(t("withdraw_reason"), key=f"{form}_reason")
        pressed = st.form_submit_button(t("withdraw_order"))
    if pressed and not reason.strip():
        st.error(t("withdraw_reason_needed"))
    asked = pressed and bool(reason.strip())
    if confirmed(form, asked, t("withdraw_confirm", order=order["order_id"], reason=reason.strip())):
        submit_once(form, service.court.withdraw_order, actor=actor, order_id=order["order_id"],
                    reason=reason.strip())


def _certificates(actor: Actor, service: Service, order: dict[str, Any], is_court: bool) -> None:
    for cert in order["certificates"]:
        pdf = attempt(service.court.certificate_pdf, cert["code"], lang=session.lang())
        if pdf is not None:
            st.download_button(t("download_certificate", code=cert["code"]), pdf,
                               file_name=f"certificate-{cert['code']}.pdf", mime="application/pdf",
                               key=f"cert_{cert['code']}")
    if not (is_court and order["fulfilments"]):
        return
    form = f"certificate_{order['order_id']}"
    issued = session.locked(form)
    if issued:  # until the next fulfilment (which opens this form again)
        show_recorded(form, t("certificate_issued", code=issued["code"]), seq=issued["seq"], new_label_key=None,
                      detail=f"[{t('certificate_check_link')}](certificate?cert={issued['code']})")
    elif st.button(t("issue_certificate"), key=f"issue_cert_{order['order_id']}"):
        # the same facts give the same code (and the same entry): no request id of the form's own
        submit_once(form, service.court.issue_certificate, by_content=True, actor=actor, order_id=order["order_id"])


# -- calculator -------------------------------------------------------------------------------

def calculator_page() -> None:
    actor = require_roles(*VIEW_ROLES)
    service = get_service()
    lang = session.lang()
    st.title(t("page_calculator"))
    st.write(t("calculator_intro"))
    cases = attempt(service.court.cases, actor) or []
    if not cases:
        st.info(t("no_cases"))
        return
    c1, c2 = st.columns(2)
    case_no = c1.selectbox(t("choose_case"), [c["case_no"] for c in cases], key="calc_case")
    years = c2.number_input(t("years_to_recovery"), min_value=1, max_value=100, value=10, key="calc_years")
    proposal = attempt(service.court.propose, actor, case_no=case_no, calculation={"years_to_recovery": int(years)})
    if proposal is None:
        return
    figures.headline([(t("proposed_quantity"), fmt.tonnes(proposal["proposed_t"], lang))])
    st.caption(t("calculator_formula", area=proposal["damaged_area_ha"], rate=proposal["rate_t_co2e_per_ha_yr"][:8],
                 years=proposal["years_to_recovery"]))
    st.dataframe(pd.DataFrame([{t("col_step"): s["name"], t("col_equation"): s["equation"],
                                t("col_value"): str(s["value"])[:14], t("col_unit"): s["unit"],
                                t("col_note"): s["note"]} for s in proposal["steps"]]),
                 hide_index=True, width="stretch")
    for w in proposal["warnings"]:
        st.warning(w["message_zh"] if lang == "zh" else w["message_en"])
