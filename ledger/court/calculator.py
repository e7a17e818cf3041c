"""Tonnage calculator for quantity orders: a proposal the court confirms or overrides.

Equation (this module's C1): proposed tCO2e = floor(A × r × T), where A is the damaged area
(ha), r the sink type's annual net removal per hectare (t CO2e/ha/yr) and T the years to
recovery. Floor, as for every conversion to whole credits (METHODOLOGIES.md §5.1).

The rate r comes from one of:

- ``reference``: the sink type's reference net removal in t C/ha/yr, × 44/12 (C2), a cited
  parameter below (METHODOLOGIES.md §2.5, §3.4, §4.2, §7);
- ``estimate``: a methodology estimate (recorded, or computed now from inputs with the sink
  type's methodology): r = net kg CO2e ÷ 1000 ÷ area ÷ years of its monitoring period (C3),
  with the estimate's own trace kept in the proposal.

The calculator is pure; the command that records an order keeps the whole proposal, trace
included, and the court's decision beside it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from methodologies.accounting import carbon_to_co2
from methodologies.base import Parameter, ParameterStatus, TraceStep
from methodologies.units import canonical_decimal, decimal_context, years_between

S = ParameterStatus
REFERENCE_RATES_T_C_PER_HA_YR: dict[str, Parameter] = {
    "bamboo_forest": Parameter(
        key="reference_net_removal.bamboo_forest", value=Decimal("0.59"), unit="t C/ha/yr", status=S.DERIVED,
        source="Net above-ground culm C change, Zhejiang NFCI plots 2009→2014: +2.95 Mg C/ha over 5 yr: "
               "Xu L. et al. 2017, Forests 8(10):371, doi:10.3390/f8100371 (METHODOLOGIES.md §2.5, [V]; "
               "rate per year [D])"),
    "wetland": Parameter(
        key="reference_net_removal.wetland", value=Decimal("0.22"), unit="t C/ha/yr", status=S.VERIFIED,
        source="Mean organic C accumulation rate of 64 Chinese lakes, 22 g C/m²/yr: Quaternary International "
               "2017, doi:10.1016/j.quaint.2017.03.047 (METHODOLOGIES.md §3.4, §7 fallback, [V])"),
    "tea_garden": Parameter(
        key="reference_net_removal.tea_garden", value=Decimal("2.1"), unit="t C/ha/yr", status=S.NEEDS_PRIMARY_CHECK,
        source="IPCC 2006 Vol.4 Table 5.1, perennial woody biomass, temperate, accumulation rate: secondary "
               "transcription (METHODOLOGIES.md §4.2, §7, [V2])"),
}

REFERENCE_WARNINGS: dict[str, tuple[str, str, str]] = {
    "wetland": ("wetland_methane_not_deducted",
                "湿地参考速率仅为沉积物碳埋藏，未扣除甲烷排放；湿地可能是净排放源。",
                "The wetland reference rate is sediment burial only, without methane; a wetland can be a "
                "net source."),
    "tea_garden": ("tea_rate_establishment_only",
                   "茶园参考速率仅适用于新植茶园（成林后生物量趋于稳定）。",
                   "The tea reference rate applies to young plantings only; mature tea biomass plateaus."),
}


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """A proposed quantity with everything it rests on."""

    sink_type: str
    damaged_area_ha: Decimal
    years_to_recovery: int
    rate_t_co2e_per_ha_yr: Decimal
    basis: dict[str, Any]  # the reference parameter, or the estimate with its trace
    steps: tuple[TraceStep, ...]
    warnings: tuple[dict[str, str], ...]
    exact_t_co2e: Decimal
    proposed_t: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: decimals as strings, ints as ints (fit for the canonical journal form)."""
        return {"method": "area_x_rate_x_years", "sink_type": self.sink_type,
                "damaged_area_ha": canonical_decimal(self.damaged_area_ha),
                "years_to_recovery": self.years_to_recovery,
                "rate_t_co2e_per_ha_yr": canonical_decimal(self.rate_t_co2e_per_ha_yr),
                "basis": self.basis, "steps": [s.to_dict() for s in self.steps],
                "warnings": list(self.warnings), "exact_t_co2e": canonical_decimal(self.exact_t_co2e),
                "proposed_t": self.proposed_t}


def reference_rate(sink_type: str) -> tuple[Decimal, dict[str, Any], list[TraceStep]]:
    """C2: the reference rate of a sink type in t CO2e/ha/yr, from t C/ha/yr × 44/12.

    Raises
    ------
    KeyError
        The sink type has no reference rate.
    """
    parameter = REFERENCE_RATES_T_C_PER_HA_YR[sink_type]
    with decimal_context():
        rate = carbon_to_co2(parameter.value)
    step = TraceStep(name="rate_t_co2e_per_ha_yr", equation="C2: r = r_C × 44/12",
                     value=canonical_decimal(rate), unit="t CO2e/ha/yr",
                     note=f"r_C = {canonical_decimal(parameter.value)} {parameter.unit} ({parameter.key})")
    return rate, {"kind": "reference", "parameter": parameter.to_dict()}, [step]


