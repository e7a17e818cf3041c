"""Fixtures for the instruments of issue 22 (compensation programmes, quota obligations): the
income scenario's world (a centre, three collectives with households and contracts, a bundle
issued to the centre; tests/income/conftest.py) plus a government authority and its officer."""

from __future__ import annotations

import pytest

from ledger.domain import PartyKind
from sinkledger.services.registry import SYSTEM_ACTOR
from tests.income.conftest import (  # noqa: F401 - the income world's fixtures, used here
    CENTRE,
    COLLECTIVES,
    PARCELS,
    contracted,
    income,
    issued,
    villages,
)
from tests.ledger.conftest import assert_refused, funded, held, registry  # noqa: F401

AUTHORITY = "AUTH-1"
OTHER_AUTHORITY = "AUTH-2"


def add_authorities(svc) -> None:  # type: ignore[no-untyped-def]
    for pid, user, name in ((AUTHORITY, "authority", "示例市生态环境局"), (OTHER_AUTHORITY, "authority2", "另一示例主管部门")):
        svc.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=PartyKind.authority.value, name=name,
                           county_code="330500")
        svc.create_user(username=user, password="password-1", role="authority", party_id=pid, display_name=user)


@pytest.fixture
def world(issued):  # type: ignore[no-untyped-def]  # noqa: F811
    """Given the income world with its bundle issued to the centre, and two authorities."""
    add_authorities(issued.service)
    return issued.service


def programme(svc, code: str = "HZ-EPC-1", *, request: str | None = None, **changes):  # type: ignore[no-untyped-def]
    terms = {"code": code, "name": "示例碳汇生态保护补偿", "reference": "示例环〔2026〕1号", "basis": "per_t",
             "rate_fen": 1_500, "budget_fen": 100_000_000, "sink_types": ["bamboo_forest", "wetland"],
             "county_codes": ["330523"], "vintage_from": 2021, "vintage_to": 2026, "period_start": "2020-01-01",
             "period_end": "2199-12-31"} | changes
    return svc.compensation.register_programme(svc.actor("authority"), request or f"prog:{code}", **terms)
