"""Input document of the tea garden methodology: schema, parsing, normalisation.

See :mod:`methodologies.tea_garden` for the equations and ``docs/methodologies/tea-garden.md``
for the field reference. Every problem in a document is collected and raised at once.
"""

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.bamboo_forest_inputs import N2OEmissionFactorProfile
from methodologies.fields import (
    StockEvent,
    accounting_schema,
    open_document,
    read_accounting,
    read_choice,
    read_non_negative_decimal,
    read_stock_events,
    reject_fields_of_other_methods,
    schema_field,
)
from methodologies.inputs import MISSING, InputReader
from methodologies.plots import (
    PLOT_INVENTORY_FIELD,
    PLOT_INVENTORY_SCHEMA_ENTRY,
    PlotInventory,
    read_plot_inventory,
)
from methodologies.tea_garden_soil_inputs import (
    SoilManagement,
    SoilMethod,
    SoilProfile,
    SoilReference,
    read_soil,
)
from methodologies.uncertainty import UNCERTAINTY_FIELD, UncertaintyInput
from methodologies.units import canonical_decimal


class TeaBiomassMethod(enum.StrEnum):
    """How the tea-bush biomass change is obtained (``METHODOLOGIES.md`` §4.2)."""

    STOCK_DIFFERENCE = "stock_difference"  # Tier 2: measured biomass or carbon at >= 2 dates.
    IPCC_TIER1_ESTABLISHMENT = "ipcc_tier1_establishment"  # 2.1 t C/ha/yr up to a plateau.


STOCK_QUANTITIES: Final = ("biomass_t_per_ha", "carbon_t_c_per_ha")
UNCERTAINTY_COMPONENTS: Final = ("biomass", "soil", "n2o", "baseline")


_MANAGEMENT = ("object {land_use: native | perennial_tree_crop | long_term_cultivated, tillage: "
               "full | reduced | none, input: low | medium | high_without_manure | "
               "high_with_manure}")
