"""The raster path: coverage-weighted zonal statistics checked against independent geometry.

Expected values are computed here without exactextract: each pixel is a shapely box, its
weight is the exact area of its intersection with the parcel (planar in EPSG:4549, geodesic on
the ellipsoid for lon/lat rasters), nodata and NaN pixels are left out of the mean.
"""

import datetime
import math
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from methodologies.raster import (
    RasterError,
    RasterLayer,
    density_string,
    stock_events,
    zonal_densities,
)

REPO = Path(__file__).resolve().parents[2]
GIS = REPO / "gis_data"
NODATA = -9999.0
ORIGIN = (500_000.0, 3_400_050.0)  # EPSG:4549, Huzhou.
PIXEL = 10.0
VALUES = np.array([[10, 20, 30, 40, 50, 60],
                   [11, 21, NODATA, 41, 51, 61],
                   [12, 22, 32, 42, np.nan, 62],
                   [13, 23, 33, 43, 53, 63],
                   [14, 24, 34, 44, 54, 64]], dtype="float32")
DAY = datetime.date(2024, 11, 15)


def write(path: Path, values: np.ndarray, *, crs: str | None = "EPSG:4549",
          transform: rasterio.Affine | None = None, count: int = 1) -> Path:
    profile = {"driver": "GTiff", "dtype": "float32", "count": count, "nodata": NODATA,
               "width": values.shape[1], "height": values.shape[0],
               "transform": transform or from_origin(*ORIGIN, PIXEL, PIXEL)}
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dataset:
        for band in range(1, count + 1):
            dataset.write(values, band)
    return path


def hand_parcels() -> gpd.GeoDataFrame:
    x0, y0 = ORIGIN
    return gpd.GeoDataFrame({"parcel_code": ["skew", "nodata", "outside", "tiny"]}, geometry=[
        shapely.Polygon([(x0 + 2, y0 - 4), (x0 + 18, y0 - 9), (x0 + 16, y0 - 43),
                         (x0 + 4, y0 - 36)]),                       # partial pixels
        shapely.box(x0 + 14, y0 - 35, x0 + 46, y0 - 12),            # over nodata and NaN
        shapely.box(x0 + 45, y0 - 58, x0 + 75, y0 - 38),            # half outside the raster
        shapely.box(x0 + 31, y0 - 48, x0 + 33.5, y0 - 46)],          # inside one pixel
        crs="EPSG:4549")


def independent(parcel: shapely.Geometry, values: np.ndarray, transform: rasterio.Affine,
                area: "callable") -> tuple[float, float, float]:  # type: ignore[valid-type]
    """(area-weighted mean of valid pixels, valid area m², covered area m²) by brute force."""
    weighted = valid = covered = 0.0
    for row in range(values.shape[0]):
        for col in range(values.shape[1]):
            left, top = transform @ (col, row)
            right, bottom = transform @ (col + 1, row + 1)
            piece = shapely.intersection(parcel, shapely.box(left, bottom, right, top))
            if piece.is_empty:
                continue
            piece_m2 = area(piece)
            covered += piece_m2
            value = float(values[row, col])
            if value == NODATA or math.isnan(value):
                continue
            weighted += value * piece_m2
            valid += piece_m2
    return (weighted / valid if valid else math.nan), valid, covered


@pytest.fixture
def hand_raster(tmp_path: Path) -> Path:
    return write(tmp_path / "hand.tif", VALUES)


def test_zonal_statistics_match_a_brute_force_intersection(hand_raster: Path) -> None:
    """Mean, valid and covered area agree with shapely polygon-pixel intersections (1e-7).

    exactextract computes coverage fractions in double precision by its own algorithm; the
    two agree to about 1e-9 relative here.
    """
    parcels = hand_parcels()
    table = zonal_densities(RasterLayer(path=hand_raster, date=DAY), parcels)
    transform = from_origin(*ORIGIN, PIXEL, PIXEL)
    for code, parcel in zip(parcels["parcel_code"], parcels.geometry):
        mean, valid_m2, covered_m2 = independent(parcel, VALUES, transform, lambda g: g.area)
        row = table.loc[code]
        assert row["mean_density"] == pytest.approx(mean, rel=1e-7)
        assert row["valid_ha"] == pytest.approx(valid_m2 / 1e4, rel=1e-7)
        assert row["covered_ha"] == pytest.approx(covered_m2 / 1e4, rel=1e-7)
        assert row["area_ha"] == pytest.approx(parcel.area / 1e4, rel=1e-7)


