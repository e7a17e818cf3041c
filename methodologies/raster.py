"""Per-parcel carbon stocks from stock-density rasters: the raster path (reads files).

This is the one module of :mod:`methodologies` that does I/O; no estimator imports it. It turns
a GeoTIFF of carbon density (t C/ha) or biomass density (t d.m./ha) at one date into a
coverage-weighted mean density and a stock per parcel, and two or more dates into the stock
events a methodology takes (:meth:`~methodologies.base.Methodology.inputs_with_stock_events`).

How (``GIS_NOTES.md``: exactextract ``strategy="raster-sequential"``):

1. **Reprojection is explicit.** Parcels are reprojected to the raster's CRS with
   ``GeoDataFrame.to_crs``; a raster or a parcel layer without a CRS is refused.
2. **Partial pixels count by their covered area.** exactextract computes the exact fraction
   of each pixel the polygon covers, weighted by the covered *area*: ``area_cartesian`` (m²)
   for a projected raster in metres, ``area_spherical_m2`` for a geographic raster, so that
   pixels of a lon/lat grid are not treated as equal in size.
3. **Nodata is excluded, and measured.** The mean density is over valid pixels only (nodata
   and NaN excluded). The valid covered area is compared with the parcel's true area in
   EPSG:4549 (CGCS2000 3° Gauss-Krüger CM 120E, ≤ 0.015 % area error in Huzhou); a parcel
   whose valid share falls below ``min_valid_fraction`` (default 95 %) gets no stock, only a
   problem, because extrapolating a small sample would book gaps as gains or losses.
4. **Stock = mean density × parcel area** (t C or t d.m.), the area from EPSG:4549.

Densities enter the input documents as decimal strings rounded half-even to 6 decimals
(1 g/ha): far below any measurement precision, and stable across platforms for the hash.
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio.features import geometry_mask
from rasterio.windows import from_bounds
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource
from rasterio.errors import RasterioError

from methodologies.errors import MethodologyError, Problem, make_problem
from methodologies.messages import ERROR_MESSAGES, format_message
from methodologies.units import canonical_decimal

AREA_CRS: Final = "EPSG:4549"
M2_PER_HA: Final = 10_000.0
RASTER_QUANTITIES: Final = ("carbon_t_c_per_ha", "biomass_t_per_ha")
DENSITY_QUANTUM: Final = Decimal("0.000001")
DEFAULT_MIN_VALID_FRACTION: Final = 0.95
ZONAL_STRATEGY: Final = "raster-sequential"
# The zonal rule, chosen explicitly and written into each stock event's ``source`` (issue 21):
# coverage-weighted (each pixel by the area the parcel covers of it, exactextract) or
# pixel-centre (a pixel counts whole when its centre lies in the parcel, as GIS zonal tools do).
ZONAL_RULES: Final = ("coverage_weighted", "pixel_centre")
DEFAULT_ZONAL_RULE: Final = "coverage_weighted"
# Fill values that tools write without declaring them as nodata: never a density (issue 21).
LIKELY_FILL_VALUES: Final = (-32768.0, -32767.0, -9999.0, -999.0)
HUGE_FILL_MAGNITUDE: Final = 3.0e38  # ±3.4028235e38, float32's extremes
_INTEGER_MAXIMA: Final = {"uint8": 255, "uint16": 65535, "int16": 32767, "int32": 2147483647,
                          "uint32": 4294967295}
# Any value valid for every pixel type (0 fits uint8): only the coverage of nodata cells is
# counted by the "covered" operation, never their value.
_NODATA_STAND_IN: Final = 0


class RasterError(MethodologyError, ValueError):
    """A raster or parcel layer that the raster path refuses."""

    @classmethod
    def build(cls, code: str, **details: object) -> "RasterError":
        """Return the error for ``code`` with messages from the catalogue."""
        message_zh, message_en = format_message(ERROR_MESSAGES, code, **details)
        return cls(code, message_zh, message_en)


def likely_fill_mask(values: np.ndarray, dtype: str) -> np.ndarray:
    """Pixels holding a value that tools use as an undeclared fill: −32768, −32767, −9999,
    −999, ±3.4e38 (beyond ±3e38), and the largest value of an integer type (255 in a byte
    layer, e.g. a percentage, 65535 …). No such value is a carbon or biomass density."""
    data = np.asarray(values, dtype="float64")
    mask = np.isin(data, LIKELY_FILL_VALUES) | (np.abs(data) >= HUGE_FILL_MAGNITUDE)
    if dtype in _INTEGER_MAXIMA:
        mask |= data == _INTEGER_MAXIMA[dtype]
    return mask


class _FillMaskingSource(RasterioRasterSource):  # type: ignore[misc]
    """A band read with its declared nodata *and* the likely fill values masked; what it
    masked is counted by value (for the notice)."""

    def __init__(self, dataset: Any, band: int) -> None:
        super().__init__(dataset, band)
        self.dtype = dataset.dtypes[band - 1]
        self.masked: dict[float, int] = {}

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> Any:
        array = self.ds.read(self.band_idx, window=rasterio.windows.Window(x0, y0, nx, ny),
                             masked=True)
        fill = likely_fill_mask(array.data, self.dtype) & ~np.ma.getmaskarray(array)
        for value, count in zip(*np.unique(array.data[fill], return_counts=True)):
            self.masked[float(value)] = self.masked.get(float(value), 0) + int(count)
        if self.scaled:
            array = array.astype("float64") * self.scale + self.offset
        return np.ma.masked_array(array.data, mask=np.ma.getmaskarray(array) | fill)


@dataclass(frozen=True, kw_only=True)
class RasterLayer:
    """A single-band density raster at one date.

    Attributes
    ----------
    path : Path
        GeoTIFF (or any GDAL raster) with a CRS.
    date : datetime.date
        Date the densities describe.
    quantity : str
        ``carbon_t_c_per_ha`` or ``biomass_t_per_ha``: the unit of the pixel values.
    band : int
        1-based band index.
    """

    path: Path
    date: datetime.date
    quantity: str = "carbon_t_c_per_ha"
    band: int = 1


def parcel_areas_ha(parcels: gpd.GeoDataFrame) -> pd.Series:
    """True parcel areas in ha, computed in :data:`AREA_CRS` (EPSG:4549)."""
    _require_crs(parcels)
    return parcels.geometry.to_crs(AREA_CRS).area / M2_PER_HA


def zonal_densities(layer: RasterLayer, parcels: gpd.GeoDataFrame, *,
                    id_column: str = "parcel_code",
                    areas_ha: pd.Series | None = None,
                    zonal_rule: str = DEFAULT_ZONAL_RULE) -> pd.DataFrame:
    """Coverage-weighted mean density and valid cover of every parcel on one raster.

    Parameters
    ----------
    layer : RasterLayer
    parcels : GeoDataFrame
        Polygons with a CRS and a unique ``id_column``.
    id_column : str
    areas_ha : Series, optional
        True areas indexed like ``parcels`` (:func:`parcel_areas_ha`); computed if absent.

    Returns
    -------
    DataFrame
        Indexed by ``id_column``, columns ``mean_density`` (pixel unit; NaN where no valid
        pixel is covered), ``valid_ha`` (area of covered valid pixels), ``covered_ha`` (area of
        covered pixels incl. nodata), ``area_ha`` (true area, EPSG:4549) and
        ``valid_fraction`` (``valid_ha / area_ha``, at most 1).

    Raises
    ------
    RasterError
        ``raster_cannot_be_read``, ``raster_has_no_crs``, ``raster_crs_units_unsupported``,
        ``raster_band_missing``, ``raster_quantity_unknown``, ``parcels_have_no_crs`` or
        ``parcel_ids_must_be_unique``.
    """
    _check_parcels(parcels, id_column)
    if layer.quantity not in RASTER_QUANTITIES:
        raise RasterError.build("raster_quantity_unknown", field="quantity",
                                value=layer.quantity, allowed=", ".join(RASTER_QUANTITIES))
    if zonal_rule not in ZONAL_RULES:
        raise RasterError.build("raster_zonal_rule_unknown", field="zonal_rule",
                                value=repr(zonal_rule), allowed=", ".join(ZONAL_RULES))
    with _open(layer) as dataset:
        weight = _coverage_weight(dataset, layer)
        projected = parcels[[id_column, "geometry"]]
        if not projected.crs.equals(dataset.crs):
            projected = projected.to_crs(dataset.crs)
        if zonal_rule == "pixel_centre":
            table, masked = _pixel_centre(dataset, layer, projected, id_column)
        else:
            source = _FillMaskingSource(dataset, layer.band)
            table = exact_extract(source, projected, _operations(weight),
                                  include_cols=[id_column], output="pandas",
                                  strategy=ZONAL_STRATEGY).set_index(id_column)
            masked = source.masked
        declared = dataset.nodata

    result = pd.DataFrame({"mean_density": table["mean_density"].astype(float),
                           "valid_ha": table["valid_m2"].astype(float) / M2_PER_HA,
                           "covered_ha": table["covered_m2"].astype(float) / M2_PER_HA})
    areas = parcel_areas_ha(parcels) if areas_ha is None else areas_ha
    result["area_ha"] = areas.set_axis(parcels[id_column]).reindex(result.index)
    result["valid_fraction"] = (result["valid_ha"] / result["area_ha"]).clip(upper=1.0)
    result.attrs["zonal_rule"] = zonal_rule
    result.attrs["coverage_weight"] = weight
    result.attrs["declared_nodata"] = declared
    result.attrs["masked_fill_values"] = {value: masked[value] for value in sorted(masked)}
    return result


def _pixel_centre(dataset: Any, layer: RasterLayer, parcels: gpd.GeoDataFrame,
                  id_column: str) -> tuple[pd.DataFrame, dict[float, int]]:
    """Pixel-centre rule: the pixels whose centre lies in the parcel, each weighted by its
    area (constant on a metre grid; by latitude band on a lon/lat grid)."""
    rows = []
    masked: dict[float, int] = {}
    dtype = dataset.dtypes[layer.band - 1]
    for code, geometry in zip(parcels[id_column], parcels.geometry):
        window = _pixel_window(from_bounds(*geometry.bounds, transform=dataset.transform),
                               dataset)
        if window is None:
            rows.append({id_column: code, "mean_density": np.nan, "valid_m2": 0.0,
                         "covered_m2": 0.0})
            continue
        array = dataset.read(layer.band, window=window, masked=True)
        transform = dataset.window_transform(window)
        inside = ~geometry_mask([geometry], out_shape=array.shape, transform=transform,
                                all_touched=False)
        fill = likely_fill_mask(array.data, dtype) & ~np.ma.getmaskarray(array) & inside
        for value, count in zip(*np.unique(array.data[fill], return_counts=True)):
            masked[float(value)] = masked.get(float(value), 0) + int(count)
        data = array.astype("float64") * dataset.scales[layer.band - 1] \
            + dataset.offsets[layer.band - 1]
        valid = inside & ~np.ma.getmaskarray(array) & ~fill & np.isfinite(data.data)
        areas = _pixel_areas_m2(dataset, transform, array.shape)
        covered = float((areas * inside).sum())
        weight = float((areas * valid).sum())
        mean = float((data.data * areas * valid).sum() / weight) if weight else np.nan
        rows.append({id_column: code, "mean_density": mean, "valid_m2": weight,
                     "covered_m2": covered})
    return pd.DataFrame(rows).set_index(id_column), masked


def _pixel_window(window: Any, dataset: Any) -> Any:
    """The whole pixels a fractional window touches, clipped to the raster (None: outside)."""
    col0, row0 = max(int(np.floor(window.col_off)), 0), max(int(np.floor(window.row_off)), 0)
    col1 = min(int(np.ceil(window.col_off + window.width)), dataset.width)
    row1 = min(int(np.ceil(window.row_off + window.height)), dataset.height)
    if col1 <= col0 or row1 <= row0:
        return None
    return rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)


def _pixel_areas_m2(dataset: Any, transform: Any, shape: tuple[int, int]) -> np.ndarray:
    """Each pixel's area in m²: |a × e| on a metre grid; on a lon/lat grid the area of its
    latitude band on the sphere of radius 6,371,008.8 m (the mean Earth radius)."""
    if not dataset.crs.is_geographic:
        return np.full(shape, abs(transform.a * transform.e))
    radius = 6_371_008.8
    top = transform.f + transform.e * np.arange(shape[0])
    bottom = top + transform.e
    band = np.abs(np.sin(np.radians(top)) - np.sin(np.radians(bottom)))
    per_row = radius ** 2 * np.radians(abs(transform.a)) * band
    return np.repeat(per_row[:, None], shape[1], axis=1)


def zonal_source(table: pd.DataFrame, layer: RasterLayer) -> str:
    """The provenance of a density, written into its stock event and so into the trace."""
    rule = ("coverage-weighted mean (exactextract raster-sequential, "
            f"{table.attrs['coverage_weight']})" if table.attrs["zonal_rule"] ==
            "coverage_weighted" else "pixel-centre mean (pixels whose centre is in the parcel, "
            "area-weighted)")
    text = f"raster {Path(layer.path).name} band {layer.band}: {rule}"
    masked = table.attrs["masked_fill_values"]
    if masked:
        text += "; likely fill values masked: " + ", ".join(
            f"{value:g} ({count} px)" for value, count in masked.items())
    return text[:300]


def _operations(weight: str) -> list[str]:
    """Named exactextract operations: area-weighted mean, valid area, covered area."""
    suffix = f"coverage_weight={weight}"
    return [f"mean_density=mean({suffix})", f"valid_m2=count({suffix})",
            f"covered_m2=count({suffix},default_value={_NODATA_STAND_IN})"]


def _open(layer: RasterLayer) -> Any:
    try:
        dataset = rasterio.open(layer.path)
    except (RasterioError, OSError) as error:
        raise RasterError.build("raster_cannot_be_read", value=str(layer.path),
                                detail=str(error)[:120]) from None
    if not 1 <= layer.band <= dataset.count:
        dataset.close()
        raise RasterError.build("raster_band_missing", value=str(layer.path), actual=layer.band,
                                count=dataset.count)
    return dataset


def _coverage_weight(dataset: Any, layer: RasterLayer) -> str:
    """``area_spherical_m2`` for lon/lat rasters, ``area_cartesian`` for metre grids."""
    crs = dataset.crs
    if crs is None:
        raise RasterError.build("raster_has_no_crs", value=str(layer.path))
    if crs.is_geographic:
        return "area_spherical_m2"
    if crs.linear_units_factor[1] == 1.0:
        return "area_cartesian"
    raise RasterError.build("raster_crs_units_unsupported", value=str(layer.path),
                            actual=crs.linear_units_factor[0])


def _require_crs(parcels: gpd.GeoDataFrame) -> None:
    if parcels.crs is None:
        raise RasterError.build("parcels_have_no_crs")


def _check_parcels(parcels: gpd.GeoDataFrame, id_column: str) -> None:
    _require_crs(parcels)
    duplicated = parcels[id_column][parcels[id_column].duplicated()]
    if len(duplicated):
        raise RasterError.build("parcel_ids_must_be_unique",
                                value=", ".join(map(str, duplicated.head(5))))


@dataclass(frozen=True, kw_only=True)
class StockEvents:
    """Stock events per parcel, and the parcels refused with their problems."""

    events: Mapping[str, list[dict[str, str]]]
    problems: Mapping[str, list[Problem]]
    # One per raster that held undeclared fill values: {"date", "path", "masked": {value: px}}.
    notices: tuple[Mapping[str, Any], ...] = ()
    zonal_rule: str = DEFAULT_ZONAL_RULE


def stock_events(layers: Sequence[RasterLayer], parcels: gpd.GeoDataFrame, *,
                 id_column: str = "parcel_code",
                 min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION,
                 zonal_rule: str = DEFAULT_ZONAL_RULE) -> StockEvents:
    """Zonal statistics on each dated raster → ``[{"date", <quantity>}, ...]`` per parcel.

    Parameters
    ----------
    layers : Sequence[RasterLayer]
        At least two, with distinct dates and one quantity; sorted by date here.
    parcels : GeoDataFrame
    id_column : str
    min_valid_fraction : float
        Smallest share of a parcel's true area that must be covered by valid pixels.

    Returns
    -------
    StockEvents
        A parcel with a problem on any date has no events.

    Raises
    ------
    RasterError
        As :func:`zonal_densities`, plus ``raster_layers_must_have_distinct_dates``.
    """
    ordered = sorted(layers, key=lambda layer: layer.date)
    if len({layer.date for layer in ordered}) != len(ordered) or len(ordered) < 2:
        raise RasterError.build("raster_layers_must_have_distinct_dates",
                                value=", ".join(str(layer.date) for layer in ordered))
    if len({layer.quantity for layer in ordered}) != 1:
        raise RasterError.build("raster_quantity_unknown", field="quantity", value="mixed",
                                allowed=", ".join(RASTER_QUANTITIES))
    events: dict[str, list[dict[str, str]]] = {str(code): [] for code in parcels[id_column]}
    problems: dict[str, list[Problem]] = {}
    areas_ha = parcel_areas_ha(parcels)
    notices = []
    for layer in ordered:
        table = zonal_densities(layer, parcels, id_column=id_column, areas_ha=areas_ha,
                                zonal_rule=zonal_rule)
        source = zonal_source(table, layer)
        if table.attrs["masked_fill_values"]:
            notices.append({"date": layer.date.isoformat(), "path": str(layer.path),
                            "masked": dict(table.attrs["masked_fill_values"])})
        accepted = (table["valid_fraction"] >= min_valid_fraction) & table["mean_density"].notna()
        day = layer.date.isoformat()
        for code, density in zip(table.index[accepted], table["mean_density"][accepted]):
            events[str(code)].append({"date": day, layer.quantity: density_string(density),
                                      "source": source})
        for code, fraction in zip(table.index[~accepted], table["valid_fraction"][~accepted]):
            problems.setdefault(str(code), []).append(make_problem(
                f"parcels.{code}", "raster_coverage_is_insufficient", value=f"{fraction:.3f}",
                limit=f"{min_valid_fraction:.3f}", date=day))
    return StockEvents(events={code: items for code, items in events.items()
                               if code not in problems}, problems=problems,
                       notices=tuple(notices), zonal_rule=zonal_rule)


def density_string(value: float) -> str:
    """A density as a canonical decimal string, rounded half-even to 6 decimals.

    Examples
    --------
    >>> density_string(41.23456789), density_string(0.0)
    ('41.234568', '0')
    """
    rounded = Decimal(repr(float(value))).quantize(DENSITY_QUANTUM, rounding=ROUND_HALF_EVEN)
    return canonical_decimal(rounded)
