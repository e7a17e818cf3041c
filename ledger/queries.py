"""Read-only queries: balances, holdings, batches, history."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ledger.store import AccountRow, BalanceRow, BatchRow, PartyRow, RetirementRow, SaleRow


def balances_by_account(session: Session) -> list[dict[str, Any]]:
    """Credits per account and state, with the party's name."""
    rows = session.exec(
        select(BalanceRow.account_id, BalanceRow.state, func.sum(BalanceRow.quantity))
        .group_by(BalanceRow.account_id, BalanceRow.state)).all()
    by_account: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, state, qty in rows:
        by_account[account_id][state] += int(qty)
    accounts = {a.id: a for a in session.exec(select(AccountRow)).all()}
    parties = {p.id: p for p in session.exec(select(PartyRow)).all()}
    out = []
    for account_id in sorted(by_account):
        acc = accounts.get(account_id)
        party = parties.get(acc.party_id) if acc and acc.party_id else None
        states = by_account[account_id]
        out.append({"account_id": account_id, "account_kind": acc.kind if acc else None,
                    "party_id": acc.party_id if acc else None, "party_name": party.name if party else None,
                    "held_t": states.get("held", 0), "pledged_t": states.get("pledged", 0),
                    "retired_t": states.get("retired", 0), "cancelled_t": states.get("cancelled", 0)})
    return out


def balances_by_sink_type(session: Session) -> list[dict[str, Any]]:
    """Credits per sink type, vintage and state (the public totals)."""
    rows = session.exec(
        select(BatchRow.sink_type, BatchRow.vintage_year, BalanceRow.state, func.sum(BalanceRow.quantity))
        .join(BatchRow, BatchRow.id == BalanceRow.batch_id)
        .group_by(BatchRow.sink_type, BatchRow.vintage_year, BalanceRow.state)).all()
    table: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sink_type, vintage, state, qty in rows:
        table[(sink_type, vintage)][state] += int(qty)
    out = []
    for (sink_type, vintage), states in sorted(table.items()):
        issued = sum(states.values())
        out.append({"sink_type": sink_type, "vintage_year": vintage, "issued_t": issued,
                    "held_t": states.get("held", 0), "pledged_t": states.get("pledged", 0),
                    "retired_t": states.get("retired", 0), "cancelled_t": states.get("cancelled", 0)})
    return out


def account_balance(session: Session, account_id: str) -> dict[str, int]:
    rows = session.exec(select(BalanceRow.state, func.sum(BalanceRow.quantity))
                        .where(BalanceRow.account_id == account_id)
                        .group_by(BalanceRow.state)).all()
    states = {state: int(q) for state, q in rows}
    return {"held_t": states.get("held", 0), "pledged_t": states.get("pledged", 0)}


def sales(session: Session) -> list[SaleRow]:
    return list(session.exec(select(SaleRow).order_by(SaleRow.seq)).all())


def retirements(session: Session) -> list[RetirementRow]:
    return list(session.exec(select(RetirementRow).order_by(RetirementRow.seq)).all())
