"""Bulk appends: many journal entries chained and written with one ``executemany`` per chunk.

For imports, migrations and seeding (``bench/ledger_bench.py``), where entries arrive by the
thousand and the command path's per-entry work (permission, idempotency lookup, projection, one
transaction each) is the caller's business or not needed. Each entry is exactly what
:func:`ledger.journal.append` would write: the body is the canonical JSON of ``{seq, kind,
request_id, actor, recorded_at, payload}``, its hash SHA-256 over the previous hash, a newline
and the body, so ``verify`` cannot tell bulk entries from command entries.

The caller holds the writer lock (``Database.write()``), passes the journal head it read under
that lock (checked here: a stale head is refused before anything is written), writes whatever
projection the entries imply, and commits; a failure part way (a duplicate request id, a float
in a payload) leaves the transaction for the caller to roll back. Payloads come from code, not
users: canonical JSON refuses floats and what JSON cannot hold, but nothing else is checked
here (commands run :func:`ledger.domain.check_content` on user content).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from ledger.domain import GENESIS_HASH, entry_hash
from ledger.journal import entry_body

CHUNK = 10_000
COLUMNS = ("seq", "kind", "request_id", "request_fingerprint", "actor", "recorded_at", "body", "prev_hash", "entry_hash")
# (kind, request_id, request_fingerprint, actor, recorded_at, payload)
BulkEntry = tuple[str, str, str, str, str, dict[str, Any]]


class StaleHead(RuntimeError):
    """The head passed to :func:`append_many` is not the journal's head."""


def insert_sql(connection: Connection, table: str = "journal_entry") -> str:
    """``INSERT INTO <table> (COLUMNS) VALUES (...)`` in the driver's own parameter style, for
    the driver cursor's ``executemany`` with tuples."""
    style = connection.dialect.paramstyle
    if style == "qmark":
        marks = ", ".join("?" for _ in COLUMNS)
    elif style in ("format", "pyformat"):
        marks = ", ".join("%s" for _ in COLUMNS)
    elif style == "numeric":
        marks = ", ".join(f":{i}" for i in range(1, len(COLUMNS) + 1))
    else:
        raise NotImplementedError(f"parameter style {style}")
    return f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({marks})"


def read_head(connection: Connection) -> tuple[int, str]:
    """The journal head as ``(seq, entry_hash)``; ``(0, GENESIS_HASH)`` for an empty journal."""
    row = connection.exec_driver_sql("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1").first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def append_many(session: Session, entries: Iterable[BulkEntry], head: tuple[int, str] | None = None, *,
                chunk: int = CHUNK) -> tuple[int, str]:
    """Append ``entries`` after ``head`` (``(seq, entry_hash)``; read from the journal if None)
    and return the new head.

    One driver ``executemany`` per ``chunk`` entries, fed by a generator: each row's body and
    hash are computed as the driver asks for the row, so a chunk needs the memory of one row and,
    on PostgreSQL (psycopg sends an executemany as a pipeline), the server inserts row i while
    Python builds row i + 1. Raises :class:`StaleHead` if ``head`` is not the journal's head, and
    ``TypeError`` for a float in a payload (rows already sent stay in the transaction, which the
    caller rolls back)."""
    session.flush()  # entries the session holds go first
    connection = session.connection()
    current = read_head(connection)
    if head is not None and tuple(head) != current:
        raise StaleHead(f"head {tuple(head)} is not the journal's head {current}")
    state = list(current)  # [seq, entry_hash] after the rows produced so far

    def rows(batch: list[BulkEntry]) -> Iterator[tuple[Any, ...]]:
        seq, prev = state
        for kind, request_id, fingerprint, actor, recorded_at, payload in batch:
            seq += 1
            body = entry_body(seq=seq, kind=kind, request_id=request_id, actor=actor, recorded_at=recorded_at,
                              payload=payload)
            digest = entry_hash(prev, body)
            yield seq, kind, request_id, fingerprint, actor, recorded_at, body, prev, digest
            prev = digest
        state[:] = seq, prev

    sql = insert_sql(connection)
    source = iter(entries)
    cursor = connection.connection.cursor()
    try:
        while batch := list(islice(source, chunk)):
            cursor.executemany(sql, rows(batch))
    finally:
        cursor.close()
    return state[0], state[1]
