"""The lake and marsh wetland methodology: example, one-off vegetation, defaults, net sources.

Given/When/Then scenarios of ``docs/methodologies/wetland-lake-marsh.md``; numbers are [D]
arithmetic on the shipped parameters.
"""

from decimal import Decimal
from typing import Any

import pytest

from methodologies.base import ParameterStatus
from methodologies.errors import InvalidInput
from methodologies.wetland import DEFAULT_PARAMETERS, HERBACEOUS_CLAIM, estimate_wetland_lake_marsh

estimate = estimate_wetland_lake_marsh


def plain(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The example without its uncertainty block, with ``changes``."""
    out = {key: value for key, value in document.items() if key != "uncertainty"}
    out.update(changes)
    return out


def test_the_example_estimates_as_documented(wetland_example) -> None:
    """Given the shipped example, the components are the documented numbers (AR5)."""
    result = estimate(wetland_example)
    assert (result.stock_change_kg_co2e, result.emissions_kg_co2e,
            result.uncertainty_deduction_kg_co2e, result.net_kg_co2e) == (
        154_693, 60_832, 15_527, 78_333)
    assert dict(result.one_off_claims) == {HERBACEOUS_CLAIM: 121_275}
    assert result.warnings == () and not result.uses_unverified


def test_the_vegetation_credit_is_claimed_once(wetland_example) -> None:
    """Given the credit was claimed before, nothing is credited and no claim is recorded."""
    first = estimate(plain(wetland_example))
    second = estimate(plain(wetland_example, herbaceous_vegetation_credit_claimed_before=True))
    assert first.stock_change_kg_co2e - second.stock_change_kg_co2e == 121_275
    assert dict(second.one_off_claims) == {}
    assert "herbaceous_carbon_t_c_per_ha" not in {p.key for p in second.parameters}


def test_the_claim_flag_is_required_and_must_be_a_boolean(wetland_example) -> None:
    """The input must say whether the credit was claimed: absent, 0/1 or "no" are refused."""
    document = plain(wetland_example)
    del document["herbaceous_vegetation_credit_claimed_before"]
    with pytest.raises(InvalidInput) as raised:
        estimate(document)
    assert raised.value.codes == ("field_is_required",)
    for value in (0, 1, "no"):
        with pytest.raises(InvalidInput) as raised:
            estimate(plain(wetland_example, herbaceous_vegetation_credit_claimed_before=value))
        assert raised.value.codes == ("value_must_be_a_boolean",)


def test_default_ch4_is_flagged_unverified(wetland_example) -> None:
    """Given ch4_source default, the [M] value is used, flagged, and the estimate says so."""
    document = plain(wetland_example, ch4_source="default")
    del document["ch4_kg_per_ha_yr"], document["ch4_basis"]
    result = estimate(document)
    parameter = next(p for p in result.parameters if p.key == "ch4_emission_factor_default")
    assert parameter.status is ParameterStatus.UNVERIFIED and parameter.value == 235
    assert result.uses_unverified
    assert {"ch4_emission_factor_is_default", "parameters_are_unverified"} <= set(
        result.warning_codes)
    assert parameter.value != Decimal("193.7")  # Never the coastal value.


def test_default_sediment_burial_is_flagged(wetland_example) -> None:
    """Given sediment source default, 0.22 t C/ha/yr [V] is used with a warning."""
    document = plain(wetland_example, sediment_carbon_burial_source="default")
    del document["sediment_carbon_burial_t_c_per_ha_yr"]
    result = estimate(document)
    assert "sediment_burial_rate_is_default" in result.warning_codes
    burial = next(s for s in result.steps if s.name == "sediment carbon burial")
    assert Decimal(burial.value) == Decimal("14.7") * Decimal("0.22") * 2 * 44 / 12
    assert not result.uses_unverified  # The 0.22 itself is [V]; the warning is the flag.


def test_a_wetland_can_be_a_net_source(wetland_example) -> None:
    """Given the vegetation already claimed and CH4 above burial, the net is a reversal (§3.5)."""
    result = estimate(plain(wetland_example, herbaceous_vegetation_credit_claimed_before=True,
                            sediment_carbon_burial_t_c_per_ha_yr="0.22",
                            ch4_kg_per_ha_yr="30"))
    assert result.net_kg_co2e < 0
    assert "net_removal_is_negative" in result.warning_codes


def test_thirty_kg_of_methane_cancels_average_burial() -> None:
    """§3.5 [D]: 0.22 t C/ha/yr burial (0.81 t CO2) vs 30 kg CH4 at GWP 27 (0.81 t CO2e)."""
    document = {"area_ha": "1", "period_start": "2024-01-01", "period_end": "2025-01-01",
                "herbaceous_cover_pct": "0", "herbaceous_vegetation_credit_claimed_before": True,
                "sediment_carbon_burial_source": "measured",
                "sediment_carbon_burial_t_c_per_ha_yr": "0.22", "ch4_source": "measured",
                "ch4_kg_per_ha_yr": "30", "n2o_n_kg_per_ha_yr": "0"}
    result = estimate(document, gwp_profile="AR6_NON_FOSSIL")
    assert result.stock_change_kg_co2e == 806 and result.emissions_kg_co2e == 810
    assert result.net_kg_co2e == -3  # 806.67 − 810 = −3.33 kg: the sink is cancelled.


def test_ch4_as_carbon_is_converted(wetland_example) -> None:
    """A flux given as CH4-C is multiplied by 16/12."""
    as_ch4 = estimate(plain(wetland_example, ch4_kg_per_ha_yr="64"))
    as_carbon = estimate(plain(wetland_example, ch4_kg_per_ha_yr="48", ch4_basis="ch4_c"))
    assert as_ch4.emissions_kg_co2e == as_carbon.emissions_kg_co2e


def test_the_ar6_profile_warns_that_its_ch4_value_is_not_biogenic(wetland_example) -> None:
    assert "ch4_gwp_is_not_the_biogenic_value" in estimate(
        wetland_example, gwp_profile="AR6").warning_codes
    assert "ch4_gwp_is_not_the_biogenic_value" not in estimate(
        wetland_example, gwp_profile="AR6_NON_FOSSIL").warning_codes


def test_unmeasured_n2o_counts_zero_with_a_warning(wetland_example) -> None:
    document = plain(wetland_example)
    del document["n2o_n_kg_per_ha_yr"]
    result = estimate(document)
    assert "n2o_not_measured_assumed_zero" in result.warning_codes
    assert result.emissions_kg_co2e == 51_038  # CH4 only.


def test_woody_vegetation_events_add_a_stock_difference(wetland_example) -> None:
    """Woody vegetation from 2 to 2.5 t C/ha over 14.7 ha adds 26.95 t CO2e."""
    events = [{"date": "2023-06-01", "carbon_t_c_per_ha": "2"},
              {"date": "2025-06-01", "carbon_t_c_per_ha": "2.5"}]
    base = estimate(plain(wetland_example))
    with_woody = estimate(plain(wetland_example, woody_vegetation_events=events))
    assert with_woody.stock_change_kg_co2e - base.stock_change_kg_co2e == 26_950


REFUSALS = [
    ("herbaceous_cover_pct", "101", "percent_must_be_between_0_and_100"),
    ("herbaceous_cover_pct", "-1", "percent_must_be_between_0_and_100"),
    ("ch4_source", "estimated", "rate_source_unknown"),
    ("ch4_kg_per_ha_yr", "-3", "value_must_not_be_negative"),
    ("ch4_basis", "co2", "ch4_basis_unknown"),
    ("n2o_n_kg_per_ha_yr", "-0.1", "value_must_not_be_negative"),
    ("sediment_carbon_burial_source", None, "field_is_required"),
    ("woody_vegetation_events", [{"date": "2024-01-01", "carbon_t_c_per_ha": "1"}],
     "monitoring_events_must_number_at_least_two"),
    ("woody_vegetation_events", [{"date": "2024-01-01", "carbon_t_c_per_ha": "1"},
                                 {"date": "2023-01-01", "carbon_t_c_per_ha": "1"}],
     "monitoring_events_must_be_ordered"),
    ("woody_vegetation_events", [{"date": "2024-01-01"}, {"date": "2025-01-01"}],
     "stock_event_needs_one_quantity"),
    ("reed_cover_pct", "50", "field_is_unknown"),
]


@pytest.mark.parametrize(("field", "value", "code"), REFUSALS)
def test_refusals(wetland_example, field: str, value: Any, code: str) -> None:
    """One defect per row, in schema order (None removes the field)."""
    document = plain(wetland_example)
    if value is None:
        del document[field]
    else:
        document[field] = value
    with pytest.raises(InvalidInput) as raised:
        estimate(document)
    assert code in raised.value.codes


def test_a_measured_rate_with_a_default_source_is_refused(wetland_example) -> None:
    """Saying "default" while giving a rate is ambiguous: refused, not silently ignored."""
    with pytest.raises(InvalidInput) as raised:
        estimate(plain(wetland_example, sediment_carbon_burial_source="default",
                       ch4_source="default"))
    assert raised.value.codes == ("field_does_not_apply_to_default_source",) * 3


def test_a_measured_sediment_loss_is_accepted(wetland_example) -> None:
    """A negative measured burial rate is a loss and lowers the net (refusing it would not be
    conservative)."""
    loss = estimate(plain(wetland_example, sediment_carbon_burial_t_c_per_ha_yr="-0.1"))
    gain = estimate(plain(wetland_example))
    assert loss.net_kg_co2e < gain.net_kg_co2e


def test_default_parameters_carry_statuses() -> None:
    assert DEFAULT_PARAMETERS["herbaceous_carbon_t_c_per_ha"].status is ParameterStatus.VERIFIED
    assert DEFAULT_PARAMETERS["sediment_carbon_burial_default"].value == Decimal("0.22")
    assert DEFAULT_PARAMETERS["ch4_emission_factor_default"].status is (
        ParameterStatus.UNVERIFIED)
