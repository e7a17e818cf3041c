"""Generate the SYNTHETIC demo data in ``gis_data/``: parcels, county outlines, monitoring.

Every parcel, holder, certificate number, attribute and measurement written by this script is
invented. Township names and the placement of the clusters are real (Anji bamboo hills, Anji
white-tea townships, Xiazhu Lake in Deqing); the county outlines are schematic (see
``COUNTY_OUTLINES_WKT``). The output is deterministic (fixed seed, coordinates rounded to
1e-7 degree, sorted rows, no timestamps), so a rerun reproduces the committed files.

Usage::

    python gis_data/make_demo_data.py [--out DIR]
    python gis_data/make_demo_data.py --derive-outlines PATH/330500_full.json   # developer only
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pyproj
import shapely

SEED = 20240915
STORAGE_CRS = "EPSG:4490"  # CGCS2000 geographic, lon/lat.
AREA_CRS = "EPSG:4549"  # CGCS2000 / 3-degree Gauss-Kruger CM 120E, metres.
COORDINATE_DECIMALS = 7
SQUARE_METRES_PER_MU = 10_000 / 15
COUNTY_MARGIN_M = 1000.0  # Parcels keep this distance from their schematic county edge.
PARCEL_GAP_M = 25.0  # Minimum distance between two parcels (no overlap after rounding).
CARBON_FRACTION = 0.47  # t C per t dry matter (METHODOLOGIES.md section 7, bamboo).
ROOT_SHOOT_RATIO = 0.33  # Below- to above-ground biomass (same section).
DEFAULT_OUT_DIR = Path(__file__).resolve().parent
GPKG_FIXED_DATE = "2024-01-01T00:00:00.000Z"  # Replaces GDAL's "now" in gpkg_contents.

# Schematic outlines of Huzhou's five county-level units, CGCS2000 lon/lat, derived once by
# derive_schematic_outlines(): GCJ-02 -> WGS84, coverage simplification (tolerance 0.015 deg),
# vertices snapped to a 0.005 deg grid. About 1-2 km off the real boundary by design.
COUNTY_OUTLINES_WKT = {
    "330502": (
        "POLYGON ((119.915 30.725, 119.89 30.725, 119.86 30.695, 119.91 30.65, 119.895 30.625, "
        "119.915 30.615, 119.935 30.635, 119.995 30.615, 120.01 30.635, 120.085 30.655, 120.09 "
        "30.645, 120.165 30.665, 120.135 30.7, 120.07 30.72, 120.115 30.795, 120.12 30.81, 120.16 "
        "30.81, 120.19 30.8, 120.215 30.805, 120.215 30.835, 120.285 30.84, 120.325 30.855, "
        "120.335 30.895, 120.355 30.895, 120.365 30.95, 120.305 30.935, 120.215 30.93, 120.13 "
        "30.945, 120.1 30.965, 120.05 30.935, 119.96 30.925, 119.945 30.885, 119.955 30.825, "
        "119.94 30.79, 119.945 30.75, 119.915 30.725)) "
    ),
    "330503": (
        "POLYGON ((120.36 30.885, 120.355 30.895, 120.335 30.895, 120.325 30.855, 120.285 30.84, "
        "120.215 30.835, 120.215 30.805, 120.19 30.8, 120.16 30.81, 120.12 30.81, 120.115 30.795, "
        "120.07 30.72, 120.135 30.7, 120.165 30.665, 120.18 30.68, 120.215 30.675, 120.205 "
        "30.645, 120.26 30.63, 120.305 30.675, 120.3 30.65, 120.34 30.65, 120.385 30.675, 120.45 "
        "30.69, 120.48 30.73, 120.465 30.765, 120.485 30.765, 120.475 30.8, 120.45 30.82, 120.45 "
        "30.87, 120.43 30.925, 120.42 30.905, 120.36 30.885)) "
    ),
    "330521": (
        "POLYGON ((119.805 30.555, 119.765 30.55, 119.76 30.515, 119.845 30.505, 119.87 30.465, "
        "119.925 30.45, 119.96 30.435, 119.98 30.45, 120.06 30.43, 120.055 30.46, 120.065 30.5, "
        "120.095 30.5, 120.11 30.48, 120.17 30.48, 120.2 30.51, 120.275 30.505, 120.295 30.52, "
        "120.29 30.565, 120.315 30.58, 120.3 30.61, 120.33 30.615, 120.34 30.65, 120.3 30.65, "
        "120.305 30.675, 120.26 30.63, 120.205 30.645, 120.215 30.675, 120.18 30.68, 120.165 "
        "30.665, 120.09 30.645, 120.085 30.655, 120.01 30.635, 119.995 30.615, 119.935 30.635, "
        "119.915 30.615, 119.895 30.625, 119.91 30.65, 119.86 30.695, 119.84 30.695, 119.825 "
        "30.65, 119.81 30.65, 119.79 30.615, 119.805 30.555)) "
    ),
    "330522": (
        "POLYGON ((120.05 30.935, 120.1 30.965, 120.05 31.01, 119.995 31.03, 119.985 31.06, "
        "119.94 31.11, 119.915 31.175, 119.875 31.165, 119.82 31.175, 119.805 31.15, 119.775 "
        "31.18, 119.71 31.17, 119.7 31.155, 119.675 31.17, 119.635 31.15, 119.62 31.12, 119.645 "
        "31.105, 119.625 31.09, 119.63 31.02, 119.575 30.97, 119.575 30.93, 119.56 30.92, 119.555 "
        "30.875, 119.57 30.855, 119.655 30.87, 119.675 30.855, 119.735 30.865, 119.76 30.845, "
        "119.795 30.87, 119.825 30.85, 119.795 30.84, 119.8 30.795, 119.825 30.79, 119.855 "
        "30.745, 119.88 30.745, 119.89 30.725, 119.915 30.725, 119.945 30.75, 119.94 30.79, "
        "119.955 30.825, 119.945 30.885, 119.96 30.925, 120.05 30.935)) "
    ),
    "330523": (
        "POLYGON ((119.655 30.87, 119.57 30.855, 119.57 30.83, 119.55 30.83, 119.52 30.78, "
        "119.475 30.775, 119.48 30.705, 119.43 30.645, 119.405 30.645, 119.385 30.685, 119.34 "
        "30.665, 119.32 30.635, 119.285 30.62, 119.24 30.62, 119.235 30.605, 119.26 30.575, "
        "119.23 30.55, 119.265 30.515, 119.32 30.535, 119.33 30.45, 119.345 30.41, 119.365 "
        "30.385, 119.415 30.38, 119.445 30.415, 119.51 30.405, 119.56 30.445, 119.595 30.425, "
        "119.645 30.445, 119.625 30.425, 119.63 30.4, 119.665 30.4, 119.705 30.435, 119.69 "
        "30.455, 119.705 30.51, 119.69 30.56, 119.705 30.57, 119.725 30.555, 119.765 30.55, "
        "119.805 30.555, 119.79 30.615, 119.81 30.65, 119.825 30.65, 119.84 30.695, 119.86 "
        "30.695, 119.89 30.725, 119.88 30.745, 119.855 30.745, 119.825 30.79, 119.8 30.795, "
        "119.795 30.84, 119.825 30.85, 119.795 30.87, 119.76 30.845, 119.735 30.865, 119.675 "
        "30.855, 119.655 30.87)) "
    ),
}
COUNTY_NAMES = {
    "330502": ("吴兴区", "Wuxing District"),
    "330503": ("南浔区", "Nanxun District"),
    "330521": ("德清县", "Deqing County"),
    "330522": ("长兴县", "Changxing County"),
    "330523": ("安吉县", "Anji County"),
}


class Cluster(NamedTuple):
    """A group of parcels of one sink type around a real township (centre in lon/lat deg)."""

    sink_type: str
    county_code: str
    township_zh: str
    centre_lon_deg: float
    centre_lat_deg: float
    spread_m: float
    parcel_count: int
    villages_zh: tuple[str, ...]
    survey_month_day: str  # Same season in both monitoring years (bamboo only).


# Village names are invented. Bamboo: hilly south and west of Anji; tea: the white-tea belt
# east of the county seat; wetland: around Xiazhu Lake.
CLUSTERS = (
    Cluster("bamboo_forest", "330523", "山川乡", 119.668, 30.468, 1100, 16,
            ("大里村", "竹坞村", "青岭村", "岭脚村"), "11-15"),
    Cluster("bamboo_forest", "330523", "天荒坪镇", 119.600, 30.500, 1400, 17,
            ("竹海村", "西坑村", "云岫村", "上溪村"), "11-18"),
    Cluster("bamboo_forest", "330523", "报福镇", 119.500, 30.540, 1300, 14,
            ("石溪村", "深坞村", "茅坪村", "金竹村"), "11-22"),
    Cluster("bamboo_forest", "330523", "章村镇", 119.445, 30.480, 1200, 13,
            ("源口村", "高坪村", "竹岭村", "溪头村"), "11-25"),
    Cluster("tea_garden", "330523", "溪龙乡", 119.765, 30.655, 900, 20,
            ("茶岭村", "溪东村", "龙坞村", "横坞村"), ""),
    Cluster("tea_garden", "330523", "递铺街道", 119.655, 30.605, 800, 10,
            ("石马村", "双溪村", "茶园岗村"), ""),
    Cluster("wetland", "330521", "下渚湖街道", 120.000, 30.545, 1300, 15,
            ("渚溪村", "芦荡村", "湖埠村", "龙山村"), ""),
)
CODE_PREFIXES = {"bamboo_forest": "AJ-BF", "tea_garden": "AJ-TG", "wetland": "DQ-WL"}
# (median, log-sigma, min, max) of the true parcel area in hectares.
AREA_DISTRIBUTIONS_HA = {
    "bamboo_forest": (6.5, 0.5, 1.0, 25.0),
    "tea_garden": (2.2, 0.6, 0.5, 8.0),
}
WETLAND_CLASSES = ("lake",) * 4 + ("marsh",) * 6 + ("river",) * 2 + ("constructed",) * 3
WETLAND_DETAILS = {  # class: (area range ha, vegetation cover % range, water regimes, aspect)
    "lake": ((22, 60), (3, 20), ("permanent",), (1.0, 1.8)),
    "marsh": ((5, 30), (55, 95), ("seasonal", "permanent"), (1.0, 2.0)),
    "river": ((5, 15), (5, 25), ("permanent",), (4.0, 6.0)),
    "constructed": ((5, 20), (35, 80), ("managed",), (1.2, 2.2)),
}
# Deliberate defects that downstream checks must catch (also listed in README.md).
DECLARED_AREA_FACTORS = {"AJ-BF-0009": 1.075, "AJ-TG-0017": 0.935}
CARBON_CHANGE_OVERRIDES_T_PER_HA_YR = {
    "AJ-BF-0015": 1.30,  # Implausibly high: > 3 t CO2/ha/yr even from above-ground C alone.
    "AJ-BF-0023": -0.45,  # Decline (snow break in the second period).
    "AJ-BF-0048": -0.90,  # Decline (heavy over-harvest).
}
PARCEL_COLUMNS = (
    "parcel_code", "sink_type", "county_code", "county_name_zh", "township_zh", "village_zh",
    "holder_name_zh", "holder_kind", "tenure_cert_no", "declared_area_mu", "synthetic",
    "culm_density_per_ha", "mean_dbh_cm", "age_class_shares", "management_regime",
    "wetland_class", "vegetation_cover_pct", "water_regime",
    "tea_variety", "planting_year", "fertiliser_n_kg_per_ha_yr",
)
NULLABLE_DTYPES = {"culm_density_per_ha": "Int64", "planting_year": "Int64", "mean_dbh_cm":
                   "Float64", "vegetation_cover_pct": "Float64", "fertiliser_n_kg_per_ha_yr":
                   "Float64"}
MONITORING_YEARS = (2022, 2024)
AGE_CLASSES = ("I", "II", "III")


def county_outlines() -> dict[str, shapely.Polygon]:
    """Return the schematic county polygons (CGCS2000 lon/lat) keyed by county code."""
    return {code: shapely.from_wkt(wkt) for code, wkt in COUNTY_OUTLINES_WKT.items()}


def _transformers() -> tuple[pyproj.Transformer, pyproj.Transformer]:
    to_m = pyproj.Transformer.from_crs(STORAGE_CRS, AREA_CRS, always_xy=True)
    to_deg = pyproj.Transformer.from_crs(AREA_CRS, STORAGE_CRS, always_xy=True)
    return to_m, to_deg


def _reproject(geometry, transformer: pyproj.Transformer):
    return shapely.transform(geometry, lambda x, y: transformer.transform(x, y), interleaved=False)


def draw_area_ha(rng: np.random.Generator, sink_type: str, wetland_class=None) -> float:
    """Draw a true parcel area (ha): log-uniform per wetland class, else truncated log-normal."""
    if wetland_class:
        low_ha, high_ha = WETLAND_DETAILS[wetland_class][0]
        return float(np.exp(rng.uniform(np.log(low_ha), np.log(high_ha))))
    median_ha, sigma, low_ha, high_ha = AREA_DISTRIBUTIONS_HA[sink_type]
    while True:
        area_ha = float(median_ha * np.exp(rng.normal(0.0, sigma)))
        if low_ha <= area_ha <= high_ha:
            return area_ha


def organic_polygon_m(rng, centre_xy_m, area_m2: float, aspect_range) -> shapely.Polygon:
    """Build an irregular star-shaped polygon (8-20 vertices, CCW) of a given area.

    Angles increase strictly around the centre and radii stay positive, so the ring is
    star-shaped and therefore simple; stretching and rotating keep it simple.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    centre_xy_m : sequence of float
        Centre in EPSG:4549 metres.
    area_m2 : float
        Exact area of the result, m².
    aspect_range : tuple of float
        Range of the length-to-width ratio to draw from (1 = roundish, 5 = river-like).

    Returns
    -------
    shapely.Polygon
        Polygon in EPSG:4549 metres.
    """
    vertex_count = int(rng.integers(8, 21))
    step = 2 * np.pi / vertex_count
    angles = rng.uniform(0, step) + step * np.arange(vertex_count)
    angles += rng.uniform(-0.3, 0.3, vertex_count) * step
    harmonics = sum(rng.uniform(0, 0.18) * np.cos(k * angles + rng.uniform(0, 2 * np.pi))
                    for k in (2, 3))
    radii = np.clip(1.0 + harmonics + rng.normal(0, 0.07, vertex_count), 0.55, None)
    stretch = np.sqrt(rng.uniform(*aspect_range))
    x, y = radii * np.cos(angles) * stretch, radii * np.sin(angles) / stretch
    turn = rng.uniform(0, np.pi)
    x, y = x * np.cos(turn) - y * np.sin(turn), x * np.sin(turn) + y * np.cos(turn)
    unit = shapely.Polygon(np.column_stack([x, y]))
    scale = np.sqrt(area_m2 / unit.area)
    return shapely.Polygon(np.column_stack([x, y]) * scale + np.asarray(centre_xy_m))


def place_cluster(rng, cluster: Cluster, allowed_m, placed_m: list, to_m) -> list:
    """Place one cluster's parcels (metres) inside ``allowed_m`` without touching ``placed_m``."""
    centre = np.array(to_m.transform(cluster.centre_lon_deg, cluster.centre_lat_deg))
    classes = WETLAND_CLASSES if cluster.sink_type == "wetland" else (None,) * cluster.parcel_count
    new = []
    for wetland_class in classes:
        area_m2 = draw_area_ha(rng, cluster.sink_type, wetland_class) * 10_000
        aspect = WETLAND_DETAILS[wetland_class][3] if wetland_class else (1.0, 2.2)
        for _attempt in range(2000):
            offset = rng.normal(0, cluster.spread_m, 2)
            if np.hypot(*offset) > 2.5 * cluster.spread_m:
                continue
            candidate = organic_polygon_m(rng, centre + offset, area_m2, aspect)
            tree = shapely.STRtree(placed_m + new)
            clash = tree.query(candidate, predicate="dwithin", distance=PARCEL_GAP_M)
            if allowed_m.contains(candidate) and len(clash) == 0:
                new.append(candidate)
                break
        else:
            raise RuntimeError(f"cannot place a parcel in {cluster.township_zh}")
    return list(zip(new, classes))


