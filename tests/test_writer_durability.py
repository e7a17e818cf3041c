"""The writer path's durability: PostgreSQL's group commit by early lock release
(``Database.write()`` commits with ``synchronous_commit`` off inside the writer lock, then waits
for the WAL flush outside it) and SQLite's ``synchronous`` mode as a setting
(``SINKLEDGER_SQLITE_SYNCHRONOUS``).

The PostgreSQL tests need ``SINKLEDGER_TEST_PG_URL`` (skipped with the reason otherwise); the
concurrency and crash tests (``tests/ledger/test_concurrency.py``, ``tests/test_crashes.py``) run
on the same path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

import sinkledger.db.database as database
from sinkledger.config import load_settings
from sinkledger.db.database import Database
from sinkledger_base.errors import InvalidInput
from tests.conftest import PG_URL, pg_available

SCRATCH = "writer_durability_scratch"


# --- SINKLEDGER_SQLITE_SYNCHRONOUS ----------------------------------------------------------------

@pytest.mark.parametrize(("given", "mode"), [(None, "FULL"), ("", "FULL"), (" ", "FULL"), ("FULL", "FULL"),
                                             ("full", "FULL"), ("NORMAL", "NORMAL"), (" normal ", "NORMAL")])
def test_the_sqlite_synchronous_setting_is_full_unless_normal_is_asked_for(given, mode):
    env = {} if given is None else {"SINKLEDGER_SQLITE_SYNCHRONOUS": given}
    assert load_settings(env).sqlite_synchronous == mode


@pytest.mark.parametrize("bad", ["OFF", "EXTRA", "0", "1", "fast", "NORMAL;DROP"])
def test_any_other_sqlite_synchronous_mode_is_refused_when_the_settings_load(bad):
    """OFF (a crash may corrupt the database) and EXTRA are not offered; nor is anything else."""
    with pytest.raises(InvalidInput) as refusal:
        load_settings({"SINKLEDGER_SQLITE_SYNCHRONOUS": bad})
    assert refusal.value.code == "setting_value_unknown"
    assert refusal.value.params == {"variable": "SINKLEDGER_SQLITE_SYNCHRONOUS", "value": bad,
                                    "choices": "FULL, NORMAL"}


def _pragma_synchronous(db: Database) -> int:
    with db.read() as s:
        return s.execute(text("PRAGMA synchronous")).scalar()


@pytest.mark.parametrize(("mode", "level"), [("FULL", 2), ("NORMAL", 1)])
def test_every_sqlite_connection_uses_the_configured_mode(tmp_path, mode, level):
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "SINKLEDGER_HOME": str(tmp_path),
                              "SINKLEDGER_SQLITE_SYNCHRONOUS": mode})
    db = Database.from_settings(settings)
    try:
        assert _pragma_synchronous(db) == level
        with db.write() as s:
            assert s.execute(text("PRAGMA synchronous")).scalar() == level
            assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            # statement and savepoint journals in memory (a write call a page saved, in files)
            assert s.execute(text("PRAGMA temp_store")).scalar() == 2
    finally:
        db.dispose()


def test_database_refuses_a_mode_the_settings_would_have_refused(tmp_path):
    with pytest.raises(ValueError):
        Database(f"sqlite:///{tmp_path / 's.db'}", sqlite_synchronous="OFF")


def test_the_cli_refuses_to_start_with_a_bad_sqlite_synchronous_mode(tmp_path):
    env = {**os.environ, "SINKLEDGER_HOME": str(tmp_path), "SINKLEDGER_SQLITE_SYNCHRONOUS": "OFF"}
    proc = subprocess.run([sys.executable, "-m", "sinkledger", "--database-url", f"sqlite:///{tmp_path / 'c.db'}",
                           "verify"], capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode == 2, proc.stderr[-800:]
    assert "setting_value_unknown" in proc.stderr and "SINKLEDGER_SQLITE_SYNCHRONOUS" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- PostgreSQL: early lock release, durable before write() returns ----------------------------

@pytest.fixture
def pg() -> Iterator[Database]:
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    db = Database(PG_URL)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {SCRATCH}")
        conn.exec_driver_sql(f"CREATE TABLE {SCRATCH} (id BIGSERIAL PRIMARY KEY, note TEXT NOT NULL)")
    yield db
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {SCRATCH}")
    db.dispose()


def _lagging_writes(db: Database, probe: Engine, n: int) -> int:
    """Write ``n`` times through ``db.write()``; count the writes that returned before the WAL was
    flushed past their commit. The WAL insert position read just after the write's COMMIT (from
    another connection: the position is global) lies at or after the end of its commit record."""
    committed_at: list[str] = []

    def after_commit(_session: Session) -> None:
        with probe.connect() as conn:
            committed_at.append(conn.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar())

    lagging = 0
    event.listen(Session, "after_commit", after_commit)
    try:
        for i in range(n):
            committed_at.clear()
            with db.write() as s:
                s.execute(text(f"INSERT INTO {SCRATCH} (note) VALUES (:n)"), {"n": f"write {i}"})
            with probe.connect() as conn:
                flushed = conn.execute(text("SELECT pg_current_wal_flush_lsn() >= CAST(:lsn AS pg_lsn)"),
                                       {"lsn": committed_at[0]}).scalar()
            lagging += not flushed
    finally:
        event.remove(Session, "after_commit", after_commit)
    return lagging


def test_write_returns_only_once_its_commit_is_flushed(pg):
    probe = create_engine(PG_URL)
    try:
        assert _lagging_writes(pg, probe, 40) == 0
    finally:
        probe.dispose()


@pytest.mark.parametrize("wait", ["none", "xid_only"])
def test_without_the_flushing_transaction_write_would_return_early(pg, monkeypatch, wait):
    """The check above can fail: with no wait, or with a wait that only takes an xid (a transaction
    that wrote no WAL commits asynchronously, whatever synchronous_commit says), writes return
    before their commit is on disk. The WAL writer flushes every wal_writer_delay (200 ms), so
    nearly every one of these quick writes is caught lagging; one is enough."""
    if wait == "none":
        monkeypatch.setattr(Database, "wait_durable", lambda self, *connection: None)
    else:
        monkeypatch.setattr(database, "PG_WAIT_DURABLE", text("SELECT pg_current_xact_id()"))
    probe = create_engine(PG_URL)
    try:
        assert _lagging_writes(pg, probe, 40) > 0
    finally:
        probe.dispose()


def test_the_write_transaction_alone_commits_asynchronously_and_holds_the_lock(pg):
    with pg.write() as s:
        assert s.execute(text("SHOW synchronous_commit")).scalar() == "off"
        held = s.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                              "AND objid = :k AND pid = pg_backend_pid()"), {"k": database.WRITER_LOCK_KEY}).scalar()
        assert held == 1
    with pg.read() as s:  # SET LOCAL: the connection returns to the pool with the server's setting
        assert s.execute(text("SHOW synchronous_commit")).scalar() == "on"
    with pg.engine.connect() as conn:  # in this database: the suite's other workers lock their own
        assert conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k "
                                 "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                            {"k": database.WRITER_LOCK_KEY}).scalar() == 0


def test_a_refused_write_leaves_nothing_and_waits_for_nothing(pg, monkeypatch):
    waits: list[int] = []
    monkeypatch.setattr(Database, "wait_durable", lambda self, *connection: waits.append(1))
    with pytest.raises(RuntimeError), pg.write() as s:
        s.execute(text(f"INSERT INTO {SCRATCH} (note) VALUES ('refused')"))
        raise RuntimeError("refused")
    with pg.read() as s:
        assert s.execute(text(f"SELECT count(*) FROM {SCRATCH}")).scalar() == 0
    assert waits == []


KILLED_BETWEEN_COMMIT_AND_FLUSH = r"""
import os, sys, time
from sinkledger.config import load_settings
from sinkledger.db.database import Database
from sinkledger.services.registry import Service

