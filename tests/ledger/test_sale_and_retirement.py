"""Sale (交易) and retirement (注销) with named serial ranges; retired credits never move again."""

from __future__ import annotations

import pytest

from sinkledger import catalogue
from tests.ledger.conftest import assert_refused, held


def first_block(svc) -> dict:  # type: ignore[no-untyped-def]
    batches = [b for issued in svc.issued for b in issued["batches"]]
    return max(batches, key=lambda b: (b["quantity"] - b["buffer_t"], b["batch_id"]))


def test_named_serials_move_exactly_those_credits(funded):  # type: ignore[no-untyped-def]
    """Given a batch, when the clerk sells serials 2..3 by name, then exactly those move."""
    svc = funded
    b = first_block(svc)
    assert b["quantity"] >= 3
    name = f"{b['serial_prefix']}-{b['first'] + 1:09d}..{b['first'] + 2:09d}"
    out = svc.sell(svc.actor("clerk"), "s1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=2,
                   price_fen_per_t=6000, contract_no="c", serials=[name])
    assert out["blocks"][0]["serials"] == name
    assert_refused("credits_not_held", lambda: svc.sell(svc.actor("clerk"), "s2", seller_account="COL-1-H",
            buyer_account="ENT-2-H", quantity=2, price_fen_per_t=1, contract_no="c", serials=[name]))
    assert_refused("serials_quantity_mismatch", lambda: svc.sell(svc.actor("clerk"), "s3", seller_account="ENT-1-H",
            buyer_account="ENT-2-H", quantity=1, price_fen_per_t=1, contract_no="c", serials=[name]))
    assert_refused("serials_unknown", lambda: svc.sell(svc.actor("clerk"), "s4", seller_account="ENT-1-H",
            buyer_account="ENT-2-H", quantity=1, price_fen_per_t=1, contract_no="c",
            serials=[f"{b['serial_prefix']}-999999999"]))
    assert_refused("serials_invalid", lambda: svc.sell(svc.actor("clerk"), "s5", seller_account="ENT-1-H",
            buyer_account="ENT-2-H", quantity=1, price_fen_per_t=1, contract_no="c", serials=["nonsense"]))
    assert svc.verify().ok


def test_retired_credits_never_move_again(funded):  # type: ignore[no-untyped-def]
    """Given credits retired for a beneficiary, then no sale, retirement or pledge can take them."""
    svc = funded
    b = first_block(svc)
    name = f"{b['serial_prefix']}-{b['first']:09d}"
    svc.retire(svc.actor("coop"), "r1", account_id="COL-1-H", quantity=1, beneficiary="示例村", purpose="自愿注销",
               serials=[name])
    for call in (
        lambda: svc.sell(svc.actor("clerk"), "s1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                         price_fen_per_t=1, contract_no="c", serials=[name]),
        lambda: svc.retire(svc.actor("coop"), "r2", account_id="COL-1-H", quantity=1, beneficiary="x", purpose="y",
                           serials=[name]),
        lambda: svc.pledge(svc.actor("bank"), "p1", account_id="COL-1-H", quantity=1, loan_reference="L",
                           loan_amount_fen=1, term_end="2030-01-01", serials=[name]),
    ):
        err = assert_refused("credits_retired", call)
        assert "注销" in catalogue.messages(err)[0]


@pytest.mark.parametrize("kwargs, code", [
    ({"beneficiary": ""}, "field_required"),
    ({"purpose": "   "}, "field_required"),
    ({"beneficiary": "x" * 201}, "text_too_long"),
    ({"quantity": 0}, "quantity_must_be_positive"),
    ({"kind": "magic"}, "value_invalid"),
    ({"account_id": "NOPE"}, "account_not_found"),
    ({"account_id": "SYS-BUFFER"}, "value_invalid"),
])
def test_retirement_refusals(funded, kwargs, code):  # type: ignore[no-untyped-def]
    svc = funded
    args = {"account_id": "COL-1-H", "quantity": 1, "beneficiary": "b", "purpose": "p", **kwargs}
    head = svc.verify().head_hash
    assert_refused(code, lambda: svc.retire(svc.actor("coop"), "r", **args))
    assert svc.verify().head_hash == head and held(svc, "SYS-RETIRED") == 0


def test_a_take_pages_through_the_batches_an_account_holds(funded, monkeypatch):  # type: ignore[no-untyped-def]
    """Given the holder's batches read one per page, when a sale takes all its credits but one,
    then they come oldest vintage first across every batch, as when read whole."""
    import ledger.projection

    svc = funded
    monkeypatch.setattr(ledger.projection, "BATCH_PAGE_ROWS", 1)
    with svc.db.read() as s:
        from sqlalchemy import text

        held_batches = s.execute(text("SELECT b.id, b.vintage_year FROM balance q JOIN batch b ON b.id = q.batch_id "
                                      "WHERE q.account_id = 'COL-1-H' AND q.state = 'held' AND q.quantity > 0 "
                                      "ORDER BY b.vintage_year, b.issuance_seq, b.id")).all()
    assert len(held_batches) >= 3
    total = svc.account_balance("COL-1-H")["held_t"]
    sale = svc.sell(svc.actor("clerk"), "all-but-one", seller_account="COL-1-H", buyer_account="ENT-1-H",
                    quantity=total - 1, price_fen_per_t=100, contract_no="P")
    assert [b["batch_id"] for b in sale["blocks"]] == [b.id for b in held_batches]
    assert [b["vintage_year"] for b in sale["blocks"]] == sorted(b["vintage_year"] for b in sale["blocks"])
    assert svc.account_balance("COL-1-H")["held_t"] == 1 and svc.verify().ok


def test_a_sale_keeps_the_clerks_sale_and_contract_dates(funded):  # type: ignore[no-untyped-def]
    """Issue 19: the clerk's sale and contract dates are content of the sale entry (and on the
    receipt); absurd dates (out of range, after the day of recording, a contract after its sale)
    are refused and change nothing; the chain still verifies."""
    from datetime import date, timedelta

    from sinkledger.services import queries as ui_queries
    from sinkledger.ui.receipt import receipt_pdf

    svc = funded
    clerk = svc.actor("clerk")
    sale = dict(seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1, price_fen_per_t=7000, contract_no="D-1")
    head = svc.verify().head_hash
    future = (date.today() + timedelta(days=30)).isoformat()
    for bad, code in (({"contract_date": "1850-01-01"}, "date_out_of_range"),
                      ({"sale_date": future}, "date_out_of_range"),
                      ({"sale_date": "2025-03-01", "contract_date": "2025-03-02"}, "contract_after_sale"),
                      ({"contract_date": "2025-02-30"}, "value_invalid")):
        err = assert_refused(code, lambda bad=bad: svc.sell(clerk, f"bad-{code}-{len(bad)}", **sale, **bad))
        assert all(catalogue.messages(err))
    assert svc.verify().head_hash == head
    out = svc.sell(clerk, "dated", **sale, sale_date="2025-03-01", contract_date="2025-02-20")
    assert (out["sale_date"], out["contract_date"]) == ("2025-03-01", "2025-02-20")
    read = ui_queries.sale(svc, out["seq"])
    assert (read["sale_date"], read["contract_date"]) == ("2025-03-01", "2025-02-20")
    assert receipt_pdf(read, "zh")[:5] == b"%PDF-"
    assert svc.verify().ok