def to_storage(polygon_m, to_deg) -> shapely.Polygon:
    """Reproject a metre polygon to CGCS2000 lon/lat, round to 1e-7 deg, orient CCW."""
    polygon = shapely.transform(_reproject(polygon_m, to_deg),
                                lambda xy: np.round(xy, COORDINATE_DECIMALS))
    return shapely.orient_polygons(polygon, exterior_cw=False)


def holder_fields(rng, county_code: str, township: str, village: str, sink_type: str) -> dict:
    """Invent a holder (village collective or cooperative); never a natural person."""
    county_zh = COUNTY_NAMES[county_code][0]
    if rng.random() < (0.8 if sink_type == "wetland" else 0.6):
        return {"holder_name_zh": f"{township}{village}股份经济合作社", "holder_kind": "collective"}
    product = {"bamboo_forest": "毛竹", "tea_garden": "白茶", "wetland": "湿地生态"}[sink_type]
    return {"holder_name_zh": f"{county_zh}{village[:-1]}{product}专业合作社",
            "holder_kind": "cooperative"}


def tenure_cert_no(rng, county_code: str, sink_type: str, serial: int) -> str:
    """Invent a certificate number: an old forest-right one (林权证) or a real-estate one."""
    county_zh = COUNTY_NAMES[county_code][0]
    if sink_type == "bamboo_forest" and rng.random() < 0.5:
        return f"安林证字({int(rng.integers(2006, 2013))})第{serial:06d}号"
    return f"浙({int(rng.integers(2017, 2024))}){county_zh}不动产权第{serial:07d}号"


