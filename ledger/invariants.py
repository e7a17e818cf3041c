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

from sqlalchemy import func
from sqlmodel import Session, select

from ledger.store import BalanceRow, BatchRow
from sinkledger_base.errors import IntegrityFailure


def touched_batches(payload: dict[str, Any]) -> set[str]:
    return {m["batch_id"] for m in payload.get("moves", [])}


def check_batches(session: Session, seq: int, batch_ids: set[str]) -> None:
    for batch_id in sorted(batch_ids):
        batch = session.get(BatchRow, batch_id)
        issued = batch.last - batch.first + 1 if batch else None
        balances = session.exec(select(func.sum(BalanceRow.quantity), func.min(BalanceRow.quantity))
                                .where(BalanceRow.batch_id == batch_id)).one()
        if balances[1] is not None and balances[1] < 0:
            raise IntegrityFailure("ledger_integrity_failed", seq=seq, problem=f"negative balance in {batch_id}")
        if issued != balances[0]:
            raise IntegrityFailure("ledger_integrity_failed", seq=seq,
                                   problem=f"batch {batch_id}: issued {issued} but balances sum to {balances[0]}")
