"""``sinkledger verify``: recompute the hash chain, replay the journal, compare with the tables.

Two modes (see docs/ledger.md, "Verify", for exactly what each checks):

**Full** (``full=True``, ``sinkledger verify --full``; also when no verified checkpoint exists):

1. the chain: seq contiguous from 1, each ``prev_hash`` equal to the previous ``entry_hash``,
   each ``entry_hash`` recomputed from the stored body, indexed columns equal to the body;
2. replay: every move of every entry applies cleanly to the blocks built so far (no serial
   created twice, nothing moved that was not there);
3. the projection: the ``credit_block`` table equals the replayed blocks, block for block, and
   the ``balance`` table their sums per account, batch and state;
4. conservation: for every batch, issued = held + pledged + retired + cancelled;
5. checkpoints: every recorded Merkle checkpoint equals the root recomputed at its size;
6. the stored Merkle subtree hashes (``merkle_node``, :class:`ledger.merkle_nodes.NodeCheck`):
   every one the tree completes, as the journal gives it, and nothing else;
7. every verified head: the entry at each :class:`~ledger.store.VerifiedCheckpointRow`'s size
   still has the hash recorded there (compared in the walk as the entries pass).

**Incremental** (the default of ``sinkledger verify`` once a verify has passed and recorded a
:class:`~ledger.store.VerifiedCheckpointRow`): the entry at the verified size still has the
recorded hash, then checks 1, 5 and 6 for the entries after it (the Merkle root extended from
the recorded frontier, the stored subtree hashes the tail completed and the table's row count),
and the projection for what those entries did: the blocks they created or split exactly as
stored, the whole ``balance`` table equal to the verified one plus their moves, conservation of
every batch they touched, the ``batch`` table's count and total.

The first failure is named by its journal seq. Merkle roots follow RFC 6962. The replay keeps,
per batch, three parallel lists (first serials, last serials, owners), each owner one shared
``(account, state, tag)`` tuple: the same blocks as :class:`ledger.domain.BlockSet`, split the
same way, at a fraction of its time and memory.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import chain, compress, islice, repeat
from operator import itemgetter
from typing import Any, Literal, Protocol

import msgspec
import orjson
from sqlalchemy import text
from sqlmodel import Session

from ledger import journal
from ledger.merkle_nodes import NodeCheck
from ledger.merkle_walk import Frontier, TreeWalk
from ledger.sql import stream_pages
from ledger.domain import GENESIS_HASH, BlockState
from ledger.report import MODE_FULL, MODE_INCREMENTAL, VerifyReport  # noqa: F401 - VerifyReport re-exported
from ledger.store import VerifiedCheckpointRow

STATES = frozenset(s.value for s in BlockState)
BODY_HEADER = itemgetter("seq", "kind", "request_id", "actor", "recorded_at")  # as the journal's first columns
# a move's fields from its record (a dict); a record without "tag"
# (which every move written carries) goes to Replay.apply, which reads it as None
MOVE_FIELDS = itemgetter("batch_id", "first", "last", "from_account", "from_state", "to_account", "to_state", "tag")
BLOCK_PAGE_ROWS = 20_000


_State = Literal[tuple(s.value for s in BlockState)]  # type: ignore[valid-type]


class _FastMove(msgspec.Struct, gc=False):
    """A move between accounts as the common case has it (typed strictly: ``first`` an int, not a
    bool or text; a state one of the block states). Any other shape fails to decode, and its whole
    entry is read the general way."""
    batch_id: str
    first: int
    last: int
    from_account: str
    from_state: _State
    to_account: Any
    to_state: _State
    tag: Any = None


class _FastPayload(msgspec.Struct, gc=False):
    """What a replay reads of a payload: its moves. Every other field is skipped unbuilt (though
    checked to be well-formed JSON); an entry that issues batches fails to decode (``batches``
    may only be absent) and is read the general way."""
    moves: list[_FastMove] = []
    batches: msgspec.UnsetType = msgspec.UNSET


class _FastBody(msgspec.Struct, gc=False):
    seq: int
    kind: str
    request_id: Any
    actor: Any
    recorded_at: Any
    payload: _FastPayload


FAST_BODY = msgspec.json.Decoder(_FastBody)  # a body decoded for the replay alone (_full_walk)
Progress = Callable[[int, int], None]  # (entries checked, entries to check)


class Observer(Protocol):
    """A table audit run beside verify (``verify_ledger(..., observers=[...])``)."""

    def begin(self, session: Session, after_seq: int) -> None: ...
    def entry(self, seq: int, kind: str, recorded_at: str, payload: dict[str, Any]) -> None: ...
    def finish(self, session: Session, report: "VerifyReport") -> None: ...


# -- reading ---------------------------------------------------------------------------------

def _scalar(session: Session, sql: str, params: dict[str, Any] | None = None) -> Any:
    return session.execute(text(sql), params or {}).scalar()


# -- digests of the derived tables -----------------------------------------------------------

def balances_digest(sums: dict[tuple[str, str, str], int]) -> str:
    """SHA-256 over the non-zero ``(account, batch, state) → quantity`` rows, sorted."""
    rows = sorted((k, q) for k, q in sums.items() if q)
    return hashlib.sha256("".join([f"{a}\t{b}\t{s}\t{q}\n" for (a, b, s), q in rows]).encode()).hexdigest()


def checkpoints_digest(checkpoints: dict[int, str], up_to: int) -> str:
    """SHA-256 over the recorded checkpoints *below* ``up_to`` (one recorded later at exactly the
    verified size is checked against the verified root instead, so that ``verify`` then
    ``checkpoint`` then ``verify`` holds)."""
    h = hashlib.sha256()
    for size in sorted(c for c in checkpoints if c < up_to):
        h.update(f"{size}\t{checkpoints[size]}\n".encode())
    return h.hexdigest()


def _stored_balances(session: Session) -> dict[tuple[str, str, str], int]:
    """The balance table's non-zero rows (those its digest covers), read as plain driver tuples
    (most rows of a large ledger are zero: the partial index of the non-zero ones is read)."""
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.execute("SELECT account_id, batch_id, state, quantity FROM balance WHERE quantity <> 0")
        return {(a, b, s): q for a, b, s, q in cursor.fetchall()}
    finally:
        cursor.close()


def _stored_checkpoints(session: Session) -> dict[int, str]:
    return {size: root for size, root in session.execute(text("SELECT tree_size, root FROM checkpoint")).all()}


def _verified_heads(session: Session) -> dict[int, tuple[str, str]]:
    """Every verified head: ``size → (head hash, verified at)`` of each verified checkpoint row
    (one per size a recording verify passed at; never pruned), which a full walk holds the journal
    to."""
    return {size: (head, at) for size, head, at in session.execute(text(
        "SELECT tree_size, head_hash, verified_at FROM verified_checkpoint WHERE tree_size > 0")).all()}


def _moved_head(report: VerifyReport, size: int, verified_at: str) -> None:
    """The entry at a verified size is gone or no longer has the hash recorded there (a prefix
    rewritten and re-hashed to the end changes it): the same problem in both modes."""
    report.fail(size, f"entry {size} no longer has the hash verified on {verified_at}",
                table="journal_entry", key=size)


# -- the replay ------------------------------------------------------------------------------

def split(firsts: list[int], lasts: list[int], owners: list[Any], i: int, first: int, last: int, new: Any) -> None:
    """Give serials ``first..last`` of block ``i`` (which holds them) to ``new``: the block's
    parts before and after stay its owner's, as blocks of their own. The one place a replay
    splits a block, in the hot loop of a full verify and in :class:`Replay`."""
    src, src_last = owners[i], lasts[i]
    if firsts[i] < first:
        lasts[i] = first - 1
        i += 1
        firsts.insert(i, first)
        lasts.insert(i, last)
        owners.insert(i, new)
    else:
        lasts[i] = last
        owners[i] = new
    if last < src_last:
        firsts.insert(i + 1, last + 1)
        lasts.insert(i + 1, src_last)
        owners.insert(i + 1, src)


class ReplayError(ValueError):
    pass


def parse_move(r: Any) -> tuple[str, int, int, str | None, str | None, str, str, Any]:
    """A move record as ``(batch, first, last, from_account, from_state, to_account, to_state,
    tag)``, checked as :meth:`ledger.domain.Move.from_record` checks it."""
    try:
        batch_id, first, last = r["batch_id"], int(r["first"]), int(r["last"])
        from_account, from_state, to_account, to_state = r["from_account"], r["from_state"] or None, \
            r["to_account"], r["to_state"]
        tag = r.get("tag")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReplayError(f"move record unreadable: {exc!r}") from None
    if (from_state is not None and (type(from_state) is not str or from_state not in STATES)) or \
            type(to_state) is not str or to_state not in STATES:
        raise ReplayError(f"move of {batch_id} {first}..{last}: state not known")
    if not isinstance(batch_id, str):
        raise ReplayError(f"move batch {batch_id!r} is not text")
    if first > last:
        raise ReplayError(f"empty move {batch_id} {first}..{last}")
    return batch_id, first, last, from_account, from_state, to_account, to_state, tag


class Replay:
    """The blocks of every batch: ``batch → [firsts, lasts, owners]``, sorted by first serial."""

    def __init__(self) -> None:
        self.batches: dict[str, list[list[Any]]] = {}
        self._owners: dict[Any, tuple[Any, ...]] = {}

    def owner(self, account: Any, state: str, tag: Any) -> tuple[Any, ...]:
        key = (account, state, tag)
        try:
            return self._owners.setdefault(key, key)
        except TypeError:
            raise ReplayError(f"tag {tag!r} is not a value") from None

    def apply(self, move: tuple[Any, ...]) -> None:
        """Apply one parsed move as :meth:`ledger.domain.BlockSet.apply` does; raises ReplayError."""
        batch_id, first, last, from_account, from_state, to_account, to_state, tag = move
        new = self.owner(to_account, to_state, tag)
        lists = self.batches.get(batch_id)
        if from_account is None:
            if lists is None:
                self.batches[batch_id] = [[first], [last], [new]]
                return
            firsts, lasts, owners = lists
            i = bisect_left(firsts, first)
            if (i < len(firsts) and firsts[i] <= last) or (i > 0 and lasts[i - 1] >= first):
                raise ReplayError(f"serial block overlaps an existing one: {batch_id} {first}..{last}")
            firsts.insert(i, first)
            lasts.insert(i, last)
            owners.insert(i, new)
            return
        if lists is None:
            raise ReplayError(f"move {batch_id} {first}..{last} is not inside one block")
        firsts, lasts, owners = lists
        i = bisect_right(firsts, first) - 1
        if i < 0 or lasts[i] < last:
            raise ReplayError(f"move {batch_id} {first}..{last} is not inside one block")
        src = owners[i]
        if src[0] != from_account or src[1] != from_state:
            raise ReplayError(f"move {batch_id} {first}..{last} from {from_account}/{from_state} does not match "
                              f"block {firsts[i]}..{lasts[i]} of {src[0]}/{src[1]}")
        split(firsts, lasts, owners, i, first, last, new)

    def blocks(self) -> Iterator[tuple[str, int, int, tuple[Any, ...]]]:
        """``(batch, first, last, owner)`` in (batch, first) order, code point order of batch ids."""
        for batch_id in sorted(self.batches):
            firsts, lasts, owners = self.batches[batch_id]
            for k in range(len(firsts)):
                yield batch_id, firsts[k], lasts[k], owners[k]


def _payload_parts(payload: Any) -> tuple[list[Any], list[Any]]:
    if not isinstance(payload, dict):
        raise ReplayError("payload is not an object")
    batches, moves = payload.get("batches", []), payload.get("moves", [])
    if not isinstance(batches, list) or not isinstance(moves, list):
        raise ReplayError("batches or moves is not a list")
    return batches, moves


def _issued(batch: Any) -> tuple[str, int]:
    try:
        return batch["batch_id"], batch["quantity"]
    except (KeyError, TypeError) as exc:
        raise ReplayError(f"batch record unreadable: {exc!r}") from None


# -- entry point ---------------------------------------------------------------------------

def verify_ledger(session: Session, *, full: bool = True, observers: Sequence[Observer] | None = None,
                  progress: Progress | None = None, jobs: int = 1) -> VerifyReport:
    """Verify the ledger read through ``session`` (which it never writes).

    ``full=False`` checks incrementally from the latest verified checkpoint when there is one
    (else in full). Observers (default: every table audit, :mod:`ledger.table_audits`) see
    ``begin(session, after_seq)``, then ``entry(...)`` for every entry checked, in order, after
    its chain checks, then ``finish(session, report)``.

    ``jobs=2``: a full run of a large journal lets an observer that can (``start_beside(session,
    entries)``, the table audits) run in a second process beside the walk; it is then not begun
    nor given entries here, and its ``finish`` brings in what it found. ``jobs=1``: one process."""
    if observers is None:
        from ledger.table_audits import table_audits  # deferred: the audits import the parcel geometry stack
        observers = [table_audits()]
    report = VerifyReport()
    verified = None if full else latest_verified(session)
    collecting = gc.isenabled()
    gc.disable()  # a walk makes millions of objects and no cycles: the collector would only rescan them
    try:
        if verified is None:
            walked = _full(session, report, observers, progress, jobs)
        else:
            walked = _incremental(session, verified, report, observers, progress)
        if walked:  # an observer that did not see every entry has nothing to finish
            for observer in observers:
                observer.finish(session, report)
            if report.mode == MODE_FULL:  # (incremental: the batches the tail touched, in _incremental)
                check_take_order(session, report)
    finally:
        for observer in observers:  # a second process still running (the walk stopped) is stopped
            close = getattr(observer, "close", None)
            if callable(close):
                close()
        if collecting:
            gc.enable()
    return report


def latest_verified(session: Session) -> VerifiedCheckpointRow | None:
    row = session.execute(text("SELECT tree_size FROM verified_checkpoint ORDER BY tree_size DESC LIMIT 1")).first()
    return session.get(VerifiedCheckpointRow, row[0]) if row else None


def _walk(session: Session, report: VerifyReport, after: int, prev: str, tree: Frontier,
          checkpoints: dict[int, str], observers: Sequence[Observer], progress: Progress | None,
          on_entry: Callable[[int, Any], str | None]) -> bool:
    """Check the chain from entry ``after + 1`` to the head, extending ``tree``; ``on_entry(seq,
    payload)`` returns a replay problem or None. False (and the report failed) at the first problem."""
    for observer in observers:
        observer.begin(session, after)
    total = max(0, (_scalar(session, "SELECT max(seq) FROM journal_entry") or 0) - after)
    expected, done = after + 1, 0
    check_link, add = journal.check_link, tree.add_hex
    for row in journal.iter_raw(session, after=after):
        seq, digest = row[0], row[-1]
        problem, body = check_link(row, expected, prev)
        if problem is not None:
            report.fail(problem.seq, problem.problem)
            return False
        add(digest)
        if seq in checkpoints and tree.root().hex() != checkpoints[seq]:
            report.fail(seq, f"checkpoint at tree size {seq} does not match the journal", table="checkpoint", key=seq)
            return False
        payload = body.get("payload")
        for observer in observers:
            observer.entry(seq, row[1], row[4], payload)
        replay_problem = on_entry(seq, payload)
        if replay_problem is not None:
            report.fail(seq, replay_problem)
            return False
        prev, expected = digest, seq + 1
        report.entries += 1
        done += 1
        if progress is not None and done % 10_000 == 0:
            progress(done, total)
    if progress is not None:
        progress(done, max(total, done))
    report.entries += after
    if any(size > report.entries for size in checkpoints):
        report.fail(report.entries + 1, "the journal is shorter than a recorded checkpoint")
        return False
    report.head_hash = prev
    report.merkle_root = tree.root().hex()
    report.checkpoints = len(checkpoints)
    return True


def _full(session: Session, report: VerifyReport, observers: Sequence[Observer], progress: Progress | None,
          jobs: int = 1) -> bool:
    replay = Replay()
    issued: dict[str, int] = {}
    checkpoints = _stored_checkpoints(session)
    heads = _verified_heads(session)
    tree_beside = None  # the observer whose second process computes the Merkle tree
    if jobs > 1:  # observers that run beside the walk, in a second process, are not walked here
        entries = _scalar(session, "SELECT max(seq) FROM journal_entry") or 0
        here = []
        for o in observers:
            start = getattr(o, "start_beside", None)
            if not callable(start):
                here.append(o)
            elif tree_beside is None and callable(getattr(o, "tree_result", None)):
                if start(session, entries, checkpoints):
                    tree_beside = o
                else:
                    here.append(o)
            elif not start(session, entries):
                here.append(o)
        observers = here
    tree = TreeWalk(checkpoints)
    walked = _full_walk(session, report, replay, issued, None if tree_beside is not None else tree, observers,
                        progress, heads)
    projection: tuple[VerifyReport, dict[tuple[Any, str, str], int]] | None = None
    if tree_beside is not None:
        if walked is None:  # while the second process ends its walk: the projection compared, its problems kept aside
            aside = VerifyReport()
            projection = aside, _compare_projection(session, replay, issued, aside)
        tree = _tree_from_beside(session, tree_beside, checkpoints, walked, report)
    if tree.mismatch is not None:  # before any problem the walk found: the walk would have stopped there
        seq = tree.mismatch
        report.ok, report.first_bad_seq, report.problems = True, None, []
        report.entries, report.head_hash = 0, GENESIS_HASH  # as a walk that stopped there leaves them
        report.fail(seq, f"checkpoint at tree size {seq} does not match the journal", table="checkpoint", key=seq)
        return False
    if walked is not None:  # (the walk stopped at a problem, named)
        return False
    report.entries = tree.size
    if any(c > report.entries for c in checkpoints):
        report.fail(report.entries + 1, "the journal is shorter than a recorded checkpoint")
        return False
    beyond = [size for size in heads if size > report.entries]
    if beyond:  # a verified head the journal no longer reaches
        _moved_head(report, min(beyond), heads[min(beyond)][1])
        return False
    report.head_hash = tree.head_hash
    report.merkle_root = tree.frontier.root().hex()
    report.checkpoints = len(checkpoints)
    tree.finish_nodes(session, report)
    if projection is None:
        sums = _compare_projection(session, replay, issued, report)
    else:  # its problems after the tree's, as when compared here (none names an entry)
        aside, sums = projection
        for problem in aside.problems:
            report.ok = False
            report.problems.append(problem)
    report.batches, report.credits_issued = len(issued), sum(q for q in issued.values() if isinstance(q, int))
    if report.ok:
        report.state = {"frontier": tree.frontier.dumps(), "balances_digest": balances_digest(sums),
                        "checkpoints_digest": checkpoints_digest(checkpoints, report.entries)}
    return True


def _tree_from_beside(session: Session, observer: Any, checkpoints: dict[int, str], walked: int | None,
                      report: VerifyReport) -> TreeWalk:
    """The Merkle tree the second process computed, if it says it for the journal this walk
    checked (the same head, every entry); else computed here from the entry hashes (read again).
    After a walk that stopped, the tree of the entries before the stop (``walked``: how many),
    here: a checkpoint that does not match before it is the first problem."""
    if walked is None:
        answer = observer.tree_result()
        if answer is not None:
            tree = TreeWalk.from_answer(checkpoints, answer)
            if tree.mismatch is not None and tree.mismatch <= report.entries:
                return tree  # (the entries up to it: the ones this walk checked)
            if tree.mismatch is None and tree.stopped is None and tree.size == report.entries and \
                    tree.head_hash == report.head_hash:
                return tree
    tree = TreeWalk(checkpoints)
    tree.read(session, report.entries if walked is None else walked)
    return tree


def _full_entry(replay: Replay, issued: dict[str, int], payload: Any) -> str | None:
    """The replay of one entry (the general path: :func:`_full_walk` inlines the common case)."""
    try:
        batches, moves = _payload_parts(payload)
        for batch in batches:
            batch_id, quantity = _issued(batch)
            if batch_id in issued:
                return f"batch {batch_id} issued twice"
            issued[batch_id] = quantity
        for record in moves:
            replay.apply(parse_move(record))
    except ReplayError as exc:
        return f"replay failed: {exc}"
    return None


def _full_walk(session: Session, report: VerifyReport, replay: Replay, issued: dict[str, int],
               tree: TreeWalk | None, observers: Sequence[Observer], progress: Progress | None,
               heads: dict[int, tuple[str, str]] | None = None) -> int | None:
    """:func:`_walk` from the genesis with the replay, for millions of entries: the chain check
    and a sale's move inlined in one loop over plain tuples (any entry that is not plainly right
    goes through :func:`ledger.journal.check_link` and :meth:`Replay.apply`, which name its
    problem). ``tree`` (None when the second process computes it) is given each page once it is
    checked. ``heads`` (:func:`_verified_heads`): the entry at each verified size, once its chain
    holds and before its replay, must have the hash recorded there (one integer comparison an
    entry: its seq with the next verified size). Returns None when every entry passed
    (``report.entries`` and ``report.head_hash``: the journal's), else the number of entries the
    tree must hold for the report to be the one :func:`_walk` with :func:`_full_entry` gives: those
    before the entry that failed, and that entry too if its chain held (its checkpoint and its
    verified head are compared before its replay). The problem is on the report."""
    for observer in observers:
        observer.begin(session, 0)
    total = _scalar(session, "SELECT max(seq) FROM journal_entry") or 0
    sha, loads, header = hashlib.sha256, orjson.loads, BODY_HEADER
    # With no observer here (they read whole payloads), a body is decoded for its moves alone
    # (FAST_BODY: about a third of a full parse, the rest of the body skipped but checked to be
    # JSON); a body that does not decode that way (it issues batches, a field of another type or
    # missing, not JSON) is read and replayed as before, which names any problem.
    fast, asdict = (FAST_BODY.decode if not observers else None), msgspec.structs.asdict
    unfast = (msgspec.MsgspecError, TypeError, ValueError)  # (a body that is no text: not decoded)
    prev, expected, done = GENESIS_HASH, 1, 0
    heads = {} if heads is None else heads
    pins = iter(sorted(heads))
    pin = next(pins, None)  # the next verified size
    for page in journal.iter_raw_pages(session):
        for row in page:
            seq, kind, request_id, actor, recorded_at, body_text, prev_hash, digest = row
            body = fb = None
            if fast is not None:
                try:  # decoded first: the text then holds its UTF-8, which the hash's encode() copies
                    fb = fast(body_text)
                except unfast:
                    pass
            chained = seq == expected and prev_hash == prev and type(body_text) is str and \
                sha((prev_hash + "\n").encode() + body_text.encode()).hexdigest() == digest
            if fb is not None and (not chained or
                                   (fb.seq, fb.kind, fb.request_id, fb.actor, fb.recorded_at) != row[:5]):
                fb = None
            if fb is None:
                if chained:
                    try:
                        body = loads(body_text)
                    except orjson.JSONDecodeError:
                        pass
                try:  # a body without one of these goes to check_link all the same
                    plain = type(body) is dict and header(body) == row[:5]
                except (KeyError, TypeError, IndexError):
                    plain = False
                if not plain:
                    problem, body = journal.check_link(row, expected, prev)
                    if problem is not None:
                        report.fail(problem.seq, problem.problem)
                        return _stopped(tree, page, row, done, False)
            if seq == pin:  # a verified head (its chain holds: ``digest`` is its body's hash)
                if digest != heads[seq][0]:
                    _moved_head(report, seq, heads[seq][1])
                    return _stopped(tree, page, row, done, True)
                pin = next(pins, None)
            if fb is not None:
                problem_text = _replay_decoded(replay, fb.payload.moves, asdict)
            else:
                payload = body.get("payload")
                for observer in observers:
                    observer.entry(seq, kind, recorded_at, payload)
                if type(payload) is dict and "batches" not in payload and \
                        type(moves := payload.get("moves", [])) is list:
                    problem_text = _replay_moves(replay, moves)
                else:
                    problem_text = _full_entry(replay, issued, payload)
            if problem_text is not None:
                report.fail(seq, problem_text)
                return _stopped(tree, page, row, done, True)
            prev, expected = digest, seq + 1
            done += 1
            if progress is not None and seq % 10_000 == 0:
                progress(seq, total)
        if tree is not None:
            tree.add(page)
    report.entries, report.head_hash = done, prev
    if progress is not None:
        progress(done, max(total, done))
    return None


def _replay_moves(replay: Replay, moves: Sequence[Any]) -> str | None:
    """Replay one entry's move records (dicts), the common case (a move between accounts inside one
    block) checked here and given to :func:`split`; any other move goes through
    :meth:`Replay.apply`, which applies it or names its problem. The problem, or None. (The typed
    decoding's moves, most of a full run's, take :func:`_replay_decoded`.)"""
    batches, owner_of, states = replay.batches, replay._owners, STATES
    for r in moves:
        try:
            batch_id, first, last, from_account, from_state, to_account, to_state, tag = MOVE_FIELDS(r)
            key = (to_account, to_state, tag)
            new = owner_of.get(key) or owner_of.setdefault(key, key)
            lists = batches[batch_id] if from_account is not None and to_state in states and \
                from_state in states else None  # (a state that is no text, unhashable: TypeError)
        except (KeyError, TypeError, AttributeError):
            lists = None
        if lists is None or type(first) is not int or type(last) is not int or first > last or \
                type(batch_id) is not str:
            problem = _full_entry(replay, {}, {"moves": [r]})
            if problem is not None:
                return problem
            continue
        firsts, lasts, owners = lists
        i = bisect_right(firsts, first) - 1
        src = owners[i] if i >= 0 else None
        if src is None or lasts[i] < last or src[0] != from_account or src[1] != from_state:
            return _full_entry(replay, {}, {"moves": [r]})  # names the problem
        split(firsts, lasts, owners, i, first, last, new)
    return None


def _replay_decoded(replay: Replay, moves: Sequence[_FastMove], record: Callable[[Any], dict[str, Any]]) -> str | None:
    """:func:`_replay_moves` for moves the typed decoding gave (:class:`_FastMove`): every field's
    type and both states already checked by the decoder, so only what it cannot check is (an
    unhashable account or tag, an empty range, a batch or block the move does not fit). Any other
    move goes through :meth:`Replay.apply` (as its record), which applies it or names its problem."""
    batches, owner_of = replay.batches, replay._owners
    for m in moves:
        first, last = m.first, m.last
        key = (m.to_account, m.to_state, m.tag)
        try:
            new = owner_of.get(key) or owner_of.setdefault(key, key)
        except TypeError:  # (an account or a tag that is a list or an object)
            new = None
        lists = batches.get(m.batch_id)
        if new is None or lists is None or first > last:
            problem = _full_entry(replay, {}, {"moves": [record(m)]})
            if problem is not None:
                return problem
            continue
        firsts, lasts, owners = lists
        i = bisect_right(firsts, first) - 1
        if i < 0:
            return _full_entry(replay, {}, {"moves": [record(m)]})  # names the problem
        src = owners[i]
        src_last = lasts[i]
        if src_last < last or src[0] != m.from_account or src[1] != m.from_state:
            return _full_entry(replay, {}, {"moves": [record(m)]})  # names the problem
        if firsts[i] == first:  # split() inlined (the hot path): the whole block (a pledge's) or its first serials
            owners[i] = new
            if last < src_last:
                lasts[i] = last
                firsts.insert(i + 1, last + 1)
                lasts.insert(i + 1, src_last)
                owners.insert(i + 1, src)
        else:
            split(firsts, lasts, owners, i, first, last, new)
    return None


def _stopped(tree: TreeWalk | None, page: list[Any], row: Any, done: int, chained: bool) -> int:
    """After the walk stopped at ``row`` of ``page``: the entries the tree holds (this one too if its
    chain held), the tree fed up to there when it is this process's."""
    walked = done + 1 if chained else done
    if tree is not None:
        tree.add(page[:page.index(row) + (1 if chained else 0)])
    return walked


