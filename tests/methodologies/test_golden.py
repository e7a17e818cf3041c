"""Golden tests: published or derived worked numbers from ``METHODOLOGIES.md`` §6.

Each test is named after its case id and compares at the published precision. [D] cases check
our arithmetic only; they are not an independent check of the science.
"""

from decimal import Decimal

import pytest

from methodologies.accounting import (GWP_PROFILES, allowable_uncertainty,
                                      apply_uncertainty_deduction, carbon_to_co2)
from methodologies.bamboo_forest import DEFAULT_PARAMETERS
from methodologies.bamboo_forest_equations import (ZHOU_KEYS, fertiliser_n2o_t_co2e,
                                                   gross_annual_fixation_t_c_per_ha_yr,
                                                   stand_biomass_t_per_ha, zhou_culm_biomass_kg)
from methodologies.base import ParameterStatus


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
