"""Users, actors and parties: create and authenticate users, the actor behind a user name,
register a party, the lists of users and parties.

A :class:`~sinkledger.services.area.RegistryPart`: the registry Service inherits it."""

from __future__ import annotations

import ipaddress

from datetime import datetime
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select

from ledger import parties
from ledger.domain import Role
from ledger.permissions import Actor
from ledger.sql import Tx
from ledger.store import PartyRow, UserRow
from sinkledger.services import admin, signin_guard
from sinkledger.services.area import RegistryPart
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, NotPermitted, encodes_utf8


class UserCalls(RegistryPart):
    """The registry's calls for this area (``self`` is the registry :class:`Service`)."""

    def create_user(self, *, username: str, password: str, role: str, party_id: str, display_name: str) -> None:
        """Create a user directly (set-up and demo seeding; the administrator's page records the
        change in the journal through :func:`sinkledger.services.admin.create_user`). Same checks as there."""
        username, role, display_name = admin.check_user_fields(username=username, password=password, role=role,
                                                         party_id=party_id, display_name=display_name)
        with self.db.write() as s:
            if s.get(PartyRow, party_id) is None:
                raise NotFound("party_not_found", party=party_id)
            if s.get(UserRow, username) is not None:
                raise Conflict("username_taken", username=username)
            s.add(UserRow(username=username, party_id=party_id, role=Role(role).value,
                          password_hash=admin.HASHER.hash(password), display_name=display_name))

    def authenticate(self, username: str, password: str, *, client: str = signin_guard.UNKNOWN_CLIENT,
                     now: datetime | None = None) -> Actor:
        """The actor of a user name and password, from ``client`` (an address, see
        :func:`sinkledger.services.signin_guard.client_address`).

        Guarded against guessing (:mod:`sinkledger.services.signin_guard`): repeated failures for
        a user name or from a client make the next attempts wait, and every failure is logged.
        Unknown and inactive users are checked against a dummy hash with the same parameters,
        so every refusal takes as long as a wrong password.

        Raises
        ------
        sinkledger_base.errors.NotPermitted
            ``credentials_invalid`` (wrong name or password, inactive user, anything but text);
            ``sign_in_locked`` while the name or the client must wait (even with the right password).
        """
        _check_client(client, now)
        dummy = admin.dummy_hash()  # made before anything else, so its first making is not a tell
        name_ok = (isinstance(username, str) and 0 < len(username) <= 60 and encodes_utf8(username)
                   and "\x00" not in username)  # no user name holds a NUL (PostgreSQL text cannot)
        shown = username if isinstance(username, str) else repr(username)
        attempt = signin_guard.begin(self, username if name_ok else None, client, shown_name=shown, now=now)
        if not (name_ok and isinstance(password, str) and len(password) <= 1024 and encodes_utf8(password)):
            signin_guard.failed(self, attempt, "malformed")
            raise NotPermitted("credentials_invalid")
        with self.db.read() as s:
            user = s.get(UserRow, username)
        usable = user is not None and user.active
        try:
            verified = admin.HASHER.verify(user.password_hash if usable else dummy, password)
        except (VerificationError, InvalidHashError):
            verified = False
        if not (usable and verified):
            reason = "unknown_user" if user is None else "inactive_user" if not user.active else "wrong_password"
            signin_guard.failed(self, attempt, reason)
            raise NotPermitted("credentials_invalid")
        signin_guard.succeeded(self, attempt)
        return Actor(user.username, Role(user.role), user.party_id)

    def actor(self, username: str | None) -> Actor:
        """The actor for a user name, for trusted local callers (CLI with database access)."""
        if not username:
            raise InvalidInput("actor_required")
        if not isinstance(username, str) or len(username) > 60:
            raise NotFound("actor_unknown", actor=repr(username)[:40])
        with self.db.read() as s:
            user = s.get(UserRow, username)
        if user is None or not user.active:
            raise NotFound("actor_unknown", actor=username)
        return Actor(user.username, Role(user.role), user.party_id)

    def users(self) -> list[dict[str, Any]]:
        with self.db.read() as s:
            return [{"username": u.username, "role": u.role, "party_id": u.party_id,
                     "display_name": u.display_name} for u in s.exec(select(UserRow).order_by(UserRow.username))]

    def register_party(self, actor: Actor, request_id: str, *, party_id: str, kind: str, name: str,
                       county_code: str | None = None) -> dict[str, Any]:
        content = {"party_id": party_id, "kind": kind, "name": name, "county_code": county_code}
        return self._run(actor, "register_party", request_id, content,
                         lambda ctx: parties.register_party(ctx, **content))

    def parties(self) -> list[dict[str, Any]]:
        """Every party by id, with its holding account (``None`` without one). One statement on the
        driver: 51,000 parties of the county dataset took 2.6 s through the ORM, on every page run
        that listed them after a new journal entry."""
        with self.db.read() as s:
            rows = Tx.of(s).all(_PARTIES_SQL)
        return [{"party_id": pid, "kind": kind, "name": name, "county_code": county, "account_id": account}
                for pid, kind, name, county, account in rows]


_PARTIES_SQL = ("SELECT p.id, p.kind, p.name, p.county_code, a.id FROM party p LEFT JOIN "
                "(SELECT party_id, min(id) AS id FROM account WHERE kind = 'holding' GROUP BY party_id) a "
                "ON a.party_id = p.id ORDER BY p.id")


def _check_client(client: Any, now: Any) -> None:
    """``client`` is what :func:`~sinkledger.services.signin_guard.client_address` gives (an IP
    address, or ``unknown``); ``now`` a time with its offset. Anything else is a caller's error,
    refused before any attempt is counted."""
    if client != signin_guard.UNKNOWN_CLIENT:
        try:
            if not isinstance(client, str):  # ip_address() takes whole numbers too
                raise TypeError(client)
            ipaddress.ip_address(client)
        except (TypeError, ValueError):
            raise InvalidInput("value_invalid", field="client", value=repr(client)[:40]) from None
    if now is not None and not (isinstance(now, datetime) and now.utcoffset() is not None):
        raise InvalidInput("value_invalid", field="now", value=repr(now)[:40])
