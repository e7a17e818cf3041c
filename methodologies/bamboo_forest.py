"""Moso bamboo forest management by stock difference (sinkledger.bamboo-moso-management 1.1.0).

Implements the CDM/CCER A/R stock-difference template as summarised in ``METHODOLOGIES.md``
§2.2 (structure [M]) with the v1 defaults of §7 "Bamboo", for *Phyllostachys edulis* (Moso)
stands under management in Anji/Huzhou. Equation labels (B1...B8, A1) are this module's own;
the source of each is given in its docstring.

- B1 stand biomass = Σ culms × mean culm biomass / 1000 (option B, Li Y. et al. 2016 and
  Cao et al. 2017 [V]); A1 per-culm biomass from DBH and age (option A, Zhou Guomo [M]).
- B2 total biomass = above-ground × (1 + R), R = 0.33 (Cao 2017 §4.1 [V]).
- B3 carbon = biomass × CF, CF = 0.47 (IPCC default [V2]); B4 CO2 = C × 44/12.
- B5 stock change = (last − first event carbon) × area × 44/12.
- B6 direct fertiliser N2O = F_SN × EF1 × 44/28 × GWP_N2O (IPCC Tier 1, §4.4 [V2]/[M]).
- B7 net = stock change − emissions − baseline − leakage (§2.2).
- B8 gross annual fixation = stand C ÷ 6 (Cao 2017 / Zhou & Jiang 2004 [V]): display only.
- B9 (1.1.0) uncertainty deduction, VM0033 v2.1 eq. 92 (:mod:`methodologies.uncertainty`).

Versions: 1.0.0 (B1-B8) stays registered so that its estimates can be rerun byte for byte;
1.1.0 adds the optional ``uncertainty`` input and ``biomass_method = "carbon_density"``
(stand carbon per event given directly, e.g. from a carbon-density raster). A 1.0.0 document
gives the same numbers under 1.1.0.

Limits, each deliberate and conservative unless noted: pools are bamboo above- and
below-ground biomass only (no litter, dead wood, SOC, scattered trees or harvested products,
§7); emissions are direct N2O from synthetic N only (indirect N2O and fossil fuel are not
counted: not conservative, to be added when §4.4 factors are checked); baseline and leakage
are caller-supplied totals defaulting to 0 (§2.6 [M]); the uncertainty deduction applies
only when the input asks for it, and the buffer is the ledger's (on the stock component). The primary AR-CM-005-V01 text was not available, so the
whole structure is [M] until checked against it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.accounting import (
    DEFAULT_GWP_PROFILE,
    carbon_to_co2,
    gas_to_t_co2e,
    gwp_key,
    n2o_n_to_n2o,
)
from methodologies.bamboo_forest_equations import (
    ZHOU_KEYS,
    carbon_stock_t_c_per_ha,
    co2_stock_t_co2_per_ha,
    direct_n2o_n_kg,
    gross_annual_fixation_t_c_per_ha_yr,
    net_removals_t_co2e,
    stand_biomass_t_per_ha,
    stock_change_t_co2e,
    total_biomass_t_per_ha,
    zhou_culm_biomass_kg,
)
from methodologies.bamboo_forest_inputs import (
    AGE_CLASSES_DU,
    ALL_FEATURES,
    INPUT_SCHEMA,
    BambooEvent,
    BambooInputs,
    BiomassMethod,
    CulmBiomassBasis,
    Feature,
    parse_bamboo_inputs,
)
from methodologies.base import Estimate, ParameterSet
from methodologies.netting import NetResult, add_shared_warnings, net_per_ha_yr
from methodologies.plots import (
    KG_PER_M2_TO_T_PER_HA,
    InventoryResult,
    Plot,
    PlotEvent,
    PlotValues,
    estimate_inventory,
    litter_carbon_t_c_per_ha,
    soil_carbon_t_c_per_ha,
    warn_sampling,
)
from methodologies.skeleton import (
    Computed,
    MethodologySkeleton,
    default_parameter_set,
    period_length_yr,
    whole_years_apart,
)
from methodologies.trace import CalculationRecorder
from methodologies.uncertainty import apply_uncertainty
from methodologies.units import KG_PER_TONNE, decimal_context
from methodologies.units import canonical_decimal as _d

METHODOLOGY_ID: Final = "sinkledger.bamboo-moso-management"
METHODOLOGY_VERSION: Final = "1.2.0"  # The latest; see VERSION_FEATURES.
VERSION_FEATURES: Final[Mapping[str, frozenset[Feature]]] = MappingProxyType({
    "1.0.0": frozenset(),
    "1.1.0": frozenset({Feature.UNCERTAINTY, Feature.CARBON_DENSITY}),
    "1.2.0": ALL_FEATURES,
})
SINK_TYPE: Final = "bamboo_forest"
PARAMETER_FILE: Final = "bamboo_moso_management.csv"
EXAMPLE_FILE: Final = "bamboo_moso_management.json"
DEFAULT_PARAMETERS: Final[ParameterSet] = default_parameter_set(PARAMETER_FILE)

# Design rules (METHODOLOGIES.md §2.6, §7): monitor an even number of years apart, in the same
# season, because of the two-year on/off (大小年) cycle. A month either way is "same season".
ON_OFF_CYCLE_YEARS: Final = 2
SAME_SEASON_TOLERANCE_DAYS: Final = 30

# Physical ranges by key (or by key prefix before the first dot), a guard against typing
# errors in overrides, not scientific limits. The two Zhou ranges keep A1 well defined
# (positive base for the fractional power, no division by zero).
PARAMETER_RANGES: Final[Mapping[str, tuple[Decimal, Decimal]]] = MappingProxyType({
    "carbon_fraction": (Decimal("0.01"), Decimal(1)),
    "root_shoot_ratio": (Decimal(0), Decimal(5)),
    "gross_fixation_rotation_yr": (Decimal(1), Decimal(100)),
    "net_removal_plausibility_limit": (Decimal(0), Decimal(1000)),
    "n2o_ef1": (Decimal(0), Decimal(1)),
    "gwp100": (Decimal(1), Decimal(100_000)),
    "uncertainty_allowable": (Decimal(0), Decimal(1)),
    "litter_carbon_fraction": (Decimal("0.01"), Decimal(1)),
    "zhou_allometry.age_coefficient": (Decimal("1E-6"), Decimal(100)),
    "zhou_allometry.age_offset_du": (Decimal(0), Decimal(100)),
})


# --- Estimate ---------------------------------------------------------------------------------

def estimate_bamboo_moso_management(inputs: Mapping[str, Any],
                                    parameters: ParameterSet | None = None, *,
                                    gwp_profile: str = DEFAULT_GWP_PROFILE,
                                    version: str = METHODOLOGY_VERSION) -> Estimate:
    """Estimate net removals of a Moso bamboo stand for one monitoring period (B1-B9).

    See :meth:`methodologies.skeleton.MethodologySkeleton.estimate`; ``version`` is a key of
    :data:`VERSION_FEATURES` (default the latest).
    """
    return BambooMosoManagement(version).estimate(inputs, parameters, gwp_profile=gwp_profile)


@dataclass(frozen=True, kw_only=True)
class _Results:
    """Full-precision figures of one evaluation, before rounding to kg."""

    stock_t_co2e: Decimal
    emissions_t_co2e: Decimal
    net_before_uncertainty_t_co2e: Decimal
    uncertainty_deduction_t_co2e: Decimal
    net_t_co2e: Decimal
    period_yr: Decimal
    gross_fixation_t_c_per_ha_yr: Decimal
    carbon_first_t_c_per_ha: Decimal
    carbon_last_t_c_per_ha: Decimal


def _compute(recorder: CalculationRecorder, inputs: BambooInputs,
             gwp_profile: str) -> tuple[_Results, Mapping[str, Any]]:
    """Evaluate B1-B8 in order, recording each step (P1-P4 first with a plot inventory)."""
    uncertainty = inputs.uncertainty
    sampling: Mapping[str, Any] = {}
    if inputs.plot_inventory is not None:
        inventory = estimate_inventory(recorder, inputs.plot_inventory,
                                       lambda event, plot: _plot_values(recorder, inputs,
                                                                        event, plot))
        carbon = [recorder.step(f"events[{index}] carbon stock", "stratified mean of the plots "
                                "(all pools)", mean, "t C/ha", f"P1 at {event.date.isoformat()}")
                  for index, (mean, event) in enumerate(zip(
                      inventory.event_means, inputs.plot_inventory.events, strict=True))]
        _record_pool_changes(recorder, inputs, inventory)
        uncertainty = inputs.plot_inventory.uncertainty_input(inventory.change_u_pct)
        sampling = inventory.sampling
    else:
        carbon = [_event_carbon_t_c_per_ha(recorder, inputs, index, event)
                  for index, event in enumerate(inputs.events)]
    last_index = len(carbon) - 1
    _event_co2_t_co2_per_ha(recorder, 0, carbon[0])
    _event_co2_t_co2_per_ha(recorder, last_index, carbon[-1])
    stock = recorder.step(
        "stock change", f"(C_last − C_first) × A × 44/12 = ({_d(carbon[-1])} − "
        f"{_d(carbon[0])}) × {_d(inputs.area_ha)} × 44/12", stock_change_t_co2e(
            first_t_c_per_ha=carbon[0], last_t_c_per_ha=carbon[-1], area_ha=inputs.area_ha),
        "t CO2e", f"B5: events[{last_index}] minus events[0]")
    period_yr = period_length_yr(recorder, inputs)
    emissions = _emissions_t_co2e(recorder, inputs, gwp_profile, period_yr)
    net = _net_t_co2e(recorder, inputs, stock, emissions)
    adjusted = apply_uncertainty(recorder, net_t_co2e=net, contributions_t_co2e={
        "stock_change": stock, "emissions": -emissions,
        "baseline": -Decimal(inputs.baseline_net_kg_co2e) / KG_PER_TONNE},
        uncertainty=uncertainty)
    return _Results(stock_t_co2e=stock, emissions_t_co2e=emissions,
                    net_before_uncertainty_t_co2e=net,
                    uncertainty_deduction_t_co2e=adjusted.deduction_t_co2e,
                    net_t_co2e=adjusted.net_t_co2e, period_yr=period_yr,
                    gross_fixation_t_c_per_ha_yr=_gross_fixation(recorder, carbon[-1]),
                    carbon_first_t_c_per_ha=carbon[0], carbon_last_t_c_per_ha=carbon[-1]
                    ), sampling


def _plot_values(recorder: CalculationRecorder, inputs: BambooInputs, event: PlotEvent,
                 plot: Plot) -> PlotValues:
    """One plot's carbon by pool, t C/ha: culms (B1-B3 per plot), litter, soil."""
    if inputs.biomass_method is BiomassMethod.MEAN_CULM_BIOMASS:
        means = event.extra["mean_culm_biomass_kg_by_age_class"]
        per_culm = [means[culm.age_class] for culm in plot.culms]
    else:
        coefficients = {key: recorder.parameter(f"zhou_allometry.{key}") for key in ZHOU_KEYS}
        per_culm = [zhou_culm_biomass_kg(dbh_cm=culm.dbh_cm, age_du=AGE_CLASSES_DU[
            culm.age_class], coefficients=coefficients) for culm in plot.culms
            if culm.dbh_cm is not None]
    with decimal_context():
        biomass = sum(per_culm, Decimal(0)) / plot.area_m2 * KG_PER_M2_TO_T_PER_HA
        if inputs.culm_biomass_basis is CulmBiomassBasis.ABOVE_GROUND:
            biomass = total_biomass_t_per_ha(above_ground_biomass_t_per_ha=biomass,
                                             root_shoot_ratio=recorder.parameter(
                                                 "root_shoot_ratio"))
        pools = {"biomass": carbon_stock_t_c_per_ha(
            biomass_t_per_ha=biomass, carbon_fraction=recorder.parameter("carbon_fraction"))}
    if plot.litter_dry_mass_g_per_m2 is not None:
        pools["litter"] = litter_carbon_t_c_per_ha(
            plot.litter_dry_mass_g_per_m2, recorder.parameter("litter_carbon_fraction"))
    if plot.soil_layers is not None:
        pools["soil"] = soil_carbon_t_c_per_ha(plot.soil_layers)
    return PlotValues(by_pool=pools)