INPUT_SCHEMA: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType({
    "area_ha": schema_field("ha", "decimal", True, "Parcel (set) area in hectares, > 0."),
    "period_start": schema_field("", "date", True, "Monitoring period start, ISO YYYY-MM-DD."),
    "period_end": schema_field("", "date", True, "Monitoring period end, after period_start."),
    "biomass_method": schema_field("", "enum: stock_difference | ipcc_tier1_establishment", False,
                             "Tier 2 measured stock difference (default) or the IPCC Tier 1 "
                             "rate for establishment-phase plantings (warned)."),
    "biomass_events": schema_field("", "list[object]", False,
                             "stock_difference: >= 2 events {date, biomass_t_per_ha | "
                             "carbon_t_c_per_ha}, same quantity in every event."),
    "biomass_events[].date": schema_field("", "date", True, "Date of the biomass survey."),
    "biomass_events[].biomass_t_per_ha": schema_field(
        "t d.m./ha", "decimal >= 0", False, "Tea-bush dry biomass, above + below ground."),
    "biomass_events[].carbon_t_c_per_ha": schema_field(
        "t C/ha", "decimal >= 0", False, "Tea-bush carbon, above + below ground (e.g. a raster "
        "zonal mean); CF is not applied."),
    "planting_date": schema_field("", "date", False, "ipcc_tier1_establishment: date of planting."),
    "biomass_plateau_t_c_per_ha": schema_field(
        "t C/ha", "decimal > 0", False, "ipcc_tier1_establishment: measured carbon of mature "
        "bushes; accumulation stops there (a pruned hedge plateaus)."),
    "soil_method": schema_field("", "enum: ipcc_tier1 | measured | excluded", True,
                          "SOC change by IPCC Tier 1 factors, by measured profiles, or not "
                          "counted."),
    "soil_reference": schema_field("", "enum: high_activity_clay | low_activity_clay | sandy | "
                             "volcanic", False, "ipcc_tier1: SOC_REF class, warm temperate "
                             "moist; default low_activity_clay (63 t C/ha)."),
    "soil_management_before": schema_field("", _MANAGEMENT, False,
                                     "ipcc_tier1: factors before the management change."),
    "soil_management_now": schema_field("", _MANAGEMENT, False,
                                  "ipcc_tier1: factors since the management change."),
    "management_change_date": schema_field("", "date", False,
                                     "ipcc_tier1: start of the D = 20 yr linear transition."),
    "soil_profiles": schema_field("", "list[object]", False,
                            "measured: >= 2 profiles {date, layers}, same total depth."),
    "soil_profiles[].date": schema_field("", "date", True, "Sampling date."),
    "soil_profiles[].layers": schema_field("", "list[object]", True, "Sampled layers, top down."),
    "soil_profiles[].layers[].bulk_density_g_per_cm3": schema_field("g/cm3", "decimal > 0", True,
                                                              "Bulk density BD."),
    "soil_profiles[].layers[].organic_carbon_g_per_kg": schema_field("g/kg", "decimal >= 0", True,
                                                               "Organic carbon content C."),
    "soil_profiles[].layers[].gravel_fraction": schema_field("1", "decimal 0-1", False,
                                                       "Volume share > 2 mm G; default 0."),
    "soil_profiles[].layers[].thickness_cm": schema_field("cm", "decimal > 0", True,
                                                    "Layer thickness H."),
    "fertiliser_n_kg_per_ha_yr": schema_field("kg N/ha/yr", "decimal >= 0", False,
                                        "Synthetic N applied; default 0."),
    "n2o_emission_factor_profile": schema_field(
        "", "enum: ipcc2019_wet_synthetic | ipcc2019_aggregated | ipcc2006_default", False,
        "EF1 for direct N2O; default ipcc2019_wet_synthetic (0.016); 0.01 for 2006/CCER."),
    **accounting_schema(),
})
INPUT_SCHEMA_PLOTS: Final = MappingProxyType({  # 1.1.0 (issue 21): plots, per-plant dry mass
    **INPUT_SCHEMA, PLOT_INVENTORY_FIELD: PLOT_INVENTORY_SCHEMA_ENTRY,
    "plot_inventory.events[].plots[].plants_dry_mass_kg": schema_field(
        "kg d.m.", "list[decimal > 0]", False,
        "Dry mass of each sampled tea plant (whole bush, above and below ground); the plot's "
        "biomass is their sum over the plot area (1.1.0)."),
})
TOP_LEVEL_FIELDS: Final = tuple(key for key in INPUT_SCHEMA_PLOTS if "." not in key)
MAX_PLANT_DRY_MASS_KG: Final = Decimal(50)  # a whole tea bush; beyond is a unit slip (g as kg)
BIOMASS_FIELDS: Final[Mapping[TeaBiomassMethod, frozenset[str]]] = MappingProxyType({
    TeaBiomassMethod.STOCK_DIFFERENCE: frozenset({"biomass_events"}),
    TeaBiomassMethod.IPCC_TIER1_ESTABLISHMENT: frozenset({"planting_date",
                                                          "biomass_plateau_t_c_per_ha"}),
})



