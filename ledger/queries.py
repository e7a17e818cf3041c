"""Read-only queries: balances, holdings, batches, history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ledger import balances
from ledger.store import BalanceRow, RetirementRow, SaleRow


def page_of(session: Session, query: Any, *, limit: int | None = None, offset: int = 0) -> tuple[list[Any], int]:
    """One page of an ORM ``select`` in its own order (``limit`` rows after ``offset``; all after
    it when ``limit`` is None) and how many rows it matches in all: a count and a LIMIT/OFFSET
    read, so that a list is paged by the database, not cut from every row in memory. The count
    is left out when the page itself tells the total: every row after ``offset`` read (no limit,
    or fewer rows than the limit) and at least one of them, or none skipped."""
    paged = query.offset(offset) if offset else query
    rows = list(session.exec(paged.limit(limit) if limit is not None else paged).all())
    if (limit is None or len(rows) < limit) and (rows or not offset):
        return rows, offset + len(rows)
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    return rows, int(total)


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
