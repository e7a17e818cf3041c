"""Parcels as Mapbox vector tiles, and the bounding-box reads the map pages use (issue 17).

No page loads every parcel: the overview and a holder's map draw ``MVTLayer`` tiles served by the
app (``/tiles/parcels/...``, :mod:`sinkledger.ui.routes`), and the drawing page reads the parcels
near a place through the spatial index.

A tile (Web Mercator ``z/x/y``, one layer ``parcels``) holds the active and retired parcels that
meet it, with what the map shows on a click: the parcel code, sink type, holder, area and status
as text in the page's language, and the fill colour (``r, g, b, a``: sink type, paler when
retired; ``n``, and ``cell`` = 1 for a generalised cell). Tiles are **generalised**: a parcel smaller than :data:`SMALL_PX` pixels at the tile's
zoom is not drawn on its own but counted into a cell of :data:`CELL_PX` pixels, one square per
cell, sink type and status (``n`` parcels, their summed area), the way tippecanoe keeps tiny
polygons visible at low zoom; bigger parcels are simplified to the tile's grid. At county zoom a
100,000-parcel county is a few thousand squares; from about zoom 14 every parcel is itself.

Two makers, one result: on PostgreSQL with PostGIS, ``ST_AsMVT`` over the GiST index; on SQLite
(and PostgreSQL without PostGIS), the R*Tree (or the B-tree fallback) picks the parcels, shapely
generalises them and ``mapbox-vector-tile`` encodes. Tiles are cached in memory per
:func:`parcels_version`, the latest journal entry that wrote a parcel version, so a registration,
a split or a retirement shows at once and nothing else empties the cache.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mapbox_vector_tile
import numpy as np
import shapely
from sqlalchemy import func, text
from sqlmodel import select

from ledger.store import PartyRow
from sinkledger.catalogue import ui_text
from sinkledger.services.tile_archive import (
    ARCHIVE_MAX_ZOOM,
    FILL_ZOOMS,
    LANGS,
    TileArchive,
    archive_folder,
    tiles_over,
)
from sinks import SINK_TYPES, SinkType
from sinks.geometry import M2_PER_HA
from sinks.store import ACTIVE, RETIRED, ParcelRow, ParcelVersionRow, spatial_index_kind

if TYPE_CHECKING:  # for annotations only
    from sinkledger.db.database import Database

LAYER = "parcels"
TILE_FORMAT = "2"  # raise with any change to what a tile holds: archived tiles of another format are made anew
EXTENT = 4096  # MVT grid units per tile side
BUFFER = 64  # grid units drawn beyond the tile's edge (no seams at polygon borders)
TILE_PX = 256  # deck.gl's tile size on screen
CELL_PX = 2  # a generalised cell: 2 x 2 screen pixels
SMALL_PX = 4  # parcels narrower and lower than this are counted into cells
MAX_ZOOM = 22
SHOWN = (ACTIVE, RETIRED)  # split, merged and deleted parcels are superseded: not drawn
ALPHA = {ACTIVE: 190, RETIRED: 70}
LABEL_ZOOM = 15  # from this zoom a parcel drawn whole may have a label point (its code) ...
LABEL_TILE_PX = 360  # ... when its code fits inside it with the tile drawn this wide (512 px at its
LABEL_CHAR_PX = 7.2  # own zoom, about 0.7 of that just before the next zoom's tiles come): the
LABEL_PAD_PX = 8     # code's width (12 px text, 0.6 em a character, a margin) and its height
LABEL_HEIGHT_PX = 16
HALF_WORLD_M = 20037508.342789244  # Web Mercator half-width
EARTH_R_M = 6378137.0
CACHE_TILES = 4096
# zooms the app server makes at its start (:meth:`TileSource.warm`): a county's overview opens at
# about zoom 8.3 in a wide window (deck.gl asks for its 6 zoom-9 tiles), 7.x in a narrow one (zoom
# 8: 4 tiles). Only these: a low-zoom tile generalises every parcel (0.1-0.4 s of ST_AsMVT each),
# and a warm-up making dozens would hold the database's cores while the first visitors come.
WARM_ZOOMS = range(8, 10)
MAKING_WAIT_S = 30.0  # how long an asker waits for a tile another caller is making, before making it itself
MU_PER_HA = 15
LOG = logging.getLogger("sinkledger.tiles")


# -- tile geometry ---------------------------------------------------------------------------

def tile_bounds_m(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of tile ``z/x/y`` in EPSG:3857 metres."""
    size = 2 * HALF_WORLD_M / (1 << z)
    return (-HALF_WORLD_M + x * size, HALF_WORLD_M - (y + 1) * size,
            -HALF_WORLD_M + (x + 1) * size, HALF_WORLD_M - y * size)


