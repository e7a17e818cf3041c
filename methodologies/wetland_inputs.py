"""Input document of the lake and marsh wetland methodology: schema, parsing, normalisation.

See :mod:`methodologies.wetland` for the equations and ``docs/methodologies/wetland-lake-marsh.md``
for the field reference. Every problem in a document is collected and raised at once.
"""

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.fields import (
    StockEvent,
    accounting_schema,
    open_document,
    read_accounting,
    read_boolean,
    read_choice,
    read_non_negative_decimal,
    read_percent,
    read_stock_events,
    schema_field,
)
from methodologies.inputs import MISSING, InputReader
from methodologies.uncertainty import UNCERTAINTY_FIELD, UncertaintyInput
from methodologies.units import canonical_decimal


class RateSource(enum.StrEnum):
    """Where a rate comes from: a measurement on the parcel, or the flagged default."""

    MEASURED = "measured"
    DEFAULT = "default"


class Ch4Basis(enum.StrEnum):
    """The mass a measured CH4 flux is expressed in (``METHODOLOGIES.md`` §3.3)."""

    CH4 = "ch4"  # kg CH4/ha/yr.
    CH4_C = "ch4_c"  # kg CH4-C/ha/yr; converted × 16/12.


STOCK_COMPONENTS: Final = ("herbaceous_vegetation", "woody_vegetation", "sediment_burial")
EMISSION_COMPONENTS: Final = ("ch4", "n2o")
UNCERTAINTY_COMPONENTS: Final = (*STOCK_COMPONENTS, *EMISSION_COMPONENTS, "baseline")


INPUT_SCHEMA: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType({
    "area_ha": schema_field("ha", "decimal", True, "Parcel (set) area in hectares, > 0."),
    "period_start": schema_field("", "date", True, "Monitoring period start, ISO YYYY-MM-DD."),
    "period_end": schema_field("", "date", True, "Monitoring period end, after period_start."),
    "herbaceous_cover_pct": schema_field("%", "decimal 0-100", True,
                                   "Herbaceous (reed, sedge) cover of the parcel; the VM0033 "
                                   "default 3 t C/ha applies pro rata."),
    "herbaceous_vegetation_credit_claimed_before": schema_field(
        "", "boolean", True, "Whether the one-off herbaceous vegetation credit was already "
        "claimed for this parcel in an earlier estimate. true: nothing is credited now."),
    "woody_vegetation_events": schema_field(
        "", "list[object]", False, "Optional stock difference of woody vegetation (trees, "
        "shrubs): >= 2 events {date, carbon_t_c_per_ha}, e.g. raster zonal means."),
    "woody_vegetation_events[].date": schema_field("", "date", True, "Date of the stock estimate."),
    "woody_vegetation_events[].carbon_t_c_per_ha": schema_field(
        "t C/ha", "decimal >= 0", True, "Woody vegetation carbon (above + below ground)."),
    "sediment_carbon_burial_source": schema_field(
        "", "enum: measured | default", True, "measured: give the parcel's rate; default: the "
        "Chinese-lake mean 0.22 t C/ha/yr, flagged with a warning."),
    "sediment_carbon_burial_t_c_per_ha_yr": schema_field(
        "t C/ha/yr", "decimal", False, "Measured soil/sediment organic carbon accumulation "
        "(negative for a measured loss); required with source measured, refused with default."),
    "ch4_source": schema_field("", "enum: measured | default", True,
                         "measured: give the flux; default: IPCC Wetlands Supplement Ch.5 "
                         "value, unverified [M], flagged."),
    "ch4_kg_per_ha_yr": schema_field("kg/ha/yr", "decimal >= 0", False,
                               "Measured CH4 flux (annual mean); required with source measured."),
    "ch4_basis": schema_field("", "enum: ch4 | ch4_c", False,
                        "Mass basis of ch4_kg_per_ha_yr: kg CH4 (default) or kg CH4-C "
                        "(converted × 16/12). Only with source measured."),
    "n2o_n_kg_per_ha_yr": schema_field("kg N2O-N/ha/yr", "decimal >= 0", False,
                                 "Measured N2O-N flux; absent: 0 with a warning."),
    **accounting_schema(" (baseline CH4 and N2O are 0, conservative, VM0033)"),
})
TOP_LEVEL_FIELDS: Final = tuple(key for key in INPUT_SCHEMA if "." not in key)


