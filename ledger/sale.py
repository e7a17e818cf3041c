"""Sale / transfer (交易): credits move from seller to buyer at a price in fen per tonne.

Credits are taken oldest vintage first (then issuance order) unless the request names serial
ranges. Pledged credits are not available; retired credits never move.
"""

from __future__ import annotations

from typing import Any

from ledger.commands import CommandContext
from ledger.domain import AccountKind, BlockState, EntryKind
from ledger.permissions import require_owner
from ledger.projection import apply_moves, describe_moves, get_accounts, take_moves
from sinkledger_base.errors import InvalidInput

MAX_CONTRACT_NO_CHARS = 80


def check_quantity(quantity: Any) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidInput("quantity_must_be_positive")
    return quantity


def check_text(value: Any, field: str, max_chars: int, *, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput("field_required", field=field)
        return ""
    if not isinstance(value, str) or not value.isprintable():
        raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
    if len(value) > max_chars:
        raise InvalidInput("text_too_long", field=field, max_chars=max_chars)
    return value.strip()


def sell(ctx: CommandContext, *, seller_account: str, buyer_account: str, quantity: int,
         price_fen_per_t: int, contract_no: str, serials: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    check_quantity(quantity)
    if not isinstance(price_fen_per_t, int) or isinstance(price_fen_per_t, bool) or price_fen_per_t < 0:
        raise InvalidInput("price_must_not_be_negative")
    contract_no = check_text(contract_no, "contract_no", MAX_CONTRACT_NO_CHARS)
    if seller_account == buyer_account:
        raise InvalidInput("accounts_must_be_different")
    seller, buyer = get_accounts(ctx.tx, seller_account, buyer_account)
    for acc in (seller, buyer):
        if acc.kind != AccountKind.holding.value:
            raise InvalidInput("value_invalid", field="account", value=acc.id)
    require_owner(ctx.actor, "sell", seller.party_id)
    moves = take_moves(ctx.tx, seller_account, quantity, serials, to_account=buyer_account,
                       to_state=BlockState.held)
    apply_moves(ctx.tx, moves)
    amount_fen = quantity * price_fen_per_t
    ctx.tx.run(
        "INSERT INTO sale (seq, seller_account, buyer_account, quantity, price_fen_per_t, amount_fen, contract_no, "
        "recorded_at) VALUES (:seq, :s, :b, :q, :p, :a, :c, :t)",
        {"seq": ctx.seq, "s": seller_account, "b": buyer_account, "q": quantity, "p": price_fen_per_t,
         "a": amount_fen, "c": contract_no, "t": ctx.recorded_at})
    result = {"seller_account": seller_account, "buyer_account": buyer_account, "quantity": quantity,
              "price_fen_per_t": price_fen_per_t, "amount_fen": amount_fen, "contract_no": contract_no,
              "blocks": describe_moves(ctx.tx, moves)}
    payload = {"seller_account": seller_account, "buyer_account": buyer_account, "quantity": quantity,
               "price_fen_per_t": price_fen_per_t, "amount_fen": amount_fen, "contract_no": contract_no,
               "moves": [m.to_record() for m in moves], "result": result}
    return EntryKind.sale.value, payload
