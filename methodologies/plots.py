"""Monitoring plots (样地) inside an estimate: the ``plot_inventory`` input and its statistics.

A plot inventory is what a field crew measures (每木检尺): for each monitoring event, sample
plots with an id, a stratum and an area, and in each plot every culm's age class and DBH
(bamboo), every plant's dry mass (tea), and optionally a litter sample (dry mass per m²) and a
soil profile (layers). The methodology turns each plot into per-hectare values by pool
(:class:`PlotValues`), and this module

1. combines the plots of each event into a stratified mean with its standard error, 90 %
   confidence interval and achieved precision (:mod:`methodologies.sampling`);
2. estimates the change between the first and last event: from the per-plot differences when
   every plot was remeasured (permanent plots, the AR-TOOL03 design), otherwise as the
   difference of two independent means (conservative);
3. gives the relative half-width of the change as ``U`` of the ``stock_change`` component of the
   VM0033 eq. 92 deduction (:mod:`methodologies.uncertainty`), under the inventory's
   ``uncertainty_profile`` (default CCER: ±10 % at 90 %);
4. counts the plots needed to reach ±10 % (Neyman or proportional allocation) and how many
   more each stratum needs.

Every figure is recorded as a trace step and summarised in ``Estimate.sampling``. The
inventory itself is part of the inputs, so it is stored with the estimate and covered by its
reproducibility hash: a verifier reruns the statistics from the record.
"""

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.accounting import UNCERTAINTY_PROFILE_NAMES
from methodologies.inputs import MISSING, InputReader
from methodologies.sampling import (
    MINIMUM_PLOTS_PER_STRATUM,
    TARGET_PRECISION,
    StratifiedEstimate,
    difference_of_independent,
    plots_needed,
    stratified_estimate,
    stratum_statistics,
    stratum_weights,
)
from methodologies.soil import SoilLayer, layered_soc_t_c_per_ha
from methodologies.trace import CalculationRecorder
from methodologies.uncertainty import UncertaintyInput
from methodologies.units import canonical_decimal, decimal_context

PLOT_INVENTORY_FIELD: Final = "plot_inventory"
ALLOCATIONS: Final = ("neyman", "proportional")
POOLS: Final = ("biomass", "litter", "soil")
G_PER_M2_TO_T_PER_HA: Final = Decimal("0.01")  # 1 g/m² = 10 kg/ha = 0.01 t/ha (definitional).
KG_PER_M2_TO_T_PER_HA: Final = Decimal(10)  # 1 kg/m² = 10 t/ha (definitional).
MAX_PLOT_AREA_M2: Final = Decimal(10_000)  # A plot larger than a hectare is a typing slip.
PLOT_INVENTORY_SCHEMA_ENTRY: Final[Mapping[str, Any]] = MappingProxyType({
    "unit": "", "required": False,
    "type": "object {strata: {name: area_ha}, events: [{date, plots: [...]}], "
            "uncertainty_profile?, allocation?}",
    "description": "Sample-plot inventory (每木检尺): per event, plots with plot_id, stratum, "
                   "area_m2 and their measurements; gives the event stocks as stratified means, "
                   "their SE, 90 % CI and precision, the plots needed for ±10 %, and the "
                   "uncertainty deduction (profile default CCER). Replaces `events`."})


@dataclass(frozen=True, kw_only=True)
class Culm:
    """One culm of a bamboo plot: age class (du) and DBH (cm, optional for option B)."""

    age_class: str
    dbh_cm: Decimal | None


