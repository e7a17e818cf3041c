"""Parcel vector tiles and the bounding-box reads of the map pages (issue 17), on SQLite and
PostgreSQL + PostGIS, against the seeded demo (105 parcels), through the real HTTP route too."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from pathlib import Path

import mapbox_vector_tile
import pytest
import shapely
import uvicorn
from sqlalchemy import text

from sinkledger.config import REPO_ROOT, load_settings
from sinkledger.db.database import Database
from sinkledger.services import tile_archive, tiles
from sinkledger.ui import maps
from sinks import SINK_TYPES
from tests.conftest import empty_database_url

N_DEMO = 105
BY_SINK = {"bamboo_forest": 60, "wetland": 15, "tea_garden": 30}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def features(data: bytes) -> list[dict]:  # type: ignore[type-arg]
    return mapbox_vector_tile.decode(data)["parcels"]["features"] if data else []


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo seeded once per backend for this module's tests (they only read it, except the
    last one of each backend, which registers and retires parcels)."""
    from sinkledger.demo.seed import seed_demo
    from sinkledger.services.registry import Service

    home = tmp_path_factory.mktemp(f"tiles_{request.param}")
    url = empty_database_url(request.param, home)
    service = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": str(home)}))
    seed_demo(service)
    yield service
    service.db.dispose()


