"""Docstring examples in sinks/ run as tests (shapely style), so worked numbers stay true."""

import doctest
import importlib

import pytest

MODULES_WITH_EXAMPLES = ["sinks", "sinks.attributes", "sinks.crs", "sinks.encoding", "sinks.geometry", "sinks.mapping",
                         "sinks.overlap", "sinks.problems", "sinks.tenure", "sinks.gcj02"]


@pytest.mark.parametrize("module_name", MODULES_WITH_EXAMPLES)
def test_docstring_examples(module_name: str) -> None:
    result = doctest.testmod(importlib.import_module(module_name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
