"""Docstring examples run as tests (shapely style), so worked numbers in docs stay true."""

import doctest
import importlib

import pytest

MODULES_WITH_EXAMPLES = [
    "methodologies.units",
    "methodologies.accounting",
    "methodologies.bamboo_forest_equations",
    "methodologies.wetland_equations",
    "methodologies.tea_garden_equations",
    "methodologies.soil",
    "methodologies.uncertainty",
    "methodologies.raster",
]


@pytest.mark.parametrize("module_name", MODULES_WITH_EXAMPLES)
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
