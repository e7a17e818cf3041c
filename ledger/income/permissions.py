"""Who may run which income command, and who may read whose statement.

The role table lives with all others in :data:`ledger.permissions.PERMISSIONS` (``run_command``
checks it; :func:`require_income` checks it for reads and before a command starts). The rules that
depend on the record (the contract's own centre, the pledgee bank, a household's own statement)
are below.

Reading statements (收益对账单):

- a household reads its own only;
- a cooperative (collective) reads its own and those of the households of its parcels;
- a collection centre reads those of the collectives under its contracts and their households;
- an administrator reads all.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from ledger.domain import Role
from ledger.permissions import PERMISSIONS, Actor
from ledger.store import CollectionContractRow
from sinkledger_base.errors import InvalidInput, NotPermitted
from sinks.store import ParcelRow

R = Role
INCOME_COMMANDS = ("collection_document", "project_register", "project_add_parcels", "distribute",
                   "schedule_payments", "record_payment", "lien_register", "lien_release", "lien_default",
                   "loss_record", "insurance_claim", "income_view")
"""The income package's entries in :data:`ledger.permissions.PERMISSIONS` (``income_view`` is reads)."""


def check_actor(actor: Any) -> Actor:
    """Refuse anything but an :class:`Actor` (a user name, None, a dict) with ``actor_required``."""
    if not isinstance(actor, Actor):
        raise InvalidInput("actor_required")
    return actor


def require_income(actor: Actor, command: str) -> None:
    """Refuse unless ``actor``'s role may run ``command`` (``not_permitted``)."""
    check_actor(actor)
    if actor.role not in PERMISSIONS.get(command, frozenset()):
        raise NotPermitted("not_permitted", role=actor.role.value, command=command)


def require_party(actor: Actor, command: str, party_id: str) -> None:
    """Refuse unless the actor acts for ``party_id`` (the contract's centre, the pledgee bank...)."""
    if actor.party_id != party_id:
        raise NotPermitted("not_permitted", role=actor.role.value, command=command)


def may_read_statement(session: Session, actor: Actor, party_id: str) -> bool:
    """Whether ``actor`` may read the statement of ``party_id`` (see the module docstring)."""
    if actor.role is R.admin or actor.party_id == party_id:
        return actor.role in (R.admin, R.household, R.cooperative, R.collection_centre)
    if actor.role is R.cooperative:
        return party_id in households_of_collective(session, actor.party_id)
    if actor.role is R.collection_centre:
        collectives = set(session.exec(select(CollectionContractRow.collective_party_id).where(
            CollectionContractRow.centre_party_id == actor.party_id)).all())
        return party_id in collectives or any(
            party_id in households_of_collective(session, c) for c in collectives)
    return False


def households_of_collective(session: Session, collective_party_id: str) -> set[str]:
    """Party ids of the households with a share in any parcel the collective holds."""
    shares = session.exec(select(ParcelRow.household_shares).where(
        ParcelRow.holder_party_id == collective_party_id)).all()
    return {household for text in shares for household in json.loads(text or "{}")}


def require_statement_reader(session: Session, actor: Actor, party_id: str) -> None:
    """Refuse (``not_permitted``) unless :func:`may_read_statement`."""
    if not may_read_statement(session, actor, party_id):
        raise NotPermitted("not_permitted", role=actor.role.value, command="income_view")
