"""Input document of the Moso bamboo management methodology: schema, parsing, normalisation.

The document is checked at the boundary (CarbonPlan style). :func:`parse_bamboo_inputs` reads
every field, collects every problem and raises one
:class:`~methodologies.errors.InvalidInput`; on success it returns a frozen
:class:`BambooInputs` whose :meth:`BambooInputs.normalised` form (defaults filled in, numbers as
canonical strings) is what the estimate records and hashes.
"""

import datetime
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeVar

from methodologies.fields import (
    accounting_schema,
    open_document,
    read_accounting,
    read_choice,
    read_event_source,
    read_non_negative_decimal,
    schema_field,
)
from methodologies.inputs import MISSING, InputReader
from methodologies.plots import (
    PLOT_INVENTORY_FIELD,
    PLOT_INVENTORY_SCHEMA_ENTRY,
    Culm,
    PlotInventory,
    read_plot_inventory,
)
from methodologies.uncertainty import UNCERTAINTY_FIELD, UncertaintyInput
from methodologies.units import canonical_decimal

T = TypeVar("T")


class BiomassMethod(enum.StrEnum):
    """How per-culm biomass is obtained (``METHODOLOGIES.md`` §2.3)."""

    MEAN_CULM_BIOMASS = "mean_culm_biomass"  # Option B [V]: measured mean per culm.
    ALLOMETRY_DBH_AGE = "allometry_dbh_age"  # Option A [M]: Zhou DBH-age equation.
    # Stand carbon (above + below ground, t C/ha) given directly, e.g. coverage-weighted zonal
    # statistics of a carbon-density raster (methodologies.raster). Since version 1.1.0.
    CARBON_DENSITY = "carbon_density"


class Feature(enum.StrEnum):
    """Input features added after version 1.0.0 (a released version never changes)."""

    UNCERTAINTY = "uncertainty"  # The `uncertainty` block (VM0033 eq. 92), 1.1.0.
    CARBON_DENSITY = "carbon_density"  # biomass_method carbon_density, 1.1.0.
    PLOTS = "plots"  # The `plot_inventory` block (sample plots, 每木检尺), 1.2.0.


ALL_FEATURES: Final = frozenset(Feature)
# The largest Moso culms measured reach about 20 cm DBH (Cao 2017 mean 9.1-11.1 cm; Zhuang,
# Jian'ou, 35 kg culms); 30 cm is beyond any bamboo culm: a DBH in mm or a girth in cm.
MAX_CULM_DBH_CM: Final = Decimal(30)
UNCERTAINTY_COMPONENTS: Final = ("stock_change", "emissions", "baseline")


class CulmBiomassBasis(enum.StrEnum):
    """What the per-culm biomass covers, which decides whether the root:shoot ratio applies."""

    ABOVE_GROUND = "above_ground"  # Stem + branches + leaves; total = AGB × (1 + R).
    WHOLE_CULM = "whole_culm"  # Already includes rhizome, roots and stump; R is not applied.


class N2OEmissionFactorProfile(enum.StrEnum):
    """Which IPCC EF1 (direct N2O from synthetic N) to use (``METHODOLOGIES.md`` §4.4)."""

    IPCC2019_WET_SYNTHETIC = "ipcc2019_wet_synthetic"  # 0.016 [V2]; Huzhou is wet.
    IPCC2019_AGGREGATED = "ipcc2019_aggregated"  # 0.010 [V2].
    IPCC2006_DEFAULT = "ipcc2006_default"  # 0.01 [M].


# Age classes in du (度); 1 du is about 2 years because Moso renews its leaves every other
# year (METHODOLOGIES.md §2.3, [M]). Harvest is at 8-9 years, so VI (11-12 yr) is ample.
AGE_CLASSES_DU: Final[Mapping[str, int]] = MappingProxyType(
    {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6})