def _record_pool_changes(recorder: CalculationRecorder, inputs: BambooInputs,
                         inventory: InventoryResult) -> None:
    """Per-pool stock change over the area (t CO2e), for the trace; B5 takes their sum."""
    first, last = inventory.event_means_by_pool[0], inventory.event_means_by_pool[-1]
    for pool in first:
        recorder.step(f"stock change {pool}", f"({_d(last[pool])} − {_d(first[pool])}) × "
                      f"{_d(inputs.area_ha)} × 44/12", stock_change_t_co2e(
                          first_t_c_per_ha=first[pool], last_t_c_per_ha=last[pool],
                          area_ha=inputs.area_ha), "t CO2e", f"pool {pool}, P2")


def _event_co2_t_co2_per_ha(recorder: CalculationRecorder, index: int,
                            carbon_t_c_per_ha: Decimal) -> Decimal:
    """B4 for one event, traced for display; B5 works from carbon to round only once."""
    return recorder.step(f"events[{index}] CO2 stock",
                         f"C × 44/12 = {_d(carbon_t_c_per_ha)} × 44/12",
                         co2_stock_t_co2_per_ha(carbon_t_c_per_ha=carbon_t_c_per_ha),
                         "t CO2/ha", "B4")


def _event_carbon_t_c_per_ha(recorder: CalculationRecorder, inputs: BambooInputs,
                             index: int, event: BambooEvent) -> Decimal:
    """B1-B3 (or A1, B1-B3) for one event: stand carbon in t C/ha."""
    label = f"events[{index}]"
    if inputs.biomass_method is BiomassMethod.CARBON_DENSITY:
        assert event.carbon_t_c_per_ha is not None
        return recorder.step(f"{label} carbon stock", "given (carbon_t_c_per_ha)",
                             event.carbon_t_c_per_ha, "t C/ha",
                             f"carbon_density at {event.date.isoformat()}: above- and "
                             "below-ground stand carbon, e.g. raster zonal mean"
                             + ("" if event.source is None else f"; {event.source}"))
    per_culm_kg = _per_culm_biomass_kg(recorder, inputs, label, event)
    terms = " + ".join(f"{age}: {count} × {_d(per_culm_kg[age])}"
                       for age, count in event.culms_per_ha_by_age_class.items() if count)
    stand = recorder.step(
        f"{label} stand biomass", f"Σ N_a × m_a / 1000 = ({terms or '0'}) / 1000",
        stand_biomass_t_per_ha(culms_per_ha_by_age_class=event.culms_per_ha_by_age_class,
                               culm_biomass_kg_by_age_class=per_culm_kg),
        "t d.m./ha", f"B1 at {event.date.isoformat()}")
    total = _total_biomass(recorder, inputs, label, stand)
    cf = recorder.parameter("carbon_fraction")
    return recorder.step(f"{label} carbon stock", f"B × CF = {_d(total)} × {_d(cf)}",
                         carbon_stock_t_c_per_ha(biomass_t_per_ha=total, carbon_fraction=cf),
                         "t C/ha", "B3")


