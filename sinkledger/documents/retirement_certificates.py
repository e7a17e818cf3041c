"""The retirement certificate (碳汇注销证明) as a PDF in Chinese or English, with QR code and Merkle proof.

Every retirement has one: it is a pure function of the retirement's journal entry and that
entry's RFC 6962 inclusion proof (:func:`ledger.proofs.inclusion_proof_document`), laid out on
the document toolkit (:mod:`sinkledger.documents.toolkit`) like the court certificate
(:mod:`sinkledger.documents.certificates`). Two attachments travel inside the PDF:

- ``sinkledger-inclusion-proof.json``: the proof document itself, which
  ``sinkledger proof-check`` checks offline with nothing but hashlib;
- ``sinkledger-retirement.json``: the retirement as the certificate states it, compared with
  the ledger by the public page's check (``service.public.check_retirement_certificate_pdf``).

The QR code holds the public link (``<verify_url>?retirement=RT-...``), or
``sinkledger:retirement/RT-...`` when no public address is configured.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reportlab.lib.units import mm

from sinkledger.documents.catalogue import sink_type_name, text, text_or
from sinkledger.documents.certificates import certificate_heading
from sinkledger.documents.formats import timestamp_text
from sinkledger.documents.toolkit import Document, attachment

PROOF_ATTACHMENT = "sinkledger-inclusion-proof.json"
RECORD_ATTACHMENT = "sinkledger-retirement.json"
RECORD_KEYS = ("retirement_id", "seq", "quantity", "beneficiary", "purpose", "kind", "recorded_at", "retired_by",
               "entry_hash", "blocks")


def qr_payload(retirement_id: str, verify_url: str | None = None) -> str:
    """The public link ``<verify_url>?retirement=ID``, else ``sinkledger:retirement/ID``."""
    if verify_url:
        return f"{verify_url}{'&' if '?' in verify_url else '?'}retirement={retirement_id}"
    return f"sinkledger:retirement/{retirement_id}"


def certificate_record(certificate: Mapping[str, Any]) -> dict[str, Any]:
    """The facts a certificate states about its retirement (what the PDF embeds)."""
    return {"id": certificate["retirement_id"]} | {k: certificate[k] for k in RECORD_KEYS}


def _who(party: Mapping[str, Any], lang: str) -> str:
    if party.get("name"):
        return str(party["name"])
    return text("rcert_person", lang) if party.get("kind") == "household" else str(party.get("kind") or "—")


def _retirement_rows(c: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    kind = text_or(f"rcert_kind_{c['kind']}", lang, c["kind"])
    return [(text("rcert_id", lang), c["retirement_id"]),
            (text("rcert_quantity", lang), text("tonnes_co2e", lang, t=c["quantity"])),
            (text("rcert_beneficiary", lang), c["beneficiary"]), (text("rcert_purpose", lang), c["purpose"]),
            (text("rcert_kind", lang), kind), (text("rcert_retired_by", lang), _who(c["retired_by"], lang)),
            (text("rcert_entry", lang), text("rcert_entry_value", lang, seq=c["seq"])),
            (text("rcert_entry_hash", lang), c["entry_hash"])]


def _block_rows(c: Mapping[str, Any], lang: str) -> list[list[str]]:
    return [[b["serials"], b["project_code"], str(b["vintage_year"]), sink_type_name(b["sink_type"], lang),
             str(b["quantity"])] for b in c["blocks"]]


def _verification(doc: Document, c: Mapping[str, Any], verify_url: str | None) -> None:
    lang, proof = doc.lang, c["proof"]
    left = [doc.paragraph_of(text("rcert_how_to_verify", lang)),
            doc.paragraph_of(f"sinkledger proof-check {PROOF_ATTACHMENT}", "mono"),
            doc.paragraph_of(text("rcert_attachment", lang, proof=PROOF_ATTACHMENT, record=RECORD_ATTACHMENT),
                             "note")]
    doc.keep_together([doc.paragraph_of(text("rcert_proof", lang), "heading"),
                       doc.beside(left, doc.qr(qr_payload(c["retirement_id"], verify_url), 36), 40 * mm)])
    doc.code(text("rcert_proof_facts", lang, leaf=proof["leaf_index"], size=proof["tree_size"], root=proof["root"]))
    point = proof.get("checkpoint")
    doc.paragraph(text("rcert_proof_checkpoint", lang, at=timestamp_text(point["created_at"]), size=point["tree_size"])
                  if point else text("rcert_proof_journal", lang), "note")
    doc.paragraph(text("rcert_audit_path", lang), "note")
    doc.code("\n".join(proof["proof"]) or text("none", lang))


def render_retirement_certificate_pdf(certificate: Mapping[str, Any], *, lang: str = "zh",
                                      verify_url: str | None = None) -> bytes:
    """The certificate of one retirement as PDF bytes in ``lang`` ('zh' or 'en').

    ``certificate`` is what :meth:`sinkledger.services.public_registry.PublicRegistry.retirement_certificate`
    returns: the retirement, its blocks and entry hash, and ``proof`` (an inclusion proof document).
    """
    rid = certificate["retirement_id"]
    doc = Document(lang, title=f"{text('rcert_title', lang)} {rid}", subject=f"sinkledger retirement {rid}")
    note = text("rcert_id_line", lang, id=rid, at=timestamp_text(certificate["recorded_at"]))
    certificate_heading(doc, "rcert", note, qr_payload(rid, verify_url))
    doc.heading(text("rcert_retirement", lang))
    doc.fields(_retirement_rows(certificate, lang), label_share=0.25, mono=[text("rcert_entry_hash", lang)])
    doc.heading(text("rcert_credits", lang))
    doc.table([text(k, lang) for k in ("rcert_col_serials", "rcert_col_project", "rcert_col_vintage",
                                       "rcert_col_sink", "rcert_col_quantity")],
              _block_rows(certificate, lang), shares=[4.2, 1.2, 0.8, 1, 1], numeric=(4,), mono=(0,))
    _verification(doc, certificate, verify_url)
    doc.attach(PROOF_ATTACHMENT, json.dumps(certificate["proof"], ensure_ascii=False, sort_keys=True).encode("utf-8"))
    doc.attach(RECORD_ATTACHMENT, json.dumps(certificate_record(certificate), ensure_ascii=False,
                                             sort_keys=True).encode("utf-8"))
    return doc.render()


def read_retirement_certificate_pdf(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (record, proof document) embedded in a retirement certificate PDF.

    Raises
    ------
    ValueError
        Not a PDF, or an attachment missing or unreadable.
    """
    try:
        record = json.loads(attachment(data, RECORD_ATTACHMENT).decode("utf-8"))
        proof = json.loads(attachment(data, PROOF_ATTACHMENT).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{exc.__class__.__name__}: {exc}"[:120]) from None
    if not isinstance(record, dict) or not isinstance(proof, dict):
        raise ValueError("the attachments hold no retirement certificate")  # noqa: TRY004 - as read_certificate_pdf: ValueError for any unreadable file
    return record, proof
