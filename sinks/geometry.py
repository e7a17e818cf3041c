"""Parcel geometry: parsing, shape checks, validity and repair, parts and slivers, area.

Geometry is stored in CGCS2000 (EPSG:4490, lon/lat order). Areas are computed after
reprojection to the region's CGCS2000 3-degree Gauss-Krüger zone (Huzhou: EPSG:4549, at most
0.015 % area error anywhere in the city); never in Web Mercator.

Checks run in this order, each returning a :class:`~sinks.problems.Problem` instead of raising:
geometry missing or unreadable → not polygonal (points, lines, TIN, ...) → empty → curves (unless
linearising is allowed) → non-finite coordinates → (after reprojection) outside the region →
invalid (with the reason and the lon/lat location GEOS reports) → parcel below the minimum area →
a part below the minimum part area, or a sliver (mean width below :data:`MIN_MEAN_WIDTH_M`).
Z and M values are dropped with a notice; exterior rings are oriented counter-clockwise.
"""

from __future__ import annotations

import functools
import json
import re
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from sinkledger_base.errors import InvalidInput
from sinks.crs import transform
from sinks.problems import Problem

M2_PER_HA = 10_000
M2_PER_MU = 10_000 / 15  # 1 mu = 1/15 ha
MIN_PARCEL_AREA_M2 = 100.0
MIN_PART_AREA_M2 = 50.0
MIN_MEAN_WIDTH_M = 2.0  # 2 * area / perimeter of a part; below it the part is a sliver
POLYGONAL = ("Polygon", "MultiPolygon")
WKB_TYPE_NAMES = {1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
                  6: "MultiPolygon", 7: "GeometryCollection", 8: "CircularString", 9: "CompoundCurve",
                  10: "CurvePolygon", 11: "MultiCurve", 12: "MultiSurface", 15: "PolyhedralSurface",
                  16: "TIN", 17: "Triangle"}
_REASON = re.compile(r"^(?P<reason>[^\[]*)\[(?P<x>[-\d.eE+]+) (?P<y>[-\d.eE+]+)")


def parse_geojson(value: str | Mapping[str, Any]) -> BaseGeometry:
    """Parse a GeoJSON geometry or Feature (what a map's draw tool returns).

    Raises
    ------
    InvalidInput
        ``geometry_unreadable`` with the parser's reason (e.g. an unclosed ring).
    """
    try:
        obj = json.loads(value) if isinstance(value, str) else dict(value)
        if obj.get("type") == "Feature":
            obj = obj["geometry"]
        _require_closed_rings(obj)
        geom = shape(obj)
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            raise ValueError("a coordinate is not a finite number")
        return geom
    except Exception as exc:
        reason = str(exc)[:200].encode("utf-8", "backslashreplace").decode("utf-8")
        raise InvalidInput("geometry_unreadable", reason=reason) from None


def _require_closed_rings(obj: Mapping[str, Any]) -> None:
    """RFC 7946: a ring's last position equals its first (shapely would close it silently)."""
    polygons = {"Polygon": [obj.get("coordinates")], "MultiPolygon": obj.get("coordinates")}.get(obj.get("type"), [])
    for polygon in polygons or []:
        for ring in polygon or []:
            if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
                raise ValueError("a polygon ring is not closed or has fewer than 4 positions")


def wkb_type_name(wkb: bytes) -> str:
    """The geometry type an ISO/EWKB blob declares (``"TIN"``, ``"Polygon"``, ...)."""
    if len(wkb) < 5:
        return "?"
    code = struct.unpack("<I" if wkb[0] == 1 else ">I", wkb[1:5])[0] & 0x0FFFFFFF
    return WKB_TYPE_NAMES.get(code % 1000, f"WKB type {code}")


def parse_wkbs(wkbs: list[bytes | None]) -> tuple[np.ndarray, dict[int, Problem]]:
    """Geometries from WKB (``None`` where a row has none or it cannot be read) and per-row problems.

    Rows are numbered from 1. TIN, polyhedral surfaces and other types shapely cannot hold are
    reported as not polygonal, with the type named.
    """
    geoms = _parse_clean_wkbs(wkbs)
    if geoms is not None:
        return geoms, {}
    geoms = np.empty(len(wkbs), dtype=object)
    problems: dict[int, Problem] = {}
    for i, wkb in enumerate(wkbs):
        if wkb is None:
            problems[i + 1] = Problem("geometry_missing", row=i + 1, field="geometry")
            continue
        name = wkb_type_name(wkb)
        if name in ("TIN", "PolyhedralSurface", "Triangle") or name.startswith("WKB type"):
            problems[i + 1] = Problem("geometry_not_polygonal", row=i + 1, field="geometry", geom_type=name)
            continue
        try:
            geoms[i] = shapely.from_wkb(wkb)
        except shapely.errors.GEOSException as exc:
            problems[i + 1] = Problem("geometry_unreadable", row=i + 1, field="geometry", reason=str(exc)[:120])
    return geoms, problems


