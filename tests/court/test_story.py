"""The whole story of a judicial carbon-sink compensation, through the service API.

Given a case and a money order of 122,366 yuan (the Chongqing judgment, METHODOLOGIES.md §5.5),
when it is fulfilled at 58.83 yuan/t in two partial purchases, then 2,079 t are retired against
the case (rounding would say 2,080), 58.43 yuan remain, the certificate verifies with Merkle
inclusion proofs, the credits never move again, a second case cannot reuse them, and a forged
or altered certificate fails.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from ledger.court.domain import verification_code
from ledger.court.store import CourtCertificateRow
from sinkledger import catalogue
from sinkledger_base.canonical import canonical_json
from tests.court.conftest import (
    AMOUNT_FEN,
    CASE_NO,
    PRICE_FEN_PER_T,
    assert_refused,
    money_order,
    register_case,
)

SECOND_CASE = "（2024）浙0521刑初1000号"


@pytest.fixture
def story(stocked):  # type: ignore[no-untyped-def]
    """Given a registered case and a money order of 122,366 yuan, fulfilled in two purchases."""
    court, svc = stocked, stocked.service
    register_case(court)
    order = money_order(court)
    clerk = svc.actor("clerk")
    first = court.fulfil(clerk, "ful:1", order_id=order["order_id"], seller_account="COL-1-H",
                         price_fen_per_t=PRICE_FEN_PER_T, quantity_t=1_000, contract_no="HZGT-2024-001",
                         purchase_date="2024-04-01")
    second = court.fulfil(clerk, "ful:2", order_id=order["order_id"], seller_account="COL-1-H",
                          price_fen_per_t=PRICE_FEN_PER_T, contract_no="HZGT-2024-002", purchase_date="2024-05-01")
    court.order, court.purchases = order, [first, second]  # type: ignore[attr-defined]
    return court


def test_money_order_is_converted_by_floor_and_the_remainder_reported(story):  # type: ignore[no-untyped-def]
    """Then 1,000 t + 1,079 t = 2,079 t are bought and retired; 5,843 fen remain; the order is fulfilled."""
    first, second = story.purchases
    assert (first["quantity_t"], first["amount_fen"], first["remainder_fen"]) == (1_000, 5_883_000, 6_353_600)
    assert (second["quantity_t"], second["remainder_fen"], second["status"]) == (1_079, 5_843, "fulfilled")
    assert first["quantity_t"] + second["quantity_t"] == AMOUNT_FEN // PRICE_FEN_PER_T == 2_079
    assert first["retirement_kind"] == "judicial" and first["purpose"] == CASE_NO
    assert first["beneficiary"].startswith("示例竹林生态系统")
    status = story.status(story.service.actor("procurator"), case_no=CASE_NO)
    (order,) = status["orders"]
    assert (order["status"], order["retired_t"], order["spent_fen"]) == ("fulfilled", 2_079, 12_230_757)
    assert [h["event"] for h in order["history"]] == ["court_order_issued", "court_fulfilment", "court_fulfilment"]


def test_the_ledger_replays_the_fulfilments(story):  # type: ignore[no-untyped-def]
    """Then verify replays sale and retirement moves; nothing rests in the defendant's account."""
    report = story.service.verify()
    assert report.ok, report.problems
    assert story.service.account_balance("DEF-1-H") == {"held_t": 0, "pledged_t": 0}
    retired = {r["account_id"]: r["retired_t"] for r in story.service.balances()["by_account"]}
    assert retired["SYS-RETIRED"] == 2_079


