"""Each methodology page documents what the code does (datasette-style coverage tests).

A page must name every parameter of its CSV, every input field, every warning and refusal code
its modules (and the shared input, uncertainty and netting modules) can raise, show the shipped
example verbatim, and state the example's result as the code computes it.
"""

import json
import re
from pathlib import Path

import pytest

from methodologies.base import load_parameter_csv
from methodologies.registry import get_methodology
from tests.methodologies.test_interface import PACKAGE_DIR, codes_used_in_source

DOCS = Path(__file__).resolve().parents[2] / "docs" / "methodologies"
SHARED_MODULES = ("inputs.py", "uncertainty.py", "netting.py", "parameter_checks.py")
PAGES = {
    "sinkledger.bamboo-moso-management": ("bamboo-moso-management.md",
                                          "bamboo_moso_management.csv", ("bamboo_forest",)),
    "sinkledger.wetland-lake-marsh": ("wetland-lake-marsh.md", "wetland_lake_marsh.csv",
                                      ("wetland", "fields.py")),
    "sinkledger.tea-garden": ("tea-garden.md", "tea_garden.csv",
                              ("tea_garden", "fields.py", "soil.py")),
}
# Bamboo reads area and period through fields.py but none of its stock-event helpers.
BAMBOO_FIELDS_CODES = {"area_ha_must_be_positive", "period_end_must_be_after_period_start"}
# Shared-module codes a methodology cannot reach (it calls no function that raises them).
NOT_RAISED = {"sinkledger.bamboo-moso-management": set(),
              "sinkledger.wetland-lake-marsh": {"field_does_not_apply_to_method"},
              "sinkledger.tea-garden": {"percent_must_be_between_0_and_100",
                                        "value_must_be_a_boolean"}}


def page(methodology_id: str) -> str:
    return (DOCS / PAGES[methodology_id][0]).read_text(encoding="utf-8")


def codes_for(methodology_id: str) -> set[str]:
    prefixes = PAGES[methodology_id][2]
    paths = [path for path in PACKAGE_DIR.glob("*.py")
             if path.name.startswith(prefixes) or path.name in SHARED_MODULES]
    codes = codes_used_in_source(paths)
    if methodology_id.endswith("moso-management"):
        codes |= BAMBOO_FIELDS_CODES
    # units_must_match is a programming error (UnitMismatch), never an input refusal.
    return codes - NOT_RAISED[methodology_id] - {"units_must_match"}


@pytest.mark.parametrize("methodology_id", sorted(PAGES))
def test_every_parameter_is_documented(methodology_id: str) -> None:
    text = page(methodology_id)
    for key in load_parameter_csv(PAGES[methodology_id][1]):
        assert f"`{key}`" in text, key


@pytest.mark.parametrize("methodology_id", sorted(PAGES))
def test_every_input_field_is_documented(methodology_id: str) -> None:
    text = page(methodology_id)
    for field in get_methodology(methodology_id).input_schema:
        assert f"`{field}`" in text, field


@pytest.mark.parametrize("methodology_id", sorted(PAGES))
def test_every_warning_and_refusal_code_is_documented(methodology_id: str) -> None:
    text = page(methodology_id)
    codes = codes_for(methodology_id)
    assert len(codes) > 20
    for code in codes:
        assert f"`{code}`" in text, code


@pytest.mark.parametrize("methodology_id", sorted(PAGES))
def test_the_documented_example_is_the_shipped_example(methodology_id: str) -> None:
    block = re.search(r"```json\n(.*?)```", page(methodology_id), re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == get_methodology(methodology_id).example_inputs()


@pytest.mark.parametrize("methodology_id", sorted(PAGES))
def test_the_documented_result_matches_the_estimate(methodology_id: str) -> None:
    methodology = get_methodology(methodology_id)
    estimate = methodology.estimate(methodology.example_inputs(), gwp_profile="AR5")
    text = page(methodology_id)
    for field in ("stock_change_kg_co2e", "emissions_kg_co2e", "uncertainty_deduction_kg_co2e",
                  "net_kg_co2e"):
        assert f"| `{field}` | {getattr(estimate, field)} |" in text, field


def test_the_bamboo_gross_fixation_is_documented() -> None:
    bamboo = get_methodology("sinkledger.bamboo-moso-management")
    gross = bamboo.estimate(bamboo.example_inputs()).informational[
        "gross_annual_fixation_t_c_per_ha_yr"]
    assert f"{gross:.3f} t C/ha/yr" in page("sinkledger.bamboo-moso-management")


def test_the_index_lists_every_methodology_and_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for methodology_id, (name, _, _) in PAGES.items():
        assert f"`{methodology_id}`" in index and f"({name})" in index
