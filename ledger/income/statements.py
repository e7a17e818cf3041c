"""Statements (收益对账单) per household and per collective, for a period: the data.

A statement covers the items **due** in the period (distribution lines are due on the sale date,
fixed payments at the end of their contract year), what was **paid** against them by payments
dated up to the period's end, and the payments made in the period; plus the party's parcels and,
for each sale, the tonnes its parcels contributed. It is a pure read of the projections, so the
same period gives the same statement until new entries fall into it. Rendering (PDF, Excel) is
:mod:`sinkledger.statements`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlmodel import Session, select

from ledger.compensation.store import CompensationPaymentRow, CompensationProgrammeRow
from ledger.domain import check_date
from ledger.income.domain import is_key, shown
from ledger.income.store import (
    DistributionContractRow,
    DistributionRow,
    DueItemRow,
    ObligationRow,
    PaymentRow,
)
from ledger.income.terms import PaymentTerms
from ledger.store import CollectionContractRow, ContractParcelRow, PartyRow, SaleRow
from sinkledger_base.errors import InvalidInput, NotFound
from sinks.store import ParcelRow

STATEMENT_KINDS = ("household", "collective")


def _party(session: Session, party_id: str) -> PartyRow:
    party = session.get(PartyRow, party_id) if is_key(party_id) else None
    if party is None or party.kind not in STATEMENT_KINDS:
        raise NotFound("party_not_found", party=shown(party_id, 40))
    return party


def _period(start: str, end: str) -> tuple[str, str]:
    start, end = check_date(start, "period_start"), check_date(end, "period_end")
    if start > end:
        raise InvalidInput("period_invalid")
    return start, end


def _contracts_of(session: Session, parcel_code: str) -> list[dict[str, Any]]:
    rows = session.exec(select(CollectionContractRow).join(
        ContractParcelRow, ContractParcelRow.contract_no == CollectionContractRow.contract_no).where(
        ContractParcelRow.parcel_code == parcel_code).order_by(CollectionContractRow.term_start)).all()
    return [{"contract_no": c.contract_no, "term": f"{c.term_start}..{c.term_end}",
             "terms": PaymentTerms.from_json(c.payment_terms).to_dict()} for c in rows]


def household_parcels(session: Session, party_id: str) -> list[dict[str, Any]]:
    """Parcels in which the household has a share now."""
    rows = session.exec(select(ParcelRow).where(ParcelRow.household_shares.contains(f'"{party_id}"'))
                        .order_by(ParcelRow.parcel_code)).all()
    out = []
    for row in rows:
        shares = json.loads(row.household_shares or "{}")
        if party_id in shares:
            out.append(_parcel_dict(session, row) | {"share_bp": shares[party_id]})
    return out


def _parcel_dict(session: Session, row: Any) -> dict[str, Any]:
    holder = session.get(PartyRow, row.holder_party_id)
    return {"parcel_code": row.parcel_code, "sink_type": row.sink_type, "holder_party_id": row.holder_party_id,
            "holder_name": holder.name if holder else "", "area_mu": f"{row.area_m2 * 15 / 10_000:.2f}",
            "contracts": _contracts_of(session, row.parcel_code)}


def _unique_contracts(parcels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for parcel in parcels:
        for contract in parcel["contracts"]:
            seen.setdefault(contract["contract_no"], contract)
    return [seen[k] for k in sorted(seen)]


def _items(session: Session, query: Any, end: str) -> list[dict[str, Any]]:
    """Due items with what was paid by ``end``, the sale (for distributions) and the status."""
    rows = session.exec(query.order_by(DueItemRow.due_date, DueItemRow.id)).all()
    paid = _paid_by(session, [r.id for r in rows], end)
    out = []
    for row in rows:
        item = row.model_dump(exclude={"paid_fen"}) | {"paid_fen": paid.get(row.id, 0)}
        item["outstanding_fen"] = row.amount_fen - item["paid_fen"]
        item["status"] = "paid" if not item["outstanding_fen"] else ("partly_paid" if item["paid_fen"] else "due")
        item |= _source(session, row)
        out.append(item)
    return out


def _paid_by(session: Session, due_ids: list[str], end: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    if due_ids:
        for p in session.exec(select(PaymentRow).where(PaymentRow.due_id.in_(due_ids), PaymentRow.paid_date <= end)):
            out[p.due_id] += p.amount_fen
    return out


def _source(session: Session, row: DueItemRow) -> dict[str, Any]:
    if row.source_kind == "compensation":  # issue 22: an ecological protection compensation payment
        payment = session.get(CompensationPaymentRow, row.source_id)
        programme = session.get(CompensationProgrammeRow, payment.programme_code) if payment else None
        return {"programme_code": payment.programme_code if payment else None,
                "programme_name": programme.name if programme else None,
                "compensation_amount_fen": payment.amount_fen if payment else None,
                "estimate_id": payment.estimate_id if payment else None}
    if row.source_kind == "distribution":
        sale = session.get(SaleRow, row.sale_seq)
        return {"sale_quantity_t": sale.quantity if sale else None,
                "price_fen_per_t": sale.price_fen_per_t if sale else None,
                "sale_amount_fen": sale.amount_fen if sale else None}
    obligation = session.get(ObligationRow, row.source_id)
    return {"period": f"{obligation.period_start}..{obligation.period_end}" if obligation else None}


def _payments(session: Session, party_id: str, start: str, end: str) -> list[dict[str, Any]]:
    rows = session.exec(select(PaymentRow).where(PaymentRow.party_id == party_id, PaymentRow.paid_date >= start,
                                                 PaymentRow.paid_date <= end)
                        .order_by(PaymentRow.paid_date, PaymentRow.id)).all()
    return [r.model_dump(exclude={"seq"}) for r in rows]


def _totals(items: list[dict[str, Any]], payments: list[dict[str, Any]]) -> dict[str, Any]:
    kg = sum(i["attributed_kg"] or 0 for i in items)
    return {"due_fen": sum(i["amount_fen"] for i in items), "paid_fen": sum(i["paid_fen"] for i in items),
            "outstanding_fen": sum(i["outstanding_fen"] for i in items),
            "received_in_period_fen": sum(p["amount_fen"] for p in payments), "attributed_kg": kg,
            "attributed_t": f"{kg // 1000}.{kg % 1000:03d}",
            "sales": len({i["sale_seq"] for i in items if i["sale_seq"]})}


def household_statement(session: Session, party_id: str, start: str, end: str) -> dict[str, Any]:
    """A household's statement: its parcels and shares, each sale's part, what is due and paid."""
    party = _party(session, party_id)
    start, end = _period(start, end)
    items = _items(session, select(DueItemRow).where(DueItemRow.party_id == party_id, DueItemRow.due_date >= start,
                                                     DueItemRow.due_date <= end), end)
    payments = _payments(session, party_id, start, end)
    parcels = household_parcels(session, party_id)
    return {"kind": party.kind, "party_id": party.id, "party_name": party.name, "period_start": start,
            "period_end": end, "parcels": parcels, "contracts": _unique_contracts(parcels), "items": items,
            "payments": payments, "totals": _totals(items, payments)}


def collective_statement(session: Session, party_id: str, start: str, end: str) -> dict[str, Any]:
    """A collective's statement: parcels, each sale's contract figures, lines to it and its
    households, fixed payments, payments."""
    party = _party(session, party_id)
    start, end = _period(start, end)
    parcels = session.exec(select(ParcelRow).where(ParcelRow.holder_party_id == party_id)
                           .order_by(ParcelRow.parcel_code)).all()
    contracts = list(session.exec(select(CollectionContractRow.contract_no).where(
        CollectionContractRow.collective_party_id == party_id)).all())
    items = _items(session, select(DueItemRow).where(DueItemRow.contract_no.in_(contracts), DueItemRow.due_date >= start,
                                                     DueItemRow.due_date <= end), end) if contracts else []
    payments = [p for payee in sorted({i["party_id"] for i in items}) for p in _payments(session, payee, start, end)]
    parcel_dicts = [_parcel_dict(session, p) | {"household_shares_bp": json.loads(p.household_shares or "{}")}
                    for p in parcels]
    return {"kind": party.kind, "party_id": party.id, "party_name": party.name, "period_start": start,
            "period_end": end, "parcels": parcel_dicts, "contracts": _unique_contracts(parcel_dicts),
            "sales": _sales(session, party_id, start, end), "items": items,
            "by_party": _by_party(items), "payments": sorted(payments, key=lambda p: (p["paid_date"], p["id"])),
            "totals": _totals(items, payments)}


def _sales(session: Session, party_id: str, start: str, end: str) -> list[dict[str, Any]]:
    rows = session.exec(select(DistributionContractRow, DistributionRow).join(
        DistributionRow, DistributionRow.id == DistributionContractRow.distribution_id).where(
        DistributionContractRow.collective_party_id == party_id, DistributionRow.sale_date >= start,
        DistributionRow.sale_date <= end).order_by(DistributionRow.sale_date, DistributionRow.id)).all()
    out = []
    for c, d in rows:
        sale = session.get(SaleRow, d.sale_seq)
        out.append({"distribution_id": d.id, "sale_seq": d.sale_seq, "sale_date": d.sale_date,
                    "sale_quantity_t": d.quantity_t, "price_fen_per_t": sale.price_fen_per_t if sale else None,
                    **c.model_dump(exclude={"id", "distribution_id", "collective_party_id"})})
    return out


def _by_party(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for i in items:
        g = groups.setdefault(i["party_id"], {"party_id": i["party_id"], "role": i["role"], "due_fen": 0,
                                              "paid_fen": 0, "outstanding_fen": 0, "attributed_kg": 0})
        for key in ("paid_fen", "outstanding_fen"):
            g[key] += i[key]
        g["due_fen"] += i["amount_fen"]
        g["attributed_kg"] += i["attributed_kg"] or 0
    return [groups[k] for k in sorted(groups)]


def statement(session: Session, party_id: str, start: str, end: str) -> dict[str, Any]:
    """The statement of a household or a collective."""
    party = _party(session, party_id)
    build = household_statement if party.kind == "household" else collective_statement
    return build(session, party_id, start, end)
