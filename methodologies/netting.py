"""Net removals, common to every methodology: components → net → uncertainty → Estimate.

Each methodology computes its own pools and emissions (its equations), then hands them here as
:class:`~methodologies.units.Quantity` values in t CO2e, so that a pool left in t C or an
emission left in kg cannot slip into the sum (beancount's refusal to mix currencies). This
module

1. sums stock changes and emissions by name (:func:`net_removals`), subtracts the
   caller-supplied baseline and leakage (``METHODOLOGIES.md`` §2.2 / §3.3:
   ``NET = ΔC_stock − E_project − ΔC_BSL − LK``), and records each step;
2. applies the optional VM0033 eq. 92 uncertainty deduction (:mod:`methodologies.uncertainty`);
3. adds the warnings every methodology shares (a negative net is a reversal; unverified
   parameters). :class:`~methodologies.skeleton.MethodologySkeleton` then builds the
   :class:`~methodologies.base.Estimate`, rounding each reported field once to integer kg CO2e.

Baseline non-CO2 is 0 unless supplied (conservative, VM0033 [V]); leakage is 0 unless supplied.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from methodologies.accounting import to_kg_co2e
from methodologies.trace import CalculationRecorder
from methodologies.uncertainty import UncertaintyInput, apply_uncertainty
from methodologies.units import KG_PER_TONNE, Quantity, canonical_decimal, decimal_context, total

T_CO2E: Final = "t CO2e"


@dataclass(frozen=True, kw_only=True)
class NetInputs:
    """Signed components of one estimate, every value in t CO2e.

    ``stock_changes`` are removals (positive) or losses (negative) by pool name; ``emissions``
    are project emissions (positive) by source name.
    """

    stock_changes: Mapping[str, Quantity]
    emissions: Mapping[str, Quantity]
    baseline_net_kg_co2e: int
    leakage_kg_co2e: int
    uncertainty: UncertaintyInput | None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class NetResult:
    """Full-precision results, t CO2e."""

    stock_change_t_co2e: Decimal
    emissions_t_co2e: Decimal
    net_before_uncertainty_t_co2e: Decimal
    uncertainty_deduction_t_co2e: Decimal
    net_t_co2e: Decimal
    contributions_t_co2e: Mapping[str, Decimal] = field(default_factory=dict)


def net_removals(recorder: CalculationRecorder, components: NetInputs) -> NetResult:
    """Sum the components, subtract baseline and leakage, then apply the uncertainty input."""
    stock = _sum_step(recorder, "total stock change", components.stock_changes)
    emissions = _sum_step(recorder, "total project emissions", components.emissions)
    baseline = Quantity(_kg_to_t(components.baseline_net_kg_co2e), T_CO2E)
    leakage = Quantity(_kg_to_t(components.leakage_kg_co2e), T_CO2E)
    recorder.step("baseline net removals", "given", baseline.value, T_CO2E,
                  "caller-supplied; 0 when not given (baseline CH4/N2O 0, VM0033)")
    recorder.step("leakage", "given", leakage.value, T_CO2E, "caller-supplied; 0 when not given")
    net = stock - emissions - baseline - leakage
    recorder.step("net removals", f"ΔC − E − ΔC_BSL − LK = {_d(stock.value)} − "
                  f"{_d(emissions.value)} − {_d(baseline.value)} − {_d(leakage.value)}",
                  net.value, net.unit, components.note)
    contributions = {**{name: q.value for name, q in components.stock_changes.items()},
                     **{name: -q.value for name, q in components.emissions.items()},
                     "baseline": -baseline.value}
    adjusted = apply_uncertainty(recorder, net_t_co2e=net.value,
                                 contributions_t_co2e=contributions,
                                 uncertainty=components.uncertainty)
    return NetResult(stock_change_t_co2e=stock.value, emissions_t_co2e=emissions.value,
                     net_before_uncertainty_t_co2e=net.value,
                     uncertainty_deduction_t_co2e=adjusted.deduction_t_co2e,
                     net_t_co2e=adjusted.net_t_co2e, contributions_t_co2e=contributions)


def _sum_step(recorder: CalculationRecorder, name: str,
              parts: Mapping[str, Quantity]) -> Quantity:
    result = total(tuple(parts.values()), T_CO2E)
    terms = " + ".join(f"{key} {_d(q.value)}" for key, q in parts.items()) or "none"
    recorder.step(name, f"Σ = {terms}", result.value, result.unit)
    return result


def _kg_to_t(kg_co2e: int) -> Decimal:
    with decimal_context():
        return Decimal(kg_co2e) / KG_PER_TONNE


def add_shared_warnings(recorder: CalculationRecorder, result: NetResult) -> None:
    """Warn on a negative net (a reversal) and on unverified parameters; call last."""
    net_kg = to_kg_co2e(result.net_t_co2e)
    if net_kg < 0:
        recorder.warn("net_removal_is_negative", value=net_kg)
    if recorder.unverified_keys:
        recorder.warn("parameters_are_unverified", keys=", ".join(recorder.unverified_keys))


def net_per_ha_yr(net_t_co2e: Decimal, *, area_ha: Decimal, period_yr: Decimal) -> Decimal:
    """Net removals per hectare and year, t CO2e/ha/yr (display and plausibility checks)."""
    with decimal_context():
        return net_t_co2e / area_ha / period_yr


def _d(value: Decimal) -> str:
    return canonical_decimal(value)
