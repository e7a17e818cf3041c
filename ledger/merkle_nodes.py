"""Stored Merkle subtree hashes: an inclusion proof from O(log n) rows, not the whole journal.

The tree is RFC 6962's over the journal's entry hashes (:mod:`ledger.merkle`); nothing about its
shape or its hashes changes. A *node* at ``level`` L and ``node_index`` i is the hash of the
complete subtree over leaves ``[i·2^L, (i+1)·2^L)`` (leaf k is entry k + 1): once its last leaf
is appended it never changes. Table ``merkle_node`` keeps every node of level
:data:`NODE_LEVEL` (16 leaves) and up, about n/8 rows for n entries, each written in the
transaction of the entry that completes it (entry ``(i+1)·2^L``):

- one command (:func:`record_append`): nothing for 15 appends in 16; the 16th reads the 16 entry
  hashes of its run and the stored left siblings of the subtrees it completes (one statement each)
  and writes those nodes, so the cost per entry is O(1) amortised;
- the bulk path (:class:`NodeMaker`, :func:`ledger.bulk.append_many`) and the migration that
  fills the table for an older ledger (:func:`fill`) compute them as the hashes stream by.

Every hash a proof needs, the audit path, a consistency path or a root, is the hash of a leaf
range that splits into complete aligned subtrees (:func:`aligned_blocks`): those of 16 leaves and
more are read from the table in one statement, the smaller ones computed from at most two runs of
fewer than 16 entry hashes (around the entry, and the tree's last partial run) in another. So a
proof reads O(log n) rows whatever the journal's length.

The nodes are derived data and not trusted: ``verify`` recomputes every one from the journal
(:class:`NodeCheck`) and names the node that differs, is missing or has no place in the tree; a
node missing from the table is computed from the journal where a proof needs it; and a proof
against a recorded checkpoint whose root the nodes do not give is computed from the journal
instead (:func:`ledger.proofs.inclusion_proof_document`).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ledger.merkle import leaf_hash, node_hash, root_from_leaf_hashes
from ledger.sql import Tx, stream_rows

NODE_LEVEL = 4  # the lowest level stored: subtrees of 16 leaves
NODE_LEAVES = 1 << NODE_LEVEL
TABLE = "merkle_node"
INSERT_SQL = "INSERT INTO merkle_node (level, node_index, hash) VALUES (:level, :node_index, :hash)"
ALL_SQL = "SELECT level, node_index, hash FROM merkle_node"
PAGE_ROWS = 10_000
LOCATED_KEYS = 20  # differing nodes named one by one in a verify report

Block = tuple[int, int]  # (first leaf, level): the complete subtree over leaves [first, first + 2**level)
Node = tuple[int, int, str]  # (level, node_index, hash in hex): one row of the table

log = logging.getLogger("sinkledger.ledger")


def node_end(level: int, index: int) -> int:
    """The entry (seq) whose append completes node ``(level, index)``."""
    return (index + 1) << level


def stored_count(size: int) -> int:
    """How many nodes a journal of ``size`` entries has."""
    return sum(size >> level for level in range(NODE_LEVEL, size.bit_length()))


def aligned_blocks(start: int, end: int) -> list[Block]:
    """The complete aligned subtrees that leaves ``[start, end)`` split into, left to right.

    For a subtree of the RFC 6962 tree (any range an audit or consistency path names, or
    ``[0, size)``, the whole tree) their levels strictly descend, and its hash is their hashes
    folded from the right (:func:`fold`).

    >>> aligned_blocks(0, 21)
    [(0, 4), (16, 2), (20, 0)]
    >>> aligned_blocks(24, 32)
    [(24, 3)]
    """
    out: list[Block] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        out.append((start, level))
        start += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a subtree from the hashes of its complete subtrees, largest first: RFC 6962
    splits at the largest power of two below the size, so the right part is folded first."""
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


# -- reading ---------------------------------------------------------------------------------

def _any_of(term: str, pairs: Sequence[tuple[int, int]], prefix: str) -> tuple[str, dict[str, int]]:
    """``(term) OR (term) ...``, one for each pair, ``{a}`` and ``{b}`` in ``term`` its two bound
    parameters (named after ``prefix``); and the parameters."""
    params: dict[str, int] = {}
    for n, (a, b) in enumerate(pairs):
        params[f"{prefix}a{n}"], params[f"{prefix}b{n}"] = a, b
    return " OR ".join(f"({term.format(a=f':{prefix}a{n}', b=f':{prefix}b{n}')})" for n in range(len(pairs))), params