def bamboo_fields(rng) -> dict:
    """Invent the registration-time stand description of a Moso bamboo parcel."""
    shares = rng.dirichlet([30, 28, 26])
    share_i, share_ii = round(float(shares[0]), 2), round(float(shares[1]), 2)
    age_shares = dict(zip(AGE_CLASSES, (share_i, share_ii, round(1 - share_i - share_ii, 2))))
    density = int(rng.integers(2100, 4100))
    counts = {k: round(density * s) for k, s in age_shares.items()}
    return {
        "culm_density_per_ha": sum(counts.values()),
        "mean_dbh_cm": round(float(rng.uniform(8.3, 11.7)), 1),
        "age_class_shares": json.dumps(age_shares, separators=(",", ":")),
        "management_regime": str(rng.choice(["intensive", "extensive", "collective_managed"],
                                            p=[0.4, 0.3, 0.3])),
    }


def wetland_fields(rng, wetland_class: str) -> dict:
    """Invent the attributes of a wetland parcel of the given class."""
    _area, cover_range, regimes, _aspect = WETLAND_DETAILS[wetland_class]
    return {"wetland_class": wetland_class,
            "vegetation_cover_pct": round(float(rng.uniform(*cover_range)), 1),
            "water_regime": str(rng.choice(regimes))}


