"""RFC 6962 Merkle hashing and the offline inclusion verifier, against the transparency-dev
test vectors in ../shared/data/merkle/ (Apache-2.0) and a hand-built tree."""

from __future__ import annotations

import base64
import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
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
