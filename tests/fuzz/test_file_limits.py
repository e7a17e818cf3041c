"""Upload size and archive-bomb limits on parcel files (``sinks.limits``, enforced in
``sinks.reading``): each hostile file is refused with its own stable code before GDAL opens it,
a normal zipped Shapefile and KMZ still read, and a refusal through the service or the CLI
changes nothing."""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from sinkledger.config import REPO_ROOT
from sinks.limits import DEFAULT_LIMITS, FileLimits, unsafe_member_name
from sinks.reading import archive_problem, read_layer

DEMO_GPKG = REPO_ROOT / "gis_data" / "demo_parcels.gpkg"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def demo_shapefile(tmp_path_factory) -> Path:
    """The 105 demo parcels as a Shapefile (with .cpg and .prj), not zipped."""
    folder = tmp_path_factory.mktemp("shp")
    layer = gpd.read_file(DEMO_GPKG, layer="parcels")[["parcel_code", "sink_type", "geometry"]]
    layer = layer.rename(columns={"parcel_code": "parcel_cod"})  # DBF names: 10 bytes at most
    layer.to_file(folder / "parcels.shp", engine="pyogrio", encoding="UTF-8")
    return folder / "parcels.shp"


def zip_of(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name) if name.endswith("/") else name, data)
    return path


def shapefile_members(shp: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(shp.parent.glob(shp.stem + ".*")) if p.suffix != ".zip"}


def codes(path: Path, limits: FileLimits = DEFAULT_LIMITS) -> list[str]:
    return [p.code for p in read_layer(path, limits=limits).problems]


# --- sound files still read ---------------------------------------------------------------------

def test_a_zipped_shapefile_and_a_kmz_within_the_limits_read(tmp_path, demo_shapefile):
    zipped = zip_of(tmp_path / "parcels.zip", shapefile_members(demo_shapefile))
    assert codes(zipped) == [] and len(read_layer(zipped).rows) == 105
    gpd.read_file(DEMO_GPKG, layer="parcels").head(3).to_file(tmp_path / "doc.kml", driver="LIBKML",
                                                             engine="pyogrio")
    kmz = zip_of(tmp_path / "parcels.kmz", {"doc.kml": (tmp_path / "doc.kml").read_bytes()})
    raw = read_layer(kmz)
    assert raw.problems == [] and len(raw.rows) == 3


# --- size ---------------------------------------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    raw = read_layer(DEMO_GPKG, limits=FileLimits(max_file_bytes=10_000))
    assert [p.code for p in raw.problems] == ["file_too_large"]
    assert raw.rows == [] and raw.source_sha256 == ""  # not even hashed
    assert raw.problems[0].params["max_mb"] == "0.0"


def test_a_plain_shapefile_counts_all_its_parts(demo_shapefile):
    dbf = demo_shapefile.with_suffix(".dbf").stat().st_size
    shp = demo_shapefile.stat().st_size
    assert codes(demo_shapefile, FileLimits(max_file_bytes=max(dbf, shp) + 1)) == ["file_too_large"]
    assert codes(demo_shapefile) == []


def test_too_many_features_are_refused_before_the_rows_are_read():
    raw = read_layer(DEMO_GPKG, limits=FileLimits(max_features=100))
    assert [p.code for p in raw.problems] == ["file_has_too_many_features"] and raw.rows == []
    assert raw.problems[0].params == {"features": 105, "max_features": 100}


# --- archives -----------------------------------------------------------------------------------

def test_a_deflate_bomb_is_refused_by_its_ratio(tmp_path):
    """Given 16 MiB of zeros deflated to ~16 KiB (ratio ~1000:1), then refused, unread."""
    bomb = zip_of(tmp_path / "bomb.zip", {"parcels.shp": b"\0" * (16 * MIB), "parcels.shx": b"", "parcels.dbf": b""})
    assert bomb.stat().st_size < MIB
    raw = read_layer(bomb)
    assert [p.code for p in raw.problems] == ["archive_ratio_too_high"]
    assert raw.problems[0].params["name"] == "parcels.shp" and int(raw.problems[0].params["ratio"]) > 500


def test_the_uncompressed_total_is_limited(tmp_path):
    members = {f"part{i}.bin": os.urandom(MIB) for i in range(3)}  # incompressible: ratio ~1
    archive = zip_of(tmp_path / "big.zip", members)
    assert codes(archive, FileLimits(max_uncompressed_bytes=2 * MIB)) == ["archive_too_large"]


def test_small_members_that_compress_well_are_not_ratio_checked(tmp_path, demo_shapefile):
    """A DBF of blank padding compresses ~100×: harmless below the 1 MiB grace size."""
    members = shapefile_members(demo_shapefile) | {"readme.txt": b" " * (512 * 1024)}
    assert codes(zip_of(tmp_path / "padded.zip", members)) == []


def test_too_many_members_are_refused(tmp_path):
    archive = zip_of(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(300)})
    assert codes(archive) == ["archive_has_too_many_members"]


