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


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    """Override of the root fixture of the same name.

    Methodologies are pure and must be testable while the service layer is being changed, so
    a failing ``sinkledger.services.registry`` import does not stop these tests; the few tests that do use
    the service import it themselves and fail loudly.
    """
    try:
        from argon2 import PasswordHasher

        import sinkledger.services.admin
    except ImportError:
        return
    monkeypatch.setattr(sinkledger.services.admin, "HASHER",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


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


@pytest.fixture
def wetland_example() -> dict[str, Any]:
    """A fresh copy of ``methodologies/examples/wetland_lake_marsh.json``."""
    return get_methodology("sinkledger.wetland-lake-marsh").example_inputs()


@pytest.fixture
def tea_example() -> dict[str, Any]:
    """A fresh copy of ``methodologies/examples/tea_garden.json``."""
    return get_methodology("sinkledger.tea-garden").example_inputs()
