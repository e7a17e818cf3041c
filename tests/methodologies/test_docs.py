"""The methodology page documents what the code does (datasette-style coverage tests).

``docs/methodologies/bamboo-moso-management.md`` must name every parameter, input field,
warning and refusal code, show the shipped example verbatim, and state the example's result.
"""

import json
import re
from pathlib import Path

import pytest

from methodologies.base import load_parameter_csv
from methodologies.bamboo_forest import PARAMETER_FILE
from methodologies.bamboo_forest_inputs import INPUT_SCHEMA
from methodologies.messages import ERROR_MESSAGES, WARNING_MESSAGES

DOC = Path(__file__).resolve().parents[2] / "docs" / "methodologies" / "bamboo-moso-management.md"
# Codes raised by shared helpers outside a bamboo estimate (registry, ledger helpers, records).
NOT_RAISED_BY_BAMBOO_ESTIMATE = {
    "inputs_are_invalid", "uncertainty_profile_unknown",
    "parameter_key_unknown", "parameter_key_is_duplicated", "parameter_file_is_malformed",
    "methodology_unknown", "methodology_version_unknown", "kg_co2e_must_not_be_negative",
    "kg_co2e_must_be_an_integer", "uncertainty_must_not_be_negative",
    "estimate_record_is_malformed",
}


@pytest.fixture(scope="module")
def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_parameter_is_documented(doc_text: str) -> None:
    for key in load_parameter_csv(PARAMETER_FILE):
        assert f"`{key}`" in doc_text, key


def test_every_input_field_is_documented(doc_text: str) -> None:
    for field in INPUT_SCHEMA:
        assert f"`{field}`" in doc_text, field


def test_every_warning_and_refusal_code_is_documented(doc_text: str) -> None:
    for code in [*WARNING_MESSAGES, *ERROR_MESSAGES]:
        if code not in NOT_RAISED_BY_BAMBOO_ESTIMATE:
            assert f"`{code}`" in doc_text, code


def test_the_documented_example_is_the_shipped_example(doc_text: str, bamboo) -> None:
    block = re.search(r"```json\n(.*?)```", doc_text, re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == bamboo.example_inputs()


def test_the_documented_result_matches_the_estimate(doc_text: str, bamboo) -> None:
    estimate = bamboo.estimate(bamboo.example_inputs(), gwp_profile="AR5")
    for field in ("stock_change_kg_co2e", "emissions_kg_co2e", "net_kg_co2e"):
        assert f"| `{field}` | {getattr(estimate, field)} |" in doc_text, field
    gross = estimate.informational["gross_annual_fixation_t_c_per_ha_yr"]
    assert f"{gross:.3f} t C/ha/yr" in doc_text