def _per_culm_biomass_kg(recorder: CalculationRecorder, inputs: BambooInputs, label: str,
                         event: BambooEvent) -> Mapping[str, Decimal]:
    if inputs.biomass_method is BiomassMethod.MEAN_CULM_BIOMASS:
        return event.mean_culm_biomass_kg_by_age_class
    coefficients = {key: recorder.parameter(f"zhou_allometry.{key}") for key in ZHOU_KEYS}
    per_culm = {}
    for age, dbh_cm in event.mean_dbh_cm_by_age_class.items():
        per_culm[age] = recorder.step(
            f"{label} culm biomass {age}",
            f"a·D^b·(c·A/(d + A))^e + f with D = {_d(dbh_cm)} cm, A = {AGE_CLASSES_DU[age]} du",
            zhou_culm_biomass_kg(dbh_cm=dbh_cm, age_du=AGE_CLASSES_DU[age],
                                 coefficients=coefficients),
            "kg d.m./culm", "A1, Zhou DBH-age allometry, coefficients unverified [M]")
    return per_culm


def _total_biomass(recorder: CalculationRecorder, inputs: BambooInputs, label: str,
                   stand: Decimal) -> Decimal:
    if inputs.culm_biomass_basis is CulmBiomassBasis.WHOLE_CULM:
        return recorder.step(f"{label} total biomass", "B_total = B (whole-culm basis)", stand,
                             "t d.m./ha", "B2 skipped: per-culm biomass already includes "
                             "rhizome and roots")
    ratio = recorder.parameter("root_shoot_ratio")
    return recorder.step(f"{label} total biomass", f"B × (1 + R) = {_d(stand)} × (1 + {_d(ratio)})",
                         total_biomass_t_per_ha(above_ground_biomass_t_per_ha=stand,
                                                root_shoot_ratio=ratio),
                         "t d.m./ha", "B2")


