"""Generate the SYNTHETIC demo carbon-density rasters in ``gis_data/`` (two dates).

``demo_carbon_2022-11-15.tif`` and ``demo_carbon_2024-11-15.tif``: carbon density of living
biomass (above + below ground), t C/ha, float32, EPSG:4549 (CGCS2000 3-degree Gauss-Kruger CM
120E), 30 m pixels, nodata -9999, covering every demo parcel with a 600 m margin. Everything
is invented; the values only *look* plausible:

- bamboo parcels carry the stand carbon of their two inventories in ``demo_monitoring.json``
  (Σ culms × kg/culm / 1000 × (1 + 0.33) × 0.47), so the raster path and the plot path give
  similar stock changes; tea parcels 8-12 t C/ha growing 0.4 t C/ha/yr; wetland parcels
  1.5-4 t C/ha of woody vegetation growing 0.1 t C/ha/yr; other land 25-45 t C/ha growing
  0.2 t C/ha/yr;
- a smooth field of seeded sinusoids (±1.5 t C/ha, the same at both dates) adds texture;
- pixels farther than 600 m from every parcel are nodata, and in the 2024 raster a round
  "cloud" of nodata (radius 170 m) covers 44 % of ``AJ-BF-0031`` so that the coverage
  rule of ``methodologies.raster`` (at least 95 % valid) has a real case to refuse.

Deterministic (fixed seed, values rounded to 0.01, no timestamps in the TIFF tags): a rerun
reproduces the committed files byte for byte. Reads ``demo_parcels.gpkg`` and
``demo_monitoring.json`` from the same folder.

Usage::

    python gis_data/make_demo_raster.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin

SEED = 20250301
CRS = "EPSG:4549"
PIXEL_M = 30.0
MARGIN_M = 600.0
NODATA = -9999.0
DATES = ("2022-11-15", "2024-11-15")
YEARS_BETWEEN = 2
CARBON_FRACTION = 0.47  # METHODOLOGIES.md section 7 (bamboo), as in make_demo_data.py.
ROOT_SHOOT_RATIO = 0.33
CLOUD_PARCEL = "AJ-BF-0031"
CLOUD_RADIUS_M = 170.0
CLOUD_OFFSET_M = (120.0, 60.0)  # From the parcel's representative point.
DEFAULT_DIR = Path(__file__).resolve().parent
PROFILE = {"driver": "GTiff", "dtype": "float32", "count": 1, "nodata": NODATA, "crs": CRS,
           "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
           "predictor": 3, "zlevel": 9}


def raster_grid(parcels: gpd.GeoDataFrame) -> tuple[rasterio.Affine, int, int]:
    """Grid snapped to whole pixels around all parcels plus the margin."""
    xmin, ymin, xmax, ymax = parcels.total_bounds
    left = np.floor((xmin - MARGIN_M) / PIXEL_M) * PIXEL_M
    top = np.ceil((ymax + MARGIN_M) / PIXEL_M) * PIXEL_M
    width = int(np.ceil((xmax + MARGIN_M - left) / PIXEL_M))
    height = int(np.ceil((top - (ymin - MARGIN_M)) / PIXEL_M))
    return from_origin(left, top, PIXEL_M, PIXEL_M), width, height


def stand_carbon_t_c_per_ha(event: dict) -> float:
    """Bamboo stand carbon of one inventory, as the bamboo methodology computes it (B1-B3)."""
    biomass_t = sum(count * float(event["mean_culm_biomass_kg_by_age_class"][age])
                    for age, count in event["culms_per_ha_by_age_class"].items()) / 1000
    return biomass_t * (1 + ROOT_SHOOT_RATIO) * CARBON_FRACTION


def parcel_values(parcels: gpd.GeoDataFrame, monitoring: dict,
                  rng: np.random.Generator) -> dict[str, tuple[float, float]]:
    """(density at the first date, density at the second date) by parcel code."""
    values = {}
    for code, sink_type in zip(parcels["parcel_code"], parcels["sink_type"]):
        if sink_type == "bamboo_forest":
            events = monitoring[code]["events"]
            values[code] = (stand_carbon_t_c_per_ha(events[0]),
                            stand_carbon_t_c_per_ha(events[-1]))
        elif sink_type == "tea_garden":
            first = rng.uniform(8.0, 12.0)
            values[code] = (first, first + 0.4 * YEARS_BETWEEN)
        else:
            first = rng.uniform(1.5, 4.0)
            values[code] = (first, first + 0.1 * YEARS_BETWEEN)
    return values


def texture(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A smooth field in [-1.5, 1.5] t C/ha: four seeded sinusoids of 1-6 km wavelength."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64) * PIXEL_M
    field = np.zeros(shape)
    for _ in range(4):
        wavelength = rng.uniform(1000.0, 6000.0)
        angle, phase = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        field += np.sin((cols * np.cos(angle) + rows * np.sin(angle)) * 2 * np.pi / wavelength
                        + phase)
    return field * (1.5 / 4)


def background(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Other land: 25-45 t C/ha, smoothly varying over 8-15 km."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64) * PIXEL_M
    wavelength, phase = rng.uniform(8000.0, 15000.0), rng.uniform(0, 2 * np.pi)
    return 35.0 + 10.0 * np.sin(cols * 2 * np.pi / wavelength + phase) * np.cos(
        rows * 2 * np.pi / (wavelength * 0.7))


def burn(parcels: gpd.GeoDataFrame, values: dict[str, float], base: np.ndarray,
         transform: rasterio.Affine) -> np.ndarray:
    """Paint each parcel's density over ``base`` (pixel centres inside the parcel)."""
    shapes = [(geometry, values[code]) for geometry, code in
              zip(parcels.geometry, parcels["parcel_code"])]
    painted = rasterize(shapes, out_shape=base.shape, transform=transform, fill=np.nan,
                        dtype="float64")
    return np.where(np.isnan(painted), base, painted)


