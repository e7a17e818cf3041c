"""Soil fields of the tea garden input document: methods, IPCC factor classes, profiles.

Split from :mod:`methodologies.tea_garden_inputs` (one concept per module): the SOC route
(IPCC Tier 1 stock-change factors, measured layered profiles, or excluded), its enums and the
readers of its fields. Every problem is reported on the shared
:class:`~methodologies.inputs.InputReader`.
"""

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.fields import read_choice, reject_fields_of_other_methods
from methodologies.inputs import MISSING, InputReader
from methodologies.soil import SoilLayer
from methodologies.units import canonical_decimal


class SoilMethod(enum.StrEnum):
    """How the soil organic carbon change is obtained (``METHODOLOGIES.md`` §4.2, §1)."""

    IPCC_TIER1 = "ipcc_tier1"  # SOC_REF × F_LU × F_MG × F_I, linear over D = 20 yr.
    MEASURED = "measured"  # Layered profiles at >= 2 dates, Σ BD × C × (1 − G) × H / 10.
    EXCLUDED = "excluded"  # SOC change not counted (conservative where SOC rises under tea).


class SoilReference(enum.StrEnum):
    """IPCC 2006 Table 2.3 soil class, warm temperate moist climate (Huzhou)."""

    HIGH_ACTIVITY_CLAY = "high_activity_clay"
    LOW_ACTIVITY_CLAY = "low_activity_clay"  # Huzhou red and yellow soils.
    SANDY = "sandy"
    VOLCANIC = "volcanic"


class LandUse(enum.StrEnum):
    """F_LU classes offered (IPCC 2006 Table 5.5, temperate moist)."""

    NATIVE = "native"
    PERENNIAL_TREE_CROP = "perennial_tree_crop"
    LONG_TERM_CULTIVATED = "long_term_cultivated"


class Tillage(enum.StrEnum):
    """F_MG classes (IPCC 2006 Table 5.5, temperate moist)."""

    FULL = "full"
    REDUCED = "reduced"
    NONE = "none"


