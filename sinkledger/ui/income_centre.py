"""Collection centre (收储中心): collection contracts and their documents, bundled projects and
credit traces (page "contracts and projects"); the distribution of a sale's proceeds, fixed
payments, due items and payments, and statements (page "income distribution").

Every figure comes from ``service.income``; the preview of a distribution is the service's own
plan, and the page only checks for the reader that its lines add up to the sale amount.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import streamlit as st

from methodologies.registry import list_methodologies
from sinkledger.services import queries as ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import session, widgets
from sinkledger.ui.common import attempt, get_service, require_roles, show_recorded, sink_name, submit_once
from sinkledger.ui.income_common import (
    item_row,
    kg_text,
    party_label,
    party_labeller,
    percent,
    statement_section,
    table,
    terms_text,
    whole_or_dash,
)
from sinkledger.ui.income_coop import contracts_table, pay_form
from sinkledger.ui.text import sink_labeller, t, t_or

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor

CENTRE_ROLES = ("collection_centre",)


# -- page: contracts and projects ------------------------------------------------------------------

def centre_contracts_page() -> None:
    actor = require_roles(*CENTRE_ROLES)
    st.title(t("page_inc_contracts"))
    contracts = attempt(get_service().income.contracts, actor) or []
    tabs = st.tabs([t("inc_tab_contracts"), t("inc_tab_projects"), t("inc_tab_trace")])
    with tabs[0]:
        _contracts(actor, contracts)
    with tabs[1]:
        _projects(actor, contracts)
    with tabs[2]:
        _trace(actor)


def _contracts(actor: Actor, contracts: list[dict[str, Any]]) -> None:
    contracts_table(contracts)
    if not contracts:
        return
    chosen = st.selectbox(t("inc_choose_contract"), [c["contract_no"] for c in contracts], key="centre_contract")
    contract = next(c for c in contracts if c["contract_no"] == chosen)
    lang = session.lang()
    st.markdown(t("inc_contract_summary", contract=chosen, collective=party_label(contract["collective_party_id"]),
                  terms=terms_text(contract["payment_terms"])))
    if contract["payment_terms"].get("costs_note"):
        st.caption(contract["payment_terms"]["costs_note"])
    st.subheader(t("inc_documents"))
    table([{t("inc_doc_title"): d["title"], t("inc_doc_file"): d["file_name"],
            t("inc_doc_size"): fmt.integer(d["size_bytes"], lang), "SHA-256": d["sha256"][:16] + "…",
            t("inc_doc_kept"): t("yes") if d.get("content_matches") else t("no")} for d in contract["documents"]])
    _document_form(actor, chosen)


def _document_form(actor: Actor, contract_no: str) -> None:
    done = session.locked("contract_document")
    if done:
        show_recorded("contract_document", t("inc_doc_registered", sha=done["sha256"][:16]), seq=done["seq"],
                      new_label_key="new_document", fields=("doc_title",))
        return
    title = st.text_input(t("inc_doc_title"), key="doc_title")
    upload = widgets.file_uploader(t("inc_doc_upload"), key="doc_file")
    if st.button(t("inc_doc_register"), type="primary", key="doc_register"):
        if upload is None:
            st.error(t("inc_doc_choose_file"))
            return
        submit_once("contract_document", get_service().income.register_contract_document, actor=actor,
                    contract_no=contract_no, title=title.strip(), content=upload.getvalue(), file_name=upload.name,
                    media_type=upload.type or None)


def _projects(actor: Actor, contracts: list[dict[str, Any]]) -> None:
    service = get_service()
    codes = [p["project_code"] for p in attempt(service.income.projects, actor) or []]
    collected = sorted({p for c in contracts for p in c["parcel_codes"]})
    if codes:
        chosen = st.selectbox(t("inc_choose_project"), codes, key="centre_project")
        project = attempt(service.income.project, actor, chosen)
        if project is not None:
            _project_detail(project)
            _add_parcels_form(actor, chosen, collected)
    else:
        st.caption(t("nothing_yet"))
    _register_project_form(actor, collected)


def _project_detail(project: dict[str, Any]) -> None:
    lang = session.lang()
    st.markdown(t("inc_project_summary", code=project["project_code"], name=project["name"],
                  sink=sink_name(project["sink_type"]), methodology=project["methodology_id"],
                  area=fmt.hectares(project["area_ha"], lang), months=project["interval_months"]))
    st.caption(t("inc_project_periods", periods=", ".join(
        f"{fmt.date_text(a, lang)} – {fmt.date_text(b, lang)}" for a, b in project["monitoring_periods"][:3])))
    table([{t("col_parcel"): p["parcel_code"], t("col_holder"): party_label(p["holder_party_id"]),
            t("inc_area_mu"): f'{p["area_mu"]:,.2f}',
            t("inc_households"): ", ".join(f"{h} {percent(bp)}" for h, bp in sorted(p["household_shares_bp"].items()))}
           for p in project["parcels"]])
    st.subheader(t("inc_batches"))
    table([{t("col_batch"): b["batch_id"], t("col_vintage"): str(b["vintage_year"]), t("col_quantity_t"): b["quantity"],
            t("col_buffer_t"): b["buffer_t"], t("col_period"): b["period"].replace("..", " – ")}
           for b in project["batches"]])


def _add_parcels_form(actor: Actor, code: str, collected: list[str]) -> None:
    form = f"project_add_{code}"
    done = session.locked(form)
    if done:
        show_recorded(form, t("inc_parcels_added", n=len(done["added"]), code=code), seq=done["seq"],
                      new_label_key="new_project_parcels", fields=("project_add_parcels",))
        return
    with st.form("project_add_form"):
        parcels = st.multiselect(t("inc_add_parcels"), collected, key="project_add_parcels")
        ok = st.form_submit_button(t("inc_add_parcels_button"))
    if ok:
        submit_once(form, get_service().income.add_project_parcels, actor=actor, project_code=code,
                    parcel_codes=parcels)


PROJECT_FIELDS = ("project_code_new", "project_name_new", "project_parcels_new")


def _register_project_form(actor: Actor, collected: list[str]) -> None:
    done = session.locked("project_register")
    if done:
        show_recorded("project_register", t("inc_project_registered", code=done["project_code"]), seq=done["seq"],
                      new_label_key="new_project", fields=PROJECT_FIELDS)
        return
    methodologies = sorted({m.id for m in list_methodologies()})
    with st.expander(t("inc_register_project"), expanded=False), st.form("project_register_form"):
        c1, c2 = st.columns(2)
        code = c1.text_input(t("project_code"), key="project_code_new", placeholder="AJTG02")
        name = c2.text_input(t("inc_project_name"), key="project_name_new")
        sink = c1.selectbox(t("col_sink_type"), ["bamboo_forest", "wetland", "tea_garden"],
                            format_func=sink_labeller(), key="project_sink_new")
        methodology = c2.selectbox(t("col_methodology"), methodologies, key="project_methodology_new")
        start = c1.date_input(t("inc_monitoring_start"), value=date(date.today().year, 1, 1), key="project_start_new")
        months = c2.number_input(t("inc_interval_months"), min_value=1, max_value=120, value=24, step=1,
                                 key="project_months_new")
        parcels = st.multiselect(t("inc_parcel_list"), collected, key="project_parcels_new")
        ok = st.form_submit_button(t("inc_register_project"), type="primary")
    if ok:
        submit_once("project_register", get_service().income.register_project, actor=actor,
                    project_code=code.strip(), name=name.strip(), sink_type=sink, methodology_id=methodology,
                    monitoring_start=start.isoformat(), interval_months=int(months), parcel_codes=parcels)


def _trace(actor: Actor) -> None:
    """Where a credit comes from: its batch → parcels (t, kg) → contract → collective → households."""
    serial = st.text_input(t("inc_trace_input"), key="trace_serial",
                           placeholder="CN330523-TG-AJTG01-2026-000000001")
    if not serial.strip():
        st.caption(t("inc_trace_help"))
        return
    service, text = get_service(), serial.strip()
    # A batch id carries its vintage after a slash (``CN...-2026/1``); anything else is a serial.
    trace = attempt(service.income.trace_batch if "/" in text else service.income.trace_serial, actor, text)
    if trace is None:
        return
    st.markdown(t("inc_trace_summary", batch=trace["batch_id"], serials=trace["serials"], quantity=trace["quantity"],
                  project=trace["project_code"] or "—", period=trace["period"].replace("..", " – ")))
    table([{t("col_parcel"): p["parcel_code"], t("inc_col_tonnes"): p["quantity_t"], t("inc_col_kg"): kg_text(p["kg_co2e"]),
            t("contract_no"): p["contract_no"] or "—", t("col_holder"): party_label(p["holder_party_id"]),
            t("inc_households"): ", ".join(f"{h} {percent(bp)}" for h, bp in sorted(p["household_shares_bp"].items()))}
           for p in trace["parcels"]])


# -- page: distribution, payments, statements ------------------------------------------------------

def centre_income_page() -> None:
    actor = require_roles(*CENTRE_ROLES)
    st.title(t("page_inc_centre"))
    tabs = st.tabs([t("inc_tab_distribute"), t("inc_tab_fixed"), t("inc_tab_dues"), t("inc_tab_statements")])
    with tabs[0]:
        _distribute(actor)
    with tabs[1]:
        _schedule(actor)
    with tabs[2]:
        pay_form(actor, "centre_pay")
    with tabs[3]:
        _statements(actor)


def _centre_account(actor: Actor) -> str | None:
    return next((p["account_id"] for p in get_service().parties() if p["party_id"] == actor.party_id), None)


def _distribute(actor: Actor) -> None:
    service, lang = get_service(), session.lang()
    done = session.locked("distribute")
    if done:
        show_recorded("distribute", t("inc_distributed", distribution=done["distribution_id"], sale=done["sale_seq"],
                                      amount=fmt.money(done["amount_fen"], lang), lines=done["totals"]["lines"]),
                      seq=done["seq"], new_label_key="new_distribution")
    distributed = {d["sale_seq"]: d for d in attempt(service.income.distributions, actor) or []}
    account = _centre_account(actor)
    sales = [s for s in ui_queries.sales(service, account_id=account) if s["seller_account"] == account] if account else []
    pending = [s for s in sales if s["seq"] not in distributed]
    st.subheader(t("inc_sales_to_distribute"))
    if not pending:
        st.caption(t("inc_no_sales_to_distribute"))
    elif not done:  # the preview is the confirmation: its button records exactly what it shows
        labels = {s["seq"]: t("inc_sale_label", seq=s["seq"], date=fmt.date_text(s["recorded_at"], lang),
                              quantity=fmt.tonnes(s["quantity"], lang), amount=fmt.money(s["amount_fen"], lang),
                              buyer=s["buyer_name"]) for s in pending}
        chosen = st.selectbox(t("inc_choose_sale"), list(labels), format_func=labels.get, key="distribute_sale")
        with st.spinner(t("inc_loading")):
            preview = attempt(service.income.preview_distribution, actor, sale_seq=chosen)
        if preview is not None:
            _preview(preview)
            if preview["contracts"] and st.button(t("inc_confirm_distribution"), type="primary", key="distribute_confirm"):
                with st.spinner(t("inc_distributing")):
                    # one distribution per sale: the service's request id is the sale's (distribution:<seq>)
                    submit_once("distribute", service.income.distribute, by_content=True, actor=actor, sale_seq=chosen)
    _distributions(actor, list(distributed.values()))


def _preview(preview: dict[str, Any]) -> None:
    """The service's plan: contracts (gross, costs, net, villages, centre) and every line, in fen."""
    lang = session.lang()
    lines = preview["lines"]
    total = sum(line["amount_fen"] for line in lines)
    if total == preview["amount_fen"]:
        st.success(t("inc_preview_sums", n=len(lines), total=fmt.yuan(total), amount=fmt.yuan(preview["amount_fen"])))
    else:  # never expected: the service asserts it; shown rather than hidden if it ever happens
        st.error(t("inc_preview_mismatch", total=fmt.yuan(total), amount=fmt.yuan(preview["amount_fen"])))
    if not preview["contracts"]:
        st.warning(t("inc_no_contracted_credits"))
    st.subheader(t("inc_contracts"))
    table([{t("contract_no"): c["contract_no"], t("inc_collective"): party_label(c["collective_party_id"]),
            t("inc_col_tonnes"): c["quantity_t"], t("inc_col_gross_yuan"): fmt.yuan(c["gross_fen"]),
            t("inc_col_costs_yuan"): fmt.yuan(c["costs_fen"]), t("inc_col_net_yuan"): fmt.yuan(c["net_fen"]),
            t("inc_col_villages_yuan"): fmt.yuan(c["villages_fen"]), t("inc_col_centre_yuan"): fmt.yuan(c["centre_fen"])}
           for c in preview["contracts"]])
    for c in preview["contracts"]:
        st.caption(f'{c["contract_no"]}: {terms_text(c["terms"])}')
    st.subheader(t("inc_lines"))
    table([line_row(line) for line in lines])
    st.caption(t("inc_preview_caption", quantity=fmt.tonnes(preview["quantity_t"], lang),
                 price=fmt.price(preview["price_fen_per_t"], lang)))


