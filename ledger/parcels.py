"""Parcel registration (登记): checks against the registry, then one journal entry.

A plan (:mod:`sinks.importer`) has already checked every row on its own and the rows against
each other. Here, inside the command's transaction, each row is checked against the registry
(code taken, holder, households, permission, overlap with active parcels of any sink type and
holder), every problem is collected, and either all rows are written, with their first version,
in one journal entry, or none is: ``parcel_registered`` for one parcel drawn on a map,
``parcels_imported`` for a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlmodel import Session

from ledger.commands import CommandContext
from ledger.domain import EntryKind, PartyKind
from ledger.permissions import require_owner
from ledger.sql import Tx, in_list
from sinkledger_base.canonical import sha256_hex
from sinkledger_base.errors import InvalidInput, NotPermitted
from sinks.geometry import M2_PER_HA, M2_PER_MU, to_metres
from sinks.importer import ImportPlan, ParcelDraft
from sinks.overlap import DEFAULT_TOLERANCE, OverlapTolerance, overlap_geojson, overlaps_between
from sinks.problems import Problem, records, refusal
from sinks.regions import Region
from sinks.store import ACTIVE, SPATIAL_INDEX_PROBES, spatial_kind_from_probe
from sinks.versions import (
    GENESIS_VERSION_HASH,
    area_text,
    canonical_record,
    geometry_wkb,
    new_record,
)

PARCELS_IMPORTED = "parcels_imported"  # EntryKind.parcels_imported once ledger.domain has it
PERMISSION = "register_parcel"  # every parcel command is checked as this one (ledger/permissions.py)
HOLDER_KINDS = {PartyKind.collective.value, PartyKind.collection_centre.value}
CHUNK = 500


@dataclass(frozen=True)
class Candidate:
    """A registered active parcel near the new ones."""

    parcel_code: str
    geometry: shapely.Geometry
    area_m2: float


# --- checks against the registry --------------------------------------------------------------

def registry_problems(session: Session, actor: Any, drafts: list[ParcelDraft], region: Region,
                      tolerance: OverlapTolerance, ignore_codes: Iterable[str] = (),
                      check_codes: bool = True) -> tuple[list[Problem], dict[int, str]]:
    """Every problem of ``drafts`` against the registry, and each row's holder party id."""
    problems: list[Problem] = []
    known = _registry_reads(Tx.of(session), drafts, check_codes)
    if check_codes:
        problems += _codes_taken(session, drafts, known.taken if known else None)
    holders, found = holder_problems(session, actor, drafts, known.parties if known else None)
    problems += found + household_problems(session, drafts, known.kinds if known else None)
    problems += _overlaps(session, drafts, region, tolerance, set(ignore_codes), known.spatial if known else None)
    return problems, holders


@dataclass(frozen=True)
class RegistryReads:
    """What the registry checks of a few drafts read, read by one statement (:func:`_registry_reads`)."""

    taken: set[str]  # the drafts' codes already registered
    parties: dict[str, str]  # the parties the drafts name as holders (by id or name) that may hold: id → name
    kinds: dict[str, str]  # the drafts' household party ids → their kinds
    spatial: str  # the spatial index (sinks.store.spatial_kind_from_probe)


def _registry_reads(tx: Tx, drafts: list[ParcelDraft], check_codes: bool) -> RegistryReads | None:
    """The reads of :func:`_codes_taken`, :func:`holder_problems`, :func:`household_problems` and
    the spatial index probe of :func:`active_candidates` as one ``UNION ALL`` (one round trip where
    there were four: a drawn parcel, issue 17); ``None`` when a list is longer than one chunk (a
    file: each check reads in chunks of its own)."""
    codes = [d.parcel_code for d in drafts if d.parcel_code] if check_codes else []
    named = sorted({d.holder for d in drafts if d.holder is not None})
    ids = sorted({p for d in drafts for p in d.household_shares_bp})
    if max(len(codes), len(named), len(ids)) > CHUNK:
        return None
    parts, params = [], {}
    if codes:
        marks, found = in_list("c", codes)
        parts.append(f"SELECT 'c' AS k, parcel_code AS a, NULL AS b FROM parcel WHERE parcel_code IN ({marks})")
        params |= found
    if named:
        kinds, kind_params = in_list("k", sorted(HOLDER_KINDS))
        marks, found = in_list("n", named)
        parts.append(f"SELECT 'p', id, name FROM party WHERE kind IN ({kinds}) AND (id IN ({marks}) OR name IN ({marks}))")
        params |= kind_params | found
    if ids:
        marks, found = in_list("h", ids)
        parts.append(f"SELECT 'h', id, kind FROM party WHERE id IN ({marks})")
        params |= found
    dialect = "postgresql" if tx.pg else "sqlite"
    parts.append(f"SELECT 's', NULL, NULL WHERE EXISTS ({SPATIAL_INDEX_PROBES[dialect]})")
    taken, parties, household_kinds, probe = set(), {}, {}, False
    for k, a, b in tx.all(" UNION ALL ".join(parts), params):
        if k == "c":
            taken.add(a)
        elif k == "p":
            parties[a] = b
        elif k == "h":
            household_kinds[a] = b
        else:
            probe = True
    return RegistryReads(taken, parties, household_kinds, spatial_kind_from_probe(dialect, probe))