LOCATED_KEYS = 20  # differing blocks and balances named one by one in a report (the count says how many)


def _blocks_differ(session: Session, replay: Replay, keys: list[str] | None = None) -> int:
    """How many blocks are in the ``credit_block`` table or the replay but not in both, walking the
    table in (batch, first) order beside the replay in the same order, streamed (the replay is
    never sorted: each batch's blocks are kept in order). Keys order as Python orders text: by code
    point (SQLite's BINARY collation; ``COLLATE "C"`` on PostgreSQL). The first differing blocks'
    keys (``batch/first``) go to ``keys``."""
    keys = [] if keys is None else keys

    def located(batch_id: str, first: int) -> None:
        if len(keys) < LOCATED_KEYS:
            keys.append(f"{batch_id}/{first}")

    collate = ' COLLATE "C"' if session.get_bind().dialect.name == "postgresql" else ""
    pages = stream_pages(session, f"SELECT batch_id, first, last, account_id, state, tag FROM credit_block "
                                  f"ORDER BY batch_id{collate}, first", BLOCK_PAGE_ROWS)
    replayed: Iterator[tuple[Any, ...]] = _replayed_rows(replay)
    stored: Iterator[tuple[Any, ...]] = iter(())
    for page in pages:  # the common case: a page of stored blocks equal to as many replayed ones
        same = list(islice(replayed, len(page)))
        if same != page:  # from here on, block by block
            replayed, stored = chain(same, replayed), chain(page, chain.from_iterable(pages))
            break
    after = partial(next, replayed, None)
    differ = 0
    m = after()
    for row in stored:
        if m == row:  # the common case: the same block
            m = after()
            continue
        batch_id, first, last, account_id, state, tag = row
        while m is not None and (m[0] < batch_id or (m[0] == batch_id and m[1] < first)):
            differ += 1  # replayed, not stored
            located(m[0], m[1])
            m = after()
        if m is not None and m[0] == batch_id and m[1] == first:
            if m != row or state not in STATES:
                differ += 2  # the same serials, held differently
                located(batch_id, first)
            m = after()
        else:
            differ += 1  # stored, not replayed
            located(batch_id, first)
    while m is not None:
        differ += 1
        located(m[0], m[1])
        m = after()
    return differ