def line_row(line: dict[str, Any]) -> dict[str, Any]:
    return {t("inc_line"): line["line_no"], t("col_role"): t_or(f"inc_role_{line['role']}", line["role"]),
            t("col_party"): party_label(line["party_id"]), t("inc_col_amount_yuan"): fmt.yuan(line["amount_fen"]),
            t("col_parcel"): line["parcel_code"], t("inc_col_parcel_t"): whole_or_dash(line["parcel_tonnes"]),
            t("inc_share"): percent(line["share_bp"]), t("contract_no"): line["contract_no"]}


def _distributions(actor: Actor, rows: list[dict[str, Any]]) -> None:
    lang = session.lang()
    st.subheader(t("inc_distributions"))
    table([{t("inc_distribution"): d["id"], t("inc_sale"): d["sale_seq"], t("col_date"): fmt.date_text(d["sale_date"], lang),
            t("inc_col_tonnes"): d["quantity_t"], t("inc_col_amount_yuan"): fmt.yuan(d["amount_fen"])} for d in rows])
    if not rows:
        return
    chosen = st.selectbox(t("inc_choose_distribution"), [d["id"] for d in rows], key="distribution_view")
    recorded = attempt(get_service().income.distribution, actor, chosen)
    if recorded is not None:
        with st.expander(t("inc_distribution_lines", distribution=chosen)):
            table([line_row(line) for line in recorded["lines"]])


