"""The geometry checks of an import plan, vectorised over all rows, and the checks between rows.

Order per row (a row stops at its first geometry problem): not polygonal / empty / non-finite →
curves → (Z dropped, axes swapped if asked, reprojected to EPSG:4490, GCJ-02 converted if asked)
→ outside the region (diagnosed) → invalid (or repaired, if the user accepted repairs) → below
the minimum parcel area → parts below the minimum part area, slivers. Then, between rows:
duplicate parcel codes and overlaps beyond the tolerance.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
import shapely

from sinks.crs import SourceCrs, diagnose_position, to_storage
from sinks.geometry import (
    M2_PER_MU,
    MIN_MEAN_WIDTH_M,
    MIN_PARCEL_AREA_M2,
    MIN_PART_AREA_M2,
    location_text,
    orient,
    repair,
    to_metres,
    validity_problem,
)
from sinks.overlap import OverlapTolerance, overlaps_within
from sinks.problems import Problem
from sinks.regions import Region

if TYPE_CHECKING:
    from sinks.importer import ImportPlan, ParcelDraft

POLYGON_TYPE_IDS = (3, 6)
DECLARED_AREA_TOLERANCE = Decimal("0.05")


def check_geometries(plan: ImportPlan, geoms: np.ndarray, curve_rows: set[int], crs: SourceCrs,
                     region: Region) -> None:
    """Check, reproject and measure every row's geometry; fill the drafts; add problems to the plan."""
    bad: dict[int, Problem] = {p.row: p for p in plan.problems if p.field == "geometry" and p.row is not None}
    known = set(bad)
    _shape(geoms, bad)
    _curves(curve_rows, plan, bad)
    alive = np.ones(len(geoms), dtype=bool)
    alive[[row - 1 for row in bad]] = False
    live = np.flatnonzero(alive)
    if len(live) == 0:
        plan.problems += [p for r, p in bad.items() if r not in known]
        return
    source = _flatten(geoms[live], plan)
    lonlat = to_storage(_swapped(source) if plan.options.swap_axes else source, crs,
                        from_gcj02=plan.options.from_gcj02)
    _position(live, source, lonlat, crs, region, bad)
    lonlat = _validity(live, lonlat, plan, bad)
    _measure(live, orient(lonlat), plan, region, bad)
    plan.problems += [p for r, p in sorted(bad.items()) if r not in known]


def check_region_fields(plan: ImportPlan, region: Region, on: date | None = None) -> None:
    """Every row's county code and sink type against the region profile (:mod:`sinks.regions`):
    a county code the profile lists as no longer in use ``on`` (default: today) is refused with
    ``county_code_retired`` (naming its successor), one it does not list with
    ``county_code_unknown``; a sink type the region does not use with ``sink_type_not_in_region``."""
    plan.problems += region_field_problems(plan.drafts, region, on)


def region_field_problems(drafts: list[ParcelDraft], region: Region, on: date | None = None) -> list[Problem]:
    """The problems :func:`check_region_fields` adds, for ``drafts`` whose fields passed their own checks."""
    problems = []
    for d in drafts:
        for name, found in (("sink_type", region.sink_type_problem(d.sink_type) if d.sink_type else None),
                            ("county_code", region.county_problem(d.county_code, on) if d.county_code else None)):
            if found is not None:
                problems.append(Problem(found[0], row=d.row, field=name, **found[1]))
    return problems


def _shape(geoms: np.ndarray, bad: dict[int, Problem]) -> None:
    present = np.array([g is not None for g in geoms], dtype=bool)
    type_ids, empty = shapely.get_type_id(geoms), shapely.is_empty(geoms)
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    not_finite = np.zeros(len(geoms), dtype=bool)
    not_finite[index[~np.isfinite(coords).all(axis=1)]] = True
    polygonal = (type_ids == POLYGON_TYPE_IDS[0]) | (type_ids == POLYGON_TYPE_IDS[1])
    suspect = present & (~polygonal | empty | not_finite)
    for i in np.flatnonzero(suspect).tolist():
        if i + 1 in bad:
            continue
        if type_ids[i] not in POLYGON_TYPE_IDS:
            bad[i + 1] = Problem("geometry_not_polygonal", row=i + 1, field="geometry", geom_type=geoms[i].geom_type)
        elif empty[i]:
            bad[i + 1] = Problem("geometry_empty", row=i + 1, field="geometry")
        else:
            bad[i + 1] = Problem("coordinates_not_finite", row=i + 1, field="geometry")


