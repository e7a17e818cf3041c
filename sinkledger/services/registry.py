"""The service API: the one facade the CLI and the Streamlit app call.

It composes ``sinks`` (parcels), ``methodologies`` (estimates) and ``ledger`` (journal,
credits) and holds no rules of its own beyond wiring: every rule lives in those packages, and
every state change goes through :func:`ledger.commands.run_command`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import shapely
from argon2.exceptions import VerificationError
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
from ledger.commands import CommandContext, check_request_id, run_command, utc_now
from ledger.domain import EntryKind, Role, check_content, check_project_code
from ledger.journal import Entry
from ledger.parcel_changes import (
    delete_parcel,
    merge_parcels,
    retire_parcel,
    split_parcel,
    update_parcel,
)
from ledger.parcels import PERMISSION, import_parcels, register_parcel, registry_problems
from ledger.permissions import Actor, require
from ledger.proofs import create_checkpoint, inclusion_proof_document
from ledger.store import AccountRow, EstimateRow, JournalRow, PartyRow, UserRow
from ledger.verify import VerifyReport, verify_ledger
from sinkledger.base import checks
from sinkledger.base.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    SinkLedgerError,
    encodes_utf8,
)
from sinkledger.config import Settings, load_settings
from sinkledger.db.database import Database
from sinkledger.services import admin
from sinks import sink_spec
from sinks.export import export_format, write_parcels_file
from sinks.geometry import M2_PER_HA, parse_geojson, repair, shape_problem, validity_problem
from sinks.importer import ImportOptions, plain_json, plan_file, plan_geometries, plan_geometry
from sinks.overlap import OverlapTolerance
from sinks.store import ParcelRow
from sinks.versions import history, verify_parcel_history
from sinks.views import checked_changes, parcel_extras

if TYPE_CHECKING:
    from sinkledger.services.court import CourtService
    from sinkledger.services.income import IncomeService
    from sinkledger.services.people import PeopleService

SYSTEM_ACTOR = Actor(username="system", role=Role.admin, party_id=parties.REGISTRY_PARTY_ID)


@dataclass
class Service:
    db: Database
    settings: Settings
    clock: Callable[[], str] = utc_now

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
        return self._run(SYSTEM_ACTOR, "initialise_registry", "init:registry", {},
                         lambda ctx: parties.open_system_accounts(ctx, registry_name=self.settings.region.name_zh + "碳汇登记簿"))

    def require_initialised(self) -> None:
        if not self.is_initialised():
            raise NotFound("database_not_initialised")

    # -- users and actors -----------------------------------------------------------------------
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

    def authenticate(self, username: str, password: str) -> Actor:
        if not (isinstance(username, str) and isinstance(password, str) and 0 < len(username) <= 60
                and len(password) <= 1024 and encodes_utf8(username) and encodes_utf8(password)):
            raise NotPermitted("credentials_invalid")
        with self.db.read() as s:
            user = s.get(UserRow, username)
        try:
            if user is None or not user.active or not admin.HASHER.verify(user.password_hash, password):
                raise NotPermitted("credentials_invalid")
        except VerificationError:
            raise NotPermitted("credentials_invalid") from None
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

    # -- commands -------------------------------------------------------------------------------
    def _run(self, actor: Actor, command: str, request_id: str, content: Mapping[str, Any],
             handler: Callable[[CommandContext], tuple[str, dict[str, Any]]], *,
             checkpoint: bool = False) -> dict[str, Any]:
        return run_command(self.db, actor=actor, command=command, request_id=request_id,
                           content=content, handler=handler, clock=self.clock, checkpoint=checkpoint)

    def register_party(self, actor: Actor, request_id: str, *, party_id: str, kind: str, name: str,
                       county_code: str | None = None) -> dict[str, Any]:
        content = {"party_id": party_id, "kind": kind, "name": name, "county_code": county_code}
        return self._run(actor, "register_party", request_id, content,
                         lambda ctx: parties.register_party(ctx, **content))

    def register_parcel(self, actor: Actor, request_id: str, *, parcel_code: str, sink_type: str,
                        holder_party_id: str, geometry: str | Mapping[str, Any],
                        county_code: str | None = None, tenure_cert_no: str | None = None,
                        declared_area_mu: float | str | None = None,
                        attributes: Mapping[str, Any] | None = None, tenure_cert_kind: str | None = None,
                        tenure_ownership: str | None = None,
                        household_shares_bp: Mapping[str, int] | None = None,
                        from_gcj02: bool = False, repair: bool = False) -> dict[str, Any]:
        """Register one parcel from a GeoJSON geometry (lon/lat; what a map's draw tool returns).

        Every check of a file row applies (``docs/parcels.md``); a refusal carries the first
        problem's code and lists every problem. ``from_gcj02`` converts a geometry traced on
        Gaode/Tencent maps; ``repair`` accepts the ``make_valid`` repair previewed with
        :meth:`repair_geometry`.
        """
        attributes = checks.optional_mapping(attributes, "attributes")
        household_shares_bp = checks.optional_mapping(household_shares_bp, "household_shares_bp")
        from_gcj02, repair = checks.flag(from_gcj02, "from_gcj02"), checks.flag(repair, "repair")
        region = self.settings.region
        fields = {**plain_json(attributes), "parcel_code": parcel_code, "sink_type": sink_type,
                  "holder": holder_party_id, "county_code": county_code, "tenure_cert_no": tenure_cert_no,
                  "tenure_cert_kind": tenure_cert_kind, "tenure_ownership": tenure_ownership,
                  "declared_area_mu": plain_json(declared_area_mu),
                  "household_shares": dict(household_shares_bp or {})}
        options = ImportOptions(from_gcj02=from_gcj02, repair=repair)
        plan = plan_geometry(geometry, fields, options, region)
        content = {"fields": fields, "geometry_sha256": plan.source["sha256"], "options": options.to_content()}
        return self._run(actor, PERMISSION, request_id, content,
                         lambda ctx: register_parcel(ctx, plan=plan, region=region))

    def import_parcels(self, actor: Actor, request_id: str, *, path: str | Path, options: Any = None,
                       progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
        """Register every row of a parcel file in one journal entry (``parcels_imported``), or none.

        ``options`` is a :class:`sinks.importer.ImportOptions` or a mapping of its fields. A
        refusal (``parcel_import_has_problems``) lists every problem by row, field and code.
        ``progress(done, total, label)`` hears the rows as they are checked, then as they are written.
        """
        path = checks.path_value(path, "path")
        self.require_initialised()
        region, options = self.settings.region, ImportOptions.coerce(options)
        plan = plan_file(path, options, region, limits=self.settings.file_limits, progress=progress)
        content = {"source_sha256": plan.source["sha256"], "source_name": plan.source["name"],
                   "options": options.to_content()}
        return self._run(actor, PERMISSION, request_id, content,
                         lambda ctx: import_parcels(ctx, plan=plan, region=region, progress=progress))

    def preview_parcels(self, actor: Actor, *, path: str | Path, options: Any = None,
                        progress: Callable[[int, int, str], None] | None = None,
                        with_geometry: bool = False) -> dict[str, Any]:
        """The dry run of :meth:`import_parcels`: the full per-row report, registering nothing.

        ``progress`` hears the rows checked, then ``registry`` while they are checked against the
        registered parcels; ``with_geometry`` adds each row's geometry (GeoJSON, EPSG:4490) to its
        summary, for a map of the preview.
        """
        require(actor, PERMISSION)
        path = checks.path_value(path, "path")
        with_geometry = checks.flag(with_geometry, "with_geometry")
        self.require_initialised()
        plan = plan_file(path, ImportOptions.coerce(options), self.settings.region, limits=self.settings.file_limits,
                         progress=progress)
        if progress:
            progress(0, len(plan.drafts), "registry")
        with self.db.read() as s:
            problems, _ = registry_problems(s, actor, plan.drafts, self.settings.region, OverlapTolerance())
        report = plan.report(problems)
        if with_geometry:
            shapes = {d.row: shapely.geometry.mapping(d.geometry) for d in plan.drafts if d.geometry is not None}
            for summary in report["parcels"]:
                summary["geometry"] = shapes.get(summary["row"])
        return report

    def repair_geometry(self, geometry: str | Mapping[str, Any]) -> dict[str, Any]:
        """Preview the repair of a drawn geometry: GEOS's reason and location, and the repaired shape."""
        geom = parse_geojson(geometry)
        shape = shape_problem(geom)  # a point, an empty shape or 1e308 is no parcel to repair
        if shape is not None:
            raise InvalidInput(shape.code, **shape.params)
        region = self.settings.region
        x0, y0, x1, y1 = geom.bounds
        west, south, east, north = region.bounds_lonlat
        if x0 < west or x1 > east or y0 < south or y1 > north:
            raise InvalidInput("geometry_outside_region", region=region.name_zh, bounds=[x0, y0, x1, y1])
        problem = validity_problem(geom)
        fixed = repair(geom) if problem is not None else geom
        return {"valid": problem is None, "reason": problem.params.get("reason") if problem else None,
                "location": problem.params.get("location") if problem else None,
                "repaired": shapely.geometry.mapping(fixed) if fixed is not None else None}

    def parcel(self, parcel_code: str) -> dict[str, Any]:
        """One parcel (any status) with its geometry, tenure, shares, flags and version."""
        with self.db.read() as s:
            row = s.exec(select(ParcelRow).where(ParcelRow.parcel_code == parcel_code)).first()
            if row is None:
                raise NotFound("parcel_not_found", parcel=parcel_code)
            holder = s.get(PartyRow, row.holder_party_id)
        return _parcel_dict(row, holder.name if holder else None) | parcel_extras(row)

    def parcel_history(self, parcel_code: str) -> list[dict[str, Any]]:
        """Every version of a parcel, oldest first, each with its record, hash and geometry."""
        with self.db.read() as s:
            versions = history(s, parcel_code)
        if not versions:
            raise NotFound("parcel_not_found", parcel=parcel_code)
        return versions

    def update_parcel(self, actor: Actor, request_id: str, *, parcel_code: str,
                      geometry: str | Mapping[str, Any] | None = None, changes: Mapping[str, Any] | None = None,
                      from_gcj02: bool = False, repair: bool = False) -> dict[str, Any]:
        """A new version: a new boundary and/or new fields (holder_party_id, tenure, shares, attributes)."""
        changes = checks.optional_mapping(changes, "changes")
        from_gcj02, repair = checks.flag(from_gcj02, "from_gcj02"), checks.flag(repair, "repair")
        region, current = self.settings.region, self.parcel(parcel_code)
        fields = checked_changes(current, plain_json(changes))
        plan = None
        if geometry is not None:
            plan = plan_geometry(geometry, {"parcel_code": parcel_code, "sink_type": current["sink_type"],
                                            "holder": current["holder_party_id"]},
                                 ImportOptions(from_gcj02=from_gcj02, repair=repair), region)
        content = {"parcel_code": parcel_code, "changes": fields,
                   "geometry_sha256": plan.source["sha256"] if plan else None}
        return self._run(actor, PERMISSION, request_id, content, lambda ctx: update_parcel(
            ctx, parcel_code=parcel_code, plan=plan, fields=fields, region=region))

    def split_parcel(self, actor: Actor, request_id: str, *, parcel_code: str,
                     parts: list[Mapping[str, Any]]) -> dict[str, Any]:
        """Split a parcel into parts ``[{"parcel_code", "geometry"}]`` that keep its total area."""
        parts = checks.mapping_list(parts, "parts", required_keys=("parcel_code", "geometry"))
        region, current = self.settings.region, self.parcel(parcel_code)
        features = [(p["geometry"], {"parcel_code": p["parcel_code"], "sink_type": current["sink_type"],
                                     "holder": current["holder_party_id"]}) for p in parts]
        plan = plan_geometries(features, ImportOptions(), region)
        content = {"parcel_code": parcel_code, "parts": [p["parcel_code"] for p in parts],
                   "geometry_sha256": plan.source["sha256"]}
        return self._run(actor, PERMISSION, request_id, content, lambda ctx: split_parcel(
            ctx, parcel_code=parcel_code, plan=plan, region=region))

    def merge_parcels(self, actor: Actor, request_id: str, *, parcel_codes: list[str],
                      new_parcel_code: str) -> dict[str, Any]:
        """Merge parcels of one sink type, holder and shares into one; the area is kept."""
        parcel_codes = checks.text_list(parcel_codes, "parcel_codes")
        content = {"parcel_codes": parcel_codes, "new_parcel_code": new_parcel_code}
        return self._run(actor, PERMISSION, request_id, content, lambda ctx: merge_parcels(
            ctx, parcel_codes=list(parcel_codes), new_parcel_code=new_parcel_code, region=self.settings.region))

    def retire_parcel(self, actor: Actor, request_id: str, *, parcel_code: str, retired_from: str,
                      reason: str) -> dict[str, Any]:
        """Leave a parcel out of future monitoring periods (a parcel with credits is never deleted)."""
        content = {"parcel_code": parcel_code, "retired_from": retired_from, "reason": reason}
        return self._run(actor, PERMISSION, request_id, content, lambda ctx: retire_parcel(ctx, **content))

    def delete_parcel(self, actor: Actor, request_id: str, *, parcel_code: str, reason: str) -> dict[str, Any]:
        """Withdraw a parcel registered by mistake; refused once credits were issued for it."""
        content = {"parcel_code": parcel_code, "reason": reason}
        return self._run(actor, PERMISSION, request_id, content, lambda ctx: delete_parcel(ctx, **content))

    def export_parcels(self, path: str | Path, *, file_format: str | None = None,
                       status: str | None = "active") -> dict[str, Any]:
        """Write parcels (default: the active ones) to a GeoPackage, GeoJSON or zipped Shapefile."""
        target = checks.path_value(path, "path")
        fmt = export_format(target, file_format)
        return write_parcels_file(self.parcels(status=status), target, fmt)

    def verify_parcels(self) -> dict[str, Any]:
        """Recompute every parcel's version chain and compare the projection; ``ok`` if all hold."""
        with self.db.read() as s:
            problems = verify_parcel_history(s)
        return {"ok": not problems, "problems": problems}

    def record_estimate(self, actor: Actor, request_id: str, *, parcel_codes: list[str],
                        methodology_id: str, inputs: Mapping[str, Any], gwp_profile: str = "AR5") -> dict[str, Any]:
        """Estimate a parcel set with a methodology; the registered area replaces any given one."""
        # deferred on purpose: the methodologies (and rasterio behind them) load on first use
        from ledger.estimates import record_estimate

        parcel_codes = checks.text_list(parcel_codes, "parcel_codes")
        inputs = checks.mapping(inputs, "inputs")
        check_content(inputs, "inputs")  # before it is turned into JSON text below
        content = {"parcel_codes": parcel_codes, "methodology_id": methodology_id,
                   "inputs": json.loads(json.dumps(inputs, default=str), parse_float=str),
                   "gwp_profile": gwp_profile}
        return self._run(actor, "record_estimate", request_id, content,
                         lambda ctx: record_estimate(ctx, **content))

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
              project_code: str, buffer_share_bp: int, to_account: str | None = None) -> dict[str, Any]:
        """Verification and issuance: approve ``verified_kg_co2e`` of an estimate and issue credits.

        Credits go to ``to_account`` if given; else to the collection centre when every parcel is
        under a collection contract covering the period; else to the parcels' holder.
        """
        verified_kg_co2e = checks.whole(verified_kg_co2e, "verified_kg_co2e")
        buffer_share_bp = checks.whole(buffer_share_bp, "buffer_share_bp")
        with self.db.read() as s:
            est = s.get(EstimateRow, estimate_id)
            if est is None:
                raise NotFound("estimate_not_found", estimate=estimate_id)
            parcels = [s.exec(select(ParcelRow).where(ParcelRow.parcel_code == c)).one()
                       for c in json.loads(est.parcel_codes)]
            centre = collection.centre_account_for(s, json.loads(est.parcel_codes), est.period_start, est.period_end)
        counties = {p.county_code for p in parcels}
        county = counties.pop() if len(counties) == 1 else self.settings.region.admin_code
        holders = {p.holder_party_id for p in parcels}
        default = centre or (parties.holding_account_id(holders.pop()) if len(holders) == 1 else "")
        to_account = to_account or default
        content = {"estimate_id": estimate_id, "verified_kg_co2e": verified_kg_co2e,
                   "project_code": project_code, "buffer_share_bp": buffer_share_bp, "to_account": to_account}
        return self._run(actor, "issue", request_id, content, lambda ctx: issuance.issue(
            ctx, **content, region_code=county or self.settings.region.admin_code,
            county_code=county or self.settings.region.admin_code))

    def sell(self, actor: Actor, request_id: str, *, seller_account: str, buyer_account: str,
             quantity: int, price_fen_per_t: int, contract_no: str, serials: list[str] | None = None) -> dict[str, Any]:
        """Sale: credits move seller → buyer, the named serials or else oldest vintage first."""
        content = {"seller_account": seller_account, "buyer_account": buyer_account, "quantity": quantity,
                   "price_fen_per_t": price_fen_per_t, "contract_no": contract_no,
                   "serials": checks.optional_text_list(serials, "serials") or None}
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

    def import_registry(self, actor: Actor, request_id: str, *, registry: str, paths: list[str | Path],
                        allow_partial: bool = False) -> dict[str, Any]:
        """Import another registry's history (all its export files) in one entry, all or nothing.

        Unreconcilable rows refuse the whole import (``registry_import_has_problems``, every
        problem listed) unless ``allow_partial``, which imports the sound rows and records the
        refused ones in the entry.
        """
        # deferred on purpose: the methodologies (and rasterio behind them) load on first use
        from ledger.registry_import import import_content, import_registry_history, parse_files

        if not isinstance(registry, str):
            raise InvalidInput("value_invalid", field="registry", value=repr(registry)[:40])
        if not isinstance(paths, (list, tuple)) or not paths:
            raise InvalidInput("value_invalid", field="paths", value=repr(paths)[:40])
        files = [checks.path_value(p, "paths") for p in paths]
        allow_partial = checks.flag(allow_partial, "allow_partial")
        self.require_initialised()
        records, problems = parse_files(registry, files)
        content = import_content(registry, records, problems, allow_partial=allow_partial)
        return self._run(actor, "import_registry", request_id, content, lambda ctx: import_registry_history(
            ctx, registry=registry, records=records, parse_problems=problems, allow_partial=allow_partial))

    def estimate_dry(self, methodology_id: str, inputs: Mapping[str, Any], gwp_profile: str = "AR5") -> dict[str, Any]:
        """One estimate, not recorded."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.batch_estimates import estimate_dry

        return estimate_dry(methodology_id, inputs, gwp_profile)

    def batch_estimate(self, actor: Actor, request_id: str, *, methodology_id: str, project_code: str,
                       period: tuple[str, str] | None = None, parcel_codes: list[str] = (),
                       base_inputs: Mapping[str, Any] | None = None, monitoring: Mapping[str, Any] | None = None,
                       rasters: list[str] = (), gwp_profile: str = "AR5", min_valid_fraction: float = 0.95,
                       progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
        """Estimate all parcels of the sink type (or ``parcel_codes``): one recorded estimate each,
        with request id ``<request_id>/<parcel>``, from monitoring documents or carbon rasters."""
        # deferred on purpose: the methodologies (and rasterio behind them) load on first use
        from ledger.estimates import methodology_refusal
        from methodologies.errors import MethodologyError, MethodologyNotFound
        from methodologies.registry import get_methodology
        from sinkledger.services import batch_estimates as b

        require(actor, "record_estimate")
        check_request_id(request_id)
        if not isinstance(project_code, str) or not check_project_code(project_code):
            raise InvalidInput("value_invalid", field="project_code", value=repr(project_code)[:40])
        try:
            get_methodology(methodology_id)
        except (MethodologyNotFound, TypeError):
            raise NotFound("methodology_unknown", methodology=repr(methodology_id)[:60]) from None
        parcel_codes = checks.text_list(parcel_codes, "parcel_codes")
        with self.db.read() as s:
            for code in parcel_codes:
                if s.exec(select(ParcelRow.parcel_code).where(ParcelRow.parcel_code == code)).first() is None:
                    raise NotFound("parcel_not_found", parcel=code)
        base_inputs = checks.optional_mapping(base_inputs, "base_inputs")
        monitoring = checks.optional_mapping(monitoring, "monitoring")
        for code, fields in monitoring.items():
            checks.mapping(fields, f"monitoring.{code}")
        check_content({"base_inputs": base_inputs, "monitoring": monitoring}, "batch")
        fraction = min_valid_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise InvalidInput("value_invalid", field="min_valid_fraction", value=repr(fraction)[:40])
        rasters = checks.text_list(rasters, "rasters")
        try:
            layers = [b.parse_raster_option(r) for r in rasters]
        except ValueError as exc:
            raise InvalidInput("value_invalid", field="rasters", value=str(exc)[:60]) from None
        if period is not None:
            dates = checks.text_list(period, "period", max_items=2)
            try:
                period = b.parse_period("..".join(dates)) if len(dates) == 2 else None
            except ValueError:
                period = None
            if period is None or period[0] > period[1]:
                raise InvalidInput("value_invalid", field="period", value=repr(dates)[:60])
        request = b.BatchRequest(methodology_id=methodology_id, base_inputs=base_inputs, monitoring=monitoring,
                                 rasters=layers, period=period, gwp_profile=gwp_profile, parcel_codes=parcel_codes,
                                 min_valid_fraction=fraction)
        try:
            return b.record_batch(self, actor, request_id, request, project_code=project_code, progress=progress)
        except MethodologyError as error:
            raise methodology_refusal(error) from None

    def estimate_report(self, estimate_id: str, fmt: str = "pdf", lang: str = "zh") -> bytes:
        """The calculation trace of a recorded estimate as Markdown, HTML or PDF, in Chinese or English."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.reports import FORMATS, LANGS, render

        if fmt not in FORMATS:
            raise InvalidInput("value_invalid", field="format", value=repr(fmt)[:40])
        if lang not in LANGS:
            raise InvalidInput("value_invalid", field="lang", value=repr(lang)[:40])
        with self.db.read() as s:
            row = s.get(EstimateRow, estimate_id)
        if row is None:
            raise NotFound("estimate_not_found", estimate=estimate_id)
        document = json.loads(row.document) | {"estimate_id": row.id, "parcel_codes": json.loads(row.parcel_codes)}
        return render(document, fmt, lang)

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

    def verify(self) -> VerifyReport:
        self.require_initialised()
        with self.db.read() as s:
            return verify_ledger(s)

    def checkpoint(self) -> dict[str, Any]:
        """Record a Merkle checkpoint over the whole journal (publish its root)."""
        self.require_initialised()
        with self.db.write() as s:
            row = create_checkpoint(s, self.clock())
            return {"tree_size": row.tree_size, "root": row.root, "head_hash": row.head_hash,
                    "created_at": row.created_at}

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
        if kind is not None and (not isinstance(kind, str) or kind not in {k.value for k in EntryKind}):
            raise InvalidInput("value_invalid", field="kind", value=repr(kind)[:40])
        with self.db.read() as s:
            query = select(JournalRow).order_by(JournalRow.seq.desc()).limit(limit)
            rows = s.exec(query.where(JournalRow.kind == kind) if kind else query).all()
        entries = [Entry.from_row(r) for r in reversed(rows)]
        return [{**e.summary(), "result": e.payload.get("result", {})} for e in entries]

    def parcels(self, status: str | None = None) -> list[dict[str, Any]]:
        """Registered parcels (all, or those of one ``status``) with GeoJSON geometry (EPSG:4490),
        areas in ha and mu, tenure, household shares, flags and version."""
        with self.db.read() as s:
            query = select(ParcelRow).order_by(ParcelRow.parcel_code)
            rows = s.exec(query.where(ParcelRow.status == status) if status else query).all()
            holders = {p.id: p.name for p in s.exec(select(PartyRow)).all()}
        return [_parcel_dict(r, holders.get(r.holder_party_id)) | parcel_extras(r) for r in rows]

    def estimate(self, estimate_id: str) -> dict[str, Any]:
        with self.db.read() as s:
            row = s.get(EstimateRow, estimate_id)
        if row is None:
            raise NotFound("estimate_not_found", estimate=estimate_id)
        return json.loads(row.document) | {"estimate_id": row.id}

    def parties(self) -> list[dict[str, Any]]:
        with self.db.read() as s:
            accounts = {a.party_id: a.id for a in s.exec(select(AccountRow).where(AccountRow.kind == "holding"))}
            return [{"party_id": p.id, "kind": p.kind, "name": p.name, "county_code": p.county_code,
                     "account_id": accounts.get(p.id)} for p in s.exec(select(PartyRow).order_by(PartyRow.id))]


MAX_JOURNAL_LIMIT = 10_000



def _check_count(value: Any, field: str, *, maximum: int = 2**62) -> int:
    """A positive whole number (not a bool), e.g. a journal seq or a page size."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
    return value


def _parcel_dict(r: ParcelRow, holder_name: str | None) -> dict[str, Any]:
    spec = sink_spec(r.sink_type)
    return {"parcel_code": r.parcel_code, "sink_type": r.sink_type, "sink_type_zh": spec.name_zh,
            "sink_type_en": spec.name_en, "holder_party_id": r.holder_party_id, "holder_name": holder_name,
            "county_code": r.county_code, "status": r.status, "area_ha": round(r.area_m2 / M2_PER_HA, 4),
            "area_mu": round(r.area_m2 * 15 / M2_PER_HA, 2), "tenure_cert_no": r.tenure_cert_no,
            "attributes": json.loads(r.attributes),
            "geometry": shapely.geometry.mapping(shapely.from_wkb(r.geometry_wkb))}


__all__ = ["Service", "SinkLedgerError", "SYSTEM_ACTOR", "EntryKind"]