def _codes_taken(session: Session | Tx, drafts: list[ParcelDraft], taken: set[str] | None = None) -> list[Problem]:
    if taken is None:
        codes = [d.parcel_code for d in drafts if d.parcel_code]
        taken = set()
        tx = Tx.of(session)
        for i in range(0, len(codes), CHUNK):
            marks, params = in_list("c", codes[i:i + CHUNK])
            taken |= {r[0] for r in tx.all(f"SELECT parcel_code FROM parcel WHERE parcel_code IN ({marks})", params)}
    return [Problem("parcel_code_taken", row=d.row, field="parcel_code", parcel_code=d.parcel_code)
            for d in drafts if d.parcel_code in taken]


def holder_problems(session: Session | Tx, actor: Any, drafts: list[ParcelDraft],
                    parties: dict[str, str] | None = None) -> tuple[dict[int, str], list[Problem]]:
    """Holder party ids by row: a draft names its holder by party id or by exact registered name.
    ``parties``: the parties read already (:class:`RegistryReads`)."""
    # Only the parties a draft names, by id or by name (not every collective of the county): the
    # same answer, since a holder matches a party only through its id or its exact name.
    tx = Tx.of(session)
    named = [] if parties is not None else sorted({d.holder for d in drafts if d.holder is not None})
    kinds, kind_params = in_list("k", sorted(HOLDER_KINDS))
    parties = {} if parties is None else parties  # id → name
    for i in range(0, len(named), CHUNK):
        marks, params = in_list("n", named[i:i + CHUNK])
        parties |= {r[0]: r[1] for r in tx.all(
            f"SELECT id, name FROM party WHERE kind IN ({kinds}) AND (id IN ({marks}) OR name IN ({marks}))",
            {**kind_params, **params})}
    by_name: dict[str, list[str]] = {}
    for party_id, name in parties.items():
        by_name.setdefault(name, []).append(party_id)
    holders, problems = {}, []
    for d in drafts:
        if d.holder is None:
            continue
        party_id = d.holder if d.holder in parties else (by_name.get(d.holder) or [None, None])[0]
        if party_id is None or len(by_name.get(d.holder, [])) > 1:
            problems.append(_unknown_holder(tx, d))
            continue
        try:
            require_owner(actor, PERMISSION, party_id)
        except NotPermitted as exc:
            problems.append(Problem(exc.code, row=d.row, field="holder", **exc.params))
            continue
        holders[d.row] = party_id
    return holders, problems


def _unknown_holder(tx: Tx, d: ParcelDraft) -> Problem:
    party = tx.one("SELECT kind FROM party WHERE id = :p", {"p": d.holder}) if isinstance(d.holder, str) else None
    if party is not None:
        return Problem("holder_kind_invalid", row=d.row, field="holder", party=d.holder, kind=party[0])
    return Problem("party_not_found", row=d.row, field="holder", party=d.holder)


def household_problems(session: Session | Tx, drafts: list[ParcelDraft],
                       kinds: dict[str, str] | None = None) -> list[Problem]:
    ids = sorted({p for d in drafts for p in d.household_shares_bp})
    if not ids:
        return []
    tx = Tx.of(session)
    if kinds is not None:
        ids = []
    kinds = {} if kinds is None else kinds
    for i in range(0, len(ids), CHUNK):
        marks, params = in_list("p", ids[i:i + CHUNK])
        kinds |= {r[0]: r[1] for r in tx.all(f"SELECT id, kind FROM party WHERE id IN ({marks})", params)}
    return [Problem("household_party_invalid", row=d.row, field="household_shares", party=p)
            for d in drafts for p in d.household_shares_bp if kinds.get(p) != PartyKind.household.value]