def _emissions_t_co2e(recorder: CalculationRecorder, inputs: BambooInputs, gwp_profile: str,
                      period_yr: Decimal) -> Decimal:
    rate = inputs.fertiliser_n_kg_per_ha_yr
    if rate == 0:
        return recorder.step("fertiliser N2O emissions", "F_SN = 0", Decimal(0), "t CO2e",
                             "B6: no synthetic N applied")
    ef1 = recorder.parameter(f"n2o_ef1.{inputs.n2o_emission_factor_profile.value}")
    gwp_n2o = recorder.parameter(gwp_key(gwp_profile, "n2o"))
    n2o_n_kg = recorder.step(
        "direct N2O-N", f"F_SN × A × T × EF1 = {_d(rate)} × {_d(inputs.area_ha)} × "
        f"{_d(period_yr)} × {_d(ef1)}", direct_n2o_n_kg(
            n_applied_kg_per_ha_yr=rate, area_ha=inputs.area_ha, period_yr=period_yr, ef1=ef1),
        "kg N2O-N", "B6a")
    n2o_kg = recorder.step("N2O", f"N2O-N × 44/28 = {_d(n2o_n_kg)} × 44/28",
                           n2o_n_to_n2o(n2o_n_kg), "kg N2O")
    return recorder.step("fertiliser N2O emissions",
                         f"N2O × GWP / 1000 = {_d(n2o_kg)} × {_d(gwp_n2o)} / 1000",
                         gas_to_t_co2e(mass_kg=n2o_kg, gwp=gwp_n2o), "t CO2e",
                         f"B6, GWP profile {gwp_profile}")