def _replayed_rows(replay: Replay) -> Iterator[tuple[Any, ...]]:
    """The replayed blocks as ``credit_block`` rows would read: (batch, first, last, account,
    state, tag), in (batch, first) order."""
    for batch_id in sorted(replay.batches):
        firsts, lasts, owners = replay.batches[batch_id]
        yield from zip(repeat(batch_id), firsts, lasts, [o[0] for o in owners], [o[1] for o in owners],
                       [o[2] for o in owners])


def _replayed_sums(replay: Replay) -> tuple[dict[tuple[Any, str, str], int], dict[str, int]]:
    """Credits per (account, batch, state) and per batch in the replayed blocks."""
    sums: dict[tuple[Any, str, str], int] = {}
    totals: dict[str, int] = {}
    for batch_id, (firsts, lasts, owners) in replay.batches.items():
        per_owner: dict[tuple[Any, ...], int] = defaultdict(int)
        distinct = {id(o): o for o in owners} if len(owners) > 64 else None
        if distinct is not None and len(distinct) <= 8:  # few holders of many blocks: a pass per holder, in C
            for owner in distinct.values():
                mine = [o is owner for o in owners]
                per_owner[owner] = sum(compress(lasts, mine)) - sum(compress(firsts, mine)) + sum(mine)
        else:
            for owner, first, last in zip(owners, firsts, lasts):
                per_owner[owner] += last - first + 1
        for (account, state, _tag), q in per_owner.items():
            key = (account, batch_id, state)
            sums[key] = sums.get(key, 0) + q
            totals[batch_id] = totals.get(batch_id, 0) + q
    return sums, totals


