"""Planning checks whole columns and arrays at once (issue 17); it reports what checking row by
row reports.

The reference here is the planner as it was before: every row's fields through
:func:`sinks.importer.check_fields`, garbled text and region fields row by row, each WKB read on
its own, every polygon oriented by GEOS, every part of every parcel taken apart and each
declared area compared in decimals. Random bad files (fields of every kind of wrong, blanks
filled by defaults of other types, invalid, tiny, sliver, clockwise, outside and overlapping
geometries) are planned both ways: the drafts, the problems (same codes, rows, fields and
parameters, in the same order), the notices, the repairs and the geometries must be equal.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinkledger.config import HUZHOU
from sinks import geometry, importer, plan_checks
from sinks.encoding import garbled_value_problems
from sinks.geometry import MIN_PARCEL_AREA_M2, to_metres
from sinks.importer import ImportOptions, check_fields, plan_file
from sinks.mapping import row_fields
from sinks.plan_checks import _declared_area_flag, _part_numbers, first_part_problems, region_field_problems
from sinks.problems import Problem
from tests.sinks.conftest import geojson_file, square_m, to_lonlat

# --- the reference: the row-by-row planner -------------------------------------------------------


def reference_fields(raw, cmap, options):  # type: ignore[no-untyped-def]
    drafts, problems, memo = [], [], {}
    for row, values in enumerate(raw.rows, start=1):
        fields, kept = row_fields(values, cmap, options.defaults)
        draft, found = check_fields(row, fields, kept, options, memo)
        drafts.append(draft)
        problems += found
    return drafts, problems


def reference_garbled(segments):  # type: ignore[no-untyped-def]
    rows = []
    for _first, names, values in segments:
        rows += [dict(zip(names, row)) for row in zip(*values)] if names else []
    return garbled_value_problems(rows)


def reference_region(sink_types, counties, region, on=None):  # type: ignore[no-untyped-def]
    drafts = [SimpleNamespace(row=i + 1, sink_type=s, county_code=c) for i, (s, c) in enumerate(zip(sink_types, counties))]
    return region_field_problems(drafts, region, on)


def reference_shape(geoms, bad):  # type: ignore[no-untyped-def]
    present = np.array([g is not None for g in geoms], dtype=bool)
    type_ids, empty = shapely.get_type_id(geoms), shapely.is_empty(geoms)
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    not_finite = set(np.unique(index[~np.isfinite(coords).all(axis=1)]).tolist())
    for i, geom in enumerate(geoms):
        if i + 1 in bad or not present[i]:
            continue
        if type_ids[i] not in plan_checks.POLYGON_TYPE_IDS:
            bad[i + 1] = Problem("geometry_not_polygonal", row=i + 1, field="geometry", geom_type=geom.geom_type)
        elif empty[i]:
            bad[i + 1] = Problem("geometry_empty", row=i + 1, field="geometry")
        elif i in not_finite:
            bad[i + 1] = Problem("coordinates_not_finite", row=i + 1, field="geometry")


def reference_part_problems(lonlat, metres, areas_m2=None):  # type: ignore[no-untyped-def]
    """Every part of every parcel taken apart (the planner takes only multipolygons apart)."""
    parts, index = shapely.get_parts(metres, return_index=True)
    return first_part_problems(lonlat, index, _part_numbers(index), shapely.area(parts), shapely.length(parts))


def reference_measure(live, lonlat, plan, region, bad):  # type: ignore[no-untyped-def]
    metres = to_metres(lonlat, region.area_epsg)
    areas = shapely.area(metres)
    part_bad = reference_part_problems(lonlat, metres)
    for k, i in enumerate(live):
        row, draft = int(i) + 1, plan.drafts[int(i)]
        if row in bad:
            continue
        if areas[k] < MIN_PARCEL_AREA_M2:
            bad[row] = Problem("area_too_small", row=row, field="geometry", area_m2=round(float(areas[k]), 1),
                               min_area_m2=MIN_PARCEL_AREA_M2)
            continue
        if k in part_bad:
            bad[row] = part_bad[k].at(row)
            continue
        draft.geometry, draft.area_m2 = lonlat[k], float(areas[k])
        plan.geoms_m[int(i)] = metres[k]
        _declared_area_flag(draft)


def reference_plan(path, options, monkeypatch):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as m:
        m.setattr(importer, "check_field_columns", reference_fields)
        m.setattr(importer, "garbled_column_problems", reference_garbled)
        m.setattr(importer, "region_column_problems", reference_region)
        m.setattr(geometry, "_parse_clean_wkbs", lambda wkbs: None)
        m.setattr(plan_checks, "orient", shapely.orient_polygons)
        m.setattr(plan_checks, "_shape", reference_shape)
        m.setattr(plan_checks, "_measure", reference_measure)
        return plan_file(path, options, HUZHOU)


def plan_differences(a, b) -> list[str]:  # type: ignore[no-untyped-def]
    """What differs between two plans of the same file: problems, notices, repairs, the report,
    every draft (its fields and its geometry, byte for byte) and the projected geometries."""
    out = [name for name in ("problems", "notices", "repairs") if getattr(a, name) != getattr(b, name)]
    if a.report() != b.report():
        out.append("report")
    if len(a.drafts) != len(b.drafts):
        return [*out, f"drafts: {len(a.drafts)} != {len(b.drafts)}"]
    for i, (x, y) in enumerate(zip(a.drafts, b.drafts)):
        if {k: v for k, v in vars(x).items() if k != "geometry"} != {k: v for k, v in vars(y).items() if k != "geometry"}:
            out.append(f"draft {i} fields")
        if (x.geometry is None) != (y.geometry is None) or (
                x.geometry is not None and shapely.to_wkb(x.geometry) != shapely.to_wkb(y.geometry)):
            out.append(f"draft {i} geometry")
    if [None if g is None else shapely.to_wkb(g) for g in a.geoms_m] != \
            [None if g is None else shapely.to_wkb(g) for g in b.geoms_m]:
        out.append("geoms_m")
    return out


# --- random bad files ---------------------------------------------------------------------------

CODES = st.one_of(st.sampled_from(["A-1", "A-2", "A-2", " B_3 ", "", "   ", "bad code!", "A\x01", "x" * 45, "锟斤拷"]),
                  st.integers(-3, 99), st.just(7.0), st.none())
SINK_TYPES = st.sampled_from(["bamboo_forest", "毛竹林", "tea_garden", "no_such_type", "", None, 3])
HOLDERS = st.sampled_from(["COL-1", "COL-2", " ", None, "A\x02", "Ã¥Â®Â\x89"])
COUNTIES = st.sampled_from(["330523", "330522", "330599", "33052", "abc", None, 330523, 330523.0])
CERT_NOS = st.sampled_from([None, "安林证字(2008)第012345号", "浙(2021)安吉县不动产权第0012345号", "x" * 130, "N-1"])
CERT_KINDS = st.sampled_from([None, "林权证", "bogus", "real_estate_certificate"])
OWNERSHIP = st.sampled_from([None, "集体", "state", "个人", "someone"])
AREAS = st.one_of(st.sampled_from([None, 15.0, 60.0, 59.9, 0.0, -1.0, 1e12, float("nan")]),
                  st.floats(0.01, 100, allow_nan=False))
SHARES = st.sampled_from([None, "HH-1:60%;HH-2:40%", "HH-1:50%", "bad", "HH-1:100%"])
DENSITY = st.sampled_from([None, 3000, -5, 10 ** 9, 2500])
GEOMS = st.sampled_from(["square", "square", "square", "clockwise", "bowtie", "tiny", "sliver", "multi_small_part",
                         "outside", "overlap", "none", "point", "hole"])


def geometry_for(kind: str, i: int) -> dict | None:
    col = i * 1.5
    if kind == "none":
        return None
    if kind == "point":
        return shapely.geometry.mapping(to_lonlat(shapely.Point(square_m(col, 0).centroid)))
    if kind == "outside":
        return shapely.geometry.mapping(shapely.box(100.0, 10.0, 100.01, 10.01))
    if kind == "overlap":
        return shapely.geometry.mapping(to_lonlat(square_m(0.5, 0)))
    base = square_m(col, 0)
    x0, y0, x1, y1 = base.bounds
    geom = {
        "square": base,
        "clockwise": shapely.Polygon(list(base.exterior.coords)[::-1]),
        "bowtie": shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)]),
        "tiny": shapely.box(x0, y0, x0 + 5, y0 + 5),
        "sliver": shapely.box(x0, y0, x0 + 1000, y0 + 0.5),
        "multi_small_part": shapely.MultiPolygon([base, shapely.box(x1 + 20, y0, x1 + 25, y0 + 5)]),
        "hole": base.difference(shapely.box(x0 + 50, y0 + 50, x0 + 100, y0 + 100)),
    }[kind]
    return shapely.geometry.mapping(to_lonlat(geom))


ROWS = st.lists(st.fixed_dictionaries({
    "parcel_code": CODES, "sink_type": SINK_TYPES, "holder": HOLDERS, "county_code": COUNTIES,
    "林权证号": CERT_NOS, "权证类型": CERT_KINDS, "权属": OWNERSHIP, "面积": AREAS, "份额": SHARES,
    "立竹度": DENSITY, "geometry": GEOMS}), min_size=1, max_size=25)
DEFAULTS = st.dictionaries(st.sampled_from(["sink_type", "holder", "county_code", "declared_area_mu"]),
                           st.sampled_from(["bamboo_forest", "COL-1", "330523", True, 1, 1.0, 15]), max_size=3)


def cell(value):  # type: ignore[no-untyped-def]
    return None if isinstance(value, float) and math.isnan(value) else value


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, defaults=DEFAULTS, repair=st.booleans(), prefix=st.sampled_from(["", "P-"]))
def test_columns_report_what_rows_report(tmp_path_factory, monkeypatch, rows, defaults, repair, prefix):  # type: ignore[no-untyped-def]
    """Given a random file of bad rows, when planned column by column and row by row, then the plans are equal."""
    path = tmp_path_factory.mktemp("cols") / "rows.geojson"
    geojson_file(path, [({k: cell(v) for k, v in r.items() if k != "geometry"}, geometry_for(r["geometry"], i))
                        for i, r in enumerate(rows)])
    options = ImportOptions(defaults=defaults, repair=repair, parcel_code_prefix=prefix)
    assert plan_differences(plan_file(path, options, HUZHOU), reference_plan(path, options, monkeypatch)) == []


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_a_clean_file_plans_the_same_both_ways(tmp_path, monkeypatch, suffix):  # type: ignore[no-untyped-def]
    """Given a clean file of 300 parcels (the fast paths all taken), then both plans are equal and clean."""
    import geopandas as gpd

    geoms = [to_lonlat(square_m(i % 20, i // 20)) for i in range(300)]
    rows = {"parcel_code": [f"A{i:04d}" for i in range(300)], "sink_type": "bamboo_forest", "holder": "COL-1",
            "面积": 60.0, "立竹度": 3000}
    path = tmp_path / f"clean{suffix}"
    gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4490").to_file(path, engine="pyogrio")
    fast = plan_file(path, ImportOptions(), HUZHOU)
    assert not fast.problems and all(d.geometry is not None for d in fast.drafts)
    assert plan_differences(fast, reference_plan(path, ImportOptions(), monkeypatch)) == []


def test_values_equal_across_types_are_checked_apart() -> None:
    """Given a county column holding 330523, True and 1 (equal as numbers, read differently), then each
    row gets its own answer, as the row-by-row check gives."""
    raw = SimpleNamespace(row_count=3, column=lambda name: {"c": [330523, True, 1]}[name])
    cmap = SimpleNamespace(columns_by_field={"county_code": "c"}, kept=())
    drafts, problems = importer.check_field_columns(raw, cmap, ImportOptions())
    assert [d.county_code for d in drafts] == ["330523", None, None]
    assert [(p.row, p.params["value"]) for p in problems if p.field == "county_code"] == [(2, "True"), (3, "1")]


def test_the_collector_is_paused_only_while_planning(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Given the cyclic garbage collector on, when a file is planned (or planning fails), then it was
    off during the planning and is on again after; when it was off already, it stays off."""
    import gc

    path = geojson_file(tmp_path / "one.geojson", [({"parcel_code": "A-1", "sink_type": "bamboo_forest",
                                                      "holder": "COL-1"}, geometry_for("square", 0))])
    seen = []
    real = importer.check_field_columns
    monkeypatch.setattr(importer, "check_field_columns", lambda *a: (seen.append(gc.isenabled()), real(*a))[1])
    assert gc.isenabled()
    plan_file(path, ImportOptions(), HUZHOU)
    assert seen == [False] and gc.isenabled()
    monkeypatch.setattr(importer, "check_field_columns", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        plan_file(path, ImportOptions(), HUZHOU)
    assert gc.isenabled()
    gc.disable()
    try:
        with importer.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
