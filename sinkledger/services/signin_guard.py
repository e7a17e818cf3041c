"""Sign-in that resists guessing: growing waits and temporary lock-outs per user name and per
client address, kept in the database, and a log of every failed sign-in.

``docs/app.md`` ("Sign-in that resists guessing") explains the choices; in short:

- each user name (known or not: a lock tells nothing about whether a name exists) and each
  client address (an IPv6 one by its /64 network: :func:`client_key`) has a failure counter
  (table ``sign_in_guard``). From the
  :attr:`~sinkledger.config.SignInLimits.user_failures`-th failure of a name (the
  :attr:`~sinkledger.config.SignInLimits.client_failures`-th of a client, across names), every
  next attempt must wait ``delay_s * 2 ** (n - threshold)`` seconds after the n-th failure, at
  most ``max_delay_s``. While it must wait, an attempt is refused (``sign_in_locked``, saying
  when to try again) without its password being looked at, so even the right one is refused;
  that attempt is not counted (waiting out the lock is all it takes);
- an attempt is counted as a failure *before* its password is checked (:func:`begin`), in the
  same transaction that checks the lock (a row lock on PostgreSQL, the write lock on SQLite), so
  parallel attempts from several app instances cannot slip past the limit; a success
  (:func:`succeeded`) then resets the user name's counter and takes the provisional failure
  back from the client's (a success does not reset a client's counter: an attacker holding one
  account could otherwise clear it between guesses);
- a counter with no failure for :attr:`~sinkledger.config.SignInLimits.forget_minutes` starts
  again from zero; idle rows are deleted on the way, so names made up by an attacker do not
  pile up;
- every failure and every refused locked attempt is written to ``sign_in_log`` (user name
  tried, client, time, reason) and to the application log; the log is bounded in the writing
  transaction (:func:`_log`: 180 days, at most ``log_max_rows`` rows), so a flood cannot grow it; administrators see the locks and
  the log and can lift a lock (:func:`locks`, :func:`unlock`, :func:`recent_failures`).

The tables are not part of the ledger: rows are replaced and deleted freely and nothing in them
is hashed into the journal.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel, select

from ledger.permissions import Actor, require
from ledger.store import UserRow
from sinkledger.config import SignInLimits
from sinkledger.services.sessions import _writing
from sinkledger_base.errors import InvalidInput, NotFound, NotPermitted, printable
from sinkledger_base.local_time import local_timestamp, utc_now, utc_text

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

log = logging.getLogger("sinkledger.signin")

USER, CLIENT = "user", "client"
SCOPES = (USER, CLIENT)
UNKNOWN_CLIENT = "unknown"  # no address could be told (no request context)
MAX_SUBJECT_CHARS = 64
LOG_RETENTION = timedelta(days=180)  # failed sign-ins are kept this long (and at most SignInLimits.log_max_rows)
LOG_PRUNE_BATCH = 1000  # rows deleted at most per log write (per rule)
IPV6_CLIENT_PREFIX = 64  # an IPv6 client is counted by its /64 network
EVENTS = ("wrong_password", "unknown_user", "inactive_user", "malformed", "locked", "unlocked")


class SignInGuardRow(SQLModel, table=True):
    """The failure counter of one user name or one client address."""

    __tablename__ = "sign_in_guard"
    scope: str = Field(primary_key=True, max_length=10)  # "user" or "client"
    subject: str = Field(primary_key=True, max_length=64)  # the user name tried, or the client address
    failures: int = Field(default=0)
    last_failure_at: str = Field(max_length=40, index=True)  # ISO 8601 UTC, microseconds


class SignInLogRow(SQLModel, table=True):
    """One failed or refused sign-in, or an administrator lifting a lock."""

    __tablename__ = "sign_in_log"
    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(max_length=40, index=True)
    username: str = Field(max_length=64)  # as tried (printable, shortened)
    client: str = Field(max_length=64)
    event: str = Field(max_length=20)  # one of EVENTS
    detail: str = Field(default="", max_length=64)  # "unlocked": the administrator and the scope


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt let through by :func:`begin` and counted as a failure in advance."""

    username: str | None  # None: a malformed name, counted against the client only
    shown_name: str  # the name as logged
    client: str  # the address, as logged
    now: datetime
    client_before: str  # the client row's last failure before this attempt ("" if none)
    client_key: str = ""  # the client counter's subject (:func:`client_key`)




def _limits(service: Service) -> SignInLimits:
    return getattr(service.settings, "sign_in", None) or SignInLimits()


