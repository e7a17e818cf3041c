"""RFC 6962 Merkle tree hashing over journal entry hashes, and an offline proof checker.

Leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right); the tree over n
leaves splits at the largest power of two below n (RFC 6962 §2.1). ``verify_inclusion`` needs
nothing but :mod:`hashlib`, so a certificate holder can check a proof without sinkledger.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # the Merkle tree hash of no leaves


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


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose subtree hashes make up the audit path of leaf
    ``index`` in a tree of ``size`` leaves (RFC 6962 §2.1.1, PATH), in proof order (deepest first)."""
    if not 0 <= index < size:
        raise IndexError(index)
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``leaf_hashes`` (RFC 6962 §2.1.1)."""
    ranges = inclusion_ranges(index, len(leaf_hashes))
    roots = range_roots(ranges, leaf_hashes)
    return [roots[r] for r in ranges]


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


# -- consistency proofs (RFC 6962 §2.1.2, verified as RFC 9162 §2.1.4.2) ---------------------------

def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose subtree hashes make up the consistency proof from
    ``old_size`` to ``new_size`` (RFC 6962 §2.1.2, SUBPROOF), in proof order.

    Pure arithmetic on the sizes, O(log n): the proof is then the Merkle tree hash of each range.
    The ranges are disjoint complete or right-edge subtrees, so computing them all reads each
    leaf hash at most once.
    """
    if not 0 < old_size <= new_size:
        raise ValueError(f"consistency needs 0 < old_size <= new_size, got {old_size}, {new_size}")
    ranges: list[tuple[int, int]] = []
    m, start, end, complete = old_size, 0, new_size, True  # SUBPROOF(m, D[start:end], complete)
    while m != end - start:
        k = _largest_power_of_two_below(end - start)
        if m <= k:
            ranges.append((start + k, end))  # MTH(D[k:n]) comes after the left subproof
            end = start + k
        else:
            ranges.append((start, start + k))  # MTH(D[0:k]) comes after the right subproof
            m, start, complete = m - k, start + k, False
    if not complete:
        ranges.append((start, end))  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
    ranges.reverse()  # the recursion emits the deepest subproof first
    return ranges


def range_roots(ranges: Sequence[tuple[int, int]], leaf_hashes: Iterable[bytes]) -> dict[tuple[int, int], bytes]:
    """The Merkle tree hash of each (disjoint) leaf range, in one pass over ``leaf_hashes``
    (leaf 0 first; it may stop after the last range). Memory: one accumulator at a time."""
    todo = sorted(ranges)
    out: dict[tuple[int, int], bytes] = {}
    if not todo:
        return out
    acc, current, seen = MerkleAccumulator(), 0, 0
    for index, h in enumerate(leaf_hashes):
        seen = index + 1
        start, end = todo[current]
        if index < start:
            continue
        acc.add(h)
        if index == end - 1:
            out[(start, end)] = acc.root()
            acc, current = MerkleAccumulator(), current + 1
            if current == len(todo):
                return out
    raise ValueError(f"the leaves ran out after {seen}: ranges up to {todo[-1][1]} needed")


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """The RFC 6962 consistency proof between the trees of the first ``old_size`` and
    ``new_size`` leaves, from the leaf hashes streamed in order (an iterator is read once, and
    only up to the last leaf the proof needs; nothing is sliced)."""
    ranges = consistency_ranges(old_size, new_size)
    roots = range_roots(ranges, leaf_hashes)
    return [roots[r] for r in ranges]


def verify_consistency(*, old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Check a consistency proof (RFC 9162 §2.1.4.2). Pure; needs nothing but :mod:`hashlib`.

    Trees of equal sizes are consistent only with an empty proof and equal roots (for size 0,
    the empty tree's hash); a proof from the empty tree proves nothing and is refused, as the
    transparency-dev vectors want.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:  # the same tree: nothing to prove, the roots must be equal
        return not proof and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0 or not proof or any(len(h) != HASH_BYTES for h in (old_root, new_root, *proof)):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = fh = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            fh = node_hash(c, fh)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            fh = node_hash(fh, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and fh == new_root
