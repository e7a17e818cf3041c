"""Correction (更正): a new entry that reverses an earlier one and names it; never an edit.

What can be corrected:

- a **sale** recorded by mistake: every credit it moved goes back from the buyer to the seller,
  provided the buyer still holds it;
- an **issuance** made in error: every credit of its batches still where the issuance put it
  is cancelled (moved to the cancellation account), and the parcels' monitoring period is
  freed for a correct issuance.

Retirements are final and cannot be corrected; nor can an entry be corrected twice.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import delete

from ledger.commands import CommandContext
from ledger.domain import SYSTEM_ACCOUNTS, AccountKind, BlockState, EntryKind, Move, Role
from ledger.projection import apply_moves, describe_moves
from ledger.prices.trades import delete_trades
from ledger.sale import check_text
from ledger.store import CorrectionRow, IssuedPeriodRow, JournalRow, SaleRow
from sinkledger_base.errors import Conflict, NotFound, NotPermitted

CORRECTABLE = {EntryKind.sale.value, EntryKind.issuance.value}


def _inverse_moves(payload: dict[str, Any], kind: str) -> list[Move]:
    moves = [Move.from_record(r) for r in payload["moves"]]
    if kind == EntryKind.sale.value:
        return [Move(m.batch_id, m.first, m.last, m.to_account, m.to_state, m.from_account, m.from_state)
                for m in moves]
    cancelled = SYSTEM_ACCOUNTS[AccountKind.cancellation]
    return [Move(m.batch_id, m.first, m.last, m.to_account, m.to_state, cancelled, BlockState.cancelled)
            for m in moves]


def correct(ctx: CommandContext, *, entry_seq: int, reason: str) -> tuple[str, dict[str, Any]]:
    reason = check_text(reason, "reason", 500)
    row = ctx.session.get(JournalRow, entry_seq) if isinstance(entry_seq, int) else None
    if row is None:
        raise NotFound("entry_not_found", seq=entry_seq)
    if row.kind not in CORRECTABLE:
        raise Conflict("entry_not_correctable", seq=entry_seq, kind=row.kind,
                       reason="only sales and issuances can be corrected")
    if ctx.actor.role is Role.trading_clerk and row.kind != EntryKind.sale.value:  # the clerk's own trade only
        raise NotPermitted("not_permitted", role=ctx.actor.role.value, command="correct")
    if ctx.session.get(CorrectionRow, entry_seq) is not None:
        raise Conflict("entry_already_corrected", seq=entry_seq)
    payload = json.loads(row.body)["payload"]
    moves = _inverse_moves(payload, row.kind)
    try:
        apply_moves(ctx.session, moves)
    except Exception:  # the credits have moved on since
        raise Conflict("entry_not_correctable", seq=entry_seq, kind=row.kind,
                       reason="some of its credits have moved since") from None
    if row.kind == EntryKind.issuance.value:
        ctx.session.exec(delete(IssuedPeriodRow).where(IssuedPeriodRow.issuance_seq == entry_seq))
    else:
        ctx.session.exec(delete(SaleRow).where(SaleRow.seq == entry_seq))
        delete_trades(ctx.session, entry_seq)  # issue 22: a corrected sale leaves the price index
    ctx.session.add(CorrectionRow(corrected_seq=entry_seq, seq=ctx.seq, reason=reason))
    result = {"corrected_seq": entry_seq, "corrected_kind": row.kind, "reason": reason,
              "blocks": describe_moves(ctx.session, moves)}
    out = {"corrected_seq": entry_seq, "corrected_kind": row.kind, "reason": reason,
           "moves": [m.to_record() for m in moves], "result": result}
    return EntryKind.correction.value, out
