"""A read through the bare database driver, for the CLI's quick commands (issue 17).

``sinkledger balances`` needs two queries; loading SQLAlchemy, SQLModel and every table's model to
run them costs many times the query itself. :func:`read` opens the database named by the settings
with the driver alone (``sqlite3``; for ``postgresql+psycopg://``, ``psycopg2``, a dependency, or
``psycopg`` where it is missing), and answers only
when the database is one the full service would open unchanged: it has the schema, the schema is
at the head revision (:mod:`sinkledger.db.revisions`) and the registry is initialised. In every
other case (another driver, URL options, a file that does not exist, an older schema to migrate,
an uninitialised database, a server that does not answer) it returns None and the caller goes
through the service, which migrates or refuses exactly as before.

Why a second PostgreSQL driver: ``import psycopg`` (3.x) alone takes about three times a bare
``python -c pass`` here (its package imports asyncio, its error table and the whole type system);
``import psycopg2`` about a sixth of that (BENCHMARKS.md, issue 17). Both speak libpq; the read
is two plain SELECTs in a read-only repeatable-read transaction, the same through either.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Callable, Sequence, TypeVar

from sinkledger.db import revisions

T = TypeVar("T")
Rows = Callable[[str], Sequence[Sequence[Any]]]
REGISTRY_PARTY_ID = "REGISTRY"  # ledger.parties.REGISTRY_PARTY_ID (tests/test_cli_imports.py checks)
_SQLITE = "sqlite:///"
_PSYCOPG = "postgresql+psycopg://"


def read(database_url: str, query: Callable[[Rows], T]) -> T | None:
    """``query(rows)`` in one read-only transaction of the bare driver, or None (see the module)."""
    conn = _connect(database_url)
    if conn is None:
        return None
    try:
        return _read(conn, query)
    except _driver_errors(conn):  # locked, unreadable, a table missing: the service says why
        return None
    finally:
        try:
            conn.rollback()
        except _driver_errors(conn):
            pass
        conn.close()


def _driver_errors(conn: Any) -> tuple[type[BaseException], ...]:
    sqlite3 = _sqlite3()
    if isinstance(conn, sqlite3.Connection):
        return (sqlite3.Error,)
    return (sys.modules[type(conn).__module__.split(".")[0]].Error,)  # psycopg2's or psycopg's, loaded


def _read(conn: Any, query: Callable[[Rows], T]) -> T | None:
    cur = conn.cursor()

    def rows(sql: str) -> Sequence[Sequence[Any]]:
        cur.execute(sql)
        return cur.fetchall()

    if isinstance(conn, _sqlite3().Connection):
        cur.execute("BEGIN")
        has_tables = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('journal_entry', 'alembic_version')"
    else:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        has_tables = "SELECT (to_regclass('journal_entry') IS NOT NULL)::int + (to_regclass('alembic_version') IS NOT NULL)::int"
    if rows(has_tables)[0][0] != 2 or revisions.current_revision(rows) != revisions.head_revision():
        return None
    if not rows(f"SELECT count(*) FROM party WHERE id = '{REGISTRY_PARTY_ID}'")[0][0]:
        return None
    return query(rows)


def _sqlite3() -> Any:
    import sqlite3  # deferred on purpose: only the backend in use loads its driver

    return sqlite3


def _connect(url: str) -> Any:
    if url.startswith(_SQLITE):
        path = url[len(_SQLITE):]
        if not path or "?" in path or "%" in path or path == ":memory:" or not os.path.isfile(path):
            return None
        sqlite3 = _sqlite3()
        try:
            conn = sqlite3.connect(path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=60000")
            return conn
        except sqlite3.Error:
            return None
    if url.startswith(_PSYCOPG):
        driver = _postgres_driver()
        if driver is None:
            return None
        try:
            return driver.connect("postgresql://" + url[len(_PSYCOPG):], connect_timeout=10)
        except (driver.Error, ValueError):
            return None
    return None


def _postgres_driver() -> Any:
    """psycopg2 when installed (the quicker import), else psycopg, else None."""
    for name in ("psycopg2", "psycopg"):  # deferred on purpose: only the backend in use loads its driver
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None