def _curves(curve_rows: set[int], plan: ImportPlan, bad: dict[int, Problem]) -> None:
    for row in sorted(curve_rows):
        if row in bad:
            continue
        if plan.options.linearise_curves:
            plan.drafts[row - 1].flags.append(Problem("curves_linearised", row=row, field="geometry"))
        else:
            bad[row] = Problem("geometry_has_curves", row=row, field="geometry")


def _flatten(geoms: np.ndarray, plan: ImportPlan) -> np.ndarray:
    with_z = int(shapely.has_z(geoms).sum())
    if with_z:
        plan.notices.append(Problem("z_values_dropped", rows=with_z))
        return shapely.force_2d(geoms)
    return geoms


def _swapped(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: xy[:, ::-1].copy())


def _position(live: np.ndarray, source: np.ndarray, lonlat: np.ndarray, crs: SourceCrs, region: Region,
              bad: dict[int, Problem]) -> None:
    x0, y0, x1, y1 = region.bounds_lonlat
    b = shapely.bounds(lonlat)
    inside = (b[:, 0] >= x0) & (b[:, 2] <= x1) & (b[:, 1] >= y0) & (b[:, 3] <= y1)
    for k in np.flatnonzero(~inside):
        row = int(live[k]) + 1
        bad[row] = diagnose_position(source[k], lonlat[k], crs, region_bounds=region.bounds_lonlat,
                                     region_name=region.name_zh).at(row)


def _validity(live: np.ndarray, lonlat: np.ndarray, plan: ImportPlan, bad: dict[int, Problem]) -> np.ndarray:
    """Invalid geometries: a problem with reason and location, or the accepted repair.

    A row already refused for its position is still checked, so the report names both.
    """
    lonlat = lonlat.copy()
    for k in np.flatnonzero(~shapely.is_valid(lonlat)):
        row = int(live[k]) + 1
        if row in bad and not np.isfinite(shapely.get_coordinates(lonlat[k])).all():
            continue  # PROJ could not place it at all; the position problem says why
        problem = validity_problem(lonlat[k]).at(row)
        if row in bad:
            plan.problems.append(problem)
            continue
        fixed = repair(lonlat[k])
        plan.repairs.append(_repair_preview(row, problem, lonlat[k], fixed, plan.options.repair))
        if fixed is None:
            bad[row] = Problem("geometry_unrepairable", row=row, field="geometry", **problem.params)
        elif plan.options.repair:
            lonlat[k] = fixed
            plan.drafts[row - 1].flags.append(Problem("geometry_repaired", row=row, field="geometry", **problem.params))
        else:
            bad[row] = problem
    return lonlat


def _repair_preview(row: int, problem: Problem, before: shapely.Geometry, after: shapely.Geometry | None,
                    accepted: bool) -> dict:
    return {"row": row, "reason": problem.params.get("reason"), "location": problem.params.get("location"),
            "parts_before": int(shapely.get_num_geometries(before)),
            "parts_after": int(shapely.get_num_geometries(after)) if after is not None else 0,
            "geometry": shapely.geometry.mapping(after) if after is not None else None, "accepted": accepted}


