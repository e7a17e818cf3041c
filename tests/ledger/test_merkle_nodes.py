"""Stored Merkle nodes (``ledger/merkle_nodes.py``, issue 18): proofs read from O(log n) rows are
exactly the proofs computed from the whole journal, for every tree size (powers of two and their
neighbours included); ``verify`` names a node altered, missing or added, in full and
incremental runs; the migration fills the nodes of a ledger made before it."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text

from ledger import merkle, merkle_nodes
from ledger import sql as sql_module
from ledger.bulk import append_many, read_head
from ledger.domain import request_fingerprint
from ledger.proofs import _subtrees_and_roots, check_proof_document, inclusion_proof_from_journal
from ledger.sql import Tx
from sinkledger.db import migrations
from sinkledger.services.registry import SYSTEM_ACTOR

POWERS = [1 << k for k in range(1, 11)]
SIZES = sorted({1, 2, 3} | {p + d for p in POWERS for d in (-1, 0, 1)})


def parties(svc, first: int, n: int) -> None:  # type: ignore[no-untyped-def]
    """``n`` entries through the command path (one transaction each)."""
    for i in range(first, first + n):
        svc.register_party(SYSTEM_ACTOR, f"p:{i}", party_id=f"COL-{i}", kind="collective", name=f"村{i}")


def bulk(svc, n: int) -> int:  # type: ignore[no-untyped-def]
    """``n`` plain entries through the bulk path; the journal's size after."""
    with svc.db.write() as s:
        head = read_head(s.connection())
        rows = [("test_note", f"note-{head[0]}-{i}", request_fingerprint("test_note", "t", {"i": i}), "t",
                 "2026-01-01T00:00:00+00:00", {"i": i}) for i in range(n)]
        return append_many(s, rows, head)[0]


@pytest.fixture
def grown(service):  # type: ignore[no-untyped-def]
    """A journal of a little over 1,100 entries, written by commands, then the bulk path from a
    head that is not a multiple of 16 (in chunks that are not either), then commands again."""
    parties(service, 1, 21)
    with service.db.write() as s:
        head = read_head(s.connection())
        rows = [("test_note", f"note-{i}", request_fingerprint("test_note", "t", {"i": i}), "t",
                 "2026-01-01T00:00:00+00:00", {"i": i}) for i in range(1050)]
        append_many(s, rows, head, chunk=97)
    parties(service, 100, 37)
    return service


def size_of(svc) -> int:  # type: ignore[no-untyped-def]
    with svc.db.read() as s:
        return read_head(s.connection())[0]


def stored(svc) -> dict[tuple[int, int], str]:  # type: ignore[no-untyped-def]
    with svc.db.read() as s:
        return {(level, index): digest for level, index, digest in
                s.connection().exec_driver_sql("SELECT level, node_index, hash FROM merkle_node").all()}


def from_scratch(svc) -> dict[tuple[int, int], str]:  # type: ignore[no-untyped-def]
    with svc.db.read() as s:
        return merkle_nodes._expected_nodes(Tx.of(s), read_head(s.connection())[0])


def unguard(svc) -> None:  # type: ignore[no-untyped-def]
    """Drop the append-only guard of ``merkle_node``, as someone who can write the database could."""
    with svc.db.engine.begin() as conn:
        if svc.db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER merkle_node_no_update")
            conn.exec_driver_sql("DROP TRIGGER merkle_node_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER merkle_node_append_only ON merkle_node")


def run(svc, sql: str) -> None:  # type: ignore[no-untyped-def]
    with svc.db.engine.begin() as conn:
        conn.execute(text(sql))


# -- the nodes and the proofs ---------------------------------------------------------------------

def test_the_stored_nodes_are_the_journals_whichever_path_wrote_it(grown):  # type: ignore[no-untyped-def]
    """Given entries written by commands and by the bulk path, then every complete subtree of 16
    entries and up is stored, with the hash the journal gives it, and nothing else."""
    size = size_of(grown)
    assert size > 1100 and size % 16
    nodes = stored(grown)
    assert len(nodes) == merkle_nodes.stored_count(size) == sum(size >> k for k in range(4, 12))
    assert nodes == from_scratch(grown)
    report = grown.verify(full=True)
    assert report.ok, report.problems


