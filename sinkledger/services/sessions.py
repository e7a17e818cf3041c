"""Signed-in web sessions that survive a reload: random tokens, stored hashed, with expiry.

Streamlit keeps ``st.session_state`` per websocket, so a browser reload (a new websocket) used
to sign the user out. The app now gives each sign-in a random token that the browser keeps in a
cookie (``sinkledger_session``); a new websocket presents it (``st.context.cookies``) and
:func:`resume` turns it back into the user, if the session is still valid. ``docs/app.md``
("Staying signed in") explains the choices; in short:

- the token is 32 random bytes (``secrets.token_urlsafe``: 256 bits); the database keeps only its
  SHA-256 (a stolen table or backup holds no usable token; a slow hash is not needed for a
  random 256-bit value);
- a session ends at sign-out (the row is deleted), after :data:`LIFETIME` from sign-in, after
  :data:`IDLE_TIMEOUT` without use, and as soon as its user is deactivated, gets another role or
  party, or has its password reset (each resume compares the user row with what the session was
  opened for);
- the token is created only by a successful sign-in and never taken from the client to open a
  session (no fixation); the URL never carries a token, a password or a role.

The table is not part of the ledger: rows are replaced and deleted freely, and nothing in it is
hashed into the journal.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, select

from ledger.permissions import Actor
from ledger.store import UserRow

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

COOKIE_NAME = "sinkledger_session"
TOKEN_BYTES = 32  # 256 bits of randomness
LIFETIME = timedelta(hours=12)  # absolute: a session never outlives a working day
IDLE_TIMEOUT = timedelta(hours=2)  # unused this long, it ends
TOUCH_EVERY = timedelta(minutes=5)  # last use is written at most this often (one write, not one per click)


class WebSessionRow(SQLModel, table=True):
    """One signed-in browser session: the token's hash, whom it is for, and when it ends."""

    __tablename__ = "web_session"
    token_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 hex of the token
    username: str = Field(max_length=60, index=True)
    role: str = Field(max_length=30)  # the role and party signed in with: a change ends the session
    party_id: str = Field(max_length=40)
    password_check: str = Field(max_length=64)  # digest of the password hash: a reset ends the session
    created_at: str = Field(max_length=40)
    last_seen_at: str = Field(max_length=40)
    expires_at: str = Field(max_length=40, index=True)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _password_check(user: UserRow) -> str:
    return hashlib.sha256(("sinkledger-session\n" + user.password_hash).encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@contextmanager
def _writing(service: Service) -> Iterator[Session]:
    """A short write transaction. SQLite takes its write lock up front (``BEGIN IMMEDIATE``, so
    two writers never deadlock); PostgreSQL needs no lock, since this table is not chained."""
    db = service.db
    if db.is_sqlite:
        with db.write() as s:
            yield s
        return
    with Session(db.engine, expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


def open_session(service: Service, actor: Actor, *, now: datetime | None = None) -> str:
    """A new session for ``actor`` (just authenticated); returns the token for the browser.

    Expired sessions of every user are deleted on the way (the table never grows without bound).
    """
    now = now or _now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with _writing(service) as s:
        user = s.get(UserRow, actor.username)
        if user is None or not user.active:
            raise ValueError("open_session needs an active user")
        s.exec(delete(WebSessionRow).where(WebSessionRow.expires_at < _iso(now)))
        s.add(WebSessionRow(token_hash=token_hash(token), username=user.username, role=actor.role.value,
                            party_id=actor.party_id, password_check=_password_check(user),
                            created_at=_iso(now), last_seen_at=_iso(now), expires_at=_iso(now + LIFETIME)))
    return token


def resume(service: Service, token: str | None, *, now: datetime | None = None) -> dict[str, Any] | None:
    """The user a token stands for (``username``, ``role``, ``party_id``, ``display_name``), or
    ``None`` if the token is unknown or its session has ended (an ended session is deleted)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    now, key = now or _now(), token_hash(token)
    with service.db.read() as s:
        row = s.get(WebSessionRow, key)
        user = s.get(UserRow, row.username) if row is not None else None
    if row is None:
        return None
    if user is None or not _still_valid(row, user, now):
        close_session(service, token)
        return None
    if now - datetime.fromisoformat(row.last_seen_at) >= TOUCH_EVERY:
        _touch(service, key, now)
    return {"username": user.username, "role": user.role, "party_id": user.party_id,
            "display_name": user.display_name or user.username}


def _still_valid(row: WebSessionRow, user: UserRow, now: datetime) -> bool:
    return (user.active and user.role == row.role and user.party_id == row.party_id
            and _password_check(user) == row.password_check
            and now < datetime.fromisoformat(row.expires_at)
            and now - datetime.fromisoformat(row.last_seen_at) < IDLE_TIMEOUT)


def _touch(service: Service, key: str, now: datetime) -> None:
    with _writing(service) as s:
        row = s.get(WebSessionRow, key)
        if row is not None:
            row.last_seen_at = _iso(now)
            s.add(row)


def close_session(service: Service, token: str | None) -> None:
    """End one session (sign-out). Unknown tokens are ignored."""
    if not token:
        return
    with _writing(service) as s:
        s.exec(delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash(token)))


def close_user_sessions(service: Service, username: str) -> int:
    """End every session of a user (e.g. after deactivating it); returns how many ended."""
    with _writing(service) as s:
        keys = s.exec(select(WebSessionRow.token_hash).where(WebSessionRow.username == username)).all()
        s.exec(delete(WebSessionRow).where(WebSessionRow.username == username))
    return len(keys)


def session_count(service: Service, username: str | None = None) -> int:
    """How many sessions are stored (for one user, or all): for tests and the administrator."""
    with service.db.read() as s:
        query = select(WebSessionRow.token_hash)
        if username:
            query = query.where(WebSessionRow.username == username)
        return len(s.exec(query).all())
