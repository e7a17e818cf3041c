"""Batch estimation: pure batches with progress, the demo layer by plots and by rasters, and a
recorded batch through the service (SQLite and PostgreSQL)."""

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from methodologies.batch import estimate_batch, parcel_documents
from methodologies.errors import make_problem
from methodologies.registry import get_methodology
from sinkledger.services import batch_estimates as batch

REPO = Path(__file__).resolve().parents[2]
GIS = REPO / "gis_data"
BAMBOO = "sinkledger.bamboo-moso-management"
RASTERS = ["2022-11-15=" + str(GIS / "demo_carbon_2022-11-15.tif"),
           "2024-11-15=" + str(GIS / "demo_carbon_2024-11-15.tif")]


@pytest.fixture(scope="module")
def demo_layer() -> gpd.GeoDataFrame:
    return batch.load_parcels_file(GIS / "demo_parcels.gpkg")


@pytest.fixture(scope="module")
def monitoring() -> dict[str, dict[str, Any]]:
    return batch.load_monitoring(GIS / "demo_monitoring.json")


def test_a_batch_collects_refusals_and_reports_progress(example) -> None:
    """One bad parcel never stops a batch; progress reaches the total."""
    calls: list[tuple[int, int, str]] = []
    documents = {"A": example, "B": dict(example, area_ha="-1"), "C": example}
    result = estimate_batch(get_methodology(BAMBOO), documents,
                            progress=lambda done, total, label: calls.append((done, total, label)),
                            refused={"D": [make_problem("parcels.D", "parcel_ids_must_be_unique",
                                                        value="D")]})
    assert list(result.estimates) == ["A", "C"]
    assert set(result.refusals) == {"B", "D"}
    assert result.refusals["B"][0].code == "area_ha_must_be_positive"
    assert calls[-1] == (3, 3, "C")
    summary = result.summary()
    assert (summary["parcels"], summary["estimated"], summary["refused"]) == (4, 2, 2)
    assert summary["net_kg_co2e_total"] == 2 * result.estimates["A"].net_kg_co2e


def test_progress_is_called_at_most_about_two_hundred_times(example) -> None:
    calls: list[int] = []
    estimate_batch(get_methodology(BAMBOO), {str(i): example for i in range(1000)},
                   progress=lambda done, total, label: calls.append(done))
    assert 100 <= len(calls) <= 201 and calls[-1] == 1000


def test_parcel_documents_layer_base_own_period_and_area() -> None:
    documents = parcel_documents(base={"a": 1, "b": 1}, per_parcel={"P": {"b": 2}},
                                 period=("2022-01-01", "2024-01-01"), areas_ha={"P": "3.5"})
    assert documents == {"P": {"a": 1, "b": 2, "period_start": "2022-01-01",
                               "period_end": "2024-01-01", "area_ha": "3.5"}}


def test_the_demo_bamboo_parcels_by_plots(demo_layer, monitoring) -> None:
    """All 60 bamboo parcels from the monitoring file; the demo defects show as designed."""
    request = batch.BatchRequest(methodology_id=BAMBOO, base_inputs={}, monitoring=monitoring)
    summary = batch.dry_batch(request, demo_layer).summary()
    assert (summary["parcels"], summary["estimated"]) == (60, 60)
    assert {"AJ-BF-0023", "AJ-BF-0048"} <= set(summary["reversals"])
    assert summary["warnings"]["net_removal_exceeds_plausibility_limit"] == 1


def test_the_demo_bamboo_parcels_by_rasters(demo_layer, monitoring) -> None:
    """Raster path: the clouded parcel is refused; stock changes agree with plots within 10 %."""
    layers = [batch.parse_raster_option(text) for text in RASTERS]
    by_plot = batch.dry_batch(batch.BatchRequest(
        methodology_id=BAMBOO, base_inputs={}, monitoring=monitoring), demo_layer)
    by_raster = batch.dry_batch(batch.BatchRequest(
        methodology_id=BAMBOO, base_inputs={}, monitoring=monitoring, rasters=layers),
        demo_layer)
    assert set(by_raster.refusals) == {"AJ-BF-0031"}
    for code, estimate in by_raster.estimates.items():
        plot = by_plot.estimates[code]
        assert estimate.inputs["biomass_method"] == "carbon_density"
        assert estimate.emissions_kg_co2e == plot.emissions_kg_co2e  # Same fertiliser.
        assert abs(estimate.stock_change_kg_co2e - plot.stock_change_kg_co2e) <= (
            0.1 * abs(plot.stock_change_kg_co2e) + 500)


