"""Public read paths never write: the certificate check (by code and by PDF), the certificate PDF,
and what the public overview shows (balances, the chain's integrity, history, proofs, parcels,
statistics) leave the database exactly as they found it, on both backends.

Three witnesses, each able to fail on its own: every SQL statement the engine runs (no INSERT,
UPDATE, DELETE, DDL, nor a write transaction: SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's writer
lock), the row count of every table, and (SQLite) the database file's SHA-256 once every
connection is closed. A certificate's Merkle checkpoint is recorded when it is issued, in the
same transaction as its entry.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, inspect
from sqlmodel import SQLModel, select

from ledger import merkle
from ledger.court import certificates
from ledger.proofs import journal_size
from ledger.store import CheckpointRow, JournalRow
from sinkledger.services import queries as ui_queries
from tests.court.test_story import story  # noqa: F401 - the fixture

# A statement that changes something, or opens a write transaction.
# (The connection set-up's PRAGMAs are settings, not writes; the file's digest covers SQLite.)
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE|GRANT|VACUUM)\b"
                    r"|BEGIN\s+IMMEDIATE|pg_advisory_xact_lock", re.IGNORECASE)


@contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def row_counts(db: Any) -> dict[str, int]:
    names = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in sorted(SQLModel.metadata.tables.items()) if name in names}


def file_digest(db: Any) -> str | None:
    """The SQLite file's SHA-256 with every connection closed (the WAL folded in), else None."""
    if not db.is_sqlite:
        return None
    db.engine.dispose()
    return hashlib.sha256(Path(db.url.split("///", 1)[1]).read_bytes()).hexdigest()


def write_statements(seen: list[str]) -> list[str]:
    return [s for s in seen if WRITES.search(s)]


def test_the_write_detector_sees_a_write(story):  # type: ignore[no-untyped-def]
    """The witnesses themselves: a checkpoint (a write) is seen by all three."""
    db = story.service.db
    before, digest = row_counts(db), file_digest(db)
    with statements(db.engine) as seen:
        story.service.checkpoint()
    assert write_statements(seen)
    assert row_counts(db)["checkpoint"] == before["checkpoint"] + 1
    assert file_digest(db) != digest or not db.is_sqlite


def test_a_certificate_is_issued_with_its_checkpoint_in_one_transaction(story):  # type: ignore[no-untyped-def]
    """When the court issues a certificate, then a checkpoint covering exactly the journal up to
    the certificate's entry is recorded with it (same size, same time)."""
    svc = story.service
    cert = story.issue_certificate(svc.actor("judge"), order_id=story.order["order_id"])
    with svc.db.read() as s:
        checkpoint = s.exec(select(CheckpointRow).order_by(CheckpointRow.tree_size.desc())).first()
        entry = s.get(JournalRow, cert["seq"])
        assert journal_size(s) == cert["seq"]
    assert checkpoint.tree_size == cert["seq"] and checkpoint.created_at == entry.recorded_at
    assert checkpoint.head_hash == entry.entry_hash
    result = story.verify_certificate(cert["code"])
    assert result["ok"] and all(p["checkpoint"]["tree_size"] == cert["seq"] for p in result["proofs"])


def _issue_without_checkpoint(story) -> dict:  # type: ignore[no-untyped-def]
    """A certificate entry with no checkpoint covering it, as an older release could leave one."""
    svc, order_id = story.service, story.order["order_id"]
    with svc.db.read() as s:
        _, code = certificates.draft_certificate(s, order_id)
    return svc._run(svc.actor("judge"), "court_certificate", f"certificate:{code}",
                    {"order_id": order_id, "code": code},
                    lambda ctx: certificates.issue_certificate(ctx, order_id=order_id, code=code))


def test_checking_a_certificate_writes_nothing(story):  # type: ignore[no-untyped-def]
    """Given a certificate no checkpoint covers (the case that used to write one on checking),
    when the public checks it by code and by PDF and downloads its PDF, then nothing is written,
    and its proofs hold against the root of the journal as it is."""
    svc = story.service
    cert = _issue_without_checkpoint(story)
    code = cert["code"]
    pdf = story.certificate_pdf(code)
    db = svc.db
    assert svc.verify(record=True).ok  # the overview shows the last verified checkpoint
    before, digest = row_counts(db), file_digest(db)
    assert before["checkpoint"] == 0
    with statements(db.engine) as seen:
        by_code = story.verify_certificate(code.lower().replace("-", ""))
        by_pdf = story.verify_certificate_pdf(pdf)
        again = story.certificate_pdf(code)
    assert write_statements(seen) == [] and seen  # the engine was watched, and only read
    assert row_counts(db) == before and file_digest(db) == digest
    assert by_code["ok"] and by_pdf["ok"], (by_code["problems"], by_pdf["problems"])
    assert again == pdf
    with db.read() as s:
        leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in
                  s.exec(select(JournalRow.entry_hash).order_by(JournalRow.seq)).all()]
    root = merkle.root_from_leaf_hashes(leaves).hex()
    assert {(p["tree_size"], p["root"], p["checkpoint"]) for p in by_code["proofs"]} == {(len(leaves), root, None)}

    # The court issuing it again (a retry of the same request) records the missing checkpoint.
    replay = story.issue_certificate(svc.actor("judge"), order_id=story.order["order_id"])
    assert replay["replayed"] and replay["code"] == code
    assert row_counts(db)["checkpoint"] == 1
    assert all(p["checkpoint"] for p in story.verify_certificate(code)["proofs"])


def test_the_public_overview_writes_nothing(story):  # type: ignore[no-untyped-def]
    """The calls behind the public pages (overview, statistics, history, proofs, parcels,
    certificate check) read only."""
    svc = story.service
    cert = story.issue_certificate(svc.actor("judge"), order_id=story.order["order_id"])
    db = svc.db
    assert svc.verify(record=True).ok  # the overview shows the last verified checkpoint
    before, digest = row_counts(db), file_digest(db)
    with statements(db.engine) as seen:
        assert svc.verify().ok and svc.verify_parcels()["ok"]
        assert svc.balances()["by_account"]
        assert svc.journal(limit=5) and svc.proof(1)["root"]
        assert svc.parcels(status="active")
        integrity = ui_queries.integrity(svc)
        assert integrity["ok"] and integrity["checkpoint"]["tree_size"] == cert["seq"]
        assert ui_queries.totals_by_county(svc) and ui_queries.monthly_activity(svc)
        ui_queries.sales(svc)
        assert ui_queries.ledger_version(svc) == cert["seq"]
        assert story.verify_certificate(cert["code"])["ok"]
    assert write_statements(seen) == [] and seen
    assert row_counts(db) == before and file_digest(db) == digest


@pytest.mark.parametrize("statement, writes", [
    ("INSERT INTO checkpoint VALUES (1)", True), ("  update journal_entry set x = 1", True),
    ("BEGIN IMMEDIATE", True), ("SELECT pg_advisory_xact_lock(1)", True), ("CREATE TABLE t (x int)", True),
    ("SELECT count(*) FROM checkpoint", False), ("BEGIN", False),
    ("PRAGMA journal_mode=WAL", False), ("PRAGMA foreign_keys=ON", False)])
def test_the_statement_filter(statement: str, writes: bool) -> None:
    assert bool(write_statements([statement])) is writes
