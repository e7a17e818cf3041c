"""Batch estimates (批量测算): one methodology and monitoring period over many parcels of a
project, one recorded estimate per parcel (``Service.batch_estimate``), with a progress bar, the
result and refusals per parcel, and each estimate's trace report.

The collection centre estimates any parcel; a cooperative only its own (the page offers only
those; the service records an estimate for whoever the role table allows).
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from methodologies.registry import list_methodologies
from sinkledger import catalogue
from sinkledger.documents import reports
from sinkledger.ui import format as fmt
from sinkledger.ui import session, widgets
from sinkledger.services import tiles
from sinkledger.ui.common import attempt, get_service, new_form_button, require_roles, sink_name, submit_once
from sinkledger.ui.pickers import parcel_picker
from sinkledger.ui.text import labeller, t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

BATCH_ROLES = ("collection_centre", "cooperative")
SOURCES = ("demo", "upload", "rasters")
DEMO_RASTERS = ("2022-11-15", "2024-11-15")
# Shared inputs the raster path needs per sink type (a starting point the user may edit).
RASTER_BASE = {"bamboo_forest": {"biomass_method": "carbon_density"}, "tea_garden": {"soil_method": "excluded"}}


def batch_page() -> None:
    actor = require_roles(*BATCH_ROLES)
    service = get_service()
    st.title(t("page_batch"))
    st.caption(t("batch_intro"))
    result = session.locked("batch")
    if result:  # this batch ran: its result, the form locked until a new batch is started
        new_form_button("batch", "new_batch", "batch_parcels")
        show_result(service, result)
        return
    request = _form(actor, service)
    if request is not None:
        _run(actor, service, request)


def _methodologies() -> dict[str, Any]:
    return {m.id: m for m in list_methodologies()}  # the newest version of each id wins


def _form(actor: Actor, service: Service) -> dict[str, Any] | None:
    methods = _methodologies()
    lang = session.lang()
    c1, c2 = st.columns(2)
    method_id = c1.selectbox(t("batch_methodology"), list(methods), key="batch_methodology",
                             format_func=lambda m: methods[m].title_zh if lang == "zh" else methods[m].title_en)
    sink = methods[method_id].sink_type
    project = c2.text_input(t("batch_project"), value="AJBF01", key="batch_project")
    holder = actor.party_id if actor.role.value == "cooperative" else None  # a cooperative: its own only
    if not tiles.parcel_count(service, holder=holder, sink_type=sink):
        st.info(t("batch_no_parcels", sink=sink_name(sink)))
        return None
    picked = parcel_picker(t("batch_parcels"), "batch_parcels", holder=holder, sink_type=sink)
    if not picked.chosen:
        st.caption(t("batch_every_matching", n=picked.matching, sink=sink_name(sink)))
    source = st.radio(t("batch_source"), SOURCES, format_func=labeller("batch_source_"), key="batch_source",
                      horizontal=True)
    upload = widgets.file_uploader(t("batch_monitoring_file"), type=["json"], key="batch_file") if source == "upload" else None
    from_data = st.checkbox(t("batch_period_from_data"), value=True, key="batch_from_data")
    c3, c4 = st.columns(2)
    start = c3.date_input(t("batch_period_start"), value=datetime.date(2022, 11, 15), key="batch_start",
                          disabled=from_data)
    end = c4.date_input(t("batch_period_end"), value=datetime.date(2024, 11, 15), key="batch_end", disabled=from_data)
    base_default = RASTER_BASE.get(sink, {}) if source == "rasters" else {}
    base_text = st.text_area(t("batch_base_inputs"), value=json.dumps(base_default), key=f"batch_base_{source}_{sink}",
                             height=68)
    if not st.button(t("batch_run"), type="primary", key="batch_run"):
        return None
    if not from_data and end <= start:
        st.error(t("batch_period_invalid"))
        return None
    monitoring = _monitoring(service, source, upload)
    base = _json(base_text)
    if monitoring is None or base is None:
        st.error(t("batch_monitoring_unreadable"))
        return None
    return {"methodology_id": method_id, "project_code": project.strip().upper(), "parcel_codes": picked.chosen or picked.every_matching_code(),
            "period": None if from_data else (start.isoformat(), end.isoformat()), "monitoring": monitoring,
            "base_inputs": base, "rasters": _rasters(service) if source == "rasters" else []}


def _json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text or "{}", parse_float=str)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _monitoring(service: Service, source: str, upload: Any) -> dict[str, Any] | None:
    """Per-parcel fields ``{code: {...}}`` from the demo file or the upload (none for rasters)."""
    if source == "rasters":
        return {}
    if source == "demo":
        raw = (service.settings.gis_data_dir / "demo_monitoring.json").read_text(encoding="utf-8")
    elif upload is None:
        return None
    else:
        raw = upload.getvalue().decode("utf-8", errors="replace")
    document = _json(raw)
    if document is None:
        return None
    parcels = document.get("parcels", document)
    return {str(k): dict(v) for k, v in parcels.items() if isinstance(v, dict)} if isinstance(parcels, dict) else None


def _rasters(service: Service) -> list[str]:
    folder = service.settings.gis_data_dir
    return [f"{day}={folder / f'demo_carbon_{day}.tif'}" for day in DEMO_RASTERS]


def _run(actor: Actor, service: Service, request: dict[str, Any]) -> None:
    """Run the batch with a progress bar; a refusal shows its message, never a traceback. A press
    that arrives while it runs is the same batch (the form's request id): each parcel once."""
    bar = st.progress(0.0, text=t("batch_preparing"))

    def progress(done: int, total: int, label: str) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=t("batch_progress", done=done, total=total, parcel=label))

    try:
        submit_once("batch", service.batch_estimate, actor=actor, progress=progress, **request)
    finally:
        bar.empty()


