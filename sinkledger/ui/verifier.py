"""Verifier: estimates waiting, their trace and parcels; approve a quantity (issues) or return."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from ledger.issuance import KG_PER_TONNE
from sinkledger.documents import reports
from sinkledger.services import admin
from sinkledger.services import queries as ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import maps, session
from sinkledger.ui.common import attempt, get_service, require_roles, sink_name, submit
from sinkledger.ui.text import t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

DEFAULT_BUFFER_PERCENT = 10
DEFAULT_PROJECT = "AJBF01"


def verifier_page() -> None:
    actor = require_roles("verifier")
    service = get_service()
    lang = session.lang()
    st.title(t("page_verify"))
    _last_decision(lang)
    waiting = ui_queries.estimates_waiting(service)
    if not waiting:
        st.info(t("queue_empty"))
        return
    st.caption(t("queue_count", n=len(waiting)))
    st.dataframe(pd.DataFrame([_queue_row(e, lang) for e in waiting]), hide_index=True, width="stretch")
    chosen = st.selectbox(t("choose_estimate"), [e["estimate_id"] for e in waiting], key="verify_estimate")
    estimate = next(e for e in waiting if e["estimate_id"] == chosen)
    document = service.estimate(chosen)
    _estimate_detail(service, estimate, document, lang)
    left, right = st.columns(2)
    with left:
        _approve_form(actor, service, estimate, lang)
    with right:
        _return_form(actor, service, estimate)


def _queue_row(e: dict[str, Any], lang: str) -> dict[str, Any]:
    return {t("col_estimate"): e["estimate_id"], t("col_sink_type"): sink_name(e["sink_type"]),
            t("col_parcels"): ", ".join(e["parcel_codes"]),
            t("col_period"): f'{fmt.date_text(e["period_start"], lang)} – {fmt.date_text(e["period_end"], lang)}',
            t("col_net"): fmt.kg_as_tonnes(e["net_kg_co2e"], lang),
            t("col_unverified"): t("yes") if e["uses_unverified"] else t("no")}


def _estimate_detail(service: Service, estimate: dict[str, Any], document: dict[str, Any], lang: str) -> None:
    st.subheader(t("estimate_heading", estimate=estimate["estimate_id"]))
    parcels = [service.parcel(code) for code in estimate["parcel_codes"]]
    features = maps.parcel_features(parcels, lang)
    counties = maps.counties_geojson(str(service.settings.counties_path))
    bounds = maps.features_bounds(features) or service.settings.region.bounds_lonlat
    st.pydeck_chart(maps.deck([maps.county_layer(counties), maps.features_layer("parcels", features)],
                              maps.view_for(bounds, min_zoom=11), "{code}\n{sink}\n{area}"),
                    height=360, key="verify_map")
    with st.expander(t("trace_report"), expanded=False):
        st.markdown(reports.render(document, "md", lang).decode("utf-8"))
    st.download_button(t("download_trace_pdf"), reports.render(document, "pdf", lang),
                       file_name=f"{estimate['estimate_id']}.pdf", mime="application/pdf", key="trace_pdf")


def _project_of(actor: Actor, service: Service, estimate: dict[str, Any]) -> str:
    """The bundled project holding all the estimate's parcels, else the demo's default project."""
    parcels = set(estimate.get("parcel_codes") or [])
    for project in attempt(service.income.projects, actor) or []:
        if parcels and parcels <= set(project["parcel_codes"]):
            return project["project_code"]
    return DEFAULT_PROJECT


def _approve_form(actor: Actor, service: Service, estimate: dict[str, Any], lang: str) -> None:
    with st.form("approve_form"):
        st.markdown(f"**{t('approve')}**")
        # tonnes, as every other credit figure a person enters; the service takes kg (exact: t × 1000)
        limit_t = int(estimate["net_kg_co2e"]) // KG_PER_TONNE
        verified_t = st.number_input(t("verified_t"), min_value=0, max_value=limit_t, value=limit_t, step=1,
                                     key="verified_t")
        project = st.text_input(t("project_code"), value=_project_of(actor, service, estimate), key="verify_project")
        buffer = st.number_input(t("buffer_percent"), min_value=0, max_value=100, value=DEFAULT_BUFFER_PERCENT,
                                 key="verify_buffer")
        st.caption(t("approve_caption", estimate=fmt.kg_as_tonnes(estimate["net_kg_co2e"], lang)))
        ok = st.form_submit_button(t("approve_and_issue"), type="primary")
    if ok:
        out = submit(f"issue_{estimate['estimate_id']}", service.issue, actor=actor,
                     estimate_id=estimate["estimate_id"], verified_kg_co2e=int(verified_t) * KG_PER_TONNE,
                     project_code=project.strip().upper(), buffer_share_bp=int(buffer) * 100)
        if out is not None:
            session.done("decision", ("issued", out))
            st.rerun()


def _return_form(actor: Actor, service: Service, estimate: dict[str, Any]) -> None:
    with st.form("return_form"):
        st.markdown(f"**{t('return_estimate')}**")
        comments = st.text_area(t("return_comments"), key="return_comments")
        ok = st.form_submit_button(t("return_estimate"))
    if ok:
        out = submit(f"return_{estimate['estimate_id']}", lambda **kw: admin.return_estimate(service, **kw),
                     actor=actor, estimate_id=estimate["estimate_id"], comments=comments)
        if out is not None:
            session.done("decision", ("returned", out))
            st.rerun()


def _last_decision(lang: str) -> None:
    decision = session.last_result("decision")
    if not decision:
        return
    kind, out = decision
    if kind == "issued":
        st.success(t("issued_message", estimate=out["estimate_id"], issued=fmt.tonnes(out["issued_t"], lang),
                     buffer=fmt.tonnes(out["buffer_t"], lang), account=out["to_account"]))
    else:
        st.success(t("returned_message", estimate=out["estimate_id"]))