def _schedule(actor: Actor) -> None:
    service, lang = get_service(), session.lang()
    fixed = [c for c in attempt(service.income.contracts, actor) or [] if c["payment_terms"]["kind"] == "fixed_per_mu_year"]
    done = session.locked("schedule_payments")
    if not fixed:
        st.caption(t("inc_no_fixed_contracts"))
        return
    if done:
        show_recorded("schedule_payments", t("inc_scheduled", n=len(done["obligations"]),
                                             amount=fmt.money(done["amount_fen"], lang)),
                      seq=done["seq"], new_label_key="new_schedule")
    else:
        with st.form("schedule_form"):
            c1, c2 = st.columns(2)
            contract = c1.selectbox(t("inc_choose_contract"), [c["contract_no"] for c in fixed], key="schedule_contract")
            through = c2.date_input(t("inc_schedule_through"), value=date.today(), key="schedule_through")
            ok = st.form_submit_button(t("inc_schedule_button"), type="primary")
        if ok:
            submit_once("schedule_payments", service.income.schedule_payments, actor=actor, contract_no=contract,
                        through=through.isoformat())
    for c in fixed:
        items = attempt(service.income.due_items, actor, contract_no=c["contract_no"]) or []
        st.markdown(f'**{c["contract_no"]}** · {terms_text(c["payment_terms"])}')
        table([item_row(i) for i in items], height=240)


def _statements(actor: Actor) -> None:
    """Statements of the collectives the centre contracts, and of their households."""
    contracts = attempt(get_service().income.contracts, actor) or []
    collectives = sorted({c["collective_party_id"] for c in contracts})
    if not collectives:
        st.caption(t("nothing_yet"))
        return
    parties = list(collectives)
    for code in sorted({p for c in contracts for p in c["parcel_codes"]}):
        parcel = attempt(get_service().parcel, code) or {}
        parties += [h for h in sorted(parcel.get("household_shares_bp", {})) if h not in parties]
    chosen = st.selectbox(t("inc_choose_party"), parties, format_func=party_labeller(), key="centre_statement_party")
    statement_section(actor, chosen, f"centre_statement_{chosen}")