def tea_fields(rng) -> dict:
    """Invent the attributes of an Anji white-tea garden."""
    return {"tea_variety": str(rng.choice(["白叶一号", "黄金芽", "龙井43"], p=[0.7, 0.2, 0.1])),
            "planting_year": int(rng.integers(1995, 2021)),
            "fertiliser_n_kg_per_ha_yr": round(float(rng.uniform(150, 450)), 1)}


def parcel_record(rng, cluster, wetland_class, code, serial, geometry, to_m) -> dict:
    """Assemble one parcel row (attributes plus CGCS2000 geometry)."""
    village = str(rng.choice(cluster.villages_zh))
    area_mu = _reproject(geometry, to_m).area / SQUARE_METRES_PER_MU
    factor = DECLARED_AREA_FACTORS.get(code, 1 + rng.uniform(-0.025, 0.025))
    record = {
        "parcel_code": code, "sink_type": cluster.sink_type, "county_code": cluster.county_code,
        "county_name_zh": COUNTY_NAMES[cluster.county_code][0],
        "township_zh": cluster.township_zh, "village_zh": village,
        **holder_fields(rng, cluster.county_code, cluster.township_zh, village, cluster.sink_type),
        "tenure_cert_no": tenure_cert_no(rng, cluster.county_code, cluster.sink_type, serial),
        "declared_area_mu": round(area_mu * factor, 2), "synthetic": True,
    }
    if cluster.sink_type == "bamboo_forest":
        record.update(bamboo_fields(rng))
    elif cluster.sink_type == "wetland":
        record.update(wetland_fields(rng, wetland_class))
    else:
        record.update(tea_fields(rng))
    return record | {"geometry": geometry}


