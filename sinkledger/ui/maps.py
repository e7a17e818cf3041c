"""Maps: pydeck (deck.gl, GPU) for showing parcels, folium + Leaflet.draw for drawing one.

Showing many parcels (the overview, a holder's parcels, the registered parcels under an upload's
preview): an ``MVTLayer`` over the app's own vector tiles (``/tiles/parcels/...``, served by
:mod:`sinkledger.ui.routes` from :mod:`sinkledger.services.tiles`), generalised at low zoom, with
deck.gl's tile worker (``mvt-worker.js`` of @loaders.gl/mvt) served from ``static/`` instead of
a CDN. The page holds the layer's URL, not the parcels. Showing a few parcels (one parcel, an
estimate's parcels, an upload's rows): a ``GeoJsonLayer`` with their features inline; above
:data:`SIMPLIFY_ABOVE` features their outlines are simplified (~:data:`SIMPLIFY_DEG` degrees ≈
5 m) and coordinates rounded to 5 decimals. Display preparation only: registered geometries are
never touched.

Base map: none by default (works offline). OpenStreetMap raster tiles, or Tianditu with a
configured key, can be switched on; they are then the only requests to another host. The style
is handed to pydeck as a MapLibre style object with ``map_provider="mapbox"`` (pydeck refuses a
style object with any other provider: the AssertionError of issue 17); Streamlit draws it with
MapLibre and needs no Mapbox token for it.

Drawing: folium's Leaflet and Leaflet.draw are served from ``static/vendor/`` (``/app/static/vendor/...``),
never from a CDN, so drawing works on an intranet without internet (GIS_NOTES §4.3).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import folium
import numpy as np
import pydeck as pdk
import shapely
import streamlit as st
from branca.element import MacroElement
from folium.plugins import Draw
from jinja2 import Template
from pydeck.bindings.json_tools import default_serialize
from streamlit_folium import st_folium

from sinkledger.services.tiles import status_text
from sinks import SINK_TYPES, SinkType
from sinks.store import ACTIVE

SIMPLIFY_ABOVE = 2000
SIMPLIFY_DEG = 0.00005
OK_RGBA = [46, 139, 87, 200]
PROBLEM_RGBA = [214, 39, 40, 210]
OVERLAP_RGBA = [255, 140, 0, 230]
EXISTING_RGBA = [150, 150, 150, 120]
LABEL_RGBA = [30, 30, 30, 255]
COUNTY_FILL = [240, 240, 235, 255]
COUNTY_LINE = [120, 120, 120, 255]
STATIC = "/app/static/vendor"  # third-party assets, unchanged from their packages (static/README.md)
MVT_WORKER_URL = f"{STATIC}/loaders.gl-mvt/mvt-worker.js"  # @loaders.gl/mvt 4.4.3, as Streamlit's deck.gl
TOOLTIP = "{code}\n{sink}\n{holder}\n{area}\n{status}"
TILE_MAX_ZOOM = 18  # deeper zooms draw the z18 tiles (every parcel is itself from about z14; z17-18 for labels)
FILL_FROM_TILE = "[properties.r, properties.g, properties.b, properties.a]"
LINE_FROM_TILE = "[properties.r, properties.g, properties.b, 255]"
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TIANDITU_TILES = ("https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                  "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=")


@st.cache_data(show_spinner=False)
def counties_geojson(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def sink_label(sink_type: str, lang: str) -> str:
    spec = SINK_TYPES[SinkType(sink_type)]
    return spec.name_zh if lang == "zh" else spec.name_en


def sink_colour(sink_type: str, alpha: int = 170) -> list[int]:
    return [*SINK_TYPES[SinkType(sink_type)].colour_rgb, alpha]


def lean_geometry(geometry: Mapping[str, Any], simplify: bool) -> dict[str, Any]:
    """The geometry for display. With many parcels: simplified, and coordinates rounded to 5
    decimals (~1 m), which cuts the page's JSON about five-fold; otherwise unchanged."""
    if not simplify:
        return dict(geometry)
    geom = shapely.simplify(shapely.geometry.shape(geometry), SIMPLIFY_DEG, preserve_topology=True)
    polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    rings = [[_rounded(p.exterior), *(_rounded(r) for r in p.interiors)] for p in polygons]
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": rings[0]}
    return {"type": "MultiPolygon", "coordinates": rings}


