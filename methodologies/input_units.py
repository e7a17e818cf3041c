"""Inputs given in the unit of their source: ``{"value": "20.4", "unit": "g C/(m²·a)"}``.

Sources publish rates and stocks in other units than the inputs' own (a lake burial rate in
g C/(m²·a), a fertiliser rate in kg/亩, soil organic carbon in %, a bulk density in kg/m³, an
area in 亩). Any numeric input listed in :data:`UNIT_FIELDS` may be given as an object with its
value and its unit instead of a bare number: the value is converted to the input's unit before
the inputs are read, each conversion is recorded as a trace step (``unit conversion <path>``:
the value as entered, the factor, the result), and the normalised inputs hold the converted
value, so the record reruns to the same numbers and hash. A unit the field does not know is
refused (``input_unit_unknown``, naming the units it accepts); a bare number is read in the
field's own unit, as before.

Units are compared after NFKC normalisation, without spaces, with ``2``/``3`` for ``²``/``³``
and ``yr``/``a`` alike: ``"g C / (m2·yr)"`` is ``g C/(m²·a)``. Factors are definitional
(1 亩 = 1/15 ha; 1 g/m² = 0.01 t/ha; a year of 8,766 hours for a flux per hour).
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from methodologies.errors import Problem, make_problem
from methodologies.trace import CalculationRecorder
from methodologies.units import canonical_decimal, decimal_context

_MU: Final = Decimal(1) / Decimal(15)  # 1 亩 = 1/15 ha (definitional)
_HOURS_PER_YEAR: Final = Decimal("8766")  # 365.25 × 24
_PER_HA_FROM_PER_M2: Final = Decimal(10_000)

# Field (the last key of its path) → {unit as written: factor to the field's own unit}.
_AREA_RATE_G: Final = {"g/(m²·a)": Decimal(10), "kg/(mu·a)": Decimal(15),
                       "g/(m²·h)": _HOURS_PER_YEAR * 10, "mg/(m²·h)": _HOURS_PER_YEAR / 100,
                       "t/(ha·a)": Decimal(1000)}
UNIT_FIELDS: Final[Mapping[str, tuple[str, Mapping[str, Decimal]]]] = {
    "area_ha": ("ha", {"ha": Decimal(1), "hm²": Decimal(1), "mu": _MU, "亩": _MU,
                       "m²": Decimal("0.0001"), "km²": Decimal(100)}),
    "sediment_carbon_burial_t_c_per_ha_yr": ("t C/ha/yr", {
        "t C/(ha·a)": Decimal(1), "Mg C/(ha·a)": Decimal(1), "g C/(m²·a)": Decimal("0.01"),
        "g C/(cm²·a)": Decimal(100), "kg C/(ha·a)": Decimal("0.001"),
        "mg C/(cm²·a)": Decimal("0.1")}),
    "ch4_kg_per_ha_yr": ("kg/ha/yr", {"kg/(ha·a)": Decimal(1), **_AREA_RATE_G}),
    "n2o_n_kg_per_ha_yr": ("kg N2O-N/ha/yr", {"kg/(ha·a)": Decimal(1), **_AREA_RATE_G}),
    "fertiliser_n_kg_per_ha_yr": ("kg N/ha/yr", {
        "kg/(ha·a)": Decimal(1), "kg/(mu·a)": Decimal(15), "g/(m²·a)": Decimal(10),
        "t/(ha·a)": Decimal(1000)}),
    "carbon_t_c_per_ha": ("t C/ha", {"t C/ha": Decimal(1), "Mg C/ha": Decimal(1),
                                     "kg C/m²": Decimal(10), "g C/m²": Decimal("0.01"),
                                     "kg C/mu": Decimal("0.015")}),
    "biomass_t_per_ha": ("t d.m./ha", {"t/ha": Decimal(1), "Mg/ha": Decimal(1),
                                       "kg/m²": Decimal(10), "g/m²": Decimal("0.01"),
                                       "kg/mu": Decimal("0.015")}),
    "biomass_plateau_t_c_per_ha": ("t C/ha", {"t C/ha": Decimal(1), "Mg C/ha": Decimal(1),
                                              "kg C/m²": Decimal(10),
                                              "kg C/mu": Decimal("0.015")}),
    "organic_carbon_g_per_kg": ("g/kg", {"g/kg": Decimal(1), "%": Decimal(10),
                                         "g/g": Decimal(1000), "mg/g": Decimal(1)}),
    "bulk_density_g_per_cm3": ("g/cm³", {"g/cm³": Decimal(1), "t/m³": Decimal(1),
                                         "kg/m³": Decimal("0.001")}),
    "thickness_cm": ("cm", {"cm": Decimal(1), "m": Decimal(100), "mm": Decimal("0.1")}),
    "gravel_fraction": ("1", {"1": Decimal(1), "%": Decimal("0.01")}),
    "herbaceous_cover_pct": ("%", {"%": Decimal(1), "1": Decimal(100)}),
    "mean_dbh_cm": ("cm", {"cm": Decimal(1), "mm": Decimal("0.1")}),
    "dbh_cm": ("cm", {"cm": Decimal(1), "mm": Decimal("0.1")}),
    "litter_dry_mass_g_per_m2": ("g d.m./m²", {"g/m²": Decimal(1), "t/ha": Decimal(100),
                                               "kg/m²": Decimal(1000),
                                               "kg/mu": Decimal("1.5")}),
    "area_m2": ("m²", {"m²": Decimal(1), "mu": Decimal(10_000) / 15, "亩": Decimal(10_000) / 15,
                       "ha": Decimal(10_000)}),
}


def unit_key(unit: str) -> str:
    """A unit as compared: ``"g C / (m2·yr)"`` → ``"gc/(m2·a)"``."""
    text = unicodedata.normalize("NFKC", unit).lower().replace(" ", "")
    text = text.replace("²", "2").replace("³", "3").replace("*", "·").replace(".", "·")
    text = re.sub(r"(?<=[·/(])yr\b|(?<=[·/(])year\b", "a", text)
    text = text.replace("hm2", "ha").replace("mgc/(ha", "tc/(ha").replace("mgc/ha", "tc/ha")
    return text.replace("mg/ha", "t/ha")


_FACTOR_TEXT: Final = {_MU: "1/15", Decimal(10_000) / 15: "10000/15"}
_KEYS: Final = {field: (own, {unit_key(u): (u, f) for u, f in units.items()})
                for field, (own, units) in UNIT_FIELDS.items()}


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """One input converted from its source's unit."""

    path: str
    value: Decimal
    unit: str
    factor: Decimal
    result: Decimal
    to_unit: str

    def record(self, recorder: CalculationRecorder) -> None:
        factor = _FACTOR_TEXT.get(self.factor, canonical_decimal(self.factor))
        recorder.step(f"unit conversion {self.path}",
                      f"{canonical_decimal(self.value)} {self.unit} × {factor}", self.result,
                      self.to_unit,
                      f"entered as {canonical_decimal(self.value)} {self.unit}")