def _compare_projection(session: Session, replay: Replay, issued: dict[str, int],
                        report: VerifyReport) -> dict[tuple[Any, str, str], int]:
    keys: list[str] = []
    differ = _blocks_differ(session, replay, keys)
    sums, totals = _replayed_sums(replay)
    if differ:
        report.fail(None, f"credit_block table differs from the journal replay in {differ} block(s)",
                    table="credit_block", key=keys[0] if keys else None)
        report.problems[-1]["keys"] = keys
    for batch_id, quantity in issued.items():
        if totals.get(batch_id, 0) != quantity:
            report.fail(None, f"batch {batch_id}: issued {quantity} but blocks hold {totals.get(batch_id, 0)}",
                        table="credit_block", key=batch_id)
    stored, replayed = _stored_balances(session), {k: q for k, q in sums.items() if q}
    if stored != replayed:
        differing = sorted((k for k in stored.keys() | replayed.keys() if stored.get(k) != replayed.get(k)),
                           key=lambda k: tuple(map(str, k)))  # (a forged body's account may be a number)
        named = [f"{a}/{b}/{st}" for a, b, st in differing[:LOCATED_KEYS]]
        report.fail(None, f"balance table differs from the journal replay in {len(differing)} row(s)",
                    table="balance", key=named[0])
        report.problems[-1]["keys"] = named
    stored_batches = {b: last - first + 1 for b, first, last in session.execute(
        text("SELECT id, first, last FROM batch")).all()}
    if stored_batches != issued:
        report.fail(None, "batch table differs from the issuances in the journal", table="batch")
    return sums


