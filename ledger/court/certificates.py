"""Carbon-sink compensation certificates (碳汇补偿证明): built from the journal, checked against it.

A certificate *record* is a pure function of journal entries: the case entry, the order's
issue and amendment entries and its fulfilment entries, each named by seq and entry hash. Its
verification code is base32 of the first 10 bytes of SHA-256 over the record's canonical JSON
(:func:`ledger.court.domain.verification_code`). Issuing appends one entry holding the record
and code; the same facts always give the same code, so issuing twice changes nothing.

Verifying a code (:func:`verify_certificate`) finds the certificate, reads every entry it names
from the journal, checks that each body hashes to its entry hash and that the entry is in the
Merkle tree of a checkpoint (an RFC 6962 inclusion proof, checked as a third party would; the
checkpoint is recorded with the certificate, and verifying never writes: a certificate no
checkpoint covers is proved against the journal's root as it is), then
rebuilds the record from those entries and recomputes the code. A forged code finds nothing; an
altered record (in the database, or in the JSON embedded in a PDF) gives another code.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from ledger.commands import CommandContext
from ledger.court.domain import OrderKind, OrderTerms, order_status, verification_code
from ledger.court.orders import add_event, current_status, get_order
from ledger.court.permissions import require_case_court
from ledger.court.store import (
    CourtCaseRow,
    CourtCertificateRow,
    CourtFulfilmentRow,
    CourtOrderEventRow,
)
from ledger.domain import EntryKind, entry_hash, format_block
from ledger.journal import Entry
from ledger.proofs import check_proof_document, inclusion_proof_document
from ledger.store import JournalRow, must_get
from sinkledger_base.errors import Conflict

RECORD_FORMAT = "sinkledger-court-certificate/1"
CASE_FIELDS = ("case_no", "court_party_id", "court_name", "judgment_date", "defendants", "sink_type", "county_code",
               "ecosystem_name", "damaged_area_ha", "parcel_code")
ORDER_FIELDS = ("order_id", "case_no", "item", "kind", "quantity_t", "amount_fen", "due_date", "same_sink_type",
                "same_county", "decision")
FULFILMENT_FIELDS = ("fulfilment_id", "purchase_date", "seller_account", "buyer_account", "quantity_t",
                     "price_fen_per_t", "amount_fen", "remainder_fen", "retirement_id", "retirement_kind",
                     "beneficiary", "purpose", "contract_no")


# --- the record: a pure function of entries --------------------------------------------------

def serials_of(move: dict[str, Any]) -> str:
    """``CN...-2024-000000001..000000010`` for a move (batch ids are ``<prefix>/<first>``)."""
    return format_block(move["batch_id"].rsplit("/", 1)[0], move["first"], move["last"])


def _fulfilment_part(entry: Entry) -> dict[str, Any]:
    fulfilment = entry.payload["fulfilment"]
    retired = [m for m in entry.payload["moves"] if m["to_state"] == "retired"]
    return {**{k: fulfilment[k] for k in FULFILMENT_FIELDS}, "seq": entry.seq, "recorded_at": entry.recorded_at,
            "blocks": [{"serials": serials_of(m), "quantity_t": m["last"] - m["first"] + 1} for m in retired]}


def _order_part(entries: list[Entry]) -> dict[str, Any]:
    order = {k: entries[0].payload["order"][k] for k in ORDER_FIELDS}
    for amendment in entries[1:]:
        order.update(amendment.payload["after"])
    return order | {"amendments": len(entries) - 1}


def _totals(order: dict[str, Any], fulfilments: list[dict[str, Any]]) -> dict[str, Any]:
    quantity_t = sum(f["quantity_t"] for f in fulfilments)
    amount_fen = sum(f["amount_fen"] for f in fulfilments)
    terms = OrderTerms(kind=OrderKind(order["kind"]), quantity_t=order["quantity_t"], amount_fen=order["amount_fen"],
                       fulfilled_t=quantity_t, spent_fen=amount_fen,
                       last_price_fen_per_t=fulfilments[-1]["price_fen_per_t"] if fulfilments else None)
    status = order_status(withdrawn=False, complete=terms.is_complete(), fulfilled_t=quantity_t,
                          due_date=order["due_date"], as_of=None)
    return {"quantity_t": quantity_t, "amount_fen": amount_fen,
            "remainder_fen": terms.remaining_fen if terms.kind is OrderKind.money else None,
            "remaining_t": terms.remaining_t if terms.kind is OrderKind.quantity else None, "status": status.value}


def certificate_record(entries: list[Entry]) -> dict[str, Any]:
    """The certificate record of an order from its entries (case, order issue/amendments, fulfilments)."""
    by_kind: dict[str, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: e.seq):
        by_kind.setdefault(entry.kind, []).append(entry)
    (case_entry,) = by_kind[EntryKind.court_case_registered.value]
    order_entries = by_kind[EntryKind.court_order_issued.value] + by_kind.get(
        EntryKind.court_order_amended.value, [])
    order = _order_part(order_entries)
    fulfilments = [_fulfilment_part(e) for e in by_kind.get(EntryKind.court_fulfilment.value, [])]
    case = {k: case_entry.payload["case"].get(k) for k in CASE_FIELDS}
    return {"format": RECORD_FORMAT, "case": case, "order": order, "fulfilments": fulfilments,
            "totals": _totals(order, fulfilments),
            "entries": [{"seq": e.seq, "kind": e.kind, "entry_hash": e.entry_hash}
                        for e in sorted(entries, key=lambda e: e.seq)]}


# --- reading entries -------------------------------------------------------------------------

def order_entry_seqs(session: Session, order_id: str) -> list[int]:
    """Seqs of the entries a certificate of the order rests on, from the projections."""
    order = get_order(session, order_id)
    case = session.get(CourtCaseRow, order.case_no)
    kinds = (EntryKind.court_order_issued.value, EntryKind.court_order_amended.value,
             EntryKind.court_fulfilment.value)
    events = session.exec(select(CourtOrderEventRow.seq).where(CourtOrderEventRow.order_id == order_id,
                                                               CourtOrderEventRow.kind.in_(kinds))).all()
    return sorted({case.seq, *events})


def load_entries(session: Session, seqs: list[int]) -> tuple[list[Entry], list[dict[str, Any]]]:
    """The entries at ``seqs`` and, for each, whether its body still hashes to its entry hash."""
    entries, checks = [], []
    for seq in seqs:
        row = session.get(JournalRow, seq)
        if row is None:
            checks.append({"seq": seq, "hash_ok": False, "problem": "entry_missing"})
            continue
        ok = entry_hash(row.prev_hash, row.body) == row.entry_hash
        checks.append({"seq": seq, "kind": row.kind, "entry_hash": row.entry_hash, "hash_ok": ok})
        entries.append(Entry.from_row(row))
    return entries, checks


# --- issuing ---------------------------------------------------------------------------------

def draft_certificate(session: Session, order_id: str) -> tuple[dict[str, Any], str]:
    """The record and code a certificate of the order would have now."""
    seqs = order_entry_seqs(session, order_id)
    entries, _ = load_entries(session, seqs)
    record = certificate_record(entries)
    if not record["fulfilments"]:
        raise Conflict("order_has_no_fulfilment", order=order_id)
    return record, verification_code(record)


def issue_certificate(ctx: CommandContext, *, order_id: str, code: str) -> tuple[str, dict[str, Any]]:
    """Append the certificate entry; ``code`` is what the caller drafted and must still hold."""
    order = get_order(ctx.session, order_id)
    require_case_court(ctx.actor, "court_certificate", order.court_party_id)
    record, current = draft_certificate(ctx.session, order_id)
    if current != code:
        raise Conflict("value_invalid", field="code", value=code)
    ctx.session.add(CourtCertificateRow(code=code, seq=ctx.seq, order_id=order_id, case_no=order.case_no,
                                        record=json.dumps(record, ensure_ascii=False, sort_keys=True),
                                        issued_at=ctx.recorded_at))
    add_event(ctx, order_id, EntryKind.court_certificate_issued, {"code": code})
    result = {"code": code, "order_id": order_id, "case_no": order.case_no, "status": record["totals"]["status"],
              "quantity_t": record["totals"]["quantity_t"], "amount_fen": record["totals"]["amount_fen"]}
    return EntryKind.court_certificate_issued.value, {"certificate": {"code": code, "record": record},
                                                           "result": result}


# --- verifying -------------------------------------------------------------------------------

def get_certificate(session: Session, code: str) -> CourtCertificateRow:
    return must_get(session, CourtCertificateRow, code, "certificate_not_found", code=code)


def _proof_checks(session: Session, seqs: list[int]) -> list[dict[str, Any]]:
    out = []
    for seq in seqs:
        doc = inclusion_proof_document(session, seq)
        ok, reason = check_proof_document(doc)
        out.append({"seq": seq, "proof_ok": ok, "reason": reason, "tree_size": doc["tree_size"], "root": doc["root"],
                    "leaf_index": doc["leaf_index"], "audit_path": doc["proof"],
                    "checkpoint": doc["checkpoint"]})
    return out


def verify_certificate(session: Session, code: str, *,
                       presented_record: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check a certificate against the ledger; ``ok`` only if every check holds.

    ``presented_record`` is the record carried by a document (e.g. embedded in the PDF): it
    must hash to ``code`` and equal what the ledger gives.
    """
    row = get_certificate(session, code)
    stored = json.loads(row.record)
    seqs = [e["seq"] for e in stored["entries"]]
    entries, hash_checks = load_entries(session, seqs)
    problems = [f"entry {c['seq']}: {c.get('problem', 'hash_mismatch')}" for c in hash_checks if not c["hash_ok"]]
    rebuilt = certificate_record(entries) if not problems else {}
    problems += _record_problems(code, stored, rebuilt, presented_record)
    proofs = _proof_checks(session, [*seqs, row.seq]) if not problems else []
    problems += [f"entry {p['seq']}: {p['reason']}" for p in proofs if not p["proof_ok"]]
    return {"ok": not problems, "code": code, "problems": problems, "certificate_seq": row.seq,
            "issued_at": row.issued_at, "record": rebuilt or stored, "entries": hash_checks, "proofs": proofs,
            "order_now": _order_now(session, row.order_id)}


