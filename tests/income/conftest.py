"""Fixtures for income scenarios: a centre, three collectives with households, contracts, a bundle.

Everything is synthetic: collectives are "示例" villages, households appear by pseudonym only.
The parcels are rectangles north of Anji's demo parcels, sized so that one bundle issues a few
thousand credits.
"""

from __future__ import annotations

import pytest

import ledger.income.store  # noqa: F401 - registers the income tables before the schema is created
from ledger.domain import PartyKind
from sinkledger.services.income import IncomeService
from sinkledger.services.registry import SYSTEM_ACTOR
from tests.ledger.conftest import BAMBOO, assert_refused, held, pledged, registry  # noqa: F401

PRICE_FEN_PER_T = 7_341  # 73.41 CNY/t
SOLD_T = 2_000
CENTRE = "CENTRE-1"
COLLECTIVES = {"COL-A": "示例甲村股份经济合作社", "COL-B": "示例乙村股份经济合作社", "COL-C": "示例丙村股份经济合作社"}
# parcel → (collective, width in degrees of longitude, household shares in basis points)
PARCELS = {
    "HZ-BF-A01": ("COL-A", 0.015, {"HH-A1": 3334, "HH-A2": 3333, "HH-A3": 3333}),
    "HZ-BF-A02": ("COL-A", 0.012, {"HH-A1": 5000, "HH-A2": 5000}),
    "HZ-BF-B01": ("COL-B", 0.014, {"HH-B1": 7000, "HH-B2": 3000}),
    "HZ-BF-B02": ("COL-B", 0.011, {}),  # collectively managed: no household shares
    "HZ-BF-C01": ("COL-C", 0.016, {"HH-C1": 10_000}),
    "HZ-BF-C02": ("COL-C", 0.013, {"HH-C1": 2500, "HH-C2": 2500, "HH-C3": 5000}),
}
HOUSEHOLDS = sorted({h for _, _, shares in PARCELS.values() for h in shares})
TERMS = {  # 80 % of net proceeds to the villages; stated costs differ
    "COL-A": {"kind": "proceeds_share", "share_bp": 8000, "cost_share_bp": 500, "cost_fen_per_t": 200,
              "costs_note": "交易服务费 5%，监测核证费 2 元/吨"},
    "COL-B": {"kind": "proceeds_share", "share_bp": 8000, "cost_fen_per_t": 300, "costs_note": "监测核证费 3 元/吨"},
    "COL-C": {"kind": "proceeds_share", "share_bp": 8000},
}
PROJECT = "HZBUNDLE1"



def rectangle(west: float, south: float, width: float, height: float = 0.012) -> dict:
    east, north = west + width, south + height
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


@pytest.fixture
def villages(registry):  # type: ignore[no-untyped-def]  # noqa: F811
    """Given a collection centre, three collectives with their households (pseudonyms) and parcels."""
    svc = registry
    parties = [(CENTRE, PartyKind.collection_centre, "示例收储中心"),
               *((pid, PartyKind.collective, name) for pid, name in COLLECTIVES.items()),
               *((h, PartyKind.household, f"农户 {h}（化名）") for h in HOUSEHOLDS)]
    for pid, kind, name in parties:
        svc.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=name, county_code="330523")
    users = [("centre", "collection_centre", CENTRE), ("coop-a", "cooperative", "COL-A"),
             ("coop-b", "cooperative", "COL-B"), ("hh-a1", "household", "HH-A1"), ("hh-b1", "household", "HH-B1")]
    for user, role, pid in users:
        svc.create_user(username=user, password="password-1", role=role, party_id=pid, display_name=user)
    rows = {"COL-A": 30.700, "COL-B": 30.713, "COL-C": 30.726}
    west = {c: 119.200 for c in rows}
    for code, (collective, width, shares) in PARCELS.items():
        svc.register_parcel(svc.actor("centre"), f"reg:{code}", parcel_code=code, sink_type="bamboo_forest",
                            holder_party_id=collective, geometry=rectangle(west[collective], rows[collective], width),
                            county_code="330523", household_shares_bp=shares)
        west[collective] += width + 0.0005
    return svc


@pytest.fixture
def income(villages):  # type: ignore[no-untyped-def]
    return IncomeService(villages)


def contract_no(collective: str) -> str:
    return f"AJSC-2021-{collective[-1]}"


@pytest.fixture
def contracted(income):  # type: ignore[no-untyped-def]
    """Given 30-year collection contracts between the centre and each collective (80 % proceeds share)."""
    svc = income.service
    for collective in COLLECTIVES:
        codes = [c for c, (col, _, _) in PARCELS.items() if col == collective]
        svc.collect(svc.actor("centre"), f"col:{collective}", contract_no=contract_no(collective),
                    collective_party_id=collective, parcel_codes=codes, term_start="2021-01-01",
                    term_end="2051-01-01", signed_date="2020-12-20", payment_terms=TERMS[collective])
    return income


def bundle(income, request: str = "bundle"):  # type: ignore[no-untyped-def]
    """Register the bundled project over all six parcels (monitoring every 24 months from 2021-11-15)."""
    return income.register_project(income.service.actor("centre"), f"{request}:project", project_code=PROJECT,
                                   name="示例毛竹林碳汇打捆项目", sink_type="bamboo_forest", methodology_id=BAMBOO,
                                   monitoring_start="2021-11-15", interval_months=24, parcel_codes=sorted(PARCELS))


def issue_bundle(income, request: str = "bundle"):  # type: ignore[no-untyped-def]
    """Estimate the bundle for its first monitoring period and issue it (10 % buffer)."""
    from methodologies.registry import get_methodology

    svc = income.service
    inputs = get_methodology(BAMBOO).example_inputs()
    est = income.estimate_project(svc.actor("centre"), f"{request}:estimate", project_code=PROJECT, inputs=inputs,
                                  period_index=0)
    return income.issue_project(svc.actor("verifier"), f"{request}:issue", project_code=PROJECT,
                                estimate_id=est["estimate_id"], verified_kg_co2e=est["net_kg_co2e"],
                                buffer_share_bp=1000)


@pytest.fixture
def issued(contracted):  # type: ignore[no-untyped-def]
    """Given the bundle issued to the centre."""
    bundle(contracted)
    contracted.issuance = issue_bundle(contracted)  # type: ignore[attr-defined]
    return contracted


def sell(income, quantity: int = SOLD_T, request: str = "sale-1", price: int = PRICE_FEN_PER_T):  # type: ignore[no-untyped-def]
    svc = income.service
    return svc.sell(svc.actor("clerk"), request, seller_account=f"{CENTRE}-H", buyer_account="ENT-1-H",
                    quantity=quantity, price_fen_per_t=price, contract_no="HZGT-2024-001")


@pytest.fixture
def sold(issued):  # type: ignore[no-untyped-def]
    """Given 2,000 t of the bundle sold to an enterprise at 73.41 CNY/t."""
    issued.sale = sell(issued)  # type: ignore[attr-defined]
    return issued
