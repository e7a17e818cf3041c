"""Writing and reading the credit-block projection inside a command's transaction."""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from sqlalchemy import func
from sqlmodel import Session, select

from ledger.domain import Block, BlockSet, BlockState, Move, format_block, plan_take
from ledger.store import AccountRow, BalanceRow, BatchRow, CreditBlockRow, must_get
from sinkledger_base.errors import Conflict, IntegrityFailure, InvalidInput, NotFound


def row_to_block(r: CreditBlockRow) -> Block:
    return Block(r.batch_id, r.first, r.last, r.account_id, BlockState(r.state), r.tag)


def apply_moves(session: Session, moves: Iterable[Move]) -> None:
    """Split and move blocks in the database exactly as :meth:`BlockSet.apply` does in memory,
    and keep the balance table in step."""
    for move in moves:
        rows = []
        if move.from_account is not None:
            rows = session.exec(select(CreditBlockRow).where(
                CreditBlockRow.batch_id == move.batch_id, CreditBlockRow.first <= move.first)
                .order_by(CreditBlockRow.first.desc()).limit(1)).all()
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
        quantity = move.last - move.first + 1
        if move.from_account is not None:
            _add_balance(session, move.from_account, move.batch_id, move.from_state, -quantity)
        _add_balance(session, move.to_account, move.batch_id, move.to_state, quantity)


def _add_balance(session: Session, account_id: str, batch_id: str, state: BlockState, delta: int) -> None:
    row = session.get(BalanceRow, (account_id, batch_id, state.value))
    if row is None:
        session.add(BalanceRow(account_id=account_id, batch_id=batch_id, state=state.value, quantity=delta))
    else:
        row.quantity += delta
        session.add(row)
    session.flush()


PAGE_ROWS = 500
FIRST_PAGE_ROWS = 8  # most takes need a block or two; pages grow from here


def available_blocks(session: Session, account_id: str) -> Iterator[Block]:
    """Held (not pledged) blocks of an account, oldest vintage first, then issuance order.

    The balance table names the batches the account holds; each batch's blocks are then read
    page by page along the holding index, so taking a few credits from an account of a million
    blocks reads a few rows.
    """
    batches = session.exec(
        select(BalanceRow.batch_id).join(BatchRow, BatchRow.id == BalanceRow.batch_id)
        .where(BalanceRow.account_id == account_id, BalanceRow.state == BlockState.held.value,
               BalanceRow.quantity > 0)
        .order_by(BatchRow.vintage_year, BatchRow.issuance_seq, BatchRow.id)).all()
    for batch_id in batches:
        after, page = 0, FIRST_PAGE_ROWS
        while True:
            rows = session.exec(select(CreditBlockRow).where(
                CreditBlockRow.account_id == account_id, CreditBlockRow.state == BlockState.held.value,
                CreditBlockRow.batch_id == batch_id, CreditBlockRow.first > after)
                .order_by(CreditBlockRow.first).limit(page)).all()
            yield from (row_to_block(r) for r in rows)
            if len(rows) < page:
                break
            after, page = rows[-1].first, min(page * 4, PAGE_ROWS)


def held_quantity(session: Session, account_id: str, state: BlockState = BlockState.held) -> int:
    total = session.exec(select(func.sum(BalanceRow.quantity)).where(
        BalanceRow.account_id == account_id, BalanceRow.state == state.value)).one()
    return int(total or 0)


def get_account(session: Session, account_id: str) -> AccountRow:
    return must_get(session, AccountRow, account_id, "account_not_found", account=account_id)


def describe_moves(session: Session, moves: Iterable[Move]) -> list[dict[str, object]]:
    """Serial blocks of the moves, as ``{"serials": "<first>..<last>", "quantity": n, ...}``."""
    out = []
    for m in moves:
        batch = session.get(BatchRow, m.batch_id)
        prefix = batch.serial_prefix if batch else m.batch_id
        out.append({"batch_id": m.batch_id, "serials": format_block(prefix, m.first, m.last),
                    "quantity": m.last - m.first + 1, "vintage_year": batch.vintage_year if batch else None})
    return out


