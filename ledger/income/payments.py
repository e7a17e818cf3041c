"""Payments (支付记录) against due items: paid, date, reference.

A payment pays one or more due items (a line of a distribution or of a fixed-payment
obligation), each by a positive amount no larger than what is still outstanding; partial
payments add up. The payer is the contract's centre; a collective may record what it paid its
households for lines of its own contracts (Anji pays many households through the village).
The reference is the bank transfer's (or receipt's) number; no account numbers or names.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import or_
from sqlmodel import Session, select

from ledger.commands import CommandContext
from ledger.domain import EntryKind, Role, check_date
from ledger.income.domain import LineRole, check_codes, check_whole, line_id, record_id, shown
from ledger.income.store import DueItemRow, PaymentRow
from ledger.permissions import Actor
from ledger.queries import page_of
from ledger.sale import check_text
from ledger.sql import in_list
from ledger.store import CollectionContractRow
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, NotPermitted

MAX_ITEMS = 1_000


class _Due(NamedTuple):
    """A due item as a payment reads it, with the collective of its contract (None if none)."""

    id: str
    payer_party_id: str
    role: str
    source_kind: str
    basis_date: str
    amount_fen: int
    paid_fen: int
    party_id: str
    contract_collective: str | None


_DUE_SQL = ("SELECT d.id, d.payer_party_id, d.role, d.source_kind, d.basis_date, d.amount_fen, d.paid_fen, "
            "d.party_id, cc.collective_party_id FROM due_item d "
            "LEFT JOIN collection_contract cc ON cc.contract_no = d.contract_no WHERE d.id IN ({marks})")


def _check_payer(actor: Actor, due: _Due) -> None:
    if actor.party_id == due.payer_party_id:
        return
    if (actor.role is Role.cooperative and due.role == LineRole.household.value
            and due.contract_collective is not None and due.contract_collective == actor.party_id):
        return
    raise NotPermitted("not_permitted", role=actor.role.value, command="record_payment")


ITEM_KEYS = frozenset({"due_id", "amount_fen"})


def _check_items(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
        raise InvalidInput("field_required", field="items")
    if not all(isinstance(item, dict) for item in items):
        raise InvalidInput("value_invalid", field="items", value=shown(items, 60))
    for item in items:  # an unknown key (a typo of amount_fen, a note) is not silently dropped
        if set(item) - ITEM_KEYS:
            raise InvalidInput("value_invalid", field="items", value=str(sorted(map(str, set(item) - ITEM_KEYS)))[:60])
    ids = check_codes([item.get("due_id") for item in items], "items.due_id", maximum=MAX_ITEMS)
    return [{"due_id": due_id, "amount_fen": check_whole(item.get("amount_fen"), "amount_fen", minimum=1)}
            for due_id, item in zip(ids, items)]


def record_payment(ctx: CommandContext, *, items: list[dict[str, Any]], paid_date: str,
                   reference: str) -> tuple[str, dict[str, Any]]:
    """Record a payment of ``items`` (``[{"due_id": ..., "amount_fen": ...}]``)."""
    items = _check_items(items)
    paid_date = check_date(paid_date, "paid_date")
    reference = check_text(reference, "reference", 80)
    payment_id = record_id("PY", ctx.seq)
    marks, params = in_list("d", [item["due_id"] for item in items])
    found = {r[0]: _Due(*r) for r in ctx.tx.all(_DUE_SQL.format(marks=marks), params)}
    lines, updates, rows = [], [], []
    for n, item in enumerate(items, start=1):
        due = found.get(item["due_id"])
        if due is None:
            raise NotFound("due_item_not_found", due_id=shown(item["due_id"], 48))
        _check_payer(ctx.actor, due)
        if due.source_kind == "distribution" and paid_date < due.basis_date:  # no share is paid before its sale
            raise InvalidInput("payment_before_sale", due_id=due.id, paid_date=paid_date, sale_date=due.basis_date)
        outstanding = due.amount_fen - due.paid_fen
        if item["amount_fen"] > outstanding:
            raise Conflict("payment_exceeds_amount_due", due_id=due.id, amount_fen=item["amount_fen"],
                           outstanding_fen=outstanding)
        paid = due.paid_fen + item["amount_fen"]
        found[due.id] = due._replace(paid_fen=paid)  # due ids are distinct; kept right all the same
        updates.append({"p": paid, "id": due.id})
        rows.append({"id": line_id(payment_id, n), "seq": ctx.seq, "due_id": due.id,
                     "payer_party_id": ctx.actor.party_id, "party_id": due.party_id,
                     "amount_fen": item["amount_fen"], "paid_date": paid_date, "reference": reference})
        lines.append({"payment_line_id": line_id(payment_id, n), "due_id": due.id, "party_id": due.party_id,
                      "amount_fen": item["amount_fen"], "outstanding_fen": due.amount_fen - paid})
    ctx.tx.many("UPDATE due_item SET paid_fen = :p WHERE id = :id", updates)
    ctx.tx.insert_rows("income_payment", rows)
    result = {"payment_id": payment_id, "paid_date": paid_date, "reference": reference,
              "payer_party_id": ctx.actor.party_id, "amount_fen": sum(x["amount_fen"] for x in lines),
              "items": lines}
    return EntryKind.payment.value, {**result, "result": result}


def due_items(session: Session, *, party_id: str | None = None, contract_no: str | None = None,
              source_id: str | None = None, outstanding_only: bool = False) -> list[dict[str, Any]]:
    """Due items, filtered, oldest due first, with ``outstanding_fen`` and ``status``."""
    return due_items_page(session, party_id=party_id, contract_no=contract_no, source_id=source_id,
                          outstanding_only=outstanding_only)[0]


def due_items_page(session: Session, *, party_id: str | None = None, contract_no: str | None = None,
                   source_id: str | None = None, parcel_code: str | None = None, outstanding_only: bool = False,
                   seen_by: str | None = None, seen_by_collective: bool = False, limit: int | None = None,
                   offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """:func:`due_items`, one page of them read as a page by the database, and how many match.
    ``seen_by``: only the items of that party (owed to it or paid by it), and with
    ``seen_by_collective`` those of the contracts it is the collective of."""
    query = select(DueItemRow).order_by(DueItemRow.due_date, DueItemRow.id)
    for column, value in ((DueItemRow.party_id, party_id), (DueItemRow.contract_no, contract_no),
                          (DueItemRow.source_id, source_id), (DueItemRow.parcel_code, parcel_code)):
        if value:
            query = query.where(column == value)
    if outstanding_only:
        query = query.where(DueItemRow.paid_fen < DueItemRow.amount_fen)
    if seen_by is not None:
        seen = [DueItemRow.party_id == seen_by, DueItemRow.payer_party_id == seen_by]
        if seen_by_collective:
            seen.append(DueItemRow.contract_no.in_(select(CollectionContractRow.contract_no).where(
                CollectionContractRow.collective_party_id == seen_by)))
        query = query.where(or_(*seen))
    rows, total = page_of(session, query, limit=limit, offset=offset)
    return [row.model_dump() | {"outstanding_fen": row.amount_fen - row.paid_fen, "status": due_status(row)}
            for row in rows], total


def payments_page(session: Session, *, party_id: str | None = None, due_id: str | None = None,
                  contract_no: str | None = None, date_from: str | None = None, date_to: str | None = None,
                  seen_by: str | None = None, seen_by_collective: bool = False, limit: int | None = None,
                  offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Payments, newest paid date first, one page read as a page by the database, and how many
    match; each with its due item's contract, source and role. ``seen_by`` as for
    :func:`due_items_page`: the payments to or by that party, and with ``seen_by_collective``
    those under the contracts it is the collective of."""
    query = (select(PaymentRow, DueItemRow.contract_no, DueItemRow.source_kind, DueItemRow.source_id,
                    DueItemRow.role, DueItemRow.parcel_code)
             .join(DueItemRow, DueItemRow.id == PaymentRow.due_id)
             .order_by(PaymentRow.paid_date.desc(), PaymentRow.seq.desc(), PaymentRow.id))
    for column, value in ((PaymentRow.party_id, party_id), (PaymentRow.due_id, due_id),
                          (DueItemRow.contract_no, contract_no)):
        if value:
            query = query.where(column == value)
    if date_from:
        query = query.where(PaymentRow.paid_date >= date_from)
    if date_to:
        query = query.where(PaymentRow.paid_date <= date_to)
    if seen_by is not None:
        seen = [PaymentRow.party_id == seen_by, PaymentRow.payer_party_id == seen_by]
        if seen_by_collective:
            seen.append(DueItemRow.contract_no.in_(select(CollectionContractRow.contract_no).where(
                CollectionContractRow.collective_party_id == seen_by)))
        query = query.where(or_(*seen))
    rows, total = page_of(session, query, limit=limit, offset=offset)
    return [row[0].model_dump() | {"contract_no": row[1], "source_kind": row[2], "source_id": row[3], "role": row[4],
                                   "parcel_code": row[5]} for row in rows], total


def due_status(row: DueItemRow) -> str:
    """``paid`` (已付清), ``partly_paid`` (部分支付) or ``due`` (待支付)."""
    if row.paid_fen >= row.amount_fen:
        return "paid"
    return "partly_paid" if row.paid_fen else "due"


def payments_of(session: Session, due_ids: list[str]) -> list[dict[str, Any]]:
    """Payments against the given due items, oldest first."""
    if not due_ids:
        return []
    rows = session.exec(select(PaymentRow).where(PaymentRow.due_id.in_(due_ids))
                        .order_by(PaymentRow.paid_date, PaymentRow.id)).all()
    return [r.model_dump() for r in rows]
