"""Inputs in their source's unit, and one test per unit slip (issue 21).

A value given as ``{"value", "unit"}`` is converted, the conversion is a trace step, and the
estimate equals the one from the value typed in the field's own unit (same numbers, same hash).
A value typed bare in another unit is caught: refused beyond the physically possible, warned
outside the published range, the unit named in both languages."""

import copy
from decimal import Decimal

import pytest

from methodologies.errors import InvalidInput
from methodologies.registry import get_methodology

WETLAND, TEA, BAMBOO = ("sinkledger.wetland-lake-marsh", "sinkledger.tea-garden",
                        "sinkledger.bamboo-moso-management")
LAYERS = [{"thickness_cm": "20", "bulk_density_g_per_cm3": "1.2",
           "organic_carbon_g_per_kg": "20"}]


def _example(methodology_id: str) -> dict:
    return copy.deepcopy(get_methodology(methodology_id).example_inputs())


def _tea_measured_soil(layer_changes: dict | None = None) -> dict:
    document = {k: v for k, v in _example(TEA).items()
                if k not in ("soil_reference", "soil_management_before", "soil_management_now",
                             "management_change_date")}
    later = [dict(LAYERS[0], organic_carbon_g_per_kg="21", **(layer_changes or {}))]
    document.update(soil_method="measured", soil_profiles=[
        {"date": "2022-04-10", "layers": copy.deepcopy(LAYERS)},
        {"date": "2024-04-10", "layers": later}])
    return document


def _set(document: dict, path: tuple, value) -> dict:
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(("methodology_id", "build", "path", "given", "own"), [
    (WETLAND, lambda: _example(WETLAND), ("sediment_carbon_burial_t_c_per_ha_yr",),
     {"value": "31", "unit": "g C/(m²·a)"}, "0.31"),
    (WETLAND, lambda: _example(WETLAND), ("sediment_carbon_burial_t_c_per_ha_yr",),
     {"value": "0.0031", "unit": "g C/(cm2·yr)"}, "0.31"),
    (WETLAND, lambda: _example(WETLAND), ("ch4_kg_per_ha_yr",),
     {"value": "0.7072", "unit": "mg/(m²·h)"}, "61.993152"),
    (WETLAND, lambda: _example(WETLAND), ("ch4_kg_per_ha_yr",),
     {"value": "6.2", "unit": "g/(m²·a)"}, "62"),
    (WETLAND, lambda: _example(WETLAND), ("area_ha",), {"value": "220.5", "unit": "亩"}, "14.7"),
    (WETLAND, lambda: _example(WETLAND), ("herbaceous_cover_pct",),
     {"value": "0.75", "unit": "1"}, "75"),
    (TEA, lambda: _example(TEA), ("fertiliser_n_kg_per_ha_yr",),
     {"value": "20", "unit": "kg/(mu·a)"}, "300"),
    (TEA, lambda: _example(TEA), ("biomass_events", 0, "biomass_t_per_ha"),
     {"value": "1213.333333333", "unit": "kg/mu"}, "18.2"),
    (TEA, _tea_measured_soil, ("soil_profiles", 1, "layers", 0, "organic_carbon_g_per_kg"),
     {"value": "2.1", "unit": "%"}, "21"),
    (TEA, _tea_measured_soil, ("soil_profiles", 1, "layers", 0, "bulk_density_g_per_cm3"),
     {"value": "1200", "unit": "kg/m³"}, "1.2"),
    (BAMBOO, lambda: _example(BAMBOO), ("fertiliser_n_kg_per_ha_yr",),
     {"value": "4", "unit": "kg/(mu·a)"}, "60"),
])
def test_a_value_in_its_source_unit_is_converted_and_shown_in_the_trace(
        methodology_id, build, path, given, own) -> None:
    methodology = get_methodology(methodology_id)
    plain = _set(build(), path, own)
    with_unit = _set(build(), path, given)
    a, b = methodology.estimate(plain), methodology.estimate(with_unit)
    assert b.net_kg_co2e == a.net_kg_co2e
    if Decimal(own) * 1 == Decimal(own).quantize(Decimal("0.000001")):
        assert b.reproducibility_hash == a.reproducibility_hash
    [step] = [s for s in b.steps if s.name.startswith("unit conversion")]
    assert step.note.startswith(f"entered as {given['value']}")
    assert Decimal(step.value) == Decimal(own)