def active_candidates(session: Session | Tx, bounds: tuple[float, float, float, float],
                      ignore_codes: set[str] = frozenset(), spatial: str | None = None) -> list[Candidate]:
    """Active parcels whose bounding box meets ``bounds`` (lon/lat).

    The spatial index answers: an R*Tree on SQLite, a PostGIS GiST index on PostgreSQL; without
    PostGIS, ``min_lon`` is searched in ``[x0 - widest parcel, x1]`` along the
    ``(status, min_lon)`` index. Either way one new parcel reads only its neighbourhood.
    """
    tx = Tx.of(session)
    x0, y0, x1, y1 = (float(v) for v in bounds)
    box = {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "active": ACTIVE}
    dialect = "postgresql" if tx.pg else "sqlite"
    kind = spatial or spatial_kind_from_probe(dialect, tx.one(SPATIAL_INDEX_PROBES[dialect]) is not None)
    if kind == "rtree":
        # The R*Tree drives (CROSS JOIN fixes SQLite's join order): left to itself, SQLite's planner
        # walked the status index over every active parcel and probed the R*Tree for each (issue 17).
        return _candidates(tx.all(RTREE_CANDIDATES, box), ignore_codes)
    if kind == "postgis":
        return _candidates(tx.all(f"SELECT {CANDIDATE_COLUMNS} FROM parcel WHERE status = :active "
                                  "AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490) ORDER BY id", box),
                           ignore_codes)
    # Over all parcels, not only active ones: an upper bound is enough, and the lon_span index answers it.
    widest = (tx.one("SELECT max(lon_span) FROM parcel") or (None,))[0] or 0.0
    return _candidates(tx.all(f"SELECT {CANDIDATE_COLUMNS} FROM parcel WHERE status = :active "
                              "AND min_lon >= :low AND min_lon <= :x1 AND max_lon >= :x0 AND min_lat <= :y1 "
                              "AND max_lat >= :y0 ORDER BY id", {**box, "low": x0 - widest}), ignore_codes)


CANDIDATE_COLUMNS = "parcel_code, geometry_wkb, area_m2"
RTREE_CANDIDATES = (
    "SELECT p.parcel_code, p.geometry_wkb, p.area_m2 FROM parcel_rtree r CROSS JOIN parcel p ON p.id = r.id"
    " WHERE r.max_lon >= :x0 AND r.min_lon <= :x1 AND r.max_lat >= :y0 AND r.min_lat <= :y1 AND p.status = :active"
    " ORDER BY p.id")


def _candidates(rows: Any, ignore_codes: set[str]) -> list[Candidate]:
    rows = [r for r in rows if r[0] not in ignore_codes]
    geoms = shapely.from_wkb([r[1] for r in rows]) if rows else []
    return [Candidate(r[0], g, r[2]) for r, g in zip(rows, geoms)]


def _overlaps(session: Session, drafts: list[ParcelDraft], region: Region, tolerance: OverlapTolerance,
              ignore_codes: set[str], spatial: str | None = None) -> list[Problem]:
    placed = [d for d in drafts if d.geometry is not None]
    if not placed:
        return []
    bounds = shapely.total_bounds(np.array([d.geometry for d in placed], dtype=object))
    existing = active_candidates(session, tuple(bounds), ignore_codes, spatial)
    if not existing:
        return []
    new_m = to_metres(np.array([d.geometry for d in placed], dtype=object), region.area_epsg)
    old_m = to_metres(np.array([c.geometry for c in existing], dtype=object), region.area_epsg)
    pairs = overlaps_between(new_m, np.array([d.area_m2 for d in placed]), old_m,
                             np.array([c.area_m2 for c in existing]), tolerance)
    by_row: dict[int, list[dict[str, Any]]] = {}
    for pair in pairs:
        draft, other = placed[pair.i], existing[pair.j]
        by_row.setdefault(draft.row, []).append({"parcel_code": other.parcel_code, "overlap_m2": pair.overlap_m2,
                                                 "overlap": overlap_geojson(draft.geometry, other.geometry)})
    return [Problem("parcel_overlaps_existing", row=row, field="geometry",
                    conflicts=", ".join(o["parcel_code"] for o in found),
                    overlap_m2=round(sum(o["overlap_m2"] for o in found), 2), overlaps=found)
            for row, found in by_row.items()]


# --- writing ---------------------------------------------------------------------------------

