"""Sale / transfer (交易): credits move from seller to buyer at a price in fen per tonne.

Credits are taken oldest vintage first (then issuance order) unless the request names serial
ranges. Pledged credits are not available; retired credits never move.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ledger.commands import CommandContext
from ledger.domain import AccountKind, BlockState, EntryKind
from ledger.permissions import require_owner
from ledger.prices.reference import pricing
from ledger.prices.trades import local_date, record_trades
from ledger.projection import apply_moves, describe_moves, get_accounts, take_moves
from sinkledger_base.checks import date_out_of_range, iso_date
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


def check_sale_dates(ctx: CommandContext, dates: dict[str, Any]) -> dict[str, str]:
    """The clerk's dates of a sale (``sale_date``, ``contract_date``; each optional): ISO dates in
    the accepted range, not after the day the sale is recorded (a day's grace: the clerk's calendar
    is Asia/Shanghai, the ledger's clock UTC), the contract not after the sale. Given ones only."""
    given = {field: iso_date(value, field).isoformat() for field, value in dates.items() if value not in (None, "")}
    latest = date.fromisoformat(ctx.recorded_at[:10]) + timedelta(days=1)
    for field, day in given.items():
        if date.fromisoformat(day) > latest:
            raise date_out_of_range(field, day)
    if "contract_date" in given and "sale_date" in given and given["contract_date"] > given["sale_date"]:
        raise InvalidInput("contract_after_sale", contract_date=given["contract_date"], sale_date=given["sale_date"])
    return given


def sell(ctx: CommandContext, *, seller_account: str, buyer_account: str, quantity: int,
         price_fen_per_t: int, contract_no: str, serials: list[str] | None = None,
         sale_date: str | None = None, contract_date: str | None = None) -> tuple[str, dict[str, Any]]:
    check_quantity(quantity)
    dates = check_sale_dates(ctx, {"sale_date": sale_date, "contract_date": contract_date})
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
              **dates, "blocks": describe_moves(ctx.tx, moves)}
    payload = {"seller_account": seller_account, "buyer_account": buyer_account, "quantity": quantity,
               "price_fen_per_t": price_fen_per_t, "amount_fen": amount_fen, "contract_no": contract_no,
               **dates, "moves": [m.to_record() for m in moves], "result": result}
    priced = prices_at_sale(ctx, payload)  # issue 22: the index's trade lines, the pricing factors
    if priced is not None:
        payload["pricing"] = result["pricing"] = priced
    return EntryKind.sale.value, payload


def prices_at_sale(ctx: CommandContext, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The sale's trade lines for the price index (``price_trade``) and, when a project sold has
    pricing factors, its reference prices for the entry (docs/prices.md)."""
    record_trades(ctx.tx, ctx.seq, ctx.recorded_at, payload)
    day = payload.get("sale_date") or local_date(ctx.recorded_at)
    return pricing(ctx.tx, lambda: ctx.session, payload["moves"], day, as_of_seq=ctx.seq - 1)