@dataclass(frozen=True, kw_only=True)
class Plot:
    """One measured plot at one event."""

    plot_id: str
    stratum: str
    area_m2: Decimal
    culms: tuple[Culm, ...] = ()
    plant_dry_mass_kg: tuple[Decimal, ...] = ()
    litter_dry_mass_g_per_m2: Decimal | None = None
    soil_layers: tuple[SoilLayer, ...] | None = None

    def normalised(self) -> dict[str, Any]:
        document: dict[str, Any] = {"plot_id": self.plot_id, "stratum": self.stratum,
                                    "area_m2": canonical_decimal(self.area_m2)}
        if self.culms:
            document["culms"] = [
                {"age_class": c.age_class, **({} if c.dbh_cm is None else
                                               {"dbh_cm": canonical_decimal(c.dbh_cm)})}
                for c in self.culms]
        if self.plant_dry_mass_kg:
            document["plants_dry_mass_kg"] = [canonical_decimal(m)
                                              for m in self.plant_dry_mass_kg]
        if self.litter_dry_mass_g_per_m2 is not None:
            document["litter_dry_mass_g_per_m2"] = canonical_decimal(
                self.litter_dry_mass_g_per_m2)
        if self.soil_layers is not None:
            document["soil_layers"] = [
                {"thickness_cm": canonical_decimal(layer.thickness_cm),
                 "bulk_density_g_per_cm3": canonical_decimal(layer.bulk_density_g_per_cm3),
                 "organic_carbon_g_per_kg": canonical_decimal(layer.organic_carbon_g_per_kg),
                 "gravel_fraction": canonical_decimal(layer.gravel_fraction)}
                for layer in self.soil_layers]
        return document


@dataclass(frozen=True, kw_only=True)
class PlotEvent:
    """One inventory: the plots measured at a date (and event-level figures, e.g. option B)."""

    date: datetime.date
    plots: tuple[Plot, ...]
    extra: Mapping[str, Any]  # Normalised event-level fields the methodology reads.

    def normalised(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), **dict(self.extra),
                "plots": [plot.normalised() for plot in self.plots]}


@dataclass(frozen=True, kw_only=True)
class PlotInventory:
    """A validated ``plot_inventory`` block."""

    strata_area_ha: Mapping[str, Decimal]
    events: tuple[PlotEvent, ...]
    uncertainty_profile: str
    allocation: str

    @property
    def pools(self) -> tuple[str, ...]:
        """Pools measured on every plot of every event (biomass always)."""
        plots = [plot for event in self.events for plot in event.plots]
        pools = ["biomass"]
        if all(plot.litter_dry_mass_g_per_m2 is not None for plot in plots):
            pools.append("litter")
        if all(plot.soil_layers is not None for plot in plots):
            pools.append("soil")
        return tuple(pools)

    def normalised(self) -> dict[str, Any]:
        return {"strata": {name: canonical_decimal(area)
                           for name, area in self.strata_area_ha.items()},
                "uncertainty_profile": self.uncertainty_profile, "allocation": self.allocation,
                "events": [event.normalised() for event in self.events]}

    def uncertainty_input(self, stock_change_u_pct: Decimal,
                          component: str = "stock_change") -> UncertaintyInput:
        """The ``uncertainty`` input the plots imply: U of the stock change, in %, as the
        methodology's ``component`` (``stock_change`` for bamboo, ``biomass`` for tea)."""
        return UncertaintyInput(profile=self.uncertainty_profile, ner_error_pct=None,
                                component_u_pct=MappingProxyType(
                                    {component: stock_change_u_pct}))


# --- Reading ------------------------------------------------------------------------------------

PlotReader = Callable[[InputReader, Mapping[str, Any], str], dict[str, Any] | None]
EventReader = Callable[[InputReader, Mapping[str, Any], str], dict[str, Any] | None]