@dataclass(frozen=True, kw_only=True)
class TeaInputs:
    """Validated tea garden inputs with defaults resolved."""

    area_ha: Decimal
    period_start: datetime.date
    period_end: datetime.date
    biomass_method: TeaBiomassMethod
    biomass_events: tuple[StockEvent, ...] | None
    planting_date: datetime.date | None
    biomass_plateau_t_c_per_ha: Decimal | None
    soil_method: SoilMethod
    soil_reference: SoilReference | None
    soil_management_before: SoilManagement | None
    soil_management_now: SoilManagement | None
    management_change_date: datetime.date | None
    soil_profiles: tuple[SoilProfile, ...] | None
    fertiliser_n_kg_per_ha_yr: Decimal
    n2o_emission_factor_profile: N2OEmissionFactorProfile
    baseline_net_kg_co2e: int
    leakage_kg_co2e: int
    uncertainty: UncertaintyInput | None
    plot_inventory: PlotInventory | None = None  # 1.1.0: replaces biomass_events

    def normalised(self) -> dict[str, Any]:
        """Return the canonical JSON-native document (fields of other methods left out)."""
        document: dict[str, Any] = {
            "area_ha": canonical_decimal(self.area_ha),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "biomass_method": self.biomass_method.value,
            "soil_method": self.soil_method.value,
            "fertiliser_n_kg_per_ha_yr": canonical_decimal(self.fertiliser_n_kg_per_ha_yr),
            "n2o_emission_factor_profile": self.n2o_emission_factor_profile.value,
            "baseline_net_kg_co2e": self.baseline_net_kg_co2e,
            "leakage_kg_co2e": self.leakage_kg_co2e,
        }
        document.update(self._normalised_biomass())
        document.update(self._normalised_soil())
        if self.uncertainty is not None:
            document[UNCERTAINTY_FIELD] = self.uncertainty.normalised()
        return document

    def _normalised_biomass(self) -> dict[str, Any]:
        if self.plot_inventory is not None:
            return {PLOT_INVENTORY_FIELD: self.plot_inventory.normalised()}
        if self.biomass_method is TeaBiomassMethod.STOCK_DIFFERENCE:
            assert self.biomass_events is not None
            return {"biomass_events": [event.normalised() for event in self.biomass_events]}
        assert self.planting_date is not None and self.biomass_plateau_t_c_per_ha is not None
        return {"planting_date": self.planting_date.isoformat(),
                "biomass_plateau_t_c_per_ha": canonical_decimal(self.biomass_plateau_t_c_per_ha)}

    def _normalised_soil(self) -> dict[str, Any]:
        if self.soil_method is SoilMethod.IPCC_TIER1:
            assert self.soil_reference and self.soil_management_before
            assert self.soil_management_now and self.management_change_date
            return {"soil_reference": self.soil_reference.value,
                    "soil_management_before": self.soil_management_before.normalised(),
                    "soil_management_now": self.soil_management_now.normalised(),
                    "management_change_date": self.management_change_date.isoformat()}
        if self.soil_method is SoilMethod.MEASURED:
            assert self.soil_profiles is not None
            return {"soil_profiles": [profile.normalised() for profile in self.soil_profiles]}
        return {}


def parse_tea_inputs(document: Any, *, plots: bool = False) -> TeaInputs:
    """Validate an input document (see :data:`INPUT_SCHEMA`) and return :class:`TeaInputs`.

    Raises
    ------
    InvalidInput
        Listing every problem found.
    """
    fields = TOP_LEVEL_FIELDS if plots else tuple(f for f in TOP_LEVEL_FIELDS
                                                  if f != PLOT_INVENTORY_FIELD)
    reader, values = open_document(document, fields)
    if plots and isinstance(document, Mapping) and PLOT_INVENTORY_FIELD in document:
        values.update(_read_plots(reader, document))
    else:
        values.update(_read_biomass(reader, document))
    values.update(read_soil(reader, document))
    values["fertiliser_n_kg_per_ha_yr"] = read_non_negative_decimal(
        reader, document, "fertiliser_n_kg_per_ha_yr", "fertiliser_n_must_not_be_negative")
    values["n2o_emission_factor_profile"] = read_choice(
        reader, document, "n2o_emission_factor_profile", N2OEmissionFactorProfile,
        N2OEmissionFactorProfile.IPCC2019_WET_SYNTHETIC, "n2o_emission_factor_profile_unknown")
    values.update(read_accounting(reader, document, UNCERTAINTY_COMPONENTS))
    reader.raise_if_any()
    return TeaInputs(**values)