def _parse_clean_wkbs(wkbs: list[bytes | None]) -> np.ndarray | None:
    """:func:`parse_wkbs` in one call when every row has a geometry of a type shapely holds and
    GEOS reads them all; ``None`` otherwise (then each row is read and reported on its own)."""
    if not wkbs or None in wkbs:
        return None
    try:
        heads = np.frombuffer(b"".join([w[:5] for w in wkbs]), dtype=np.uint8).reshape(len(wkbs), 5)
    except ValueError:  # a blob shorter than its header
        return None
    little = heads[:, 1:5].copy().view("<u4").ravel()
    big = heads[:, 1:5].copy().view(">u4").ravel()
    codes = (np.where(heads[:, 0] == 1, little, big) & 0x0FFFFFFF) % 1000
    if not _READABLE_TYPE_CODES[codes].all():
        return None
    try:
        return shapely.from_wkb(np.array(wkbs, dtype=object))
    except shapely.errors.GEOSException:
        return None


_READABLE_TYPE_CODES = np.isin(np.arange(1000), [c for c, name in WKB_TYPE_NAMES.items()
                                                  if name not in ("TIN", "PolyhedralSurface", "Triangle")])


def shape_problem(geom: BaseGeometry) -> Problem | None:
    """Not polygonal, empty, or with coordinates that are not finite numbers."""
    if geom.geom_type not in POLYGONAL:
        return Problem("geometry_not_polygonal", field="geometry", geom_type=geom.geom_type)
    if geom.is_empty:
        return Problem("geometry_empty", field="geometry")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return Problem("coordinates_not_finite", field="geometry")
    return None


def location_text(x: float, y: float) -> str:
    return f"{x:.6f} {y:.6f}"


def validity_problem(geom: BaseGeometry) -> Problem | None:
    """``geometry_invalid`` with GEOS's reason and the lon/lat where it found it, or ``None``.

    Examples
    --------
    >>> bowtie = shapely.Polygon([(120, 30.5), (120.01, 30.51), (120.01, 30.5), (120, 30.51)])
    >>> p = validity_problem(bowtie)
    >>> p.code, p.params["reason"], p.params["location"]
    ('geometry_invalid', 'Self-intersection', '120.005000 30.505000')
    """
    if shapely.is_valid(geom):
        return None
    match = _REASON.match(shapely.is_valid_reason(geom))
    if match is None:
        return Problem("geometry_invalid", field="geometry", reason=shapely.is_valid_reason(geom)[:80], location="?")
    return Problem("geometry_invalid", field="geometry", reason=match["reason"].strip(),
                   location=location_text(float(match["x"]), float(match["y"])))


def repair(geom: BaseGeometry) -> BaseGeometry | None:
    """The explicit repair step: ``make_valid`` keeping only the polygonal result.

    ``make_valid`` keeps both lobes of a bow-tie (``buffer(0)`` drops one). Lines and points
    that collapse out of the repair are discarded; ``None`` if nothing polygonal is left.
    """
    fixed = shapely.make_valid(geom)
    if fixed.geom_type == "GeometryCollection":
        parts = [g for g in shapely.get_parts(fixed) if g.geom_type in POLYGONAL]
        fixed = shapely.union_all(parts) if parts else shapely.Polygon()
    return None if fixed.is_empty or fixed.geom_type not in POLYGONAL else shapely.orient_polygons(fixed)


def orient(geoms: np.ndarray) -> np.ndarray:
    """Counter-clockwise exteriors, clockwise holes (RFC 7946 and OGC order).

    Polygons without holes whose ring is counter-clockwise already (its signed area positive by
    a wide margin over rounding) are kept as they are; GEOS orients the rest.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < ORIENT_CHECK_MIN:  # a drawn parcel or a small file: GEOS alone is quicker
        return shapely.orient_polygons(geoms)
    simple = np.flatnonzero((shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0))
    keep = np.zeros(len(geoms), dtype=bool)
    if len(simple):
        keep[simple[_clearly_counter_clockwise(geoms[simple])]] = True
    if keep.all():
        return geoms.copy()
    out = geoms.copy()
    rest = np.flatnonzero(~keep)
    out[rest] = shapely.orient_polygons(geoms[rest])
    return out


ORIENT_CHECK_MIN = 64


def _clearly_counter_clockwise(polygons: np.ndarray) -> np.ndarray:
    """Per polygon (one ring each): whether the ring's signed area is positive beyond doubt."""
    coords, index = shapely.get_coordinates(polygons, return_index=True)
    if len(coords) == 0:
        return np.zeros(len(polygons), dtype=bool)
    starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    counts = np.diff(np.r_[starts, len(index)])
    with np.errstate(invalid="ignore", over="ignore"):  # a non-finite ring is left to GEOS
        relative = coords - np.repeat(coords[starts], counts, axis=0)  # small numbers: little rounding
        cross = relative[:-1, 0] * relative[1:, 1] - relative[1:, 0] * relative[:-1, 1]
    same = index[:-1] == index[1:]
    twice_area = np.bincount(index[:-1][same], weights=cross[same], minlength=len(polygons))
    scale = np.bincount(index[:-1][same], weights=np.abs(cross[same]), minlength=len(polygons))
    with np.errstate(invalid="ignore"):
        return twice_area > 1e-9 * scale


