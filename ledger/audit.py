"""Every table a person reads as fact, checked against the journal: ``verify``'s table audits.

The journal is the source of truth; the tables beside it (sales, retirements, pledges, parties,
accounts, parcels and their versions, collection contracts...) are written in the same
transaction as the entry that implies them. An attacker with database access can change such a
row without touching the journal (``UPDATE sale SET amount_fen = amount_fen * 10``); the chain
still holds, so the row must be checked against what the journal says.

Each :class:`TableAudit` derives, from the entries of the kinds that write its table, the row
each key must have now (a later entry may change it: a release ends a pledge, a correction
deletes a sale), and reads the stored table once, streaming. A full run first compares two sums
(rows, and the sum of their keyed 12-byte digests) and keeps nothing per row; only when they
differ is the journal read again, key by key, to name each difference. Audits of rows that change
later keep a digest per key. Every difference names the table, the key and the entry that wrote
(or should have written) the row: a changed row, a row that no entry wrote, a row that is
missing.

The income and court tables have their audits beside their stores (:mod:`ledger.income.audit`,
:mod:`ledger.court.audit`); :func:`default_audits` gathers them all.

A large full run audits in a second process, beside the replay (:meth:`Audits.start_beside`);
an incremental run also holds the append-only tables' row counts to those recorded with the
verified checkpoint (:meth:`TableAudit.check_count`).

An audit is a verify *observer*: ``begin(session, after_seq)``, ``entry(seq, kind, recorded_at,
payload)`` for every entry in order, ``finish(session, report)``. In an incremental run
(``after_seq`` > 0) only rows written by the tail's entries are compared, on the keys the tail
touched.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import json
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
from decimal import Decimal
from functools import partial
from itertools import repeat
from operator import attrgetter
from typing import Any, Callable, Iterable, Iterator

import msgspec
import orjson
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from ledger import journal
from ledger.domain import SinkCode
from ledger.merkle_walk import TreeWalk
from ledger.report import VerifyReport
from ledger.sql import in_list, stream_pages, stream_rows
from sinkledger_base.canonical import canonical_json

# what an entry does to a table: ("put", key, seq, row) or ("delete", key, seq, None)
Change = tuple[str, Any, int, tuple | None]
Derive = Callable[[int, str, dict[str, Any]], Iterable[Change]]

STREAM_ROWS = 10_000
KEYS_PER_READ = 500


# A key drawn afresh by every process: digests (and so the sums a full run compares) cannot be
# computed in advance, so no set of crafted rows can be made to add up to the journal's sum.
_RUN_KEY = os.urandom(16)


_ENCODE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS


def _tagged(value: Any) -> list[str]:
    """A value JSON has no type for (bytes, a decimal, a date, a subclass of text...): its type
    and ``repr``, as a list, which no plain column value encodes to."""
    if isinstance(value, (memoryview, bytearray)):  # a driver's binary value: its bytes
        value = bytes(value)
    return ["\x00" + type(value).__name__, repr(value)]


def encode(row: tuple) -> bytes:
    """A fixed encoding of a row for its digest: JSON by orjson (``1``, ``"1"``, ``1.0``, ``true``
    and ``null`` all differ), other types tagged with their type (:func:`_tagged`). A row JSON cannot
    carry exactly (an integer beyond 64 bits, text with a lone surrogate, a float that is not
    finite, which JSON would write as ``null``) is encoded by its ``repr`` (which starts with
    ``(``, never ``[``)."""
    try:
        out = orjson.dumps(row, default=_tagged, option=_ENCODE_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return repr(row).encode("utf-8", "surrogatepass")
    if b"null" in out and out.count(b"null") != row.count(None) and _not_finite(row):
        return repr(row).encode("utf-8", "surrogatepass")
    return out


def _not_finite(row: tuple) -> bool:
    """A float of ``row`` that JSON writes as ``null`` (NaN, an infinity). Asked only when the
    encoding holds more ``null`` than the row has None: a value JSON writes as ``null`` that is not
    None is such a float, or text or a nested value holding the word."""
    return float in map(type, row) and any(type(v) is float and not math.isfinite(v) for v in row)


def digest(row: tuple) -> bytes:
    return hashlib.blake2b(encode(row), digest_size=12, key=_RUN_KEY).digest()


def encode_rows(rows: list[tuple]) -> bytes:
    """``encode(row) + b","`` for each row, joined: a stream of rows that does not depend on how
    it is cut into pages, encoded in one orjson call when every row is plain JSON (``[r1,r2]``
    less its brackets is ``r1,r2``), else row by row (:func:`encode`)."""
    if not rows:
        return b""
    try:
        out = orjson.dumps(rows, default=_tagged, option=_ENCODE_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        out = None
    if out is not None and b"null" in out:
        try:  # (rows the driver makes are tuples; anything else is checked value by value)
            nones = sum(map(tuple.count, rows, repeat(None)))
        except TypeError:
            nones = -1
        if out.count(b"null") != nones and any(_not_finite(r) for r in rows):
            out = None
    if out is None:
        return b"".join([encode(r) + b"," for r in rows])
    return out[1:-1] + b","


_NO_KEY = object()


class TableAudit:
    """The rows of ``table`` (columns ``columns``; the first ``key_len`` are its key) that the
    journal's entries imply, compared with the stored ones. ``kinds``: the entry kinds it reads."""

    kinds: tuple[str, ...] = ()
    # kind → the payload fields this audit reads of such entries, when it reads nothing else: if
    # every audit of a kind says so, the second process decodes only those (Audits.walk)
    payload_fields: dict[str, tuple[str, ...]] = {}

    def __init__(self, table: str, columns: tuple[str, ...], key_len: int, derive: dict[str, Derive],
                 *, seq_column: str | None = "seq", stored: Callable[[tuple], tuple] | None = None,
                 seq_of_stored: Callable[[tuple], int | None] | None = None, required: bool = True,
                 append_only: bool = False, ordered: bool = False, text_keys: tuple[str, ...] = (),
                 payload_fields: dict[str, tuple[str, ...]] | None = None, row_cost: float = 1.0) -> None:
        self.table, self.columns, self.key_len, self.derive = table, columns, key_len, derive
        if payload_fields is not None:
            self.payload_fields = payload_fields
        self.kinds = self.kinds or tuple(derive)
        self.seq_column = seq_column
        self.required = required  # False: a row may be absent (erased document bytes), never wrong or extra
        self._stored = stored or (lambda row: row)
        self._stored_given = stored is not None
        self._seq_of_stored = seq_of_stored or self._seq_column_value
        self.expected: dict[Any, tuple[int, bytes | None]] = {}
        self.after_seq = 0
        # a full run first compares sums: (rows, sum of digests) of what the journal implies and of
        # what is stored, so that a million sales cost no memory; only when they differ (or an
        # entry deletes a row) is the journal read again, key by key, to name each difference
        self.summable = type(self).entry is TableAudit.entry and required
        self.summing, self._sum_rows, self._sum_total = False, 0, 0
        # ``ordered``: the journal puts this table's keys in increasing order (a sale's row under
        # its own seq), so a full run compares one keyed hash over the rows in key order, the
        # journal's as derived and the stored ones read ``ORDER BY`` the key (``text_keys``: key
        # columns compared as text, in code point order), instead of a sum of per-row digests:
        # the rows' encodings hashed a page at a time. A key that does not follow the one before
        # (or a deletion) sends the run to the keyed comparison, as a difference of sums does.
        self.ordered = ordered and self.summable and stored is None
        self.text_keys = text_keys
        # what reading and comparing one stored row costs, against a plain row's: the order in which
        # two processes take the tables compared by sums (:func:`_largest_first`)
        self.row_cost = row_cost
        self._pending: list[tuple] = []
        self._last_key: Any = _NO_KEY
        self._stream: Any = None
        # a table whose rows are only ever added (each key put by one entry) or deleted: its row
        # count is recorded with the verified checkpoint, and an incremental run holds the table's
        # count now to it plus the tail's rows, so that a row added (or taken away) behind the
        # journal's back under a key the tail did not touch is seen without reading the table
        self.append_only = append_only and type(self).entry is TableAudit.entry
        self.row_count: int | None = None  # the table's row count, once a run has checked it
        self._tail_put: set[Any] = set()
        self._tail_deleted: set[Any] = set()

    def _seq_column_value(self, row: tuple) -> int | None:
        if self.seq_column is None or self.seq_column not in self.columns:
            return None
        return row[self.columns.index(self.seq_column)]

    def begin(self, session: Any, after_seq: int) -> None:
        self.expected.clear()
        self.after_seq = after_seq
        self.summing, self._sum_rows, self._sum_total = self.summable and not after_seq, 0, 0
        self._pending, self._last_key = [], _NO_KEY
        self._stream = hashlib.blake2b(digest_size=16, key=_RUN_KEY) if self.ordered else None
        self.row_count = None
        self._tail_put.clear()
        self._tail_deleted.clear()

    def entry(self, seq: int, kind: str, recorded_at: str, payload: dict[str, Any]) -> None:
        derive = self.derive.get(kind)
        if derive is None:
            return
        if self.summing:
            if self.ordered:
                pending, last = self._pending, self._last_key
                for op, key, _wrote, row in derive(seq, recorded_at, payload):
                    try:
                        follows = op != "delete" and (last is _NO_KEY or key > last)
                    except TypeError:
                        follows = False
                    if not follows:  # a deletion, or a key out of order: compared key by key
                        self.summing = False
                        return
                    pending.append(row)
                    last = key
                self._last_key = last
                if len(pending) >= STREAM_ROWS:
                    self._sum_rows += len(pending)
                    self._stream.update(encode_rows(pending))
                    pending.clear()
                return
            for op, _key, _wrote, row in derive(seq, recorded_at, payload):
                if op == "delete":  # a row taken away again: sums cannot say which
                    self.summing = False
                    return
                self._sum_rows += 1
                self._sum_total += int.from_bytes(hashlib.blake2b(encode(row), digest_size=12, key=_RUN_KEY).digest(),
                                                  "big")
            return
        for op, key, wrote, row in derive(seq, recorded_at, payload):
            self.expected[key] = (wrote, None if op == "delete" else digest(row))
            if self.append_only and self.after_seq:
                (self._tail_deleted if op == "delete" else self._tail_put).add(key)

    def put_ordered(self, rows: list[tuple], last_key: Any) -> None:
        """What :meth:`entry` does with an entry's rows in a full run still summing, ``ordered``,
        whose keys follow the last one and each other, ``last_key`` the last of them (the caller
        checks all that): for a walker that derives the rows itself (:attr:`Audits.walkers`)."""
        pending = self._pending
        pending.extend(rows)
        self._last_key = last_key
        if len(pending) >= STREAM_ROWS:
            self._sum_rows += len(pending)
            self._stream.update(encode_rows(pending))
            pending.clear()

    def follows(self, key: Any) -> bool:
        """Whether ``key`` follows the last key of a full run still summing in key order."""
        last = self._last_key
        try:
            return last is _NO_KEY or key > last
        except TypeError:
            return False

    def key_of(self, row: tuple) -> Any:
        return row[0] if self.key_len == 1 else tuple(row[:self.key_len])

    def _readable(self, raw: tuple) -> tuple:
        """The stored row as compared; one whose values its table cannot hold (text in a number
        column, no geometry) compares as itself marked unreadable: it differs, never a traceback."""
        try:
            return self._stored(raw)
        except (TypeError, ValueError, AttributeError, ArithmeticError):
            return (*raw, "unreadable")

    def stored_rows(self, session: Any) -> Iterator[tuple]:
        """Every stored row (a full run), else only the rows of the keys the tail touched, read
        by key ``KEYS_PER_READ`` at a time (an incremental run reads what its tail wrote, not the
        table)."""
        cols = self._select()
        if not self.after_seq:
            yield from stream_rows(session, f"SELECT {cols} FROM {self.table}", STREAM_ROWS)
            return
        firsts = sorted({k[0] if isinstance(k, tuple) else k for k in self.tail_keys()}, key=str)
        for i in range(0, len(firsts), KEYS_PER_READ):
            marks, params = in_list("k", firsts[i:i + KEYS_PER_READ])
            for row in session.execute(text(f"SELECT {cols} FROM {self.table} WHERE {self.columns[0]} IN ({marks})"),
                                       params):
                yield tuple(row)

    def _select(self) -> str:
        """What :meth:`stored_rows` selects: the columns (an audit may read more after them)."""
        return ", ".join(self.columns)

    def tail_keys(self) -> Iterable[Any]:
        return self.expected.keys()

    def finish(self, session: Any, report: Any) -> None:
        if self.summable and not self.after_seq:
            if self.summing:
                rows, total = self._stored_sums(session)
                if (rows, total) == self._journal_sums():
                    self.row_count = rows
                    return
            self._read_journal_by_key(session)
        self._compare(session, report)
        if not self.after_seq:
            self.row_count = sum(1 for _wrote, wanted in self.expected.values() if wanted is not None)

    def deferrable(self) -> bool:
        """A full run may read this table's stored side in another process than walks the journal
        (:meth:`Audits.start_beside`: the parent, while the second process finishes its other
        tables): a table compared by sums, with this class's comparison."""
        return self.summable and type(self).finish is TableAudit.finish

    def journal_sums(self) -> tuple[int, Any] | None:
        """After a full walk still in sum mode, the journal's side (:meth:`_journal_sums`) for another
        process to hold the stored side to; None when the table must be compared key by key here
        (an entry deleted a row, a key came out of order, an incremental run)."""
        return self._journal_sums() if self.summable and self.summing and not self.after_seq else None

    def settle(self, session: Any, report: Any, journal_sums: tuple[int, Any], stored_sums: tuple[int, Any]) -> None:
        """Finish a full run whose two sides were summed apart: the journal's (by the process that
        walked it) and the stored rows' (:meth:`_stored_sums`, here, with the same run key). Equal:
        nothing to name; else this process reads the journal again, key by key, to name each
        difference, as :meth:`finish` does."""
        if tuple(stored_sums) == tuple(journal_sums):
            self.row_count = stored_sums[0]
            return
        self.begin(session, 0)
        self._read_journal_by_key(session)
        self._compare(session, report)
        self.row_count = sum(1 for _wrote, wanted in self.expected.values() if wanted is not None)

    def _journal_sums(self) -> tuple[int, Any]:
        """The journal's side of a full run's comparison: rows, and the sum of their digests (or,
        ``ordered``, the hash of their stream)."""
        if not self.ordered:
            return self._sum_rows, self._sum_total
        self._sum_rows += len(self._pending)
        self._stream.update(encode_rows(self._pending))
        self._pending.clear()
        return self._sum_rows, self._stream.digest()

    def _stored_stream(self, session: Any) -> tuple[int, bytes]:
        """The stored rows in key order, hashed as :meth:`_journal_sums` hashes the journal's."""
        collate = ' COLLATE "C"' if session.get_bind().dialect.name == "postgresql" else ""
        order = ", ".join(c + (collate if c in self.text_keys else "") for c in self.columns[:self.key_len])
        stream, rows = hashlib.blake2b(digest_size=16, key=_RUN_KEY), 0
        for page in stream_pages(session, f"SELECT {', '.join(self.columns)} FROM {self.table} ORDER BY {order}",
                                 STREAM_ROWS):
            rows += len(page)
            stream.update(encode_rows(page))
        return rows, stream.digest()

    def _stored_sums(self, session: Any) -> tuple[int, Any]:
        """The stored side of a full run's comparison: rows, and the sum of their digests (or,
        ``ordered``, the hash of their stream)."""
        if self.ordered:
            return self._stored_stream(session)
        rows, total = 0, 0
        blake2b, key, frombytes = hashlib.blake2b, _RUN_KEY, int.from_bytes
        readable = self._readable if self._stored_given else None
        for raw in self.stored_rows(session):
            rows += 1
            total += frombytes(blake2b(encode(readable(raw) if readable else raw), digest_size=12, key=key).digest(),
                               "big")
        return rows, total

    def check_count(self, session: Any, report: Any, recorded: int | None) -> None:
        """An incremental run of an append-only table: its row count now must be the one recorded
        with the verified checkpoint, plus the rows the tail added, minus those it deleted."""
        if not self.append_only or not self.after_seq or recorded is None:
            return
        added = len(self._tail_put - self._tail_deleted)
        removed = len(self._tail_deleted - self._tail_put)
        now = int(session.execute(text(f"SELECT count(*) FROM {self.table}")).scalar() or 0)
        if now != recorded + added - removed:
            fail(report, None, self.table, "*", "row_count_differs",
                 detail=f"{now} stored, {recorded + added - removed} from the verified checkpoint and the journal tail")
        self.row_count = now

    def _read_journal_by_key(self, session: Any) -> None:
        """The keyed expectations, from a second read of the journal's entries of this table's kinds."""
        self.expected.clear()
        kinds = set(self.kinds)
        for seq, kind, _rid, _actor, recorded_at, body, _prev, _hash in journal.iter_raw(session):
            if kind in kinds:
                try:
                    for op, key, wrote, row in self.derive[kind](seq, recorded_at, json.loads(body)["payload"]):
                        self.expected[key] = (wrote, None if op == "delete" else digest(row))
                except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                    continue  # named already by the first walk (Audits.entry)

    def _compare(self, session: Any, report: Any) -> None:
        expected, incremental = self.expected, self.after_seq > 0
        seen: set[Any] = set()
        for raw in self.stored_rows(session):
            row = self._readable(raw)
            key = self.key_of(row)
            want = expected.get(key)
            if want is None:
                seq = self._seq_of_stored(row)
                if incremental and (seq is None or seq <= self.after_seq):
                    continue  # written before the tail: only a full verify compares it
                fail(report, seq, self.table, key, "row_not_in_journal")
                continue
            seen.add(key)
            wrote, wanted = want
            if wanted is None:
                fail(report, wrote, self.table, key, "row_deleted_in_journal_still_stored")
            elif digest(row) != wanted:
                fail(report, wrote, self.table, key, "row_differs_from_journal")
        if not self.required:
            return
        for key, (wrote, wanted) in expected.items():
            if wanted is not None and key not in seen:
                fail(report, wrote, self.table, key, "row_missing")


def check_columns(session: Any, report: Any, table: str, key_columns: tuple[str, ...],
                  wanted: dict[Any, tuple[int, dict[str, Any]]]) -> None:
    """Compare some columns of some rows, one read per row: what an incremental run's tail says of
    rows written before it (a lien ended, a due item paid), ``key → (seq, {column: value})``; a
    column may be an expression over the row (``amount_fen - paid_fen``)."""
    for key, (wrote, values) in wanted.items():
        keys = key if isinstance(key, tuple) else (key,)
        where = " AND ".join(f"{c} = :k{n}" for n, c in enumerate(key_columns))
        row = session.execute(text(f"SELECT {', '.join(values)} FROM {table} WHERE {where}"),
                              {f"k{n}": k for n, k in enumerate(keys)}).first()
        if row is None:
            fail(report, wrote, table, key, "row_missing")
        elif tuple(row) != tuple(values.values()):
            fail(report, wrote, table, key, "row_differs_from_journal")


def fail(report: Any, seq: int | None, table: str, key: Any, problem: str, *, columns: list[str] | None = None,
         detail: str | None = None) -> None:
    """Record a table difference on ``report`` naming table, key and entry (and the columns, when known)."""
    key_text = "/".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
    shown = f" in {', '.join(columns)}" if columns else f" ({detail})" if detail else ""
    report.fail(seq, f"{table} {key_text}: {problem.replace('_', ' ')}{shown}" + (f" (entry {seq})" if seq else ""))
    report.problems[-1].update({"table": table, "key": key_text, "code": problem})
    if columns:
        report.problems[-1]["columns"] = columns


# --- what each kind of entry writes ----------------------------------------------------------

def put(key: Any, seq: int, row: tuple) -> Change:
    """What an entry does to a table: ``key`` must hold ``row``, written by entry ``seq``."""
    return ("put", key, seq, row)


def _party(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    party = p.get("party")
    if party:
        yield put(party["id"], seq, (party["id"], party["kind"], party["name"], party.get("county_code")))


def _accounts(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    party = p.get("party") or {}
    for a in p.get("accounts", ()):
        if party.get("kind") == "registry" and "registry" not in p:
            owner, label = party["id"], a["kind"]  # the registry's system accounts
        elif "registry" in p:  # an imported programme's account
            owner, label = "REGISTRY", f"Imported programme: {p['registry']}"
        else:
            owner, label = party["id"], party["name"]
        yield put(a["id"], seq, (a["id"], owner, a["kind"], label))


# the payload fields _sale and _retirement read (a sale's and a retirement's moves and result, most of
# their bodies, are the replay's): the second process decodes only these (Audits.walk)
_SALE_FIELDS = ("seller_account", "buyer_account", "quantity", "price_fen_per_t", "amount_fen", "contract_no")
_RETIREMENT_FIELDS = ("retirement_id", "account_id", "quantity", "beneficiary", "purpose", "kind")


def _sale(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    return [("put", seq, seq, (seq, p["seller_account"], p["buyer_account"], p["quantity"], p["price_fen_per_t"],
                               p["amount_fen"], p["contract_no"], at))]  # a list: no generator for each of a million sales


def _court_sale(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    f = p["fulfilment"]
    yield put(seq, seq, (seq, f["seller_account"], f["buyer_account"], f["quantity_t"], f["price_fen_per_t"],
                          f["amount_fen"], f["contract_no"], at))


def _corrected_sale(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    if p.get("corrected_kind") in ("sale", "court_fulfilment"):
        yield ("delete", p["corrected_seq"], seq, None)


def _retirement(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield put(p["retirement_id"], seq, (p["retirement_id"], seq, p["account_id"], p["quantity"], p["beneficiary"],
                                         p["purpose"], p["kind"], at))


def _court_retirement(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    f = p["fulfilment"]
    yield put(f["retirement_id"], seq, (f["retirement_id"], seq, f["buyer_account"], f["quantity_t"],
                                         f["beneficiary"], f["purpose"], f["retirement_kind"], at))


def _imported_retirements(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    from ledger.registry_import.apply import RETIREMENT_KIND  # deferred: importers load their mappings
    for r in p.get("records", ()):
        rid = r.get("retirement_id")
        if rid:
            # the purpose kept is the registry's reason, else its note (RegistryRecord.purpose)
            # issue 20: a pooled retirement books what its pool held (booked_t), from its account
            yield put(rid, seq, (rid, seq, r.get("account", p["account_id"]), r.get("booked_t", r["quantity"]),
                                  r.get("beneficiary"), r.get("reason") or r.get("details"), RETIREMENT_KIND, at))


_PLEDGE_COLUMNS = ("id", "seq", "account_id", "bank_party_id", "quantity", "loan_reference", "loan_amount_fen",
                   "term_end", "status", "ended_seq")


class _PledgeAudit(TableAudit):
    """Pledges change status: keep each one's terms to derive its row after a release or default.
    A lien (``ledger.income.liens``) makes pledges at issuance (``lien_pledges``, on the lien's
    loan terms) and ends them with the lien. In an incremental run a pledge made before the tail
    and ended in it is compared on its status and end alone."""

    kinds = ("pledge", "release", "pledge_default", "lien_registered", "issuance", "lien_released", "lien_defaulted")
    # a pledge's and a release's moves and blocks (most of their bodies) are the replay's, not this table's
    payload_fields = {"pledge": ("pledge_id", "account_id", "bank_party_id", "quantity", "loan_reference",
                                 "loan_amount_fen", "term_end"),
                      "release": ("pledge_id", "status")}

    def __init__(self) -> None:
        super().__init__("pledge", _PLEDGE_COLUMNS, 1, {})
        self.terms: dict[str, tuple] = {}
        self.ended_only: dict[str, tuple[int, dict[str, Any]]] = {}
        self.liens: dict[str, tuple] = {}  # lien id -> (bank, loan reference, loan amount, term end)
        self.session: Any = None

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.terms.clear()
        self.liens.clear()
        self.ended_only.clear()
        self.session = session

    def _lien_terms(self, lien_id: str) -> tuple:
        if lien_id not in self.liens:  # registered before an incremental run's tail
            row = self.session.execute(text("SELECT bank_party_id, loan_reference, loan_amount_fen, term_end "
                                            "FROM lien WHERE id = :id"), {"id": lien_id}).first()
            self.liens[lien_id] = tuple(row) if row is not None else (None, None, None, None)
        return self.liens[lien_id]

    def _made(self, seq: int, pledge_id: str, row: tuple) -> None:
        self.terms[pledge_id] = row
        self.expected[pledge_id] = (seq, digest(row + ("active", None)))

    def _ended(self, seq: int, pledge_id: str, status: str) -> None:
        terms = self.terms.get(pledge_id)
        if terms is None:
            self.ended_only[pledge_id] = (seq, {"status": status, "ended_seq": seq})
        else:
            self.expected[pledge_id] = (seq, digest(terms + (status, seq)))

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if kind == "pledge":
            self._made(seq, p["pledge_id"], (p["pledge_id"], seq, p["account_id"], p["bank_party_id"], p["quantity"],
                                             p["loan_reference"], p["loan_amount_fen"], p["term_end"]))
        elif kind in ("release", "pledge_default"):
            self._ended(seq, p["pledge_id"], p["status"])
        elif kind == "lien_registered":
            lien = p["lien"]
            self.liens[lien["lien_id"]] = (lien["bank_party_id"], lien["loan_reference"], lien["loan_amount_fen"],
                                           lien["term_end"])
        elif kind == "issuance":
            for made in p.get("lien_pledges") or ():
                _, reference, amount, term_end = self._lien_terms(made["lien_id"])
                self._made(seq, made["pledge_id"], (made["pledge_id"], seq, made["account_id"], made["bank_party_id"],
                                                    made["quantity"], reference, amount, term_end))
        elif kind in ("lien_released", "lien_defaulted"):
            for pledge_id in p.get("pledges_ended") or ():
                self._ended(seq, pledge_id, p["status"])

    def finish(self, session: Any, report: Any) -> None:
        super().finish(session, report)
        check_columns(session, report, self.table, ("id",), self.ended_only)


def _reversal(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield put(p["reversal_id"], seq, (p["reversal_id"], seq, p["quantity"], p["reason"], p["loss_event_ref"], at))


def _loss_reversal(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    if p.get("reversal"):
        yield from _reversal(seq, at, p["reversal"])


def _correction(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield put(p["corrected_seq"], seq, (p["corrected_seq"], seq, p["reason"]))


def _contract(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield put(p["contract_no"], seq, (p["contract_no"], seq, p["centre_party_id"], p["collective_party_id"],
                                       p["term_start"], p["term_end"], p["signed_date"],
                                       json.dumps(p["payment_terms"], sort_keys=True)))


def _contract_parcels(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    for code in p["parcel_codes"]:
        yield put((p["contract_no"], code), seq, (p["contract_no"], code, p["term_start"], p["term_end"]))


# --- parcels: the journal holds every version record and its hash ---------------------------

_PARCEL_KINDS = ("parcel_registered", "parcels_imported", "parcel_updated", "parcel_split", "parcels_merged",
                 "parcel_retired", "parcel_deleted")


def _parcel_records(p: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(p.get("parcel"), dict):
        yield p["parcel"]
    for key in ("parcels", "parts", "parents"):
        for record in p.get(key) or ():
            if isinstance(record, dict):
                yield record


def _versions(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    for r in _parcel_records(p):
        yield put((r["parcel_code"], r["version"]), seq,
                   (r["parcel_code"], r["version"], seq, r["change"], r["version_hash"], r["geometry_sha256"]))


def _stored_version(row: tuple) -> tuple:
    code, version, seq, change, version_hash, record, wkb = row
    record_hash = hashlib.sha256(record.encode("utf-8") if isinstance(record, str) else _blob(record)).hexdigest()
    # the stored hash, the stored record's own hash and its geometry's hash must all agree
    same = version_hash if record_hash == version_hash else f"record:{record_hash}"
    return (code, version, seq, change, same, hashlib.sha256(_blob(wkb)).hexdigest())


def _blob(value: Any) -> bytes:
    """A stored binary value as bytes (text where bytes belong is hashed as its UTF-8)."""
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else str(value).encode("utf-8", "replace")


def _declared(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))


def _area_text(area_m2: float) -> str:
    return f"{Decimal(repr(float(area_m2))).quantize(Decimal('0.01'))}"


def _json_text(value: Any, ensure_ascii: bool = True, sort_keys: bool = True) -> str:
    """``json.dumps(value, ensure_ascii=..., sort_keys=...)``, as the projection writes it; an empty
    list or object (most parcels' flags and parents) without the encoder."""
    if not value and type(value) in (list, dict):
        return "[]" if type(value) is list else "{}"
    return json.dumps(value, ensure_ascii=ensure_ascii, sort_keys=sort_keys)


def _parcel_fields(r: dict[str, Any], registered_seq: int) -> tuple:
    return (r["parcel_code"], r["sink_type"], r["holder_party_id"], r["county_code"], r["tenure_cert_no"],
            r["tenure_cert_kind"], r["tenure_ownership"], _json_text(r["household_shares_bp"]),
            r["status"], r["retired_from"], r["area_m2"], r["area_epsg"], _declared(r["declared_area_mu"]),
            r["geometry_sha256"], _json_text(r["attributes"], False), _json_text(r["flags"], False),
            _json_text(r["parents"], sort_keys=False), r["version"], r["version_hash"], registered_seq, r["seq"])


_PARCEL_COLUMNS = ("parcel_code", "sink_type", "holder_party_id", "county_code", "tenure_cert_no", "tenure_cert_kind",
                   "tenure_ownership", "household_shares", "status", "retired_from", "area_m2", "area_epsg",
                   "declared_area_mu", "geometry_sha256", "attributes", "flags", "parents", "version", "version_hash",
                   "registered_seq", "updated_seq", "geometry_wkb", "min_lon", "min_lat", "max_lon", "max_lat",
                   "lon_span")


class _ParcelAudit(TableAudit):
    """The ``parcel`` projection: each parcel's row must be its latest version record (from the
    journal), its geometry must hash to the record's and its bounding box must be the geometry's.

    And the spatial copy of its geometry, which the map tiles draw and the overlap check at
    registration searches (:mod:`sinks.store`), must be that geometry: on PostgreSQL with PostGIS
    the ``geom`` column, byte for byte (``ST_AsBinary(geom, 'NDR')``, compared in the database with the
    row's ``geometry_wkb``, which the registration writes as 2-D little-endian WKB, and SRID 4490);
    on SQLite the parcel's ``parcel_rtree`` row (under the parcel's ``id``), which must exist and
    hold the geometry's bounds as the R*Tree stores them (:func:`_rtree_box`), and no R*Tree row
    may lack a parcel (a full run). A parcel whose row already differs in its geometry or box is
    named for that only. Without the R*Tree or PostGIS the overlap check reads the row's own box
    columns: nothing more to check."""

    kinds = _PARCEL_KINDS

    def __init__(self) -> None:
        super().__init__("parcel", _PARCEL_COLUMNS, 1, {}, seq_column="updated_seq")
        self.registered: dict[str, int] = {}
        self.spatial: str | None = None  # the spatial copy this run holds: "rtree", "postgis" or None
        self.spatial_problems: list[tuple[int | None, str, Any, str, str, list[str] | None]] = []

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.registered.clear()
        self.spatial_problems = []

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if kind not in _PARCEL_KINDS:
            return
        for r in _parcel_records(p):
            code = r["parcel_code"]
            if r["version"] == 1:
                self.registered[code] = r["seq"]
            registered = self.registered.get(code)
            if registered is None:  # registered before an incremental run's tail
                registered = -1
            self.expected[code] = (seq, digest(_parcel_fields(r, registered)))

    def _select(self) -> str:
        # after the columns: the row id (the R*Tree's key), or whether geom is geometry_wkb
        extra = {"rtree": ", id", "postgis": ", ST_AsBinary(geom, 'NDR') = geometry_wkb AND ST_SRID(geom) = 4490"}
        return super()._select() + extra.get(self.spatial or "", "")

    def stored_rows(self, session: Any) -> Iterator[tuple]:
        from sinks.store import SPATIAL_INDEX_PROBES  # deferred: the parcel store only for parcels

        dialect = session.get_bind().dialect.name
        found = session.execute(text(SPATIAL_INDEX_PROBES[dialect])).first() is not None if \
            dialect in SPATIAL_INDEX_PROBES else False
        self.spatial = {"sqlite": "rtree", "postgresql": "postgis"}.get(dialect) if found else None
        self.spatial_problems = []
        boxes = _RtreeBoxes(session) if self.spatial == "rtree" and not self.after_seq else None
        batch: list[tuple] = []
        for row in super().stored_rows(session):
            batch.append(row)
            if len(batch) == 2_000:
                yield from self._checked(batch, session, boxes)
                batch = []
        yield from self._checked(batch, session, boxes)
        if boxes is not None:
            for rtree_id in boxes.unseen():
                self.spatial_problems.append((None, "parcel_rtree", rtree_id, "spatial_copy_without_parcel",
                                              "an R*Tree row under an id no parcel has", None))

    def _checked(self, rows: list[tuple], session: Any, boxes: "_RtreeBoxes | None") -> Iterator[tuple]:
        if not rows:
            return
        import shapely  # deferred: the geometry stack (and numpy) only for a ledger with parcels to check

        blobs = [_blob(r[21]) for r in rows]
        bounds = shapely.bounds(shapely.from_wkb(blobs, on_invalid="ignore"))
        whole = []  # the rows whose geometry and box are their own: their spatial copy is checked
        for n, (r, wkb, (x0, y0, x1, y1)) in enumerate(zip(rows, blobs, bounds)):
            wkb_hash = hashlib.sha256(wkb).hexdigest()
            registered = r[19] if r[0] in self.registered or not self.after_seq else -1
            try:
                area = _area_text(r[10])
            except (TypeError, ValueError, ArithmeticError):
                area = f"unreadable:{r[10]!r}"
            fields = (*r[:10], area, r[11], r[12], r[13] if wkb_hash == r[13] else f"wkb:{wkb_hash}",
                      *r[14:19], registered, r[20])
            # the bounding box (and its span, which bounds the overlap search) must be the geometry's
            if (x0, y0, x1, y1) != tuple(r[22:26]) or r[26] != r[24] - r[22]:
                fields = fields + ("bounds",)
            elif wkb_hash == r[13]:
                whole.append(n)
            yield fields
        if self.spatial == "postgis":
            for n in whole:
                if not rows[n][27]:  # false, or NULL: no geom
                    self._spatial_problem(rows[n], "parcel", "spatial_copy_differs",
                                          "geom is not geometry_wkb" if rows[n][27] is False else "no geom",
                                          ["geom"])
        elif self.spatial == "rtree":
            self._check_rtree(rows, bounds, whole, session, boxes)

    def _check_rtree(self, rows: list[tuple], bounds: Any, whole: list[int], session: Any,
                     boxes: "_RtreeBoxes | None") -> None:
        """Each parcel's R*Tree row (by its id) must hold its geometry's bounds as the R*Tree stores them."""
        # deferred on purpose: numpy loads only when the parcels' spatial copy is compared
        import numpy as np

        ids = np.array([r[27] for r in rows], dtype=np.int64)
        if boxes is None:  # an incremental run: the R*Tree rows of the parcels its tail touched
            boxes = _RtreeBoxes(session, ids.tolist())
        stored, found = boxes.lookup(ids)
        if not whole:
            return
        pick = np.array(whole)
        wanted = _rtree_box(bounds[pick])
        same = (stored[pick] == wanted).all(axis=1)
        for n, there, ok in zip(whole, found[pick].tolist(), same.tolist()):
            if not there:
                self._spatial_problem(rows[n], "parcel", "spatial_copy_missing",
                                      f"no parcel_rtree row under the parcel's id {rows[n][27]}", None)
            elif not ok:
                self._spatial_problem(rows[n], "parcel", "spatial_copy_differs",
                                      "its parcel_rtree box is not its geometry's bounds", None)

    def _spatial_problem(self, row: tuple, table: str, code: str, detail: str, columns: list[str] | None) -> None:
        wrote = self.expected.get(row[0], (row[20],))[0]
        self.spatial_problems.append((wrote, table, row[0], code, detail, columns))

    def finish(self, session: Any, report: Any) -> None:
        super().finish(session, report)
        for seq, table, key, code, detail, columns in self.spatial_problems:
            fail(report, seq, table, key, code, columns=columns, detail=detail)

    def key_of(self, row: tuple) -> Any:
        return row[0]

    def _seq_column_value(self, row: tuple) -> int | None:
        return row[20]


# SQLite's R*Tree keeps 32-bit floats: a lower bound rounded down, an upper bound up, as its
# rtreeValueDown and rtreeValueUp do (sqlite3/ext/rtree/rtree.c): the nearest float unless it is
# on the wrong side, then the double scaled by 1 -/+ 2**-23 towards (or away from) zero, rounded
# to the nearest float again. The triggers of sinks.store copy parcel.min_lon... into it.
_RND_TOWARDS = 1.0 - 1.0 / 8388608.0
_RND_AWAY = 1.0 + 1.0 / 8388608.0


def _rtree_round(values: Any, up: bool) -> Any:
    """``values`` (doubles) as the R*Tree stores a lower (``up`` False) or upper bound, as doubles."""
    # deferred on purpose: numpy loads only when the parcels' spatial copy is compared
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        single = values.astype(np.float32)
        wrong = single < values if up else single > values
        if wrong.any():
            d = values[wrong]
            outward, inward = (_RND_AWAY, _RND_TOWARDS) if up else (_RND_TOWARDS, _RND_AWAY)
            single[wrong] = (d * np.where(d < 0, inward, outward)).astype(np.float32)
    return single.astype(np.float64)


def _rtree_box(bounds: Any) -> Any:
    """Shapely bounds (x0, y0, x1, y1 per row) → the R*Tree row (min_lon, max_lon, min_lat, max_lat)."""
    # deferred on purpose: numpy loads only when the parcels' spatial copy is compared
    import numpy as np

    return np.stack([_rtree_round(bounds[:, 0], False), _rtree_round(bounds[:, 2], True),
                     _rtree_round(bounds[:, 1], False), _rtree_round(bounds[:, 3], True)], axis=1)


class _RtreeBoxes:
    """``parcel_rtree`` rows by id: every one (one read, a full run), or those of ``ids``."""

    def __init__(self, session: Any, ids: list[int] | None = None) -> None:
        # deferred on purpose: numpy loads only when the parcels' spatial copy is compared
        import numpy as np

        sql = "SELECT id, min_lon, max_lon, min_lat, max_lat FROM parcel_rtree"
        if ids is None:
            rows = [r for page in stream_pages(session, sql, STREAM_ROWS) for r in page]
        else:
            rows = []
            for i in range(0, len(ids), KEYS_PER_READ):
                marks, params = in_list("k", ids[i:i + KEYS_PER_READ])
                rows += [tuple(r) for r in session.execute(text(f"{sql} WHERE id IN ({marks})"), params)]
        ids_read = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        order = np.argsort(ids_read)
        self.ids = ids_read[order]
        self.boxes = np.array([r[1:] for r in rows], dtype=np.float64).reshape(-1, 4)[order]
        self.seen = np.zeros(len(self.ids), dtype=bool)

    def lookup(self, ids: Any) -> tuple[Any, Any]:
        """The stored boxes of ``ids`` (NaN where none) and whether each has one."""
        # deferred on purpose: numpy loads only when the parcels' spatial copy is compared
        import numpy as np

        at = np.searchsorted(self.ids, ids)
        inside = at < len(self.ids)
        found = np.zeros(len(ids), dtype=bool)
        found[inside] = self.ids[at[inside]] == ids[inside]
        stored = np.full((len(ids), 4), np.nan)
        stored[found] = self.boxes[at[found]]
        self.seen[at[found]] = True
        return stored, found

    def unseen(self) -> list[int]:
        """The ids of the rows no parcel looked up."""
        return self.ids[~self.seen].tolist()


# --- batches, issued periods, estimates -----------------------------------------------------

ANY = object()  # a column the journal does not determine: compared by the stored row's own checks

_BATCH_COLUMNS = ("id", "serial_prefix", "region_code", "county_code", "sink_type", "project_code", "vintage_year",
                  "first", "last", "buffer_quantity", "issuance_seq", "estimate_id", "methodology_id",
                  "methodology_version", "period_start", "period_end")
_SINK_OF_CODE = {c.value: c.name for c in SinkCode}  # a serial prefix's code → the sink type


class _BatchAudit(TableAudit):
    """Every column of every batch: an issuance's batches from its payload (region, sink type and
    project from the serial prefix, ``CN{region}-{sink}-{project}-{vintage}``; the county is the
    region the issuance was made in); an imported programme's from its record. Batches are few
    (one per vintage and issuance), so the expected rows are kept whole and the differing column
    is named."""

    kinds = ("issuance", "registry_import")

    def __init__(self) -> None:
        super().__init__("batch", _BATCH_COLUMNS, 1, {}, seq_column="issuance_seq")
        self.rows: dict[str, tuple] = {}

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.rows.clear()

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if kind == "issuance":
            for b in p.get("batches", ()):
                region, sink, project = _prefix_parts(b["serial_prefix"])
                self._expect(seq, (b["batch_id"], b["serial_prefix"], region, region, sink, project,
                                   b["vintage_year"], b["first"], b["last"], b["buffer_t"], seq, p["estimate_id"],
                                   p["methodology_id"], p["methodology_version"], p["period_start"], p["period_end"]))
        elif kind == "registry_import":
            from ledger.registry_import import apply  # deferred: importers load their mappings
            for b in p.get("batches", ()):
                self._expect(seq, (b["batch_id"], b["serial_prefix"], apply.REGION_CODE, apply.REGION_CODE,
                                   apply.SINK_TYPE, b["project_code"], b["vintage_year"], b["first"], b["last"], 0,
                                   seq, "", apply.METHODOLOGY_ID, p["registry"][:20], ANY, ANY))

    def _expect(self, seq: int, row: tuple) -> None:
        self.rows[row[0]] = row
        self.expected[row[0]] = (seq, b"")

    def finish(self, session: Any, report: Any) -> None:
        seen = set()
        for row in self.stored_rows(session):
            key, want = row[0], self.rows.get(row[0])
            if want is None:
                if not self.after_seq or row[10] > self.after_seq:
                    fail(report, row[10], self.table, key, "row_not_in_journal")
                continue
            seen.add(key)
            differing = [c for c, mine, theirs in zip(self.columns, want, row) if mine is not ANY and mine != theirs]
            if differing:
                fail(report, want[10], self.table, key, "row_differs_from_journal", columns=differing)
        for key, want in self.rows.items():
            if key not in seen:
                fail(report, want[10], self.table, key, "row_missing")


def _prefix_parts(prefix: str) -> tuple[str, str, str]:
    head, sink, project, _vintage = prefix.rsplit("-", 3)
    return head[2:], _SINK_OF_CODE.get(sink, sink), project


class _IssuedPeriodAudit(TableAudit):
    """Issued monitoring periods (the guard against issuing a parcel twice): a multiset of
    (parcel, period, issuance) from issuances, the periods split and merged parcels inherit, and
    corrections of issuances (which remove theirs).

    A full run first compares sums, as :class:`TableAudit` does (a sum of digests is a multiset's:
    a row issued twice counts twice), keeping nothing per row; only when the sums differ, or an
    issuance was corrected, is the journal read again to count each row and name each difference."""

    kinds = ("issuance", "parcel_split", "parcels_merged", "correction")

    def __init__(self) -> None:
        super().__init__("issued_period", ("parcel_code", "period_start", "period_end", "issuance_seq"), 4, {},
                         seq_column="issuance_seq")
        self.count: dict[bytes, int] = {}
        self.by_issuance: dict[int, list[bytes]] = {}
        self.last_seq: dict[bytes, int] = {}
        self.rows_of: dict[bytes, tuple] = {}
        self.gone: list[tuple[int, int]] = []

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.summing = not after_seq
        self.rows_of.clear()
        self.gone.clear()
        self.count.clear()
        self.by_issuance.clear()
        self.last_seq.clear()

    def deferrable(self) -> bool:
        return True

    def journal_sums(self) -> tuple[int, Any] | None:
        return (self._sum_rows, self._sum_total) if self.summing and not self.after_seq else None

    @staticmethod
    def _rows(seq: int, kind: str, p: dict[str, Any]) -> list[tuple]:
        if kind == "issuance":
            return [(code, p["period_start"], p["period_end"], seq) for code in p.get("parcel_codes", ())]
        if kind in ("parcel_split", "parcels_merged"):
            return [(i["parcel_code"], i["period_start"], i["period_end"], i["issuance_seq"])
                    for i in p.get("inherited_issued_periods", ())]
        return []

    def _add(self, seq: int, row: tuple) -> None:
        d = digest(row)
        self.count[d] = self.count.get(d, 0) + 1
        self.by_issuance.setdefault(row[3], []).append(d)
        self.last_seq[d] = seq
        self.rows_of[d] = row

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if self.after_seq:
            self._count(seq, kind, p)
        elif self.summing:
            if kind == "correction":
                if p.get("corrected_kind") == "issuance":
                    self.summing = False  # counted row by row: the journal read again in finish()
                return
            for row in self._rows(seq, kind, p):
                self._sum_rows += 1
                self._sum_total += int.from_bytes(digest(row), "big")

    def _count(self, seq: int, kind: str, p: dict[str, Any]) -> None:
        if kind == "correction":
            if p.get("corrected_kind") == "issuance":
                if p["corrected_seq"] not in self.by_issuance:  # issued before an incremental run's tail
                    self.gone.append((seq, p["corrected_seq"]))
                for d in self.by_issuance.pop(p["corrected_seq"], ()):
                    self.count[d] -= 1
            return
        for row in self._rows(seq, kind, p):
            self._add(seq, row)

    def _count_again(self, session: Any) -> None:
        """The rows counted one by one, from a second read of the journal's entries of these kinds
        (a full run whose sums differ, or with an issuance corrected)."""
        kinds = set(self.kinds)
        for seq, kind, _rid, _actor, _at, body, _prev, _hash in journal.iter_raw(session):
            if kind in kinds:
                try:
                    self._count(seq, kind, json.loads(body)["payload"])
                except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                    continue  # named already by the first walk (Audits.entry)

    def settle(self, session: Any, report: Any, journal_sums: tuple[int, Any], stored_sums: tuple[int, Any]) -> None:
        if tuple(stored_sums) == tuple(journal_sums):
            return
        self.begin(session, 0)
        self.summing = False
        self._count_again(session)
        self._compare_counts(session, report)

    def tail_keys(self) -> Iterable[Any]:
        return [row[0] for row in self.rows_of.values()]

    def finish(self, session: Any, report: Any) -> None:
        if not self.after_seq:
            if self.summing and self._stored_sums(session) == (self._sum_rows, self._sum_total):
                return
            self._count_again(session)
        self._compare_counts(session, report)

    def _compare_counts(self, session: Any, report: Any) -> None:
        stored: dict[bytes, int] = {}
        rows: dict[bytes, tuple] = {}
        for row in self.stored_rows(session):
            if self.after_seq and row[3] <= self.after_seq and digest(row) not in self.count:
                continue
            d = digest(row)
            stored[d] = stored.get(d, 0) + 1
            rows[d] = row
        for d in set(stored) | {d for d, n in self.count.items() if n}:
            want, have = self.count.get(d, 0), stored.get(d, 0)
            if self.after_seq and want and have > want:
                continue  # rows from before the tail share the key: only a full verify counts them
            if want != have:
                row = rows.get(d) or self.rows_of.get(d)
                key = row if row is not None else d.hex()
                code = "row_not_in_journal" if not want else "row_missing" if have < want else "row_repeated"
                fail(report, self.last_seq.get(d, row[3] if row else None), self.table, key, code)
        for seq, corrected in self.gone:
            left = session.execute(text("SELECT parcel_code, period_start, period_end, issuance_seq FROM issued_period "
                                        "WHERE issuance_seq = :s"), {"s": corrected}).first()
            if left is not None:
                fail(report, seq, self.table, tuple(left), "row_deleted_in_journal_still_stored")


_ESTIMATE_COLUMNS = ("id", "seq", "methodology_id", "methodology_version", "parcel_codes", "period_start",
                     "period_end", "net_kg_co2e", "stock_change_kg_co2e", "reproducibility_hash", "uses_unverified",
                     "sink_type", "document")


def _estimate(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield put(p["estimate_id"], seq, (p["estimate_id"], seq, p["methodology_id"], p["methodology_version"],
                                       json.dumps(p["parcel_codes"]), p["period_start"], p["period_end"],
                                       p["net_kg_co2e"], p["stock_change_kg_co2e"], p["reproducibility_hash"],
                                       bool(p["uses_unverified"]), _sink_type_of(p["methodology_id"]),
                                       _number(p.get("area_ha")), _codes(p["warnings"]), "document-agrees"))


def _codes(codes: Any) -> str:
    """A list of warning codes as one text (the journal's, or those of the document's warnings)."""
    return json.dumps(codes)


def _sink_type_of(methodology_id: str) -> str | None:
    """The sink type a methodology estimates (an estimate's sink type is its methodology's)."""
    # deferred: the methodologies (and numpy) only for a ledger with estimates to check
    from methodologies.errors import MethodologyError
    from methodologies.registry import get_methodology

    try:
        return get_methodology(methodology_id).sink_type
    except (KeyError, LookupError, MethodologyError):
        return None  # a methodology this code no longer has: its stored sink type then differs


def _stored_estimate(row: tuple) -> tuple:
    """The row's journal columns, and whether its calculation document agrees with them: the same
    results, sink type, flags and warning codes as the row and its entry, and the very text the
    methodology writes when run again on the document's inputs (:func:`_reruns`: every field, the
    trace steps, warnings, emissions, deductions...). A methodology version this code does not have
    cannot be run again: the document's inputs and parameters must then hash to the
    reproducibility hash, and its other fields are not checked."""
    *columns, sink_type, document = row
    doc: Any = None
    try:
        doc = json.loads(document)
        again = _reruns(doc, document)
        if again is None:
            hashed = hashlib.sha256(canonical_json({
                "methodology_id": doc["methodology_id"], "methodology_version": doc["methodology_version"],
                "inputs": doc["inputs"], "parameters": doc["parameters"],
                "gwp_profile": doc["gwp_profile"]}).encode("utf-8")).hexdigest()
            again = hashed == doc["reproducibility_hash"]
        agrees = (again and columns[9] == doc["reproducibility_hash"] and doc["net_kg_co2e"] == columns[7]
                  and doc["stock_change_kg_co2e"] == columns[8] and doc["sink_type"] == sink_type
                  and doc["methodology_id"] == columns[2] and doc["methodology_version"] == columns[3]
                  and doc["period_start"] == columns[5] and doc["period_end"] == columns[6]
                  and doc["uses_unverified"] is bool(columns[10]))
        codes = _codes([w["code"] for w in doc["warnings"]])
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, ArithmeticError):
        agrees, codes = False, None
    columns[10] = bool(columns[10])
    area = doc.get("area_ha") if isinstance(doc, dict) else None
    return (*columns, sink_type, _number(area), codes, "document-agrees" if agrees else "document-differs")


# An estimate's stored row costs about 0.6 ms (its methodology run again), a plain row 1-2 µs.
ESTIMATE_ROW_COST = 300.0

_CONVERSION = "unit conversion "  # the trace step of an input entered in another unit (methodologies.input_units)
_ENTERED = "entered as "


def _reruns(doc: dict[str, Any], document: str) -> bool | None:
    """Whether the methodology of ``doc``, at its version, run again on its inputs as entered, writes
    ``document`` exactly (as ``ledger.estimates.record_estimate`` writes it); None when this code
    has no such methodology version. The inputs are pinned by the reproducibility hash (the entry
    carries it), the parameters and equations by the version (a version never changes once
    released: ``methodologies.registry``), so every field of the document follows from the chain.

    The document keeps its inputs converted to their own units; an input entered in another unit
    left a ``unit conversion <path>`` step with the value and unit as entered, which is put back
    at its path (the run records the step again). Such steps come first, in the order of the keys
    as entered, which the document's sorted inputs do not keep: the document's order is taken
    when the run's steps are the same ones."""
    # deferred on purpose: the methodologies load only when an estimate is run again
    from methodologies.errors import MethodologyNotFound
    from methodologies.registry import get_methodology

    try:
        methodology = get_methodology(doc["methodology_id"], doc["methodology_version"])
    except MethodologyNotFound:
        return None
    steps = doc["steps"]
    entered = 0
    while entered < len(steps) and str(steps[entered]["name"]).startswith(_CONVERSION):
        entered += 1
    inputs = doc["inputs"]
    if entered:
        inputs = json.loads(json.dumps(inputs))
        for step in steps[:entered]:
            note = step["note"]
            if not note.startswith(_ENTERED):
                return False
            value, unit = note[len(_ENTERED):].split(" ", 1)
            _put_at(inputs, step["name"][len(_CONVERSION):], {"value": value, "unit": unit})
    try:
        again = methodology.estimate(inputs, gwp_profile=doc["gwp_profile"]).to_dict()
    except Exception:  # noqa: BLE001 - inputs the methodology refuses (or cannot read) were not recorded so
        return False
    if entered:
        mine = again["steps"][:entered]
        if sorted(mine, key=_by_name) == sorted(steps[:entered], key=_by_name):
            again["steps"][:entered] = steps[:entered]
    return json.dumps(again, ensure_ascii=False, sort_keys=True) == document


def _by_name(step: Any) -> str:
    return str(step.get("name")) if isinstance(step, dict) else ""


def _put_at(inputs: Any, path: str, value: Any) -> None:
    """Set ``value`` at ``path`` (``a.b[2].c``, as :mod:`methodologies.input_units` names an input) of ``inputs``."""
    parts = [int(index) if index else key for index, key in re.findall(r"\[(\d+)\]|([^.\[\]]+)", path)]
    if not parts:
        raise ValueError(path)
    holder = inputs
    for part in parts[:-1]:
        holder = holder[part]
    if isinstance(parts[-1], int) and not isinstance(holder, list) or \
            isinstance(parts[-1], str) and not isinstance(holder, dict):
        raise TypeError(path)
    holder[parts[-1]] = value


def _number(value: Any) -> Any:
    """A decimal text by its value (a bundle's area is written ``6.2760`` in the entry and
    ``6.276`` in the document)."""
    try:
        return str(Decimal(value).normalize())
    except (TypeError, ValueError, ArithmeticError):
        return value


def _versions_audit() -> TableAudit:
    return TableAudit("parcel_version", ("parcel_code", "version", "seq", "change", "version_hash", "record",
                                          "geometry_wkb"), 2, {k: _versions for k in _PARCEL_KINDS},
                      stored=_stored_version, append_only=True)


class Audits:
    """Several audits as one verify observer: each entry goes only to the audits of its kind
    (one dictionary look-up an entry, however many tables are audited).

    ``factory``: a module-level function that makes the same audits afresh. With it, a full run
    of a large journal may audit *beside* the replay, in a second process (:meth:`start_beside`):
    the audits read the journal and the stored tables on their own connection there, while this
    process checks the chain and replays the moves; :meth:`finish` then adds that process's
    problems to the report. If that process cannot say (it failed, or saw another journal), the
    audits run here, reading the journal again: the same checks, only slower."""

    def __init__(self, audits: Iterable[TableAudit], *, factory: Callable[[], Iterable[TableAudit]] | None = None) -> None:
        self.audits = list(audits)
        self.factory = factory
        self.by_kind: dict[str, list[TableAudit]] = {}
        for audit in self.audits:
            for kind in audit.kinds:
                self.by_kind.setdefault(kind, []).append(audit)
        self._beside: _Beside | None = None
        self.ran_beside = False  # the last full run's audits ran in a second process, and it answered
        self.skims = _skims(self.by_kind)
        # kind → a walker that gives the audits of the kind a body of it in one step, or declines
        # (False: the body then takes the skimmed or whole way); an audit offers one (walker())
        self.walkers: dict[str, Callable[[int, Any], bool]] = {}
        for audit in self.audits:
            offer = getattr(audit, "walker", None)
            if offer is not None:
                self.walkers.update(offer(self.by_kind) or {})

    def begin(self, session: Any, after_seq: int) -> None:
        self.tables = set(inspect(session.connection()).get_table_names())
        self.unreadable: list[tuple[int, str, str]] = []
        self.recorded_rows = recorded_rows(session, after_seq) if after_seq else {}
        for audit in self.audits:
            audit.begin(session, after_seq)

    def entry(self, seq: int, kind: str, recorded_at: str, payload: dict[str, Any]) -> None:
        for audit in self.by_kind.get(kind, ()):
            try:
                audit.entry(seq, kind, recorded_at, payload)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                # a payload without what its kind always records: the table cannot be derived
                self.unreadable.append((seq, audit.table, kind))

    def finish(self, session: Any, report: Any, *, defer: Callable[[], Iterator[str]] | None = None
               ) -> tuple[list[tuple[str | None, list[dict[str, Any]]]], dict[str, tuple[int, Any]]]:
        """Compare every table (after the walk, or with what the second process found).

        ``defer`` (the second process itself; it gives the tables it claims, :meth:`_Beside.claims`):
        a table compared by sums (:meth:`TableAudit.deferrable`) whose walk stayed in sum mode is
        compared here only if this process claims it, once every other table is compared; the
        journal side of the others is returned, ``table → sums``, for the process that started this
        one (which claimed them) to hold their stored rows to. Returned too: the problems found,
        grouped in the order one process finds them (the entries that lack what a table needs,
        then table by table, those left to the other process as empty groups), for that process to
        put its own in their places: the report is one process's, problem for problem."""
        if self._beside is not None:
            beside, self._beside = self._beside, None
            # While the second process compares its other tables, this one sums the stored rows of
            # those it may leave to this one: the two sides of a full run's largest tables read
            # at once, in two processes (the same run key: forked, or given to a spawned one).
            tables = set(inspect(session.connection()).get_table_names())
            by_table = {a.table: a for a in self.audits}
            stored = {}
            for table in beside.claims():
                if table in tables and table in by_table:
                    stored[table] = by_table[table]._stored_sums(session)
            answer = beside.result(report.entries, report.head_hash)
            if answer is not None:
                self.ran_beside = True
                groups, rows, sums = answer
                for table, problems in groups:
                    audit = by_table.get(table) if table in sums else None
                    if audit is not None:
                        found = VerifyReport()
                        audit.settle(session, found, sums[table], stored.get(table) or audit._stored_sums(session))
                        problems = found.problems
                        if audit.append_only and audit.row_count is not None:
                            rows[table] = audit.row_count
                    for problem in problems:
                        report.fail(problem.get("seq"), problem["problem"])
                        report.problems[-1] = dict(problem)
                _record_rows(report, rows)
                return [], {}
            self.begin(session, 0)  # the second process could not say: the journal read again, here
            self.walk(session, up_to=report.entries)
        mark = len(report.problems)
        for seq, table, kind in self.unreadable:
            fail(report, seq, table, seq, f"{kind}_entry_lacks_what_the_table_needs")
        groups: list[tuple[str | None, list[dict[str, Any]]]] = [(None, report.problems[mark:])]
        deferred: dict[str, TableAudit] = {}
        for audit in self.audits:
            mark = len(report.problems)
            if audit.table not in self.tables:  # a table the migrations make is gone: a fault to see
                fail(report, None, audit.table, "*", "table_missing")
            elif defer is not None and audit.deferrable() and audit.journal_sums() is not None:
                deferred[audit.table] = audit
            else:
                audit.finish(session, report)
                audit.check_count(session, report, self.recorded_rows.get(audit.table))
            groups.append((audit.table, report.problems[mark:]))
        claimed = {}
        for table in defer() if defer is not None else ():
            audit = deferred.pop(table, None)
            if audit is not None:
                mark = len(report.problems)
                audit.finish(session, report)
                claimed[table] = report.problems[mark:]
        _record_rows(report, self.rows())
        groups = [(table, claimed.get(table, problems)) for table, problems in groups]
        return groups, {table: sums for table, audit in deferred.items() if (sums := audit.journal_sums()) is not None}

    def rows(self) -> dict[str, int]:
        """The row counts of the append-only tables this run checked (recorded with the verified
        checkpoint a passing run leaves)."""
        return {a.table: a.row_count for a in self.audits if a.append_only and a.row_count is not None}

    # -- beside the replay ---------------------------------------------------------------------

    def start_beside(self, session: Any, entries: int, checkpoints: dict[int, str] | None = None) -> bool:
        """Start this full run's audits in a second process, if it is worth it (``entries`` at
        least :data:`BESIDE_MIN_ENTRIES`) and possible (a factory; a database another process can
        open: not SQLite in memory). True if started: the caller then neither begins this observer
        nor gives it entries, and calls :meth:`finish` (or :meth:`close`) after its walk.

        ``checkpoints`` (the recorded Merkle checkpoints, ``tree size → root``): that process also
        computes the Merkle tree from the entry hashes it reads (:class:`ledger.merkle_walk.TreeWalk`),
        which :meth:`tree_result` brings back once its walk is done."""
        self.ran_beside = False
        if self.factory is None or entries < BESIDE_MIN_ENTRIES:
            return False
        url = session.get_bind().engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            return False
        claimable = _largest_first(session, [a.table for a in self.audits if a.deferrable()],
                                   {a.table: a.row_cost for a in self.audits})
        try:
            self._beside = _Beside(url.render_as_string(hide_password=False), self.factory, checkpoints, claimable)
        except OSError:
            return False  # no second process on this machine: the audits run here, in the walk
        return True

    def tree_result(self) -> tuple[Any, ...] | None:
        """The Merkle tree the second process computed (:meth:`ledger.merkle_walk.TreeWalk.answer`, for
        the journal up to the head it read), once its walk is done; None if it cannot say."""
        return self._beside.tree() if self._beside is not None else None

    def close(self) -> None:
        """Stop a second process still auditing (the walk stopped at a broken entry)."""
        if self._beside is not None:
            self._beside.stop()
            self._beside = None

    def walk(self, session: Any, up_to: int | None = None, tree: Any = None) -> None:
        """Give every audit the journal's entries of the kinds they read, in order (up to ``up_to``):
        what verify's walk gives them, read without the chain checks (a full verify checks the
        chain of the same rows itself). Read along the primary key in pages, every kind (a filter on
        kind would lead the database to its kind index and a sort of every page). ``tree`` (a
        :class:`ledger.merkle_walk.TreeWalk`): given every page's entry hashes too.

        An entry's kind and time are read from its body, not from their columns: the same on a
        journal whose chain the walk checks (a body whose header differs from its row stops that
        walk at the entry, and what this walk found is then not used). The kind column is read as
        a hint only: a sale is first offered to its walker (:attr:`walkers`: its two audits' rows
        from one typed decoding), which takes it or declines; a body of a kind whose audits name the
        few payload fields they read (:func:`_skims`: a sale's, a retirement's, a pledge's, a
        release's) is decoded for those alone when its body says the same kind, else parsed whole."""
        loads, wanted, unreadable, skims, walkers = orjson.loads, self.by_kind, self.unreadable, self.skims, \
            self.walkers
        readable = (KeyError, TypeError, ValueError, IndexError, AttributeError)
        # SQLite hands a body over as its bytes when asked (no text made of it: JSON parses bytes)
        body = "CAST(body AS BLOB)" if session.get_bind().dialect.name == "sqlite" else "body"
        for rows in journal.iter_raw_pages(session, batch_size=STREAM_ROWS, up_to=up_to,
                                           columns=f"seq, kind, {body}, entry_hash"):
            if tree is not None:
                tree.add(rows)  # (seq first, the entry hash last)
            for seq, hint, body, _entry_hash in rows:
                walker = walkers.get(hint)
                if walker is not None and walker(seq, body):
                    continue
                skim = skims.get(hint)
                if skim is not None:  # only the fields its audits read, if the body is of the kind its row says
                    found = skim(body)
                    if found is not None:
                        kind, recorded_at, payload = found
                        for audit in wanted[kind]:
                            try:
                                audit.entry(seq, kind, recorded_at, payload)
                            except readable:
                                unreadable.append((seq, audit.table, kind))
                        continue
                try:
                    parsed = loads(body)
                except orjson.JSONDecodeError:
                    try:
                        parsed = json.loads(body)
                    except ValueError:
                        continue  # the chain check names it (body_unreadable)
                if type(parsed) is not dict:
                    continue
                kind = parsed.get("kind")
                audits = wanted.get(kind) if type(kind) is str else None
                if audits is None:
                    continue
                payload, recorded_at = parsed.get("payload"), parsed.get("recorded_at")
                for audit in audits:  # what entry() does, without a call an entry
                    try:
                        audit.entry(seq, kind, recorded_at, payload)
                    except readable:
                        unreadable.append((seq, audit.table, kind))


def _skims(by_kind: dict[str, list[TableAudit]]) -> dict[str, Callable[[Any], tuple[str, Any, Any] | None]]:
    """kind → a decoder of such a body that builds only the payload fields its audits read (every
    audit of the kind names them: :attr:`TableAudit.payload_fields`), the rest skipped unbuilt
    though checked to be JSON. It returns ``(kind, recorded_at, payload)`` with the payload as the
    dict of the fields present (what a whole parse gives the audits), or None: a body that is not
    of that kind, or that msgspec does not decode as orjson would (duplicate keys keep the last
    value in both), is parsed whole (:meth:`Audits.walk`)."""
    skims = {}
    for kind, audits in by_kind.items():
        if not audits or any(kind not in a.payload_fields for a in audits):
            continue
        fields = tuple(dict.fromkeys(f for a in audits for f in a.payload_fields[kind]))
        payload_type = msgspec.defstruct(f"_Skim_{kind}", [(f, Any, msgspec.UNSET) for f in fields])
        body_type = msgspec.defstruct(f"_SkimBody_{kind}", [("kind", Any, msgspec.UNSET),
                                                            ("recorded_at", Any, None),
                                                            ("payload", payload_type | None, None)])
        values = attrgetter(*fields) if len(fields) > 1 else (lambda payload, f=fields[0]: (getattr(payload, f),))
        skims[kind] = partial(_skim, msgspec.json.Decoder(body_type).decode, kind, fields, values)
    return skims


# A body is skimmed only where msgspec reads it as orjson would. msgspec refuses a number too
# large for a float, and reads an integer beyond 64 bits as an int where orjson reads a float:
# orjson refuses to write such an integer, so a skimmed body whose fields orjson cannot write is
# parsed whole instead (a property test holds the two to the same result).
def _skim(decode: Callable[[Any], Any], kind: str, fields: tuple[str, ...], values: Callable[[Any], tuple[Any, ...]],
          body: Any, dumps: Callable[[Any], bytes] = orjson.dumps) -> tuple[str, Any, Any] | None:
    try:
        found = decode(body)
    except (msgspec.MsgspecError, UnicodeDecodeError):
        return None
    if found.kind != kind:
        return None
    payload = found.payload
    unset = msgspec.UNSET
    if payload is not None:
        payload = {f: v for f, v in zip(fields, values(payload)) if v is not unset}
    try:  # orjson writes what it reads the same: an integer beyond 64 bits it refuses to write
        dumps((found.recorded_at, payload))
    except orjson.JSONEncodeError:
        return None
    return kind, found.recorded_at, payload


def recorded_rows(session: Any, tree_size: int) -> dict[str, int]:
    """The row counts of the append-only tables recorded with the verified checkpoint at
    ``tree_size`` (none for a checkpoint recorded before they were)."""
    row = session.execute(text("SELECT frontier FROM verified_checkpoint WHERE tree_size = :n"), {"n": tree_size}).first()
    try:
        stored = json.loads(row[0]) if row is not None else None
    except (TypeError, ValueError):
        return {}
    rows = stored.get("rows") if isinstance(stored, dict) else None
    return {t: n for t, n in rows.items() if isinstance(t, str) and type(n) is int} if isinstance(rows, dict) else {}


def _record_rows(report: Any, rows: dict[str, int]) -> None:
    """Leave the row counts a run checked for the verified checkpoint it records."""
    if report.ok and getattr(report, "state", None) is not None:
        report.state.setdefault("rows", {}).update(rows)


BESIDE_MIN_ENTRIES = 100_000  # below this a second process costs more than it saves (starting it: 1-2 s)


class _Beside:
    """The second process of :meth:`Audits.start_beside` and the pipe its answer comes through.

    Forked (:func:`os.fork`) when this process can be forked safely, that is when it runs no
    other thread (the command line, the benchmarks): the child starts at once, with every module
    already imported, and audits on a connection of its own (:func:`_forked_main`). Otherwise (a
    web server's thread, or no ``fork``) a fresh interpreter running :func:`_beside_main`, with
    this one's import path, which first imports the audits (about a second of CPU). Never
    :mod:`multiprocessing`: its spawn would import the caller's main script again."""

    def __init__(self, url: str, factory: Callable[[], Iterable[TableAudit]],
                 checkpoints: dict[int, str] | None = None, claimable: list[str] | None = None) -> None:
        # The tables whose stored side either process may read (Audits.finish): one byte each in a
        # pipe, written and closed before the second process starts; each process, once free,
        # takes the next (a read of one byte from a pipe is atomic): the first free reads most.
        self.claimable = list(claimable or ())[:255]
        self.claims_fd, claims_write = os.pipe()
        try:
            os.write(claims_write, bytes(range(len(self.claimable))))
        finally:
            os.close(claims_write)
        read_end, write_end = os.pipe()
        job = (url, factory, checkpoints, (self.claims_fd, self.claimable))
        try:
            if _can_fork():
                self.process: Any = _fork(job, read_end, write_end)
            else:
                self.process = _spawn(job, write_end)
        except BaseException:
            os.close(read_end)
            os.close(self.claims_fd)
            raise
        finally:
            os.close(write_end)
        self.answers = os.fdopen(read_end, "rb")
        self._last: tuple[Any, ...] | None = None  # the last answer, read while waiting for the tree

    def claims(self) -> Iterator[str]:
        """The tables this process takes, one at a time, until none is left."""
        yield from _claims(self.claims_fd, self.claimable)

    def _close_claims(self) -> None:
        if self.claims_fd >= 0:
            os.close(self.claims_fd)
            self.claims_fd = -1

    def _read(self) -> tuple[Any, ...] | None:
        try:
            return pickle.load(self.answers)
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):  # ValueError: closed
            return None

    def tree(self) -> tuple[Any, ...] | None:
        """The Merkle tree that process computed (its first answer, sent once its walk is done), or
        None if it sent none (it failed first)."""
        answer = self._read()
        if answer is not None and answer[0] == "tree":
            return answer[1]
        self._last = ("read", answer)
        return None

    def result(self, entries: int, head_hash: str) -> tuple[list[tuple[str | None, list[dict[str, Any]]]],
                                                            dict[str, int], dict[str, tuple[int, Any]]] | None:
        """The problems found beside (grouped by table, :meth:`Audits.finish`), the row counts of the
        append-only tables it compared, and the journal's sums of the tables it left to this
        process (``defer``); or None if that process failed or read another journal than the walk
        checked (a different head)."""

        try:
            if self._last is not None:
                answer = self._last[1]
            else:
                answer = self._read()
                if answer is not None and answer[0] == "tree":  # a tree not asked for: the next one
                    answer = self._read()
        finally:
            self.answers.close()
            self.process.wait()
            self._close_claims()
        if not answer or answer[0] != "done" or (answer[1], answer[2]) != (entries, head_hash):
            return None
        return answer[3], answer[4], answer[5]

    def stop(self) -> None:
        self._close_claims()
        self.answers.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def _claims(fd: int, tables: list[str]) -> Iterator[str]:
    """Take tables from the claims pipe (:class:`_Beside`), one byte each, until it is empty."""
    while fd >= 0:
        token = os.read(fd, 1)
        if not token:
            return
        yield tables[token[0]]


def _largest_first(session: Any, tables: list[str], row_costs: dict[str, float] | None = None) -> list[str]:
    """``tables`` by their rows, the largest first (what is left to take at the end is small),
    estimated cheaply: SQLite's largest rowid, PostgreSQL's planner statistics; each table's rows
    weighed by what one costs (``row_costs``: an estimate's document is run again)."""
    costs = row_costs or {}

    def work(table: str) -> float:
        return rows(table) * costs.get(table, 1.0)

    def rows(table: str) -> float:
        try:
            with session.begin_nested():
                if session.get_bind().dialect.name == "sqlite":
                    return float(session.execute(text(f'SELECT max(rowid) FROM "{table}"')).scalar() or 0)
                return float(session.execute(text("SELECT reltuples FROM pg_class WHERE relname = :t"),
                                             {"t": table}).scalar() or 0)
        except Exception:  # noqa: BLE001 - a table without rowid, or gone: its place matters not
            return 0.0
    return sorted(tables, key=work, reverse=True)


def _can_fork() -> bool:
    """Fork only a process that runs no other thread: a thread holding a lock (logging, a pool)
    when it forks would leave that lock held for ever in the child."""
    return hasattr(os, "fork") and threading.active_count() == 1


class _Child:
    """A forked child by its pid, with what :class:`_Beside` asks of a :class:`subprocess.Popen`."""

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)


def _fork(job: tuple[Any, ...], read_end: int, write_end: int) -> _Child:
    """Fork the second process; in the child, audit and leave (:func:`_forked_main`)."""
    gc.freeze()  # the child's collector leaves the parent's objects alone: no copied pages, no finaliser run
    try:
        pid = os.fork()
    except BaseException:
        gc.unfreeze()
        raise
    if pid == 0:
        _forked_main(job, read_end, write_end)  # never returns
    gc.unfreeze()
    return _Child(pid)


def _forked_main(job: tuple[Any, ...], read_end: int, write_end: int) -> None:
    """The forked child: audit on a connection of its own, write the answer, exit at once
    (``os._exit``: nothing of the parent's is closed, flushed or finalised here; the parent's
    connections are never touched). Its own connection reads as any other reader: PostgreSQL's
    is a session of its own; SQLite (WAL) shares the file's lock state with the parent's open
    read transaction, which stays open, holding its snapshot, until this process has answered."""
    code = 1
    try:
        os.close(read_end)
        with os.fdopen(write_end, "wb") as answers:
            try:
                answer = _audit_beside(*job, send=partial(_send, answers))
            except BaseException as exc:  # noqa: BLE001 - any failure here means: audit in the parent instead
                answer = ("failed", f"{type(exc).__name__}: {exc}")
            pickle.dump(answer, answers)
        code = 0
    finally:
        os._exit(code)


def _send(answers: Any, answer: tuple[Any, ...]) -> None:
    pickle.dump(answer, answers)
    answers.flush()


def _spawn(job: tuple[Any, ...], write_end: int) -> subprocess.Popen:
    """A fresh interpreter running :func:`_beside_main`; the URL goes through a pipe, not the
    command line, which anyone on the machine can read."""
    url, factory, checkpoints, claims = job
    where = f"{factory.__module__}:{factory.__qualname__}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    process = subprocess.Popen(
        [sys.executable, "-c", f"from ledger.audit import _beside_main; _beside_main({write_end})"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        pass_fds=(write_end, claims[0]), env=env, close_fds=True)
    try:
        assert process.stdin is not None
        # its sums are held to this one's: the same run key
        process.stdin.write(pickle.dumps((url, where, checkpoints, _RUN_KEY, claims)))
        process.stdin.close()
    except OSError:
        pass  # it died at once: result() then finds no answer
    return process


def _beside_main(answer_fd: int) -> None:
    """The second process, when spawned: read ``(url, "module:factory", checkpoints, run key,
    claims)`` from stdin, run :func:`_audit_beside`, write its answers (pickled) to ``answer_fd``."""
    global _RUN_KEY  # the parent's: the sums it holds the stored rows to are this process's

    with os.fdopen(answer_fd, "wb") as answers:
        try:
            url, where, checkpoints, _RUN_KEY, claims = pickle.loads(sys.stdin.buffer.read())
            module, name = where.split(":")
            factory = importlib.import_module(module)
            for part in name.split("."):
                factory = getattr(factory, part)
            answer = _audit_beside(url, factory, checkpoints, claims, send=partial(_send, answers))
        except Exception as exc:  # noqa: BLE001 - any failure there means: audit in the parent instead
            answer = ("failed", f"{type(exc).__name__}: {exc}")
        pickle.dump(answer, answers)


def _audit_beside(url: str, factory: Callable[[], Iterable[TableAudit]], checkpoints: dict[int, str] | None = None,
                  claims: tuple[int, list[str]] | None = None,
                  send: Callable[[tuple[Any, ...]], None] | None = None) -> tuple:
    """The audits over the journal up to its head as it is now, and their problems (the head's seq
    and hash go back with them, for the parent to compare). With ``checkpoints``, the Merkle tree
    of the same entries too, sent through ``send`` as soon as the walk is done (``("tree",
    answer)``, :meth:`ledger.merkle_walk.TreeWalk.answer`), before the stored tables are read.
    ``claims`` (the claims pipe and its tables, :class:`_Beside`): the tables compared by sums whose
    stored side this process reads, taken once every other table is compared; the journal's sums
    of the rest go back for the parent, which took them."""
    gc.disable()  # a process of its own, which makes millions of objects and no cycles
    engine = create_engine(url, poolclass=NullPool)
    audits, report = Audits(factory()), VerifyReport()
    tree = TreeWalk(checkpoints) if checkpoints is not None else None
    try:
        with Session(engine) as session:
            head = session.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1")).first()
            seq, head_hash = (int(head[0]), head[1]) if head else (0, journal.GENESIS)
            audits.begin(session, 0)
            audits.walk(session, up_to=seq, tree=tree)
            if tree is not None and send is not None:
                send(("tree", tree.answer(session)))
            fd, claimable = claims if claims is not None else (-1, [])
            groups, deferred = audits.finish(session, report, defer=partial(_claims, fd, claimable))
    finally:
        engine.dispose()
    return ("done", seq, head_hash, groups, audits.rows(), deferred)


def core_audits() -> list[TableAudit]:
    """A fresh set of the ledger core's table audits (the areas add theirs: see
    :mod:`ledger.table_audits`)."""
    return [
        TableAudit("party", ("id", "kind", "name", "county_code"), 1,
                   {"party_registered": _party, "account_opened": _party}, seq_column=None),
        TableAudit("account", ("id", "party_id", "kind", "label"), 1,
                   {"party_registered": _accounts, "account_opened": _accounts, "registry_import": _accounts},
                   seq_column=None),
        TableAudit("sale", ("seq", "seller_account", "buyer_account", "quantity", "price_fen_per_t", "amount_fen",
                            "contract_no", "recorded_at"), 1,
                   {"sale": _sale, "court_fulfilment": _court_sale, "correction": _corrected_sale}, append_only=True,
                   ordered=True, payload_fields={"sale": _SALE_FIELDS}),
        TableAudit("retirement", ("id", "seq", "account_id", "quantity", "beneficiary", "purpose", "retirement_kind",
                                  "recorded_at"), 1,
                   {"retirement": _retirement, "court_fulfilment": _court_retirement,
                    "registry_import": _imported_retirements}, append_only=True,
                   payload_fields={"retirement": _RETIREMENT_FIELDS}),
        _PledgeAudit(),
        TableAudit("reversal", ("id", "seq", "quantity", "reason", "loss_event_ref", "recorded_at"), 1,
                   {"reversal": _reversal, "loss_event": _loss_reversal}, append_only=True),
        TableAudit("correction", ("corrected_seq", "seq", "reason"), 1, {"correction": _correction}, append_only=True),
        TableAudit("collection_contract", ("contract_no", "seq", "centre_party_id", "collective_party_id",
                                           "term_start", "term_end", "signed_date", "payment_terms"), 1,
                   {"collection": _contract}, append_only=True),
        TableAudit("contract_parcel", ("contract_no", "parcel_code", "term_start", "term_end"), 2,
                   {"collection": _contract_parcels}, seq_column=None, append_only=True),
        _BatchAudit(),
        _IssuedPeriodAudit(),
        TableAudit("estimate", _ESTIMATE_COLUMNS, 1, {"estimate_recorded": _estimate}, stored=_stored_estimate,
                   append_only=True, row_cost=ESTIMATE_ROW_COST),
        _versions_audit(),
        _ParcelAudit(),
    ]
