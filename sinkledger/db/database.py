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
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, create_engine

import ledger.compensation.store  # noqa: F401 - registers the compensation tables (issue 22)
import ledger.court.store  # noqa: F401 - registers the court tables
import ledger.income.store  # registers the income tables
import ledger.people.store  # noqa: F401 - registers the person-register tables
import ledger.prices.store  # noqa: F401 - registers the price index tables (issue 22)
import ledger.quota.store  # noqa: F401 - registers the quota obligation tables (issue 22)
import ledger.registry_import.store  # noqa: F401 - registers the imported projects table
import ledger.store  # noqa: F401 - registers the ledger tables
import sinkledger.services.sessions  # noqa: F401 - registers the web-session table
import sinkledger.services.signin_guard  # noqa: F401 - registers the sign-in guard and log tables
import sinkledger.services.apikeys  # noqa: F401 - registers the API key and key-use tables
import sinkledger.services.jobs  # noqa: F401 - registers the API jobs table
import sinkledger.services.party_settings  # noqa: F401 - registers the party settings table
import sinks.store  # noqa: F401 - registers the parcel table
from ledger.sql import Tx
from sinkledger.config import SQLITE_SYNCHRONOUS_MODES, Settings
from sinkledger.db import revisions
from sinkledger_base.errors import InvalidInput

