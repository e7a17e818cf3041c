"""Fixtures for the person register: households with synthetic details, centres, a designated
payment officer, a collective whose parcel two of the households share in.

Every person here is synthetic: names start with 演示/测试, ID numbers are generated with valid
check characters, phones are 139-0000-nnnn, accounts are UnionPay-format test numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import ledger.people.store  # noqa: F401 - registers the person tables before the schema is created
from ledger.domain import PartyKind
from sinkledger.demo.people import synthetic_person
from sinkledger.services.people import PeopleService
from sinkledger.services.registry import SYSTEM_ACTOR
from tests.ledger.conftest import assert_refused, registry  # noqa: F401 - fixtures and helpers reused here

TEST_KEY = bytes(range(32))
PURPOSE = "收储合同碳汇收益分配与支付（测试）"
CONSENT = "2024-03-01"
# A small synthetic bamboo parcel of COL-1 (away from the demo parcels and the court tests' big one).
SHARED_PARCEL = {"type": "Polygon", "coordinates": [[[119.90, 30.50], [119.902, 30.50], [119.902, 30.502],
                                                     [119.90, 30.502], [119.90, 30.50]]]}
HOUSEHOLDS = (("HH-1", "农户 HH-1（化名）"), ("HH-2", "农户 HH-2（化名）"), ("HH-3", "农户 HH-3（化名）"))
CENTRES = (("CENTRE-1", "示例收储中心"), ("CENTRE-2", "另一示例收储中心"))
PEOPLE_USERS = (("centre", "collection_centre", "CENTRE-1"), ("cashier", "collection_centre", "CENTRE-1"),
                ("centre2", "collection_centre", "CENTRE-2"), ("hh", "household", "HH-1"),
                ("hh2", "household", "HH-2"), ("court", "court", "COURT-X"), ("proc", "procurator", "PROC-X"),
                ("public", "public", "PUB-X"))
HANDLERS = {"HH-1": "CENTRE-1", "HH-2": "CENTRE-1", "HH-3": "CENTRE-2"}


@dataclass
class Registered:
    """The people of the fixture: their details as registered (to compare and to scan for)."""

    api: PeopleService
    details: dict[str, dict[str, str]]

    def actor(self, username: str):  # type: ignore[no-untyped-def]
        return self.api.service.actor(username)


def add_households(service) -> None:  # type: ignore[no-untyped-def]
    """Given households, two centres, a court, a procurator, the public, and their users."""
    parties = [(pid, PartyKind.household, name) for pid, name in HOUSEHOLDS]
    parties += [(pid, PartyKind.collection_centre, name) for pid, name in CENTRES]
    parties += [("COURT-X", PartyKind.court, "示例法院"), ("PROC-X", PartyKind.procuratorate, "示例检察院"),
                ("PUB-X", PartyKind.public, "公众")]
    for pid, kind, name in parties:
        service.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=name, county_code="330523")
    for user, role, pid in PEOPLE_USERS:
        service.create_user(username=user, password="password-1", role=role, party_id=pid, display_name=user)
    service.register_parcel(service.actor("coop"), "reg:shared", parcel_code="AJ-BF-9901", sink_type="bamboo_forest",
                            holder_party_id="COL-1", geometry=SHARED_PARCEL, county_code="330523",
                            household_shares_bp={"HH-1": 6000, "HH-2": 4000})


@pytest.fixture
def people(registry):  # type: ignore[no-untyped-def]  # noqa: F811 - the fixture imported above
    """Given three households with synthetic details (HH-1, HH-2 collected by CENTRE-1, HH-3 by
    CENTRE-2), HH-1 and HH-2 sharing in a parcel of COL-1, and ``cashier`` designated payment
    officer of CENTRE-1."""
    add_households(registry)
    api = PeopleService(registry, data_key=TEST_KEY)
    admin = registry.actor("admin")
    api.designate(admin, username="cashier")
    details = {}
    for n, (pid, _) in enumerate(HOUSEHOLDS, start=1):
        details[pid] = synthetic_person(n) | {"name": f"测试{'甲乙丙'[n - 1]}某"}
        api.register(admin, party_id=pid, **details[pid], purpose=PURPOSE, consent_date=CONSENT,
                     handler_party_id=HANDLERS[pid])
    return Registered(api, details)