DEFAULT_BIOMASS_BASIS: Final[Mapping[BiomassMethod, CulmBiomassBasis]] = MappingProxyType({
    BiomassMethod.MEAN_CULM_BIOMASS: CulmBiomassBasis.ABOVE_GROUND,
    # Whether the Zhou equation gives above-ground or whole-culm mass is unknown ([M]);
    # reading it as whole-culm does not add a root share on top, which is conservative.
    BiomassMethod.ALLOMETRY_DBH_AGE: CulmBiomassBasis.WHOLE_CULM,
})
EVENT_FIELDS: Final[Mapping[BiomassMethod, frozenset[str]]] = MappingProxyType({
    BiomassMethod.MEAN_CULM_BIOMASS: frozenset(
        {"date", "culms_per_ha_by_age_class", "mean_culm_biomass_kg_by_age_class"}),
    BiomassMethod.ALLOMETRY_DBH_AGE: frozenset(
        {"date", "culms_per_ha_by_age_class", "mean_dbh_cm", "mean_dbh_cm_by_age_class"}),
    BiomassMethod.CARBON_DENSITY: frozenset({"date", "carbon_t_c_per_ha", "source"}),
})


_AGE_MAP = "object {age class I-VI: %s}"
INPUT_SCHEMA: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType({
    "area_ha": schema_field("ha", "decimal", True, "Parcel (set) area in hectares, > 0."),
    "period_start": schema_field("", "date", True, "Monitoring period start, ISO YYYY-MM-DD."),
    "period_end": schema_field("", "date", True, "Monitoring period end, after period_start."),
    "biomass_method": schema_field(
        "", "enum: mean_culm_biomass | allometry_dbh_age | carbon_density", False,
        "Option B measured mean culm biomass (default, [V]), option A Zhou DBH-age allometry "
        "([M], reported as unverified) or carbon_density: stand carbon per event given "
        "directly (1.1.0)."),
    "culm_biomass_basis": schema_field("", "enum: above_ground | whole_culm", False,
                                 "Whether per-culm biomass is above-ground (× (1 + R)) or whole "
                                 "culm incl. rhizome and roots (R not applied). Default: "
                                 "above_ground for option B, whole_culm for option A; not "
                                 "allowed with carbon_density."),
    "events": schema_field("", "list[object]", True,
                     "At least 2 monitoring events with strictly increasing dates; the stock "
                     "change is last minus first."),
    "events[].date": schema_field("", "date", True, "Date of the plot measurement."),
    "events[].culms_per_ha_by_age_class": schema_field(
        "culms/ha", _AGE_MAP % "integer >= 0", True, "Standing culm density by age class (du)."),
    "events[].mean_culm_biomass_kg_by_age_class": schema_field(
        "kg d.m./culm", _AGE_MAP % "decimal > 0", False,
        "Option B: mean dry biomass per culm by age class; required for every class with "
        "culms."),
    "events[].mean_dbh_cm": schema_field("cm", "decimal > 0", False,
                                   "Option A: one mean DBH applied to every age class."),
    "events[].mean_dbh_cm_by_age_class": schema_field(
        "cm", _AGE_MAP % "decimal > 0", False,
        "Option A: mean DBH by age class (give this or mean_dbh_cm)."),
    "events[].carbon_t_c_per_ha": schema_field(
        "t C/ha", "decimal >= 0", False,
        "carbon_density: stand carbon of above- and below-ground bamboo biomass, e.g. the "
        "coverage-weighted mean of a carbon-density raster over the parcel (1.1.0)."),
    "fertiliser_n_kg_per_ha_yr": schema_field("kg N/ha/yr", "decimal >= 0", False,
                                        "Synthetic N applied; default 0."),
    "n2o_emission_factor_profile": schema_field(
        "", "enum: ipcc2019_wet_synthetic | ipcc2019_aggregated | ipcc2006_default", False,
        "EF1 for direct N2O; default ipcc2019_wet_synthetic (0.016)."),
    **accounting_schema(),
    PLOT_INVENTORY_FIELD: PLOT_INVENTORY_SCHEMA_ENTRY,
    "plot_inventory.events[].plots[].culms": schema_field(
        "", "list[{age_class: I-VI, dbh_cm?: decimal > 0}]", False,
        "Every culm of the plot (每木检尺); dbh_cm is required for allometry_dbh_age. With "
        "mean_culm_biomass the event gives mean_culm_biomass_kg_by_age_class (1.2.0)."),
    "plot_inventory.events[].plots[].litter_dry_mass_g_per_m2": schema_field(
        "g d.m./m²", "decimal >= 0", False,
        "Optional litter pool: dry mass of the litter quadrat; carbon = M × litter CF × 0.01 "
        "(1.2.0). Give it on every plot or on none."),
    "plot_inventory.events[].plots[].soil_layers": schema_field(
        "", "list[{thickness_cm, bulk_density_g_per_cm3, organic_carbon_g_per_kg, "
        "gravel_fraction?}]", False,
        "Optional soil pool: SOC = Σ BD × C × (1 − G) × H / 10 t C/ha (Li Y. 2016) (1.2.0)."),
})
TOP_LEVEL_FIELDS: Final = tuple(key for key in INPUT_SCHEMA if "." not in key)


