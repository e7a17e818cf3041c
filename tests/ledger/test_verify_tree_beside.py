"""A full verify with ``jobs=2`` computes the Merkle tree (checkpoints, stored subtree hashes) in
the table audits' second process, from the entry hashes it reads, while this process checks the
chain and replays the moves: the report is the one-process report, problem for problem, whatever
is tampered with and in whichever order the problems come; a second process that cannot say is
replaced by a read here. The second process is forked when this process runs no other thread,
spawned otherwise, with the same findings. Both backends (issue 16)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

import ledger.audit
import ledger.verify
from ledger.bulk import append_many, read_head
from ledger.domain import request_fingerprint
from ledger.table_audits import table_audits
from ledger.verify import verify_ledger
from tests.table_audit_helpers import scalar, tamper, unguard


@pytest.fixture
def ledger_(funded):  # type: ignore[no-untyped-def]
    """Given 40 sales with two recorded checkpoints among them (stored subtree hashes: 16 entries
    and up)."""
    svc = funded
    clerk = svc.actor("clerk")
    for i in range(40):
        svc.sell(clerk, f"s-{i}", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                 price_fen_per_t=4_500, contract_no=f"HZ-{i}")
        if i in (12, 30):
            svc.checkpoint()
    return svc


@pytest.fixture
def beside(monkeypatch):  # type: ignore[no-untyped-def]
    """Audits (and the tree) beside the replay whatever the journal's size."""
    monkeypatch.setattr(ledger.audit, "BESIDE_MIN_ENTRIES", 0)


@pytest.fixture
def reads_here(monkeypatch):  # type: ignore[no-untyped-def]
    """The sizes this process read the tree to, itself (a forked child's reads are not seen here)."""
    seen: list[int] = []
    real = ledger.verify.TreeWalk.read

    def read(self, session, up_to):  # type: ignore[no-untyped-def]
        seen.append(up_to)
        return real(self, session, up_to)

    monkeypatch.setattr(ledger.verify.TreeWalk, "read", read)
    return seen


def run(svc, jobs: int):  # type: ignore[no-untyped-def]
    audits = table_audits()
    with svc.db.read() as s:
        report = verify_ledger(s, full=True, observers=[audits], jobs=jobs)
    return report, audits


def findings(report) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(p.get("seq"), p.get("table"), p.get("key"), p.get("code"), p["problem"]) for p in report.problems]


def both(svc):  # type: ignore[no-untyped-def]
    one, _ = run(svc, 1)
    two, audits = run(svc, 2)
    return one, two, audits


def checkpoint_sizes(svc) -> list[int]:  # type: ignore[no-untyped-def]
    with svc.db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT tree_size FROM checkpoint ORDER BY tree_size"))]


def append_bad_move(svc) -> int:  # type: ignore[no-untyped-def]
    """An entry, rightly chained and hashed, whose move is of serials nobody holds: the replay
    refuses it. Its seq."""
    with svc.db.write() as s:
        head = read_head(s.connection())
        move = {"batch_id": "NO-SUCH/1", "first": 1, "last": 1, "from_account": "COL-1-H", "from_state": "held",
                "to_account": "ENT-1-H", "to_state": "held", "tag": None}
        payload = {"seller_account": "COL-1-H", "buyer_account": "ENT-1-H", "quantity": 1, "price_fen_per_t": 1,
                   "amount_fen": 1, "contract_no": "X", "moves": [move]}
        append_many(s, [("sale", "bad-move", request_fingerprint("sale", "t", payload), "t",
                         "2026-01-01T00:00:00+00:00", payload)], head)
        return head[0] + 1


def test_an_intact_ledger_takes_the_tree_from_the_second_process(ledger_, beside, reads_here):  # type: ignore[no-untyped-def]
    one, two, audits = both(ledger_)
    assert audits.ran_beside and one.ok and two.ok, (one.problems, two.problems)
    assert one.to_dict() == two.to_dict() and one.state == two.state  # root, frontier, digests, counts
    assert two.checkpoints == 2 and two.merkle_root
    assert reads_here == []  # neither run read the tree a second time here


@pytest.mark.parametrize("case", ["checkpoint", "node", "checkpoint_and_later_body", "body_before_checkpoint",
                                  "checkpoint_before_bad_move", "bad_move", "beyond_the_journal",
                                  "node_and_balance", "checkpoint_and_balance"])
