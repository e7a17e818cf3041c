"""Merkle checkpoints and inclusion proofs that anyone can check offline.

An inclusion proof document (JSON) carries the entry's body and hashes, its position, the tree size, the
audit path and the root. :func:`check_proof_document` needs only :mod:`hashlib` and
:mod:`json`: it recomputes the entry hash from the body, the RFC 6962 leaf hash from the entry
hash, and the root from the audit path.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Iterator

from sqlalchemy import func, text
from sqlmodel import Session, select

from ledger import merkle, merkle_nodes
from ledger.domain import GENESIS_HASH
from ledger.sql import Tx
from ledger.store import CheckpointRow, JournalRow
from sinkledger_base.errors import InvalidInput, NotFound

PROOF_FORMAT = "sinkledger-inclusion-proof/1"
CONSISTENCY_FORMAT = "sinkledger-consistency-proof/1"

log = logging.getLogger("sinkledger.ledger")


def iter_leaf_hashes(session: Session, tree_size: int, *, batch_size: int = 10_000) -> Iterator[bytes]:
    """The RFC 6962 leaf hashes of the journal's first ``tree_size`` entries, in order, streamed
    in batches (memory: one batch, whatever the journal's length)."""
    after = 0
    while after < tree_size:
        rows = session.execute(text("SELECT seq, entry_hash FROM journal_entry WHERE seq > :after AND seq <= :end "
                                    "ORDER BY seq LIMIT :n"),
                               {"after": after, "end": tree_size, "n": batch_size}).all()
        if not rows:
            return
        for _, digest in rows:
            yield merkle.leaf_hash(bytes.fromhex(digest))
        after = rows[-1][0]


def root_at(session: Session, tree_size: int) -> bytes:
    """The Merkle root over the journal's first ``tree_size`` entries, in one streaming pass."""
    acc = merkle.MerkleAccumulator()
    for h in iter_leaf_hashes(session, tree_size):
        acc.add(h)
    if acc.size != tree_size:
        raise ValueError(f"the journal has {acc.size} entries, fewer than {tree_size}")
    return acc.root()


def _subtrees_and_roots(session: Session, ranges: list[tuple[int, int]], sizes: tuple[int, ...]
                        ) -> tuple[dict[tuple[int, int], bytes], dict[int, bytes]]:
    """One pass over the first ``max(sizes)`` leaves: the hash of each range and the root at
    each of ``sizes``."""
    acc, roots = merkle.MerkleAccumulator(), {}

    def fed() -> Iterator[bytes]:
        for h in iter_leaf_hashes(session, max(sizes)):
            acc.add(h)
            if acc.size in sizes:
                roots[acc.size] = acc.root()
            yield h

    leaves = fed()
    subtrees = merkle.range_roots(ranges, leaves)
    for _ in leaves:  # the rest of the tree, for the roots
        pass
    return subtrees, roots


def journal_size(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(JournalRow)).one())


def head_hash_at(session: Session, tree_size: int) -> str:
    """The entry hash of entry ``tree_size`` (64 zeros for the empty tree), as a checkpoint names it."""
    head = session.get(JournalRow, tree_size) if tree_size else None
    return head.entry_hash if head else GENESIS_HASH


def create_checkpoint(session: Session, created_at: str) -> CheckpointRow:
    """Record the root over the whole journal now (idempotent for an unchanged journal)."""
    size = journal_size(session)
    existing = session.get(CheckpointRow, size)
    if existing is not None:
        return existing
    root = root_at(session, size).hex()
    row = CheckpointRow(tree_size=size, root=root, head_hash=head_hash_at(session, size),
                        created_at=created_at)
    session.add(row)
    session.flush()
    return row


def latest_checkpoint_covering(session: Session, seq: int) -> CheckpointRow | None:
    return session.exec(select(CheckpointRow).where(CheckpointRow.tree_size >= seq)
                        .order_by(CheckpointRow.tree_size.desc()).limit(1)).first()


def head_seq(session: Session) -> int:
    """The journal's last seq (its size: seqs run from 1 without a gap, as ``verify`` checks),
    by the primary key: no count over a million rows."""
    row = Tx.of(session).one("SELECT max(seq) FROM journal_entry")
    return int(row[0] or 0) if row else 0


_PROOF_CONTEXT_SQL = (
    "SELECT j.seq, j.prev_hash, j.entry_hash, j.body, (SELECT max(seq) FROM journal_entry), c.tree_size, c.root, "
    "c.created_at FROM journal_entry j LEFT JOIN (SELECT tree_size, root, created_at FROM checkpoint WHERE {which} "
    "ORDER BY tree_size DESC LIMIT 1) c ON 1 = 1 WHERE j.seq = :seq")


