"""Parcel tiles kept in MBTiles archives beside an SQLite database (issue 17).

On PostgreSQL each tile is one ``ST_AsMVT`` query; on SQLite the tiles are made in Python
(:func:`sinkledger.services.tiles._python_tile`, mapbox-vector-tile), which for a county-zoom tile
of 100,000 parcels takes a large part of a second. Tiles made once are therefore kept in an
archive on disk, so a restarted server, a second server process or the next visitor does not make
them again, and the low-zoom tiles a county overview draws are made ahead
(:meth:`TileArchive.fill`, ``sinkledger tiles build`` or the app server's background fill).

One archive per language (the tiles carry the page's words): ``<database>-tiles/parcels-zh.mbtiles``
and ``parcels-en.mbtiles``, in the MBTiles 1.3 layout (``metadata`` and ``tiles`` with TMS rows),
so GIS tools open them as they are. The metadata records the **parcels version** the tiles are
of (:func:`sinkledger.services.tiles.parcels_version`) and the format of the tile maker
(``tiles.TILE_FORMAT``, raised with any change to what a tile holds: a new maker empties the
archive). When the parcels change, the archive is
brought to the new version before it answers: the tiles over every version of each parcel changed
since (their bounding boxes, grown by the tile buffer, at every zoom) are deleted, the others
stay; after a change of more than :data:`WIPE_ABOVE` parcels, or a version that went back (a
restored database), every tile is deleted. A tile is stored only under the version it was made
for, inside one transaction that checks it, so no stale tile survives a change. A holder's own
tiles (a cooperative's map) stay in the memory cache only.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import shapely
from sqlalchemy import bindparam, text

if TYPE_CHECKING:  # for annotations only
    from sinkledger.db.database import Database

ARCHIVE_MAX_ZOOM = 16  # deeper tiles (labels at z17-18) stay in the memory cache: few parcels, quick to make
FILL_ZOOMS = range(0, 13)  # made ahead: what an overview of a county and its townships draws
WIPE_ABOVE = 500  # more parcels changed at once than this: the whole archive is made anew
LANGS = ("zh", "en")


def archive_folder(database_url: str) -> Path | None:
    """Where an SQLite database's tile archives live (``<file>-tiles`` beside it); None for
    PostgreSQL (PostGIS makes tiles itself) and for a database in memory."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split("///", 1)[1] if "///" in database_url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    db = Path(path)
    return db.parent / f"{db.stem}-tiles"


def tms_row(z: int, y: int) -> int:
    """MBTiles numbers rows from the south (TMS); the tile URLs from the north (XYZ)."""
    return (1 << z) - 1 - y


