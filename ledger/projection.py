"""Writing and reading the credit-block projection inside a command's transaction.

Every function takes the transaction as a :class:`ledger.sql.Tx` (a command's ``ctx.tx``) or as a
session, and runs plain statements on it.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, NamedTuple

from sqlmodel import Session

from ledger.domain import Block, BlockState, Move, format_block, plan_take
from ledger.sql import Tx, in_list
from ledger.store import CreditBlockRow
from sinkledger_base.errors import Conflict, IntegrityFailure, InvalidInput, NotFound


def row_to_block(r: CreditBlockRow) -> Block:
    return Block(r.batch_id, r.first, r.last, r.account_id, BlockState(r.state), r.tag)


STATES = {s.value: s for s in BlockState}
BLOCK_COLUMNS = "id, batch_id, first, last, account_id, state, tag"


def _block(r: tuple) -> Block:  # type: ignore[type-arg]
    return Block(r[1], r[2], r[3], r[4], STATES[r[5]], r[6])


def _blocks(tx: Tx, rows: list[tuple]) -> Iterator[Block]:  # type: ignore[type-arg]
    """Blocks of ``credit_block`` rows just read, one at a time (a take stops at the first few),
    each remembered for a move that starts at it."""
    for r in rows:
        tx.blocks[(r[1], r[2])] = r
        yield Block(r[1], r[2], r[3], r[4], STATES[r[5]], r[6])


def apply_moves(session: Session, moves: Iterable[Move]) -> None:
    """Split and move blocks in the database exactly as :meth:`BlockSet.apply` does in memory,
    and keep the balance table in step.

    Per move: the source block (read in this transaction already, else one read of the block of
    the batch that starts at or before the move), then the split: the source row keeps the part
    left of the move, or becomes the moved part when nothing is left of it, and the rest is
    inserted. The writes of all the moves go out together (one ``executemany`` of updates, one of
    inserts) and before any read, so a move from a block an earlier move made reads it; the
    balance rows change by one upsert.
    """
    tx = Tx.of(session)
    deltas: dict[tuple[str, str, str], int] = {}
    updates: list[dict[str, object]] = []
    inserts: list[dict[str, object]] = []
    cached = tx.blocks
    for move in moves:
        batch_id, m_first, m_last, to_account, to_state, to_tag = (
            move.batch_id, move.first, move.last, move.to_account, move.to_state._value_, move.tag)
        quantity = m_last - m_first + 1
        if quantity <= 0:
            raise IntegrityFailure("ledger_integrity_failed", seq="?", problem=f"empty move {move}")
        if move.from_account is None:  # an issuance: the block comes to be
            inserts.append({"b": batch_id, "f": m_first, "l": m_last, "a": to_account, "s": to_state, "t": to_tag})
        else:
            source = cached.pop((batch_id, m_first), None)  # read in this transaction, unchanged
            if source is None:
                _write_blocks(tx, updates, inserts)
                source = tx.one(f"SELECT {BLOCK_COLUMNS} FROM credit_block WHERE batch_id = :b AND first <= :f "
                                "ORDER BY first DESC LIMIT 1", {"b": batch_id, "f": m_first})
            _check_source(move, source)
            row_id, _, first, last, account, state, tag = source
            # the blocks the source becomes, in serial order; the first keeps its row
            if first < m_first:  # the source keeps the part left of the move; the move's part is new
                updates.append({"l": m_first - 1, "a": account, "s": state, "t": tag, "id": row_id})
                inserts.append({"b": batch_id, "f": m_first, "l": m_last, "a": to_account, "s": to_state, "t": to_tag})
            else:  # the source row becomes the moved part
                updates.append({"l": m_last, "a": to_account, "s": to_state, "t": to_tag, "id": row_id})
            if m_last < last:
                inserts.append({"b": batch_id, "f": m_last + 1, "l": last, "a": account, "s": state, "t": tag})
            key = (move.from_account, batch_id, move.from_state._value_)
            deltas[key] = deltas.get(key, 0) - quantity
        key = (to_account, batch_id, to_state)
        deltas[key] = deltas.get(key, 0) + quantity
    _write_blocks(tx, updates, inserts)
    _add_balances(tx, deltas)


def _check_source(move: Move, source: tuple | None) -> None:  # type: ignore[type-arg]
    """The checks :meth:`BlockSet.apply` makes: the move lies inside one block, which is held by
    the move's account in the move's state."""
    if source is None or source[3] < move.last or source[2] > move.first:
        raise IntegrityFailure("ledger_integrity_failed", seq="?", problem=f"move {move} is not inside one block")
    if source[4] != move.from_account or move.from_state is None or source[5] != move.from_state._value_:
        raise IntegrityFailure("ledger_integrity_failed", seq="?",
                               problem=f"move {move} does not match block {_block(source)}")


def _write_blocks(tx: Tx, updates: list[dict[str, object]], inserts: list[dict[str, object]]) -> None:
    """Write the split blocks collected so far (and forget them): updates, then inserts."""
    if updates:
        tx.many("UPDATE credit_block SET last = :l, account_id = :a, state = :s, tag = :t WHERE id = :id", updates)
        updates.clear()
    if inserts:
        tx.many("INSERT INTO credit_block (batch_id, first, last, account_id, state, tag) "
                "VALUES (:b, :f, :l, :a, :s, :t)", inserts)
        inserts.clear()


def _add_balances(tx: Tx, deltas: dict[tuple[str, str, str], int]) -> None:
    """Add ``(account, batch, state) → delta`` to the balance rows, one upsert for all."""
    # A new row takes its batch's vintage year and issuance seq (the take order's index keys): as
    # values when this transaction read them (a sale's batches, read to take from), else from batch.
    rows = [{"a": a, "b": b, "s": st, "q": q} for (a, b, st), q in deltas.items() if q]
    keys = tx.take_keys
    if all(r["b"] in keys for r in rows):
        tx.many("INSERT INTO balance (account_id, batch_id, state, quantity, vintage_year, issuance_seq) "
                "VALUES (:a, :b, :s, :q, :v, :i) ON CONFLICT (account_id, batch_id, state) "
                "DO UPDATE SET quantity = balance.quantity + excluded.quantity",
                [{**r, "v": keys[r["b"]][0], "i": keys[r["b"]][1]} for r in rows])
        return
    tx.many("INSERT INTO balance (account_id, batch_id, state, quantity, vintage_year, issuance_seq) "
            "SELECT :a, id, :s, :q, vintage_year, issuance_seq FROM batch WHERE id = :b "
            "ON CONFLICT (account_id, batch_id, state) DO UPDATE SET quantity = balance.quantity + excluded.quantity",
            rows)


PAGE_ROWS = 500
FIRST_PAGE_ROWS = 8  # most takes need a block or two; pages grow from here


def batch_facts(session: Session, batch_ids: Iterable[str]) -> dict[str, tuple[str, int, int, int]]:
    """``batch_id → (serial_prefix, vintage_year, first, last)``, read once per transaction
    (batches never change once issued)."""
    cache = Tx.of(session).batches
    missing = sorted({b for b in batch_ids if b not in cache})
    if missing:
        marks, params = in_list("b", missing)
        for r in Tx.of(session).all(f"SELECT id, serial_prefix, vintage_year, first, last FROM batch "
                                    f"WHERE id IN ({marks})", params):
            cache[r[0]] = tuple(r[1:])
    return cache


def available_blocks(session: Session, account_id: str) -> Iterator[Block]:
    """Held (not pledged) blocks of an account, oldest vintage first, then issuance order.

    The balance table names the batches the account holds; each batch's blocks are then read
    page by page along the holding index, so taking a few credits from an account of a million
    blocks reads a few rows.
    """
    tx = Tx.of(session)
    cache = tx.batches
    for batch_id, *facts in _held_batches(tx, account_id):
        cache[batch_id] = tuple(facts)
        after, page = 0, FIRST_PAGE_ROWS
        while True:
            rows = tx.all(f"SELECT {BLOCK_COLUMNS} FROM credit_block WHERE account_id = :a AND state = 'held' "
                          "AND batch_id = :b AND first > :after ORDER BY first LIMIT :n",
                          {"a": account_id, "b": batch_id, "after": after, "n": page})
            yield from _blocks(tx, rows)
            if len(rows) < page:
                break
            after, page = rows[-1][2], min(page * 4, PAGE_ROWS)


def tagged_blocks(session: Session, tag: str, state: BlockState) -> list[Block]:
    """The blocks of a pledge or a lien (``tag``) in ``state``, by batch and serial (read along
    ``ix_credit_block_tag``)."""
    tx = Tx.of(session)
    return list(_blocks(tx, tx.all(f"SELECT {BLOCK_COLUMNS} FROM credit_block WHERE tag = :t AND state = :s "
                                   "ORDER BY batch_id, first", {"t": tag, "s": state.value})))


BATCH_PAGE_ROWS = 8  # batches an account holds, read a few at a time: a take needs the oldest one or two


def _held_batches(tx: Tx, account_id: str) -> Iterator[tuple]:  # type: ignore[type-arg]
    """``(batch_id, serial_prefix, vintage_year, first, last)`` of the batches an account holds
    credits of, oldest vintage first, then issuance order, a page at a time: a range read along
    ``ix_balance_take`` (an enterprise that bought from thousands of issuances is neither read
    whole nor sorted for every sale)."""
    after: tuple | None = None  # type: ignore[type-arg]
    while True:
        rows = tx.all(
            "SELECT q.batch_id, b.serial_prefix, b.vintage_year, b.first, b.last, q.issuance_seq FROM balance q "
            "JOIN batch b ON b.id = q.batch_id WHERE q.account_id = :a AND q.state = 'held' AND q.quantity > 0 "
            + ("AND (q.vintage_year, q.issuance_seq, q.batch_id) > (:v, :s, :i) " if after else "")
            + "ORDER BY q.vintage_year, q.issuance_seq, q.batch_id LIMIT :n",
            {"a": account_id, "n": BATCH_PAGE_ROWS, **({"v": after[0], "s": after[1], "i": after[2]} if after else {})})
        for batch_id, prefix, vintage, first, last, issuance_seq in rows:
            tx.take_keys[batch_id] = (vintage, issuance_seq)
            yield batch_id, prefix, vintage, first, last
        if len(rows) < BATCH_PAGE_ROWS:
            return
        after = rows[-1][2], rows[-1][5], rows[-1][0]


def held_quantity(session: Session, account_id: str, state: BlockState = BlockState.held) -> int:
    row = Tx.of(session).one("SELECT sum(quantity) FROM balance WHERE account_id = :a AND state = :s",
                             {"a": account_id, "s": state.value})
    return int(row[0] or 0) if row else 0


class AccountFacts(NamedTuple):
    id: str
    party_id: str | None
    kind: str
    label: str


def get_account(session: Session, account_id: str) -> AccountFacts:
    """The account, else ``account_not_found`` (a key that is not text is never looked up)."""
    return get_accounts(session, account_id)[0]


def get_accounts(session: Session, *account_ids: str) -> list[AccountFacts]:
    """The accounts in the order asked, by one query; ``account_not_found`` names the first
    missing one (a key that is not text is never looked up)."""
    wanted = [a for a in account_ids if isinstance(a, str)]
    found = {}
    if wanted:
        marks, params = in_list("a", wanted)
        found = {r[0]: AccountFacts(*r) for r in Tx.of(session).all(
            f"SELECT id, party_id, kind, label FROM account WHERE id IN ({marks})", params)}
    for account_id in account_ids:
        if not isinstance(account_id, str) or account_id not in found:
            raise NotFound("account_not_found", account=account_id)
    return [found[a] for a in account_ids]


def describe_moves(session: Session, moves: Iterable[Move]) -> list[dict[str, object]]:
    """Serial blocks of the moves, as ``{"serials": "<first>..<last>", "quantity": n, ...}``."""
    moves = list(moves)
    facts = batch_facts(session, (m.batch_id for m in moves))
    out = []
    for m in moves:
        batch = facts.get(m.batch_id)
        prefix = batch[0] if batch else m.batch_id
        out.append({"batch_id": m.batch_id, "serials": format_block(prefix, m.first, m.last),
                    "quantity": m.last - m.first + 1, "vintage_year": batch[1] if batch else None})
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
    tx = Tx.of(session)
    out: list[Block] = []
    for text in serial_ranges:
        prefix, first, last = parse_serial_range(text)
        batches = tx.all("SELECT id, first, last FROM batch WHERE serial_prefix = :p AND first <= :l AND last >= :f "
                         "ORDER BY first", {"p": prefix, "f": first, "l": last})
        if sum(min(b_last, last) - max(b_first, first) + 1 for _, b_first, b_last in batches) != last - first + 1:
            raise NotFound("serials_unknown", serials=text)
        for batch_id, b_first, b_last in batches:
            lo, hi = max(b_first, first), min(b_last, last)
            rows = tx.all(f"SELECT {BLOCK_COLUMNS} FROM credit_block WHERE batch_id = :b AND first <= :hi "
                          "AND last >= :lo ORDER BY first", {"b": batch_id, "lo": lo, "hi": hi})
            for r in rows:
                tx.blocks[(r[1], r[2])] = r
                block = _block(r)
                _check_named(block, account_id, text)
                out.append(Block(block.batch_id, max(block.first, lo), min(block.last, hi), block.account_id,
                                 block.state, block.tag))
    return out


def _check_named(r: Block, account_id: str, text: str) -> None:
    if r.state == BlockState.retired:
        raise Conflict("credits_retired", serials=text)
    if r.state == BlockState.cancelled:
        raise Conflict("credits_cancelled", serials=text)
    if r.account_id != account_id:
        raise Conflict("credits_not_held", serials=text, account=account_id)
    if r.state == BlockState.pledged:
        raise Conflict("credits_pledged", serials=text)


def refuse_short(session: Session, account_id: str, requested: int, available: int) -> None:
    """Refuse a take that the held credits cannot cover; say so, with the figures, when pledged
    credits would have covered it (``credits_short_pledged``: available, pledged, requested)."""
    pledged = held_quantity(session, account_id, BlockState.pledged)
    if pledged and requested <= available + pledged:
        raise Conflict("credits_short_pledged", requested=requested, available=available, pledged=pledged)
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