def hang(self, driver_connection):  # COMMIT has returned; the flush is not awaited: say so and wait for SIGKILL
    driver_connection.execute("COMMIT")
    print("committed", flush=True)
    time.sleep(600)

Database.commit_durable = hang  # a command's COMMIT and its wait for the flush, split here
svc = Service.open(load_settings({"DATABASE_URL": sys.argv[1]}))
svc.sell(svc.actor("clerk"), "killed-after-commit", seller_account=sys.argv[2], buyer_account="ENT-0002-H",
         quantity=1, price_fen_per_t=7341, contract_no="C-killed")
"""


@pytest.mark.slow
def test_a_writer_killed_between_commit_and_flush_leaves_a_whole_entry_that_a_retry_finds(pg, tmp_path):
    """SIGKILL after COMMIT, before the wait for the flush: the sale is recorded whole (the server
    did not crash), verify passes, and the retry with the same request id returns it, once."""
    from sinkledger.services.registry import Service

    pg.drop_schema()
    env = {**os.environ, "SINKLEDGER_HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "sinkledger", "--database-url", PG_URL]
    assert subprocess.run([*cli, "demo"], capture_output=True, text=True, timeout=600, env=env).returncode == 0
    balances = json.loads(subprocess.run([*cli, "balances", "--json"], capture_output=True, text=True, timeout=300,
                                         env=env).stdout)["by_account"]
    seller = next(b for b in balances if b["account_id"] != "ENT-0002-H" and b["held_t"] > 5)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BETWEEN_COMMIT_AND_FLUSH, PG_URL, seller["account_id"]],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "committed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    time.sleep(0.3)  # the server notices the dropped connection (nothing of ours is open)
    svc = Service.open(load_settings({"DATABASE_URL": PG_URL, "SINKLEDGER_HOME": str(tmp_path)}))
    try:
        assert svc.verify().ok
        recorded = [e for e in svc.journal(kind="sale", limit=1000) if e["request_id"] == "killed-after-commit"]
        assert len(recorded) == 1
        retry = svc.sell(svc.actor("clerk"), "killed-after-commit", seller_account=seller["account_id"],
                         buyer_account="ENT-0002-H", quantity=1, price_fen_per_t=7341, contract_no="C-killed")
        assert retry["replayed"] and retry["seq"] == recorded[0]["seq"]
        assert svc.account_balance(seller["account_id"])["held_t"] == seller["held_t"] - 1
    finally:
        svc.db.dispose()


def _lagging_commands(db: Database, probe: Engine, n: int, monkeypatch, wait: bool) -> int:  # type: ignore[no-untyped-def]
    """As :func:`_lagging_writes`, through ``db.command()`` (every ledger command's transaction):
    ``commit_durable``'s one query is split in its two statements, ``COMMIT`` and the flushing
    statement of ``wait_durable``, and the WAL insert position is read between them (left out
    without ``wait``)."""
    committed_at: list[str] = []
    assert database.PG_COMMIT_DURABLE_SQL == f"COMMIT; {database.PG_WAIT_DURABLE_SQL}"

    def split(self, driver_connection):  # type: ignore[no-untyped-def]
        driver_connection.execute("COMMIT")
        with probe.connect() as conn:
            committed_at.append(conn.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar())
        if wait:
            driver_connection.execute(database.PG_WAIT_DURABLE_SQL)

    monkeypatch.setattr(Database, "commit_durable", split)
    lagging = 0
    for i in range(n):
        committed_at.clear()
        with db.command() as tx:
            tx.run(f"INSERT INTO {SCRATCH} (note) VALUES (:n)", {"n": f"command {i}"})
        with probe.connect() as conn:
            flushed = conn.execute(text("SELECT pg_current_wal_flush_lsn() >= CAST(:lsn AS pg_lsn)"),
                                   {"lsn": committed_at[0]}).scalar()
        lagging += not flushed
    return lagging


def test_a_command_returns_only_once_its_commit_is_flushed_and_would_not_without_the_wait(pg, monkeypatch):
    probe = create_engine(PG_URL)
    try:
        assert _lagging_commands(pg, probe, 40, monkeypatch, wait=True) == 0
        assert _lagging_commands(pg, probe, 40, monkeypatch, wait=False) > 0
    finally:
        probe.dispose()
    with pg.read() as s:  # the commands' transactions committed every row, and left the setting as it was
        assert s.execute(text(f"SELECT count(*) FROM {SCRATCH}")).scalar() == 80
        assert s.execute(text("SHOW synchronous_commit")).scalar() == "on"


def test_a_command_commits_and_waits_for_the_flush_in_one_query(pg):
    """The one query of ``commit_durable``: after its ``COMMIT``, the flushing statement runs in a
    transaction of its own under the server's ``synchronous_commit`` (the command's ``off`` was
    local to the committed transaction), so the wait is the one :func:`_lagging_commands` checks;
    the writer lock is free once the query returns, and the WAL is flushed past every row the
    command wrote."""
    probe = create_engine(PG_URL)
    try:
        for i in range(20):
            with pg.command() as tx:
                tx.run(f"INSERT INTO {SCRATCH} (note) VALUES (:n)", {"n": f"one query {i}"})
                written = tx.one("SELECT pg_current_wal_insert_lsn()::text")[0]
                assert tx.one("SHOW synchronous_commit")[0] == "off"
            with probe.connect() as conn:
                assert conn.execute(text("SELECT pg_current_wal_flush_lsn() >= CAST(:lsn AS pg_lsn)"),
                                    {"lsn": written}).scalar()
                assert conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k "
                                         "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                                    {"k": database.WRITER_LOCK_KEY}).scalar() == 0
        raw = pg.engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            dbapi.autocommit = True
            cursor = dbapi.execute(f"{database.PG_BEGIN_COMMAND_SQL}; SHOW synchronous_commit; COMMIT; "
                                   "SHOW synchronous_commit")
            settings = []
            while True:  # one result per statement, in order
                if cursor.description is not None and cursor.description[0].name == "synchronous_commit":
                    settings.append(cursor.fetchone()[0])
                if not cursor.nextset():
                    break
            assert settings == ["off", "on"]
            dbapi.autocommit = False
        finally:
            raw.close()
    finally:
        probe.dispose()
