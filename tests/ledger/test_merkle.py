"""RFC 6962 Merkle hashing and the offline inclusion verifier, against the transparency-dev
test vectors in ../shared/data/merkle/ (Apache-2.0) and a hand-built tree; consistency proofs
against the same vectors and against RFC 6962's recursive definition."""

from __future__ import annotations

import base64
import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)


def _b64(value):  # type: ignore[no-untyped-def]
    return base64.b64decode(value) if value else b""


def test_inclusion_vectors(shared_data):  # type: ignore[no-untyped-def]
    """Given every inclusion vector, when checked offline, then exactly the wanted ones verify."""
    files = sorted((shared_data / "merkle" / "inclusion").rglob("*.json"))
    assert len(files) > 20
    for path in files:
        v = json.loads(path.read_text())
        ok = verify_inclusion(leaf_index=v["leafIdx"], tree_size=v["treeSize"],
                              leaf_hash_value=_b64(v["leafHash"]),
                              proof=[_b64(p) for p in v.get("proof") or []], root=_b64(v["root"]))
        assert ok is (not v["wantErr"]), f"{path.relative_to(shared_data)}: {v.get('desc')}"


def test_root_of_known_tree():
    """RFC 6962 §2.1: MTH of 3 leaves = H(1 || H(1 || l0 || l1) || l2)."""
    leaves = [leaf_hash(bytes([i])) for i in range(3)]
    expected = node_hash(node_hash(leaves[0], leaves[1]), leaves[2])
    assert root_from_leaf_hashes(leaves) == expected
    assert root_from_leaf_hashes([]) == hashlib.sha256(b"").digest()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_every_proof_we_make_verifies_and_a_flipped_bit_fails(n, data):  # type: ignore[no-untyped-def]
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    root = root_from_leaf_hashes(leaves)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(leaf_index=index, tree_size=n, leaf_hash_value=leaves[index], proof=proof, root=root)
    forged = bytes([leaves[index][0] ^ 1]) + leaves[index][1:]
    assert not verify_inclusion(leaf_index=index, tree_size=n, leaf_hash_value=forged, proof=proof, root=root)


# -- consistency proofs ----------------------------------------------------------------------------

def test_consistency_vectors(shared_data):  # type: ignore[no-untyped-def]
    """Given every transparency-dev consistency vector, when checked offline, then exactly the
    wanted ones verify (RFC 9162 §2.1.4.2)."""
    files = sorted((shared_data / "merkle" / "consistency").rglob("*.json"))
    assert len(files) > 50
    for path in files:
        v = json.loads(path.read_text())
        ok = verify_consistency(old_size=v["size1"], new_size=v["size2"], old_root=_b64(v["root1"]),
                                new_root=_b64(v["root2"]), proof=[_b64(p) for p in v.get("proof") or []])
        assert ok is (not v["wantErr"]), f"{path.relative_to(shared_data)}: {v.get('desc')}"


def test_the_happy_vectors_are_the_proofs_we_make(shared_data):  # type: ignore[no-untyped-def]
    """The vectors' tree is RFC 6962's 8-leaf reference tree; our proofs for it equal theirs."""
    leaves = [leaf_hash(bytes.fromhex(x)) for x in
              ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
    checked = 0
    for path in sorted((shared_data / "merkle" / "consistency").glob("*/happy-path.json")):
        v = json.loads(path.read_text())
        if v["size2"] > len(leaves):
            continue
        assert _b64(v["root1"]) == root_from_leaf_hashes(leaves[:v["size1"]])
        assert consistency_proof(v["size1"], v["size2"], iter(leaves)) == [_b64(p) for p in v["proof"] or []]
        checked += 1
    assert checked >= 3


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF, written as the RFC writes it (slicing: fine for a test)."""
    n = len(leaves)
    if m == n:
        return [] if complete else [root_from_leaf_hashes(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return _subproof(m, leaves[:k], complete) + [root_from_leaf_hashes(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [root_from_leaf_hashes(leaves[:k])]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_consistency_proofs_are_rfc_6962s_and_verify(n, data):  # type: ignore[no-untyped-def]
    """Given any two sizes, the streamed proof is the RFC's SUBPROOF, reads the leaves once (a
    one-shot iterator), verifies, and fails with any node flipped or the old root replaced."""
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    m = data.draw(st.integers(min_value=1, max_value=n))
    proof = consistency_proof(m, n, iter(leaves))
    assert proof == _subproof(m, leaves, True)
    old_root, new_root = root_from_leaf_hashes(leaves[:m]), root_from_leaf_hashes(leaves)
    assert verify_consistency(old_size=m, new_size=n, old_root=old_root, new_root=new_root, proof=proof)
    if proof:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        forged = [*proof[:i], bytes([proof[i][0] ^ 1]) + proof[i][1:], *proof[i + 1:]]
        assert not verify_consistency(old_size=m, new_size=n, old_root=old_root, new_root=new_root, proof=forged)
    if m < n:
        assert not verify_consistency(old_size=m, new_size=n, old_root=new_root, new_root=new_root, proof=proof)


def test_proof_ranges_are_disjoint_and_logarithmic():
    """The subtrees a proof needs never overlap (each leaf is hashed once) and number O(log n)."""
    for n in (1, 2, 3, 7, 8, 9, 1000, 1_000_000, 2**40 + 3):
        for m in {min(x, n) for x in (1, 2, n // 3 or 1, n // 2 or 1, n - 1 or 1, n)}:
            ranges = sorted(consistency_ranges(m, n))
            assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:]))
            assert len(ranges) <= 2 * n.bit_length() + 1
        ranges = sorted(inclusion_ranges(n - 1, n))
        assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:])) and len(ranges) <= n.bit_length()
