"""Price index insurance (issue 22, docs/prices.md "Index insurance"): from the policy to money
reaching a household, on both backends.

Rule: payout = max(0, strike − index) × insured tonnes, the index the period's (or the latest
published month of it); settled once, only after the period, only by the insurer.
Rule: the payout goes to the insured collective and on to its households by the contract's
parcels (by area) and the households' shares: due items the collective pays.
"""

from __future__ import annotations

from sqlalchemy import text

from ledger.prices.method import Trade, compute
from tests.income.conftest import PARCELS, contract_no
from tests.ledger.conftest import assert_refused
from tests.prices.conftest import trade

POLICY = {"policy_no": "JZ-2025-0001", "insured_party_id": "COL-A", "contract_no": contract_no("COL-A"),
          "period_start": "2025-02-01", "period_end": "2025-04-30", "strike_fen_per_t": 7500, "insured_t": 1000,
          "premium_fen": 300_000}


def issue(income, request: str = "policy-1", **changes):  # type: ignore[no-untyped-def]
    svc = income.service
    sink, county = income.market
    return svc.prices.issue_policy(svc.actor("insurer"), request, **(POLICY | {"sink_type": sink,
                                                                               "county_code": county} | changes))


def test_a_policy_pays_out_when_the_index_falls_below_the_strike(market):  # type: ignore[no-untyped-def]
    """Given a policy at 75.00 CNY/t on 1,000 t over Feb-Apr 2025, and trades whose period index
    is 71.14 CNY/t, when the insurer settles it in May, then it pays 3.86 × 1,000 = 3,860 yuan to
    COL-A, split over the contract's parcels by area and to the households by share; the
    cooperative pays a household, whose statement shows it; verify and the check hold."""
    income = market
    svc = income.service
    policy = issue(income)
    assert policy["max_payout_fen"] == 7_500_000 and set(policy["parcel_codes"]) == {"HZ-BF-A01", "HZ-BF-A02"}
    trade(income, "s1", day="2025-03-03", price=7000, quantity=200)
    trade(income, "s2", day="2025-03-10", price=7300, quantity=100)
    trade(income, "s3", day="2025-03-17", price=25000, quantity=10)
    trade(income, "s4", day="2025-04-20", price=7200, quantity=50, seller="ENT-1-H", buyer="ENT-2-H")
    insurer = svc.actor("insurer")
    svc.clock.day = "2025-04-30"
    assert_refused("index_policy_period_not_ended", lambda: svc.prices.settle_policy(
        insurer, "settle-early", policy_no=POLICY["policy_no"], reference="PAY-1"))
    svc.clock.day = "2025-05-06"
    preview = svc.prices.preview_settlement(insurer, policy_no=POLICY["policy_no"])
    index = compute([Trade(1, "C", 200, 7000), Trade(2, "C", 100, 7300), Trade(3, "C", 10, 25000),
                     Trade(4, "E", 50, 7200)])["index_fen_per_t"]
    assert preview["basis"] == "period" and preview["index_fen_per_t"] == index == 7114
    assert preview["payout_fen"] == (7500 - 7114) * 1000
    done = svc.prices.settle_policy(insurer, "settle-1", policy_no=POLICY["policy_no"], reference="PICC-PAY-0501")
    assert done["payout_fen"] == 386_000 and done["insured_party_id"] == "COL-A"
    assert sum(line["amount_fen"] for line in done["lines"]) == 386_000
    households = {line["party_id"] for line in done["lines"] if line["role"] == "household"}
    assert households == set(PARCELS["HZ-BF-A01"][2]) | set(PARCELS["HZ-BF-A02"][2])
    assert_refused("index_policy_already_settled", lambda: svc.prices.settle_policy(
        insurer, "settle-2", policy_no=POLICY["policy_no"], reference="PICC-PAY-0502"))
    # the money reaches a household: the collective pays HH-A1 its lines
    coop = svc.actor("coop-a")
    view = svc.prices.policy(coop, policy_no=POLICY["policy_no"])
    due = [d for d in view["settlement"]["due_items"] if d["party_id"] == "HH-A1"]
    assert due and all(d["payer_party_id"] == "COL-A" for d in due)
    income.record_payment(coop, "pay-hh-a1", items=[{"due_id": d["id"], "amount_fen": d["amount_fen"]} for d in due],
                          paid_date="2025-05-08", reference="村转账-0508")
    statement = income.statement(svc.actor("hh-a1"), party_id="HH-A1", period_start="2025-05-01",
                                 period_end="2025-05-31")
    assert statement["totals"]["paid_fen"] == sum(d["amount_fen"] for d in due) > 0
    assert statement["totals"]["outstanding_fen"] == 0
    assert svc.verify().ok
    assert svc.prices.check_settlement(insurer, policy_no=POLICY["policy_no"])["ok"]
    with svc.db.engine.begin() as conn:  # a payout changed behind the journal's back
        conn.execute(text("UPDATE index_settlement SET payout_fen = payout_fen + 100"))
    assert not svc.verify().ok