def inclusion_proof_document(session: Session, seq: int, tree_size: int | None = None) -> dict[str, Any]:
    """Proof that entry ``seq`` is in the journal's first ``tree_size`` entries (default: the
    latest checkpoint covering it, else the whole journal).

    The audit path and the root come from the stored subtree hashes (:mod:`ledger.merkle_nodes`:
    O(log n) rows); with the entry, the journal's size and the checkpoint (one statement), two
    round trips in all. The path must lead from the entry to the root, and against a recorded
    checkpoint to its root; if it does not (a stored node was altered), the proof is computed
    from the journal itself, as before."""
    tx = Tx.of(session)
    which = "tree_size >= :seq" if tree_size is None else "tree_size = :size"
    row = tx.one(_PROOF_CONTEXT_SQL.format(which=which), {"seq": seq, "size": tree_size}) \
        if isinstance(seq, int) and not isinstance(seq, bool) else None
    if row is None:
        raise NotFound("entry_not_found", seq=seq)
    _, prev_hash, entry_hash, body, head, cp_size, cp_root, cp_at = row
    size = tree_size or cp_size or int(head)
    if not seq <= size <= int(head):
        raise InvalidInput("value_invalid", field="tree_size", value=str(tree_size))
    ranges = merkle.inclusion_ranges(seq - 1, size)
    hashes = merkle_nodes.range_hashes(tx, [*ranges, (0, size)])
    path, root = [hashes[r] for r in ranges], hashes[(0, size)]
    pinned = cp_size == size
    leaf = merkle.leaf_hash(bytes.fromhex(entry_hash))
    if (pinned and root.hex() != cp_root) or not merkle.verify_inclusion(
            leaf_index=seq - 1, tree_size=size, leaf_hash_value=leaf, proof=path, root=root):
        log.warning("the stored Merkle nodes do not prove entry %s at tree size %s: computed from the journal "
                    "(sinkledger verify names the node)", seq, size)
        path, root = inclusion_proof_from_journal(session, seq, size)
    return {
        "format": PROOF_FORMAT,
        "entry": {"seq": seq, "prev_hash": prev_hash, "entry_hash": entry_hash, "body": body},
        "leaf_index": seq - 1, "tree_size": size, "leaf_hash": leaf.hex(),
        "proof": [h.hex() for h in path],
        "root": root.hex(),
        "checkpoint": {"tree_size": cp_size, "root": cp_root, "created_at": cp_at} if pinned else None,
    }


def inclusion_proof_from_journal(session: Session, seq: int, size: int) -> tuple[list[bytes], bytes]:
    """The audit path of entry ``seq`` and the root at ``size``, from one pass over the journal's
    entry hashes (no stored node): what the stored nodes are tested against."""
    ranges = merkle.inclusion_ranges(seq - 1, size)
    subtrees, roots = _subtrees_and_roots(session, ranges, (size,))
    return [subtrees[r] for r in ranges], roots[size]


def consistency_proof_document(session: Session, old_size: int, new_size: int) -> dict[str, Any]:
    """The RFC 6962 consistency proof between the journal's first ``old_size`` and ``new_size``
    entries, with both roots, from the stored subtree hashes (O(log n) rows; from the journal
    when they do not give the root of a checkpoint recorded at either size)."""
    size = head_seq(session)
    if not 1 <= old_size <= new_size <= size:
        raise InvalidInput("consistency_sizes_invalid", old_size=old_size, new_size=new_size, journal_size=size)
    ranges = merkle.consistency_ranges(old_size, new_size)
    hashes = merkle_nodes.range_hashes(Tx.of(session), [*ranges, (0, old_size), (0, new_size)])
    roots = {old_size: hashes[(0, old_size)], new_size: hashes[(0, new_size)]}
    recorded = {n: session.get(CheckpointRow, n) for n in roots}
    if any(row is not None and row.root != roots[n].hex() for n, row in recorded.items()):
        subtrees, roots = _subtrees_and_roots(session, ranges, (old_size, new_size))  # the journal decides
        hashes = {**hashes, **subtrees}
    return {"format": CONSISTENCY_FORMAT, "old_size": old_size, "new_size": new_size,
            "old_root": roots[old_size].hex(), "new_root": roots[new_size].hex(),
            "proof": [hashes[r].hex() for r in ranges]}


def check_consistency_document(doc: Any, *, old_size: int, new_size: int, old_root: str, new_root: str
                               ) -> tuple[bool, str]:
    """Check a consistency proof document offline against two roots obtained elsewhere (e.g.
    two published checkpoints): the document's sizes must be theirs and its path must prove the
    old tree a prefix of the new one. Only :mod:`hashlib` is needed. Returns (ok, reason)."""
    try:
        if doc.get("format") != CONSISTENCY_FORMAT:
            return False, f"malformed: format is not {CONSISTENCY_FORMAT}"
        if (doc["old_size"], doc["new_size"]) != (old_size, new_size):
            return False, "sizes_mismatch"
        proof = [bytes.fromhex(p) for p in doc["proof"]]
        ok = merkle.verify_consistency(old_size=old_size, new_size=new_size, old_root=bytes.fromhex(old_root),
                                       new_root=bytes.fromhex(new_root), proof=proof)
        return (True, "ok") if ok else (False, "consistency_proof_invalid")
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return False, f"malformed: {exc.__class__.__name__}"


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
