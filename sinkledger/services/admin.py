"""Administration and review commands the web app needs: users and roles, returned estimates.

Each change is one journal entry through :func:`ledger.commands.run_command`, so it is
permission-checked, idempotent by request id and audited in the hash chain like every other
command. User entries carry the user name, role, party and what changed, never a password or
its hash (the fingerprint covers the request without the password, so a retry is harmless).
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from sqlmodel import select

from ledger.commands import CommandContext, run_command
from ledger.domain import EntryKind, Role
from ledger.permissions import Actor, require
from ledger.sale import check_text
from ledger.store import BatchRow, EstimateRow, PartyRow, UserRow
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, encodes_utf8

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

HASHER = PasswordHasher()  # argon2id with the library's defaults: every user's password hash
_DUMMY_HASHES: dict[tuple[Any, ...], str] = {}

USER_CHANGED = EntryKind.user_changed.value
ESTIMATE_RETURNED = EntryKind.estimate_returned.value
MIN_PASSWORD_CHARS = 8
MAX_COMMENT_CHARS = 2000



def _run(service: Service, actor: Actor, command: str, request_id: str, content: dict[str, Any], handler: Any) -> dict:
    return run_command(service.db, actor=actor, command=command, request_id=request_id, content=content,
                       handler=handler, clock=service.clock)


def _role(role: Any) -> str:
    try:
        return Role(role).value
    except ValueError:
        raise InvalidInput("value_invalid", field="role", value=repr(role)[:40]) from None


USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,59}")
MAX_PASSWORD_CHARS = 1024


def check_password(password: Any) -> str:
    """At least :data:`MIN_PASSWORD_CHARS` printable characters (at most 1,024)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput("password_too_short", min_chars=MIN_PASSWORD_CHARS)
    if len(password) > MAX_PASSWORD_CHARS or not password.isprintable() or not encodes_utf8(password):
        raise InvalidInput("value_invalid", field="password", value="***")
    return password


def check_user_fields(*, username: Any, password: Any, role: Any, party_id: Any,
                      display_name: Any) -> tuple[str, str, str]:
    """The checked user name, role and display name of a new user (the password checked too)."""
    username = username.strip() if isinstance(username, str) else username
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise InvalidInput("value_invalid", field="username", value=repr(username)[:40])
    if not isinstance(party_id, str) or not party_id:
        raise InvalidInput("value_invalid", field="party_id", value=repr(party_id)[:40])
    check_password(password)
    return username, _role(role), check_text(display_name, "display_name", 80)



def dummy_hash() -> str:
    """A hash of a random password made with :data:`HASHER`'s parameters: sign-in verifies an
    unknown or inactive user's password against it, so that every refusal costs the same as a
    wrong password (user names cannot be told apart by timing). Made once per parameter set."""
    key = (HASHER.time_cost, HASHER.memory_cost, HASHER.parallelism, HASHER.hash_len, HASHER.salt_len,
           HASHER.type)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = HASHER.hash(secrets.token_urlsafe(32))
    return _DUMMY_HASHES[key]


def _password_hash(password: str) -> str:
    return HASHER.hash(check_password(password))


def _user(ctx: CommandContext, username: str) -> UserRow:
    user = ctx.session.get(UserRow, username)
    if user is None:
        raise NotFound("user_not_found", username=username)
    return user


def _entry(change: str, user: UserRow) -> tuple[str, dict[str, Any]]:
    record = {"username": user.username, "role": user.role, "party_id": user.party_id,
              "display_name": user.display_name, "active": user.active}
    return USER_CHANGED, {"change": change, "user": record, "result": {"change": change, **record}}


# -- users ------------------------------------------------------------------------------------

def list_users(service: Service, actor: Actor) -> list[dict[str, Any]]:
    """Every user with role, party, display name and whether active (administrators only)."""
    require(actor, "manage_users")
    with service.db.read() as s:
        parties = {p.id: p.name for p in s.exec(select(PartyRow)).all()}
        return [{"username": u.username, "role": u.role, "party_id": u.party_id,
                 "party_name": parties.get(u.party_id, ""), "display_name": u.display_name, "active": u.active}
                for u in s.exec(select(UserRow).order_by(UserRow.username))]


