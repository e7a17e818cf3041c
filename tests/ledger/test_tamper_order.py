"""Two tamper cases of the journal's order and history (issue 16, "Deliver" 1 and 6: one test per
tamper case, on both backends), tried as an attacker with database access would:

1. **Swapped entries.** Two ``journal_entry`` rows trade places, their seq swapped with hashes and
   all, or only their bodies swapped. ``verify`` (incremental) and ``verify --full`` (in one
   process and with the audits beside it, "Two processes") fail and name the entry where the chain
   first breaks among the entries each reads (docs/ledger.md, "Verify").
2. **A consistent rewrite of every entry after the last verified checkpoint**: a sale's price
   forged, every entry after the checkpoint re-hashed from its head, the projections, the stored
   Merkle subtree hashes and (in the worst case) the checkpoint rows made to agree. No row in the
   database pins those entries then, so ``verify`` alone passes; a root published before the
   rewrite catches it (``verify --against``, docs/ledger.md, "Holding proofs and the ledger to a
   published root"), and so does a checkpoint row recorded before it if the attacker leaves it
   ("``verify`` recomputes every stored checkpoint").
3. **A consistent rewrite that covers a head an earlier verify recorded**, with no checkpoint row or
   published root covering it: ``verify --full`` holds the journal to every verified head (each
   ``verified_checkpoint`` row's size and head hash, not only the newest) and names the first one
   the rewrite covers, as the incremental verify names the head it starts from.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import text

import ledger.audit
from ledger import merkle_nodes
from ledger.domain import entry_hash
from ledger.merkle_walk import Frontier
from ledger.proofs import root_at
from ledger.sql import Tx
from sinkledger_base.canonical import canonical_json
from tests.ledger.test_published import key_file  # noqa: F401 (fixture)
from tests.table_audit_helpers import scalar, unguard

TAIL_SALES = 6


def sell(svc, rid: str, buyer: str = "ENT-1-H") -> dict:  # type: ignore[no-untyped-def,type-arg]
    return svc.sell(svc.actor("clerk"), rid, seller_account="COL-1-H", buyer_account=buyer, quantity=1,
                    price_fen_per_t=100, contract_no=f"HZ-{rid}")


def run_verify(svc, mode: str):  # type: ignore[no-untyped-def]
    """``verify`` as the command line runs it: incremental, ``--full --jobs 1``, or ``--full`` with
    the table audits and the Merkle tree in a second process (the ``beside`` fixture lowers the
    threshold so that a small journal gets one too)."""
    if mode == "incremental":
        report = svc.verify(full=False)
        assert report.mode == "incremental", "no verified checkpoint to start from"
        return report
    started = len(BESIDE_STARTED)
    report = svc.verify(full=True, jobs=1 if mode == "full" else 2)
    assert BESIDE_STARTED[started:] == ([] if mode == "full" else [True]), "not the process layout asked for"
    return report


BESIDE_STARTED: list[bool] = []  # what each full run's start_beside answered (the beside fixture)


@pytest.fixture
def beside(monkeypatch):  # type: ignore[no-untyped-def]
    """A full verify runs its audits and tree in a second process whatever the journal's size
    (each start noted in BESIDE_STARTED)."""
    monkeypatch.setattr(ledger.audit, "BESIDE_MIN_ENTRIES", 0)
    start = ledger.audit.Audits.start_beside

    def noted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = start(self, *args, **kwargs)
        BESIDE_STARTED.append(started)
        return started

    monkeypatch.setattr(ledger.audit.Audits, "start_beside", noted)


@pytest.fixture
def tail(funded):  # type: ignore[no-untyped-def]
    """Given a verified checkpoint (size N) and six sales after it (N+1 .. N+6)."""
    svc = funded
    verified = svc.verify(record=True)
    assert verified.ok, verified.problems
    for i in range(TAIL_SALES):
        sell(svc, f"t-{i}", buyer="ENT-1-H" if i % 2 else "ENT-2-H")
    svc.verified_size = verified.entries  # type: ignore[attr-defined]
    assert svc.verify(full=False).ok and svc.verify(full=True).ok
    return svc


# -- 1. swapped entries --------------------------------------------------------------------------------

def swap(svc, how: str, a: int, b: int) -> None:  # type: ignore[no-untyped-def]
    """Entries ``a`` and ``b`` trade places: "rows", the two rows exchange seqs (each keeps its body,
    links and hash, at the other's place), or "bodies", only the bodies are exchanged (each row keeps
    its seq, links and hash)."""
    unguard(svc, "journal_entry")
    with svc.db.engine.begin() as conn:
        if how == "rows":
            for old, new in ((a, -1), (b, a), (-1, b)):  # seq is the primary key: through a free value
                conn.execute(text("UPDATE journal_entry SET seq = :new WHERE seq = :old"), {"old": old, "new": new})
        else:
            bodies = dict(conn.execute(text("SELECT seq, body FROM journal_entry WHERE seq IN (:a, :b)"),
                                       {"a": a, "b": b}).all())
            for seq, other in ((a, b), (b, a)):
                conn.execute(text("UPDATE journal_entry SET body = :body WHERE seq = :s"),
                             {"body": bodies[other], "s": seq})


CHAIN_CODE = {"rows": "prev_hash_mismatch", "bodies": "hash_mismatch"}

# (a, b) relative to the verified size N, and the entry each mode names: the full verify reads every
# entry, so it names the first of the two; the incremental one reads the entry at N and the tail.
PAIRS = {
    "adjacent in the tail": ((1, 2), 1, 1),
    "apart in the tail": ((1, 5), 1, 1),
    "the verified head and the next": ((0, 1), 0, 0),
    "across the verified head": ((-2, 2), -2, 2),
    "before the verified head": ((-3, -1), -3, None),  # only --full reads the prefix (docs/ledger.md)
}


SWAPS = [(pair, mode) for pair, (_, _, incremental_at) in PAIRS.items()
         for mode in ("incremental", "full", "full beside") if mode != "incremental" or incremental_at is not None]


@pytest.mark.parametrize(("pair", "mode"), SWAPS)
@pytest.mark.parametrize("how", ["rows", "bodies"])
def test_swapped_entries_are_caught_and_named(tail, beside, how, pair, mode):  # type: ignore[no-untyped-def]
    """Given two entries swapped (rows or bodies), verify fails and names the first entry of the
    two that it reads: the chain breaks there (the row's link or its hash no longer fits its place).
    The incremental verify names the verified head when the swap moved it (its hash is the one
    recorded), else the first swapped entry of the tail. Swapped back, the ledger verifies again."""
    svc, n = tail, tail.verified_size
    (da, db), full_at, incremental_at = PAIRS[pair]
    named = full_at if mode != "incremental" else incremental_at
    a, b, seq = n + da, n + db, n + named
    swap(svc, how, a, b)
    report = run_verify(svc, mode)
    assert not report.ok and report.first_bad_seq == seq, report.problems
    first = report.problems[0]
    if mode == "incremental" and seq == n:  # the verified head: its recorded hash
        assert first["problem"].startswith(f"entry {n} no longer has the hash verified on"), first
        assert (first["seq"], first["table"], first["key"]) == (n, "journal_entry", n)
    else:
        assert first == {"seq": seq, "problem": CHAIN_CODE[how]}, report.problems
    swap(svc, how, a, b)
    assert run_verify(svc, mode).ok


# -- 2. a consistent rewrite of every entry after the last verified checkpoint -----------------------------

@pytest.fixture
def published(funded, key_file, tmp_path):  # type: ignore[no-untyped-def]
    """Given a root published at the verified checkpoint's size N (``before.json``), sales after it,
    one of them (N+2) at 100 fen a tonne, a root published at N+3 (``after.json``, which covers
    it), and two more sales."""
    svc = funded
    svc.settings = dataclasses.replace(svc.settings, checkpoint_key_file=key_file)
    before = svc.publish_checkpoint(tmp_path / "before.json")
    verified = svc.verify(record=True)
    assert verified.ok and verified.entries == before["tree_size"], verified.problems
    forged = [sell(svc, f"s-{i}")["seq"] for i in range(3)][1]
    after = svc.publish_checkpoint(tmp_path / "after.json")
    for i in range(3, 5):
        sell(svc, f"s-{i}")
    assert svc.verify(full=False).ok
    svc.paths = {"before": tmp_path / "before.json", "after": tmp_path / "after.json",  # type: ignore[attr-defined]
                 "key": str(key_file) + ".pub"}
    sizes = {"verified": verified.entries, "forged": forged, "after": after["tree_size"]}
    svc.sizes = sizes  # type: ignore[attr-defined]
    assert (forged, after["tree_size"]) == (verified.entries + 2, verified.entries + 3)
    return svc


FORGED_PRICE = 10_000


def rewrite_tail(svc, *, checkpoint_rows: bool) -> None:  # type: ignore[no-untyped-def]
    """The attacker's rewrite of every entry after the verified checkpoint: the sale at
    ``sizes["forged"]`` now at 10,000 fen a tonne (its body, the ``sale`` row and the price index's
    trade), every entry after the verified size re-hashed from the verified head on, the stored
    Merkle subtree hashes recomputed, and, if ``checkpoint_rows``, the checkpoint rows after the
    verified size too (past the append-only guards)."""
    n, forged = svc.sizes["verified"], svc.sizes["forged"]
    unguard(svc, "journal_entry", "merkle_node", "checkpoint")
    with svc.db.engine.begin() as conn:
        prev = conn.execute(text("SELECT entry_hash FROM journal_entry WHERE seq = :n"), {"n": n}).scalar_one()
        for seq, body in conn.execute(text("SELECT seq, body FROM journal_entry WHERE seq > :n ORDER BY seq"),
                                      {"n": n}).all():
            if seq == forged:
                entry = json.loads(body)
                assert entry["kind"] == "sale"
                for part in (entry["payload"], entry["payload"]["result"]):
                    part["price_fen_per_t"], part["amount_fen"] = FORGED_PRICE, FORGED_PRICE * part["quantity"]
                body = canonical_json(entry)
            digest = entry_hash(prev, body)
            conn.execute(text("UPDATE journal_entry SET body = :b, prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                         {"b": body, "p": prev, "h": digest, "s": seq})
            prev = digest
        conn.execute(text("UPDATE sale SET price_fen_per_t = :p, amount_fen = :p * quantity WHERE seq = :s"),
                     {"p": FORGED_PRICE, "s": forged})
        conn.execute(text("UPDATE price_trade SET price_fen_per_t = :p WHERE sale_seq = :s"),
                     {"p": FORGED_PRICE, "s": forged})
        conn.execute(text("DELETE FROM merkle_node"))
        merkle_nodes.fill(Tx(conn))
    if checkpoint_rows:
        with svc.db.write() as s:
            for (size,) in s.execute(text("SELECT tree_size FROM checkpoint WHERE tree_size > :n"), {"n": n}).all():
                head = s.execute(text("SELECT entry_hash FROM journal_entry WHERE seq = :s"), {"s": size}).scalar_one()
                s.execute(text("UPDATE checkpoint SET root = :r, head_hash = :h WHERE tree_size = :s"),
                          {"r": root_at(s, size).hex(), "h": head, "s": size})
    assert scalar(svc, f"SELECT amount_fen FROM sale WHERE seq = {int(forged)}") == FORGED_PRICE


def test_a_rewrite_of_the_tail_is_caught_by_a_root_published_before_it(published):  # type: ignore[no-untyped-def]
    """Given every entry after the verified checkpoint rewritten consistently, with the checkpoint
    rows after it: nothing in the database pins those entries, and ``verify`` (incremental and
    full) passes, as the issue found; ``verify --against`` the root published after the forged
    sale fails, naming that tree size ("history was rewritten"), while the root published at the
    verified size, whose entries are untouched, still holds."""
    svc = published
    n, size, paths = svc.sizes["verified"], svc.sizes["after"], svc.paths
    rewrite_tail(svc, checkpoint_rows=True)
    incremental = svc.verify(full=False)
    assert incremental.ok and (incremental.mode, incremental.from_seq) == ("incremental", n), incremental.problems
    assert svc.verify(full=True).ok  # the rewrite is complete: only a root kept outside can catch it

    report = svc.verify(against=paths["after"], public_key=paths["key"])
    assert not report.ok and report.first_bad_seq == size
    problem = (f"the journal's first {size} entries no longer have the published root at tree size {size}: "
               "history was rewritten")
    assert report.problems == [{"seq": size, "problem": problem}]
    assert report.against["ok"] is False and report.against["tree_size"] == size and report.against["key_pinned"]

    still = svc.verify(against=paths["before"], public_key=paths["key"])
    assert still.ok and still.against["ok"] and still.against["tree_size"] == n, still.problems


@pytest.mark.parametrize("mode", ["incremental", "full", "full beside"])
def test_a_rewrite_of_the_tail_is_caught_by_a_checkpoint_row_it_left(  # type: ignore[no-untyped-def]
        published, beside, mode):
    """Given the same rewrite, the checkpoint row recorded (and published) after the forged sale
    left as it was: ``verify`` recomputes it from the rewritten journal and names it, as the
    incremental run does for every checkpoint after the verified size."""
    svc = published
    size = svc.sizes["after"]
    rewrite_tail(svc, checkpoint_rows=False)
    report = run_verify(svc, mode)
    assert not report.ok and report.first_bad_seq == size, report.problems
    assert report.problems[0] == {"seq": size, "problem": f"checkpoint at tree size {size} does not match the journal",
                                  "table": "checkpoint", "key": size}
    against = svc.verify(against=svc.paths["after"], public_key=svc.paths["key"])
    assert not against.ok and against.against["ok"] is False


# -- 3. a consistent rewrite that covers a head an earlier verify recorded ----------------------------------

@pytest.fixture
def heads(funded):  # type: ignore[no-untyped-def]
    """Given three verified heads, three sales apart (V1 recorded by a full verify, V2 and V3 by
    incremental ones), two sales after V3, and no checkpoint row (nor published root)."""
    svc = funded
    sizes: list[int] = []
    for i in range(3):
        report = svc.verify(full=not sizes, record=True)
        assert report.ok and report.mode == ("incremental" if sizes else "full"), report.problems
        sizes.append(report.entries)
        for k in range(3 if i < 2 else 2):
            sell(svc, f"h-{i}-{k}", buyer="ENT-1-H" if k % 2 else "ENT-2-H")
    with svc.db.engine.connect() as conn:
        recorded = dict(conn.execute(text("SELECT tree_size, verified_at FROM verified_checkpoint")).all())
    assert sorted(recorded) == sizes
    svc.verified_at = recorded  # type: ignore[attr-defined]
    assert scalar(svc, "SELECT count(*) FROM checkpoint") == 0
    svc.heads = sizes  # type: ignore[attr-defined]
    return svc


def moved_head(svc, size: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The problem the incremental verify reports for the head it starts from, and ``--full`` for
    every verified head."""
    return {"seq": size, "problem": f"entry {size} no longer has the hash verified on {svc.verified_at[size]}",
            "table": "journal_entry", "key": size}


def rerecord(svc, size: int) -> None:  # type: ignore[no-untyped-def]
    """The attacker's re-recording of the verified checkpoint at ``size`` from the rewritten journal:
    its head hash, Merkle root and frontier (the row counts kept), as a passing verify there would."""
    with svc.db.engine.begin() as conn:
        frontier = Frontier()
        for (digest,) in conn.execute(text("SELECT entry_hash FROM journal_entry WHERE seq <= :n ORDER BY seq"),
                                      {"n": size}):
            frontier.add_hex(digest)
        stored = json.loads(conn.execute(text("SELECT frontier FROM verified_checkpoint WHERE tree_size = :n"),
                                         {"n": size}).scalar_one())
        stack = json.loads(frontier.dumps())
        kept = {**stored, "stack": stack} if isinstance(stored, dict) else stack
        conn.execute(text("UPDATE verified_checkpoint SET head_hash = :h, merkle_root = :r, frontier = :f "
                          "WHERE tree_size = :n"),
                     {"h": digest, "r": frontier.root().hex(), "f": json.dumps(kept, sort_keys=True), "n": size})


@pytest.mark.parametrize("mode", ["full", "full beside"])
@pytest.mark.parametrize("newest", ["left", "re-recorded"])
def test_a_rewrite_covering_an_earlier_verified_head_fails_full(  # type: ignore[no-untyped-def]
        heads, beside, mode, newest):
    """Given every entry after V1 rewritten consistently (the sale at V1 + 2 forged, re-hashed to the
    end, the sale row, the price index and the stored subtree hashes made to agree), nothing but the
    verified heads V2 and V3 covers the rewrite. The incremental verify names V3, the head it starts
    from; ``verify --full`` (one process and two) names V2, the first verified head the rewrite
    covers, with the same problem, and stops there. So it does when the attacker also re-recorded
    the newest verified checkpoint (V3) from the rewritten journal, which the incremental run then
    passes: every verified head is held, not only the newest."""
    svc = heads
    v1, v2, v3 = svc.heads
    svc.sizes = {"verified": v1, "forged": v1 + 2}
    rewrite_tail(svc, checkpoint_rows=False)
    if newest == "re-recorded":
        rerecord(svc, v3)
    incremental = svc.verify(full=False)
    assert incremental.from_seq == v3
    if newest == "left":
        assert not incremental.ok and incremental.problems[0] == moved_head(svc, v3), incremental.problems
    else:
        assert incremental.ok, incremental.problems
    report = run_verify(svc, mode)
    assert not report.ok and report.first_bad_seq == v2, report.problems
    assert report.problems == [moved_head(svc, v2)]


@pytest.mark.parametrize("mode", ["full", "full beside"])
def test_an_honest_ledger_with_several_verified_heads_passes_full(heads, beside, mode):  # type: ignore[no-untyped-def]
    """Given three verified heads and the journal as they saw it: ``verify --full`` (one process and
    two) passes, each head compared as the walk passes it. Each is held, the oldest too: its row's
    recorded hash made the next entry's (the journal untouched), ``--full`` names V1, while the
    incremental run, which starts from V3, still passes."""
    svc = heads
    v1, _v2, v3 = svc.heads
    report = run_verify(svc, mode)
    assert report.ok and report.entries == v3 + 2, report.problems
    with svc.db.engine.begin() as conn:
        conn.execute(text("UPDATE verified_checkpoint SET head_hash = (SELECT entry_hash FROM journal_entry "
                          "WHERE seq = :next) WHERE tree_size = :n"), {"next": v1 + 1, "n": v1})
    report = run_verify(svc, mode)
    assert not report.ok and report.problems == [moved_head(svc, v1)], report.problems
    assert svc.verify(full=False).ok


@pytest.mark.parametrize("mode", ["incremental", "full", "full beside"])
def test_a_journal_cut_below_a_verified_head_is_named_there(heads, beside, mode):  # type: ignore[no-untyped-def]
    """Given the journal's entries from V3 on deleted (the newest verified head gone with them):
    every verify names V3, the incremental one because its entry is gone, the full one because
    its walk ends before it."""
    svc = heads
    v3 = svc.heads[-1]
    unguard(svc, "journal_entry")
    with svc.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM journal_entry WHERE seq >= :n"), {"n": v3})
    report = run_verify(svc, mode)
    assert not report.ok and report.first_bad_seq == v3, report.problems
    assert report.problems[0] == moved_head(svc, v3)
