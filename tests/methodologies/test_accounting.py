"""Common accounting: exact ratios, GWP profiles, kg CO2e rounding, whole tonnes, uncertainty."""

from decimal import Decimal, localcontext

import pytest

from methodologies.accounting import (
    CH4_PER_CH4_C,
    CO2_PER_C,
    GWP_PROFILE_NAMES,
    GWP_PROFILES,
    N2O_PER_N2O_N,
    UNCERTAINTY_PROFILE_NAMES,
    allowable_uncertainty,
    apply_uncertainty_deduction,
    carbon_to_co2,
    ch4_c_to_ch4,
    floor_tonnes,
    n2o_n_to_n2o,
    to_kg_co2e,
)
from methodologies.base import ParameterStatus
from methodologies.errors import InvalidInput


def test_ratios_are_the_exact_fractions_of_the_source() -> None:
    """METHODOLOGIES.md §1: 44/12 (never 3.67), 44/28 and 16/12, kept unreduced."""
    assert (CO2_PER_C.numerator, CO2_PER_C.denominator) == (44, 12)
    assert (N2O_PER_N2O_N.numerator, N2O_PER_N2O_N.denominator) == (44, 28)
    assert (CH4_PER_CH4_C.numerator, CH4_PER_CH4_C.denominator) == (16, 12)
    assert carbon_to_co2(Decimal(12)) == 44
    assert carbon_to_co2(Decimal(1)) == Decimal("3.666666666666666666666666666666667")
    assert n2o_n_to_n2o(Decimal(28)) == 44
    assert ch4_c_to_ch4(Decimal(12)) == 16


def test_ratios_ignore_the_callers_decimal_context() -> None:
    """Arithmetic runs in the 34-digit context whatever the thread's context is."""
    with localcontext() as context:
        context.prec = 5
        assert carbon_to_co2(Decimal(1)) == Decimal("3.666666666666666666666666666666667")


@pytest.mark.parametrize(("profile", "ch4", "n2o", "ch4_status"), [
    ("SAR", "21", "310", ParameterStatus.NEEDS_PRIMARY_CHECK),
    ("AR4", "25", "298", ParameterStatus.NEEDS_PRIMARY_CHECK),
    ("AR5", "28", "265", ParameterStatus.NEEDS_PRIMARY_CHECK),
    ("AR6", "27.9", "273", ParameterStatus.NEEDS_PRIMARY_CHECK),
    ("AR6_NON_FOSSIL", "27.0", "273", ParameterStatus.UNVERIFIED),
])
def test_gwp_profiles_match_methodologies_section_1(profile: str, ch4: str, n2o: str,
                                                   ch4_status: ParameterStatus) -> None:
    """GWP-100 values [V2] and the AR6 non-fossil CH4 27.0 [M] of METHODOLOGIES.md §1."""
    assert GWP_PROFILES[profile].ch4.value == Decimal(ch4)
    assert GWP_PROFILES[profile].n2o.value == Decimal(n2o)
    assert GWP_PROFILES[profile].ch4.status is ch4_status
    assert GWP_PROFILES[profile].n2o.status is ParameterStatus.NEEDS_PRIMARY_CHECK
    assert set(GWP_PROFILES) == set(GWP_PROFILE_NAMES)


@pytest.mark.parametrize(("t_co2e", "kg_co2e"), [
    ("1.2869999", 1286),  # toward zero
    ("1.287", 1287),
    ("-1.2869999", -1286),  # toward zero for losses too
    ("0.0009999", 0),
    ("-0.0009999", 0),
    ("1286.999999999999999999999999999999", 1287000),  # 34-digit noise snaps to 1,287 t
    ("1.286999999999999999999999999999999", 1287),  # ... and to 1,287 kg
    ("1.2869995", 1286),  # 0.5 g short of a kilogram is a real shortfall
])
def test_to_kg_co2e_rounds_toward_zero_after_the_guard(t_co2e: str, kg_co2e: int) -> None:
    """Conversion to integer kg rounds toward zero, after snapping to 1 mg."""
    assert to_kg_co2e(Decimal(t_co2e)) == kg_co2e


@pytest.mark.parametrize(("kg_co2e", "tonnes"), [
    (0, 0), (999, 0), (1000, 1), (2_079_999, 2079), (2_080_000, 2080),
])
def test_floor_tonnes_floors_positive_amounts(kg_co2e: int, tonnes: int) -> None:
    """Issuance floors (§5.1); compare case C1 where floor and round differ (2079 vs 2080)."""
    assert floor_tonnes(kg_co2e) == tonnes


@pytest.mark.parametrize(("kg_co2e", "code"), [
    (-1, "kg_co2e_must_not_be_negative"),
    (-1000, "kg_co2e_must_not_be_negative"),
    (Decimal("1000.5"), "kg_co2e_must_be_an_integer"),
    (1000.0, "kg_co2e_must_be_an_integer"),
    (True, "kg_co2e_must_be_an_integer"),
])
def test_floor_tonnes_refuses_negatives_and_non_integers(kg_co2e: object, code: str) -> None:
    """A negative amount is a reversal: the ledger refuses to issue it, so nothing is floored."""
    with pytest.raises(InvalidInput) as raised:
        floor_tonnes(kg_co2e)  # type: ignore[arg-type]
    assert raised.value.codes == (code,)


def test_uncertainty_profiles_and_statuses() -> None:
    """VCS 20 % @ 90 % [V], VCS 30 % @ 95 % [V], CCER 10 % [M] (METHODOLOGIES.md §5.3, §7)."""
    assert UNCERTAINTY_PROFILE_NAMES == ("VCS", "VCS_95CI", "CCER")
    assert allowable_uncertainty("VCS").value == Decimal("0.20")
    assert allowable_uncertainty("VCS_95CI").value == Decimal("0.30")
    ccer = allowable_uncertainty("CCER")
    assert ccer.value == Decimal("0.10")
    assert ccer.status is ParameterStatus.UNVERIFIED
    with pytest.raises(InvalidInput) as raised:
        allowable_uncertainty("GS")
    assert raised.value.codes == ("uncertainty_profile_unknown",)


def test_uncertainty_deduction_never_shrinks_a_reversal_or_flips_a_sign() -> None:
    """Non-positive nets are returned unchanged; a huge error deducts at most everything."""
    allowable = Decimal("0.2")
    assert apply_uncertainty_deduction(
        -500, uncertainty_fraction=Decimal("0.9"), allowable_fraction=allowable) == -500
    assert apply_uncertainty_deduction(
        0, uncertainty_fraction=Decimal("0.9"), allowable_fraction=allowable) == 0
    assert apply_uncertainty_deduction(
        1000, uncertainty_fraction=Decimal("5"), allowable_fraction=allowable) == 0
    with pytest.raises(InvalidInput) as raised:
        apply_uncertainty_deduction(1000, uncertainty_fraction=Decimal("-0.1"),
                                    allowable_fraction=allowable)
    assert raised.value.codes == ("uncertainty_must_not_be_negative",)