def tile_bounds_lonlat(z: int, x: int, y: int, margin: float = 0.0) -> tuple[float, float, float, float]:
    """(west, south, east, north) of tile ``z/x/y`` in degrees, grown by ``margin`` of its side."""
    n = 1 << z

    def lon(tx: float) -> float:
        return tx / n * 360.0 - 180.0

    def lat(ty: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * ty / n))))

    return (lon(x - margin), lat(y + 1 + margin), lon(x + 1 + margin), lat(y - margin))


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def to_mercator(geoms: np.ndarray) -> np.ndarray:
    """Lon/lat (EPSG:4490, which equals WGS 84 at map scale) to Web Mercator metres."""
    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = coords[:, 0], np.clip(coords[:, 1], -85.06, 85.06)
        return np.column_stack([np.radians(lon) * EARTH_R_M,
                                np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * EARTH_R_M])
    return shapely.transform(geoms, project)


# -- labels (the text a click shows, in the page's language) ----------------------------------

def sink_text(sink_type: str, lang: str) -> str:
    spec = SINK_TYPES[SinkType(sink_type)]
    return spec.name_zh if lang == "zh" else spec.name_en


def status_text(status: str, lang: str) -> str:
    return ui_text(f"parcel_status_{status}", lang)


def area_text(area_m2: float, lang: str) -> str:
    ha = area_m2 / M2_PER_HA
    return f'{ha:.2f} {ui_text("tile_ha_unit", lang)} / {ha * MU_PER_HA:.0f} {ui_text("tile_mu_unit", lang)}'


def fill_rgba(sink_type: str, status: str) -> tuple[int, int, int, int]:
    r, g, b = SINK_TYPES[SinkType(sink_type)].colour_rgb
    return r, g, b, ALPHA[status]


# -- the tile makers --------------------------------------------------------------------------

