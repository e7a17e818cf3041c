"""Orders (判令): issued, amended and withdrawn by the court, each by a new journal entry.

An order is either a quantity of tCO2e (optionally proposed by :mod:`ledger.court.calculator`,
which the court confirms or overrides with a reason; proposal and decision are both kept) or an
amount of money in fen, converted to tonnes at each purchase's price. It has a due date and may
require credits of the damaged ecosystem's sink type and/or county. An amendment changes terms
by a new entry (never below what is already fulfilled); a withdrawal is a new entry with a
reason, after which nothing can be bought against the order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.commands import CommandContext
from ledger.court.calculator import Proposal, propose_tonnage
from ledger.court.cases import get_case
from ledger.court.domain import TERM_FIELDS, OrderKind, OrderStatus, OrderTerms, case_entry_id, order_status
from ledger.court.permissions import require_case_court
from ledger.court.store import CourtCaseRow, CourtOrderEventRow, CourtOrderRow
from ledger.domain import EntryKind, check_date
from ledger.estimates import methodology_refusal
from ledger.sale import check_quantity, check_text
from ledger.store import EstimateRow, must_get
from methodologies.errors import MethodologyError
from methodologies.registry import get_methodology
from sinkledger_base.errors import Conflict, InvalidInput, NotFound

MAX_REASON_CHARS = 500


def get_order(session: Any, order_id: str) -> CourtOrderRow:
    return must_get(session, CourtOrderRow, order_id if isinstance(order_id, str) else None, "order_not_found",
                    order=str(order_id)[:40])


def order_terms(row: CourtOrderRow) -> OrderTerms:
    return OrderTerms(kind=OrderKind(row.kind), quantity_t=row.quantity_t, amount_fen=row.amount_fen,
                      fulfilled_t=row.fulfilled_t, spent_fen=row.spent_fen,
                      last_price_fen_per_t=row.last_price_fen_per_t)


def current_status(row: CourtOrderRow, as_of: date | None) -> OrderStatus:
    """The order's status on ``as_of``, overdue included."""
    return order_status(withdrawn=row.withdrawn_seq is not None, complete=order_terms(row).is_complete(),
                        fulfilled_t=row.fulfilled_t, due_date=row.due_date, as_of=as_of)


def stored_status(row: CourtOrderRow) -> str:
    return current_status(row, None).value


def add_event(ctx: CommandContext, order_id: str, kind: EntryKind, summary: Mapping[str, Any]) -> None:
    ctx.session.add(CourtOrderEventRow(seq=ctx.seq, order_id=order_id, kind=kind.value,
                                       summary=json.dumps(summary, ensure_ascii=False, sort_keys=True),
                                       recorded_at=ctx.recorded_at))


# --- the calculator inside a command ---------------------------------------------------------

def build_proposal(session: Any, case: CourtCaseRow, calculation: Mapping[str, Any]) -> Proposal:
    """Run the calculator for a case: its damaged area and sink type, the court's years to
    recovery, and the reference rate or an estimate (``estimate_id``, or ``methodology_id`` with
    ``inputs``)."""
    years = calculation.get("years_to_recovery")
    if not isinstance(years, int) or isinstance(years, bool) or not 0 < years <= 200:
        raise InvalidInput("value_invalid", field="years_to_recovery", value=str(years)[:40])
    estimate = _calculation_estimate(session, calculation)
    if estimate is not None and estimate["sink_type"] != case.sink_type:
        raise InvalidInput("estimate_sink_type_mismatch", estimate_sink_type=estimate["sink_type"],
                           sink_type=case.sink_type)
    try:
        return propose_tonnage(sink_type=case.sink_type, damaged_area_ha=Decimal(case.damaged_area_ha),
                               years_to_recovery=years, estimate=estimate)
    except KeyError:
        raise InvalidInput("reference_rate_unavailable", sink_type=case.sink_type) from None


