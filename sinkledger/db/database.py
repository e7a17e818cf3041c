"""Database access: engines for SQLite (embedded default) and PostgreSQL (multi-user).

Writers are serialised, because every journal entry links to the one before it:
SQLite takes its write lock at ``BEGIN IMMEDIATE``; PostgreSQL takes a transaction-scoped
advisory lock. Readers never wait for writers (SQLite WAL; PostgreSQL MVCC).

The journal's append-only rule is enforced here a second time, by triggers that reject UPDATE
and DELETE (and TRUNCATE on PostgreSQL) on the append-only tables.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, create_engine

import ledger.court.store  # noqa: F401 - registers the court tables
import ledger.income.store  # registers the income tables
import ledger.people.store  # noqa: F401 - registers the person-register tables
import ledger.store  # noqa: F401 - registers the ledger tables
import sinkledger.services.sessions  # noqa: F401 - registers the web-session table
import sinks.store  # noqa: F401 - registers the parcel table
from ledger.sql import Tx
from sinkledger.config import Settings
from sinkledger.db import migrations
from sinkledger_base.errors import InvalidInput

WRITER_LOCK_KEY = 0x51_4E_4B_4C  # "SNKL": the advisory lock id on PostgreSQL


class Database:
    """One database: an engine plus the transaction discipline the services rely on."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_folder(url)
            self.engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
            _configure_sqlite(self.engine)
            self._writer_engine = self.engine
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
            # commands check out their connection without a ping: see _begin_command
            self._writer_engine = create_engine(url, pool_pre_ping=False)
        self._orm_writer = self.engine.execution_options(sinkledger_write=True)  # write(): pinged
        self._writer = self._writer_engine.execution_options(sinkledger_write=True)  # command(), batch()
        self._local = threading.local()  # .batch: the open Batch of this thread, if any
        self._dbapi_error = self.engine.dialect.loaded_dbapi.Error

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(settings.database_url)

    # -- schema --------------------------------------------------------------------------------
    def create_schema(self) -> None:
        """Create or upgrade the schema: ``alembic upgrade head``, the one way tables come to be.

        The migrations end by installing the triggers and spatial indexes the tables need
        (:func:`sinkledger.db.schema.install_extras`, idempotent). A table that a module declares but
        no migration creates does not exist: write a migration (``tests/test_migrations.py`` fails
        until there is one).
        """
        with self.engine.begin() as conn:
            migrations.upgrade(conn)

    def ensure_current(self) -> None:
        """Upgrade an existing database whose schema is older than the code (no-op otherwise)."""
        if not self.has_schema():
            return
        with self.engine.connect() as conn:
            current = migrations.current_revision(conn)
        if current != migrations.head_revision():
            self.create_schema()

    def drop_schema(self) -> None:
        """Drop every sinkledger table and the migration stamp (``demo --reset``, tests)."""
        SQLModel.metadata.drop_all(self.engine)
        with self.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("journal_entry")

    # -- sessions ------------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session inside one serialised write transaction; commits on success."""
        batch = getattr(self._local, "batch", None)
        if batch is not None:
            with batch.step() as conn:
                with Session(bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only") as session:
                    yield session
                    session.flush()
            return
        with Session(self._orm_writer, expire_on_commit=False) as session:
            if not self.is_sqlite:
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITER_LOCK_KEY})
            try:
                yield session
                session.commit()
            except BaseException as exc:
                session.rollback()
                if unbindable(exc):
                    raise InvalidInput("query_value_invalid", detail=type(exc).__name__) from exc
                raise

    @contextmanager
    def command(self) -> Iterator[Tx]:
        """One serialised write transaction for a ledger command, on plain statements
        (:class:`ledger.sql.Tx`); an ORM session is made inside it only if the command asks for one.
        Commits on success; anything raised rolls everything back. Inside :meth:`batch`, the
        command is a savepoint of the batch's transaction instead."""
        batch = getattr(self._local, "batch", None)
        if batch is not None:
            with batch.step() as conn:
                tx = Tx(conn)
                try:
                    yield tx
                    tx.sync()
                finally:
                    tx.close()
            return
        try:
            pooled = self._begin_command()
        except self._dbapi_error as exc:  # e.g. SQLite's lock wait timed out
            raise sa_exc.DBAPIError.instance(None, None, exc, self._dbapi_error) from exc
        tx = Tx.on_pool_connection(pooled, self._writer)
        dbapi = pooled.driver_connection
        try:
            try:
                yield tx
                tx.sync()
                dbapi.execute("COMMIT") if self.is_sqlite else dbapi.commit()
            except BaseException:
                if not self.is_sqlite:
                    dbapi.rollback()
                elif dbapi.in_transaction:
                    dbapi.execute("ROLLBACK")
                raise
        except BaseException as exc:
            if unbindable(exc):
                raise InvalidInput("query_value_invalid", detail=type(exc).__name__) from exc
            if isinstance(exc, self._dbapi_error):
                raise sa_exc.DBAPIError.instance(None, None, exc, self._dbapi_error) from exc
            raise
        finally:
            tx.release()

    def _begin_command(self) -> Any:
        """A pooled connection with the writer's transaction open and the writer lock taken
        (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the advisory lock). Commands skip the pool's
        ping (a round trip): a PostgreSQL connection found dead at the lock, where nothing was done
        on it yet, is replaced once."""
        pooled = self._writer_engine.raw_connection()
        try:
            if self.is_sqlite:
                pooled.driver_connection.execute("BEGIN IMMEDIATE")
                return pooled
            lock = f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})"
            try:
                pooled.driver_connection.execute(lock)
            except self._dbapi_error:
                if not pooled.driver_connection.closed:
                    raise
                pooled.invalidate()
                pooled = self._writer_engine.raw_connection()
                pooled.driver_connection.execute(lock)
            return pooled
        except BaseException:
            pooled.close()
            raise

    def _lock(self, conn: Connection) -> None:
        """The writer lock, in a transaction just begun (SQLite took it at ``BEGIN IMMEDIATE``)."""
        if not self.is_sqlite:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")

    @contextmanager
    def batch(self, *, commit_every: int = 1000, commit_every_s: float = 1.0) -> Iterator["Batch"]:
        """Group commit for bulk work in this thread (the county dataset, large imports).

        Every command and write inside runs exactly as alone (same checks, same entries), each in a
        savepoint of one long write transaction, so a refusal undoes only its own command; the
        transaction commits every ``commit_every`` steps, after a step that ends ``commit_every_s``
        seconds after the last commit, and at the end: a thousand commands pay for one commit, and
        no work waits long to be durable and seen. Reads in this thread see the batch's work so far. A crash or an exception
        out of the block loses the steps since the last commit, each commit being whole; the
        caller re-runs with the same request ids and the committed ones replay.
        """
        if getattr(self._local, "batch", None) is not None:
            raise RuntimeError("a batch is already open in this thread")
        batch = Batch(self, commit_every, commit_every_s)
        self._local.batch = batch
        try:
            with batch:
                yield batch
        finally:
            self._local.batch = None

    @contextmanager
    def read(self) -> Iterator[Session]:
        batch = getattr(self._local, "batch", None)
        bind = batch.connection if batch is not None else self.engine
        with Session(bind=bind, expire_on_commit=False, join_transaction_mode="rollback_only") as session:
            try:
                yield session
            except Exception as exc:
                if unbindable(exc):
                    raise InvalidInput("query_value_invalid", detail=type(exc).__name__) from exc
                raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writer_engine is not self.engine:
            self._writer_engine.dispose()