class TileSource:
    """Vector tiles of the parcels of one database, with an in-memory cache per parcels version
    and, on SQLite with ``archive_dir``, MBTiles archives on disk (:mod:`sinkledger.services.tile_archive`)."""

    def __init__(self, db: Database, archive_dir: Path | None = None, *, fill_in_background: bool = False) -> None:
        self.db = db
        self.archive_dir = archive_dir
        self.fill_in_background = fill_in_background
        self._archives: dict[str, TileArchive] = {}
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[tuple, threading.Event] = {}  # tiles being made now: another asker waits for them
        self._filling: threading.Thread | None = None
        self._filled_version: int | None = None
        self.made = 0  # tiles made (not from the cache nor an archive): tests and the benchmark read it

    @classmethod
    def from_settings(cls, settings: Any) -> TileSource:
        """A tile source on the database the settings name (the app server's own engine); on
        SQLite with its archives beside the database, the low zooms made ahead in the background."""
        from sinkledger.db.database import Database  # deferred: the tile route loads the database layer on its first tile

        return cls(Database.from_settings(settings), archive_folder(settings.database_url), fill_in_background=True)

    def archive(self, lang: str) -> TileArchive | None:
        if self.archive_dir is None:
            return None
        with self._lock:
            if lang not in self._archives:
                self._archives[lang] = TileArchive(self.archive_dir, lang, LAYER, TILE_FORMAT)
            return self._archives[lang]

    def fill(self, zooms: range = FILL_ZOOMS, langs: Iterable[str] = LANGS,
             progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Make ahead, into the archives, every tile of ``zooms`` over the parcels not stored yet
        (what an overview draws first). Stops early when the parcels change meanwhile."""
        version = self.version()
        bounds = parcels_bounds(self.db)
        todo = [(lang, t) for lang in langs for t in (tiles_over(bounds, zooms) if bounds and version else [])]
        made = stored = 0
        kind = spatial_index_kind_of(self.db) if todo else ""
        for i, (lang, (z, x, y)) in enumerate(todo):
            archive = self.archive(lang)
            if archive is None or self.version() != version:
                break
            archive.sync(self.db, version)
            if archive.get(z, x, y) is None:
                archive.put(z, x, y, _python_tile(self.db, kind, z, x, y, lang, None), version)
                made += 1
            else:
                stored += 1
            if progress is not None:
                progress(i + 1, len(todo))
        return {"version": version, "tiles": len(todo), "made": made, "already_stored": stored,
                "archives": [str(self.archive(lang).path) for lang in langs] if self.archive_dir else []}

    def _fill_later(self, version: int) -> None:
        """Start the background fill once per parcels version (the app server's source only)."""
        with self._lock:
            if not self.fill_in_background or self._filled_version == version or \
                    (self._filling is not None and self._filling.is_alive()):
                return
            self._filled_version = version
            self._filling = threading.Thread(target=self._fill_quietly, name="tile-fill", daemon=True)
            self._filling.start()

    def _fill_quietly(self) -> None:
        try:
            self.fill()
        except Exception:  # the fill only saves later work; a failure is logged, tiles are made on request
            LOG.exception("filling the tile archives failed")

    def warm(self, zooms: range = WARM_ZOOMS, langs: Iterable[str] = LANGS) -> dict[str, Any]:
        """What the app server does at its start, so that the first visitor's overview is served
        from memory: on SQLite (archives), the background fill of the low zooms, once per parcels
        version (nothing when the archives hold them); on PostgreSQL, every tile of ``zooms`` over
        the parcels, made into the in-memory cache."""
        if not self.db.has_schema():  # a first start: the first page creates and seeds the database
            return {"version": 0, "archive_fill": False, "made": 0}
        version = self.version()
        if self.archive_dir is not None:
            self._fill_later(version)
            return {"version": version, "archive_fill": True, "made": 0}
        bounds = parcels_bounds(self.db) if version else None
        before = self.made
        for lang in langs:  # the default language first
            for z, x, y in sorted(tiles_over(bounds, zooms) if bounds else [], key=lambda t: -t[0]):
                if self.version() != version:
                    break
                self.tile(z, x, y, lang=lang)
        return {"version": version, "archive_fill": False, "made": self.made - before}

    def version(self) -> int:
        return parcels_version(self.db)

    def tile(self, z: int, x: int, y: int, *, lang: str = "zh", holder: str | None = None) -> bytes:
        """Tile ``z/x/y`` (all shown parcels, or those of ``holder``); b"" when it holds none."""
        return self.tile_and_version(z, x, y, lang=lang, holder=holder)[0]

    def tile_and_version(self, z: int, x: int, y: int, *, lang: str = "zh",
                         holder: str | None = None) -> tuple[bytes, int]:
        """:meth:`tile` and the parcels version it was made for (the tile route's cache header
        compares it with the address's, without reading the version again)."""
        if not valid_tile(z, x, y):
            raise ValueError(f"no tile {z}/{x}/{y}")
        lang = "zh" if lang == "zh" else "en"
        version = self.version()
        if version == 0:  # no schema yet (first start) or no parcel ever registered
            return b"", version
        key = (version, z, x, y, lang, holder or "")
        while True:
            with self._lock:
                found = self._cache.get(key)
                if found is not None:
                    self._cache.move_to_end(key)
                    return found, version
                making = self._making.get(key)
                if making is None:  # this caller makes it; any other asker meanwhile waits for it
                    making = self._making[key] = threading.Event()
                    break
            # the same tile asked twice at once (the warm-up and the first visitor, or two visitors
            # after a restart) is made once; if its maker failed, the next asker makes it
            if not making.wait(MAKING_WAIT_S):
                return self._make(key, z, x, y, lang, holder, version), version  # its maker is stuck: as before
        try:
            return self._make(key, z, x, y, lang, holder, version), version
        finally:
            with self._lock:
                self._making.pop(key, None)
            making.set()

    def _make(self, key: tuple, z: int, x: int, y: int, lang: str, holder: str | None, version: int) -> bytes:
        archive = self.archive(lang) if holder is None and z <= ARCHIVE_MAX_ZOOM else None
        data: bytes | None = None
        if archive is not None:
            archive.sync(self.db, version)
            self._fill_later(version)
            data = archive.get(z, x, y)
        if data is None:
            kind = spatial_index_kind_of(self.db)
            data = (_postgis_tile if kind == "postgis" else _python_tile)(self.db, kind, z, x, y, lang, holder)
            with self._lock:
                self.made += 1
            if archive is not None:
                archive.put(z, x, y, data, version)
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > CACHE_TILES:
                self._cache.popitem(last=False)
        return data


def _db(source: Any) -> Database:
    """The database of a :class:`~sinkledger.services.registry.Service`, or the database itself."""
    return getattr(source, "db", source)


def parcels_version(db: Any) -> int:
    """The latest journal entry that wrote a parcel version (0 with none): every change to what a
    tile shows (registration, import, split, merge, retirement, correction) writes one. One look-up
    on the ``parcel_version.seq`` index."""
    db = _db(db)
    if not db.has_schema():
        return 0
    with db.read() as s:
        return int(s.exec(select(func.max(ParcelVersionRow.seq))).one() or 0)


def spatial_index_kind_of(db: Database) -> str:
    with db.read() as s:
        return spatial_index_kind(s)


def _cell_size_m(z: int) -> tuple[float, float]:
    size = 2 * HALF_WORLD_M / (1 << z)
    px = size / TILE_PX
    return px * CELL_PX, px * SMALL_PX


def _python_tile(db: Database, kind: str, z: int, x: int, y: int, lang: str, holder: str | None) -> bytes:
    margin = BUFFER / EXTENT
    rows = _rows_in_bounds(db, kind, tile_bounds_lonlat(z, x, y, margin), statuses=SHOWN, holder=holder,
                           columns=_TILE_COLUMNS)
    if not rows:
        return b""
    xmin, ymin, xmax, ymax = tile_bounds_m(z, x, y)
    grow = (xmax - xmin) * margin
    geoms = to_mercator(shapely.from_wkb([r["geometry_wkb"] for r in rows]))
    cell, small = _cell_size_m(z)
    b = shapely.bounds(geoms)
    is_small = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) < small
    features: list[dict[str, Any]] = []
    big = np.flatnonzero(~is_small)
    if len(big):
        unit = (xmax - xmin) / EXTENT
        clipped = shapely.clip_by_rect(geoms[big], xmin - grow, ymin - grow, xmax + grow, ymax + grow)
        clipped = shapely.simplify(clipped, unit / 2, preserve_topology=True)
        for i, geom in zip(big, clipped):
            if geom.is_empty or geom.area == 0:
                continue
            r = rows[i]
            features.append({"geometry": geom, "properties": _parcel_properties(r, lang)})
        if z >= LABEL_ZOOM:  # a label point inside each parcel its code fits in, in the one tile that holds it
            m_per_px = (xmax - xmin) / LABEL_TILE_PX
            wide = b[big, 2] - b[big, 0] >= m_per_px * (np.array([len(rows[i]["parcel_code"]) for i in big])
                                                       * LABEL_CHAR_PX + LABEL_PAD_PX)
            high = b[big, 3] - b[big, 1] >= m_per_px * LABEL_HEIGHT_PX
            fits = big[wide & high]
            points = shapely.point_on_surface(geoms[fits])
            for i, (px, py) in zip(fits, shapely.get_coordinates(points)):
                if xmin <= px < xmax and ymin <= py < ymax:
                    features.append({"geometry": shapely.Point(px, py), "properties": _parcel_properties(rows[i], lang)})
    cells: dict[tuple[int, int, str, str], list[float]] = {}
    centres = shapely.get_coordinates(shapely.centroid(geoms[is_small])) if is_small.any() else np.empty((0, 2))
    for i, (cx, cy) in zip(np.flatnonzero(is_small), centres):
        if not (xmin - grow <= cx <= xmax + grow and ymin - grow <= cy <= ymax + grow):
            continue
        ix, iy = math.floor((cx - xmin) / cell), math.floor((cy - ymin) / cell)
        r = rows[i]
        found = cells.setdefault((ix, iy, r["sink_type"], r["status"]), [0, 0.0])
        found[0] += 1
        found[1] += r["area_m2"]
    by_cell: dict[tuple[int, int], list[tuple[float, str, str, int]]] = {}
    for (ix, iy, sink_type, status), (n, area_m2) in cells.items():
        by_cell.setdefault((ix, iy), []).append((area_m2, sink_type, status, int(n)))
    # A cell holding parcels of several kinds: the largest share fills it, each smaller one is a
    # square centred in it with the area of its share, drawn over it (no kind hides another).
    for (ix, iy), shares in sorted(by_cell.items()):
        shares.sort(key=lambda e: (-e[0], e[1], e[2]))
        total = sum(e[0] for e in shares) or 1.0
        cx, cy = xmin + (ix + 0.5) * cell, ymin + (iy + 0.5) * cell
        for k, (area_m2, sink_type, status, n) in enumerate(shares):
            half = cell / 2 if k == 0 else cell * math.sqrt(area_m2 / total) / 2
            features.append({"geometry": shapely.box(cx - half, cy - half, cx + half, cy + half),
                             "properties": _cell_properties(sink_type, status, n, area_m2, lang)})
    if not features:
        return b""
    # Onto the tile's grid here, vectorised: integer units, y up, exteriors clockwise (what the
    # encoder expects); its own per-coordinate quantising and winding checks in Python cost
    # ~2 ms a feature, most of a county-zoom tile's time.
    scale = EXTENT / (xmax - xmin)
    grid = shapely.transform(np.array([f["geometry"] for f in features], dtype=object),
                             lambda c: np.round((c - [xmin, ymin]) * scale))
    grid = shapely.orient_polygons(grid, exterior_cw=True)
    kept = [{"geometry": g, "properties": f["properties"]} for f, g in zip(features, grid)
            if not g.is_empty and (g.area > 0 or g.geom_type == "Point")]
    if not kept:
        return b""
    return mapbox_vector_tile.encode([{"name": LAYER, "features": kept}],
                                     default_options={"extents": EXTENT, "check_winding_order": False})


def _parcel_properties(r: dict[str, Any], lang: str) -> dict[str, Any]:
    red, green, blue, alpha = fill_rgba(r["sink_type"], r["status"])
    return {"code": r["parcel_code"], "sink": sink_text(r["sink_type"], lang), "holder": r["holder_name"] or "",
            "area": area_text(r["area_m2"], lang), "status": status_text(r["status"], lang),
            "state": r["status"], "n": 1, "cell": 0, "r": red, "g": green, "b": blue, "a": alpha}


def _cell_properties(sink_type: str, status: str, n: int, area_m2: float, lang: str) -> dict[str, Any]:
    red, green, blue, alpha = fill_rgba(sink_type, status)
    return {"code": ui_text("tile_cell", lang, n=n), "sink": sink_text(sink_type, lang), "holder": "",
            "area": area_text(area_m2, lang), "status": status_text(status, lang), "state": status, "n": n,
            "cell": 1, "r": red, "g": green, "b": blue, "a": alpha}


def _postgis_tile(db: Database, kind: str, z: int, x: int, y: int, lang: str, holder: str | None) -> bytes:
    """The same tile made by PostGIS (``ST_AsMVT``), labels and colours bound as parameters."""
    cell, small = _cell_size_m(z)
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER,
                              "margin": BUFFER / EXTENT, "cell": cell, "small": small, "holder": holder, "label_zoom": LABEL_ZOOM,
                              "m_per_px": (2 * HALF_WORLD_M / (1 << z)) / LABEL_TILE_PX, "char_px": LABEL_CHAR_PX,
                              "pad_px": LABEL_PAD_PX, "height_px": LABEL_HEIGHT_PX,
                              "active": ACTIVE, "retired": RETIRED, "layer": LAYER,
                              "ha_unit": ui_text("tile_ha_unit", lang), "mu_unit": ui_text("tile_mu_unit", lang),
                              # the cell's text for many parcels, its count filled in by the query; one is its own text
                              "cell_text": ui_text("tile_cell", lang, n="{n}"), "cell_one": ui_text("tile_cell", lang, n=1)}
    sink_cases, colour_cases = [], {c: [] for c in "rgb"}
    for i, (sink_type, spec) in enumerate(SINK_TYPES.items()):
        params[f"sk{i}"], params[f"sl{i}"] = sink_type.value, sink_text(sink_type.value, lang)
        sink_cases.append(f"WHEN :sk{i} THEN :sl{i}")
        for c, v in zip("rgb", spec.colour_rgb):
            params[f"{c}{i}"] = v
            colour_cases[c].append(f"WHEN :sk{i} THEN :{c}{i}")
    for status in SHOWN:
        params[f"st_{status}"], params[f"a_{status}"] = status_text(status, lang), ALPHA[status]

    def case(column: str, whens: list[str]) -> str:
        return f"CASE {column} {' '.join(whens)} END"

    status_case = f"CASE status WHEN :active THEN :st_{ACTIVE} ELSE :st_{RETIRED} END"
    alpha_case = f"CASE status WHEN :active THEN :a_{ACTIVE} ELSE :a_{RETIRED} END"
    area = ("to_char({a} / 10000.0, 'FM999999990.00') || ' ' || :ha_unit || ' / ' || "
            "to_char(round({a} * 15 / 10000.0), 'FM999999990') || ' ' || :mu_unit")
    colours = ", ".join(f"{case('sink_type', colour_cases[c])} AS {c}" for c in "rgb")
    sql = f"""
WITH t AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env, ST_TileEnvelope(:z, :x, :y, margin => :margin) AS benv),
p AS (SELECT p.parcel_code, p.sink_type, p.status, pa.name AS holder, p.area_m2,
             ST_Transform(p.geom, 3857) AS g
      FROM parcel p JOIN party pa ON pa.id = p.holder_party_id, t
      WHERE p.geom && ST_Transform(t.benv, 4490) AND p.status IN (:active, :retired)
        AND (CAST(:holder AS text) IS NULL OR p.holder_party_id = :holder)),
q AS (SELECT *, greatest(ST_XMax(g) - ST_XMin(g), ST_YMax(g) - ST_YMin(g)) < :small AS is_small FROM p),
big AS (SELECT ST_AsMVTGeom(q.g, t.env, :extent, :buffer, true) AS geom, parcel_code AS code,
               {case('sink_type', sink_cases)} AS sink, coalesce(holder, '') AS holder,
               {area.format(a='area_m2')} AS area, {status_case} AS status, status AS state,
               1 AS n, 0 AS cell, {colours}, {alpha_case} AS a
        FROM q, t WHERE NOT q.is_small),
cells0 AS (SELECT floor((ST_X(c) - ST_XMin(t.env)) / :cell) AS ix, floor((ST_Y(c) - ST_YMin(t.env)) / :cell) AS iy,
                  sink_type, status, count(*) AS n, sum(area_m2) AS area_m2
           FROM (SELECT ST_Centroid(g) AS c, sink_type, status, area_m2 FROM q WHERE q.is_small) s, t
           WHERE ST_Intersects(s.c, t.benv)
           GROUP BY 1, 2, sink_type, status),
-- the largest share of a cell fills it; each smaller one is a centred square of its share's area
cells AS (SELECT *, CASE WHEN row_number() OVER w = 1 THEN :cell / 2.0
                         ELSE :cell * sqrt(area_m2 / greatest(sum(area_m2) OVER (PARTITION BY ix, iy), 1e-9)) / 2.0
                    END AS half,
                 row_number() OVER w AS k
          FROM cells0 WINDOW w AS (PARTITION BY ix, iy ORDER BY area_m2 DESC, sink_type, status)),
small AS (SELECT ST_AsMVTGeom(ST_MakeEnvelope(ST_XMin(t.env) + (ix + 0.5) * :cell - half,
                                              ST_YMin(t.env) + (iy + 0.5) * :cell - half,
                                              ST_XMin(t.env) + (ix + 0.5) * :cell + half,
                                              ST_YMin(t.env) + (iy + 0.5) * :cell + half,
                                              3857), t.env, :extent, :buffer, true) AS geom, ix, iy, k,
                 CASE WHEN n = 1 THEN :cell_one ELSE replace(:cell_text, '{{n}}', n::text) END AS code, {case('sink_type', sink_cases)} AS sink,
                 '' AS holder, {area.format(a='area_m2')} AS area, {status_case} AS status, status AS state,
                 n::int AS n, 1 AS cell, {colours}, {alpha_case} AS a
          FROM cells, t),
labels AS (SELECT ST_AsMVTGeom(l.pt, t.env, :extent, 0, false) AS geom, parcel_code AS code,
                  {case('sink_type', sink_cases)} AS sink, coalesce(holder, '') AS holder,
                  {area.format(a='area_m2')} AS area, {status_case} AS status, status AS state,
                  1 AS n, 0 AS cell, {colours}, {alpha_case} AS a
           FROM (SELECT *, ST_PointOnSurface(g) AS pt FROM q WHERE :z >= :label_zoom AND NOT q.is_small
                   AND ST_XMax(g) - ST_XMin(g) >= :m_per_px * (length(parcel_code) * :char_px + :pad_px)
                   AND ST_YMax(g) - ST_YMin(g) >= :m_per_px * :height_px) l, t
           WHERE ST_X(l.pt) >= ST_XMin(t.env) AND ST_X(l.pt) < ST_XMax(t.env)
             AND ST_Y(l.pt) >= ST_YMin(t.env) AND ST_Y(l.pt) < ST_YMax(t.env)),
rows AS (SELECT * FROM big WHERE geom IS NOT NULL
         UNION ALL (SELECT geom, code, sink, holder, area, status, state, n, cell, r, g, b, a FROM small
                    WHERE geom IS NOT NULL ORDER BY ix, iy, k)
         UNION ALL SELECT * FROM labels WHERE geom IS NOT NULL)
SELECT ST_AsMVT(rows.*, :layer, :extent, 'geom') FROM rows"""
    with db.read() as s:
        data = s.exec(text(sql).params(**params)).one()[0]
    return bytes(data or b"")