def test_tampering_is_found_exactly_as_in_one_process(ledger_, beside, case):  # type: ignore[no-untyped-def]
    svc = ledger_
    first, second = checkpoint_sizes(svc)
    sale_after = scalar(svc, f"SELECT min(seq) FROM journal_entry WHERE kind = 'sale' AND seq > {second}")
    sale_before = scalar(svc, f"SELECT max(seq) FROM journal_entry WHERE kind = 'sale' AND seq < {first}")
    if case in ("checkpoint", "checkpoint_and_later_body", "body_before_checkpoint", "checkpoint_before_bad_move",
                "checkpoint_and_balance"):
        unguard(svc, "checkpoint")
        tamper(svc, f"UPDATE checkpoint SET root = '{'ab' * 32}' WHERE tree_size = {second}")
    if case in ("node_and_balance", "checkpoint_and_balance"):  # (the projection is compared while the tree comes)
        tamper(svc, "UPDATE balance SET quantity = quantity + 1 WHERE quantity > 0 AND account_id = "
                    "(SELECT min(account_id) FROM balance WHERE quantity > 0)")
    if case in ("node", "node_and_balance"):
        unguard(svc, "merkle_node")
        tamper(svc, f"UPDATE merkle_node SET hash = '{'cd' * 32}' WHERE level = 4 AND node_index = 0")
    if case in ("checkpoint_and_later_body", "body_before_checkpoint"):
        unguard(svc, "journal_entry")
        seq = sale_after if case == "checkpoint_and_later_body" else sale_before
        tamper(svc, f"UPDATE journal_entry SET body = body || ' ' WHERE seq = {seq}")
    if case in ("checkpoint_before_bad_move", "bad_move"):
        append_bad_move(svc)
    if case == "beyond_the_journal":
        tamper(svc, "INSERT INTO checkpoint (tree_size, root, head_hash, created_at) "
                    f"VALUES (100000, '{'ef' * 32}', '{'ef' * 32}', '2026-01-01T00:00:00+00:00')")
    one, two, audits = both(svc)
    assert not one.ok
    assert findings(two) == findings(one)
    assert (two.first_bad_seq, two.entries, two.head_hash, two.merkle_root) == \
        (one.first_bad_seq, one.entries, one.head_hash, one.merkle_root)
    expected_first = {"checkpoint": ("checkpoint", second), "checkpoint_and_later_body": ("checkpoint", second),
                      "checkpoint_before_bad_move": ("checkpoint", second),
                      "body_before_checkpoint": (None, sale_before), "node": ("merkle_node", None),
                      "bad_move": (None, None), "beyond_the_journal": (None, None),
                      "node_and_balance": ("merkle_node", None), "checkpoint_and_balance": ("checkpoint", second)}[case]
    if expected_first[0] is not None:
        assert two.problems[0].get("table") == expected_first[0]
    if expected_first[0] == "checkpoint":  # the walk stops there: nothing after it is reported
        assert len(two.problems) == 1 and two.entries == 0
    if expected_first[1] is not None:
        assert two.problems[0]["seq"] == expected_first[1]
    if case in ("node", "node_and_balance"):
        assert audits.ran_beside  # the walk passed: the audits' answer was taken, the tree's too
    if case == "node_and_balance":  # the tree's problem first, then the projection's
        assert [p.get("table") for p in two.problems][:2] == ["merkle_node", "balance"]


def test_a_second_process_that_sends_no_tree_is_replaced_by_a_read_here(ledger_, beside, reads_here, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ledger.audit._Beside, "tree", lambda self: None)
    unguard(ledger_, "merkle_node")
    tamper(ledger_, f"UPDATE merkle_node SET hash = '{'cd' * 32}' WHERE level = 4 AND node_index = 1")
    one, two, _ = both(ledger_)
    entries = scalar(ledger_, "SELECT max(seq) FROM journal_entry")
    assert reads_here == [entries]  # the tree of the whole journal, read here once
    assert findings(two) == findings(one) and [p.get("table") for p in two.problems] == ["merkle_node"]


def test_after_a_broken_entry_the_tree_up_to_it_is_read_here(ledger_, beside, reads_here):  # type: ignore[no-untyped-def]
    bad = append_bad_move(ledger_)
    one, two, _ = both(ledger_)
    assert reads_here == [bad]  # the entry that failed its replay had its checkpoint compared first
    assert findings(two) == findings(one) and two.first_bad_seq == bad


