"""Contributions: every credit of every batch traces back to parcels, in tonnes and kg."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ledger.income.contributions import issuance_contributions, split_contributions
from ledger.store import JournalRow
from tests.income.conftest import PARCELS


@given(verified=st.integers(1_000, 10**9),
       batches=st.lists(st.integers(1, 10**5), min_size=1, max_size=4),
       weights=st.lists(st.integers(10_000, 10**10), min_size=1, max_size=8))
def test_contributions_sum_to_each_batch_and_to_the_verified_kg(verified, batches, weights):  # type: ignore[no-untyped-def]
    quantities = {f"B/{i}": q for i, q in enumerate(batches)}
    parcel_weights = {f"P{i:02d}": w for i, w in enumerate(weights)}
    rows = split_contributions(verified, quantities, parcel_weights)
    for batch_id, quantity in quantities.items():
        assert sum(r["quantity_t"] for r in rows if r["batch_id"] == batch_id) == quantity
    assert sum(r["kg_co2e"] for r in rows) == verified
    assert all(r["quantity_t"] >= 0 and r["kg_co2e"] >= 0 for r in rows)
    assert rows == split_contributions(verified, quantities, parcel_weights)


def test_a_single_parcel_issuance_is_all_that_parcels(contracted):  # type: ignore[no-untyped-def]
    """Given an ordinary issuance of one parcel (not a bundle), its credits trace to that parcel."""
    from methodologies.registry import get_methodology

    income = contracted
    svc = income.service
    inputs = get_methodology("sinkledger.bamboo-moso-management").example_inputs()
    est = svc.record_estimate(svc.actor("centre"), "est:one", parcel_codes=["HZ-BF-B02"],
                              methodology_id="sinkledger.bamboo-moso-management", inputs=inputs)
    out = svc.issue(svc.actor("verifier"), "iss:one", estimate_id=est["estimate_id"],
                    verified_kg_co2e=est["net_kg_co2e"], project_code="AJBF09", buffer_share_bp=1000)
    assert out["to_account"] == "CENTRE-1-H" and out["contributions_t"] == {"HZ-BF-B02": out["issued_t"]}
    trace = income.trace_batch(svc.actor("centre"), out["batches"][0]["batch_id"])
    assert trace["parcels"][0]["contract_no"] == "AJSC-2021-B"
    assert trace["parcels"][0]["household_shares_bp"] == {}


def test_derived_contributions_equal_the_recorded_ones(issued):  # type: ignore[no-untyped-def]
    """The figures are a pure function of the journal: re-deriving them gives the recorded rows."""
    income = issued
    seq = issued.issuance["seq"]
    with income.service.db.read() as s:
        payload = json.loads(s.get(JournalRow, seq).body)["payload"]
        derived = issuance_contributions(s, seq, payload)
    assert derived == payload["contributions"]
    assert {r["parcel_code"] for r in derived} == set(PARCELS)
    assert sum(r["kg_co2e"] for r in derived) == payload["verified_kg_co2e"]


def test_a_batchs_trace_reads_its_parcels_together_and_a_parcels_part_alone(issued, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The trace reads the batch's parcels and their contracts in one statement per 500 parcels
    (two a parcel before: 3,400 statements, 1.9 s, for a county batch on the parcel page); each
    parcel's holder, shares and contract are those of the parcel and of ``contract_for``; asked
    for one parcel, the trace holds that parcel's part alone, the batch's figures unchanged."""
    from sqlmodel import select

    from ledger.income import distribution
    from ledger.store import BatchRow
    from sinks.store import ParcelRow

    income = issued
    centre = income.service.actor("centre")
    batch_id = issued.issuance["batches"][0]["batch_id"]
    whole = income.trace_batch(centre, batch_id)
    assert {p["parcel_code"] for p in whole["parcels"]} == set(PARCELS) and whole["recorded"] is True
    with income.service.db.read() as s:
        batch = s.get(BatchRow, batch_id)
        for part in whole["parcels"]:
            parcel = s.exec(select(ParcelRow).where(ParcelRow.parcel_code == part["parcel_code"])).one()
            assert part["holder_party_id"] == parcel.holder_party_id
            assert part["household_shares_bp"] == json.loads(parcel.household_shares or "{}")
            assert part["contract_no"] == (distribution.contract_for(s, part["parcel_code"], batch) or None)
    monkeypatch.setattr(distribution, "_CODES_PER_QUERY", 1)  # one statement a parcel: the same trace
    assert income.trace_batch(centre, batch_id) == whole
    for part in whole["parcels"]:
        alone = income.trace_batch(centre, batch_id, part["parcel_code"])
        assert alone["parcels"] == [part] and {k: v for k, v in alone.items() if k != "parcels"} == \
            {k: v for k, v in whole.items() if k != "parcels"}
    assert income.trace_batch(centre, batch_id, "HZ-NOT-HERE")["parcels"] == []