@pytest.mark.parametrize("name", ["../parcels.shp", "/etc/parcels.shp", "a/../../parcels.shp",
                                  "C:/parcels.shp", "..\\parcels.shp", "dir\\parcels.shp"])
def test_member_names_that_could_escape_are_refused(tmp_path, name):
    archive = zip_of(tmp_path / "evil.zip", {name: b"x", "parcels.shx": b"", "parcels.dbf": b""})
    assert codes(archive) == ["archive_member_name_unsafe"]


def test_symbolic_links_in_an_archive_are_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("parcels.shp")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    assert codes(path) == ["archive_member_name_unsafe"]


@pytest.mark.parametrize("suffix", [".zip", ".kmz"])
def test_nested_archives_are_refused_by_name_and_by_content(tmp_path, suffix):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("doc.kml", "<kml/>")
    by_name = zip_of(tmp_path / f"named{suffix}", {"inner.zip": inner.getvalue(), "doc.kml": b"<kml/>"})
    by_magic = zip_of(tmp_path / f"magic{suffix}", {"data.bin": inner.getvalue(), "doc.kml": b"<kml/>"})
    assert codes(by_name) == ["archive_nested"]
    assert codes(by_magic) == ["archive_nested"]


def test_an_archive_whose_headers_lie_about_sizes_is_refused(tmp_path):
    """Given a stored member whose local and central headers declare 10 bytes for 100 KiB, the
    inflating check reads 10 bytes, finds the CRC wrong and refuses the file."""
    path = zip_of(tmp_path / "liar.zip", {"parcels.shp": os.urandom(100 * 1024)}, compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed-size fields
        at = data.index(signature)
        data[at + offset:at + offset + 4] = struct.pack("<I", 10)
    path.write_bytes(bytes(data))
    problem = archive_problem(path)
    assert problem is not None and problem.code == "file_unreadable"


def test_not_a_zip_at_all(tmp_path):
    path = tmp_path / "fake.kmz"
    path.write_bytes(b"<kml>not zipped</kml>")
    assert codes(path) == ["file_unreadable"]


def test_encrypted_members_are_refused(tmp_path):
    path = zip_of(tmp_path / "enc.zip", {"parcels.shp": b"x" * 100})
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # general purpose flag: bit 0
        at = data.index(signature)
        data[at + offset] |= 1
    path.write_bytes(bytes(data))
    assert codes(path) == ["file_unreadable"]


def test_unsafe_member_name_examples():
    assert not any(map(unsafe_member_name, ["parcels.shp", "a/b/c.dbf", "名称.shp", "x..y.shp"]))
    assert all(map(unsafe_member_name, ["", "a\x00.shp", "\\\\server\\x", "D:x.shp"]))


# --- configuration ------------------------------------------------------------------------------

def test_limits_from_the_environment():
    limits = FileLimits.from_env({"SINKLEDGER_MAX_FILE_MB": "10", "SINKLEDGER_MAX_UNCOMPRESSED_MB": " 20 ",
                                  "SINKLEDGER_MAX_COMPRESSION_RATIO": "50.5", "SINKLEDGER_MAX_ARCHIVE_MEMBERS": "",
                                  "SINKLEDGER_MAX_FEATURES": "1000"})
    assert limits == FileLimits(max_file_bytes=10 * MIB, max_uncompressed_bytes=20 * MIB,
                                max_compression_ratio=50.5, max_features=1000)
    for bad in ("ten", "-1", "0", "nan"):
        with pytest.raises(ValueError):
            FileLimits.from_env({"SINKLEDGER_MAX_FEATURES": bad})
    with pytest.raises(ValueError):
        FileLimits(max_compression_ratio=float("nan"))


# --- through the service and the CLI: a clean refusal that changes nothing -----------------------

def test_a_bomb_through_the_service_and_the_cli_is_a_clean_refusal(tmp_path, fuzz_world):
    from sinkledger.cli.main import main
    from sinkledger_base.errors import SinkLedgerError

    svc = fuzz_world.service
    bomb = zip_of(tmp_path / "bomb.zip", {"parcels.shp": b"\0" * (16 * MIB), "parcels.shx": b"", "parcels.dbf": b""})
    before = fuzz_world.state()
    with pytest.raises(SinkLedgerError) as refusal:
        svc.import_parcels(svc.actor("coop"), "bomb-1", path=bomb)
    assert refusal.value.code == "parcel_import_has_problems"
    assert [p["code"] for p in refusal.value.params["problems"]] == ["archive_ratio_too_high"]
    result = CliRunner().invoke(main, ["--database-url", fuzz_world.url, "parcels", "import", str(bomb),
                                       "--actor", "coop", "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "parcel_import_has_problems" and error["message_zh"] and error["message_en"]
    assert [p["code"] for p in error["details"]["problems"]] == ["archive_ratio_too_high"]
    assert fuzz_world.state() == before
