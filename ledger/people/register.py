"""Registering, correcting and erasing a person's details (not journal entries, on purpose).

Each function works inside the caller's write transaction and leaves the access-log row to the
caller. Values reaching here are already validated by :mod:`ledger.people.validation`.

Every change is also an event of the register's own hash chain (:mod:`ledger.people.chain`),
with the state it left the record in. Erasure keeps the ``person`` row (party id, handler,
purpose, consent date, when and why it was erased) and removes every personal value: the
current fields, the blind index and every replaced version's snapshot (the version rows stay,
with the digest their hash covers). The party, its pseudonym, accounts, balances and every journal entry stay as
they were, so ``verify``, Merkle proofs and certificates are unaffected; the party id is from
then on a pseudonym that nobody can link back to a person through sinkledger.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, select, update

from ledger.domain import PartyKind, Role
from ledger.people import chain
from ledger.people.crypto import DecryptionFailed, FieldCipher
from ledger.people.masking import PersonalField
from ledger.people.store import PersonMetaRow, PersonRow, PersonVersionRow
from ledger.people.validation import check_consent_date, check_person, check_purpose
from ledger.permissions import Actor
from ledger.store import PartyRow
from sinkledger_base.errors import Conflict, IntegrityFailure, InvalidInput, NotFound, NotPermitted

FIELDS = tuple(f.value for f in PersonalField)
KEY_CHECK = "data_key_check"
TERMS = ("purpose", "consent_date")  # what a correction may change besides the personal fields


def check_key(session: Session, cipher: FieldCipher, *, record: bool) -> None:
    """Refuse a key other than the one the register was written with; remember it on first write."""
    row = session.get(PersonMetaRow, KEY_CHECK)
    if row is None:
        if record:
            session.add(PersonMetaRow(key=KEY_CHECK, value=cipher.key_check))
            session.flush()
        return
    if row.value != cipher.key_check:
        raise IntegrityFailure("data_key_mismatch")


def decrypt_values(cipher: FieldCipher, row: PersonRow) -> dict[str, str | None]:
    try:
        return {f: cipher.decrypt(getattr(row, f"{f}_enc"), party_id=row.party_id, field=f, version=row.version)
                for f in FIELDS}
    except DecryptionFailed:
        raise IntegrityFailure("personal_data_undecryptable", party=row.party_id) from None


def _encrypt_into(cipher: FieldCipher, row: PersonRow, values: Mapping[str, str | None]) -> None:
    for f in FIELDS:
        setattr(row, f"{f}_enc", cipher.encrypt(values.get(f), party_id=row.party_id, field=f, version=row.version))


def _set_resident_id(session: Session, cipher: FieldCipher, row: PersonRow, resident_id: str) -> None:
    index = cipher.blind_index("resident_id", resident_id)
    other = session.exec(select(PersonRow.party_id).where(PersonRow.resident_id_index == index)).first()
    if other is not None and other != row.party_id:
        raise Conflict("resident_id_already_registered")
    row.resident_id_index = index


def check_household(session: Session, party_id: str) -> PartyRow:
    party = session.get(PartyRow, party_id) if isinstance(party_id, str) else None
    if party is None:
        raise NotFound("party_not_found", party=str(party_id)[:40])
    if party.kind != PartyKind.household.value:
        raise InvalidInput("person_party_not_household", party=party.id, kind=party.kind)
    return party


def check_handler(session: Session, actor: Actor, handler_party_id: str | None) -> str:
    """The collecting centre: the acting centre itself, or the one an administrator names."""
    if actor.role is Role.collection_centre:
        if handler_party_id not in (None, actor.party_id):
            raise NotPermitted("not_permitted", role=actor.role.value, command="people_register")
        return actor.party_id
    if not handler_party_id:
        raise InvalidInput("field_required", field="handler_party_id")
    party = session.get(PartyRow, handler_party_id)
    if party is None or party.kind != PartyKind.collection_centre.value:
        raise InvalidInput("handler_not_collection_centre", party=str(handler_party_id)[:40])
    return party.id


def clean_record(values: Mapping[str, Any], terms: Mapping[str, Any], *, today: date) -> tuple[dict, dict]:
    """Validated personal values and terms (purpose, consent date)."""
    clean = check_person(values, today=today)
    return clean, {"purpose": check_purpose(terms.get("purpose")),
                   "consent_date": check_consent_date(terms.get("consent_date"), today=today)}


def register_person(session: Session, cipher: FieldCipher, *, party_id: str, values: Mapping[str, str | None],
                    terms: Mapping[str, str], handler_party_id: str, now: str,
                    actor: str = "system") -> tuple[PersonRow, bool]:
    """Create a record (or re-create an erased one under a new consent). Returns (row, replayed):
    the same details registered again are a harmless retry; different details are refused."""
    row = session.get(PersonRow, party_id)
    if row is not None and not row.erased:
        same = (decrypt_values(cipher, row) == dict(values) and row.handler_party_id == handler_party_id
                and all(getattr(row, k) == v for k, v in terms.items()))
        if same:
            return row, True
        raise Conflict("person_already_registered", party=party_id)
    if row is None:
        row = PersonRow(party_id=party_id, handler_party_id=handler_party_id, registered_at=now, updated_at=now,
                        version=1, **terms)
    else:
        row.version, row.erased, row.erased_at, row.erasure_reason = row.version + 1, False, None, None
        row.handler_party_id, row.registered_at, row.updated_at = handler_party_id, now, now
        for k, v in terms.items():
            setattr(row, k, v)
    _set_resident_id(session, cipher, row, values["resident_id"])
    _encrypt_into(cipher, row, values)
    session.add(row)
    session.flush()
    chain.record_event(session, at=now, actor=actor, action="register", row=row)
    return row, False


def get_person(session: Session, party_id: str, *, live: bool = False) -> PersonRow:
    row = session.get(PersonRow, party_id) if isinstance(party_id, str) else None
    if row is None:
        raise NotFound("person_not_registered", party=str(party_id)[:40])
    if live and row.erased:
        raise Conflict("person_erased", party=party_id, erased_at=(row.erased_at or "")[:10])
    return row


def split_changes(changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Personal fields and terms of a correction; an unknown name is refused."""
    for name in changes:
        if name not in FIELDS and name not in TERMS:
            raise InvalidInput("person_field_unknown", field=str(name)[:40])
    return ({k: v for k, v in changes.items() if k in FIELDS}, {k: v for k, v in changes.items() if k in TERMS})


