"""Invariants checked inside every command's transaction, before it commits.

For every batch a command touched: issued = held + pledged + retired + cancelled (the balance
rows of the batch sum to its length), and no balance row is negative. Blocks need no check
here: every split in :meth:`ledger.domain.BlockSet.apply` conserves the count by construction,
and ``verify`` compares every block with a replay. A violation is a bug, not a user error: the transaction rolls back and the command
fails with ``ledger_integrity_failed``. ``sinkledger verify`` checks the same over the whole
ledger by replay.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ledger.sql import Tx, in_list
from sinkledger_base.errors import IntegrityFailure


def touched_batches(payload: dict[str, Any]) -> set[str]:
    return {m["batch_id"] for m in payload.get("moves", [])}


def check_batches(session: Session, seq: int, batch_ids: set[str]) -> None:
    """One statement for every touched batch: its length beside the sum and minimum of its
    balance rows (its non-empty rows, read along the partial index ``ix_balance_batch_id``: a zero
    row adds nothing to the sum, and a negative one is not zero)."""
    if not batch_ids:
        return
    marks, params = in_list("b", sorted(batch_ids))
    rows = Tx.of(session).all(
        f"SELECT b.id, b.last - b.first + 1, sum(q.quantity), min(q.quantity) FROM batch b "
        f"LEFT JOIN balance q ON q.batch_id = b.id AND q.quantity <> 0 WHERE b.id IN ({marks}) GROUP BY b.id, b.first, b.last", params)
    found = {r[0]: r[1:] for r in rows}
    for batch_id in sorted(batch_ids):
        issued, total, lowest = found.get(batch_id, (None, None, None))
        if lowest is not None and lowest < 0:
            raise IntegrityFailure("ledger_integrity_failed", seq=seq, problem=f"negative balance in {batch_id}")
        if issued is None or issued != total:
            raise IntegrityFailure("ledger_integrity_failed", seq=seq,
                                   problem=f"batch {batch_id}: issued {issued} but balances sum to {total}")
