"""The income tables are under the chain: ``verify`` derives every row of them from the journal, so
a row changed, deleted or forged behind the journal's back is caught and named by table, key,
problem and the entry that wrote (or last changed) the row (issue 16), on both backends.

One scenario per backend (building it is the expensive part); each tampering is undone before
the next, and the ledger verifies clean between them.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.income.conftest import CENTRE, PRICE_FEN_PER_T, bundle, contract_no, issue_bundle
from tests.table_audit_helpers import assert_each_case_caught_and_located, blob, scalar, tail_report, tamper

FIXED_CONTRACT = "AJZL-2022-B"
DOCUMENT = "收储合同（合成示例）".encode()


@pytest.fixture
def scenario(income):  # type: ignore[no-untyped-def]
    """Given proceeds-share contracts with COL-A and COL-C and a fixed-payment one with COL-B, a
    document of COL-A's contract, a bank's lien on it, the bundle issued (contributions, a lien
    pledge), a sale distributed and partly paid, COL-B's years scheduled and one paid, the lien
    released, a snow loss and its insurance claim."""
    svc = income.service
    centre = svc.actor("centre")
    terms = {"COL-A": {"kind": "proceeds_share", "share_bp": 8000, "cost_fen_per_t": 200},
             "COL-B": {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 3_000},
             "COL-C": {"kind": "proceeds_share", "share_bp": 8000}}
    for collective, parcels in (("COL-A", ["HZ-BF-A01", "HZ-BF-A02"]), ("COL-B", ["HZ-BF-B01", "HZ-BF-B02"]),
                                ("COL-C", ["HZ-BF-C01", "HZ-BF-C02"])):
        number = FIXED_CONTRACT if collective == "COL-B" else contract_no(collective)
        svc.collect(centre, f"col:{collective}", contract_no=number, collective_party_id=collective,
                    parcel_codes=parcels, term_start="2021-01-01", term_end="2051-01-01", signed_date="2020-12-20",
                    payment_terms=terms[collective])
    income.register_contract_document(centre, "doc-1", contract_no=contract_no("COL-A"), title="收储合同",
                                      content=DOCUMENT, file_name="contract.txt")
    lien = income.register_lien(svc.actor("bank"), "lien-1", contract_no=contract_no("COL-A"),
                                loan_reference="收储贷-2024-0001", loan_amount_fen=200_000_000, term_end="2027-12-31")
    bundle(income)
    issuance = issue_bundle(income)
    assert issuance["lien_pledges"]
    sale = svc.sell(svc.actor("clerk"), "sale-1", seller_account=f"{CENTRE}-H", buyer_account="ENT-1-H",
                    quantity=300, price_fen_per_t=PRICE_FEN_PER_T, contract_no="HZGT-2024-001")
    distribution = income.distribute(centre, sale_seq=sale["seq"])
    due = income.due_items(centre, source_id=distribution["distribution_id"])
    income.record_payment(centre, "pay-1", items=[{"due_id": due[0]["id"], "amount_fen": 100}],
                          paid_date="2030-01-01", reference="TR-1")
    income.schedule_payments(centre, "sch-1", contract_no=FIXED_CONTRACT, through="2022-12-31")
    fixed = income.due_items(centre, contract_no=FIXED_CONTRACT)
    income.record_payment(centre, "pay-2", items=[{"due_id": fixed[0]["id"], "amount_fen": fixed[0]["amount_fen"]}],
                          paid_date="2030-01-02", reference="TR-2")
    income.release_lien(svc.actor("bank"), "rel-1", lien_id=lien["lien_id"])
    event = income.record_loss(svc.actor("insurer"), "loss-1", cause="snow", event_date="2024-01-20",
                               parcels=[{"parcel_code": "HZ-BF-C01", "affected_area_ha": "2",
                                         "damage_share_bp": 2000}],
                               description="雪压断梢（合成示例）", policy_no="PICC-AJ-2023-0088")
    income.record_claim(svc.actor("insurer"), "claim-1", claim_no="LP-2024-001", event_id=event["event_id"],
                        policy_no="PICC-AJ-2023-0088", product="毛竹碳汇价值恢复补偿保险",
                        insured_party_id=CENTRE, payout_fen=1_146_000, paid_date="2024-03-01")
    report = svc.verify()
    assert report.ok, report.problems
    return svc


FIRST_DUE = "(SELECT min(id) FROM due_item WHERE paid_fen > 0 AND source_kind = 'distribution')"
LAST_UNPAID = "(SELECT max(id) FROM due_item WHERE paid_fen = 0)"
B01 = "(SELECT min(id) FROM issuance_contribution WHERE parcel_code = 'HZ-BF-B01')"
FORGED_SHA = hashlib.sha256(b"forged").hexdigest()

CASES = [
    # documents and their erasable bytes
    ("collection_document", "UPDATE collection_document SET title = '伪造'", "row_differs_from_journal",
     "SELECT id FROM collection_document", "SELECT seq FROM collection_document"),
    ("collection_document", "DELETE FROM collection_document", "row_missing",
     "SELECT id FROM collection_document", "SELECT seq FROM collection_document"),
    ("collection_document_content", "UPDATE collection_document_content SET content = {blob}",
     "row_differs_from_journal", "SELECT sha256 FROM collection_document_content",
     "SELECT seq FROM collection_document"),
    ("collection_document_content", "INSERT INTO collection_document_content (sha256, content) "
     f"VALUES ('{FORGED_SHA}', {{blob}})", "row_not_in_journal", f"SELECT '{FORGED_SHA}'", None),
    # projects and contributions
    ("bundled_project", "UPDATE bundled_project SET interval_months = 12", "row_differs_from_journal",
     "SELECT project_code FROM bundled_project", "SELECT seq FROM bundled_project"),
    ("bundled_project_parcel", "DELETE FROM bundled_project_parcel WHERE parcel_code = 'HZ-BF-A01'", "row_missing",
     "SELECT 'HZ-BF-A01'", "SELECT added_seq FROM bundled_project_parcel WHERE parcel_code = 'HZ-BF-A01'"),
    ("bundled_project_parcel", "INSERT INTO bundled_project_parcel (parcel_code, project_code, added_seq) "
     "VALUES ('HZ-BF-X99', 'HZBUNDLE1', 1)", "row_not_in_journal", "SELECT 'HZ-BF-X99'", "SELECT 1"),
    ("issuance_contribution", f"UPDATE issuance_contribution SET quantity_t = quantity_t + 1 WHERE id = {B01}",
     "row_differs_from_journal", f"SELECT batch_id || '/' || parcel_code FROM issuance_contribution WHERE id = {B01}",
     f"SELECT issuance_seq FROM issuance_contribution WHERE id = {B01}"),
    ("issuance_contribution", f"DELETE FROM issuance_contribution WHERE id = {B01}", "row_missing",
     f"SELECT batch_id || '/' || parcel_code FROM issuance_contribution WHERE id = {B01}",
     f"SELECT issuance_seq FROM issuance_contribution WHERE id = {B01}"),
    # distributions, obligations, due items, payments
    ("distribution", "UPDATE distribution SET amount_fen = amount_fen * 10", "row_differs_from_journal",
     "SELECT id FROM distribution", "SELECT seq FROM distribution"),
    ("distribution_contract", "UPDATE distribution_contract SET villages_fen = villages_fen - 100, "
     "centre_fen = centre_fen + 100 WHERE contract_no = 'AJSC-2021-A'", "row_differs_from_journal",
     "SELECT distribution_id || '/AJSC-2021-A' FROM distribution_contract WHERE contract_no = 'AJSC-2021-A'",
     "SELECT seq FROM distribution"),
    ("distribution_contract", "INSERT INTO distribution_contract (distribution_id, contract_no, collective_party_id, "
     "kind, quantity_t, gross_fen, costs_fen, net_fen, villages_fen, centre_fen) "
     "SELECT id, 'FORGED-1', 'COL-B', 'proceeds_share', 1, 1, 0, 1, 1, 0 FROM distribution", "row_not_in_journal",
     "SELECT id || '/FORGED-1' FROM distribution", None),
    ("fixed_payment_obligation", "UPDATE fixed_payment_obligation SET amount_fen = amount_fen + 1 "
     "WHERE year_index = 1", "row_differs_from_journal",
     "SELECT id FROM fixed_payment_obligation WHERE year_index = 1", "SELECT seq FROM fixed_payment_obligation "
     "WHERE year_index = 1"),
    ("due_item", f"UPDATE due_item SET party_id = 'HH-A2' WHERE id = {FIRST_DUE}", "row_differs_from_journal",
     f"SELECT {FIRST_DUE}", "SELECT seq FROM income_payment WHERE reference = 'TR-1'"),
    ("due_item", f"UPDATE due_item SET paid_fen = amount_fen WHERE id = {FIRST_DUE}", "row_differs_from_journal",
     f"SELECT {FIRST_DUE}", "SELECT seq FROM income_payment WHERE reference = 'TR-1'"),
    ("due_item", "UPDATE due_item SET paid_fen = 0 WHERE source_kind = 'fixed_payment' AND paid_fen > 0",
     "row_differs_from_journal", "SELECT id FROM due_item WHERE source_kind = 'fixed_payment' AND paid_fen > 0",
     "SELECT seq FROM income_payment WHERE reference = 'TR-2'"),
    ("due_item", f"DELETE FROM due_item WHERE id = {LAST_UNPAID}", "row_missing", f"SELECT {LAST_UNPAID}",
     f"SELECT seq FROM due_item WHERE id = {LAST_UNPAID}"),
    ("income_payment", "UPDATE income_payment SET amount_fen = 1 WHERE reference = 'TR-2'",
     "row_differs_from_journal", "SELECT id FROM income_payment WHERE reference = 'TR-2'",
     "SELECT seq FROM income_payment WHERE reference = 'TR-2'"),
    ("income_payment", "INSERT INTO income_payment (id, seq, due_id, payer_party_id, party_id, amount_fen, paid_date, "
     "reference) VALUES ('PY-99999999-001', 99999999, 'X', 'CENTRE-1', 'HH-A1', 5, '2030-01-01', 'F')",
     "row_not_in_journal", "SELECT 'PY-99999999-001'", "SELECT 99999999"),
    # liens and the pledges they made
    ("lien", "UPDATE lien SET status = 'active', ended_seq = NULL", "row_differs_from_journal",
     "SELECT id FROM lien", "SELECT ended_seq FROM lien"),
    ("lien_parcel", "DELETE FROM lien_parcel WHERE parcel_code = 'HZ-BF-A02'", "row_missing",
     "SELECT lien_id || '/HZ-BF-A02' FROM lien_parcel WHERE parcel_code = 'HZ-BF-A02'", "SELECT seq FROM lien"),
    ("lien_parcel", "INSERT INTO lien_parcel (lien_id, parcel_code) SELECT id, 'HZ-BF-C01' FROM lien",
     "row_not_in_journal", "SELECT id || '/HZ-BF-C01' FROM lien", None),
    ("lien_pledge", "UPDATE lien_pledge SET issuance_seq = issuance_seq - 1", "row_differs_from_journal",
     "SELECT pledge_id FROM lien_pledge", "SELECT issuance_seq FROM lien_pledge"),
    ("pledge", "UPDATE pledge SET status = 'active', ended_seq = NULL", "row_differs_from_journal",
     "SELECT id FROM pledge", "SELECT ended_seq FROM pledge"),
    ("pledge", "UPDATE pledge SET loan_amount_fen = 1", "row_differs_from_journal",
     "SELECT id FROM pledge", "SELECT ended_seq FROM pledge"),
    # losses and claims
    ("loss_event", "UPDATE loss_event SET lost_t_co2e = '0.1', reversed_t = 1", "row_differs_from_journal",
     "SELECT id FROM loss_event", "SELECT seq FROM loss_event"),
    ("loss_parcel", "UPDATE loss_parcel SET damage_share_bp = 100", "row_differs_from_journal",
     "SELECT event_id || '/' || parcel_code FROM loss_parcel", "SELECT seq FROM loss_event"),
    ("loss_parcel", "DELETE FROM loss_parcel", "row_missing",
     "SELECT event_id || '/' || parcel_code FROM loss_parcel", "SELECT seq FROM loss_event"),
    ("insurance_claim", "UPDATE insurance_claim SET payout_fen = payout_fen * 2", "row_differs_from_journal",
     "SELECT claim_no FROM insurance_claim", "SELECT seq FROM insurance_claim"),
    ("insurance_claim", "INSERT INTO insurance_claim (claim_no, seq, event_id, insurer_party_id, insured_party_id, "
     "policy_no, product, payout_fen) SELECT 'LP-FORGED', seq, id, 'INS-1', 'CENTRE-1', 'P', 'X', 1 FROM loss_event",
     "row_not_in_journal", "SELECT 'LP-FORGED'", "SELECT seq FROM loss_event"),
]


def test_every_income_table_is_checked_against_the_journal(scenario):  # type: ignore[no-untyped-def]
    """Given the scenario, when any income table is changed, deleted from or added to behind the
    journal's back, then verify names the table, the key, the problem and the entry."""
    assert_each_case_caught_and_located(scenario, [(t, sql.replace("{blob}", blob(scenario)), code, key, seq)
                           for t, sql, code, key, seq in CASES])