# -- incremental -------------------------------------------------------------------------------

class _Tail:
    """What the entries after the verified checkpoint did: the blocks they created or split (as
    far as their own moves say: the serials they moved, split where they split them), the balance
    changes, the batches they touched and issued."""

    def __init__(self) -> None:
        self.known = Replay()  # only the serials the tail moved
        self.deltas: dict[tuple[Any, str, str], int] = {}
        self.touched: set[str] = set()
        self.issued: dict[str, tuple[int, int]] = {}  # batch → (quantity, seq)

    def apply(self, seq: int, payload: Any) -> str | None:
        try:
            batches, moves = _payload_parts(payload)
            for batch in batches:
                batch_id, quantity = _issued(batch)
                if batch_id in self.issued:
                    return f"batch {batch_id} issued twice"
                self.issued[batch_id] = (quantity, seq)
                self.touched.add(batch_id)
            for record in moves:
                self._move(parse_move(record))
        except ReplayError as exc:
            return f"replay failed: {exc}"
        return None

    def _move(self, move: tuple[Any, ...]) -> None:
        batch_id, first, last, from_account, from_state, to_account, to_state, _tag = move
        self.touched.add(batch_id)
        quantity = last - first + 1
        if from_account is not None:
            key = (from_account, batch_id, from_state)
            self.deltas[key] = self.deltas.get(key, 0) - quantity
        key = (to_account, batch_id, to_state)
        self.deltas[key] = self.deltas.get(key, 0) + quantity
        lists = self.known.batches.get(batch_id)
        if from_account is None or lists is None:
            self._place(move)
            return
        firsts, lasts, _ = lists
        i = bisect_right(firsts, first) - 1
        inside = i >= 0 and lasts[i] >= first
        j = bisect_left(firsts, first)
        overlaps = inside or (j < len(firsts) and firsts[j] <= last)
        if not overlaps:
            self._place(move)  # serials the tail had not moved yet: their source is before the checkpoint
        else:
            self.known.apply(move)  # within a block the tail made: checked exactly as the replay does

    def _place(self, move: tuple[Any, ...]) -> None:
        batch_id, first, last, from_account, _fs, to_account, to_state, tag = move
        if from_account is None and batch_id not in self.issued:
            raise ReplayError(f"serials {batch_id} {first}..{last} created outside an issuance of the tail")
        self.known.apply((batch_id, first, last, None, None, to_account, to_state, tag))