# -- bounding-box reads through the spatial index ---------------------------------------------

_TILE_COLUMNS = ("parcel_code", "sink_type", "status", "holder_name", "area_m2", "geometry_wkb")


def _rows_in_bounds(db: Database, kind: str, bounds: tuple[float, float, float, float], *,
                    statuses: Iterable[str], holder: str | None, columns: Iterable[str],
                    limit: int | None = None) -> list[dict[str, Any]]:
    """Parcels (of ``statuses``, of ``holder`` if given) whose bounding box meets ``bounds``
    (lon/lat), read through the spatial index: the R*Tree drives the join on SQLite (``CROSS
    JOIN`` fixes the order, so the planner never scans the status index), the GiST index on
    PostGIS, the ``(status, min_lon)`` index otherwise."""
    x0, y0, x1, y1 = bounds
    statuses = list(statuses)
    params: dict[str, Any] = {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "holder": holder,
                              **{f"s{i}": s for i, s in enumerate(statuses)}}
    if kind not in ("rtree", "postgis"):
        with db.read() as s:
            params["widest"] = s.exec(select(func.max(ParcelRow.lon_span))).one() or 0.0
    sql = bounds_sql(kind, columns, len(statuses), limit)
    with db.read() as s:
        result = s.exec(text(sql).params(**params))
        keys = list(result.keys())
        return [dict(zip(keys, row)) for row in result]


