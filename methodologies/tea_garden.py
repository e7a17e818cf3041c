"""Tea garden carbon sink (sinkledger.tea-garden 1.0.0).

For Anji white-tea gardens (*Camellia sinensis*). Pools follow the methodology proposal of
Zhao Miaomiao et al. 2024, 中国茶叶 2024(2):7–12 [V, abstract]: tea-bush biomass (above and
below ground) and the change in soil organic carbon; litter and products are excluded. The
equations are IPCC Tier 1/2 cropland with perennial woody biomass (``METHODOLOGIES.md`` §4.2)
and the fertiliser N2O of §4.4, with the v1 defaults of §7 "Tea garden". Labels T1...T8 are
this module's own:

- T1/T2 biomass stock difference (Tier 2, preferred): ``(C_last − C_first) × A × 44/12`` with
  ``C = B × CF`` (CF 0.47 [V2]) or carbon given directly;
- T3 or Tier 1 for establishment-phase plantings: ``C(age) = min(2.1 × age, plateau)``
  (IPCC Table 5.1 [V2]); change = ``C(age at end) − C(age at start)``, 0 once mature; warned;
- T4 SOC: IPCC Tier 1 ``SOC = SOC_REF × F_LU × F_MG × F_I`` with the change linear over
  ``D = 20`` yr from the management change [V2], or measured profiles
  (``Σ BD × C × (1 − G) × H / 10``, Li Y. 2016 [V]), or excluded;
- T5 direct N2O ``F_SN × EF1`` (EF1 0.016 wet/synthetic 2019 [V2], or 0.010/0.01);
- T6 indirect N2O from leaching ``F_SN × Frac_LEACH × EF5`` (0.24 × 0.011, 2019 [V2]);
- T7 N2O to CO2e ``× 44/28 × GWP_N2O / 1000``; T8 net, then the optional uncertainty deduction.

Limits: N2O from volatilisation (EF4, Frac_GASF are [M]) and organic N are not counted (not
conservative; add when checked); the Tier 1 soil factors cover the warm temperate moist
climate only; baseline and leakage are caller-supplied totals.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.accounting import DEFAULT_GWP_PROFILE, gwp_key
from methodologies.base import Estimate, ParameterSet, ParameterStatus
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
    whole_years_apart,
)
from methodologies.soil import ipcc_soc_t_c_per_ha, ipcc_transition_share, layered_soc_t_c_per_ha
from methodologies.tea_garden_equations import (
    biomass_carbon_t_c_per_ha,
    carbon_change_t_co2e,
    n2o_n_kg,
    n2o_t_co2e,
    stock_difference_t_co2e,
    tier1_biomass_carbon_t_c_per_ha,
)
from methodologies.plots import PlotValues, estimate_inventory, warn_sampling
from methodologies.tea_garden_inputs import (
    INPUT_SCHEMA,
    INPUT_SCHEMA_PLOTS,
    TeaBiomassMethod,
    TeaInputs,
    parse_tea_inputs,
)
from methodologies.tea_garden_soil_inputs import InputLevel, SoilManagement, SoilMethod
from methodologies.trace import CalculationRecorder
from methodologies.units import Quantity, decimal_context, years_between
from methodologies.units import canonical_decimal as _d

METHODOLOGY_ID: Final = "sinkledger.tea-garden"
METHODOLOGY_VERSION: Final = "1.0.0"  # The default of the module's functions (tests, old records).
LATEST_VERSION: Final = "1.1.0"
SINK_TYPE: Final = "tea_garden"
PARAMETER_FILE: Final = "tea_garden.csv"
EXAMPLE_FILE: Final = "tea_garden.json"
DEFAULT_PARAMETERS: Final[ParameterSet] = default_parameter_set(PARAMETER_FILE)
# 1.1.0 (issue 21): the Tier 1 establishment rate is a tea figure, not IPCC's orchard rate 2.1
# (docs/methodologies/tea-garden.md, "Defaults reviewed").
TEA_PLANT_RATE_SOURCE: Final = (
    "Highest decadal mean carbon sequestration rate of standing tea plants in China, "
    "1950-2010: 20.4-113.9 g C/m²/yr = 0.204-1.139 t C/ha/yr ('Temporal Evolution of Carbon "
    "Storage in Chinese Tea Plantations from 1950 to 2010', abstract [V]; paper not read); "
    "replaces IPCC 2006 Table 5.1's 2.1 (temperate perennial crops), above every tea figure")
VERSION_PARAMETERS: Final[Mapping[str, ParameterSet]] = MappingProxyType({
    "1.0.0": DEFAULT_PARAMETERS,
    "1.1.0": DEFAULT_PARAMETERS.override(
        "perennial_biomass_accumulation_rate", "1.14", TEA_PLANT_RATE_SOURCE,
        status=ParameterStatus.NEEDS_PRIMARY_CHECK),
})
PARAMETER_RANGES: Final[Mapping[str, tuple[Decimal, Decimal]]] = MappingProxyType({
    "carbon_fraction": (Decimal("0.01"), Decimal(1)),
    "perennial_biomass_accumulation_rate": (Decimal(0), Decimal(100)),
    "soc_ref": (Decimal(0), Decimal(1000)),
    "soil_factor": (Decimal("0.01"), Decimal(10)),
    "soc_stock_change_period_yr": (Decimal(1), Decimal(100)),
    "n2o_ef1": (Decimal(0), Decimal(1)),
    "n2o_frac_leach": (Decimal(0), Decimal(1)),
    "n2o_ef5": (Decimal(0), Decimal(1)),
    "gwp100": (Decimal(1), Decimal(100_000)),
    "uncertainty_allowable": (Decimal(0), Decimal(1)),
})
SAME_SEASON_TOLERANCE_DAYS: Final = 30  # Pruning and plucking cycles: same season each time.


def estimate_tea_garden(inputs: Mapping[str, Any], parameters: ParameterSet | None = None, *,
                        gwp_profile: str = DEFAULT_GWP_PROFILE) -> Estimate:
    """Estimate net removals of a tea garden for one monitoring period (T1-T8).

    See :meth:`methodologies.skeleton.MethodologySkeleton.estimate`.
    """
    return TeaGarden().estimate(inputs, parameters, gwp_profile=gwp_profile)


def _factor_keys(management: SoilManagement) -> tuple[str, str, str]:
    return (f"soil_factor.land_use.{management.land_use.value}",
            f"soil_factor.tillage.{management.tillage.value}",
            f"soil_factor.input.{management.input.value}")


# --- Biomass (T1-T3) ----------------------------------------------------------------------------

def _biomass_t_co2e(recorder: CalculationRecorder, inputs: TeaInputs) -> Quantity:
    if inputs.biomass_method is TeaBiomassMethod.IPCC_TIER1_ESTABLISHMENT:
        return _tier1_biomass_t_co2e(recorder, inputs)
    events = inputs.biomass_events
    assert events is not None
    whole_years_apart(recorder, events[0].date, events[-1].date, SAME_SEASON_TOLERANCE_DAYS)
    first, last = (_event_carbon(recorder, index, event) for index, event in
                   ((0, events[0]), (len(events) - 1, events[-1])))
    value = recorder.step(
        "biomass stock change", f"(C_last − C_first) × A × 44/12 = ({_d(last)} − {_d(first)}) × "
        f"{_d(inputs.area_ha)} × 44/12", stock_difference_t_co2e(
            first_t_c_per_ha=first, last_t_c_per_ha=last, area_ha=inputs.area_ha),
        T_CO2E, "T2: Tier 2 stock difference, last minus first event")
    return Quantity(value, T_CO2E)


def _event_carbon(recorder: CalculationRecorder, index: int, event: Any) -> Decimal:
    label = f"biomass_events[{index}] carbon"
    if event.quantity == "carbon_t_c_per_ha":
        return recorder.step(label, "given (carbon_t_c_per_ha)", event.value, "t C/ha",
                             event.note(f"T1 at {event.date}"))
    carbon_fraction = recorder.parameter("carbon_fraction")
    return recorder.step(label, f"B × CF = {_d(event.value)} × {_d(carbon_fraction)}",
                         biomass_carbon_t_c_per_ha(biomass_t_per_ha=event.value,
                                                   carbon_fraction=carbon_fraction),
                         "t C/ha", event.note(f"T1 at {event.date}"))


def _plot_biomass_t_co2e(recorder: CalculationRecorder, inputs: TeaInputs
                         ) -> tuple[Quantity, Any, Mapping[str, Any]]:
    """T1-T2 from sample plots (1.1.0): each plot's bush carbon ``Σ m / a × 10 × CF`` (kg per
    m² → t/ha), the stratified means per event, their change, and the uncertainty they give."""
    assert inputs.plot_inventory is not None
    carbon_fraction = recorder.parameter("carbon_fraction")

    def convert(event: Any, plot: Any) -> PlotValues:
        with decimal_context():
            biomass = sum(plot.plant_dry_mass_kg, Decimal(0)) / plot.area_m2 * 10
        return PlotValues(by_pool={"biomass": biomass_carbon_t_c_per_ha(
            biomass_t_per_ha=biomass, carbon_fraction=carbon_fraction)})

    inventory = estimate_inventory(recorder, inputs.plot_inventory, convert)
    first, last = inventory.event_means[0], inventory.event_means[-1]
    value = recorder.step(
        "biomass stock change", f"(C_last − C_first) × A × 44/12 = ({_d(last)} − {_d(first)}) "
        f"× {_d(inputs.area_ha)} × 44/12", carbon_change_t_co2e(
            change_t_c_per_ha=last - first, area_ha=inputs.area_ha), T_CO2E,
        "T2 from the plots' stratified means")
    return (Quantity(value, T_CO2E),
            inputs.plot_inventory.uncertainty_input(inventory.change_u_pct, "biomass"),
            inventory.sampling)


def _tier1_biomass_t_co2e(recorder: CalculationRecorder, inputs: TeaInputs) -> Quantity:
    assert inputs.planting_date is not None and inputs.biomass_plateau_t_c_per_ha is not None
    recorder.warn("biomass_uses_ipcc_tier1_rate")
    rate = recorder.parameter("perennial_biomass_accumulation_rate")
    carbon = [recorder.step(
        f"tea-bush carbon at {label}", f"min(G × age, plateau) = min({_d(rate)} × {_d(age)}, "
        f"{_d(inputs.biomass_plateau_t_c_per_ha)})", tier1_biomass_carbon_t_c_per_ha(
            age_yr=age, rate_t_c_per_ha_yr=rate,
            plateau_t_c_per_ha=inputs.biomass_plateau_t_c_per_ha), "t C/ha", "T3, IPCC Table 5.1")
        for label, age in (("period start", _age_yr(inputs.planting_date, inputs.period_start)),
                           ("period end", _age_yr(inputs.planting_date, inputs.period_end)))]
    value = recorder.step(
        "biomass stock change", f"(C_end − C_start) × A × 44/12 = ({_d(carbon[1])} − "
        f"{_d(carbon[0])}) × {_d(inputs.area_ha)} × 44/12", carbon_change_t_co2e(
            change_t_c_per_ha=carbon[1] - carbon[0], area_ha=inputs.area_ha),
        T_CO2E, "T3: 0 once the plateau is reached")
    return Quantity(value, T_CO2E)


def _age_yr(start: Any, day: Any) -> Decimal:
    """Years from ``start`` to ``day``; negative before ``start``."""
    return years_between(start, day) if day >= start else -years_between(day, start)


# --- Soil (T4) ----------------------------------------------------------------------------------

def _soil_t_co2e(recorder: CalculationRecorder, inputs: TeaInputs) -> Quantity:
    if inputs.soil_method is SoilMethod.EXCLUDED:
        return Quantity(recorder.step("soil carbon change", "excluded: 0", Decimal(0), T_CO2E,
                                      "T4: SOC pool not counted"), T_CO2E)
    if inputs.soil_method is SoilMethod.MEASURED:
        return _measured_soil_t_co2e(recorder, inputs)
    return _tier1_soil_t_co2e(recorder, inputs)


def _measured_soil_t_co2e(recorder: CalculationRecorder, inputs: TeaInputs) -> Quantity:
    profiles = inputs.soil_profiles
    assert profiles is not None
    stocks = [recorder.step(
        f"soil_profiles[{index}] SOC", "Σ BD × C × (1 − G) × H / 10 over "
        f"{len(profile.layers)} layer(s), {_d(profile.depth_cm)} cm",
        layered_soc_t_c_per_ha(profile.layers), "t C/ha", f"T4 measured at {profile.date}")
        for index, profile in ((0, profiles[0]), (len(profiles) - 1, profiles[-1]))]
    value = recorder.step(
        "soil carbon change", f"(SOC_last − SOC_first) × A × 44/12 = ({_d(stocks[1])} − "
        f"{_d(stocks[0])}) × {_d(inputs.area_ha)} × 44/12", carbon_change_t_co2e(
            change_t_c_per_ha=stocks[1] - stocks[0], area_ha=inputs.area_ha), T_CO2E,
        "T4, Li Y. et al. 2016 formula")
    return Quantity(value, T_CO2E)


def _tier1_soil_t_co2e(recorder: CalculationRecorder, inputs: TeaInputs) -> Quantity:
    assert inputs.soil_management_before and inputs.soil_management_now
    assert inputs.management_change_date is not None
    soc_ref = recorder.parameter(f"soc_ref.warm_temperate_moist.{inputs.soil_reference}")
    before, now = (_tier1_soc(recorder, soc_ref, label, management) for label, management in
                   (("before", inputs.soil_management_before),
                    ("now", inputs.soil_management_now)))
    transition_yr = recorder.parameter("soc_stock_change_period_yr")
    shares = [recorder.step(
        f"SOC transition share at {label}", f"min(max(t, 0), D) / D with t = {_d(age)} yr, "
        f"D = {_d(transition_yr)}", ipcc_transition_share(
            years_since_change=age, transition_yr=transition_yr), "1", "T4, linear over D")
        for label, age in (("period start", _age_yr(inputs.management_change_date,
                                                     inputs.period_start)),
                           ("period end", _age_yr(inputs.management_change_date,
                                                  inputs.period_end)))]
    value = recorder.step(
        "soil carbon change", f"(SOC_now − SOC_before) × (s_end − s_start) × A × 44/12 = "
        f"({_d(now)} − {_d(before)}) × ({_d(shares[1])} − {_d(shares[0])}) × "
        f"{_d(inputs.area_ha)} × 44/12", carbon_change_t_co2e(
            change_t_c_per_ha=(now - before) * (shares[1] - shares[0]), area_ha=inputs.area_ha),
        T_CO2E, "T4, IPCC Tier 1 (eq. 2.25 style)")
    return Quantity(value, T_CO2E)


def _tier1_soc(recorder: CalculationRecorder, soc_ref: Decimal, label: str,
               management: SoilManagement) -> Decimal:
    land_use, tillage, level = (recorder.parameter(key) for key in _factor_keys(management))
    if management.input is InputLevel.HIGH_WITH_MANURE:
        recorder.warn("soil_input_factor_high_with_manure_needs_evidence", value=_d(level))
    return recorder.step(
        f"SOC {label}", f"SOC_REF × F_LU × F_MG × F_I = {_d(soc_ref)} × {_d(land_use)} × "
        f"{_d(tillage)} × {_d(level)}", ipcc_soc_t_c_per_ha(
            soc_ref_t_c_per_ha=soc_ref, land_use_factor=land_use, management_factor=tillage,
            input_factor=level), "t C/ha", f"T4: {management.land_use}, {management.tillage} "
        f"tillage, {management.input} input")


# --- N2O (T5-T7) --------------------------------------------------------------------------------

def _n2o_t_co2e(recorder: CalculationRecorder, inputs: TeaInputs, period_yr: Decimal,
                gwp_profile: str) -> Quantity:
    rate = inputs.fertiliser_n_kg_per_ha_yr
    if rate == 0:
        return Quantity(recorder.step("fertiliser N2O emissions", "F_SN = 0", Decimal(0),
                                      T_CO2E, "T5-T7: no synthetic N applied"), T_CO2E)
    ef1 = recorder.parameter(f"n2o_ef1.{inputs.n2o_emission_factor_profile.value}")
    frac_leach, ef5 = recorder.parameter("n2o_frac_leach"), recorder.parameter("n2o_ef5")
    common = f"{_d(rate)} × {_d(inputs.area_ha)} × {_d(period_yr)}"
    direct = recorder.step("direct N2O-N", f"F_SN × A × T × EF1 = {common} × {_d(ef1)}", n2o_n_kg(
        n_applied_kg_per_ha_yr=rate, area_ha=inputs.area_ha, period_yr=period_yr,
        emission_factor=ef1), "kg N2O-N", "T5")
    leached = recorder.step(
        "indirect N2O-N (leaching)", f"F_SN × A × T × Frac_LEACH × EF5 = {common} × "
        f"{_d(frac_leach)} × {_d(ef5)}", n2o_n_kg(
            n_applied_kg_per_ha_yr=rate, area_ha=inputs.area_ha, period_yr=period_yr,
            emission_factor=frac_leach * ef5), "kg N2O-N", "T6")
    gwp_n2o = recorder.parameter(gwp_key(gwp_profile, "n2o"))
    value = recorder.step(
        "fertiliser N2O emissions", f"(N2O-N_direct + N2O-N_leach) × 44/28 × GWP / 1000 = "
        f"({_d(direct)} + {_d(leached)}) × 44/28 × {_d(gwp_n2o)} / 1000", n2o_t_co2e(
            n2o_n_kg_total=direct + leached, gwp_n2o=gwp_n2o), T_CO2E,
        f"T7, GWP profile {gwp_profile}")
    return Quantity(value, T_CO2E)


# --- Estimate -----------------------------------------------------------------------------------

def _informational(result: NetResult, components: NetInputs, inputs: TeaInputs,
                   period_yr: Decimal) -> dict[str, Decimal]:
    def per_ha_yr(value: Decimal) -> Decimal:
        return net_per_ha_yr(value, area_ha=inputs.area_ha, period_yr=period_yr)

    return {"net_removal_t_co2e_per_ha_yr": per_ha_yr(result.net_t_co2e),
            "biomass_t_co2e_per_ha_yr": per_ha_yr(components.stock_changes["biomass"].value),
            "soil_t_co2e_per_ha_yr": per_ha_yr(components.stock_changes["soil"].value),
            "n2o_t_co2e_per_ha_yr": per_ha_yr(components.emissions["n2o"].value)}


class TeaGarden(MethodologySkeleton[TeaInputs]):
    """The registered methodology object (see :class:`methodologies.base.Methodology`)."""

    id = METHODOLOGY_ID
    sink_type = SINK_TYPE
    title_zh = "茶园碳汇（茶树生物量与土壤有机碳）"
    title_en = "Tea garden carbon sink (tea-bush biomass and soil organic carbon)"
    input_schema = INPUT_SCHEMA
    stock_events_field = "biomass_events"
    parameter_ranges = PARAMETER_RANGES
    example_file = EXAMPLE_FILE

    def __init__(self, version: str = METHODOLOGY_VERSION) -> None:
        if version not in VERSION_PARAMETERS:
            raise ValueError(f"unknown version {version!r}")
        self.version = version
        self.parameters = VERSION_PARAMETERS[version]
        self.plots = version != "1.0.0"  # 1.1.0: the plot inventory (issue 21)
        self.input_schema = INPUT_SCHEMA_PLOTS if self.plots else INPUT_SCHEMA

    def parse(self, inputs: Mapping[str, Any]) -> TeaInputs:
        """See :func:`~methodologies.tea_garden_inputs.parse_tea_inputs`."""
        return parse_tea_inputs(inputs, plots=self.plots)

    def required_keys(self, inputs: TeaInputs, gwp_profile: str) -> Sequence[str]:
        """Parameter keys these inputs use."""
        keys: list[str] = []
        events = inputs.biomass_events or ()
        if (any(event.quantity == "biomass_t_per_ha" for event in events)
                or inputs.plot_inventory is not None):
            keys.append("carbon_fraction")
        if inputs.biomass_method is TeaBiomassMethod.IPCC_TIER1_ESTABLISHMENT:
            keys.append("perennial_biomass_accumulation_rate")
        if inputs.soil_method is SoilMethod.IPCC_TIER1:
            keys.extend([f"soc_ref.warm_temperate_moist.{inputs.soil_reference}",
                         "soc_stock_change_period_yr"])
            for management in (inputs.soil_management_before, inputs.soil_management_now):
                keys.extend(_factor_keys(management))  # type: ignore[arg-type]
        if inputs.fertiliser_n_kg_per_ha_yr > 0:
            keys.extend([f"n2o_ef1.{inputs.n2o_emission_factor_profile.value}",
                         "n2o_frac_leach", "n2o_ef5", gwp_key(gwp_profile, "n2o")])
        return keys

    def compute(self, recorder: CalculationRecorder, parsed: TeaInputs,
                gwp_profile: str) -> Computed:
        """T1-T8 in order, then the shared netting and warnings."""
        period_yr = period_length_yr(recorder, parsed)
        uncertainty, sampling = parsed.uncertainty, {}
        if parsed.plot_inventory is not None:
            biomass, uncertainty, sampling = _plot_biomass_t_co2e(recorder, parsed)
        else:
            biomass = _biomass_t_co2e(recorder, parsed)
        net_inputs = NetInputs(
            stock_changes={"biomass": biomass,
                           "soil": _soil_t_co2e(recorder, parsed)},
            emissions={"n2o": _n2o_t_co2e(recorder, parsed, period_yr, gwp_profile)},
            baseline_net_kg_co2e=parsed.baseline_net_kg_co2e,
            leakage_kg_co2e=parsed.leakage_kg_co2e, uncertainty=uncertainty, note="T8")
        result = net_removals(recorder, net_inputs)
        add_shared_warnings(recorder, result)
        if sampling:
            warn_sampling(recorder, sampling)
        return Computed(result=result,
                        informational=_informational(result, net_inputs, parsed, period_yr),
                        sampling=sampling)

    def inputs_with_stock_events(self, inputs: Mapping[str, Any],
                                 events: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        """Return ``inputs`` with Tier 2 ``biomass_events`` replaced by ``events``."""
        document = {key: value for key, value in inputs.items()
                    if key not in ("planting_date", "biomass_plateau_t_c_per_ha")}
        document["biomass_method"] = TeaBiomassMethod.STOCK_DIFFERENCE.value
        document[self.stock_events_field] = [dict(event) for event in events]
        return document