def _forgotten(now: datetime, limits: SignInLimits) -> str:
    """Counters whose last failure is older than this start again (never while still locked)."""
    return utc_text(now - max(timedelta(minutes=limits.forget_minutes), timedelta(seconds=limits.max_delay_s)))


def _threshold(scope: str, limits: SignInLimits) -> int:
    return limits.user_failures if scope == USER else limits.client_failures


def wait_until(scope: str, failures: int, last_failure_at: str, limits: SignInLimits) -> datetime | None:
    """When the next attempt may be made after ``failures`` failures, the last at
    ``last_failure_at``; None below the threshold."""
    over = failures - _threshold(scope, limits)
    if over < 0 or not last_failure_at:
        return None
    delay = min(limits.delay_s * 2 ** min(over, 40), limits.max_delay_s)
    return datetime.fromisoformat(last_failure_at) + timedelta(seconds=delay)


def _subject(text: str) -> str:
    """A name or address as stored and logged: printable, NULs shown as ``\\x00`` (PostgreSQL text
    cannot hold one), at most ``MAX_SUBJECT_CHARS``."""
    return printable(text.replace("\x00", "\\x00"), MAX_SUBJECT_CHARS)[:MAX_SUBJECT_CHARS]


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[str, ...]) -> str:
    """The client's address: the connection's peer, or, when the peer is a trusted proxy, the
    right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy.

    ``peer`` None stands for a loopback connection (Streamlit reports 127.0.0.1 and ::1 as None)
    and is treated as 127.0.0.1. A malformed header is ignored (the peer is used); a peer that is
    not text at all gives ``unknown``.

    >>> client_address("203.0.113.9", "198.51.100.1", ("127.0.0.1/32",))
    '203.0.113.9'
    >>> client_address(None, "198.51.100.1, 203.0.113.7", ("127.0.0.1/32", "::1/128"))
    '203.0.113.7'
    >>> client_address(None, None, ())
    '127.0.0.1'
    """
    if peer is not None and not isinstance(peer, str):
        return UNKNOWN_CLIENT  # not an address at all (a test harness's stand-in)
    current = _address(peer or "127.0.0.1")
    if current is None:
        return UNKNOWN_CLIENT  # a peer that is no address (a socket path...): what authenticate accepts
    if not forwarded_for or not isinstance(forwarded_for, str):
        return str(current)  # nothing forwarded: the peer (the common case, on every API request)
    networks = _networks(trusted_proxies)

    def trusted(address: Any) -> bool:
        return any(address.version == n.version and address in n for n in networks)

    if trusted(current):
        for hop in reversed([h.strip() for h in forwarded_for.split(",")][:32]):
            address = _address(hop)
            if address is None:
                break  # not an address: trust nothing further left
            current = address
            if not trusted(address):
                break
    return str(current)


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> Any:
    """``text`` as an IP address, or None (cached: the same peers ask again and again)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=64)
def _networks(trusted_proxies: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(n) for n in trusted_proxies)


def client_key(client: str) -> str:
    """The subject of a client address's counter: an IPv4 address itself, an IPv6 address by its
    /64 network (one host, one home or one office is usually given a whole /64, so counting
    each address would let a client take a fresh counter per guess), an IPv4-mapped IPv6
    address as the IPv4 address. Anything else (``unknown``) as it is.

    >>> client_key("203.0.113.9")
    '203.0.113.9'
    >>> client_key("2001:db8:1:2:a:b:c:d")
    '2001:db8:1:2::/64'
    >>> client_key("::ffff:203.0.113.9")
    '203.0.113.9'
    >>> client_key("unknown")
    'unknown'
    """
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))


def _log(s: Any, limits: SignInLimits, row: SignInLogRow) -> None:
    """Write a row of the sign-in log and keep the log bounded, in the same transaction
    (:func:`append_bounded`). The log is for people to read; the guard's decisions come from the
    counters (``sign_in_guard``), which this never touches."""
    append_bounded(s, row, limits.log_max_rows)


def append_bounded(s: Any, row: Any, max_rows: int) -> None:
    """Add ``row`` to its log table (a table with an ``id`` primary key and an indexed ``at``)
    and keep the table bounded, in the same transaction: rows older than :data:`LOG_RETENTION`,
    and rows more than ``max_rows`` ids behind the new one, are deleted, at most
    :data:`LOG_PRUNE_BATCH` of each per write (both by index: the primary key and ``at``). In
    steady state each write deletes about one row, so a flood leaves at most ``max_rows`` rows
    (a larger table left by an older release shrinks by a batch per write). The sign-in log and
    the API key-use log (:mod:`sinkledger.services.apikeys`) are kept this way."""
    append_bounded_rows(s, [row], max_rows)


def append_bounded_rows(s: Any, rows: list[Any], max_rows: int) -> None:
    """:func:`append_bounded` for several rows of one table, in order (one prune for them all,
    deleting up to :data:`LOG_PRUNE_BATCH` plus the rows added beyond the first)."""
    if not rows:
        return
    table = type(rows[0])
    s.add_all(rows)
    s.flush()
    prune = LOG_PRUNE_BATCH + len(rows) - 1
    cut = max(r.id for r in rows) - max_rows
    if cut > 0:
        beyond = select(table.id).where(table.id <= cut).order_by(table.id).limit(prune)
        s.exec(delete(table).where(table.id.in_(beyond)))
    newest = max(datetime.fromisoformat(r.at) for r in rows)
    old = (select(table.id).where(table.at < utc_text(newest - LOG_RETENTION)).order_by(table.at).limit(prune))
    s.exec(delete(table).where(table.id.in_(old)))


def _get_for_update(s: Any, scope: str, subject: str, dialect: str, now_iso: str) -> SignInGuardRow:
    """The counter row, created if missing, locked until the transaction ends (PostgreSQL; SQLite
    holds its write lock already)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    s.exec(insert(SignInGuardRow).values(scope=scope, subject=subject, failures=0, last_failure_at="")
           .on_conflict_do_nothing(index_elements=["scope", "subject"]))
    query = select(SignInGuardRow).where(SignInGuardRow.scope == scope, SignInGuardRow.subject == subject)
    if dialect == "postgresql":
        query = query.with_for_update()
    return s.exec(query.execution_options(populate_existing=True)).one()