def _rounded(ring: Any) -> list[list[float]]:
    return np.round(np.asarray(ring.coords)[:, :2], 5).tolist()


def parcel_features(parcels: Iterable[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """GeoJSON features of parcels with what the tooltip and the colour need (nothing more;
    above :data:`SIMPLIFY_ABOVE` parcels the holder is left out of the tooltip to keep it lean)."""
    parcels = list(parcels)
    simplify = len(parcels) > SIMPLIFY_ABOVE
    return [{"type": "Feature", "geometry": lean_geometry(p["geometry"], simplify), "properties": {
        "code": p["parcel_code"], "sink": sink_label(p["sink_type"], lang),
        "holder": "" if simplify else p.get("holder_name") or "",
        "area": (f'{p["area_ha"]:.2f} 公顷 / {p["area_mu"]:.0f} 亩' if lang == "zh"
                 else f'{p["area_ha"]:.2f} ha / {p["area_mu"]:.0f} mu'),
        "status": status_text(p.get("status") or ACTIVE, lang),
        "colour": sink_colour(p["sink_type"])}} for p in parcels]


def county_layer(counties: Mapping[str, Any]) -> pdk.Layer:
    return pdk.Layer("GeoJsonLayer", counties, id="counties", stroked=True, filled=True,
                     get_fill_color=COUNTY_FILL, get_line_color=COUNTY_LINE, line_width_min_pixels=1,
                     pickable=False)


def features_layer(layer_id: str, features: list[dict[str, Any]], *, colour: Any = "properties.colour",
                   pickable: bool = True, line_px: int = 2) -> pdk.Layer:
    """Filled polygons; outlined only up to :data:`SIMPLIFY_ABOVE` features. Outlines cost deck.gl
    a path per ring (measured: 10,000 parcels ready in ~5 s unstroked, ~20 s stroked, software
    WebGL) and are invisible at the zoom where that many parcels fit on screen."""
    stroked = len(features) <= SIMPLIFY_ABOVE
    return pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features}, id=layer_id,
                     filled=True, stroked=stroked, get_fill_color=colour, get_line_color=colour,
                     line_width_min_pixels=line_px, pickable=pickable)


def tile_url(version: int, lang: str, holder: str | None = None) -> str:
    """The URL template of the parcel tiles (same origin as the page; ``routes.ROUTES``)."""
    query = urlencode({"lang": lang, **({"holder": holder} if holder else {})})
    return f"/tiles/parcels/{int(version)}/{{z}}/{{x}}/{{y}}.pbf?{query}"


def tiles_layer(version: int, lang: str, *, holder: str | None = None, layer_id: str = "parcels",
                colour: Any = None) -> pdk.Layer:
    """Parcels as vector tiles: filled by sink type (paler when retired), outlined, pickable (the
    tooltip and a click read the tile's ``code, sink, holder, area, status``), labelled with
    their codes at close zoom (``tiles.LABEL_ZOOM``)."""
    return pdk.Layer("MVTLayer", tile_url(version, lang, holder), id=layer_id, min_zoom=0, max_zoom=TILE_MAX_ZOOM,
                     filled=True, stroked=True, get_fill_color=colour or FILL_FROM_TILE,
                     get_line_color=colour or LINE_FROM_TILE, line_width_min_pixels=1, line_width_max_pixels=2,
                     pickable=True, auto_highlight=True, unique_id_property="'code'",
                     # from LABEL_ZOOM the tiles carry a point inside each parcel: drawn as its code
                     point_type="'text'", get_text="properties.code", get_text_size=12, get_text_color=LABEL_RGBA,
                     text_font_weight=600, text_outline_width=2, text_outline_color=[255, 255, 255, 230],
                     text_font_settings={"sdf": True},
                     load_options={"mvt": {"workerUrl": MVT_WORKER_URL}})