def read_plot_inventory(reader: InputReader, document: Mapping[str, Any], *,
                        measurement_fields: Sequence[str], read_measurements: PlotReader,
                        event_fields: Sequence[str] = (),
                        read_event_extra: EventReader | None = None) -> PlotInventory | None:
    """Read the ``plot_inventory`` block; problems name the event, plot and field.

    ``measurement_fields`` and ``read_measurements`` are the methodology's own plot fields
    (``culms`` for bamboo, ``plants_dry_mass_kg`` for tea); ``event_fields`` and
    ``read_event_extra`` its event-level ones.
    """
    block = reader.object_field(document, PLOT_INVENTORY_FIELD,
                                ("strata", "events", "uncertainty_profile", "allocation"),
                                required=False)
    if block is None:
        return None
    path = PLOT_INVENTORY_FIELD
    strata = _read_strata(reader, block, path)
    profile = _read_option(reader, block, "uncertainty_profile", path, UNCERTAINTY_PROFILE_NAMES,
                           "CCER", "uncertainty_profile_unknown")
    allocation = _read_option(reader, block, "allocation", path, ALLOCATIONS, "neyman",
                              "allocation_unknown")
    items = reader.monitoring_events(block, "events", required=True)
    if items is None:
        return None
    events = []
    for index, item in enumerate(items):
        event_path = f"{path}.events[{index}]"
        event = reader.mapping(item, event_path)
        if event is None:
            events.append(None)
            continue
        events.append(_read_event(reader, event, event_path, strata, measurement_fields,
                                  read_measurements, event_fields, read_event_extra))
    if strata is None or profile is None or allocation is None or any(e is None for e in events):
        return None
    checked: list[PlotEvent] = events  # type: ignore[assignment]
    for index in range(1, len(checked)):
        if checked[index].date <= checked[index - 1].date:
            reader.report(f"{path}.events[{index}].date", "monitoring_events_must_be_ordered",
                          value=checked[index].date.isoformat(),
                          previous=checked[index - 1].date.isoformat())
            return None
    inventory = PlotInventory(strata_area_ha=MappingProxyType(strata), events=tuple(checked),
                              uncertainty_profile=profile, allocation=allocation)
    _check_pools_consistent(reader, inventory, path)
    return inventory


def _read_option(reader: InputReader, block: Mapping[str, Any], key: str, path: str,
                 allowed: Sequence[str], default: str, code: str) -> str | None:
    value = reader.field(block, key, f"{path}.{key}", required=False)
    if value is MISSING:
        return default
    return reader.choice(value, f"{path}.{key}", allowed, code)


def _read_strata(reader: InputReader, block: Mapping[str, Any], path: str
                 ) -> dict[str, Decimal] | None:
    value = reader.field(block, "strata", f"{path}.strata", required=True)
    if value is MISSING:
        return None
    mapping = reader.mapping(value, f"{path}.strata")
    if mapping is None:
        return None
    if not mapping:
        reader.report(f"{path}.strata", "plot_strata_must_not_be_empty")
        return None
    strata: dict[str, Decimal] = {}
    failed = False
    for name, area in mapping.items():
        where = f"{path}.strata.{name}"
        parsed = reader.decimal(area, where)
        if parsed is not None and parsed <= 0:
            reader.report(where, "value_must_be_positive", value=area)
            parsed = None
        failed = failed or parsed is None
        if parsed is not None:
            strata[str(name)] = parsed
    return None if failed else dict(sorted(strata.items()))


def _read_event(reader: InputReader, event: Mapping[str, Any], path: str,
                strata: Mapping[str, Decimal] | None, measurement_fields: Sequence[str],
                read_measurements: PlotReader, event_fields: Sequence[str],
                read_event_extra: EventReader | None) -> PlotEvent | None:
    reader.reject_unknown_fields(event, ("date", "plots", *event_fields), prefix=f"{path}.")
    date_value = reader.field(event, "date", f"{path}.date", required=True)
    date = None if date_value is MISSING else reader.date(date_value, f"{path}.date")
    extra = {} if read_event_extra is None else read_event_extra(reader, event, path)
    plots_value = reader.field(event, "plots", f"{path}.plots", required=True)
    items = None if plots_value is MISSING else reader.sequence(plots_value, f"{path}.plots")
    if items is None:
        return None
    plots = [_read_plot(reader, item, f"{path}.plots[{i}]", measurement_fields,
                        read_measurements) for i, item in enumerate(items)]
    if date is None or extra is None or any(p is None for p in plots):
        return None
    checked: list[Plot] = plots  # type: ignore[assignment]
    if not _check_plots(reader, checked, path, strata):
        return None
    return PlotEvent(date=date, plots=tuple(checked), extra=MappingProxyType(extra))


