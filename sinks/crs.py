"""Coordinate reference systems of parcel files, and where their coordinates really are.

Rules (``docs/parcels.md`` §CRS):

- Any CRS that PROJ can read is accepted: EPSG:4490 (CGCS2000), EPSG:4326 (WGS84), the
  CGCS2000 Gauss-Krüger zones (3°: EPSG:4513-4554; 6°: EPSG:4491-4512), and so on. Everything is
  stored in EPSG:4490 lon/lat; every transformation uses ``always_xy=True``.
- A file with no CRS is refused unless the user names one; a naming overrides the file's own.
- A ``.prj`` that is not well-formed WKT (unbalanced brackets, text after the root node) is
  refused, though GDAL reads some of them leniently: a guessed CRS moves parcels silently.
- Xian 1980 and Beijing 1954 (and anything on the Krasovsky 1940 or IAG 1975 ellipsoid) are
  refused unless the user allows them: PROJ only has a "ballpark" shift for them (1.6 m for
  Xian 1980, 61 m for Beijing 1954 around Huzhou, neither the real datum shift; GIS_NOTES §5.1).
  Allowed, they are converted with that ballpark and every parcel carries the flag.
- GCJ-02 (Gaode/Tencent) coordinates are converted to WGS84 only when the user says so.

A parcel outside the region is diagnosed before it is refused: swapped axes, projected metres
labelled as degrees, a Gauss-Krüger zone prefix that does not match the CRS, or simply elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from sinks import gcj02
from sinks.problems import Problem

STORAGE_EPSG = 4490
LEGACY_DATUM_WORDS = ("xian 1980", "xi'an 1980", "xian_1980", "beijing 1954", "beijing_1954", "krassowsky",
                      "krasovsky", "iag 1975", "iag_1975")
CGCS2000_3DEG_PREFIXED = {zone: 4513 + zone - 25 for zone in range(25, 46)}  # zones 25-45, e.g. 40 -> 4528
CGCS2000_6DEG_PREFIXED = {zone: 4491 + zone - 13 for zone in range(13, 24)}  # zones 13-23


@dataclass(frozen=True)
class SourceCrs:
    """The CRS coordinates are read in, and whether it is a legacy datum converted by ballpark."""

    crs: CRS
    legacy_datum: bool = False

    @property
    def label(self) -> str:
        known = _LABELS.get(id(self.crs))
        if known is not None and known[0] is self.crs:
            return known[1]
        epsg = self.crs.to_epsg(min_confidence=70)
        label = f"EPSG:{epsg}" if epsg else self.crs.name
        if len(_LABELS) < 64:
            _LABELS[id(self.crs)] = (self.crs, label)
        return label


_LABELS: dict[int, tuple[CRS, str]] = {}  # id → (the CRS, kept alive; its label): CRSs are not changed once made


def resolve_crs(file_crs: str | None, *, prj_text: str | None = None, named: str | None = None,
                allow_legacy_datum: bool = False) -> tuple[SourceCrs | None, list[Problem], list[Problem]]:
    """The CRS to read a file in, with the file-level problems and notices it raises.

    Parameters
    ----------
    file_crs : str or None
        The CRS GDAL reports (WKT or ``EPSG:n``), ``None`` if the file has none.
    prj_text : str or None
        The Shapefile's ``.prj`` text, checked for well-formedness.
    named : str or None
        A CRS the user names (``EPSG:4549``, WKT, PROJ string); it overrides the file's.
    allow_legacy_datum : bool
        Accept Xian 1980 / Beijing 1954 with PROJ's ballpark conversion.
    """
    problems: list[Problem] = []
    if named:
        crs = _read_crs(named)
        if crs is None:
            return None, [Problem("crs_unreadable", crs=named[:60])], []
        notices = [Problem("crs_named_by_user", crs=named[:60])]
    elif prj_text is not None and not wkt_is_well_formed(prj_text):
        return None, [Problem("crs_definition_malformed", sample=prj_text.strip()[:80])], []
    elif not file_crs:
        return None, [Problem("crs_missing")], []
    else:
        crs, notices = _read_crs(file_crs), []
        if crs is None:
            return None, [Problem("crs_unreadable", crs=file_crs[:60])], []
    legacy = _legacy(crs)
    if legacy and not allow_legacy_datum:
        problems.append(Problem("crs_legacy_datum", crs=crs.name))
    elif legacy:
        notices.append(Problem("crs_legacy_datum_converted", crs=crs.name))
    return SourceCrs(crs, legacy), problems, notices


@lru_cache(maxsize=64)
def _read_crs(text: str) -> CRS | None:
    """The CRS ``text`` names (kept: a drawn parcel names EPSG:4490 every time; CRS objects are
    not changed once made)."""
    try:
        return CRS.from_user_input(text)
    except CRSError:
        return None


def wkt_is_well_formed(text: str) -> bool:
    """Balanced brackets, one root node, nothing after it, no empty names.

    Examples
    --------
    >>> wkt_is_well_formed('GEOGCS["WGS 84",DATUM["D",SPHEROID["S",6378137,298.25]],PRIMEM["Greenwich",0],UNIT["Degree",0.017]]')
    True
    >>> wkt_is_well_formed('GEOGCS["GCS",PRIMEM["",0]], PROJECTION["WGS84"]')
    False
    """
    body = text.strip()
    if not re.match(r"^[A-Z_0-9]+\[", body) or '[""' in body.replace(" ", ""):
        return False
    depth, in_quote = 0, False
    for i, char in enumerate(body):
        if char == '"':
            in_quote = not in_quote
        elif not in_quote and char in "[(":
            depth += 1
        elif not in_quote and char in "])":
            depth -= 1
            if depth == 0:
                return body[i + 1:].strip() == ""
    return False


_LEGACY: dict[int, tuple[CRS, bool]] = {}  # id → (the CRS, kept alive; the answer), for _read_crs's CRSs


def _legacy(crs: CRS) -> bool:
    known = _LEGACY.get(id(crs))
    if known is not None and known[0] is crs:
        return known[1]
    answer = is_legacy_datum(crs)
    if len(_LEGACY) < 64:
        _LEGACY[id(crs)] = (crs, answer)
    return answer


def is_legacy_datum(crs: CRS) -> bool:
    """Whether ``crs`` is on Xian 1980 / Beijing 1954 (or their ellipsoids)."""
    geodetic = crs.geodetic_crs or crs
    names = " ".join(x.lower() for x in (geodetic.name, geodetic.datum.name if geodetic.datum else "",
                                         crs.ellipsoid.name if crs.ellipsoid else ""))
    return any(word in names for word in LEGACY_DATUM_WORDS)


@lru_cache(maxsize=32)
def transformer(src: str, dst: str) -> Transformer:
    """A cached lon/lat-ordered transformer between two CRSs given as ``EPSG:n`` or WKT."""
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def transform(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Transform an array of shapely geometries (all their coordinates in one PROJ call)."""
    t = transformer(src, dst)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def crs_key(crs: CRS) -> str:
    """A hashable text form for :func:`transformer`'s cache."""
    known = _KEYS.get(id(crs))
    if known is not None and known[0] is crs:
        return known[1]
    epsg = crs.to_epsg(min_confidence=100)
    key = f"EPSG:{epsg}" if epsg else crs.to_wkt()
    if len(_KEYS) < 64:
        _KEYS[id(crs)] = (crs, key)
    return key