def build_parcels(rng) -> gpd.GeoDataFrame:
    """Place all clusters and return the parcels, sorted by ``parcel_code``."""
    to_m, to_deg = _transformers()
    allowed = {code: _reproject(poly, to_m).buffer(-COUNTY_MARGIN_M)
               for code, poly in county_outlines().items()}
    placed_m, records, counters = [], [], dict.fromkeys(CODE_PREFIXES, 0)
    serials = rng.choice(np.arange(1000, 99_999), size=200, replace=False)
    for cluster in CLUSTERS:
        placed = place_cluster(rng, cluster, allowed[cluster.county_code], placed_m, to_m)
        for polygon_m, wetland_class in placed:
            placed_m.append(polygon_m)
            counters[cluster.sink_type] += 1
            code = f"{CODE_PREFIXES[cluster.sink_type]}-{counters[cluster.sink_type]:04d}"
            records.append(parcel_record(rng, cluster, wetland_class, code,
                                         int(serials[len(records)]), to_storage(polygon_m, to_deg),
                                         to_m))
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=STORAGE_CRS)
    frame = frame.astype(NULLABLE_DTYPES)[[*PARCEL_COLUMNS, "geometry"]]
    return frame.sort_values("parcel_code", ignore_index=True)


def stand_carbon_t_per_ha(counts: dict, biomass_kg: dict) -> float:
    """Culm biomass carbon (above + below ground), t C/ha, from culms and kg per culm."""
    above_t = sum(counts[k] * biomass_kg[k] for k in AGE_CLASSES) / 1000
    return above_t * (1 + ROOT_SHOOT_RATIO) * CARBON_FRACTION


