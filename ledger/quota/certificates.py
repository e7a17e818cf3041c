"""Compliance certificates (履约证明) of met quota obligations: built from the journal, checked against it.

As a court certificate (:mod:`ledger.court.certificates`): the *record* is a pure function of the
entries it rests on (the ``obligation_set`` entry, every surrender and claim counted, and the
retirement entries the claims name), each named by seq and entry hash; its verification code is
base32 of the first 10 bytes of SHA-256 over the record's canonical JSON
(:func:`ledger.court.domain.verification_code`). Only a met obligation has one; issuing it twice
gives the same code and records nothing new. Verifying re-reads every named entry, checks its
hash and its inclusion proof against a checkpoint (recorded with the certificate), rebuilds the
record and recomputes the code; anyone may verify (no actor).
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from ledger.commands import CommandContext
from ledger.compensation.programmes import require_authority
from ledger.court.certificates import load_entries, serials_of
from ledger.court.domain import verification_code
from ledger.domain import EntryKind
from ledger.journal import Entry
from ledger.proofs import check_proof_document, inclusion_proof_document
from ledger.quota.obligations import MET, get_obligation
from ledger.quota.store import ObligationCertificateRow, ObligationCreditRow
from ledger.sql import Tx
from ledger.store import must_get
from sinkledger_base.errors import Conflict

RECORD_FORMAT = "sinkledger-obligation-certificate/1"
OBLIGATION_FIELDS = ("obligation_id", "authority_party_id", "enterprise_party_id", "reference", "quantity_t",
                     "start_date", "deadline", "sink_types", "county_codes", "vintage_from", "vintage_to")


def _retired_blocks(moves: list[dict[str, Any]], rid: str) -> list[dict[str, Any]]:
    return [{"serials": serials_of(m), "quantity_t": m["last"] - m["first"] + 1} for m in moves
            if m["to_state"] == "retired" and m.get("tag") == rid]


def certificate_record(entries: list[Entry]) -> dict[str, Any]:
    """The record of an obligation's compliance from its entries (set, surrenders, claims and the
    retirements claimed)."""
    by_seq = {e.seq: e for e in entries}
    ordered = sorted(entries, key=lambda e: e.seq)
    (set_entry,) = [e for e in ordered if e.kind == EntryKind.obligation_set.value]
    obligation = {k: set_entry.payload["obligation"][k] for k in OBLIGATION_FIELDS}
    credits, counted = [], 0
    for e in ordered:
        if e.kind == EntryKind.obligation_surrender.value:
            s = e.payload["surrender"]
            credits.append({"how": "surrender", "seq": e.seq, "date": e.recorded_at[:10],
                            "retirement_id": s["retirement_id"], "counted_t": s["quantity_t"],
                            "purchase": s["purchase"], "blocks": _retired_blocks(e.payload["moves"], s["retirement_id"])})
            counted += s["quantity_t"]
        elif e.kind == EntryKind.obligation_claim.value:
            c = e.payload["claim"]
            retired = by_seq[c["retirement_seq"]]
            credits.append({"how": "claim", "seq": e.seq, "date": e.recorded_at[:10], "retirement_id": c["retirement_id"],
                            "retirement_date": retired.recorded_at[:10], "counted_t": c["counted_t"], "purchase": None,
                            "blocks": _retired_blocks(retired.payload["moves"], c["retirement_id"])})
            counted += c["counted_t"]
    met = credits[-1]["date"] if credits and counted >= obligation["quantity_t"] else None
    return {"format": RECORD_FORMAT, "obligation": obligation, "credits": credits,
            "totals": {"counted_t": counted, "shortfall_t": max(obligation["quantity_t"] - counted, 0),
                       "met_date": met, "met_on_time": met <= obligation["deadline"] if met else None},
            "entries": [{"seq": e.seq, "kind": e.kind, "entry_hash": e.entry_hash} for e in ordered]}


def obligation_entry_seqs(session: Session, ident: str) -> list[int]:
    """Seqs of the entries a certificate of the obligation rests on, from the projections."""
    row = get_obligation(Tx.of(session), ident)
    credits = session.exec(select(ObligationCreditRow).where(ObligationCreditRow.obligation_id == row.id)).all()
    seqs = {row.seq, *(c.seq for c in credits)}
    for c in credits:
        if c.how == "claim":
            retired = Tx.of(session).one("SELECT seq FROM retirement WHERE id = :r", {"r": c.retirement_id})
            seqs.add(retired[0])
    return sorted(seqs)


def draft_certificate(session: Session, ident: str) -> tuple[dict[str, Any], str]:
    """The record and code a certificate of the obligation would have now (``obligation_not_met``)."""
    row = get_obligation(Tx.of(session), ident)
    if row.status != MET:
        raise Conflict("obligation_not_met", obligation=row.id, shortfall_t=row.quantity_t - row.counted_t)
    entries, _ = load_entries(session, obligation_entry_seqs(session, ident))
    record = certificate_record(entries)
    return record, verification_code(record)


def issue_certificate(ctx: CommandContext, *, obligation_id: str, code: str) -> tuple[str, dict[str, Any]]:
    """Append the certificate entry; ``code`` is what the caller drafted and must still hold."""
    row = get_obligation(ctx.tx, obligation_id)
    if ctx.actor.role.value == "authority":
        require_authority(ctx.actor, "obligation_certificate", row.authority_party_id)
    record, current = draft_certificate(ctx.session, obligation_id)
    if current != code:
        raise Conflict("value_invalid", field="code", value=code)
    ctx.tx.insert(ObligationCertificateRow(code=code, seq=ctx.seq, obligation_id=row.id,
                                           record=json.dumps(record, ensure_ascii=False, sort_keys=True),
                                           issued_at=ctx.recorded_at))
    result = {"code": code, "obligation_id": row.id, "enterprise_party_id": row.enterprise_party_id,
              "quantity_t": row.quantity_t, "counted_t": record["totals"]["counted_t"],
              "met_date": record["totals"]["met_date"]}
    return EntryKind.obligation_certificate_issued.value, {"certificate": {"code": code, "record": record},
                                                           "result": result}


def get_certificate(session: Session, code: str) -> ObligationCertificateRow:
    return must_get(session, ObligationCertificateRow, code, "obligation_certificate_not_found", code=code)


def verify_certificate(session: Session, code: str, *, presented_record: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check a compliance certificate against the ledger; ``ok`` only if every check holds."""
    row = get_certificate(session, code)
    stored = json.loads(row.record)
    seqs = [e["seq"] for e in stored["entries"]]
    entries, hash_checks = load_entries(session, seqs)
    problems = [f"entry {c['seq']}: {c.get('problem', 'hash_mismatch')}" for c in hash_checks if not c["hash_ok"]]
    rebuilt = certificate_record(entries) if not problems else {}
    if rebuilt and verification_code(rebuilt) != code:
        problems.append("record_rebuilt_from_journal_does_not_match_code")
    if rebuilt and rebuilt != stored:
        problems.append("stored_record_differs_from_journal")
    if presented_record is not None and verification_code(presented_record) != code:
        problems.append("presented_record_does_not_match_code")
    elif presented_record is not None and rebuilt and presented_record != rebuilt:
        problems.append("presented_record_differs_from_ledger")
    proofs = []
    if not problems:
        for seq in [*seqs, row.seq]:
            doc = inclusion_proof_document(session, seq)
            ok, reason = check_proof_document(doc)
            proofs.append({"seq": seq, "proof_ok": ok, "reason": reason, "tree_size": doc["tree_size"],
                           "root": doc["root"]})
    problems += [f"entry {p['seq']}: {p['reason']}" for p in proofs if not p["proof_ok"]]
    return {"ok": not problems, "code": code, "kind": "obligation", "problems": problems, "certificate_seq": row.seq,
            "issued_at": row.issued_at, "record": rebuilt or stored, "entries": hash_checks, "proofs": proofs}


def certificates_of(session: Session, ident: str) -> list[dict[str, Any]]:
    rows = session.exec(select(ObligationCertificateRow).where(ObligationCertificateRow.obligation_id == ident)
                        .order_by(ObligationCertificateRow.seq)).all()
    return [{"code": r.code, "seq": r.seq, "issued_at": r.issued_at} for r in rows]