def _calculation_estimate(session: Any, calculation: Mapping[str, Any]) -> dict[str, Any] | None:
    if calculation.get("estimate_id"):
        row = session.get(EstimateRow, calculation["estimate_id"])
        if row is None:
            raise NotFound("estimate_not_found", estimate=str(calculation["estimate_id"])[:40])
        return json.loads(row.document) | {"estimate_id": row.id}
    if calculation.get("methodology_id"):
        return _run_methodology(calculation["methodology_id"], calculation.get("inputs") or {},
                                calculation.get("gwp_profile") or "AR5")
    return None


def _run_methodology(methodology_id: str, inputs: Mapping[str, Any], gwp_profile: str) -> dict[str, Any]:
    try:
        methodology = get_methodology(methodology_id)
    except (KeyError, LookupError, MethodologyError):
        raise NotFound("methodology_unknown", methodology=str(methodology_id)[:80]) from None
    try:
        return methodology.estimate(inputs, gwp_profile=gwp_profile).to_dict()
    except MethodologyError as exc:
        raise methodology_refusal(exc) from None


def _decide_quantity(quantity_t: Any, proposal: Proposal | None, override_reason: Any) -> tuple[int, str, str | None]:
    """(quantity, decision, reason): confirmed, overridden (with a reason) or set without a proposal."""
    if proposal is None:
        return check_quantity(quantity_t), "set", None
    if quantity_t is None or quantity_t == proposal.proposed_t:
        return check_quantity(proposal.proposed_t), "confirmed", None
    quantity_t = check_quantity(quantity_t)
    reason = check_text(override_reason, "override_reason", MAX_REASON_CHARS, required=False)
    if not reason:
        raise InvalidInput("override_reason_required", quantity_t=quantity_t, proposed_t=proposal.proposed_t)
    return quantity_t, "overridden", reason


# --- commands --------------------------------------------------------------------------------

def _check_amount(amount_fen: Any) -> int:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise InvalidInput("value_invalid", field="amount_fen", value=str(amount_fen)[:40])
    return amount_fen


def _check_flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("value_invalid", field=field, value=str(value)[:40])
    return value


def issue_order(ctx: CommandContext, *, case_no: str, item: str, kind: str, due_date: str,
                quantity_t: int | None = None, amount_fen: int | None = None, same_sink_type: bool = False,
                same_county: bool = False, calculation: Mapping[str, Any] | None = None,
                override_reason: str | None = None) -> tuple[str, dict[str, Any]]:
    """The case's court orders the defendant to buy and retire credits (quantity or money)."""
    case = get_case(ctx.session, case_no)
    require_case_court(ctx.actor, "court_order", case.court_party_id)
    try:
        kind_enum = OrderKind(kind)
    except ValueError:
        raise InvalidInput("value_invalid", field="kind", value=str(kind)[:40]) from None
    proposal, decision, reason = None, "set", None
    if kind_enum is OrderKind.quantity:
        if amount_fen is not None:  # every given term is checked; none is dropped silently
            raise InvalidInput("value_invalid", field="amount_fen", value="a quantity order orders no money")
        proposal = build_proposal(ctx.session, case, calculation) if calculation else None
        quantity_t, decision, reason = _decide_quantity(quantity_t, proposal, override_reason)
        if reason is None and override_reason not in (None, ""):
            raise InvalidInput("value_invalid", field="override_reason", value="nothing is overridden")
    else:
        for field, value in (("quantity_t", quantity_t), ("calculation", calculation),
                             ("override_reason", override_reason)):
            if value not in (None, ""):
                raise InvalidInput("value_invalid", field=field, value="a money order orders no tonnes")
        amount_fen, quantity_t = _check_amount(amount_fen), None
    order = {"order_id": case_entry_id("CO", ctx.seq), "case_no": case_no,
             "court_party_id": case.court_party_id, "item": check_text(item, "item", 80), "kind": kind_enum.value,
             "quantity_t": quantity_t, "amount_fen": amount_fen, "due_date": check_date(due_date, "due_date"),
             "same_sink_type": _check_flag(same_sink_type, "same_sink_type"),
             "same_county": _check_flag(same_county, "same_county"), "decision": decision,
             "override_reason": reason}
    row = CourtOrderRow(**order, seq=ctx.seq, status=OrderStatus.ordered.value, updated_seq=ctx.seq,
                        proposal=json.dumps(proposal.to_dict(), ensure_ascii=False) if proposal else None)
    ctx.session.add(row)
    add_event(ctx, order["order_id"], EntryKind.court_order_issued, order)
    payload = {"order": order, "proposal": proposal.to_dict() if proposal else None,
               "result": {**order, "status": OrderStatus.ordered.value,
                          "proposed_t": proposal.proposed_t if proposal else None}}
    return EntryKind.court_order_issued.value, payload


