"""Batch estimation over a raster against calling exactextract directly, in the same run.

Builds, in a temporary folder, two synthetic carbon-density GeoTIFFs (float32, EPSG:4549, 10 m
pixels, tiled, uncompressed, written block by block so memory stays small) and N small
parcels (0.5-3 ha, random hexagon-like polygons), then measures:

- ``direct_s``: the floor: ``exactextract.exact_extract(path, parcels, ["mean"],
  strategy="raster-sequential", output="pandas")`` on each of the two rasters;
- ``zonal_s``: our raster path on both dates (:func:`methodologies.raster.stock_events`:
  explicit reprojection, area-weighted mean plus valid and covered area per parcel, EPSG:4549
  areas, coverage check, decimal strings);
- ``documents_s``: assembling the per-parcel input documents;
- ``estimate_s``: :func:`methodologies.batch.estimate_batch` with the bamboo methodology
  (``carbon_density``): validation, Decimal arithmetic, trace, hash, for every parcel.

Both measured runs start from a warm page cache (every raster is read once beforehand).
Ratios: ``zonal_overhead_ratio = zonal_s / direct_s`` (what our zonal statistics cost over the
bare call) and ``total_overhead_ratio = (zonal_s + documents_s + estimate_s) / direct_s``
(the whole batch against the bare zonal statistics). Prints one JSON document.

Full: ``python bench/estimate_bench.py`` (100,000 parcels, 10,000 × 10,000 pixels).
CI: ``python bench/estimate_bench.py --short`` (5,000 parcels, 2,000 × 2,000 pixels).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin
from rasterio.windows import Window

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from methodologies.batch import estimate_batch, parcel_documents  # noqa: E402
from methodologies.raster import RasterLayer, parcel_areas_ha, stock_events  # noqa: E402
from methodologies.registry import get_methodology  # noqa: E402

CRS = "EPSG:4549"
PIXEL_M = 10.0
ORIGIN = (440_000.0, 3_420_000.0)  # Upper-left corner, inside Huzhou in EPSG:4549.
BLOCK = 512
SEED = 7
DATES = (datetime.date(2022, 11, 15), datetime.date(2024, 11, 15))
BAMBOO = "sinkledger.bamboo-moso-management"


def write_raster(path: Path, size: int, growth_t_c_per_ha: float) -> None:
    """A smooth 20-60 t C/ha field plus ``growth``, written one block row at a time."""
    profile = {"driver": "GTiff", "dtype": "float32", "count": 1, "width": size, "height": size,
               "crs": CRS, "transform": from_origin(*ORIGIN, PIXEL_M, PIXEL_M),
               "nodata": -9999.0, "tiled": True, "blockxsize": BLOCK, "blockysize": BLOCK}
    columns = np.arange(size, dtype=np.float64) * PIXEL_M
    with rasterio.open(path, "w", **profile) as dataset:
        for top in range(0, size, BLOCK):
            rows = (np.arange(top, min(top + BLOCK, size), dtype=np.float64) * PIXEL_M)[:, None]
            field = 40 + 12 * np.sin(columns / 3100.0) * np.cos(rows / 2300.0) + 6 * np.sin(
                (columns + rows) / 900.0)
            dataset.write((field + growth_t_c_per_ha).astype("float32"), 1,
                          window=Window(0, top, size, rows.shape[0]))


def make_parcels(count: int, size: int) -> gpd.GeoDataFrame:
    """``count`` random irregular hexagons of 0.5-3 ha inside the raster, EPSG:4549."""
    rng = np.random.default_rng(SEED)
    extent = size * PIXEL_M
    radius = np.sqrt(rng.uniform(5_000, 30_000, count) / 2.6)  # Hexagon area ≈ 2.6 r².
    x = ORIGIN[0] + rng.uniform(200, extent - 200, count)
    y = ORIGIN[1] - rng.uniform(200, extent - 200, count)
    angles = np.linspace(0, 2 * np.pi, 7)[:-1]
    jitter = rng.uniform(0.8, 1.2, (count, 6))
    xs = x[:, None] + radius[:, None] * jitter * np.cos(angles)
    ys = y[:, None] + radius[:, None] * jitter * np.sin(angles)
    rings = np.stack([xs, ys], axis=-1)
    geometries = shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1))
    codes = [f"BN-BF-{i:06d}" for i in range(count)]
    return gpd.GeoDataFrame({"parcel_code": codes, "sink_type": "bamboo_forest"},
                            geometry=geometries, crs=CRS)


def timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def warm_page_cache(paths: list[Path]) -> None:
    """Read every raster once so neither measured run pays for a cold disk."""
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(64 << 20):
                pass


def direct_baseline(paths: list[Path], parcels: gpd.GeoDataFrame) -> float:
    """The bare exactextract call on each raster: the floor for any zonal statistics."""
    from exactextract import exact_extract

    started = time.perf_counter()
    for path in paths:
        exact_extract(str(path), parcels, ["mean"], include_cols=["parcel_code"],
                      output="pandas", strategy="raster-sequential")
    return time.perf_counter() - started


def run(count: int, size: int, folder: Path) -> dict[str, object]:
    paths = [folder / f"carbon_{day}.tif" for day in DATES]
    _, raster_s = timed(lambda: [write_raster(p, size, 1.2 * i) for i, p in enumerate(paths)])
    parcels, parcels_s = timed(make_parcels, count, size)
    warm_page_cache(paths)
    direct_s = direct_baseline(paths, parcels)
    layers = [RasterLayer(path=p, date=day) for p, day in zip(paths, DATES)]
    found, zonal_s = timed(stock_events, layers, parcels)
    methodology = get_methodology(BAMBOO)

    def documents() -> dict[str, dict]:
        areas = {code: f"{area:.4f}" for code, area in
                 zip(parcels["parcel_code"], parcel_areas_ha(parcels))}
        own = {code: methodology.inputs_with_stock_events({}, events)
               for code, events in found.events.items()}
        return parcel_documents(base={}, per_parcel=own, areas_ha=areas,
                                period=(DATES[0].isoformat(), DATES[1].isoformat()))

    docs, documents_s = timed(documents)
    result, estimate_s = timed(estimate_batch, methodology, docs)
    total_s = zonal_s + documents_s + estimate_s
    summary = result.summary()
    return {
        "parcels": count, "raster_pixels": f"{size}x{size}", "pixel_m": PIXEL_M,
        "estimated": summary["estimated"], "refused": summary["refused"] + len(found.problems),
        "net_kg_co2e_total": summary["net_kg_co2e_total"],
        "direct_s": round(direct_s, 3), "zonal_s": round(zonal_s, 3),
        "documents_s": round(documents_s, 3), "estimate_s": round(estimate_s, 3),
        "total_s": round(total_s, 3),
        "zonal_overhead_ratio": round(zonal_s / direct_s, 2),
        "total_overhead_ratio": round(total_s / direct_s, 2),
        "estimate_ms_per_parcel": round(estimate_s / max(1, count) * 1000, 3),
        "setup_raster_s": round(raster_s, 1), "setup_parcels_s": round(parcels_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python": platform.python_version(), "machine": platform.machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true",
                        help="CI size: 5,000 parcels over 2,000 x 2,000 pixels")
    parser.add_argument("--parcels", type=int, default=None, help="number of parcels")
    parser.add_argument("--size", type=int, default=None, help="raster side in pixels")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where to write the rasters (default: a temporary folder)")
    args = parser.parse_args(argv)
    count = args.parcels or (5_000 if args.short else 100_000)
    size = args.size or (2_000 if args.short else 10_000)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        out = run(count, size, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="estimate-bench-") as folder:
            out = run(count, size, Path(folder))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