def culm_biomass_kg(dbh_cm: float, age_du: int) -> float:
    """Per-culm biomass (kg) from the Zhou D-A form (METHODOLOGIES.md 2.3); shaping only."""
    return 747.787 * dbh_cm**2.771 * (0.148 * age_du / (0.028 + age_du)) ** 5.555 + 3.772


def monitoring_events(rng, parcel, month_day: str) -> list[dict]:
    """Invent two inventories two years apart whose carbon change hits a target rate.

    The first inventory reproduces the parcel's registered density and age shares, with
    per-culm biomass from its mean DBH. The second shifts shares and per-culm biomass a
    little and then solves for the density that gives the target change of culm biomass
    carbon (``CARBON_FRACTION``, ``ROOT_SHOOT_RATIO``).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    parcel : pandas.Series
        A bamboo row of the parcels table.
    month_day : str
        ``"MM-DD"`` of both surveys.

    Returns
    -------
    list of dict
        Two events: ``date``, ``culms_per_ha_by_age_class`` (int),
        ``mean_culm_biomass_kg_by_age_class`` (decimal strings, kg dry mass per culm).
    """
    shares = json.loads(parcel["age_class_shares"])
    counts = {k: round(parcel["culm_density_per_ha"] * shares[k]) for k in AGE_CLASSES}
    biomass = {k: float(np.clip(round(culm_biomass_kg(parcel["mean_dbh_cm"], age)
                                      * rng.normal(1, 0.03), 1), 8, 24))
               for age, k in enumerate(AGE_CLASSES, start=1)}
    years = MONITORING_YEARS[1] - MONITORING_YEARS[0]
    rate = CARBON_CHANGE_OVERRIDES_T_PER_HA_YR.get(parcel["parcel_code"], rng.uniform(0.33, 0.67))
    target_t_per_ha = stand_carbon_t_per_ha(counts, biomass) + rate * years
    later_shares = np.array([shares[k] for k in AGE_CLASSES]) + rng.normal(0, 0.015, 3)
    later_shares /= later_shares.sum()
    later_biomass = {k: float(np.clip(round(v * rng.normal(1.01, 0.015), 1), 8, 24))
                     for k, v in biomass.items()}
    kg_per_culm = sum(s * later_biomass[k] for s, k in zip(later_shares, AGE_CLASSES))
    later_biomass_kg_per_ha = target_t_per_ha / ((1 + ROOT_SHOOT_RATIO) * CARBON_FRACTION) * 1000
    later_density = later_biomass_kg_per_ha / kg_per_culm
    later_counts = {k: round(later_density * s) for s, k in zip(later_shares, AGE_CLASSES)}
    surveys = zip(MONITORING_YEARS, (counts, later_counts), (biomass, later_biomass))
    return [{"date": f"{year}-{month_day}", "culms_per_ha_by_age_class": dict(c),
             "mean_culm_biomass_kg_by_age_class": {k: f"{v:.1f}" for k, v in b.items()}}
            for year, c, b in surveys]