def _read_plot(reader: InputReader, item: Any, path: str, measurement_fields: Sequence[str],
               read_measurements: PlotReader) -> Plot | None:
    plot = reader.mapping(item, path)
    if plot is None:
        return None
    reader.reject_unknown_fields(
        plot, ("plot_id", "stratum", "area_m2", "litter_dry_mass_g_per_m2", "soil_layers",
               *measurement_fields), prefix=f"{path}.")
    texts = {}
    for key in ("plot_id", "stratum"):
        value = reader.field(plot, key, f"{path}.{key}", required=True)
        if value is not MISSING and (not isinstance(value, str) or not value.strip()
                                     or len(value) > 60):
            reader.report(f"{path}.{key}", "value_must_be_a_short_text", value=repr(value)[:40])
            value = MISSING
        texts[key] = None if value is MISSING else value
    area = _positive(reader, plot, "area_m2", path, required=True)
    if area is not None and area > MAX_PLOT_AREA_M2:
        reader.report(f"{path}.area_m2", "plot_area_is_implausible", value=area,
                      high=MAX_PLOT_AREA_M2, unit="m²")
        area = None
    litter = None
    if "litter_dry_mass_g_per_m2" in plot:
        litter = _non_negative(reader, plot, "litter_dry_mass_g_per_m2", path)
    soil = _read_soil(reader, plot, path) if "soil_layers" in plot else None
    measurements = read_measurements(reader, plot, path)
    if (None in texts.values() or area is None or measurements is None
            or ("litter_dry_mass_g_per_m2" in plot and litter is None)
            or ("soil_layers" in plot and soil is None)):
        return None
    return Plot(plot_id=texts["plot_id"], stratum=texts["stratum"], area_m2=area,
                litter_dry_mass_g_per_m2=litter, soil_layers=soil, **measurements)


def _positive(reader: InputReader, document: Mapping[str, Any], key: str, path: str, *,
              required: bool) -> Decimal | None:
    value = reader.field(document, key, f"{path}.{key}", required=required)
    if value is MISSING:
        return None
    parsed = reader.decimal(value, f"{path}.{key}")
    if parsed is not None and parsed <= 0:
        reader.report(f"{path}.{key}", "value_must_be_positive", value=value)
        return None
    return parsed


def _non_negative(reader: InputReader, document: Mapping[str, Any], key: str,
                  path: str) -> Decimal | None:
    parsed = reader.decimal(document[key], f"{path}.{key}")
    if parsed is not None and parsed < 0:
        reader.report(f"{path}.{key}", "value_must_not_be_negative", value=document[key])
        return None
    return parsed


SOIL_LAYER_FIELDS: Final = ("thickness_cm", "bulk_density_g_per_cm3", "organic_carbon_g_per_kg",
                            "gravel_fraction")
# Physical limits of a soil sample: mineral and organic soils lie between 0.1 and 2.65 g/cm³
# (the particle density of quartz); organic carbon cannot exceed 1000 g/kg (and 600 g/kg is
# pure peat). Beyond these the unit is wrong (kg/m³ for g/cm³, % or g/g for g/kg).
SOIL_LIMITS: Final = {"bulk_density_g_per_cm3": (Decimal("0.05"), Decimal("2.65"), "g/cm³"),
                      "organic_carbon_g_per_kg": (Decimal(0), Decimal(600), "g/kg"),
                      "thickness_cm": (Decimal(0), Decimal(300), "cm")}


def _read_soil(reader: InputReader, plot: Mapping[str, Any], path: str
               ) -> tuple[SoilLayer, ...] | None:
    items = reader.sequence(plot["soil_layers"], f"{path}.soil_layers")
    if items is None:
        return None
    if not items:
        reader.report(f"{path}.soil_layers", "soil_profile_needs_a_layer")
        return None
    layers = []
    for index, item in enumerate(items):
        where = f"{path}.soil_layers[{index}]"
        layer = reader.mapping(item, where)
        if layer is None:
            return None
        reader.reject_unknown_fields(layer, SOIL_LAYER_FIELDS, prefix=f"{where}.")
        values = {}
        for key in SOIL_LAYER_FIELDS:
            raw = reader.field(layer, key, f"{where}.{key}", required=key != "gravel_fraction")
            if raw is MISSING:
                values[key] = Decimal(0) if key == "gravel_fraction" else None
                continue
            parsed = reader.decimal(raw, f"{where}.{key}")
            if parsed is not None and key == "gravel_fraction" and not 0 <= parsed < 1:
                reader.report(f"{where}.{key}", "fraction_must_be_between_0_and_1", value=raw)
                parsed = None
            elif parsed is not None and key in SOIL_LIMITS:
                low, high, unit = SOIL_LIMITS[key]
                if not low < parsed <= high:
                    reader.report(f"{where}.{key}", "input_is_physically_impossible",
                                  value=parsed, low=low, high=high, unit=unit)
                    parsed = None
            values[key] = parsed
        if any(v is None for v in values.values()):
            return None
        layers.append(SoilLayer(bulk_density_g_per_cm3=values["bulk_density_g_per_cm3"],
                                organic_carbon_g_per_kg=values["organic_carbon_g_per_kg"],
                                gravel_fraction=values["gravel_fraction"],
                                thickness_cm=values["thickness_cm"]))
    return tuple(layers)