def _record_problems(code: str, stored: dict[str, Any], rebuilt: dict[str, Any],
                     presented: dict[str, Any] | None) -> list[str]:
    problems = []
    if rebuilt and verification_code(rebuilt) != code:
        problems.append("record_rebuilt_from_journal_does_not_match_code")
    if rebuilt and rebuilt != stored:
        problems.append("stored_record_differs_from_journal")
    if presented is not None and verification_code(presented) != code:
        problems.append("presented_record_does_not_match_code")
    elif presented is not None and rebuilt and presented != rebuilt:
        problems.append("presented_record_differs_from_ledger")
    return problems


def _order_now(session: Session, order_id: str) -> dict[str, Any]:
    """The order today (later purchases, a withdrawal), for context: not part of the proof."""
    order = get_order(session, order_id)
    later = session.exec(select(CourtFulfilmentRow.seq).where(CourtFulfilmentRow.order_id == order_id)).all()
    return {"status": current_status(order, None).value, "fulfilled_t": order.fulfilled_t,
            "spent_fen": order.spent_fen, "fulfilments": len(later), "withdrawn": order.withdrawn_seq is not None}


def certificates_of_order(session: Session, order_id: str) -> list[dict[str, Any]]:
    rows = session.exec(select(CourtCertificateRow).where(CourtCertificateRow.order_id == order_id)
                        .order_by(CourtCertificateRow.seq)).all()
    return [{"code": r.code, "seq": r.seq, "issued_at": r.issued_at} for r in rows]
