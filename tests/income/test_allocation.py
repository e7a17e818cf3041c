"""Properties of the one rounding rule and of a whole distribution plan (hypothesis).

For any sale, contributions, contracts and household shares: the allocations sum to the
proceeds exactly, no one gets a negative amount, and a re-run gives the same allocation.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.allocation import allocate_largest_remainder, split_share_bp
from ledger.income.distribution import ContractFacts, SaleFacts, plan_distribution
from ledger.income.terms import FIXED, PROCEEDS, PaymentTerms

keys = st.text(alphabet="ABCDEFGH0123456789-", min_size=1, max_size=6)
weights = st.dictionaries(keys, st.integers(0, 10**9), min_size=1, max_size=12).filter(lambda w: sum(w.values()) > 0)


@given(total=st.integers(0, 10**13), weights=weights)
def test_parts_sum_to_the_total_and_are_never_negative(total, weights):  # type: ignore[no-untyped-def]
    parts = allocate_largest_remainder(total, weights)
    assert sum(parts.values()) == total
    assert all(v >= 0 for v in parts.values())
    assert list(parts) == list(weights)


@given(total=st.integers(0, 10**13), weights=weights)
def test_each_part_is_its_exact_share_rounded_down_or_up(total, weights):  # type: ignore[no-untyped-def]
    parts = allocate_largest_remainder(total, weights)
    weight_sum = sum(weights.values())
    for key, weight in weights.items():
        assert total * weight // weight_sum <= parts[key] <= -(-total * weight // weight_sum)


@given(total=st.integers(0, 10**9), weights=weights)
def test_a_rerun_gives_the_same_allocation(total, weights):  # type: ignore[no-untyped-def]
    assert allocate_largest_remainder(total, dict(weights)) == allocate_largest_remainder(total, dict(weights))


def test_ties_go_to_the_first_key_in_the_order_given():
    assert allocate_largest_remainder(1, {"b": 1, "a": 1}) == {"b": 1, "a": 0}
    assert allocate_largest_remainder(2, {"x": 1, "y": 1, "z": 1}) == {"x": 1, "y": 1, "z": 0}
    assert split_share_bp(5, 5_000) == (3, 2)  # half a fen to the villages


@pytest.mark.parametrize("total, weights", [(1, {"a": 0}), (-1, {"a": 1}), (1, {"a": -1}), (1.5, {"a": 1}),
                                            (1, {"a": True})])
def test_impossible_splits_are_errors(total, weights):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        allocate_largest_remainder(total, weights)


# --- whole plans --------------------------------------------------------------------------------

parcel_codes = st.sampled_from([f"P{i:02d}" for i in range(8)])
households = st.dictionaries(st.sampled_from([f"HH-{i}" for i in range(6)]), st.integers(1, 9_999), max_size=4)


def _shares(raw: dict[str, int]) -> dict[str, int]:
    """Scale arbitrary positive weights to whole basis points summing to 10,000."""
    return allocate_largest_remainder(10_000, raw) if raw else {}


terms = st.one_of(
    st.builds(PaymentTerms, kind=st.just(PROCEEDS), share_bp=st.integers(1, 10_000), cost_share_bp=st.integers(0, 10_000),
              cost_fen_per_t=st.integers(0, 100_000)),
    st.builds(PaymentTerms, kind=st.just(FIXED), fen_per_mu_per_year=st.integers(1, 10**6)))


@st.composite
def sales(draw):  # type: ignore[no-untyped-def]
    batches = draw(st.lists(st.sampled_from(["B/1", "B/2", "B/3", "IMPORTED/1"]), min_size=1, max_size=4, unique=True))
    contributions = {b: draw(st.dictionaries(parcel_codes, st.integers(0, 5_000), max_size=6)) if b[0] == "B" else {}
                     for b in batches}
    sold = {b: draw(st.integers(1, max(1, sum(contributions[b].values())) or 1)) for b in batches}
    contracts = {f"C{i}": ContractFacts(contract_no=f"C{i}", collective_party_id=f"COL-{i}", centre_party_id="CENTRE",
                                        terms=draw(terms)) for i in range(3)}
    contract_of = {(b, p): draw(st.sampled_from(["C0", "C1", "C2", None]))
                   for b in batches for p in contributions[b]}
    shares = {p: _shares(draw(households)) for p in {p for c in contributions.values() for p in c}}
    price = draw(st.integers(0, 20_000))
    return SaleFacts(amount_fen=price * sum(sold.values()), seller_party_id="CENTRE", sold_t=sold,
                     contributions=contributions, contract_of={k: v for k, v in contract_of.items() if v},
                     contracts=contracts, household_shares_bp=shares)


@settings(max_examples=300, deadline=None)
@given(facts=sales())
def test_a_plan_sums_to_the_proceeds_never_negative_and_reproducible(facts):  # type: ignore[no-untyped-def]
    plan = plan_distribution(facts)
    assert sum(line["amount_fen"] for line in plan["lines"]) == facts.amount_fen
    assert all(line["amount_fen"] >= 0 for line in plan["lines"])
    assert plan == plan_distribution(facts)
    assert sum(t["sold_t"] for t in plan["sold"]) == sum(facts.sold_t.values())
    for contract in plan["contracts"]:
        assert contract["gross_fen"] == contract["costs_fen"] + contract["villages_fen"] + contract["centre_fen"]
        assert 0 <= contract["costs_fen"] <= contract["gross_fen"]
        paid = sum(x["amount_fen"] for x in plan["lines"] if x["contract_no"] == contract["contract_no"]
                   and x["role"] in ("household", "collective"))
        assert paid == contract["villages_fen"]
