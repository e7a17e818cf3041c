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
import pandas as pd
import rasterio
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
                    areas_ha: pd.Series | None = None) -> pd.DataFrame:
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
    with _open(layer) as dataset:
        weight = _coverage_weight(dataset, layer)
        projected = parcels[[id_column, "geometry"]]
        if not projected.crs.equals(dataset.crs):
            projected = projected.to_crs(dataset.crs)
        source = RasterioRasterSource(dataset, layer.band)
        table = exact_extract(source, projected, _operations(weight),
                              include_cols=[id_column], output="pandas",
                              strategy=ZONAL_STRATEGY)
    table = table.set_index(id_column)
    result = pd.DataFrame({"mean_density": table["mean_density"].astype(float),
                           "valid_ha": table["valid_m2"].astype(float) / M2_PER_HA,
                           "covered_ha": table["covered_m2"].astype(float) / M2_PER_HA})
    areas = parcel_areas_ha(parcels) if areas_ha is None else areas_ha
    result["area_ha"] = areas.set_axis(parcels[id_column]).reindex(result.index)
    result["valid_fraction"] = (result["valid_ha"] / result["area_ha"]).clip(upper=1.0)
    return result


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


def stock_events(layers: Sequence[RasterLayer], parcels: gpd.GeoDataFrame, *,
                 id_column: str = "parcel_code",
                 min_valid_fraction: float = DEFAULT_MIN_VALID_FRACTION) -> StockEvents:
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
    for layer in ordered:
        table = zonal_densities(layer, parcels, id_column=id_column, areas_ha=areas_ha)
        accepted = (table["valid_fraction"] >= min_valid_fraction) & table["mean_density"].notna()
        day = layer.date.isoformat()
        for code, density in zip(table.index[accepted], table["mean_density"][accepted]):
            events[str(code)].append({"date": day, layer.quantity: density_string(density)})
        for code, fraction in zip(table.index[~accepted], table["valid_fraction"][~accepted]):
            problems.setdefault(str(code), []).append(make_problem(
                f"parcels.{code}", "raster_coverage_is_insufficient", value=f"{fraction:.3f}",
                limit=f"{min_valid_fraction:.3f}", date=day))
    return StockEvents(events={code: items for code, items in events.items()
                               if code not in problems}, problems=problems)


def density_string(value: float) -> str:
    """A density as a canonical decimal string, rounded half-even to 6 decimals.

    Examples
    --------
    >>> density_string(41.23456789), density_string(0.0)
    ('41.234568', '0')
    """
    rounded = Decimal(repr(float(value))).quantize(DENSITY_QUANTUM, rounding=ROUND_HALF_EVEN)
    return canonical_decimal(rounded)