def within_margin(parcels: gpd.GeoDataFrame, shape: tuple[int, int],
                  transform: rasterio.Affine) -> np.ndarray:
    """True for pixels within the margin of a parcel (the rest is nodata)."""
    buffered = shapely.union_all(parcels.geometry.buffer(MARGIN_M).values)
    return rasterize([(buffered, 1)], out_shape=shape, transform=transform, fill=0,
                     dtype="uint8").astype(bool)


def cloud_mask(parcels: gpd.GeoDataFrame, shape: tuple[int, int],
               transform: rasterio.Affine) -> np.ndarray:
    """True inside the 2024 cloud over :data:`CLOUD_PARCEL`."""
    point = parcels.loc[parcels["parcel_code"] == CLOUD_PARCEL].geometry.iloc[0]
    centre = point.representative_point()
    cloud = shapely.Point(centre.x + CLOUD_OFFSET_M[0], centre.y + CLOUD_OFFSET_M[1]).buffer(
        CLOUD_RADIUS_M, quad_segs=32)
    return rasterize([(cloud, 1)], out_shape=shape, transform=transform, fill=0,
                     dtype="uint8").astype(bool)


def make_rasters(folder: Path, out: Path) -> list[Path]:
    """Write the two rasters into ``out`` and return their paths."""
    parcels = gpd.read_file(folder / "demo_parcels.gpkg", layer="parcels").to_crs(CRS)
    parcels = parcels.sort_values("parcel_code").reset_index(drop=True)
    monitoring = json.loads((folder / "demo_monitoring.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng(SEED)
    transform, width, height = raster_grid(parcels)
    shape = (height, width)
    values = parcel_values(parcels, monitoring["parcels"], rng)
    smooth, land = texture(shape, rng), background(shape, rng)
    valid = within_margin(parcels, shape, transform)
    paths = []
    for index, day in enumerate(DATES):
        density = burn(parcels, {code: pair[index] for code, pair in values.items()},
                       land + 0.2 * YEARS_BETWEEN * index, transform) + smooth
        mask = valid & ~cloud_mask(parcels, shape, transform) if index else valid
        data = np.where(mask, np.round(np.maximum(density, 0.0), 2), NODATA).astype("float32")
        path = out / f"demo_carbon_{day}.tif"
        with rasterio.open(path, "w", width=width, height=height, transform=transform,
                           **PROFILE) as dataset:
            dataset.write(data, 1)
            dataset.update_tags(SYNTHETIC="true", QUANTITY="carbon_t_c_per_ha", DATE=day,
                                GENERATOR="gis_data/make_demo_raster.py")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in make_rasters(DEFAULT_DIR, args.out):
        print(path)


if __name__ == "__main__":
    main()
