"""The fast verify: the replay gives BlockSet's blocks, the full verify the old verify's report,
the incremental verify checks the tail from a recorded verified checkpoint (and catches a tampered
tail, a rewritten prefix), observers see every entry checked."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ledger import merkle
from ledger.domain import Block, BlockSet, BlockState, Move, entry_hash
from ledger.verify import Frontier, Replay, ReplayError, parse_move, verify_ledger
from tests.ledger.conftest import issue_parcel
from tests.ledger.test_properties import command, fresh, run
from tests.table_audit_helpers import drop_journal_guard, tamper

# -- the replay against BlockSet ------------------------------------------------------------------

ACCOUNTS = ["A", "B", "C"]
STATES = [s.value for s in BlockState]
move_spec = st.tuples(
    st.sampled_from(["X/1", "X/2"]), st.integers(-1, 60), st.integers(0, 12),
    st.one_of(st.none(), st.sampled_from(ACCOUNTS)), st.sampled_from(STATES + [None]),
    st.sampled_from(ACCOUNTS), st.sampled_from(STATES), st.sampled_from([None, "T1"]))


def _record(spec: tuple[Any, ...]) -> dict[str, Any]:
    batch, first, length, from_account, from_state, to_account, to_state, tag = spec
    return {"batch_id": batch, "first": first, "last": first + length - 1, "from_account": from_account,
            "from_state": from_state, "to_account": to_account, "to_state": to_state, "tag": tag}


@settings(max_examples=300, deadline=None)
@given(st.lists(move_spec, max_size=40))
def test_the_replay_splits_and_refuses_exactly_as_blockset(specs):  # type: ignore[no-untyped-def]
    reference, fast = BlockSet(), Replay()
    seed = [_record(("X/1", 1, 40, None, None, "A", "held", None)), _record(("X/2", 1, 40, None, None, "B", "held", None))]
    for record in seed + [_record(s) for s in specs]:
        try:
            reference.apply(Move.from_record(record))
            expected_ok = True
        except (ValueError, KeyError):
            expected_ok = False
        try:
            fast.apply(parse_move(record))
            fast_ok = True
        except ReplayError:
            fast_ok = False
        assert fast_ok == expected_ok, record
    mine = [Block(b, f, last, o[0], BlockState(o[1]), o[2]) for b, (fs, ls, os) in sorted(fast.batches.items())
            for f, last, o in zip(fs, ls, os)]
    assert mine == reference.blocks()


@pytest.mark.parametrize("record", [
    {"batch_id": "X/1", "first": 1, "last": 2},
    {"batch_id": "X/1", "first": "a", "last": 2, "from_account": None, "from_state": None, "to_account": "A",
     "to_state": "held"},
    {"batch_id": "X/1", "first": 1, "last": 2, "from_account": None, "from_state": None, "to_account": "A",
     "to_state": "stolen"},
    {"batch_id": "X/1", "first": 3, "last": 2, "from_account": None, "from_state": None, "to_account": "A",
     "to_state": "held"},
    ["not", "a", "record"],
])
def test_an_unreadable_move_is_a_replay_error(record):  # type: ignore[no-untyped-def]
    with pytest.raises(ReplayError):
        parse_move(record)


def test_the_frontier_gives_rfc6962_roots_and_extends_after_a_reload():  # type: ignore[no-untyped-def]
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(70)]
    tree = Frontier()
    assert tree.root() == merkle.root_from_leaf_hashes([])
    for n, h in enumerate(hashes, start=1):
        tree.add_hex(h)
        assert tree.root() == merkle.root_from_leaf_hashes(merkle.leaf_hash(bytes.fromhex(x)) for x in hashes[:n])
        if n == 37:
            tree = Frontier.loads(tree.dumps(), n)  # what a verified checkpoint stores
    with pytest.raises(ValueError):
        Frontier([b"x" * 32], 3)


# -- the full verify against the old one ---------------------------------------------------------------

def old_verify(session) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The verify before the fast replay (chain, BlockSet replay, sorted compare), as reference."""
    import json

    blocks, issued, tree = BlockSet(), {}, merkle.MerkleAccumulator()
    prev = "0" * 64
    rows = session.execute(text("SELECT seq, body, prev_hash, entry_hash FROM journal_entry ORDER BY seq")).all()
    for seq, body, prev_hash, digest in rows:
        assert prev_hash == prev and entry_hash(prev_hash, body) == digest
        tree.add(merkle.leaf_hash(bytes.fromhex(digest)))
        payload = json.loads(body)["payload"]
        for batch in payload.get("batches", []):
            issued[batch["batch_id"]] = batch["quantity"]
        for record in payload.get("moves", []):
            blocks.apply(Move.from_record(record))
        prev = digest
    stored = sorted(session.execute(text("SELECT batch_id, first, last, account_id, state, tag FROM credit_block")).all())
    replayed = [(b.batch_id, b.first, b.last, b.account_id, b.state.value, b.tag) for b in blocks.blocks()]
    return {"entries": len(rows), "head_hash": prev, "merkle_root": tree.root().hex(), "batches": len(issued),
            "credits_issued": sum(issued.values()), "blocks_equal": [tuple(r) for r in stored] == replayed}


