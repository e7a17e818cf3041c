"""Golden tests: published or derived worked numbers from ``METHODOLOGIES.md`` §6.

Each test is named after its case id and compares at the published precision. [D] cases check
our arithmetic only; they are not an independent check of the science.
"""

from decimal import Decimal

import pytest

from methodologies.accounting import (
    GWP_PROFILES,
    allowable_uncertainty,
    apply_uncertainty_deduction,
    carbon_to_co2,
)
from methodologies.bamboo_forest import DEFAULT_PARAMETERS
from methodologies.bamboo_forest_equations import (
    ZHOU_KEYS,
    fertiliser_n2o_t_co2e,
    gross_annual_fixation_t_c_per_ha_yr,
    stand_biomass_t_per_ha,
    zhou_culm_biomass_kg,
)
from methodologies.base import ParameterStatus
from methodologies.soil import SoilLayer, layered_soc_t_c_per_ha
from methodologies.tea_garden import DEFAULT_PARAMETERS as TEA_PARAMETERS
from methodologies.tea_garden import estimate_tea_garden
from methodologies.tea_garden_equations import carbon_change_t_co2e, tier1_biomass_carbon_t_c_per_ha
from methodologies.tea_garden_equations import n2o_n_kg as tea_n2o_n_kg
from methodologies.tea_garden_equations import n2o_t_co2e as tea_n2o_t_co2e
from methodologies.wetland import DEFAULT_PARAMETERS as WETLAND_PARAMETERS
from methodologies.wetland import estimate_wetland_lake_marsh
from methodologies.wetland_equations import ch4_emissions_t_co2e, herbaceous_default_t_c_per_ha


def test_b1a_stand_biomass_one_year_stand() -> None:
    """B1a: 16.204 kg/culm × 1,250 culms/ha → 20.254 t/ha (abs ≤ 0.002).

    Source: Cao et al. 2017, 生态学报 37(6):2005–2013, Tables 1 and 3 [V].
    """
    biomass_t_per_ha = stand_biomass_t_per_ha(
        culms_per_ha_by_age_class={"I": 1250},
        culm_biomass_kg_by_age_class={"I": Decimal("16.204")})
    assert abs(biomass_t_per_ha - Decimal("20.254")) <= Decimal("0.002")


def test_b1b_stand_biomass_three_year_stand() -> None:
    """B1b: 19.258 kg/culm × 1,300 culms/ha → 25.036 t/ha (abs ≤ 0.002).

    Source: Cao et al. 2017, Tables 1 and 3 [V].
    """
    biomass_t_per_ha = stand_biomass_t_per_ha(
        culms_per_ha_by_age_class={"II": 1300},
        culm_biomass_kg_by_age_class={"II": Decimal("19.258")})
    assert abs(biomass_t_per_ha - Decimal("25.036")) <= Decimal("0.002")


def test_b2_gross_annual_fixation() -> None:
    """B2: 40.45 Mg C/ha ÷ 6 = 6.742 Mg C/ha/yr ⇒ 24.72 t CO2/ha/yr [D] (abs ≤ 0.005).

    Source: Zhang H. et al. 2014, *Forestry* 87(5):674–682, abstract [V]; the CO2 figure is
    derived.
    """
    gross_t_c = gross_annual_fixation_t_c_per_ha_yr(
        carbon_stock_t_c_per_ha=Decimal("40.45"),
        rotation_yr=DEFAULT_PARAMETERS["gross_fixation_rotation_yr"].value)
    assert abs(gross_t_c - Decimal("6.742")) <= Decimal("0.005")
    assert abs(gross_t_c - Decimal("6.74")) <= Decimal("0.005")
    assert abs(carbon_to_co2(gross_t_c) - Decimal("24.72")) <= Decimal("0.005")


def test_b2_gross_annual_fixation_is_informational_only(bamboo, example) -> None:
    """B2 end to end: a stand holding 40.45 t C/ha shows 6.742 t C/ha/yr, never credited.

    With R = 0 and CF = 0.5, 1,000 culms/ha × 80.9 kg = 80.9 t/ha → 40.45 t C/ha. The two
    events are identical, so the credited net is zero whatever the gross figure.
    """
    parameters = (DEFAULT_PARAMETERS
                  .override("root_shoot_ratio", 0, "test B2", status=ParameterStatus.DERIVED)
                  .override("carbon_fraction", "0.5", "test B2", status=ParameterStatus.DERIVED))
    event = {"culms_per_ha_by_age_class": {"III": 1000},
             "mean_culm_biomass_kg_by_age_class": {"III": "80.9"}}
    example["events"] = [{"date": "2021-11-15", **event}, {"date": "2023-11-15", **event}]
    example["fertiliser_n_kg_per_ha_yr"] = 0
    estimate = bamboo.estimate(example, parameters)
    gross = estimate.informational["gross_annual_fixation_t_c_per_ha_yr"]
    assert abs(gross - Decimal("6.742")) <= Decimal("0.005")
    assert abs(estimate.informational["gross_annual_fixation_t_co2_per_ha_yr"]
               - Decimal("24.72")) <= Decimal("0.005")
    assert estimate.net_kg_co2e == 0