def _incremental(session: Session, verified: VerifiedCheckpointRow, report: VerifyReport,
                 observers: Sequence[Observer], progress: Progress | None) -> bool:
    size = verified.tree_size
    report.mode, report.from_seq = MODE_INCREMENTAL, size
    if size:
        anchor = session.execute(text("SELECT prev_hash, body, entry_hash FROM journal_entry WHERE seq = :s"),
                                 {"s": size}).first()
        if anchor is None or anchor[2] != verified.head_hash or \
                journal.entry_hash(anchor[0], anchor[1]) != verified.head_hash:
            _moved_head(report, size, verified.verified_at)
            return False
    checkpoints = _stored_checkpoints(session)
    if checkpoints_digest(checkpoints, size) != verified.checkpoints_digest:
        report.fail(None, "checkpoints up to the verified size changed since they were verified", table="checkpoint")
        return False
    if size in checkpoints and checkpoints[size] != verified.merkle_root:
        report.fail(size, f"the checkpoint at tree size {size} does not match the verified root", table="checkpoint",
                    key=size)
        return False
    tail = _Tail()
    try:
        tree = Frontier.loads(verified.frontier, size)
    except (ValueError, TypeError):
        report.fail(size, "the verified checkpoint's Merkle frontier is unreadable", table="verified_checkpoint",
                    key=size)
        return False
    later = {s: r for s, r in checkpoints.items() if s > size}
    tree.nodes = NodeCheck(after=size)
    if not _walk(session, report, size, verified.head_hash, tree, later, observers, progress, tail.apply):
        return False
    tree.nodes.finish(session, report, report.entries)
    report.checkpoints = len(checkpoints)
    stored_digest = _compare_tail(session, tail, verified, report)
    if report.ok:
        report.state = {"frontier": tree.dumps(), "balances_digest": stored_digest,
                        "checkpoints_digest": checkpoints_digest(checkpoints, report.entries)}
    return True


