"""Defaults reviewed against published figures (issue 21): a changed default is a new version,
and the old version still gives the old numbers."""

from decimal import Decimal

from methodologies.registry import get_methodology

TEA = "sinkledger.tea-garden"
TIER1 = {"area_ha": "1", "biomass_method": "ipcc_tier1_establishment",
         "planting_date": "2018-03-01", "biomass_plateau_t_c_per_ha": "20",
         "soil_method": "excluded", "period_start": "2018-03-01", "period_end": "2019-03-01"}


def test_tea_1_1_0_grows_establishing_bushes_at_the_top_published_tea_rate() -> None:
    new = get_methodology(TEA)
    assert new.version == "1.1.0"
    rate = new.default_parameters()["perennial_biomass_accumulation_rate"]
    assert rate.value == Decimal("1.14") and "tea plants" in rate.source
    # One year at 1.14 t C/ha on 1 ha: 1.14 × 44/12 t CO2 = 4,180 kg.
    assert new.estimate(TIER1).stock_change_kg_co2e == 4_180


def test_tea_1_0_0_still_reruns_its_estimates_with_the_orchard_rate() -> None:
    old = get_methodology(TEA, "1.0.0")
    assert old.default_parameters()["perennial_biomass_accumulation_rate"].value == Decimal("2.1")
    assert old.estimate(TIER1).stock_change_kg_co2e == 7_700


def test_without_tier1_biomass_both_tea_versions_give_the_same_numbers() -> None:
    old, new = get_methodology(TEA, "1.0.0"), get_methodology(TEA, "1.1.0")
    a, b = old.estimate(old.example_inputs()), new.estimate(old.example_inputs())
    assert (a.net_kg_co2e, a.steps) == (b.net_kg_co2e, b.steps)