def begin(service: Service, username: str | None, client: str, *, shown_name: str | None = None,
          now: datetime | None = None) -> Attempt:
    """Let an attempt through, counted as a failure in advance, or refuse it while the user name
    or the client must still wait.

    Raises
    ------
    sinkledger_base.errors.NotPermitted
        ``sign_in_locked`` with ``retry_at`` (Asia/Shanghai, as people read it) and ``wait_s``, the same for every user name
        whether it exists or not.
    """
    now = now or utc_now()
    limits = _limits(service)
    client = _subject(client or UNKNOWN_CLIENT)
    key = _subject(client_key(client))
    shown = _subject(shown_name if shown_name is not None else (username or ""))
    subjects = [(CLIENT, key)] if username is None else [(USER, _subject(username)), (CLIENT, key)]
    dialect = "sqlite" if service.db.is_sqlite else "postgresql"
    now_iso = utc_text(now)
    forgotten = _forgotten(now, limits)
    with _writing(service) as s:
        rows = [_get_for_update(s, scope, subject, dialect, now_iso) for scope, subject in subjects]
        for row in rows:
            if row.last_failure_at < forgotten:
                row.failures = 0  # idle long enough: it starts again
        waits = [w for w in (wait_until(r.scope, r.failures, r.last_failure_at, limits) for r in rows)
                 if w is not None and now < w]
        if waits:
            until = max(waits)
            _log(s, limits, SignInLogRow(at=now_iso, username=shown, client=client, event="locked"))
            locked = NotPermitted("sign_in_locked", retry_at=local_timestamp(until),
                                  wait_s=max(1, int((until - now).total_seconds() + 0.999)))
        else:
            locked = None
            client_before = ""
            for row in rows:
                if row.scope == CLIENT:
                    client_before = row.last_failure_at
                row.failures += 1
                row.last_failure_at = now_iso
                s.add(row)
    if locked is not None:
        _prune(service, forgotten)
        log.warning("sign-in refused while locked: user=%r client=%s", shown, client)
        raise locked
    return Attempt(username=username if username is None else _subject(username), shown_name=shown,
                   client=client, now=now, client_before=client_before, client_key=key)


def _prune(service: Service, forgotten: str) -> None:
    """Delete idle counters (names an attacker made up must not pile up), after each failure or
    locked attempt (a success leaves no row behind). Its own transaction, after the attempt's; on PostgreSQL it skips rows another transaction holds, so it never
    waits and never deadlocks with a sign-in. A failure here only leaves rows for next time."""
    try:
        with _writing(service) as s:
            idle = (select(SignInGuardRow.scope, SignInGuardRow.subject)
                    .where(SignInGuardRow.last_failure_at < forgotten).limit(1000))
            if not service.db.is_sqlite:
                idle = idle.with_for_update(skip_locked=True)
            s.exec(delete(SignInGuardRow).where(tuple_(SignInGuardRow.scope, SignInGuardRow.subject).in_(idle)))
    except Exception:
        log.exception("could not prune the sign-in counters")