def _compare_tail(session: Session, tail: _Tail, verified: VerifiedCheckpointRow, report: VerifyReport) -> str:
    """Compare what the tail wrote with what is stored; the digest of the balance table as it is
    now (the one the new verified checkpoint records)."""
    # the blocks the tail made, exactly as stored, and nothing else stored among them
    differ = 0
    for batch_id, (firsts, lasts, owners) in sorted(tail.known.batches.items()):
        k = 0
        while k < len(firsts):
            run_first = firsts[k]
            while k + 1 < len(firsts) and firsts[k + 1] == lasts[k] + 1:
                k += 1
            run_last = lasts[k]
            k += 1
            stored = session.execute(text(
                "SELECT first, last, account_id, state, tag FROM credit_block WHERE batch_id = :b "
                "AND first >= :lo AND first <= :hi ORDER BY first"), {"b": batch_id, "lo": run_first, "hi": run_last}).all()
            before = session.execute(text("SELECT last FROM credit_block WHERE batch_id = :b AND first < :lo "
                                          "ORDER BY first DESC LIMIT 1"), {"b": batch_id, "lo": run_first}).first()
            if before is not None and before[0] >= run_first:
                differ += 1
            lo = bisect_left(firsts, run_first)
            hi = bisect_right(firsts, run_last)
            mine = {firsts[x]: (lasts[x], *owners[x]) for x in range(lo, hi)}
            theirs = {r[0]: (r[1], r[2], r[3], r[4]) for r in stored}
            differ += sum(1 for f in mine.keys() | theirs.keys() if mine.get(f) != theirs.get(f))
    if differ:
        report.fail(None, f"credit_block table differs from the journal tail in {differ} block(s)",
                    table="credit_block")
    # the balance table: the verified one plus the tail's moves
    stored = _stored_balances(session)
    sums = dict(stored)
    for key, delta in tail.deltas.items():
        sums[key] = sums.get(key, 0) - delta
    before = balances_digest(sums)
    stored_digest = balances_digest(stored) if tail.deltas else before
    if before != verified.balances_digest:
        report.fail(None, "balance table differs from the verified checkpoint and the journal tail", table="balance")
    # batches: the tail's issuances stored, the table's count and total as verified plus the tail's
    for batch_id, (quantity, seq) in sorted(tail.issued.items()):
        row = session.execute(text("SELECT first, last, issuance_seq FROM batch WHERE id = :b"), {"b": batch_id}).first()
        if row is None or row[1] - row[0] + 1 != quantity or row[2] != seq:
            report.fail(seq, f"batch {batch_id} issued twice or stored differently", table="batch", key=batch_id)
    count, total = session.execute(text("SELECT count(*), coalesce(sum(last - first + 1), 0) FROM batch")).one()
    issued_total = sum(q for q, _ in tail.issued.values() if isinstance(q, int))
    if (count, total) != (verified.batches + len(tail.issued), verified.credits_issued + issued_total):
        report.fail(None, "batch table differs from the verified checkpoint and the issuances in the journal tail",
                    table="batch")
    report.batches, report.credits_issued = int(count), int(total)
    # conservation of every batch the tail touched, by the balance index
    for batch_id in sorted(tail.touched):
        row = session.execute(text("SELECT b.last - b.first + 1, (SELECT coalesce(sum(q.quantity), 0) FROM balance q "
                                   "WHERE q.batch_id = b.id AND q.quantity <> 0) FROM batch b WHERE b.id = :b"),
                              {"b": batch_id}).first()
        if row is None or row[0] != row[1]:
            report.fail(None, f"batch {batch_id}: issued {row[0] if row else 0} but balances hold "
                              f"{row[1] if row else '?'}", table="balance", key=batch_id)
    check_take_order(session, report, sorted(k for k in tail.deltas if k[0] is not None))
    return stored_digest