def _net_t_co2e(recorder: CalculationRecorder, inputs: BambooInputs, stock: Decimal,
                emissions: Decimal) -> Decimal:
    baseline = recorder.step("baseline net removals", "given", Decimal(
        inputs.baseline_net_kg_co2e) / KG_PER_TONNE, "t CO2e",
        "caller-supplied; 0 when not given")
    leakage = recorder.step("leakage", "given", Decimal(inputs.leakage_kg_co2e) / KG_PER_TONNE,
                            "t CO2e", "caller-supplied; 0 when not given")
    return recorder.step(
        "net removals", f"ΔC_P − GHG_E − ΔC_BSL − LK = {_d(stock)} − {_d(emissions)} − "
        f"{_d(baseline)} − {_d(leakage)}", net_removals_t_co2e(
            stock_change_t_co2e=stock, emissions_t_co2e=emissions, baseline_t_co2e=baseline,
            leakage_t_co2e=leakage), "t CO2e", "B7")


def _gross_fixation(recorder: CalculationRecorder, carbon_last: Decimal) -> Decimal:
    rotation_yr = recorder.parameter("gross_fixation_rotation_yr")
    return recorder.step(
        "gross annual fixation", f"C_last / rotation = {_d(carbon_last)} / {_d(rotation_yr)}",
        gross_annual_fixation_t_c_per_ha_yr(carbon_stock_t_c_per_ha=carbon_last,
                                            rotation_yr=rotation_yr),
        "t C/ha/yr", "B8: display only, never credited")


