"""The parcel tiles' MBTiles archives beside an SQLite database (issue 17, point 1: "on SQLite,
tiles made by a well-kept library into a PMTiles/MBTiles archive and updated when parcels
change"): a tile made once is served from the archive by another source (a restarted server, a
second process), a change deletes only the tiles around it, a large change or an older version
wipes the archive, the archive is an MBTiles file GDAL reads, and ``sinkledger tiles build``
makes the low zooms ahead with a progress bar."""

from __future__ import annotations

import json
import sqlite3

import mapbox_vector_tile
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from sinkledger.config import load_settings
from sinkledger.services import tile_archive, tiles
from tests.test_tiles import counted, tile_of
from tests.ui.scenario import square


@pytest.fixture(scope="module")
def demo(tmp_path_factory):  # type: ignore[no-untyped-def]
    from sinkledger.demo.seed import seed_demo
    from sinkledger.services.registry import Service

    home = tmp_path_factory.mktemp("archive")
    service = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{home / 'demo.db'}", "SINKLEDGER_HOME": str(home)}))
    seed_demo(service)
    yield service
    service.db.dispose()


def source(demo, folder):  # type: ignore[no-untyped-def]
    return tiles.TileSource(demo.db, folder)


def drawn(data: bytes) -> int:
    """How many parcels a tile draws (cells count theirs; a parcel once, its label aside)."""
    out = mapbox_vector_tile.decode(data)["parcels"]["features"] if data else []
    return sum(f["properties"]["n"] for f in out if f["geometry"]["type"] != "Point")


def test_the_archive_lives_beside_an_sqlite_database_only() -> None:
    assert tile_archive.archive_folder("sqlite:////srv/data/ledger.db").as_posix() == "/srv/data/ledger-tiles"
    assert tile_archive.archive_folder("sqlite:///relative/x.db").as_posix() == "relative/x-tiles"
    assert tile_archive.archive_folder("postgresql+psycopg://u@h/db") is None
    assert tile_archive.archive_folder("sqlite://") is None and tile_archive.archive_folder("sqlite:///:memory:") is None


def test_a_tile_made_once_is_served_from_the_archive_by_another_source(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bounds = tiles.parcels_bounds(demo)
    wanted = tile_archive.tiles_over(bounds, range(9, 13))
    first = source(demo, tmp_path)
    made = {t: first.tile(*t, lang="en") for t in wanted}
    assert first.made == len(wanted)
    again = source(demo, tmp_path)  # a restarted server, or a second process: the same file
    assert {t: again.tile(*t, lang="en") for t in wanted} == made
    assert again.made == 0
    assert again.tile(*wanted[0], lang="zh") != made[wanted[0]] and again.made == 1  # each language its own
    # an MBTiles file: TMS rows, its metadata, and GDAL's MBTiles driver reads the parcels back
    path = tmp_path / "parcels-en.mbtiles"
    with sqlite3.connect(path) as conn:
        meta = dict(conn.execute("SELECT name, value FROM metadata"))
        z, x, y = wanted[-1]
        [(blob,)] = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                                 (z, x, (1 << z) - 1 - y))
    assert bytes(blob) == made[wanted[-1]]
    assert meta["format"] == "pbf" and int(meta["parcels_version"]) == tiles.parcels_version(demo)
    assert meta["maxzoom"] == "12" and json.loads(meta["json"])["vector_layers"][0]["id"] == tiles.LAYER
    read = pyogrio.read_dataframe(path, layer=tiles.LAYER)
    assert set(read.code) & {p["parcel_code"] for p in tiles.parcel_list(demo)}


