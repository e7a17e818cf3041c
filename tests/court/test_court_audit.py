"""The court tables are under the chain: ``verify`` derives every row of them from the journal, so
a row changed, deleted or forged behind the journal's back is caught and named by table, key,
problem and the entry that wrote (or last changed) the row (issue 16), on both backends.

One scenario per backend; each tampering is undone before the next (see
:func:`tests.table_audit_helpers.assert_each_case_caught_and_located`).
"""

from __future__ import annotations

import hashlib

import pytest

from tests.court.conftest import CASE_NO, PRICE_FEN_PER_T, money_order, register_case
from tests.table_audit_helpers import assert_each_case_caught_and_located, blob, scalar, tail_report, tamper

DOCUMENT = "（2024）浙0521刑初999号 判决书（合成示例）".encode()
FORGED_SHA = hashlib.sha256(b"forged").hexdigest()


@pytest.fixture
def docket(stocked):  # type: ignore[no-untyped-def]
    """Given a case with a judgment document; a money order fulfilled once and certified; a
    quantity order of 10 t fulfilled by 6 t and amended to 8 t; and a quantity order of 5 t
    fulfilled by 2 t and withdrawn."""
    court, svc = stocked, stocked.service
    judge, clerk = svc.actor("judge"), svc.actor("clerk")
    register_case(court)
    court.register_document(judge, "d:1", case_no=CASE_NO, title="判决书", content=DOCUMENT, file_name="judgment.txt")

    def buy(order_id: str, quantity_t: int, request: str) -> None:
        court.fulfil(clerk, request, order_id=order_id, seller_account="COL-1-H", price_fen_per_t=PRICE_FEN_PER_T,
                     quantity_t=quantity_t, contract_no="HZGT-2024-001", purchase_date="2024-04-01")

    money = money_order(court)
    buy(money["order_id"], 1_000, "ful:1")
    court.issue_certificate(judge, order_id=money["order_id"])
    amended = court.issue_order(judge, "q:1", case_no=CASE_NO, item="判决第三项", kind="quantity", quantity_t=10,
                                due_date="2024-06-30", same_sink_type=True)
    buy(amended["order_id"], 6, "ful:2")
    court.amend_order(judge, "a:1", order_id=amended["order_id"], reason="二审改判", quantity_t=8,
                      due_date="2024-09-30")
    withdrawn = court.issue_order(judge, "q:2", case_no=CASE_NO, item="判决第四项", kind="quantity", quantity_t=5,
                                  due_date="2024-06-30")
    buy(withdrawn["order_id"], 2, "ful:3")
    court.withdraw_order(judge, "w:1", order_id=withdrawn["order_id"], reason="再审撤销该判项")
    report = svc.verify()
    assert report.ok, report.problems
    return svc


MONEY = "(SELECT order_id FROM court_order WHERE kind = 'money')"
AMENDED = "(SELECT order_id FROM court_order WHERE item = '判决第三项')"
WITHDRAWN = "(SELECT order_id FROM court_order WHERE item = '判决第四项')"
FIRST_FULFILMENT = "(SELECT min(id) FROM court_fulfilment)"

