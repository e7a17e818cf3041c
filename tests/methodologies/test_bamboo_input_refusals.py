"""Input refusals, table-driven: one row per defect, in schema order (TigerBeetle style).

Each row mutates the valid example document and lists the ``(field, code)`` problems expected.
The last tests apply many defects at once and check that every one is reported together in a
single ``InvalidInput`` (beancount style).
"""

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from methodologies.base import ParameterSet
from methodologies.errors import InvalidInput

Document = dict[str, Any]


def _delete(key: str) -> Callable[[Document], None]:
    return lambda document: document.pop(key)


def _set(key: str, value: Any) -> Callable[[Document], None]:
    return lambda document: document.__setitem__(key, value)


def _set_event(index: int, key: str, value: Any) -> Callable[[Document], None]:
    return lambda document: document["events"][index].__setitem__(key, value)


def _set_culms(index: int, age_class: str, value: Any) -> Callable[[Document], None]:
    return lambda document: document["events"][index]["culms_per_ha_by_age_class"].__setitem__(
        age_class, value)


def _set_biomass(index: int, age_class: str, value: Any) -> Callable[[Document], None]:
    return lambda document: document["events"][index][
        "mean_culm_biomass_kg_by_age_class"].__setitem__(age_class, value)


def _swap_events(document: Document) -> None:
    document["events"].reverse()


CULMS_0 = "events[0].culms_per_ha_by_age_class"
BIOMASS_0 = "events[0].mean_culm_biomass_kg_by_age_class"

REFUSALS: list[tuple[str, Callable[[Document], None], list[tuple[str, str]]]] = [
    ("missing area", _delete("area_ha"), [("area_ha", "field_is_required")]),
    ("zero area", _set("area_ha", "0"), [("area_ha", "area_ha_must_be_positive")]),
    ("negative area", _set("area_ha", -3), [("area_ha", "area_ha_must_be_positive")]),
    ("area is a word", _set("area_ha", "twelve"), [("area_ha", "value_must_be_a_number")]),
    ("area with spaces", _set("area_ha", " 12.5"), [("area_ha", "value_must_be_a_number")]),
    ("area with underscore", _set("area_ha", "1_000"), [("area_ha", "value_must_be_a_number")]),
    ("area is a boolean", _set("area_ha", True), [("area_ha", "value_must_be_a_number")]),
    ("area is null", _set("area_ha", None), [("area_ha", "value_must_be_a_number")]),
    ("area NaN float", _set("area_ha", math.nan), [("area_ha", "value_must_be_finite")]),
    ("area inf float", _set("area_ha", math.inf), [("area_ha", "value_must_be_finite")]),
    ("area NaN string", _set("area_ha", "NaN"), [("area_ha", "value_must_be_finite")]),
    ("area -Infinity string", _set("area_ha", "-Infinity"),
     [("area_ha", "value_must_be_finite")]),
    ("area absurdly large", _set("area_ha", "1e13"), [("area_ha", "value_is_too_large")]),
    ("missing period start", _delete("period_start"), [("period_start", "field_is_required")]),
    ("period start not ISO", _set("period_start", "15/11/2021"),
     [("period_start", "date_must_be_iso_format")]),
    ("period start impossible", _set("period_start", "2021-02-30"),
     [("period_start", "date_must_be_iso_format")]),
    ("period start with time", _set("period_start", "2021-11-15T00:00:00"),
     [("period_start", "date_must_be_iso_format")]),
    ("period reversed", _set("period_end", "2021-11-15"),
     [("period_end", "period_end_must_be_after_period_start")]),
    ("unknown biomass method", _set("biomass_method", "volume"),
     [("biomass_method", "biomass_method_unknown")]),
    ("unknown biomass basis", _set("culm_biomass_basis", "stem_only"),
     [("culm_biomass_basis", "culm_biomass_basis_unknown")]),
    ("missing events", _delete("events"), [("events", "field_is_required")]),
    ("events not a list", _set("events", {"date": "2021-11-15"}),
     [("events", "value_must_be_a_list")]),
    ("one event", lambda d: d["events"].pop(),
     [("events", "monitoring_events_must_number_at_least_two")]),
    ("events out of order", _swap_events,
     [("events[1].date", "monitoring_events_must_be_ordered")]),
    ("events on the same date", _set_event(1, "date", "2021-11-15"),
     [("events[1].date", "monitoring_events_must_be_ordered")]),
    ("event not an object", lambda d: d["events"].__setitem__(0, "2021-11-15"),
     [("events[0]", "value_must_be_an_object")]),
    ("event missing date", lambda d: d["events"][0].pop("date"),
     [("events[0].date", "field_is_required")]),
    ("event unknown field", _set_event(0, "plot_id", "P-7"),
     [("events[0].plot_id", "field_is_unknown")]),
    ("event field of option A under option B", _set_event(0, "mean_dbh_cm", "10"),
     [("events[0].mean_dbh_cm", "field_does_not_apply_to_biomass_method")]),
    ("missing culm counts", lambda d: d["events"][0].pop("culms_per_ha_by_age_class"),
     [(CULMS_0, "field_is_required")]),
    ("unknown age class", _set_culms(0, "VII", 10),
     [(f"{CULMS_0}.VII", "age_class_unknown")]),
    ("arabic age class", _set_culms(0, "1", 10), [(f"{CULMS_0}.1", "age_class_unknown")]),
    ("negative culm count", _set_culms(0, "I", -5),
     [(f"{CULMS_0}.I", "culms_per_ha_must_not_be_negative")]),
    ("fractional culm count", _set_culms(0, "I", "1100.5"),
     [(f"{CULMS_0}.I", "value_must_be_an_integer")]),
    ("culm count is a word", _set_culms(0, "I", "many"),
     [(f"{CULMS_0}.I", "value_must_be_a_number")]),
    ("zero culm biomass", _set_biomass(0, "I", "0"),
     [(f"{BIOMASS_0}.I", "mean_culm_biomass_kg_must_be_positive")]),
    ("NaN culm biomass", _set_biomass(0, "I", "nan"),
     [(f"{BIOMASS_0}.I", "value_must_be_finite")]),
    ("culm biomass missing for a class", lambda d: d["events"][0][
        "mean_culm_biomass_kg_by_age_class"].pop("II"),
     [(BIOMASS_0, "mean_culm_biomass_is_missing_for_age_class")]),
    ("culm biomass for a class without culms", _set_biomass(0, "IV", "18"),
     [(BIOMASS_0, "age_class_has_no_culm_count")]),
    ("negative fertiliser", _set("fertiliser_n_kg_per_ha_yr", "-1"),
     [("fertiliser_n_kg_per_ha_yr", "fertiliser_n_must_not_be_negative")]),
    ("unknown EF1 profile", _set("n2o_emission_factor_profile", "tier2"),
     [("n2o_emission_factor_profile", "n2o_emission_factor_profile_unknown")]),
    ("negative baseline", _set("baseline_net_kg_co2e", -10),
     [("baseline_net_kg_co2e", "baseline_net_kg_co2e_must_not_be_negative")]),
    ("fractional leakage", _set("leakage_kg_co2e", "1.5"),
     [("leakage_kg_co2e", "value_must_be_an_integer")]),
    ("negative leakage", _set("leakage_kg_co2e", -1),
     [("leakage_kg_co2e", "leakage_kg_co2e_must_not_be_negative")]),
    ("misspelt field", _set("fertilizer_n_kg_per_ha_yr", "60"),
     [("fertilizer_n_kg_per_ha_yr", "field_is_unknown")]),
]


