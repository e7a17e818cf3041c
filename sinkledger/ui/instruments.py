"""Pages of issue 22 (docs/instruments.md): the authority's compensation programmes and quota
obligations (``/authority``), an enterprise's obligations (``/obligations``), and the public
check of a compliance certificate (on the certificate page). They call only
``service.compensation`` and ``service.obligations``; every form that changes the ledger goes
through :func:`sinkledger.ui.common.submit_once`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import streamlit as st

from sinkledger.ui import format as fmt
from sinkledger.ui import public_registry, session
from sinkledger.ui.common import attempt, get_service, require_roles, show_recorded, sink_name, submit_once
from sinkledger.ui.income_common import parse_yuan, table
from sinkledger.ui.text import t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

SINK_TYPES = ("bamboo_forest", "tea_garden", "wetland")


# --- the authority ----------------------------------------------------------------------------

def authority_page() -> None:
    actor = require_roles("authority")
    service, lang = get_service(), session.lang()
    st.title(t("page_authority"))
    st.caption(t("ins_authority_intro"))
    programmes_tab, payments_tab, obligations_tab = st.tabs([t("ins_programmes"), t("ins_payments"),
                                                             t("ins_obligations")])
    with programmes_tab:
        _programmes(actor, service, lang)
    with payments_tab:
        _payments(actor, service, lang)
    with obligations_tab:
        _obligations(actor, service, lang)


def _programmes(actor: Actor, service: Service, lang: str) -> None:
    rows = attempt(service.compensation.programmes, actor) or []
    table([{t("ins_code"): p["code"], t("ins_name"): p["name"], t("ins_basis"): t(f"ins_basis_{p['basis']}"),
            t("ins_rate"): fmt.money(p["rate_fen"], lang), t("ins_budget"): fmt.money(p["budget_fen"], lang),
            t("ins_paid"): fmt.money(p["paid_fen"], lang), t("ins_remaining"): fmt.money(p["remaining_fen"], lang),
            t("ins_payments_n"): p["payments"],
            t("ins_eligible"): _eligibility(p, lang)} for p in rows])
    recorded = session.locked("programme")
    if recorded:
        show_recorded("programme", t("ins_programme_recorded", code=recorded["code"]), seq=recorded["seq"],
                      fields=PROGRAMME_FIELDS)
        return
    with st.expander(t("ins_new_programme")), st.form("programme_form"):
        c1, c2 = st.columns(2)
        code = c1.text_input(t("ins_code"), key="prog_code", placeholder="HZSTBC-2027")
        name = c2.text_input(t("ins_name"), key="prog_name")
        reference = c1.text_input(t("ins_reference"), key="prog_reference")
        basis = c2.selectbox(t("ins_basis"), ("per_t", "per_ha"), format_func=lambda b: t(f"ins_basis_{b}"),
                             key="prog_basis")
        rate = c1.text_input(t("ins_rate_yuan"), value="15", key="prog_rate")
        budget = c2.text_input(t("ins_budget_yuan"), value="200000", key="prog_budget")
        sinks = c1.multiselect(t("ins_sink_types"), SINK_TYPES, default=list(SINK_TYPES),
                               format_func=lambda s: sink_name(s, lang), key="prog_sinks")
        counties = c2.text_input(t("ins_counties"), key="prog_counties", placeholder="330523, 330521")
        vintages = c1.slider(t("ins_vintages"), 2000, 2060, (2023, 2026), key="prog_vintages")
        period = c2.date_input(t("ins_period"), value=(date(date.today().year, 1, 1), date(date.today().year, 12, 31)),
                               key="prog_period")
        ok = st.form_submit_button(t("ins_register_programme"), type="primary")
    if not ok:
        return
    rate_fen, budget_fen = parse_yuan(rate), parse_yuan(budget)
    if rate_fen is None or budget_fen is None or not isinstance(period, tuple) or len(period) != 2:
        return
    submit_once("programme", service.compensation.register_programme, actor=actor, code=code.strip(),
                name=name, reference=reference, basis=basis, rate_fen=rate_fen, budget_fen=budget_fen,
                sink_types=list(sinks), county_codes=[c.strip() for c in counties.replace("，", ",").split(",")
                                                      if c.strip()],
                vintage_from=vintages[0], vintage_to=vintages[1], period_start=period[0].isoformat(),
                period_end=period[1].isoformat())


PROGRAMME_FIELDS = ("prog_code", "prog_name", "prog_reference", "prog_counties")


def _eligibility(item: dict[str, Any], lang: str) -> str:
    sinks = ("、" if lang == "zh" else ", ").join(sink_name(s, lang) for s in item["sink_types"])
    counties = ", ".join(item["county_codes"]) or t("ins_any_county")
    return f"{sinks}; {item['vintage_from']}–{item['vintage_to']}; {counties}"


def _payments(actor: Actor, service: Service, lang: str) -> None:
    programmes = attempt(service.compensation.programmes, actor) or []
    if not programmes:
        st.caption(t("nothing_yet"))
        return
    code = st.selectbox(t("ins_programme"), [p["code"] for p in programmes], key="pay_programme")
    recorded = session.locked("compensation_pay")
    if recorded:
        show_recorded("compensation_pay", t("ins_paid_recorded", payment=recorded["payment_id"],
                                            amount=fmt.money(recorded["amount_fen"], lang),
                                            payee=recorded["payee_party_id"],
                                            villages=fmt.money(recorded["villages_fen"], lang)),
                      seq=recorded["seq"])
    else:
        payable = attempt(service.compensation.payable_estimates, actor, programme_code=code) or []
        st.subheader(t("ins_payable"))
        if not payable:
            st.caption(t("ins_nothing_payable"))
        else:
            labels = {e["estimate_id"]: t("ins_payable_item", estimate=e["estimate_id"],
                                          sink=sink_name(e["sink_type"], lang), county=e["county_code"],
                                          vintages=", ".join(map(str, e["vintages"])),
                                          quantity=fmt.tonnes(e["quantity_t"], lang)) for e in payable}
            estimate = st.selectbox(t("ins_estimate"), list(labels), format_func=labels.get, key="pay_estimate")
            preview = attempt(service.compensation.preview_payment, actor, programme_code=code, estimate_id=estimate)
            if preview:
                _preview(preview, lang)
                with st.form("pay_form"):
                    c1, c2 = st.columns(2)
                    paid_date = c1.date_input(t("ins_paid_date"), value=date.today(), key="pay_date")
                    reference = c2.text_input(t("ins_pay_reference"), key="pay_reference")
                    ok = st.form_submit_button(t("ins_pay"), type="primary")
                if ok:
                    submit_once("compensation_pay", service.compensation.pay, actor=actor, programme_code=code,
                                estimate_id=estimate, paid_date=paid_date.isoformat(), reference=reference)
    st.subheader(t("ins_payments"))
    _payment_table(attempt(service.compensation.payments, actor, programme_code=code) or [], lang)


def _preview(preview: dict[str, Any], lang: str) -> None:
    st.markdown(t("ins_preview", amount=fmt.money(preview["amount_fen"], lang),
                  quantity=fmt.tonnes(preview["quantity_t"], lang), payee=preview["estimate"]["holder_party_id"],
                  villages=fmt.money(preview["totals"]["villages_fen"], lang),
                  remaining=fmt.money(preview["remaining_before_fen"], lang)))
    table([{t("ins_vintage"): u["vintage_year"], t("ins_batch"): u["batch_id"],
            t("col_quantity_t"): u["quantity_t"], t("ins_amount"): fmt.money(u["amount_fen"], lang)}
           for u in preview["units"]])
    table([{t("ins_contract"): c["contract_no"], t("col_quantity_t"): c["quantity_t"],
            t("ins_gross"): fmt.money(c["gross_fen"], lang), t("ins_costs"): fmt.money(c["costs_fen"], lang),
            t("ins_villages"): fmt.money(c["villages_fen"], lang), t("ins_centre"): fmt.money(c["centre_fen"], lang)}
           for c in preview["contracts"]])
    st.caption(t("ins_preview_trace", estimate=preview["estimate"]["estimate_id"],
                 hash=preview["estimate"]["estimate_hash"][:16], seq=preview["estimate"]["issuance_seq"]))


def _payment_table(rows: list[dict[str, Any]], lang: str) -> None:
    table([{t("ins_payment"): p["id"], t("ins_paid_date"): fmt.date_text(p["paid_date"], lang),
            t("ins_estimate"): p["estimate_id"], t("ins_payee"): p["payee_party_id"],
            t("col_quantity_t"): p["quantity_t"], t("ins_amount"): fmt.money(p["amount_fen"], lang),
            t("ins_villages"): fmt.money(p["villages_fen"], lang),
            t("ins_vintage"): ", ".join(str(u["vintage_year"]) for u in p["units"]),
            t("ins_pay_reference"): p["reference"]} for p in rows])


def _obligations(actor: Actor, service: Service, lang: str) -> None:
    rows = attempt(service.obligations.obligations, actor) or []
    _obligation_table(rows, lang, with_enterprise=True)
    met = [o for o in rows if o["status"] == "met"]
    if met:
        chosen = st.selectbox(t("ins_met_obligation"), [o["id"] for o in met], key="ob_certificate_choice")
        _certificate(actor, service, chosen, lang)
    recorded = session.locked("obligation")
    if recorded:
        show_recorded("obligation", t("ins_obligation_recorded", obligation=recorded["obligation_id"],
                                      enterprise=recorded["enterprise_party_id"],
                                      quantity=fmt.tonnes(recorded["quantity_t"], lang)),
                      seq=recorded["seq"], fields=OBLIGATION_FIELDS)
        return
    enterprises = {p["party_id"]: p["name"] for p in service.parties() if p["kind"] == "enterprise"}
    with st.expander(t("ins_new_obligation")), st.form("obligation_form"):
        c1, c2 = st.columns(2)
        enterprise = c1.selectbox(t("ins_enterprise"), list(enterprises),
                                  format_func=lambda p: f"{enterprises[p]} ({p})", key="ob_enterprise")
        quantity = c2.number_input(t("col_quantity_t"), min_value=0, step=1, value=20, key="ob_quantity")
        start = c1.date_input(t("ins_start"), value=date.today(), key="ob_start")
        deadline = c2.date_input(t("ins_deadline"), value=date(date.today().year, 12, 31), key="ob_deadline")
        sinks = c1.multiselect(t("ins_sink_types"), SINK_TYPES, default=["bamboo_forest"],
                               format_func=lambda s: sink_name(s, lang), key="ob_sinks")
        vintages = c2.slider(t("ins_vintages"), 2000, 2060, (2023, 2026), key="ob_vintages")
        reference = c1.text_input(t("ins_reference"), key="ob_reference")
        counties = c2.text_input(t("ins_counties"), key="ob_counties", placeholder="330523")
        ok = st.form_submit_button(t("ins_set_obligation"), type="primary")
    if ok:
        submit_once("obligation", service.obligations.set_obligation, actor=actor, enterprise_party_id=enterprise,
                    quantity_t=int(quantity), start_date=start.isoformat(), deadline=deadline.isoformat(),
                    sink_types=list(sinks), vintage_from=vintages[0], vintage_to=vintages[1], reference=reference,
                    county_codes=[c.strip() for c in counties.replace("，", ",").split(",") if c.strip()])


OBLIGATION_FIELDS = ("ob_reference", "ob_counties")


def _obligation_table(rows: list[dict[str, Any]], lang: str, *, with_enterprise: bool) -> None:
    table([{t("ins_obligation"): o["id"],
            **({t("ins_enterprise"): o["enterprise_name"]} if with_enterprise else {}),
            t("ins_reference"): o["reference"], t("ins_required"): o["quantity_t"], t("ins_counted"): o["counted_t"],
            t("ins_shortfall"): o["shortfall_t"], t("ins_deadline"): fmt.date_text(o["deadline"], lang),
            t("col_status"): t(f"ins_status_{o['status']}"), t("ins_eligible"): _eligibility(o, lang)}
           for o in rows])


def _certificate(actor: Actor, service: Service, obligation_id: str, lang: str) -> None:
    """Issue (or show) a met obligation's certificate, with its PDF in both languages."""
    detail = attempt(service.obligations.obligation, actor, obligation_id=obligation_id) or {}
    codes = [c["code"] for c in detail.get("certificates", [])]
    if not codes and actor.role.value in ("authority", "trading_clerk"):
        if st.button(t("ins_issue_certificate"), key=f"ob_issue_{obligation_id}"):
            submit_once("obligation_certificate", service.obligations.issue_certificate, by_content=True, actor=actor,
                        obligation_id=obligation_id)
    for code in codes:
        st.markdown(t("ins_certificate_line", code=code))
        c1, c2 = st.columns(2)
        for column, pdf_lang in ((c1, "zh"), (c2, "en")):
            pdf = attempt(service.obligations.certificate_pdf, code, lang=pdf_lang)
            if pdf:
                column.download_button(t(f"ins_certificate_pdf_{pdf_lang}"), pdf, file_name=f"{code}-{pdf_lang}.pdf",
                                       mime="application/pdf", key=f"ob_pdf_{code}_{pdf_lang}")