def _add_warnings(recorder: CalculationRecorder, inputs: BambooInputs, results: _Results,
                  net: NetResult) -> None:
    _warn_interval(recorder, inputs)
    _warn_span(recorder, inputs)
    per_ha_yr = _net_per_ha_yr(results.net_before_uncertainty_t_co2e, results, inputs.area_ha)
    limit = recorder.parameter("net_removal_plausibility_limit")
    if per_ha_yr > limit:
        recorder.warn("net_removal_exceeds_plausibility_limit", value=f"{per_ha_yr:.2f}",
                      limit=_d(limit))
    add_shared_warnings(recorder, net)


def _event_dates(inputs: BambooInputs) -> tuple[Any, Any]:
    """The first and last monitoring dates (of the events or of the plot inventories)."""
    events = inputs.events if inputs.plot_inventory is None else inputs.plot_inventory.events
    return events[0].date, events[-1].date


def _warn_interval(recorder: CalculationRecorder, inputs: BambooInputs) -> None:
    first, last = _event_dates(inputs)
    years = whole_years_apart(recorder, first, last, SAME_SEASON_TOLERANCE_DAYS)
    if years is not None and years % ON_OFF_CYCLE_YEARS:
        recorder.warn("monitoring_interval_is_odd_years", years=years)


def _warn_span(recorder: CalculationRecorder, inputs: BambooInputs) -> None:
    first, last = _event_dates(inputs)
    if (abs((first - inputs.period_start).days) > SAME_SEASON_TOLERANCE_DAYS
            or abs((last - inputs.period_end).days) > SAME_SEASON_TOLERANCE_DAYS):
        recorder.warn("monitoring_events_do_not_span_period", first=first, last=last,
                      start=inputs.period_start, end=inputs.period_end,
                      tolerance_days=SAME_SEASON_TOLERANCE_DAYS)


def _net_per_ha_yr(net_t_co2e: Decimal, results: _Results, area_ha: Decimal) -> Decimal:
    """Net removals per hectare and year (t CO2e/ha/yr), for warnings and display."""
    return net_per_ha_yr(net_t_co2e, area_ha=area_ha, period_yr=results.period_yr)


def _informational(results: _Results, area_ha: Decimal) -> dict[str, Decimal]:
    """Display-only figures; none of them is credited."""
    gross_t_c = results.gross_fixation_t_c_per_ha_yr
    return {
        "gross_annual_fixation_t_c_per_ha_yr": gross_t_c,
        "gross_annual_fixation_t_co2_per_ha_yr": carbon_to_co2(gross_t_c),
        "net_removal_t_co2e_per_ha_yr": _net_per_ha_yr(results.net_t_co2e, results, area_ha),
        "stand_carbon_first_event_t_c_per_ha": results.carbon_first_t_c_per_ha,
        "stand_carbon_last_event_t_c_per_ha": results.carbon_last_t_c_per_ha,
    }