def test_partial_pixels_count_by_covered_fraction(hand_raster: Path) -> None:
    """The skewed parcel's mean is not the mean of the pixel centres it contains."""
    parcels = hand_parcels()
    row = zonal_densities(RasterLayer(path=hand_raster, date=DAY), parcels).loc["skew"]
    centres = shapely.points([(ORIGIN[0] + 5 + 10 * c, ORIGIN[1] - 5 - 10 * r)
                              for r in range(5) for c in range(6)])
    inside = shapely.contains(parcels.geometry.iloc[0], centres)
    centre_mean = float(np.nanmean(VALUES.reshape(-1)[inside]))
    assert abs(row["mean_density"] - centre_mean) > 0.1
    assert row["valid_fraction"] == pytest.approx(1.0)


def test_nodata_and_nan_are_excluded_and_measured(hand_raster: Path) -> None:
    row = zonal_densities(RasterLayer(path=hand_raster, date=DAY), hand_parcels()).loc["nodata"]
    assert row["valid_ha"] < row["covered_ha"] == pytest.approx(row["area_ha"])
    assert 0.7 < row["valid_fraction"] < 0.95


def test_a_parcel_half_outside_the_raster_has_half_coverage(hand_raster: Path) -> None:
    row = zonal_densities(RasterLayer(path=hand_raster, date=DAY),
                          hand_parcels()).loc["outside"]
    assert row["valid_fraction"] == pytest.approx(15 * 12 / (30 * 20))


def test_reprojection_is_explicit_and_gives_the_same_answer(hand_raster: Path) -> None:
    """Parcels in CGCS2000 lon/lat (EPSG:4490) are reprojected onto the EPSG:4549 grid."""
    layer = RasterLayer(path=hand_raster, date=DAY)
    projected = zonal_densities(layer, hand_parcels())
    geographic = zonal_densities(layer, hand_parcels().to_crs("EPSG:4490"))
    for column in ("mean_density", "valid_ha", "area_ha"):
        assert np.allclose(geographic[column], projected[column], rtol=1e-5)


def test_a_lon_lat_raster_is_weighted_by_true_pixel_area(tmp_path: Path) -> None:
    """On a geographic raster the weights are spherical areas, checked against geodesic ones."""
    transform = from_origin(119.60, 30.60, 0.001, 0.001)
    values = np.arange(1, 31, dtype="float32").reshape(5, 6)
    path = write(tmp_path / "lonlat.tif", values, crs="EPSG:4326", transform=transform)
    parcel = shapely.Polygon([(119.6004, 30.5996), (119.6052, 30.5991), (119.6049, 30.5958),
                              (119.6011, 30.5962)])
    parcels = gpd.GeoDataFrame({"parcel_code": ["p"]}, geometry=[parcel], crs="EPSG:4326")
    row = zonal_densities(RasterLayer(path=path, date=DAY), parcels).loc["p"]
    geod = pyproj.Geod(ellps="WGS84")
    mean, valid_m2, _ = independent(parcel, values, transform,
                                    lambda g: abs(geod.geometry_area_perimeter(g)[0]))
    assert row["mean_density"] == pytest.approx(mean, rel=1e-4)
    assert row["valid_ha"] == pytest.approx(valid_m2 / 1e4, rel=5e-3)  # sphere vs ellipsoid
    assert row["valid_fraction"] == pytest.approx(1.0, abs=5e-3)


def test_stock_events_turn_two_dates_into_events_and_refuse_thin_coverage(tmp_path: Path,
                                                                          hand_raster) -> None:
    later = write(tmp_path / "later.tif", np.where(np.isnan(VALUES), VALUES, VALUES + 2))
    found = stock_events([RasterLayer(path=later, date=datetime.date(2026, 11, 15)),
                          RasterLayer(path=hand_raster, date=DAY)], hand_parcels())
    assert set(found.events) == {"skew", "tiny"}
    assert set(found.problems) == {"nodata", "outside"}
    assert found.problems["outside"][0].code == "raster_coverage_is_insufficient"
    first, second = found.events["tiny"]
    rule = "coverage-weighted mean (exactextract raster-sequential, area_cartesian)"
    assert first == {"date": "2024-11-15", "carbon_t_c_per_ha": "44",  # Row 4, column 3.
                     "source": f"raster hand.tif band 1: {rule}"}
    assert second == {"date": "2026-11-15", "carbon_t_c_per_ha": "46",
                      "source": f"raster later.tif band 1: {rule}"}


