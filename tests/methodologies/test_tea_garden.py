"""The tea garden methodology: biomass (Tier 2 / Tier 1), SOC (Tier 1 / measured), N2O."""

from decimal import Decimal
from typing import Any

import pytest

from methodologies.errors import InvalidInput
from methodologies.tea_garden import DEFAULT_PARAMETERS, estimate_tea_garden

estimate = estimate_tea_garden
LAYER = {"bulk_density_g_per_cm3": "1.2", "organic_carbon_g_per_kg": "20",
         "gravel_fraction": "0.1", "thickness_cm": "20"}


def step_value(result: Any, name: str) -> Decimal:
    return Decimal(next(s for s in result.steps if s.name == name).value)


def test_the_example_estimates_as_documented(tea_example) -> None:
    result = estimate(tea_example)
    assert (result.stock_change_kg_co2e, result.emissions_kg_co2e, result.net_kg_co2e) == (
        21_914, 9_780, 12_133)
    assert result.warnings == () and not result.uses_unverified


def test_biomass_carbon_given_directly_skips_the_carbon_fraction(tea_example) -> None:
    """Events in t C/ha (e.g. a raster) use no CF; 8.554 → 9.447 t C equals 18.2 → 20.1 t d.m."""
    direct = dict(tea_example, biomass_events=[
        {"date": "2022-04-10", "carbon_t_c_per_ha": "8.554"},
        {"date": "2024-04-10", "carbon_t_c_per_ha": "9.447"}])
    assert estimate(direct).stock_change_kg_co2e == estimate(tea_example).stock_change_kg_co2e
    assert "carbon_fraction" not in {p.key for p in estimate(direct).parameters}


def test_tier1_biomass_stops_at_the_plateau() -> None:
    """2.1 t C/ha/yr from planting until the plateau; 0 once mature (§4.2 caution)."""
    base = {"area_ha": "1", "biomass_method": "ipcc_tier1_establishment",
            "planting_date": "2018-03-01", "biomass_plateau_t_c_per_ha": "5",
            "soil_method": "excluded"}
    growing = estimate(dict(base, period_start="2018-03-01", period_end="2019-03-01"))
    capped = estimate(dict(base, period_start="2019-03-01", period_end="2021-03-01"))
    mature = estimate(dict(base, period_start="2022-03-01", period_end="2024-03-01"))
    assert growing.stock_change_kg_co2e == 7_700  # 2.1 t C × 44/12
    assert capped.stock_change_kg_co2e == 10_633  # 2.1 → 5 t C: 2.9 t C
    assert mature.stock_change_kg_co2e == 0


def test_tier1_soil_change_is_linear_over_twenty_years(tea_example) -> None:
    """(63 − 43.47) × (2/20) × 2.1 ha × 44/12 = 15.0381 t CO2; 0 after D = 20 yr."""
    result = estimate(tea_example)
    assert step_value(result, "soil carbon change") == Decimal("15.03810")
    late = dict(tea_example, management_change_date="1990-01-01")
    assert step_value(estimate(late), "soil carbon change") == 0


def test_tier1_soil_uses_the_chosen_factors(tea_example) -> None:
    """No-till (1.15) and high input with manure (1.44) raise SOC_now; the manure factor warns."""
    now = {"land_use": "perennial_tree_crop", "tillage": "none", "input": "high_with_manure"}
    result = estimate(dict(tea_example, soil_management_now=now))
    assert step_value(result, "SOC now") == Decimal(63) * Decimal("1.15") * Decimal("1.44")
    assert "soil_input_factor_high_with_manure_needs_evidence" in result.warning_codes


def test_measured_soil_uses_the_layered_formula(tea_example) -> None:
    """Σ BD × C × (1 − G) × H / 10 with 10 % gravel: 1.2 × 20 × 0.9 × 20 / 10 = 43.2 t C/ha."""
    document = {k: v for k, v in tea_example.items()
                if k not in ("soil_reference", "soil_management_before", "soil_management_now",
                             "management_change_date")}
    document.update(soil_method="measured", soil_profiles=[
        {"date": "2022-04-10", "layers": [LAYER]},
        {"date": "2024-04-10", "layers": [dict(LAYER, organic_carbon_g_per_kg="21")]}])
    result = estimate(document)
    assert step_value(result, "soil_profiles[0] SOC") == Decimal("43.2")
    assert step_value(result, "soil_profiles[1] SOC") == Decimal("45.36")