def draft_fields(d: ParcelDraft, holder_party_id: str) -> dict[str, Any]:
    return {"sink_type": d.sink_type, "holder_party_id": holder_party_id, "county_code": d.county_code,
            "tenure_cert_no": d.tenure_cert_no, "tenure_cert_kind": d.tenure_cert_kind,
            "tenure_ownership": d.tenure_ownership, "household_shares_bp": dict(sorted(d.household_shares_bp.items())),
            "declared_area_mu": d.declared_area_mu, "attributes": d.attributes}


def write_parcels(ctx: CommandContext, items: list[tuple[str, dict[str, Any], shapely.Geometry, float, list]],
                  region: Region, *, change: str, parents: list[str] = (),
                  progress: Callable[[int, int, str], None] | None = None) -> list[dict[str, Any]]:
    """Insert new parcels (code, fields, geometry, area, flags) and their first version; return the
    records. ``progress(done, total, parcel_code)`` hears every 500th parcel and the last."""
    parcel_rows, version_rows, out = [], [], []
    report, total = progress or (lambda done, total, label: None), len(items)
    for n, (code, fields, geometry, area, flags) in enumerate(items, start=1):
        wkb = geometry_wkb(geometry)
        record = new_record(parcel_code=code, version=1, change=change, seq=ctx.seq, prev_hash=GENESIS_VERSION_HASH,
                            fields=fields, area_m2=area, area_epsg=region.area_epsg, wkb=wkb, status=ACTIVE,
                            parents=list(parents), flags=flags)
        text = canonical_record(record)
        digest = sha256_hex(text)
        parcel_rows.append(parcel_row(record, wkb, geometry, area, digest, registered_seq=ctx.seq))
        version_rows.append({"parcel_code": code, "version": 1, "seq": ctx.seq, "change": change,
                             "record": text, "geometry_wkb": wkb, "version_hash": digest})
        out.append({**record, "version_hash": digest})
        if n % 500 == 0 or n == total:
            report(n, total, code)
    if len(parcel_rows) == 1 and ctx.tx.pg:  # one drawn parcel: both rows in one statement (one round trip)
        ctx.tx.run(_one_parcel_sql(tuple(parcel_rows[0]), tuple(version_rows[0])),
                   {**{f"p_{k}": v for k, v in parcel_rows[0].items()}, **{f"v_{k}": v for k, v in version_rows[0].items()}})
        return out
    for i in range(0, len(parcel_rows), 5_000):
        ctx.tx.insert_rows("parcel", parcel_rows[i:i + 5_000])
        ctx.tx.insert_rows("parcel_version", version_rows[i:i + 5_000])
    return out


_ONE_PARCEL_SQL: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}


def _one_parcel_sql(parcel_columns: tuple[str, ...], version_columns: tuple[str, ...]) -> str:
    """PostgreSQL: a parcel row and its first version row in one statement (a data-modifying CTE;
    parameters ``p_<column>`` and ``v_<column>``), made once per column lists."""
    key = (parcel_columns, version_columns)
    sql = _ONE_PARCEL_SQL.get(key)
    if sql is None:
        sql = _ONE_PARCEL_SQL[key] = (
            f"WITH p AS (INSERT INTO parcel ({', '.join(parcel_columns)}) "
            f"VALUES ({', '.join(':p_' + c for c in parcel_columns)})) "
            f"INSERT INTO parcel_version ({', '.join(version_columns)}) "
            f"VALUES ({', '.join(':v_' + c for c in version_columns)})")
    return sql


def parcel_row(record: dict[str, Any], wkb: bytes, geometry: shapely.Geometry, area: float, digest: str,
               *, registered_seq: int) -> dict[str, Any]:
    """Column values of the ``parcel`` projection for a version record."""
    x0, y0, x1, y1 = geometry.bounds
    declared = record["declared_area_mu"]
    return {"parcel_code": record["parcel_code"], "sink_type": record["sink_type"],
            "holder_party_id": record["holder_party_id"], "county_code": record["county_code"],
            "tenure_cert_no": record["tenure_cert_no"], "tenure_cert_kind": record["tenure_cert_kind"],
            "tenure_ownership": record["tenure_ownership"],
            "household_shares": json.dumps(record["household_shares_bp"], sort_keys=True),
            "status": record["status"], "retired_from": record["retired_from"], "area_m2": area,
            "area_epsg": record["area_epsg"], "declared_area_mu": None if declared is None else float(declared),
            "geometry_wkb": wkb, "geometry_sha256": record["geometry_sha256"], "min_lon": x0, "min_lat": y0,
            "max_lon": x1, "max_lat": y1, "lon_span": x1 - x0,
            "attributes": json.dumps(record["attributes"], ensure_ascii=False, sort_keys=True),
            "flags": json.dumps(record["flags"], ensure_ascii=False, sort_keys=True),
            "parents": json.dumps(record["parents"]), "version": record["version"], "version_hash": digest,
            "registered_seq": registered_seq, "updated_seq": record["seq"]}


