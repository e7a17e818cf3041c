"""Province-scale batch estimation on an existing parallel engine: dask-geopandas.

The serial batch (:func:`sinkledger.services.batch_estimates.dry_batch`) does, for one methodology:
select the parcels of its sink type, compute true areas in EPSG:4549, run coverage-weighted
zonal statistics on every dated raster (:func:`methodologies.raster.stock_events`), assemble
each parcel's input document and estimate it (:func:`methodologies.batch.estimate_batch`).
Every one of those steps is per parcel: a parcel's area, its zonal statistics (exactextract
computes each feature's pixel coverage on its own) and its estimate depend on that parcel's
geometry and inputs only. So the parcels can be cut into partitions, each partition run through
the *same* functions independently, and the results joined, and they come out identical, parcel
for parcel, to the serial run (``tests/test_parallel_estimates.py`` checks this on the demo
layer and rasters).

:func:`parallel_batch` partitions with ``dask_geopandas.from_geopandas`` and, by default,
``spatial_shuffle`` (Hilbert curve) so that each partition covers a compact area and reads a
small window of each raster; the partitions then run on a dask scheduler: ``"processes"``
(default; one GDAL/exactextract per process, nothing shared), ``"threads"``, ``"synchronous"``
(debugging) or a ``dask.distributed`` client's address for a cluster. Only the estimates are
parallel: recording them stays with the service (one journal entry each, serialised by the
writer lock), see ``docs/deployment.md``.

Needs the optional extra ``[scale]`` (``dask-geopandas``, ``dask[dataframe]``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from methodologies.batch import BatchResult, estimate_batch
from methodologies.raster import RasterError
from methodologies.registry import get_methodology
from sinkledger.services.batch_estimates import BatchRequest, build_parcel_inputs, select_parcels

SCHEDULERS = ("processes", "threads", "synchronous")
DEFAULT_PARCELS_PER_PARTITION = 5_000


def parallel_batch(request: BatchRequest, parcels: gpd.GeoDataFrame, *, npartitions: int | None = None,
                   scheduler: str = "processes", num_workers: int | None = None,
                   spatial_shuffle: bool = True) -> BatchResult:
    """:func:`sinkledger.services.batch_estimates.dry_batch`, partitioned and run in parallel.

    Parameters
    ----------
    request : BatchRequest
        As for the serial batch (methodology, base inputs, monitoring, rasters, period ...).
    parcels : GeoDataFrame
        Parcels with ``parcel_code`` and ``sink_type``, any CRS.
    npartitions : int, optional
        Default: one per :data:`DEFAULT_PARCELS_PER_PARTITION` parcels, at least one per worker.
    scheduler : str
        ``"processes"``, ``"threads"``, ``"synchronous"`` or the address of a dask.distributed
        scheduler (``tcp://host:8786``).
    num_workers : int, optional
        Local workers (default: the CPU count).
    spatial_shuffle : bool
        Sort parcels along a Hilbert curve first, so that partitions are compact on the map.

    Returns
    -------
    BatchResult
        Equal to the serial result: the same estimates and refusals by parcel code, estimates in
        parcel-code order.

    Raises
    ------
    methodologies.raster.RasterError
        As the serial batch (a raster that cannot be read, duplicate parcel codes ...).
    """
    # deferred on purpose: dask comes with the optional [scale] extra (pip install -e ".[scale]")
    import dask
    import dask_geopandas

    methodology = get_methodology(request.methodology_id)
    chosen = select_parcels(parcels, methodology, request.parcel_codes)
    _require_unique_codes(chosen)
    workers = num_workers or os.cpu_count() or 1
    parts = npartitions or max(workers, -(-len(chosen) // DEFAULT_PARCELS_PER_PARTITION))
    frame = dask_geopandas.from_geopandas(chosen, npartitions=max(1, min(parts, len(chosen) or 1)))
    if spatial_shuffle and len(chosen) > 1:
        frame = frame.spatial_shuffle(by="hilbert", npartitions=frame.npartitions)
    tasks = [dask.delayed(_estimate_partition)(part, request) for part in frame.to_delayed()]
    results = _compute(tasks, scheduler, workers)
    return _join(methodology, request, chosen, results)


def _estimate_partition(part: gpd.GeoDataFrame, request: BatchRequest) -> BatchResult:
    """The serial steps on one partition (run in a worker)."""
    methodology = get_methodology(request.methodology_id)
    part = part.sort_values("parcel_code").reset_index(drop=True)
    if part.empty:
        return BatchResult(methodology_id=methodology.id, methodology_version=methodology.version,
                           gwp_profile=request.gwp_profile)
    documents, refused = build_parcel_inputs(methodology, part, request)
    return estimate_batch(methodology, documents, gwp_profile=request.gwp_profile, refused=refused)


def _compute(tasks: list[Any], scheduler: str, workers: int) -> list[BatchResult]:
    import dask  # deferred on purpose: the optional [scale] extra

    if scheduler in SCHEDULERS:
        return list(dask.compute(*tasks, scheduler=scheduler, num_workers=workers))
    # deferred on purpose: dask[distributed], for a cluster only
    from dask.distributed import Client

    with Client(scheduler) as client:
        return list(client.gather(client.compute(tasks)))


def _join(methodology: Any, request: BatchRequest, chosen: gpd.GeoDataFrame,
          results: list[BatchResult]) -> BatchResult:
    """One result in the serial order: parcel-code order for estimates and refusals."""
    estimates: dict[str, Any] = {}
    refusals: dict[str, Any] = {}
    for result in results:
        estimates.update(result.estimates)
        refusals.update(result.refusals)
    order = [str(code) for code in chosen["parcel_code"]]
    return BatchResult(methodology_id=methodology.id, methodology_version=methodology.version,
                       gwp_profile=request.gwp_profile, estimates=_ordered(estimates, order),
                       refusals=_ordered(refusals, order))


def _ordered(items: Mapping[str, Any], order: list[str]) -> dict[str, Any]:
    return {code: items[code] for code in order if code in items}


def _require_unique_codes(parcels: gpd.GeoDataFrame) -> None:
    """The serial path refuses duplicate codes over the whole layer; partitions would not see them."""
    duplicated = parcels["parcel_code"][parcels["parcel_code"].duplicated()]
    if len(duplicated):
        raise RasterError.build("parcel_ids_must_be_unique", value=", ".join(map(str, duplicated.head(5))))
