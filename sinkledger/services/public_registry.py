"""The public registry (issue 18): what anyone may read without an account.

Find a credit by any serial number inside a block, a retirement by beneficiary, purpose and
year, a journal entry by hash or sequence with its inclusion proof, a project with its parcels,
issuances and vintages, a parcel by code; and every retirement's certificate
(:mod:`sinkledger.documents.retirement_certificates`). Reached as ``service.public``; no call
takes an actor, none writes.

Personal data stays out: a holder is shown by its kind, and by name only when it is an
organisation (households are natural persons: ``docs/personal-data.md``); a parcel shows no
tenure certificate and no household shares.

Every read is an indexed look-up, whatever the journal's length (docs/public-registry.md,
"Speed"): a serial is a range read on ``batch (serial_prefix, first)`` then on
``credit_block (batch_id, first)``; an entry hash is ``ix_journal_entry_entry_hash``; retirements are read
along ``ix_retirement_recorded_at`` (newest first, by year) or ``ix_retirement_beneficiary`` /
``ix_retirement_purpose`` (prefixes), one page at a time (``limit`` + 1 rows, so "more" costs no count).
The inclusion proof reads the stored Merkle subtree hashes (:mod:`ledger.merkle_nodes`, O(log n)
rows by key; :func:`ledger.proofs.inclusion_proof_document`), and is made only when asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.domain import (
    NATURAL_PERSON_KINDS,
    SERIAL_DIGITS,
    BlockState,
    PartyKind,
    format_block,
    format_serial,
)
from ledger.proofs import check_proof_document, inclusion_proof_document
from ledger.signing import check_checkpoint_document, key_id, load_private_key, public_key_text
from ledger.sale import check_text
from ledger.sql import Tx, in_list
from sinkledger.services import offsetsdb
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

SERIAL_PATTERN = re.compile(rf"^(?P<prefix>CN[0-9A-Z]{{1,12}}-[A-Z]{{2}}-[A-Z0-9]{{1,12}}-[0-9]{{4}})-(?P<number>[0-9]{{{SERIAL_DIGITS}}})$")
ENTRY_HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
RETIREMENT_ID_PATTERN = re.compile(r"^[A-Z]{2,4}-[0-9A-Za-z-]{1,36}$")
PROJECT_CODE_PATTERN = re.compile(r"^[A-Z0-9]{1,12}$")
URL_PATTERN = re.compile(r"^https?://[!-~]+$")  # http(s), then printable ASCII without spaces
MAX_PAGE = 200
MAX_QUERY_CHARS = 200
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199  # the accepted dates (sinkledger_base.checks)
MAX_MAP_PARCELS = 500  # a project's map draws at most this many parcels (the list names them all)


class PublicRegistry:
    """The public registry's reads (``service.public``).

    Parameters
    ----------
    service : sinkledger.services.registry.Service
        The registry's service (settings, database), built once per process.
    """

    def __init__(self, service: Service) -> None:
        self.service = service

    # -- credits by serial ------------------------------------------------------------------------
    def serial(self, serial: str) -> dict[str, Any]:
        """The credit with serial number ``serial`` (any serial inside a block): its batch,
        project, vintage, the block holding it now, its state (held, pledged, retired,
        cancelled), its holder's kind (and name, for an organisation) and, when retired, the
        retirement. Refused: ``serial_invalid`` (not a serial), ``serials_unknown`` (never issued)."""
        prefix, number = parse_serial(serial)
        self.service.require_initialised()
        with self.service.db.read() as s:
            tx = Tx.of(s)
            batch = tx.one(f"SELECT {BATCH_COLUMNS} FROM batch WHERE serial_prefix = :p AND first <= :n "
                           "ORDER BY first DESC LIMIT 1", {"p": prefix, "n": number})
            if batch is None or batch[2] < number:
                raise NotFound("serials_unknown", serials=serial)
            block = tx.one("SELECT first, last, account_id, state, tag FROM credit_block WHERE batch_id = :b "
                           "AND first <= :n ORDER BY first DESC LIMIT 1", {"b": batch[0], "n": number})
            if block is None or block[1] < number:  # a batch's blocks always cover it (verify checks)
                raise NotFound("serials_unknown", serials=serial)
            holder = _holder(tx, block[2])
            retirement = _retirement(tx, block[4]) if block[3] == BlockState.retired.value else None
            issuance = _entry_ref(tx, batch[11])
        return {"serial": format_serial(prefix, number), "batch": _batch_dict(batch), "project_code": batch[5],
                "vintage_year": batch[6], "sink_type": batch[4], "county_code": batch[3],
                "block": {"serials": format_block(prefix, block[0], block[1]), "first": block[0], "last": block[1],
                          "quantity": block[1] - block[0] + 1},
                "state": block[3], "holder": holder, "retirement": retirement, "issuance": issuance}

    # -- retirements -------------------------------------------------------------------------------
    def retirements(self, *, beneficiary: str | None = None, purpose: str | None = None, year: int | None = None,
                    limit: int = 20, offset: int = 0) -> dict[str, Any]:
        """Retirements, newest first, whose beneficiary and purpose start with the given texts and
        that were recorded in ``year``; one page (``limit`` at most 200, from ``offset``) and
        whether there are more."""
        beneficiary = _query_text(beneficiary, "beneficiary")
        purpose = _query_text(purpose, "purpose")
        year = _year(year)
        limit, offset = _page(limit, offset)
        where, params = [], {"n": limit + 1, "o": offset}
        for column, value in (("beneficiary", beneficiary), ("purpose", purpose)):
            if value:  # a prefix as a range, so that the column's index answers it (code-point collation:
                # SQLite's BINARY, PostgreSQL's C / C.UTF-8); substr keeps the answer exact under any other
                where.append(f"{column} >= :{column} AND {column} < :{column}_end "
                             f"AND substr({column}, 1, {len(value)}) = :{column}")
                params |= {column: value, f"{column}_end": value + "\U0010ffff"}
        if year is not None:
            where.append("recorded_at >= :y0 AND recorded_at < :y1")
            params |= {"y0": f"{year:04d}", "y1": f"{year + 1:04d}"}
        sql = (f"SELECT {RETIREMENT_COLUMNS} FROM retirement {'WHERE ' + ' AND '.join(where) if where else ''} "
               "ORDER BY recorded_at DESC, seq DESC LIMIT :n OFFSET :o")
        self.service.require_initialised()
        with self.service.db.read() as s:
            tx = Tx.of(s)
            rows = tx.all(sql, params)
            items = [_retirement_dict(tx, r) for r in rows[:limit]]
        return {"items": items, "limit": limit, "offset": offset, "more": len(rows) > limit}

    def retirement(self, retirement_id: str, *, proof: bool = False) -> dict[str, Any]:
        """One retirement with its serial blocks, journal entry and (``proof``) the entry's
        inclusion proof. Refused: ``retirement_not_found``."""
        retirement_id = _retirement_id(retirement_id)
        proof = checks.flag(proof, "proof")
        self.service.require_initialised()
        with self.service.db.read() as s:
            tx = Tx.of(s)
            out = _retirement(tx, retirement_id)
            if out is None:
                raise NotFound("retirement_not_found", retirement=retirement_id)
            if proof:
                out["proof"] = inclusion_proof_document(s, out["seq"])
        return out

    # -- journal entries ---------------------------------------------------------------------------
    def entry(self, ref: str | int, *, proof: bool = True) -> dict[str, Any]:
        """A journal entry by sequence number or entry hash (64 hex digits), with its canonical
        body and (``proof``) its inclusion proof, checked as a third party would. Refused:
        ``entry_ref_invalid``, ``entry_not_found``."""
        seq, digest = parse_entry_ref(ref)
        proof = checks.flag(proof, "proof")
        self.service.require_initialised()
        with self.service.db.read() as s:
            tx = Tx.of(s)
            where, params = ("seq = :v", {"v": seq}) if digest is None else ("entry_hash = :v", {"v": digest})
            row = tx.one(f"SELECT seq, kind, recorded_at, body, prev_hash, entry_hash FROM journal_entry "
                         f"WHERE {where}", params)
            if row is None:
                raise NotFound("entry_not_found", seq=str(ref)[:70])
            out = {"seq": row[0], "kind": row[1], "recorded_at": row[2], "body": row[3], "prev_hash": row[4],
                   "entry_hash": row[5]}
            if proof:
                document = inclusion_proof_document(s, row[0])
                ok, reason = check_proof_document(document)
                out |= {"proof": document, "proof_ok": ok, "proof_reason": reason}
        return out

    # -- parcels and projects ----------------------------------------------------------------------
    def parcel(self, parcel_code: str) -> dict[str, Any]:
        """A parcel by code as the public sees it: sink type, county, status, area, geometry
        (GeoJSON, EPSG:4490), its holder's kind (and name, for an organisation), its project
        and the batches issued from it; no tenure certificate, no household shares."""
        code = _code(parcel_code, "parcel_code", 40)
        self.service.require_initialised()
        with self.service.db.read() as s:
            tx = Tx.of(s)
            row = tx.one("SELECT parcel_code, sink_type, county_code, status, area_m2, holder_party_id, "
                         "geometry_wkb, registered_seq, version FROM parcel WHERE parcel_code = :c", {"c": code})
            if row is None:
                raise NotFound("parcel_not_found", parcel=code)
            project = tx.one("SELECT project_code FROM bundled_project_parcel WHERE parcel_code = :c", {"c": code})
            batches = tx.all(f"SELECT DISTINCT {BATCH_COLUMNS_B} FROM issuance_contribution c JOIN batch b "
                             "ON b.id = c.batch_id WHERE c.parcel_code = :c ORDER BY b.issuance_seq", {"c": code})
            holder = _party(tx, row[5])
        return _public_parcel(row, holder) | {"project_code": project[0] if project else None,
                                              "batches": [_batch_dict(b) for b in batches]}

    def projects(self, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """Projects (every project code credits were issued under, and every bundled project),
        by code: name, sink type, methodology, issued credits, vintages; one page."""
        limit, offset = _page(limit, offset)
        self.service.require_initialised()
        with self.service.db.read() as s:
            tx = Tx.of(s)
            codes = [r[0] for r in tx.all(
                "SELECT code FROM (SELECT DISTINCT project_code AS code FROM batch UNION "
                "SELECT project_code FROM bundled_project) p ORDER BY code LIMIT :n OFFSET :o",
                {"n": limit + 1, "o": offset})]
            items = [_project_summary(tx, code) for code in codes[:limit]]
        return {"items": items, "limit": limit, "offset": offset, "more": len(codes) > limit}

    def project(self, project_code: str) -> dict[str, Any]:
        """A project: its summary, methodology, issuances (batches with their entries), vintages,
        parcels (codes, and GeoJSON for the map), and its documents (title, SHA-256, size; the
        bytes stay with the registry). Refused: ``project_not_found``."""
        code = _project_code(project_code)
        self.service.require_initialised()
        with self.service.db.read() as s:
            tx = Tx.of(s)
            summary = _project_summary(tx, code)
            if summary is None:
                raise NotFound("registry_project_not_found", project=code)
            batches = tx.all(f"SELECT {BATCH_COLUMNS} FROM batch WHERE project_code = :c ORDER BY issuance_seq, id",
                             {"c": code})
            issuances = [_batch_dict(b) | {"entry": _entry_ref(tx, b[11])} for b in batches]
            parcels = _project_parcels(tx, code, [b[0] for b in batches])
            documents = _project_documents(tx, parcels)
            features = _parcel_features(tx, parcels[:MAX_MAP_PARCELS])
        return summary | {"issuances": issuances, "vintages": _vintages(issuances), "parcel_codes": parcels,
                          "map": {"type": "FeatureCollection", "features": features}, "documents": documents}

    # -- the retirement certificate ---------------------------------------------------------------
    def retirement_certificate(self, retirement_id: str) -> dict[str, Any]:
        """What a retirement's certificate shows and proves: the retirement (blocks, beneficiary,
        purpose, who retired), its journal entry and the entry's inclusion proof (against the
        latest checkpoint covering it, else the journal's root now), checked here as a third
        party would."""
        out = self.retirement(retirement_id, proof=True)
        ok, reason = check_proof_document(out["proof"])
        return out | {"proof_ok": ok, "proof_reason": reason}

    def retirement_certificate_pdf(self, retirement_id: str, *, lang: str = "zh",
                                   verify_url: str | None = None) -> bytes:
        """The certificate PDF in ``lang`` ('zh' or 'en'), with a QR code of its public link
        (``verify_url`` + ``?retirement=ID``; default the app's certificate page under
        ``SINKLEDGER_PUBLIC_URL``) and the proof document embedded as
        ``sinkledger-inclusion-proof.json`` (checkable offline with ``sinkledger proof-check``)."""
        # deferred on purpose: reportlab and pypdf load only when a document is written
        from sinkledger.documents.catalogue import checked_lang
        from sinkledger.documents.retirement_certificates import render_retirement_certificate_pdf

        lang = checked_lang(lang)
        if verify_url is not None:
            verify_url = _url(verify_url, "verify_url")
        elif self.service.settings.public_url:  # the app's certificate page (SINKLEDGER_PUBLIC_URL)
            verify_url = f"{self.service.settings.public_url}/certificate"
        return render_retirement_certificate_pdf(self.retirement_certificate(retirement_id), lang=lang,
                                                 verify_url=verify_url)

    def check_retirement_certificate_pdf(self, data: bytes) -> dict[str, Any]:
        """Check a retirement certificate PDF: its embedded proof must hold on its own (offline)
        and name the very entry the ledger holds for the retirement it names."""
        # deferred on purpose: pypdf loads only when a document is read
        from sinkledger.documents.retirement_certificates import (
            certificate_record,
            read_retirement_certificate_pdf,
        )

        if not isinstance(data, (bytes, bytearray)):
            raise InvalidInput("retirement_certificate_unreadable", reason=f"expected PDF bytes, got {type(data).__name__}")
        try:
            record, proof = read_retirement_certificate_pdf(bytes(data))
        except ValueError as exc:
            raise InvalidInput("retirement_certificate_unreadable", reason=str(exc)) from None
        now = self.retirement_certificate(_retirement_id(record.get("id")))
        ok, reason = check_proof_document(proof)
        same = proof.get("entry", {}).get("entry_hash") == now["entry_hash"] and record == certificate_record(now)
        return {"ok": ok and same and now["proof_ok"], "proof_ok": ok, "proof_reason": reason,
                "matches_ledger": same, "retirement": now}


    # -- OffsetsDB export ----------------------------------------------------------------------------
    def offsetsdb_projects_csv(self, *, project_url: str | None = None) -> Iterator[str]:
        """The projects in CarbonPlan OffsetsDB's schema, as CSV text chunks (streamed): the
        registry's own and, flagged, the imported registries' (issue 20); ``project_url`` is a
        template naming ``{code}`` (the public project page)."""
        project_url = _project_url(project_url)
        self.service.require_initialised()
        return offsetsdb.projects_csv(self.service.db, project_url=project_url)

    def offsetsdb_credits_csv(self) -> Iterator[str]:
        """The credit transactions (issuances, retirements; imported cancellations too) in
        OffsetsDB's schema, as CSV text chunks (streamed)."""
        self.service.require_initialised()
        return offsetsdb.credits_csv(self.service.db)

    def offsetsdb_projects_json(self, *, project_url: str | None = None) -> Iterator[str]:
        """The projects file as a JSON array of objects with the schema's types (streamed)."""
        project_url = _project_url(project_url)
        self.service.require_initialised()
        return offsetsdb.projects_json(self.service.db, project_url=project_url)

    def offsetsdb_credits_json(self) -> Iterator[str]:
        """The credits file as a JSON array of objects with the schema's types (streamed)."""
        self.service.require_initialised()
        return offsetsdb.credits_json(self.service.db)

    # -- published checkpoints (issue 16, point 3) --------------------------------------------------
    def checkpoints(self, *, limit: int = 20, offset: int = 0) -> dict[str, Any]:
        """Recorded checkpoints, newest first, one page: tree size, root, head hash and time, and
        for each whether a signed checkpoint file is published for it (in the checkpoint folder,
        ``checkpoint-<tree size>.json``) and whether its signature holds (by the operator's key
        when this process has it, else by the key the file carries) for that same root.

        Anyone who keeps a root can later hold the operator to it: ``sinkledger verify --against``
        and ``consistency-check`` (docs/ledger.md, "Published roots")."""
        limit, offset = _page(limit, offset)
        self.service.require_initialised()
        with self.service.db.read() as s:
            rows = Tx.of(s).all("SELECT tree_size, root, head_hash, created_at FROM checkpoint "
                                "ORDER BY tree_size DESC LIMIT :n OFFSET :o", {"n": limit + 1, "o": offset})
        operator = self._operator_key()
        items = []
        for size, root, head, created in rows[:limit]:
            doc = self._published_document(size)
            signed = doc is not None and doc.get("root") == root and doc.get("head_hash") == head \
                and check_checkpoint_document(doc, operator)[0]
            items.append({"tree_size": size, "root": root, "head_hash": head, "created_at": created,
                          "published": doc is not None, "signature_ok": bool(signed),
                          "key_id": doc.get("key_id") if doc is not None else None})
        return {"items": items, "limit": limit, "offset": offset, "more": len(rows) > limit,
                "operator_key_id": key_id(operator) if operator else None,
                "operator_public_key": public_key_text(operator) if operator else None,
                "folder": self.service.settings.checkpoint_dir is not None}

    def checkpoint_document(self, tree_size: int | None = None) -> dict[str, Any]:
        """The signed checkpoint published at ``tree_size`` (the newest recorded one that is
        published when None), as its file holds it: check it offline with ``sinkledger
        consistency-check`` or ``verify --against``. ``checkpoint_not_published`` when there is none."""
        if tree_size is not None and (isinstance(tree_size, bool) or not isinstance(tree_size, int)
                                      or not 0 <= tree_size < 2**62):
            raise InvalidInput("value_invalid", field="tree_size", value=repr(tree_size)[:40])
        self.service.require_initialised()
        if tree_size is None:
            with self.service.db.read() as s:
                sizes = [r[0] for r in Tx.of(s).all("SELECT tree_size FROM checkpoint ORDER BY tree_size DESC")]
            for size in sizes:  # the folder holds files for some of the recorded checkpoints
                doc = self._published_document(size)
                if doc is not None:
                    return doc
            raise NotFound("checkpoint_none_published")
        doc = self._published_document(tree_size)
        if doc is None:
            raise NotFound("checkpoint_not_published", tree_size=tree_size)
        return doc

    def consistency(self, old_size: int, new_size: int) -> dict[str, Any]:
        """The RFC 6962 consistency proof between the journal's first ``old_size`` and
        ``new_size`` entries (:meth:`Service.consistency_proof`): with two published checkpoints,
        ``sinkledger consistency-check OLD NEW --proof`` checks that the newer extends the older."""
        return self.service.consistency_proof(old_size, new_size)

    def _published_document(self, tree_size: int) -> dict[str, Any] | None:
        folder = self.service.settings.checkpoint_dir
        if folder is None:
            return None
        path = folder / f"checkpoint-{tree_size:012d}.json"
        if not path.is_file():
            return None
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return None  # not a published checkpoint: the folder is the operator's, not ours to judge here
        return doc if isinstance(doc, dict) and doc.get("tree_size") == tree_size else None

    def _operator_key(self) -> Ed25519PublicKey | None:
        key_file = self.service.settings.checkpoint_key_file
        return load_private_key(key_file).public_key() if key_file is not None else None