@pytest.mark.parametrize(("profile", "expected_t_co2e"), [
    ("AR6", Decimal("1.287")),
    ("AR5", Decimal("1.249")),
    ("AR4", Decimal("1.405")),
])
def test_n1_fertiliser_n2o(profile: str, expected_t_co2e: Decimal) -> None:
    """N1: 300 kg N/ha/yr synthetic, EF1 0.01 → 4.714 kg N2O/ha ⇒ t CO2e/ha/yr (abs ≤ 0.001).

    Source: METHODOLOGIES.md §6 case N1 [D] on IPCC Tier 1 (§4.4); the N rate is illustrative.
    """
    emissions_t_co2e = fertiliser_n2o_t_co2e(
        n_applied_kg_per_ha_yr=Decimal(300), area_ha=Decimal(1), period_yr=Decimal(1),
        ef1=DEFAULT_PARAMETERS["n2o_ef1.ipcc2019_aggregated"].value,
        gwp_n2o=GWP_PROFILES[profile].n2o.value)
    assert abs(emissions_t_co2e - expected_t_co2e) <= Decimal("0.001")


@pytest.mark.parametrize(("profile", "expected_kg_co2e"), [
    ("AR6", 1287),  # exactly 1,287.000 kg
    ("AR5", 1249),  # 1,249.29 kg, truncated
    ("AR4", 1404),  # 1,404.86 kg, truncated toward zero (published 1.405 t is rounded)
])
def test_n1_fertiliser_n2o_end_to_end(bamboo, example, profile: str,
                                      expected_kg_co2e: int) -> None:
    """N1 through ``estimate``: 1 ha, one anniversary year, no stock change.

    AR6 gives exactly 1,287 kg; rounding toward zero must not turn it into 1,286. Results are
    integer kg rounded toward zero, so they sit within 1 kg below the published tonnes.
    """
    example.update(area_ha="1", period_start="2021-11-15", period_end="2022-11-15",
                   fertiliser_n_kg_per_ha_yr="300",
                   n2o_emission_factor_profile="ipcc2019_aggregated")
    example["events"] = [dict(example["events"][0], date="2021-11-15"),
                         dict(example["events"][0], date="2022-11-15")]
    estimate = bamboo.estimate(example, gwp_profile=profile)
    assert estimate.emissions_kg_co2e == expected_kg_co2e
    assert estimate.stock_change_kg_co2e == 0
    assert estimate.net_kg_co2e == -expected_kg_co2e


def test_w4_uncertainty_deduction() -> None:
    """W4: NER 1,000 t, NER_ERROR 25 % @ 90 %, allowable 20 % → 950 t; ≤ 20 % → 1,000 t.

    Source: METHODOLOGIES.md §6 case W4 [D] on VM0033 v2.1 eq. 92 [V].
    """
    allowable = allowable_uncertainty("VCS").value
    assert allowable == Decimal("0.20")
    assert apply_uncertainty_deduction(
        1000, uncertainty_fraction=Decimal("0.25"), allowable_fraction=allowable) == 950
    for error in ("0.20", "0.10", "0"):
        assert apply_uncertainty_deduction(
            1000, uncertainty_fraction=Decimal(error), allowable_fraction=allowable) == 1000


@pytest.mark.parametrize(("dbh_cm", "age_du", "expected_kg"), [
    (8, 1, "8.79"), (8, 2, "9.19"), (8, 3, "9.33"),
    (10, 1, "13.08"), (10, 2, "13.82"), (10, 3, "14.08"),
    (12, 1, "19.20"), (12, 2, "20.42"), (12, 3, "20.86"),
])
def test_option_a_zhou_allometry_sanity_values(dbh_cm: int, age_du: int,
                                               expected_kg: str) -> None:
    """Option A sanity values [D] of METHODOLOGIES.md §2.3 (abs ≤ 0.01 kg).

    The coefficients themselves are [M]; this only checks that the equation is typed as
    recorded there.
    """
    coefficients = {key: DEFAULT_PARAMETERS[f"zhou_allometry.{key}"].value for key in ZHOU_KEYS}
    biomass_kg = zhou_culm_biomass_kg(dbh_cm=Decimal(dbh_cm), age_du=age_du,
                                      coefficients=coefficients)
    assert abs(biomass_kg - Decimal(expected_kg)) <= Decimal("0.01")


# --- Wetland, soil and tea cases (issue 5) ----------------------------------------------------

