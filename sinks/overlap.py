"""Double counting: overlaps between parcels, within a file and against the registry.

Two parcels conflict when their intersection, measured in the region's Gauss-Krüger zone, is
larger than the tolerance: the larger of :data:`OVERLAP_TOLERANCE_M2` (1 m²) and
:data:`OVERLAP_TOLERANCE_SHARE` (0.1 %) of the **smaller** parcel's area. Taking the smaller
parcel matters: with the new parcel's area a 1,000 ha parcel would be allowed to swallow a
registered 0.5 ha one whole. Digitising noise along shared boundaries stays below the tolerance;
touching neighbours have no overlap at all.

Candidates come from a shapely ``STRtree`` (``predicate="intersects"``); intersection areas of
all candidate pairs are computed in one vectorised call (GIS_NOTES: 100,000 adjacent parcels in
a few seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

OVERLAP_TOLERANCE_M2 = 1.0
OVERLAP_TOLERANCE_SHARE = 0.001


@dataclass(frozen=True)
class OverlapTolerance:
    """How much two parcels may overlap before it counts as double counting."""

    min_m2: float = OVERLAP_TOLERANCE_M2
    share: float = OVERLAP_TOLERANCE_SHARE

    def allowed_m2(self, area_a_m2: np.ndarray | float, area_b_m2: np.ndarray | float) -> np.ndarray:
        """Largest allowed overlap of each pair, in m².

        Examples
        --------
        >>> OverlapTolerance().allowed_m2(np.array([500.0, 50_000.0]), np.array([10_000_000.0, 80_000.0]))
        array([ 1., 50.])
        """
        return np.maximum(self.min_m2, self.share * np.minimum(area_a_m2, area_b_m2))


DEFAULT_TOLERANCE = OverlapTolerance()


@dataclass(frozen=True)
class OverlapPair:
    """Parcel ``i`` (of the new set) overlaps parcel ``j`` (of the same set or the registry)."""

    i: int
    j: int
    overlap_m2: float


def overlaps_within(geoms_m: np.ndarray, areas_m2: np.ndarray,
                    tolerance: OverlapTolerance = OverlapTolerance()) -> list[OverlapPair]:
    """Pairs ``i < j`` of one set of parcels (in metres) that overlap beyond the tolerance."""
    if len(geoms_m) < 2:
        return []
    tree = shapely.STRtree(geoms_m)
    left, right = tree.query(geoms_m, predicate="intersects")
    keep = left < right
    return _over_tolerance(geoms_m, left[keep], geoms_m, right[keep], areas_m2, areas_m2, tolerance)


def overlaps_between(new_m: np.ndarray, new_areas_m2: np.ndarray, existing_m: np.ndarray,
                     existing_areas_m2: np.ndarray,
                     tolerance: OverlapTolerance = OverlapTolerance()) -> list[OverlapPair]:
    """Pairs (new ``i``, existing ``j``) that overlap beyond the tolerance."""
    if len(new_m) == 0 or len(existing_m) == 0:
        return []
    tree = shapely.STRtree(existing_m)
    left, right = tree.query(new_m, predicate="intersects")
    return _over_tolerance(new_m, left, existing_m, right, new_areas_m2, existing_areas_m2, tolerance)


def _over_tolerance(a: np.ndarray, ia: np.ndarray, b: np.ndarray, ib: np.ndarray, areas_a: np.ndarray,
                    areas_b: np.ndarray, tolerance: OverlapTolerance) -> list[OverlapPair]:
    if len(ia) == 0:
        return []
    overlap = shapely.area(shapely.intersection(a[ia], b[ib]))
    bad = overlap > tolerance.allowed_m2(areas_a[ia], areas_b[ib])
    return [OverlapPair(int(i), int(j), round(float(m2), 2)) for i, j, m2 in zip(ia[bad], ib[bad], overlap[bad])]


def overlap_geojson(a_lonlat: shapely.Geometry, b_lonlat: shapely.Geometry) -> dict:
    """The overlap of two parcels as a GeoJSON geometry (lon/lat), for the map to show."""
    return shapely.geometry.mapping(shapely.intersection(a_lonlat, b_lonlat))
