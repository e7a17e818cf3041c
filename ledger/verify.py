"""``sinkledger verify``: recompute the hash chain, replay the journal, compare with the tables.

Checks, in order:

1. the chain: seq contiguous from 1, each ``prev_hash`` equal to the previous ``entry_hash``,
   each ``entry_hash`` recomputed from the stored body, indexed columns equal to the body;
2. replay: every move of every entry applies cleanly to the blocks built so far (no serial
   created twice, nothing moved that was not there);
3. the projection: the ``credit_block`` table equals the replayed blocks, block for block, and
   the ``balance`` table their sums per account, batch and state;
4. conservation: for every batch, issued = held + pledged + retired + cancelled;
5. checkpoints: every recorded Merkle checkpoint equals the root recomputed at its size.

The first failure is named by its journal seq. Merkle roots follow RFC 6962.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from ledger import journal, merkle
from ledger.domain import GENESIS_HASH, Block, BlockSet, BlockState, Move
from ledger.store import BatchRow, CheckpointRow


@dataclass
class VerifyReport:
    ok: bool = True
    entries: int = 0
    head_hash: str = GENESIS_HASH
    merkle_root: str = ""
    first_bad_seq: int | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0
    credits_issued: int = 0
    checkpoints: int = 0

    def fail(self, seq: int | None, problem: str) -> None:
        self.ok = False
        if self.first_bad_seq is None and seq is not None:
            self.first_bad_seq = seq
        self.problems.append({"seq": seq, "problem": problem})

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def verify_ledger(session: Session, *, observers: Any = None) -> VerifyReport:
    """Check the ledger; ``observers`` (default: every table audit of :mod:`ledger.audit`) hear
    ``begin``, each entry, and ``finish``."""
    from ledger.table_audits import table_audits  # deferred: the audits import the parcel geometry stack
    observers = [table_audits()] if observers is None else list(observers)
    report = VerifyReport()
    for observer in observers:
        observer.begin(session, 0)
    blocks = BlockSet()
    issued: dict[str, int] = {}
    tree = merkle.MerkleAccumulator()
    checkpoints = {c.tree_size: c.root for c in session.exec(select(CheckpointRow)).all()}
    prev, expected = GENESIS_HASH, 1
    for row in journal.iter_raw(session):
        seq, digest = row[0], row[-1]
        problem, body = journal.check_link(row, expected, prev)
        if problem is not None:
            report.fail(problem.seq, problem.problem)
            return report
        tree.add(merkle.leaf_hash(bytes.fromhex(digest)))
        if seq in checkpoints and tree.root().hex() != checkpoints[seq]:
            report.fail(seq, f"checkpoint at tree size {seq} does not match the journal")
            return report
        if not _replay(seq, body["payload"], blocks, issued, report):
            return report
        for observer in observers:
            observer.entry(seq, row[1], row[4], body["payload"])
        prev, expected = digest, seq + 1
        report.entries += 1
    if any(size > report.entries for size in checkpoints):
        report.fail(report.entries + 1, "the journal is shorter than a recorded checkpoint")
        return report
    report.head_hash = prev
    report.merkle_root = tree.root().hex()
    report.checkpoints = len(checkpoints)
    _compare_projection(session, blocks, issued, report)
    for observer in observers:
        observer.finish(session, report)
    report.batches, report.credits_issued = len(issued), sum(issued.values())
    return report


def _replay(seq: int, payload: dict[str, Any], blocks: BlockSet, issued: dict[str, int],
            report: VerifyReport) -> bool:
    for batch in payload.get("batches", []):
        if batch["batch_id"] in issued:
            report.fail(seq, f"batch {batch['batch_id']} issued twice")
            return False
        issued[batch["batch_id"]] = batch["quantity"]
    for record in payload.get("moves", []):
        try:
            blocks.apply(Move.from_record(record))
        except (ValueError, KeyError) as exc:
            report.fail(seq, f"replay failed: {exc}")
            return False
    return True


BLOCK_PAGE_ROWS = 20_000


def _blocks_differ(session: Session, replayed: list[Block]) -> int:
    """How many blocks are in the ``credit_block`` table or the replay but not in both, walking the
    table in serial order beside the replay (sorted the same way) page by page, so that a million
    blocks are never all in memory twice. Keys order as Python orders text: by code point
    (SQLite's BINARY collation; ``COLLATE "C"`` on PostgreSQL)."""
    collate = ' COLLATE "C"' if session.get_bind().dialect.name == "postgresql" else ""
    states = {state.value: state for state in BlockState}
    differ, i, after = 0, 0, None
    while True:
        where = f"WHERE (batch_id{collate} > :b OR (batch_id = :b AND first > :f)) " if after else ""
        rows = session.execute(text(f"SELECT batch_id, first, last, account_id, state, tag FROM credit_block {where}"
                                    f"ORDER BY batch_id{collate}, first LIMIT {BLOCK_PAGE_ROWS}"),
                               {"b": after[0], "f": after[1]} if after else {}).all()
        if not rows:
            break
        for batch_id, first, last, account_id, state, tag in rows:
            key = (batch_id, first)
            while i < len(replayed) and (replayed[i].batch_id, replayed[i].first) < key:
                differ, i = differ + 1, i + 1  # replayed, not stored
            if i < len(replayed) and (replayed[i].batch_id, replayed[i].first) == key:
                mine = replayed[i]
                i += 1
                if (mine.last, mine.account_id, mine.state.value, mine.tag) != (last, account_id, state, tag) \
                        or state not in states:
                    differ += 2  # the same serials, held differently
            else:
                differ += 1  # stored, not replayed
        after = rows[-1][0], rows[-1][1]
    return differ + len(replayed) - i


def _compare_projection(session: Session, blocks: BlockSet, issued: dict[str, int],
                        report: VerifyReport) -> None:
    replayed = blocks.blocks()
    differ = _blocks_differ(session, replayed)
    if differ:
        report.fail(None, f"credit_block table differs from the journal replay in {differ} block(s)")
    totals: dict[str, int] = defaultdict(int)
    for b in replayed:
        totals[b.batch_id] += b.quantity
    for batch_id, quantity in issued.items():
        if totals[batch_id] != quantity:
            report.fail(None, f"batch {batch_id}: issued {quantity} but blocks hold {totals[batch_id]}")
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for b in replayed:
        sums[(b.account_id, b.batch_id, b.state.value)] += b.quantity
    stored_sums = {(a, b, s): q for a, b, s, q in session.execute(
        text("SELECT account_id, batch_id, state, quantity FROM balance")).all() if q}
    if stored_sums != dict(sums):
        report.fail(None, "balance table differs from the journal replay")
    stored_batches = {b.id: b.last - b.first + 1 for b in session.exec(select(BatchRow)).all()}
    if stored_batches != issued:
        report.fail(None, "batch table differs from the issuances in the journal")
