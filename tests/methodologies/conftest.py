"""Shared fixtures for methodology tests.

The example document is the one the demo and the docs use
(``methodologies/examples/bamboo_moso_management.json``), so tests, docs and demo agree.
"""

import copy
from typing import Any

import pytest

from methodologies.bamboo_forest import BambooMosoManagement
from methodologies.registry import get_methodology

BAMBOO_ID = "sinkledger.bamboo-moso-management"


@pytest.fixture(scope="session")
def bamboo() -> BambooMosoManagement:
    """The registered Moso bamboo management methodology."""
    return get_methodology(BAMBOO_ID)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def _example_document(bamboo: BambooMosoManagement) -> dict[str, Any]:
    return bamboo.example_inputs()


@pytest.fixture
def example(_example_document: dict[str, Any]) -> dict[str, Any]:
    """A fresh deep copy of the example input document, safe to mutate."""
    return copy.deepcopy(_example_document)
