"""Database access: engines for SQLite (embedded default) and PostgreSQL (multi-user).

Writers are serialised, because every journal entry links to the one before it:
SQLite takes its write lock at ``BEGIN IMMEDIATE``; PostgreSQL takes a transaction-scoped
advisory lock, and releases it at COMMIT *before* the commit is flushed to disk, waiting for the
flush afterwards, outside the lock, where concurrent writers share it (:meth:`Database.write`).
Readers never wait for writers (SQLite WAL; PostgreSQL MVCC).

The journal's append-only rule is enforced here a second time, by triggers that reject UPDATE
and DELETE (and TRUNCATE on PostgreSQL) on the append-only tables.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

import ledger.court.store  # noqa: F401 - registers the court tables
import ledger.income.store  # registers the income tables
import ledger.people.store  # noqa: F401 - registers the person-register tables
import ledger.store  # noqa: F401 - registers the ledger tables
import sinkledger.services.sessions  # noqa: F401 - registers the web-session table
import sinks.store  # noqa: F401 - registers the parcel table
from sinkledger.config import SQLITE_SYNCHRONOUS_MODES, Settings
from sinkledger.db import migrations
from sinkledger_base.errors import InvalidInput

WRITER_LOCK_KEY = 0x51_4E_4B_4C  # "SNKL": the advisory lock id on PostgreSQL

# The first statement of every write transaction on PostgreSQL: commit without waiting for the WAL
# flush (this transaction only: ``is_local``), then take the writer lock. One round trip.
PG_BEGIN_WRITE = text("SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(:k)")
# A transaction that returns only when the WAL up to its own commit record is flushed (and, with
# synchronous replication, replicated), as the server's synchronous_commit promises. It needs an
# xid *and* a WAL record of its own: PostgreSQL flushes at commit only if the transaction wrote WAL
# (``RecordTransactionCommit``: ``wrote_xlog`` is read before the commit record is written), so
# ``SELECT pg_current_xact_id()`` alone commits asynchronously and flushes nothing. A
# transactional logical message takes an xid and writes one small record (executable by any role;
# logical decoders see it under the prefix ``sinkledger`` and may ignore it).
PG_WAIT_DURABLE = text("SELECT pg_logical_emit_message(true, 'sinkledger', 'durable')")


class Database:
    """One database: an engine plus the transaction discipline the services rely on."""

    def __init__(self, url: str, *, sqlite_synchronous: str = SQLITE_SYNCHRONOUS_MODES[0]) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            if sqlite_synchronous not in SQLITE_SYNCHRONOUS_MODES:  # the setting is checked at start-up
                raise ValueError(f"sqlite_synchronous must be one of {SQLITE_SYNCHRONOUS_MODES}")
            _ensure_sqlite_folder(url)
            self.engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
            _configure_sqlite(self.engine, sqlite_synchronous)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._writer = self.engine.execution_options(sinkledger_write=True)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)

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
        """A session inside one serialised write transaction; commits on success, and returns
        only once the commit is durable (as the configuration makes it durable).

        SQLite: ``BEGIN IMMEDIATE`` takes the database's one write lock; COMMIT appends to the
        WAL and, with ``synchronous=FULL`` (the default), syncs it before it returns and the lock
        is free again; with ``NORMAL`` (``SINKLEDGER_SQLITE_SYNCHRONOUS``) the WAL is synced only
        at checkpoints, so a power loss may take back the last commits, in order, never one in
        the middle.

        PostgreSQL (group commit by early lock release): the transaction takes the writer lock
        (``pg_advisory_xact_lock``) with ``synchronous_commit`` off for itself only, so COMMIT
        writes the commit record and releases the lock *without* waiting for the WAL flush; the
        serial section (lock, read the head, write, commit record) holds no fsync. Before
        returning, ``write()`` waits for durability by committing a second, tiny transaction
        with the server's own ``synchronous_commit`` (:data:`PG_WAIT_DURABLE`): its commit
        record lies after ours in the WAL, and its COMMIT returns only once the WAL is flushed
        up to it, so ours is flushed too. Writers finishing together share one flush (PostgreSQL
        flushes all WAL written so far in one go, and a writer whose record is already flushed
        does not flush again), so sixteen writers pay for far fewer than sixteen fsyncs, and
        none of them waits for an fsync while holding the lock. Why this is safe:

        - *Order.* The WAL is flushed in order. A later writer that chained onto our entry
          before it reached the disk has its commit record after ours: it can only become
          durable after ours, never instead of it.
        - *Acknowledgement.* The caller is told "done" (``write()`` returns) only after the
          flush, as before. An error in the wait propagates: the caller does not hear "done".
        - *Client killed* (SIGKILL) after COMMIT, before or during the wait: the entry is
          committed and, unless the server also crashes, becomes durable within
          ``wal_writer_delay``; a retry with the same request id finds it and returns it. Killed
          before COMMIT: the transaction rolls back and leaves nothing, as before.
        - *Server crash* before the flush: our entry and every entry chained after it are lost
          together (a prefix of the WAL survives), so the chain never has a hole; none of them
          was acknowledged, and their retries record them again.
        - *Replays.* A request whose entry already exists (a retry) waits too: that entry may
          be another writer's, committed but not yet flushed.

        The one visible difference: between its COMMIT and the flush (about a millisecond),
        other sessions can read an entry that a crash of the *server* could still take back,
        together with all later ones. ``commit_delay``/``commit_siblings`` are server settings
        (and ``commit_delay`` delays even a lone writer), so the code does not rely on them.
        """
        with Session(self._writer, expire_on_commit=False) as session:
            if not self.is_sqlite:
                session.execute(PG_BEGIN_WRITE, {"k": WRITER_LOCK_KEY})
            try:
                yield session
                session.commit()
            except BaseException as exc:
                session.rollback()
                if unbindable(exc):
                    raise InvalidInput("query_value_invalid", detail=type(exc).__name__) from exc
                raise
        if not self.is_sqlite:
            self.wait_durable()

    def wait_durable(self) -> None:
        """Return once every transaction committed so far is durable (PostgreSQL; see
        :meth:`write`). On SQLite every COMMIT is already as durable as ``synchronous`` makes it."""
        if self.is_sqlite:
            return
        with self.engine.begin() as conn:
            conn.execute(PG_WAIT_DURABLE)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            except Exception as exc:
                if unbindable(exc):
                    raise InvalidInput("query_value_invalid", detail=type(exc).__name__) from exc
                raise

    def dispose(self) -> None:
        self.engine.dispose()


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


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")  # FULL or NORMAL, checked above
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        write = conn.get_execution_options().get("sinkledger_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