def bounds_sql(kind: str, columns: Iterable[str], n_statuses: int, limit: int | None = None) -> str:
    """The bounding-box query for a spatial index ``kind`` (binds ``x0 y0 x1 y1 holder s0..``)."""
    names = ", ".join(f":s{i}" for i in range(n_statuses))
    wanted = ", ".join("pa.name AS holder_name" if c == "holder_name" else f"p.{c}" for c in columns)
    filters = f"p.status IN ({names}) AND (CAST(:holder AS TEXT) IS NULL OR p.holder_party_id = :holder)"
    if kind == "rtree":
        sql = (f"SELECT {wanted} FROM parcel_rtree r CROSS JOIN parcel p ON p.id = r.id "
               f"LEFT JOIN party pa ON pa.id = p.holder_party_id "
               f"WHERE r.max_lon >= :x0 AND r.min_lon <= :x1 AND r.max_lat >= :y0 AND r.min_lat <= :y1 AND {filters}")
    elif kind == "postgis":
        sql = (f"SELECT {wanted} FROM parcel p LEFT JOIN party pa ON pa.id = p.holder_party_id "
               f"WHERE p.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490) AND {filters}")
    else:
        sql = (f"SELECT {wanted} FROM parcel p LEFT JOIN party pa ON pa.id = p.holder_party_id "
               f"WHERE p.min_lon >= :x0 - :widest AND p.min_lon <= :x1 AND p.max_lon >= :x0 "
               f"AND p.min_lat <= :y1 AND p.max_lat >= :y0 AND {filters}")
    return sql + " ORDER BY p.parcel_code" + (f" LIMIT {int(limit)}" if limit else "")