def tiles_over(source: tiles.TileSource, bounds: tuple[float, float, float, float], z: int, **kw) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    x0, y1 = tile_of(bounds[0], bounds[1], z)
    x1, y0 = tile_of(bounds[2], bounds[3], z)
    return [((z, x, y), source.tile(z, x, y, **kw)) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def counted(tile_list: list[tuple]) -> Counter:  # type: ignore[type-arg]
    """Parcels per sink type drawn by a set of tiles: each parcel once (by code, across tiles),
    each generalised cell once (in the tile whose extent holds its centre), with its count."""
    codes: dict[str, str] = {}
    out: Counter = Counter()  # type: ignore[type-arg]
    for _, data in tile_list:
        for f in features(data):
            props = f["properties"]
            sink = next(k.value for k, s in SINK_TYPES.items() if s.name_zh == props["sink"])
            if props["cell"]:
                c = shapely.geometry.shape(f["geometry"]).centroid
                if 0 <= c.x < tiles.EXTENT and 0 <= c.y < tiles.EXTENT:
                    out[sink] += props["n"]
            else:
                codes[props["code"]] = sink
    out.update(Counter(codes.values()))
    return out


def test_every_parcel_is_drawn_once_at_every_zoom_generalised_or_itself(demo) -> None:  # type: ignore[no-untyped-def]
    """Generalisation keeps every parcel: at county zoom most are counted into cells, closer in
    they are themselves; either way the tiles add up to the 105 parcels by sink type."""
    source = tiles.TileSource(demo.db)
    bounds = tiles.parcels_bounds(demo)
    assert {k: n for k, (n, _) in tiles.parcel_summary(demo).items()} == BY_SINK
    cells_at = {}
    for z in (8, 10, 12, 13):
        drawn = tiles_over(source, bounds, z, lang="zh")
        assert counted(drawn) == Counter(BY_SINK), z
        cells_at[z] = sum(f["properties"]["cell"] for _, d in drawn for f in features(d))
    assert cells_at[8] > 0 and cells_at[13] < cells_at[8], cells_at  # coarse at county zoom, finer closer in


def test_a_cell_of_mixed_kinds_shows_each_by_its_share(service) -> None:  # type: ignore[no-untyped-def]
    """At county zoom a cell counting parcels of several sink types draws the largest share over
    the whole cell and each smaller share as a square of its share's area centred on it, drawn
    after (over) it, so no kind hides another (before, the last kind drawn covered the cell).
    Both makers (PostGIS on PostgreSQL, Python on both)."""
    from sinkledger.services.registry import SYSTEM_ACTOR

    service.register_party(SYSTEM_ACTOR, "p:col", party_id="COL-1", kind="collective", name="甲", county_code="330523")
    service.create_user(username="adm", password="password1", role="admin", party_id="REGISTRY", display_name="a")
    admin = service.actor("adm")
    # three 0.1 km squares about the centre of one zoom-8 cell (a zoom-7 cell holds it whole)
    x8, y8 = tile_of(119.60, 30.60, 8)
    xmin, ymin, _, _ = tiles.tile_bounds_m(8, x8, y8)
    cell = tiles._cell_size_m(8)[0]
    radius = tiles.HALF_WORLD_M / math.pi
    base_x, base_y = radius * math.radians(119.60), radius * math.log(math.tan(math.pi / 4 + math.radians(30.60) / 2))
    cx = xmin + (math.floor((base_x - xmin) / cell) + 0.5) * cell
    cy = ymin + (math.floor((base_y - ymin) / cell) + 0.5) * cell
    centre_lon, centre_lat = math.degrees(cx / radius), math.degrees(math.atan(math.sinh(cy / radius)))
    side = 0.001
    lon, lat = centre_lon - 1.7 * side, centre_lat - side / 2
    for n, (sink, dx) in enumerate([("bamboo_forest", 0.0), ("bamboo_forest", 0.0012), ("tea_garden", 0.0024)]):
        box = shapely.box(lon + dx, lat, lon + dx + side, lat + side)
        service.register_parcel(admin, f"mix:{n}", parcel_code=f"AJ-MIX-{n}", sink_type=sink,
                                holder_party_id="COL-1", geometry=shapely.geometry.mapping(box), county_code="330523")
    kind = tiles.spatial_index_kind_of(service.db)
    makers = [tiles._python_tile] + ([tiles._postgis_tile] if kind == "postgis" else [])
    for z in (7, 8):
        x, y = tile_of(centre_lon, centre_lat, z)
        for make in makers:
            drawn = [f for f in features(make(service.db, kind, z, x, y, "en", None)) if f["properties"]["cell"]]
            assert [(f["properties"]["sink"], f["properties"]["n"]) for f in drawn] == \
                [("Bamboo forest", 2), ("Tea garden", 1)], (z, make)
            whole, share = (shapely.geometry.shape(f["geometry"]) for f in drawn)
            assert whole.contains(share) and share.area < whole.area
            assert whole.centroid.distance(share.centroid) <= 1.5
            assert share.area / whole.area == pytest.approx(1 / 3, rel=0.15)  # the tea's third of the area


def test_a_close_tile_identifies_the_parcel_as_the_register_has_it(demo) -> None:  # type: ignore[no-untyped-def]
    parcel = demo.parcel("AJ-BF-0002")
    c = shapely.geometry.shape(parcel["geometry"]).representative_point()
    source = tiles.TileSource(demo.db)
    for lang in ("zh", "en"):
        found = [f for f in features(source.tile(16, *tile_of(c.x, c.y, 16), lang=lang))
                 if f["properties"]["code"] == "AJ-BF-0002" and f["geometry"]["type"] != "Point"]
        assert len(found) == 1
        props = found[0]["properties"]
        spec = SINK_TYPES[next(k for k in SINK_TYPES if k.value == parcel["sink_type"])]
        assert props["sink"] == (spec.name_zh if lang == "zh" else spec.name_en)
        assert props["holder"] == parcel["holder_name"] and props["cell"] == 0 and props["n"] == 1
        assert props["status"] == ("有效" if lang == "zh" else "Active") and props["state"] == "active"
        unit = "公顷" if lang == "zh" else "ha"
        assert props["area"].startswith(f'{parcel["area_ha"]:.2f} {unit} / ')
        assert [props[k] for k in "rgba"] == [*spec.colour_rgb, tiles.ALPHA["active"]]
    # the tile's polygon is the parcel, projected and quantised (EPSG:3857 grid of 4096 a tile)
    z, (x, y) = 16, tile_of(c.x, c.y, 16)
    xmin, ymin, xmax, ymax = tiles.tile_bounds_m(z, x, y)
    drawn = shapely.geometry.shape(found[0]["geometry"])
    drawn = shapely.transform(drawn, lambda xy: xy * [(xmax - xmin) / tiles.EXTENT, (ymax - ymin) / tiles.EXTENT]
                              + [xmin, ymin])
    grow = (xmax - xmin) * tiles.BUFFER / tiles.EXTENT
    expected = shapely.clip_by_rect(tiles.to_mercator(shapely.geometry.shape(parcel["geometry"])),
                                    xmin - grow, ymin - grow, xmax + grow, ymax + grow)
    assert shapely.intersection(drawn, expected).area / shapely.union(drawn, expected).area > 0.97


def labels(tile_list: list[tuple]) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Each label point of a set of tiles by its code: [(tile, (x, y) on the tile's grid)]."""
    out: dict[str, list[tuple]] = {}  # type: ignore[type-arg]
    for tile, data in tile_list:
        for f in features(data):
            if f["geometry"]["type"] == "Point":
                out.setdefault(f["properties"]["code"], []).append((tile, tuple(f["geometry"]["coordinates"])))
    return out


def test_close_tiles_label_parcels_once_inside_them_when_their_code_fits(demo) -> None:  # type: ignore[no-untyped-def]
    """From LABEL_ZOOM a parcel drawn whole whose code fits inside it on screen has one label
    point (its code, its properties, so it identifies the parcel too), in the one tile that holds
    it, inside the parcel; farther out none, and closer in every parcel has one. PostGIS's tiles
    label the same parcels at the same points (up to a grid unit)."""
    source = tiles.TileSource(demo.db)
    bounds = tiles.parcels_bounds(demo, holder="COL-0001")
    assert not labels(tiles_over(source, bounds, tiles.LABEL_ZOOM - 1, lang="en", holder="COL-0001"))
    kind = tiles.spatial_index_kind_of(demo.db)
    for z in (tiles.LABEL_ZOOM, 16):
        drawn = tiles_over(source, bounds, z, lang="en", holder="COL-0001")
        whole = {f["properties"]["code"] for _, d in drawn for f in features(d)
                 if f["geometry"]["type"] != "Point" and not f["properties"]["cell"]}
        found = labels(drawn)
        assert whole and set(found) <= whole, z
        for code, [((_, x, y), (gx, gy))] in found.items():  # one label each
            xmin, ymin, xmax, ymax = tiles.tile_bounds_m(z, x, y)
            unit = (xmax - xmin) / tiles.EXTENT
            at = shapely.Point(xmin + gx * unit, ymin + gy * unit)
            parcel = tiles.to_mercator(shapely.geometry.shape(demo.parcel(code)["geometry"]))
            assert parcel.buffer(unit).contains(at), (z, code)
        if kind == "postgis":
            for (tz, x, y), _ in drawn:
                python = labels([((tz, x, y), tiles._python_tile(demo.db, kind, tz, x, y, "en", "COL-0001"))])
                postgis = labels([((tz, x, y), tiles._postgis_tile(demo.db, kind, tz, x, y, "en", "COL-0001"))])
                assert set(python) == set(postgis), (tz, x, y)
                for code in python:
                    (_, a), (_, b) = python[code][0], postgis[code][0]
                    assert abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1, (tz, x, y, code)


def test_a_label_comes_when_the_code_fits_inside_the_parcel(demo) -> None:  # type: ignore[no-untyped-def]
    """A parcel whose code is wider than it at one zoom is not labelled there (codes would pile up
    over a county's small parcels) and is at a closer zoom; both makers agree."""
    every = tiles.parcels_in_bounds(demo, tiles.parcels_bounds(demo), limit=1000)
    smallest = min(every, key=lambda p: shapely.geometry.shape(p["geometry"]).bounds[2]
                   - shapely.geometry.shape(p["geometry"]).bounds[0])
    code, geom = smallest["parcel_code"], shapely.geometry.shape(smallest["geometry"])
    width_m = float(tiles.to_mercator(geom).bounds[2] - tiles.to_mercator(geom).bounds[0])
    needed_px = len(code) * tiles.LABEL_CHAR_PX + tiles.LABEL_PAD_PX
    tile_m = 2 * tiles.HALF_WORLD_M

    def labelled(z: int) -> bool:
        return any(code in labels([(t, tiles._python_tile(demo.db, kind, *t, "en", None))])
                   for t in tile_archive.tiles_over(geom.bounds, range(z, z + 1)))

    kind = tiles.spatial_index_kind_of(demo.db)
    fits = {z: width_m / (tile_m / (1 << z) / tiles.LABEL_TILE_PX) >= needed_px for z in range(tiles.LABEL_ZOOM, 19)}
    assert not all(fits.values()) and any(fits.values()), fits  # the demo parcel fits at some zooms only
    for z, fit in fits.items():
        assert labelled(z) == fit, z
        if kind == "postgis":
            assert any(code in labels([(t, tiles._postgis_tile(demo.db, kind, *t, "en", None))])
                       for t in tile_archive.tiles_over(geom.bounds, range(z, z + 1))) == fit, z


def test_the_map_layer_draws_the_label_points_as_codes() -> None:
    from sinkledger.ui import maps

    layer = maps.tiles_layer(7, "zh")  # pydeck sends strings as expressions: a literal is quoted
    assert layer.point_type == "text" and layer.get_text == "@@=properties.code"


def test_a_holders_tiles_hold_only_its_parcels(demo) -> None:  # type: ignore[no-untyped-def]
    source = tiles.TileSource(demo.db)
    own = tiles.parcel_summary(demo, holder="COL-0001")
    bounds = tiles.parcels_bounds(demo, holder="COL-0001")
    drawn = tiles_over(source, bounds, 13, lang="zh", holder="COL-0001")
    assert counted(drawn) == Counter({k: n for k, (n, _) in own.items()})
    assert sum(n for n, _ in own.values()) < N_DEMO
    holders = {f["properties"]["holder"] for _, d in drawn for f in features(d) if not f["properties"]["cell"]}
    assert holders and holders <= {demo.parcel("AJ-BF-0001")["holder_name"]}


def test_postgis_and_python_make_the_same_tiles(demo) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the tiles come from ST_AsMVT; the Python maker (SQLite's) gives the same
    features there, with the same text and colours (geometry equal up to quantisation)."""
    kind = tiles.spatial_index_kind_of(demo.db)
    assert kind == ("rtree" if demo.db.is_sqlite else "postgis")
    bounds = tiles.parcels_bounds(demo)
    for z in (9, 12, 14):
        x0, y1 = tile_of(bounds[0], bounds[1], z)
        x1, y0 = tile_of(bounds[2], bounds[3], z)
        for x, y in [(x0, y0), (x1, y1), ((x0 + x1) // 2, (y0 + y1) // 2)]:
            made = tiles._postgis_tile if kind == "postgis" else tiles._python_tile
            a = features(made(demo.db, kind, z, x, y, "en", None))
            b = features(tiles._python_tile(demo.db, kind, z, x, y, "en", None))
            key = lambda f: sorted(f["properties"].items())
            assert sorted(map(key, a)) == sorted(map(key, b)), (z, x, y)
            for fa, fb in zip(sorted(a, key=key), sorted(b, key=key)):
                ga, gb = shapely.geometry.shape(fa["geometry"]), shapely.geometry.shape(fb["geometry"])
                assert ga.symmetric_difference(gb).area <= 0.05 * max(ga.area, 1) + 64, (z, x, y, fa["properties"])


def test_bounding_box_reads_use_the_spatial_index_and_stop_at_the_limit(demo) -> None:  # type: ignore[no-untyped-def]
    bounds = tiles.parcels_bounds(demo)
    assert bounds is not None
    everything = tiles.parcels_in_bounds(demo, bounds, limit=1000)
    assert len(everything) == N_DEMO
    some = tiles.parcels_in_bounds(demo, bounds, limit=7)
    assert [p["parcel_code"] for p in some] == sorted(p["parcel_code"] for p in everything)[:7]
    p = demo.parcel("AJ-BF-0002")
    box = shapely.geometry.shape(p["geometry"]).bounds
    near = tiles.parcels_in_bounds(demo, box)
    assert "AJ-BF-0002" in {n["parcel_code"] for n in near} and len(near) < 10
    first = next(n for n in near if n["parcel_code"] == "AJ-BF-0002")
    assert first["holder_name"] == p["holder_name"] and first["area_ha"] == pytest.approx(p["area_ha"], abs=1e-4)
    assert shapely.geometry.shape(first["geometry"]).equals(shapely.geometry.shape(p["geometry"]))
    kind = tiles.spatial_index_kind_of(demo.db)
    sql = tiles.bounds_sql(kind, ("parcel_code", "holder_name", "geometry_wkb"), 1, 400)
    args = {"x0": 119.0, "y0": 30.0, "x1": 119.1, "y1": 30.1, "holder": None, "s0": "active"}
    with demo.db.read() as s:
        if demo.db.is_sqlite:  # the R*Tree drives the join: never a scan of the parcel table
            plan = [str(r[-1]) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql), args)]
            assert plan[0].startswith("SCAN r VIRTUAL TABLE INDEX"), plan
            assert any(p.startswith("SEARCH p USING INTEGER PRIMARY KEY") for p in plan), plan
        else:  # the GiST index of the geometry column
            s.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in s.execute(text("EXPLAIN " + sql), args))
            assert "ix_parcel_geom" in plan, plan
    listed = tiles.parcel_list(demo, holder="COL-0001", search="AJ-BF-000", limit=5)
    assert [r["parcel_code"] for r in listed] == sorted(r["parcel_code"] for r in listed)
    assert all(r["parcel_code"].startswith("AJ-BF-000") and r["holder_party_id"] == "COL-0001" for r in listed)
    assert tiles.parcel_list(demo, search="%") == []  # a LIKE wildcard is a character, not a pattern


def test_the_tile_route_over_real_http(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``/tiles/parcels/...`` as the browser gets it: a real uvicorn on a free port serving the
    app's routes (``app.py``'s ``ROUTES``) for this database."""
    import urllib.error
    import urllib.request

    from starlette.applications import Starlette

    from sinkledger.ui import routes

    routes._source = tiles.TileSource(demo.db)
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes.ROUTES), host="127.0.0.1", port=0,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        version = tiles.parcels_version(demo)
        c = shapely.geometry.shape(demo.parcel("AJ-BF-0002")["geometry"]).representative_point()
        x, y = tile_of(c.x, c.y, 15)

        def get(path: str) -> tuple[int, dict, bytes]:  # type: ignore[type-arg]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
                    return r.status, dict(r.headers), r.read()
            except urllib.error.HTTPError as e:
                return e.code, dict(e.headers), e.read()

        status, headers, body = get(f"/tiles/parcels/{version}/15/{x}/{y}.pbf?lang=en")
        assert status == 200 and headers["content-type"] == routes.MVT_MEDIA_TYPE
        assert headers["cache-control"] == "public, max-age=86400"
        assert "AJ-BF-0002" in {f["properties"]["code"] for f in features(body)}
        status, headers, _ = get(f"/tiles/parcels/{version - 1}/15/{x}/{y}.pbf?lang=en")  # an old page
        assert status == 200 and headers["cache-control"] == "no-cache"
        assert get(f"/tiles/parcels/{version}/15/0/0.pbf")[0] == 204  # the middle of the Pacific
        for bad in (f"/tiles/parcels/{version}/3/8/0.pbf", f"/tiles/parcels/{version}/23/0/0.pbf",
                    f"/tiles/parcels/{version}/15/{x}/{y}.pbf?lang=fr",
                    f"/tiles/parcels/{version}/15/{x}/{y}.pbf?holder=x'%20OR%201=1"):
            assert get(bad)[0] == 404, bad
    finally:
        server.should_exit = True
        thread.join(10)
        routes._source = None


def test_the_servers_warm_up_makes_the_overviews_tiles_before_anyone_asks(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``TileSource.warm`` (what the app server runs at its start): without archives (PostgreSQL)
    every tile of ``WARM_ZOOMS`` over the parcels, in both languages, is made into the cache, so
    the first visitor's overview makes none; with archives (SQLite) the background fill of the
    low zooms starts and stores them; before a schema exists, nothing is done and nothing fails."""
    from sinkledger.services.tile_archive import LANGS
    from sinkledger.services.tile_archive import tiles_over as every_tile

    source = tiles.TileSource(demo.db)
    wanted = every_tile(tiles.parcels_bounds(demo.db), tiles.WARM_ZOOMS)
    assert 2 <= len(wanted) < 50
    done = source.warm()
    assert done == {"version": tiles.parcels_version(demo), "archive_fill": False, "made": len(wanted) * len(LANGS)}
    for z, x, y in wanted:
        for lang in LANGS:
            source.tile(z, x, y, lang=lang)
    assert source.made == len(wanted) * len(LANGS)  # all served from the cache
    assert source.warm()["made"] == 0
    archived = tiles.TileSource(demo.db, tmp_path / "tiles", fill_in_background=True)
    assert archived.warm()["archive_fill"] is True
    archived._filling.join(120)
    z, x, y = wanted[-1]
    assert archived.archive("en").get(z, x, y) is not None and archived.archive("zh").get(*wanted[0]) is not None
    (tmp_path / "empty").mkdir()
    empty = Database(empty_database_url("sqlite", tmp_path / "empty"))
    assert tiles.TileSource(empty).warm() == {"version": 0, "archive_fill": False, "made": 0}


def test_a_tile_asked_for_twice_at_once_is_made_once_and_a_failed_maker_leaves_it_to_the_next(demo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The warm-up and a first visitor (or two visitors after a restart) asking for the same tile
    at once: one of them makes it, the others wait for it and get the same bytes. A maker that
    fails does not leave the others waiting: the next asker makes it."""
    source = tiles.TileSource(demo.db)
    z, x, y = next(iter(tiles.tiles_over(tiles.parcels_bounds(demo.db), range(9, 10))))
    real = tiles._postgis_tile if tiles.spatial_index_kind_of(demo.db) == "postgis" else tiles._python_tile
    calls: list[int] = []
    started = threading.Event()
    fail_first = {"on": False}  # the first maker of a round fails

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        started.set()
        time.sleep(0.3)
        if len(calls) == 1 and fail_first["on"]:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(tiles, "_postgis_tile", slow)
    monkeypatch.setattr(tiles, "_python_tile", slow)
    for fails in (False, True):
        fail_first["on"] = fails
        calls.clear()
        started.clear()
        source._cache.clear()
        got: dict[str, object] = {}

        def ask(name: str) -> None:
            try:
                got[name] = source.tile(z, x, y, lang="en")
            except RuntimeError as exc:
                got[name] = exc

        first = threading.Thread(target=ask, args=("first",))
        first.start()
        assert started.wait(10)
        others = [threading.Thread(target=ask, args=(f"other{i}",)) for i in range(3)]
        for thread in others:
            thread.start()
        for thread in (first, *others):
            thread.join(30)
        answers = [got[f"other{i}"] for i in range(3)]
        if fails:
            assert isinstance(got["first"], RuntimeError) and len(calls) == 2
        else:
            assert len(calls) == 1 and got["first"] == answers[0]
        assert all(isinstance(a, bytes) and a and a == answers[0] for a in answers)
        assert not source._making


def test_the_app_servers_warm_up_imports_the_pages_libraries_and_warms_the_tiles(demo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``sinkledger.ui.warmup.warm`` on the database the settings name: the libraries imported, the
    tiles warmed through the tile route's own source; no page module imported (a page module
    imported outside Streamlit's runtime registers its components there)."""
    import sys

    from sinkledger.ui import routes, warmup

    monkeypatch.setattr(routes, "_source", tiles.TileSource(demo.db))
    monkeypatch.setattr(warmup, "QUIET_S", 0.0)  # the other language's tiles at once, the server being quiet
    done = warmup.warm()
    assert done["tiles"]["made"] > 0 and done["seconds"] >= done["imports_s"] >= 0
    assert done["tiles_later"]["made"] == done["tiles"]["made"]  # the same tiles in the other language
    assert all(name in sys.modules for name in warmup.MODULES)
    pages = {"sinkledger.ui.maps", "sinkledger.ui.register", "sinkledger.ui.common"}
    assert not pages & set(warmup.MODULES)
    assert not [m for m in warmup.MODULES if m.startswith("streamlit_")]


def test_the_mvt_worker_is_served_locally_and_matches_streamlits_deck_gl() -> None:
    """deck.gl loads the worker of its own @loaders.gl/mvt version: the copy in static/ must be it."""
    import streamlit

    worker = REPO_ROOT / maps.MVT_WORKER_URL.removeprefix("/app/")
    assert worker.is_file() and worker.stat().st_size > 50_000
    bundle = "".join(p.read_text(encoding="utf-8", errors="replace") for p in
                     (Path(streamlit.__file__).parent / "static" / "static" / "js").glob("DeckGlJsonChart*.js"))
    found = re.search(r"id:`mvt`,module:`mvt`.{0,400}?},(\w+)=`([0-9.]+)`", bundle)
    assert found, "Streamlit's deck.gl bundle no longer names its @loaders.gl/mvt version"
    assert found.group(2) in (REPO_ROOT / "static" / "README.md").read_text(encoding="utf-8")
    assert "unpkg.com" not in worker.read_text(encoding="utf-8", errors="replace")


def test_tiles_follow_every_parcel_change(demo) -> None:  # type: ignore[no-untyped-def]
    """A registration and a retirement make a new parcels version: the cached tile is not served
    again, the new parcel appears, the retired one is drawn paler with its status."""
    from tests.ui.scenario import square

    source = tiles.TileSource(demo.db)
    geometry = square("drawn", size=0.004)
    c = shapely.geometry.shape(geometry).centroid
    z, (x, y) = 15, tile_of(c.x, c.y, 15)
    before_version, before = source.version(), source.tile(z, x, y, lang="en")
    assert "AJ-BF-0970" not in {f["properties"]["code"] for f in features(before)}
    coop = demo.actor("coop")
    demo.register_parcel(coop, "tiles:register", parcel_code="AJ-BF-0970", sink_type="bamboo_forest",
                         holder_party_id="COL-0001", geometry=geometry, county_code="330523")
    assert source.version() > before_version
    after = {f["properties"]["code"]: f["properties"] for f in features(source.tile(z, x, y, lang="en"))}
    assert after["AJ-BF-0970"]["state"] == "active" and after["AJ-BF-0970"]["a"] == tiles.ALPHA["active"]
    demo.retire_parcel(coop, "tiles:retire", parcel_code="AJ-BF-0970", retired_from="2026-01-01",
                       reason="test")
    retired = {f["properties"]["code"]: f["properties"] for f in features(source.tile(z, x, y, lang="en"))}
    assert retired["AJ-BF-0970"]["state"] == "retired" and retired["AJ-BF-0970"]["a"] == tiles.ALPHA["retired"]
    assert retired["AJ-BF-0970"]["status"] == "Retired from monitoring"
    assert source.made == 3  # three versions, three tiles made; nothing served stale from the cache
    source.tile(z, x, y, lang="en")
    assert source.made == 3  # the same version again: from the cache


def _postgresql_tables_left_unanalysed_get_their_statistics(db) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: a table filled and never analysed (autovacuum off, as on the test server, or
    behind a bulk load) is analysed by ``refresh_statistics``; then nothing is stale."""
    from sinkledger.db.database import PG_STALE_TABLES_SQL

    with db.engine.connect() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS stats_probe")
        conn.exec_driver_sql("CREATE TABLE stats_probe (x integer)")
        conn.exec_driver_sql("INSERT INTO stats_probe SELECT generate_series(1, 5000)")
        conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")  # the insert's counts, at this commit
        conn.commit()
    try:
        with db.engine.connect() as conn:
            assert "stats_probe" in conn.exec_driver_sql(PG_STALE_TABLES_SQL).scalars().all()
        db.refresh_statistics()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql(PG_STALE_TABLES_SQL).scalars().all() == []
            analysed, rows = conn.exec_driver_sql(
                "SELECT s.last_analyze IS NOT NULL, c.reltuples FROM pg_stat_user_tables s JOIN pg_class c "
                "ON c.oid = s.relid WHERE s.relname = 'stats_probe'").one()
        assert analysed and rows == 5000
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS stats_probe")


def test_sqlites_planner_has_the_tables_statistics_and_reads_a_holders_parcels_by_its_index(demo) -> None:  # type: ignore[no-untyped-def]
    """The demo's seeding ends with ``Database.refresh_statistics`` (ANALYZE, sampled): SQLite
    then reads one holder's parcels through the holder index. Without statistics it took the
    status index, every active parcel (63 ms a query on the county dataset against 0.4 ms).
    PostgreSQL: the tables whose statistics are missing are analysed."""
    if not demo.db.is_sqlite:
        _postgresql_tables_left_unanalysed_get_their_statistics(demo.db)
        return
    sql = ("EXPLAIN QUERY PLAN SELECT sink_type, count(*), sum(area_m2) FROM parcel "
           "WHERE status = 'active' AND holder_party_id = 'COL-0001' GROUP BY sink_type")
    with demo.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'parcel'")).scalar() > 0
        plan = " ".join(str(r[-1]) for r in conn.execute(text(sql)))
    assert "ix_parcel_holder_party_id" in plan, plan