def _read(tx: Tx, keys: Iterable[tuple[int, int]], spans: Iterable[tuple[int, int]]
          ) -> tuple[dict[tuple[int, int], bytes], dict[int, bytes]]:
    """The stored nodes of ``keys`` (``(level, node_index)``; absent or unreadable ones left
    out) and the leaf hashes of the leaf spans ``[a, b)`` by leaf index, in one statement (one
    round trip to a database server)."""
    keys, spans = sorted(set(keys)), sorted(spans)
    parts, params = [], {}
    if keys:
        where, named = _any_of("level = {a} AND node_index = {b}", keys, "n")
        parts.append(f"SELECT 1, level, node_index, hash FROM merkle_node WHERE {where}")
        params |= named
    if spans:
        where, named = _any_of("seq > {a} AND seq <= {b}", spans, "s")
        parts.append(f"SELECT 0, seq, 0, entry_hash FROM journal_entry WHERE {where}")
        params |= named
    stored: dict[tuple[int, int], bytes] = {}
    leaves: dict[int, bytes] = {}
    for is_node, a, b, digest in (tx.all(" UNION ALL ".join(parts), params) if parts else []):
        try:
            if is_node:
                stored[(a, b)] = bytes.fromhex(digest)
            else:
                leaves[a - 1] = leaf_hash(bytes.fromhex(digest))
        except (TypeError, ValueError):
            continue  # an unreadable node: computed from the journal instead, and named by verify
    wanted = sum(b - a for a, b in spans)
    if len(leaves) != wanted:
        raise LookupError(f"the journal lacks {wanted - len(leaves)} of the entries {spans}")
    return stored, leaves


def iter_leaf_hashes(tx: Tx, first: int, end: int) -> Iterator[bytes]:
    """The leaf hashes of leaves ``[first, end)``, read a page at a time along the journal's key."""
    after = first
    while after < end:
        rows = tx.all("SELECT seq, entry_hash FROM journal_entry WHERE seq > :a AND seq <= :b ORDER BY seq LIMIT :n",
                      {"a": after, "b": end, "n": PAGE_ROWS})
        if not rows:
            raise LookupError(f"the journal ends before entry {end}")
        for _, digest in rows:
            yield leaf_hash(bytes.fromhex(digest))
        after = rows[-1][0]


def _from_journal(tx: Tx, block: Block) -> bytes:
    """A stored-size subtree's hash computed from the journal (the node is not in the table)."""
    first, level = block
    log.warning("merkle_node %s/%s is not stored: computed from %s journal entries (sinkledger verify names it)",
                level, first >> level, 1 << level)
    return root_from_leaf_hashes(iter_leaf_hashes(tx, first, first + (1 << level)))