def test_fertiliser_n2o_includes_leaching_and_follows_the_ef1_profile(tea_example) -> None:
    """300 kg N × (EF1 + 0.24 × 0.011); EF1 0.016 (wet/synthetic) or 0.01 (2006)."""
    wet = estimate(tea_example)
    assert step_value(wet, "indirect N2O-N (leaching)") == Decimal("3.3264")
    old = estimate(dict(tea_example, n2o_emission_factor_profile="ipcc2006_default"))
    assert step_value(old, "direct N2O-N") == Decimal("12.6")
    assert old.emissions_kg_co2e < wet.emissions_kg_co2e and old.uses_unverified


def test_no_fertiliser_no_emission_parameters(tea_example) -> None:
    result = estimate(dict(tea_example, fertiliser_n_kg_per_ha_yr="0"))
    assert result.emissions_kg_co2e == 0
    assert not {"n2o_frac_leach", "n2o_ef5", "gwp100.AR5.n2o"} & {p.key for p in result.parameters}


def test_a_biomass_interval_off_season_warns(tea_example) -> None:
    events = [{"date": "2022-04-10", "biomass_t_per_ha": "18.2"},
              {"date": "2023-10-10", "biomass_t_per_ha": "20.1"}]
    result = estimate(dict(tea_example, biomass_events=events))
    assert "monitoring_interval_is_not_whole_years" in result.warning_codes


def without(document: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in keys}


REFUSALS = [
    ({"soil_method": "guess"}, "soil_method_unknown"),
    ({"biomass_method": "lidar"}, "biomass_method_unknown"),
    ({"planting_date": "2010-01-01"}, "field_does_not_apply_to_method"),
    ({"soil_profiles": []}, "field_does_not_apply_to_method"),
    ({"soil_reference": "peat"}, "soil_reference_unknown"),
    ({"soil_management_now": {"land_use": "orchard", "tillage": "full", "input": "medium"}},
     "soil_factor_class_unknown"),
    ({"biomass_events": [{"date": "2022-04-10", "biomass_t_per_ha": "18"},
                         {"date": "2024-04-10", "carbon_t_c_per_ha": "9"}]},
     "stock_events_must_use_one_quantity"),
    ({"biomass_events": [{"date": "2022-04-10", "biomass_t_per_ha": "-1"},
                         {"date": "2024-04-10", "biomass_t_per_ha": "9"}]},
     "value_must_not_be_negative"),
    ({"fertiliser_n_kg_per_ha_yr": "-5"}, "fertiliser_n_must_not_be_negative"),
]


@pytest.mark.parametrize(("changes", "code"), REFUSALS)
def test_refusals(tea_example, changes: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        estimate(dict(tea_example, **changes))
    assert code in raised.value.codes


def test_soil_method_is_required(tea_example) -> None:
    with pytest.raises(InvalidInput) as raised:
        estimate(without(tea_example, "soil_method", "soil_reference", "soil_management_before",
                         "soil_management_now", "management_change_date"))
    assert raised.value.codes == ("field_is_required",)


@pytest.mark.parametrize(("layer_changes", "code"), [
    ({"bulk_density_g_per_cm3": "0"}, "value_must_be_positive"),
    ({"gravel_fraction": "1.5"}, "fraction_must_be_between_0_and_1"),
    ({"thickness_cm": "-2"}, "value_must_be_positive"),
    ({"organic_carbon_g_per_kg": "-1"}, "value_must_not_be_negative"),
])
def test_soil_layer_refusals(tea_example, layer_changes: dict[str, str], code: str) -> None:
    document = without(tea_example, "soil_reference", "soil_management_before",
                       "soil_management_now", "management_change_date")
    document.update(soil_method="measured", soil_profiles=[
        {"date": "2022-04-10", "layers": [dict(LAYER, **layer_changes)]},
        {"date": "2024-04-10", "layers": [LAYER]}])
    with pytest.raises(InvalidInput) as raised:
        estimate(document)
    assert code in raised.value.codes


def test_profiles_of_different_depth_are_refused(tea_example) -> None:
    document = without(tea_example, "soil_reference", "soil_management_before",
                       "soil_management_now", "management_change_date")
    document.update(soil_method="measured", soil_profiles=[
        {"date": "2022-04-10", "layers": [LAYER]},
        {"date": "2024-04-10", "layers": [LAYER, LAYER]}])
    with pytest.raises(InvalidInput) as raised:
        estimate(document)
    assert raised.value.codes == ("soil_profiles_must_cover_the_same_depth",)


def test_the_n2o_factors_are_shared_verbatim_with_bamboo() -> None:
    """EF1 rows are copied from the bamboo file; a test keeps the two copies identical."""
    from methodologies.bamboo_forest import DEFAULT_PARAMETERS as BAMBOO

    for key in ("n2o_ef1.ipcc2019_wet_synthetic", "n2o_ef1.ipcc2019_aggregated",
                "n2o_ef1.ipcc2006_default"):
        assert DEFAULT_PARAMETERS[key] == BAMBOO[key]
