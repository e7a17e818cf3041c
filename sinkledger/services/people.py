"""The person-register API (个人信息) over :class:`sinkledger.services.registry.Service`.

Households' names, resident ID numbers, phones and bank accounts live in the person register
(:mod:`ledger.people`), never in the journal. This class wires requests to it: it checks the
role (:data:`ledger.people.permissions.PEOPLE_PERMISSIONS`), decides what the actor is to each
record (:func:`ledger.people.permissions.viewer_for`), shows each field as the one matrix says
(:mod:`ledger.people.masking`), and writes every read and change to the access log in the same
transaction as the read or change. None of these calls appends to the journal, so ``verify``,
Merkle proofs and certificates never change because of them; the exceptions are ``anchor`` and
the one anchor after the register's first use (``_first_anchor``), which record hashes only. ``docs/personal-data.md`` has the
role × field matrix and what each page shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlmodel import Session, select

import ledger.people.store  # noqa: F401 - registers the person tables
from ledger.domain import PartyKind, Role
from ledger.people import access_log, chain
from ledger.people.crypto import FieldCipher
from ledger.people.keys import KEY_FILE_NAME, load_data_key
from ledger.people.masking import AccessPurpose, PersonalField, Viewer, parse_purpose, render
from ledger.people.permissions import (
    PAYMENT_OFFICER_DUTY,
    households_of_collective,
    is_payment_officer,
    require_people,
    require_viewer,
    viewer_for,
)
from ledger.people.register import (
    FIELDS,
    check_handler,
    check_household,
    check_key,
    clean_record,
    correct_person,
    decrypt_values,
    erase_person,
    get_person,
    register_person,
    versions,
)
from ledger.people.store import PersonDesignationRow, PersonRow
from ledger.people.validation import check_resident_id
from ledger.permissions import Actor
from ledger.store import PartyRow, UserRow
from sinkledger.services.area import AreaService
from sinkledger_base import money
from sinkledger_base.canonical import canonical_json, sha256_hex
from sinkledger_base.errors import Conflict, IntegrityFailure, InvalidInput, NotFound, NotPermitted

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

PAYMENT_FIELDS = (PersonalField.name, PersonalField.bank_name, PersonalField.bank_account)
ALL_FIELDS = tuple(PersonalField)
MAX_TEXT = 200
PEOPLE_LOCK_KEY = 0x50_45_4F_50  # "PEOP": the person register's advisory lock on PostgreSQL
SYSTEM = Actor(username="system", role=Role.admin, party_id="REGISTRY")  # who seals and anchors on first use
ANCHOR_ATTEMPTS = 5  # register transactions moving the heads while an anchor is named, at most


def _reason(value: Any, code: str) -> str:
    """A correction's or erasure's grounds: required, one printable line, at most 200 characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(code)
    if not value.isprintable() or len(value) > MAX_TEXT:
        raise InvalidInput("text_too_long", field="reason", max_chars=MAX_TEXT)
    return value.strip()


