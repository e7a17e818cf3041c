"""Accounting shared by every methodology: molar ratios, GWP profiles, kg CO2e, uncertainty.

Sources (``METHODOLOGIES.md``):

- §1: C→CO2 × 44/12, CH4-C→CH4 × 16/12, N2O-N→N2O × 44/28 (definitional; the 44/28 use is
  shown in IPCC 2019 Refinement Table 11.1 transcriptions). Ratios are applied exactly: multiply
  by the numerator, then divide by the denominator, in :data:`~methodologies.units.DECIMAL_CONTEXT`.
- §1: GWP-100 profiles SAR, AR4, AR5, AR6 and AR6 non-fossil CH4, kept in
  ``parameters/gwp100.csv`` with their statuses (27.0 for AR6 non-fossil CH4 is [M]).
- §5.1: issuance is ``floor`` of whole tCO2e and happens only in the ledger; estimates keep
  integer kg CO2e (:func:`to_kg_co2e`), and :func:`floor_tonnes` is the helper the ledger uses.
- §5.3: the VM0033 v2.1 eq. 92 uncertainty deduction (:func:`apply_uncertainty_deduction`),
  with allowable uncertainty profiles in ``parameters/uncertainty.csv``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from typing import Final

from methodologies.base import Parameter, ParameterSet, load_parameter_csv
from methodologies.errors import InvalidInput
from methodologies.units import KG_PER_TONNE, decimal_context


@dataclass(frozen=True)
class Ratio:
    """An exact ratio, applied as ``value × numerator / denominator``.

    Kept as two integers rather than a reduced fraction so the code reads like the source
    (44/12, not 11/3) and the order of operations is fixed.
    """

    numerator: int
    denominator: int

    def apply(self, value: Decimal) -> Decimal:
        """Return ``value × numerator / denominator`` in the 34-digit context."""
        with decimal_context():
            return value * self.numerator / self.denominator


CO2_PER_C: Final = Ratio(44, 12)  # Molar mass of CO2 over that of C.
N2O_PER_N2O_N: Final = Ratio(44, 28)  # Molar mass of N2O over that of its two N atoms.
CH4_PER_CH4_C: Final = Ratio(16, 12)  # Molar mass of CH4 over that of C.


def carbon_to_co2(mass_c: Decimal) -> Decimal:
    """Return the CO2 mass of a carbon mass: ``C × 44/12`` (any mass unit, kept)."""
    return CO2_PER_C.apply(mass_c)


def n2o_n_to_n2o(mass_n2o_n: Decimal) -> Decimal:
    """Return the N2O mass of an N2O-N mass: ``N2O-N × 44/28``."""
    return N2O_PER_N2O_N.apply(mass_n2o_n)


def ch4_c_to_ch4(mass_ch4_c: Decimal) -> Decimal:
    """Return the CH4 mass of a CH4-C mass: ``CH4-C × 16/12``."""
    return CH4_PER_CH4_C.apply(mass_ch4_c)


# --- GWP-100 profiles -----------------------------------------------------------------------

GWP_PARAMETERS: Final[ParameterSet] = load_parameter_csv("gwp100.csv")
GWP_PROFILE_NAMES: Final = ("SAR", "AR4", "AR5", "AR6", "AR6_NON_FOSSIL")
DEFAULT_GWP_PROFILE: Final = "AR5"  # CCER/VCS alignment is likely AR5 ([M], §1, §7).
GASES: Final = ("ch4", "n2o")


def gwp_key(profile: str, gas: str) -> str:
    """Return the parameter key of a GWP value, e.g. ``gwp100.AR5.n2o``."""
    return f"gwp100.{profile}.{gas}"


@dataclass(frozen=True, kw_only=True)
class GwpProfile:
    """The GWP-100 values of one IPCC report, as parameters with status and source."""

    name: str
    ch4: Parameter
    n2o: Parameter


GWP_PROFILES: Final[Mapping[str, GwpProfile]] = MappingProxyType({
    name: GwpProfile(name=name, ch4=GWP_PARAMETERS[gwp_key(name, "ch4")],
                     n2o=GWP_PARAMETERS[gwp_key(name, "n2o")])
    for name in GWP_PROFILE_NAMES
})


def gas_to_t_co2e(*, mass_kg: Decimal, gwp: Decimal) -> Decimal:
    """Return ``mass_kg × GWP / 1000``: a gas mass in kg as t CO2e."""
    with decimal_context():
        return mass_kg * gwp / KG_PER_TONNE


# --- Integer kg CO2e and whole tonnes ---------------------------------------------------------

KG_CO2E_GUARD_QUANTUM: Final = Decimal("1E-6")  # 1 mg: far above 34-digit noise, far below 1 kg.
# Above this magnitude 34 digits cannot hold 1 mg resolution, and the noise the guard absorbs
# is itself far below 1 kg, so the value is truncated directly.
KG_CO2E_GUARD_LIMIT: Final = Decimal(10) ** 20


def to_kg_co2e(t_co2e: Decimal) -> int:
    """Return a t CO2e quantity as integer kg CO2e, rounding toward zero.

    The value is first snapped half-even to :data:`KG_CO2E_GUARD_QUANTUM` (1 mg) so that the
    last-digit error of 34-digit arithmetic cannot turn an exact whole kilogram such as
    ``3 × 44/28 × 273 = 1287`` (computed as ``1286.999…9``) into 1286. Then it is truncated
    toward zero: a removal is never rounded up and a loss is never rounded away from zero by
    more than the fraction below 1 kg.

    Parameters
    ----------
    t_co2e : Decimal
        Tonnes CO2e, any sign.

    Returns
    -------
    int
        Kilograms CO2e.

    Examples
    --------
    >>> to_kg_co2e(Decimal("1.2869999")), to_kg_co2e(Decimal("-0.0015"))
    (1286, -1)
    """
    with decimal_context():
        kg = t_co2e * KG_PER_TONNE
        if abs(kg) < KG_CO2E_GUARD_LIMIT:
            kg = kg.quantize(KG_CO2E_GUARD_QUANTUM, rounding=ROUND_HALF_EVEN)
        return int(kg.to_integral_value(rounding=ROUND_DOWN))


def floor_tonnes(kg_co2e: int) -> int:
    """Return the whole tonnes issuable from a non-negative kg CO2e amount: ``⌊kg / 1000⌋``.

    Issuance floors (``METHODOLOGIES.md`` §5.1); the remainder below one tonne stays unissued.
    A negative amount is never floored: it is a reversal, which the ledger refuses to issue
    and handles through the buffer, so this function raises instead of returning a number.

    Raises
    ------
    InvalidInput
        ``kg_co2e_must_be_an_integer`` or ``kg_co2e_must_not_be_negative``.

    Examples
    --------
    >>> floor_tonnes(2_079_999), floor_tonnes(999), floor_tonnes(0)
    (2079, 0, 0)
    """
    if isinstance(kg_co2e, bool) or not isinstance(kg_co2e, int):
        raise InvalidInput.single("kg_co2e", "kg_co2e_must_be_an_integer", value=repr(kg_co2e))
    if kg_co2e < 0:
        raise InvalidInput.single("kg_co2e", "kg_co2e_must_not_be_negative", value=kg_co2e)
    return kg_co2e // int(KG_PER_TONNE)


# --- Uncertainty deduction (VM0033 v2.1 eq. 92) ------------------------------------------------

UNCERTAINTY_PARAMETERS: Final[ParameterSet] = load_parameter_csv("uncertainty.csv")
UNCERTAINTY_PROFILE_NAMES: Final = ("VCS", "VCS_95CI", "CCER")


def allowable_uncertainty(profile: str) -> Parameter:
    """Return the allowable-uncertainty parameter of a profile (VCS 20 %, CCER 10 % [M]).

    Raises
    ------
    InvalidInput
        ``uncertainty_profile_unknown``.
    """
    if profile not in UNCERTAINTY_PROFILE_NAMES:
        raise InvalidInput.single("uncertainty_profile", "uncertainty_profile_unknown",
                                  value=repr(profile),
                                  allowed=", ".join(UNCERTAINTY_PROFILE_NAMES))
    return UNCERTAINTY_PARAMETERS[f"uncertainty_allowable.{profile}"]


def apply_uncertainty_deduction(net: Decimal | int, *, uncertainty_fraction: Decimal,
                                allowable_fraction: Decimal) -> Decimal:
    """Return net removals after the uncertainty deduction (VM0033 v2.1 §8.5.2, eq. 92).

    Equation: ``adjusted = net × (1 − max(0, uncertainty − allowable))``, with the factor
    clamped at 0 so a deduction never flips the sign. A net of zero or below is returned
    unchanged: deducting from a loss would shrink the reversal, which is not conservative.

    Parameters
    ----------
    net : Decimal | int
        Net removals in any CO2e unit (kept).
    uncertainty_fraction : Decimal
        NER_ERROR, the 90 % (or 95 %) CI half-width as a fraction of the mean (0.25 = 25 %).
    allowable_fraction : Decimal
        Allowable uncertainty, e.g. ``allowable_uncertainty("VCS").value`` (0.20).

    Returns
    -------
    Decimal

    Raises
    ------
    InvalidInput
        ``uncertainty_must_not_be_negative`` for a negative fraction.

    Examples
    --------
    >>> apply_uncertainty_deduction(1000, uncertainty_fraction=Decimal("0.25"),
    ...                             allowable_fraction=Decimal("0.20"))
    Decimal('950.00')
    """
    for name, fraction in (("uncertainty_fraction", uncertainty_fraction),
                           ("allowable_fraction", allowable_fraction)):
        if not fraction.is_finite() or fraction < 0:
            raise InvalidInput.single(name, "uncertainty_must_not_be_negative", value=fraction)
    with decimal_context():
        net_value = Decimal(net)
        if net_value <= 0:
            return net_value
        deduction = max(Decimal(0), uncertainty_fraction - allowable_fraction)
        return net_value * max(Decimal(0), 1 - deduction)
