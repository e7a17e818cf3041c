"""The court certificate (碳汇补偿证明) as a PDF in Chinese or English, with verification code and QR code.

Laid out on the document toolkit (:mod:`sinkledger.documents.toolkit`) with the embedded CJK
font. The canonical certificate record is embedded as the attachment
``sinkledger-certificate.json``: a verifier can recompute the code from it, so an edited
attachment fails, and the page's printed facts can be compared with what
``sinkledger certificate verify CODE`` shows from the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reportlab.lib.units import mm

from sinkledger.documents.catalogue import sink_type_name, text, text_or
from sinkledger.documents.formats import format_yuan, timestamp_text, yuan_digits
from sinkledger.documents.toolkit import Document, attachment

ATTACHMENT_NAME = "sinkledger-certificate.json"


def qr_payload(code: str, verify_url: str | None = None) -> str:
    """What the QR code holds: the public verify URL with ``?cert=CODE``, else ``sinkledger:cert/CODE``."""
    if verify_url:
        return f"{verify_url}{'&' if '?' in verify_url else '?'}cert={code}"
    return f"sinkledger:cert/{code}"


def certificate_heading(doc: Document, prefix: str, note: str, qr: str) -> None:
    """A certificate's heading: ``{prefix}_title`` and ``{prefix}_subtitle`` from the catalogue
    and ``note`` (its code or id line), with the QR code of ``qr`` beside them."""
    lang = doc.lang
    heading = [doc.paragraph_of(text(f"{prefix}_title", lang), "title"),
               doc.paragraph_of(text(f"{prefix}_subtitle", lang), "subtitle"), doc.paragraph_of(note, "note")]
    doc.add(doc.beside(heading, doc.qr(qr, 22), 26 * mm))


def _case_rows(record: Mapping[str, Any], labels: Mapping[str, str], lang: str) -> list[tuple[str, str]]:
    case = record["case"]
    defendants = text("list_sep", lang).join(labels.get(p, p) for p in case["defendants"])
    ecosystem = text("cert_ecosystem_value", lang, sink=sink_type_name(case["sink_type"], lang),
                     sink_type=case["sink_type"], county=case["county_code"])
    if case.get("parcel_code"):
        ecosystem += text("cert_ecosystem_parcel", lang, parcel=case["parcel_code"])
    return [(text("cert_case_no", lang), case["case_no"]), (text("cert_court", lang), case["court_name"]),
            (text("cert_judgment_date", lang), case["judgment_date"]),
            (text("cert_defendants", lang), defendants), (text("cert_ecosystem", lang), ecosystem),
            (text("cert_area", lang), text("cert_area_value", lang, ha=case["damaged_area_ha"])),
            (text("cert_beneficiary", lang), case["ecosystem_name"])]


def _order_rows(record: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    order = record["order"]
    if order["kind"] == "money":
        what = text("cert_ordered_money", lang, amount=format_yuan(order["amount_fen"], lang))
    else:
        what = text("cert_ordered_quantity", lang, t=order["quantity_t"])
    need = [text(key, lang) for key, flag in (("cert_same_sink_type", order["same_sink_type"]),
                                              ("cert_same_county", order["same_county"])) if flag]
    return [(text("cert_order_id", lang), f"{order['order_id']} ({order['item']})"),
            (text("cert_ordered", lang), what), (text("cert_due_date", lang), order["due_date"]),
            (text("cert_requirement", lang), text("list_sep", lang).join(need) or text("none", lang))]


def _fulfilment_rows(record: Mapping[str, Any], labels: Mapping[str, str], lang: str) -> list[list[str]]:
    rows = []
    for f in record["fulfilments"]:
        detail = [f["retirement_id"]]
        detail += [text("cert_serials", lang, serials=b["serials"], t=b["quantity_t"]) for b in f["blocks"]]
        detail.append(text("cert_entry", lang, seq=f["seq"], contract=f["contract_no"],
                           at=timestamp_text(f["recorded_at"])))
        rows.append([f["purchase_date"], labels.get(f["seller_account"], f["seller_account"]), str(f["quantity_t"]),
                     yuan_digits(f["price_fen_per_t"]), yuan_digits(f["amount_fen"]), "\n".join(detail)])
    return rows


def _totals_rows(record: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    totals = record["totals"]
    rows = [(text("cert_retired", lang), text("tonnes_co2e", lang, t=totals["quantity_t"])),
            (text("cert_paid", lang), format_yuan(totals["amount_fen"], lang))]
    if totals.get("remainder_fen") is not None:
        rows.append((text("cert_remainder", lang), format_yuan(totals["remainder_fen"], lang)))
    if totals.get("remaining_t"):
        rows.append((text("cert_remaining", lang), text("tonnes", lang, t=totals["remaining_t"])))
    status = text_or(f"cert_status_{totals['status']}", lang, totals["status"])
    rows.append((text("cert_status", lang), f"{status} ({totals['status']})"))
    return rows


def verification_block(doc: Document, record: Mapping[str, Any], code: str, verify_url: str | None,
                       checkpoint: Mapping[str, Any] | None, *, heading_key: str = "cert_verification",
                       command: str = "certificate verify", attachment_name: str = ATTACHMENT_NAME) -> None:
    """Code and QR code side by side, then the entries and checkpoint the proof rests on (a
    court's certificate; an obligation's with its own heading, command and attachment)."""
    lang = doc.lang
    left = [doc.paragraph_of(text("cert_code", lang)), doc.paragraph_of(code, "big"),
            doc.paragraph_of(text("cert_how_to_verify", lang)),
            doc.paragraph_of(f"sinkledger {command} {code}", "mono"),
            doc.paragraph_of(text("cert_attachment", lang, name=attachment_name), "note")]
    doc.keep_together([doc.paragraph_of(text(heading_key, lang), "heading"),
                       doc.beside(left, doc.qr(qr_payload(code, verify_url), 36), 40 * mm)])
    doc.paragraph(text("cert_entries", lang), "note")
    doc.code("\n".join(f"#{e['seq']} {e['kind']} {e['entry_hash']}" for e in record["entries"]))
    if checkpoint:
        doc.code(text("cert_checkpoint", lang, size=checkpoint["tree_size"], root=checkpoint["root"]))


def render_certificate_pdf(record: Mapping[str, Any], code: str, *, labels: Mapping[str, str] | None = None,
                           verify_url: str | None = None, checkpoint: Mapping[str, Any] | None = None,
                           issued_at: str = "", lang: str = "zh") -> bytes:
    """The certificate as PDF bytes in ``lang`` ('zh' or 'en'), with the record embedded as
    ``sinkledger-certificate.json``.

    ``labels`` maps party and account ids to display names (organisations by name, natural
    persons by pseudonym).
    """
    labels = labels or {}
    doc = Document(lang, title=f"{text('cert_title', lang)} {record['case']['case_no']}",
                   subject=f"sinkledger certificate {code}")
    certificate_heading(doc, "cert", text("cert_code_line", lang, code=code, issued=timestamp_text(issued_at)),
                        qr_payload(code, verify_url))
    doc.heading(text("cert_case", lang))
    doc.fields(_case_rows(record, labels, lang), label_share=0.25)
    doc.heading(text("cert_order", lang))
    doc.fields(_order_rows(record, lang), label_share=0.25)
    doc.heading(text("cert_purchases", lang))
    doc.table([text("col_date", lang), text("cert_seller", lang), text("cert_quantity", lang),
               text("cert_price", lang), text("col_amount_yuan", lang), text("cert_retirement", lang)],
              _fulfilment_rows(record, labels, lang), shares=[1, 1.6, 0.8, 0.9, 1.1, 3.4], numeric=(2, 3, 4))
    doc.heading(text("cert_totals", lang))
    doc.fields(_totals_rows(record, lang), label_share=0.25)
    doc.spacer(2)
    doc.paragraph(text("cert_retired_forever", lang))
    verification_block(doc, record, code, verify_url, checkpoint)
    document = {"code": code, "record": record}
    doc.attach(ATTACHMENT_NAME, json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return doc.render()


def read_certificate_pdf(data: bytes) -> dict[str, Any]:
    """The ``{"code", "record"}`` document embedded in a certificate PDF.

    Raises
    ------
    ValueError
        Not a PDF, or no (readable) certificate attachment.
    """
    try:
        document = json.loads(attachment(data, ATTACHMENT_NAME).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{exc.__class__.__name__}: {exc}"[:120]) from None
    if not isinstance(document, dict) or not isinstance(document.get("record"), dict):
        raise ValueError("the attachment holds no certificate record")
    return document