@dataclass(frozen=True, kw_only=True)
class BambooEvent:
    """One monitoring event: stand inventory by age class at a date."""

    date: datetime.date
    culms_per_ha_by_age_class: Mapping[str, int]
    mean_culm_biomass_kg_by_age_class: Mapping[str, Decimal]
    mean_dbh_cm_by_age_class: Mapping[str, Decimal]
    carbon_t_c_per_ha: Decimal | None = None
    source: str | None = None  # carbon_density: where the density comes from (issue 21)


@dataclass(frozen=True, kw_only=True)
class BambooInputs:
    """Validated inputs with defaults resolved."""

    area_ha: Decimal
    period_start: datetime.date
    period_end: datetime.date
    biomass_method: BiomassMethod
    culm_biomass_basis: CulmBiomassBasis | None  # None for carbon_density.
    events: tuple[BambooEvent, ...]
    fertiliser_n_kg_per_ha_yr: Decimal
    n2o_emission_factor_profile: N2OEmissionFactorProfile
    baseline_net_kg_co2e: int
    leakage_kg_co2e: int
    uncertainty: UncertaintyInput | None = None
    plot_inventory: PlotInventory | None = None

    def normalised(self) -> dict[str, Any]:
        """Return the canonical JSON-native document (decimals as canonical strings).

        Fields added after 1.0.0 appear only when used, so a 1.0.0 document normalises (and
        hashes) exactly as it did.
        """
        document: dict[str, Any] = {
            "area_ha": canonical_decimal(self.area_ha),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "biomass_method": self.biomass_method.value,
            "culm_biomass_basis": None if self.culm_biomass_basis is None
            else self.culm_biomass_basis.value,
            "events": [_normalised_event(event, self.biomass_method) for event in self.events],
            "fertiliser_n_kg_per_ha_yr": canonical_decimal(self.fertiliser_n_kg_per_ha_yr),
            "n2o_emission_factor_profile": self.n2o_emission_factor_profile.value,
            "baseline_net_kg_co2e": self.baseline_net_kg_co2e,
            "leakage_kg_co2e": self.leakage_kg_co2e,
        }
        if self.culm_biomass_basis is None:
            del document["culm_biomass_basis"]
        if self.uncertainty is not None:
            document[UNCERTAINTY_FIELD] = self.uncertainty.normalised()
        if self.plot_inventory is not None:
            del document["events"]
            document[PLOT_INVENTORY_FIELD] = self.plot_inventory.normalised()
        return document


