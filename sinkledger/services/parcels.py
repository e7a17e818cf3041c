"""Parcels: register (drawn or by file, with a preview), change, split, merge, retire, export
and verify their history; the parcel list and one parcel.

A :class:`~sinkledger.services.area.RegistryPart`: the registry Service inherits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlmodel import select

from ledger.permissions import Actor, require
from ledger.store import PartyRow
from sinkledger.services.area import RegistryPart
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotFound
from sinks.store import ParcelRow

# The geometry stack (shapely, pyproj, geopandas through ``sinks``' readers and ``ledger.parcels``)
# loads inside the calls that use it, so that a command that touches no parcel (``balances``,
# ``verify``) does not pay for importing it (issue 17; tests/test_cli_imports.py).
PERMISSION = "register_parcel"  # the same as ledger.parcels.PERMISSION (tests/test_cli_imports.py checks)

class ParcelCalls(RegistryPart):
    """The registry's calls for this area (``self`` is the registry :class:`Service`)."""

    def register_parcel(self, actor: Actor, request_id: str, *, parcel_code: str, sink_type: str,
                        holder_party_id: str, geometry: str | Mapping[str, Any],
                        county_code: str | None = None, tenure_cert_no: str | None = None,
                        declared_area_mu: float | str | None = None,
                        attributes: Mapping[str, Any] | None = None, tenure_cert_kind: str | None = None,
                        tenure_ownership: str | None = None,
                        household_shares_bp: Mapping[str, int] | None = None,
                        from_gcj02: bool = False, repair: bool = False) -> dict[str, Any]:
        """Register one parcel from a GeoJSON geometry (lon/lat; what a map's draw tool returns).

        Without ``county_code`` the county is the one whose outline holds most of the parcel.
        Every check of a file row applies (``docs/parcels.md``); a refusal carries the first
        problem's code and lists every problem. ``from_gcj02`` converts a geometry traced on
        Gaode/Tencent maps; ``repair`` accepts the ``make_valid`` repair previewed with
        :meth:`repair_geometry`.
        """
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from ledger.parcels import register_parcel
        from sinks.geometry import county_at
        from sinks.importer import ImportOptions, plain_json, plan_geometry

        attributes = checks.optional_mapping(attributes, "attributes")
        household_shares_bp = checks.optional_mapping(household_shares_bp, "household_shares_bp")
        from_gcj02, repair = checks.flag(from_gcj02, "from_gcj02"), checks.flag(repair, "repair")
        region = self.settings.region
        if county_code is None:  # derived from where the parcel lies, never a default (issue 19)
            county_code = county_at(self.settings.counties_path, geometry)
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
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from ledger.parcels import import_parcels
        from sinks.importer import ImportOptions, plan_file

        require(actor, PERMISSION)  # before the file is read: another role makes the server parse nothing
        path = checks.path_value(path, "path")
        self.require_initialised()
        region, options = self.settings.region, ImportOptions.coerce(options)
        plan = plan_file(path, options, region, limits=self.settings.file_limits, progress=progress)
        content = {"source_sha256": plan.source["sha256"], "source_name": plan.source["name"],
                   "options": options.to_content()}
        done = self._run(actor, PERMISSION, request_id, content,
                         lambda ctx: import_parcels(ctx, plan=plan, region=region, progress=progress))
        self.db.refresh_statistics()  # a file may bring 100,000 parcels: the planner learns of them
        return done

    def preview_parcels(self, actor: Actor, *, path: str | Path, options: Any = None,
                        progress: Callable[[int, int, str], None] | None = None,
                        with_geometry: bool = False) -> dict[str, Any]:
        """The dry run of :meth:`import_parcels`: the full per-row report, registering nothing.

        ``progress`` hears the rows checked, then ``registry`` while they are checked against the
        registered parcels; ``with_geometry`` adds each row's geometry (GeoJSON, EPSG:4490) to its
        summary, for a map of the preview.
        """
        # deferred on purpose: the geometry stack loads only for the calls that use it
        import shapely
        from ledger.parcels import registry_problems
        from sinks.importer import ImportOptions, plan_file
        from sinks.overlap import OverlapTolerance

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
        # deferred on purpose: the geometry stack loads only for the calls that use it
        import shapely
        from sinks.geometry import parse_geojson, repair, shape_problem, validity_problem

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
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from sinks.views import parcel_extras

        with self.db.read() as s:
            row = s.exec(select(ParcelRow).where(ParcelRow.parcel_code == parcel_code)).first()
            if row is None:
                raise NotFound("parcel_not_found", parcel=parcel_code)
            holder = s.get(PartyRow, row.holder_party_id)
        return _parcel_dict(row, holder.name if holder else None) | parcel_extras(row)

    def parcel_history(self, parcel_code: str) -> list[dict[str, Any]]:
        """Every version of a parcel, oldest first, each with its record, hash and geometry."""
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from sinks.versions import history

        with self.db.read() as s:
            versions = history(s, parcel_code)
        if not versions:
            raise NotFound("parcel_not_found", parcel=parcel_code)
        return versions

    def update_parcel(self, actor: Actor, request_id: str, *, parcel_code: str,
                      geometry: str | Mapping[str, Any] | None = None, changes: Mapping[str, Any] | None = None,
                      from_gcj02: bool = False, repair: bool = False) -> dict[str, Any]:
        """A new version: a new boundary and/or new fields (holder_party_id, tenure, shares, attributes)."""
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from ledger.parcel_changes import update_parcel
        from sinks.importer import ImportOptions, plain_json, plan_geometry
        from sinks.views import checked_changes

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
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from ledger.parcel_changes import split_parcel
        from sinks.importer import ImportOptions, plan_geometries

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
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from ledger.parcel_changes import merge_parcels

        parcel_codes = checks.text_list(parcel_codes, "parcel_codes")
        content = {"parcel_codes": parcel_codes, "new_parcel_code": new_parcel_code}
        return self._run(actor, PERMISSION, request_id, content, lambda ctx: merge_parcels(
            ctx, parcel_codes=list(parcel_codes), new_parcel_code=new_parcel_code, region=self.settings.region))

    def retire_parcel(self, actor: Actor, request_id: str, *, parcel_code: str, retired_from: str,
                      reason: str) -> dict[str, Any]:
        """Leave a parcel out of future monitoring periods (a parcel with credits is never deleted)."""
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from ledger.parcel_changes import retire_parcel

        content = {"parcel_code": parcel_code, "retired_from": retired_from, "reason": reason}
        return self._run(actor, PERMISSION, request_id, content, lambda ctx: retire_parcel(ctx, **content))

    def delete_parcel(self, actor: Actor, request_id: str, *, parcel_code: str, reason: str) -> dict[str, Any]:
        """Withdraw a parcel registered by mistake; refused once credits were issued for it."""
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from ledger.parcel_changes import delete_parcel

        content = {"parcel_code": parcel_code, "reason": reason}
        return self._run(actor, PERMISSION, request_id, content, lambda ctx: delete_parcel(ctx, **content))

    def export_parcels(self, path: str | Path, *, file_format: str | None = None,
                       status: str | None = "active", holder: str | None = None,
                       encoding: str = "UTF-8") -> dict[str, Any]:
        """Write parcels (default: the active ones; only ``holder``'s when given) to a GeoPackage,
        GeoJSON, KML or zipped Shapefile (``encoding`` UTF-8 or GBK)."""
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from sinks.export import export_format, write_parcels_file

        target = checks.path_value(path, "path")
        fmt = export_format(target, file_format)
        parcels = self.parcels(status=status, holder=holder)
        return write_parcels_file(parcels, target, fmt, encoding)

    def verify_parcels(self) -> dict[str, Any]:
        """Recompute every parcel's version chain and compare the projection; ``ok`` if all hold."""
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from sinks.versions import verify_parcel_history

        with self.db.read() as s:
            problems = verify_parcel_history(s)
        return {"ok": not problems, "problems": problems}

    def parcels(self, status: str | None = None, holder: str | None = None) -> list[dict[str, Any]]:
        """Registered parcels (all, or those of one ``status``, of one ``holder``) with GeoJSON
        geometry (EPSG:4490), areas in ha and mu, tenure, household shares, flags and version."""
        # deferred on purpose: the geometry stack loads only for the calls that use it
        from sinks.views import parcel_extras

        with self.db.read() as s:
            query = select(ParcelRow).order_by(ParcelRow.parcel_code)
            if status:
                query = query.where(ParcelRow.status == status)
            if holder:
                query = query.where(ParcelRow.holder_party_id == holder)
            rows = s.exec(query).all()
            named = sorted({r.holder_party_id for r in rows})
            holders = {}  # the names of these rows' holders, not of every party
            for i in range(0, len(named), 500):
                holders.update(s.exec(select(PartyRow.id, PartyRow.name).where(PartyRow.id.in_(named[i:i + 500]))).all())
        return [_parcel_dict(r, holders.get(r.holder_party_id)) | parcel_extras(r) for r in rows]


def _parcel_dict(r: ParcelRow, holder_name: str | None) -> dict[str, Any]:
    # deferred on purpose: the geometry stack loads only for the calls that use it
    import shapely
    from sinks import sink_spec
    from sinks.geometry import M2_PER_HA

    spec = sink_spec(r.sink_type)
    return {"parcel_code": r.parcel_code, "sink_type": r.sink_type, "sink_type_zh": spec.name_zh,
            "sink_type_en": spec.name_en, "holder_party_id": r.holder_party_id, "holder_name": holder_name,
            "county_code": r.county_code, "status": r.status, "area_ha": round(r.area_m2 / M2_PER_HA, 4),
            "area_mu": round(r.area_m2 * 15 / M2_PER_HA, 2), "tenure_cert_no": r.tenure_cert_no,
            "attributes": json.loads(r.attributes),
            "geometry": shapely.geometry.mapping(shapely.from_wkb(r.geometry_wkb))}
