"""Orders, fulfilment rules and roles, as scenarios (Given/When/Then in the names and docstrings)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from tests.court.conftest import (
    CASE_NO,
    PRICE_FEN_PER_T,
    assert_refused,
    money_order,
    register_case,
)


def quantity_order(court, quantity_t: int = 10, *, request: str = "q:1", case_no: str = CASE_NO, **extra):  # type: ignore[no-untyped-def]
    return court.issue_order(court.service.actor("judge"), request, case_no=case_no, item="判决第一项",
                             kind="quantity", quantity_t=quantity_t, due_date="2024-06-30", **extra)


def buy(court, order_id: str, quantity_t: int | None = None, *, request: str = "b:1", actor: str = "clerk",  # type: ignore[no-untyped-def]
        seller: str = "COL-1-H", **extra):
    return court.fulfil(court.service.actor(actor), request, order_id=order_id, seller_account=seller,
                        price_fen_per_t=PRICE_FEN_PER_T, quantity_t=quantity_t, contract_no="C-1", **extra)


@pytest.fixture
def case(funded, court):  # type: ignore[no-untyped-def]
    """Given 44 bamboo credits of county 330523 held by COL-1 and a registered case."""
    register_case(court)
    return court


# --- roles -----------------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["procurator", "clerk", "coop", "ent"])
def test_only_a_court_registers_cases(court, user):  # type: ignore[no-untyped-def]
    assert_refused("not_permitted", lambda: court.register_case(
        court.service.actor(user), "c:x", case_no="X", judgment_date="2024-01-01", defendants=["DEF-1"],
        sink_type="wetland", county_code="330521", ecosystem_name="x", damaged_area_ha="1", description="x"))


@pytest.mark.parametrize("user", ["procurator", "clerk", "judge2"])
def test_only_the_case_court_orders_amends_and_withdraws(case, user):  # type: ignore[no-untyped-def]
    """judge2 is a court, but of another court: it cannot act on this case."""
    actor = case.service.actor(user)
    assert_refused("not_permitted", lambda: case.issue_order(actor, "o:x", case_no=CASE_NO, item="x", kind="quantity",
                                                      quantity_t=1, due_date="2024-06-30"))
    order = quantity_order(case)
    assert_refused("not_permitted", lambda: case.amend_order(actor, "a:x", order_id=order["order_id"], reason="r",
                                                      due_date="2025-01-01"))
    assert_refused("not_permitted", lambda: case.withdraw_order(actor, "w:x", order_id=order["order_id"], reason="r"))


def test_a_procurator_views_but_a_verifier_does_not(case):  # type: ignore[no-untyped-def]
    quantity_order(case)
    assert case.status(case.service.actor("procurator"), case_no=CASE_NO)["orders"]
    assert case.report(case.service.actor("procurator"))["summary"]
    assert_refused("not_permitted", lambda: case.status(case.service.actor("verifier"), case_no=CASE_NO))
    assert_refused("not_permitted", lambda: case.report(case.service.actor("ent")))


def test_a_seller_records_a_purchase_only_from_its_own_account(case):  # type: ignore[no-untyped-def]
    order = quantity_order(case)
    assert_refused("not_permitted", lambda: buy(case, order["order_id"], 2, actor="ent"))
    assert_refused("not_permitted", lambda: buy(case, order["order_id"], 2, actor="procurator"))
    assert buy(case, order["order_id"], 2, actor="coop")["quantity_t"] == 2
    assert buy(case, order["order_id"], 2, actor="judge", request="b:2")["quantity_t"] == 2


# --- fulfilment rules ------------------------------------------------------------------------

def test_partial_fulfilments_add_up_and_over_fulfilment_is_refused(case):  # type: ignore[no-untyped-def]
    order = quantity_order(case, 10)
    assert buy(case, order["order_id"], 4)["status"] == "partly_fulfilled"
    assert_refused("quantity_exceeds_order_remaining", lambda: buy(case, order["order_id"], 7, request="b:2"))
    assert buy(case, order["order_id"], request="b:3")["quantity_t"] == 6  # the rest by default
    assert_refused("order_already_fulfilled", lambda: buy(case, order["order_id"], 1, request="b:4"))
    assert case.service.verify().ok


def test_money_orders_refuse_more_than_the_money_buys(case):  # type: ignore[no-untyped-def]
    order = case.issue_order(case.service.actor("judge"), "m:1", case_no=CASE_NO, item="第二项", kind="money",
                             amount_fen=100_000, due_date="2024-06-30")  # 1,000 yuan: 16 t at 58.83
    assert_refused("quantity_exceeds_order_remaining", lambda: buy(case, order["order_id"], 17))
    assert_refused("price_must_be_positive", lambda: case.fulfil(case.service.actor("clerk"), "b:0", order_id=order["order_id"],
                                                          seller_account="COL-1-H", price_fen_per_t=0, contract_no="C"))
    done = buy(case, order["order_id"], request="b:2")
    assert (done["quantity_t"], done["remainder_fen"], done["status"]) == (16, 100_000 - 16 * 5_883, "fulfilled")


def test_retries_are_harmless_and_conflicting_retries_refused(case):  # type: ignore[no-untyped-def]
    order = quantity_order(case, 10)
    first = buy(case, order["order_id"], 3)
    assert buy(case, order["order_id"], 3)["replayed"] and first["seq"] == buy(case, order["order_id"], 3)["seq"]
    assert_refused("request_id_conflict", lambda: buy(case, order["order_id"], 4))


def test_required_sink_type_and_county(case):  # type: ignore[no-untyped-def]
    """The seller's bamboo credits of 330523 meet a same-county order here, not a wetland case's."""
    same = quantity_order(case, 3, same_sink_type=True, same_county=True)
    assert buy(case, same["order_id"])["quantity_t"] == 3
    register_case(case, "（2024）浙0521刑初7号", request="case:w", sink_type="wetland", county_code="330521")
    wet = quantity_order(case, 3, request="q:w", case_no="（2024）浙0521刑初7号", same_sink_type=True)
    err = assert_refused("insufficient_matching_balance", lambda: buy(case, wet["order_id"], request="b:w"))
    assert err.params["available"] == 0
    county = quantity_order(case, 3, request="q:c", case_no="（2024）浙0521刑初7号", same_county=True)
    serial = case.service.issued[0]["batches"][1]["serials"].split("..")[0]  # type: ignore[attr-defined]
    assert_refused("credits_do_not_match_order", lambda: buy(case, county["order_id"], 1, request="b:c", serials=[serial]))


def test_buyer_must_be_a_defendant_or_the_court(case):  # type: ignore[no-untyped-def]
    order = quantity_order(case, 3)
    assert_refused("value_invalid", lambda: buy(case, order["order_id"], 1, buyer_account="ENT-1-H"))
    assert buy(case, order["order_id"], 1, request="b:court", buyer_account="COURT-1-H")["buyer_account"] == "COURT-1-H"


# --- amendments, withdrawal, overdue --------------------------------------------------------

def test_amendment_is_a_new_entry_and_never_below_what_was_fulfilled(case):  # type: ignore[no-untyped-def]
    judge = case.service.actor("judge")
    order = quantity_order(case, 10)
    buy(case, order["order_id"], 6)
    assert_refused("order_amount_below_fulfilled", lambda: case.amend_order(judge, "a:1", order_id=order["order_id"],
                                                                     reason="改判", quantity_t=5))
    assert_refused("amendment_changes_nothing", lambda: case.amend_order(judge, "a:2", order_id=order["order_id"],
                                                                  reason="改判", quantity_t=10))
    amended = case.amend_order(judge, "a:3", order_id=order["order_id"], reason="二审改判", quantity_t=6,
                               due_date="2024-09-30")
    assert amended["status"] == "fulfilled" and amended["before"]["quantity_t"] == 10
    (line,) = case.status(judge, order_id=order["order_id"])["orders"]
    assert [h["event"] for h in line["history"]] == ["court_order_issued", "court_fulfilment", "court_order_amended"]


def test_withdrawal_is_an_entry_with_a_reason_after_which_nothing_moves(case):  # type: ignore[no-untyped-def]
    judge = case.service.actor("judge")
    order = quantity_order(case, 10)
    buy(case, order["order_id"], 2)
    assert_refused("field_required", lambda: case.withdraw_order(judge, "w:0", order_id=order["order_id"], reason=" "))
    out = case.withdraw_order(judge, "w:1", order_id=order["order_id"], reason="再审撤销该判项")
    assert out["status"] == "withdrawn" and out["fulfilled_t"] == 2
    assert_refused("order_withdrawn", lambda: buy(case, order["order_id"], 1, request="b:2"))
    assert_refused("order_withdrawn", lambda: case.amend_order(judge, "a:1", order_id=order["order_id"], reason="x",
                                                        quantity_t=12))
    assert case.service.account_balance("DEF-1-H")["held_t"] == 0


def test_overdue_after_the_due_date(case):  # type: ignore[no-untyped-def]
    order = quantity_order(case, 10)
    buy(case, order["order_id"], 3)
    judge = case.service.actor("judge")
    (before,) = case.status(judge, case_no=CASE_NO, as_of=date(2024, 6, 30))["orders"]
    (after,) = case.status(judge, case_no=CASE_NO, as_of=date(2024, 7, 1))["orders"]
    assert (before["status"], after["status"]) == ("partly_fulfilled", "overdue")
    report = case.report(judge, as_of=date(2024, 7, 1))
    assert [o["order_id"] for o in report["overdue"]] == [order["order_id"]]


@pytest.mark.parametrize("as_of", [date(1899, 12, 31), "1899-12-31", date(2200, 1, 1), "2200-01-01"])
def test_a_status_or_report_date_outside_the_date_range_is_refused(case, as_of, tmp_path):  # type: ignore[no-untyped-def]
    """Given a date before 1900 or after 2199 as ``as_of``, then a case's status, the report and
    its export are refused (``date_out_of_range`` naming ``as_of``, both languages), as every
    date is; nothing is written."""
    judge = case.service.actor("judge")
    refused = assert_refused("date_out_of_range", lambda: case.status(judge, case_no=CASE_NO, as_of=as_of))
    assert refused.params["field"] == "as_of" and refused.params["earliest"] == "1900-01-01"
    assert_refused("date_out_of_range", lambda: case.report(judge, as_of=as_of))
    assert_refused("date_out_of_range", lambda: case.export_report(judge, tmp_path / "r.xlsx", as_of=as_of))
    assert not (tmp_path / "r.xlsx").exists()
    assert_refused("value_invalid", lambda: case.report(judge, as_of="2024-02-30"))
    edges = [case.status(judge, case_no=CASE_NO, as_of=d)["as_of"] for d in ("1900-01-01", date(2199, 12, 31))]
    assert edges == ["1900-01-01", "2199-12-31"]


# --- cases and documents --------------------------------------------------------------------

def test_case_number_is_unique_and_defendants_must_exist(court):  # type: ignore[no-untyped-def]
    register_case(court)
    assert_refused("case_no_taken", lambda: register_case(court, request="case:again-different"))
    assert_refused("party_not_found", lambda: register_case(court, "X-1", request="c:2", defendants=("NOBODY",)))
    assert_refused("value_invalid", lambda: register_case(court, "X-2", request="c:3", area_ha="-1"))
    assert_refused("value_invalid", lambda: register_case(court, "X-3", request="c:4", defendants=("COURT-2",)))


def test_documents_are_kept_by_hash(court):  # type: ignore[no-untyped-def]
    register_case(court)
    content = "（2024）浙0521刑初999号 判决书（合成示例）".encode()
    doc = court.register_document(court.service.actor("judge"), "d:1", case_no=CASE_NO, title="判决书",
                                  content=content, file_name="judgment.txt")
    assert doc["sha256"] == hashlib.sha256(content).hexdigest() and doc["media_type"] == "text/plain"
    (stored,) = court.status(court.service.actor("procurator"), case_no=CASE_NO)["documents"]
    assert stored["sha256"] == doc["sha256"]


def test_a_money_order_with_a_geometry(court):  # type: ignore[no-untyped-def]
    square = {"type": "Polygon", "coordinates": [[[119.9, 30.55], [119.901, 30.55], [119.901, 30.551],
                                                  [119.9, 30.551], [119.9, 30.55]]]}
    court.register_case(court.service.actor("judge"), "c:g", case_no="G-1", judgment_date="2024-01-02",
                        defendants=["DEF-3"], sink_type="wetland", county_code="330521", ecosystem_name="示例湿地",
                        damaged_area_ha="1.0", description="x", geometry=square)
    assert court.cases(court.service.actor("judge"))[0]["geometry"]["type"] == "Polygon"
    assert money_order(court, "G-1", request="o:g")["amount_fen"] == 12_236_600