def test_tea_and_wetland_batches_by_raster(demo_layer) -> None:
    """Rasters feed tea-bush biomass and wetland woody vegetation; base fields fill the rest."""
    layers = [batch.parse_raster_option(text) for text in RASTERS]
    tea_base = {"soil_method": "excluded", "fertiliser_n_kg_per_ha_yr": "300"}
    tea = batch.dry_batch(batch.BatchRequest(
        methodology_id="sinkledger.tea-garden", base_inputs=tea_base, monitoring={},
        rasters=layers), demo_layer)
    assert (len(tea.estimates), len(tea.refusals)) == (30, 0)
    wetland_base = {key: value for key, value in get_methodology(
        "sinkledger.wetland-lake-marsh").example_inputs().items() if key != "area_ha"}
    wetland = batch.dry_batch(batch.BatchRequest(
        methodology_id="sinkledger.wetland-lake-marsh", base_inputs=wetland_base, monitoring={},
        rasters=layers), demo_layer)
    assert len(wetland.estimates) == 15
    some = next(iter(wetland.estimates.values()))
    assert some.inputs["period_start"] == "2022-11-15"  # From the raster dates.
    assert len(some.inputs["woody_vegetation_events"]) == 2


def test_areas_are_true_areas_in_epsg_4549(demo_layer, monitoring) -> None:
    request = batch.BatchRequest(methodology_id=BAMBOO, base_inputs={}, monitoring=monitoring,
                                 parcel_codes=["AJ-BF-0001"])
    result = batch.dry_batch(request, demo_layer)
    expected = demo_layer[demo_layer.parcel_code == "AJ-BF-0001"].to_crs(4549).area.iloc[0]
    assert float(result.estimates["AJ-BF-0001"].area_ha) == pytest.approx(expected / 1e4,
                                                                          abs=1e-4)


@pytest.mark.parametrize(("text", "ok"), [
    ("2022-11-15=a.tif", True), ("2022-11-15=a.tif@biomass_t_per_ha", True),
    ("a.tif", False), ("2022-13-01=a.tif", False), ("2022-11-15=a.tif@ndvi", False)])
def test_raster_options(text: str, ok: bool) -> None:
    if ok:
        assert batch.parse_raster_option(text).path.name == "a.tif"
    else:
        with pytest.raises(ValueError):
            batch.parse_raster_option(text)


def register_demo_parcels(service, codes: list[str]) -> Any:  # type: ignore[no-untyped-def]
    """A collective, a centre user and the given demo parcels; returns the centre's actor."""
    from sinkledger.services.registry import SYSTEM_ACTOR

    for party_id, kind, name in (("COL-1", "collective", "示例股份经济合作社（演示）"),
                                 ("CENTRE-1", "collection_centre", "示例收储中心（演示）")):
        service.register_party(SYSTEM_ACTOR, f"p:{party_id}", party_id=party_id, kind=kind,
                               name=name, county_code="330523")
    service.create_user(username="centre", password="password-centre", role="collection_centre",
                        party_id="CENTRE-1", display_name="centre")
    service.create_user(username="admin1", password="password-admin", role="admin",
                        party_id="REGISTRY", display_name="admin")
    layer = batch.load_parcels_file(GIS / "demo_parcels.gpkg")
    admin = service.actor("admin1")
    for code in codes:
        row = layer[layer.parcel_code == code].iloc[0]
        service.register_parcel(admin, f"parcel:{code}", parcel_code=code,
                                sink_type=row.sink_type, holder_party_id="COL-1",
                                geometry=shapely.geometry.mapping(row.geometry),
                                county_code=str(row.county_code))
    return service.actor("centre")


def test_a_recorded_batch_stores_one_estimate_per_parcel(service, monitoring) -> None:
    """Given three registered bamboo parcels (one under the 2024 cloud), a raster batch records
    two estimates, refuses the clouded one, and a retry records nothing twice."""
    codes = ["AJ-BF-0001", "AJ-BF-0002", "AJ-BF-0031"]
    actor = register_demo_parcels(service, codes)
    request = batch.BatchRequest(methodology_id=BAMBOO, base_inputs={}, monitoring=monitoring,
                                 rasters=[batch.parse_raster_option(t) for t in RASTERS],
                                 period=("2022-11-15", "2024-11-15"))
    out = batch.record_batch(service, actor, "batch-1", request, project_code="AJBF01")
    assert [row["parcel_code"] for row in out["recorded"]] == ["AJ-BF-0001", "AJ-BF-0002"]
    assert set(out["refusals"]) == {"AJ-BF-0031"}
    stored = service.estimate(out["recorded"][0]["estimate_id"])
    assert stored["inputs"]["biomass_method"] == "carbon_density"
    assert stored["net_kg_co2e"] == out["recorded"][0]["net_kg_co2e"]
    again = batch.record_batch(service, actor, "batch-1", request, project_code="AJBF01")
    assert [r["estimate_id"] for r in again["recorded"]] == [
        r["estimate_id"] for r in out["recorded"]]