def view_for(bounds_lonlat: tuple[float, float, float, float], min_zoom: float = 7.5) -> pdk.ViewState:
    view = pdk.data_utils.compute_view([[bounds_lonlat[0], bounds_lonlat[1]], [bounds_lonlat[2], bounds_lonlat[3]]])
    view.zoom = max(min_zoom, view.zoom)
    return view


# deck.gl's Web Mercator: the whole world is 512 × 2**zoom pixels wide (512-pixel tiles at zoom 0)
DECK_WORLD_PX = 512
FIT_WIDTH_PX = 640  # the narrowest a page's map is drawn on a laptop (the main column, sidebar open)
FIT_PADDING_PX = 40
FIT_MAX_ZOOM = 17  # one small parcel still shows its surroundings


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """(x, y) in [0, 1] of the Web Mercator square, y down (as deck.gl's pixels)."""
    lat = max(min(lat, 85.05), -85.05)
    return (lon + 180) / 360, (1 - np.log(np.tan(np.radians(lat)) + 1 / np.cos(np.radians(lat))) / np.pi) / 2


def fit_view(bounds_lonlat: tuple[float, float, float, float], *, height_px: int, width_px: int = FIT_WIDTH_PX,
             padding_px: int = FIT_PADDING_PX, max_zoom: float = FIT_MAX_ZOOM) -> pdk.ViewState:
    """The view that shows all of ``bounds_lonlat`` (west, south, east, north) with ``padding_px``
    around it on a map ``width_px`` × ``height_px``: deck.gl's ``fitBounds``, which pydeck's JSON
    cannot call. The centre is the box's centre in Web Mercator, the zoom the largest at which the
    box fits both ways (at most ``max_zoom``). A map drawn wider than ``width_px`` shows more around."""
    x0, y1 = _mercator(bounds_lonlat[0], bounds_lonlat[1])  # south-west: y is larger (down)
    x1, y0 = _mercator(bounds_lonlat[2], bounds_lonlat[3])
    room_x, room_y = max(width_px - 2 * padding_px, 1), max(height_px - 2 * padding_px, 1)
    spans = [(room_x, x1 - x0), (room_y, y1 - y0)]
    zooms = [float(np.log2(room / (span * DECK_WORLD_PX))) for room, span in spans if span > 0]
    zoom = min([*zooms, max_zoom])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    lat = float(np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * cy)))))
    return pdk.ViewState(longitude=float(cx * 360 - 180), latitude=lat, zoom=zoom, pitch=0, bearing=0)


def features_bounds(features: list[dict[str, Any]]) -> tuple[float, float, float, float] | None:
    if not features:
        return None
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
    return tuple(shapely.total_bounds(geoms).tolist())  # type: ignore[return-value]