def estimate_rate(estimate: Mapping[str, Any]) -> tuple[Decimal, dict[str, Any], list[TraceStep]]:
    """C3: the rate of a methodology estimate (``Estimate.to_dict()``), in t CO2e/ha/yr."""
    start = datetime.date.fromisoformat(estimate["period_start"])
    end = datetime.date.fromisoformat(estimate["period_end"])
    with decimal_context():
        years = years_between(start, end)
        area = Decimal(estimate["area_ha"])
        rate = Decimal(estimate["net_kg_co2e"]) / 1000 / area / years
    step = TraceStep(name="rate_t_co2e_per_ha_yr", equation="C3: r = net_kg_co2e / 1000 / area_ha / years",
                     value=canonical_decimal(rate), unit="t CO2e/ha/yr",
                     note=f"{estimate['net_kg_co2e']} kg / 1000 / {estimate['area_ha']} ha / "
                          f"{canonical_decimal(years)} yr ({estimate['period_start']}..{estimate['period_end']})")
    keep = ("estimate_id", "methodology_id", "methodology_version", "sink_type", "period_start", "period_end",
            "area_ha", "net_kg_co2e", "gwp_profile", "reproducibility_hash", "uses_unverified", "steps",
            "parameters", "warnings")
    return rate, {"kind": "estimate", "estimate": {k: estimate[k] for k in keep if k in estimate}}, [step]


def propose_tonnage(*, sink_type: str, damaged_area_ha: Decimal, years_to_recovery: int,
                    estimate: Mapping[str, Any] | None = None) -> Proposal:
    """C1: propose floor(area × rate × years) tCO2e, with its trace.

    Parameters
    ----------
    sink_type : str
        Sink type of the damaged ecosystem.
    damaged_area_ha : Decimal
        Damaged area, ha.
    years_to_recovery : int
        Years until the ecosystem recovers, yr.
    estimate : Mapping, optional
        A methodology estimate (``Estimate.to_dict()``) of the same sink type; without it the
        sink type's reference rate is used.

    Examples
    --------
    METHODOLOGIES.md §6 T3: 20 ha of tea × 2.1 t C/ha/yr × 3 yr = 126 t C = 462 t CO2.

    >>> propose_tonnage(sink_type="tea_garden", damaged_area_ha=Decimal(20), years_to_recovery=3).proposed_t
    462
    """
    rate, basis, steps = estimate_rate(estimate) if estimate is not None else reference_rate(sink_type)
    with decimal_context():
        exact = damaged_area_ha * rate * years_to_recovery
    proposed = int(exact.to_integral_value(rounding=ROUND_FLOOR))
    steps += [TraceStep(name="exact_t_co2e", equation="C1: A × r × T", value=canonical_decimal(exact), unit="t CO2e",
                        note=f"A = {canonical_decimal(damaged_area_ha)} ha, T = {years_to_recovery} yr"),
              TraceStep(name="proposed_t", equation="floor(A × r × T)", value=str(proposed), unit="t CO2e",
                        note="whole credits, floor (METHODOLOGIES.md §5.1)")]
    return Proposal(sink_type=sink_type, damaged_area_ha=damaged_area_ha, years_to_recovery=years_to_recovery,
                    rate_t_co2e_per_ha_yr=rate, basis=basis, steps=tuple(steps),
                    warnings=_warnings(sink_type, basis, estimate), exact_t_co2e=exact, proposed_t=proposed)


def _warnings(sink_type: str, basis: dict[str, Any], estimate: Mapping[str, Any] | None) -> tuple[dict[str, str], ...]:
    out = []
    if basis["kind"] == "reference" and sink_type in REFERENCE_WARNINGS:
        code, zh, en = REFERENCE_WARNINGS[sink_type]
        out.append({"code": code, "message_zh": zh, "message_en": en})
    if basis["kind"] == "reference" and basis["parameter"]["status"] != ParameterStatus.VERIFIED.value:
        out.append({"code": "reference_rate_not_primary",
                    "message_zh": "参考速率未经原始文献核对（或为推算值），请法院斟酌。",
                    "message_en": "The reference rate is derived or not checked in its primary source; "
                                  "the court should weigh it."})
    if estimate is not None and estimate.get("uses_unverified"):
        out.append({"code": "estimate_uses_unverified_parameters",
                    "message_zh": "测算结果使用了未核实的参数。",
                    "message_en": "The estimate uses unverified parameters."})
    return tuple(out)
