"""Pledge and release (质押 / 解押): credits locked as loan collateral.

A bank pledges credits of a holder's account against a loan (reference, amount in fen, term).
Pledged credits stay in the holder's account in state ``pledged``, tagged with the pledge id,
and cannot be sold or retired. The pledge ends by a release (back to ``held``) on repayment, or
by a default, which transfers the pledged credits to the bank's holding account.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ledger.commands import CommandContext
from ledger.domain import AccountKind, BlockState, EntryKind, Move, check_date
from ledger.parties import holding_account_id
from ledger.permissions import require_owner
from ledger.projection import apply_moves, describe_moves, get_account, tagged_blocks, take_moves
from ledger.sale import check_quantity, check_text
from ledger.store import PledgeRow
from sinkledger_base.errors import Conflict, InvalidInput, NotFound


def pledge_id(seq: int) -> str:
    return f"PL-{seq:08d}"


def _check_terms(loan_amount_fen: Any, term_end: Any) -> None:
    if not isinstance(loan_amount_fen, int) or isinstance(loan_amount_fen, bool) or loan_amount_fen <= 0:
        raise InvalidInput("value_invalid", field="loan_amount_fen", value=str(loan_amount_fen)[:40])
    check_date(term_end, "term_end")


def pledge(ctx: CommandContext, *, account_id: str, quantity: int, loan_reference: str, loan_amount_fen: int,
           term_end: str, serials: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    """The acting bank pledges ``quantity`` held credits of ``account_id``."""
    check_quantity(quantity)
    loan_reference = check_text(loan_reference, "loan_reference", 80)
    _check_terms(loan_amount_fen, term_end)
    account = get_account(ctx.tx, account_id)
    if account.kind != AccountKind.holding.value:
        raise InvalidInput("value_invalid", field="account", value=account_id)
    pid = pledge_id(ctx.seq)
    moves = take_moves(ctx.tx, account_id, quantity, serials, to_account=account_id,
                       to_state=BlockState.pledged, tag=pid)
    apply_moves(ctx.tx, moves)
    ctx.tx.insert(PledgeRow(id=pid, seq=ctx.seq, account_id=account_id, bank_party_id=ctx.actor.party_id,
                              quantity=quantity, loan_reference=loan_reference, loan_amount_fen=loan_amount_fen,
                              term_end=term_end, status="active"))
    result = {"pledge_id": pid, "account_id": account_id, "bank_party_id": ctx.actor.party_id,
              "quantity": quantity, "loan_reference": loan_reference, "loan_amount_fen": loan_amount_fen,
              "term_end": term_end, "blocks": describe_moves(ctx.tx, moves)}
    payload = {**{k: v for k, v in result.items() if k != "blocks"}, "moves": [m.to_record() for m in moves],
               "result": result}
    return EntryKind.pledge.value, payload


class _Pledge(NamedTuple):
    account_id: str
    bank_party_id: str
    quantity: int
    status: str


def _active_pledge(ctx: CommandContext, pledge_ref: str) -> _Pledge:
    found = ctx.tx.one("SELECT account_id, bank_party_id, quantity, status FROM pledge WHERE id = :id",
                       {"id": pledge_ref}) if isinstance(pledge_ref, str) else None
    if found is None:
        raise NotFound("pledge_not_found", pledge=pledge_ref)
    row = _Pledge(*found)
    require_owner(ctx.actor, "release", row.bank_party_id)
    if row.status != "active":
        raise Conflict("pledge_not_active", pledge=pledge_ref, status=row.status)
    return row


def _end_pledge(ctx: CommandContext, pledge_ref: str, *, default: bool) -> tuple[str, dict[str, Any]]:
    row = _active_pledge(ctx, pledge_ref)
    to_account = holding_account_id(row.bank_party_id) if default else row.account_id
    if default and ctx.tx.one("SELECT 1 FROM party WHERE id = :id", {"id": row.bank_party_id}) is None:
        raise NotFound("party_not_found", party=row.bank_party_id)
    get_account(ctx.tx, to_account)
    blocks = tagged_blocks(ctx.tx, pledge_ref, BlockState.pledged)
    moves = [Move(b.batch_id, b.first, b.last, b.account_id, b.state, to_account, BlockState.held) for b in blocks]
    apply_moves(ctx.tx, moves)
    status = "defaulted" if default else "released"
    ctx.tx.run("UPDATE pledge SET status = :s, ended_seq = :seq WHERE id = :id",
               {"s": status, "seq": ctx.seq, "id": pledge_ref})
    result = {"pledge_id": pledge_ref, "status": status, "quantity": row.quantity, "to_account": to_account,
              "blocks": describe_moves(ctx.tx, moves)}
    payload = {"pledge_id": pledge_ref, "status": status, "to_account": to_account,
               "moves": [m.to_record() for m in moves], "result": result}
    return (EntryKind.pledge_default if default else EntryKind.release).value, payload


def release(ctx: CommandContext, *, pledge_id: str) -> tuple[str, dict[str, Any]]:
    """The pledgee bank releases a pledge on repayment: the credits are held again."""
    return _end_pledge(ctx, pledge_id, default=False)


def default_transfer(ctx: CommandContext, *, pledge_id: str) -> tuple[str, dict[str, Any]]:
    """On default, the pledged credits pass to the bank's holding account."""
    return _end_pledge(ctx, pledge_id, default=True)
