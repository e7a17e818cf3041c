"""Who may do what with the person register, and what an actor is to one person's record.

The role table :data:`PEOPLE_PERMISSIONS` is to be merged into
:data:`ledger.permissions.PERMISSIONS`; :func:`require_people` reads it from there once merged
and from here until then. None of these commands is a journal entry, so
:func:`ledger.commands.run_command` never sees them; the service checks them itself.

The payment officer (支付专员) is not a role but a designation: the administrator designates a
collection-centre user, and only that user, only for the people that centre collected, and only
for a purpose that needs it, sees resident ID numbers and bank accounts in full. Why a
designation rather than a new ``Role``: the officer keeps every other collection-centre duty
(distributing, scheduling and recording payments) without duplicating the role's permissions;
PIPL art. 51 asks for access rights limited to designated staff, which is a per-person grant
that can be withdrawn without touching the user's role; and every grant and withdrawal is a
row of the access log.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from ledger.domain import Role
from ledger.people.masking import Viewer
from ledger.people.store import PersonDesignationRow, PersonRow
from ledger.permissions import PERMISSIONS, Actor
from sinkledger_base.errors import NotPermitted
from sinks.store import ParcelRow

R = Role
PAYMENT_OFFICER_DUTY = "payment_officer"

PEOPLE_PERMISSIONS: dict[str, frozenset[Role]] = {
    "people_register": frozenset({R.collection_centre, R.admin}),  # collect (with consent)
    "people_correct": frozenset({R.collection_centre, R.admin}),
    "people_erase": frozenset({R.admin}),
    "people_view": frozenset({R.household, R.collection_centre, R.cooperative, R.admin}),
    "people_export": frozenset({R.household, R.collection_centre, R.cooperative, R.admin}),
    "people_lookup": frozenset({R.collection_centre, R.admin}),
    "people_anchor": frozenset({R.admin}),  # record the chains' heads in the journal
    "people_access_log": frozenset({R.admin, R.household}),  # a household reads its own rows
    "people_designate": frozenset({R.admin}),
}


def require_people(actor: Actor, command: str) -> None:
    """Refuse (``not_permitted``) unless ``actor``'s role may run ``command``."""
    roles = PERMISSIONS.get(command) or PEOPLE_PERMISSIONS.get(command, frozenset())
    if actor.role not in roles:
        raise NotPermitted("not_permitted", role=actor.role.value, command=command)


def is_payment_officer(session: Session, actor: Actor) -> bool:
    """Whether ``actor`` is a collection-centre user designated payment officer for its centre."""
    if actor.role is not R.collection_centre:
        return False
    row = session.get(PersonDesignationRow, actor.username)
    return row is not None and row.duty == PAYMENT_OFFICER_DUTY and row.party_id == actor.party_id


def households_of_collective(session: Session, collective_party_id: str) -> set[str]:
    """Party ids of the households with a share in any parcel the collective holds."""
    shares = session.exec(select(ParcelRow.household_shares).where(
        ParcelRow.holder_party_id == collective_party_id)).all()
    return {household for text in shares for household in json.loads(text or "{}")}


def viewer_for(session: Session, actor: Actor, person: PersonRow, *, officer: bool | None = None) -> Viewer:
    """What ``actor`` is to ``person``'s record (a row of :data:`ledger.people.masking.MATRIX`)."""
    if actor.role is R.household:
        return Viewer.data_subject if actor.party_id == person.party_id else Viewer.other
    if actor.role is R.collection_centre:
        if actor.party_id != person.handler_party_id:
            return Viewer.other
        officer = is_payment_officer(session, actor) if officer is None else officer
        return Viewer.payment_officer if officer else Viewer.collection_centre
    if actor.role is R.cooperative:
        in_scope = person.party_id in households_of_collective(session, actor.party_id)
        return Viewer.cooperative if in_scope else Viewer.other
    if actor.role is R.admin:
        return Viewer.admin
    return Viewer.other


def require_viewer(viewer: Viewer, actor: Actor, command: str = "people_view") -> None:
    """A person's record exists, for those outside its matrix row ``other``, as nothing at all."""
    if viewer is Viewer.other:
        raise NotPermitted("not_permitted", role=actor.role.value, command=command)