def parcels_in_bounds(db: Any, bounds: tuple[float, float, float, float], *, holder: str | None = None,
                      statuses: Iterable[str] = (ACTIVE,), limit: int = 400) -> list[dict[str, Any]]:
    """At most ``limit`` parcels whose bounding box meets ``bounds`` (lon/lat), ordered by code,
    with GeoJSON geometry (EPSG:4490), holder name, sink type, status and area."""
    db = _db(db)
    rows = _rows_in_bounds(db, spatial_index_kind_of(db), bounds, statuses=statuses, holder=holder,
                           columns=("parcel_code", "sink_type", "status", "holder_party_id", "holder_name",
                                    "area_m2", "geometry_wkb"), limit=limit)
    geoms = shapely.from_wkb([r.pop("geometry_wkb") for r in rows]) if rows else []
    out = []
    for r, g in zip(rows, geoms):
        ha = r["area_m2"] / M2_PER_HA
        out.append({**r, "area_ha": round(ha, 4), "area_mu": round(ha * MU_PER_HA, 2),
                    "geometry": shapely.geometry.mapping(g)})
    return out


def parcels_bounds(db: Any, *, holder: str | None = None,
                   status: str = ACTIVE) -> tuple[float, float, float, float] | None:
    """The bounding box (lon/lat) of the parcels of ``status`` (of ``holder``), or None: one
    aggregate query, no geometry read."""
    db = _db(db)
    query = select(func.min(ParcelRow.min_lon), func.min(ParcelRow.min_lat), func.max(ParcelRow.max_lon),
                   func.max(ParcelRow.max_lat)).where(ParcelRow.status == status)
    if holder:
        query = query.where(ParcelRow.holder_party_id == holder)
    with db.read() as s:
        found = s.exec(query).one()
    return None if found[0] is None else tuple(float(v) for v in found)  # type: ignore[return-value]


