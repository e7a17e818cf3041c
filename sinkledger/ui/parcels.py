"""Parcels: the holder's map coloured by sink type, and one parcel's page (attributes, history,
estimates with their trace report, credits issued, income: the holder's sales, the parcel's
contributions to batches and the proceeds distributed for it)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from sinkledger.documents import reports
from sinkledger.services import queries as ui_queries
from sinkledger.services import tiles
from sinkledger.ui import format as fmt
from sinkledger.ui import figures, maps, session
from sinkledger.ui.common import attempt, get_service, require_roles, sink_name
from sinkledger.ui.income_common import item_row, kg_text, table
from sinkledger.ui.public import parcel_map, parcel_totals, parcels_version
from sinkledger.ui.text import t, t_or

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

PARCEL_ROLES = ("cooperative", "collection_centre", "admin")


def own_party(actor: Actor) -> str | None:
    """A cooperative sees its own parcels; the centre and the administrator see all."""
    return actor.party_id if actor.role.value == "cooperative" else None


LIST_ROWS = 200  # the table lists at most this many parcels (search by code for the others)


def parcels_page() -> None:
    actor = require_roles(*PARCEL_ROLES)
    service = get_service()
    lang = session.lang()
    st.title(t("page_parcels"))
    holder = own_party(actor)
    clicked = parcel_map(key="parcels_map", holder_party_id=holder)
    total = sum(n for n, _ in parcel_totals(parcels_version(), holder).values())
    if not total:
        st.info(t("no_parcels"))
        return
    search = st.text_input(t("parcel_search"), key="parcel_search", placeholder="AJ-BF-")
    listed = tiles.parcel_list(service, holder=holder, search=search, limit=LIST_ROWS)
    st.dataframe(pd.DataFrame([{t("col_parcel"): p["parcel_code"], t("col_sink_type"): sink_name(p["sink_type"], lang),
                                t("col_holder"): p["holder_name"] or p["holder_party_id"],
                                t("col_area"): fmt.area(p["area_ha"], p["area_mu"], lang)} for p in listed]),
                 hide_index=True, width="stretch", height=240)
    if len(listed) == LIST_ROWS:
        st.caption(t("parcel_list_more", shown=LIST_ROWS, n=total))
    _export(service, holder)
    codes = [p["parcel_code"] for p in listed]
    if clicked and clicked != st.session_state.get(CLICKED):  # a new click on the map chooses the parcel
        st.session_state[CLICKED] = clicked
        st.session_state["parcel_code"] = clicked
    chosen = st.session_state.get("parcel_code")
    if chosen and chosen not in codes:  # chosen on the map or before a search: keep it choosable
        codes.insert(0, chosen)
    if not codes:
        st.caption(t("nothing_yet"))
        return
    chosen = st.selectbox(t("choose_parcel"), codes, key="parcel_code")
    parcel_detail(service, chosen, lang)


CLICKED = "parcels_map_clicked"


def parcel_detail(service: Service, code: str, lang: str) -> None:
    parcel = attempt(service.parcel, code)
    if parcel is None:
        return
    st.header(t("parcel_heading", code=code))
    # only the open tab is drawn (a tab chosen reruns the page): the five tabs drawn at once were
    # four hidden tables, a report and the proceeds read and sent on every run
    tabs = st.tabs([t(name) for name in PARCEL_TABS], key=f"{PARCEL_TABS_KEY}_{lang}", on_change="rerun")
    opened = next((name for name, tab in zip(PARCEL_TABS, tabs) if tab.open), PARCEL_TABS[0])
    with tabs[PARCEL_TABS.index(opened)]:
        if opened == "tab_attributes":
            _attributes(service, parcel, lang)
        elif opened == "tab_history":
            _history(service, code, lang)
        elif opened == "tab_estimates":
            _estimates(service, code, lang, ui_queries.estimates(parcel_code=code, service=service))
        else:  # the batches: from the estimates that cover the parcel (a scan of their parcel lists)
            batches = ui_queries.parcel_batches(service, code)
            if opened == "tab_credits":
                _credits(batches)
            else:
                _income(service, parcel, lang)
                _contributions_and_distributions(service, parcel["parcel_code"], batches)


PARCEL_TABS = ("tab_attributes", "tab_history", "tab_estimates", "tab_credits", "tab_income")
PARCEL_TABS_KEY = "parcel_tabs"  # with the language: the tabs' labels are the widget's options


def _attributes(service: Service, parcel: dict[str, Any], lang: str) -> None:
    left, right = st.columns([2, 3])
    rows = [(t("col_sink_type"), sink_name(parcel["sink_type"])), (t("col_holder"), parcel["holder_name"] or ""),
            (t("col_area"), fmt.area(parcel["area_ha"], parcel["area_mu"], lang)),
            (t("county_code"), parcel["county_code"] or ""), (t("tenure_cert_no"), parcel["tenure_cert_no"] or ""),
            (t("col_status"), t_or(f"parcel_status_{parcel['status']}", parcel["status"]))]
    rows += [(t_or(f"attr_{k}", k), attribute_text(k, v)) for k, v in sorted(parcel["attributes"].items())]
    left.dataframe(pd.DataFrame(rows, columns=[t("col_field"), t("col_value")]), hide_index=True, width="stretch")
    with right:
        features = maps.parcel_features([parcel], lang)
        counties = maps.counties_geojson(str(service.settings.counties_path))
        bounds = maps.features_bounds(features)
        st.pydeck_chart(maps.deck([maps.county_layer(counties), maps.features_layer("parcels", features)],
                                  maps.view_for(bounds, min_zoom=13), "{code}\n{sink}\n{area}"),
                        height=320, key=f"parcel_map_{parcel['parcel_code']}")


EXPORT_FORMATS = {"gpkg": "GeoPackage (.gpkg)", "shp": "Shapefile (.zip)", "kml": "KML (.kml)"}
EXPORT_SUFFIX = {"gpkg": "gpkg", "shp": "zip", "kml": "kml"}
EXPORT_MIME = {"gpkg": "application/geopackage+sqlite3", "shp": "application/zip",
               "kml": "application/vnd.google-earth.kml+xml"}


def _export(service: Service, holder: str | None) -> None:
    """The parcels (the holder's own, or all for the centre and the administrator) as a file for
    desktop GIS: GeoPackage, Shapefile in a chosen encoding, or KML."""
    # deferred on purpose: the export's writer loads with the geometry stack, only on this tab
    from sinks.export import SHAPEFILE_ENCODINGS

    with st.expander(t("export_header")):
        c1, c2 = st.columns(2)
        chosen = c1.radio(t("export_format"), list(EXPORT_FORMATS), format_func=EXPORT_FORMATS.get,
                          key="export_format", horizontal=True)
        encoding = c2.selectbox(t("export_encoding"), SHAPEFILE_ENCODINGS, key="export_encoding",
                                disabled=chosen != "shp")
        if st.button(t("export_prepare"), key="export_prepare"):
            name = f"parcels-{holder or 'all'}.{EXPORT_SUFFIX[chosen]}"
            folder = Path(tempfile.mkdtemp(prefix="sinkledger-export-"))
            out = attempt(service.export_parcels, str(folder / name), file_format=chosen, holder=holder,
                          encoding=encoding)
            if out is not None:
                st.session_state[session.EXPORT_FILE] = {"name": name, "format": chosen, "n": out["parcels"],
                                                        "data": (folder / name).read_bytes()}
                shutil.rmtree(folder, ignore_errors=True)
        ready = st.session_state.get(session.EXPORT_FILE)
        if ready:
            st.caption(t("export_done", n=ready["n"]))
            st.download_button(t("export_download", name=ready["name"]), ready["data"], file_name=ready["name"],
                               mime=EXPORT_MIME[ready["format"]], key="export_download")


def attribute_text(name: str, value: Any) -> str:
    """An attribute's value as a person reads it, in the UI's language: a choice by its label,
    shares as percentages per class, yes/no for flags (never a raw key or a Python dict)."""
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, dict):
        return ", ".join(f'{t("age_class", cls=k)} {fmt_share(v)}' for k, v in value.items())
    return t_or(f"attrval_{name}_{value}", "" if value is None else str(value))


def fmt_share(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return str(value)


def _history(service: Service, code: str, lang: str) -> None:
    versions = attempt(service.parcel_history, code) or []
    rows = [{t("col_version"): v.get("version"), t("col_change"): t_or(f"change_{v.get('change')}", str(v.get("change"))),
             t("col_area"): fmt.hectares(float(v["area_m2"]) / 10_000, lang) if v.get("area_m2") else "—",
             t("col_holder"): v.get("holder_party_id"), t("col_entry"): v.get("seq"),
             t("col_hash"): str(v.get("version_hash") or "")[:16]} for v in versions]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.caption(t("nothing_yet"))


def _estimates(service: Service, code: str, lang: str, found: list[dict[str, Any]]) -> None:
    if not found:
        st.caption(t("nothing_yet"))
        return
    st.dataframe(pd.DataFrame([{t("col_estimate"): e["estimate_id"], t("col_methodology"): e["methodology_id"],
                                t("col_period"): f'{e["period_start"]} – {e["period_end"]}',
                                t("col_net"): fmt.kg_as_tonnes(e["net_kg_co2e"], lang),
                                t("col_state"): t(f"estimate_state_{e['state']}")} for e in found]),
                 hide_index=True, width="stretch")
    for e in found:
        for r in e["returns"]:
            st.warning(t("returned_with_comments", estimate=e["estimate_id"], comments=r["comments"]))
    chosen = st.selectbox(t("choose_estimate"), [e["estimate_id"] for e in found], key=f"est_{code}")
    document = service.estimate(chosen)
    with st.expander(t("trace_report")):
        st.markdown(reports.render(document, "md", lang).decode("utf-8"))
    # rendered when pressed (0.1-0.3 s a report, on every run of the page before)
    st.download_button(t("download_trace_pdf"), lambda: reports.render(document, "pdf", lang),
                       file_name=f"{chosen}.pdf", mime="application/pdf", key=f"trace_{chosen}")


def _credits(batches: list[dict[str, Any]]) -> None:
    if not batches:
        st.caption(t("nothing_yet"))
        return
    st.dataframe(pd.DataFrame([{t("col_batch"): b["batch_id"], t("col_vintage"): str(b["vintage_year"]),
                                t("col_quantity_t"): b["quantity"], t("col_buffer_t"): b["buffer_quantity"],
                                t("col_serials"): b["serials"]} for b in batches]), hide_index=True, width="stretch")


def _income(service: Service, parcel: dict[str, Any], lang: str) -> None:
    """Sale proceeds of the holder's account (credits are fungible once issued: the income is the
    holder's, shown here with the share of its credits that came from this parcel)."""
    statement = attempt(ui_queries.party_statement, service, parcel["holder_party_id"])
    if statement is None:
        return
    figures.headline([(t("income"), fmt.money(statement["income_fen"], lang))])
    st.caption(t("income_caption", holder=parcel["holder_name"] or parcel["holder_party_id"]))
    if statement["sold"]:
        st.dataframe(pd.DataFrame([{t("col_date"): fmt.date_text(s["recorded_at"], lang), t("buyer"): s["buyer_name"],
                                    t("col_quantity_t"): s["quantity"], t("sale_amount"): fmt.money(s["amount_fen"], lang)}
                                   for s in statement["sold"]]), hide_index=True, width="stretch")
        if statement["sold_count"] > len(statement["sold"]):
            st.caption(t("account_newest_shown", n=len(statement["sold"]), total=f"{statement['sold_count']:,}"))


def _contributions_and_distributions(service: Service, code: str, batches: list[dict[str, Any]]) -> None:
    """The parcel's part of each batch issued for it (t, kg) and the proceeds distributed for it
    (due items of the villages' part, with what was paid), from ``service.income``."""
    actor = session.actor()
    lang = session.lang()
    st.subheader(t("inc_parcel_contributions"))
    rows = []
    for batch in batches:
        trace = attempt(service.income.trace_batch, actor, batch["batch_id"], code)  # only this parcel's part
        part = next((p for p in (trace or {}).get("parcels", []) if p["parcel_code"] == code), None)
        if part is not None:
            rows.append({t("col_batch"): batch["batch_id"], t("col_vintage"): str(batch["vintage_year"]),
                         t("col_quantity_t"): batch["quantity"], t("inc_col_parcel_t"): part["quantity_t"],
                         t("inc_col_kg"): kg_text(part["kg_co2e"]), t("contract_no"): part["contract_no"] or "—"})
    table(rows)
    st.subheader(t("inc_parcel_distributed"))
    items = attempt(service.income.due_items, actor, parcel_code=code) or []
    if items:
        figures.headline([(t("inc_distributed_total"), fmt.money(sum(i["amount_fen"] for i in items), lang)),
                          (t("inc_paid"), fmt.money(sum(i["paid_fen"] for i in items), lang))])
    table([item_row(i) for i in items])
