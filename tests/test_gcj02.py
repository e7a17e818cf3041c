"""Tests for sinks.gcj02: the GCJ-02 shift, its exact inverse, arrays and geometries."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from sinks.gcj02 import (
    gcj02_to_wgs84,
    gcj02_to_wgs84_array,
    geometry_gcj02_to_wgs84,
    geometry_wgs84_to_gcj02,
    is_in_china,
    wgs84_to_gcj02,
    wgs84_to_gcj02_array,
)

GEOD = Geod(ellps="WGS84")

# County seats of Huzhou and two demo-data cluster centres (WGS84 lon, lat).
HUZHOU_POINTS = {
    "Wuxing": (120.0862, 30.8678),
    "Nanxun": (120.4181, 30.8497),
    "Deqing": (119.9774, 30.5425),
    "Changxing": (119.9108, 31.0268),
    "Anji": (119.6803, 30.6380),
    "Shanchuan": (119.668, 30.468),
    "Xiazhu Lake": (120.000, 30.545),
}
OUTSIDE_CHINA = [(2.35, 48.85), (-74.0, 40.7), (151.2, -33.9), (139.9, 35.7), (70.0, 30.0),
                 (120.0, 60.0), (120.0, 0.5), (183.0, 45.0)]

# Well inside the China box, so that neither a point nor its GCJ-02 image leaves it.
china_lon = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=3.0, max_value=53.5, allow_nan=False)


def distance_m(lon_a, lat_a, lon_b, lat_b):
    """Geodesic distance on WGS84 in metres (also works on arrays)."""
    return GEOD.inv(lon_a, lat_a, lon_b, lat_b)[2]


@pytest.mark.parametrize("name", sorted(HUZHOU_POINTS))
def test_shift_at_huzhou_is_about_half_a_kilometre(name):
    """GIS_NOTES.md 5.2: at Huzhou test points WGS84 -> GCJ-02 moves 486-566 m."""
    lon, lat = HUZHOU_POINTS[name]
    shifted_lon, shifted_lat = wgs84_to_gcj02(lon, lat)
    assert shifted_lon > lon and shifted_lat < lat  # north-west of the GCJ-02 image
    assert 486 <= distance_m(lon, lat, shifted_lon, shifted_lat) <= 566


def test_forward_matches_an_independent_implementation():
    """Vector from hujiulong/gcoord test/unit/crs/WGS84.spec.ts (MIT), printed to 8 decimals."""
    lon, lat = wgs84_to_gcj02(123.0, 45.0)
    assert lon == pytest.approx(123.00607541, abs=2e-8)
    assert lat == pytest.approx(45.00197815, abs=2e-8)


def test_inverse_agrees_with_an_independent_approximate_inverse():
    """gcoord's GCJ02.spec.js value comes from a short iteration: within 5 cm of ours."""
    lon, lat = gcj02_to_wgs84(123.0, 45.0)
    assert distance_m(lon, lat, 122.99395597, 44.99804071) < 0.05
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((123.0, 45.0), abs=1e-10)


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_round_trip_wgs_gcj_wgs_is_below_a_centimetre(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert distance_m(lon, lat, *back) < 0.01


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_round_trip_gcj_wgs_gcj_is_below_a_centimetre(lon, lat):
    back = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert distance_m(lon, lat, *back) < 0.01


def test_round_trip_on_a_dense_grid_over_china():
    lon, lat = np.meshgrid(np.linspace(73.0, 135.0, 311), np.linspace(3.0, 53.5, 203))
    back_lon, back_lat = gcj02_to_wgs84_array(*wgs84_to_gcj02_array(lon, lat))
    assert np.max(distance_m(lon, lat, back_lon, back_lat)) < 0.01


@pytest.mark.parametrize(("lon", "lat"), OUTSIDE_CHINA)
def test_identity_outside_china(lon, lat):
    assert not is_in_china(lon, lat)
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)
    array_lon, array_lat = wgs84_to_gcj02_array([lon], [lat])
    assert (array_lon[0], array_lat[0]) == (lon, lat)
    assert tuple(x[0] for x in gcj02_to_wgs84_array([lon], [lat])) == (lon, lat)