def _measure(live: np.ndarray, lonlat: np.ndarray, plan: ImportPlan, region: Region,
             bad: dict[int, Problem]) -> None:
    metres = to_metres(lonlat, region.area_epsg)
    areas = shapely.area(metres)
    part_bad = _part_problems(lonlat, metres, areas)
    open_rows = np.array([int(i) + 1 not in bad for i in live.tolist()], dtype=bool)
    has_part_problem = np.zeros(len(live), dtype=bool)
    has_part_problem[list(part_bad)] = True
    for k in np.flatnonzero(open_rows & ((areas < MIN_PARCEL_AREA_M2) | has_part_problem)):
        row = int(live[k]) + 1
        if areas[k] < MIN_PARCEL_AREA_M2:
            bad[row] = Problem("area_too_small", row=row, field="geometry", area_m2=round(float(areas[k]), 1),
                               min_area_m2=MIN_PARCEL_AREA_M2)
        else:
            bad[row] = part_bad[int(k)].at(row)
    good = open_rows & (areas >= MIN_PARCEL_AREA_M2) & ~has_part_problem
    ks = np.flatnonzero(good)
    rows = live[ks]
    plan.geoms_m[rows] = metres[ks]
    drafts = plan.drafts
    good_drafts = [drafts[i] for i in rows.tolist()]
    for draft, geom, area in zip(good_drafts, lonlat[ks].tolist(), areas[ks].tolist()):
        draft.geometry, draft.area_m2 = geom, area
    _declared_area_flags(good_drafts, areas[ks])


def _part_problems(lonlat: np.ndarray, metres: np.ndarray, areas_m2: np.ndarray | None = None) -> dict[int, Problem]:
    """The first small or sliver part of each parcel, keyed by position in ``lonlat``.

    A polygon is its own one part: only multipolygons are taken apart (``areas_m2``, the
    parcels' areas, when known, are the polygons' part areas).
    """
    type_ids = shapely.get_type_id(metres)
    single = np.flatnonzero(type_ids == 3)
    if len(single) == len(metres):  # polygons only (a drawn parcel, most files): each its own part
        areas = shapely.area(metres) if areas_m2 is None else areas_m2
        return first_part_problems(lonlat, single, np.zeros(len(single), dtype=np.int64), areas,
                                   shapely.length(metres))
    multi = np.flatnonzero(type_ids != 3)
    parts, sub = shapely.get_parts(metres[multi], return_index=True)
    index = np.concatenate([single, multi[sub]])
    numbers = np.concatenate([np.zeros(len(single), dtype=np.int64), _part_numbers(sub)])
    single_areas = shapely.area(metres[single]) if areas_m2 is None else areas_m2[single]
    areas = np.concatenate([single_areas, shapely.area(parts)])
    lengths = np.concatenate([shapely.length(metres[single]), shapely.length(parts)])
    order = np.argsort(index, kind="stable")
    return first_part_problems(lonlat, index[order], numbers[order], areas[order], lengths[order])


def first_part_problems(lonlat: np.ndarray, index: np.ndarray, numbers: np.ndarray, areas: np.ndarray,
                        lengths: np.ndarray) -> dict[int, Problem]:
    """The first small or sliver part of each parcel, from every part's parcel (``index``, sorted),
    number within it, area and perimeter."""
    width = np.where(lengths > 0, 2 * areas / np.maximum(lengths, 1e-12), 0.0)
    found: dict[int, Problem] = {}
    for n in np.flatnonzero((areas < MIN_PART_AREA_M2) | (width < MIN_MEAN_WIDTH_M)):
        k = int(index[n])
        if k in found:
            continue
        part_lonlat = shapely.get_geometry(lonlat[k], int(numbers[n]))
        point = part_lonlat.representative_point() if part_lonlat is not None else lonlat[k].representative_point()
        where = location_text(point.x, point.y)
        found[k] = (Problem("part_too_small", field="geometry", part=int(numbers[n]) + 1,
                            area_m2=round(float(areas[n]), 2), min_area_m2=MIN_PART_AREA_M2, location=where)
                    if areas[n] < MIN_PART_AREA_M2 else
                    Problem("part_is_sliver", field="geometry", part=int(numbers[n]) + 1,
                            mean_width_m=round(float(width[n]), 3), min_width_m=MIN_MEAN_WIDTH_M, location=where))
    return found


def _part_numbers(index: np.ndarray) -> np.ndarray:
    """0-based number of each part within its parcel (``index`` is sorted)."""
    starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    counts = np.diff(np.r_[starts, len(index)])
    return np.arange(len(index)) - np.repeat(starts, counts)