def _project_url(project_url: Any) -> str | None:
    """A project link template naming ``{code}`` once, or None."""
    if project_url is None:
        return None
    project_url = _url(project_url, "project_url")
    if "{code}" not in project_url or project_url.count("{") != 1 or project_url.count("}") != 1:
        raise InvalidInput("value_invalid", field="project_url", value=project_url[:80])
    return project_url


# -- input ------------------------------------------------------------------------------------------

def parse_serial(serial: Any) -> tuple[str, int]:
    """``CN330523-BF-AJBF01-2024-000000007`` → (prefix, 7); ``serial_invalid`` otherwise."""
    m = SERIAL_PATTERN.match(serial.strip()) if isinstance(serial, str) and len(serial) <= 80 else None
    if m is None or int(m["number"]) == 0:
        raise InvalidInput("serial_invalid", serial=str(serial)[:80])
    return m["prefix"], int(m["number"])


def parse_entry_ref(ref: Any) -> tuple[int | None, str | None]:
    """A sequence number (an int, or ASCII digits) or an entry hash (64 hex digits, any case) →
    (seq, None) or (None, hash); ``entry_ref_invalid`` otherwise."""
    if isinstance(ref, int) and not isinstance(ref, bool) and 1 <= ref < 2**62:
        return ref, None
    if isinstance(ref, str):
        text = ref.strip()
        if text.isascii() and text.isdigit() and len(text) <= 18 and int(text) >= 1:
            return int(text), None
        if ENTRY_HASH_PATTERN.match(text.lower()):
            return None, text.lower()
    raise InvalidInput("entry_ref_invalid", ref=str(ref)[:80])


