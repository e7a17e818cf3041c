"""The view that fits every parcel of a set (the verifier's map; issue 19), checked against an
independent Web Mercator projection (pyproj's EPSG:3857) at deck.gl's scale (512 px × 2**zoom)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from sinkledger.ui.maps import fit_view, view_for

EARTH_CIRCUMFERENCE_M = 2 * math.pi * 6378137
TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def pixel(view, lon: float, lat: float, width: int, height: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Where ``(lon, lat)`` lands on a ``width`` × ``height`` map showing ``view`` (x right, y down)."""
    metres_per_px = EARTH_CIRCUMFERENCE_M / (512 * 2 ** view.zoom)
    x, y = TO_MERCATOR.transform(lon, lat)
    cx, cy = TO_MERCATOR.transform(view.longitude, view.latitude)
    return width / 2 + (x - cx) / metres_per_px, height / 2 - (y - cy) / metres_per_px


def test_the_demo_wetlands_fit_with_room_around_them():  # type: ignore[no-untyped-def]
    """The three wetlands of the demo's waiting estimate (DQ-WL-0003, -0004, -0012: 3.5 km north to
    south): every corner of their box lies inside a 640 × 360 map, 40 px from its edges; the old
    view (pydeck's compute_view, zoom at least 11) put the north and south ends off the map."""
    bounds = (119.9816, 30.5198, 120.0064, 30.5515)
    view = fit_view(bounds, height_px=360)
    for lon in bounds[0::2]:
        for lat in bounds[1::2]:
            x, y = pixel(view, lon, lat, 640, 360)
            assert 40 - 1e-6 <= x <= 600 + 1e-6 and 40 - 1e-6 <= y <= 320 + 1e-6, (x, y)
    old = view_for(bounds, min_zoom=11)
    assert pixel(old, bounds[0], bounds[1], 640, 360)[1] > 360 and pixel(old, bounds[2], bounds[3], 640, 360)[1] < 0


@settings(max_examples=200, deadline=None)
@given(lon=st.floats(115, 125), lat=st.floats(20, 40), dlon=st.floats(1e-5, 1.0), dlat=st.floats(1e-5, 1.0),
       height=st.integers(200, 900), width=st.integers(300, 1600))
def test_any_box_fits_and_touches_the_padding_on_one_side(lon, lat, dlon, dlat, height, width):  # type: ignore[no-untyped-def]
    bounds = (lon, lat, lon + dlon, lat + dlat)
    view = fit_view(bounds, height_px=height, width_px=width, max_zoom=30)
    xs, ys = zip(*(pixel(view, x, y, width, height) for x in bounds[0::2] for y in bounds[1::2]))
    assert min(xs) >= 40 - 1e-3 and max(xs) <= width - 40 + 1e-3
    assert min(ys) >= 40 - 1e-3 and max(ys) <= height - 40 + 1e-3
    # as large as it can be: the box spans the room one way or the other
    assert max(xs) - min(xs) == pytest.approx(width - 80, abs=1e-3) or \
        max(ys) - min(ys) == pytest.approx(height - 80, abs=1e-3)


def test_a_single_small_parcel_is_not_zoomed_beyond_the_cap():  # type: ignore[no-untyped-def]
    assert fit_view((120.0, 30.0, 120.00001, 30.00001), height_px=360).zoom == 17