def test_a_change_deletes_only_the_tiles_around_it_and_the_new_parcel_is_drawn(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = source(demo, tmp_path)
    filled = src.fill(range(0, 13), langs=("en",))
    assert filled["made"] == filled["tiles"] > 0
    archive = src.archive("en")
    stored = archive.count()
    geometry = square("drawn", size=0.004)
    c = shapely.geometry.shape(geometry).centroid
    near = tile_of(c.x, c.y, 12)
    far = max(tile_archive.tiles_over(tiles.parcels_bounds(demo), range(12, 13)),
              key=lambda t: abs(t[1] - near[0]) + abs(t[2] - near[1]))
    assert abs(far[1] - near[0]) + abs(far[2] - near[1]) > 2
    before = drawn(src.tile(12, *near, lang="en"))
    coop = demo.actor("coop")
    demo.register_parcel(coop, "archive:register", parcel_code="AJ-BF-0980", sink_type="bamboo_forest",
                         holder_party_id="COL-0001", geometry=geometry, county_code="330523")
    version = tiles.parcels_version(demo)
    other = source(demo, tmp_path)  # another process sees the change on its next tile
    deleted = other.archive("en").sync(demo.db, version)
    assert 0 < deleted < stored and archive.version() == version
    assert archive.get(12, *near) is None and archive.get(*far) is not None
    assert drawn(other.tile(12, *near, lang="en")) == before + 1  # made anew, with the new parcel
    made = other.made
    other.tile(*far, lang="en")
    assert other.made == made  # the far tile still came from the archive
    # a tile made for an older version is not stored over the newer one
    assert archive.put(3, 6, 3, b"stale", version - 1) is False


def test_a_large_change_or_an_older_version_makes_the_archive_anew(demo, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src = source(demo, tmp_path)
    src.fill(range(0, 9), langs=("en",))
    archive = src.archive("en")
    version = tiles.parcels_version(demo)
    archive._known = None
    with sqlite3.connect(archive.path) as conn:  # as if the database were restored from an older backup
        conn.execute("UPDATE metadata SET value = ? WHERE name = 'parcels_version'", (str(version + 10),))
    assert archive.sync(demo.db, version) > 0 and archive.count() == 0 and archive.version() == version
    src.fill(range(0, 9), langs=("en",))
    monkeypatch.setattr(tile_archive, "WIPE_ABOVE", 0)
    assert tile_archive.changed_boxes(demo.db, 0, version) is None
    coop = demo.actor("coop")
    demo.register_parcel(coop, "archive:register-2", parcel_code="AJ-BF-0981", sink_type="bamboo_forest",
                         holder_party_id="COL-0001", geometry=square("waiting"), county_code="330523")
    archive.sync(demo.db, tiles.parcels_version(demo))
    assert archive.count() == 0


def test_tiles_build_makes_the_low_zooms_ahead_once(demo) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.cli.main import main

    url = str(demo.db.engine.url)
    first = CliRunner().invoke(main, ["--database-url", url, "tiles", "build", "--max-zoom", "9", "--lang", "zh", "--json"])
    assert first.exit_code == 0, first.output
    out = json.loads(first.output)
    assert out["tiles"] > 0 and out["made"] + out["already_stored"] == out["tiles"]
    assert out["archives"] == [str(tile_archive.archive_folder(url) / "parcels-zh.mbtiles")]
    second = json.loads(CliRunner().invoke(main, ["--database-url", url, "tiles", "build", "--max-zoom", "9",
                                                  "--lang", "zh", "--json"]).output)
    assert second["made"] == 0 and second["already_stored"] == out["tiles"]
    bad = CliRunner().invoke(main, ["--database-url", url, "tiles", "build", "--max-zoom", "99", "--json"])
    assert bad.exit_code == 2


def test_the_app_servers_source_fills_in_the_background(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tiles.TileSource(demo.db, tmp_path, fill_in_background=True)
    z, x, y = tile_archive.tiles_over(tiles.parcels_bounds(demo), range(10, 11))[0]
    src.tile(z, x, y, lang="zh")
    assert src._filling is not None
    src._filling.join(timeout=120)
    assert not src._filling.is_alive()
    bounds = tiles.parcels_bounds(demo)
    every = tile_archive.tiles_over(bounds, tile_archive.FILL_ZOOMS)
    assert all(src.archive(lang).get(*t) is not None for lang in ("zh", "en") for t in every)
    assert counted([(t, src.archive("zh").get(*t)) for t in tile_archive.tiles_over(bounds, range(10, 11))])


def test_tiles_made_by_another_format_are_made_anew(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A new version of the tile maker (``tiles.TILE_FORMAT``) empties the archive: tiles made by
    the old rules (labels on every parcel, say) are never served by the new code."""
    src = source(demo, tmp_path)
    src.fill(range(0, 7), langs=("en",))
    archive = src.archive("en")
    assert archive.count() > 0
    newer = tile_archive.TileArchive(tmp_path, "en", tiles.LAYER, tile_format=tiles.TILE_FORMAT + "-next")
    assert newer.sync(demo.db, tiles.parcels_version(demo)) > 0 and newer.count() == 0
    with sqlite3.connect(archive.path) as conn:
        assert dict(conn.execute("SELECT name, value FROM metadata"))["tile_format"] == tiles.TILE_FORMAT + "-next"