def test_an_unknown_unit_is_refused_with_the_units_the_field_accepts() -> None:
    document = _set(_example(WETLAND), ("ch4_kg_per_ha_yr",), {"value": "3", "unit": "lb/acre"})
    with pytest.raises(InvalidInput) as caught:
        get_methodology(WETLAND).estimate(document)
    [problem] = [p for p in caught.value.problems if p.code == "input_unit_unknown"]
    assert problem.field == "ch4_kg_per_ha_yr"
    assert "mg/(m²·h)" in problem.message_en and "kg/ha/yr" in problem.message_zh


@pytest.mark.parametrize(("methodology_id", "build", "path", "slip", "code", "unit"), [
    # A burial rate of 0.2 g C/(cm²·a) typed as 20 t C/ha/yr: refused (10 at most).
    (WETLAND, lambda: _example(WETLAND), ("sediment_carbon_burial_t_c_per_ha_yr",), "20",
     "input_outside_published_range", "t C/ha/yr"),
    # 31 g C/(m²·a) typed as t C/ha/yr (100 times too large): refused.
    (WETLAND, lambda: _example(WETLAND), ("sediment_carbon_burial_t_c_per_ha_yr",), "31",
     "input_outside_published_range", "t C/ha/yr"),
    # A CH4 flux of 0.7 g/(m²·h) typed as kg/ha/yr is harmless-looking; 7072 (per mu·a slip) is not.
    (WETLAND, lambda: _example(WETLAND), ("ch4_kg_per_ha_yr",), "7072",
     "input_outside_published_range", "kg/ha/yr"),
    # Soil organic carbon 2.1 % typed as g/kg: far below every Zhejiang topsoil, a warning.
    (TEA, _tea_measured_soil, ("soil_profiles", 1, "layers", 0, "organic_carbon_g_per_kg"),
     "1.5", "input_near_edge_of_published_range", "g/kg"),
    # Bulk density 1200 kg/m³ typed as g/cm³: refused (2.65 at most).
    (TEA, _tea_measured_soil, ("soil_profiles", 1, "layers", 0, "bulk_density_g_per_cm3"),
     "1200", "input_outside_published_range", "g/cm³"),
    # Tea biomass in kg/mu typed as t/ha (66.7 times too large): refused above 500 t/ha.
    (TEA, lambda: _example(TEA), ("biomass_events", 1, "biomass_t_per_ha"), "1340",
     "input_outside_published_range", "t d.m./ha"),
    # A parcel area in m² typed as ha: refused above all of Huzhou.
    (TEA, lambda: _example(TEA), ("area_ha",), "21000000", "input_outside_published_range",
     "ha"),
    # Mean culm biomass in g typed as kg: refused above 100 kg/culm.
    (BAMBOO, lambda: _example(BAMBOO), ("events", 1, "mean_culm_biomass_kg_by_age_class", "I"),
     "12900", "input_outside_published_range", "kg d.m./culm"),
    # Stand carbon in kg C/m² typed where t C/ha is meant: ten times too small, warned.
    (BAMBOO, lambda: _set(_set(_example(BAMBOO), ("biomass_method",), "carbon_density"),
                          ("events",), [{"date": "2021-11-15", "carbon_t_c_per_ha": "2.4"},
                                        {"date": "2023-11-15", "carbon_t_c_per_ha": "2.5"}]),
     ("events", 1, "carbon_t_c_per_ha"), "2.5", "input_near_edge_of_published_range", "t C/ha"),
])
def test_each_unit_slip_is_caught_naming_the_unit(methodology_id, build, path, slip, code,
                                                  unit) -> None:
    methodology = get_methodology(methodology_id)
    document = build()
    document.pop("culm_biomass_basis", None) if document.get(
        "biomass_method") == "carbon_density" else None
    document = _set(document, path, slip)
    field = ".".join(str(p) for p in path)
    for index in (0, 1):
        field = field.replace(f".{index}.", f"[{index}].").replace(f".{index}", f"[{index}]")
    if code == "input_outside_published_range":
        with pytest.raises(InvalidInput) as caught:
            methodology.estimate(document)
        [found] = [p for p in caught.value.problems if p.code == code]
        assert found.field == field
        assert unit in found.message_en and unit in found.message_zh
    else:
        estimate = methodology.estimate(document)
        found = next(w for w in estimate.warnings if w.code == code and field in w.message_en)
        assert unit in found.message_en and unit in found.message_zh