def convert_units(document: Mapping[str, Any]) -> tuple[Any, list[Conversion], list[Problem]]:
    """``document`` with every ``{"value", "unit"}`` of a :data:`UNIT_FIELDS` field converted
    to the field's own unit (as a decimal string); the conversions; the problems."""
    conversions: list[Conversion] = []
    problems: list[Problem] = []
    return _walk(document, "", None, conversions, problems), conversions, problems


MAX_DEPTH: Final = 12  # inputs nest 6 levels at most; deeper is left to the parser to refuse


def _walk(value: Any, path: str, key: str | None, conversions: list[Conversion],
          problems: list[Problem], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        if key in _KEYS and set(value) == {"value", "unit"}:
            return _convert(value, path, key, conversions, problems)
        return {k: _walk(v, f"{path}.{k}" if path else str(k), str(k), conversions, problems,
                         depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, f"{path}[{i}]", key, conversions, problems, depth + 1)
                for i, v in enumerate(value)]
    return value


def _convert(given: Mapping[str, Any], path: str, key: str, conversions: list[Conversion],
             problems: list[Problem]) -> Any:
    own, units = _KEYS[key]
    unit = given["unit"]
    allowed = ", ".join(u for u, _ in units.values())
    if not isinstance(unit, str) or unit_key(unit) not in units:
        problems.append(make_problem(path, "input_unit_unknown", value=repr(unit)[:40],
                                     unit=own, allowed=allowed))
        return given
    written, factor = units[unit_key(unit)]
    raw = given["value"]
    try:
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            raise InvalidOperation
        number = Decimal(str(raw).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.append(make_problem(path, "input_unit_value_invalid", value=repr(raw)[:40],
                                     unit=written))
        return given
    with decimal_context():
        result = number * factor
    if factor != 1 and result != result.to_integral_value():
        result = result.quantize(Decimal("1e-9")).normalize()
    conversions.append(Conversion(path=path, value=number, unit=written, factor=factor,
                                  result=result, to_unit=own))
    return canonical_decimal(result) if not isinstance(raw, int) or factor != 1 else raw