def parcel_summary(db: Any, *, holder: str | None = None, status: str = ACTIVE) -> dict[str, tuple[int, float]]:
    """Parcels of ``status`` (of ``holder``) per sink type: (count, area in ha), one aggregate query."""
    db = _db(db)
    query = select(ParcelRow.sink_type, func.count(), func.sum(ParcelRow.area_m2)).where(
        ParcelRow.status == status).group_by(ParcelRow.sink_type)
    if holder:
        query = query.where(ParcelRow.holder_party_id == holder)
    with db.read() as s:
        return {sink: (int(n), float(area or 0) / M2_PER_HA) for sink, n, area in s.exec(query).all()}


def _narrowed(query: Any, holder: str | None, sink_type: str | None, search: str) -> Any:
    if holder:
        query = query.where(ParcelRow.holder_party_id == holder)
    if sink_type:
        query = query.where(ParcelRow.sink_type == sink_type)
    if search.strip():
        query = query.where(ParcelRow.parcel_code.startswith(search.strip(), autoescape=True))
    return query


def parcel_list(db: Any, *, holder: str | None = None, status: str = ACTIVE, search: str = "",
                sink_type: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """At most ``limit`` parcels (no geometry) ordered by code, those whose code starts with
    ``search`` (and of ``sink_type``) when given: a page's table and choice, never the whole
    registry."""
    db = _db(db)
    query = select(ParcelRow.parcel_code, ParcelRow.sink_type, ParcelRow.holder_party_id, PartyRow.name,
                   ParcelRow.area_m2, ParcelRow.status).join(
        PartyRow, PartyRow.id == ParcelRow.holder_party_id, isouter=True).where(ParcelRow.status == status)
    query = _narrowed(query, holder, sink_type, search).order_by(ParcelRow.parcel_code).limit(limit)
    with db.read() as s:
        rows = s.exec(query).all()
    return [{"parcel_code": c, "sink_type": sink, "holder_party_id": h, "holder_name": name,
             "area_ha": round(a / M2_PER_HA, 4), "area_mu": round(a * MU_PER_HA / M2_PER_HA, 2), "status": st}
            for c, sink, h, name, a, st in rows]


def parcel_count(db: Any, *, holder: str | None = None, status: str = ACTIVE, search: str = "",
                 sink_type: str | None = None) -> int:
    """How many parcels :func:`parcel_list` would list without its limit: one count."""
    db = _db(db)
    query = _narrowed(select(func.count()).select_from(ParcelRow).where(ParcelRow.status == status),
                      holder, sink_type, search)
    with db.read() as s:
        return int(s.exec(query).one())


def parcel_codes(db: Any, *, holder: str | None = None, status: str = ACTIVE, search: str = "",
                 sink_type: str | None = None) -> list[str]:
    """Every code :func:`parcel_list` would list without its limit, codes only (no geometry, no
    holder's name): what a batch over "every parcel of this type" runs on, read when it runs."""
    db = _db(db)
    query = _narrowed(select(ParcelRow.parcel_code).where(ParcelRow.status == status), holder, sink_type, search)
    with db.read() as s:
        return list(s.exec(query.order_by(ParcelRow.parcel_code)).all())


def parcel_holders(db: Any, codes: Iterable[str], *, status: str = ACTIVE) -> dict[str, str]:
    """The holder of each of ``codes`` (those of ``status``; unknown codes are left out): one
    keyed read of the parcels named, not of the register."""
    db = _db(db)
    wanted = sorted(set(codes))
    found: dict[str, str] = {}
    with db.read() as s:
        for i in range(0, len(wanted), 500):
            query = select(ParcelRow.parcel_code, ParcelRow.holder_party_id).where(
                ParcelRow.status == status, ParcelRow.parcel_code.in_(wanted[i:i + 500]))
            found.update(s.exec(query).all())
    return found