def test_shift_is_never_more_than_a_kilometre_or_so_inside_china():
    lon, lat = np.meshgrid(np.linspace(73.0, 135.0, 125), np.linspace(3.0, 53.5, 101))
    shift_m = distance_m(lon, lat, *wgs84_to_gcj02_array(lon, lat))
    assert shift_m.min() > 0 and shift_m.max() < 1500


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(china_lon, china_lat), min_size=1, max_size=40))
def test_vectorised_equals_scalar(points):
    lon, lat = np.array(points).T
    forward = np.column_stack(wgs84_to_gcj02_array(lon, lat))
    inverse = np.column_stack(gcj02_to_wgs84_array(lon, lat))
    for i, (x, y) in enumerate(points):
        np.testing.assert_allclose(forward[i], wgs84_to_gcj02(x, y), rtol=0, atol=1e-12)
        np.testing.assert_allclose(inverse[i], gcj02_to_wgs84(x, y), rtol=0, atol=1e-12)


def test_arrays_keep_shape_and_mix_inside_and_outside():
    lon = np.array([[119.68, 2.35], [120.0, 151.2]])
    lat = np.array([[30.48, 48.85], [30.0, -33.9]])
    out_lon, out_lat = wgs84_to_gcj02_array(lon, lat)
    assert out_lon.shape == lat.shape == out_lat.shape
    assert (out_lon[0, 1], out_lat[0, 1]) == (2.35, 48.85)
    assert out_lon[0, 0] == pytest.approx(wgs84_to_gcj02(119.68, 30.48)[0], abs=1e-12)
    assert gcj02_to_wgs84_array([], [])[0].shape == (0,)


def test_geometry_helper_moves_every_vertex():
    ring = [(119.60, 30.50), (119.61, 30.50), (119.61, 30.51), (119.60, 30.51)]
    gcj_polygon = shapely.Polygon(ring, holes=[[(119.603, 30.503), (119.605, 30.503),
                                                (119.605, 30.505)]])
    wgs_polygon = geometry_gcj02_to_wgs84(gcj_polygon)
    assert wgs_polygon.geom_type == "Polygon" and len(wgs_polygon.interiors) == 1
    for (gx, gy), (wx, wy) in zip(gcj_polygon.exterior.coords, wgs_polygon.exterior.coords):
        assert (wx, wy) == pytest.approx(gcj02_to_wgs84(gx, gy), abs=1e-12)
    back = geometry_wgs84_to_gcj02(wgs_polygon)
    assert shapely.equals_exact(back, gcj_polygon, tolerance=1e-10)
    # The shift is not a pure translation: it stretches shapes by ~1e-4, never by 1e-3.
    assert wgs_polygon.area == pytest.approx(gcj_polygon.area, rel=1e-3)


def test_geometry_helper_handles_arrays_and_multi_types():
    geometries = np.array([shapely.Point(120.0, 30.0), shapely.MultiLineString(
        [[(119.0, 30.0), (119.1, 30.1)], [(2.0, 48.0), (2.1, 48.1)]])])
    moved = geometry_gcj02_to_wgs84(geometries)
    assert list(shapely.get_type_id(moved)) == [0, 5]
    assert moved[0].x == pytest.approx(gcj02_to_wgs84(120.0, 30.0)[0], abs=1e-12)
    outside_part = shapely.get_geometry(moved[1], 1)
    assert list(outside_part.coords) == [(2.0, 48.0), (2.1, 48.1)]


def test_geometry_helper_drops_z_and_keeps_empty():
    moved = geometry_gcj02_to_wgs84(shapely.Point(120.0, 30.0, 12.5))
    assert not moved.has_z
    assert geometry_gcj02_to_wgs84(shapely.Polygon()).is_empty


def test_box_edges_are_inside():
    assert is_in_china(72.004, 0.8293) and is_in_china(137.8347, 55.8271)
    assert not is_in_china(math.nextafter(72.004, 0), 30.0)