def _declared_area_flags(drafts: list[ParcelDraft], areas_m2: np.ndarray) -> None:
    """:func:`_declared_area_flag` of each draft (measured: ``areas_m2``), decided in floating point
    where it is clear by a wide margin and in decimals, as that function does, for the rest."""
    declared = [d.declared_area_mu for d in drafts]
    given = [k for k, value in enumerate(declared) if value is not None] if None in declared else range(len(drafts))
    if not len(given):
        return
    mu = {value: float(value) for value in dict.fromkeys(declared) if value is not None}
    declared_mu = np.array([mu[declared[k]] for k in given] if isinstance(given, list) else
                           list(map(mu.__getitem__, declared)))
    measured = (areas_m2[given] if isinstance(given, list) else areas_m2) / M2_PER_MU
    difference = np.abs((declared_mu - measured) / measured)
    for k in np.flatnonzero(difference > float(DECLARED_AREA_TOLERANCE) * (1 - 1e-9)).tolist():
        _declared_area_flag(drafts[given[k]])


def _declared_area_flag(draft) -> None:  # type: ignore[no-untyped-def]
    if draft.declared_area_mu is None:
        return
    declared = Decimal(draft.declared_area_mu)
    measured = Decimal(repr(draft.area_m2)) / Decimal(repr(M2_PER_MU))
    difference = (declared - measured) / measured
    if abs(difference) > DECLARED_AREA_TOLERANCE:
        draft.flags.append(Problem("declared_area_differs", row=draft.row, field="declared_area_mu",
                                   declared_mu=draft.declared_area_mu, measured_mu=f"{measured:.2f}",
                                   difference_pct=f"{difference * 100:+.1f}"))


_CODE, _AREA = attrgetter("parcel_code"), attrgetter("area_m2")


def check_rows_together(plan: ImportPlan, tolerance: OverlapTolerance) -> None:
    """Duplicate parcel codes and overlaps between rows of the same file."""
    codes = [c for c in map(_CODE, plan.drafts) if c is not None]
    if len(set(codes)) < len(codes):  # else no code is repeated: nothing to look for row by row
        first_row: dict[str, int] = {}
        for d in plan.drafts:
            if d.parcel_code is None:
                continue
            if d.parcel_code in first_row:
                plan.problems.append(Problem("parcel_code_duplicated", row=d.row, field="parcel_code",
                                             parcel_code=d.parcel_code, other_row=first_row[d.parcel_code]))
            else:
                first_row[d.parcel_code] = d.row
    measured = np.flatnonzero(~shapely.is_missing(plan.geoms_m)).tolist()  # the drafts with a geometry (_measure)
    if len(measured) < 2:
        return
    geoms_m = plan.geoms_m[measured]
    drafts = plan.drafts if len(measured) == len(plan.drafts) else [plan.drafts[i] for i in measured]
    areas = np.array(list(map(_AREA, drafts)), dtype=float)
    for pair in overlaps_within(geoms_m, areas, tolerance):
        a, b = plan.drafts[measured[pair.i]], plan.drafts[measured[pair.j]]
        where = shapely.geometry.mapping(shapely.intersection(a.geometry, b.geometry))
        for this, other in ((a, b), (b, a)):
            plan.problems.append(Problem("parcels_overlap_in_file", row=this.row, field="geometry",
                                         other_row=other.row, other_parcel_code=other.parcel_code or "?",
                                         overlap_m2=pair.overlap_m2, overlap=where))


def region_column_problems(sink_types: list[str | None], counties: list[str | None], region: Region,
                           on: date | None = None) -> list[Problem]:
    """:func:`region_field_problems` of rows given by their checked sink types and county codes
    (row ``i + 1`` at index ``i``), each distinct pair looked at once."""
    pairs = list(zip(sink_types, counties))
    answers = {pair: _region_pair_problems(*pair, region, on) for pair in dict.fromkeys(pairs)}
    if not any(answers.values()):
        return []
    return [p.at(i + 1) for i, pair in enumerate(pairs) for p in answers[pair]]


def _region_pair_problems(sink_type: str | None, county: str | None, region: Region,
                          on: date | None) -> list[Problem]:
    problems = []
    for name, found in (("sink_type", region.sink_type_problem(sink_type) if sink_type else None),
                        ("county_code", region.county_problem(county, on) if county else None)):
        if found is not None:
            problems.append(Problem(found[0], field=name, **found[1]))
    return problems
