"""Reading parcel files: GeoJSON (and TopoJSON), GeoPackage, Shapefile (plain or zipped), KML/KMZ.

Everything is read through GDAL (pyogrio's raw reader), with two things decided here first:

- the Shapefile's text encoding (:mod:`sinks.encoding`), from the ``.cpg``, the DBF's
  language-driver id or the bytes themselves, then passed to GDAL explicitly;
- curved geometries in a GeoPackage. GDAL hands out curves already linearised, so the GeoPackage
  blobs are read once more with :mod:`sqlite3` to learn which rows held a curve (WKB types 8-14).

Before any of that, the file is held against the :class:`sinks.limits.FileLimits` (size, archive
bombs, hostile archive members, feature count): a file from outside is never handed to GDAL
until it is known to be of a sane size and shape.

The result is a :class:`RawLayer`: per row, the attributes as plain Python values and the ISO
WKB of the geometry (``None`` if the row has none), plus file-level problems and notices. Nothing
is checked for parcel rules here.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import stat
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw

from sinks.encoding import EncodingChoice, choose_encoding, read_dbf_text, text_problems
from sinks.limits import (
    ARCHIVE_MAGIC,
    DEFAULT_LIMITS,
    FileLimits,
    nested_archive_name,
    unsafe_member_name,
)
from sinks.problems import Problem

ALLOWED_DRIVERS = {"GeoJSON", "TopoJSON", "GeoJSONSeq", "GPKG", "ESRI Shapefile", "LIBKML", "KML"}
SUFFIX_FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".topojson": "TopoJSON", ".gpkg": "GeoPackage",
                  ".shp": "Shapefile", ".dbf": "Shapefile", ".zip": "Shapefile (zip)", ".kml": "KML", ".kmz": "KMZ"}
SUPPORTED = "GeoJSON, GeoPackage, Shapefile (.shp or .zip), KML, KMZ"
CURVE_WKB_TYPES = {8, 9, 10, 11, 12, 13, 14}  # CircularString ... Surface, in ISO WKB
ARCHIVE_SUFFIXES = (".zip", ".kmz")
SHAPEFILE_SUFFIXES = (".shp", ".dbf")
INFLATE_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class ColumnSegment:
    """The attribute values of consecutive rows read from one layer, column by column.

    ``values[k][i]`` is column ``names[k]`` of row ``first + i`` (0-based over the whole file);
    a KML read layer by layer has one segment per layer, each with its own columns.
    """

    first: int
    count: int
    names: tuple[str, ...]
    values: tuple[list[Any], ...]


@dataclass
class RawLayer:
    """What a file holds, before any parcel rule: see the module docstring.

    The attribute values are kept by column (``segments``): the import's field checks work on
    whole columns (issue 17); ``rows`` gives them row by row.
    """

    source_name: str
    source_sha256: str
    file_format: str
    layer: str | None = None
    driver: str | None = None
    crs_wkt: str | None = None
    prj_text: str | None = None
    encoding: EncodingChoice | None = None
    columns: list[str] = field(default_factory=list)
    segments: list[ColumnSegment] = field(default_factory=list)
    wkbs: list[bytes | None] = field(default_factory=list)
    curve_rows: set[int] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(seg.count for seg in self.segments)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Per row, ``{column: value}`` for the columns of the layer the row came from."""
        out: list[dict[str, Any]] = []
        for seg in self.segments:
            if seg.names:
                out.extend(dict(zip(seg.names, values)) for values in zip(*seg.values))
            else:
                out.extend({} for _ in range(seg.count))
        return out

    def column(self, name: str) -> list[Any]:
        """The values of column ``name`` for every row (``None`` in rows of a layer without it)."""
        if len(self.segments) == 1 and name in self.segments[0].names:
            seg = self.segments[0]
            return seg.values[seg.names.index(name)]
        out: list[Any] = []
        for seg in self.segments:
            out.extend(seg.values[seg.names.index(name)] if name in seg.names else [None] * seg.count)
        return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_layer(path: Path | str, *, layer: str | None = None, encoding: str | None = None,
               limits: FileLimits = DEFAULT_LIMITS) -> RawLayer:
    """Read one layer of a parcel file (all layers of a KML/KMZ, which keeps one per folder).

    File-level problems (unsupported format, a file beyond ``limits``, missing Shapefile part,
    several layers and none named, unreadable file, undecodable text) are returned in
    ``RawLayer.problems``.
    """
    path = Path(path)
    if not path.is_file():
        return RawLayer(path.name, "", "?", problems=[Problem("file_unreadable", reason="file not found")])
    suffix = path.suffix.lower()
    out = RawLayer(path.name, "", SUFFIX_FORMATS.get(suffix, suffix))
    if suffix not in SUFFIX_FORMATS or path.name.lower().endswith(".gdb.zip"):
        out.problems.append(Problem("file_format_unsupported", file_format=path.suffix or path.name,
                                    supported=SUPPORTED))
        return out
    if not within_limits(path, out, limits):
        return out
    out.source_sha256 = file_sha256(path)
    target = _locate(path, out, layer)
    if target is None:
        return out
    layers = _spatial_layers(target, out)
    if not layers:
        return out
    if out.file_format in ("KML", "KMZ"):
        chosen = layers if layer is None else [layer]
    elif layer is not None:
        chosen = [layer]
    elif len(layers) > 1:
        out.problems.append(Problem("file_has_several_layers", layers=", ".join(layers)))
        return out
    else:
        chosen = layers[:1]
    for name in chosen:
        if not _read_one(target, name, out, encoding, limits):
            break
    return out