def create_user(service: Service, actor: Actor, request_id: str, *, username: str, password: str, role: str,
                party_id: str, display_name: str) -> dict[str, Any]:
    """Create a user acting for ``party_id`` with ``role``; the password is stored as an argon2 hash."""
    username, role, display_name = check_user_fields(username=username, password=password, role=role,
                                                     party_id=party_id, display_name=display_name)
    content = {"change": "created", "username": username, "role": role, "party_id": party_id,
               "display_name": display_name}
    password_hash = _password_hash(password)

    def handler(ctx: CommandContext) -> tuple[str, dict[str, Any]]:
        if ctx.session.get(PartyRow, party_id) is None:
            raise NotFound("party_not_found", party=party_id)
        if ctx.session.get(UserRow, username) is not None:
            raise Conflict("username_taken", username=username)
        user = UserRow(username=username, party_id=party_id, role=content["role"], password_hash=password_hash,
                       display_name=content["display_name"], active=True)
        ctx.session.add(user)
        return _entry("created", user)

    return _run(service, actor, "manage_users", request_id, content, handler)


def set_active(service: Service, actor: Actor, request_id: str, *, username: str, active: bool) -> dict[str, Any]:
    """Deactivate (sign-in refused from then on) or reactivate a user."""
    change = "activated" if active else "deactivated"

    def handler(ctx: CommandContext) -> tuple[str, dict[str, Any]]:
        if username == actor.username:
            raise InvalidInput("cannot_change_own_account")
        user = _user(ctx, username)
        user.active = bool(active)
        ctx.session.add(user)
        return _entry(change, user)

    return _run(service, actor, "manage_users", request_id, {"change": change, "username": username}, handler)


def set_role(service: Service, actor: Actor, request_id: str, *, username: str, role: str,
             party_id: str | None = None) -> dict[str, Any]:
    """Give a user another role (and, optionally, another party to act for)."""
    content = {"change": "role_set", "username": username, "role": _role(role), "party_id": party_id}

    def handler(ctx: CommandContext) -> tuple[str, dict[str, Any]]:
        if username == actor.username:
            raise InvalidInput("cannot_change_own_account")
        user = _user(ctx, username)
        if party_id is not None:
            if ctx.session.get(PartyRow, party_id) is None:
                raise NotFound("party_not_found", party=party_id)
            user.party_id = party_id
        user.role = content["role"]
        ctx.session.add(user)
        return _entry("role_set", user)

    return _run(service, actor, "manage_users", request_id, content, handler)


def reset_password(service: Service, actor: Actor, request_id: str, *, username: str, password: str) -> dict[str, Any]:
    """Set a new password (the journal records that it was reset, not the password)."""
    password_hash = _password_hash(password)

    def handler(ctx: CommandContext) -> tuple[str, dict[str, Any]]:
        user = _user(ctx, username)
        user.password_hash = password_hash
        ctx.session.add(user)
        return _entry("password_reset", user)

    return _run(service, actor, "manage_users", request_id, {"change": "password_reset", "username": username},
                handler)


# -- verification: returning an estimate -------------------------------------------------------

def return_estimate(service: Service, actor: Actor, request_id: str, *, estimate_id: str, comments: str) -> dict:
    """The verifier sends an estimate back with comments instead of approving it.

    The estimate stays recorded (it is append-only); the return is a journal entry that takes
    it out of the verifier's queue until a corrected estimate is recorded. An issued estimate
    cannot be returned.
    """
    comments = (comments or "").strip()
    if not comments:
        raise InvalidInput("comments_required")
    if len(comments) > MAX_COMMENT_CHARS:
        raise InvalidInput("text_too_long", field="comments", max_chars=MAX_COMMENT_CHARS)
    content = {"estimate_id": estimate_id, "comments": comments}

    def handler(ctx: CommandContext) -> tuple[str, dict[str, Any]]:
        if ctx.session.get(EstimateRow, estimate_id) is None:
            raise NotFound("estimate_not_found", estimate=estimate_id)
        if ctx.session.exec(select(BatchRow).where(BatchRow.estimate_id == estimate_id)).first() is not None:
            raise Conflict("estimate_already_issued", estimate=estimate_id)
        result = {"estimate_id": estimate_id, "comments": comments, "verifier_party_id": actor.party_id}
        return ESTIMATE_RETURNED, {**result, "result": result}

    return _run(service, actor, "return_estimate", request_id, content, handler)
