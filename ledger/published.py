"""Roots you can hold the operator to: checks of the ledger and of proofs against published,
signed checkpoint files (:mod:`ledger.signing`).

* :func:`check_ledger_against` (``sinkledger verify --against FILE``): the root recomputed over
  the journal's first ``tree_size`` entries must equal the published root, and the file's
  signature must hold. A journal rewritten and re-hashed together with its checkpoint rows passes
  ``verify`` alone, but not this check by anyone who kept an earlier file.
* :func:`check_inclusion_against` (``sinkledger proof-check PROOF --root FILE``): an inclusion
  proof holds against a published root, not only against the root it carries: same tree size,
  or a consistency proof between the proof's tree and the published one.
* :func:`check_consistency_between` (``sinkledger consistency-check OLD NEW``): the newer
  published tree extends the older one.

The last two are pure (``hashlib``, ``json`` and ``cryptography``): they need no database.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session

from ledger import merkle, proofs
from ledger.signing import check_checkpoint_document


def check_ledger_against(session: Session, published: Any, public_key: Ed25519PublicKey | None = None
                         ) -> tuple[bool, str, int | None]:
    """Whether the journal still extends a published checkpoint. Returns ``(ok, problem,
    tree_size)``: ``problem`` is empty when ok, else one sentence naming the tree size."""
    ok, reason = check_checkpoint_document(published, public_key)
    size = published.get("tree_size") if isinstance(published, dict) else None
    size = size if isinstance(size, int) and not isinstance(size, bool) else None
    if not ok:
        return False, f"the published checkpoint at tree size {size} does not check: {reason}", size
    assert size is not None
    entries = proofs.journal_size(session)
    if entries < size:
        return False, (f"the journal has {entries} entries, fewer than the published tree size {size}: "
                       "entries were removed"), size
    root = proofs.root_at(session, size).hex()
    if root != published["root"]:
        return False, (f"the journal's first {size} entries no longer have the published root at tree size "
                       f"{size}: history was rewritten"), size
    head = proofs.head_hash_at(session, size)
    if head != published["head_hash"]:
        return False, f"the entry at tree size {size} does not have the published head hash", size
    return True, "", size


def check_inclusion_against(proof_doc: Any, published: Any, *, consistency_doc: Any = None,
                            public_key: Ed25519PublicKey | None = None) -> tuple[bool, str]:
    """Check an inclusion proof document against a published checkpoint document, offline.

    The proof must hold by itself (:func:`ledger.proofs.check_proof_document`), the checkpoint's
    signature must hold, and the proof's root must be the published root (same tree size) or be
    tied to it by ``consistency_doc``, a consistency proof between the two tree sizes (either
    way round). Returns ``(ok, reason)``."""
    ok, reason = proofs.check_proof_document(proof_doc)
    if not ok:
        return False, reason
    ok, reason = check_checkpoint_document(published, public_key)
    if not ok:
        return False, f"published checkpoint: {reason}"
    size, root = proof_doc["tree_size"], proof_doc["root"]
    if size == published["tree_size"]:
        return (True, "ok") if root == published["root"] else (False, "root_differs_from_published")
    if consistency_doc is None:
        return False, "consistency_proof_needed"
    old, new = sorted(((size, root), (published["tree_size"], published["root"])))
    ok, reason = proofs.check_consistency_document(consistency_doc, old_size=old[0], new_size=new[0],
                                                   old_root=old[1], new_root=new[1])
    return (True, "ok") if ok else (False, reason)


def check_consistency_between(old: Any, new: Any, consistency_doc: Any,
                              public_key: Ed25519PublicKey | None = None) -> tuple[bool, str]:
    """Check that published checkpoint ``new`` extends published checkpoint ``old``: both
    signatures (by the same key, or by ``public_key`` when given), then the consistency proof
    against the two published roots. Returns ``(ok, reason)``."""
    for name, doc in (("old", old), ("new", new)):
        ok, reason = check_checkpoint_document(doc, public_key)
        if not ok:
            return False, f"{name} checkpoint: {reason}"
    if old["public_key"] != new["public_key"]:
        return False, "signed_by_different_keys"
    if old["tree_size"] > new["tree_size"]:
        return False, "old_is_larger_than_new"
    if old["tree_size"] == 0:  # the empty tree is a prefix of every tree
        return (True, "ok") if old["root"] == merkle.EMPTY_ROOT.hex() else (False, "consistency_proof_invalid")
    return proofs.check_consistency_document(consistency_doc, old_size=old["tree_size"], new_size=new["tree_size"],
                                             old_root=old["root"], new_root=new["root"])