# --- the enterprise ---------------------------------------------------------------------------

def enterprise_obligations_page() -> None:
    actor = require_roles("enterprise")
    service, lang = get_service(), session.lang()
    st.title(t("page_obligations"))
    st.caption(t("ins_enterprise_intro"))
    rows = attempt(service.obligations.obligations, actor) or []
    _obligation_table(rows, lang, with_enterprise=False)
    if not rows:
        return
    chosen = st.selectbox(t("ins_obligation"), [o["id"] for o in rows], key="ent_obligation")
    detail = attempt(service.obligations.obligation, actor, obligation_id=chosen)
    if not detail:
        return
    st.markdown(t("ins_obligation_detail", counted=fmt.tonnes(detail["counted_t"], lang),
                  required=fmt.tonnes(detail["quantity_t"], lang), shortfall=fmt.tonnes(detail["shortfall_t"], lang),
                  deadline=fmt.date_text(detail["deadline"], lang), held=fmt.tonnes(detail["eligible_held_t"], lang)))
    table([{t("ins_how"): t(f"ins_how_{c['how']}"), t("ins_retirement"): c["retirement_id"],
            t("ins_counted"): c["counted_t"], t("ins_seller"): c["seller_account"] or "",
            t("col_date"): fmt.date_text(c["recorded_at"][:10], lang)} for c in detail["credits"]])
    if detail["status"] == "met":
        _certificate(actor, service, chosen, lang)
        return
    _surrender(actor, service, detail, lang)
    _claim(actor, service, detail, lang)


