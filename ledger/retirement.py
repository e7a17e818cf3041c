"""Retirement (注销): credits are used up for a named beneficiary and purpose; final.

Retired credits move to the registry's retirement account in state ``retired``, tagged with
the retirement id, and no command can move them again.
"""

from __future__ import annotations

import enum
from typing import Any

from ledger.commands import CommandContext
from ledger.domain import SYSTEM_ACCOUNTS, AccountKind, BlockState, EntryKind
from ledger.permissions import require_owner
from ledger.projection import apply_moves, describe_moves, get_account, take_moves
from ledger.sale import check_quantity, check_text
from ledger.store import RetirementRow
from sinkledger_base.errors import InvalidInput


class RetirementKind(str, enum.Enum):
    voluntary = "voluntary"  # an enterprise's own claim
    judicial = "judicial"  # against a court case (司法补偿)
    obligation = "obligation"  # surrendered against a quota obligation (配额履约; issue 22)


def retirement_id(seq: int) -> str:
    return f"RT-{seq:08d}"


def retire(ctx: CommandContext, *, account_id: str, quantity: int, beneficiary: str, purpose: str,
           kind: str = RetirementKind.voluntary.value,
           serials: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    check_quantity(quantity)
    beneficiary = check_text(beneficiary, "beneficiary", 200)
    purpose = check_text(purpose, "purpose", 500)
    try:
        kind_enum = RetirementKind(kind)
    except ValueError:
        raise InvalidInput("value_invalid", field="kind", value=str(kind)[:40]) from None
    if kind_enum is RetirementKind.obligation:  # only a surrender against an obligation (ledger/quota) makes these
        raise InvalidInput("value_invalid", field="kind", value=kind_enum.value)
    account = get_account(ctx.tx, account_id)
    if account.kind != AccountKind.holding.value:
        raise InvalidInput("value_invalid", field="account", value=account_id)
    require_owner(ctx.actor, "retire", account.party_id)
    rid = retirement_id(ctx.seq)
    moves = take_moves(ctx.tx, account_id, quantity, serials,
                       to_account=SYSTEM_ACCOUNTS[AccountKind.retirement], to_state=BlockState.retired, tag=rid)
    apply_moves(ctx.tx, moves)
    ctx.tx.insert(RetirementRow(id=rid, seq=ctx.seq, account_id=account_id, quantity=quantity,
                                  beneficiary=beneficiary, purpose=purpose,
                                  retirement_kind=kind_enum.value, recorded_at=ctx.recorded_at))
    result = {"retirement_id": rid, "account_id": account_id, "quantity": quantity,
              "beneficiary": beneficiary, "purpose": purpose, "kind": kind_enum.value,
              "blocks": describe_moves(ctx.tx, moves)}
    payload = {**{k: v for k, v in result.items() if k != "blocks"},
               "moves": [m.to_record() for m in moves], "result": result}
    return EntryKind.retirement.value, payload
