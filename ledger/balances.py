"""Credit balances (``sinkledger balances``, the public totals) as plain SQL over any DB-API cursor.

The queries take ``rows(sql)``, a callable returning the result rows, so that the same two queries
answer through an ORM session (:mod:`ledger.queries`, the services) and through a bare driver
connection (:mod:`sinkledger.db.light`, the CLI's start-up path, which loads no ORM: issue 17).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Sequence

Rows = Callable[[str], Sequence[Sequence[Any]]]

BY_ACCOUNT_SQL = (
    "SELECT b.account_id, b.state, SUM(b.quantity), a.kind, a.party_id, p.name FROM balance b"
    " LEFT JOIN account a ON a.id = b.account_id LEFT JOIN party p ON p.id = a.party_id"
    " GROUP BY b.account_id, b.state, a.kind, a.party_id, p.name")
BY_SINK_TYPE_SQL = (
    "SELECT t.sink_type, t.vintage_year, b.state, SUM(b.quantity) FROM balance b"
    " JOIN batch t ON t.id = b.batch_id WHERE b.quantity <> 0 GROUP BY t.sink_type, t.vintage_year, b.state")
# (empty rows add nothing and every vintage has credits in some state: the partial index of the
# non-empty rows answers, a third of the time at county size)


def _states(states: dict[str, int]) -> dict[str, int]:
    return {"held_t": states.get("held", 0), "pledged_t": states.get("pledged", 0),
            "retired_t": states.get("retired", 0), "cancelled_t": states.get("cancelled", 0)}


def by_account(rows: Rows) -> list[dict[str, Any]]:
    """Credits per account and state, with the account's kind and the party's name."""
    return summarise_by_account(rows(BY_ACCOUNT_SQL))


def by_account_sql(where: str) -> str:
    """:data:`BY_ACCOUNT_SQL` of the balance rows matching ``where`` (SQL over ``b``, the balance)."""
    head, group = BY_ACCOUNT_SQL.split(" GROUP BY ")
    return f"{head} WHERE {where} GROUP BY {group}"


def summarise_by_account(result: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The rows of :data:`BY_ACCOUNT_SQL` (or :func:`by_account_sql`) as one line per account."""
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    about: dict[str, tuple[Any, Any, Any]] = {}
    for account_id, state, qty, kind, party_id, party_name in result:
        states[account_id][state] += int(qty)
        about[account_id] = (kind, party_id, party_name)
    out = []
    for account_id in sorted(states):
        kind, party_id, party_name = about[account_id]
        out.append({"account_id": account_id, "account_kind": kind, "party_id": party_id,
                    "party_name": party_name if party_id else None, **_states(states[account_id])})
    return out


def by_sink_type(rows: Rows) -> list[dict[str, Any]]:
    """Credits per sink type, vintage and state (the public totals)."""
    table: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sink_type, vintage, state, qty in rows(BY_SINK_TYPE_SQL):
        table[(sink_type, int(vintage))][state] += int(qty)
    return [{"sink_type": sink_type, "vintage_year": vintage, "issued_t": sum(states.values()), **_states(states)}
            for (sink_type, vintage), states in sorted(table.items())]


def balances(rows: Rows) -> dict[str, Any]:
    """Both tables, read in the caller's one transaction."""
    return {"by_account": by_account(rows), "by_sink_type": by_sink_type(rows)}
