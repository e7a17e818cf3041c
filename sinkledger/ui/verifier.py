"""Verifier: estimates waiting, their trace and parcels; approve a quantity (issues) or return."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from ledger.issuance import KG_PER_TONNE
from methodologies.registry import get_methodology
from sinkledger.documents import reports
from sinkledger.services import admin
from sinkledger.services import queries as ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import figures, maps, session, widgets
from sinkledger.ui.common import attempt, get_service, require_roles, show_recorded, sink_name, submit_once
from sinkledger.ui.text import t
from sinkledger_base.errors import SinkLedgerError

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

PLOT_METHODOLOGY = "sinkledger.bamboo-moso-management"
DEFAULT_BUFFER_PERCENT = 10
PROJECT_LOOKUP_PARCELS = 20  # parcels whose earlier issuances suggest the project code
VERIFY_MAP_HEIGHT_PX = 360


def verifier_page() -> None:
    actor = require_roles("verifier")
    service = get_service()
    lang = session.lang()
    st.title(t("page_verify"))
    _plot_check(service, lang)
    decided = session.locked("verify")
    if decided:  # one decision per form instance: shown, locked, until the next estimate is opened
        _decision(decided, lang)
        return
    waiting = ui_queries.estimates_waiting(service)
    if not waiting:
        st.info(t("queue_empty"))
        return
    st.caption(t("queue_count", n=len(waiting)))
    figures.list_table([_queue_row(e, lang) for e in waiting])  # to read: no grid (figures.list_table)
    chosen = st.selectbox(t("choose_estimate"), [e["estimate_id"] for e in waiting], key="verify_estimate")
    estimate = next(e for e in waiting if e["estimate_id"] == chosen)
    document = service.estimate(chosen)
    _estimate_detail(service, estimate, document, lang)
    project = _project_of(actor, service, estimate)
    # the matches of the code as last submitted (a form sends its fields on submit only)
    matches = _matches(actor, service, estimate, st.session_state.get("verify_project") or project)
    _double_counting(service, matches)
    left, right = st.columns(2)
    with left:
        _approve_form(actor, service, estimate, lang, project, matches)
    with right:
        _return_form(actor, service, estimate)


def _plot_check(service: Service, lang: str) -> None:
    """A plot inventory (每木检尺, Excel or CSV) estimated on the spot, nothing recorded: its
    sampling statistics (mean, SE, 90 % CI, precision, extra plots) and the report (issue 21)."""
    with st.expander(t("plot_check"), expanded=False):
        st.caption(t("plot_check_intro"))
        methodology = get_methodology(PLOT_METHODOLOGY)
        upload = widgets.file_uploader(t("plot_check_file"), type=["xlsx", "csv"], key="plot_file")
        base_text = st.text_area(t("plot_check_inputs"), key="plot_inputs", height=120,
                                 value=json.dumps(_plot_base(methodology), ensure_ascii=False))
        if upload is None or not st.button(t("plot_check_run"), key="plot_run"):
            return
        try:
            base = json.loads(base_text or "{}", parse_float=str)
        except ValueError:
            base = None
        if not isinstance(base, dict):
            st.error(t("plot_check_inputs_unreadable"))
            return
        read = attempt(service.read_plot_file, data=upload.getvalue(), file_name=upload.name,
                       inputs=base)
        if read is None:
            return
        document = attempt(service.estimate_dry, methodology.id, read["inputs"])
        if document is None:
            return
        for item in read["conversions"]:
            st.caption(t("plot_check_conversion", column=item["column"],
                         conversion=item["conversion"]))
        [section] = [s for s in reports.build_sections(document, lang)
                     if s["title"] == reports.label("sampling", lang)]
        st.caption(section["note"])
        st.table(pd.DataFrame(section["rows"], columns=section["header"]).set_index(
            section["header"][0]))
        figures.headline([(t("plot_check_net"), fmt.kg_as_tonnes(document["net_kg_co2e"], lang))])
        with st.expander(t("trace_report"), expanded=False):
            st.markdown(reports.render(document, "md", lang).decode("utf-8"))
        st.download_button(t("download_trace_pdf"), lambda: reports.render(document, "pdf", lang),  # when pressed
                           file_name="plot-estimate.pdf", mime="application/pdf", key="plot_pdf")


def _plot_base(methodology: Any) -> dict[str, Any]:
    """The example inputs without events, for DBH and age class plots (allometry)."""
    base = {k: v for k, v in methodology.example_inputs().items()
            if k not in ("events", "culm_biomass_basis", "uncertainty")}
    return {**base, "biomass_method": "allometry_dbh_age"}


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
    # every parcel of the estimate on the map, with room around them (deck.gl's fitBounds)
    st.pydeck_chart(maps.deck([maps.county_layer(counties), maps.features_layer("parcels", features)],
                              maps.fit_view(bounds, height_px=VERIFY_MAP_HEIGHT_PX), "{code}\n{sink}\n{area}"),
                    height=VERIFY_MAP_HEIGHT_PX, key="verify_map")
    with st.expander(t("trace_report"), expanded=False):
        st.markdown(reports.render(document, "md", lang).decode("utf-8"))
    st.download_button(t("download_trace_pdf"), lambda: reports.render(document, "pdf", lang),  # when pressed
                       file_name=f"{estimate['estimate_id']}.pdf", mime="application/pdf", key="trace_pdf")


def _project_of(actor: Actor, service: Service, estimate: dict[str, Any]) -> str:
    """The project to propose: the bundled project holding all the estimate's parcels, else the
    project under which credits were last issued from one of them, else none (the verifier
    types it: a code proposed from nothing would issue a county's credits under another's)."""
    parcels = set(estimate.get("parcel_codes") or [])
    for project in attempt(service.income.projects, actor) or []:
        if parcels and parcels <= set(project["parcel_codes"]):
            return project["project_code"]
    latest: tuple[int, str] | None = None
    for code in sorted(parcels)[:PROJECT_LOOKUP_PARCELS]:
        try:
            batches = service.public.parcel(code)["batches"]
        except SinkLedgerError:  # a parcel the public does not see: it suggests nothing
            continue
        for batch in batches:
            if latest is None or batch["issuance_seq"] > latest[0]:
                latest = (batch["issuance_seq"], batch["project_code"])
    return latest[1] if latest else ""


def _approve_form(actor: Actor, service: Service, estimate: dict[str, Any], lang: str, default_project: str,
                  matches: list[dict[str, Any]]) -> None:
    with st.form("approve_form"):
        st.markdown(f"**{t('approve')}**")
        # tonnes, as every other credit figure a person enters; the service takes kg (exact: t × 1000)
        limit_t = int(estimate["net_kg_co2e"]) // KG_PER_TONNE
        verified_t = st.number_input(t("verified_t"), min_value=0, max_value=limit_t, value=limit_t, step=1,
                                     key="verified_t")
        project = st.text_input(t("project_code"), value=default_project, key="verify_project",
                                placeholder="AJBF01")
        buffer = st.number_input(t("buffer_percent"), min_value=0, max_value=100, value=DEFAULT_BUFFER_PERCENT,
                                 key="verify_buffer")
        # one box per match with another registry's project: the verifier's acknowledgement
        ticked = [m["match_id"] for m in matches
                  if st.checkbox(t("dc_acknowledge", match=m["match_id"], name=m["name"] or m["project_id"]),
                                 key=f"ack_{estimate['estimate_id']}_{m['match_id']}")]
        st.caption(t("approve_caption", estimate=fmt.kg_as_tonnes(estimate["net_kg_co2e"], lang)))
        ok = st.form_submit_button(t("approve_and_issue"), type="primary")
    if ok:
        # None when nothing matched, so the request keeps the fingerprint it always had; else the
        # ticked ids, and the service refuses while a match is left unticked (or was not shown)
        submit_once("verify", service.issue, actor=actor, estimate_id=estimate["estimate_id"],
                    verified_kg_co2e=int(verified_t) * KG_PER_TONNE, project_code=project.strip().upper(),
                    buffer_share_bp=int(buffer) * 100, acknowledged_matches=ticked if matches else None)


def _matches(actor: Actor, service: Service, estimate: dict[str, Any], project_code: str) -> list[dict[str, Any]]:
    """The imported projects this issuance would match; none for a code the service would refuse
    anyway (the issuance's own refusal names it)."""
    try:
        return service.double_counting_matches(actor, estimate_id=estimate["estimate_id"],
                                               project_code=str(project_code).strip().upper())
    except SinkLedgerError:
        return []


def _double_counting(service: Service, matches: list[dict[str, Any]]) -> None:
    """The imported projects of other registries this issuance matches: which, where, how."""
    if not matches:
        st.caption(t("dc_none"))
        return
    names = {m["registry"]: m["name"] for m in service.registry_mappings()}
    st.markdown(f"**{t('dc_header')}**")
    st.warning(t("dc_warning", n=len(matches)))
    st.dataframe(pd.DataFrame([{t("dc_col_registry"): names.get(m["registry"], m["registry"]),
                                t("dc_col_project"): m["project_id"], t("dc_col_name"): m["name"],
                                t("dc_col_by"): t(f"dc_by_{m['by']}"), t("dc_col_detail"): m["detail"]}
                               for m in matches]), hide_index=True, width="stretch")


def _return_form(actor: Actor, service: Service, estimate: dict[str, Any]) -> None:
    with st.form("return_form"):
        st.markdown(f"**{t('return_estimate')}**")
        comments = st.text_area(t("return_comments"), key="return_comments")
        ok = st.form_submit_button(t("return_estimate"))
    if ok:
        submit_once("verify", lambda **kw: admin.return_estimate(service, **kw), actor=actor,
                    estimate_id=estimate["estimate_id"], comments=comments)


def _decision(out: dict[str, Any], lang: str) -> None:
    """What the decision recorded: an issuance (the credits and where they went) or a return."""
    if "issued_t" in out:
        message = t("issued_message", estimate=out["estimate_id"], issued=fmt.tonnes(out["issued_t"], lang),
                    buffer=fmt.tonnes(out["buffer_t"], lang), account=out["to_account"])
    else:
        message = t("returned_message", estimate=out["estimate_id"])
    acknowledged = out.get("double_counting_acknowledged") or []  # the match ids
    detail = t("dc_acknowledged", ids=", ".join(acknowledged)) if acknowledged else None
    show_recorded("verify", message, seq=out["seq"], detail=detail, new_label_key="next_estimate",
                  fields=("return_comments",))
