"""Changing registered parcels: new versions, split, merge, retirement, deletion.

Nothing is overwritten: each change appends a version (hash-chained, :mod:`sinks.versions`) and
rewrites the ``parcel`` projection, in one journal entry.

- **update**: new boundary and/or fields. A new boundary is checked like a new parcel (against
  the other active parcels); it is refused for a parcel with issued credits, whose issued land
  must not move (split or retire it instead).
- **split**: the parts must lie inside the parent, not overlap each other, and together keep the
  parent's area (within the overlap tolerance). They inherit the parent's fields and its issued
  monitoring periods (so no part can be issued again for them); the parent becomes ``split``.
- **merge**: parcels of one sink type, holder and household shares become one parcel whose area
  is the sum of theirs; the parents become ``merged``; issued periods are inherited.
- **retire**: the parcel is left out of future periods (status ``retired``, ``retired_from``).
- **delete**: only for a parcel that never had credits issued (status ``deleted``; the history
  and the code stay).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import shapely
from sqlmodel import select

from ledger.commands import CommandContext
from ledger.domain import check_date
from ledger.parcels import (
    PERMISSION,
    area_summary,
    holder_problems,
    household_problems,
    parcel_row,
    refusal,
    registry_problems,
    write_parcels,
)
from ledger.permissions import require_owner
from ledger.store import ContractParcelRow, IssuedPeriodRow
from sinkledger_base.canonical import sha256_hex
from sinkledger_base.errors import Conflict, InvalidInput, NotFound
from sinks.geometry import to_metres
from sinks.importer import ImportPlan, ParcelDraft
from sinks.overlap import DEFAULT_TOLERANCE, OverlapTolerance
from sinks.problems import Problem
from sinks.regions import Region
from sinks.store import ACTIVE, DELETED, MERGED, RETIRED, SPLIT, ParcelRow, ParcelVersionRow
from sinks.tenure import PARTY_ID
from sinks.versions import canonical_record, geometry_wkb, new_record, record_fields

PARCEL_UPDATED, PARCEL_SPLIT, PARCELS_MERGED = "parcel_updated", "parcel_split", "parcels_merged"
PARCEL_RETIRED, PARCEL_DELETED = "parcel_retired", "parcel_deleted"


def load_active(ctx: CommandContext, parcel_code: str) -> ParcelRow:
    row = ctx.session.exec(select(ParcelRow).where(ParcelRow.parcel_code == parcel_code)).first()
    if row is None:
        raise NotFound("parcel_not_found", parcel=parcel_code)
    if row.status != ACTIVE:
        raise Conflict("parcel_not_active", parcel=parcel_code, status=row.status)
    require_owner(ctx.actor, PERMISSION, row.holder_party_id)
    return row


def append_version(ctx: CommandContext, row: ParcelRow, *, change: str, fields: dict[str, Any],
                   geometry: shapely.Geometry, area_m2: float, status: str, flags: list[Problem] = (),
                   retired_from: str | None = None, children: list[str] | None = None) -> dict[str, Any]:
    """Append the next version of ``row`` and rewrite its projection; return the record."""
    wkb = geometry_wkb(geometry)
    record = new_record(parcel_code=row.parcel_code, version=row.version + 1, change=change, seq=ctx.seq,
                        prev_hash=row.version_hash, fields=fields, area_m2=area_m2, area_epsg=row.area_epsg,
                        wkb=wkb, status=status, parents=json.loads(row.parents), flags=list(flags),
                        retired_from=retired_from, children=children)
    text = canonical_record(record)
    digest = sha256_hex(text)
    values = parcel_row(record, wkb, geometry, area_m2, digest, registered_seq=row.registered_seq)
    for key, value in values.items():
        setattr(row, key, value)
    ctx.session.add(row)
    ctx.session.add(ParcelVersionRow(parcel_code=row.parcel_code, version=record["version"], seq=ctx.seq,
                                     change=change, record=text, geometry_wkb=wkb, version_hash=digest))
    ctx.session.flush()
    return {**record, "version_hash": digest}


def _checked_against_registry(ctx: CommandContext, row: ParcelRow, fields: dict[str, Any]) -> dict[str, Any]:
    """A new holder and new household shares must exist, as at registration (holder by party id
    or registered name, of a holder kind; households of kind ``household``)."""
    if "holder_party_id" not in fields and "household_shares_bp" not in fields:
        return fields
    current = record_fields(row)
    draft = ParcelDraft(row=1, parcel_code=row.parcel_code,
                        holder=fields.get("holder_party_id", current["holder_party_id"]),
                        household_shares_bp=fields.get("household_shares_bp", current["household_shares_bp"]))
    holders, problems = holder_problems(ctx.session, ctx.actor, [draft])
    problems += household_problems(ctx.session, [draft])
    if problems:
        raise refusal(problems)
    return {**fields, "holder_party_id": holders[1]} if "holder_party_id" in fields else fields


def _day(ctx: CommandContext) -> date:
    """The day of the command (its recorded time, ISO 8601), for the validity of county codes."""
    return date.fromisoformat(ctx.recorded_at[:10])


def _safe(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _has_issued_credits(ctx: CommandContext, code: str) -> bool:
    return ctx.session.exec(select(IssuedPeriodRow.id).where(IssuedPeriodRow.parcel_code == code)).first() is not None


def _under_contract(ctx: CommandContext, code: str) -> str | None:
    return ctx.session.exec(select(ContractParcelRow.contract_no).where(ContractParcelRow.parcel_code == code)).first()


def _geometry(row: ParcelRow) -> shapely.Geometry:
    return shapely.from_wkb(row.geometry_wkb)


# --- update ----------------------------------------------------------------------------------

def update_parcel(ctx: CommandContext, *, parcel_code: str, plan: ImportPlan | None, fields: dict[str, Any],
                  region: Region, tolerance: OverlapTolerance = DEFAULT_TOLERANCE) -> tuple[str, dict[str, Any]]:
    """A new version with a new boundary (``plan``, checked) and/or new fields (a new county code
    is checked against the region profile: ``county_code_retired``, ``county_code_unknown``)."""
    row = load_active(ctx, parcel_code)
    county = region.county_problem(fields["county_code"], _day(ctx)) if fields.get("county_code") else None
    if county is not None:
        raise refusal([Problem(county[0], row=1, field="county_code", **county[1])])
    geometry, area, flags = _geometry(row), row.area_m2, []
    if plan is not None:
        if _has_issued_credits(ctx, parcel_code):
            raise Conflict("parcel_has_issued_credits", parcel=parcel_code)
        problems, _ = registry_problems(ctx.session, ctx.actor, plan.drafts, region, tolerance,
                                        ignore_codes={parcel_code}, check_codes=False)
        if plan.problems or problems:
            raise refusal([*plan.problems, *problems])
        draft = plan.drafts[0]
        geometry, area, flags = draft.geometry, draft.area_m2, draft.flags
    fields = _checked_against_registry(ctx, row, fields)
    new_fields = {**record_fields(row), **fields}
    if new_fields["holder_party_id"] != row.holder_party_id:
        require_owner(ctx.actor, PERMISSION, new_fields["holder_party_id"])
    changed = sorted(k for k, v in new_fields.items() if v != record_fields(row)[k])
    if plan is not None and geometry_wkb(geometry) != row.geometry_wkb:
        changed.append("geometry")
    if not changed:
        raise InvalidInput("parcel_unchanged", parcel=parcel_code)
    record = append_version(ctx, row, change="boundary_changed" if "geometry" in changed else "attributes_changed",
                            fields=new_fields, geometry=geometry, area_m2=area, status=ACTIVE, flags=flags)
    result = {"parcel_code": parcel_code, "version": record["version"], "version_hash": record["version_hash"],
              "changed": changed, **area_summary(area)}
    return PARCEL_UPDATED, {"parcel": record, "changed": changed, "result": result}


# --- split and merge -------------------------------------------------------------------------

def split_parcel(ctx: CommandContext, *, parcel_code: str, plan: ImportPlan, region: Region,
                 tolerance: OverlapTolerance = DEFAULT_TOLERANCE) -> tuple[str, dict[str, Any]]:
    """Split a parcel into the parts of ``plan`` (one draft per part, codes and geometries)."""
    row = load_active(ctx, parcel_code)
    _refuse_under_contract(ctx, parcel_code)
    problems, _ = registry_problems(ctx.session, ctx.actor, plan.drafts, region, tolerance,
                                    ignore_codes={parcel_code})
    problems = [*plan.problems, *problems]
    if problems:
        raise refusal(problems)
    parent = _geometry(row)
    _check_split_geometry(parcel_code, parent, row.area_m2, plan.drafts, region, tolerance)
    fields = record_fields(row)
    children = write_parcels(ctx, [(d.parcel_code, fields, d.geometry, d.area_m2, d.flags) for d in plan.drafts],
                             region, change="split_from", parents=[parcel_code])
    codes = [d.parcel_code for d in plan.drafts]
    inherited = _inherit_issued_periods(ctx, [parcel_code], codes)
    record = append_version(ctx, row, change="split", fields=fields, geometry=parent, area_m2=row.area_m2,
                            status=SPLIT, children=codes)
    result = {"parcel_code": parcel_code, "parts": [{"parcel_code": c["parcel_code"], **area_summary(d.area_m2)}
                                                    for c, d in zip(children, plan.drafts)],
              **area_summary(row.area_m2), "parts_area_m2": f"{sum(d.area_m2 for d in plan.drafts):.2f}"}
    return PARCEL_SPLIT, {"parcel": record, "parts": children, "inherited_issued_periods": inherited,
                          "result": result}


def _check_split_geometry(code: str, parent: shapely.Geometry, parent_m2: float, parts: list[ParcelDraft],
                          region: Region, tolerance: OverlapTolerance) -> None:
    metres = to_metres(np.array([parent, *[d.geometry for d in parts]], dtype=object), region.area_epsg)
    parent_m, parts_m = metres[0], metres[1:]
    allowed = float(tolerance.allowed_m2(parent_m2, parent_m2))
    outside = shapely.area(shapely.difference(parts_m, parent_m))
    if len(parts) < 2 or (outside > allowed).any():
        raise InvalidInput("split_parts_outside_parcel", parcel=code,
                           outside_m2=round(float(outside.max(initial=0.0)), 2))
    parts_m2 = float(shapely.area(parts_m).sum())
    union_m2 = float(shapely.union_all(parts_m).area)
    if abs(parts_m2 - parent_m2) > allowed or abs(parts_m2 - union_m2) > allowed:
        raise InvalidInput("split_area_not_kept", parcel=code, parcel_area_m2=round(parent_m2, 2),
                           parts_area_m2=round(parts_m2, 2))


def merge_parcels(ctx: CommandContext, *, parcel_codes: list[str], new_parcel_code: str, region: Region,
                  tolerance: OverlapTolerance = DEFAULT_TOLERANCE) -> tuple[str, dict[str, Any]]:
    """Merge parcels of one sink type, holder and shares into ``new_parcel_code``."""
    if not isinstance(parcel_codes, list) or not all(isinstance(c, str) for c in parcel_codes):
        raise InvalidInput("value_invalid", field="parcel_codes", value=_safe(repr(parcel_codes))[:60])
    if len(set(parcel_codes)) < 2 or len(set(parcel_codes)) != len(parcel_codes):
        raise InvalidInput("value_invalid", field="parcel_codes", value=_safe(",".join(parcel_codes))[:60])
    if not isinstance(new_parcel_code, str) or not PARTY_ID.match(new_parcel_code):
        raise InvalidInput("value_invalid", field="new_parcel_code", value=_safe(repr(new_parcel_code))[:60])
    rows = [load_active(ctx, c) for c in parcel_codes]
    for row in rows:
        _refuse_under_contract(ctx, row.parcel_code)
    fields = _merged_fields(rows)
    geoms = [_geometry(r) for r in rows]
    union = shapely.orient_polygons(shapely.union_all(geoms))
    union_m2 = float(to_metres(np.array([union], dtype=object), region.area_epsg)[0].area)
    parts_m2 = sum(r.area_m2 for r in rows)
    if abs(union_m2 - parts_m2) > float(tolerance.allowed_m2(parts_m2, parts_m2)):
        raise InvalidInput("merge_area_not_kept", parcels_area_m2=round(parts_m2, 2), merged_area_m2=round(union_m2, 2))
    draft = ParcelDraft(row=1, parcel_code=new_parcel_code, geometry=union, area_m2=union_m2)
    problems, _ = registry_problems(ctx.session, ctx.actor, [draft], region, tolerance, ignore_codes=set(parcel_codes))
    if problems:
        raise refusal(problems)
    merged = write_parcels(ctx, [(new_parcel_code, fields, union, union_m2, [])], region, change="merged_from",
                           parents=list(parcel_codes))[0]
    parents = [append_version(ctx, r, change="merged", fields=record_fields(r), geometry=g, area_m2=r.area_m2,
                              status=MERGED, children=[new_parcel_code]) for r, g in zip(rows, geoms)]
    inherited = _inherit_issued_periods(ctx, list(parcel_codes), [new_parcel_code])
    result = {"parcel_code": new_parcel_code, "parents": list(parcel_codes), **area_summary(union_m2),
              "parents_area_m2": f"{parts_m2:.2f}"}
    return PARCELS_MERGED, {"parcel": merged, "parents": parents, "inherited_issued_periods": inherited,
                            "result": result}


def _merged_fields(rows: list[ParcelRow]) -> dict[str, Any]:
    fields = [record_fields(r) for r in rows]
    for key in ("sink_type", "holder_party_id", "household_shares_bp"):
        if any(f[key] != fields[0][key] for f in fields):
            raise InvalidInput("merge_parcels_differ", field=key)
    certs = sorted({f["tenure_cert_no"] for f in fields if f["tenure_cert_no"]})
    declared = [f["declared_area_mu"] for f in fields]

    return {**fields[0], "tenure_cert_no": "; ".join(certs)[:120] or None,
            "declared_area_mu": None if None in declared else f"{sum(Decimal(d) for d in declared):f}",
            "attributes": fields[0]["attributes"] if all(f["attributes"] == fields[0]["attributes"] for f in fields)
            else {}}


def _refuse_under_contract(ctx: CommandContext, code: str) -> None:
    contract = _under_contract(ctx, code)
    if contract is not None:
        raise Conflict("parcel_under_contract", parcel=code, contract=contract)


def _inherit_issued_periods(ctx: CommandContext, from_codes: list[str], to_codes: list[str]) -> list[dict[str, Any]]:
    """Copy the issued monitoring periods of the old parcels to the new ones: same land, same periods."""
    periods = ctx.session.exec(select(IssuedPeriodRow).where(IssuedPeriodRow.parcel_code.in_(from_codes))).all()
    out = []
    for p in periods:
        for code in to_codes:
            ctx.session.add(IssuedPeriodRow(parcel_code=code, period_start=p.period_start, period_end=p.period_end,
                                            issuance_seq=p.issuance_seq))
            out.append({"parcel_code": code, "from_parcel_code": p.parcel_code, "period_start": p.period_start,
                        "period_end": p.period_end, "issuance_seq": p.issuance_seq})
    ctx.session.flush()
    return out


# --- retire and delete -----------------------------------------------------------------------

def retire_parcel(ctx: CommandContext, *, parcel_code: str, retired_from: str, reason: str) -> tuple[str, dict[str, Any]]:
    """Leave a parcel out of every monitoring period from ``retired_from`` (YYYY-MM-DD) on."""
    row = load_active(ctx, parcel_code)
    _check_reason(reason)
    day = check_date(retired_from, "retired_from")
    record = append_version(ctx, row, change="retired", fields=record_fields(row), geometry=_geometry(row),
                            area_m2=row.area_m2, status=RETIRED, retired_from=day)
    result = {"parcel_code": parcel_code, "status": RETIRED, "retired_from": day, "version": record["version"]}
    return PARCEL_RETIRED, {"parcel": record, "reason": reason, "result": result}


def delete_parcel(ctx: CommandContext, *, parcel_code: str, reason: str) -> tuple[str, dict[str, Any]]:
    """Withdraw a parcel registered by mistake; refused once credits were issued for it."""
    row = load_active(ctx, parcel_code)
    _check_reason(reason)
    if _has_issued_credits(ctx, parcel_code):
        raise Conflict("parcel_has_issued_credits", parcel=parcel_code)
    _refuse_under_contract(ctx, parcel_code)
    record = append_version(ctx, row, change="deleted", fields=record_fields(row), geometry=_geometry(row),
                            area_m2=row.area_m2, status=DELETED)
    result = {"parcel_code": parcel_code, "status": DELETED, "version": record["version"]}
    return PARCEL_DELETED, {"parcel": record, "reason": reason, "result": result}


def _check_reason(reason: Any) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("reason_required")
    if len(reason) > 500:
        raise InvalidInput("text_too_long", field="reason", max_chars=500)
    if not reason.isprintable():
        raise InvalidInput("value_invalid", field="reason", value=_safe(repr(reason))[:40])
