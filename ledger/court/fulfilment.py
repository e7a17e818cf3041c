"""Fulfilment (履行): buy credits from a seller and retire them against the case, in one entry.

One journal entry carries both halves, so ``sinkledger verify`` replays them:

1. the sale moves: seller's held credits → the buyer (a defendant's or the court's holding
   account), held;
2. the retirement moves: exactly those serials → ``SYS-RETIRED``, state ``retired``, tagged with
   the retirement id; retirement kind ``judicial``, beneficiary the damaged ecosystem, purpose
   the case number.

The credits therefore never rest in the buyer's account between two commands, and can never
move again. Partial fulfilments add up; over-fulfilment is refused (see
:func:`ledger.court.domain.plan_purchase`); credits already retired (for this or another case)
cannot be used. An order may require credits of the damaged ecosystem's sink type and/or county.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlmodel import select

from ledger.commands import CommandContext
from ledger.court.cases import get_case
from ledger.court.domain import Purchase, case_entry_id, plan_purchase
from ledger.court.orders import add_event, get_order, order_terms, stored_status
from ledger.court.permissions import FULFILS_FOR_OTHERS, require_case_court
from ledger.court.store import CourtCaseRow, CourtFulfilmentRow, CourtOrderRow
from ledger.domain import (
    SYSTEM_ACCOUNTS,
    AccountKind,
    Block,
    BlockState,
    EntryKind,
    Move,
    check_date,
    plan_take,
)
from ledger.parties import holding_account_id
from ledger.projection import (
    apply_moves,
    available_blocks,
    describe_moves,
    get_account,
    held_quantity,
    named_blocks,
    parse_serial_range,
    refuse_short,
)
from ledger.retirement import RetirementKind, retirement_id
from ledger.sale import MAX_CONTRACT_NO_CHARS, check_text
from ledger.store import BatchRow, CreditBlockRow, RetirementRow, SaleRow
from sinkledger_base.errors import Conflict, InvalidInput, NotPermitted

REFUSAL_CLASS = {"price_must_be_positive": InvalidInput, "price_must_not_be_negative": InvalidInput,
                 "quantity_must_be_positive": InvalidInput}


# --- who buys, who sells ---------------------------------------------------------------------

def _buyer_account(ctx: CommandContext, case: CourtCaseRow, buyer_account: str | None) -> str:
    """The defendant's (default: the first defendant's) or the court's holding account."""
    allowed = [holding_account_id(p) for p in json.loads(case.defendants)] + [holding_account_id(case.court_party_id)]
    account_id = buyer_account or allowed[0]
    if account_id not in allowed:
        raise InvalidInput("value_invalid", field="buyer_account", value=str(account_id)[:40])
    get_account(ctx.session, account_id)
    return account_id


def _seller_account(ctx: CommandContext, seller_account: str, buyer_account: str) -> str:
    seller = get_account(ctx.session, seller_account)
    if seller.kind != AccountKind.holding.value:
        raise InvalidInput("value_invalid", field="seller_account", value=seller_account)
    if seller_account == buyer_account:
        raise InvalidInput("accounts_must_be_different")
    if ctx.actor.role not in FULFILS_FOR_OTHERS and seller.party_id != ctx.actor.party_id:
        raise NotPermitted("not_permitted", role=ctx.actor.role.value, command="court_fulfil")
    return seller_account


# --- which credits ---------------------------------------------------------------------------

def requirement(order: CourtOrderRow, case: CourtCaseRow) -> dict[str, str]:
    """The batch attributes the order requires: ``{"sink_type": ..., "county_code": ...}``."""
    out = {}
    if order.same_sink_type:
        out["sink_type"] = case.sink_type
    if order.same_county:
        out["county_code"] = case.county_code
    return out


def _describe(required: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in required.items())


def _matching(session: Any, blocks: Iterable[Block], required: dict[str, str]) -> Iterator[Block]:
    batches: dict[str, BatchRow] = {}
    for block in blocks:
        batch = batches.get(block.batch_id) or session.get(BatchRow, block.batch_id)
        batches[block.batch_id] = batch
        if all(getattr(batch, k) == v for k, v in required.items()):
            yield block