@pytest.mark.parametrize(("mutate", "expected"), [row[1:] for row in REFUSALS],
                         ids=[row[0] for row in REFUSALS])
def test_refusal(bamboo, example, mutate: Callable[[Document], None],
                 expected: list[tuple[str, str]]) -> None:
    """One defect → exactly the expected problems, with zh and en messages."""
    mutate(example)
    with pytest.raises(InvalidInput) as raised:
        bamboo.estimate(example)
    error = raised.value
    assert [(p.field, p.code) for p in error.problems] == expected
    assert isinstance(error, ValueError) and error.code == "inputs_are_invalid"
    assert all(p.message_zh and p.message_en for p in error.problems)


def test_all_problems_are_reported_at_once(bamboo, example) -> None:
    """Many defects → one InvalidInput listing every one of them."""
    rows = [row for row in REFUSALS if row[0] in {
        "negative area", "period start not ISO", "unknown age class", "zero culm biomass",
        "negative fertiliser", "negative leakage", "misspelt field", "event unknown field"}]
    for _, mutate, _ in rows:
        mutate(example)
    with pytest.raises(InvalidInput) as raised:
        bamboo.estimate(example)
    expected = {problem for row in rows for problem in row[2]}
    assert {(p.field, p.code) for p in raised.value.problems} == expected


def test_out_of_order_dates_are_reported_with_other_event_problems(bamboo, example) -> None:
    """Ordering is still checked when another field of the same event is bad."""
    _swap_events(example)
    _set_biomass(1, "I", "-2")(example)
    with pytest.raises(InvalidInput) as raised:
        bamboo.estimate(example)
    assert set(raised.value.codes) == {"mean_culm_biomass_kg_must_be_positive",
                                       "monitoring_events_must_be_ordered"}