def _surrender(actor: Actor, service: Service, detail: dict[str, Any], lang: str) -> None:
    recorded = session.locked("surrender")
    if recorded:
        show_recorded("surrender", t("ins_counted_recorded", retirement=recorded["retirement_id"],
                                     counted=fmt.tonnes(recorded["counted_t"], lang),
                                     shortfall=fmt.tonnes(recorded["shortfall_t"], lang)), seq=recorded["seq"])
        return
    with st.form("surrender_form"):
        quantity = st.number_input(t("ins_surrender_t"), min_value=0, step=1,
                                   value=min(detail["shortfall_t"], detail["eligible_held_t"]), key="surrender_t")
        ok = st.form_submit_button(t("ins_surrender"), type="primary")
    if ok:
        submit_once("surrender", service.obligations.surrender, actor=actor, obligation_id=detail["id"],
                    quantity_t=int(quantity))


def _claim(actor: Actor, service: Service, detail: dict[str, Any], lang: str) -> None:
    countable = detail["countable_retirements"]
    if not countable:
        return
    recorded = session.locked("obligation_claim")
    if recorded:
        show_recorded("obligation_claim", t("ins_counted_recorded", retirement=recorded["retirement_id"],
                                            counted=fmt.tonnes(recorded["counted_t"], lang),
                                            shortfall=fmt.tonnes(recorded["shortfall_t"], lang)), seq=recorded["seq"])
        return
    labels = {r["retirement_id"]: f"{r['retirement_id']} · {fmt.tonnes(r['quantity_t'], lang)} · {r['date']}"
              for r in countable}
    with st.form("claim_form"):
        chosen = st.selectbox(t("ins_claim_retirement"), list(labels), format_func=labels.get, key="claim_choice")
        ok = st.form_submit_button(t("ins_claim"))
    if ok:
        submit_once("obligation_claim", service.obligations.claim, actor=actor, obligation_id=detail["id"],
                    retirement_id=chosen)