def test_the_second_process_is_forked_when_alone_and_spawned_beside_other_threads(ledger_, beside, monkeypatch):  # type: ignore[no-untyped-def]
    made = []
    real = ledger.audit._Beside.__init__

    def remember(self, *args):  # type: ignore[no-untyped-def]
        real(self, *args)
        made.append(type(self.process).__name__)

    monkeypatch.setattr(ledger.audit._Beside, "__init__", remember)
    unguard(ledger_, "sale")
    tamper(ledger_, "UPDATE sale SET amount_fen = amount_fen + 1 WHERE seq = (SELECT max(seq) FROM sale)")
    one, _ = run(ledger_, 1)
    forked, audits_forked = run(ledger_, 2)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        spawned, audits_spawned = run(ledger_, 2)
    finally:
        stop.set()
        other.join()
    assert made == ["_Child", "Popen"]
    assert audits_forked.ran_beside and audits_spawned.ran_beside
    assert findings(forked) == findings(spawned) == findings(one)
    assert ("sale", "row_differs_from_journal") in {(p.get("table"), p.get("code")) for p in one.problems}


# -- the tree, a page at a time -------------------------------------------------------------------

def test_the_tree_of_pages_is_the_tree_of_entries_and_stops_where_it_must():  # type: ignore[no-untyped-def]
    """Whatever the pages, the root and frontier of :class:`TreeWalk` are :class:`Frontier`'s, a
    checkpoint is compared at its size (the first that differs stops the tree there), and an entry
    hash that is not hex stops it before that entry."""
    import hashlib

    from ledger.verify import Frontier, TreeWalk

    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(1, 301)]
    rows = [(seq, h) for seq, h in enumerate(hashes, 1)]
    reference, roots = Frontier(), {}
    for seq, h in rows:
        reference.add_hex(h)
        roots[seq] = reference.root().hex()
    for cuts in ([], [1], [7, 16, 17, 100], list(range(0, 300, 13))):
        tree = TreeWalk({16: roots[16], 255: roots[255]})
        bounds = [0, *cuts, 300]
        for a, b in zip(bounds, bounds[1:]):
            tree.add(rows[a:b])
        assert (tree.mismatch, tree.stopped, tree.size, tree.head_hash) == (None, None, 300, hashes[-1])
        assert tree.frontier.stack == reference.stack and tree.frontier.root().hex() == roots[300]
    tree = TreeWalk({16: roots[16], 40: "00" * 32, 41: roots[41]})
    tree.add(rows[:30])
    tree.add(rows[30:])
    assert (tree.mismatch, tree.size) == (40, 40)
    broken = rows[:50] + [(51, "not hex")] + rows[51:]
    tree = TreeWalk({})
    tree.add(broken[:45])
    tree.add(broken[45:])
    assert (tree.stopped, tree.size, tree.head_hash, tree.frontier.root().hex()) == (51, 50, hashes[49], roots[50])


def test_the_journal_read_up_to_a_seq_in_windows_gives_every_row_whatever_the_gaps(ledger_):  # type: ignore[no-untyped-def]
    """A page up to a bound is a window of seqs (PostgreSQL plans it along the primary key): every
    row up to the bound, in order, once, across gaps of any length (rows deleted, a seq far out)."""
    from ledger import journal

    svc = ledger_
    unguard(svc, "journal_entry")
    tamper(svc, "DELETE FROM journal_entry WHERE seq BETWEEN 5 AND 20")
    tamper(svc, "UPDATE journal_entry SET seq = 10000000000 WHERE seq = (SELECT max(seq) FROM journal_entry)")
    with svc.db.engine.connect() as conn:
        every = [tuple(r) for r in conn.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq"))]
    with svc.db.read() as s:
        for up_to in (every[-1][0], every[-2][0], 3, 25):
            for size in (1, 4, 7, 1000):
                pages = list(journal.iter_raw_pages(s, batch_size=size, up_to=up_to, columns="seq, entry_hash"))
                assert [tuple(r) for p in pages for r in p] == [r for r in every if r[0] <= up_to]
                assert all(0 < len(p) <= size for p in pages)
