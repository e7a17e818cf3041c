"""API keys for institutions: created, listed and revoked by the administrator, stored hashed,
rate-limited per key, every use logged (issue 18; docs/api.md, "Keys, limits and the use log").

- A key reads ``slk_<key id>_<secret>``: the key id (12 hex digits) names the row, the secret is
  32 random bytes (``secrets.token_urlsafe``). The database keeps the SHA-256 of the whole key,
  never the key: a random 256-bit secret needs no slow hash (as for web sessions,
  :mod:`sinkledger.services.sessions`), and a stolen table or backup holds no usable key. The key
  is shown once, when it is made.
- A key is bound to a party and a role, and acts either as an existing user (``username``: the
  user must stay active with that role and party, or the key stops working) or as its own actor
  ``api-<key id>``. :func:`authenticate` turns a key into the :class:`~ledger.permissions.Actor`
  the services check exactly as for a signed-in user: the API holds no role rule of its own.
- Each key has a token bucket (:class:`sinkledger.config.ApiLimits`) kept on its row, so
  several API instances behind one database share one limit per key. A key check
  (:class:`KeyGate`) only reads the row; each instance writes what it spent, and its queued
  uses, every ``flush_ms`` (docs/api.md, "What a key check costs").
- Every use (and every refused one: unknown key, wrong secret, revoked, rate-limited) is written
  to ``api_key_use``, bounded like the sign-in log
  (:func:`sinkledger.services.signin_guard.append_bounded_rows`: 180 days, at most ``log_max_rows`` rows).

The tables are not part of the ledger: nothing in them is hashed into the journal.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import logging
import math
import re
import secrets
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlmodel import Field, SQLModel, select

from ledger.domain import Role
from ledger.permissions import Actor, require
from ledger.sale import check_text
from ledger.store import PartyRow, UserRow
from sinkledger.config import ApiLimits
from sinkledger.services.sessions import _writing
from sinkledger.services.signin_guard import append_bounded_rows
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, NotPermitted, printable
from sinkledger_base.local_time import utc_now, utc_text

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

log = logging.getLogger("sinkledger.api")

KEY_PREFIX = "slk_"
KEY_ID = re.compile(r"[0-9a-f]{12}")
KEY = re.compile(r"slk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
SECRET_BYTES = 32
EVENTS = ("used", "unknown_key", "wrong_secret", "revoked", "user_inactive", "rate_limited")
MILLI = 1000  # the bucket counts thousandths of a request (whole numbers in the row)


class ApiKeyRow(SQLModel, table=True):
    """One API key: its hash, what it may act as, and its token bucket."""

    __tablename__ = "api_key"
    key_id: str = Field(primary_key=True, max_length=12)
    secret_hash: str = Field(max_length=64)  # SHA-256 hex of the whole key
    label: str = Field(default="", max_length=80)
    party_id: str = Field(max_length=40, index=True)
    role: str = Field(max_length=30)
    username: str = Field(max_length=60)  # the actor: a user's name, or api-<key id>
    acts_as_user: bool = Field(default=False)
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=60)
    revoked_at: str | None = Field(default=None, max_length=40)
    revoked_by: str | None = Field(default=None, max_length=60)
    last_used_at: str | None = Field(default=None, max_length=40)
    bucket_milli: int = Field(default=0)  # requests left in the bucket, in thousandths
    bucket_at: str = Field(default="", max_length=40)  # when the bucket was last filled


class ApiKeyUseRow(SQLModel, table=True):
    """One use of a key, or one refused attempt."""

    __tablename__ = "api_key_use"
    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(max_length=40, index=True)
    key_id: str = Field(max_length=12, index=True)  # as presented ("" when none could be read)
    client: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=200)
    event: str = Field(max_length=20)  # one of EVENTS




def _limits(service: Service) -> ApiLimits:
    return getattr(service.settings, "api", None) or ApiLimits()


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _public(row: ApiKeyRow) -> dict[str, Any]:
    """A key as the administrator sees it: never its hash."""
    return {"key_id": row.key_id, "label": row.label, "party_id": row.party_id, "role": row.role,
            "username": row.username, "acts_as_user": row.acts_as_user, "created_at": row.created_at,
            "created_by": row.created_by, "revoked_at": row.revoked_at, "revoked_by": row.revoked_by,
            "last_used_at": row.last_used_at}


def _check_key_id(key_id: Any) -> str:
    if not isinstance(key_id, str) or not KEY_ID.fullmatch(key_id):
        raise InvalidInput("value_invalid", field="key_id", value=printable(repr(key_id), 40))
    return key_id


def _holder(service: Service, *, party_id: Any, role: Any, username: Any) -> tuple[str, str, str | None]:
    """The party, role and user of a new key, checked: the party exists; a user, when named, is
    active and has exactly that role and party (each may be left out and taken from the user)."""
    if username is not None and (not isinstance(username, str) or not 0 < len(username) <= 60):
        raise InvalidInput("value_invalid", field="username", value=printable(repr(username), 40))
    with service.db.read() as s:
        user = s.get(UserRow, username) if username else None
        if username and (user is None or not user.active):
            raise NotFound("actor_unknown", actor=printable(username, 40))
        party_id = user.party_id if user is not None and party_id is None else party_id
        role = user.role if user is not None and role is None else role
        if not isinstance(party_id, str) or not party_id or len(party_id) > 40:
            raise InvalidInput("value_invalid", field="party_id", value=printable(repr(party_id), 40))
        try:
            role = Role(role).value
        except ValueError:
            raise InvalidInput("value_invalid", field="role", value=printable(repr(role), 40)) from None
        if role == Role.public.value:
            raise InvalidInput("value_invalid", field="role", value=role)  # the public needs no key
        if s.get(PartyRow, party_id) is None:
            raise NotFound("party_not_found", party=printable(party_id, 40))
    if user is not None and (user.role, user.party_id) != (role, party_id):
        raise InvalidInput("api_key_user_mismatch", username=user.username, role=user.role, party=user.party_id)
    return party_id, role, username


def create_key(service: Service, actor: Actor, *, party_id: str | None = None, role: str | None = None,
               username: str | None = None, label: str = "", now: datetime | None = None) -> dict[str, Any]:
    """A new key for ``party_id`` and ``role`` (administrators only); the result's ``key`` is
    the only time the key is shown.

    Raises
    ------
    sinkledger_base.errors.InvalidInput
        ``value_invalid`` for a role that is no role (or ``public``), a malformed party or user
        name or label; ``api_key_user_mismatch`` when the user has another role or party.
    sinkledger_base.errors.NotFound
        ``party_not_found``, ``actor_unknown`` (no such active user).
    """
    require(actor, "manage_users")
    label = check_text(label if label is not None else "", "label", 80, required=False)
    party_id, role, username = _holder(service, party_id=party_id, role=role, username=username)
    now = now or utc_now()
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = ApiKeyRow(key_id=key_id, secret_hash=key_hash(key), label=label, party_id=party_id, role=role,
                    username=username or f"api-{key_id}", acts_as_user=username is not None,
                    created_at=utc_text(now), created_by=actor.username,
                    bucket_milli=_limits(service).burst * MILLI, bucket_at=utc_text(now))
    with _writing(service) as s:
        s.add(row)
        out = _public(row)
    log.info("API key %s created for %s (%s) by %s", key_id, party_id, role, actor.username)
    return {**out, "key": key}


def keys(service: Service, actor: Actor, *, include_revoked: bool = True) -> list[dict[str, Any]]:
    """Every key (never a hash), newest first (administrators only)."""
    require(actor, "manage_users")
    if not isinstance(include_revoked, bool):
        raise InvalidInput("value_invalid", field="include_revoked", value=printable(repr(include_revoked), 40))
    with service.db.read() as s:
        rows = s.exec(select(ApiKeyRow).order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.key_id)).all()  # type: ignore[attr-defined]
    return [_public(r) for r in rows if include_revoked or r.revoked_at is None]


def revoke_key(service: Service, actor: Actor, *, key_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Revoke a key (administrators only): its next use is refused. Revoking it again changes
    nothing and returns the first revocation."""
    require(actor, "manage_users")
    key_id = _check_key_id(key_id)
    with _writing(service) as s:
        row = s.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFound("api_key_not_found", key_id=key_id)
        if row.revoked_at is None:
            row.revoked_at, row.revoked_by = utc_text(now or utc_now()), actor.username
            s.add(row)
            log.info("API key %s revoked by %s", key_id, actor.username)
        return _public(row)