def _summary(report) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"entries": report.entries, "head_hash": report.head_hash, "merkle_root": report.merkle_root,
            "batches": report.batches, "credits_issued": report.credits_issued, "blocks_equal": report.ok}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(command, min_size=3, max_size=15))
def test_the_full_verify_reports_what_the_old_one_did(tmp_path_factory, commands):  # type: ignore[no-untyped-def]
    """Random command sequences (the property tests' generator): the same entries, head, root,
    batches and credits, and the same verdict on the blocks."""
    svc = fresh(tmp_path_factory.mktemp("fast"), "v.db")
    try:
        run(svc, commands)
        report = svc.verify()
        with svc.db.read() as s:
            assert _summary(report) == old_verify(s)
        assert report.mode == "full" and report.from_seq == 0
    finally:
        svc.db.dispose()


# -- incremental ------------------------------------------------------------------------------------

def sell(svc, rid: str, quantity: int = 1, buyer: str = "ENT-1-H") -> dict:  # type: ignore[no-untyped-def,type-arg]
    return svc.sell(svc.actor("clerk"), rid, seller_account="COL-1-H", buyer_account=buyer, quantity=quantity,
                    price_fen_per_t=100, contract_no="V")


def test_without_a_verified_checkpoint_the_incremental_verify_runs_in_full(funded):  # type: ignore[no-untyped-def]
    report = funded.verify(full=False)
    assert report.ok and (report.mode, report.from_seq) == ("full", 0)
    assert funded.last_verified() is None  # nothing recorded unless asked


def test_the_incremental_verify_checks_only_the_tail_and_agrees_with_the_full_one(funded):  # type: ignore[no-untyped-def]
    svc = funded
    recorded = svc.verify(record=True)
    assert recorded.ok and svc.last_verified()["tree_size"] == recorded.entries
    sell(svc, "inc-1", 3)
    sell(svc, "inc-2", 2, buyer="ENT-2-H")
    svc.retire(svc.actor("ent"), "inc-3", account_id="ENT-1-H", quantity=1, beneficiary="b", purpose="p")
    issue_parcel(svc, "AJ-BF-0003", "c")  # a batch issued in the tail
    pledge = svc.pledge(svc.actor("bank"), "inc-4", account_id="COL-1-H", quantity=4, loan_reference="L",
                        loan_amount_fen=100, term_end="2030-01-01")
    svc.release(svc.actor("bank"), "inc-5", pledge_id=pledge["pledge_id"])
    sell(svc, "inc-6", 5)  # from blocks the pledge split and released, within the tail
    svc.checkpoint()
    incremental = svc.verify(full=False, record=True)
    assert incremental.ok, incremental.problems
    assert (incremental.mode, incremental.from_seq) == ("incremental", recorded.entries)
    full = svc.verify(full=True)
    assert full.ok
    for name in ("entries", "head_hash", "merkle_root", "batches", "credits_issued", "checkpoints"):
        assert getattr(incremental, name) == getattr(full, name), name
    assert svc.last_verified()["mode"] == "incremental"
    again = svc.verify(full=False)  # an empty tail
    assert again.ok and again.from_seq == full.entries and again.merkle_root == full.merkle_root