def refuse_reuse(session: Any, serials: list[str]) -> None:
    """Refuse named serials that a court fulfilment already retired, naming that case."""
    for text in serials:
        prefix, first, last = parse_serial_range(text)
        rows = session.exec(select(CreditBlockRow.tag).join(BatchRow, BatchRow.id == CreditBlockRow.batch_id).where(
            BatchRow.serial_prefix == prefix, CreditBlockRow.first <= last, CreditBlockRow.last >= first,
            CreditBlockRow.state == BlockState.retired.value)).all()
        for tag in rows:
            done = session.exec(select(CourtFulfilmentRow).where(CourtFulfilmentRow.retirement_id == tag)).first()
            if done is not None:
                raise Conflict("credits_retired_for_case", serials=text, case_no=done.case_no)


def _take(ctx: CommandContext, seller: str, buyer: str, quantity_t: int, serials: list[str] | None,
          required: dict[str, str]) -> list[Move]:
    """Sale moves of ``quantity_t`` matching credits: the named serials, else oldest vintage first."""
    if serials:
        named = named_blocks(ctx.session, seller, serials)
        if sum(b.quantity for b in named) != quantity_t:
            raise InvalidInput("serials_quantity_mismatch", quantity=quantity_t,
                               serials_quantity=sum(b.quantity for b in named))
        if len(list(_matching(ctx.session, named, required))) != len(named):
            raise Conflict("credits_do_not_match_order", serials=", ".join(serials), requirement=_describe(required))
        return plan_take(named, quantity_t, to_account=buyer, to_state=BlockState.held)
    moves = plan_take(_matching(ctx.session, available_blocks(ctx.session, seller), required), quantity_t,
                      to_account=buyer, to_state=BlockState.held)
    if not moves and required:
        available = sum(b.quantity for b in _matching(ctx.session, available_blocks(ctx.session, seller), required))
        raise Conflict("insufficient_matching_balance", requirement=_describe(required), requested=quantity_t,
                       available=available)
    if not moves:
        refuse_short(ctx.session, seller, quantity_t, held_quantity(ctx.session, seller))
    return moves


def retire_moves(sale_moves: list[Move], rid: str) -> list[Move]:
    """The same serials, from the buyer's held credits to the retirement account."""
    return [Move(m.batch_id, m.first, m.last, m.to_account, BlockState.held,
                 SYSTEM_ACCOUNTS[AccountKind.retirement], BlockState.retired, rid) for m in sale_moves]


# --- the command -----------------------------------------------------------------------------

def _plan(order: CourtOrderRow, price_fen_per_t: Any, quantity_t: Any) -> Purchase:
    if not isinstance(price_fen_per_t, int) or isinstance(price_fen_per_t, bool):
        raise InvalidInput("value_invalid", field="price_fen_per_t", value=str(price_fen_per_t)[:40])
    if quantity_t is not None and (not isinstance(quantity_t, int) or isinstance(quantity_t, bool)):
        raise InvalidInput("quantity_must_be_positive")
    plan = plan_purchase(order_terms(order), price_fen_per_t=price_fen_per_t, requested_t=quantity_t)
    if isinstance(plan, str):
        terms = order_terms(order)
        remaining = terms.remaining_t if order.kind == "quantity" else terms.remaining_fen // max(price_fen_per_t, 1)
        cls = REFUSAL_CLASS.get(plan, Conflict)
        raise cls(plan, order=order.order_id, requested=quantity_t, remaining=remaining)
    return plan


def _open_order(ctx: CommandContext, order_id: str) -> tuple[CourtOrderRow, CourtCaseRow]:
    order = get_order(ctx.session, order_id)
    if order.withdrawn_seq is not None:
        raise Conflict("order_withdrawn", order=order_id)
    if order_terms(order).is_complete():
        raise Conflict("order_already_fulfilled", order=order_id)
    case = get_case(ctx.session, order.case_no)
    require_case_court(ctx.actor, "court_fulfil", case.court_party_id)
    return order, case