def uses(service: Service, actor: Actor, *, key_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The latest entries of the key-use log, newest first, of one key or all (administrators only)."""
    require(actor, "manage_users")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 10_000:
        raise InvalidInput("value_invalid", field="limit", value=printable(repr(limit), 40))
    query = select(ApiKeyUseRow).order_by(ApiKeyUseRow.id.desc()).limit(limit)  # type: ignore[union-attr]
    if key_id is not None:
        query = query.where(ApiKeyUseRow.key_id == _check_key_id(key_id))
    with service.db.read() as s:
        rows = s.exec(query).all()
    return [{"at": r.at, "key_id": r.key_id, "client": r.client, "method": r.method, "path": r.path,
             "event": r.event} for r in rows]


# -- using a key -----------------------------------------------------------------------------------

# The one read a key check makes: the key's row and, for a key acting as a user, that user. It
# runs on the driver's connection, one statement (no BEGIN/ROLLBACK around it, no ORM): the
# check is on every request's path. ``{}`` is the driver's placeholder.
_KEY_CHECK = (
    "SELECT k.key_id, k.secret_hash, k.revoked_at, k.acts_as_user, k.username, k.role, k.party_id, "
    "k.bucket_milli, k.bucket_at, u.active, u.role, u.party_id "
    "FROM api_key k LEFT JOIN app_user u ON u.username = k.username WHERE k.key_id = {}")
_KeyRow = collections.namedtuple("_KeyRow", ["key_id", "secret_hash", "revoked_at", "acts_as_user", "username", "role",
                                             "party_id", "bucket_milli", "bucket_at", "user_active", "user_role",
                                             "user_party"])


class KeyGate:
    """Key checks for one process, without a write per request (issue 18, point 5).

    - :meth:`check` makes one indexed read (the key's row joined with its user), so a revoked
      key, or a key whose user was deactivated, is refused at its next request on every
      instance; it writes nothing.
    - The rate limit: what this instance spent since it last wrote is kept in memory and counted
      against the bucket read from the row (the newer of the row and what this instance last
      wrote). :meth:`flush` subtracts it from the row's bucket (row-locked on PostgreSQL), so
      the row may go below zero when several instances spent at once: the debt is paid back
      before the key gets more. Within one flush interval each instance sees only its own spending.
      A row's stamp (``bucket_at``) only moves forward: a flush stamps each row it writes with
      its own time, or a microsecond after the row's stamp if another instance wrote a later one
      (a flush that waited for the row's lock), and refills only up to that stamp, so no
      interval is refilled twice. While a flush writes, what it writes is *in flight*: counted
      against a bucket read from a row the write has not reached yet (stamped before the stamp
      this flush writes, or read before it locked the row), and not against one it has (a check
      between the commit and the flush's end counted it twice).
    - The use log: each use and refusal is queued in memory, in order, and written by
      :meth:`flush` in one transaction with the buckets, every ``flush_ms`` by a background
      thread, and by :meth:`close` at shutdown. At most ``log_buffer_rows`` rows wait: a request
      that finds the queue full writes it first (and fails if it cannot, losing nothing). A
      failed write keeps its rows for the next. Only a process that dies without shutting down
      loses its queue: at most ``flush_ms`` of uses.
    """

    def __init__(self, service: Service, *, background: bool = True) -> None:
        self.service = service
        self.limits = _limits(service)
        self._lock = threading.Lock()  # the queue and the spent counts
        self._flush_lock = threading.Lock()  # one write at a time
        self._queue: list[dict[str, str]] = []
        self._spent: dict[str, list[Any]] = {}  # key id -> [thousandths spent, last use]
        self._written: dict[str, tuple[int, str]] = {}  # key id -> (bucket_milli, bucket_at) last written
        # the flush under way: key id -> [the stamp it writes on the key's row (None until it has
        # locked the row), thousandths it takes off]
        self._inflight: dict[str, list[Any]] | None = None
        self._background = background
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._local = threading.local()  # .connection: this thread's key-reading connection (SQLite)
        self._connections: list[Any] = []

    def check(self, key: Any, *, client: str, method: str, path: str, now: datetime | None = None) -> Actor:
        """The actor of a key presented with a request, its use queued and counted.

        Raises
        ------
        sinkledger_base.errors.NotPermitted
            ``api_key_missing`` (no key), ``api_key_invalid`` (malformed, unknown, wrong secret,
            or its user no longer active with its role and party), ``api_key_revoked``.
        sinkledger_base.errors.Conflict
            ``api_rate_limited`` with ``retry_after_s`` while the key's bucket is empty.
        """
        if key is None or key == "":
            raise NotPermitted("api_key_missing")
        if len(self._queue) >= self.limits.log_buffer_rows:
            self.flush()  # the queue is full: write it before queueing more
        self._start()
        now = now or utc_now()
        found = KEY.fullmatch(key) if isinstance(key, str) else None
        presented_id = found.group(1) if found else ""
        row = self._read(presented_id) if found else None
        at = utc_text(now)
        with self._lock:
            event, refusal, actor = self._judge(row, key, now, at)
            self._queue.append({"at": at, "key_id": presented_id, "client": printable(client, 64)[:64],
                                "method": printable(method, 10)[:10], "path": printable(path, 200)[:200],
                                "event": event})
        if refusal is not None:
            log.warning("API key refused: key=%s client=%s event=%s", presented_id or "-", client, event)
            raise refusal
        assert actor is not None
        return actor

    def _read(self, key_id: str) -> _KeyRow | None:
        engine = self.service.db.engine
        sql = _KEY_CHECK.format("?" if engine.dialect.paramstyle == "qmark" else "%s")
        if self.service.db.is_sqlite:
            # A connection of this thread's own, kept: a pool's checkout and its reset on return
            # cost more than the read (the driver is in autocommit: each read sees the latest commit).
            own = getattr(self._local, "connection", None)
            if own is None:
                pooled = engine.raw_connection()
                own = self._local.connection = pooled.driver_connection
                pooled.detach()  # out of the pool: it stays this gate's until close()
                with self._lock:
                    self._connections.append(own)
            row = own.execute(sql, (key_id,)).fetchone()
            return _KeyRow(*row) if row is not None else None
        conn = engine.raw_connection()
        try:
            cursor = conn.cursor()
            cursor.execute(sql, (key_id,))
            row = cursor.fetchone()
            cursor.close()
            if not self.service.db.is_sqlite:
                conn.rollback()  # end the read's transaction (SQLite's driver opened none)
        finally:
            conn.close()
        return _KeyRow(*row) if row is not None else None

    def _judge(self, row: Any, key: str, now: datetime, at: str) -> tuple[str, Exception | None, Actor | None]:
        """The event to log, the refusal to raise (or None) and the actor, for a key's row
        (called holding the lock); ``at`` is ``now`` as stored text."""
        if row is None:
            return "unknown_key", NotPermitted("api_key_invalid"), None
        if not hmac.compare_digest(row.secret_hash, key_hash(key)):
            return "wrong_secret", NotPermitted("api_key_invalid"), None
        if row.revoked_at is not None:
            return "revoked", NotPermitted("api_key_revoked", key_id=row.key_id, revoked_at=row.revoked_at), None
        if row.acts_as_user and (not row.user_active or (row.user_role, row.user_party) != (row.role, row.party_id)):
            return "user_inactive", NotPermitted("api_key_invalid"), None
        bucket = (row.bucket_milli, row.bucket_at)
        written = self._written.get(row.key_id)
        if written is not None and written[1] > bucket[1]:
            bucket = written  # this instance wrote the row since the read began
        spent = self._spent.get(row.key_id) or [0, ""]
        tokens = _refill(*bucket, now, self.limits) - spent[0]
        pending = self._inflight.get(row.key_id) if self._inflight is not None else None
        if pending is not None and (pending[0] is None or bucket[1] < pending[0]):
            tokens -= pending[1]  # a row the flush under way has not written yet
        if tokens < MILLI:
            rate_milli_per_s = self.limits.rate_per_minute * MILLI / 60
            wait_s = max(1, math.ceil((MILLI - tokens) / rate_milli_per_s))
            return "rate_limited", Conflict("api_rate_limited", key_id=row.key_id, retry_after_s=wait_s,
                                            rate_per_minute=self.limits.rate_per_minute), None
        spent[0] += MILLI
        spent[1] = max(spent[1], at)
        self._spent[row.key_id] = spent
        return "used", None, Actor(row.username, Role(row.role), row.party_id)

    # -- writing ---------------------------------------------------------------------------------
    def flush(self) -> int:
        """Write the queued uses and the spent buckets in one transaction; the number of uses
        written. A failed write keeps everything for the next and raises."""
        with self._flush_lock:
            now = utc_now()
            with self._lock:
                queue, self._queue = self._queue, []
                spent = {k: (v[0], v[1]) for k, v in self._spent.items() if v[0] or v[1]}
                # what this write takes out of the spent counts is in flight until it has committed
                # and is remembered as written (see the class's doc)
                for key_id, (milli, last) in spent.items():
                    entry = self._spent[key_id]
                    entry[0] -= milli
                    if entry[1] == last:
                        entry[1] = ""
                    if not entry[0] and not entry[1]:
                        del self._spent[key_id]
                self._inflight = {k: [None, milli] for k, (milli, _last) in spent.items()}
            if not queue and not spent:
                with self._lock:
                    self._inflight = None
                return 0
            try:
                written = self._write(queue, spent, now)
            except BaseException:
                with self._lock:
                    self._queue[:0] = queue  # back in front of the newer ones, in order
                    for key_id, (milli, last) in spent.items():  # and the spending back to be written
                        entry = self._spent.setdefault(key_id, [0, ""])
                        entry[0] += milli
                        entry[1] = max(entry[1], last)
                    self._inflight = None
                raise
            with self._lock:
                self._written.update(written)
                self._inflight = None
            return len(queue)

    def _write(self, queue: list[dict[str, str]], spent: dict[str, tuple[int, str]],
               now: datetime) -> dict[str, tuple[int, str]]:
        service, written = self.service, {}
        with _writing(service) as s:
            if not service.db.is_sqlite:
                # The buckets and the log need no wait for the disk: a crash may lose the last
                # moment's uses (the ledger's own commits keep their full durability).
                s.exec(text("SET LOCAL synchronous_commit TO OFF"))
            for key_id in sorted(spent):  # one order of row locks in every instance
                row = _locked_key(s, service, key_id)
                if row is None:
                    continue
                milli, last = spent[key_id]
                stamp = max(utc_text(now), _just_after(row.bucket_at))  # forward only (see the class)
                with self._lock:
                    if self._inflight is not None and key_id in self._inflight:
                        self._inflight[key_id][0] = stamp
                row.bucket_milli = _refill(row.bucket_milli, row.bucket_at, datetime.fromisoformat(stamp),
                                           self.limits) - milli
                row.bucket_at = stamp
                if last and (row.last_used_at or "") < last:
                    row.last_used_at = last
                s.add(row)
                written[key_id] = (row.bucket_milli, row.bucket_at)
            append_bounded_rows(s, [ApiKeyUseRow(**use) for use in queue], self.limits.log_max_rows)
        return written

    def _start(self) -> None:
        if self._background and self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="sinkledger-api-key-log", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.limits.flush_ms / 1000):
            try:
                self.flush()
            except Exception:
                log.exception("API key-use log: writing failed; the rows are kept for the next write")

    def close(self) -> None:
        """Stop the background writer, write what is queued (at shutdown) and close the
        connections the key reads kept."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        try:
            self.flush()
        finally:
            with self._lock:
                kept, self._connections = self._connections, []
            for connection in kept:
                connection.close()


def authenticate(service: Service, key: Any, *, client: str, method: str, path: str,
                 now: datetime | None = None) -> Actor:
    """:meth:`KeyGate.check` with its use written before it returns (the app and tests; the API
    keeps one :class:`KeyGate` per process)."""
    gate = KeyGate(service, background=False)
    try:
        return gate.check(key, client=client, method=method, path=path, now=now)
    finally:
        gate.close()


def _locked_key(s: Any, service: Service, key_id: str) -> ApiKeyRow | None:
    query = select(ApiKeyRow).where(ApiKeyRow.key_id == key_id)
    if not service.db.is_sqlite:
        query = query.with_for_update()
    return s.exec(query.execution_options(populate_existing=True)).first()


def _just_after(stamp: str) -> str:
    """The stored moment one microsecond after ``stamp`` ("" for a bucket never written)."""
    try:
        return utc_text(datetime.fromisoformat(stamp) + timedelta(microseconds=1))
    except (ValueError, TypeError, OverflowError):
        return ""


def _refill(bucket_milli: int, bucket_at: str, now: datetime, limits: ApiLimits) -> int:
    """A bucket's content now, in thousandths of a request: what it held (below zero: a debt),
    plus the rate times the time since, at most ``burst``."""
    full = limits.burst * MILLI
    try:
        elapsed_s = max(0.0, (now - datetime.fromisoformat(bucket_at)).total_seconds())
    except ValueError:
        return full  # never filled: a full bucket
    return min(full, bucket_milli + int(elapsed_s * limits.rate_per_minute * MILLI / 60))