@dataclass(frozen=True, kw_only=True)
class WetlandInputs:
    """Validated wetland inputs with defaults resolved."""

    area_ha: Decimal
    period_start: datetime.date
    period_end: datetime.date
    herbaceous_cover_pct: Decimal
    herbaceous_credit_claimed_before: bool
    woody_events: tuple[StockEvent, ...] | None
    sediment_source: RateSource
    sediment_burial_t_c_per_ha_yr: Decimal | None
    ch4_source: RateSource
    ch4_kg_per_ha_yr: Decimal | None
    ch4_basis: Ch4Basis | None
    n2o_n_kg_per_ha_yr: Decimal | None
    baseline_net_kg_co2e: int
    leakage_kg_co2e: int
    uncertainty: UncertaintyInput | None

    def normalised(self) -> dict[str, Any]:
        """Return the canonical JSON-native document (absent optional fields stay absent)."""
        document: dict[str, Any] = {
            "area_ha": canonical_decimal(self.area_ha),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "herbaceous_cover_pct": canonical_decimal(self.herbaceous_cover_pct),
            "herbaceous_vegetation_credit_claimed_before": self.herbaceous_credit_claimed_before,
            "sediment_carbon_burial_source": self.sediment_source.value,
            "ch4_source": self.ch4_source.value,
            "baseline_net_kg_co2e": self.baseline_net_kg_co2e,
            "leakage_kg_co2e": self.leakage_kg_co2e,
        }
        optional = {
            "woody_vegetation_events": None if self.woody_events is None
            else [event.normalised() for event in self.woody_events],
            "sediment_carbon_burial_t_c_per_ha_yr": self.sediment_burial_t_c_per_ha_yr,
            "ch4_kg_per_ha_yr": self.ch4_kg_per_ha_yr,
            "ch4_basis": None if self.ch4_basis is None else self.ch4_basis.value,
            "n2o_n_kg_per_ha_yr": self.n2o_n_kg_per_ha_yr,
            UNCERTAINTY_FIELD: None if self.uncertainty is None
            else self.uncertainty.normalised(),
        }
        for key, value in optional.items():
            if value is not None:
                document[key] = canonical_decimal(value) if isinstance(value, Decimal) else value
        return document


def parse_wetland_inputs(document: Any) -> WetlandInputs:
    """Validate an input document (see :data:`INPUT_SCHEMA`) and return :class:`WetlandInputs`.

    Raises
    ------
    InvalidInput
        Listing every problem found.
    """
    reader, values = open_document(document, TOP_LEVEL_FIELDS)
    values["herbaceous_cover_pct"] = read_percent(reader, document, "herbaceous_cover_pct")
    values["herbaceous_credit_claimed_before"] = read_boolean(
        reader, document, "herbaceous_vegetation_credit_claimed_before")
    values["woody_events"] = read_stock_events(reader, document, "woody_vegetation_events",
                                               required=False)
    values["sediment_source"], values["sediment_burial_t_c_per_ha_yr"] = _read_sediment(
        reader, document)
    values.update(_read_ch4(reader, document))
    values["n2o_n_kg_per_ha_yr"] = read_non_negative_decimal(
        reader, document, "n2o_n_kg_per_ha_yr", "value_must_not_be_negative", default=None)
    values.update(read_accounting(reader, document, UNCERTAINTY_COMPONENTS))
    reader.raise_if_any()
    return WetlandInputs(**values)


def _read_sourced_rate(reader: InputReader, document: Mapping[str, Any], source_key: str,
                       rate_key: str, *, allow_negative: bool
                       ) -> tuple[RateSource | None, Decimal | None]:
    """Read ``<x>_source`` and the rate it requires (measured) or refuses (default)."""
    source = read_choice(reader, document, source_key, RateSource, None, "rate_source_unknown")
    if source is RateSource.DEFAULT:
        if rate_key in document:
            reader.report(rate_key, "field_does_not_apply_to_default_source", value=source_key)
        return source, None
    if source is None:
        return None, None
    value = reader.field(document, rate_key, rate_key, required=True)
    if value is MISSING:
        return source, None
    rate = reader.decimal(value, rate_key)
    if rate is not None and rate < 0 and not allow_negative:
        reader.report(rate_key, "value_must_not_be_negative", value=value)
        return source, None
    return source, rate


def _read_sediment(reader: InputReader, document: Mapping[str, Any]
                   ) -> tuple[RateSource | None, Decimal | None]:
    # A measured loss of sediment carbon is a negative rate; refusing it would be the
    # non-conservative choice, so negatives are accepted here (and only here).
    return _read_sourced_rate(reader, document, "sediment_carbon_burial_source",
                              "sediment_carbon_burial_t_c_per_ha_yr", allow_negative=True)


def _read_ch4(reader: InputReader, document: Mapping[str, Any]) -> dict[str, Any]:
    source, rate = _read_sourced_rate(reader, document, "ch4_source", "ch4_kg_per_ha_yr",
                                      allow_negative=False)
    basis = None
    if source is RateSource.MEASURED:
        basis = read_choice(reader, document, "ch4_basis", Ch4Basis, Ch4Basis.CH4,
                            "ch4_basis_unknown")
    elif "ch4_basis" in document:
        reader.report("ch4_basis", "field_does_not_apply_to_default_source", value="ch4_source")
    return {"ch4_source": source, "ch4_kg_per_ha_yr": rate, "ch4_basis": basis}
