"""Small helpers for writing and reading rows by plain statements (:mod:`ledger.sql`).

The income commands write several rows of one table at once (a distribution's due items, an
issuance's contributions): :func:`insert_rows` does it by one ``executemany``. Reads that look up
many keys at once (``IN (...)``) are used only when every key is text the driver can bind
(:func:`bindable_texts`); otherwise a command looks them up one by one, in order, so that a key the
driver refuses is refused at the same point as before.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from ledger.sql import Tx, insert_sql


def insert_rows(tx: Tx, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, the columns) into ``table``, one executemany."""
    if rows:
        tx.many(insert_sql(table, tuple(rows[0])), rows)


def bindable_texts(values: Iterable[Any]) -> bool:
    """Whether every value is text either database binds (UTF-8 encodable, no NUL)."""
    for value in values:
        if type(value) is not str or "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True
