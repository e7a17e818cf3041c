"""The methodology interface: parameters, estimates, registry, example, messages, purity."""

import ast
import copy
import dataclasses
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

import methodologies
from methodologies.accounting import GWP_PARAMETERS
from methodologies.bamboo_forest import DEFAULT_PARAMETERS
from methodologies.bamboo_forest_inputs import INPUT_SCHEMA, TOP_LEVEL_FIELDS
from methodologies.base import (
    Estimate,
    Parameter,
    ParameterSet,
    ParameterStatus,
    load_parameter_csv,
)
from methodologies.errors import InvalidInput, MethodologyError, MethodologyNotFound
from methodologies.messages import ERROR_MESSAGES, WARNING_MESSAGES
from methodologies.registry import get_methodology, list_methodologies

PACKAGE_DIR = Path(methodologies.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- Parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize("file_name", ["bamboo_moso_management.csv", "gwp100.csv",
                                       "uncertainty.csv"])
def test_every_parameter_row_has_a_unit_source_and_status(file_name: str) -> None:
    """Parameters live in CSV package data with provenance (METHODOLOGIES.md §7)."""
    parameters = load_parameter_csv(file_name)
    assert len(parameters) > 0
    for parameter in parameters.values():
        assert parameter.unit and len(parameter.source) > 20
        assert isinstance(parameter.status, ParameterStatus)


@pytest.mark.parametrize(("key", "status"), [
    ("carbon_fraction", ParameterStatus.NEEDS_PRIMARY_CHECK),  # [V2]
    ("root_shoot_ratio", ParameterStatus.VERIFIED),  # [V]
    ("gross_fixation_rotation_yr", ParameterStatus.VERIFIED),  # [V]
    ("n2o_ef1.ipcc2019_wet_synthetic", ParameterStatus.NEEDS_PRIMARY_CHECK),  # [V2]
    ("n2o_ef1.ipcc2019_aggregated", ParameterStatus.NEEDS_PRIMARY_CHECK),  # [V2]
    ("n2o_ef1.ipcc2006_default", ParameterStatus.UNVERIFIED),  # [M]
    ("zhou_allometry.scale_kg", ParameterStatus.UNVERIFIED),  # [M]
])
def test_parameter_statuses_follow_the_tags(key: str, status: ParameterStatus) -> None:
    """[V] → verified, [V2] → needs_primary_check, [M] → unverified."""
    assert DEFAULT_PARAMETERS[key].status is status


def test_every_zhou_coefficient_is_unverified() -> None:
    """Option A coefficients are [M] (METHODOLOGIES.md §2.3)."""
    zhou = [p for key, p in DEFAULT_PARAMETERS.items() if key.startswith("zhou_allometry.")]
    assert len(zhou) == 6
    assert all(p.status is ParameterStatus.UNVERIFIED for p in zhou)


def test_override_returns_a_new_set_and_keeps_a_note() -> None:
    """The original set is unchanged; the override notes the default it replaced."""
    overridden = DEFAULT_PARAMETERS.override("root_shoot_ratio", "0.48", "plot data 2024")
    assert DEFAULT_PARAMETERS["root_shoot_ratio"].value == Decimal("0.33")
    parameter = overridden["root_shoot_ratio"]
    assert parameter.value == Decimal("0.48")
    assert parameter.source == "plot data 2024"
    assert parameter.status is ParameterStatus.UNVERIFIED
    assert "0.33" in parameter.note and "Cao" in parameter.note
    assert set(overridden) == set(DEFAULT_PARAMETERS)


@pytest.mark.parametrize(("key", "value", "code"), [
    ("no_such_key", "1", "parameter_key_unknown"),
    ("carbon_fraction", 0.5, "value_must_be_a_number"),
    ("carbon_fraction", "NaN", "value_must_be_finite"),
    ("carbon_fraction", "half", "value_must_be_a_number"),
])
def test_override_refusals(key: str, value: object, code: str) -> None:
    """Unknown keys, floats, NaN and words are refused with a code."""
    with pytest.raises(InvalidInput) as raised:
        DEFAULT_PARAMETERS.override(key, value, "test")  # type: ignore[arg-type]
    assert raised.value.codes == (code,)


def test_parameter_set_is_immutable_and_refuses_duplicates() -> None:
    """No item assignment; a key may appear once."""
    with pytest.raises(TypeError):
        DEFAULT_PARAMETERS["carbon_fraction"] = None  # type: ignore[index]
    parameter = DEFAULT_PARAMETERS["carbon_fraction"]
    with pytest.raises(InvalidInput) as raised:
        ParameterSet([parameter, parameter])
    assert raised.value.codes == ("parameter_key_is_duplicated",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parameter.value = Decimal(1)  # type: ignore[misc]


def test_parameter_round_trips_through_dict() -> None:
    parameter = DEFAULT_PARAMETERS["carbon_fraction"]
    assert Parameter.from_dict(parameter.to_dict()) == parameter


def test_default_parameters_include_every_gwp_profile(bamboo) -> None:
    assert set(GWP_PARAMETERS) <= set(bamboo.default_parameters())


# --- Estimate ---------------------------------------------------------------------------------

def test_estimate_round_trips_through_json(bamboo, example) -> None:
    """``to_dict`` is JSON-safe (Decimals as strings, ints as ints) and ``from_dict`` inverts it."""
    estimate = bamboo.estimate(example)
    document = estimate.to_dict()
    text = json.dumps(document, ensure_ascii=False)
    restored = Estimate.from_dict(json.loads(text))
    assert restored == estimate
    assert restored.reproducibility_hash == estimate.reproducibility_hash
    assert isinstance(document["net_kg_co2e"], int) and isinstance(document["area_ha"], str)


@pytest.mark.parametrize("gwp_profile", ["AR5", "AR6"])
def test_a_verifier_can_rerun_an_estimate_from_its_record(bamboo, example,
                                                          gwp_profile: str) -> None:
    """The record alone (normalised inputs + parameters used + profile) reproduces the estimate."""
    record = json.loads(json.dumps(bamboo.estimate(example, gwp_profile=gwp_profile).to_dict()))
    rerun = bamboo.estimate(record["inputs"],
                            ParameterSet(Parameter.from_dict(p) for p in record["parameters"]),
                            gwp_profile=record["gwp_profile"])
    assert rerun.to_dict() == record


def test_estimate_from_malformed_dict_is_refused(bamboo, example) -> None:
    document = bamboo.estimate(example).to_dict()
    del document["net_kg_co2e"]
    with pytest.raises(InvalidInput) as raised:
        Estimate.from_dict(document)
    assert raised.value.codes == ("estimate_record_is_malformed",)


def test_estimate_is_read_only(bamboo, example) -> None:
    estimate = bamboo.estimate(example)
    with pytest.raises(dataclasses.FrozenInstanceError):
        estimate.net_kg_co2e = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        estimate.inputs["area_ha"] = "1"  # type: ignore[index]
    with pytest.raises(TypeError):
        estimate.inputs["events"][0]["date"] = "2000-01-01"  # type: ignore[index]
    assert hash(estimate) == hash(bamboo.estimate(example))


def test_estimate_is_pure(bamboo, example) -> None:
    """The input document is not mutated and a rerun gives an equal estimate."""
    before = copy.deepcopy(example)
    first = bamboo.estimate(example)
    assert example == before
    assert bamboo.estimate(example) == first


def test_estimate_records_exactly_the_parameters_used(bamboo, example) -> None:
    """Option B with fertiliser uses CF, R, EF1, GWP N2O and the two display/warning rows."""
    keys = {p.key for p in bamboo.estimate(example).parameters}
    assert keys == {"carbon_fraction", "root_shoot_ratio", "n2o_ef1.ipcc2019_wet_synthetic",
                    "gwp100.AR5.n2o", "gross_fixation_rotation_yr",
                    "net_removal_plausibility_limit"}
    example["fertiliser_n_kg_per_ha_yr"] = 0
    keys = {p.key for p in bamboo.estimate(example).parameters}
    assert "gwp100.AR5.n2o" not in keys and "n2o_ef1.ipcc2019_wet_synthetic" not in keys


def test_every_step_has_a_value_and_unit(bamboo, example) -> None:
    for step in bamboo.estimate(example).steps:
        assert step.name and step.equation and step.unit
        Decimal(step.value)


def test_components_add_up_to_net_within_one_kg(bamboo, example) -> None:
    """Each field is rounded on its own; the identity holds to ±1 kg."""
    example.update(baseline_net_kg_co2e=1234, leakage_kg_co2e=56)
    estimate = bamboo.estimate(example)
    recomposed = (estimate.stock_change_kg_co2e - estimate.emissions_kg_co2e - 1234 - 56)
    assert abs(recomposed - estimate.net_kg_co2e) <= 1


# --- Registry and example ---------------------------------------------------------------------

def test_registry_lists_and_finds_the_bamboo_methodology(bamboo) -> None:
    """Without a version the latest (1.2.0) is returned; 1.0.0 and 1.1.0 stay registered."""
    assert bamboo in list_methodologies()
    assert get_methodology(bamboo.id, "1.2.0") is bamboo
    assert (bamboo.id, bamboo.version, bamboo.sink_type) == (
        "sinkledger.bamboo-moso-management", "1.2.0", "bamboo_forest")
    assert get_methodology(bamboo.id, "1.1.0").version == "1.1.0"
    assert get_methodology(bamboo.id, "1.0.0").version == "1.0.0"
    assert CJK.search(bamboo.title_zh) and bamboo.title_en


def test_registry_lists_every_sink_type() -> None:
    """One methodology per sink type (issue 5): bamboo forest, wetland and tea garden."""
    latest = {m.id: m for m in list_methodologies()}
    assert {m.sink_type for m in latest.values()} == {"bamboo_forest", "wetland", "tea_garden"}
    assert set(latest) == {"sinkledger.bamboo-moso-management", "sinkledger.wetland-lake-marsh",
                           "sinkledger.tea-garden"}


@pytest.mark.parametrize(("methodology_id", "version", "code"), [
    ("sinkledger.no-such-thing", None, "methodology_unknown"),
    ("sinkledger.bamboo-moso-management", "9.9.9", "methodology_version_unknown"),
])
def test_registry_refusals(methodology_id: str, version: str | None, code: str) -> None:
    with pytest.raises(MethodologyNotFound) as raised:
        get_methodology(methodology_id, version)
    assert raised.value.code == code
    assert isinstance(raised.value, LookupError) and isinstance(raised.value, MethodologyError)


def test_example_inputs_are_valid_and_positive(bamboo) -> None:
    """The shipped example estimates a positive net, with no warnings and no [M] parameter."""
    estimate = bamboo.estimate(bamboo.example_inputs())
    assert estimate.net_kg_co2e > 0
    assert estimate.warnings == ()
    assert not estimate.uses_unverified


def test_input_schema_describes_every_field(bamboo, example) -> None:
    """Each schema entry has unit, type, required and description; the example uses no other."""
    for entry in INPUT_SCHEMA.values():
        assert set(entry) == {"unit", "type", "required", "description"}
        assert isinstance(entry["required"], bool) and entry["description"]
    assert set(example) <= set(TOP_LEVEL_FIELDS)
    for event in example["events"]:
        assert {f"events[].{key}" for key in event} <= set(INPUT_SCHEMA)
    assert bamboo.input_schema is INPUT_SCHEMA


# --- Messages ---------------------------------------------------------------------------------

SAMPLE_DETAILS = dict(field="f", value="v", allowed="a", count=1, start="s", previous="p",
                      limit="l", detail="d", version="1", actual="x", low="0", high="1",
                      keys="k", years=1, days=1, offset_days=1, tolerance_days=30, first="a",
                      last="b", end="e", date="2024-01-01", unit="t C/ha/yr", what="w",
                      fill="-9999", source="src", hint="h", precision="12.5", plots=3,
                      needed=9, extra=6, by_stratum="A +6")
# Call name → position of the code argument, for every call that takes a message code.
CALLS_WITH_CODES = {"report": 1, "make_problem": 1, "single": 1, "build": 0, "warn": 0,
                    "choice": 3, "read_choice": 5, "read_non_negative_integer": 3,
                    "read_non_negative_decimal": 3, "_read_per_culm_map": 5,
                    "_positive_decimal_reader": 1}


def codes_used_in_source(paths: list[Path] | None = None) -> set[str]:
    """Message codes passed as literals to the calls of :data:`CALLS_WITH_CODES` in ``paths``."""
    codes = set()
    for path in paths if paths is not None else PACKAGE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            position = CALLS_WITH_CODES.get(name)
            if position is not None and len(node.args) > position:
                argument = node.args[position]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    codes.add(argument.value)
    return codes


def test_every_code_used_has_messages_in_both_languages() -> None:
    """Every refusal and warning code has zh and en messages (UI coverage)."""
    used = codes_used_in_source()
    assert len(used) > 30
    assert used <= set(ERROR_MESSAGES) | set(WARNING_MESSAGES)


def test_every_message_in_the_catalogue_is_used() -> None:
    """No dead messages: every catalogued code appears as a literal in the source."""
    source = " ".join(path.read_text(encoding="utf-8") for path in PACKAGE_DIR.glob("*.py")
                      if path.name != "messages.py")
    unused = [code for code in {**ERROR_MESSAGES, **WARNING_MESSAGES} if f'"{code}"' not in source]
    assert unused == []


@pytest.mark.parametrize("code", sorted({**ERROR_MESSAGES, **WARNING_MESSAGES}))
def test_every_message_formats_in_both_languages(code: str) -> None:
    message_zh, message_en = ({**ERROR_MESSAGES, **WARNING_MESSAGES})[code]
    assert CJK.search(message_zh.format(**SAMPLE_DETAILS))
    assert message_en.format(**SAMPLE_DETAILS).isascii() or "·" in message_en
    assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", code)


def test_a_record_written_before_1_1_0_still_loads(bamboo, example) -> None:
    """Records stored by 1.0.0 lack uncertainty_deduction_kg_co2e and one_off_claims."""
    old = get_methodology(bamboo.id, "1.0.0").estimate(example).to_dict()
    del old["uncertainty_deduction_kg_co2e"], old["one_off_claims"]
    restored = Estimate.from_dict(old)
    assert restored.uncertainty_deduction_kg_co2e == 0 and dict(restored.one_off_claims) == {}
    assert restored.methodology_version == "1.0.0"
