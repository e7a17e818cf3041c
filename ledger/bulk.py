"""Bulk appends: many journal entries chained and written with one ``executemany`` per chunk
(SQLite) or one ``COPY ... FROM STDIN`` per chunk (PostgreSQL).

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
here (commands run :func:`ledger.domain.check_content` on user content). The Merkle subtrees the
entries complete are written with them (:mod:`ledger.merkle_nodes`), one ``executemany`` per chunk.

On PostgreSQL the rows go by ``COPY``: the same rows, constraints and indexes as the INSERT, the
server parsing a stream instead of one statement a row (about 0.6x the server's time per row of
a pipelined ``executemany``). A duplicate request id or a bad value fails the COPY and with it
the transaction, as a failed INSERT would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlmodel import Session

from ledger import merkle_nodes
from ledger.domain import GENESIS_HASH
from ledger.sql import Tx
from sinkledger_base import canonical

CHUNK = 10_000
COLUMNS = ("seq", "kind", "request_id", "request_fingerprint", "actor", "recorded_at", "body", "prev_hash", "entry_hash")
# (kind, request_id, request_fingerprint, actor, recorded_at, payload)
BulkEntry = tuple[str, str, str, str, str, dict[str, Any]]


class _NotPlain(Exception):
    """An envelope :func:`chained_rows` leaves to :func:`canonical.canonical_bytes`."""


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


def chained_rows(entries: Iterable[BulkEntry], maker: merkle_nodes.NodeMaker, state: list[Any]
                 ) -> Iterator[tuple[Any, ...]]:
    """The journal rows of ``entries`` chained after ``state`` (``[seq, entry_hash]``, updated as
    rows are produced), each row's leaf added to ``maker``'s frontier as it goes.

    Byte for byte :func:`ledger.journal.entry_body` and :func:`ledger.domain.entry_hash` (and the
    Merkle frontier of :meth:`merkle_nodes.NodeMaker.add`), computed with less work an entry: the
    envelope's own fields are text and an integer by construction, so only the payload is walked
    (:func:`sinkledger_base.canonical.plain_tree`, the test :func:`canonical_bytes` makes of the
    whole envelope) before orjson writes it; anything else takes :func:`canonical_bytes` itself.
    The hash is taken over the body's bytes as orjson wrote them (no text round trip), its digest
    kept as bytes for the Merkle leaf, and the frontier's stack handled inline."""
    seq, prev = state
    prev_bytes = prev.encode("utf-8")
    sha, dumps, sort, plain_tree = hashlib.sha256, orjson.dumps, orjson.OPT_SORT_KEYS, canonical.plain_tree
    stack, size, made = maker.stack, maker.size, maker.made
    push, pop, lowest = stack.append, stack.pop, merkle_nodes.NODE_LEVEL
    try:
        for kind, request_id, fingerprint, actor, recorded_at, payload in entries:
            seq += 1
            envelope = {"actor": actor, "kind": kind, "payload": payload, "recorded_at": recorded_at,
                        "request_id": request_id, "seq": seq}
            try:
                if not (str is type(kind) is type(request_id) is type(actor) is type(recorded_at)
                        and plain_tree(payload)):
                    raise _NotPlain
                body = dumps(envelope, option=sort)
            except (_NotPlain, orjson.JSONEncodeError, RecursionError):  # the general path decides (and raises)
                body = canonical.canonical_bytes(envelope)
            link = sha(prev_bytes + b"\n" + body).digest()
            digest = link.hex()
            yield seq, kind, request_id, fingerprint, actor, recorded_at, body.decode("utf-8"), prev, digest
            # the Merkle frontier (NodeMaker.add, inline): the leaf, then each subtree it completes
            node, n, level = sha(b"\x00" + link).digest(), size, 0
            while n & 1:
                node = sha(b"\x01" + pop() + node).digest()
                n >>= 1
                level += 1
                if level >= lowest:
                    made.append((level, ((size + 1) >> level) - 1, node.hex()))
            push(node)
            size += 1
            prev, prev_bytes = digest, digest.encode("ascii")
    finally:
        maker.size = size
        state[:] = seq, prev


def append_many(session: Session, entries: Iterable[BulkEntry], head: tuple[int, str] | None = None, *,
                chunk: int = CHUNK) -> tuple[int, str]:
    """Append ``entries`` after ``head`` (``(seq, entry_hash)``; read from the journal if None)
    and return the new head.

    One driver ``executemany`` per ``chunk`` entries on SQLite (``COPY ... FROM STDIN`` on
    PostgreSQL), fed by a generator (:func:`chained_rows`): each row's body and hash are computed
    as the driver asks for the row, so a chunk needs the memory of one row and, on PostgreSQL,
    the server inserts rows already sent while Python builds the next ones. Raises
    :class:`StaleHead` if ``head`` is not the journal's head, and ``TypeError`` for a float in a
    payload (rows already sent stay in the transaction, which the caller rolls back)."""
    session.flush()  # entries the session holds go first
    connection = session.connection()
    current = read_head(connection)
    if head is not None and tuple(head) != current:
        raise StaleHead(f"head {tuple(head)} is not the journal's head {current}")
    state = list(current)  # [seq, entry_hash] after the rows produced so far
    tx = Tx(connection)  # its own cursor, closed below (a session's Tx would keep it, and SQLite's file, open)
    nodes = merkle_nodes.NodeMaker.at(tx, current[0])  # the Merkle subtrees the new entries complete
    source = iter(entries)
    cursor = connection.connection.cursor()
    try:
        if tx.pg:
            copy_sql = f"COPY journal_entry ({', '.join(COLUMNS)}) FROM STDIN"
            while batch := list(islice(source, chunk)):
                with cursor.copy(copy_sql) as copy:
                    write = copy.write_row
                    for row in chained_rows(batch, nodes, state):
                        write(row)
                merkle_nodes.insert(tx, nodes.take())
        else:
            sql = insert_sql(connection)
            while batch := list(islice(source, chunk)):
                cursor.executemany(sql, chained_rows(batch, nodes, state))
                merkle_nodes.insert(tx, nodes.take())
    finally:
        cursor.close()
        tx.cursor.close()
    return state[0], state[1]