class TileArchive:
    """One language's tiles of one database, in an MBTiles file (thread-safe; several processes
    may share the file: SQLite's own locking, WAL)."""

    def __init__(self, folder: Path, lang: str, layer: str = "parcels", tile_format: str = "1") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"parcels-{lang}.mbtiles"
        self.lang, self.layer, self.tile_format = lang, layer, tile_format
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT)")
        self._conn.execute("CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, "
                           "tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL, "
                           "PRIMARY KEY (zoom_level, tile_column, tile_row)) WITHOUT ROWID")
        self._known: int | None = None  # the version this process last saw the archive at

    # -- reading and writing ------------------------------------------------------------------
    def version(self) -> int | None:
        value = self._meta("parcels_version")
        return int(value) if value is not None else None

    def _meta(self, name: str) -> str | None:
        row = self._conn.execute("SELECT value FROM metadata WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def get(self, z: int, x: int, y: int) -> bytes | None:
        """The stored tile (b"" for a tile known to hold nothing), None when not made yet."""
        with self._lock:
            row = self._conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                                     (z, x, tms_row(z, y))).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, z: int, x: int, y: int, data: bytes, version: int) -> bool:
        """Store a tile made for ``version``; nothing when the archive is at another version now."""
        if z > ARCHIVE_MAX_ZOOM:
            return False
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if self.version() != version:
                    return False
                self._conn.execute("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", (z, x, tms_row(z, y), data))
                self._conn.execute("UPDATE metadata SET value = ? WHERE name = 'maxzoom' AND CAST(value AS INTEGER) < ?",
                                   (str(z), z))  # the deepest zoom stored, as the format says (GDAL reads it)
                return True
            finally:
                self._conn.execute("COMMIT")

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM tiles").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- following the parcels ----------------------------------------------------------------
    def sync(self, db: Database, version: int) -> int:
        """Bring the archive to parcels ``version``: delete the tiles the changes since its own
        version touch (all of them after a large change or a version that went back). Returns
        how many tiles were deleted. Cheap when nothing changed (one metadata read)."""
        if self._known == version:
            return 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                have = self.version()
                deleted = 0
                made_alike = self._meta("tile_format") == self.tile_format  # tiles made by this code's rules
                if have != version or not made_alike:
                    boxes = changed_boxes(db, have, version) if made_alike and have is not None and have < version \
                        else None
                    if boxes is None:
                        deleted = self._conn.execute("DELETE FROM tiles").rowcount
                    else:
                        for z, x0, x1, y0, y1 in _tile_ranges(boxes):
                            deleted += self._conn.execute(
                                "DELETE FROM tiles WHERE zoom_level = ? AND tile_column BETWEEN ? AND ? "
                                "AND tile_row BETWEEN ? AND ?", (z, x0, x1, tms_row(z, y1), tms_row(z, y0))).rowcount
                    self._write_metadata(version)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._known = version
        return deleted

    def _write_metadata(self, version: int) -> None:
        meta = {"name": f"sinkledger parcels ({self.lang})", "format": "pbf", "type": "overlay",
                "minzoom": "0", "maxzoom": str(self._conn.execute("SELECT coalesce(max(zoom_level), 0) FROM tiles").fetchone()[0]),
                "parcels_version": str(version), "tile_format": self.tile_format,
                "description": "Registered carbon-sink parcels, generalised at low zoom (made by sinkledger)",
                "json": json.dumps({"vector_layers": [{"id": self.layer, "fields": {
                    "code": "String", "sink": "String", "holder": "String", "area": "String", "status": "String",
                    "state": "String", "n": "Number", "cell": "Number", "r": "Number", "g": "Number", "b": "Number",
                    "a": "Number"}, "minzoom": 0, "maxzoom": ARCHIVE_MAX_ZOOM}]})}
        self._conn.executemany("INSERT OR REPLACE INTO metadata VALUES (?, ?)", list(meta.items()))


def changed_boxes(db: Database, since: int, until: int) -> list[tuple[float, float, float, float]] | None:
    """The lon/lat bounding boxes of every version of each parcel changed in journal entries
    ``(since, until]`` (a parcel's old place is redrawn as well as its new one); None when more
    than :data:`WIPE_ABOVE` parcels changed."""
    with db.read() as s:
        codes = [r[0] for r in s.execute(text(
            "SELECT DISTINCT parcel_code FROM parcel_version WHERE seq > :a AND seq <= :b LIMIT :n"),
            {"a": since, "b": until, "n": WIPE_ABOVE + 1}).all()]
        if len(codes) > WIPE_ABOVE:
            return None
        boxes: list[tuple[float, float, float, float]] = []
        for i in range(0, len(codes), 200):
            wkbs = [r[0] for r in s.execute(text("SELECT geometry_wkb FROM parcel_version WHERE parcel_code IN :codes")
                                            .bindparams(bindparam("codes", expanding=True)),
                                            {"codes": codes[i:i + 200]}).all()]
            boxes += [tuple(b) for b in shapely.bounds(shapely.from_wkb([bytes(w) for w in wkbs])).tolist()]
    return boxes


def _tile_ranges(boxes: list[tuple[float, float, float, float]]) -> Iterator[tuple[int, int, int, int, int]]:
    """(z, x0, x1, y0, y1) XYZ tile ranges whose tiles meet a box, grown by one tile each way: a
    tile draws what lies in its buffer too (a 64th of its side), which reaches into its neighbours."""
    for west, south, east, north in boxes:
        for z in range(ARCHIVE_MAX_ZOOM + 1):
            n = 1 << z
            x0, y0 = _tile_xy(west, north, z)
            x1, y1 = _tile_xy(east, south, z)
            yield z, max(x0 - 1, 0), min(x1 + 1, n - 1), max(y0 - 1, 0), min(y1 + 1, n - 1)


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_over(bounds: tuple[float, float, float, float], zooms: range) -> list[tuple[int, int, int]]:
    """Every XYZ tile of ``zooms`` over lon/lat ``bounds``."""
    out = []
    for z in zooms:
        x0, y0 = _tile_xy(bounds[0], bounds[3], z)
        x1, y1 = _tile_xy(bounds[2], bounds[1], z)
        out += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out

