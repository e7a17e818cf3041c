"""The service API: the one facade the CLI, the Streamlit app (and the HTTP API to come) call.

It composes ``sinks`` (parcels), ``methodologies`` (estimates) and ``ledger`` (journal,
credits) and holds no rules of its own beyond wiring: every rule lives in those packages, and
every state change goes through :func:`ledger.commands.run_command`. Each area has a module of
its own (docs/architecture.md); this one holds the composition root and the ledger's calls.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from sqlmodel import select

from ledger import (
    collection,
    correction,
    issuance,
    parties,
    pledge,
    queries,
    retirement,
    reversal,
    sale,
)
from ledger.commands import CommandContext, run_command, utc_now
from ledger.domain import EntryKind, Role
from ledger.journal import Entry
from ledger.permissions import Actor, require
from ledger.proofs import consistency_proof_document, create_checkpoint, inclusion_proof_document
from ledger.published import check_ledger_against
from ledger.registry_import import matching as double_counting
from ledger.signing import (
    check_writable,
    load_private_key,
    parse_public_key,
    read_checkpoint_file,
    sign_checkpoint,
    write_checkpoint_file,
)
from ledger.sql import Tx, in_list
from ledger.store import AccountRow, JournalRow, PartyRow, VerifyOutcomeRow
from ledger.verify import VerifyReport, latest_verified, record_verified, timed, verify_ledger
from sinkledger.config import Settings, load_settings
from sinkledger.db.database import Database
from sinkledger.services.estimates import EstimateCalls
from sinkledger.services.parcels import ParcelCalls
from sinkledger.services.registry_imports import RegistryImportCalls
from sinkledger.services.party_settings import PartySettingCalls
from sinkledger.services.sales_import import SalesImportCalls
from sinkledger.services.users import UserCalls
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotFound, SinkLedgerError

if TYPE_CHECKING:
    from sinkledger.services.court import CourtService
    from sinkledger.services.income import IncomeService
    from sinkledger.services.compensation import CompensationService  # issue 22 (helper h8)
    from sinkledger.services.obligations import ObligationService  # issue 22 (helper h8)
    from sinkledger.services.people import PeopleService
    from sinkledger.services.prices import PriceService  # issue 22
    from sinkledger.services.public_registry import PublicRegistry

INITIALISE = "initialise_registry"  # the one command that runs before the registry exists
SYSTEM_ACTOR = Actor(username="system", role=Role.admin, party_id=parties.REGISTRY_PARTY_ID)


@dataclass
class Service(UserCalls, ParcelCalls, EstimateCalls, RegistryImportCalls, SalesImportCalls, PartySettingCalls):
    """The registry: settings, database and clock, the composition root of the services.

    Its own calls are the ledger's (collection, issuance, sales, retirements, pledges,
    reversals, corrections, registry imports, balances, verification, checkpoints, proofs,
    the journal); users, parcels and estimates are inherited from their own modules
    (:mod:`~sinkledger.services.users`, :mod:`~sinkledger.services.parcels`,
    :mod:`~sinkledger.services.estimates`); court, income and people are area services
    reached as ``service.court``, ``service.income``, ``service.people``.
    """

    db: Database
    settings: Settings
    clock: Callable[[], str] = utc_now
    _initialised: bool = field(default=False, init=False, repr=False, compare=False)

    @classmethod
    def open(cls, settings: Settings | None = None) -> "Service":
        settings = settings or load_settings()
        db = Database.from_settings(settings)
        db.ensure_current()  # an older database is migrated on open
        return cls(db, settings)

    # -- set-up ---------------------------------------------------------------------------------
    def is_initialised(self) -> bool:
        if not self.db.has_schema():
            return False
        with self.db.read() as s:
            return s.get(PartyRow, parties.REGISTRY_PARTY_ID) is not None

    def initialise(self) -> dict[str, Any]:
        """Create the schema and the registry's system accounts (idempotent)."""
        self.db.create_schema()
        result = self._run(SYSTEM_ACTOR, INITIALISE, "init:registry", {},
                           lambda ctx: parties.open_system_accounts(ctx, registry_name=self.settings.region.name_zh + "碳汇登记簿"))
        self._initialised = True
        return result

    def refresh_statistics(self) -> None:
        """Give the database's query planner the tables' statistics where they are missing or stale
        (both backends): :meth:`sinkledger.db.database.Database.refresh_statistics`."""
        self.db.refresh_statistics()

    def require_initialised(self) -> None:
        """Refuse (``database_not_initialised``) until the database has its schema and registry.

        The one check in front of every command (:meth:`_run`) and of the CLI's every use of the
        service: it asks the database until the answer is yes and then keeps it, so it costs one
        query per service, not one per call (a registry does not stop being initialised under a
        running service; ``demo --reset`` initialises again before it goes on).
        """
        if self._initialised:
            return
        if not self.is_initialised():
            raise NotFound("database_not_initialised")
        self._initialised = True

    # -- the ledger's commands -----------------------------------------------------------------
    def _run(self, actor: Actor, command: str, request_id: str, content: Mapping[str, Any],
             handler: Callable[[CommandContext], tuple[str, dict[str, Any]]], *,
             checkpoint: bool = False) -> dict[str, Any]:
        if command != INITIALISE:
            self.require_initialised()
        return run_command(self.db, actor=actor, command=command, request_id=request_id,
                           content=content, handler=handler, clock=self.clock, checkpoint=checkpoint)

    def collect(self, actor: Actor, request_id: str, *, contract_no: str, collective_party_id: str,
                parcel_codes: list[str], term_start: str, term_end: str, signed_date: str,
                payment_terms: dict[str, Any]) -> dict[str, Any]:
        """Collection (收储): the acting centre takes the sink rights of a collective's parcels."""
        parcel_codes = checks.text_list(parcel_codes, "parcel_codes")
        payment_terms = checks.mapping(payment_terms, "payment_terms")
        content = {"contract_no": contract_no, "collective_party_id": collective_party_id,
                   "parcel_codes": parcel_codes, "term_start": term_start, "term_end": term_end,
                   "signed_date": signed_date, "payment_terms": payment_terms}
        return self._run(actor, "collect", request_id, content, lambda ctx: collection.collect(ctx, **content))

    def issue(self, actor: Actor, request_id: str, *, estimate_id: str, verified_kg_co2e: int,
              project_code: str, buffer_share_bp: int, to_account: str | None = None,
              acknowledged_matches: list[str] | None = None) -> dict[str, Any]:
        """Verification and issuance: approve ``verified_kg_co2e`` of an estimate and issue credits.

        Credits go to ``to_account`` if given; else to the collection centre when every parcel is
        under a collection contract covering the period; else to the parcels' holder. A parcel or
        project matching an imported registry's project (by id, name or geometry) must be
        acknowledged by its match id in ``acknowledged_matches`` (issue 20; docs/registry-import.md).
        """
        require(actor, "issue")  # before the estimate is looked up: another role learns nothing of it
        verified_kg_co2e = checks.whole(verified_kg_co2e, "verified_kg_co2e")
        buffer_share_bp = checks.whole(buffer_share_bp, "buffer_share_bp")
        with self.db.plain_read() as tx:
            est = tx.one("SELECT parcel_codes, period_start, period_end FROM estimate WHERE id = :id",
                         {"id": estimate_id}) if isinstance(estimate_id, str) else None
            if est is None:
                raise NotFound("estimate_not_found", estimate=estimate_id)
            codes = json.loads(est[0])
            marks, params = in_list("c", codes)
            parcels = tx.all(f"SELECT county_code, holder_party_id FROM parcel WHERE parcel_code IN ({marks})", params)
            centre = collection.centre_account_for(tx, codes, est[1], est[2])
        counties = {county for county, _ in parcels}
        county = counties.pop() if len(counties) == 1 else self.settings.region.admin_code
        holders = {holder for _, holder in parcels}
        default = centre or (parties.holding_account_id(holders.pop()) if len(holders) == 1 else "")
        to_account = to_account or default
        content = {"estimate_id": estimate_id, "verified_kg_co2e": verified_kg_co2e,
                   "project_code": project_code, "buffer_share_bp": buffer_share_bp, "to_account": to_account}
        region = county or self.settings.region.admin_code
        acknowledged = None if acknowledged_matches is None else double_counting.acknowledgements(acknowledged_matches)
        if acknowledged is not None:  # kept out of the request otherwise, so earlier requests keep their fingerprint
            content = {**content, "acknowledged_matches": acknowledged}
        return self._run(actor, "issue", request_id, content, lambda ctx: double_counting.issue_checked(
            ctx, parcel_codes=codes, project_code=project_code, acknowledged=acknowledged,
            issue=lambda: issuance.issue(ctx, **{k: v for k, v in content.items() if k != "acknowledged_matches"},
                                         region_code=region, county_code=region)))

    def sell(self, actor: Actor, request_id: str, *, seller_account: str, buyer_account: str,
             quantity: int, price_fen_per_t: int, contract_no: str, serials: list[str] | None = None,
             sale_date: str | None = None, contract_date: str | None = None) -> dict[str, Any]:
        """Sale: credits move seller → buyer, the named serials or else oldest vintage first.

        ``sale_date`` and ``contract_date`` (ISO, optional) are the clerk's dates, kept in the
        entry and on the receipt; neither may lie after the day the sale is recorded.
        """
        content = {"seller_account": seller_account, "buyer_account": buyer_account, "quantity": quantity,
                   "price_fen_per_t": price_fen_per_t, "contract_no": contract_no,
                   "serials": checks.optional_text_list(serials, "serials") or None}
        content |= {k: v for k, v in (("sale_date", sale_date), ("contract_date", contract_date)) if v is not None}
        return self._run(actor, "sell", request_id, content, lambda ctx: sale.sell(ctx, **content))

    def retire(self, actor: Actor, request_id: str, *, account_id: str, quantity: int, beneficiary: str,
               purpose: str, kind: str = "voluntary", serials: list[str] | None = None) -> dict[str, Any]:
        content = {"account_id": account_id, "quantity": quantity, "beneficiary": beneficiary,
                   "purpose": purpose, "kind": kind, "serials": checks.optional_text_list(serials, "serials") or None}
        return self._run(actor, "retire", request_id, content, lambda ctx: retirement.retire(ctx, **content))

    def pledge(self, actor: Actor, request_id: str, *, account_id: str, quantity: int, loan_reference: str,
               loan_amount_fen: int, term_end: str, serials: list[str] | None = None) -> dict[str, Any]:
        """The acting bank pledges credits of a holder's account as loan collateral."""
        content = {"account_id": account_id, "quantity": quantity, "loan_reference": loan_reference,
                   "loan_amount_fen": loan_amount_fen, "term_end": term_end,
                   "serials": checks.optional_text_list(serials, "serials") or None}
        return self._run(actor, "pledge", request_id, content, lambda ctx: pledge.pledge(ctx, **content))

    def release(self, actor: Actor, request_id: str, *, pledge_id: str) -> dict[str, Any]:
        return self._run(actor, "release", request_id, {"pledge_id": pledge_id},
                         lambda ctx: pledge.release(ctx, pledge_id=pledge_id))

    def default_pledge(self, actor: Actor, request_id: str, *, pledge_id: str) -> dict[str, Any]:
        return self._run(actor, "pledge_default", request_id, {"pledge_id": pledge_id},
                         lambda ctx: pledge.default_transfer(ctx, pledge_id=pledge_id))

    def reverse(self, actor: Actor, request_id: str, *, quantity: int, reason: str,
                loss_event_ref: str) -> dict[str, Any]:
        """Reversal: cancel buffer credits for a loss of stored carbon."""
        content = {"quantity": quantity, "reason": reason, "loss_event_ref": loss_event_ref}
        return self._run(actor, "reverse", request_id, content, lambda ctx: reversal.reverse(ctx, **content))

    def correct(self, actor: Actor, request_id: str, *, entry_seq: int, reason: str) -> dict[str, Any]:
        """Correction: a new entry reversing a sale or an issuance, naming it."""
        content = {"entry_seq": checks.whole(entry_seq, "entry_seq"), "reason": reason}
        return self._run(actor, "correct", request_id, content, lambda ctx: correction.correct(ctx, **content))

    @functools.cached_property
    def court(self) -> "CourtService":
        """Judicial carbon-sink compensation: cases, orders, fulfilment, certificates, reports."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.court import CourtService

        return CourtService(self)

    @functools.cached_property
    def people(self) -> PeopleService:
        """Households' personal data: register, masking, access log, erasure
        (``docs/personal-data.md``); the data key from the settings."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.people import PeopleService

        return PeopleService(self)

    @functools.cached_property
    def income(self) -> IncomeService:
        """From collection to farmers' income: contract documents, bundles, distribution, payments,
        liens, losses and statements (``docs/income.md``)."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.income import IncomeService

        return IncomeService(self)

    # issue 22 (helper h8): ecological protection compensation and quota obligations
    @functools.cached_property
    def compensation(self) -> "CompensationService":
        """Ecological protection compensation: programmes and payments (``docs/instruments.md``)."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.compensation import CompensationService

        return CompensationService(self)

    @functools.cached_property
    def obligations(self) -> "ObligationService":
        """Quota obligations: set, surrendered, claimed, certified (``docs/instruments.md``)."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.obligations import ObligationService

        return ObligationService(self)

    @functools.cached_property
    def public(self) -> PublicRegistry:
        """The public registry: reads anyone may make without an account (credits by serial,
        retirements, entries with proofs, projects, parcels, retirement certificates;
        ``docs/public-registry.md``)."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.public_registry import PublicRegistry

        return PublicRegistry(self)

    @functools.cached_property
    def prices(self) -> PriceService:
        """Issue 22: the carbon-sink price index, price index insurance and pricing factors
        (``docs/prices.md``)."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.prices import PriceService

        return PriceService(self)

    # -- queries --------------------------------------------------------------------------------
    def balances(self) -> dict[str, Any]:
        self.require_initialised()
        with self.db.read() as s:
            return {"by_account": queries.balances_by_account(s),
                    "by_sink_type": queries.balances_by_sink_type(s)}

    def account_balance(self, account_id: str) -> dict[str, int]:
        with self.db.read() as s:
            if s.get(AccountRow, account_id) is None:
                raise NotFound("account_not_found", account=account_id)
            return queries.account_balance(s, account_id)

    def verify(self, *, full: bool = True, record: bool = False, observers: Sequence[Any] | None = None,
               progress: Callable[[int, int], None] | None = None, against: Path | None = None,
               public_key: str | None = None, jobs: int = 2) -> VerifyReport:
        """Verify the ledger: in full (the default here), or from the latest verified checkpoint
        (``full=False``; in full when there is none). ``record=True`` records a passing run as a
        verified checkpoint (what ``sinkledger verify`` and the UI's verify action do); otherwise
        nothing is written.

        ``against``: a published checkpoint file (signature checked with ``public_key`` when
        given) that the ledger must still extend. The file and the key are read before anything
        else (a bad one is refused at once), the run is then full (every body re-hashed, not only
        the stored hashes), and it is recorded only if it passes both; the outcome is
        ``report.against``.

        ``jobs``: 2 (the default) lets a full run of a large journal audit the tables in a second
        process beside the replay (docs/ledger.md, "Verify"); 1 keeps it to this process."""
        if type(jobs) is not int or jobs not in (1, 2):
            raise InvalidInput("value_invalid", field="jobs", value=repr(jobs)[:40])
        if public_key is not None and against is None:
            raise InvalidInput("value_invalid", field="public_key", value="(needs --against)")
        published = None
        if against is not None:
            key = parse_public_key(public_key) if public_key is not None else None
            published = (read_checkpoint_file(checks.path_value(against, "published_file")), key)
            full = True
        self.require_initialised()
        with self.db.read() as s:
            report, duration_ms = timed(lambda: verify_ledger(s, full=full, observers=observers, progress=progress,
                                                                   jobs=jobs))
            if published is not None:
                doc, key = published
                ok, problem, size = check_ledger_against(s, doc, key)
                if not ok:
                    report.fail(size, problem)
                report.against = {"file": str(against), "ok": ok, "tree_size": size, "problem": problem,
                                  "root": doc.get("root") if isinstance(doc, dict) else None,
                                  "key_pinned": key is not None}
        if record:
            with self.db.write() as s:
                ran_at = self.clock()
                if report.ok:
                    record_verified(s, report, ran_at, duration_ms)
                _record_outcome(s, report, ran_at, duration_ms)
        return report

    def last_verify_run(self) -> dict[str, Any] | None:
        """The outcome of the latest recording verify, passing or failing (``ok``, ``mode``,
        ``entries``, ``first_bad_seq``, ``problems``, ``problem``: the first one's text, ``ran_at``,
        ``duration_ms``); None before the first. A failed run is kept here while the verified
        checkpoint still names the last passing one."""
        self.require_initialised()
        with self.db.read() as s:
            row = s.get(VerifyOutcomeRow, VERIFY_SCOPE)
        return None if row is None else {k: getattr(row, k) for k in (
            "ok", "mode", "entries", "first_bad_seq", "problems", "problem", "ran_at", "duration_ms")}

    def last_verified(self) -> dict[str, Any] | None:
        """The latest verified checkpoint (size, head, root, mode, when) and the journal's size now."""
        self.require_initialised()
        with self.db.read() as s:
            row = latest_verified(s)
            head = s.exec(select(JournalRow.seq).order_by(JournalRow.seq.desc()).limit(1)).first() or 0
        if row is None:
            return None
        return {"tree_size": row.tree_size, "head_hash": row.head_hash, "merkle_root": row.merkle_root,
                "mode": row.mode, "from_seq": row.from_seq, "verified_at": row.verified_at,
                "duration_ms": row.duration_ms, "journal_size": head}

    def checkpoint(self) -> dict[str, Any]:
        """Record a Merkle checkpoint over the whole journal (publish its root)."""
        self.require_initialised()
        with self.db.write() as s:
            row = create_checkpoint(s, self.clock())
            return {"tree_size": row.tree_size, "root": row.root, "head_hash": row.head_hash,
                    "created_at": row.created_at}

    def publish_checkpoint(self, out: Path | None = None) -> dict[str, Any]:
        """Record a checkpoint and, with a signing key configured, sign it and publish it: to
        ``out`` and to ``$SINKLEDGER_CHECKPOINT_DIR/checkpoint-<tree size>.json`` when set.

        Without a key the checkpoint is recorded unsigned (``signed`` false, nothing written);
        asking for a file without a key is refused (``checkpoint_key_not_configured``) before
        anything is recorded. docs/ledger.md, "Published roots"."""
        out = checks.path_value(out, "out") if out is not None else None
        key_file, folder = self.settings.checkpoint_key_file, self.settings.checkpoint_dir
        if key_file is None:
            if out is not None or folder is not None:
                raise InvalidInput("checkpoint_key_not_configured")
            return {**self.checkpoint(), "signed": False, "files": [], "document": None}
        key = load_private_key(key_file)  # before recording: a refusal changes nothing
        self.require_initialised()
        with self.db.write() as s:  # files are written inside the transaction: a failure records nothing
            row = create_checkpoint(s, self.clock())
            cp = {"tree_size": row.tree_size, "root": row.root, "head_hash": row.head_hash, "created_at": row.created_at}
            files = [p for p in (out, folder / f"checkpoint-{row.tree_size:012d}.json" if folder else None) if p]
            for path in files:
                check_writable(path)
            doc = sign_checkpoint(key, **cp)
            for path in files:
                write_checkpoint_file(path, doc)
        return {**cp, "signed": True, "files": [str(p) for p in files], "document": doc}

    def verify_against(self, published_file: Path, public_key: str | None = None,
                       report: VerifyReport | None = None) -> dict[str, Any]:
        """Check that the ledger still extends the published checkpoint in ``published_file``
        (its signature, by ``public_key`` when given, and the root recomputed over the journal's
        first tree-size entries). A failure is also recorded in ``report`` (the problem names
        the tree size)."""
        key = parse_public_key(public_key) if public_key is not None else None
        doc = read_checkpoint_file(checks.path_value(published_file, "published_file"))
        self.require_initialised()
        with self.db.read() as s:
            ok, problem, size = check_ledger_against(s, doc, key)
        if not ok and report is not None:
            report.fail(size, problem)
        return {"file": str(published_file), "ok": ok, "tree_size": size, "problem": problem,
                "root": doc.get("root") if isinstance(doc, dict) else None, "key_pinned": key is not None}

    def consistency_proof(self, old_size: int, new_size: int) -> dict[str, Any]:
        """The RFC 6962 consistency proof between the journal's first ``old_size`` and
        ``new_size`` entries, checkable offline against two published roots."""
        _check_count(old_size, "old_size")
        _check_count(new_size, "new_size")
        self.require_initialised()
        with self.db.read() as s:
            return consistency_proof_document(s, old_size, new_size)

    def proof(self, seq: int, tree_size: int | None = None) -> dict[str, Any]:
        """An inclusion proof for journal entry ``seq`` that can be checked offline."""
        _check_count(seq, "seq")
        if tree_size is not None:
            _check_count(tree_size, "tree_size")
        self.require_initialised()
        with self.db.read() as s:
            return inclusion_proof_document(s, seq, tree_size)

    def journal(self, *, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` journal entries (of one ``kind`` if given), oldest first."""
        _check_count(limit, "limit", maximum=MAX_JOURNAL_LIMIT)
        self.require_initialised()
        if kind is not None and (not isinstance(kind, str) or kind not in {k.value for k in EntryKind}):
            raise InvalidInput("value_invalid", field="kind", value=repr(kind)[:40])
        with self.db.read() as s:
            query = select(JournalRow).order_by(JournalRow.seq.desc()).limit(limit)
            rows = s.exec(query.where(JournalRow.kind == kind) if kind else query).all()
        entries = [Entry.from_row(r) for r in reversed(rows)]
        return [{**e.summary(), "result": e.payload.get("result", {})} for e in entries]


MAX_JOURNAL_LIMIT = 10_000



def _check_count(value: Any, field: str, *, maximum: int = 2**62) -> int:
    """A positive whole number (not a bool), e.g. a journal seq or a page size."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
    return value




__all__ = ["Service", "SinkLedgerError", "SYSTEM_ACTOR", "EntryKind"]


VERIFY_SCOPE = "ledger"  # the verify_outcome row of sinkledger verify
MAX_PROBLEM_CHARS = 500


def _record_outcome(session: Any, report: VerifyReport, ran_at: str, duration_ms: int) -> None:
    """Keep the outcome of a recording verify, passing or failing, in the caller's write
    transaction (one row: the latest run)."""
    first = str(report.problems[0].get("problem", "")) if report.problems else ""
    session.merge(VerifyOutcomeRow(scope=VERIFY_SCOPE, ok=report.ok, mode=report.mode, entries=report.entries,
                                   first_bad_seq=report.first_bad_seq, problems=len(report.problems),
                                   problem=first[:MAX_PROBLEM_CHARS], ran_at=ran_at, duration_ms=duration_ms))
