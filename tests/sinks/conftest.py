"""Fixtures for parcel tests: a registry with holders and households, and parcel files written
on the fly in a temporary folder (GeoJSON, GeoPackage, Shapefile zip, KML, KMZ) from squares laid
out in EPSG:4549 metres near Anji (安吉县)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from ledger.domain import PartyKind
from sinkledger.services.registry import SYSTEM_ACTOR
from sinks.crs import transform

ORIGIN_4549 = (469_500.0, 3_390_000.0)  # about 119.68 E, 30.64 N (Anji)
PARTIES = (("COL-1", PartyKind.collective, "山川乡大里村股份经济合作社（测试）"),
           ("COL-2", PartyKind.collective, "溪龙乡白茶专业合作社（测试）"),
           ("HH-1", PartyKind.household, "农户 HH-1（化名）"), ("HH-2", PartyKind.household, "农户 HH-2（化名）"),
           ("ENT-1", PartyKind.enterprise, "示例企业（测试）"))


@pytest.fixture
def registry(service):  # type: ignore[no-untyped-def]
    """Given two collectives, two households, an enterprise, a cooperative user and an admin."""
    for pid, kind, name in PARTIES:
        service.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=name, county_code="330523")
    service.create_user(username="coop", password="password-1", role="cooperative", party_id="COL-1", display_name="coop")
    service.create_user(username="admin", password="password-1", role="admin", party_id="REGISTRY", display_name="admin")
    return service


def square_m(col: float, row: float, size_m: float = 200.0, gap_m: float = 0.0) -> shapely.Polygon:
    """A square in EPSG:4549, ``col``/``row`` cells of ``size_m`` from the origin."""
    x0, y0 = ORIGIN_4549[0] + col * (size_m + gap_m), ORIGIN_4549[1] + row * (size_m + gap_m)
    return shapely.box(x0, y0, x0 + size_m, y0 + size_m)


def to_lonlat(geom: shapely.Geometry, epsg: int = 4549) -> shapely.Geometry:
    return transform(np.array([geom], dtype=object), f"EPSG:{epsg}", "EPSG:4490")[0]


def lonlat_square(col: float, row: float, size_m: float = 200.0) -> dict[str, Any]:
    return shapely.geometry.mapping(to_lonlat(square_m(col, row, size_m)))


def frame(rows: list[dict[str, Any]], geoms: list[shapely.Geometry], crs: str | None = "EPSG:4490") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def bamboo_rows(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"parcel_code": f"T-BF-{i + 1:03d}", "sink_type": "bamboo_forest", "holder": "COL-1",
             "county_code": "330523", **extra} for i in range(n)]


def write(gdf: gpd.GeoDataFrame, path: Path, **kw: Any) -> Path:
    driver = {".geojson": "GeoJSON", ".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".kml": "LIBKML"}[path.suffix]
    gdf.to_file(path, driver=driver, engine="pyogrio", **kw)
    return path


def zip_shapefile(shp: Path, drop: tuple[str, ...] = ()) -> Path:
    """Zip the parts of ``shp`` (leaving out the suffixes in ``drop``) beside it."""
    out = shp.with_suffix(".zip")
    with zipfile.ZipFile(out, "w") as z:
        for part in sorted(shp.parent.glob(shp.stem + ".*")):
            if part.suffix.lower() not in drop and part.suffix != ".zip":
                z.write(part, part.name)
    return out


def geojson_file(path: Path, features: list[tuple[dict[str, Any], dict[str, Any]]], crs: str | None = None) -> Path:
    """A GeoJSON written by hand (properties, geometry), optionally with a legacy ``crs`` member."""
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": g} for p, g in features]}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def codes(report_or_error: Any) -> list[str]:
    problems = report_or_error["problems"] if isinstance(report_or_error, dict) else \
        report_or_error.params["problems"]
    return [p["code"] for p in problems]