def fertiliser_text(rng, regime: str) -> str:
    """Invent the bamboo N dose (kg N/ha/yr, decimal string, multiple of 5)."""
    low, high = {"intensive": (120, 260), "collective_managed": (0, 90)}.get(regime, (0, 0))
    return str(int(5 * round(rng.uniform(low, high) / 5)))


def build_monitoring(rng, parcels: gpd.GeoDataFrame) -> dict:
    """Return the monitoring document for every bamboo parcel."""
    month_days = {c.township_zh: c.survey_month_day for c in CLUSTERS}
    documents = {}
    for _, parcel in parcels[parcels["sink_type"] == "bamboo_forest"].iterrows():
        events = monitoring_events(rng, parcel, month_days[parcel["township_zh"]])
        documents[parcel["parcel_code"]] = {
            "events": events,
            "fertiliser_n_kg_per_ha_yr": fertiliser_text(rng, parcel["management_regime"])}
    return {"parcels": documents, "synthetic": True, "note": MONITORING_NOTE,
            "special_cases": {
                "implausibly_high": [c for c, r in CARBON_CHANGE_OVERRIDES_T_PER_HA_YR.items()
                                     if r > 1],
                "declining": [c for c, r in CARBON_CHANGE_OVERRIDES_T_PER_HA_YR.items() if r < 0]}}


MONITORING_NOTE = (
    "SYNTHETIC demo inventories, invented by gis_data/make_demo_data.py; not measurements. "
    "Two Moso bamboo inventories per parcel, two years apart in the same season (even interval "
    "because of the on/off-year cycle). Culm counts per ha and mean dry biomass per culm (kg) by "
    "age class in du (I = 1-2 yr, II = 3-4 yr, III = 5-6 yr). Changes were shaped so that culm "
    "biomass carbon (CF 0.47, root:shoot 0.33) gains 0.33-0.67 t C/ha/yr on most parcels; "
    "AJ-BF-0015 gains about 1.3 t C/ha/yr (plausibility warning), AJ-BF-0023 and AJ-BF-0048 "
    "lose carbon. fertiliser_n_kg_per_ha_yr is kg N/ha/yr applied in the period.")


