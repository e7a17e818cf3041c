"""Insurer: record a loss event on parcels (cause, date, affected area, damaged share) — the
methodology's stock gives the carbon lost and the reversal cancels that many buffer credits in
the same entry — and an insurance claim linking the event, the policy, the product and the payout.

A manual reversal by quantity (no parcel, no computation) is kept for losses the registry cannot
compute, below the loss-event form.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import streamlit as st

from sinkledger.services import queries as ui_queries
from sinkledger.services import tiles
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
from sinkledger.ui.income_common import parse_yuan, party_labeller, table
from sinkledger.ui.pickers import parcel_picker
from sinkledger.ui.text import labeller, t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

CAUSES = ("snow", "fire", "pests", "conversion", "other")
DEFAULT_PRODUCT = "毛竹碳汇价值恢复补偿保险"


def losses_page() -> None:
    actor = require_roles("insurer")
    service = get_service()
    lang = session.lang()
    st.title(t("page_losses"))
    st.write(t("inc_losses_intro"))
    figures.headline([(t("buffer_balance"), fmt.tonnes(ui_queries.buffer_balance_t(service), lang))])
    tabs = st.tabs([t("inc_tab_loss"), t("inc_tab_claim"), t("inc_tab_events")])
    with tabs[0]:
        _loss_form(actor, service, lang)
    events = attempt(service.income.losses, actor) or []
    with tabs[1]:
        _claim_form(actor, service, events)
    with tabs[2]:
        _events(events, lang)
    with st.expander(t("inc_manual_reversal")):
        _manual_reversal(actor, service, lang)


LOSS_FIELDS = ("loss_parcels", "loss_description", "loss_policy")


def _loss_form(actor: Actor, service: Service, lang: str) -> None:
    """A loss event: the methodology's plan, then (confirmed: the buffer credits it cancels are
    gone for good) the event and its reversal in one entry; locked until another is started."""
    done = session.locked("loss_event")
    if done:
        show_recorded("loss_event", t("inc_loss_recorded", event=done["event_id"], lost=done["lost_t_co2e"],
                                      reversed=fmt.tonnes(done["reversed_t"], lang)),
                      seq=done["seq"], new_label_key="new_loss_event", fields=LOSS_FIELDS)
        return
    c1, c2 = st.columns(2)
    cause = c1.selectbox(t("inc_cause"), CAUSES, format_func=labeller("inc_cause_"), key=f"loss_cause_{lang}")
    event_date = c2.date_input(t("inc_event_date"), value=date.today(), key="loss_date")
    parcels = parcel_picker(t("inc_loss_parcels"), "loss_parcels").chosen
    rows = []
    for code in parcels:
        a, b = st.columns(2)
        area = a.text_input(t("inc_affected_ha", parcel=code), value="1", key=f"loss_area_{code}")
        share = b.number_input(t("inc_damage_pct", parcel=code), min_value=1, max_value=100, value=100, step=1,
                               key=f"loss_share_{code}")
        rows.append({"parcel_code": code, "affected_area_ha": area.strip(), "damage_share_bp": int(share) * 100})
    description = st.text_area(t("inc_loss_description"), key="loss_description",
                               placeholder=t("loss_reason_example"))
    policy = st.text_input(t("inc_policy_no"), key="loss_policy")
    if not rows:
        st.caption(t("inc_loss_choose_parcels"))
        return
    plan = attempt(service.income.preview_loss, actor, event_date=event_date.isoformat(), parcels=rows)
    if plan is None:
        return
    _plan(plan, lang)
    asked = st.button(t("inc_record_loss"), type="primary", key="loss_record")
    question = t("loss_event_confirm", reversed=fmt.tonnes(sum(p["reversed_t"] for p in plan), lang), n=len(rows))
    if confirmed("loss_event", asked, question):
        submit_once("loss_event", service.income.record_loss, actor=actor, cause=cause,
                    event_date=event_date.isoformat(), parcels=rows, description=description.strip(),
                    policy_no=policy.strip() or None)


def _plan(plan: list[dict[str, Any]], lang: str) -> None:
    """What the methodology computes: stock per hectare, carbon lost, credits the reversal cancels."""
    lost = sum(float(p["lost_t_co2e"]) for p in plan)  # display only; the service sums exact decimals
    reversed_t = sum(p["reversed_t"] for p in plan)
    figures.headline([(t("inc_lost_t"), f"{lost:,.2f}"), (t("inc_reversed_t"), fmt.tonnes(reversed_t, lang))])
    table([{t("col_parcel"): p["parcel_code"], t("inc_affected_area"): p["affected_area_ha"],
            t("inc_damage_share"): f'{p["damage_share_bp"] / 100:g}%', t("col_estimate"): p["estimate_id"],
            t("inc_stock_t_c_per_ha"): p["stock_t_c_per_ha"], t("inc_lost_t"): p["lost_t_co2e"],
            t("inc_reversed_t"): p["reversed_t"]} for p in plan])
    with st.expander(t("inc_loss_trace")):
        for p in plan:
            st.markdown(f"**{p['parcel_code']}** · {p['methodology_id']} {p['methodology_version']}")
            table([{t("col_step"): s["name"], t("col_equation"): s.get("equation", ""), t("col_value"): s["value"],
                    t("col_unit"): s.get("unit", ""), t("col_note"): s.get("note", "")} for s in p["steps"]])


CLAIM_FIELDS = ("claim_no", "claim_payout", "claim_reference")


def _claim_form(actor: Actor, service: Service, events: list[dict[str, Any]]) -> None:
    done = session.locked("insurance_claim")
    if done:
        show_recorded("insurance_claim", t("inc_claim_recorded", claim=done["claim_no"], event=done["event_id"],
                                           payout=fmt.money(done["payout_fen"], session.lang())),
                      seq=done["seq"], new_label_key="new_claim", fields=CLAIM_FIELDS)
        return
    if not events:
        st.caption(t("inc_no_events"))
        return
    by_id = {e["id"]: e for e in events}
    event_id = st.selectbox(t("inc_choose_event"), list(by_id), key="claim_event")
    event = by_id[event_id]
    insured = sorted(set(tiles.parcel_holders(service, [p["parcel_code"] for p in event["parcels"]]).values()))
    with st.form("claim_form"):
        c1, c2 = st.columns(2)
        claim_no = c1.text_input(t("inc_claim_no"), key="claim_no")
        policy = c2.text_input(t("inc_policy_no"), value=event.get("policy_no") or "", key="claim_policy")
        product = c1.text_input(t("inc_product"), value=DEFAULT_PRODUCT, key="claim_product")
        party = c2.selectbox(t("inc_insured"), insured or [""], format_func=party_labeller(), key="claim_insured")
        payout = c1.text_input(t("inc_payout_yuan"), key="claim_payout")
        paid = c2.date_input(t("inc_paid_date"), value=date.today(), key="claim_paid")
        reference = st.text_input(t("inc_reference"), key="claim_reference")
        ok = st.form_submit_button(t("inc_record_claim"), type="primary")
    if not ok:
        return
    payout_fen = parse_yuan(payout)
    if payout_fen is None:
        return
    submit_once("insurance_claim", service.income.record_claim, actor=actor, claim_no=claim_no.strip(),
                event_id=event_id, policy_no=policy.strip(), product=product.strip(), insured_party_id=party,
                payout_fen=payout_fen, paid_date=paid.isoformat(), reference=reference.strip() or None)


def _events(events: list[dict[str, Any]], lang: str) -> None:
    def row(e: dict[str, Any]) -> dict[str, Any]:
        parcels = ", ".join(f'{p["parcel_code"]} ({p["affected_area_ha"]} ha)' for p in e["parcels"])
        claims = "; ".join(f'{c["claim_no"]} {fmt.money(c["payout_fen"], lang)}' for c in e["claims"])
        return {t("inc_event"): e["id"], t("inc_event_date"): fmt.date_text(e["event_date"], lang),
                t("inc_cause"): t(f"inc_cause_{e['cause']}"), t("inc_parcel_list"): parcels,
                t("inc_lost_t"): e["lost_t_co2e"], t("inc_reversed_t"): e["reversed_t"],
                t("col_reversal"): e["reversal_id"] or "—", t("inc_policy_no"): e["policy_no"] or "—",
                t("inc_claims"): claims or "—"}

    figures.list_table([row(e) for e in events])  # to read: no grid (figures.list_table)


def _manual_reversal(actor: Actor, service: Service, lang: str) -> None:
    st.caption(t("losses_intro"))
    reversed_ = session.locked("loss")
    if reversed_:  # recorded: shown, the form locked until another reversal is started
        show_recorded("loss", t("loss_recorded", reversal=reversed_["reversal_id"],
                                quantity=fmt.tonnes(reversed_["quantity"], lang)),
                      seq=reversed_["seq"], new_label_key="new_reversal",
                      fields=("loss_event", "loss_quantity", "loss_reason"))
    else:
        _reversal_form(actor, service, lang)
    rows = ui_queries.reversals(service)
    if rows:
        figures.list_table([{t("col_reversal"): r["id"], t("col_date"): fmt.date_text(r["recorded_at"], lang),
                             t("loss_event_ref"): r["loss_event_ref"], t("col_quantity_t"): r["quantity"],
                             t("loss_reason"): r["reason"]} for r in rows])


def _reversal_form(actor: Actor, service: Service, lang: str) -> None:
    """A reversal cancels buffer credits for good: asked to confirm first."""
    with st.form("loss_form"):
        c1, c2 = st.columns(2)
        event = c1.text_input(t("loss_event_ref"), key="loss_event", placeholder="LOSS-2025-001")
        quantity = c2.number_input(t("loss_quantity"), min_value=1, step=1, value=1, key="loss_quantity")
        reason = st.text_input(t("loss_reason"), key="loss_reason", placeholder=t("loss_reason_example"))
        asked = st.form_submit_button(t("record_loss"))
    question = t("reversal_confirm", quantity=fmt.tonnes(int(quantity), lang), event=event.strip() or "—")
    if confirmed("loss", asked, question):
        submit_once("loss", service.reverse, actor=actor, quantity=int(quantity), reason=reason.strip(),
                    loss_event_ref=event.strip())