# --- the public check ---------------------------------------------------------------------------

def obligation_certificate_check() -> None:
    """The public check of a compliance certificate, by code or PDF (anyone)."""
    st.write(t("ins_certificate_intro"))
    obligations = get_service().obligations
    public_registry.code_or_pdf_check(query="ocert", form="obligation_certificate_check",
                                      label=t("certificate_code"), code_key="obligation_certificate_code",
                                      by_code=obligations.verify_certificate, show=show_obligation_certificate,
                                      pdf_label=t("certificate_pdf"), pdf_key="obligation_certificate_pdf",
                                      by_pdf=obligations.verify_certificate_pdf, placeholder="XXXX-XXXX-XXXX-XXXX")


def show_obligation_certificate(result: dict[str, Any]) -> None:
    lang = session.lang()
    record = result["record"]
    o, totals = record["obligation"], record["totals"]
    if result["ok"]:
        st.success(t("certificate_valid", code=result["code"]))
    else:
        st.error(t("certificate_invalid", code=result["code"], problems="; ".join(result["problems"])))
    st.markdown(t("ins_certificate_proves", enterprise=o["enterprise_party_id"], obligation=o["obligation_id"],
                  reference=o["reference"], quantity=fmt.tonnes(totals["counted_t"], lang),
                  met=fmt.date_text(totals["met_date"], lang) if totals["met_date"] else "—",
                  deadline=fmt.date_text(o["deadline"], lang)))
    table([{t("col_date"): fmt.date_text(c["date"], lang), t("ins_how"): t(f"ins_how_{c['how']}"),
            t("ins_retirement"): c["retirement_id"], t("ins_counted"): c["counted_t"],
            t("col_serials"): ", ".join(b["serials"] for b in c["blocks"])} for c in record["credits"]])
    hashes_ok = all(e.get("hash_ok") for e in result["entries"])
    proofs_ok = bool(result["proofs"]) and all(p["proof_ok"] for p in result["proofs"])
    st.markdown(f'- {t("check_hashes_ok") if hashes_ok else t("check_hashes_bad")}\n'
                f'- {t("check_proofs_ok") if proofs_ok else t("check_proofs_bad")}')