def show_result(service: Service, result: dict[str, Any]) -> None:
    lang = session.lang()
    st.subheader(t("batch_last", project=result["project_code"]))
    st.success(t("batch_done", estimated=len(result["recorded"]), parcels=result["parcels"],
                 refused=result["refused"], net=fmt.kg_as_tonnes(sum(r["net_kg_co2e"] for r in result["recorded"]), lang)))
    if result["recorded"]:
        st.markdown(f'**{t("batch_recorded_header")}**')
        st.dataframe(pd.DataFrame([{t("col_parcel"): r["parcel_code"], t("col_estimate"): r["estimate_id"],
                                    t("col_net"): fmt.kg_as_tonnes(r["net_kg_co2e"], lang),
                                    t("col_unverified"): t("yes") if r["uses_unverified"] else t("no"),
                                    t("batch_col_warnings"): ", ".join(r["warnings"])} for r in result["recorded"]]),
                     hide_index=True, width="stretch")
    if result["refusals"]:
        st.markdown(f'**{t("batch_refused_header")}**')
        key = "message_zh" if lang == "zh" else "message_en"
        st.dataframe(pd.DataFrame([{t("col_parcel"): code, t("col_field"): p.get("field") or "",
                                    t("col_problem"): p.get(key) or p.get("code", "")}
                                   for code, problems in catalogue.localise(result["refusals"]).items()
                                   for p in problems]),
                     hide_index=True, width="stretch")
    st.download_button(t("batch_download_json"), json.dumps(result, ensure_ascii=False, indent=2).encode("utf-8"),
                       file_name=f'batch-{result["project_code"]}-{uuid.uuid4().hex[:6]}.json',
                       mime="application/json", key="batch_json")
    _trace(service, result, lang)


def _trace(service: Service, result: dict[str, Any], lang: str) -> None:
    """One estimate's trace report: on the page (Markdown) and as a PDF."""
    ids = {r["estimate_id"]: r["parcel_code"] for r in result["recorded"]}
    if not ids:
        return
    chosen = st.selectbox(t("batch_trace_for"), list(ids), format_func=lambda e: f"{e} ({ids[e]})", key="batch_trace")
    document = attempt(service.estimate, chosen)
    if document is None:
        return
    with st.expander(t("trace_report"), expanded=False):
        st.markdown(reports.render(document, "md", lang).decode("utf-8"))
    pdf = attempt(service.estimate_report, chosen, "pdf", lang)
    if pdf is not None:
        st.download_button(t("download_trace_pdf"), pdf, file_name=f"{chosen}.pdf", mime="application/pdf",
                           key="batch_trace_pdf")