def test_the_credits_never_move_again(story):  # type: ignore[no-untyped-def]
    """Then neither a sale nor a retirement nor another fulfilment can take those serials."""
    svc, block = story.service, story.purchases[0]["blocks"][0]
    serial = block["serials"].split("..")[0]
    assert_refused("credits_retired", lambda: svc.sell(svc.actor("clerk"), "s:again", seller_account="COL-1-H",
                                                buyer_account="ENT-1-H", quantity=1, price_fen_per_t=1,
                                                contract_no="X", serials=[serial]))
    assert_refused("value_invalid", lambda: svc.sell(svc.actor("clerk"), "s:sys", seller_account="SYS-RETIRED",
                                              buyer_account="ENT-1-H", quantity=1, price_fen_per_t=1,
                                              contract_no="X", serials=[serial]))
    assert_refused("credits_retired", lambda: svc.retire(svc.actor("clerk"), "r:again", account_id="COL-1-H", quantity=1,
                                                  beneficiary="x", purpose="y", serials=[serial]))
    assert_refused("order_already_fulfilled", lambda: story.fulfil(
        svc.actor("clerk"), "ful:3", order_id=story.order["order_id"], seller_account="COL-1-H",
        price_fen_per_t=PRICE_FEN_PER_T, contract_no="HZGT-2024-003"))


def test_a_second_case_cannot_reuse_them(story):  # type: ignore[no-untyped-def]
    """When a second case's order names the serials retired for the first, then it is refused."""
    register_case(story, SECOND_CASE, request="case:2", defendants=("DEF-2",))
    order = money_order(story, SECOND_CASE, request="order:2")
    block = story.purchases[1]["blocks"][0]
    err = assert_refused("credits_retired_for_case", lambda: story.fulfil(
        story.service.actor("clerk"), "ful:reuse", order_id=order["order_id"], seller_account="COL-1-H",
        price_fen_per_t=PRICE_FEN_PER_T, quantity_t=block["quantity"], contract_no="HZGT-2024-009",
        serials=[block["serials"]]))
    assert CASE_NO in catalogue.messages(err)[0] and CASE_NO in catalogue.messages(err)[1]


def test_the_certificate_verifies_with_inclusion_proofs(story):  # type: ignore[no-untyped-def]
    """When the court issues the certificate, then its code verifies against the journal."""
    cert = story.issue_certificate(story.service.actor("judge"), order_id=story.order["order_id"])
    again = story.issue_certificate(story.service.actor("judge"), order_id=story.order["order_id"])
    assert again["code"] == cert["code"] and again["replayed"]
    result = story.verify_certificate(cert["code"].lower().replace("-", ""))
    assert result["ok"], result["problems"]
    assert result["record"]["totals"] == {"quantity_t": 2_079, "amount_fen": 12_230_757, "remainder_fen": 5_843,
                                          "remaining_t": None, "status": "fulfilled"}
    assert [e["kind"] for e in result["entries"]] == ["court_case_registered", "court_order_issued",
                                                      "court_fulfilment", "court_fulfilment"]
    assert all(p["proof_ok"] and p["checkpoint"] for p in result["proofs"])
    assert len(result["proofs"]) == 5  # the four entries and the certificate entry itself


def test_a_forged_code_is_not_found(story):  # type: ignore[no-untyped-def]
    story.issue_certificate(story.service.actor("judge"), order_id=story.order["order_id"])
    assert_refused("certificate_not_found", lambda: story.verify_certificate("AAAA-BBBB-CCCC-DDDD"))


def test_an_altered_record_changes_the_code(story):  # type: ignore[no-untyped-def]
    """An altered record (more tonnes) hashes to another code: forging needs a code the ledger has."""
    cert = story.issue_certificate(story.service.actor("judge"), order_id=story.order["order_id"])
    record = story.verify_certificate(cert["code"])["record"]
    assert verification_code(record) == cert["code"]
    forged = json.loads(canonical_json(record))
    forged["totals"]["quantity_t"] = 3_000
    assert verification_code(forged) != cert["code"]


def test_a_certificate_altered_in_the_database_fails(story):  # type: ignore[no-untyped-def]
    """When someone rewrites the stored certificate behind the code's back, then verification fails."""
    cert = story.issue_certificate(story.service.actor("judge"), order_id=story.order["order_id"])
    with story.service.db.write() as s:
        row = s.exec(select(CourtCertificateRow)).one()
        record = json.loads(row.record)
        record["totals"]["quantity_t"] = 3_000
        row.record = json.dumps(record)
        s.add(row)
    result = story.verify_certificate(cert["code"])
    assert not result["ok"] and "stored_record_differs_from_journal" in result["problems"]
