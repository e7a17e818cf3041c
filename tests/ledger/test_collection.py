"""Collection (收储): sink rights pass to the centre; credits issued in the term accrue to it."""

from __future__ import annotations

import pytest

from ledger.domain import PartyKind
from sinkledger import catalogue
from sinkledger.services.registry import SYSTEM_ACTOR
from sinkledger_base.errors import SinkLedgerError
from tests.ledger.conftest import BAMBOO, demo_parcel_inputs, held

TERMS = {"kind": "proceeds_share", "share_bp": 8000, "costs_note": "监测核证费用"}


@pytest.fixture
def centre(registry):  # type: ignore[no-untyped-def]
    svc = registry
    svc.register_party(SYSTEM_ACTOR, "p:CENTRE", party_id="CENTRE-1", kind=PartyKind.collection_centre.value,
                       name="示例收储中心", county_code="330523")
    svc.create_user(username="centre", password="password-1", role="collection_centre", party_id="CENTRE-1", display_name="c")
    for code in ("AJ-BF-0001", "AJ-BF-0002"):
        geometry, _ = demo_parcel_inputs(code)
        svc.register_parcel(svc.actor("coop"), f"reg:{code}", parcel_code=code, sink_type="bamboo_forest",
                            holder_party_id="COL-1", geometry=geometry, county_code="330523")
    return svc


def collect(svc, request="col-1", actor="centre", **kw):  # type: ignore[no-untyped-def]
    args = dict(contract_no="AJSC-2022-001", collective_party_id="COL-1", parcel_codes=["AJ-BF-0001"],
                term_start="2022-01-01", term_end="2052-01-01", signed_date="2021-12-20", payment_terms=TERMS)
    args.update(kw)
    return svc.collect(svc.actor(actor), request, **args)


def test_credits_of_collected_parcels_accrue_to_the_centre(centre):  # type: ignore[no-untyped-def]
    """Given a 30-year proceeds-share contract on AJ-BF-0001, when it is issued, the centre holds the
    credits; AJ-BF-0002, not collected, issues to its collective."""
    svc = centre
    out = collect(svc)
    assert out["centre_account"] == "CENTRE-1-H" and out["payment_terms"]["share_bp"] == 8000
    for code in ("AJ-BF-0001", "AJ-BF-0002"):
        _, inputs = demo_parcel_inputs(code)
        est = svc.record_estimate(svc.actor("coop"), f"est:{code}", parcel_codes=[code], methodology_id=BAMBOO,
                                  inputs=inputs)
        iss = svc.issue(svc.actor("verifier"), f"iss:{code}", estimate_id=est["estimate_id"],
                        verified_kg_co2e=est["net_kg_co2e"], project_code="AJBF01", buffer_share_bp=1000)
        expected = "CENTRE-1-H" if code == "AJ-BF-0001" else "COL-1-H"
        assert iss["to_account"] == expected
        assert held(svc, expected) >= iss["issued_t"] - iss["buffer_t"] > 0
    assert svc.verify().ok


def test_a_parcel_is_under_one_contract_at_a_time(centre):  # type: ignore[no-untyped-def]
    svc = centre
    collect(svc)
    with pytest.raises(SinkLedgerError) as exc:
        collect(svc, "col-2", contract_no="AJSC-2030-009", term_start="2030-01-01", term_end="2040-01-01")
    assert exc.value.code == "parcel_under_contract" and "AJSC-2022-001" in catalogue.messages(exc.value)[1]
    # After the term, a new contract may start.
    collect(svc, "col-3", contract_no="AJSC-2052-001", term_start="2052-01-01", term_end="2062-01-01")


@pytest.mark.parametrize("change, code", [
    ({"actor": "coop"}, "not_permitted"),
    ({"parcel_codes": ["NO-SUCH"]}, "parcel_not_found"),
    ({"term_end": "2021-01-01"}, "period_invalid"),
    ({"payment_terms": {"kind": "proceeds_share", "share_bp": 12000}}, "value_invalid"),
    ({"payment_terms": {"kind": "barter"}}, "value_invalid"),
    ({"collective_party_id": "ENT-1"}, "party_not_found"),
    ({"signed_date": "yesterday"}, "value_invalid"),
])
def test_collection_refusals(centre, change, code):  # type: ignore[no-untyped-def]
    svc = centre
    head = svc.verify().head_hash
    with pytest.raises(SinkLedgerError) as exc:
        collect(svc, "bad", **change)
    assert exc.value.code == code
    assert svc.verify().head_hash == head
