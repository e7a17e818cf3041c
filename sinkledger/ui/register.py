"""Register parcels: draw one on the map, or upload a file; preview problems and overlaps on the
map before confirming. Every check is the service's (``preview_parcels`` / ``register_parcel``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from sinkledger import catalogue
from sinkledger.services import queries as ui_queries
from sinkledger.services import tiles
from sinkledger.ui import maps, session, widgets
from sinkledger.ui.common import (
    attempt,
    county_names,
    get_service,
    require_roles,
    show_recorded,
    sink_name,
    submit_once,
)
from sinkledger.ui.public import basemap_choice, parcels_version, tianditu_key
from sinkledger.ui.text import sink_labeller, t, t_or
from sinkledger_base.errors import SinkLedgerError
from sinks import SINK_TYPES
from sinks.geometry import county_at

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

REGISTER_ROLES = ("cooperative", "collection_centre", "admin")
UPLOAD_TYPES = ["geojson", "json", "gpkg", "zip", "kml", "kmz"]


def register_page() -> None:
    actor = require_roles(*REGISTER_ROLES)
    st.title(t("page_register"))
    draw_tab, upload_tab = st.tabs([t("tab_draw"), t("tab_upload")])
    with draw_tab:
        _draw(actor)
    with upload_tab:
        _upload(actor)


def _holders(actor: Actor) -> dict[str, str]:
    """Whom the actor may register for: a cooperative itself; the centre and administrator any holder."""
    service = get_service()
    holders = ui_queries.holding_accounts(service, kinds=("collective", "collection_centre", "enterprise"))
    if actor.role.value == "cooperative":
        holders = [h for h in holders if h["party_id"] == actor.party_id]
    return {h["party_id"]: f'{h["name"]} ({h["party_id"]})' for h in holders}


# -- drawing ----------------------------------------------------------------------------------

NEARBY_MARGIN_DEG = 0.02  # the drawing map shows the parcels within ~2 km of the holder's
NEARBY_LIMIT = 400  # at most this many parcels as context on the drawing map


def drawn_geometry(nearby: list[dict[str, Any]], centre: tuple[float, float]) -> dict[str, Any] | None:
    """The polygon drawn on the map; tests (AppTest cannot drive the map) put one in the session."""
    injected = st.session_state.get(session.DRAWN)
    service = get_service()
    counties = maps.counties_geojson(str(service.settings.counties_path))
    if injected is not None:
        return injected
    return maps.draw_map(maps.parcel_features(nearby, session.lang()), counties, centre,
                         basemap=basemap_choice(), tianditu_key=tianditu_key(), key="draw_map", text=t)


def _draw(actor: Actor) -> None:
    """The drawing map around the holder's parcels (or the region): at most :data:`NEARBY_LIMIT`
    parcels near them, read through the spatial index, never the whole registry."""
    service = get_service()
    done = session.locked("draw")
    if done:  # registered: shown with its entry and its public page, until another parcel is drawn
        show_recorded("draw", t("parcel_registered", code=done["parcel_code"]), seq=done["seq"],
                      detail=_parcel_link(done["parcel_code"]), new_label_key="new_parcel", fields=DRAW_FIELDS)
        return
    st.caption(t("draw_help"))
    holder = actor.party_id if actor.role.value == "cooperative" else None
    region = service.settings.region.bounds_lonlat
    own = tiles.parcels_bounds(service, holder=holder) if holder else None
    centre = (((own[0] + own[2]) / 2, (own[1] + own[3]) / 2) if own
              else ((region[0] + region[2]) / 2, (region[1] + region[3]) / 2))
    m = NEARBY_MARGIN_DEG
    nearby = tiles.parcels_in_bounds(service, (centre[0] - m, centre[1] - m, centre[0] + m, centre[1] + m),
                                     limit=NEARBY_LIMIT)
    geometry = drawn_geometry(nearby, centre)
    if geometry is None:
        st.info(t("draw_first"))
        return
    check = attempt(service.repair_geometry, geometry)
    if check is None:
        return
    repair = False
    if not check["valid"]:
        st.warning(t("geometry_needs_repair", reason=check["reason"], location=check["location"]))
        repair = st.checkbox(t("accept_repair"), key="accept_repair")
    _parcel_form(actor, service, geometry, repair)


DRAW_FIELDS = ("draw_code", "draw_cert", "draw_declared", "accept_repair")


def _parcel_link(code: str) -> str:
    return f"[{t('parcel_public_link', code=code)}](registry?parcel={code})"


def _parcel_form(actor: Actor, service: Service, geometry: dict[str, Any], repair: bool) -> None:
    holders, counties = _holders(actor), county_names(service)
    with st.form("draw_form"):
        c1, c2 = st.columns(2)
        code = c1.text_input(t("col_parcel"), key="draw_code", placeholder="AJ-BF-0201")
        sink = c2.selectbox(t("col_sink_type"), [s.value for s in SINK_TYPES], format_func=sink_labeller(), key="draw_sink")
        holder = c1.selectbox(t("col_holder"), list(holders), format_func=holders.get, key="draw_holder")
        county = _county_field(c2, service, geometry, counties)
        cert = c1.text_input(t("tenure_cert_no"), key="draw_cert")
        declared = c2.text_input(t("declared_area_mu"), key="draw_declared")
        gcj = st.checkbox(t("from_gcj02"), key="draw_gcj02")
        ok = st.form_submit_button(t("register_parcel"), type="primary")
    if ok:
        submit_once("draw", service.register_parcel, actor=actor, parcel_code=code.strip(), sink_type=sink,
                    holder_party_id=holder, geometry=geometry, county_code=county, tenure_cert_no=cert.strip() or None,
                    declared_area_mu=declared.strip() or None, from_gcj02=gcj, repair=repair,
                    on_success=lambda _: st.session_state.pop(session.DRAWN, None))


def _county_field(col: Any, service: Service, geometry: dict[str, Any], counties: dict[str, str]) -> str | None:
    """The county, derived from where the parcel lies (never a default: issue 19); a choice, with
    none made, only when the parcel lies outside every county outline."""
    try:
        derived = county_at(service.settings.counties_path, geometry)
    except SinkLedgerError:
        derived = None
    if derived in counties:
        col.text_input(t("col_county"), value=f"{counties[derived]} ({derived})", disabled=True,
                       key=f"draw_county_derived_{derived}", help=t("county_derived_help"))
        return derived
    return col.selectbox(t("col_county"), list(counties), index=None, format_func=counties.get, key="draw_county",
                         placeholder=t("county_choose"), help=t("county_outside_help"))


# -- upload -----------------------------------------------------------------------------------

MAP_FIELDS = ("parcel_code", "sink_type", "holder", "county_code", "tenure_cert_no", "declared_area_mu",
              "declared_area_ha")
PREVIEW_MARGIN_DEG = 0.01  # the preview map shows ~1 km around the file's parcels
NONE = ""  # "no column" / "no default" in the mapping's pickers


def _upload(actor: Actor) -> None:
    service = get_service()
    done = session.locked("import")
    if done:  # imported: shown with its entry; the uploader comes back empty for the next file
        show_recorded("import", t("imported_message", n=done["parcels_registered"]), seq=done["seq"],
                      detail=t("imported_detail", source=done["source"], first=done["first_parcel_code"],
                               last=done["last_parcel_code"]),
                      new_label_key="new_import", fields=("upload_prefix",))
        return
    st.caption(t("upload_help"))
    upload = widgets.file_uploader(t("parcel_file"), type=UPLOAD_TYPES, key="parcel_file")
    c1, c2, c3 = st.columns(3)
    prefix = c1.text_input(t("code_prefix"), key="upload_prefix")
    gcj = c2.checkbox(t("from_gcj02"), key="upload_gcj02")
    repair = c3.checkbox(t("accept_repair"), key="upload_repair")
    if upload is None:
        return
    path = _saved(upload)
    columns = st.session_state.setdefault(session.UPLOAD_COLUMNS, {}).get(upload.file_id)
    options = {"parcel_code_prefix": prefix.strip(), "from_gcj02": gcj, "repair": repair}
    if columns is not None:
        options.update(_mapping_form(actor, columns))
    bar = st.progress(0.0, text=t("checking_file"))
    report = attempt(ui_queries.preview_parcel_file, service, actor, path=str(path), options=options,
                     progress=_check_progress(bar))
    bar.empty()
    if report is None:
        return
    if columns is None:  # first look at this file: its columns, then the mapping form with them
        st.session_state[session.UPLOAD_COLUMNS][upload.file_id] = list(report.get("columns") or [])
        st.rerun()
    _show_preview(report)
    if report["ok"] and st.button(t("confirm_import", n=len(report["parcels"])), type="primary", key="confirm_import"):
        _import(actor, service, report, path, options)


def _mapping_form(actor: Actor, columns: list[str]) -> dict[str, Any]:
    """QGIS-like field mapping: a column for each field, defaults for fields the file lacks.

    Starts from the party's last mapping (the columns this file has) or, for a field not chosen
    before, the column the importer recognises by name; the choice is kept for the party's next
    upload, in any later session (``service.upload_mapping``, stored per party).
    Returns the importer's ``mapping`` (``{column: field}``, ``"-"`` for a recognised column not
    used) and ``defaults``."""
    # deferred on purpose: the mapping's aliases load with the importer, only on this tab
    from sinks.mapping import IGNORE, build_column_map

    service = get_service()
    saved = attempt(service.upload_mapping, actor) or {"fields": {}, "defaults": {}}
    auto = build_column_map(columns)[0].columns_by_field
    holders = _holders(actor)
    chosen: dict[str, str] = {}
    defaults: dict[str, str] = {}
    missing = [f for f in ("parcel_code", "sink_type", "holder") if f not in auto and not saved["defaults"].get(f)]
    with st.expander(t("mapping_header"), expanded=bool(missing)):
        st.caption(t("mapping_help"))
        if not columns:
            st.caption(t("mapping_nothing"))
        cols = st.columns(2)
        for i, field in enumerate(MAP_FIELDS):
            start = saved["fields"].get(field)  # the party's column for it, if this file has one
            start = start if start in columns else auto.get(field, NONE)
            options = [NONE, *columns]
            chosen[field] = cols[i % 2].selectbox(field_label(field), options,
                                                  index=options.index(start) if start in options else 0,
                                                  format_func=lambda c: c or t("mapping_none"), key=f"map_{field}")
        d1, d2 = st.columns(2)
        sinks = [NONE, *(s.value for s in SINK_TYPES)]
        start = saved["defaults"].get("sink_type", NONE)
        label_sink = sink_labeller()
        defaults["sink_type"] = d1.selectbox(t("mapping_default", field=t("col_sink_type")), sinks,
                                             index=sinks.index(start) if start in sinks else 0,
                                             format_func=lambda v: label_sink(v) if v else t("mapping_none"),
                                             key="map_default_sink_type")
        owners = [NONE, *holders]
        start = saved["defaults"].get("holder", NONE)
        defaults["holder"] = d2.selectbox(t("mapping_default", field=t("col_holder")), owners,
                                          index=owners.index(start) if start in owners else 0,
                                          format_func=lambda v: holders.get(v, v) if v else t("mapping_none"),
                                          key="map_default_holder")
    attempt(service.save_upload_mapping, actor, fields={f: c for f, c in chosen.items() if c},
            defaults={f: v for f, v in defaults.items() if v})
    mapping = {column: field for field, column in chosen.items() if column}
    for field, column in auto.items():  # a recognised column the user moved away from its field is ignored
        if field in MAP_FIELDS and chosen.get(field) != column and column not in mapping:
            mapping[column] = IGNORE
    return {"mapping": mapping, "defaults": {f: v for f, v in defaults.items() if v}}


def _check_progress(bar: Any) -> Any:
    """The preview's progress on a bar: the stage, then rows checked out of all rows."""
    stages = {"reading": (0.05, "import_reading"), "registry": (0.6, "import_checking_registry")}

    def progress(done: int, total: int, stage: str) -> None:
        if stage in stages:
            share, key = stages[stage]
            bar.progress(share, text=t(key))
        else:  # rows as they are checked (once the importer reports them), and the end
            bar.progress(min(done / max(total, 1), 1.0), text=t("import_rows_checked", done=done, total=total))

    return progress