SQLITE_CACHE_KIB = 65_536
# PostgreSQL tables of this schema whose planner statistics are missing or stale (autovacuum's rule)
PG_STALE_TABLES_SQL = ("SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                       "AND n_live_tup + n_mod_since_analyze > 0 AND (coalesce(last_analyze, last_autoanalyze) IS NULL "
                       "OR n_mod_since_analyze > 0.1 * n_live_tup + 50) ORDER BY relname")
ANALYSIS_LIMIT = 1000  # rows ANALYZE reads an index (SQLite): a sample, fast at any size
WRITER_LOCK_KEY = 0x51_4E_4B_4C  # "SNKL": the advisory lock id on PostgreSQL

# The first statement of every write transaction on PostgreSQL: commit without waiting for the WAL
# flush (this transaction only: ``is_local``), then take the writer lock. One round trip.
PG_BEGIN_SQL = f"SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock({WRITER_LOCK_KEY})"
PG_BEGIN_WRITE = text(PG_BEGIN_SQL)
PG_BEGIN_COMMAND_SQL = f"BEGIN; {PG_BEGIN_SQL}"  # a command's: see _begin_pg_command
# A transaction that returns only when the WAL up to its own commit record is flushed (and, with
# synchronous replication, replicated), as the server's synchronous_commit promises. It needs an
# xid *and* a WAL record of its own: PostgreSQL flushes at commit only if the transaction wrote WAL
# (``RecordTransactionCommit``: ``wrote_xlog`` is read before the commit record is written), so
# ``SELECT pg_current_xact_id()`` alone commits asynchronously and flushes nothing. A
# transactional logical message takes an xid and writes one small record (executable by any role;
# logical decoders see it under the prefix ``sinkledger`` and may ignore it).
PG_WAIT_DURABLE_SQL = "SELECT pg_logical_emit_message(true, 'sinkledger', 'durable')"
PG_WAIT_DURABLE = text(PG_WAIT_DURABLE_SQL)  # the same, for a SQLAlchemy connection
PG_COMMIT_DURABLE_SQL = f"COMMIT; {PG_WAIT_DURABLE_SQL}"  # a command's end: see Database.commit_durable

def _begin_pg_command(dbapi: Any) -> None:
    """Open a command's transaction on a psycopg connection and take the writer lock, in one
    round trip: the connection is put in autocommit (psycopg then sends no ``BEGIN`` of its own
    before the first statement) and one simple query holds ``BEGIN`` and :data:`PG_BEGIN_SQL`.
    Every statement until the command's ``COMMIT`` or ``ROLLBACK`` runs in that transaction."""
    dbapi.autocommit = True
    dbapi.execute(PG_BEGIN_COMMAND_SQL)


def _end_pg_command(pooled: Any) -> None:
    """Give the connection back as the pool lends it (not in autocommit), its transaction ended."""
    dbapi = pooled.driver_connection
    if dbapi.closed:
        return
    try:
        if dbapi.info.transaction_status != 0:  # not idle: ended here, whatever happened before
            dbapi.rollback()
        dbapi.autocommit = False
    except Exception:  # noqa: BLE001 - a broken connection: the pool must not lend it again
        pooled.invalidate()


class Database:
    """One database: an engine plus the transaction discipline the services rely on."""

    def __init__(self, url: str, *, sqlite_synchronous: str = SQLITE_SYNCHRONOUS_MODES[0]) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            if sqlite_synchronous not in SQLITE_SYNCHRONOUS_MODES:  # the setting is checked at start-up
                raise ValueError(f"sqlite_synchronous must be one of {SQLITE_SYNCHRONOUS_MODES}")
            _ensure_sqlite_folder(url)
            self.engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, pool_use_lifo=True)
            _configure_sqlite(self.engine, sqlite_synchronous)
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
        return cls(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)

    # -- schema --------------------------------------------------------------------------------
    def create_schema(self) -> None:
        """Create or upgrade the schema: ``alembic upgrade head``, the one way tables come to be.

        The migrations end by installing the triggers and spatial indexes the tables need
        (:func:`sinkledger.db.schema.install_extras`, idempotent). A table that a module declares but
        no migration creates does not exist: write a migration (``tests/test_migrations.py`` fails
        until there is one).
        """
        # deferred on purpose: Alembic loads only when a database is migrated (sinkledger.db.revisions)
        from sinkledger.db import migrations

        with self.engine.begin() as conn:
            migrations.upgrade(conn)

    def ensure_current(self) -> None:
        """Upgrade an existing database whose schema is older than the code (no-op otherwise)."""
        if not self.has_schema():
            return
        with self.engine.connect() as conn:
            has_stamp = inspect(conn).has_table("alembic_version")
            current = revisions.current_revision(lambda sql: conn.exec_driver_sql(sql).all()) if has_stamp else None
        head = revisions.head_revision()
        if head is None or current != head:
            self.create_schema()

    def drop_schema(self) -> None:
        """Drop every sinkledger table and the migration stamp (``demo --reset``, tests)."""
        SQLModel.metadata.drop_all(self.engine)
        with self.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("journal_entry")

    def refresh_statistics(self) -> None:
        """Give the query planner the tables' statistics where bulk data landed.

        SQLite: ``ANALYZE``, sampling at most :data:`ANALYSIS_LIMIT` rows an index (44 ms on the
        county dataset's 4.5 GB). Without them it guesses, and on 100,000 parcels took the status
        index (every active parcel) for a holder's parcels instead of the holder index (100 rows):
        63 ms against 0.4 ms a query. Not inside a batch (it holds the write lock: its owner
        refreshes at the end).

        PostgreSQL: ``ANALYZE`` of each table whose statistics are missing or stale by
        autovacuum's own rule (changed rows since the last analysis over 10 % of the table + 50),
        on a connection of its own, so also in the middle of a batch (the rows it committed).
        Autovacuum does the same when it is on and has caught up; when it is off, or behind a bulk
        load, the planner plans with the sizes of empty tables: a county build's distribution read
        took 1.55 s a call instead of 5 ms. Nothing stale: one catalogue read.

        Run where bulk data lands (the demo builds, between the county build's phases, a parcel
        import, a backup restored, another registry's import) and when the app server opens its
        database."""
        if self.is_sqlite:
            if getattr(self._local, "batch", None) is not None:
                return
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
                conn.exec_driver_sql("ANALYZE")
            return
        with self.engine.connect() as conn:
            stale = conn.exec_driver_sql(PG_STALE_TABLES_SQL).scalars().all()
            for table in stale:
                conn.exec_driver_sql(f'ANALYZE "{table}"')
            conn.commit()

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

        Inside :meth:`batch`, the session works in a savepoint of the batch's transaction (the
        batch commits).
        """
        batch = getattr(self._local, "batch", None)
        if batch is not None:
            with batch.step() as conn:
                with Session(bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only") as session:
                    yield session
                    session.flush()
            return
        with Session(self._orm_writer, expire_on_commit=False) as session:
            if not self.is_sqlite:
                session.execute(PG_BEGIN_WRITE)
            try:
                yield session
                session.commit()
            except BaseException as exc:
                session.rollback()
                raised = self._refused_as(exc)
                if raised is None:
                    raise
                raise raised from exc
        if not self.is_sqlite:
            self.wait_durable()

    def wait_durable(self, driver_connection: Any = None) -> None:
        """Return once every transaction committed so far is durable (PostgreSQL; see
        :meth:`write`), on ``driver_connection`` (a command's own, its transaction ended) or a
        pooled one. On SQLite every COMMIT is already as durable as ``synchronous`` makes it."""
        if self.is_sqlite:
            return
        if driver_connection is not None:  # one round trip: the statement is its own transaction
            driver_connection.autocommit = True
            try:
                driver_connection.execute(PG_WAIT_DURABLE_SQL)
            finally:
                driver_connection.autocommit = False
            return
        with self.engine.begin() as conn:
            conn.execute(PG_WAIT_DURABLE)

    def commit_durable(self, driver_connection: Any) -> None:
        """Commit a command's transaction (:meth:`command`) and return once it is durable.

        SQLite: ``COMMIT`` (as durable as ``synchronous`` makes it). PostgreSQL: the early lock
        release of :meth:`write` in one round trip: one simple query holds the ``COMMIT`` (which,
        with ``synchronous_commit`` off for the transaction, frees the writer lock without waiting
        for the flush) and then the flushing transaction of :meth:`wait_durable`, which runs on its
        own with the server's ``synchronous_commit`` and returns once the WAL is flushed past our
        commit record. A failed ``COMMIT`` stops the query there: nothing is waited for.
        """
        if self.is_sqlite:
            driver_connection.execute("COMMIT")
        else:
            driver_connection.execute(PG_COMMIT_DURABLE_SQL)

    @contextmanager
    def command(self) -> Iterator[Tx]:
        """One serialised write transaction for a ledger command, on plain statements
        (:class:`ledger.sql.Tx`); an ORM session is made inside it only if the command asks for one.
        Commits on success; anything raised rolls everything back. Inside :meth:`batch`, the
        command is a savepoint of the batch's transaction instead."""
        batch = getattr(self._local, "batch", None)
        if batch is not None:
            with batch.command_step() as conn:
                tx = Tx(conn, nested_session=True)
                try:
                    yield tx
                    tx.sync()
                    tx.end_nested(commit=True)
                except BaseException:
                    tx.end_nested(commit=False)
                    raise
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
                tx.pipeline()  # PostgreSQL: writes whose results nobody reads share round trips
                yield tx
                tx.sync()
                tx.end_pipeline()
                self.commit_durable(dbapi)
            except BaseException as failure:
                if not self.is_sqlite:
                    tx.end_pipeline(failure)
                    dbapi.rollback()
                elif dbapi.in_transaction:
                    dbapi.execute("ROLLBACK")
                raise
        except BaseException as exc:
            raised = self._refused_as(exc)
            if raised is None:
                raise
            raise raised from exc
        finally:
            if not self.is_sqlite:
                _end_pg_command(pooled)
            tx.release()

    def _begin_command(self) -> Any:
        """A pooled connection with the writer's transaction open and the writer lock taken
        (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the advisory lock, with the early lock release of
        :meth:`write`: the command's COMMIT frees the lock at once and :meth:`command` waits for the
        flush after it). Commands skip the pool's
        ping (a round trip): a PostgreSQL connection found dead at the lock, where nothing was done
        on it yet, is replaced once."""
        pooled = self._writer_engine.raw_connection()
        try:
            if self.is_sqlite:
                pooled.driver_connection.execute("BEGIN IMMEDIATE")
                return pooled
            try:
                _begin_pg_command(pooled.driver_connection)
            except self._dbapi_error:
                if not pooled.driver_connection.closed:
                    raise
                pooled.invalidate()
                pooled = self._writer_engine.raw_connection()
                _begin_pg_command(pooled.driver_connection)
            return pooled
        except BaseException:
            if not self.is_sqlite:
                _end_pg_command(pooled)
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
                raised = self._refused_as(exc)
                if raised is None:
                    raise
                raise raised from exc

    @contextmanager
    def plain_read(self) -> Iterator[Tx]:
        """A read transaction on plain statements (:class:`ledger.sql.Tx`), for the few reads a
        command makes before it runs (no ORM session: about 0.1 ms less than :meth:`read`). One
        snapshot for every statement (SQLite: ``BEGIN``; PostgreSQL: the driver's transaction),
        rolled back at the end. Inside :meth:`batch` it reads the batch's transaction."""
        if getattr(self._local, "batch", None) is not None:
            with self.read() as session:
                yield Tx.of(session)
            return
        pooled = self.engine.raw_connection()
        tx = Tx.on_pool_connection(pooled, self.engine)
        dbapi = pooled.driver_connection
        try:
            if self.is_sqlite:
                dbapi.execute("BEGIN")
            yield tx
        except Exception as exc:
            raised = self._refused_as(exc)
            if raised is None:
                raise
            raise raised from exc
        finally:
            try:
                if not self.is_sqlite:
                    dbapi.rollback()
                elif dbapi.in_transaction:
                    dbapi.execute("ROLLBACK")
            finally:
                tx.release()

    def _refused_as(self, exc: BaseException) -> BaseException | None:
        """What a failure inside one of this database's transactions is raised as: bad input
        (``query_value_invalid``) for a value the database cannot take, SQLAlchemy's ``DBAPIError``
        for the driver's own error (as SQLAlchemy raises it elsewhere); None: as it is."""
        if unbindable(exc):
            return InvalidInput("query_value_invalid", detail=type(exc).__name__)
        if isinstance(exc, self._dbapi_error):
            return sa_exc.DBAPIError.instance(None, None, exc, self._dbapi_error)
        return None

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writer_engine is not self.engine:
            self._writer_engine.dispose()


COMMAND_SAVEPOINT = "sinkledger_command"


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

    def _maybe_commit(self) -> None:
        if self._since_commit and (self._since_commit >= self.commit_every
                                   or time.monotonic() - self._committed_at >= self.commit_every_s):
            self.connection.commit()
            self.commits += 1
            self._since_commit, self._committed_at = 0, time.monotonic()
            self._begin()
        self.steps += 1
        self._since_commit += 1

    @contextmanager
    def command_step(self) -> Iterator[Connection]:
        """One ledger command (:meth:`Database.command`): a savepoint written on the driver's
        connection itself (``SAVEPOINT``/``RELEASE``/``ROLLBACK TO``: a few microseconds, where
        SQLAlchemy's ``begin_nested`` costs the better part of a millisecond a command). A
        handler that asks for an ORM session gets a SQLAlchemy savepoint of its own inside this
        one (:class:`ledger.sql.Tx`, ``nested_session``), so a failed flush rolls back only
        that."""
        self._maybe_commit()
        driver = self.connection.connection.driver_connection
        driver.execute(f"SAVEPOINT {COMMAND_SAVEPOINT}")
        try:
            yield self.connection
        except BaseException as exc:
            if self.connection.in_transaction():
                driver.execute(f"ROLLBACK TO SAVEPOINT {COMMAND_SAVEPOINT}")
                driver.execute(f"RELEASE SAVEPOINT {COMMAND_SAVEPOINT}")
            raised = self.db._refused_as(exc)
            if raised is None:
                raise
            raise raised from exc
        driver.execute(f"RELEASE SAVEPOINT {COMMAND_SAVEPOINT}")

    @contextmanager
    def step(self) -> Iterator[Connection]:
        """One write through the ORM (:meth:`Database.write` in a batch): a SQLAlchemy savepoint,
        released on success and rolled back on a refusal."""
        self._maybe_commit()
        savepoint = self.connection.begin_nested()
        try:
            yield self.connection
        except BaseException as exc:
            savepoint.rollback()
            raised = self.db._refused_as(exc)
            if raised is None:
                raise
            raise raised from exc
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
    orig = getattr(exc, "orig", exc)  # the driver's own error, wrapped by SQLAlchemy or not
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
        # A county's ledger is gigabytes: 64 MiB of page cache per connection (SQLite's default is
        # 2 MiB) keeps the indexes every command reads in memory.
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        # Statement and savepoint journals in memory, not in temporary files: every command runs
        # in a savepoint (Database.batch) or writes several rows a statement, and SQLite saves each
        # page it is about to change there first; in files, that is a write system call a page.
        # A sale on the county ledger: 0.61-0.66 ms → 0.56-0.57 ms (BENCHMARKS.md, issue 15).
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if conn.connection.driver_connection.in_transaction:
            return  # a command's own transaction (Database.command), joined by its ORM session
        write = conn.get_execution_options().get("sinkledger_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