@pytest.mark.parametrize("sql, table", [
    ("UPDATE credit_block SET account_id = 'ENT-2-H' WHERE account_id = 'ENT-1-H'", "credit_block"),
    ("UPDATE balance SET quantity = quantity + 1 WHERE account_id = 'ENT-1-H'", "balance"),
    ("UPDATE balance SET quantity = quantity - 1 WHERE account_id = 'SYS-BUFFER'", "balance"),  # untouched by the tail
    ("UPDATE batch SET last = last + 1 WHERE id = (SELECT min(id) FROM batch)", "batch"),
])
def test_a_tampered_projection_after_the_checkpoint_is_caught(funded, sql, table):  # type: ignore[no-untyped-def]
    svc = funded
    assert svc.verify(record=True).ok
    sell(svc, "tail-1", 2)
    tamper(svc, sql)
    report = svc.verify(full=False)
    assert not report.ok and report.mode == "incremental"
    assert table in {p.get("table") for p in report.problems}, report.problems
    assert not svc.verify(full=True).ok


@pytest.mark.parametrize("column", ["vintage_year", "issuance_seq"])
def test_a_forged_take_order_key_is_caught_full_and_incremental(funded, column):  # type: ignore[no-untyped-def]
    """The keys a sale takes credits in order of (``ix_balance_take``) must be their batch's: a
    row moved ahead of the queue is named by the full verify, and by the incremental one when the
    tail touched its batch."""
    svc = funded
    assert svc.verify(record=True).ok
    sell(svc, "take-1", 2)
    tamper(svc, f"UPDATE balance SET {column} = {column} - 1 WHERE account_id = 'ENT-1-H'")
    for full in (False, True):
        report = svc.verify(full=full)
        assert not report.ok
        problem = next(p for p in report.problems if p.get("code") == "row_differs_from_batch")
        assert problem["table"] == "balance" and problem["key"].startswith("ENT-1-H/"), problem


def test_a_tampered_tail_entry_is_caught(funded):  # type: ignore[no-untyped-def]
    svc = funded
    assert svc.verify(record=True).ok
    seq = sell(svc, "tail-1", 2)["seq"]
    sell(svc, "tail-2", 1)
    drop_journal_guard(svc)
    tamper(svc, "UPDATE journal_entry SET body = replace(body, :a, :b) WHERE seq = :s",
           {"a": '"quantity":2', "b": '"quantity":20', "s": seq})
    report = svc.verify(full=False)
    assert not report.ok and report.mode == "incremental"
    assert (report.first_bad_seq, report.problems[0]["problem"]) == (seq, "hash_mismatch")


@pytest.mark.parametrize("backend_url", ["sqlite"], indirect=True)  # PostgreSQL's text column holds no blob
@pytest.mark.parametrize("full", [True, False])
def test_a_body_stored_as_a_blob_is_a_clean_failure(funded, full):  # type: ignore[no-untyped-def]
    """SQLite keeps whatever type is written: a body made a blob of the same bytes is no longer the
    text that was hashed, and is named (body_unreadable), not a traceback."""
    svc = funded
    assert svc.verify(record=True).ok
    seq = sell(svc, "tail-1", 2)["seq"]
    sell(svc, "tail-2", 1)
    drop_journal_guard(svc)
    tamper(svc, "UPDATE journal_entry SET body = CAST(body AS BLOB) WHERE seq = :s", {"s": seq})
    report = svc.verify(full=full)
    assert not report.ok and report.mode == ("full" if full else "incremental")
    assert (report.first_bad_seq, report.problems[0]["problem"]) == (seq, "body_unreadable")