SERIAL_RANGE_PATTERN = re.compile(r"^(?P<prefix>.+)-(?P<first>\d{9})(?:\.\.(?P<last>\d{9}))?$")


def parse_serial_range(text: str) -> tuple[str, int, int]:
    """``CN330523-BF-AJBF01-2024-000000001..000000010`` → (prefix, 1, 10)."""
    m = SERIAL_RANGE_PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise InvalidInput("serials_invalid", serials=str(text)[:80])
    first = int(m["first"])
    last = int(m["last"]) if m["last"] else first
    if last < first:
        raise InvalidInput("serials_invalid", serials=text[:80])
    return m["prefix"], first, last


def named_blocks(session: Session, account_id: str, serial_ranges: list[str]) -> list[Block]:
    """The held blocks that exactly cover the named serial ranges of an account, in order.

    Raises a refusal that says where the serials are when they are not all held there:
    ``credits_retired``, ``credits_pledged``, ``credits_not_held`` or ``serials_unknown``.
    """
    out: list[Block] = []
    for text in serial_ranges:
        prefix, first, last = parse_serial_range(text)
        batches = session.exec(select(BatchRow).where(BatchRow.serial_prefix == prefix, BatchRow.first <= last,
                                                      BatchRow.last >= first).order_by(BatchRow.first)).all()
        if sum(min(b.last, last) - max(b.first, first) + 1 for b in batches) != last - first + 1:
            raise NotFound("serials_unknown", serials=text)
        for batch in batches:
            lo, hi = max(batch.first, first), min(batch.last, last)
            rows = session.exec(select(CreditBlockRow).where(
                CreditBlockRow.batch_id == batch.id, CreditBlockRow.first <= hi,
                CreditBlockRow.last >= lo).order_by(CreditBlockRow.first)).all()
            for r in rows:
                _check_named(r, account_id, text)
                out.append(Block(r.batch_id, max(r.first, lo), min(r.last, hi), r.account_id, BlockState(r.state), r.tag))
    return out


def _check_named(r: CreditBlockRow, account_id: str, text: str) -> None:
    if r.state == BlockState.retired.value:
        raise Conflict("credits_retired", serials=text)
    if r.state == BlockState.cancelled.value:
        raise Conflict("credits_cancelled", serials=text)
    if r.account_id != account_id:
        raise Conflict("credits_not_held", serials=text, account=account_id)
    if r.state == BlockState.pledged.value:
        raise Conflict("credits_pledged", serials=text)


def refuse_short(session: Session, account_id: str, requested: int, available: int) -> None:
    """Refuse a take that the held credits cannot cover; say so when pledged credits are why."""
    pledged = held_quantity(session, account_id, BlockState.pledged)
    if pledged and requested <= available + pledged:
        raise Conflict("credits_pledged", serials=f"{requested - available} t", requested=requested,
                       available=available, pledged=pledged)
    raise Conflict("insufficient_balance", requested=requested, available=available)


def take_moves(session: Session, account_id: str, quantity: int, serials: list[str] | None, *,
               to_account: str, to_state: BlockState, tag: str | None = None) -> list[Move]:
    """Moves taking ``quantity`` held credits from an account: the named serials if given (they
    must add up to ``quantity``), else the oldest vintage first."""
    if serials:
        named = named_blocks(session, account_id, serials)
        if sum(b.quantity for b in named) != quantity:
            raise InvalidInput("serials_quantity_mismatch", quantity=quantity,
                               serials_quantity=sum(b.quantity for b in named))
        blocks: Iterable[Block] = named
    else:
        blocks = available_blocks(session, account_id)
    moves = plan_take(blocks, quantity, to_account=to_account, to_state=to_state, tag=tag)
    if not moves:
        refuse_short(session, account_id, quantity, held_quantity(session, account_id))
    return moves