def _open_order(ctx: CommandContext, order_id: str, command: str) -> CourtOrderRow:
    row = get_order(ctx.session, order_id)
    require_case_court(ctx.actor, command, row.court_party_id)
    if row.withdrawn_seq is not None:
        raise Conflict("order_withdrawn", order=order_id)
    return row


def _amended_terms(row: CourtOrderRow, changes: Mapping[str, Any]) -> dict[str, Any]:
    new = {f: getattr(row, f) for f in TERM_FIELDS}
    for field, value in changes.items():
        if value is None:
            continue
        if field == "quantity_t" and row.kind == OrderKind.quantity.value:
            new[field] = check_quantity(value)
        elif field == "amount_fen" and row.kind == OrderKind.money.value:
            new[field] = _check_amount(value)
        elif field == "due_date":
            new[field] = check_date(value, "due_date")
        elif field in ("same_sink_type", "same_county"):
            new[field] = _check_flag(value, field)
        else:
            raise InvalidInput("value_invalid", field=field, value=str(value)[:40])
    return new


def amend_order(ctx: CommandContext, *, order_id: str, reason: str, **changes: Any) -> tuple[str, dict[str, Any]]:
    """A new entry changing an order's terms; never below what was already fulfilled."""
    row = _open_order(ctx, order_id, "court_amend")
    reason = check_text(reason, "reason", MAX_REASON_CHARS)
    before = {f: getattr(row, f) for f in TERM_FIELDS}
    after = _amended_terms(row, changes)
    if after == before:
        raise InvalidInput("amendment_changes_nothing")
    if after["quantity_t"] is not None and after["quantity_t"] < row.fulfilled_t:
        raise Conflict("order_amount_below_fulfilled", value=f"{after['quantity_t']} t", fulfilled=f"{row.fulfilled_t} t")
    if after["amount_fen"] is not None and after["amount_fen"] < row.spent_fen:
        raise Conflict("order_amount_below_fulfilled", value=f"{after['amount_fen']} fen",
                       fulfilled=f"{row.spent_fen} fen")
    for field, value in after.items():
        setattr(row, field, value)
    row.status, row.updated_seq = stored_status(row), ctx.seq
    ctx.session.add(row)
    summary = {"order_id": order_id, "reason": reason, "before": before, "after": after}
    add_event(ctx, order_id, EntryKind.court_order_amended, summary)
    return EntryKind.court_order_amended.value, {**summary, "result": {**summary, "status": row.status}}


def withdraw_order(ctx: CommandContext, *, order_id: str, reason: str) -> tuple[str, dict[str, Any]]:
    """Withdraw an order by a new entry with a reason; what was fulfilled stays retired."""
    row = _open_order(ctx, order_id, "court_withdraw")
    reason = check_text(reason, "reason", MAX_REASON_CHARS)
    if order_terms(row).is_complete():
        raise Conflict("order_already_fulfilled", order=order_id)
    row.withdrawn_seq, row.withdrawal_reason = ctx.seq, reason
    row.status, row.updated_seq = OrderStatus.withdrawn.value, ctx.seq
    ctx.session.add(row)
    summary = {"order_id": order_id, "reason": reason, "fulfilled_t": row.fulfilled_t, "spent_fen": row.spent_fen}
    add_event(ctx, order_id, EntryKind.court_order_withdrawn, summary)
    return EntryKind.court_order_withdrawn.value, {**summary, "result": {**summary, "status": row.status}}