def test_a_lower_coverage_threshold_accepts_more(hand_raster: Path) -> None:
    layers = [RasterLayer(path=hand_raster, date=DAY),
              RasterLayer(path=hand_raster, date=datetime.date(2026, 11, 15))]
    found = stock_events(layers, hand_parcels(), min_valid_fraction=0.25)  # "outside": 0.3
    assert set(found.events) == {"skew", "tiny", "nodata", "outside"}


@pytest.mark.parametrize(("make", "code"), [
    ("no_crs", "raster_has_no_crs"),
    ("feet", "raster_crs_units_unsupported"),
    ("band", "raster_band_missing"),
    ("missing", "raster_cannot_be_read"),
    ("quantity", "raster_quantity_unknown"),
    ("parcels_no_crs", "parcels_have_no_crs"),
    ("duplicate", "parcel_ids_must_be_unique"),
])
def test_refusals(tmp_path: Path, hand_raster: Path, make: str, code: str) -> None:
    parcels, layer = hand_parcels(), RasterLayer(path=hand_raster, date=DAY)
    if make == "no_crs":
        layer = RasterLayer(path=write(tmp_path / "nocrs.tif", VALUES, crs=None), date=DAY)
    elif make == "feet":
        layer = RasterLayer(path=write(tmp_path / "ft.tif", VALUES, crs="EPSG:2229"), date=DAY)
    elif make == "band":
        layer = RasterLayer(path=hand_raster, date=DAY, band=2)
    elif make == "missing":
        layer = RasterLayer(path=tmp_path / "none.tif", date=DAY)
    elif make == "quantity":
        layer = RasterLayer(path=hand_raster, date=DAY, quantity="ndvi")
    elif make == "parcels_no_crs":
        parcels = parcels.set_crs(None, allow_override=True)
    else:
        parcels.loc[1, "parcel_code"] = "skew"
    with pytest.raises(RasterError) as raised:
        zonal_densities(layer, parcels)
    assert raised.value.code == code and isinstance(raised.value, ValueError)


def test_stock_events_need_distinct_dates(hand_raster: Path) -> None:
    with pytest.raises(RasterError) as raised:
        stock_events([RasterLayer(path=hand_raster, date=DAY)] * 2, hand_parcels())
    assert raised.value.code == "raster_layers_must_have_distinct_dates"


def test_density_strings_are_canonical() -> None:
    assert density_string(41.2345675) == "41.234568" and density_string(3.0) == "3"


# --- The demo rasters ----------------------------------------------------------------------------

DEMO_RASTERS = [GIS / "demo_carbon_2022-11-15.tif", GIS / "demo_carbon_2024-11-15.tif"]


