"""The certificate PDF: Chinese text, code and QR payload, embedded record; altered or forged PDFs fail."""

from __future__ import annotations

import io
import json

import pytest

from sinkledger.documents.certificates import ATTACHMENT_NAME, qr_payload, read_certificate_pdf
from tests.court.conftest import CASE_NO, assert_refused
from tests.court.test_story import story  # noqa: F401 - the fixture


@pytest.fixture
def issued(story):  # type: ignore[no-untyped-def]
    cert = story.issue_certificate(story.service.actor("judge"), order_id=story.order["order_id"])
    return story, cert["code"], story.certificate_pdf(cert["code"], verify_url="https://registry.example/verify")


def test_pdf_carries_the_record_and_verifies(issued):  # type: ignore[no-untyped-def]
    court, code, pdf = issued
    assert pdf.startswith(b"%PDF")
    document = read_certificate_pdf(pdf)
    assert document["code"] == code and document["record"]["case"]["case_no"] == CASE_NO
    result = court.verify_certificate_pdf(pdf)
    assert result["ok"], result["problems"]


def test_pdf_text_is_chinese_with_the_facts(issued):  # type: ignore[no-untyped-def]
    """The page text (extracted as a reader would) says the facts in Chinese, with the code."""
    from pypdf import PdfReader

    _, code, pdf = issued
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for fact in ("碳汇补偿证明", CASE_NO, "示例县人民法院", "122,366.00", "2079", "58.83", "58.43", code, "履行完毕"):
        assert fact in text, fact


def test_qr_payload():
    assert qr_payload("ABCD-EFGH-IJKL-MNOP") == "sinkledger:cert/ABCD-EFGH-IJKL-MNOP"
    assert qr_payload("C", "https://x.example/verify?lang=zh") == "https://x.example/verify?lang=zh&cert=C"


def _replace_attachment(pdf: bytes, document: dict) -> bytes:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.add_attachment(ATTACHMENT_NAME, json.dumps(document, ensure_ascii=False).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_altered_pdf_fails(issued):  # type: ignore[no-untyped-def]
    """When the embedded record claims more tonnes under the same code, then the code no longer matches."""
    court, code, pdf = issued
    document = read_certificate_pdf(pdf)
    document["record"]["totals"]["quantity_t"] = 5_000
    result = court.verify_certificate_pdf(_replace_attachment(pdf, document))
    assert not result["ok"] and "presented_record_does_not_match_code" in result["problems"]


def test_a_forged_pdf_fails(issued):  # type: ignore[no-untyped-def]
    """A PDF whose record was re-hashed to a fresh code names a certificate the ledger never issued."""
    from ledger.court.domain import verification_code

    court, _, pdf = issued
    document = read_certificate_pdf(pdf)
    document["record"]["totals"]["quantity_t"] = 5_000
    document["code"] = verification_code(document["record"])
    assert_refused("certificate_not_found", lambda: court.verify_certificate_pdf(_replace_attachment(pdf, document)))
    assert_refused("certificate_unreadable", lambda: court.verify_certificate_pdf(b"%PDF-1.4 not really"))