# --- Registered methodology -------------------------------------------------------------------

class BambooMosoManagement(MethodologySkeleton[BambooInputs]):
    """The registered methodology object (see :class:`methodologies.base.Methodology`).

    Parameters
    ----------
    version : str
        A key of :data:`VERSION_FEATURES`; default the latest.
    """

    id = METHODOLOGY_ID
    sink_type = SINK_TYPE
    title_zh = "毛竹林经营碳汇（储量差法）"
    title_en = "Moso bamboo forest management carbon sink (stock difference)"
    input_schema = INPUT_SCHEMA
    stock_events_field = "events"
    parameters = DEFAULT_PARAMETERS
    parameter_ranges = PARAMETER_RANGES
    example_file = EXAMPLE_FILE

    def __init__(self, version: str = METHODOLOGY_VERSION) -> None:
        if version not in VERSION_FEATURES:
            raise ValueError(f"unknown version {version!r}")
        self.version = version

    def parse(self, inputs: Mapping[str, Any]) -> BambooInputs:
        """See :func:`~methodologies.bamboo_forest_inputs.parse_bamboo_inputs`."""
        return parse_bamboo_inputs(inputs, VERSION_FEATURES[self.version])

    def required_keys(self, inputs: BambooInputs, gwp_profile: str) -> Sequence[str]:
        """Parameter keys these inputs use."""
        keys = ["gross_fixation_rotation_yr", "net_removal_plausibility_limit"]
        if inputs.plot_inventory is not None:
            keys.append(f"uncertainty_allowable.{inputs.plot_inventory.uncertainty_profile}")
            if "litter" in inputs.plot_inventory.pools:
                keys.append("litter_carbon_fraction")
        if inputs.biomass_method is not BiomassMethod.CARBON_DENSITY:
            keys.append("carbon_fraction")
        if inputs.culm_biomass_basis is CulmBiomassBasis.ABOVE_GROUND:
            keys.append("root_shoot_ratio")
        if inputs.biomass_method is BiomassMethod.ALLOMETRY_DBH_AGE:
            keys.extend(f"zhou_allometry.{key}" for key in ZHOU_KEYS)
        if inputs.fertiliser_n_kg_per_ha_yr > 0:
            keys.append(f"n2o_ef1.{inputs.n2o_emission_factor_profile.value}")
            keys.append(gwp_key(gwp_profile, "n2o"))
        return keys

    def compute(self, recorder: CalculationRecorder, inputs: BambooInputs,
                gwp_profile: str) -> Computed:
        """B1-B9 in order, then the warnings."""
        results, sampling = _compute(recorder, inputs, gwp_profile)
        net = NetResult(stock_change_t_co2e=results.stock_t_co2e,
                        emissions_t_co2e=results.emissions_t_co2e,
                        net_before_uncertainty_t_co2e=results.net_before_uncertainty_t_co2e,
                        uncertainty_deduction_t_co2e=results.uncertainty_deduction_t_co2e,
                        net_t_co2e=results.net_t_co2e)
        _add_warnings(recorder, inputs, results, net)
        if sampling:
            warn_sampling(recorder, sampling)
        return Computed(result=net, informational=_informational(results, inputs.area_ha),
                        sampling=sampling)

    def inputs_with_stock_events(self, inputs: Mapping[str, Any],
                                 events: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        """Return ``inputs`` with ``biomass_method = carbon_density`` and ``events`` replaced.

        Raises
        ------
        ValueError
            On version 1.0.0, which has no ``carbon_density`` option.
        """
        if Feature.CARBON_DENSITY not in VERSION_FEATURES[self.version]:
            raise ValueError(f"{self.id} {self.version} takes no carbon_density events")
        document = {key: value for key, value in inputs.items() if key != "culm_biomass_basis"}
        document["biomass_method"] = BiomassMethod.CARBON_DENSITY.value
        document["events"] = [dict(event) for event in events]
        return document
