"""The demo's people: synthetic, format-valid, collected by the demo centre, paid by ``cashier``."""

from __future__ import annotations

import stat

from ledger.people.validation import check_person
from sinkledger.demo.people import DEMO_PAYMENT_OFFICER, seed_demo_people, synthetic_person
from sinkledger.services.people import PeopleService
from tests.people.conftest import add_households


def test_synthetic_people_are_valid_distinct_and_plainly_fake():
    from datetime import date

    people = [synthetic_person(n) for n in range(1, 300)]
    for p in people:
        assert check_person(p, today=date(2025, 1, 1)) == p
        assert p["name"].startswith("演示") and p["phone"].startswith("1390000") and "（虚构）" in p["bank_name"]
    assert len({p["resident_id"] for p in people}) == len({p["bank_account"] for p in people}) == len(people)


def test_seeding_the_demo_people_is_idempotent(registry, tmp_path):  # type: ignore[no-untyped-def]
    """Given households and a centre, when the demo people are seeded twice, then every household
    has details, ``cashier`` is the centre's payment officer, and a generated key file (0600) holds
    the key; a corrected person is not overwritten by the second run."""
    add_households(registry)
    first = seed_demo_people(registry, password="password-1")
    assert first == {"people": 3, "payment_officer": DEMO_PAYMENT_OFFICER, "handler_party_id": "CENTRE-1"}
    assert stat.S_IMODE((tmp_path / "data.key").stat().st_mode) == 0o600
    api = PeopleService(registry)
    cashier = registry.actor(DEMO_PAYMENT_OFFICER)
    assert api.view(cashier, "HH-1", "revenue_payment")["bank_account"] == synthetic_person(1)["bank_account"]
    api.correct(cashier, party_id="HH-1", changes={"phone": "13900001111"}, reason="核对")
    assert seed_demo_people(registry, password="password-1") == first
    assert api.view(registry.actor("hh"), "HH-1", "self_access")["phone"] == "13900001111"
    assert [d["username"] for d in api.designations(registry.actor("admin"))] == [DEMO_PAYMENT_OFFICER]
