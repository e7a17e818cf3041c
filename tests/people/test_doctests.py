"""The worked examples in the person register's docstrings run as tests (shapely style)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ("ledger.people.validation", "ledger.people.masking", "ledger.people.crypto", "sinkledger.demo.people")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):  # type: ignore[no-untyped-def]
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