def correct_person(session: Session, cipher: FieldCipher, *, row: PersonRow, changes: Mapping[str, Any],
                   actor: Actor, today: date, now: str) -> list[str]:
    """Replace some fields; the replaced version is kept as an encrypted snapshot. Returns the
    names of the fields that changed (never their values)."""
    personal, terms = split_changes(changes)
    current = decrypt_values(cipher, row)
    old_terms = {k: getattr(row, k) for k in TERMS}
    clean, new_terms = clean_record({**current, **personal}, {**old_terms, **terms}, today=today)
    changed = [f for f in FIELDS if clean[f] != current[f]] + [k for k in TERMS if new_terms[k] != old_terms[k]]
    if not changed:
        raise InvalidInput("correction_changes_nothing")
    snapshot = json.dumps({**current, **old_terms, "handler_party_id": row.handler_party_id}, ensure_ascii=False)
    replaced = chain.add_version(session, party_id=row.party_id, version=row.version, replaced_at=now,
                                 replaced_by=actor.username,
                                 snapshot_enc=cipher.encrypt(snapshot, party_id=row.party_id, field="snapshot",
                                                             version=row.version))
    row.version += 1
    _set_resident_id(session, cipher, row, clean["resident_id"])
    _encrypt_into(cipher, row, clean)
    for k, v in new_terms.items():
        setattr(row, k, v)
    row.updated_at = now
    session.add(row)
    session.flush()
    chain.record_event(session, at=now, actor=actor.username, action="correct", row=row,
                       detail={"changed": changed, "replaced": chain.version_ref(replaced)})
    return changed


def versions(session: Session, cipher: FieldCipher, party_id: str) -> list[dict[str, Any]]:
    """The replaced versions of a record, oldest first, decrypted (for the service to mask)."""
    rows = session.exec(select(PersonVersionRow).where(PersonVersionRow.party_id == party_id,
                                                       PersonVersionRow.snapshot_enc.is_not(None))  # type: ignore[union-attr]
                        .order_by(PersonVersionRow.version)).all()
    out = []
    for r in rows:
        try:
            text = cipher.decrypt(r.snapshot_enc, party_id=party_id, field="snapshot", version=r.version)
        except DecryptionFailed:
            raise IntegrityFailure("personal_data_undecryptable", party=party_id) from None
        out.append({"version": r.version, "replaced_at": r.replaced_at, "replaced_by": r.replaced_by,
                    "values": json.loads(text or "{}")})
    return out


def erase_person(session: Session, *, row: PersonRow, reason: str, now: str, actor: str = "system") -> int:
    """Remove every personal value of ``row`` and of its replaced versions (their snapshots; each
    version row keeps the digest its hash covers) and record the erasure as an event; return how
    many versions were destroyed."""
    live = PersonVersionRow.snapshot_enc.is_not(None)  # type: ignore[union-attr]
    destroyed = len(session.exec(select(PersonVersionRow.id).where(PersonVersionRow.party_id == row.party_id,
                                                                   live)).all())
    session.exec(update(PersonVersionRow).where(PersonVersionRow.party_id == row.party_id, live)  # type: ignore[call-overload]
                 .values(snapshot_enc=None))
    for f in FIELDS:
        setattr(row, f"{f}_enc", None)
    row.resident_id_index = None
    row.version += 1
    row.erased, row.erased_at, row.erasure_reason, row.updated_at = True, now, reason, now
    session.add(row)
    session.flush()
    chain.record_event(session, at=now, actor=actor, action="erase", row=row,
                       detail={"reason": reason, "versions_destroyed": destroyed})
    return destroyed