def _check_plots(reader: InputReader, plots: Sequence[Plot], path: str,
                 strata: Mapping[str, Decimal] | None) -> bool:
    ok = True
    seen: set[str] = set()
    for index, plot in enumerate(plots):
        if plot.plot_id in seen:
            reader.report(f"{path}.plots[{index}].plot_id", "plot_id_is_duplicated",
                          value=plot.plot_id)
            ok = False
        seen.add(plot.plot_id)
        if strata is not None and plot.stratum not in strata:
            reader.report(f"{path}.plots[{index}].stratum", "plot_stratum_unknown",
                          value=repr(plot.stratum), allowed=", ".join(strata))
            ok = False
    if strata is not None and ok:
        for name in strata:
            count = sum(1 for plot in plots if plot.stratum == name)
            if count < MINIMUM_PLOTS_PER_STRATUM:
                reader.report(f"{path}.plots", "plot_stratum_needs_two_plots", value=name,
                              count=count)
                ok = False
    return ok


def _check_pools_consistent(reader: InputReader, inventory: PlotInventory, path: str) -> None:
    """A pool measured on some plots but not all cannot be estimated: say which is missing."""
    for key, attribute in (("litter_dry_mass_g_per_m2", "litter_dry_mass_g_per_m2"),
                           ("soil_layers", "soil_layers")):
        given = [(e, p) for e, event in enumerate(inventory.events)
                 for p, plot in enumerate(event.plots) if getattr(plot, attribute) is not None]
        total = sum(len(event.plots) for event in inventory.events)
        if given and len(given) < total:
            missing = next((e, p) for e, event in enumerate(inventory.events)
                           for p, plot in enumerate(event.plots)
                           if getattr(plot, attribute) is None)
            reader.report(f"{path}.events[{missing[0]}].plots[{missing[1]}].{key}",
                          "plot_pool_measured_on_some_plots_only", value=key)


# --- Estimating ---------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class PlotValues:
    """One plot's carbon by pool, t C/ha (the methodology's conversion of its measurements)."""

    by_pool: Mapping[str, Decimal]

    @property
    def total(self) -> Decimal:
        with decimal_context():
            return sum(self.by_pool.values(), Decimal(0))


PlotConverter = Callable[[PlotEvent, Plot], PlotValues]


@dataclass(frozen=True, kw_only=True)
class InventoryResult:
    """Stocks per event (t C/ha, all pools), the change and its relative 90 % half-width."""

    event_means: tuple[Decimal, ...]
    event_means_by_pool: tuple[Mapping[str, Decimal], ...]
    change: StratifiedEstimate
    change_u_pct: Decimal
    sampling: Mapping[str, Any]


def litter_carbon_t_c_per_ha(dry_mass_g_per_m2: Decimal, carbon_fraction: Decimal) -> Decimal:
    """Litter carbon, ``M × CF × 0.01`` in t C/ha (g/m² → t/ha is × 0.01)."""
    with decimal_context():
        return dry_mass_g_per_m2 * G_PER_M2_TO_T_PER_HA * carbon_fraction


def soil_carbon_t_c_per_ha(layers: Sequence[SoilLayer]) -> Decimal:
    """Soil organic carbon of a plot's profile (``methodologies.soil``, Li Y. 2016 [V])."""
    return layered_soc_t_c_per_ha(layers)