def _import(actor: Actor, service: Service, report: dict[str, Any], path: Path, options: dict[str, Any]) -> None:
    """Register the previewed rows (one journal entry), with progress as rows are written."""
    n = len(report["parcels"])
    with st.status(t("importing", n=n), expanded=True) as status:
        bar = st.progress(0.0, text=t("import_recording"))
        # The service reports rows checked, then rows written: the bar follows both. On success the
        # page reruns on the locked form (what was imported); the lines below run only on a refusal.
        submit_once("import", service.import_parcels, actor=actor, path=str(path), options=options,
                    progress=lambda done, total, label: bar.progress(
                        min(done / max(total, 1), 1.0), text=t("import_rows_registered", done=done, total=total)))
        status.update(label=t("import_failed"), state="error")


def _saved(upload: Any) -> Path:
    """Keep the upload under its own name (its extension tells the format) for the service to read."""
    folder = Path(tempfile.gettempdir()) / "sinkledger-uploads" / upload.file_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(upload.name).name
    if not path.exists():
        path.write_bytes(upload.getvalue())
    return path


def _show_preview(report: dict[str, Any]) -> None:
    lang = session.lang()
    bad_rows = {p["row"] for p in report["problems"]}
    if report["ok"]:
        st.success(t("preview_ok", n=len(report["parcels"])))
    else:
        st.error(t("preview_problems", n=len(report["problems"]), rows=len(bad_rows - {None})))
        if any(p["code"] == "field_required" for p in report["problems"]):
            st.info(t("mapping_needed"))
    applied = report.get("columns_by_field") or {}
    if applied:
        st.caption(t("mapping_applied", pairs="; ".join(f'{field_label(f)} ← {c}'
                                                         for f, c in applied.items())))
    _preview_map(report, bad_rows)
    key = "message_zh" if lang == "zh" else "message_en"
    report = {**report, "problems": catalogue.localise(report["problems"]),
              "notices": catalogue.localise(report["notices"])}
    if report["problems"]:
        st.dataframe(pd.DataFrame([{t("col_row"): p["row"] if p["row"] is not None else "—",
                                    t("col_field"): _field_label(p["field"]), t("col_problem"): p[key]}
                                   for p in report["problems"]]), hide_index=True, width="stretch")
    for n in report["notices"]:
        st.caption(f'ℹ️ {n[key]}')
    holders = {h["party_id"]: h["name"] for h in ui_queries.holding_accounts(get_service())}
    st.dataframe(pd.DataFrame([{t("col_row"): p["row"], t("col_parcel"): p["parcel_code"] or "—",
                                t("col_sink_type"): sink_name(p["sink_type"]) if p["sink_type"] else "—",
                                t("col_holder"): _holder_name(p.get("holder"), holders),
                                t("col_area_ha"): p["area_ha"], t("declared_area_mu"): p["declared_area_mu"] or "—",
                                t("col_status"): t("row_has_problems") if p["row"] in bad_rows else t("row_ok")}
                               for p in report["parcels"]]),
                 hide_index=True, width="stretch")