def basemap_style(basemap: str, tianditu_key: str | None = None) -> Any:
    """A MapLibre raster style for online tiles; pydeck's no-basemap sentinel when offline."""
    if basemap == "osm":
        tiles, attribution = basemap_url("osm"), "© OpenStreetMap contributors"
    elif basemap == "tianditu" and tianditu_key:
        tiles, attribution = TIANDITU_TILES + tianditu_key, "© 天地图"
    else:
        return None
    return {"version": 8, "sources": {"tiles": {"type": "raster", "tiles": [tiles], "tileSize": 256,
                                                "attribution": attribution}},
            "layers": [{"id": "tiles", "type": "raster", "source": "tiles"}]}


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck pretty-prints (``indent=2``), which made
    the spec of 10,000 parcels 18 MB; compact, it is about a fifth of that and encodes faster."""

    def to_json(self) -> str:
        return json.dumps(self, default=default_serialize, separators=(",", ":"))


def deck(layers: list[pdk.Layer], view: pdk.ViewState, tooltip: str, *, basemap: str = "none",
         tianditu_key: str | None = None) -> pdk.Deck:
    style = basemap_style(basemap, tianditu_key)
    if style is None:
        # map_provider=None with the default map_style emits pydeck's no-basemap marker; a None
        # map_style would make Streamlit fetch a web basemap (not offline).
        return CompactDeck(layers=layers, initial_view_state=view, map_provider=None, tooltip={"text": tooltip})
    # pydeck accepts a style object only with the "mapbox" provider (anything else: AssertionError).
    return CompactDeck(layers=layers, initial_view_state=view, map_provider="mapbox", map_style=style,
                       tooltip={"text": tooltip})


def parcel_deck(parcels: pdk.Layer, counties: Mapping[str, Any], bounds: tuple[float, float, float, float], *,
                basemap: str = "none", tianditu_key: str | None = None, extra: list[pdk.Layer] = ()) -> pdk.Deck:
    """Counties (unless a web base map is on), the parcels layer (tiles), optional extra layers."""
    layers = [] if basemap != "none" else [county_layer(counties)]
    layers += [parcels, *extra]
    return deck(layers, view_for(bounds), TOOLTIP, basemap=basemap, tianditu_key=tianditu_key)


def clicked_parcel(event: Any) -> dict[str, Any] | None:
    """What the tile says of the parcel (or generalised cell) clicked on the map, if any: code,
    sink, holder, area, status, n (``st.pydeck_chart``'s selection; a plain dict under AppTest)."""
    try:
        objects = event["selection"]["objects"]
    except (KeyError, TypeError):
        return None
    for found in objects.values():
        for obj in found or ():
            props = obj.get("properties", obj) if isinstance(obj, Mapping) else None
            if isinstance(props, Mapping) and props.get("code"):
                return dict(props)
    return None


def basemap_url(basemap: str) -> str:
    """The tile URL template of a web base map (``SINKLEDGER_OSM_TILES`` replaces OpenStreetMap's,
    e.g. with a tile server on the intranet)."""
    if basemap == "osm":
        return os.environ.get("SINKLEDGER_OSM_TILES") or OSM_TILES
    return TIANDITU_TILES


@st.cache_data(show_spinner=False, ttl=60)
def basemap_reachable(basemap: str) -> bool:
    """Whether the base map's tile host answers a connection (2 s at most, asked once a minute):
    the map says plainly that it is offline instead of showing a blank background."""
    parts = urlsplit(basemap_url(basemap).replace("{", "").replace("}", ""))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=2):
            return True
    except OSError:
        return False


def legend_markdown(lang: str) -> str:
    return " &nbsp; ".join(f'<span style="color: rgb{s.colour_rgb}">■</span> '
                           f'{s.name_zh if lang == "zh" else s.name_en}' for s in SINK_TYPES.values())


# -- drawing ----------------------------------------------------------------------------------

def _use_local_leaflet() -> None:
    """Point folium and Leaflet.draw at the copies in ``static/`` (and drop what the map does
    not need: bootstrap, font-awesome, awesome-markers)."""
    folium.Map.default_js = [("leaflet", f"{STATIC}/leaflet/leaflet.js"), ("jquery", f"{STATIC}/jquery.min.js")]
    folium.Map.default_css = [("leaflet_css", f"{STATIC}/leaflet/leaflet.css")]
    Draw.default_js = [("leaflet_draw_js", f"{STATIC}/leaflet-draw/leaflet.draw.js")]
    Draw.default_css = [("leaflet_draw_css", f"{STATIC}/leaflet-draw/leaflet.draw.css")]


