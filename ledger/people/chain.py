"""The register's own integrity: three hash chains, their sealed heads, and the check of both.

The person register is kept outside the journal (erasure must really erase), so it carries its
own evidence, built like the journal's: each row's hash is SHA-256 over the previous row's hash,
a newline and the canonical JSON (:mod:`sinkledger_base.canonical`) of the row's content.

- ``person_access_log``: every read and change (:mod:`ledger.people.access_log`).
- ``person_event``: every change of the register (register, correct, erase, and ``baseline``
  for the records an upgrade found) with who, when, why and the **state** it left the record
  in: its terms (handler, purpose, consent date, dates, erasure) and a commitment to its
  ciphertexts (SHA-256 over them and the blind index, which hides the values: every ciphertext
  carries a random nonce). The ``person`` row must equal the state of its party's latest event.
- ``person_version``: the replaced versions; a row's hash covers the SHA-256 of its encrypted
  snapshot (``snapshot_digest``), not the snapshot, so erasure (which sets the snapshot to NULL)
  leaves it checkable; a NULL snapshot without an ``erase`` event of its party after it is a
  faked erasure. Every version row is announced by the event that made it (a correction's
  ``replaced``, a baseline's ``versions``).

Designations are facts of the access log: replaying its ``designate`` and ``revoke`` rows must
give the ``person_designation`` table.

A chain cannot see its own tail cut off, and someone who can write the database can re-hash a
whole chain. So each chain's head (length, last key, hash) is kept in ``person_chain_head`` with
a **seal**: HMAC-SHA256 under a sub-key of the data key, which is never in the database
(:meth:`ledger.people.crypto.FieldCipher.seal`). Every transaction of the register advances the
heads it extended, and only from a head that still checks: a cut or rewritten chain is never
re-sealed. A seal cannot stop whoever holds the key, or someone who puts back an older copy of
the whole register with its older sealed heads; **anchors** do: :func:`anchor_content` is what a
``people_anchor`` journal entry records (each chain's length, last key and head hash; nothing
derived from a person but hashes over ciphertexts), so the journal, its Merkle checkpoints and
anything they were published to pin the register up to that point. The register's first
transaction is anchored at once (:meth:`sinkledger.services.people.PeopleService._first_anchor`),
and once the journal holds an anchor the heads must exist and be sealed, so a register wiped
whole (rows, heads, seal row, key check) is found too. :func:`verify` checks all of it and names
table, key and problem.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, select

from ledger.domain import GENESIS_HASH
from ledger.people.access_log import HASHED_COLUMNS
from ledger.people.crypto import FieldCipher
from ledger.people.store import (
    PersonAccessLogRow,
    PersonChainHeadRow,
    PersonDesignationRow,
    PersonEventRow,
    PersonMetaRow,
    PersonRow,
    PersonVersionRow,
)
from sinkledger_base.canonical import canonical_json, sha256_hex

PERSONAL_FIELDS = ("name", "resident_id", "phone", "bank_account", "bank_name")
ACCESS_LOG_COLUMNS = HASHED_COLUMNS
EVENT_COLUMNS = ("seq", "at", "actor", "action", "party_id", "version", "state", "detail")
VERSION_COLUMNS = ("id", "party_id", "version", "snapshot_digest", "replaced_at", "replaced_by")
CHAINS: dict[str, tuple[type, str, tuple[str, ...]]] = {
    "person_event": (PersonEventRow, "seq", EVENT_COLUMNS),
    "person_version": (PersonVersionRow, "id", VERSION_COLUMNS),
    "person_access_log": (PersonAccessLogRow, "seq", ACCESS_LOG_COLUMNS),
}
SEQUENCED = ("person_event", "person_access_log")  # keys 1, 2, 3, ... with no gap
SEAL_ACTION = "seal"
ANCHOR_KIND = "people_anchor"  # ledger.domain.EntryKind.people_anchor
KEY_CHECK = "data_key_check"  # ledger.people.register.KEY_CHECK (which imports this module)


def link_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """A row's hash: SHA-256 over the previous hash, a newline and the content's canonical JSON."""
    return sha256_hex(prev_hash + "\n" + canonical_json(dict(content)))


def row_content(chain: str, row: Any) -> dict[str, Any]:
    return {c: getattr(row, c) for c in CHAINS[chain][2]}


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(bytes(data)).hexdigest()


def person_state(row: PersonRow) -> dict[str, Any]:
    """What an event commits to about a record: its terms as they are, and its ciphertexts and
    blind index by one SHA-256 (``None`` when there are none, i.e. erased)."""
    sealed = {f"{f}_enc": (None if getattr(row, f"{f}_enc") is None else bytes(getattr(row, f"{f}_enc")).hex())
              for f in PERSONAL_FIELDS} | {"resident_id_index": row.resident_id_index}
    content = None if all(v is None for v in sealed.values()) else sha256_hex(canonical_json(sealed))
    return {"handler_party_id": row.handler_party_id, "purpose": row.purpose, "consent_date": row.consent_date,
            "registered_at": row.registered_at, "updated_at": row.updated_at, "version": row.version,
            "erased": bool(row.erased), "erased_at": row.erased_at, "erasure_reason": row.erasure_reason,
            "content": content}


# -- writing ----------------------------------------------------------------------------------------

def _last(session: Session, model: type, key: str) -> Any:
    return session.exec(select(model).order_by(getattr(model, key).desc()).limit(1)).first()


def record_event(session: Session, *, at: str, actor: str, action: str, row: PersonRow,
                 detail: Mapping[str, Any] | None = None) -> PersonEventRow:
    """Append the event that left ``row`` as it is now (the caller holds the register's lock)."""
    last = _last(session, PersonEventRow, "seq")
    event = PersonEventRow(seq=(last.seq + 1) if last else 1, at=at, actor=actor, action=action,
                           party_id=row.party_id, version=row.version, state=canonical_json(person_state(row)),
                           detail=canonical_json(dict(detail or {})),
                           prev_hash=last.row_hash if last else GENESIS_HASH, row_hash="")
    event.row_hash = link_hash(event.prev_hash, row_content("person_event", event))
    session.add(event)
    session.flush()
    return event


def add_version(session: Session, *, party_id: str, version: int, snapshot_enc: bytes, replaced_at: str,
                replaced_by: str) -> PersonVersionRow:
    """Append a replaced version (its id is chosen here, under the register's lock, because the
    hash covers it)."""
    last = _last(session, PersonVersionRow, "id")
    row = PersonVersionRow(id=(last.id + 1) if last else 1, party_id=party_id, version=version,
                           snapshot_enc=snapshot_enc, replaced_at=replaced_at, replaced_by=replaced_by,
                           snapshot_digest=digest(snapshot_enc), prev_hash=last.row_hash if last else GENESIS_HASH,
                           row_hash="")
    row.row_hash = link_hash(row.prev_hash, row_content("person_version", row))
    session.add(row)
    session.flush()
    return row


def version_ref(row: PersonVersionRow) -> dict[str, Any]:
    return {"id": row.id, "version": row.version, "snapshot_digest": row.snapshot_digest}


def head_text(chain: str, size: int, last_key: int, head_hash: str, sealed_at: str | None) -> str:
    return canonical_json({"chain": chain, "size": size, "last_key": last_key, "head_hash": head_hash,
                           "sealed_at": sealed_at})


def _tail(session: Session, chain: str) -> tuple[int, int, str]:
    """(size, last key, hash) of a chain as stored."""
    model, key, _ = CHAINS[chain]
    last = _last(session, model, key)
    if last is None:
        return 0, 0, GENESIS_HASH
    size = getattr(last, key) if chain in SEQUENCED else int(session.exec(select(func.count()).select_from(model)).one())
    return size, getattr(last, key), last.row_hash


def _seal_matches(cipher: FieldCipher, head: PersonChainHeadRow) -> bool:
    expected = cipher.seal(head_text(head.chain, head.size, head.last_key, head.head_hash, head.sealed_at))
    return hmac.compare_digest(str(head.seal).encode("utf-8"), expected.encode("utf-8"))


def _head_holds(session: Session, cipher: FieldCipher, head: PersonChainHeadRow) -> bool:
    """Whether a sealed head is genuine and its row is still in the chain as sealed."""
    if head.seal is None or not _seal_matches(cipher, head):
        return False
    if head.size == 0:
        return head.head_hash == GENESIS_HASH
    model, _, _ = CHAINS[head.chain]
    row = session.get(model, head.last_key)
    return row is not None and row.row_hash == head.head_hash


def sealed_before(session: Session) -> bool:
    """Whether the heads were ever sealed: the access log holds a ``seal`` row, or the register
    changed since the upgrade (only ``baseline`` events precede the first seal)."""
    if session.exec(select(PersonAccessLogRow.seq).where(PersonAccessLogRow.action == SEAL_ACTION)
                    .limit(1)).first() is not None:
        return True
    return session.exec(select(PersonEventRow.seq).where(PersonEventRow.action != "baseline")
                        .limit(1)).first() is not None


def unsealed_heads(session: Session) -> list[str]:
    """The chains whose head carries no seal (as an upgrade leaves them) or has no row."""
    heads = {h.chain: h for h in session.exec(select(PersonChainHeadRow))}
    return [c for c in CHAINS if c not in heads or heads[c].seal is None]


def advance_heads(session: Session, cipher: FieldCipher, now: str, *, first_seal: bool = False) -> None:
    """Move each chain's sealed head to its newest row, at the end of a register transaction.

    A head moves only from a seal that still checks and a head row still in place, so a chain
    cut or rewritten behind the register's back stays found (``verify``) rather than re-sealed.
    Heads without a seal (an upgrade computes the chains without the key) are sealed on first
    use, once (``first_seal``: :func:`first_seal_detail` said so when the transaction began, and
    the caller recorded it in the access log); otherwise an unsealed head stays unsealed.
    """
    for chain in CHAINS:
        head = session.get(PersonChainHeadRow, chain)
        size, last_key, head_hash = _tail(session, chain)
        if (head is None or head.seal is None) and not first_seal:
            continue
        if head is None:
            head = PersonChainHeadRow(chain=chain, size=0, last_key=0, head_hash=GENESIS_HASH)
        elif head.seal is not None and not _head_holds(session, cipher, head):
            continue
        if head.seal is not None and (head.size, head.last_key, head.head_hash) == (size, last_key, head_hash):
            continue
        head.size, head.last_key, head.head_hash = size, last_key, head_hash
        head.sealed_at = now
        head.seal = cipher.seal(head_text(chain, size, last_key, head_hash, now))
        session.add(head)
    session.flush()


def first_seal_detail(session: Session) -> dict[str, Any] | None:
    """Called when a register transaction begins. When heads are unsealed and never were sealed
    (:func:`sealed_before`): what sealing them on this first use vouches for (the chains as
    found); ``None`` otherwise (nothing to seal, or sealed before: then they stay unsealed and
    ``verify`` fails)."""
    missing = unsealed_heads(session)
    if not missing or sealed_before(session):
        return None
    found = {c: _tail(session, c) for c in missing}
    return {"chains": {c: {"size": s, "head_hash": h} for c, (s, _, h) in found.items()}}


# -- checking --------------------------------------------------------------------------------------

class Report:
    def __init__(self) -> None:
        self.problems: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.chains: dict[str, dict[str, Any]] = {}

    def fail(self, table: str, key: Mapping[str, Any], problem: str, **extra: Any) -> None:
        self.problems.append({"table": table, "key": dict(key), "problem": problem, **extra})

    def warn(self, table: str, key: Mapping[str, Any], problem: str, **extra: Any) -> None:
        self.warnings.append({"table": table, "key": dict(key), "problem": problem, **extra})


def _check_chain(session: Session, chain: str, report: Report) -> list[Any]:
    model, key, _ = CHAINS[chain]
    rows = list(session.exec(select(model).order_by(getattr(model, key))))
    prev, expected = GENESIS_HASH, 1
    for row in rows:
        k = getattr(row, key)
        if chain in SEQUENCED and k != expected:
            report.fail(chain, {key: k}, "seq_gap", expected=expected)
        if row.prev_hash != prev:
            report.fail(chain, {key: k}, "link_broken")
        if link_hash(row.prev_hash, row_content(chain, row)) != row.row_hash:
            report.fail(chain, {key: k}, "hash_mismatch")
        prev, expected = row.row_hash, k + 1
    report.chains[chain] = {"rows": len(rows), "head_hash": prev}
    return rows


def _check_head(session: Session, cipher: FieldCipher | None, chain: str, rows: list[Any], report: Report,
                sealed_once: bool) -> None:
    _, key, _ = CHAINS[chain]
    head = session.get(PersonChainHeadRow, chain)
    if head is None:
        if sealed_once:
            report.fail("person_chain_head", {"chain": chain}, "head_missing")
        elif rows:
            report.warn("person_chain_head", {"chain": chain}, "head_not_yet_sealed")
        return
    if head.seal is None:
        if sealed_once:
            report.fail("person_chain_head", {"chain": chain}, "head_unsealed")
        else:
            report.warn("person_chain_head", {"chain": chain}, "head_not_yet_sealed")
    elif cipher is not None and not _seal_matches(cipher, head):
        report.fail("person_chain_head", {"chain": chain}, "head_seal_invalid")
    by_key = {getattr(r, key): r for r in rows}
    if head.size > 0:
        row = by_key.get(head.last_key)
        if row is None:
            report.fail(chain, {key: head.last_key}, "sealed_head_row_missing")
        elif row.row_hash != head.head_hash:
            report.fail(chain, {key: head.last_key}, "sealed_head_hash_differs")
    beyond = [getattr(r, key) for r in rows if getattr(r, key) > head.last_key]
    if beyond:  # appended behind the register's back (its own appends move the head)
        report.fail(chain, {key: beyond[0]}, "rows_after_sealed_head", sealed_last_key=head.last_key)
    elif len(rows) < head.size:
        report.fail(chain, {}, "chain_shorter_than_sealed_head", rows=len(rows), sealed_size=head.size)
    elif len(rows) > head.size:
        report.fail(chain, {}, "chain_longer_than_sealed_head", rows=len(rows), sealed_size=head.size)


def _check_register(session: Session, events: list[PersonEventRow], versions: list[PersonVersionRow],
                    report: Report) -> None:
    latest: dict[str, PersonEventRow] = {}
    announced: dict[int, tuple[PersonEventRow, dict[str, Any]]] = {}
    erasures: dict[str, list[int]] = {}
    for event in events:
        latest[event.party_id] = event
        detail = _json_object(event.detail)  # unreadable: its hash already says so
        refs = [detail.get("replaced")] + (detail.get("versions") if isinstance(detail.get("versions"), list) else [])
        for ref in refs:
            if isinstance(ref, dict) and isinstance(ref.get("id"), int):
                announced[ref["id"]] = (event, ref)
        if event.action == "erase":
            erasures.setdefault(event.party_id, []).append(event.seq)
    people = {p.party_id: p for p in session.exec(select(PersonRow))}
    for party_id, row in sorted(people.items()):
        event = latest.get(party_id)
        if event is None:
            report.fail("person", {"party_id": party_id}, "not_recorded")
            continue
        recorded, actual = _json_object(event.state), person_state(row)
        if recorded != actual:
            differs = sorted(k for k in set(recorded) | set(actual) if recorded.get(k) != actual.get(k))
            faked = row.erased and event.action != "erase"
            report.fail("person", {"party_id": party_id}, "erased_without_event" if faked else "differs_from_event",
                        columns=differs, event_seq=event.seq)
    for party_id in sorted(set(latest) - set(people)):
        report.fail("person", {"party_id": party_id}, "missing", event_seq=latest[party_id].seq)
    seen = set()
    for v in versions:
        seen.add(v.id)
        ref = announced.get(v.id)
        if ref is None:
            report.fail("person_version", {"id": v.id}, "not_recorded")
            continue
        event, want = ref
        if (v.party_id, v.version, v.snapshot_digest) != (event.party_id, want.get("version"),
                                                          want.get("snapshot_digest")):
            report.fail("person_version", {"id": v.id}, "differs_from_event", event_seq=event.seq)
        erased_after = any(seq > event.seq for seq in erasures.get(v.party_id, []))
        if v.snapshot_enc is None:
            if not erased_after:
                report.fail("person_version", {"id": v.id}, "erased_without_event")
        elif digest(v.snapshot_enc) != v.snapshot_digest:
            report.fail("person_version", {"id": v.id}, "snapshot_differs")
        elif erased_after:
            report.fail("person_version", {"id": v.id}, "survived_erasure")
    for vid in sorted(set(announced) - seen):
        report.fail("person_version", {"id": vid}, "missing", event_seq=announced[vid][0].seq)


def _json_object(text_value: Any) -> dict[str, Any]:
    """A stored JSON object, or ``{}`` when it is not one (tampered: its row's hash says so)."""
    try:
        value = json.loads(text_value)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _check_designations(session: Session, log: list[PersonAccessLogRow], report: Report) -> None:
    expected: dict[str, dict[str, Any]] = {}
    for row in log:
        if row.action not in ("designate", "revoke"):
            continue
        detail = _json_object(row.detail)
        name = detail.get("username")
        if not isinstance(name, str):
            continue  # unreadable: the row's hash already says so
        if row.action == "revoke":
            expected.pop(name, None)
        else:
            expected[name] = {"duty": detail.get("duty"), "party_id": detail.get("party_id"),
                              "granted_by": row.actor, "granted_at": str(detail.get("granted_at", row.at)),
                              "logged_time": "granted_at" in detail}
    stored = {d.username: d for d in session.exec(select(PersonDesignationRow))}
    for name in sorted(set(expected) | set(stored)):
        want, have = expected.get(name), stored.get(name)
        if want is None:
            report.fail("person_designation", {"username": name}, "not_recorded")
        elif have is None:
            report.fail("person_designation", {"username": name}, "missing")
        else:
            actual = {"duty": have.duty, "party_id": have.party_id, "granted_by": have.granted_by,
                      "granted_at": have.granted_at}
            # designations logged before revision 0007 carry no granted_at: their time is the row's,
            # to the second (the two were read from the clock a moment apart)
            exact = actual["granted_at"] == want["granted_at"] or (
                not want["logged_time"] and want["granted_at"][:19] == (actual["granted_at"] or "")[:19])
            if any(actual[k] != want[k] for k in ("duty", "party_id", "granted_by")) or not exact:
                report.fail("person_designation", {"username": name}, "differs_from_log")


def verify(session: Session, cipher: FieldCipher | None, *, tables: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Check the register's chains, heads, records, versions and designations.

    ``cipher`` checks the heads' seals (without it they are reported as not checked). ``tables``
    limits the check to some chains (``("person_access_log",)`` for ``people log --verify``).
    Returns ``{"ok", "problems": [{"table", "key", "problem", ...}], "warnings", "chains",
    "rows", "first_bad_seq"}`` (the last two about the access log).
    """
    report = Report()
    wanted = tables or (*CHAINS, "person", "person_designation")
    rows = {c: _check_chain(session, c, report) for c in CHAINS if c in wanted or tables is None}
    anchors = anchor_entries(session)
    # Heads are required once the register was sealed, or once the journal anchored it: a register
    # wiped whole (rows, heads, seal row and key check) leaves the journal's anchors behind.
    sealed_once = bool(anchors) or sealed_before(session)
    for chain, chain_rows in rows.items():
        _check_head(session, cipher, chain, chain_rows, report, sealed_once)
    for head in session.exec(select(PersonChainHeadRow)):
        if head.chain not in CHAINS:
            report.fail("person_chain_head", {"chain": head.chain}, "not_a_chain")
    key_check = session.get(PersonMetaRow, KEY_CHECK)
    if key_check is None and (anchors or any(r for r in rows.values())):
        report.fail("person_meta", {"key": KEY_CHECK}, "missing")
    elif key_check is not None and cipher is not None and key_check.value != cipher.key_check:
        report.fail("person_meta", {"key": KEY_CHECK}, "differs")
    for meta in session.exec(select(PersonMetaRow)):
        if meta.key != KEY_CHECK:
            report.fail("person_meta", {"key": meta.key}, "not_recorded")
    if cipher is None:
        report.warn("person_chain_head", {}, "seals_not_checked")
    anchor = _check_anchors(anchors, rows, report)
    if tables is None:
        _check_register(session, rows["person_event"], rows["person_version"], report)
        _check_designations(session, rows["person_access_log"], report)
    bad_log = [p["key"].get("seq") for p in report.problems if p["table"] == "person_access_log"]
    log = report.chains.get("person_access_log", {})
    return {"ok": not report.problems, "problems": report.problems, "warnings": report.warnings,
            "chains": report.chains, "last_anchor": anchor, "rows": log.get("rows"),
            "first_bad_seq": min((s for s in bad_log if s is not None), default=None)}


def verify_access_log(session: Session, cipher: FieldCipher | None = None) -> dict[str, Any]:
    """:func:`verify` of the access log alone (its chain, sealed head and anchors), with its
    ``head_hash``: what ``people log --verify`` reports."""
    report = verify(session, cipher, tables=("person_access_log",))
    return report | {"head_hash": report["chains"]["person_access_log"]["head_hash"]}


def anchor_content(session: Session) -> dict[str, Any]:
    """The chains' heads as stored, for a ``people_anchor`` journal entry."""
    heads = {}
    for chain in CHAINS:
        size, last_key, head_hash = _tail(session, chain)
        heads[chain] = {"size": size, "last_key": last_key, "head_hash": head_hash}
    return {"heads": heads}


def anchor_entries(session: Session) -> list[tuple[int, str, str]]:
    """The journal's ``people_anchor`` entries (seq, recorded_at, body), oldest first (one a day
    at most in practice; the kind is indexed)."""
    return [tuple(r) for r in session.execute(
        text("SELECT seq, recorded_at, body FROM journal_entry WHERE kind = :k ORDER BY seq"),
        {"k": ANCHOR_KIND}).all()]


def anchored(session: Session) -> bool:
    """Whether the journal anchored the register at least once (one indexed lookup)."""
    return session.execute(text("SELECT 1 FROM journal_entry WHERE kind = :k LIMIT 1"),
                           {"k": ANCHOR_KIND}).first() is not None


def _check_anchors(found: list[tuple[int, str, str]], rows: Mapping[str, list[Any]],
                   report: Report) -> dict[str, Any] | None:
    """Every chain must still hold, as anchored, the head each ``people_anchor`` entry recorded
    (the links between rows then vouch for everything before it). Returns the newest anchor."""
    newest = None
    for seq, recorded_at, body in found:
        heads = _anchored_heads(body)
        for chain, head in heads.items():
            if chain not in rows or not isinstance(head, dict):
                continue
            key = CHAINS[chain][1]
            by_key = {getattr(r, key): r for r in rows[chain]}
            if not isinstance(head.get("size"), int) or head["size"] == 0:
                continue
            row = by_key.get(head.get("last_key"))
            if row is None:
                report.fail(chain, {key: head.get("last_key")}, "anchored_row_missing", anchor_seq=seq)
            elif row.row_hash != head.get("head_hash"):
                report.fail(chain, {key: head.get("last_key")}, "anchored_hash_differs", anchor_seq=seq)
            elif len(rows[chain]) < head["size"]:
                report.fail(chain, {}, "chain_shorter_than_anchored", anchor_seq=seq)
        newest = {"seq": seq, "recorded_at": recorded_at}
    return newest


def _anchored_heads(body: str) -> dict[str, Any]:
    payload = _json_object(body).get("payload")
    result = payload.get("result") if isinstance(payload, dict) else None
    heads = result.get("heads") if isinstance(result, dict) else None
    return heads if isinstance(heads, dict) else {}


def backfill(session: Session, now: str) -> None:
    """Compute the chains of a register written before they existed (migration 0007): the
    versions' digests and links, one ``baseline`` event per record (its state as found and the
    versions it had), and unsealed heads (none for an empty register). The access log was chained
    already."""
    prev = GENESIS_HASH
    by_party: dict[str, list[dict[str, Any]]] = {}
    for v in session.exec(select(PersonVersionRow).order_by(PersonVersionRow.id)):
        v.snapshot_digest, v.prev_hash = digest(v.snapshot_enc), prev
        v.row_hash = prev = link_hash(prev, row_content("person_version", v))
        by_party.setdefault(v.party_id, []).append(version_ref(v))
        session.add(v)
    session.flush()
    for row in session.exec(select(PersonRow).order_by(PersonRow.party_id)):
        record_event(session, at=now, actor="upgrade", action="baseline", row=row,
                     detail={"versions": by_party.get(row.party_id, []), "revision": "0007_people_chain"})
    tails = {chain: _tail(session, chain) for chain in CHAINS}
    if not any(size for size, _, _ in tails.values()):
        return  # an empty register (a new database): the first transaction makes and seals the heads
    for chain, (size, last_key, head_hash) in tails.items():
        session.add(PersonChainHeadRow(chain=chain, size=size, last_key=last_key, head_hash=head_hash))
    session.flush()
