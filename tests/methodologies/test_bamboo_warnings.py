"""Warnings of the bamboo methodology: usable but suspicious results (METHODOLOGIES.md §2.5-2.6)."""

from decimal import Decimal

import pytest

from methodologies.base import ParameterStatus


def _set_event_dates(document: dict, first: str, last: str) -> None:
    document["events"][0]["date"] = first
    document["events"][-1]["date"] = last
    document["period_start"], document["period_end"] = first, last


@pytest.mark.parametrize(("first", "last", "expected"), [
    ("2021-11-15", "2023-11-15", ()),  # 2 years: the design rule
    ("2021-11-15", "2025-11-30", ()),  # 4 years and 15 days: same season
    ("2021-11-15", "2022-11-15", ("monitoring_interval_is_odd_years",)),
    ("2021-11-15", "2024-11-01", ("monitoring_interval_is_odd_years",)),
    ("2021-11-15", "2023-05-15", ("monitoring_interval_is_not_whole_years",)),
    ("2021-11-15", "2023-12-20", ("monitoring_interval_is_not_whole_years",)),
    ("2021-11-15", "2021-12-01", ("monitoring_interval_is_not_whole_years",)),
])
def test_monitoring_interval_warnings(bamboo, example, first: str, last: str,
                                      expected: tuple[str, ...]) -> None:
    """Even whole years, same season (±30 days): the on/off-year cycle rule of §2.6 and §7."""
    _set_event_dates(example, first, last)
    codes = bamboo.estimate(example).warning_codes
    interval_codes = tuple(c for c in codes if c.startswith("monitoring_interval"))
    assert interval_codes == expected


def test_events_not_spanning_the_period_warn(bamboo, example) -> None:
    example["period_start"] = "2021-09-01"
    assert "monitoring_events_do_not_span_period" in bamboo.estimate(example).warning_codes


def test_implausibly_large_net_removal_warns(bamboo, example) -> None:
    """> 3 t CO2e/ha/yr net from biomass alone is implausible (Xu 2017: ≈ 2.2) (§2.5)."""
    example["events"][-1]["culms_per_ha_by_age_class"]["III"] = 1400
    estimate = bamboo.estimate(example)
    assert estimate.informational["net_removal_t_co2e_per_ha_yr"] > 3
    assert "net_removal_exceeds_plausibility_limit" in estimate.warning_codes
    warning = estimate.warnings[estimate.warning_codes.index(
        "net_removal_exceeds_plausibility_limit")]
    assert "Xu" in warning.message_en and "合理性" in warning.message_zh


def test_negative_net_is_a_reversal_and_warns(bamboo, example) -> None:
    """Lost stock gives a negative net, which is returned (never clipped) and flagged."""
    example["events"][-1]["culms_per_ha_by_age_class"] = {"I": 300, "II": 400, "III": 200}
    estimate = bamboo.estimate(example)
    assert estimate.net_kg_co2e < 0 and estimate.stock_change_kg_co2e < 0
    assert "net_removal_is_negative" in estimate.warning_codes


def test_option_a_reports_unverified_parameters(bamboo, example) -> None:
    """Option A uses [M] coefficients, so the estimate says so in a flag and a warning."""
    example["biomass_method"] = "allometry_dbh_age"
    del example["culm_biomass_basis"]
    for event, dbh_cm in zip(example["events"], ("9.5", "9.8")):
        del event["mean_culm_biomass_kg_by_age_class"]
        event["mean_dbh_cm"] = dbh_cm
    estimate = bamboo.estimate(example)
    assert estimate.uses_unverified
    assert "parameters_are_unverified" in estimate.warning_codes
    assert estimate.inputs["culm_biomass_basis"] == "whole_culm"
    assert estimate.inputs["events"][0]["mean_dbh_cm_by_age_class"] == {
        "I": "9.5", "II": "9.5", "III": "9.5"}
    assert "root_shoot_ratio" not in {p.key for p in estimate.parameters}


def test_option_a_by_age_class_gives_the_same_result_as_one_mean(bamboo, example) -> None:
    """``mean_dbh_cm`` is shorthand for the same DBH in every age class."""
    example["biomass_method"] = "allometry_dbh_age"
    for event in example["events"]:
        del event["mean_culm_biomass_kg_by_age_class"]
        event["mean_dbh_cm"] = "10"
    shorthand = bamboo.estimate(example)
    for event in example["events"]:
        del event["mean_dbh_cm"]
        event["mean_dbh_cm_by_age_class"] = {"I": "10", "II": "10", "III": "10"}
    explicit = bamboo.estimate(example)
    assert shorthand.reproducibility_hash == explicit.reproducibility_hash
    assert shorthand.net_kg_co2e == explicit.net_kg_co2e


def test_whole_culm_basis_skips_the_root_shoot_ratio(bamboo, example) -> None:
    """Whole-culm biomass (e.g. Cao 2017 Table 3) already includes rhizome and roots."""
    above = bamboo.estimate(example)
    example["culm_biomass_basis"] = "whole_culm"
    whole = bamboo.estimate(example)
    ratio = Decimal(above.stock_change_kg_co2e) / Decimal(whole.stock_change_kg_co2e)
    assert abs(ratio - Decimal("1.33")) < Decimal("0.001")


def test_unverified_ef1_only_counts_when_fertiliser_is_applied(bamboo, example) -> None:
    """EF1 2006 [M] flags the estimate only when it shapes the result."""
    example["n2o_emission_factor_profile"] = "ipcc2006_default"
    assert bamboo.estimate(example).uses_unverified
    example["fertiliser_n_kg_per_ha_yr"] = "0"
    assert not bamboo.estimate(example).uses_unverified


def test_verified_override_does_not_flag(bamboo, example) -> None:
    parameters = bamboo.default_parameters().override(
        "root_shoot_ratio", "0.40", "site plots 2024", status=ParameterStatus.VERIFIED)
    assert not bamboo.estimate(example, parameters).uses_unverified