def counties_feature_collection() -> dict:
    """Return the schematic county outlines as a GeoJSON FeatureCollection (lon/lat)."""
    features = []
    for code, polygon in sorted(county_outlines().items()):
        name_zh, name_en = COUNTY_NAMES[code]
        features.append({"type": "Feature",
                         "properties": {"code": code, "name_zh": name_zh, "name_en": name_en,
                                        "schematic": True},
                         "geometry": shapely.geometry.mapping(polygon)})
    return {"type": "FeatureCollection", "name": "counties",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
            "features": features}


def write_json(document: dict, path: Path) -> None:
    """Write JSON as UTF-8, two-space indent, trailing newline (stable bytes)."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_parcels(parcels: gpd.GeoDataFrame, path: Path) -> None:
    """Write the ``parcels`` layer to a fresh GeoPackage with a fixed content date."""
    path.unlink(missing_ok=True)
    previous = os.environ.get("OGR_CURRENT_DATE")
    os.environ["OGR_CURRENT_DATE"] = GPKG_FIXED_DATE  # GDAL reads it at write time.
    try:
        parcels.to_file(path, layer="parcels", driver="GPKG", engine="pyogrio",
                        layer_options={"DESCRIPTION": "SYNTHETIC demo parcels (sinkledger); "
                                                      "invented, not real holdings"})
    finally:
        if previous is None:
            os.environ.pop("OGR_CURRENT_DATE")
        else:
            os.environ["OGR_CURRENT_DATE"] = previous


def generate(out_dir: Path) -> None:
    """Generate all three demo files.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder to write ``demo_parcels.gpkg``, ``counties.geojson`` and
        ``demo_monitoring.json`` into; created if missing, files overwritten.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    parcels = build_parcels(rng)
    write_parcels(parcels, out_dir / "demo_parcels.gpkg")
    write_json(counties_feature_collection(), out_dir / "counties.geojson")
    write_json(build_monitoring(rng, parcels), out_dir / "demo_monitoring.json")


def derive_schematic_outlines(datav_path: Path) -> dict[str, str]:
    """Developer tool: schematic WKT outlines from DataV GCJ-02 county polygons.

    Not used at run time; it documents how ``COUNTY_OUTLINES_WKT`` was made.

    Parameters
    ----------
    datav_path : pathlib.Path
        DataV ``330500_full.json`` (county polygons in GCJ-02).

    Returns
    -------
    dict of str to str
        County code to WKT polygon (CGCS2000 lon/lat, 0.005 degree grid, CCW).
    """
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sinks.gcj02 import geometry_gcj02_to_wgs84

    features = json.loads(Path(datav_path).read_text(encoding="utf-8"))["features"]
    real = [geometry_gcj02_to_wgs84(shapely.geometry.shape(f["geometry"])) for f in features]
    simple = shapely.set_precision(shapely.coverage_simplify(real, 0.015), 0.005)
    simple = shapely.orient_polygons(simple, exterior_cw=False)
    return {str(f["properties"]["adcode"]): shapely.to_wkt(shapely.get_geometry(g, 0), 3)
            for f, g in zip(features, simple)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="output folder")
    parser.add_argument("--derive-outlines", type=Path, metavar="DATAV_JSON",
                        help="print schematic outlines derived from DataV county GeoJSON")
    args = parser.parse_args(argv)
    if args.derive_outlines:
        for code, wkt in derive_schematic_outlines(args.derive_outlines).items():
            body = "".join(f'        "{line} "\n' for line in textwrap.wrap(wkt, 88))
            print(f'    "{code}": (\n{body}    ),')
        return
    generate(args.out)


if __name__ == "__main__":
    main()