def _normalised_event(event: BambooEvent, method: BiomassMethod) -> dict[str, Any]:
    document: dict[str, Any] = {
        "date": event.date.isoformat(),
        "culms_per_ha_by_age_class": dict(event.culms_per_ha_by_age_class),
    }
    if method is BiomassMethod.CARBON_DENSITY:
        assert event.carbon_t_c_per_ha is not None
        return {"date": event.date.isoformat(),
                "carbon_t_c_per_ha": canonical_decimal(event.carbon_t_c_per_ha),
                **({} if event.source is None else {"source": event.source})}
    if method is BiomassMethod.MEAN_CULM_BIOMASS:
        per_culm = event.mean_culm_biomass_kg_by_age_class
        document["mean_culm_biomass_kg_by_age_class"] = {
            age: canonical_decimal(kg) for age, kg in per_culm.items()}
    else:
        document["mean_dbh_cm_by_age_class"] = {
            age: canonical_decimal(cm) for age, cm in event.mean_dbh_cm_by_age_class.items()}
    return document


def parse_bamboo_inputs(document: Any,
                        features: frozenset[Feature] = ALL_FEATURES) -> BambooInputs:
    """Validate an input document and return :class:`BambooInputs`.

    Parameters
    ----------
    document : Mapping
        The JSON input document (see :data:`INPUT_SCHEMA`).
    features : frozenset[Feature]
        Features of the methodology version being run; version 1.0.0 has none, so it refuses
        ``uncertainty`` (``field_is_unknown``) and ``carbon_density``.

    Returns
    -------
    BambooInputs

    Raises
    ------
    InvalidInput
        Listing every problem found: unknown fields first, then in schema order.
    """
    reader, values = open_document(document, _top_level_fields(features))
    method = read_choice(reader, document, "biomass_method", BiomassMethod,
                         BiomassMethod.MEAN_CULM_BIOMASS, "biomass_method_unknown",
                         allowed=_biomass_methods(features))
    basis = _read_basis(reader, document, method)
    inventory = None
    if Feature.PLOTS in features and PLOT_INVENTORY_FIELD in document:
        events: tuple[BambooEvent, ...] | None = ()
        inventory = _read_inventory(reader, document, method)
    else:
        events = _read_events(reader, document, method)
    fertiliser = read_non_negative_decimal(reader, document, "fertiliser_n_kg_per_ha_yr",
                                           "fertiliser_n_must_not_be_negative")
    ef_profile = read_choice(reader, document, "n2o_emission_factor_profile",
                             N2OEmissionFactorProfile,
                             N2OEmissionFactorProfile.IPCC2019_WET_SYNTHETIC,
                             "n2o_emission_factor_profile_unknown")
    accounting = read_accounting(
        reader, document, UNCERTAINTY_COMPONENTS if Feature.UNCERTAINTY in features else None)
    reader.raise_if_any()
    return BambooInputs(
        **values, biomass_method=method, culm_biomass_basis=basis, events=events,
        fertiliser_n_kg_per_ha_yr=fertiliser, n2o_emission_factor_profile=ef_profile,
        plot_inventory=inventory, **accounting)  # type: ignore[arg-type]


def _top_level_fields(features: frozenset[Feature]) -> tuple[str, ...]:
    fields = TOP_LEVEL_FIELDS
    if Feature.UNCERTAINTY not in features:
        fields = tuple(key for key in fields if key != UNCERTAINTY_FIELD)
    if Feature.PLOTS not in features:
        fields = tuple(key for key in fields if key != PLOT_INVENTORY_FIELD)
    return fields