# --- limits -----------------------------------------------------------------------------------

def within_limits(path: Path, out: RawLayer, limits: FileLimits = DEFAULT_LIMITS) -> bool:
    """Check the file's size and, for a ZIP or KMZ, the archive (see :mod:`sinks.limits`).

    Problems go to ``out.problems``; ``True`` when the file may be opened.
    """
    size = _shapefile_bytes(path) if path.suffix.lower() in SHAPEFILE_SUFFIXES else path.stat().st_size
    if size > limits.max_file_bytes:
        out.problems.append(Problem("file_too_large", size_mb=_mb(size), max_mb=_mb(limits.max_file_bytes)))
        return False
    if path.suffix.lower() in ARCHIVE_SUFFIXES:
        problem = archive_problem(path, limits)
        if problem is not None:
            out.problems.append(problem)
            return False
    return True


def _shapefile_bytes(path: Path) -> int:
    """A plain Shapefile's parts together (the .shp, .shx, .dbf, .prj, .cpg beside it)."""
    return sum(p.stat().st_size for p in path.parent.glob(path.stem + ".*") if p.stem == path.stem and p.is_file())


def _mb(size: float) -> str:
    return f"{size / (1024 * 1024):.1f}"


def archive_problem(path: Path, limits: FileLimits = DEFAULT_LIMITS) -> Problem | None:
    """The first reason to refuse a ZIP/KMZ before it is opened by GDAL, or ``None``.

    The central directory is checked first (members, names, nesting, declared sizes and
    ratios); then every member is inflated once, never past its declared size, with its CRC
    checked, so that headers that lie about sizes are caught too.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            problem = _directory_problem(infos, path.stat().st_size, limits)
            return problem or _inflate_problem(archive, infos)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
            OSError, zlib.error, ValueError) as exc:
        return Problem("file_unreadable", reason=f"archive: {str(exc)[:120]}")


def _directory_problem(infos: list[zipfile.ZipInfo], archive_bytes: int, limits: FileLimits) -> Problem | None:
    if len(infos) > limits.max_archive_members:
        return Problem("archive_has_too_many_members", members=len(infos), max_members=limits.max_archive_members)
    unsafe = [i.filename for i in infos if unsafe_member_name(i.filename) or _is_link(i)]
    if unsafe:
        return Problem("archive_member_name_unsafe", names=", ".join(repr(n)[1:-1][:60] for n in unsafe[:3]))
    nested = [i.filename for i in infos if not i.is_dir() and nested_archive_name(i.filename)]
    if nested:
        return Problem("archive_nested", names=", ".join(n[:60] for n in nested[:3]))
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        return Problem("archive_too_large", size_mb=_mb(total), max_mb=_mb(limits.max_uncompressed_bytes))
    sizes = [(i.filename, i.file_size, i.compress_size) for i in infos] + [("*", total, archive_bytes)]
    for name, inflated, deflated in sizes:
        ratio = inflated / max(deflated, 1)
        if inflated > limits.ratio_grace_bytes and ratio > limits.max_compression_ratio:
            return Problem("archive_ratio_too_high", name=name[:60], ratio=f"{ratio:.0f}",
                           max_ratio=f"{limits.max_compression_ratio:.0f}")
    return None


def _is_link(info: zipfile.ZipInfo) -> bool:
    """A member stored as a symbolic link (Unix mode in the high 16 bits of the external attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def _inflate_problem(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> Problem | None:
    """Inflate every member once (bounded by its declared size; CRC checked at its end)."""
    for info in infos:
        if info.is_dir():
            continue
        with archive.open(info) as member:
            head = member.read(8)
            if head.startswith(ARCHIVE_MAGIC):
                return Problem("archive_nested", names=info.filename[:60])
            while member.read(INFLATE_CHUNK_BYTES):
                pass
    return None


def _locate(path: Path, out: RawLayer, layer: str | None) -> str | None:
    """The GDAL path to open; for Shapefiles, also decide the encoding from the DBF."""
    suffix = path.suffix.lower()
    if suffix in (".shp", ".dbf"):
        return _plain_shapefile(path, out)
    if suffix == ".zip":
        return _zipped_shapefile(path, out, layer)
    return str(path)


def _plain_shapefile(path: Path, out: RawLayer) -> str | None:
    parts = {p.suffix.lower(): p for p in path.parent.glob(path.stem + ".*") if p.stem == path.stem and p.is_file()}
    missing = [s for s in (".shp", ".shx", ".dbf") if s not in parts]
    if missing:
        out.problems.append(Problem("shapefile_part_missing", parts=", ".join(missing)))
        return None
    cpg = parts[".cpg"].read_text(encoding="ascii", errors="replace") if ".cpg" in parts else None
    prj = parts[".prj"].read_text(encoding="utf-8-sig", errors="replace") if ".prj" in parts else None
    _shapefile_text(parts[".dbf"].read_bytes(), cpg, prj, out)
    return str(parts[".shp"])


def _zipped_shapefile(path: Path, out: RawLayer, layer: str | None) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
            if any(".gdb/" in n.lower() for n in z.namelist()):
                out.problems.append(Problem("file_format_unsupported", file_format="FileGDB", supported=SUPPORTED))
                return None
            shps = [n for n in names if n.lower().endswith(".shp")]
            if layer is not None:
                shps = [n for n in shps if Path(n).stem == layer]
            if not shps:
                out.problems.append(Problem("shapefile_part_missing", parts=".shp"))
                return None
            if len(shps) > 1:
                out.problems.append(Problem("file_has_several_layers", layers=", ".join(Path(n).stem for n in shps)))
                return None
            return _zip_member(z, path, shps[0], names, out)
    except zipfile.BadZipFile as exc:
        out.problems.append(Problem("file_unreadable", reason=str(exc)[:120]))
        return None


def _zip_member(z: zipfile.ZipFile, path: Path, shp: str, names: list[str], out: RawLayer) -> str | None:
    stem = shp[:-4]
    parts = {n[len(stem):].lower(): n for n in names if n.startswith(stem) and len(n) == len(stem) + 4}
    missing = [s for s in (".shx", ".dbf") if s not in parts]
    if missing:
        out.problems.append(Problem("shapefile_part_missing", parts=", ".join(missing)))
        return None
    cpg = z.read(parts[".cpg"]).decode("ascii", "replace") if ".cpg" in parts else None
    prj = z.read(parts[".prj"]).decode("utf-8-sig", "replace") if ".prj" in parts else None
    _shapefile_text(z.read(parts[".dbf"]), cpg, prj, out)
    out.layer = Path(shp).stem
    return f"/vsizip/{path}/{shp}"


def _shapefile_text(dbf_bytes: bytes, cpg: str | None, prj: str | None, out: RawLayer) -> None:
    out.prj_text = prj
    try:
        dbf = read_dbf_text(dbf_bytes)
    except ValueError as exc:
        out.problems.append(Problem("file_unreadable", reason=f"DBF: {exc}"))
        return
    out.encoding = choose_encoding(dbf, cpg)
    out.problems.extend(text_problems(dbf, out.encoding.encoding))
    out.notices.append(Problem("encoding_detected", encoding=out.encoding.encoding, source=out.encoding.source))


def _spatial_layers(target: str, out: RawLayer) -> list[str]:
    """Layer names, leaving out attribute-only tables when a layer with geometry exists."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            listed = pyogrio.list_layers(target)
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types for unreadable files
        out.problems.append(Problem("file_unreadable", reason=str(exc)[:160]))
        return []
    spatial = [str(name) for name, geometry_type in listed if geometry_type is not None]
    return spatial or [str(name) for name, _ in listed]


def _read_one(target: str, layer: str, out: RawLayer, encoding: str | None,
              limits: FileLimits = DEFAULT_LIMITS) -> bool:
    """Read one layer into ``out``; ``False`` when a problem stops the reading."""
    enc = out.encoding.encoding if out.encoding else encoding
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            info = pyogrio.read_info(target, layer=layer, encoding=enc)
            driver, features = info["driver"], int(info.get("features", -1))
            if driver in ALLOWED_DRIVERS and features > limits.max_features - out.row_count:
                out.problems.append(Problem("file_has_too_many_features", features=out.row_count + features,
                                            max_features=limits.max_features))
                return False
            if driver in ALLOWED_DRIVERS:
                meta, fids, wkbs, field_data = pyogrio.raw.read(target, layer=layer, encoding=enc, return_fids=True)
        except Exception as exc:  # noqa: BLE001 - GDAL raises several types for unreadable files
            if not any(p.code == "text_undecodable" for p in out.problems):  # else that is the cause
                out.problems.append(Problem("file_unreadable", reason=str(exc)[:160]))
            return False
    if any("Measured (M)" in str(w.message) for w in caught) and not any(
            n.code == "m_values_dropped" for n in out.notices):
        out.notices.append(Problem("m_values_dropped"))
    if driver not in ALLOWED_DRIVERS:
        out.problems.append(Problem("file_format_unsupported", file_format=driver, supported=SUPPORTED))
        return False
    out.driver, out.crs_wkt = driver, out.crs_wkt or meta.get("crs")
    first_row = out.row_count
    names = [str(n) for n in meta["fields"]]
    out.columns.extend(n for n in names if n not in out.columns)
    columns = [_plain_column(c) for c in field_data]
    out.segments.append(ColumnSegment(first_row, len(fids), tuple(names) if columns else (), tuple(columns)))
    blobs = wkbs.tolist()
    out.wkbs.extend(blobs if set(map(type, blobs)) <= _BLOB_TYPES else [None if g is None else bytes(g) for g in blobs])
    if driver == "GPKG":
        out.curve_rows |= {first_row + i + 1 for i in _gpkg_curve_rows(target, layer, list(fids))}
    out.layer = out.layer or layer
    return True


def _plain_column(values: np.ndarray) -> list[Any]:
    """Plain Python values of one column (:func:`_plain` of each), whole columns at a time where
    the type allows: numbers through ``tolist`` (NaN as ``None``), text as it is."""
    kind = values.dtype.kind
    if kind in "iub":
        return values.tolist()
    if kind == "f":
        out = values.tolist()
        for i in np.flatnonzero(np.isnan(values)).tolist():
            out[i] = None
        return out
    if values.dtype == object and set(map(type, values)) <= _TEXT_TYPES:
        return values.tolist()
    return [_plain(v) for v in values.tolist()] if values.dtype != object else [_plain(v) for v in values]


_TEXT_TYPES = {str, type(None)}
_BLOB_TYPES = {bytes, type(None)}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _gpkg_curve_rows(path: str, layer: str, fids: list[int]) -> list[int]:
    """Indexes (0-based, in ``fids`` order) of rows whose stored geometry is a curve type."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            table, column = con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns "
                                        "WHERE table_name = ?", (layer,)).fetchone()
            pk = next(r[1] for r in con.execute(f'PRAGMA table_info("{table}")') if r[5])
            g = f'"{column}"'
            curved = set()
            flags = [f for (f,) in con.execute(f'SELECT DISTINCT substr({g}, 4, 1) FROM "{table}" WHERE {g} IS NOT NULL')]
            for flag in flags:  # a layer's blobs share one flags byte, as a rule: one pass each
                start = 9 + _envelope_bytes(flag)  # where the WKB starts (1-based)
                where = f'WHERE substr({g}, 4, 1) = ? AND substr({g}, 1, 2) = ? AND substr({g}, {start}, 5) = ?'
                for magic, head in con.execute(f'SELECT DISTINCT substr({g}, 1, 2), substr({g}, {start}, 5) '
                                               f'FROM "{table}" WHERE substr({g}, 4, 1) = ?', (flag,)).fetchall():
                    if _gpkg_head_wkb_type(magic, head) % 1000 in CURVE_WKB_TYPES:
                        curved |= {fid for (fid,) in con.execute(f'SELECT "{pk}" FROM "{table}" {where}',
                                                                (flag, magic, head))}
        finally:
            con.close()
    except (sqlite3.Error, TypeError, StopIteration):
        return []
    return [i for i, fid in enumerate(fids) if int(fid) in curved] if curved else []


def _envelope_bytes(flags: Any) -> int:
    """The size of a GeoPackage blob's envelope, from its flags byte (bits 1-3)."""
    if not isinstance(flags, bytes) or not flags:
        return 0
    return {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((flags[0] >> 1) & 0x07, 0)


def _gpkg_head_wkb_type(magic: bytes, wkb_head: bytes) -> int:
    """:func:`_gpkg_blob_wkb_type` from a blob's first two bytes and the first five of its WKB."""
    if magic != b"GP" or not isinstance(wkb_head, bytes) or len(wkb_head) < 5:
        return 0
    order = "<" if wkb_head[0] == 1 else ">"
    return struct.unpack(order + "I", wkb_head[1:5])[0] & 0x0FFFFFFF


def _gpkg_blob_wkb_type(blob: bytes) -> int:
    """The ISO WKB geometry type code inside a GeoPackage geometry blob."""
    if blob[:2] != b"GP":
        return 0
    envelope_bytes = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((blob[3] >> 1) & 0x07, 0)
    start = 8 + envelope_bytes
    order = "<" if blob[start] == 1 else ">"
    return struct.unpack(order + "I", blob[start + 1:start + 5])[0] & 0x0FFFFFFF