class Batch:
    """The open transaction of :meth:`Database.batch`: steps are savepoints, commits are grouped."""

    def __init__(self, db: Database, commit_every: int, commit_every_s: float) -> None:
        if not isinstance(commit_every, int) or commit_every < 1:
            raise ValueError("commit_every must be a positive whole number")
        if not commit_every_s > 0:
            raise ValueError("commit_every_s must be positive")
        self.db, self.commit_every, self.commit_every_s = db, commit_every, commit_every_s
        self.steps = self.commits = 0
        self._since_commit = 0
        self._committed_at = time.monotonic()
        self.connection: Connection | None = None

    def __enter__(self) -> "Batch":
        self.connection = self.db._writer.connect()
        self._begin()
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        conn, self.connection = self.connection, None
        try:
            if kind is None:
                conn.commit()
                self.commits += 1
            else:
                conn.rollback()
        finally:
            conn.close()

    def _begin(self) -> None:
        self.connection.begin()
        self.db._lock(self.connection)

    @contextmanager
    def step(self) -> Iterator[Connection]:
        """One command or write: a savepoint, released on success and rolled back on a refusal."""
        if self._since_commit and (self._since_commit >= self.commit_every
                                   or time.monotonic() - self._committed_at >= self.commit_every_s):
            self.connection.commit()
            self.commits += 1
            self._since_commit, self._committed_at = 0, time.monotonic()
            self._begin()
        self.steps += 1
        self._since_commit += 1
        savepoint = self.connection.begin_nested()
        try:
            yield self.connection
        except BaseException as exc:
            savepoint.rollback()
            if unbindable(exc):
                raise InvalidInput("query_value_invalid", detail=type(exc).__name__) from exc
            raise
        savepoint.commit()


def unbindable(exc: BaseException) -> bool:
    """Whether ``exc`` is a driver's refusal of a *value* a caller passed into a query (a lone
    surrogate, NUL on PostgreSQL, an int beyond 64 bits, a list where text is compared, ...) rather
    than a fault of the query itself; such a request is refused as bad input, never a crash."""
    if isinstance(exc, (UnicodeEncodeError, OverflowError)):
        return True
    if isinstance(exc, sa_exc.InvalidRequestError) and "primary key" in str(exc):
        return True  # session.get(Model, <a dict or a list>)
    if isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError):
        return isinstance(exc.orig, (UnicodeEncodeError, OverflowError, TypeError, ValueError))
    orig = getattr(exc, "orig", None)
    if isinstance(orig, (UnicodeEncodeError, OverflowError)):
        return True
    if isinstance(orig, sqlite3.Error):  # sqlite3 refuses to bind a list, a dict or a huge int
        return isinstance(orig, (sqlite3.InterfaceError, sqlite3.ProgrammingError)) and "bind" in str(orig).lower()
    try:
        # deferred on purpose: the PostgreSQL driver only when a PostgreSQL error is told apart
        import psycopg
    except ImportError:  # pragma: no cover - PostgreSQL support not installed
        return False
    if isinstance(orig, psycopg.DataError):  # NUL in text, out-of-range numbers, bad casts of a value
        return True
    if isinstance(orig, psycopg.errors.UndefinedFunction):  # comparing text with a number the caller gave
        return True
    return isinstance(orig, psycopg.ProgrammingError) and "cannot adapt" in str(orig)


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if conn.connection.driver_connection.in_transaction:
            return  # a command's own transaction (Database.command), joined by its ORM session
        write = conn.get_execution_options().get("sinkledger_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