def _note(value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    return _reason(value, "reason_required")


class PeopleService(AreaService):
    """Register, correct, erase, view, list, export and audit households' personal data
    (``service.people``; outside the journal, every access logged in its own hash chain).

    Parameters
    ----------
    service : sinkledger.services.registry.Service
        The registry's service (database, settings, clock).
    data_key : bytes, optional
        The 32-byte data key; default: from the settings (``SINKLEDGER_DATA_KEY`` or the key file).
    allow_generate_key : bool, optional
        Whether a missing key may be generated into the key file; default: only for SQLite.
    """

    def __init__(self, service: Service, *, data_key: bytes | None = None,
                 allow_generate_key: bool | None = None) -> None:
        super().__init__(service)
        self._key = data_key
        self._allow_generate = service.settings.is_sqlite if allow_generate_key is None else allow_generate_key
        self._cipher: FieldCipher | None = None
        self._schema_ready = False
        self._anchored = False  # the journal holds a people_anchor (known once seen)

    # -- schema and key -------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Refuse (``database_not_initialised``) until the database is initialised. The person
        tables and the access log's triggers come from the migrations, like every table."""
        self.service.require_initialised()
        self._schema_ready = True

    def key_file(self) -> Path:
        settings = self.service.settings
        return Path(getattr(settings, "data_key_file", None) or settings.home / KEY_FILE_NAME)

    @property
    def cipher(self) -> FieldCipher:
        if self._cipher is None:
            key = self._key or load_data_key(key_text=getattr(self.service.settings, "data_key", None),
                                             key_file=self.key_file(), allow_generate=self._allow_generate)
            self._cipher = FieldCipher(key)
        return self._cipher

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A write transaction (reads are logged, so they write too) under the right key.

        SQLite has one writer at a time anyway (``BEGIN IMMEDIATE``), and ``secure_delete`` makes it
        zero freed cells. PostgreSQL serialises the access log's hash chain with its own
        advisory lock, so reading personal data never waits for a ledger command.
        """
        if not self._schema_ready:
            self.ensure_schema()
        cipher, db = self.cipher, self.service.db
        if db.is_sqlite:
            with db.write() as s:
                s.execute(text("PRAGMA secure_delete = ON"))
                check_key(s, cipher, record=True)
                first_seal = chain.first_seal_detail(s)
                anchored = self._anchored or chain.anchored(s)
                yield s
                self._seal(s, first_seal)
        else:
            with Session(db.engine, expire_on_commit=False) as s:
                s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PEOPLE_LOCK_KEY})
                try:
                    check_key(s, cipher, record=True)
                    first_seal = chain.first_seal_detail(s)
                    anchored = self._anchored or chain.anchored(s)
                    yield s
                    self._seal(s, first_seal)
                    s.commit()
                except BaseException:
                    s.rollback()
                    raise
        self._anchored = anchored
        if not anchored:
            self._first_anchor()

    def _first_anchor(self) -> None:
        """After the first register transaction (committed, its locks released): anchor the
        register in the journal at once, so that wiping it whole (rows, sealed heads, seal row
        and key check) is found by ``verify`` from its very first use, not only after the first
        daily ``people anchor``. Tried once per service when the journal holds no anchor yet (a
        crash in between, or a register used before this rule, is anchored by the next
        transaction); a register that does not verify is left unanchored, for ``people verify``
        to report."""
        self._anchored = True
        try:
            self.anchor(SYSTEM)
        except (IntegrityFailure, Conflict):
            pass

    def _seal(self, s: Session, first_seal: dict[str, Any] | None) -> None:
        """End of every register transaction: advance the chains' sealed heads. On first use
        (a new database, or after the upgrade that computed the chains without the key;
        ``first_seal`` as found when the transaction began), the seal vouches for the chains as
        they were, and says so in the access log."""
        if first_seal is not None:
            access_log.append(s, at=self._now(), actor=SYSTEM, action=chain.SEAL_ACTION,
                              purpose=AccessPurpose.audit.value, detail=first_seal)
        chain.advance_heads(s, self.cipher, self._now(), first_seal=first_seal is not None)

    def _now(self) -> str:
        return self.service.clock()

    def _today(self) -> date:
        return date.fromisoformat(self._now()[:10])

    # -- register, correct, erase ---------------------------------------------------------------
    def register(self, actor: Actor, *, party_id: str, name: str, resident_id: str, phone: str | None = None,
                 bank_account: str | None = None, bank_name: str | None = None, purpose: str,
                 consent_date: str, handler_party_id: str | None = None) -> dict[str, Any]:
        """Record a household's details, collected with its consent for ``purpose``.

        A collection-centre user collects for its own centre; an administrator names the centre
        (``handler_party_id``). Registering the same details again is a harmless retry; other
        details for a registered household are refused (``person_already_registered``: correct
        them instead). The result holds no personal value.
        """
        require_people(actor, "people_register")
        values, terms = clean_record({"name": name, "resident_id": resident_id, "phone": phone,
                                      "bank_account": bank_account, "bank_name": bank_name},
                                     {"purpose": purpose, "consent_date": consent_date}, today=self._today())
        now = self._now()
        with self._session() as s:
            party = check_household(s, party_id)
            handler = check_handler(s, actor, handler_party_id)
            row, replayed = register_person(s, self.cipher, party_id=party.id, values=values, terms=terms,
                                            handler_party_id=handler, now=now, actor=actor.username)
            warnings = [] if replayed else _pseudonym_warnings(party, values)
            if not replayed:
                access_log.append(s, at=now, actor=actor, action="register", purpose=AccessPurpose.collection.value,
                                  party_id=party.id, fields={f: "written" for f in FIELDS if values[f]},
                                  detail={"version": row.version, "handler_party_id": handler, "warnings": warnings})
            return {"party_id": party.id, "version": row.version, "handler_party_id": handler,
                    "registered_at": row.registered_at, "replayed": replayed, "warnings": warnings}

    def correct(self, actor: Actor, *, party_id: str, changes: Mapping[str, Any], reason: str) -> dict[str, Any]:
        """Replace some details (``changes``: any of name, resident_id, phone, bank_account,
        bank_name, purpose, consent_date; ``None`` clears an optional field). The replaced version
        is kept encrypted until erasure; the log names the changed fields, not their values."""
        require_people(actor, "people_correct")
        reason = _reason(reason, "correction_reason_required")
        now = self._now()
        with self._session() as s:
            row = get_person(s, party_id, live=True)
            if actor.role is Role.collection_centre and actor.party_id != row.handler_party_id:
                raise NotPermitted("not_permitted", role=actor.role.value, command="people_correct")
            changed = correct_person(s, self.cipher, row=row, changes=dict(changes), actor=actor,
                                     today=self._today(), now=now)
            access_log.append(s, at=now, actor=actor, action="correct", purpose=AccessPurpose.data_correction.value,
                              party_id=row.party_id, note=reason,
                              fields={f: "written" for f in changed if f in FIELDS},
                              detail={"version": row.version, "changed": changed})
            return {"party_id": row.party_id, "version": row.version, "changed": changed, "updated_at": now}

    def erase(self, actor: Actor, *, party_id: str, reason: str) -> dict[str, Any]:
        """Erase a person's details on request (PIPL art. 47), keeping the pseudonymous party.

        Every personal value and replaced version is destroyed; the party id, its pseudonym,
        balances, journal, proofs and certificates stay as they were. The erasure is logged with
        its grounds (``reason``: the request's reference, not personal data). Erasing an erased
        record changes nothing.
        """
        require_people(actor, "people_erase")
        reason = _reason(reason, "erasure_reason_required")
        now = self._now()
        with self._session() as s:
            row = get_person(s, party_id)
            if row.erased:
                return {"party_id": row.party_id, "erased_at": row.erased_at, "versions_destroyed": 0,
                        "replayed": True}
            destroyed = erase_person(s, row=row, reason=reason, now=now, actor=actor.username)
            access_log.append(s, at=now, actor=actor, action="erase", purpose=AccessPurpose.erasure_request.value,
                              party_id=row.party_id, note=reason, fields={f: "erased" for f in FIELDS},
                              detail={"version": row.version, "versions_destroyed": destroyed})
        return {"party_id": party_id, "erased_at": now, "versions_destroyed": destroyed, "replayed": False,
                "scrubbed": self._scrub()}

    def _scrub(self) -> bool:
        """Push erased bytes out of the database files now rather than at the next maintenance:
        SQLite checkpoints and truncates its WAL (secure_delete already zeroed the pages);
        PostgreSQL vacuums the two tables. Best effort: a busy database still holds only
        ciphertext, and the next checkpoint or autovacuum finishes the job."""
        db = self.service.db
        try:
            if db.is_sqlite:
                raw = db.engine.raw_connection()
                try:
                    busy = raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                finally:
                    raw.close()
                return busy == 0
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM person, person_version")
            return True
        except Exception:  # noqa: BLE001 - maintenance must never undo an erasure that committed
            return False

    # -- reads ----------------------------------------------------------------------------------
    def view(self, actor: Actor, party_id: str, purpose: str | AccessPurpose = AccessPurpose.display, *,
             note: str | None = None, history: bool = False) -> dict[str, Any]:
        """One household's details as ``actor`` may see them for ``purpose`` (logged).

        Fields are at the top level (``name``, ``resident_id``, ``phone``, ``bank_name``,
        ``bank_account``: full, masked, or ``None`` when hidden or absent) with ``visibility``
        saying which. ``history`` adds the replaced versions, shown the same way.
        """
        require_people(actor, "people_view")
        purpose, note = parse_purpose(purpose), _note(note)
        with self._session() as s:
            row = get_person(s, party_id)
            viewer = viewer_for(s, actor, row)
            require_viewer(viewer, actor)
            out = self._render(s, row, viewer, purpose, ALL_FIELDS)
            if history and not row.erased and viewer in (Viewer.data_subject, Viewer.payment_officer):
                out["history"] = [{**v, "values": render(viewer, purpose, v["values"])[0]}
                                  for v in versions(s, self.cipher, row.party_id)]
            access_log.append(s, at=self._now(), actor=actor, action="view", purpose=purpose.value,
                              party_id=row.party_id, fields=out["visibility"], note=note,
                              detail={"viewer": viewer.value, "version": row.version, "history": "history" in out})
            return out

    def my_details(self, actor: Actor) -> dict[str, Any]:
        """The household's own details, in full (the "my details" page)."""
        return self.view(actor, actor.party_id, AccessPurpose.self_access)

    def _render(self, s: Session, row: PersonRow, viewer: Viewer, purpose: AccessPurpose,
                fields: Sequence[PersonalField]) -> dict[str, Any]:
        party = s.get(PartyRow, row.party_id)
        out = {"party_id": row.party_id, "pseudonym": party.name if party else None, "viewer": viewer.value,
               "purpose": purpose.value, "handler_party_id": row.handler_party_id,
               "collection_purpose": row.purpose, "consent_date": row.consent_date, "version": row.version,
               "updated_at": row.updated_at, "erased": row.erased, "erased_at": row.erased_at}
        values = {f: None for f in FIELDS} if row.erased else decrypt_values(self.cipher, row)
        shown, cells = render(viewer, purpose, values, tuple(fields))
        return out | shown | {"visibility": cells}

    def people(self, actor: Actor, purpose: str | AccessPurpose = AccessPurpose.display, *,
               note: str | None = None) -> list[dict[str, Any]]:
        """The registered households the actor may see, rendered for ``purpose`` (logged: one row
        per person when anything is shown in full, else one row naming the party ids)."""
        require_people(actor, "people_view")
        purpose, note = parse_purpose(purpose), _note(note)
        with self._session() as s:
            officer = is_payment_officer(s, actor)
            out = []
            for row in s.exec(select(PersonRow).where(*self._scope(s, actor)).order_by(PersonRow.party_id)):
                viewer = viewer_for(s, actor, row, officer=officer)
                if viewer is not Viewer.other:
                    out.append(self._render(s, row, viewer, purpose, ALL_FIELDS))
            self._log_many(s, actor, "list", purpose, out, note=note, detail={})
            return out

    @staticmethod
    def _scope(s: Session, actor: Actor) -> list[Any]:
        """SQL conditions narrowing the people an actor may list (the matrix decides the rest)."""
        if actor.role is Role.admin:
            return []
        if actor.role is Role.collection_centre:
            return [PersonRow.handler_party_id == actor.party_id]
        if actor.role is Role.cooperative:
            return [PersonRow.party_id.in_(sorted(households_of_collective(s, actor.party_id)) or [""])]
        return [PersonRow.party_id == actor.party_id]

    def _log_many(self, s: Session, actor: Actor, action: str, purpose: AccessPurpose,
                  rows: Sequence[Mapping[str, Any]], *, note: str | None, detail: Mapping[str, Any]) -> None:
        shown = [r for r in rows if r.get("visibility") and set(r["visibility"].values()) - {"hidden", "absent"}]
        if any("full" in r["visibility"].values() for r in shown):
            for r in shown:
                access_log.append(s, at=self._now(), actor=actor, action=action, purpose=purpose.value,
                                  party_id=r["party_id"], fields=r["visibility"], note=note, detail=detail)
        elif shown:
            cells: dict[str, str] = {}
            for r in shown:
                cells |= {k: v for k, v in r["visibility"].items() if v != "absent"}
            access_log.append(s, at=self._now(), actor=actor, action=action, purpose=purpose.value, fields=cells,
                              note=note, detail={**detail, "party_ids": [r["party_id"] for r in shown]})

    def lookup_resident_id(self, actor: Actor, resident_id: str,
                           purpose: str | AccessPurpose = AccessPurpose.display, *,
                           note: str | None = None) -> dict[str, Any] | None:
        """The household registered with this resident ID number (through the keyed blind index;
        the number is never compared in plaintext), as the actor may see it; ``None`` if none is,
        or none the actor may see. Logged either way."""
        require_people(actor, "people_lookup")
        purpose, note = parse_purpose(purpose), _note(note)
        number = check_resident_id(resident_id, today=self._today())
        with self._session() as s:
            index = self.cipher.blind_index("resident_id", number)
            row = s.exec(select(PersonRow).where(PersonRow.resident_id_index == index)).first()
            viewer = viewer_for(s, actor, row) if row is not None else Viewer.other
            out = self._render(s, row, viewer, purpose, ALL_FIELDS) if viewer is not Viewer.other else None
            access_log.append(s, at=self._now(), actor=actor, action="lookup", purpose=purpose.value,
                              party_id=out["party_id"] if out else None, note=note,
                              fields=out["visibility"] if out else {}, detail={"found": out is not None})
            return out

    # -- payment lists, exports, statements -------------------------------------------------------
    def payment_list(self, actor: Actor, items: Sequence[Mapping[str, Any]],
                     purpose: str | AccessPurpose = AccessPurpose.revenue_payment, *, note: str | None = None,
                     action: str = "payment_list", detail: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Payees for payment lines (e.g. ``IncomeService.due_items``: dicts with ``party_id`` and
        ``amount_fen``): each line with the name, bank and account the actor may see. Only what a
        payment needs is read (no ID number, no phone). Households the actor may not see get
        ``status: hidden``; organisations ``status: organisation`` (their accounts are not
        personal data and are not kept here)."""
        require_people(actor, "people_view")
        purpose, note = parse_purpose(purpose), _note(note)
        with self._session() as s:
            rows = self._payee_rows(s, actor, items, purpose, PAYMENT_FIELDS)
            self._log_many(s, actor, action, purpose, rows, note=note, detail=dict(detail or {}))
            return rows

    def _payee_rows(self, s: Session, actor: Actor, items: Sequence[Mapping[str, Any]], purpose: AccessPurpose,
                    fields: Sequence[PersonalField]) -> list[dict[str, Any]]:
        officer, out = is_payment_officer(s, actor), []
        for item in items:
            pid = str(item.get("party_id", ""))
            party = s.get(PartyRow, pid)
            base = {"party_id": pid, "pseudonym": party.name if party else None,
                    **{k: item.get(k) for k in ("due_id", "contract_no", "amount_fen") if k in item}}
            if "amount_fen" in item:
                base["amount_yuan"] = _yuan(item.get("amount_fen"))
            blank = {f.value: None for f in fields}
            if party is None or party.kind != PartyKind.household.value:
                out.append(base | blank | {"status": "organisation" if party else "unknown"})
                continue
            row = s.get(PersonRow, pid)
            viewer = viewer_for(s, actor, row, officer=officer) if row is not None else Viewer.other
            if row is None or viewer is Viewer.other:
                status = "hidden" if row is not None else "not_registered"
                out.append(base | blank | {"status": status})
                continue
            rendered = self._render(s, row, viewer, purpose, fields)
            out.append(base | {f.value: rendered[f.value] for f in fields}
                       | {"status": "erased" if row.erased else "ok", "visibility": rendered["visibility"]})
        return out

    def export_payment_list(self, actor: Actor, items: Sequence[Mapping[str, Any]], *, fmt: str,
                            path: str | Path | None = None,
                            purpose: str | AccessPurpose = AccessPurpose.revenue_payment,
                            note: str | None = None, title: str | None = None, lang: str = "zh") -> Path | bytes:
        """The payment list as Excel (written to ``path``) or PDF (returned as bytes), carrying
        only what the exporting actor may see; each person in it is logged as exported."""
        fmt, purpose = _format(fmt, path), parse_purpose(purpose)
        rows = self.payment_list(actor, items, purpose, note=note, action="export", detail={"format": fmt})
        columns = ("party_id", "pseudonym", "due_id", "contract_no", "amount_yuan", "name", "bank_name",
                   "bank_account", "status")
        return self._write_export(actor, fmt, path, title or ("ex_payment_list", lang), columns, rows, purpose, lang)

    def export_people(self, actor: Actor, *, fmt: str, path: str | Path | None = None,
                      purpose: str | AccessPurpose = AccessPurpose.display,
                      note: str | None = None, title: str | None = None, lang: str = "zh") -> Path | bytes:
        """Every household the actor may list, as Excel or PDF, as the actor may see them."""
        fmt = _format(fmt, path)
        require_people(actor, "people_export")
        purpose = parse_purpose(purpose)
        with self._session() as s:
            rows = [r | {"status": "erased" if r["erased"] else "ok"} for r in self._list_rows(s, actor, purpose)]
            self._log_many(s, actor, "export", purpose, rows, note=_note(note), detail={"format": fmt})
        columns = ("party_id", "pseudonym", "name", "resident_id", "phone", "bank_name", "bank_account", "status")
        return self._write_export(actor, fmt, path, title or ("ex_title", lang), columns, rows, purpose, lang)

    def _list_rows(self, s: Session, actor: Actor, purpose: AccessPurpose) -> list[dict[str, Any]]:
        officer, out = is_payment_officer(s, actor), []
        for row in s.exec(select(PersonRow).where(*self._scope(s, actor)).order_by(PersonRow.party_id)):
            viewer = viewer_for(s, actor, row, officer=officer)
            if viewer is not Viewer.other:
                out.append(self._render(s, row, viewer, purpose, ALL_FIELDS))
        return out

    def _write_export(self, actor: Actor, fmt: str, path: str | Path | None, title: str | tuple[str, str],
                      columns: Sequence[str], rows: Sequence[Mapping[str, Any]], purpose: AccessPurpose,
                      lang: str) -> Path | bytes:
        """``title`` is the caller's text, or (catalogue key, lang) for the catalogue's."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents import people_exports as exports
        from sinkledger.documents.catalogue import checked_lang, text

        lang = checked_lang(lang)
        if isinstance(title, tuple):
            title = text(title[0], lang)
        meta = {text("ex_exported_by", lang): f"{actor.username} ({actor.role.value}, {actor.party_id})",
                text("ex_exported_at", lang): self._now(), text("ex_purpose", lang): purpose.value}
        if fmt == "xlsx":
            return exports.write_xlsx(Path(path), title=title, columns=columns, rows=rows, meta=meta,  # type: ignore[arg-type]
                                      lang=lang)
        return exports.render_pdf(title=title, columns=columns, rows=rows, meta=meta, lang=lang)

    def statement_payee(self, actor: Actor, party_id: str,
                        purpose: str | AccessPurpose = AccessPurpose.display) -> dict[str, Any] | None:
        """The payee block of a household's statement (收益对账单), as the reader may see it:
        ``{"name", "bank_name", "bank_account", "visibility"}``, or ``None`` when there is nothing
        the reader may see. Statements are documents that travel, so the default purpose
        ``display`` masks the account even for the household itself."""
        (row,) = self.payment_list(actor, [{"party_id": party_id}], purpose, action="statement")
        if row["status"] != "ok":
            return None
        return {k: row[k] for k in ("name", "bank_name", "bank_account", "visibility")}

    # -- access log and designations ------------------------------------------------------------
    def access_log(self, actor: Actor, *, party_id: str | None = None, user: str | None = None,
                   unmasked_only: bool = False, limit: int = 500) -> list[dict[str, Any]]:
        """Who read or changed which person's data, when and why, newest first. The administrator
        sees every row; a household sees the rows about itself (PIPL art. 45)."""
        require_people(actor, "people_access_log")
        household = actor.role is Role.household
        if household:
            party_id, user = actor.party_id, None
        if not self._schema_ready:
            self.ensure_schema()
        with self.service.db.read() as s:
            rows = access_log.entries(s, party_id=party_id, actor=user, unmasked_only=unmasked_only,
                                      limit=max(1, min(int(limit), 10_000)))
        # A household learns which organisation and role read its data, not staff user names.
        return [r | {"actor": None} for r in rows] if household else rows

    def verify_access_log(self, actor: Actor) -> dict[str, Any]:
        """Recompute the access log's hash chain and check its sealed head (administrator)."""
        require_people(actor, "people_designate")
        return self._verify(chain.verify_access_log)

    def verify(self, actor: Actor) -> dict[str, Any]:
        """Check the whole register (administrator): the three hash chains (events, versions,
        access log) and their sealed heads, every record against its latest event, every version
        against the event that made it and any erasure after it, and the designations against
        the access log. ``{"ok", "problems": [{"table", "key", "problem", ...}], "warnings",
        "chains"}``; reads only, writes nothing (so a check is not itself a logged access)."""
        require_people(actor, "people_designate")
        return self._verify(chain.verify)

    def anchor(self, actor: Actor, *, request_id: str | None = None) -> dict[str, Any]:
        """Record the heads of the register's chains in the journal (administrator): a
        ``people_anchor`` entry with a Merkle checkpoint over it, so that the register up to
        here is pinned by the journal (and wherever its checkpoints are published), even against
        someone holding the data key. Only an intact register is anchored
        (``person_register_broken`` otherwise). The same heads anchored again are a replay. The
        entry holds each chain's length, last key and head hash: nothing about a person.

        One transaction: the journal command's own, which also takes the register's lock
        (PostgreSQL; SQLite has one writer anyway), verifies the register and reads the heads it
        records, so no register transaction can move them in between. The heads read beforehand
        (they name the request and its fingerprint) are compared with those under the lock; if a
        register transaction moved them meanwhile, the command rolls back and starts again with
        the new heads (``person_register_busy`` after :data:`ANCHOR_ATTEMPTS` tries).
        """
        require_people(actor, "people_anchor")
        if not self._schema_ready:
            self.ensure_schema()
        cipher = self.cipher
        for _ in range(ANCHOR_ATTEMPTS):
            with self.service.db.read() as s:
                content = chain.anchor_content(s)
            rid = request_id or "people-anchor:" + sha256_hex(canonical_json(content))[:32]
            try:
                result = self.service._run(actor, "people_anchor", rid, content,
                                           lambda ctx, want=content: self._anchor_entry(ctx, cipher, want),
                                           checkpoint=True)
            except _HeadsMoved:
                continue
            if result["replayed"]:  # these heads were anchored (and verified) before: is it intact now?
                report = self._verify(chain.verify)
                if not report["ok"]:
                    raise IntegrityFailure("person_register_broken", problems=len(report["problems"]))
            self._anchored = True
            return result
        raise Conflict("person_register_busy")

    def _anchor_entry(self, ctx: Any, cipher: FieldCipher, want: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Inside the journal command's transaction: lock the register, verify it, and record the
        heads it has now (which must be the ones the request was named after)."""
        s = ctx.session
        if not self.service.db.is_sqlite:
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PEOPLE_LOCK_KEY})
        check_key(s, cipher, record=False)
        report = chain.verify(s, cipher)
        if not report["ok"]:
            raise IntegrityFailure("person_register_broken", problems=len(report["problems"]))
        content = chain.anchor_content(s)
        if content != want:
            raise _HeadsMoved
        return chain.ANCHOR_KIND, {"result": content}

    def _verify(self, check: Any) -> dict[str, Any]:
        if not self._schema_ready:
            self.ensure_schema()
        cipher = self.cipher
        with self.service.db.read() as s:
            check_key(s, cipher, record=False)
            return check(s, cipher)

    def designate(self, actor: Actor, *, username: str) -> dict[str, Any]:
        """Designate a collection-centre user as its centre's payment officer (administrator)."""
        require_people(actor, "people_designate")
        with self._session() as s:
            user = s.get(UserRow, username) if isinstance(username, str) else None
            if user is None or not user.active:
                raise NotFound("actor_unknown", actor=str(username)[:60])
            if user.role != Role.collection_centre.value:
                raise InvalidInput("designation_user_invalid", username=username)
            if s.get(PersonDesignationRow, username) is None:
                now = self._now()
                s.add(PersonDesignationRow(username=username, duty=PAYMENT_OFFICER_DUTY, party_id=user.party_id,
                                           granted_by=actor.username, granted_at=now))
                access_log.append(s, at=now, actor=actor, action="designate", purpose=AccessPurpose.audit.value,
                                  detail={"username": username, "duty": PAYMENT_OFFICER_DUTY, "party_id": user.party_id,
                                          "granted_at": now})
            return {"username": username, "duty": PAYMENT_OFFICER_DUTY, "party_id": user.party_id}

    def revoke(self, actor: Actor, *, username: str) -> dict[str, Any]:
        """Withdraw a payment-officer designation (administrator)."""
        require_people(actor, "people_designate")
        with self._session() as s:
            row = s.get(PersonDesignationRow, username) if isinstance(username, str) else None
            if row is not None:
                s.delete(row)
                access_log.append(s, at=self._now(), actor=actor, action="revoke", purpose=AccessPurpose.audit.value,
                                  detail={"username": username, "duty": row.duty, "party_id": row.party_id})
            return {"username": username, "revoked": row is not None}

    def designations(self, actor: Actor) -> list[dict[str, Any]]:
        require_people(actor, "people_designate")
        if not self._schema_ready:
            self.ensure_schema()
        with self.service.db.read() as s:
            return [r.model_dump() for r in s.exec(select(PersonDesignationRow).order_by(PersonDesignationRow.username))]

    # -- for pages --------------------------------------------------------------------------------
    def capabilities(self, actor: Actor) -> dict[str, bool]:
        """What the person pages should offer ``actor`` (the service checks again on every call)."""
        if not self._schema_ready:
            self.ensure_schema()
        with self.service.db.read() as s:
            officer = is_payment_officer(s, actor)
        role = actor.role
        return {"my_details": role is Role.household,
                "list_people": role in (Role.collection_centre, Role.cooperative, Role.admin),
                "register": role in (Role.collection_centre, Role.admin),
                "correct": role in (Role.collection_centre, Role.admin),
                "payment_list_unmasked": officer, "erase": role is Role.admin,
                "access_log": role in (Role.admin, Role.household), "designate": role is Role.admin}

    def public_label(self, party_id: str) -> str | None:
        """What public pages and certificates may show for a party: its pseudonym, never a person."""
        with self.service.db.read() as s:
            party = s.get(PartyRow, party_id)
        return party.name if party else None


class _HeadsMoved(Exception):
    """The register's heads moved between naming an anchor request and locking the register."""


def _yuan(fen: Any) -> str | None:
    return money.yuan(fen) if isinstance(fen, int) else None


def _format(fmt: str, path: str | Path | None) -> str:
    if fmt not in ("xlsx", "pdf"):
        raise InvalidInput("value_invalid", field="format", value=str(fmt)[:10])
    if fmt == "xlsx" and path is None:
        raise InvalidInput("field_required", field="path")
    return fmt


def _pseudonym_warnings(party: PartyRow, values: Mapping[str, str | None]) -> list[str]:
    """Whether the household's journal pseudonym gives the person away (it cannot be erased)."""
    label = party.name or ""
    revealing = [v for v in (values.get("name"), values.get("resident_id"), values.get("phone")) if v]
    return ["party_name_reveals_person"] if any(v in label for v in revealing) else []


# -- the synthetic demo ---------------------------------------------------------------------------