def test_the_stored_nodes_change_nothing_for_the_append_only_guard(grown):  # type: ignore[no-untyped-def]
    with grown.db.engine.connect() as conn:
        for sql in ("UPDATE merkle_node SET hash = hash", "DELETE FROM merkle_node"):
            with pytest.raises(Exception, match="append_only"):
                conn.execute(text(sql))
            conn.rollback()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_proofs_from_stored_nodes_equal_proofs_from_the_whole_journal(grown, data):  # type: ignore[no-untyped-def]
    """For any tree size (powers of two, one less, one more, and any other) and any entry in it,
    the audit path and the root read from the stored nodes are those computed from every entry
    hash, and the document checks offline; the same for consistency proofs."""
    size = size_of(grown)
    tree_size = data.draw(st.sampled_from([s for s in SIZES if s <= size]) | st.integers(1, size), label="tree_size")
    seq = data.draw(st.sampled_from(sorted({1, tree_size, max(1, tree_size - 16), (tree_size + 1) // 2}))
                    | st.integers(1, tree_size), label="seq")
    doc = grown.proof(seq, tree_size)
    with grown.db.read() as s:
        path, root = inclusion_proof_from_journal(s, seq, tree_size)
    assert (doc["proof"], doc["root"]) == ([h.hex() for h in path], root.hex())
    assert check_proof_document(doc) == (True, "ok")
    old = data.draw(st.sampled_from([s for s in SIZES if s <= tree_size]) | st.integers(1, tree_size), label="old")
    cons = grown.consistency_proof(old, tree_size)
    with grown.db.read() as s:
        ranges = merkle.consistency_ranges(old, tree_size)
        subtrees, roots = _subtrees_and_roots(s, ranges, (old, tree_size))
    assert cons["proof"] == [subtrees[r].hex() for r in ranges]
    assert (cons["old_root"], cons["new_root"]) == (roots[old].hex(), roots[tree_size].hex())
    assert merkle.verify_consistency(old_size=old, new_size=tree_size, old_root=roots[old], new_root=roots[tree_size],
                                     proof=[subtrees[r] for r in ranges])


def test_every_entry_of_a_small_journal_has_the_same_proof_as_before(service):  # type: ignore[no-untyped-def]
    """Every entry of every journal size from 1 to 70 (so every shape of the last partial run of 16)."""
    for size in range(size_of(service) + 1, 71):
        parties(service, size, 1)
        assert size_of(service) == size
        for seq in range(1, size + 1):
            doc = service.proof(seq)
            with service.db.read() as s:
                path, root = inclusion_proof_from_journal(s, seq, size)
            assert (doc["proof"], doc["root"]) == ([h.hex() for h in path], root.hex()), (seq, size)
    assert stored(service) == from_scratch(service)


def test_aligned_blocks_and_the_frontier() -> None:
    assert merkle_nodes.aligned_blocks(0, 21) == [(0, 4), (16, 2), (20, 0)]
    assert merkle_nodes.aligned_blocks(1024, 1025) == [(1024, 0)]
    assert merkle_nodes.stored_count(15) == 0 and merkle_nodes.stored_count(16) == 1
    assert merkle_nodes.stored_count(1_000_000) == sum(1_000_000 >> k for k in range(4, 20))
    leaves = [merkle.leaf_hash(bytes([i]) * 32) for i in range(100)]
    maker = merkle_nodes.NodeMaker()
    for h in leaves:
        maker.add(h)
    made = {(lv, i): d for lv, i, d in maker.take()}
    assert made[(6, 0)] == merkle.root_from_leaf_hashes(leaves[:64]).hex()
    assert made[(4, 5)] == merkle.root_from_leaf_hashes(leaves[80:96]).hex()
    assert len(made) == merkle_nodes.stored_count(100)
    with pytest.raises(ValueError, match="not a subtree"):
        merkle_nodes.range_hashes(None, [(3, 9)])  # type: ignore[arg-type]


# -- tampering ----------------------------------------------------------------------------------------

def test_verify_names_a_node_altered_missing_or_added(grown):  # type: ignore[no-untyped-def]
    """Given the stored nodes altered behind the journal's back, when verify runs, then each
    difference is named by table, node (level/index), code and the entry that completed it."""
    unguard(grown)
    run(grown, "UPDATE merkle_node SET hash = '" + "ab" * 32 + "' WHERE level = 4 AND node_index = 3")
    run(grown, "DELETE FROM merkle_node WHERE level = 6 AND node_index = 1")
    run(grown, "INSERT INTO merkle_node (level, node_index, hash) VALUES (4, 100000, '" + "cd" * 32 + "')")
    report = grown.verify(full=True)
    assert not report.ok
    named = [(p["table"], p["key"], p["code"], p["seq"]) for p in report.problems if p.get("table") == "merkle_node"]
    assert named == [("merkle_node", "4/3", "row_differs_from_journal", 64),
                     ("merkle_node", "6/1", "row_missing", 128),
                     ("merkle_node", "4/100000", "row_not_in_journal", None)]
    assert [p for p in report.problems if p.get("table") != "merkle_node"] == []
    assert "merkle_node 4/3: row differs from journal (entry 64)" in [p["problem"] for p in report.problems]


def test_a_proof_against_a_checkpoint_is_right_even_with_a_node_altered(grown):  # type: ignore[no-untyped-def]
    """Given a checkpoint and a node on an entry's audit path altered, then the proof is still
    the journal's (the path from the nodes does not lead to the root), and checks; likewise
    against a tree size no checkpoint was recorded at."""
    cp = grown.checkpoint()
    size = cp["tree_size"]
    seq = 40  # leaf 39: its path holds node 4/3 (entries 49..64) and 5/0
    unguard(grown)
    run(grown, "UPDATE merkle_node SET hash = '" + "ab" * 32 + "' WHERE level = 4 AND node_index = 3")
    doc = grown.proof(seq)
    with grown.db.read() as s:
        path, root = inclusion_proof_from_journal(s, seq, size)
    assert doc["checkpoint"]["root"] == cp["root"] == root.hex()
    assert doc["proof"] == [h.hex() for h in path]
    assert check_proof_document(doc) == (True, "ok")
    doc = grown.proof(seq, 100)
    with grown.db.read() as s:
        path, root = inclusion_proof_from_journal(s, seq, 100)
    assert doc["checkpoint"] is None and (doc["proof"], doc["root"]) == ([h.hex() for h in path], root.hex())


def test_a_missing_node_is_computed_from_the_journal(grown):  # type: ignore[no-untyped-def]
    unguard(grown)
    run(grown, "DELETE FROM merkle_node WHERE level >= 5")
    size = size_of(grown)
    doc = grown.proof(3)
    with grown.db.read() as s:
        path, root = inclusion_proof_from_journal(s, 3, size)
    assert (doc["proof"], doc["root"]) == ([h.hex() for h in path], root.hex())


def test_an_incremental_verify_checks_the_nodes_its_tail_completed(grown):  # type: ignore[no-untyped-def]
    """Given a recorded verify, then entries appended after it: a node they completed, altered,
    is named by the incremental run, so is a node added after them; a node taken away before
    them shows in the row count."""
    assert grown.verify(record=True).ok
    before = size_of(grown)
    parties(grown, 500, 40)
    size = size_of(grown)
    assert grown.verify(full=False).ok
    tail_node = (4, size // 16 - 1)
    assert (tail_node[1] + 1) * 16 > before
    unguard(grown)
    run(grown, f"UPDATE merkle_node SET hash = '{'ef' * 32}' WHERE level = 4 AND node_index = {tail_node[1]}")
    report = grown.verify(full=False)
    assert report.mode == "incremental" and not report.ok
    assert [(p["key"], p["code"]) for p in report.problems] == [(f"4/{tail_node[1]}", "row_differs_from_journal")]
    run(grown, f"DELETE FROM merkle_node WHERE level = 4 AND node_index = {tail_node[1]}")
    restored = from_scratch(grown)[tail_node]
    run(grown, f"INSERT INTO merkle_node (level, node_index, hash) VALUES (4, {tail_node[1]}, '{restored}')")
    assert grown.verify(full=False).ok
    run(grown, "INSERT INTO merkle_node (level, node_index, hash) VALUES (4, 99999, '" + "cd" * 32 + "')")
    report = grown.verify(full=False)
    assert [(p["key"], p["code"]) for p in report.problems] == [("4/99999", "row_not_in_journal")]
    run(grown, "DELETE FROM merkle_node WHERE level = 4 AND node_index = 99999")
    run(grown, "DELETE FROM merkle_node WHERE level = 5 AND node_index = 0")  # verified before the tail
    report = grown.verify(full=False)
    assert [(p["key"], p["code"]) for p in report.problems] == [("*", "row_count_differs")]


# -- the migration ----------------------------------------------------------------------------------

def test_the_migration_fills_the_nodes_of_a_ledger_made_before_it(grown):  # type: ignore[no-untyped-def]
    """Given a ledger at revision 0012 (no merkle_node table), when it is upgraded, then every
    node is computed from its journal, proofs read them, and the ledger verifies."""
    expected = stored(grown)
    with grown.db.engine.begin() as conn:
        command.downgrade(migrations.config(conn), "0012_public_registry")
        assert not conn.dialect.has_table(conn, "merkle_node")
    grown.db.dispose()
    with grown.db.engine.begin() as conn:
        migrations.upgrade(conn)
        assert migrations.current_revision(conn) == migrations.head_revision()  # through 0013 and on
    assert stored(grown) == expected == from_scratch(grown)
    parties(grown, 900, 20)  # and the table goes on from there
    assert stored(grown) == from_scratch(grown)
    assert grown.verify(full=True).ok


def test_fill_reports_progress(grown):  # type: ignore[no-untyped-def]
    seen: list[tuple[int, int]] = []
    expected = stored(grown)
    unguard(grown)
    run(grown, "DELETE FROM merkle_node")
    with grown.db.write() as s:
        merkle_nodes.PAGE_ROWS, page = 500, merkle_nodes.PAGE_ROWS
        try:
            written = merkle_nodes.fill(Tx.of(s), lambda done, total: seen.append((done, total)))
        finally:
            merkle_nodes.PAGE_ROWS = page
    size = size_of(grown)
    assert written == len(expected) and stored(grown) == expected
    assert seen == [(500, size), (1000, size), (size, size)]


# -- the cost ---------------------------------------------------------------------------------------

def test_a_proof_reads_a_few_rows_by_index(grown, monkeypatch):  # type: ignore[no-untyped-def]
    """A public entry with its proof: three statements whatever the journal's length (the entry
    read; the proof's context; the stored nodes and the few entry hashes together), none scanning
    the journal or the nodes. SQLite: its query plans. PostgreSQL: the plans with sequential scans
    priced out (``enable_seqscan=off``), so a ``Seq Scan`` left means no index can serve it; on a
    table this small the planner would otherwise rightly prefer one."""
    statements: list[tuple[str, object]] = []
    if grown.db.is_sqlite:
        grown.db.dispose()
        event.listen(grown.db.engine, "connect",
                     lambda conn, record: conn.set_trace_callback(lambda sql: statements.append((sql, None))))
    else:  # statements through the engine, and the plain ones a Tx runs on its own cursor
        event.listen(grown.db.engine, "before_cursor_execute",
                     lambda conn, cursor, sql, params, context, many: statements.append((sql, params)))
        run = Tx.run

        def traced(tx, sql, params=None):  # type: ignore[no-untyped-def]
            statements.append((sql_module._pg(sql), dict(params or {})))
            return run(tx, sql, params)
        monkeypatch.setattr(Tx, "run", traced)
    size = size_of(grown)
    statements.clear()
    entry = grown.public.entry(size // 2 + 3)
    assert entry["proof_ok"] is True
    selects = [(sql, params) for sql, params in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3, selects  # the entry; the entry, the journal's size, the checkpoint; nodes and hashes
    if grown.db.is_sqlite:
        with sqlite3.connect(grown.db.engine.url.database) as conn:
            for sql, _ in selects:
                plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
                assert not [p for p in plan if p.startswith("SCAN") and ("journal_entry" in p or "merkle_node" in p)], \
                    (sql, plan)
        return
    with grown.db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            for sql, params in selects:
                cursor.execute("EXPLAIN " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
                assert not [p for p in plan if "Seq Scan" in p and ("journal_entry" in p or "merkle_node" in p)], \
                    (sql, plan)
        raw.rollback()
