"""Writing and reading the credit-block projection inside a command's transaction."""

from __future__ import annotations

from typing import Iterable

from sqlmodel import Session, select

from ledger.domain import Block, BlockSet, BlockState, Move
from ledger.store import AccountRow, BatchRow, CreditBlockRow
from sinkledger.errors import IntegrityFailure, NotFound


def row_to_block(r: CreditBlockRow) -> Block:
    return Block(r.batch_id, r.first, r.last, r.account_id, BlockState(r.state), r.tag)


def apply_moves(session: Session, moves: Iterable[Move]) -> None:
    """Split and move blocks in the database exactly as :meth:`BlockSet.apply` does in memory."""
    for move in moves:
        rows = []
        if move.from_account is not None:
            rows = session.exec(select(CreditBlockRow).where(
                CreditBlockRow.batch_id == move.batch_id, CreditBlockRow.first <= move.first,
                CreditBlockRow.last >= move.first)).all()
        blocks = BlockSet(row_to_block(r) for r in rows)
        try:
            removed, added = blocks.apply(move)
        except ValueError as exc:
            raise IntegrityFailure("ledger_integrity_failed", seq="?", problem=str(exc)) from exc
        for r in rows:
            if row_to_block(r) in removed:
                session.delete(r)
        session.flush()
        for b in added:
            session.add(CreditBlockRow(batch_id=b.batch_id, first=b.first, last=b.last,
                                       account_id=b.account_id, state=b.state.value, tag=b.tag))
        session.flush()


def available_blocks(session: Session, account_id: str) -> list[Block]:
    """Held (not pledged) blocks of an account, oldest vintage first, then issuance order."""
    rows = session.exec(
        select(CreditBlockRow).join(BatchRow, BatchRow.id == CreditBlockRow.batch_id)
        .where(CreditBlockRow.account_id == account_id, CreditBlockRow.state == BlockState.held.value)
        .order_by(BatchRow.vintage_year, BatchRow.issuance_seq, BatchRow.id, CreditBlockRow.first)
    ).all()
    return [row_to_block(r) for r in rows]


def get_account(session: Session, account_id: str) -> AccountRow:
    row = session.get(AccountRow, account_id)
    if row is None:
        raise NotFound("account_not_found", account=account_id)
    return row


def describe_moves(session: Session, moves: Iterable[Move]) -> list[dict[str, object]]:
    """Serial blocks of the moves, as ``{"serials": "<first>..<last>", "quantity": n, ...}``."""
    out = []
    for m in moves:
        batch = session.get(BatchRow, m.batch_id)
        prefix = batch.serial_prefix if batch else m.batch_id
        from ledger.domain import format_block

        out.append({"batch_id": m.batch_id, "serials": format_block(prefix, m.first, m.last),
                    "quantity": m.last - m.first + 1, "vintage_year": batch.vintage_year if batch else None})
    return out
