"""Lake and marsh wetland carbon sink (sinkledger.wetland-lake-marsh 1.0.0).

For inland lake and marsh wetlands such as Xiazhu Lake (下渚湖, Deqing), following the
structure of ``METHODOLOGIES.md`` §3.3 (IPCC 2013 Wetlands Supplement framework with the
VM0033 v2.1 vegetation and conservativeness rules [V]) and the v1 defaults of §7 "Wetland".
Labels W1...W6 are this module's own:

- W1 herbaceous vegetation: 3 t C/ha × cover (VM0033 [V]), credited **once per parcel**:
  reed biomass reaches steady state, so regrowth and decay cancel afterwards. The input must
  say whether the credit was already claimed; when it is credited, the estimate lists it in
  ``one_off_claims`` so that the ledger can refuse it a second time.
- W2 woody vegetation stock difference (optional), ``(C_last − C_first) × A × 44/12``.
- W3 soil/sediment carbon burial, ``A × R_acc × Δt × 44/12``: measured, or the flagged
  Chinese-lake mean 0.22 t C/ha/yr (Quat. Int. 2017 [V]).
- W4 project CH4, ``A × EF × Δt × GWP_CH4 / 1000``: **required**, measured or the flagged
  Wetlands Supplement Ch.5 default (value [M], shipped ``unverified``).
- W5 project N2O, ``A × EF_N × Δt × 44/28 × GWP_N2O / 1000``: measured, else 0 with a warning.
- W6 net = W1 + W2 + W3 − W4 − W5 − baseline − leakage, then the optional uncertainty
  deduction. The net may be negative: a wetland can be a net source (§3.5), which the ledger
  treats as a reversal.

Baseline CH4 and N2O are 0 (conservative, VM0033 [V]); baseline net removals and leakage are
caller-supplied totals. NEE is never credited directly (§3.4).
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.accounting import DEFAULT_GWP_PROFILE, gwp_key, to_kg_co2e
from methodologies.base import Estimate, ParameterSet
from methodologies.netting import (
    T_CO2E,
    NetInputs,
    NetResult,
    add_shared_warnings,
    net_per_ha_yr,
    net_removals,
)
from methodologies.skeleton import (
    Computed,
    MethodologySkeleton,
    default_parameter_set,
    period_length_yr,
)
from methodologies.trace import CalculationRecorder
from methodologies.units import Quantity
from methodologies.units import canonical_decimal as _d
from methodologies.wetland_equations import (
    ch4_emissions_t_co2e,
    ch4_flux_kg_ch4_per_ha_yr,
    herbaceous_carbon_t_c_per_ha,
    n2o_emissions_t_co2e,
    sediment_burial_t_co2e,
    vegetation_credit_t_co2e,
    woody_stock_change_t_co2e,
)
from methodologies.wetland_inputs import (
    INPUT_SCHEMA,
    Ch4Basis,
    RateSource,
    WetlandInputs,
    parse_wetland_inputs,
)

METHODOLOGY_ID: Final = "sinkledger.wetland-lake-marsh"
METHODOLOGY_VERSION: Final = "1.0.0"
SINK_TYPE: Final = "wetland"
PARAMETER_FILE: Final = "wetland_lake_marsh.csv"
EXAMPLE_FILE: Final = "wetland_lake_marsh.json"
HERBACEOUS_CLAIM: Final = "wetland_herbaceous_vegetation"
DEFAULT_PARAMETERS: Final[ParameterSet] = default_parameter_set(PARAMETER_FILE)
PARAMETER_RANGES: Final[Mapping[str, tuple[Decimal, Decimal]]] = MappingProxyType({
    "herbaceous_carbon_t_c_per_ha": (Decimal(0), Decimal(100)),
    "sediment_carbon_burial_default": (Decimal(0), Decimal(100)),
    "ch4_emission_factor_default": (Decimal(0), Decimal(100_000)),
    "gwp100": (Decimal(1), Decimal(100_000)),
    "uncertainty_allowable": (Decimal(0), Decimal(1)),
})


def estimate_wetland_lake_marsh(inputs: Mapping[str, Any],
                                parameters: ParameterSet | None = None, *,
                                gwp_profile: str = DEFAULT_GWP_PROFILE) -> Estimate:
    """Estimate net removals of a wetland for one monitoring period (W1-W6).

    See :meth:`methodologies.skeleton.MethodologySkeleton.estimate`; ``net_kg_co2e`` may be
    negative (a net source is a reversal).
    """
    return WetlandLakeMarsh().estimate(inputs, parameters, gwp_profile=gwp_profile)


def _herbaceous_t_co2e(recorder: CalculationRecorder, inputs: WetlandInputs) -> Quantity:
    """W1: the one-off herbaceous vegetation credit (0 if already claimed)."""
    if inputs.herbaceous_credit_claimed_before:
        value = recorder.step("herbaceous vegetation credit", "0 (already claimed for this "
                              "parcel)", Decimal(0), T_CO2E,
                              "W1: credited once per parcel (VM0033: one year only)")
        return Quantity(value, T_CO2E)
    full_cover = recorder.parameter("herbaceous_carbon_t_c_per_ha")
    carbon = recorder.step(
        "herbaceous vegetation carbon", f"C_herb × cover / 100 = {_d(full_cover)} × "
        f"{_d(inputs.herbaceous_cover_pct)} / 100", herbaceous_carbon_t_c_per_ha(
            cover_pct=inputs.herbaceous_cover_pct, full_cover_carbon_t_c_per_ha=full_cover),
        "t C/ha", "W1, VM0033 v2.1 footnote 32")
    value = recorder.step(
        "herbaceous vegetation credit", f"C × A × 44/12 = {_d(carbon)} × {_d(inputs.area_ha)} "
        "× 44/12", vegetation_credit_t_co2e(carbon_t_c_per_ha=carbon, area_ha=inputs.area_ha),
        T_CO2E, f"W1: one-off claim {HERBACEOUS_CLAIM}; the ledger refuses it twice")
    return Quantity(value, T_CO2E)


def _woody_t_co2e(recorder: CalculationRecorder, inputs: WetlandInputs) -> Quantity:
    """W2: woody vegetation stock difference, 0 when no events are given."""
    events = inputs.woody_events
    if events is None:
        return Quantity(recorder.step("woody vegetation stock change", "no events: 0",
                                      Decimal(0), T_CO2E, "W2"), T_CO2E)
    first, last = events[0].value, events[-1].value
    value = recorder.step(
        "woody vegetation stock change", f"(C_last − C_first) × A × 44/12 = ({_d(last)} − "
        f"{_d(first)}) × {_d(inputs.area_ha)} × 44/12", woody_stock_change_t_co2e(
            first_t_c_per_ha=first, last_t_c_per_ha=last, area_ha=inputs.area_ha),
        T_CO2E, _with_sources(f"W2: {events[0].date} to {events[-1].date}", events))
    return Quantity(value, T_CO2E)


def _with_sources(note: str, events: Any) -> str:
    """``note`` with the distinct sources of the events (e.g. a raster's zonal rule)."""
    sources = list(dict.fromkeys(e.source for e in events if e.source is not None))
    return "; ".join([note, *sources])


def _measured_or_default(recorder: CalculationRecorder, source: RateSource,
                         measured: Decimal | None, default_key: str, warning: str) -> Decimal:
    """The measured rate, or for source ``default`` the parameter ``default_key``, flagged by
    ``warning`` (a default stands in for a measurement)."""
    if source is RateSource.DEFAULT:
        rate = recorder.parameter(default_key)
        recorder.warn(warning, value=_d(rate))
        return rate
    assert measured is not None
    return measured


def _sediment_t_co2e(recorder: CalculationRecorder, inputs: WetlandInputs,
                     period_yr: Decimal) -> Quantity:
    """W3: burial at the measured rate, or at the flagged default."""
    rate = _measured_or_default(recorder, inputs.sediment_source,
                                inputs.sediment_burial_t_c_per_ha_yr,
                                "sediment_carbon_burial_default", "sediment_burial_rate_is_default")
    recorder.step("sediment carbon burial rate", inputs.sediment_source.value, rate,
                  "t C/ha/yr", "W3: R_acc")
    value = recorder.step(
        "sediment carbon burial", f"A × R_acc × Δt × 44/12 = {_d(inputs.area_ha)} × {_d(rate)} "
        f"× {_d(period_yr)} × 44/12", sediment_burial_t_co2e(
            rate_t_c_per_ha_yr=rate, area_ha=inputs.area_ha, period_yr=period_yr),
        T_CO2E, "W3")
    return Quantity(value, T_CO2E)


def _ch4_t_co2e(recorder: CalculationRecorder, inputs: WetlandInputs, period_yr: Decimal,
                gwp_profile: str) -> Quantity:
    """W4: project CH4 at the measured flux or the flagged default."""
    measured = None if inputs.ch4_kg_per_ha_yr is None else ch4_flux_kg_ch4_per_ha_yr(
        flux_kg_per_ha_yr=inputs.ch4_kg_per_ha_yr, as_carbon=inputs.ch4_basis is Ch4Basis.CH4_C)
    flux = _measured_or_default(recorder, inputs.ch4_source, measured,
                                "ch4_emission_factor_default", "ch4_emission_factor_is_default")
    recorder.step("CH4 flux", _ch4_flux_equation(inputs), flux, "kg CH4/ha/yr", "W4a")
    gwp_ch4 = recorder.parameter(gwp_key(gwp_profile, "ch4"))
    if gwp_profile == "AR6":
        recorder.warn("ch4_gwp_is_not_the_biogenic_value", value=_d(gwp_ch4))
    value = recorder.step(
        "CH4 emissions", f"A × EF × Δt × GWP_CH4 / 1000 = {_d(inputs.area_ha)} × {_d(flux)} × "
        f"{_d(period_yr)} × {_d(gwp_ch4)} / 1000", ch4_emissions_t_co2e(
            ch4_kg_per_ha_yr=flux, area_ha=inputs.area_ha, period_yr=period_yr,
            gwp_ch4=gwp_ch4), T_CO2E, f"W4, GWP profile {gwp_profile}")
    return Quantity(value, T_CO2E)


def _ch4_flux_equation(inputs: WetlandInputs) -> str:
    if inputs.ch4_source is RateSource.DEFAULT:
        return "default (Wetlands Supplement Ch.5, unverified)"
    if inputs.ch4_basis is Ch4Basis.CH4_C:
        return f"measured CH4-C × 16/12 = {_d(inputs.ch4_kg_per_ha_yr)} × 16/12"  # type: ignore
    return "measured"


def _n2o_t_co2e(recorder: CalculationRecorder, inputs: WetlandInputs, period_yr: Decimal,
                gwp_profile: str) -> Quantity:
    """W5: project N2O at the measured flux; 0 with a warning when not measured."""
    flux = inputs.n2o_n_kg_per_ha_yr
    if flux is None:
        recorder.warn("n2o_not_measured_assumed_zero")
        return Quantity(recorder.step("N2O emissions", "not measured: 0", Decimal(0), T_CO2E,
                                      "W5"), T_CO2E)
    if flux == 0:
        return Quantity(recorder.step("N2O emissions", "measured flux 0", Decimal(0), T_CO2E,
                                      "W5"), T_CO2E)
    gwp_n2o = recorder.parameter(gwp_key(gwp_profile, "n2o"))
    value = recorder.step(
        "N2O emissions", f"A × EF_N × Δt × 44/28 × GWP_N2O / 1000 = {_d(inputs.area_ha)} × "
        f"{_d(flux)} × {_d(period_yr)} × 44/28 × {_d(gwp_n2o)} / 1000", n2o_emissions_t_co2e(
            n2o_n_kg_per_ha_yr=flux, area_ha=inputs.area_ha, period_yr=period_yr,
            gwp_n2o=gwp_n2o), T_CO2E, f"W5, GWP profile {gwp_profile}")
    return Quantity(value, T_CO2E)


def _informational(result: NetResult, components: NetInputs, inputs: WetlandInputs,
                   period_yr: Decimal) -> dict[str, Decimal]:
    """Display-only per-hectare, per-year figures."""
    def per_ha_yr(value: Decimal) -> Decimal:
        return net_per_ha_yr(value, area_ha=inputs.area_ha, period_yr=period_yr)

    return {
        "net_removal_t_co2e_per_ha_yr": per_ha_yr(result.net_t_co2e),
        "sediment_burial_t_co2_per_ha_yr": per_ha_yr(
            components.stock_changes["sediment_burial"].value),
        "ch4_t_co2e_per_ha_yr": per_ha_yr(components.emissions["ch4"].value),
        "herbaceous_vegetation_t_co2e": components.stock_changes["herbaceous_vegetation"].value,
    }


class WetlandLakeMarsh(MethodologySkeleton[WetlandInputs]):
    """The registered methodology object (see :class:`methodologies.base.Methodology`)."""

    id = METHODOLOGY_ID
    version = METHODOLOGY_VERSION
    sink_type = SINK_TYPE
    title_zh = "湖泊与沼泽湿地碳汇"
    title_en = "Lake and marsh wetland carbon sink"
    input_schema = INPUT_SCHEMA
    stock_events_field = "woody_vegetation_events"
    parameters = DEFAULT_PARAMETERS
    parameter_ranges = PARAMETER_RANGES
    example_file = EXAMPLE_FILE

    def parse(self, inputs: Mapping[str, Any]) -> WetlandInputs:
        """See :func:`~methodologies.wetland_inputs.parse_wetland_inputs`."""
        return parse_wetland_inputs(inputs)

    def required_keys(self, inputs: WetlandInputs, gwp_profile: str) -> Sequence[str]:
        """Parameter keys these inputs use."""
        keys = [gwp_key(gwp_profile, "ch4")]
        if not inputs.herbaceous_credit_claimed_before:
            keys.append("herbaceous_carbon_t_c_per_ha")
        if inputs.sediment_source is RateSource.DEFAULT:
            keys.append("sediment_carbon_burial_default")
        if inputs.ch4_source is RateSource.DEFAULT:
            keys.append("ch4_emission_factor_default")
        if inputs.n2o_n_kg_per_ha_yr:
            keys.append(gwp_key(gwp_profile, "n2o"))
        return tuple(keys)

    def compute(self, recorder: CalculationRecorder, parsed: WetlandInputs,
                gwp_profile: str) -> Computed:
        """W1-W6 in order, then the shared netting and warnings."""
        period_yr = period_length_yr(recorder, parsed)
        herbaceous = _herbaceous_t_co2e(recorder, parsed)
        net_inputs = NetInputs(
            stock_changes={"herbaceous_vegetation": herbaceous,
                           "woody_vegetation": _woody_t_co2e(recorder, parsed),
                           "sediment_burial": _sediment_t_co2e(recorder, parsed, period_yr)},
            emissions={"ch4": _ch4_t_co2e(recorder, parsed, period_yr, gwp_profile),
                       "n2o": _n2o_t_co2e(recorder, parsed, period_yr, gwp_profile)},
            baseline_net_kg_co2e=parsed.baseline_net_kg_co2e,
            leakage_kg_co2e=parsed.leakage_kg_co2e, uncertainty=parsed.uncertainty,
            note="W6; may be negative (a net source is a reversal)")
        result = net_removals(recorder, net_inputs)
        add_shared_warnings(recorder, result)
        claims = {HERBACEOUS_CLAIM: to_kg_co2e(herbaceous.value)} if herbaceous.value > 0 else {}
        return Computed(result=result,
                        informational=_informational(result, net_inputs, parsed, period_yr),
                        one_off_claims=claims)
