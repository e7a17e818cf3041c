"""The Merkle tree of a verify's walk (RFC 6962), from the entry hashes in journal order:
:class:`Frontier`, the roots of the complete subtrees, storable so that an incremental verify
extends the tree without the prefix; :class:`TreeWalk`, a full walk's tree a page at a time,
with the recorded checkpoints compared and the stored subtree hashes noted, in whichever process
computes it (:mod:`ledger.verify`, or the table audits' second process, :mod:`ledger.audit`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from ledger import journal
from ledger.domain import GENESIS_HASH
from ledger.merkle_nodes import NODE_LEAVES, NodeCheck
from ledger.report import VerifyReport

STORED_RUN = NODE_LEAVES - 1  # a tree of n leaves with n & STORED_RUN == STORED_RUN: the next leaf completes a stored node


class Frontier:
    """RFC 6962 tree hashing over entry hashes, kept as the roots of its complete subtrees (one
    per set bit of ``size``, largest first): what :class:`ledger.merkle.MerkleAccumulator` keeps,
    inlined for the hot loop and storable, so a later run extends the tree without the prefix."""

    __slots__ = ("stack", "size", "nodes")

    def __init__(self, stack: Sequence[bytes] = (), size: int = 0) -> None:
        if len(stack) != bin(size).count("1"):
            raise ValueError("a frontier holds one hash per set bit of its size")
        self.stack, self.size = list(stack), size
        self.nodes: NodeCheck | None = None  # told of every stored-size subtree an added leaf completes

    def add_hex(self, entry_hash_hex: str) -> None:
        sha = hashlib.sha256
        node = sha(b"\x00" + bytes.fromhex(entry_hash_hex)).digest()
        stack, n = self.stack, self.size
        if self.nodes is not None and n & STORED_RUN == STORED_RUN:
            node = self.nodes.complete(stack, node, n)
        else:
            while n & 1:
                node = sha(b"\x01" + stack.pop() + node).digest()
                n >>= 1
        stack.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        acc = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            acc = hashlib.sha256(b"\x01" + left + acc).digest()
        return acc

    def dumps(self) -> str:
        return json.dumps([h.hex() for h in self.stack])

    @classmethod
    def loads(cls, data: str, size: int) -> "Frontier":
        """From :meth:`dumps`, or from the object a verified checkpoint stores (``{"stack": [...],
        "rows": {...}}``: the frontier and the row counts of the append-only audited tables)."""
        stored = json.loads(data)
        stack = stored.get("stack") if isinstance(stored, dict) else stored
        return cls([bytes.fromhex(h) for h in stack], size)


class TreeWalk:
    """The Merkle tree of a full walk, from the stored entry hashes a page at a time: each
    recorded checkpoint compared with the root at its size, every stored-size subtree noted for
    :class:`~ledger.merkle_nodes.NodeCheck`. It stops at the first checkpoint that does not match
    (``mismatch``: its seq) or entry hash that is not hex (``stopped``: its seq; the walk names that
    entry). Fed by this process's walk (``jobs=1``) or, beside it, by the table audits' second
    process, which sends back :meth:`answer`; the replay's walk needs none of it, so the two
    processes share the work (docs/ledger.md, "Two processes")."""

    __slots__ = ("frontier", "nodes", "checkpoints", "mismatch", "stopped", "head_hash", "node_problems")

    def __init__(self, checkpoints: dict[int, str]) -> None:
        self.frontier, self.nodes, self.checkpoints = Frontier(), NodeCheck(), checkpoints
        self.mismatch: int | None = None
        self.stopped: int | None = None
        self.head_hash = GENESIS_HASH
        self.node_problems: list[dict[str, Any]] | None = None  # from an answer: found there

    @property
    def size(self) -> int:
        return self.frontier.size

    def add(self, rows: Sequence[Sequence[Any]], seq_at: int = 0, hash_at: int = -1) -> None:
        """Add the entries of ``rows`` (seq at ``seq_at``, entry hash at ``hash_at``), in order."""
        if self.mismatch is not None or self.stopped is not None or not rows:
            return
        sha, fromhex, checkpoints = hashlib.sha256, bytes.fromhex, self.checkpoints
        try:  # the leaves of the page at once
            leaves = [sha(b"\x00" + fromhex(row[hash_at])).digest() for row in rows]
        except (TypeError, ValueError):  # an entry hash that is not hex: the tree stops before it
            good = 0
            for row in rows:
                try:
                    fromhex(row[hash_at])
                except (TypeError, ValueError):
                    break
                good += 1
            self.add(rows[:good], seq_at, hash_at)
            if self.mismatch is None:
                self.stopped = rows[good][seq_at]
            return
        start = 0
        for cut in [k + 1 for k, row in enumerate(rows) if row[seq_at] in checkpoints] if checkpoints else ():
            self._push(leaves[start:cut])
            start, seq = cut, rows[cut - 1][seq_at]
            self.head_hash = rows[cut - 1][hash_at]
            if self.frontier.root().hex() != checkpoints[seq]:
                self.mismatch = seq
                return
        self._push(leaves[start:])
        self.head_hash = rows[-1][hash_at]

    def _push(self, leaves: list[bytes]) -> None:
        sha, nodes, frontier = hashlib.sha256, self.nodes, self.frontier
        stack, size = frontier.stack, frontier.size
        for node in leaves:
            n = size
            if n & STORED_RUN == STORED_RUN:  # one leaf in 16 completes stored nodes
                node = nodes.complete(stack, node, n)
            else:
                while n & 1:
                    node = sha(b"\x01" + stack.pop() + node).digest()
                    n >>= 1
            stack.append(node)
            size += 1
        frontier.size = size

    def read(self, session: Session, up_to: int) -> None:
        """Add the journal's entries up to seq ``up_to``, reading their hashes."""
        if up_to > 0:
            for page in journal.iter_raw_pages(session, up_to=up_to, columns="seq, entry_hash"):
                self.add(page)

    def answer(self, session: Session) -> tuple[Any, ...]:
        """What the second process sends back: its size, head hash, frontier, first mismatch or
        stop, and the stored subtree hashes' problems (:meth:`NodeCheck.finish`, when the tree
        went to the end)."""
        problems: list[dict[str, Any]] = []
        if self.mismatch is None and self.stopped is None:
            found = VerifyReport()
            self.nodes.finish(session, found, self.size)
            problems = found.problems
        return (self.size, self.head_hash, list(self.frontier.stack), self.mismatch, self.stopped, problems)

    @classmethod
    def from_answer(cls, checkpoints: dict[int, str], answer: tuple[Any, ...]) -> "TreeWalk":
        size, head_hash, stack, mismatch, stopped, problems = answer
        tree = cls(checkpoints)
        tree.frontier = Frontier(stack, size)
        tree.head_hash, tree.mismatch, tree.stopped, tree.node_problems = head_hash, mismatch, stopped, problems
        return tree

    def finish_nodes(self, session: Session, report: VerifyReport) -> None:
        """The stored subtree hashes against the tree (check 6): compared here, or as found beside."""
        if self.node_problems is None:
            self.nodes.finish(session, report, self.size)
            return
        for problem in self.node_problems:
            report.fail(problem.get("seq"), problem["problem"])
            report.problems[-1] = dict(problem)
