"""Read-only queries: balances, holdings, batches, history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ledger import balances
from ledger.store import BalanceRow, RetirementRow, SaleRow


def balances_by_account(session: Session) -> list[dict[str, Any]]:
    """Credits per account and state, with the party's name (:func:`ledger.balances.by_account`)."""
    return balances.by_account(session_rows(session))


def balances_by_sink_type(session: Session) -> list[dict[str, Any]]:
    """Credits per sink type, vintage and state, the public totals (:func:`ledger.balances.by_sink_type`)."""
    return balances.by_sink_type(session_rows(session))


def session_rows(session: Session) -> balances.Rows:
    """``rows(sql)`` over the session's own connection and transaction."""
    return lambda sql: session.connection().exec_driver_sql(sql).all()


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