CASES = [
    ("court_case", "UPDATE court_case SET ecosystem_name = '别处的生态系统'", "row_differs_from_journal",
     "SELECT case_no FROM court_case", "SELECT seq FROM court_case"),
    ("court_case", "UPDATE court_case SET defendants = '[\"DEF-2\"]'", "row_differs_from_journal",
     "SELECT case_no FROM court_case", "SELECT seq FROM court_case"),
    ("court_case", "INSERT INTO court_case (case_no, seq, court_party_id, court_name, judgment_date, defendants, "
     "sink_type, county_code, ecosystem_name, damaged_area_ha, description, recorded_at) VALUES ('伪造案号', 3, "
     "'COURT-1', 'x', '2024-01-01', '[]', 'bamboo_forest', '330523', 'x', '1', 'x', 'x')", "row_not_in_journal",
     "SELECT '伪造案号'", "SELECT 3"),
    ("court_document", "UPDATE court_document SET sha256 = '" + FORGED_SHA + "'", "row_differs_from_journal",
     "SELECT id FROM court_document", "SELECT seq FROM court_document"),
    ("court_document", "DELETE FROM court_document", "row_missing", "SELECT id FROM court_document",
     "SELECT seq FROM court_document"),
    ("court_document_content", "UPDATE court_document_content SET content = {blob}", "row_differs_from_journal",
     "SELECT sha256 FROM court_document_content", "SELECT seq FROM court_document"),
    ("court_document_content", f"INSERT INTO court_document_content (sha256, content) VALUES ('{FORGED_SHA}', "
     "{blob})", "row_not_in_journal", f"SELECT '{FORGED_SHA}'", None),
    # orders: terms, totals after fulfilments, amendments, withdrawal
    ("court_order", f"UPDATE court_order SET spent_fen = 0 WHERE order_id = {MONEY}", "row_differs_from_journal",
     f"SELECT {MONEY}", f"SELECT updated_seq FROM court_order WHERE order_id = {MONEY}"),
    ("court_order", f"UPDATE court_order SET amount_fen = 1 WHERE order_id = {MONEY}", "row_differs_from_journal",
     f"SELECT {MONEY}", f"SELECT updated_seq FROM court_order WHERE order_id = {MONEY}"),
    ("court_order", f"UPDATE court_order SET quantity_t = 10, status = 'partly_fulfilled' WHERE order_id = {AMENDED}",
     "row_differs_from_journal", f"SELECT {AMENDED}",
     f"SELECT updated_seq FROM court_order WHERE order_id = {AMENDED}"),
    ("court_order", f"UPDATE court_order SET same_sink_type = NOT same_sink_type WHERE order_id = {AMENDED}",
     "row_differs_from_journal", f"SELECT {AMENDED}",
     f"SELECT updated_seq FROM court_order WHERE order_id = {AMENDED}"),
    ("court_order", f"UPDATE court_order SET withdrawn_seq = NULL, status = 'partly_fulfilled' "
     f"WHERE order_id = {WITHDRAWN}", "row_differs_from_journal", f"SELECT {WITHDRAWN}",
     f"SELECT updated_seq FROM court_order WHERE order_id = {WITHDRAWN}"),
    ("court_order", f"DELETE FROM court_order WHERE order_id = {WITHDRAWN}", "row_missing", f"SELECT {WITHDRAWN}",
     f"SELECT updated_seq FROM court_order WHERE order_id = {WITHDRAWN}"),
    # the order's history
    ("court_order_event", "UPDATE court_order_event SET summary = replace(summary, '二审改判', '一审') "
     "WHERE kind = 'court_order_amended'", "row_differs_from_journal",
     "SELECT seq FROM court_order_event WHERE kind = 'court_order_amended'",
     "SELECT seq FROM court_order_event WHERE kind = 'court_order_amended'"),
    ("court_order_event", "DELETE FROM court_order_event WHERE kind = 'court_order_withdrawn'", "row_missing",
     "SELECT seq FROM court_order_event WHERE kind = 'court_order_withdrawn'",
     "SELECT seq FROM court_order_event WHERE kind = 'court_order_withdrawn'"),
    ("court_order_event", "INSERT INTO court_order_event (seq, order_id, kind, summary, recorded_at) "
     f"SELECT 99999, {MONEY}, 'court_order_withdrawn', '{{}}', 'x'", "row_not_in_journal", "SELECT 99999",
     "SELECT 99999"),
    # fulfilments and certificates
    ("court_fulfilment", f"UPDATE court_fulfilment SET quantity_t = quantity_t + 1 WHERE id = {FIRST_FULFILMENT}",
     "row_differs_from_journal", f"SELECT {FIRST_FULFILMENT}",
     f"SELECT seq FROM court_fulfilment WHERE id = {FIRST_FULFILMENT}"),
    ("court_fulfilment", f"DELETE FROM court_fulfilment WHERE id = {FIRST_FULFILMENT}", "row_missing",
     f"SELECT {FIRST_FULFILMENT}", f"SELECT seq FROM court_fulfilment WHERE id = {FIRST_FULFILMENT}"),
    ("court_fulfilment", "INSERT INTO court_fulfilment (id, seq, order_id, case_no, seller_account, buyer_account, "
     "quantity_t, price_fen_per_t, amount_fen, retirement_id, contract_no, purchase_date, recorded_at) "
     f"SELECT 'CF-FORGED', 7, {MONEY}, case_no, 'COL-1-H', 'DEF-1-H', 1, 1, 1, 'R', 'C', '2024-01-01', 'x' "
     "FROM court_case", "row_not_in_journal", "SELECT 'CF-FORGED'", "SELECT 7"),
    ("court_certificate", "UPDATE court_certificate SET record = replace(record, '\"quantity_t\": 1000', "
     "'\"quantity_t\": 3000')", "row_differs_from_journal", "SELECT code FROM court_certificate",
     "SELECT seq FROM court_certificate"),
    ("court_certificate", "DELETE FROM court_certificate", "row_missing", "SELECT code FROM court_certificate",
     "SELECT seq FROM court_certificate"),
    ("court_certificate", "INSERT INTO court_certificate (code, seq, order_id, case_no, record, issued_at) "
     "SELECT 'FORGEDCODE', seq, order_id, case_no, record, issued_at FROM court_certificate",
     "row_not_in_journal", "SELECT 'FORGEDCODE'", "SELECT seq FROM court_certificate"),
]


def test_every_court_table_is_checked_against_the_journal(docket):  # type: ignore[no-untyped-def]
    """Given the docket, when any court table is changed, deleted from or added to behind the
    journal's back, then verify names the table, the key, the problem and the entry."""
    assert_each_case_caught_and_located(docket, [(t, sql.replace("{blob}", blob(docket)), code, key, seq)
                                                 for t, sql, code, key, seq in CASES])


def test_erased_judgment_bytes_are_no_difference(docket):  # type: ignore[no-untyped-def]
    """Given a judgment's bytes erased (PIPL), the ledger still verifies."""
    tamper(docket, "DELETE FROM court_document_content")
    assert docket.verify().ok


def test_an_incremental_run_checks_what_the_tail_changed(docket):  # type: ignore[no-untyped-def]
    """Given a tail that starts after the quantity order of 10 t was issued (it fulfils and amends
    that order, and issues, fulfils and withdraws the next), the tail verifies clean; an amended
    term or a withdrawal undone is caught all the same."""
    svc = docket
    after = scalar(svc, f"SELECT seq FROM court_order WHERE order_id = {AMENDED}")
    assert tail_report(svc, after).ok
    tamper(svc, f"UPDATE court_order SET due_date = '2024-06-30' WHERE order_id = {AMENDED}")
    tamper(svc, f"UPDATE court_order SET withdrawn_seq = NULL WHERE order_id = {WITHDRAWN}")
    found = {(p["table"], p["key"], p["code"]) for p in tail_report(svc, after).problems}
    assert found == {("court_order", scalar(svc, f"SELECT {AMENDED}"), "row_differs_from_journal"),
                     ("court_order", scalar(svc, f"SELECT {WITHDRAWN}"), "row_differs_from_journal")}


def test_every_court_table_has_an_audit():  # type: ignore[no-untyped-def]
    from ledger.table_audits import default_audits
    from ledger.court.store import COURT_TABLES

    audited = {audit.table for audit in default_audits()}
    assert set(COURT_TABLES) <= audited