def test_a_rewritten_and_rehashed_prefix_is_caught_by_the_recorded_head(funded):  # type: ignore[no-untyped-def]
    svc = funded
    verified = svc.verify(record=True)
    assert verified.ok
    drop_journal_guard(svc)
    with svc.db.engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, body FROM journal_entry ORDER BY seq")).all()
        prev = "0" * 64
        for seq, body in rows:
            if seq == 3:
                body = body.replace("示例核证机构", "别的核证机构")
            digest = entry_hash(prev, body)
            conn.execute(text("UPDATE journal_entry SET body = :b, prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                         {"b": body, "p": prev, "h": digest, "s": seq})
            prev = digest
    report = svc.verify(full=False)
    assert not report.ok and report.first_bad_seq == verified.entries
    assert report.problems[0]["table"] == "journal_entry" and report.problems[0]["key"] == verified.entries


def test_a_journal_cut_below_the_verified_size_is_caught(funded):  # type: ignore[no-untyped-def]
    svc = funded
    assert svc.verify(record=True).ok
    with svc.db.engine.begin() as conn:
        if svc.db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_append_only ON journal_entry")
        conn.execute(text("DELETE FROM journal_entry WHERE seq = (SELECT max(seq) FROM journal_entry)"))
    report = svc.verify(full=False)
    assert not report.ok and report.mode == "incremental"


def test_a_damaged_verified_checkpoint_is_a_clean_failure(funded):  # type: ignore[no-untyped-def]
    svc = funded
    assert svc.verify(record=True).ok
    tamper(svc, "UPDATE verified_checkpoint SET frontier = '[\"zz\"]'")
    report = svc.verify(full=False)
    assert not report.ok and report.problems[0]["table"] == "verified_checkpoint"
    assert svc.verify(full=True).ok  # the ledger itself is intact


def test_a_failed_verify_records_nothing(funded):  # type: ignore[no-untyped-def]
    svc = funded
    tamper(svc, "UPDATE balance SET quantity = quantity + 1 WHERE account_id = 'COL-1-H'")
    assert not svc.verify(record=True).ok
    assert svc.last_verified() is None


# -- observers ----------------------------------------------------------------------------------

class Seen:
    def __init__(self, complain: bool = False) -> None:
        self.calls: list[Any] = []
        self.complain = complain

    def begin(self, session, after_seq: int) -> None:  # type: ignore[no-untyped-def]
        self.calls.append(("begin", after_seq))

    def entry(self, seq: int, kind: str, recorded_at: str, payload: dict) -> None:  # type: ignore[type-arg]
        assert isinstance(kind, str) and isinstance(recorded_at, str) and isinstance(payload, dict)
        self.calls.append(seq)

    def finish(self, session, report) -> None:  # type: ignore[no-untyped-def]
        self.calls.append("finish")
        if self.complain:
            report.fail(2, "sale row differs", table="sale", key=2)


def test_observers_see_every_entry_checked_in_order(funded):  # type: ignore[no-untyped-def]
    svc = funded
    full_seen = Seen()
    report = svc.verify(record=True, observers=[full_seen])
    assert full_seen.calls == [("begin", 0), *range(1, report.entries + 1), "finish"]
    sell(svc, "obs-1")
    tail_seen = Seen()
    tail = svc.verify(full=False, observers=[tail_seen])
    assert tail_seen.calls == [("begin", report.entries), report.entries + 1, "finish"] and tail.ok


def test_an_observer_fails_the_report_naming_table_and_key(funded):  # type: ignore[no-untyped-def]
    with funded.db.read() as s:
        report = verify_ledger(s, observers=[Seen(complain=True)])
    assert not report.ok and report.first_bad_seq == 2
    assert report.problems == [{"seq": 2, "problem": "sale row differs", "table": "sale", "key": 2}]
    assert "state" not in report.to_dict() and report.to_dict()["mode"] == "full"


def test_observers_are_not_finished_when_the_walk_stops_at_a_broken_entry(funded):  # type: ignore[no-untyped-def]
    svc = funded
    drop_journal_guard(svc)
    tamper(svc, "UPDATE journal_entry SET actor = 'mallory' WHERE seq = 4")
    seen = Seen()
    report = svc.verify(observers=[seen])
    assert not report.ok and report.first_bad_seq == 4
    assert seen.calls == [("begin", 0), 1, 2, 3]


@pytest.mark.parametrize("holders", [2, 8, 9, 40])
def test_replayed_sums_for_many_blocks_are_the_blockwise_sums(holders):  # type: ignore[no-untyped-def]
    from ledger.verify import _replayed_sums

    replay = Replay()
    replay.apply(parse_move({"batch_id": "X/1", "first": 1, "last": 1000, "from_account": None, "from_state": None,
                             "to_account": "A0", "to_state": "held"}))
    for n in range(1, 400, 2):  # 200 single-serial moves to the holders, in several states
        replay.apply(parse_move({"batch_id": "X/1", "first": n, "last": n, "from_account": "A0", "from_state": "held",
                                 "to_account": f"A{n % holders}", "to_state": STATES[n % 3], "tag": None}))
    expected: dict = {}  # type: ignore[type-arg]
    firsts, lasts, owners = replay.batches["X/1"]
    for first, last, (account, state, _tag) in zip(firsts, lasts, owners):
        expected[(account, "X/1", state)] = expected.get((account, "X/1", state), 0) + last - first + 1
    assert _replayed_sums(replay) == (expected, {"X/1": 1000})


# -- the replay's typed decoding (FAST_BODY) against the general path ------------------------------

class _Blind:
    """An observer that looks at nothing: with one present, every entry takes the general path
    (the whole body parsed); with none, the replay decodes only the moves (``FAST_BODY``)."""

    def begin(self, session, after_seq: int) -> None:  # type: ignore[no-untyped-def]
        pass

    def entry(self, seq: int, kind: str, recorded_at: str, payload: Any) -> None:
        pass

    def finish(self, session, report) -> None:  # type: ignore[no-untyped-def]
        pass


ODD_VALUES = ["5", 5, 0, -1, 10**20, 2.0, True, None, "", "held", "retired", "COL-1-H", "ENT-1-H", {"a": 1}, [1],
              "X/1"]
MOVE_KEYS = ["batch_id", "first", "last", "from_account", "from_state", "to_account", "to_state", "tag"]
edit = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(MOVE_KEYS), st.sampled_from(ODD_VALUES)),
    st.tuples(st.just("drop"), st.sampled_from(MOVE_KEYS), st.none()),
    st.tuples(st.just("extra"), st.just("note"), st.sampled_from(ODD_VALUES)),
    st.tuples(st.just("payload"), st.sampled_from(["batches", "moves"]),
              st.sampled_from([[], {}, "x", [1], [{"batch_id": "Z/1", "quantity": 1}], None])),
    st.tuples(st.just("header"), st.sampled_from(["seq", "kind", "request_id", "actor", "recorded_at"]),
              st.sampled_from(["1", 1, None])),
    st.tuples(st.just("raw"), st.sampled_from(['"huge":1e999,', '"moves":[],', '"big":123456789012345678901234567890,',
                                               '"s":"\\ud800",', '"moves":"x",']), st.none()),
    st.tuples(st.just("whole"), st.sampled_from(["[]", "{}", "null", "{", ""]), st.none()),
)