def failed(service: Service, attempt: Attempt, event: str) -> None:
    """Log a failed attempt (its failure was counted by :func:`begin`)."""
    now_iso = utc_text(attempt.now)
    with _writing(service) as s:
        _log(s, _limits(service), SignInLogRow(at=now_iso, username=attempt.shown_name, client=attempt.client,
                                               event=event))
    _prune(service, _forgotten(attempt.now, _limits(service)))
    log.warning("sign-in failed: user=%r client=%s reason=%s", attempt.shown_name, attempt.client, event)


def succeeded(service: Service, attempt: Attempt) -> None:
    """A success: the user name's counter starts again; the client's provisional failure is
    taken back."""
    dialect = "sqlite" if service.db.is_sqlite else "postgresql"
    now_iso = utc_text(attempt.now)
    with _writing(service) as s:
        if attempt.username is not None:
            s.exec(delete(SignInGuardRow).where(SignInGuardRow.scope == USER,
                                                SignInGuardRow.subject == attempt.username))
        row = _get_for_update(s, CLIENT, attempt.client_key or client_key(attempt.client), dialect, now_iso)
        if row.failures <= 1:
            s.delete(row)
        else:
            row.failures -= 1
            if row.last_failure_at == now_iso and attempt.client_before:
                row.last_failure_at = attempt.client_before
            s.add(row)


# -- the administrator ---------------------------------------------------------------------------

def locks(service: Service, actor: Actor, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """User names and clients that have reached their threshold (each next attempt waits), the
    locked ones first (administrators only)."""
    require(actor, "manage_users")
    now, limits = now or utc_now(), _limits(service)
    forget = _forgotten(now, limits)
    with service.db.read() as s:
        rows = s.exec(select(SignInGuardRow).where(SignInGuardRow.last_failure_at >= forget)).all()
        users = set(s.exec(select(UserRow.username).where(
            UserRow.username.in_([r.subject for r in rows if r.scope == USER])))) if rows else set()
    out = []
    for r in rows:
        until = wait_until(r.scope, r.failures, r.last_failure_at, limits)
        if until is None:
            continue
        out.append({"scope": r.scope, "subject": r.subject, "failures": r.failures,
                    "last_failure_at": r.last_failure_at, "locked_until": utc_text(until), "locked": now < until,
                    "known_user": r.scope == USER and r.subject in users})
    return sorted(out, key=lambda d: (not d["locked"], d["scope"], d["subject"]))


def unlock(service: Service, actor: Actor, *, scope: str, subject: str, now: datetime | None = None) -> dict:
    """Lift the lock of a user name or a client (its counter starts again); logged."""
    require(actor, "manage_users")
    if scope not in SCOPES:
        raise InvalidInput("value_invalid", field="scope", value=printable(str(scope), 40))
    if not isinstance(subject, str) or not subject:
        raise InvalidInput("value_invalid", field="subject", value=printable(repr(subject), 40))
    now = now or utc_now()
    if scope == CLIENT:
        subject = client_key(subject)  # an IPv6 address lifts its /64's counter
    with _writing(service) as s:
        row = s.get(SignInGuardRow, (scope, subject))
        if row is None:
            raise NotFound("sign_in_lock_not_found", scope=scope, subject=printable(subject, 64))
        failures = row.failures
        s.delete(row)
        _log(s, _limits(service), SignInLogRow(at=utc_text(now), username=subject if scope == USER else "",
                                               client=subject if scope == CLIENT else "", event="unlocked",
                                               detail=_subject(f"{scope} by {actor.username}")))
    log.warning("sign-in lock lifted: %s %r by %s", scope, subject, actor.username)
    return {"scope": scope, "subject": subject, "failures": failures, "unlocked_by": actor.username}


def recent_failures(service: Service, actor: Actor, *, limit: int = 100) -> list[dict[str, Any]]:
    """The latest entries of the sign-in log, newest first (administrators only)."""
    require(actor, "manage_users")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 10_000:
        raise InvalidInput("value_invalid", field="limit", value=printable(repr(limit), 40))
    with service.db.read() as s:
        rows = s.exec(select(SignInLogRow).order_by(SignInLogRow.id.desc()).limit(limit)).all()  # type: ignore[union-attr]
    return [{"at": r.at, "username": r.username, "client": r.client, "event": r.event, "detail": r.detail}
            for r in rows]
