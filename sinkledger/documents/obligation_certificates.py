"""The compliance certificate (配额履约证明) of a met quota obligation, as a PDF in Chinese or English.

Laid out like the court certificate (:mod:`sinkledger.documents.certificates`): the obligation,
each retirement counted (surrendered for it, or an earlier one claimed) with its serial blocks,
the totals, the verification code with a QR code, and the entries and checkpoint the proof rests
on. The canonical record is embedded as ``sinkledger-obligation-certificate.json``: its code can
be recomputed from it, so an edited attachment fails against the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sinkledger.documents.catalogue import sink_type_name, text
from sinkledger.documents.certificates import certificate_heading, qr_payload, verification_block
from sinkledger.documents.formats import timestamp_text, yuan_digits
from sinkledger.documents.toolkit import Document, attachment

ATTACHMENT_NAME = "sinkledger-obligation-certificate.json"


def _obligation_rows(record: Mapping[str, Any], labels: Mapping[str, str], lang: str) -> list[tuple[str, str]]:
    o = record["obligation"]
    sinks = text("list_sep", lang).join(sink_type_name(s, lang) for s in o["sink_types"])
    counties = text("list_sep", lang).join(o["county_codes"]) or text("ocert_any_county", lang)
    return [(text("ocert_obligation_id", lang), o["obligation_id"]), (text("ocert_reference", lang), o["reference"]),
            (text("ocert_authority", lang), labels.get(o["authority_party_id"], o["authority_party_id"])),
            (text("ocert_enterprise", lang), labels.get(o["enterprise_party_id"], o["enterprise_party_id"])),
            (text("ocert_required", lang), text("tonnes_co2e", lang, t=o["quantity_t"])),
            (text("ocert_period", lang), f"{o['start_date']} – {o['deadline']}"),
            (text("ocert_eligible", lang), text("ocert_eligible_value", lang, sinks=sinks, start=o["vintage_from"],
                                                 end=o["vintage_to"], counties=counties))]


def _credit_rows(record: Mapping[str, Any], labels: Mapping[str, str], lang: str) -> list[list[str]]:
    rows = []
    for c in record["credits"]:
        how = text(f"ocert_how_{c['how']}", lang)
        if c["purchase"]:
            buy = c["purchase"]
            how += "\n" + text("ocert_bought", lang, seller=labels.get(buy["seller_account"], buy["seller_account"]),
                               price=yuan_digits(buy["price_fen_per_t"]), contract=buy["contract_no"])
        blocks = [text("cert_serials", lang, serials=b["serials"], t=b["quantity_t"]) for b in c["blocks"]]
        rows.append([c["date"], how, c["retirement_id"], str(c["counted_t"]),
                     "\n".join(blocks + [text("rcert_entry_value", lang, seq=c["seq"])])])
    return rows


def render_obligation_certificate_pdf(record: Mapping[str, Any], code: str, *, labels: Mapping[str, str] | None = None,
                                      verify_url: str | None = None, checkpoint: Mapping[str, Any] | None = None,
                                      issued_at: str = "", lang: str = "zh") -> bytes:
    """The certificate as PDF bytes in ``lang`` ('zh' or 'en'), the record embedded."""
    labels = labels or {}
    doc = Document(lang, title=f"{text('ocert_title', lang)} {record['obligation']['obligation_id']}",
                   subject=f"sinkledger obligation certificate {code}")
    certificate_heading(doc, "ocert", text("cert_code_line", lang, code=code, issued=timestamp_text(issued_at)),
                        qr_payload(code, verify_url))
    doc.heading(text("ocert_obligation", lang))
    doc.fields(_obligation_rows(record, labels, lang), label_share=0.25)
    doc.heading(text("ocert_credits", lang))
    doc.table([text("col_date", lang), text("ocert_how", lang), text("rcert_id", lang), text("ocert_counted", lang),
               text("cert_retirement", lang)], _credit_rows(record, labels, lang), shares=[1, 2, 1.3, 0.8, 3.6],
              numeric=(3,))
    totals = record["totals"]
    doc.heading(text("ocert_totals", lang))
    on_time = text("ocert_on_time" if totals["met_on_time"] else "ocert_late", lang)
    doc.fields([(text("ocert_counted_total", lang), text("tonnes_co2e", lang, t=totals["counted_t"])),
                (text("ocert_met_date", lang), f"{totals['met_date']} ({on_time})")], label_share=0.25)
    doc.spacer(2)
    doc.paragraph(text("ocert_retired_forever", lang))
    verification_block(doc, record, code, verify_url, checkpoint, heading_key="ocert_verification",
                       command="obligations verify", attachment_name=ATTACHMENT_NAME)
    doc.attach(ATTACHMENT_NAME, json.dumps({"code": code, "record": record}, ensure_ascii=False,
                                           sort_keys=True).encode("utf-8"))
    return doc.render()


def read_obligation_certificate_pdf(data: bytes) -> dict[str, Any]:
    """The ``{"code", "record"}`` document embedded in a compliance certificate PDF (ValueError if none)."""
    try:
        document = json.loads(attachment(data, ATTACHMENT_NAME).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{exc.__class__.__name__}: {exc}"[:120]) from None
    if not isinstance(document, dict) or not isinstance(document.get("record"), dict):
        raise ValueError("the attachment holds no certificate record")
    return document
