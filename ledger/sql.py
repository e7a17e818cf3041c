"""Plain statements on a command's own connection: the ledger's hot path.

A command runs a dozen small statements inside one serialised transaction. Through the ORM's unit
of work (identity map, flushes, attribute events) each costs far more than the statement itself;
here each is one DBAPI ``execute`` on the transaction's own cursor, so a command costs about what
its statements cost, with every rule and check kept. Statements are written once with ``:name``
placeholders (SQLite takes them as they are; for PostgreSQL they are rewritten to ``%(name)s``
once and cached, and psycopg prepares them on the server after a few uses).

A command's transaction is opened, locked and committed by ``Database.command()``, which hands
out a :class:`Tx`; an ORM session is made inside the same transaction only when a handler asks for
one (:attr:`Tx.session`), and code that holds a session gets its Tx by :meth:`Tx.of`. ORM objects
a handler added are flushed before any plain statement runs (:meth:`Tx.sync`), so both kinds of
write see each other in order. A driver error
is raised as SQLAlchemy's ``DBAPIError`` subclass, as if the statement had gone through the
engine, so callers tell an integrity error or an unbindable value apart as before.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator, Mapping, Sequence

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlmodel import Session

_NAME = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_PG_SQL: dict[str, str] = {}


def _pg(sql: str) -> str:
    """``:name`` → ``%(name)s`` (and a literal ``%`` doubled), for psycopg; cached."""
    out = _PG_SQL.get(sql)
    if out is None:
        out = _PG_SQL[sql] = _NAME.sub(r"%(\1)s", sql.replace("%", "%%"))
    return out


class Tx:
    """The DBAPI cursor of one open transaction, with an ORM session made only when asked for.

    Made from a SQLAlchemy ``Connection`` in a transaction (:meth:`Database.command`), or from a
    session (:meth:`of`) for code that already holds one.
    """

    __slots__ = ("_connection", "_engine", "transaction", "pool_connection", "driver_connection", "cursor", "pg",
                 "_error", "_session", "batches", "blocks", "_nested_session", "_nested", "take_keys",
                 "_pipeline")

    def __init__(self, connection: Any, session: Any = None, *, nested_session: bool = False) -> None:
        """``nested_session``: the caller wrote its own savepoint on the driver's connection (a
        command in a batch); a session made here then runs in a SQLAlchemy savepoint of its own
        (ended by :meth:`end_nested`), so that a failed flush rolls back the ORM's work only."""
        self._connection = connection
        self._engine = connection.engine
        self._start(connection.connection, connection.dialect, session)
        self._nested_session = nested_session

    @classmethod
    def on_pool_connection(cls, pool_connection: Any, engine: Any) -> "Tx":
        """A Tx straight on a pooled DBAPI connection whose transaction the caller opened; a
        SQLAlchemy ``Connection`` over it is made only with the ORM session."""
        tx = cls.__new__(cls)
        tx._connection, tx._engine = None, engine
        tx._start(pool_connection, engine.dialect, None)
        tx._nested_session = False
        return tx

    def _start(self, pool_connection: Any, dialect: Any, session: Any) -> None:
        self.transaction = session._transaction if session is not None else None
        self.pool_connection = pool_connection
        self.driver_connection = pool_connection.driver_connection
        self.cursor = self.driver_connection.cursor()
        self.pg = dialect.name == "postgresql"
        self._error = dialect.loaded_dbapi.Error
        self._session = session
        self.batches: dict[str, tuple[Any, ...]] = {}  # batch facts read in this transaction
        # credit_block rows read in this transaction and not written since, by (batch_id, first):
        # a move from one of them needs no second read (ledger.projection.apply_moves)
        self.blocks: dict[tuple[str, int], tuple[Any, ...]] = {}
        self._nested: Any = None  # the SQLAlchemy savepoint the session runs in (nested_session)
        # batch_id → (vintage_year, issuance_seq) read in this transaction (a new balance row's keys)
        self.take_keys: dict[str, tuple[int, int]] = {}
        self._pipeline: Any = None  # psycopg's pipeline, while statements are pipelined (pipeline())

    def pipeline(self) -> None:
        """PostgreSQL: from now on, send each statement without waiting for the one before.

        A statement whose result is read (``one``, ``all``) waits for everything sent before it,
        so reads see every write; the writes between two reads cost one round trip together
        instead of one each (psycopg's pipeline mode). An error of a write is raised at the next
        read or at :meth:`end_pipeline`, still inside the transaction, which then rolls back
        whole. SQLAlchemy and the ORM session read results (row counts) as they go: making
        :attr:`connection` ends the pipeline first. Nothing on SQLite."""
        if self.pg and self._pipeline is None:
            self._pipeline = self.driver_connection.pipeline()
            self._pipeline.__enter__()

    def end_pipeline(self, failure: BaseException | None = None) -> None:
        """Wait for every statement sent and leave pipeline mode; a write's error is raised here
        (as the driver's error). With ``failure`` (the transaction is being rolled back for it),
        nothing more is raised."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is None:
            return
        if failure is None:
            pipeline.__exit__(None, None, None)
            return
        try:
            pipeline.__exit__(type(failure), failure, failure.__traceback__)
        except Exception:  # noqa: BLE001 - the transaction rolls back for ``failure`` anyway
            pass

    @property
    def connection(self) -> Any:
        """A SQLAlchemy ``Connection`` in this transaction (made on first use)."""
        self.end_pipeline()
        if self._connection is None:
            self._connection = Connection(self._engine, connection=self.pool_connection)
        return self._connection

    @property
    def session(self) -> Any:
        """An ORM session inside this transaction (made on first use; it never commits itself)."""
        if self._session is None:
            if self._nested_session:
                self._nested = self.connection.begin_nested()
            # joins the open transaction; ending it is left to the transaction's owner
            self._session = Session(bind=self.connection, expire_on_commit=False, join_transaction_mode="rollback_only")
            self._session.info["sinkledger_tx"] = self
        return self._session

    def end_nested(self, *, commit: bool) -> None:
        """Release (``commit``) or roll back the session's own savepoint, if one was begun."""
        nested, self._nested = self._nested, None
        if nested is not None and nested.is_active:
            nested.commit() if commit else nested.rollback()

    def close(self) -> None:
        """Close the session this Tx made, if any (the transaction is its owner's to end)."""
        if self._session is not None and self.transaction is None:
            self._session.close()

    def release(self) -> None:
        """Give a pooled connection (:meth:`on_pool_connection`) back, after the caller ended its
        transaction."""
        self.close()
        # its statements finalised now: a statement left open (a ``one()`` of a longer result)
        # would keep the SQLite connection from closing until a garbage collection, and with it
        # the WAL file, which a copy of the database file alone would then miss
        self.cursor.close()
        if self._connection is not None:
            self._connection.close()  # returns the pooled connection it wraps
        else:
            self.pool_connection.close()

    @classmethod
    def of(cls, holder: Any) -> "Tx":
        """``holder`` itself if it is a :class:`Tx`; else the session's Tx for its current
        transaction (made once per transaction)."""
        if type(holder) is cls:
            return holder
        session = holder
        tx = session.info.get("sinkledger_tx")
        if tx is not None and tx.transaction is None:
            return tx  # the session was made by this Tx, inside its transaction
        if tx is None or tx.transaction is not session._transaction or session._transaction is None:
            tx = cls(session.connection(), session)
            session.info["sinkledger_tx"] = tx
        return tx

    def sync(self) -> None:
        """Flush what handlers added through the ORM, so that plain statements see it."""
        session = self._session
        if session is not None and (session._new or session._deleted or session.identity_map._modified):
            session.flush()

    def run(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        self.sync()
        if self.pg:
            sql = _pg(sql)
        try:
            return self.cursor.execute(sql, params or {})
        except self._error as exc:
            raise sa_exc.DBAPIError.instance(sql, params, exc, self._error) from exc

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        cursor = self.run(sql, params)
        try:
            return cursor.fetchone()
        except self._error as exc:  # pipelined (PostgreSQL): the statement's error comes with its result
            raise sa_exc.DBAPIError.instance(sql, params, exc, self._error) from exc

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        cursor = self.run(sql, params)
        try:
            return cursor.fetchall()
        except self._error as exc:
            raise sa_exc.DBAPIError.instance(sql, params, exc, self._error) from exc

    def insert(self, row: Any) -> None:
        """Insert one table row given as a SQLModel object (validated as the model declares), by
        one plain statement; columns left ``None`` with a database default (an autoincrement key)
        are left out."""
        table = type(row).__table__
        values = {c.name: getattr(row, c.name) for c in table.columns
                  if not (getattr(row, c.name) is None and (c.autoincrement is True or c.primary_key))}
        self.run(insert_sql(table.name, tuple(values)), values)

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (dicts with the same keys, the columns) into ``table``: one executemany."""
        if len(rows) == 1:  # executemany's batching costs more than it saves for one row
            self.run(insert_sql(table, tuple(rows[0])), rows[0])
        elif rows:
            self.many(insert_sql(table, tuple(rows[0])), rows)

    def many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        self.sync()
        if self.pg:
            sql = _pg(sql)
        try:
            self.cursor.executemany(sql, rows)
        except self._error as exc:
            raise sa_exc.DBAPIError.instance(sql, rows, exc, self._error) from exc


_INSERTS: dict[tuple[str, tuple[str, ...]], str] = {}


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO table (c1, ...) VALUES (:c1, ...)``, made once per table and column list."""
    key = (table, columns)
    sql = _INSERTS.get(key)
    if sql is None:
        sql = _INSERTS[key] = (f"INSERT INTO {table} ({', '.join(columns)}) "
                               f"VALUES ({', '.join(':' + c for c in columns)})")
    return sql


def bindable_texts(values: Iterable[Any]) -> bool:
    """Whether every value is text either database binds (UTF-8 encodable, no NUL): reads of many
    keys at once (``IN (...)``) are used only then, so that a key the driver refuses is refused
    alone, where a command meets it."""
    for value in values:
        if type(value) is not str or "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def in_list(prefix: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """``(":p0, :p1", {"p0": .., "p1": ..})`` for an ``IN (...)`` of ``values``."""
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return ", ".join(f":{k}" for k in params), params


_STREAMS = iter(range(1, 1 << 62))  # names for server-side cursors: one per stream, never reused


def stream_rows(session: Any, sql: str, size: int = 20_000) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` as plain driver tuples, fetched ``size`` at a time in the session's
    transaction (a server-side cursor on PostgreSQL, so that a million rows are never all in
    memory): what a verify walks tables with, without the cost of SQLAlchemy's result rows."""
    for rows in stream_pages(session, sql, size):
        yield from rows


def stream_pages(session: Any, sql: str, size: int = 20_000) -> Iterator[list[tuple[Any, ...]]]:
    """:func:`stream_rows` a page (a list of at most ``size`` rows) at a time."""
    raw = session.connection().connection.dbapi_connection
    postgres = session.get_bind().dialect.name == "postgresql"
    cursor = raw.cursor(name=f"sinkledger_stream_{next(_STREAMS)}") if postgres else raw.cursor()
    try:
        if postgres:
            cursor.itersize = size
        cursor.execute(sql)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()
