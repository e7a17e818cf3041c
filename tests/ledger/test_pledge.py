"""Pledge (质押), release (解押) and default transfer, as scenarios."""

from __future__ import annotations

from sinkledger import catalogue
from tests.ledger.conftest import assert_refused, held, pledged


def pledge(svc, quantity, request="pl-1", **kw):  # type: ignore[no-untyped-def]
    return svc.pledge(svc.actor(kw.pop("actor", "bank")), request, account_id="COL-1-H", quantity=quantity,
                      loan_reference="碳汇共富贷-0001", loan_amount_fen=50_000_000, term_end="2027-12-31", **kw)



def test_pledged_credits_cannot_be_sold_or_retired_until_released(funded):  # type: ignore[no-untyped-def]
    """Given COL-1 holds credits, when the bank pledges all but 2, then only 2 can be sold, and after
    the release all can."""
    svc = funded
    total = held(svc, "COL-1-H")
    p = pledge(svc, total - 2)
    assert (held(svc, "COL-1-H"), pledged(svc, "COL-1-H")) == (2, total - 2)
    head = svc.verify().head_hash
    err = assert_refused("credits_short_pledged", lambda: svc.sell(svc.actor("clerk"), "s1", seller_account="COL-1-H",
                  buyer_account="ENT-1-H", quantity=3, price_fen_per_t=7000, contract_no="c"))
    # issue 19: the refusal says how many are available, pledged and requested, in the reader's units
    zh, en = catalogue.messages(err)
    assert "可用 2 吨" in zh and "所需的 3 吨" in zh and f"{total - 2} 吨处于质押状态" in zh and " t" not in zh
    assert "Only 2 t available, 3 t requested" in en and f"{total - 2} t more are pledged" in en
    assert_refused("credits_short_pledged", lambda: svc.retire(svc.actor("coop"), "r1", account_id="COL-1-H", quantity=3,
                                                   beneficiary="x", purpose="y"))
    assert svc.verify().head_hash == head
    svc.sell(svc.actor("clerk"), "s2", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=2,
             price_fen_per_t=7000, contract_no="c")
    svc.release(svc.actor("bank"), "rel-1", pledge_id=p["pledge_id"])
    assert (held(svc, "COL-1-H"), pledged(svc, "COL-1-H")) == (total - 2, 0)
    assert svc.verify().ok


def test_named_pledged_serials_are_refused_by_name(funded):  # type: ignore[no-untyped-def]
    svc = funded
    p = pledge(svc, 1)
    serial = p["blocks"][0]["serials"]
    assert_refused("credits_pledged", lambda: svc.sell(svc.actor("clerk"), "s1", seller_account="COL-1-H",
            buyer_account="ENT-1-H", quantity=1, price_fen_per_t=1, contract_no="c", serials=[serial]))


def test_default_transfers_the_pledged_credits_to_the_bank(funded):  # type: ignore[no-untyped-def]
    svc = funded
    total = held(svc, "COL-1-H")
    p = pledge(svc, 5)
    out = svc.default_pledge(svc.actor("bank"), "def-1", pledge_id=p["pledge_id"])
    assert out["status"] == "defaulted" and out["to_account"] == "BANK-1-H"
    assert held(svc, "BANK-1-H") == 5 and held(svc, "COL-1-H") == total - 5
    assert_refused("pledge_not_active", lambda: svc.release(svc.actor("bank"), "rel-x", pledge_id=p["pledge_id"]))
    assert svc.verify().ok


def test_only_the_pledgee_bank_ends_a_pledge_and_only_banks_pledge(funded):  # type: ignore[no-untyped-def]
    svc = funded
    p = pledge(svc, 1)
    assert_refused("not_permitted", lambda: svc.release(svc.actor("bank2"), "rel-1", pledge_id=p["pledge_id"]))
    assert_refused("not_permitted", lambda: pledge(svc, 1, request="pl-2", actor="clerk"))
    assert_refused("pledge_not_found", lambda: svc.release(svc.actor("bank"), "rel-2", pledge_id="PL-99999999"))
    assert_refused("insufficient_balance", lambda: pledge(svc, 10**6, request="pl-3"))
    assert_refused("value_invalid", lambda: svc.pledge(svc.actor("bank"), "pl-4", account_id="COL-1-H", quantity=1,
                                                loan_reference="x", loan_amount_fen=100, term_end="not a date"))