def _read_inventory(reader: InputReader, document: Mapping[str, Any],
                    method: BiomassMethod | None) -> PlotInventory | None:
    """The plot inventory replaces ``events`` and the ``uncertainty`` block (1.2.0)."""
    for key, code in (("events", "plot_inventory_replaces_events"),
                      (UNCERTAINTY_FIELD, "plot_inventory_gives_the_uncertainty")):
        if key in document:
            reader.report(key, code)
    if method is BiomassMethod.CARBON_DENSITY:
        reader.report("biomass_method", "field_does_not_apply_to_biomass_method",
                      value=method.value)
        return None
    needs_dbh = method is BiomassMethod.ALLOMETRY_DBH_AGE

    def read_culms(plot_reader: InputReader, plot: Mapping[str, Any], path: str
                   ) -> dict[str, Any] | None:
        value = plot_reader.field(plot, "culms", f"{path}.culms", required=False)
        items = [] if value is MISSING else plot_reader.sequence(value, f"{path}.culms")
        if items is None:
            return None
        culms = [_read_culm(plot_reader, item, f"{path}.culms[{i}]", needs_dbh)
                 for i, item in enumerate(items)]
        return None if any(c is None for c in culms) else {"culms": tuple(culms)}

    def read_event_extra(event_reader: InputReader, event: Mapping[str, Any], path: str
                         ) -> dict[str, Any] | None:
        key = "mean_culm_biomass_kg_by_age_class"
        if method is not BiomassMethod.MEAN_CULM_BIOMASS:
            if key in event:
                event_reader.report(f"{path}.{key}", "field_does_not_apply_to_biomass_method",
                                    value=method.value if method else "?")
                return None
            return {}
        value = event_reader.field(event, key, f"{path}.{key}", required=True)
        if value is MISSING:
            return None
        per_culm = _read_age_class_map(event_reader, value, f"{path}.{key}",
                                       _positive_decimal_reader(
                                           event_reader, "mean_culm_biomass_kg_must_be_positive"))
        return None if per_culm is None else {key: MappingProxyType(per_culm)}

    inventory = read_plot_inventory(
        reader, document, measurement_fields=("culms",), read_measurements=read_culms,
        event_fields=("mean_culm_biomass_kg_by_age_class",), read_event_extra=read_event_extra)
    if inventory is None or method is not BiomassMethod.MEAN_CULM_BIOMASS:
        return inventory
    for index, event in enumerate(inventory.events):
        means = event.extra["mean_culm_biomass_kg_by_age_class"]
        classes = sorted({c.age_class for plot in event.plots for c in plot.culms} - set(means))
        for age_class in classes:
            reader.report(f"{PLOT_INVENTORY_FIELD}.events[{index}]."
                          "mean_culm_biomass_kg_by_age_class",
                          "mean_culm_biomass_is_missing_for_age_class", value=age_class)
    return inventory


def _read_culm(reader: InputReader, item: Any, path: str, needs_dbh: bool) -> Culm | None:
    culm = reader.mapping(item, path)
    if culm is None:
        return None
    reader.reject_unknown_fields(culm, ("age_class", "dbh_cm"), prefix=f"{path}.")
    age = reader.field(culm, "age_class", f"{path}.age_class", required=True)
    if age is not MISSING and age not in AGE_CLASSES_DU:
        reader.report(f"{path}.age_class", "age_class_unknown", value=repr(age),
                      allowed=", ".join(AGE_CLASSES_DU))
        age = MISSING
    dbh = None
    if "dbh_cm" in culm or needs_dbh:
        raw = reader.field(culm, "dbh_cm", f"{path}.dbh_cm", required=True)
        dbh = None if raw is MISSING else reader.decimal(raw, f"{path}.dbh_cm")
        if dbh is not None and not Decimal(0) < dbh <= MAX_CULM_DBH_CM:
            reader.report(f"{path}.dbh_cm", "input_is_physically_impossible", value=dbh,
                          low=0, high=MAX_CULM_DBH_CM, unit="cm")
            dbh = None
        if dbh is None:
            return None
    if age is MISSING:
        return None
    return Culm(age_class=age, dbh_cm=dbh)


def _biomass_methods(features: frozenset[Feature]) -> list[str]:
    return [m.value for m in BiomassMethod
            if m is not BiomassMethod.CARBON_DENSITY or Feature.CARBON_DENSITY in features]


def _read_basis(reader: InputReader, document: Mapping[str, Any],
                method: BiomassMethod | None) -> CulmBiomassBasis | None:
    if method is BiomassMethod.CARBON_DENSITY:
        if "culm_biomass_basis" in document:
            reader.report("culm_biomass_basis", "field_does_not_apply_to_biomass_method",
                          value=method.value)
        return None
    return read_choice(reader, document, "culm_biomass_basis", CulmBiomassBasis,
                       DEFAULT_BIOMASS_BASIS.get(method),  # type: ignore[arg-type]
                       "culm_biomass_basis_unknown")