def block_hashes(tx: Tx, blocks: Iterable[Block]) -> dict[Block, bytes]:
    """The hash of each complete aligned subtree: of 16 leaves and more from the table, smaller
    ones from the entry hashes (one statement in all)."""
    blocks = set(blocks)
    big = [b for b in blocks if b[1] >= NODE_LEVEL]
    small = [b for b in blocks if b[1] < NODE_LEVEL]
    stored, leaves = _read(tx, [(level, first >> level) for first, level in big],
                           _merged((first, first + (1 << level)) for first, level in small))
    out = {b: stored.get((b[1], b[0] >> b[1])) or _from_journal(tx, b) for b in big}
    for first, level in small:
        out[(first, level)] = root_from_leaf_hashes([leaves[i] for i in range(first, first + (1 << level))])
    return out


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def range_hashes(tx: Tx, ranges: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The RFC 6962 hash of each leaf range ``[start, end)`` that is a subtree of the tree (an
    audit path's or a consistency path's ranges; ``(0, size)`` for the root), from O(log n) rows."""
    plans = {r: aligned_blocks(*r) for r in set(ranges)}
    for r, plan in plans.items():
        if not plan or any(a[1] <= b[1] for a, b in zip(plan, plan[1:])):
            raise ValueError(f"leaves {r[0]}..{r[1]} are not a subtree of the Merkle tree")
    hashes = block_hashes(tx, (b for plan in plans.values() for b in plan))
    return {r: fold([hashes[b] for b in plan]) for r, plan in plans.items()}


# -- writing ---------------------------------------------------------------------------------

class NodeMaker:
    """Leaf hashes added in order, after a tree of ``size`` leaves whose complete subtrees are
    ``stack`` (largest first); collects the nodes (level ≥ :data:`NODE_LEVEL`) each leaf completes."""

    __slots__ = ("stack", "size", "made")

    def __init__(self, stack: Sequence[bytes] = (), size: int = 0) -> None:
        if len(stack) != bin(size).count("1"):
            raise ValueError("a frontier holds one hash per set bit of its size")
        self.stack, self.size = list(stack), size
        self.made: list[Node] = []

    @classmethod
    def at(cls, tx: Tx, size: int) -> "NodeMaker":
        """After the journal's first ``size`` entries, its frontier read from O(log n) rows."""
        blocks = aligned_blocks(0, size)
        hashes = block_hashes(tx, blocks)
        return cls([hashes[b] for b in blocks], size)

    def add(self, leaf: bytes) -> None:
        stack, n, node, level = self.stack, self.size, leaf, 0
        while n & 1:
            node = node_hash(stack.pop(), node)
            n >>= 1
            level += 1
            if level >= NODE_LEVEL:
                self.made.append((level, ((self.size + 1) >> level) - 1, node.hex()))
        stack.append(node)
        self.size += 1

    def take(self) -> list[Node]:
        """The nodes made since the last take."""
        made, self.made = self.made, []
        return made


def insert(tx: Tx, nodes: Sequence[Node]) -> None:
    tx.many(INSERT_SQL, [{"level": level, "node_index": index, "hash": digest} for level, index, digest in nodes])


def record_append(tx: Tx, seq: int) -> None:
    """Write the nodes entry ``seq`` completes (already in the journal, in this transaction):
    none unless ``seq`` is a multiple of 16; then the run of 16 it ends, and each subtree that
    run completes with its stored left sibling."""
    if seq % NODE_LEAVES:
        return
    climbing = []  # the levels at which the completed node is a right child: its parent completes too
    level = NODE_LEVEL
    while not seq % (1 << (level + 1)):
        climbing.append(level)
        level += 1
    first = seq - NODE_LEAVES
    siblings = {lv: (lv, (seq >> lv) - 2) for lv in climbing}  # the left sibling of each, as (level, index)
    stored, leaves = _read(tx, siblings.values(), [(first, seq)])  # one statement
    node = root_from_leaf_hashes([leaves[i] for i in range(first, seq)])
    made = [(NODE_LEVEL, (seq >> NODE_LEVEL) - 1, node.hex())]
    for lv, (_, index) in siblings.items():
        left = stored.get((lv, index)) or _from_journal(tx, (index << lv, lv))
        node = node_hash(left, node)
        made.append((lv + 1, (seq >> (lv + 1)) - 1, node.hex()))
    insert(tx, made)


Progress = Callable[[int, int], None]  # (entries done, entries in all)


def fill(tx: Tx, progress: Progress | None = None) -> int:
    """Compute every node of the journal as it stands and write them (into an empty table: the
    migration that brings the table to an older ledger, a restored backup). Returns the nodes
    written. One pass over the entry hashes, a page at a time."""
    size = int(tx.one("SELECT coalesce(max(seq), 0) FROM journal_entry")[0])
    maker, written, after = NodeMaker(), 0, 0
    while after < size:
        rows = tx.all("SELECT seq, entry_hash FROM journal_entry WHERE seq > :a ORDER BY seq LIMIT :n",
                      {"a": after, "n": PAGE_ROWS})
        if not rows:
            break
        for _, digest in rows:
            maker.add(leaf_hash(bytes.fromhex(digest)))
        made = maker.take()
        insert(tx, made)
        written += len(made)
        after = rows[-1][0]
        if progress is not None:
            progress(after, size)
    return written


# -- verify ----------------------------------------------------------------------------------

_RUN_KEY = os.urandom(16)  # drawn afresh by every process: no crafted rows can add up to the journal's sum


def _digest(level: Any, index: Any, digest: Any) -> int:
    text = f"{level!r}/{index!r}/{digest!r}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=12, key=_RUN_KEY).digest(), "big")


class NodeCheck:
    """``verify``'s check of ``merkle_node`` against the journal.

    The walk hands it every node the journal implies (:meth:`complete`, when a leaf completes a
    run of 16). A full run keeps two sums (nodes, and the sum of their keyed digests) and compares
    them with one streaming read of the table; only when they differ is the journal read again
    to name each differing node. An incremental run (``after`` entries verified before) keeps
    the nodes its tail completed, compares them by key, and holds the table's row count to the
    journal's size.
    """

    def __init__(self, after: int = 0) -> None:
        self.after = after
        self.rows, self.total = 0, 0
        self.expected: dict[tuple[int, int], str] | None = {} if after else None

    def complete(self, stack: list[bytes], node: bytes, size: int) -> bytes:
        """Add leaf hash ``node`` to a tree of ``size`` leaves whose complete subtrees are
        ``stack`` (popped as they merge); return the hash to push. Records the nodes made."""
        n, level, sha = size, 0, hashlib.sha256
        while n & 1:
            node = sha(b"\x01" + stack.pop() + node).digest()
            n >>= 1
            level += 1
            if level >= NODE_LEVEL:
                index, digest = ((size + 1) >> level) - 1, node.hex()
                if self.expected is None:
                    self.rows += 1
                    self.total += _digest(level, index, digest)
                else:
                    self.expected[(level, index)] = digest
        return node

    def finish(self, session: Any, report: Any, size: int) -> None:
        """Compare with the table, once the walk has checked the chain up to entry ``size``."""
        if self.expected is None:
            self._finish_full(session, report, size)
        else:
            self._finish_tail(Tx.of(session), report, size)

    def _finish_full(self, session: Any, report: Any, size: int) -> None:
        rows, total = 0, 0
        for level, index, digest in stream_rows(session, ALL_SQL, PAGE_ROWS):
            rows += 1
            total += _digest(level, index, digest)
        if (rows, total) == (self.rows, self.total):
            return
        expected = _expected_nodes(Tx.of(session), size)
        _compare(report, expected, stream_rows(session, ALL_SQL, PAGE_ROWS))

    def _finish_tail(self, tx: Tx, report: Any, size: int) -> None:
        assert self.expected is not None
        terms = " OR ".join(f"(level = {level} AND node_index >= {self.after >> level})"
                            for level in range(NODE_LEVEL, max(NODE_LEVEL, size.bit_length()) + 1))
        stored = tx.all(f"SELECT level, node_index, hash FROM merkle_node WHERE {terms}")
        problems = _compare(report, self.expected, stored)
        count = int(tx.one("SELECT count(*) FROM merkle_node")[0])
        if not problems and count != stored_count(size):
            _fail(report, None, "*", "row_count_differs",
                  f"{count} stored, {stored_count(size)} in a tree of {size} entries")


def _expected_nodes(tx: Tx, size: int) -> dict[tuple[int, int], str]:
    """Every node of the journal's first ``size`` entries, from the entry hashes (a second pass,
    only when a full verify's sums differ)."""
    maker, out = NodeMaker(), {}
    for h in iter_leaf_hashes(tx, 0, size):
        maker.add(h)
        for level, index, digest in maker.take():
            out[(level, index)] = digest
    return out


def _compare(report: Any, expected: dict[tuple[int, int], str], stored: Iterable[tuple[Any, ...]]) -> int:
    """Name each stored node that differs from ``expected`` or has no place in it, and each
    expected node not stored (the first :data:`LOCATED_KEYS`, then how many more). Returns how
    many differ."""
    differences: list[tuple[int | None, str, str]] = []
    seen = set()
    for level, index, digest in stored:
        key = (level, index)
        want = expected.get(key)
        if want is None:
            differences.append((None, f"{level}/{index}", "row_not_in_journal"))
            continue
        seen.add(key)
        if digest != want:
            differences.append((node_end(level, index), f"{level}/{index}", "row_differs_from_journal"))
    for (level, index) in expected.keys() - seen:
        differences.append((node_end(level, index), f"{level}/{index}", "row_missing"))
    differences.sort(key=lambda d: (d[0] is None, d[0] or 0, d[1]))
    for seq, key, code in differences[:LOCATED_KEYS]:
        _fail(report, seq, key, code)
    if len(differences) > LOCATED_KEYS:
        _fail(report, None, "*", "row_differs_from_journal",
              f"and {len(differences) - LOCATED_KEYS} more nodes differ from the journal")
    return len(differences)


def _fail(report: Any, seq: int | None, key: str, code: str, detail: str | None = None) -> None:
    """A difference named as the table audits name theirs (:func:`ledger.audit.fail`)."""
    shown = f" ({detail})" if detail else ""
    report.fail(seq, f"{TABLE} {key}: {code.replace('_', ' ')}{shown}" + (f" (entry {seq})" if seq else ""))
    report.problems[-1].update({"table": TABLE, "key": key, "code": code})