def _field_label(field: str | None) -> str:
    """A problem's field as the form names it (``parcel_code/sink_type/holder`` → each label)."""
    if not field:
        return ""
    return " / ".join(field_label(f) for f in str(field).split("/"))


def field_label(field: str) -> str:
    """A parcel field as the forms name it (a sink type's attribute by its label), else the field."""
    if field in MAP_FIELDS:
        return t(f"mapfield_{field}")
    return t_or(f"attr_{field}", field)


def _holder_name(holder: str | None, names: dict[str, str]) -> str:
    return names.get(holder, holder) if holder else "—"


def _preview_map(report: dict[str, Any], bad_rows: set[Any]) -> None:
    """New rows green (ok) or red (problem), overlaps orange, registered parcels grey."""
    service = get_service()
    lang = session.lang()
    rows = [p for p in report["parcels"] if p.get("geometry")]
    new = [{"type": "Feature", "geometry": p["geometry"], "properties": {
        "code": p["parcel_code"] or f'#{p["row"]}', "sink": sink_name(p["sink_type"]) if p["sink_type"] else "",
        "area": f'{p["area_ha"]} ha', "holder": "", "status": "",
        "colour": maps.PROBLEM_RGBA if p["row"] in bad_rows else maps.OK_RGBA}} for p in rows]
    overlaps = [{"type": "Feature", "geometry": o["overlap"], "properties": {
        "code": o["parcel_code"], "sink": t("overlap_label", m2=o["overlap_m2"]), "area": "", "holder": "", "status": ""}}
        for p in report["problems"] for o in (p.get("details") or {}).get("overlaps", []) if o.get("overlap")]
    counties = maps.counties_geojson(str(service.settings.counties_path))
    found = maps.features_bounds(new)
    # the file's parcels with their surroundings (the registered parcels around), not the bare parcel
    bounds = ((found[0] - PREVIEW_MARGIN_DEG, found[1] - PREVIEW_MARGIN_DEG, found[2] + PREVIEW_MARGIN_DEG,
               found[3] + PREVIEW_MARGIN_DEG) if found else service.settings.region.bounds_lonlat)
    # the registered parcels as grey tiles (the page never holds them), the file's rows inline
    layers = [maps.county_layer(counties),
              maps.tiles_layer(parcels_version(), lang, layer_id="existing", colour=maps.EXISTING_RGBA),
              maps.features_layer("preview", new),
              maps.features_layer("overlaps", overlaps, colour=maps.OVERLAP_RGBA, line_px=3)]
    st.pydeck_chart(maps.deck(layers, maps.view_for(bounds, min_zoom=11), maps.TOOLTIP),
                    height=420, key="preview_map")
    st.caption(t("preview_legend"))