def _query_text(value: Any, field: str) -> str | None:
    return check_text(value, field, MAX_QUERY_CHARS, required=False) or None


def _year(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("value_invalid", field="year", value=repr(value)[:40])
    if not EARLIEST_YEAR <= value <= LATEST_YEAR:
        raise InvalidInput("year_out_of_range", year=value, earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
    return value


def _page(limit: Any, offset: Any) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("page_invalid", field="limit", value=repr(limit)[:40], max_limit=MAX_PAGE)
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset < 2**62:
        raise InvalidInput("page_invalid", field="offset", value=repr(offset)[:40], max_limit=MAX_PAGE)
    return limit, offset


def _url(value: Any, field: str) -> str:
    url = check_text(value, field, 500)
    if not URL_PATTERN.match(url):
        raise InvalidInput("value_invalid", field=field, value=url[:80])
    return url


def _code(value: Any, field: str, max_chars: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_chars or "\x00" in value \
            or not value.strip().isprintable():
        raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
    return value.strip()


def _project_code(value: Any) -> str:
    code = _code(value, "project_code", 12)
    if not PROJECT_CODE_PATTERN.match(code):
        raise InvalidInput("value_invalid", field="project_code", value=code)
    return code


def _retirement_id(value: Any) -> str:
    if not isinstance(value, str) or not RETIREMENT_ID_PATTERN.match(value.strip()):
        raise InvalidInput("value_invalid", field="retirement_id", value=repr(value)[:40])
    return value.strip()


# -- rows -------------------------------------------------------------------------------------------

BATCH_COLUMNS = ("id, serial_prefix, last, county_code, sink_type, project_code, vintage_year, first, "
                 "buffer_quantity, methodology_id, methodology_version, issuance_seq, period_start, period_end")
BATCH_COLUMNS_B = ", ".join(f"b.{c.strip()}" for c in BATCH_COLUMNS.split(","))
RETIREMENT_COLUMNS = "id, seq, account_id, quantity, beneficiary, purpose, retirement_kind, recorded_at"


def _batch_dict(b: tuple[Any, ...]) -> dict[str, Any]:
    return {"batch_id": b[0], "serials": format_block(b[1], b[7], b[2]), "quantity": b[2] - b[7] + 1,
            "county_code": b[3], "sink_type": b[4], "project_code": b[5], "vintage_year": b[6],
            "buffer_quantity": b[8], "methodology_id": b[9], "methodology_version": b[10],
            "issuance_seq": b[11], "period_start": b[12], "period_end": b[13]}


def _party(tx: Tx, party_id: str | None) -> dict[str, Any]:
    """A party as the public sees it: its kind, and its name only when it is an organisation."""
    row = tx.one("SELECT kind, name FROM party WHERE id = :p", {"p": party_id}) if party_id else None
    if row is None:
        return {"kind": None, "name": None}
    return {"kind": row[0], "name": None if row[0] in NATURAL_PERSON_KINDS else row[1]}


def _holder(tx: Tx, account_id: str) -> dict[str, Any]:
    row = tx.one("SELECT kind, party_id FROM account WHERE id = :a", {"a": account_id})
    if row is None or row[0] != "holding":  # the registry's own accounts: buffer, retirement...
        return {"account_kind": row[0] if row else None, "kind": PartyKind.registry.value, "name": None}
    return {"account_kind": row[0]} | _party(tx, row[1])


def _entry_ref(tx: Tx, seq: int) -> dict[str, Any] | None:
    row = tx.one("SELECT seq, kind, recorded_at, entry_hash FROM journal_entry WHERE seq = :s", {"s": seq})
    return None if row is None else {"seq": row[0], "kind": row[1], "recorded_at": row[2], "entry_hash": row[3]}


def _retirement_dict(tx: Tx, r: tuple[Any, ...]) -> dict[str, Any]:
    account = tx.one("SELECT party_id FROM account WHERE id = :a", {"a": r[2]})
    return {"retirement_id": r[0], "seq": r[1], "quantity": r[3], "beneficiary": r[4], "purpose": r[5],
            "kind": r[6], "recorded_at": r[7], "retired_by": _party(tx, account[0] if account else None)}


def _retirement(tx: Tx, retirement_id: str | None) -> dict[str, Any] | None:
    """A retirement with its blocks (read by the blocks' tag) and its entry's hash."""
    row = tx.one(f"SELECT {RETIREMENT_COLUMNS} FROM retirement WHERE id = :r", {"r": retirement_id}) \
        if retirement_id else None
    if row is None:
        return None
    blocks = tx.all("SELECT b.serial_prefix, c.first, c.last, b.id, b.project_code, b.vintage_year, b.sink_type "
                    "FROM credit_block c JOIN batch b ON b.id = c.batch_id WHERE c.tag = :r AND c.state = 'retired' "
                    "ORDER BY b.vintage_year, b.issuance_seq, b.id, c.first", {"r": retirement_id})
    entry = _entry_ref(tx, row[1])
    return _retirement_dict(tx, row) | {
        "entry_hash": entry["entry_hash"] if entry else None,
        "blocks": [{"serials": format_block(p, f, last), "quantity": last - f + 1, "batch_id": b, "project_code": pc,
                    "vintage_year": v, "sink_type": st} for p, f, last, b, pc, v, st in blocks]}


def _public_parcel(row: tuple[Any, ...], holder: dict[str, Any]) -> dict[str, Any]:
    # deferred on purpose: the geometry stack loads only for the calls that draw a parcel
    import shapely

    code, sink_type, county, status, area_m2, _, wkb, registered_seq, version = row
    return {"parcel_code": code, "sink_type": sink_type, "county_code": county, "status": status,
            "area_ha": round(area_m2 / 10_000, 4), "area_mu": round(area_m2 * 15 / 10_000, 2), "holder": holder,
            "registered_seq": registered_seq, "version": version,
            "geometry": shapely.geometry.mapping(shapely.from_wkb(bytes(wkb)))}


def _project_summary(tx: Tx, code: str) -> dict[str, Any] | None:
    bundle = tx.one("SELECT name, sink_type, methodology_id, centre_party_id, seq, monitoring_start, interval_months "
                    "FROM bundled_project WHERE project_code = :c", {"c": code})
    agg = tx.one("SELECT count(*), sum(last - first + 1), min(vintage_year), max(vintage_year), min(issuance_seq), "
                 "min(sink_type), min(methodology_id), min(methodology_version), min(county_code) "
                 "FROM batch WHERE project_code = :c", {"c": code})
    if bundle is None and not agg[0]:
        return None
    retired = tx.one("SELECT coalesce(sum(l.quantity), 0) FROM balance l JOIN batch b ON b.id = l.batch_id "
                     "WHERE b.project_code = :c AND l.state = 'retired' AND l.quantity <> 0", {"c": code})[0]
    proponent = _party(tx, bundle[3]) if bundle else None
    return {"project_code": code, "name": bundle[0] if bundle else None,
            "sink_type": bundle[1] if bundle else agg[5], "methodology_id": bundle[2] if bundle else agg[6],
            "methodology_version": agg[7], "county_code": agg[8], "proponent": proponent,
            "registered_seq": bundle[4] if bundle else None,
            "monitoring": {"start": bundle[5], "interval_months": bundle[6]} if bundle else None,
            "batches": int(agg[0] or 0), "issued_t": int(agg[1] or 0), "retired_t": int(retired or 0),
            "first_vintage": agg[2], "last_vintage": agg[3], "first_issuance_seq": agg[4]}


def _vintages(issuances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    years: dict[int, dict[str, int]] = {}
    for b in issuances:
        y = years.setdefault(b["vintage_year"], {"vintage_year": b["vintage_year"], "issued_t": 0, "batches": 0})
        y["issued_t"] += b["quantity"]
        y["batches"] += 1
    return [years[y] for y in sorted(years)]


def _project_parcels(tx: Tx, code: str, batch_ids: list[str]) -> list[str]:
    codes = {r[0] for r in tx.all("SELECT parcel_code FROM bundled_project_parcel WHERE project_code = :c", {"c": code})}
    if batch_ids:
        marks, params = in_list("b", batch_ids)
        codes |= {r[0] for r in tx.all(f"SELECT DISTINCT parcel_code FROM issuance_contribution "
                                       f"WHERE batch_id IN ({marks})", params)}
        estimates = tx.all(f"SELECT DISTINCT e.parcel_codes FROM estimate e JOIN batch b ON b.estimate_id = e.id "
                           f"WHERE b.id IN ({marks})", params)
        codes |= {c for (doc,) in estimates for c in json.loads(doc)}
    return sorted(codes)


def _project_documents(tx: Tx, parcel_codes: list[str]) -> list[dict[str, Any]]:
    """The documents of the collection contracts that cover the project's parcels, by hash."""
    if not parcel_codes:
        return []
    marks, params = in_list("p", parcel_codes)
    rows = tx.all(f"SELECT DISTINCT d.id, d.contract_no, d.title, d.file_name, d.media_type, d.sha256, d.size_bytes, "
                  f"d.seq FROM collection_document d JOIN contract_parcel c ON c.contract_no = d.contract_no "
                  f"WHERE c.parcel_code IN ({marks}) ORDER BY d.seq", params)
    return [{"document_id": r[0], "contract_no": r[1], "title": r[2], "file_name": r[3], "media_type": r[4],
             "sha256": r[5], "size_bytes": r[6], "seq": r[7]} for r in rows]


def _parcel_features(tx: Tx, parcel_codes: list[str]) -> list[dict[str, Any]]:
    if not parcel_codes:
        return []
    # deferred on purpose: the geometry stack loads only for the calls that draw a parcel
    import shapely

    marks, params = in_list("p", parcel_codes)
    rows = tx.all(f"SELECT parcel_code, sink_type, status, area_m2, geometry_wkb FROM parcel "
                  f"WHERE parcel_code IN ({marks}) ORDER BY parcel_code", params)
    return [{"type": "Feature", "geometry": shapely.geometry.mapping(shapely.from_wkb(bytes(wkb))),
             "properties": {"parcel_code": code, "sink_type": sink, "status": status,
                            "area_ha": round(area_m2 / 10_000, 4)}} for code, sink, status, area_m2, wkb in rows]