def test_a_price_above_the_strike_pays_nothing_and_a_thin_period_falls_back_then_waits(market):  # type: ignore[no-untyped-def]
    income = market
    svc = income.service
    insurer = svc.actor("insurer")
    issue(income, "p-high", policy_no="JZ-HIGH", strike_fen_per_t=6000)
    issue(income, "p-thin", policy_no="JZ-THIN", period_start="2025-06-01", period_end="2025-08-31")
    trade(income, "h1", day="2025-03-03", price=7000)
    trade(income, "h2", day="2025-03-04", price=7000)
    trade(income, "h3", day="2025-03-05", price=7000, seller="ENT-1-H", buyer="ENT-2-H")
    svc.clock.day = "2025-05-06"
    out = svc.prices.settle_policy(insurer, "settle-high", policy_no="JZ-HIGH")
    assert out["payout_fen"] == 0 and out["index_fen_per_t"] == 7000 and out["lines"] == []
    trade(income, "t1", day="2025-07-01", price=6000)  # one trade in the thin period
    svc.clock.day = "2025-09-10"
    assert_refused("price_index_not_published", lambda: svc.prices.settle_policy(
        insurer, "settle-thin", policy_no="JZ-THIN", reference="X"))
    svc.clock.day = "2025-11-05"  # past the grace: settled with no index and no payout
    out = svc.prices.settle_policy(insurer, "settle-thin-2", policy_no="JZ-THIN")
    assert out["published"] is False and out["index_fen_per_t"] is None and out["payout_fen"] == 0
    assert out["basis"] == "none"
    assert svc.verify().ok


def test_bad_policies_are_refused_and_change_nothing(market):  # type: ignore[no-untyped-def]
    income = market
    svc = income.service
    with svc.db.read() as s:
        before = s.execute(text("SELECT COUNT(*) FROM journal_entry")).scalar_one()
    assert_refused("policy_period_in_past", lambda: issue(income, period_start="2024-12-01"))
    assert_refused("policy_period_invalid", lambda: issue(income, period_end="2025-02-10"))
    assert_refused("policy_period_invalid", lambda: issue(income, period_end="2035-02-10"))
    assert_refused("policy_period_invalid",
                   lambda: issue(income, period_start="2025-04-30", period_end="2025-02-01"))
    assert_refused("quantity_must_be_positive", lambda: issue(income, insured_t=0))
    assert_refused("value_invalid", lambda: issue(income, strike_fen_per_t=0))
    assert_refused("premium_exceeds_cover", lambda: issue(income, premium_fen=7_500_001))
    assert_refused("policy_insured_not_contract_collective", lambda: issue(income, insured_party_id="COL-B"))
    assert_refused("contract_not_found", lambda: issue(income, contract_no="NO-SUCH"))
    assert_refused("policy_contract_has_no_parcels_of_market", lambda: issue(income, sink_type="wetland"))
    assert_refused("not_permitted", lambda: svc.prices.issue_policy(
        svc.actor("coop-a"), "x", **(POLICY | {"sink_type": "bamboo_forest", "county_code": "330523"})))
    with svc.db.read() as s:
        assert s.execute(text("SELECT COUNT(*) FROM journal_entry")).scalar_one() == before
    issue(income)
    assert_refused("policy_no_taken", lambda: issue(income, "policy-2"))
    assert_refused("index_policy_not_found", lambda: svc.prices.settle_policy(
        svc.actor("insurer"), "s-x", policy_no="NOPE"))
    assert_refused("index_policy_not_found", lambda: svc.prices.policy(svc.actor("coop-b"),
                                                                       policy_no=POLICY["policy_no"]))
    assert svc.prices.policies(svc.actor("coop-b"))["total"] == 0
    assert svc.prices.policies(svc.actor("coop-a"))["total"] == 1