def test_the_demo_rasters_equal_a_fresh_run(tmp_path: Path) -> None:
    """``gis_data/make_demo_raster.py`` is deterministic: committed files = a fresh run."""
    subprocess.run([sys.executable, str(GIS / "make_demo_raster.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for committed in DEMO_RASTERS:
        assert (tmp_path / committed.name).read_bytes() == committed.read_bytes()


def test_the_demo_rasters_cover_every_parcel_but_the_clouded_one() -> None:
    parcels = gpd.read_file(GIS / "demo_parcels.gpkg", layer="parcels")
    layers = [RasterLayer(path=path, date=datetime.date.fromisoformat(path.stem[-10:]))
              for path in DEMO_RASTERS]
    found = stock_events(layers, parcels)
    assert set(found.problems) == {"AJ-BF-0031"}
    assert len(found.events) == len(parcels) - 1
    with rasterio.open(DEMO_RASTERS[0]) as dataset:
        assert dataset.crs.to_epsg() == 4549 and dataset.res == (30.0, 30.0)
        assert dataset.tags()["SYNTHETIC"] == "true"


# --- The real land-use raster (../shared/data) ---------------------------------------------------

REAL = Path("raster/geotiff_test_data/lcv_landuse.cropland_hyde_p_10km_s0..0cm_2016_v3.2.tif")


@pytest.mark.shared_data
def test_a_real_lon_lat_raster_with_nodata(shared_data: Path) -> None:
    """The 10 km land-use raster (EPSG:4326, nodata 255, uint8) over Huzhou.

    A demo parcel inside one pixel takes that pixel's value; a box half over a nodata pixel
    (Taihu Lake) and half over a valid one has half coverage and the valid pixel's value; a
    county-sized box agrees with the brute-force geodesic computation.
    """
    path = shared_data / REAL
    with rasterio.open(path) as dataset:
        assert dataset.crs.to_epsg() == 4326 and dataset.nodata == 255
        window = rasterio.windows.from_bounds(119.0, 30.0, 121.0, 31.5, dataset.transform)
        window = window.round_offsets().round_lengths()
        values = dataset.read(1, window=window).astype("float64")
        transform = dataset.window_transform(window)
    values[values == 255] = NODATA
    parcels = gpd.read_file(REPO / "gis_data" / "demo_parcels.gpkg", layer="parcels")
    demo = parcels[parcels["parcel_code"] == "AJ-BF-0001"]
    layer = RasterLayer(path=path, date=DAY, quantity="biomass_t_per_ha")
    row = zonal_densities(layer, demo).iloc[0]
    col, line = ~transform @ demo.geometry.iloc[0].representative_point().coords[0]
    assert row["mean_density"] == pytest.approx(values[int(line), int(col)])
    assert row["valid_fraction"] == pytest.approx(1.0, abs=0.01)
    _check_half_nodata_box(layer, values, transform)
    _check_county_box(layer, values, transform)


def _check_half_nodata_box(layer: RasterLayer, values: np.ndarray,
                           transform: rasterio.Affine) -> None:
    rows, cols = np.nonzero((values[:, :-1] != NODATA) & (values[:, 1:] == NODATA))
    line, col = rows[0], cols[0]
    left, top = transform @ (col + 0.5, line + 0.25)
    right, bottom = transform @ (col + 1.5, line + 0.75)
    box = gpd.GeoDataFrame({"parcel_code": ["edge"]},
                           geometry=[shapely.box(left, bottom, right, top)], crs="EPSG:4326")
    row = zonal_densities(layer, box).iloc[0]
    assert row["mean_density"] == pytest.approx(values[line, col])
    assert row["valid_fraction"] == pytest.approx(0.5, abs=0.01)


def _check_county_box(layer: RasterLayer, values: np.ndarray,
                      transform: rasterio.Affine) -> None:
    box = shapely.Polygon([(119.43, 30.41), (119.88, 30.47), (119.85, 30.83), (119.40, 30.77)])
    frame = gpd.GeoDataFrame({"parcel_code": ["anji"]}, geometry=[box], crs="EPSG:4326")
    row = zonal_densities(layer, frame).iloc[0]
    geod = pyproj.Geod(ellps="WGS84")
    mean, valid_m2, _ = independent(box, values, transform,
                                    lambda g: abs(geod.geometry_area_perimeter(g)[0]))
    assert row["mean_density"] == pytest.approx(mean, rel=1e-3)
    assert row["valid_ha"] == pytest.approx(valid_m2 / 1e4, rel=5e-3)


# --- Undeclared fill values and the zonal rule (issue 21) -----------------------------------------

def write_typed(path: Path, values: np.ndarray, dtype: str, nodata: float | None = None) -> Path:
    """A raster of ``dtype`` written with or without a declared nodata."""
    profile = {"driver": "GTiff", "dtype": dtype, "count": 1, "width": values.shape[1],
               "height": values.shape[0], "transform": from_origin(*ORIGIN, PIXEL, PIXEL),
               "crs": "EPSG:4549"}
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(values.astype(dtype), 1)
    return path


WHOLE = gpd.GeoDataFrame({"parcel_code": ["all"]}, geometry=[
    shapely.box(ORIGIN[0], ORIGIN[1] - 50, ORIGIN[0] + 60, ORIGIN[1])], crs="EPSG:4549")
CLEAN = np.arange(30, dtype="float64").reshape(5, 6) + 10  # 10 … 39, mean 24.5


@pytest.mark.parametrize(("fill", "dtype"), [
    (-9999.0, "float32"), (-32767.0, "int16"), (-32768.0, "float32"),
    (-3.4028235e38, "float32"), (255.0, "uint8"), (65535.0, "uint16")])
def test_an_undeclared_fill_value_is_masked_with_a_notice(tmp_path: Path, fill: float,
                                                          dtype: str) -> None:
    """Three pixels of 30 hold the fill; without masking the mean would be dragged to the
    fill. Masked, the mean is that of the 27 real pixels, and the notice counts the three."""
    values = CLEAN.copy()
    holes = [(0, 0), (2, 3), (4, 5)]
    for row, col in holes:
        values[row, col] = fill
    path = write_typed(tmp_path / f"fill_{dtype}.tif", values, dtype)
    expected = float(np.mean([CLEAN[r, c] for r in range(5) for c in range(6)
                              if (r, c) not in holes]))
    for rule in ("coverage_weighted", "pixel_centre"):
        table = zonal_densities(RasterLayer(path=path, date=DAY), WHOLE, zonal_rule=rule)
        assert table.loc["all", "mean_density"] == pytest.approx(expected, rel=1e-9)
        [(value, count)] = table.attrs["masked_fill_values"].items()
        assert value == pytest.approx(fill, rel=1e-6) and count == 3
        assert table.loc["all", "valid_ha"] == pytest.approx(27 * PIXEL * PIXEL / 10_000)
    layers = [RasterLayer(path=path, date=DAY),
              RasterLayer(path=path, date=datetime.date(2026, 11, 15))]
    found = stock_events(layers, WHOLE, min_valid_fraction=0.8)
    assert [list(notice["masked"].values()) for notice in found.notices] == [[3], [3]]
    assert "likely fill values masked" in found.events["all"][0]["source"]


def test_a_declared_nodata_is_not_reported_as_a_fill(tmp_path: Path) -> None:
    values = CLEAN.copy()
    values[1, 1] = -9999.0
    path = write_typed(tmp_path / "declared.tif", values, "float32", nodata=-9999.0)
    table = zonal_densities(RasterLayer(path=path, date=DAY), WHOLE)
    assert table.attrs["masked_fill_values"] == {}
    assert table.loc["all", "valid_ha"] == pytest.approx(29 * PIXEL * PIXEL / 10_000)


def test_a_plain_value_is_never_taken_for_a_fill(tmp_path: Path) -> None:
    """254 in a byte layer, 999 or −1 in a float layer are values, not fills."""
    values = CLEAN.copy()
    values[0, 0], values[0, 1] = 254, 999
    path = write_typed(tmp_path / "plain.tif", values, "float32")
    table = zonal_densities(RasterLayer(path=path, date=DAY), WHOLE)
    assert table.attrs["masked_fill_values"] == {}
    assert table.loc["all", "mean_density"] == pytest.approx(float(values.mean()))


def test_the_pixel_centre_rule_counts_pixels_whose_centre_is_inside(hand_raster: Path) -> None:
    """Checked against shapely: the mean of the valid pixels whose centre the parcel
    contains. The coverage-weighted mean of the same parcel differs (partial pixels)."""
    parcels = hand_parcels()
    centre = zonal_densities(RasterLayer(path=hand_raster, date=DAY), parcels,
                             zonal_rule="pixel_centre")
    weighted = zonal_densities(RasterLayer(path=hand_raster, date=DAY), parcels)
    transform = from_origin(*ORIGIN, PIXEL, PIXEL)
    parcel = parcels.geometry[0]
    picked = [float(VALUES[r, c]) for r in range(VALUES.shape[0]) for c in range(VALUES.shape[1])
              if parcel.contains(shapely.Point(transform @ (c + 0.5, r + 0.5)))
              and np.isfinite(VALUES[r, c]) and VALUES[r, c] != NODATA]
    assert centre.loc["skew", "mean_density"] == pytest.approx(np.mean(picked), rel=1e-12)
    assert centre.loc["skew", "valid_ha"] == pytest.approx(len(picked) * 100 / 10_000)
    assert centre.loc["skew", "mean_density"] != pytest.approx(
        weighted.loc["skew", "mean_density"], rel=1e-6)
    assert centre.attrs["zonal_rule"] == "pixel_centre"


def test_an_unknown_zonal_rule_is_refused(hand_raster: Path) -> None:
    with pytest.raises(RasterError) as caught:
        zonal_densities(RasterLayer(path=hand_raster, date=DAY), hand_parcels(),
                        zonal_rule="majority")
    assert caught.value.code == "raster_zonal_rule_unknown"


def test_the_zonal_rule_reaches_the_estimate_trace(hand_raster: Path, tmp_path: Path) -> None:
    from methodologies.registry import get_methodology

    later = write(tmp_path / "later.tif", np.where(np.isnan(VALUES), VALUES, VALUES + 2))
    found = stock_events([RasterLayer(path=hand_raster, date=DAY),
                          RasterLayer(path=later, date=datetime.date(2026, 11, 15))],
                         hand_parcels(), zonal_rule="pixel_centre")
    bamboo = get_methodology("sinkledger.bamboo-moso-management")
    document = {**bamboo.example_inputs(), "period_start": "2024-11-15",
                "period_end": "2026-11-15"}
    document.pop("culm_biomass_basis", None)
    document = bamboo.inputs_with_stock_events(document, found.events["skew"])
    estimate = bamboo.estimate(document)
    notes = [step.note for step in estimate.steps if step.name.endswith("carbon stock")]
    assert notes and all("pixel-centre mean" in note for note in notes)
    assert estimate.inputs["events"][0]["source"].startswith("raster hand.tif")
