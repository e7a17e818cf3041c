"""Reversal (冲减) cancels buffer credits; correction (更正) is a new entry naming the one it undoes."""

from __future__ import annotations

from sinkledger import catalogue
from tests.ledger.conftest import assert_refused, held


def test_reversal_cancels_buffer_credits_and_keeps_invariants(funded):  # type: ignore[no-untyped-def]
    """Given a buffer, when a snow-damage loss is reversed, then buffer credits become cancelled."""
    svc = funded
    buffer_t = held(svc, "SYS-BUFFER")
    assert buffer_t >= 2
    out = svc.reverse(svc.actor("insurer"), "rv-1", quantity=2, reason="2026 年雪灾毛竹倒伏", loss_event_ref="LOSS-1")
    assert out["reversal_id"].startswith("RV-")
    assert held(svc, "SYS-BUFFER") == buffer_t - 2
    by_sink = svc.balances()["by_sink_type"]
    assert sum(r["cancelled_t"] for r in by_sink) == 2
    assert svc.verify().ok
    assert_refused("buffer_insufficient", lambda: svc.reverse(svc.actor("insurer"), "rv-2", quantity=buffer_t,
                                                       reason="x", loss_event_ref="L"))
    assert_refused("not_permitted", lambda: svc.reverse(svc.actor("ent"), "rv-3", quantity=1, reason="x",
                                                 loss_event_ref="L"))


def test_a_mistaken_sale_is_corrected_by_a_reversing_entry(funded):  # type: ignore[no-untyped-def]
    svc = funded
    before = held(svc, "COL-1-H")
    sale = svc.sell(svc.actor("clerk"), "s1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=3,
                    price_fen_per_t=7341, contract_no="wrong buyer")
    fix = svc.correct(svc.actor("admin"), "c1", entry_seq=sale["seq"], reason="买方录入错误")
    assert fix["corrected_seq"] == sale["seq"] and fix["corrected_kind"] == "sale"
    assert held(svc, "COL-1-H") == before and held(svc, "ENT-1-H") == 0
    entries = svc.journal(limit=2)
    assert [e["kind"] for e in entries] == ["sale", "correction"]  # the sale is still there: never edited
    assert_refused("entry_already_corrected", lambda: svc.correct(svc.actor("admin"), "c2", entry_seq=sale["seq"], reason="x"))
    assert svc.verify().ok


def test_a_sale_whose_credits_moved_on_or_a_retirement_cannot_be_corrected(funded):  # type: ignore[no-untyped-def]
    svc = funded
    sale = svc.sell(svc.actor("clerk"), "s1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=3,
                    price_fen_per_t=7341, contract_no="c")
    ret = svc.retire(svc.actor("ent"), "r1", account_id="ENT-1-H", quantity=1, beneficiary="示例企业甲", purpose="p")
    head = svc.verify().head_hash
    err = assert_refused("entry_not_correctable", lambda: svc.correct(svc.actor("admin"), "c1", entry_seq=sale["seq"], reason="x"))
    assert "moved" in catalogue.messages(err)[1]
    assert_refused("entry_not_correctable", lambda: svc.correct(svc.actor("admin"), "c2", entry_seq=ret["seq"], reason="x"))
    assert_refused("not_permitted", lambda: svc.correct(svc.actor("bank"), "c3", entry_seq=sale["seq"], reason="x"))
    assert_refused("entry_not_found", lambda: svc.correct(svc.actor("admin"), "c4", entry_seq=10**6, reason="x"))
    assert svc.verify().head_hash == head


def test_a_mistaken_issuance_is_cancelled_and_its_period_freed(funded):  # type: ignore[no-untyped-def]
    svc = funded
    first = svc.issued[0]
    total_before = sum(r["issued_t"] for r in svc.balances()["by_sink_type"])
    svc.correct(svc.actor("admin"), "c1", entry_seq=first["seq"], reason="核证量有误")
    rows = svc.balances()["by_sink_type"]
    assert sum(r["issued_t"] for r in rows) == total_before  # issued stays issued: conservation
    assert sum(r["cancelled_t"] for r in rows) == first["issued_t"]
    # The parcel-period is free again for a correct issuance from the same estimate.
    again = svc.issue(svc.actor("verifier"), "iss:again", estimate_id=first["estimate_id"],
                      verified_kg_co2e=1000 * (first["issued_t"] - 1), project_code="AJBF01", buffer_share_bp=1000)
    assert again["issued_t"] == first["issued_t"] - 1
    assert svc.verify().ok


def test_a_clerk_corrects_a_sale_but_never_an_issuance(funded):  # type: ignore[no-untyped-def]
    """Issue 19: the trading clerk corrects a sale recorded by mistake (a new entry with the
    reason); an issuance stays the administrator's to correct."""
    svc = funded
    sale = svc.sell(svc.actor("clerk"), "s-mistake", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=2,
                    price_fen_per_t=7341, contract_no="c-mistake")
    issuance_seq = svc.issued[0]["seq"]
    assert_refused("not_permitted", lambda: svc.correct(svc.actor("clerk"), "c-iss", entry_seq=issuance_seq,
                                                       reason="x"))
    out = svc.correct(svc.actor("clerk"), "c-sale", entry_seq=sale["seq"], reason="买方填错")
    assert (out["corrected_seq"], out["reason"]) == (sale["seq"], "买方填错")
    assert svc.verify().ok
