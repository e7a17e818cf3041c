"""The retirement certificate PDF, on SQLite and PostgreSQL: its text in Chinese and English
states the retirement and its proof, the proof embedded in it verifies offline and names the
retirement's entry, and a certificate whose attachment was altered fails the public check."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader, PdfWriter

from ledger.proofs import check_proof_document
from sinkledger.documents.retirement_certificates import (
    PROOF_ATTACHMENT,
    RECORD_ATTACHMENT,
    qr_payload,
    read_retirement_certificate_pdf,
)
from sinkledger_base.errors import SinkLedgerError

WORDS = {"zh": ("碳汇注销证明", "受益方", "序列号段", "Merkle 包含证明"),
         "en": ("Carbon Credit Retirement Certificate", "Beneficiary", "Serial blocks", "Merkle inclusion proof")}


def enterprise_retirement(service):  # type: ignore[no-untyped-def]
    rid = next(r["retirement_id"] for r in service.public.retirements(limit=200)["items"]
               if r["retired_by"]["kind"] == "enterprise")
    return service.public.retirement(rid)


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_certificate_states_the_retirement_and_carries_a_proof_that_verifies(world, lang):  # type: ignore[no-untyped-def]
    service, _ = world
    r = enterprise_retirement(service)
    pdf = service.public.retirement_certificate_pdf(r["retirement_id"], lang=lang)
    words = text_of(pdf)
    assert all(w in words for w in WORDS[lang]), words[:400]
    assert r["retirement_id"] in words and r["beneficiary"] in words and r["entry_hash"] in words
    assert all(b["serials"].split("..")[0] in words for b in r["blocks"])
    record, proof = read_retirement_certificate_pdf(pdf)
    assert check_proof_document(proof) == (True, "ok")
    assert proof["entry"]["entry_hash"] == r["entry_hash"] == record["entry_hash"]
    assert json.loads(proof["entry"]["body"])["payload"]["result"]["retirement_id"] == r["retirement_id"]
    assert proof["root"] in words
    assert service.public.check_retirement_certificate_pdf(pdf)["ok"] is True


def test_the_qr_code_holds_the_public_link(world):  # type: ignore[no-untyped-def]
    service, _ = world
    r = enterprise_retirement(service)
    assert qr_payload(r["retirement_id"], "https://registry.example.org/certificate") == \
        f"https://registry.example.org/certificate?retirement={r['retirement_id']}"
    assert qr_payload(r["retirement_id"]) == f"sinkledger:retirement/{r['retirement_id']}"
    with pytest.raises(SinkLedgerError) as caught:
        service.public.retirement_certificate_pdf(r["retirement_id"], verify_url="javascript:alert(1)")
    assert caught.value.code == "value_invalid"


def _with_attachment(pdf: bytes, name: str, data: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for other, contents in reader.attachments.items():
        writer.add_attachment(other, data if other == name else contents[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_altered_certificate_fails_the_public_check(world):  # type: ignore[no-untyped-def]
    """Given a genuine certificate, when its retirement record claims another beneficiary or its
    proof names another body, then the check says so (and a PDF without them is unreadable)."""
    service, _ = world
    r = enterprise_retirement(service)
    pdf = service.public.retirement_certificate_pdf(r["retirement_id"])
    record, proof = read_retirement_certificate_pdf(pdf)
    forged_record = _with_attachment(pdf, RECORD_ATTACHMENT, json.dumps(
        record | {"beneficiary": "别人的公司"}, ensure_ascii=False).encode("utf-8"))
    out = service.public.check_retirement_certificate_pdf(forged_record)
    assert (out["ok"], out["proof_ok"], out["matches_ledger"]) == (False, True, False)
    entry = proof["entry"] | {"body": proof["entry"]["body"].replace(r["beneficiary"], "别人的公司")}
    forged_proof = _with_attachment(pdf, PROOF_ATTACHMENT, json.dumps(proof | {"entry": entry}).encode("utf-8"))
    out = service.public.check_retirement_certificate_pdf(forged_proof)
    assert (out["ok"], out["proof_ok"]) == (False, False)
    with pytest.raises(SinkLedgerError) as caught:
        service.public.check_retirement_certificate_pdf(b"%PDF-1.4\n%%EOF\n")
    assert caught.value.code == "retirement_certificate_unreadable"