_KEYS: dict[int, tuple[CRS, str]] = {}  # id → (the CRS, kept alive; its key)


def to_storage(geoms: np.ndarray, source: SourceCrs, *, from_gcj02: bool) -> np.ndarray:
    """Lon/lat in EPSG:4490, converting GCJ-02 to WGS84 first when the user said so.

    Non-finite results (points PROJ cannot transform) come back as NaN coordinates; the
    geometry checks refuse them.
    """
    key = crs_key(source.crs)
    if transformer(key, f"EPSG:{STORAGE_EPSG}").name == "noop":  # already CGCS2000 lon/lat: PROJ would copy
        out = np.array(geoms, dtype=object, copy=True)
    else:
        out = transform(geoms, key, f"EPSG:{STORAGE_EPSG}")
    if from_gcj02:
        out = shapely.transform(out, lambda xy: np.column_stack(gcj02.gcj02_to_wgs84_array(xy[:, 0], xy[:, 1])))
    return out


def diagnose_position(geom_source: shapely.Geometry, geom_lonlat: shapely.Geometry, source: SourceCrs, *,
                      region_bounds: tuple[float, float, float, float], region_name: str) -> Problem:
    """The most specific reason a parcel lies outside the region (it does: the caller checked)."""
    x0, y0, x1, y1 = geom_source.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if _inside(_point_to_storage(cy, cx, source), region_bounds):
        return Problem("coordinates_swapped", field="geometry", x=round(cx, 6), y=round(cy, 6))
    if source.crs.is_geographic and (abs(cx) > 180 or abs(cy) > 90):
        return Problem("coordinates_not_degrees", field="geometry", x=round(cx, 1), y=round(cy, 1),
                       suggested_crs=suggest_projected_crs(cx, cy) or "?")
    if source.crs.is_projected and _zone_prefix_mismatch(cx, source.crs):
        return Problem("crs_zone_mismatch", field="geometry", crs=source.label,
                       suggested_crs=suggest_projected_crs(cx, cy) or "?")
    return Problem("geometry_outside_region", field="geometry", region=region_name,
                   bounds=[round(float(v), 6) for v in geom_lonlat.bounds])


