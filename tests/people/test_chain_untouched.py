"""Personal data never enters the chain: correcting or erasing it leaves ``verify``, Merkle proofs
and certificates exactly as they were, and no public output names a person.

Given a court certificate (a purchase and retirement of COL-1's credits, with its Merkle proofs)
and households with registered details, when details are read, corrected and erased, then the
journal's head hash, size and checkpoint root, every proof and the certificate's verification
are unchanged, and neither the journal nor the certificate nor any public listing holds a name,
ID number, phone or account.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlmodel import select

from ledger.proofs import check_proof_document
from ledger.store import JournalRow
from tests.court.conftest import PRICE_FEN_PER_T, court, money_order, register_case, stocked  # noqa: F401
from tests.people.conftest import assert_refused  # noqa: F401


@pytest.fixture
def certified(people, stocked):  # type: ignore[no-untyped-def]  # noqa: F811 - the fixture imported above
    """Given a money order fulfilled by one purchase of 100 t from COL-1 and its certificate."""
    svc = stocked.service
    register_case(stocked)
    order = money_order(stocked)
    stocked.fulfil(svc.actor("clerk"), "ful:1", order_id=order["order_id"], seller_account="COL-1-H",
                   price_fen_per_t=PRICE_FEN_PER_T, quantity_t=100, contract_no="HZGT-2024-001",
                   purchase_date="2024-04-01")
    cert = stocked.issue_certificate(svc.actor("judge"), order_id=order["order_id"])
    return people, stocked, cert["code"]


def chain_state(svc, court_api, code: str) -> dict:  # type: ignore[no-untyped-def]
    report = svc.verify()
    with svc.db.read() as s:
        bodies = hashlib.sha256(b"".join(r.body.encode() + r.entry_hash.encode()
                                         for r in s.exec(select(JournalRow).order_by(JournalRow.seq)))).hexdigest()
    check = court_api.verify_certificate(code)
    proofs = [svc.proof(seq) for seq in (1, check["certificate_seq"])]
    return {"ok": report.ok, "entries": report.entries, "head": report.head_hash, "bodies": bodies,
            "certificate_ok": check["ok"], "problems": check["problems"],
            "proof_roots": [p["root"] for p in proofs], "proofs_ok": [check_proof_document(p) for p in proofs]}


def test_reading_correcting_and_erasing_change_nothing_in_the_chain(certified):  # type: ignore[no-untyped-def]
    people, court_api, code = certified
    svc, api, admin = court_api.service, people.api, people.actor("admin")
    before = chain_state(svc, court_api, code)
    assert before["ok"] and before["certificate_ok"] and all(ok for ok, _ in before["proofs_ok"])

    api.view(people.actor("cashier"), "HH-1", "revenue_payment")
    api.payment_list(people.actor("cashier"), [{"party_id": "HH-1", "amount_fen": 1000}])
    api.correct(people.actor("centre"), party_id="HH-1", changes={"phone": "13900005555"}, reason="核对")
    api.erase(admin, party_id="HH-1", reason="本人删除申请 E-1")
    api.erase(admin, party_id="HH-3", reason="本人删除申请 E-2")
    api.register(people.actor("centre"), party_id="HH-1", **people.details["HH-1"],
                 purpose="再次同意（测试）", consent_date="2024-05-01")

    assert chain_state(svc, court_api, code) == before
    assert court_api.verify_certificate_pdf(court_api.certificate_pdf(code))["ok"] is True


def public_texts(svc, court_api, code: str) -> str:  # type: ignore[no-untyped-def]
    """Everything a member of the public or an auditor can get without personal-data rights."""
    from pypdf import PdfReader

    with svc.db.read() as s:
        journal = "\n".join(r.body for r in s.exec(select(JournalRow)))
    pdf = court_api.certificate_pdf(code)
    reader = PdfReader(io.BytesIO(pdf))
    pdf_text = "".join(page.extract_text() for page in reader.pages)
    attachments = "".join(b.decode("utf-8") for values in reader.attachments.values() for b in values)
    return "\n".join(map(str, (journal, pdf_text, attachments, court_api.verify_certificate(code), svc.parties(),
                               svc.parcels(), svc.journal(limit=10_000), svc.balances(), svc.proof(1))))


def test_no_public_output_names_a_person(certified):  # type: ignore[no-untyped-def]
    people, court_api, code = certified
    text = public_texts(court_api.service, court_api, code)
    for details in people.details.values():
        for field in ("name", "resident_id", "phone", "bank_account"):
            assert details[field] not in text, field
    assert "农户 HH-1（化名）" in text  # households appear by pseudonym
