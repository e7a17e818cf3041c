"""sinkledger's Streamlit app. Pages read widgets, call the service API and render results;
they hold no business rules and no SQL.

Start it with ``streamlit run app.py``: on first start with the default SQLite database, the
database is created and seeded with the synthetic demo data.
"""

from __future__ import annotations

import json

import pandas as pd
import pydeck as pdk
import streamlit as st

from sinkledger.config import load_settings
from sinkledger.errors import SinkLedgerError
from sinkledger.messages import ui_text
from sinkledger.service import Service
from sinks import SINK_TYPES, SinkType

st.set_page_config(page_title="sinkledger", page_icon="🌿", layout="wide")

LANGS = {"zh": "中文", "en": "English"}


@st.cache_resource(show_spinner=False)
def get_service() -> Service:
    settings = load_settings()
    service = Service.open(settings)
    if not service.is_initialised() and settings.seeds_demo_when_empty:
        from sinkledger.demo import seed_demo

        lang = st.session_state.get("lang", "zh")
        with st.spinner(ui_text("seeding", lang)):
            bar = st.progress(0.0)
            seed_demo(service, progress=lambda i, n, label: bar.progress(min(i / max(n, 1), 1.0), text=label))
            bar.empty()
    return service


@st.cache_data(show_spinner=False)
def county_outlines(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def t(key: str, **params) -> str:
    return ui_text(key, st.session_state.get("lang", "zh"), **params)


def language_switch() -> None:
    st.sidebar.radio(t("language"), list(LANGS), format_func=LANGS.get, key="lang", horizontal=True)


def parcel_map(service: Service, parcels: list[dict]) -> None:
    lang = st.session_state.get("lang", "zh")
    features = []
    for p in parcels:
        spec = SINK_TYPES[SinkType(p["sink_type"])]
        name = p["sink_type_zh"] if lang == "zh" else p["sink_type_en"]
        features.append({"type": "Feature", "geometry": p["geometry"], "properties": {
            "code": p["parcel_code"], "sink": name, "holder": p["holder_name"] or "",
            "area": f'{p["area_ha"]:.2f} ha / {p["area_mu"]:.0f} 亩', "colour": list(spec.colour_rgb) + [170]}})
    counties = county_outlines(str(service.settings.gis_data_dir / "counties.geojson"))
    layers = [
        pdk.Layer("GeoJsonLayer", counties, id="counties", stroked=True, filled=True,
                  get_fill_color=[240, 240, 235, 255], get_line_color=[120, 120, 120, 255],
                  line_width_min_pixels=1, pickable=False),
        pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features}, id="parcels",
                  filled=True, stroked=True, get_fill_color="properties.colour",
                  get_line_color="properties.colour", line_width_min_pixels=2, pickable=True),
    ]
    view = _initial_view(parcels, service.settings.region.bounds_lonlat)
    # No basemap: with map_provider=None and map_style left at its default, pydeck emits its
    # no-basemap marker; map_style=None would make Streamlit fetch a web basemap (not offline).
    deck = pdk.Deck(layers=layers, initial_view_state=view, map_provider=None,
                    tooltip={"text": "{code}\n{sink}\n{holder}\n{area}"})
    st.pydeck_chart(deck, height=560, key="parcel_map")
    legend = " &nbsp; ".join(
        f'<span style="color: rgb{s.colour_rgb}">■</span> {s.name_zh if lang == "zh" else s.name_en}'
        for s in SINK_TYPES.values())
    st.markdown(legend, unsafe_allow_html=True)
    st.caption(t("map_caption", n=len(parcels)))


def _initial_view(parcels: list[dict], bounds_lonlat: tuple[float, float, float, float]) -> pdk.ViewState:
    """Fit the parcels (or the whole region when there are none) into the map."""
    from shapely.geometry import shape

    if parcels:
        xs, ys = zip(*((b[0], b[1]) for p in parcels for b in [shape(p["geometry"]).bounds, shape(p["geometry"]).bounds[2:]]))
        bounds_lonlat = (min(xs), min(ys), max(xs), max(ys))
    view = pdk.data_utils.compute_view([[bounds_lonlat[0], bounds_lonlat[1]], [bounds_lonlat[2], bounds_lonlat[3]]])
    view.zoom = max(7.5, view.zoom)
    return view


def balances_table(service: Service, parcels: list[dict]) -> None:
    balances = service.balances()
    buffer_t = sum(r["held_t"] for r in balances["by_account"] if r["account_kind"] == "buffer")
    lang = st.session_state.get("lang", "zh")
    rows = []
    for sink_type, spec in SINK_TYPES.items():
        mine = [r for r in balances["by_sink_type"] if r["sink_type"] == sink_type.value]
        own = [p for p in parcels if p["sink_type"] == sink_type.value]
        rows.append({
            t("col_sink_type"): spec.name_zh if lang == "zh" else spec.name_en,
            t("col_parcels"): len(own),
            t("col_area_ha"): round(sum(p["area_ha"] for p in own), 1),
            t("col_issued"): sum(r["issued_t"] for r in mine),
            t("col_held"): sum(r["held_t"] for r in mine),
            t("col_pledged"): sum(r["pledged_t"] for r in mine),
            t("col_retired"): sum(r["retired_t"] for r in mine),
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(t("buffer_caption", n=buffer_t))


def integrity(service: Service) -> None:
    report = service.verify()
    if report.ok:
        st.success(t("integrity_ok", n=report.entries))
    else:
        st.error(t("integrity_broken", seq=report.first_bad_seq))
    st.caption(f'{t("merkle_root")}: `{report.merkle_root}`')


def overview_page() -> None:
    service = get_service()
    st.title(t("app_title"))
    st.write(t("app_subtitle"))
    st.info(t("synthetic_notice"))
    parcels = service.parcels()
    st.subheader(t("map_header"))
    parcel_map(service, parcels)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("balances_header"))
        balances_table(service, parcels)
    with right:
        st.subheader(t("integrity_header"))
        integrity(service)


def main() -> None:
    st.session_state.setdefault("lang", "zh")
    language_switch()
    try:
        page = st.navigation([st.Page(overview_page, title=t("page_overview"), url_path="overview", default=True)])
        page.run()
    except SinkLedgerError as exc:
        st.error(exc.message(st.session_state["lang"]))


main()
