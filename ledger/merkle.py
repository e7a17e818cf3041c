"""RFC 6962 Merkle tree hashing over journal entry hashes, and an offline proof checker.

Leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right); the tree over n
leaves splits at the largest power of two below n (RFC 6962 §2.1). ``verify_inclusion`` needs
nothing but :mod:`hashlib`, so a certificate holder can check a proof without sinkledger.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

HASH_BYTES = 32


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleAccumulator:
    """Adds leaf hashes one at a time and gives the root of the tree so far at any size.

    It keeps one hash per complete subtree (at most log2(n) of them), so a million entries cost
    a few kilobytes.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (height, hash) of complete subtrees
        self.size = 0

    def add(self, leaf_hash_value: bytes) -> None:
        node = (0, leaf_hash_value)
        while self._stack and self._stack[-1][0] == node[0]:
            height, left = self._stack.pop()
            node = (height + 1, node_hash(left, node[1]))
        self._stack.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return hashlib.sha256(b"").digest()
        acc = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            acc = node_hash(left, acc)
        return acc


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    """Merkle tree hash of the leaves whose leaf hashes are given, in one streaming pass."""
    acc = MerkleAccumulator()
    for h in hashes:
        acc.add(h)
    return acc.root()


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``leaf_hashes`` (RFC 6962 §2.1.1)."""
    if not 0 <= index < len(leaf_hashes):
        raise IndexError(index)
    if len(leaf_hashes) == 1:
        return []
    k = 1 << ((len(leaf_hashes) - 1).bit_length() - 1)
    if index < k:
        return inclusion_proof(leaf_hashes[:k], index) + [root_from_leaf_hashes(leaf_hashes[k:])]
    return inclusion_proof(leaf_hashes[k:], index - k) + [root_from_leaf_hashes(leaf_hashes[:k])]


def verify_inclusion(*, leaf_index: int, tree_size: int, leaf_hash_value: bytes,
                     proof: Sequence[bytes], root: bytes) -> bool:
    """Check an inclusion proof (RFC 9162 §2.1.3.2 algorithm). Pure; no sinkledger needed."""
    if leaf_index < 0 or leaf_index >= tree_size:
        return False
    if any(len(h) != HASH_BYTES for h in (leaf_hash_value, root, *proof)):
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash_value
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root
