"""The access log (个人信息访问日志): every read and change of personal data.

Each row says who (user, role, party), when, what (which person, which fields and how much of
each: ``full``, ``masked``, ``hidden``, ``absent``), why (the access purpose and an optional
note) and how (``view``, ``list``, ``lookup``, ``payment_list``, ``export``, ``statement``,
``register``, ``correct``, ``erase``, ``designate``, ``revoke``). It never holds a personal
value, so it survives erasure intact: the erasure itself is a row of it.

Rows are appended in the same transaction as the read they record, so data is never returned
without its row. The table is append-only (triggers) and hash-chained like the journal: each
row's hash covers the previous row's hash and the row's canonical JSON, and the chain's head is
sealed under the data key (:mod:`ledger.people.chain`), so an edited, inserted, reordered or
deleted row, the newest included, is found by :func:`ledger.people.chain.verify` even by someone
who could bypass the triggers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from ledger.domain import GENESIS_HASH
from ledger.people.store import PersonAccessLogRow
from ledger.permissions import Actor
from sinkledger_base.canonical import canonical_json, sha256_hex

HASHED_COLUMNS = ("seq", "at", "actor", "actor_role", "actor_party_id", "action", "party_id", "purpose", "note",
                  "fields", "disclosed_full", "detail")


def _row_hash(prev_hash: str, row: PersonAccessLogRow) -> str:
    return sha256_hex(prev_hash + "\n" + canonical_json({c: getattr(row, c) for c in HASHED_COLUMNS}))


def append(session: Session, *, at: str, actor: Actor, action: str, purpose: str, party_id: str | None = None,
           fields: Mapping[str, str] | None = None, note: str | None = None,
           detail: Mapping[str, Any] | None = None) -> PersonAccessLogRow:
    """Append one row (the caller holds the writer lock: :meth:`sinkledger.db.database.Database.write`)."""
    last = session.exec(select(PersonAccessLogRow).order_by(PersonAccessLogRow.seq.desc()).limit(1)).first()
    fields = dict(fields or {})
    row = PersonAccessLogRow(
        seq=(last.seq + 1) if last else 1, at=at, actor=actor.username, actor_role=actor.role.value,
        actor_party_id=actor.party_id, action=action, party_id=party_id, purpose=purpose, note=note,
        fields=canonical_json(fields), disclosed_full=any(v == "full" for v in fields.values()),
        detail=canonical_json(dict(detail or {})), prev_hash=last.row_hash if last else GENESIS_HASH, row_hash="")
    row.row_hash = _row_hash(row.prev_hash, row)
    session.add(row)
    session.flush()
    return row


def row_dict(row: PersonAccessLogRow) -> dict[str, Any]:
    out = {c: getattr(row, c) for c in HASHED_COLUMNS}
    return out | {"fields": json.loads(row.fields), "detail": json.loads(row.detail), "row_hash": row.row_hash}


def entries(session: Session, *, party_id: str | None = None, actor: str | None = None,
            unmasked_only: bool = False, limit: int = 500) -> list[dict[str, Any]]:
    """Newest first: all rows, or those about one person, by one user, or disclosing full values."""
    query = select(PersonAccessLogRow).order_by(PersonAccessLogRow.seq.desc())
    if party_id:
        query = query.where(PersonAccessLogRow.party_id == party_id)
    if actor:
        query = query.where(PersonAccessLogRow.actor == actor)
    if unmasked_only:
        query = query.where(PersonAccessLogRow.disclosed_full == True)
    return [row_dict(r) for r in session.exec(query.limit(limit))]