def fulfil(ctx: CommandContext, *, order_id: str, seller_account: str, price_fen_per_t: int, contract_no: str,
           quantity_t: int | None = None, buyer_account: str | None = None, purchase_date: str | None = None,
           serials: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    """Buy credits for an order and retire them against its case, in one entry."""
    order, case = _open_order(ctx, order_id)
    buyer = _buyer_account(ctx, case, buyer_account)
    seller = _seller_account(ctx, seller_account, buyer)
    contract_no = check_text(contract_no, "contract_no", MAX_CONTRACT_NO_CHARS)
    purchase_date = check_date(purchase_date or ctx.recorded_at[:10], "purchase_date")
    if serials:
        refuse_reuse(ctx.session, serials)
        if quantity_t is None:
            quantity_t = sum(b.quantity for b in named_blocks(ctx.session, seller, serials))
    plan = _plan(order, price_fen_per_t, quantity_t)
    rid = retirement_id(ctx.seq)
    sale_moves = _take(ctx, seller, buyer, plan.quantity_t, serials, requirement(order, case))
    moves = sale_moves + retire_moves(sale_moves, rid)
    apply_moves(ctx.session, moves)
    fulfilment = _record(ctx, order, case, plan, seller=seller, buyer=buyer, rid=rid, contract_no=contract_no,
                         purchase_date=purchase_date)
    result = {**fulfilment, "status": order.status, "blocks": describe_moves(ctx.session, sale_moves)}
    payload = {"fulfilment": fulfilment, "moves": [m.to_record() for m in moves], "result": result}
    return EntryKind.court_fulfilment.value, payload


def _record(ctx: CommandContext, order: CourtOrderRow, case: CourtCaseRow, plan: Purchase, *, seller: str,
            buyer: str, rid: str, contract_no: str, purchase_date: str) -> dict[str, Any]:
    """Write the sale, the judicial retirement, the fulfilment and the order's new totals."""
    fulfilment = {"fulfilment_id": case_entry_id("CF", ctx.seq), "order_id": order.order_id,
                  "case_no": case.case_no, "seller_account": seller, "buyer_account": buyer,
                  "quantity_t": plan.quantity_t, "price_fen_per_t": plan.price_fen_per_t,
                  "amount_fen": plan.amount_fen, "remaining_before_fen": plan.remaining_before_fen,
                  "remainder_fen": plan.remainder_fen, "retirement_id": rid, "retirement_kind": "judicial",
                  "beneficiary": case.ecosystem_name, "purpose": case.case_no, "contract_no": contract_no,
                  "purchase_date": purchase_date, "completes_order": plan.completes_order}
    ctx.session.add(SaleRow(seq=ctx.seq, seller_account=seller, buyer_account=buyer, quantity=plan.quantity_t,
                            price_fen_per_t=plan.price_fen_per_t, amount_fen=plan.amount_fen,
                            contract_no=contract_no, recorded_at=ctx.recorded_at))
    ctx.session.add(RetirementRow(id=rid, seq=ctx.seq, account_id=buyer, quantity=plan.quantity_t,
                                  beneficiary=case.ecosystem_name, purpose=case.case_no,
                                  retirement_kind=RetirementKind.judicial.value, recorded_at=ctx.recorded_at))
    ctx.session.add(CourtFulfilmentRow(id=fulfilment["fulfilment_id"], seq=ctx.seq, order_id=order.order_id,
                                       case_no=case.case_no, seller_account=seller, buyer_account=buyer,
                                       quantity_t=plan.quantity_t, price_fen_per_t=plan.price_fen_per_t,
                                       amount_fen=plan.amount_fen, remainder_fen=plan.remainder_fen,
                                       retirement_id=rid, contract_no=contract_no, purchase_date=purchase_date,
                                       recorded_at=ctx.recorded_at))
    order.fulfilled_t += plan.quantity_t
    order.spent_fen += plan.amount_fen
    order.last_price_fen_per_t, order.fulfilments = plan.price_fen_per_t, order.fulfilments + 1
    order.status, order.updated_seq = stored_status(order), ctx.seq
    ctx.session.add(order)
    add_event(ctx, order.order_id, EntryKind.court_fulfilment, fulfilment)
    return fulfilment