def test_option_a_refusals(bamboo, example) -> None:
    """Option A: missing DBH, both DBH forms, non-positive DBH, option B field present."""
    example["biomass_method"] = "allometry_dbh_age"
    first, second = example["events"]
    second.pop("mean_culm_biomass_kg_by_age_class")
    first["mean_dbh_cm"] = "10"
    first["mean_dbh_cm_by_age_class"] = {"I": "10"}
    example["events"].append({"date": "2025-11-15", "culms_per_ha_by_age_class": {"I": 5},
                              "mean_dbh_cm": "-1"})
    with pytest.raises(InvalidInput) as raised:
        bamboo.estimate(example)
    assert [(p.field, p.code) for p in raised.value.problems] == [
        ("events[0].mean_culm_biomass_kg_by_age_class",
         "field_does_not_apply_to_biomass_method"),
        ("events[0]", "mean_dbh_must_be_given_one_way"),
        ("events[1].mean_dbh_cm_by_age_class", "field_is_required"),
        ("events[2].mean_dbh_cm", "mean_dbh_cm_must_be_positive"),
    ]


@pytest.mark.parametrize("document", [None, [], "area_ha=1", 42])
def test_a_non_object_document_is_refused(bamboo, document: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        bamboo.estimate(document)
    assert raised.value.codes == ("inputs_must_be_an_object",)


def test_unknown_gwp_profile_is_reported_with_input_problems(bamboo, example) -> None:
    example["area_ha"] = "-1"
    with pytest.raises(InvalidInput) as raised:
        bamboo.estimate(example, gwp_profile="AR7")
    assert [(p.field, p.code) for p in raised.value.problems] == [
        ("area_ha", "area_ha_must_be_positive"), ("gwp_profile", "gwp_profile_unknown")]


def test_missing_and_out_of_range_parameters_are_refused(bamboo, example) -> None:
    defaults = bamboo.default_parameters()
    without_ratio = ParameterSet(p for key, p in defaults.items() if key != "root_shoot_ratio")
    silly = without_ratio | ParameterSet([defaults["root_shoot_ratio"]])
    silly = silly.override("carbon_fraction", "47", "typo")
    with pytest.raises(InvalidInput) as raised:
        bamboo.estimate(example, without_ratio)
    assert [(p.field, p.code) for p in raised.value.problems] == [
        ("parameters.root_shoot_ratio", "parameter_is_missing")]
    with pytest.raises(InvalidInput) as raised:
        bamboo.estimate(example, silly)
    assert [(p.field, p.code) for p in raised.value.problems] == [
        ("parameters.carbon_fraction", "parameter_is_out_of_range")]


@pytest.mark.parametrize(("area", "expected"), [
    (12.5, "12.5"), ("12.50", "12.5"), ("1.25e1", "12.5"), (Decimal("12.500"), "12.5"), (12, "12"),
])
def test_accepted_number_forms_normalise_alike(bamboo, example, area: Any,
                                               expected: str) -> None:
    """JSON floats, decimal strings and exponents give the same normalised value and hash."""
    reference = bamboo.estimate(example) if expected == "12.5" else None
    example["area_ha"] = area
    estimate = bamboo.estimate(example)
    assert estimate.inputs["area_ha"] == expected
    if reference is not None:
        assert estimate.reproducibility_hash == reference.reproducibility_hash


def test_values_under_the_input_limit_but_physically_impossible_are_refused(bamboo, example) -> None:
    """Values just under the 10^12 input limit parse, but no moso stand has them: each is
    refused with its unit (issue 21), so none reaches the arithmetic."""
    big = "999999999999"
    example["area_ha"] = big
    example["events"][-1]["culms_per_ha_by_age_class"]["III"] = big
    example["events"][-1]["mean_culm_biomass_kg_by_age_class"]["III"] = big
    with pytest.raises(InvalidInput) as caught:
        bamboo.estimate(example)
    found = {p.field: p for p in caught.value.problems if p.code == "input_outside_published_range"}
    assert set(found) == {"area_ha", "events[1].culms_per_ha_by_age_class.III",
                          "events[1].mean_culm_biomass_kg_by_age_class.III"}
    assert "culms/ha" in found["events[1].culms_per_ha_by_age_class.III"].message_en
    assert "kg d.m./culm" in found["events[1].mean_culm_biomass_kg_by_age_class.III"].message_zh


def test_the_largest_possible_values_compute_without_arithmetic_errors(bamboo, example) -> None:
    """At the physical limits the arithmetic runs to the end (no Decimal trap); the result per
    hectare and year is then flagged as physically impossible, naming the unit."""
    example["events"][-1]["culms_per_ha_by_age_class"]["III"] = 20000
    example["events"][-1]["mean_culm_biomass_kg_by_age_class"]["III"] = "100"
    example["fertiliser_n_kg_per_ha_yr"] = "2999"
    estimate = bamboo.estimate(example)
    [warning] = [w for w in estimate.warnings if w.code == "net_result_is_physically_implausible"]
    assert "t CO2e/ha/yr" in warning.message_en and "t CO2e/ha/yr" in warning.message_zh
