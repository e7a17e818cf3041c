"""The parallel batch (dask-geopandas partitions) gives exactly the serial batch's results on the
demo layer and the demo rasters in gis_data/ (issue 9, item 8)."""

from __future__ import annotations

import pytest

from sinkledger.config import REPO_ROOT
from sinkledger.services import batch_estimates as batch

pytest.importorskip("dask_geopandas", reason="dask-geopandas not installed: pip install -e '.[scale]'")

from sinkledger.services.parallel_estimates import parallel_batch  # noqa: E402

GIS = REPO_ROOT / "gis_data"
RASTERS = [f"{day}={GIS / f'demo_carbon_{day}.tif'}" for day in ("2022-11-15", "2024-11-15")]
BAMBOO = "sinkledger.bamboo-moso-management"


@pytest.fixture(scope="module")
def demo_layer():  # type: ignore[no-untyped-def]
    return batch.load_parcels_file(GIS / "demo_parcels.gpkg")


def assert_same_batch(serial, parallel) -> None:  # type: ignore[no-untyped-def]
    assert list(parallel.estimates) == list(serial.estimates)  # same parcels, same (code) order
    for code, estimate in serial.estimates.items():
        assert parallel.estimates[code].to_dict() == estimate.to_dict(), code  # every figure and the trace
    assert {c: [p.to_dict() for p in ps] for c, ps in parallel.refusals.items()} == \
        {c: [p.to_dict() for p in ps] for c, ps in serial.refusals.items()}
    assert parallel.summary() == serial.summary()


def test_bamboo_by_rasters_in_two_processes_equals_the_serial_batch(demo_layer):
    """Given the 60 demo bamboo parcels and the two demo carbon rasters, when the batch runs in
    7 Hilbert-sorted partitions on 2 worker processes, then every estimate (zonal statistics,
    trace, reproducibility hash) and every refusal (the clouded parcel) equals the serial run's."""
    request = batch.BatchRequest(methodology_id=BAMBOO, base_inputs={},
                                 monitoring=batch.load_monitoring(GIS / "demo_monitoring.json"),
                                 rasters=[batch.parse_raster_option(text) for text in RASTERS])
    serial = batch.dry_batch(request, demo_layer)
    parallel = parallel_batch(request, demo_layer, npartitions=7, scheduler="processes", num_workers=2)
    assert len(serial.estimates) == 59 and set(serial.refusals) == {"AJ-BF-0031"}
    assert_same_batch(serial, parallel)


@pytest.mark.parametrize("methodology_id,base", [
    ("sinkledger.tea-garden", {"soil_method": "excluded", "fertiliser_n_kg_per_ha_yr": "300"}),
    ("sinkledger.wetland-lake-marsh", None),
])
def test_tea_and_wetland_by_rasters_on_threads_equal_the_serial_batch(demo_layer, methodology_id, base):
    from methodologies.registry import get_methodology

    if base is None:
        base = {k: v for k, v in get_methodology(methodology_id).example_inputs().items() if k != "area_ha"}
    request = batch.BatchRequest(methodology_id=methodology_id, base_inputs=base, monitoring={},
                                 rasters=[batch.parse_raster_option(text) for text in RASTERS])
    assert_same_batch(batch.dry_batch(request, demo_layer),
          parallel_batch(request, demo_layer, npartitions=4, scheduler="threads", num_workers=2))


def test_duplicate_parcel_codes_are_refused_as_in_the_serial_raster_path(demo_layer):
    from methodologies.raster import RasterError

    doubled = demo_layer[demo_layer["sink_type"] == "tea_garden"].head(2).copy()
    doubled["parcel_code"] = "SAME"
    request = batch.BatchRequest(methodology_id="sinkledger.tea-garden", base_inputs={}, monitoring={},
                                 rasters=[batch.parse_raster_option(text) for text in RASTERS])
    with pytest.raises(RasterError) as parallel:
        parallel_batch(request, doubled, scheduler="synchronous")
    with pytest.raises(RasterError) as serial:
        batch.dry_batch(request, doubled)
    assert parallel.value.code == serial.value.code == "parcel_ids_must_be_unique"