class _Script(MacroElement):
    """A piece of JavaScript run in the map's script, in the order added (before the draw tool)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "Script"
        self.code = code


def draw_texts(text: Callable[[str], str]) -> dict[str, Any]:
    """Leaflet.draw's ``L.drawLocal`` (its every tooltip and button) from the catalogue."""
    return {
        "draw": {"toolbar": {"actions": {"title": text("draw_cancel_title"), "text": text("draw_cancel")},
                             "finish": {"title": text("draw_finish_title"), "text": text("draw_finish")},
                             "undo": {"title": text("draw_undo_title"), "text": text("draw_undo")},
                             "buttons": {"polygon": text("draw_polygon")}},
                 "handlers": {"polygon": {"tooltip": {"start": text("draw_start"), "cont": text("draw_continue"),
                                                      "end": text("draw_end")}},
                              "polyline": {"error": text("draw_cross"),
                                           "tooltip": {"start": text("draw_start"), "cont": text("draw_continue"),
                                                       "end": text("draw_end")}}}},
        "edit": {"toolbar": {"actions": {"save": {"title": text("draw_save_title"), "text": text("draw_save")},
                                         "cancel": {"title": text("draw_discard_title"), "text": text("draw_cancel")},
                                         "clearAll": {"title": text("draw_clear_all_title"),
                                                      "text": text("draw_clear_all")}},
                             "buttons": {"remove": text("draw_remove"), "removeDisabled": text("draw_remove_none")}},
                 "handlers": {"remove": {"tooltip": {"text": text("draw_remove_tip")}}}},
    }


def localise_draw_script(text: Callable[[str], str]) -> str:
    """JavaScript that merges :func:`draw_texts` into ``L.drawLocal`` (before the control is made)."""
    return ("(function(src, dst){var merge=function(s,d){for(var k in s){if(typeof s[k]==='object'){"
            "d[k]=d[k]||{};merge(s[k],d[k]);}else{d[k]=s[k];}}};merge(src,dst);})("
            + json.dumps(draw_texts(text), ensure_ascii=False) + ", L.drawLocal);")


def draw_map(nearby: list[dict[str, Any]], counties: Mapping[str, Any], centre: tuple[float, float], *,
             basemap: str = "none", tianditu_key: str | None = None, key: str = "draw_map",
             text: Callable[[str], str] | None = None) -> dict | None:
    """A Leaflet map with the draw tool (polygons only) over counties and nearby parcels; the
    draw tool speaks the UI's language (``text``: a catalogue key → its text) and the scale bar
    is metric only.

    Returns the last drawn polygon as GeoJSON (lon/lat), or None.
    """
    _use_local_leaflet()
    fmap = folium.Map(location=[centre[1], centre[0]], zoom_start=12, tiles=None, control_scale=False)
    _Script(f"L.control.scale({{metric: true, imperial: false}}).addTo({fmap.get_name()});").add_to(fmap)
    if text is not None:
        _Script(localise_draw_script(text)).add_to(fmap)
    if basemap == "osm":
        folium.TileLayer(basemap_url("osm"), attr="© OpenStreetMap contributors", name="OSM").add_to(fmap)
    elif basemap == "tianditu" and tianditu_key:
        folium.TileLayer(TIANDITU_TILES.replace("t0.", "t{s}.") + tianditu_key, attr="© 天地图",
                         subdomains="01234567", name="天地图").add_to(fmap)
    folium.GeoJson(counties, name="counties", style_function=lambda _: {
        "color": "#787878", "weight": 1, "fillColor": "#f0f0eb", "fillOpacity": 0.6}).add_to(fmap)
    if nearby:
        folium.GeoJson({"type": "FeatureCollection", "features": nearby}, name="parcels",
                       style_function=lambda f: {"color": _hex(f["properties"]["colour"]), "weight": 1,
                                                 "fillOpacity": 0.5},
                       tooltip=folium.GeoJsonTooltip(fields=["code", "sink"], labels=False)).add_to(fmap)
    Draw(export=False, draw_options={"polyline": False, "rectangle": False, "circle": False, "marker": False,
                                     "circlemarker": False, "polygon": {"allowIntersection": False}},
         edit_options={"edit": False}).add_to(fmap)
    out = st_folium(fmap, height=520, use_container_width=True, returned_objects=["last_active_drawing"], key=key)
    drawing = (out or {}).get("last_active_drawing")
    return drawing.get("geometry") if isinstance(drawing, dict) else None


def _hex(rgba: list[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgba[:3])