def test_erased_document_bytes_are_no_difference(scenario):  # type: ignore[no-untyped-def]
    """Given a contract document's bytes erased (PIPL), the ledger still verifies."""
    tamper(scenario, "DELETE FROM collection_document_content")
    assert scenario.verify().ok


def test_an_incremental_run_checks_what_the_tail_changed(scenario):  # type: ignore[no-untyped-def]
    """Given a tail that starts after the distribution and the lien (it pays a due item and ends the
    lien written before it), the tail verifies clean; a paid amount or a lien's end changed is
    caught all the same."""
    svc = scenario
    after = scalar(svc, "SELECT seq FROM distribution")
    assert tail_report(svc, after).ok
    paid = scalar(svc, "SELECT due_id FROM income_payment WHERE reference = 'TR-1'")
    tamper(svc, f"UPDATE due_item SET paid_fen = paid_fen + 1 WHERE id = '{paid}'")
    tamper(svc, "UPDATE lien SET ended_seq = seq")
    found = {(p["table"], p["key"], p["code"]) for p in tail_report(svc, after).problems}
    lien = scalar(svc, "SELECT id FROM lien")
    assert found == {("due_item", paid, "row_differs_from_journal"), ("lien", lien, "row_differs_from_journal")}


def test_every_income_table_has_an_audit():  # type: ignore[no-untyped-def]
    from ledger.table_audits import default_audits
    from ledger.income.store import INCOME_TABLES

    audited = {audit.table for audit in default_audits()}
    assert set(INCOME_TABLES) <= audited