def _edited(body: str, change: tuple[str, str, Any], move: int) -> str:
    import json

    what, key, value = change
    doc = json.loads(body)
    moves = doc["payload"]["moves"]
    if what == "whole":
        return key
    if what == "raw":  # text no serialiser writes: put first in the payload
        return body.replace('"payload":{', '"payload":{' + key, 1)
    if what == "set":
        moves[move % len(moves)][key] = value
    elif what == "drop":
        moves[move % len(moves)].pop(key, None)
    elif what == "extra":
        moves[move % len(moves)][key] = value
    elif what == "payload":
        doc["payload"][key] = value
    elif what == "header":
        doc[key] = value
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.fixture(scope="module")
def sold(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A ledger with sales of several blocks (moves to edit) and later entries after them."""
    svc = fresh(tmp_path_factory.mktemp("fastbody"), "v.db")
    a = issue_parcel(svc, "AJ-BF-0001", "a")
    issue_parcel(svc, "AJ-BF-0002", "b")
    seqs = [sell(svc, f"fb-{i}", quantity=q, buyer=b)["seq"] for i, (q, b) in
            enumerate([(3, "ENT-1-H"), (1, "ENT-2-H"), (2, "ENT-1-H")])]
    drop_journal_guard(svc)
    assert a and svc.verify().ok
    yield svc, seqs
    svc.db.dispose()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=edit, which=st.integers(0, 2), move=st.integers(0, 5))
@example(change=("set", "to_account", 5), which=0, move=0)  # once a traceback: the balance keys' sort
@example(change=("set", "from_state", {"a": 1}), which=0, move=0)  # once a traceback: an unhashable state
@example(change=("set", "to_state", [1]), which=0, move=0)
@example(change=("set", "to_account", 10**20), which=0, move=0)  # beyond 64 bits: orjson refuses, json reads
def test_the_typed_decoding_of_moves_reports_what_the_whole_parse_does(sold, change, which, move):  # type: ignore[no-untyped-def]
    """A sale's body edited in any way (a move's field of another type, missing or extra, batches
    added, the header changed, text no serialiser writes, not JSON at all) and the chain re-hashed
    from it: a full walk that decodes only the moves gives exactly the report of one that parses
    every body whole (the same verdict, first bad entry, problems, size, head and root)."""
    svc, seqs = sold
    seq = seqs[which]
    with svc.db.engine.connect() as conn:
        original = conn.execute(text("SELECT seq, body, prev_hash, entry_hash FROM journal_entry WHERE seq >= :s "
                                     "ORDER BY seq"), {"s": seq}).all()
    try:
        with svc.db.engine.begin() as conn:
            prev = original[0][2]
            for i, (s, body, _p, _h) in enumerate(original):
                if i == 0:
                    body = _edited(body, change, move)
                digest = entry_hash(prev, body)
                conn.execute(text("UPDATE journal_entry SET body = :b, prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                             {"b": body, "p": prev, "h": digest, "s": s})
                prev = digest
        with svc.db.read() as session:
            typed = verify_ledger(session, observers=[])
        with svc.db.read() as session:
            whole = verify_ledger(session, observers=[_Blind()])

        def said(r):  # type: ignore[no-untyped-def]
            # (an account beyond 64 bits: the whole parse's orjson reads it as the float 1e+20, the
            # typed decoding exactly; both fail on it, naming it in their own way)
            return repr((r.ok, r.first_bad_seq, r.problems, r.entries, r.head_hash, r.merkle_root, r.batches,
                         r.credits_issued)).replace("1e+20", str(10**20))

        assert said(typed) == said(whole)
    finally:
        with svc.db.engine.begin() as conn:
            for s, body, p, h in original:
                conn.execute(text("UPDATE journal_entry SET body = :b, prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                             {"b": body, "p": p, "h": h, "s": s})


def test_the_typed_decoding_is_taken_for_a_plain_sale(sold, monkeypatch):  # type: ignore[no-untyped-def]
    """The typed decoding is what a walk without observers uses (not a path never taken): a sale's
    move that only it reads is the one that decides the verdict."""
    import ledger.verify as verify

    svc, _seqs = sold
    calls = []
    real = verify.FAST_BODY

    class Counting:
        def decode(self, text):  # type: ignore[no-untyped-def]
            calls.append(1)
            return real.decode(text)

    monkeypatch.setattr(verify, "FAST_BODY", Counting())
    with svc.db.read() as session:
        assert verify_ledger(session, observers=[]).ok
    assert len(calls) >= 3  # every entry without batches (the sales among them)


@pytest.mark.parametrize("forged", [("to_account", 5), ("from_state", {"a": 1}), ("to_state", [1])])
@pytest.mark.parametrize("full", [True, False])
def test_a_rewritten_chain_giving_credits_to_a_number_is_a_clean_failure(sold, full, forged):  # type: ignore[no-untyped-def]
    """A sale re-written (and the chain re-hashed) to give its credits to the account 5, not text,
    or with a state that is no text: verify fails, never a traceback, with every audit in process,
    full or incremental."""
    import json

    svc, seqs = sold
    with svc.db.engine.connect() as conn:
        original = conn.execute(text("SELECT seq, body, prev_hash, entry_hash FROM journal_entry WHERE seq >= :s "
                                     "ORDER BY seq"), {"s": seqs[0]}).all()
    if not full:
        svc.verify(record=True)
    try:
        with svc.db.engine.begin() as conn:
            prev = original[0][2]
            for i, (s, body, _p, _h) in enumerate(original):
                if i == 0:
                    doc = json.loads(body)
                    for m in doc["payload"]["moves"]:
                        m[forged[0]] = forged[1]
                    body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                digest = entry_hash(prev, body)
                conn.execute(text("UPDATE journal_entry SET body = :b, prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                             {"b": body, "p": prev, "h": digest, "s": s})
                prev = digest
        report = svc.verify(full=full)
        assert not report.ok and report.problems
    finally:
        with svc.db.engine.begin() as conn:
            for s, body, p, h in original:
                conn.execute(text("UPDATE journal_entry SET body = :b, prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                             {"b": body, "p": p, "h": h, "s": s})
            conn.exec_driver_sql("DELETE FROM verified_checkpoint")
