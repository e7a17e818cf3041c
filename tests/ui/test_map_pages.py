"""The map pages at county scale (issue 17), in-process with AppTest: no page loads every parcel,
a click on the map identifies and chooses a parcel, and the web base maps switch on (or say
plainly that they cannot) without an error."""

from __future__ import annotations

import json

import pytest

from sinkledger.ui import maps
from sinkledger.ui.text import text
from tests.ui.conftest import go, no_errors, no_full_read, open_app, service_for, texts  # noqa: F401 (fixture)
from tests.ui.scenario import square


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "zh", **params)


def deck(at, index: int = 0) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return json.loads(at.get("deck_gl_json_chart")[index].proto.json)


@pytest.mark.parametrize(("user", "page"), [(None, "map"), ("coop", "parcels"), ("centre", "parcels"),
                                            ("admin", "parcels"), ("coop", "register"), ("centre", "register"),
                                            ("verifier", "verify")])
def test_no_map_page_reads_every_parcel(app_env, no_full_read, user, page) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=user, page=page)
    no_errors(at)
    assert no_full_read == []
    assert at.get("deck_gl_json_chart") or page == "register"  # the drawing map is folium's


def test_the_drawing_page_shows_only_nearby_parcels(app_env, no_full_read, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The drawing map gets the parcels near the holder's (spatial index, at most NEARBY_LIMIT)."""
    from sinkledger.ui import register

    shown: list[int] = []
    monkeypatch.setattr(maps, "draw_map", lambda nearby, *a, **kw: shown.append(len(nearby)))
    monkeypatch.setattr(register, "NEARBY_LIMIT", 5)
    at = open_app(app_env, user="coop", page="register")
    no_errors(at)
    assert shown and 0 < shown[-1] <= 5
    assert zh("draw_first") in texts(at, "info")


def test_a_click_on_the_map_identifies_and_chooses_the_parcel(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="coop", page="parcels")
    props = {"code": "AJ-BF-0003", "sink": "竹林", "holder": "某合作社", "area": "1.20 公顷 / 18 亩",
             "status": "有效", "state": "active", "n": 1, "cell": 0}
    at.session_state["parcels_map"] = {"selection": {"indices": {"parcels": [0]},
                                                     "objects": {"parcels": [{"properties": props}]}}}
    at.run()
    no_errors(at)
    assert zh("map_clicked", code="AJ-BF-0003", sink="竹林", holder="某合作社", area="1.20 公顷 / 18 亩",
              status="有效") in texts(at, "markdown")
    assert at.selectbox(key="parcel_code").value == "AJ-BF-0003"
    assert [h.value for h in at.header] == [zh("parcel_heading", code="AJ-BF-0003")]
    # a generalised cell is identified (how many parcels, their area) but chooses nothing
    cell = {**props, "code": zh("tile_cell", n=4), "holder": "", "n": 4, "cell": 1}
    at.session_state["parcels_map"] = {"selection": {"indices": {"parcels": [0]},
                                                     "objects": {"parcels": [{"properties": cell}]}}}
    at.run()
    no_errors(at)
    assert any(m.startswith(f'**{zh("tile_cell", n=4)}**') for m in texts(at, "markdown"))
    assert at.selectbox(key="parcel_code").value == "AJ-BF-0003"


def test_the_parcel_list_is_bounded_and_searchable(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.ui import parcels

    monkeypatch.setattr(parcels, "LIST_ROWS", 10)
    at = open_app(app_env, user="centre", page="parcels")
    no_errors(at)
    assert len(at.selectbox(key="parcel_code").options) == 10
    assert zh("parcel_list_more", shown=10, n=106) in texts(at, "caption")
    at.text_input(key="parcel_search").set_value("AJ-WL-").run()
    no_errors(at)
    options = at.selectbox(key="parcel_code").options
    assert options and all(o.startswith("AJ-WL-") for o in options if o != at.selectbox(key="parcel_code").value)


def _choose_basemap(at, choice: str) -> None:  # type: ignore[no-untyped-def]
    at.sidebar.selectbox(key="basemap_zh").set_value(choice).run()


def test_openstreetmap_switches_on_without_error(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The AssertionError of issue 17 (pydeck refused a style object with the carto provider)."""
    monkeypatch.setattr(maps, "basemap_reachable", lambda basemap: True)
    at = open_app(app_env, page="map")
    _choose_basemap(at, "osm")
    no_errors(at)
    spec = deck(at)
    assert spec["mapProvider"] == "mapbox"
    assert spec["mapStyle"]["sources"]["tiles"]["tiles"] == [maps.OSM_TILES]
    assert [layer["id"] for layer in spec["layers"]] == ["parcels"]  # the tiles, no offline outlines
    assert not at.warning


def test_an_unreachable_base_map_says_so_and_falls_back(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SINKLEDGER_OSM_TILES", "http://127.0.0.1:9/{z}/{x}/{y}.png")  # nothing listens there
    maps.basemap_reachable.clear()
    at = open_app(app_env, page="map")
    _choose_basemap(at, "osm")
    no_errors(at)
    assert [w.value for w in at.warning] == [zh("basemap_offline", name=zh("basemap_osm"))]
    spec = deck(at)
    assert spec.get("mapStyle") == "__MAP_STYLE__" and [layer["id"] for layer in spec["layers"]] == ["counties",
                                                                                                    "parcels"]


def test_tianditu_needs_a_key_and_then_switches_on(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(maps, "basemap_reachable", lambda basemap: True)
    at = open_app(app_env, page="map")
    _choose_basemap(at, "tianditu")
    no_errors(at)
    assert [w.value for w in at.warning] == [zh("basemap_tianditu_no_key")]
    assert deck(at).get("mapStyle") == "__MAP_STYLE__"

    monkeypatch.setenv("SINKLEDGER_TIANDITU_KEY", "0123456789abcdef")
    import streamlit as st

    st.cache_resource.clear()
    at = open_app(app_env, page="map")
    _choose_basemap(at, "tianditu")
    no_errors(at)
    assert not at.warning
    spec = deck(at)
    assert spec["mapProvider"] == "mapbox"
    assert spec["mapStyle"]["sources"]["tiles"]["tiles"] == [maps.TIANDITU_TILES + "0123456789abcdef"]


def test_the_drawing_map_gets_the_chosen_base_map(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    monkeypatch.setattr(maps, "basemap_reachable", lambda basemap: True)
    monkeypatch.setattr(maps, "draw_map", lambda *a, basemap="none", **kw: seen.append(basemap))
    at = open_app(app_env, user="coop")
    _choose_basemap(at, "osm")
    go(at, "register")
    no_errors(at)
    assert seen[-1] == "osm"


def test_a_parcel_registered_on_the_page_shows_in_the_map_version(app_env) -> None:  # type: ignore[no-untyped-def]
    """The tile URL carries the parcels version: a registration makes a new one (no stale tiles)."""
    from sinkledger.ui.session import DRAWN

    at = open_app(app_env, user="coop", page="parcels")
    before = deck(at)["layers"][-1]["data"]
    at.session_state[DRAWN] = square("browser_a")
    go(at, "register")
    at.text_input(key="draw_code").set_value("AJ-BF-0975")
    next(b for b in at.button if b.label == zh("register_parcel")).click().run()
    no_errors(at)
    go(at, "parcels")
    after = deck(at)["layers"][-1]["data"]
    assert before != after and int(after.split("/")[3]) > int(before.split("/")[3])
    service = service_for(app_env)
    try:
        assert service.parcel("AJ-BF-0975")["holder_party_id"] == "COL-0001"
    finally:
        service.db.dispose()
