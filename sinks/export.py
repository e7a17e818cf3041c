"""Exporting parcels: GeoPackage, GeoJSON, KML or a zipped Shapefile, in EPSG:4490 (KML: WGS 84).

The export carries the parcel's identity, sink type, holder, tenure, status, areas (ha and mu,
measured in the region's Gauss-Krüger zone), version and version hash; GeoPackage and GeoJSON
also carry the attributes as JSON text. A Shapefile is written UTF-8 (or GBK, for older desktop
GIS) with a ``.cpg`` naming its encoding (so it reads back without guessing), its field names cut
to the format's ten characters, and zipped.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from sinkledger_base.errors import InvalidInput

FORMATS = {"gpkg": "GPKG", "geojson": "GeoJSON", "shp": "ESRI Shapefile", "kml": "KML"}
SHAPEFILE_ENCODINGS = ("UTF-8", "GBK")  # GBK for older desktop GIS that read a Shapefile's text as GBK
SHAPEFILE_NAMES = {"parcel_code": "code", "holder_party_id": "holder", "county_code": "county",
                   "tenure_cert_no": "cert_no", "tenure_cert_kind": "cert_kind", "declared_area_mu": "decl_mu",
                   "version_hash": "ver_hash", "tenure_ownership": "ownership", "retired_from": "retired"}
COLUMNS = ("parcel_code", "sink_type", "holder_party_id", "county_code", "tenure_cert_no", "tenure_cert_kind",
           "tenure_ownership", "status", "retired_from", "area_ha", "area_mu", "declared_area_mu", "version",
           "version_hash")


def export_format(path: Path, given: str | None) -> str:
    """``gpkg``, ``geojson`` or ``shp``, from ``given`` or the file suffix (``.zip`` means Shapefile).

    Raises
    ------
    InvalidInput
        ``file_format_unsupported``; ``value_invalid`` for a path that cannot be written (a NUL
        or an undecodable byte in it, a folder that does not exist, a folder in its place).
    """
    check_target(path)
    if given is not None and not isinstance(given, str):
        raise InvalidInput("value_invalid", field="file_format", value=type(given).__name__)
    key = (given or path.suffix.lstrip(".")).lower()
    key = {"json": "geojson", "zip": "shp", "shapefile": "shp", "geopackage": "gpkg"}.get(key, key)
    if key not in FORMATS:
        raise InvalidInput("file_format_unsupported", file_format=_safe(key)[:40],
                           supported="gpkg, geojson, kml, shp (zip)")
    return key


def check_target(path: Path) -> None:
    """Refuse an export path that GDAL would truncate or misread, or that cannot be written."""
    text = str(path)
    if "\x00" in text or _safe(text) != text:
        raise InvalidInput("value_invalid", field="path", value=_safe(repr(text))[:60])
    if len(path.name.encode("utf-8")) > 255:
        raise InvalidInput("value_invalid", field="path", value="file name longer than 255 bytes")
    if not path.parent.is_dir():
        raise InvalidInput("value_invalid", field="path", value=f"no folder {_safe(str(path.parent))[:60]}")
    if path.is_dir():
        raise InvalidInput("value_invalid", field="path", value=f"{_safe(text)[:60]} is a folder")


def _safe(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def write_parcels_file(parcels: list[dict[str, Any]], path: Path, fmt: str, encoding: str = "UTF-8") -> dict[str, Any]:
    """Write ``parcels`` (service dicts with a GeoJSON ``geometry``) to ``path``; return a summary.
    ``encoding`` is the Shapefile's (:data:`SHAPEFILE_ENCODINGS`); other formats are UTF-8."""
    if encoding not in SHAPEFILE_ENCODINGS:
        raise InvalidInput("value_invalid", field="encoding", value=_safe(str(encoding))[:40])
    frame = gpd.GeoDataFrame([_columns(p, with_attributes=fmt != "shp") for p in parcels],
                             columns=[*COLUMNS, *(("attributes",) if fmt != "shp" else ())],
                             geometry=[shapely.geometry.shape(p["geometry"]) for p in parcels], crs="EPSG:4490")
    check_target(path)
    if fmt == "shp":
        _write_zipped_shapefile(frame.rename(columns=SHAPEFILE_NAMES), path, encoding)
    else:
        if path.exists():
            path.unlink()
        if fmt == "kml":  # KML is WGS 84 by definition
            frame = frame.to_crs("EPSG:4326")
        frame.to_file(path, driver=FORMATS[fmt], layer="parcels" if fmt == "gpkg" else None, engine="pyogrio")
    return {"path": str(path), "format": fmt, "parcels": len(parcels), "crs": "EPSG:4490",
            **({"encoding": encoding} if fmt == "shp" else {})}


def _columns(p: dict[str, Any], *, with_attributes: bool) -> dict[str, Any]:
    row = {c: p.get(c) for c in COLUMNS}
    row["area_ha"], row["area_mu"] = float(p["area_ha"]), float(p["area_mu"])
    if with_attributes:
        row["attributes"] = json.dumps(p.get("attributes", {}), ensure_ascii=False, sort_keys=True)
    return row


def _write_zipped_shapefile(frame: gpd.GeoDataFrame, path: Path, encoding: str = "UTF-8") -> None:
    stem = path.stem
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{stem}.shp"
        frame.to_file(shp, driver="ESRI Shapefile", encoding=encoding, engine="pyogrio")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for part in sorted(Path(tmp).iterdir()):
                z.write(part, part.name)