def _read_plots(reader: InputReader, document: Mapping[str, Any]) -> dict[str, Any]:
    """The plot inventory (1.1.0): replaces ``biomass_events`` and the ``uncertainty`` block;
    tea plots carry plants only (the soil is the soil method's, litter is not a tea pool)."""
    method = read_choice(reader, document, "biomass_method", TeaBiomassMethod,
                         TeaBiomassMethod.STOCK_DIFFERENCE, "biomass_method_unknown")
    if method is TeaBiomassMethod.IPCC_TIER1_ESTABLISHMENT:
        reader.report("biomass_method", "field_does_not_apply_to_method", value=method.value)
    for key, code in (("biomass_events", "plot_inventory_replaces_events"),
                      (UNCERTAINTY_FIELD, "plot_inventory_gives_the_uncertainty")):
        if key in document:
            reader.report(key, code)

    def read_plants(plot_reader: InputReader, plot: Mapping[str, Any], path: str
                    ) -> dict[str, Any] | None:
        for key in ("litter_dry_mass_g_per_m2", "soil_layers"):
            if key in plot:
                plot_reader.report(f"{path}.{key}", "field_does_not_apply_to_method",
                                   value="tea plots")
                return None
        value = plot_reader.field(plot, "plants_dry_mass_kg", f"{path}.plants_dry_mass_kg",
                                  required=True)
        items = None if value is MISSING else plot_reader.sequence(
            value, f"{path}.plants_dry_mass_kg")
        if not items:
            if items is not None:
                plot_reader.report(f"{path}.plants_dry_mass_kg", "field_is_required")
            return None
        masses = [plot_reader.decimal(item, f"{path}.plants_dry_mass_kg[{i}]")
                  for i, item in enumerate(items)]
        for i, mass in enumerate(masses):
            if mass is not None and not Decimal(0) < mass <= MAX_PLANT_DRY_MASS_KG:
                plot_reader.report(f"{path}.plants_dry_mass_kg[{i}]",
                                   "input_is_physically_impossible", value=mass, low=0,
                                   high=MAX_PLANT_DRY_MASS_KG, unit="kg")
                masses[i] = None
        return None if any(m is None for m in masses) else {"plant_dry_mass_kg": tuple(masses)}

    inventory = read_plot_inventory(reader, document, measurement_fields=("plants_dry_mass_kg",),
                                    read_measurements=read_plants)
    return {"biomass_method": method, "biomass_events": None, "planting_date": None,
            "biomass_plateau_t_c_per_ha": None, "plot_inventory": inventory}


def _read_biomass(reader: InputReader, document: Mapping[str, Any]) -> dict[str, Any]:
    method = read_choice(reader, document, "biomass_method", TeaBiomassMethod,
                         TeaBiomassMethod.STOCK_DIFFERENCE, "biomass_method_unknown")
    values: dict[str, Any] = {"biomass_method": method, "biomass_events": None,
                              "planting_date": None, "biomass_plateau_t_c_per_ha": None}
    if method is None:
        return values
    reject_fields_of_other_methods(reader, document, BIOMASS_FIELDS, method)
    if method is TeaBiomassMethod.STOCK_DIFFERENCE:
        values["biomass_events"] = read_stock_events(reader, document, "biomass_events",
                                                     required=True, quantities=STOCK_QUANTITIES)
        return values
    planting = reader.field(document, "planting_date", "planting_date", required=True)
    values["planting_date"] = None if planting is MISSING else reader.date(planting,
                                                                           "planting_date")
    plateau = read_non_negative_decimal(reader, document, "biomass_plateau_t_c_per_ha",
                                        "value_must_be_positive", required=True)
    if plateau is not None and plateau == 0:
        reader.report("biomass_plateau_t_c_per_ha", "value_must_be_positive", value="0")
        plateau = None
    values["biomass_plateau_t_c_per_ha"] = plateau
    return values