def area_summary(area_m2: float) -> dict[str, str]:
    """Area in hectares (4 decimals) and mu (2 decimals), as decimal strings."""
    return {"area_ha": f"{area_m2 / M2_PER_HA:.4f}", "area_mu": f"{area_m2 / M2_PER_MU:.2f}"}


# --- the commands ----------------------------------------------------------------------------

def checked_drafts(ctx: CommandContext, plan: ImportPlan, region: Region,
                   tolerance: OverlapTolerance) -> tuple[list[ParcelDraft], dict[int, str], list[Problem]]:
    """All drafts, holder ids, and every problem (the plan's and the registry's)."""
    problems, holders = registry_problems(ctx.tx, ctx.actor, plan.drafts, region, tolerance)
    return plan.drafts, holders, [*plan.problems, *problems]


def register_parcel(ctx: CommandContext, *, plan: ImportPlan, region: Region,
                    tolerance: OverlapTolerance = DEFAULT_TOLERANCE) -> tuple[str, dict[str, Any]]:
    """Register one parcel (a drawn geometry): one ``parcel_registered`` entry.

    Raises
    ------
    SinkLedgerError
        The first problem found, with its own code (``geometry_invalid``,
        ``parcel_overlaps_existing`` ...), carrying every problem in ``problems``.
    """
    drafts, holders, problems = checked_drafts(ctx, plan, region, tolerance)
    if problems:
        raise refusal(problems)
    d = drafts[0]
    record = write_parcels(ctx, [(d.parcel_code, draft_fields(d, holders[d.row]), d.geometry, d.area_m2, d.flags)],
                           region, change="registered")[0]
    result = {"parcel_code": d.parcel_code, "sink_type": d.sink_type, "holder_party_id": holders[d.row],
              **area_summary(d.area_m2), "area_epsg": region.area_epsg, "geometry_sha256": record["geometry_sha256"],
              "version": 1, "version_hash": record["version_hash"], "flags": [f.code for f in d.flags]}
    payload = {**result, "county_code": d.county_code, "tenure_cert_no": d.tenure_cert_no,
               "attributes": d.attributes, "parcel": record, "result": result}
    return EntryKind.parcel_registered.value, payload


def import_parcels(ctx: CommandContext, *, plan: ImportPlan, region: Region,
                   tolerance: OverlapTolerance = DEFAULT_TOLERANCE,
                   progress: Callable[[int, int, str], None] | None = None) -> tuple[str, dict[str, Any]]:
    """Register every row of a file in one ``parcels_imported`` entry, or none.

    Raises
    ------
    InvalidInput
        ``parcel_import_has_problems`` with the per-row report of every problem;
        ``nothing_to_import`` for a file without rows.
    """
    drafts, holders, problems = checked_drafts(ctx, plan, region, tolerance)
    if problems:
        raise InvalidInput("parcel_import_has_problems", source=plan.source["name"], count=len(problems),
                           rows=len({p.row for p in problems}), problems=records(problems),
                           notices=records(plan.notices))
    if not drafts:
        raise InvalidInput("nothing_to_import", source=plan.source["name"])
    written = write_parcels(ctx, [(d.parcel_code, draft_fields(d, holders[d.row]), d.geometry, d.area_m2, d.flags)
                                  for d in drafts], region, change="imported", progress=progress)
    total_m2 = sum(d.area_m2 for d in drafts)
    result = {"source": plan.source["name"], "source_sha256": plan.source["sha256"], "parcels_registered": len(drafts),
              **area_summary(total_m2), "area_epsg": region.area_epsg,
              "first_parcel_code": drafts[0].parcel_code, "last_parcel_code": drafts[-1].parcel_code,
              "flags": [{"row": d.row, "parcel_code": d.parcel_code, "code": f.code} for d in drafts for f in d.flags],
              "notices": [n.code for n in plan.notices]}
    payload = {"source": plan.source, "options": plan.options.to_content(), "parcels": written,
               "total_area_m2": area_text(total_m2), "result": result}
    return PARCELS_IMPORTED, payload
