"""Helpers shared by the table-audit tests of the areas (``tests/income/test_income_audit.py``,
``tests/court/test_court_audit.py``): tamper with a table behind the journal's back, undo it,
and assert that ``verify`` catches and locates each case. Not a test module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text


def tamper(svc, sql: str, params: dict[str, Any] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Run ``sql`` directly, as someone who can write the database would."""
    with svc.db.engine.begin() as conn:
        conn.execute(text(sql), params or {})


def unguard(svc, *tables: str) -> None:  # type: ignore[no-untyped-def]
    """Drop the append-only guards of ``tables``, as someone who can write the database could."""
    for table in tables:
        if svc.db.is_sqlite:
            for trigger in (f"{table}_no_update", f"{table}_no_delete"):
                tamper(svc, f"DROP TRIGGER IF EXISTS {trigger}")
        else:
            tamper(svc, f"ALTER TABLE {table} DISABLE TRIGGER USER")


def drop_journal_guard(svc) -> None:  # type: ignore[no-untyped-def]
    """Drop the trigger that refuses edits of journal rows, as such a person could."""
    with svc.db.engine.begin() as conn:
        if svc.db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_append_only ON journal_entry")


def scalar(svc, sql: str) -> Any:  # type: ignore[no-untyped-def]
    with svc.db.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def blob(svc) -> str:  # type: ignore[no-untyped-def]
    """A two-byte binary literal in the backend's SQL."""
    return "x'00ff'" if svc.db.engine.dialect.name == "sqlite" else "'\\x00ff'::bytea"


@contextmanager
def restored(svc, table: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Rewrite ``table`` as it was on leaving the block, whatever was done to it inside."""
    with svc.db.engine.connect() as conn:
        result = conn.execute(text(f"SELECT * FROM {table}"))
        columns = list(result.keys())
        rows = [dict(zip(columns, row)) for row in result]
    try:
        yield
    finally:
        with svc.db.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table}"))
            if rows:
                conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) "
                                  f"VALUES ({', '.join(':' + c for c in columns)})"), rows)


def located(svc, table: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    report = svc.verify()
    assert not report.ok, f"a tampering of {table} was not caught"
    return [p for p in report.problems if p.get("table") == table]


def assert_each_case_caught_and_located(svc,  # type: ignore[no-untyped-def]
                                        cases: list[tuple[str, str, str, str | None, str | None]]) -> None:
    """Each case: (table, tampering SQL, problem code, SQL giving the key, SQL giving the entry's
    seq); the key and seq are read before the tampering. Every case must be caught and located."""
    for table, sql, code, key_sql, seq_sql in cases:
        key = scalar(svc, key_sql) if key_sql else None
        seq = scalar(svc, seq_sql) if seq_sql else None
        with restored(svc, table):
            tamper(svc, sql)
            found = located(svc, table)
            assert found, (table, sql)
            problem = found[0]
            assert problem["code"] == code, (sql, problem)
            if key is not None:
                assert problem["key"] == str(key), (sql, problem)
            if seq is not None:
                assert problem["seq"] == seq, (sql, problem)
        assert svc.verify().ok, f"{table} was not restored"


def tail_report(svc, after_seq: int):  # type: ignore[no-untyped-def]
    """An incremental run of every table audit over the entries after ``after_seq``."""
    from ledger.table_audits import default_audits
    from ledger.verify import VerifyReport

    report = VerifyReport()
    with svc.db.read() as s:
        audits = default_audits()
        for audit in audits:
            audit.begin(s, after_seq)
        rows = s.execute(text("SELECT seq, kind, recorded_at, body FROM journal_entry WHERE seq > :a ORDER BY seq"),
                         {"a": after_seq}).all()
        for seq, kind, recorded_at, body in rows:
            for audit in audits:
                audit.entry(seq, kind, recorded_at, json.loads(body)["payload"])
        for audit in audits:
            audit.finish(s, report)
    return report