def test_w1_herbaceous_default_derivation_and_published_value() -> None:
    """W1: 1.3 × 0.45 × 0.5 × 10 = 2.925 ⇒ published default 3 t C/ha, one year only (exact).

    Source: VM0033 v2.1 footnote 32 [V]. The rounding rule: the derivation rounds to the
    published whole number; the methodology uses the published 3, never 2.925.
    """
    derived = herbaceous_default_t_c_per_ha(peak_biomass_kg_per_m2=Decimal("1.3"),
                                            carbon_fraction=Decimal("0.45"),
                                            peak_to_mean_factor=Decimal("0.5"))
    assert derived == Decimal("2.925")
    published = WETLAND_PARAMETERS["herbaceous_carbon_t_c_per_ha"]
    assert published.value == derived.quantize(Decimal(1)) == 3
    assert published.status is ParameterStatus.VERIFIED


def test_w1_end_to_end_credited_once(wetland_example) -> None:
    """W1 through ``estimate``: 100 % cover on 1 ha → 3 t C → exactly 11 t CO2e, once."""
    document = dict(wetland_example, area_ha="1", herbaceous_cover_pct="100",
                    sediment_carbon_burial_t_c_per_ha_yr="0", ch4_kg_per_ha_yr="0",
                    n2o_n_kg_per_ha_yr="0")
    del document["uncertainty"]
    first = estimate_wetland_lake_marsh(document)
    assert first.stock_change_kg_co2e == 11_000
    assert dict(first.one_off_claims) == {"wetland_herbaceous_vegetation": 11_000}
    again = estimate_wetland_lake_marsh(
        dict(document, herbaceous_vegetation_credit_claimed_before=True))
    assert again.stock_change_kg_co2e == 0 and dict(again.one_off_claims) == {}


@pytest.mark.parametrize(("profile", "expected_t_co2e"), [
    ("AR6_NON_FOSSIL", Decimal("5.230")),  # GWP 27.0
    ("AR5", Decimal("5.424")),  # GWP 28
    ("AR6", Decimal("5.404")),  # GWP 27.9
])
def test_m1_wetland_ch4(profile: str, expected_t_co2e: Decimal) -> None:
    """M1: 193.7 kg CH4/ha/yr × GWP 27.0 / 28 / 27.9 → 5.230 / 5.424 / 5.404 t CO2e/ha/yr.

    Source: METHODOLOGIES.md §6 case M1 [D] on the [V2] coastal EF (used here only as the
    worked number; the module's default is the unverified inland value, never 193.7).
    """
    emissions_t_co2e = ch4_emissions_t_co2e(
        ch4_kg_per_ha_yr=Decimal("193.7"), area_ha=Decimal(1), period_yr=Decimal(1),
        gwp_ch4=GWP_PROFILES[profile].ch4.value)
    assert abs(emissions_t_co2e - expected_t_co2e) <= Decimal("0.001")


@pytest.mark.parametrize(("profile", "expected_kg_co2e"), [
    ("AR6_NON_FOSSIL", 5229), ("AR5", 5423), ("AR6", 5404)])
def test_m1_end_to_end(wetland_example, profile: str, expected_kg_co2e: int) -> None:
    """M1 through ``estimate``: a measured 193.7 kg CH4/ha/yr on 1 ha for one year.

    Integer kg are rounded toward zero (5,229.9 → 5,229), within 1 kg of the published tonnes.
    """
    document = dict(wetland_example, area_ha="1", period_start="2024-01-01",
                    period_end="2025-01-01", herbaceous_vegetation_credit_claimed_before=True,
                    sediment_carbon_burial_t_c_per_ha_yr="0", ch4_kg_per_ha_yr="193.7",
                    n2o_n_kg_per_ha_yr="0")
    del document["uncertainty"]
    result = estimate_wetland_lake_marsh(document, gwp_profile=profile)
    assert result.emissions_kg_co2e == expected_kg_co2e
    assert result.net_kg_co2e == -expected_kg_co2e  # A net source: a reversal.
    assert "net_removal_is_negative" in result.warning_codes


def test_s1_layered_soil_carbon() -> None:
    """S1: BD 1.2 g/cm³, C 20 g/kg, H 20 cm, G 0 → 48 t C/ha (exact).

    Source: Li Y. et al. 2016 formula [V] (METHODOLOGIES.md §1); [D] arithmetic.
    """
    layer = SoilLayer(bulk_density_g_per_cm3=Decimal("1.2"), organic_carbon_g_per_kg=Decimal(20),
                      gravel_fraction=Decimal(0), thickness_cm=Decimal(20))
    assert layered_soc_t_c_per_ha([layer]) == 48