# -- recording ---------------------------------------------------------------------------------

def record_verified(session: Session, report: VerifyReport, verified_at: str, duration_ms: int = 0) -> None:
    """Record the verified checkpoint a passing report leaves (nothing for a failed one)."""
    if not report.ok or report.state is None:
        return
    frontier = report.state["frontier"]
    if report.state.get("rows"):  # the row counts of the append-only audited tables, beside the frontier
        frontier = json.dumps({"stack": json.loads(frontier), "rows": report.state["rows"]}, sort_keys=True)
    params = {"n": report.entries, "h": report.head_hash, "r": report.merkle_root, "f": frontier,
              "bd": report.state["balances_digest"], "cd": report.state["checkpoints_digest"],
              "b": report.batches, "c": report.credits_issued, "m": report.mode, "from": report.from_seq,
              "at": verified_at, "ms": duration_ms}
    session.execute(text(
        "INSERT INTO verified_checkpoint (tree_size, head_hash, merkle_root, frontier, balances_digest, "
        "checkpoints_digest, batches, credits_issued, mode, from_seq, verified_at, duration_ms) "
        "VALUES (:n, :h, :r, :f, :bd, :cd, :b, :c, :m, :from, :at, :ms) ON CONFLICT (tree_size) DO UPDATE SET "
        "head_hash = excluded.head_hash, merkle_root = excluded.merkle_root, frontier = excluded.frontier, "
        "balances_digest = excluded.balances_digest, checkpoints_digest = excluded.checkpoints_digest, "
        "batches = excluded.batches, credits_issued = excluded.credits_issued, "
        "mode = excluded.mode, from_seq = excluded.from_seq, verified_at = excluded.verified_at, "
        "duration_ms = excluded.duration_ms"), params)


def timed(call: Callable[[], VerifyReport]) -> tuple[VerifyReport, int]:
    started = time.perf_counter()
    report = call()
    return report, int((time.perf_counter() - started) * 1000)


def check_take_order(session: Session, report: VerifyReport, keys: list[tuple[Any, str, str]] | None = None) -> None:
    """The take-order keys on ``balance`` rows (a sale takes oldest vintage first, then in
    issuance order, along ``ix_balance_take``) must be their batch's: every row in a full run;
    in an incremental one, the rows the tail's moves wrote (``(account, batch, state)`` keys, each
    read by the primary key)."""
    columns = ("q.account_id, q.batch_id, q.state FROM balance q LEFT JOIN batch b ON b.id = q.batch_id "
               "WHERE (b.id IS NULL OR q.vintage_year <> b.vintage_year OR q.issuance_seq <> b.issuance_seq)")
    count, named = 0, []
    if keys is None:
        count = session.execute(text(f"SELECT count(*) FROM (SELECT {columns}) d")).scalar_one()
        if count:
            named = [f"{a}/{b}/{st}" for a, b, st in session.execute(text(
                f"SELECT {columns} ORDER BY q.account_id, q.batch_id, q.state LIMIT {LOCATED_KEYS}")).all()]
    else:
        one = text(f"SELECT {columns} AND q.account_id = :a AND q.batch_id = :b AND q.state = :s")
        for account, batch_id, state in keys:
            for a, b, st in session.execute(one, {"a": account, "b": batch_id, "s": state}).all():
                count += 1
                named.append(f"{a}/{b}/{st}")
    if count:
        report.fail(None, f"balance table: {count} row(s) whose vintage year or issuance seq is not their "
                          "batch's (the order credits are taken in)", table="balance", key=named[0])
        report.problems[-1].update(code="row_differs_from_batch", keys=named[:LOCATED_KEYS])