def estimate_inventory(recorder: CalculationRecorder, inventory: PlotInventory,
                       convert: PlotConverter, unit: str = "t C/ha") -> InventoryResult:
    """Steps 1-4 of the module docstring, each recorded; returns the per-event stocks."""
    weights = stratum_weights(inventory.strata_area_ha)
    pools = inventory.pools
    values: list[dict[str, PlotValues]] = []
    event_estimates: list[StratifiedEstimate] = []
    by_pool: list[dict[str, Decimal]] = []
    events_summary = []
    for index, event in enumerate(inventory.events):
        label = f"{PLOT_INVENTORY_FIELD}.events[{index}]"
        plot_values = {plot.plot_id: convert(event, plot) for plot in event.plots}
        values.append(plot_values)
        pool_means = {}
        for pool in pools:
            pool_estimate = _stratified(event, weights, {pid: v.by_pool[pool]
                                                         for pid, v in plot_values.items()})
            pool_means[pool] = recorder.step(
                f"{label} {pool} stock", _mean_equation(pool_estimate), pool_estimate.mean, unit,
                f"stratified mean of {pool_estimate.plots} plots at {event.date.isoformat()}")
        by_pool.append(pool_means)
        estimate = _stratified(event, weights, {pid: v.total for pid, v in plot_values.items()})
        event_estimates.append(estimate)
        _record_estimate(recorder, label, estimate, unit)
        needed = plots_needed(estimate, allocation=inventory.allocation)
        _record_needed(recorder, label, needed)
        events_summary.append({
            "date": event.date.isoformat(), "unit": unit, "pools": list(pools),
            "stock": estimate.to_dict(),
            "stock_by_pool": {pool: canonical_decimal(mean) for pool, mean in pool_means.items()},
            "meets_target": estimate.meets(),
            "plots_needed": None if needed is None else needed.to_dict(),
            "plots": [{"plot_id": pid, "stratum": plot.stratum,
                       **{pool: canonical_decimal(plot_values[pid].by_pool[pool])
                          for pool in pools},
                       "total": canonical_decimal(plot_values[pid].total)}
                      for pid, plot in ((p.plot_id, p) for p in event.plots)]})
    change, design = _change(inventory, weights, values, event_estimates)
    label = f"{PLOT_INVENTORY_FIELD} change"
    recorder.step(f"{label} design", design, Decimal(change.plots or 0), "plots",
                  "paired: every plot remeasured (permanent plots, AR-TOOL03); independent: "
                  "SE = √(SE_first² + SE_last²), conservative")
    _record_estimate(recorder, label, change, f"{unit} (change)")
    needed = plots_needed(change, allocation=inventory.allocation)
    _record_needed(recorder, label, needed)
    with decimal_context():
        u_pct = (Decimal(0) if change.precision is None else change.precision * 100)
    recorder.step(f"{label} uncertainty U", "U = t × SE / |Δ̄| × 100", u_pct, "%",
                  f"U of stock_change in the VM0033 eq. 92 deduction, profile "
                  f"{inventory.uncertainty_profile}")
    sampling = {
        "confidence": "0.9", "target_precision": canonical_decimal(TARGET_PRECISION),
        "allocation": inventory.allocation, "uncertainty_profile": inventory.uncertainty_profile,
        "strata": {name: {"area_ha": canonical_decimal(area),
                          "weight": canonical_decimal(weights[name])}
                   for name, area in inventory.strata_area_ha.items()},
        "events": events_summary,
        "change": {"design": design, **change.to_dict(), "meets_target": change.meets(),
                   "u_pct": canonical_decimal(u_pct),
                   "plots_needed": None if needed is None else needed.to_dict()},
    }
    return InventoryResult(event_means=tuple(e.mean for e in event_estimates),
                           event_means_by_pool=tuple(by_pool), change=change,
                           change_u_pct=u_pct, sampling=sampling)


def _stratified(event: PlotEvent, weights: Mapping[str, Decimal],
                values: Mapping[str, Decimal]) -> StratifiedEstimate:
    strata = []
    for name, weight in weights.items():
        members = [values[plot.plot_id] for plot in event.plots if plot.stratum == name]
        strata.append(stratum_statistics(name, weight, members))
    return stratified_estimate(strata)