class InputLevel(enum.StrEnum):
    """F_I classes (IPCC 2006 Table 5.5, temperate moist)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH_WITHOUT_MANURE = "high_without_manure"
    HIGH_WITH_MANURE = "high_with_manure"


MANAGEMENT_FIELDS: Final = ("land_use", "tillage", "input")
LAYER_FIELDS: Final = ("bulk_density_g_per_cm3", "organic_carbon_g_per_kg", "gravel_fraction",
                       "thickness_cm")
SOIL_FIELDS: Final[Mapping[SoilMethod, frozenset[str]]] = MappingProxyType({
    SoilMethod.IPCC_TIER1: frozenset({"soil_reference", "soil_management_before",
                                      "soil_management_now", "management_change_date"}),
    SoilMethod.MEASURED: frozenset({"soil_profiles"}),
    SoilMethod.EXCLUDED: frozenset(),
})


@dataclass(frozen=True, kw_only=True)
class SoilManagement:
    """One set of IPCC stock-change factor classes."""

    land_use: LandUse
    tillage: Tillage
    input: InputLevel

    def normalised(self) -> dict[str, str]:
        """Return the JSON-native form."""
        return {"land_use": self.land_use.value, "tillage": self.tillage.value,
                "input": self.input.value}


@dataclass(frozen=True, kw_only=True)
class SoilProfile:
    """Layers sampled at one date."""

    date: datetime.date
    layers: tuple[SoilLayer, ...]

    @property
    def depth_cm(self) -> Decimal:
        """Total sampled depth, cm."""
        return sum((layer.thickness_cm for layer in self.layers), Decimal(0))

    def normalised(self) -> dict[str, Any]:
        """Return the canonical JSON-native form."""
        return {"date": self.date.isoformat(), "layers": [
            {key: canonical_decimal(getattr(layer, key)) for key in LAYER_FIELDS}
            for layer in self.layers]}


def read_soil(reader: InputReader, document: Mapping[str, Any]) -> dict[str, Any]:
    """Read ``soil_method`` and the fields it needs; fields of another method are refused."""
    method = read_choice(reader, document, "soil_method", SoilMethod, None,
                         "soil_method_unknown")
    values: dict[str, Any] = {"soil_method": method, "soil_reference": None,
                              "soil_management_before": None, "soil_management_now": None,
                              "management_change_date": None, "soil_profiles": None}
    if method is None:
        return values
    reject_fields_of_other_methods(reader, document, SOIL_FIELDS, method)
    if method is SoilMethod.IPCC_TIER1:
        values["soil_reference"] = read_choice(
            reader, document, "soil_reference", SoilReference, SoilReference.LOW_ACTIVITY_CLAY,
            "soil_reference_unknown")
        for key in ("soil_management_before", "soil_management_now"):
            values[key] = _read_management(reader, document, key)
        change = reader.field(document, "management_change_date", "management_change_date",
                              required=True)
        values["management_change_date"] = (None if change is MISSING else
                                            reader.date(change, "management_change_date"))
    elif method is SoilMethod.MEASURED:
        values["soil_profiles"] = _read_profiles(reader, document)
    return values


def _read_management(reader: InputReader, document: Mapping[str, Any],
                     key: str) -> SoilManagement | None:
    block = reader.object_field(document, key, MANAGEMENT_FIELDS, required=True)
    if block is None:
        return None
    land_use = read_choice(reader, block, "land_use", LandUse, None, "soil_factor_class_unknown",
                           path=f"{key}.land_use")
    tillage = read_choice(reader, block, "tillage", Tillage, None, "soil_factor_class_unknown",
                          path=f"{key}.tillage")
    level = read_choice(reader, block, "input", InputLevel, None, "soil_factor_class_unknown",
                        path=f"{key}.input")
    if land_use is None or tillage is None or level is None:
        return None
    return SoilManagement(land_use=land_use, tillage=tillage, input=level)


def _read_profiles(reader: InputReader, document: Mapping[str, Any]
                   ) -> tuple[SoilProfile, ...] | None:
    items = reader.monitoring_events(document, "soil_profiles", required=True)
    if items is None:
        return None
    profiles = [_read_profile(reader, item, f"soil_profiles[{i}]") for i, item in
                enumerate(items)]
    if any(profile is None for profile in profiles) or len(profiles) < 2:
        return None
    checked: list[SoilProfile] = profiles  # type: ignore[assignment]
    for index in range(1, len(checked)):
        if checked[index].date <= checked[index - 1].date:
            reader.report(f"soil_profiles[{index}].date", "monitoring_events_must_be_ordered",
                          value=checked[index].date.isoformat(),
                          previous=checked[index - 1].date.isoformat())
            return None
    if len({profile.depth_cm for profile in checked}) > 1:
        reader.report("soil_profiles", "soil_profiles_must_cover_the_same_depth",
                      value=", ".join(canonical_decimal(p.depth_cm) for p in checked))
        return None
    return tuple(checked)


def _read_profile(reader: InputReader, item: Any, path: str) -> SoilProfile | None:
    profile = reader.mapping(item, path)
    if profile is None:
        return None
    reader.reject_unknown_fields(profile, ("date", "layers"), prefix=f"{path}.")
    date_value = reader.field(profile, "date", f"{path}.date", required=True)
    date = None if date_value is MISSING else reader.date(date_value, f"{path}.date")
    layers_value = reader.field(profile, "layers", f"{path}.layers", required=True)
    items = None if layers_value is MISSING else reader.sequence(layers_value, f"{path}.layers")
    if items is not None and not items:
        reader.report(f"{path}.layers", "soil_profile_needs_a_layer")
        items = None
    layers = [_read_layer(reader, layer, f"{path}.layers[{i}]")
              for i, layer in enumerate(items or [])]
    if date is None or items is None or any(layer is None for layer in layers):
        return None
    return SoilProfile(date=date, layers=tuple(layers))  # type: ignore[arg-type]


def _read_layer(reader: InputReader, item: Any, path: str) -> SoilLayer | None:
    layer = reader.mapping(item, path)
    if layer is None:
        return None
    reader.reject_unknown_fields(layer, LAYER_FIELDS, prefix=f"{path}.")
    values = {}
    for key in LAYER_FIELDS:
        value = reader.field(layer, key, f"{path}.{key}", required=key != "gravel_fraction")
        values[key] = Decimal(0) if value is MISSING and key == "gravel_fraction" else (
            None if value is MISSING else reader.decimal(value, f"{path}.{key}"))
    if not _layer_values_in_range(reader, values, path):
        return None
    return SoilLayer(**values)


def _layer_values_in_range(reader: InputReader, values: dict[str, Decimal | None],
                           path: str) -> bool:
    rules = {"bulk_density_g_per_cm3": ("value_must_be_positive", lambda v: v > 0),
             "organic_carbon_g_per_kg": ("value_must_not_be_negative", lambda v: v >= 0),
             "gravel_fraction": ("fraction_must_be_between_0_and_1", lambda v: 0 <= v <= 1),
             "thickness_cm": ("value_must_be_positive", lambda v: v > 0)}
    ok = True
    for key, (code, holds) in rules.items():
        value = values[key]
        if value is None:
            ok = False
        elif not holds(value):
            reader.report(f"{path}.{key}", code, value=canonical_decimal(value))
            ok = False
    return ok