def part_problems(geom_lonlat: BaseGeometry, geom_m: BaseGeometry) -> list[Problem]:
    """Parts below :data:`MIN_PART_AREA_M2` and slivers, each with its lon/lat location."""
    problems = []
    parts_m, parts_lonlat = shapely.get_parts(geom_m), shapely.get_parts(geom_lonlat)
    if len(parts_m) != len(parts_lonlat):
        return problems
    areas, perimeters = shapely.area(parts_m), shapely.length(parts_m)
    for n, (area, perimeter, part) in enumerate(zip(areas, perimeters, parts_lonlat), start=1):
        point = part.representative_point()
        where = location_text(point.x, point.y)
        if area < MIN_PART_AREA_M2:
            problems.append(Problem("part_too_small", field="geometry", part=n, area_m2=round(float(area), 2),
                                    min_area_m2=MIN_PART_AREA_M2, location=where))
        elif perimeter > 0 and 2 * area / perimeter < MIN_MEAN_WIDTH_M:
            problems.append(Problem("part_is_sliver", field="geometry", part=n,
                                    mean_width_m=round(float(2 * area / perimeter), 3),
                                    min_width_m=MIN_MEAN_WIDTH_M, location=where))
    return problems


def area_m2(geom_lonlat: BaseGeometry, area_epsg: int, src_epsg: int = 4490) -> float:
    """Area in square metres, computed in ``area_epsg`` (a Gauss-Krüger zone).

    Examples
    --------
    >>> square = shapely.box(500_000, 3_400_000, 501_000, 3_401_000)  # 1 km x 1 km in EPSG:4549
    >>> lonlat = transform(np.array([square]), "EPSG:4549", "EPSG:4490")[0]
    >>> round(area_m2(lonlat, 4549) / M2_PER_HA, 2)
    100.0
    """
    return float(areas_m2(np.array([geom_lonlat]), area_epsg, src_epsg)[0])


def areas_m2(geoms_lonlat: np.ndarray, area_epsg: int, src_epsg: int = 4490) -> np.ndarray:
    return shapely.area(to_metres(geoms_lonlat, area_epsg, src_epsg))


def to_metres(geoms_lonlat: np.ndarray, area_epsg: int, src_epsg: int = 4490) -> np.ndarray:
    return transform(np.asarray(geoms_lonlat, dtype=object), f"EPSG:{src_epsg}", f"EPSG:{area_epsg}")


def normalise_parcel_geometry(geom: BaseGeometry, *, bounds_lonlat: tuple[float, float, float, float],
                              region_name: str) -> BaseGeometry:
    """Compatibility: check one lon/lat geometry and return it 2-D and counter-clockwise.

    New code plans parcels with :func:`sinks.importer.plan_geometry`, which reports every problem.

    Raises
    ------
    InvalidInput
        The first of ``geometry_empty``, ``geometry_not_polygonal``, ``geometry_invalid``,
        ``geometry_outside_region``.
    """
    if geom is None or geom.is_empty:
        raise InvalidInput("geometry_empty")
    problem = shape_problem(geom) or validity_problem(shapely.force_2d(geom))
    if problem is not None:
        raise InvalidInput(problem.code, **problem.params)
    x0, y0, x1, y1 = geom.bounds
    if x0 < bounds_lonlat[0] or x1 > bounds_lonlat[2] or y0 < bounds_lonlat[1] or y1 > bounds_lonlat[3]:
        raise InvalidInput("geometry_outside_region", region=region_name, bounds=[x0, y0, x1, y1])
    return shapely.orient_polygons(shapely.force_2d(geom))


@functools.lru_cache(maxsize=4)
def _county_outlines(path: str) -> tuple[tuple[str, BaseGeometry], ...]:
    with open(path, encoding="utf-8") as f:
        features = json.load(f)["features"]
    outlines = tuple((str(f["properties"]["code"]), shapely.make_valid(shape(f["geometry"]))) for f in features)
    shapely.prepare([outline for _, outline in outlines])  # kept for the process: each is tested often
    return outlines


def county_at(outlines_path: str | Path, geometry: str | Mapping[str, Any] | BaseGeometry) -> str | None:
    """The code of the county whose outline holds most of ``geometry`` (lon/lat), or None when
    no county outline touches it: a parcel's county is derived from where it lies (issue 19).

    ``outlines_path`` is a GeoJSON FeatureCollection of county outlines with a ``code`` property
    (the region's ``counties.geojson``; None without one). A geometry that cannot be read is
    ``geometry_unreadable``.

    >>> county_at("gis_data/counties.geojson", {"type": "Point", "coordinates": [119.6, 30.6]})
    '330523'
    
    """
    parcel = shapely.make_valid(geometry if isinstance(geometry, BaseGeometry) else parse_geojson(geometry))
    try:
        outlines = _county_outlines(str(outlines_path))
    except OSError:  # a region without county outlines: nothing to derive from
        return None
    overlaps = [(parcel.intersection(outline).area, code) for code, outline in outlines if outline.intersects(parcel)]
    return max(overlaps)[1] if overlaps else None