def _change(inventory: PlotInventory, weights: Mapping[str, Decimal],
            values: Sequence[Mapping[str, PlotValues]],
            estimates: Sequence[StratifiedEstimate]) -> tuple[StratifiedEstimate, str]:
    first, last = inventory.events[0], inventory.events[-1]
    first_ids = {plot.plot_id: plot.stratum for plot in first.plots}
    last_ids = {plot.plot_id: plot.stratum for plot in last.plots}
    if first_ids == last_ids:
        differences = {pid: values[-1][pid].total - values[0][pid].total for pid in last_ids}
        return _stratified(last, weights, differences), "paired"
    return difference_of_independent(estimates[0], estimates[-1]), "independent"


def _mean_equation(estimate: StratifiedEstimate) -> str:
    terms = " + ".join(f"{canonical_decimal(s.weight)} × {canonical_decimal(s.mean)}"
                       for s in estimate.strata)
    return f"ȳ_st = Σ W_h ȳ_h = {terms}"


def _record_estimate(recorder: CalculationRecorder, label: str, estimate: StratifiedEstimate,
                     unit: str) -> None:
    if estimate.strata:
        recorder.step(f"{label} stratified mean", _mean_equation(estimate), estimate.mean, unit,
                      f"{estimate.plots} plots in {len(estimate.strata)} strata")
        recorder.step(f"{label} standard error", "SE = √(Σ W_h² s_h² / n_h)",
                      estimate.standard_error, unit, "Cochran 1977 eq. 5.6, no fpc")
    else:
        recorder.step(f"{label} stratified mean", "ȳ_last − ȳ_first", estimate.mean, unit)
        recorder.step(f"{label} standard error", "SE = √(SE_first² + SE_last²)",
                      estimate.standard_error, unit, "independent samples")
    recorder.step(f"{label} t value", f"t(0.90 two-sided, df = "
                  f"{canonical_decimal(estimate.degrees_of_freedom)})", estimate.t_value, "1",
                  "Satterthwaite df, Cochran 1977 eq. 5A.42")
    recorder.step(f"{label} 90 % half-width", f"t × SE = {canonical_decimal(estimate.t_value)} × "
                  f"{canonical_decimal(estimate.standard_error)}", estimate.half_width, unit,
                  f"90 % CI {canonical_decimal(estimate.ci_low)} to "
                  f"{canonical_decimal(estimate.ci_high)}")
    if estimate.precision is not None:
        recorder.step(f"{label} precision", "half-width / |ȳ|", estimate.precision, "1",
                      "target ≤ 0.1 at 90 % (CCER A/R, VM0033): "
                      + ("met" if estimate.meets() else "not met"))


def _record_needed(recorder: CalculationRecorder, label: str, needed: Any) -> None:
    if needed is None:
        return
    allocation = ", ".join(f"{name} {n}" for name, n in needed.by_stratum.items())
    recorder.step(f"{label} plots needed", f"{needed.allocation}: n = t² (Σ W_h s_h)² / E²"
                  if needed.allocation == "neyman" else "proportional: n = t² Σ W_h s_h² / E²",
                  Decimal(needed.total), "plots",
                  f"E = 0.1 × |ȳ|, t = {canonical_decimal(needed.t_value)}; by stratum "
                  f"{allocation}; {needed.extra} more than measured (Cochran 1977 eqs. "
                  "5.25-5.26, AR-TOOL03)")


def warn_sampling(recorder: CalculationRecorder, sampling: Mapping[str, Any]) -> None:
    """Warn when the stock of an event or the change misses ±10 % at 90 %, with the plots
    still to measure (the deduction already takes the shortfall into account)."""
    for event in sampling["events"]:
        if not event["meets_target"]:
            _warn_target(recorder, event["date"], event["stock"], event["plots_needed"])
    change = sampling["change"]
    if not change["meets_target"]:
        _warn_target(recorder, "change", change, change["plots_needed"])


def _warn_target(recorder: CalculationRecorder, what: str, estimate: Mapping[str, Any],
                 needed: Mapping[str, Any] | None) -> None:
    precision = estimate["precision"]
    shown = "—" if precision is None else f"{Decimal(precision) * 100:.1f}"
    recorder.warn("plot_precision_target_not_met", what=what, precision=shown,
                  plots=estimate["plots"], needed="?" if needed is None else needed["total"],
                  extra="?" if needed is None else needed["extra"],
                  by_stratum="?" if needed is None else ", ".join(
                      f"{name} +{n}" for name, n in needed["extra_by_stratum"].items()))