def _read_events(reader: InputReader, document: Mapping[str, Any],
                 method: BiomassMethod | None) -> tuple[BambooEvent, ...] | None:
    items = reader.monitoring_events(document, "events", required=True)
    if items is None:
        return None
    events = [_read_event(reader, item, f"events[{i}]", method) for i, item in enumerate(items)]
    _check_event_order(reader, items, events)
    if any(event is None for event in events):
        return None
    return tuple(events)  # type: ignore[arg-type]


def _check_event_order(reader: InputReader, items: list[Any],
                       events: list[BambooEvent | None]) -> None:
    dates = [_event_date(reader, item) if event is None else event.date
             for item, event in zip(items, events)]
    for index in range(1, len(dates)):
        previous, current = dates[index - 1], dates[index]
        if previous is not None and current is not None and current <= previous:
            reader.report(f"events[{index}].date", "monitoring_events_must_be_ordered",
                          value=current.isoformat(), previous=previous.isoformat())


def _event_date(reader: InputReader, item: Any) -> datetime.date | None:
    """Return an event's date if it parses, without reporting again (already reported)."""
    if not isinstance(item, Mapping):
        return None
    try:
        return datetime.date.fromisoformat(item["date"])
    except (KeyError, TypeError, ValueError):
        return None


def _read_event(reader: InputReader, item: Any, path: str,
                method: BiomassMethod | None) -> BambooEvent | None:
    event = reader.mapping(item, path)
    if event is None:
        return None
    _reject_event_fields(reader, event, path, method)
    date_value = reader.field(event, "date", f"{path}.date", required=True)
    date = None if date_value is MISSING else reader.date(date_value, f"{path}.date")
    if method is BiomassMethod.CARBON_DENSITY:
        carbon = read_non_negative_decimal(reader, event, "carbon_t_c_per_ha",
                                           "value_must_not_be_negative",
                                           path=f"{path}.carbon_t_c_per_ha", required=True)
        source = read_event_source(reader, event, path)
        if date is None or carbon is None or source is False:
            return None
        return BambooEvent(date=date, culms_per_ha_by_age_class=MappingProxyType({}),
                           mean_culm_biomass_kg_by_age_class=MappingProxyType({}),
                           mean_dbh_cm_by_age_class=MappingProxyType({}),
                           carbon_t_c_per_ha=carbon,
                           source=None if source is True else source)
    culms = _read_culm_counts(reader, event, path)
    biomass: Mapping[str, Decimal] | None = {}
    dbh: Mapping[str, Decimal] | None = {}
    if method is BiomassMethod.MEAN_CULM_BIOMASS:
        biomass = _read_per_culm_map(
            reader, event, path, culms, "mean_culm_biomass_kg_by_age_class",
            "mean_culm_biomass_kg_must_be_positive", "mean_culm_biomass_is_missing_for_age_class")
    elif method is BiomassMethod.ALLOMETRY_DBH_AGE:
        dbh = _read_dbh(reader, event, path, culms)
    if date is None or culms is None or biomass is None or dbh is None:
        return None
    return BambooEvent(date=date, culms_per_ha_by_age_class=MappingProxyType(culms),
                       mean_culm_biomass_kg_by_age_class=MappingProxyType(dict(biomass)),
                       mean_dbh_cm_by_age_class=MappingProxyType(dict(dbh)))


def _reject_event_fields(reader: InputReader, event: Mapping[str, Any], path: str,
                         method: BiomassMethod | None) -> None:
    known = frozenset().union(*EVENT_FIELDS.values())
    for key in event:
        if key not in known:
            reader.report(f"{path}.{key}", "field_is_unknown")
        elif method is not None and key not in EVENT_FIELDS[method]:
            reader.report(f"{path}.{key}", "field_does_not_apply_to_biomass_method",
                          value=method.value)


