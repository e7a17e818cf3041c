"""Merkle checkpoints and inclusion proofs that anyone can check offline.

A proof document (JSON) carries the entry's body and hashes, its position, the tree size, the
audit path and the root. :func:`check_proof_document` needs only :mod:`hashlib` and
:mod:`json`: it recomputes the entry hash from the body, the RFC 6962 leaf hash from the entry
hash, and the root from the audit path.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ledger import merkle
from ledger.store import CheckpointRow, JournalRow
from sinkledger_base.errors import InvalidInput, NotFound

PROOF_FORMAT = "sinkledger-inclusion-proof/1"


def _leaf_hashes(session: Session, tree_size: int) -> list[bytes]:
    rows = session.exec(select(JournalRow.entry_hash).where(JournalRow.seq <= tree_size)
                        .order_by(JournalRow.seq)).all()
    return [merkle.leaf_hash(bytes.fromhex(h)) for h in rows]


def journal_size(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(JournalRow)).one())


def create_checkpoint(session: Session, created_at: str) -> CheckpointRow:
    """Record the root over the whole journal now (idempotent for an unchanged journal)."""
    size = journal_size(session)
    existing = session.get(CheckpointRow, size)
    if existing is not None:
        return existing
    root = merkle.root_from_leaf_hashes(_leaf_hashes(session, size)).hex()
    head = session.get(JournalRow, size)
    row = CheckpointRow(tree_size=size, root=root, head_hash=head.entry_hash if head else "0" * 64,
                        created_at=created_at)
    session.add(row)
    session.flush()
    return row


def latest_checkpoint_covering(session: Session, seq: int) -> CheckpointRow | None:
    return session.exec(select(CheckpointRow).where(CheckpointRow.tree_size >= seq)
                        .order_by(CheckpointRow.tree_size.desc()).limit(1)).first()


def inclusion_proof_document(session: Session, seq: int, tree_size: int | None = None) -> dict[str, Any]:
    """Proof that entry ``seq`` is in the journal's first ``tree_size`` entries (default: the
    latest checkpoint covering it, else the whole journal)."""
    entry = session.get(JournalRow, seq) if isinstance(seq, int) else None
    if entry is None:
        raise NotFound("entry_not_found", seq=seq)
    checkpoint = latest_checkpoint_covering(session, seq) if tree_size is None else session.get(CheckpointRow, tree_size)
    size = tree_size or (checkpoint.tree_size if checkpoint else journal_size(session))
    if not seq <= size <= journal_size(session):
        raise InvalidInput("value_invalid", field="tree_size", value=str(tree_size))
    leaves = _leaf_hashes(session, size)
    return {
        "format": PROOF_FORMAT,
        "entry": {"seq": entry.seq, "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash, "body": entry.body},
        "leaf_index": seq - 1, "tree_size": size, "leaf_hash": leaves[seq - 1].hex(),
        "proof": [h.hex() for h in merkle.inclusion_proof(leaves, seq - 1)],
        "root": merkle.root_from_leaf_hashes(leaves).hex(),
        "checkpoint": None if checkpoint is None or checkpoint.tree_size != size else
        {"tree_size": checkpoint.tree_size, "root": checkpoint.root, "created_at": checkpoint.created_at},
    }


def check_proof_document(doc: dict[str, Any]) -> tuple[bool, str]:
    """Check a proof document offline. Returns (ok, reason); reason is ``ok`` or what failed."""
    try:
        entry = doc["entry"]
        recomputed = hashlib.sha256((entry["prev_hash"] + "\n" + entry["body"]).encode("utf-8")).hexdigest()
        if recomputed != entry["entry_hash"]:
            return False, "entry_hash_mismatch"
        if json.loads(entry["body"]).get("seq") != doc["leaf_index"] + 1:
            return False, "position_mismatch"
        leaf = merkle.leaf_hash(bytes.fromhex(entry["entry_hash"]))
        if leaf.hex() != doc["leaf_hash"]:
            return False, "leaf_hash_mismatch"
        ok = merkle.verify_inclusion(leaf_index=doc["leaf_index"], tree_size=doc["tree_size"], leaf_hash_value=leaf,
                                     proof=[bytes.fromhex(p) for p in doc["proof"]], root=bytes.fromhex(doc["root"]))
        if ok and doc.get("checkpoint") and doc["checkpoint"]["root"] != doc["root"]:
            return False, "checkpoint_root_mismatch"
        return (True, "ok") if ok else (False, "inclusion_proof_invalid")
    except (KeyError, TypeError, ValueError) as exc:
        return False, f"malformed: {exc.__class__.__name__}"
