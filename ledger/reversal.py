"""Reversal (冲减): a loss of stored carbon cancels credits from the buffer pool.

Buffer credits are taken oldest vintage first and move to the cancellation account in state
``cancelled``, tagged with the reversal id. The loss event itself (parcels, area, cause, the
methodology's carbon-loss computation) is recorded by the insurance/loss module; this entry
names it by reference.
"""

from __future__ import annotations

from typing import Any

from ledger.commands import CommandContext
from ledger.domain import SYSTEM_ACCOUNTS, AccountKind, BlockState, EntryKind, plan_take
from ledger.projection import apply_moves, available_blocks, describe_moves, held_quantity
from ledger.sale import check_quantity, check_text
from ledger.store import ReversalRow
from sinkledger_base.errors import Conflict


def reversal_id(seq: int) -> str:
    return f"RV-{seq:08d}"


def reverse(ctx: CommandContext, *, quantity: int, reason: str, loss_event_ref: str) -> tuple[str, dict[str, Any]]:
    check_quantity(quantity)
    reason = check_text(reason, "reason", 500)
    loss_event_ref = check_text(loss_event_ref, "loss_event_ref", 80)
    rid = reversal_id(ctx.seq)
    buffer = SYSTEM_ACCOUNTS[AccountKind.buffer]
    moves = plan_take(available_blocks(ctx.session, buffer), quantity,
                      to_account=SYSTEM_ACCOUNTS[AccountKind.cancellation], to_state=BlockState.cancelled, tag=rid)
    if not moves:
        raise Conflict("buffer_insufficient", requested=quantity, available=held_quantity(ctx.session, buffer))
    apply_moves(ctx.session, moves)
    ctx.session.add(ReversalRow(id=rid, seq=ctx.seq, quantity=quantity, reason=reason,
                                loss_event_ref=loss_event_ref, recorded_at=ctx.recorded_at))
    result = {"reversal_id": rid, "quantity": quantity, "reason": reason, "loss_event_ref": loss_event_ref,
              "blocks": describe_moves(ctx.session, moves)}
    payload = {"reversal_id": rid, "quantity": quantity, "reason": reason, "loss_event_ref": loss_event_ref,
               "moves": [m.to_record() for m in moves], "result": result}
    return EntryKind.reversal.value, payload