def test_s1_end_to_end_in_the_tea_methodology(tea_example) -> None:
    """S1 through ``estimate``: 48 → 49.2 t C/ha (C 20 → 20.5 g/kg) on 1 ha = 1.2 t C = 4.4 t CO2."""
    layer = {"bulk_density_g_per_cm3": "1.2", "organic_carbon_g_per_kg": "20",
             "gravel_fraction": "0", "thickness_cm": "20"}
    document = {key: value for key, value in tea_example.items() if not key.startswith(
        ("soil_", "management_change"))}
    document.update(area_ha="1", soil_method="measured", fertiliser_n_kg_per_ha_yr="0",
                    biomass_events=[{"date": "2022-04-10", "carbon_t_c_per_ha": "9"},
                                    {"date": "2024-04-10", "carbon_t_c_per_ha": "9"}],
                    soil_profiles=[{"date": "2022-04-10", "layers": [layer]},
                                   {"date": "2024-04-10", "layers": [
                                       dict(layer, organic_carbon_g_per_kg="20.5")]}])
    result = estimate_tea_garden(document)
    first_soc = next(s for s in result.steps if s.name == "soil_profiles[0] SOC")
    assert Decimal(first_soc.value) == 48
    assert result.stock_change_kg_co2e == 4_400


def test_t3_tea_ipcc_tier1_biomass() -> None:
    """T3: 20 ha × 2.1 t C/ha/yr × 3 yr = 126 t C = 462 t CO2 (exact).

    Source: METHODOLOGIES.md §6 case T3 [D] on IPCC 2006 Table 5.1 [V2].
    """
    rate = TEA_PARAMETERS["perennial_biomass_accumulation_rate"].value
    carbon = tier1_biomass_carbon_t_c_per_ha(age_yr=Decimal(3), rate_t_c_per_ha_yr=rate,
                                             plateau_t_c_per_ha=Decimal(50))
    assert carbon * 20 == 126
    assert carbon_change_t_co2e(change_t_c_per_ha=carbon, area_ha=Decimal(20)) == 462


def test_t3_end_to_end() -> None:
    """T3 through ``estimate``: planted at the period start, 3 anniversary years, 20 ha."""
    result = estimate_tea_garden({
        "area_ha": "20", "period_start": "2021-03-01", "period_end": "2024-03-01",
        "biomass_method": "ipcc_tier1_establishment", "planting_date": "2021-03-01",
        "biomass_plateau_t_c_per_ha": "20", "soil_method": "excluded"})
    assert result.stock_change_kg_co2e == result.net_kg_co2e == 462_000
    assert "biomass_uses_ipcc_tier1_rate" in result.warning_codes


@pytest.mark.parametrize(("profile", "expected_t_co2e"), [
    ("AR6", Decimal("1.287")), ("AR5", Decimal("1.249")), ("AR4", Decimal("1.405"))])
def test_n1_with_the_tea_equations(profile: str, expected_t_co2e: Decimal) -> None:
    """N1 again with the tea module's T5/T7 (direct N2O only; EF1 0.01 as selected by profile)."""
    n2o_n = tea_n2o_n_kg(n_applied_kg_per_ha_yr=Decimal(300), area_ha=Decimal(1),
                         period_yr=Decimal(1),
                         emission_factor=TEA_PARAMETERS["n2o_ef1.ipcc2019_aggregated"].value)
    emissions = tea_n2o_t_co2e(n2o_n_kg_total=n2o_n, gwp_n2o=GWP_PROFILES[profile].n2o.value)
    assert abs(emissions - expected_t_co2e) <= Decimal("0.001")


def test_w4_through_an_estimate() -> None:
    """W4 end to end: a tea estimate netting exactly 1,000 t with NER_ERROR 25 % (VCS) → 950 t.

    100 ha gaining 3 t C/ha is exactly 1,100 t CO2; a 100 t baseline leaves NER = 1,000 t.
    """
    document = {"area_ha": "100", "period_start": "2022-04-10", "period_end": "2024-04-10",
                "biomass_events": [{"date": "2022-04-10", "carbon_t_c_per_ha": "0"},
                                   {"date": "2024-04-10", "carbon_t_c_per_ha": "3"}],
                "soil_method": "excluded", "baseline_net_kg_co2e": 100_000}
    assert estimate_tea_garden(document).net_kg_co2e == 1_000_000
    with_error = estimate_tea_garden(dict(document, uncertainty={"profile": "VCS",
                                                                  "ner_error_pct": "25"}))
    assert with_error.net_kg_co2e == 950_000
    assert with_error.uncertainty_deduction_kg_co2e == 50_000
    within = estimate_tea_garden(dict(document, uncertainty={"profile": "VCS",
                                                              "ner_error_pct": "20"}))
    assert (within.net_kg_co2e, within.uncertainty_deduction_kg_co2e) == (1_000_000, 0)
