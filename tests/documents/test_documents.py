"""Every document, in Chinese and English, read back as a reader would (pypdf): the facts are in
its text, and every font it uses is embedded, so any reader shows it."""

from __future__ import annotations

import re
import string

import pytest

from sinkledger.documents.catalogue import TEXTS, text
from sinkledger.documents.formats import format_yuan, yuan_digits
from tests.court.conftest import CASE_NO, assert_refused
from tests.documents.helpers import embedded_fonts, only_embedded_fonts, pdf_text

LANGS = ("zh", "en")


def flat(pdf: bytes) -> str:
    """The text without line breaks (a long value may wrap in its table cell)."""
    return re.sub(r"\s+", "", pdf_text(pdf))


def assert_readable(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert only_embedded_fonts(pdf) and any("WenQuanYi" in name for name in embedded_fonts(pdf))


@pytest.mark.parametrize("lang", LANGS)
def test_certificate(story, lang):  # type: ignore[no-untyped-def]
    from sinkledger.documents.certificates import read_certificate_pdf

    code = story.issue_certificate(story.service.actor("judge"), order_id=story.order["order_id"])["code"]
    pdf = story.certificate_pdf(code, verify_url="https://registry.example/verify", lang=lang)
    assert_readable(pdf)
    page = flat(pdf)
    for fact in (text("cert_title", lang), CASE_NO, code, "122,366.00", "58.83", text("cert_status_fulfilled", lang),
                 f"sinkledgercertificateverify{code}"):
        assert re.sub(r"\s+", "", fact) in page, fact
    document = read_certificate_pdf(pdf)
    assert document["code"] == code
    assert story.verify_certificate_pdf(pdf)["ok"]
    assert_refused("value_invalid", lambda: story.certificate_pdf(code, lang="fr"))


@pytest.mark.parametrize("lang", LANGS)
def test_household_and_collective_statements(sold, lang):  # type: ignore[no-untyped-def]
    income, svc = sold, sold.service
    out = income.distribute(svc.actor("centre"), sale_seq=sold.sale["seq"])
    paid = income.pay_outstanding(svc.actor("centre"), "pay-1", source_id=out["distribution_id"], party_id="HH-A1",
                                  paid_date=out["sale_date"], reference="NSYH-20240630-0001")
    period = {"period_start": "2000-01-01", "period_end": "2100-01-01"}
    pdf = income.statement_pdf(svc.actor("hh-a1"), party_id="HH-A1", lang=lang, **period)
    assert_readable(pdf)
    page = flat(pdf)
    for fact in (text("st_title", lang), "HH-A1", "HZ-BF-A01", "NSYH-20240630-0001", yuan_digits(paid["amount_fen"]),
                 text("st_sales_income", lang), text("status_paid", lang)):
        assert fact.replace(" ", "") in page, fact
    data = income.statement(svc.actor("hh-a1"), party_id="HH-A1", **period)
    collective = data["parcels"][0]["holder_party_id"]
    pdf = income.statement_pdf(svc.actor("coop-a"), party_id=collective, lang=lang, **period)
    assert_readable(pdf)
    whole = income.statement(svc.actor("coop-a"), party_id=collective, **period)
    page = flat(pdf)
    for fact in (collective, text("st_by_recipient", lang), yuan_digits(whole["sales"][0]["gross_fen"]), "HH-A1"):
        assert fact.replace(" ", "") in page, fact
    assert_refused("value_invalid", lambda: income.statement_pdf(svc.actor("hh-a1"), party_id="HH-A1", lang="de", **period))


@pytest.mark.parametrize("lang", LANGS)
def test_receipt(lang):  # type: ignore[no-untyped-def]
    from sinkledger.ui.receipt import receipt_pdf
    from sinkledger.ui.text import text as ui_text

    serials = "CN330523-BF-AJBF01-2022-000000001..000000003"
    sale = {"seq": 7, "recorded_at": "2025-03-01T08:00:00+00:00", "contract_no": "C-1", "seller_name": "卖方合作社",
            "seller_account": "COL-0001-H", "buyer_name": "买方企业", "buyer_account": "ENT-0001-H", "quantity": 3,
            "price_fen_per_t": 7341, "amount_fen": 22023, "actor": "clerk", "entry_hash": "ab" * 32,
            "blocks": [{"serials": serials, "quantity": 3}]}
    pdf = receipt_pdf(sale, lang)
    assert_readable(pdf)
    page = flat(pdf)
    for fact in (ui_text("receipt_title", lang), "220.23", serials, "ab" * 32, "卖方合作社", "COL-0001-H",
                 text("receipt_blocks_serials", lang)):
        assert fact.replace(" ", "") in page, fact


@pytest.mark.parametrize("lang", LANGS)
def test_report(lang):  # type: ignore[no-untyped-def]
    from sinkledger.documents.reports import label, render
    from tests.methodologies.test_reports import record

    document = record("sinkledger.tea-garden")
    pdf = render(document, "pdf", lang)
    assert_readable(pdf)
    page = flat(pdf)
    for fact in (label("title", lang), label("trace", lang), document["reproducibility_hash"],
                 f"{int(document['net_kg_co2e']):,}"):
        assert fact.replace(" ", "") in page, fact


def test_a_long_table_repeats_its_header_and_numbers_its_pages() -> None:
    from sinkledger.documents.toolkit import Document

    doc = Document("en", title="Long")
    doc.table(["Serial", "Amount"], [[f"S-{i:04d}", yuan_digits(i * 101)] for i in range(200)], numeric=(1,))
    import io

    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(io.BytesIO(doc.render())).pages]
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert "Serial" in page and f"Page {number} of {len(pages)}" in page
    assert "S-0199" in pages[-1] and yuan_digits(199 * 101) in pages[-1]


def test_money_formats() -> None:
    assert format_yuan(12_236_600, "zh") == "122,366.00 元"
    assert format_yuan(12_236_600, "en") == "CNY 122,366.00"
    assert format_yuan(-5, "en") == "CNY -0.05"


def test_catalogue_pairs_name_the_same_placeholders() -> None:
    def names(template: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field}

    for key, (zh, en) in TEXTS.items():
        assert zh and en, key
        assert names(zh) == names(en), key