def _read_age_class_map(reader: InputReader, value: Any, path: str,
                        read_value: Callable[[Any, str], T | None]) -> dict[str, T] | None:
    """Read ``{age class: value}``; keys must be known age classes. Ordered I, II, ..."""
    mapping = reader.mapping(value, path)
    if mapping is None:
        return None
    result: dict[str, T] = {}
    failed = False
    for age_class, item in mapping.items():
        if age_class not in AGE_CLASSES_DU:
            reader.report(f"{path}.{age_class}", "age_class_unknown", value=repr(age_class),
                          allowed=", ".join(AGE_CLASSES_DU))
            failed = True
            continue
        parsed = read_value(item, f"{path}.{age_class}")
        failed = failed or parsed is None
        if parsed is not None:
            result[age_class] = parsed
    if failed:
        return None
    return {age: result[age] for age in AGE_CLASSES_DU if age in result}


def _read_culm_counts(reader: InputReader, event: Mapping[str, Any],
                      path: str) -> dict[str, int] | None:
    key = "culms_per_ha_by_age_class"
    value = reader.field(event, key, f"{path}.{key}", required=True)
    if value is MISSING:
        return None

    def read_count(item: Any, item_path: str) -> int | None:
        count = reader.integer(item, item_path)
        if count is not None and count < 0:
            reader.report(item_path, "culms_per_ha_must_not_be_negative", value=item)
            return None
        return count

    return _read_age_class_map(reader, value, f"{path}.{key}", read_count)


def _positive_decimal_reader(reader: InputReader,
                             code: str) -> Callable[[Any, str], Decimal | None]:
    def read(item: Any, item_path: str) -> Decimal | None:
        parsed = reader.decimal(item, item_path)
        if parsed is not None and parsed <= 0:
            reader.report(item_path, code, value=item)
            return None
        return parsed
    return read


def _read_per_culm_map(reader: InputReader, event: Mapping[str, Any], path: str,
                       culms: Mapping[str, int] | None, key: str, positive_code: str,
                       missing_code: str) -> dict[str, Decimal] | None:
    value = reader.field(event, key, f"{path}.{key}", required=True)
    if value is MISSING:
        return None
    per_culm = _read_age_class_map(reader, value, f"{path}.{key}",
                                   _positive_decimal_reader(reader, positive_code))
    if per_culm is None or culms is None:
        return None
    return per_culm if _check_coverage(reader, f"{path}.{key}", culms, per_culm,
                                       missing_code) else None


def _check_coverage(reader: InputReader, path: str, culms: Mapping[str, int],
                    per_culm: Mapping[str, Decimal], missing_code: str) -> bool:
    """Every class with culms needs a per-culm value; no per-culm value without a count."""
    complete = True
    for age_class, count in culms.items():
        if count > 0 and age_class not in per_culm:
            reader.report(path, missing_code, value=age_class)
            complete = False
    for age_class in per_culm:
        if age_class not in culms:
            reader.report(path, "age_class_has_no_culm_count", value=age_class)
            complete = False
    return complete


def _read_dbh(reader: InputReader, event: Mapping[str, Any], path: str,
              culms: Mapping[str, int] | None) -> dict[str, Decimal] | None:
    if "mean_dbh_cm" in event and "mean_dbh_cm_by_age_class" in event:
        reader.report(path, "mean_dbh_must_be_given_one_way")
        return None
    if "mean_dbh_cm_by_age_class" in event or "mean_dbh_cm" not in event:
        return _read_per_culm_map(reader, event, path, culms, "mean_dbh_cm_by_age_class",
                                  "mean_dbh_cm_must_be_positive",
                                  "mean_dbh_is_missing_for_age_class")
    dbh_cm = _positive_decimal_reader(reader, "mean_dbh_cm_must_be_positive")(
        event["mean_dbh_cm"], f"{path}.mean_dbh_cm")
    if dbh_cm is None or culms is None:
        return None
    return {age_class: dbh_cm for age_class in culms}