def _zone_prefix_mismatch(easting_m: float, crs: CRS) -> bool:
    """A zone-prefixed easting in a CRS without the prefix, or the other way round."""
    params = crs.coordinate_operation.params if crs.coordinate_operation else []
    false_easting = next((p.value for p in params if p.name.lower() == "false easting"), None)
    if false_easting is None:
        return False
    return (easting_m >= 1_000_000) != (false_easting >= 1_000_000)


def _inside(point: tuple[float, float], bounds: tuple[float, float, float, float]) -> bool:
    lon, lat = point
    return bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]


def _point_to_storage(x: float, y: float, source: SourceCrs) -> tuple[float, float]:
    lon, lat = transformer(crs_key(source.crs), f"EPSG:{STORAGE_EPSG}").transform(x, y)
    return float(lon), float(lat)


def suggest_projected_crs(x: float, y: float) -> str | None:
    """A CGCS2000 Gauss-Krüger CRS that metre coordinates ``x, y`` fit in China, if one does.

    A zone-prefixed easting (e.g. 40 512 345 m) names its zone; an easting of 0.3-0.7 million
    metres fits any central-meridian CRS, so only the prefix-free form is suggested.

    Examples
    --------
    >>> suggest_projected_crs(40_512_345, 3_410_000), suggest_projected_crs(512_345, 3_410_000)
    ('EPSG:4528', 'CGCS2000 3-degree Gauss-Kruger CM (e.g. EPSG:4549)')
    """
    if not 1_900_000 <= y <= 6_200_000:
        return None
    zone, easting = divmod(x, 1_000_000)
    if 200_000 <= easting <= 800_000:
        if int(zone) in CGCS2000_3DEG_PREFIXED:
            return f"EPSG:{CGCS2000_3DEG_PREFIXED[int(zone)]}"
        if int(zone) in CGCS2000_6DEG_PREFIXED:
            return f"EPSG:{CGCS2000_6DEG_PREFIXED[int(zone)]}"
        if zone == 0:
            return "CGCS2000 3-degree Gauss-Kruger CM (e.g. EPSG:4549)"
    return None
