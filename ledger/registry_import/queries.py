"""Reads of imported registries: their projects with the credits the ledger holds for them, and
the reconciliation report of a past import.

An imported batch names its registry (``batch.methodology_version``) and its project's short
code (``batch.project_code``); ``registry_project`` gives the project's sink category, type,
methodology and country, so imported credits can be picked out by any of them (e.g. the AFOLU
credits of an imported registry: ``sink_category`` other than ``other``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ledger.registry_import.apply import ENTRY_KIND, METHODOLOGY_ID
from sinkledger_base.errors import NotFound

FILTERS = ("registry", "sink_category", "country", "project_type", "methodology")
MAX_PROJECTS = 10_000

_PROJECTS_SQL = f"""
SELECT p.source_registry, p.project_id, p.project_code, p.name, p.sink_category, p.project_type, p.methodology,
       p.country, p.status, p.published_issued_kg, p.published_retired_kg, p.area_m2, p.latitude_microdeg,
       p.longitude_microdeg, COALESCE(SUM(bl.quantity), 0),
       COALESCE(SUM(CASE WHEN bl.state = 'held' THEN bl.quantity ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN bl.state = 'retired' THEN bl.quantity ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN bl.state = 'cancelled' THEN bl.quantity ELSE 0 END), 0)
FROM registry_project p
LEFT JOIN batch b ON b.methodology_id = '{METHODOLOGY_ID}' AND b.methodology_version = p.source_registry
                 AND b.project_code = p.project_code
LEFT JOIN balance bl ON bl.batch_id = b.id
WHERE {{where}}
GROUP BY p.source_registry, p.project_id, p.project_code, p.name, p.sink_category, p.project_type, p.methodology,
         p.country, p.status, p.published_issued_kg, p.published_retired_kg, p.area_m2, p.latitude_microdeg,
         p.longitude_microdeg
ORDER BY p.source_registry, p.project_id
LIMIT {MAX_PROJECTS}
"""
_COLUMNS = ("registry", "project_id", "project_code", "name", "sink_category", "project_type", "methodology",
            "country", "status", "published_issued_kg", "published_retired_kg", "area_m2", "latitude_microdeg",
            "longitude_microdeg", "issued_t", "held_t", "retired_t", "cancelled_t")


# events held aside until an issuance covers them (not credits of the ledger: apart from the balances)
_PENDING_SQL = "SELECT source_registry, project_id, SUM(pending_t) FROM registry_pending GROUP BY source_registry, project_id"


def imported_projects(session: Session, **filters: str | None) -> dict[str, Any]:
    """Imported projects matching ``filters`` (exact values of :data:`FILTERS`), each with the
    credits the ledger holds for it and the tonnes of its events held aside pending, and their totals."""
    where, params = ["1 = 1"], {}
    for name in FILTERS:
        if filters.get(name):
            where.append(f"p.{'source_registry' if name == 'registry' else name} = :{name}")
            params[name] = filters[name]
    rows = session.execute(text(_PROJECTS_SQL.format(where=" AND ".join(where))), params).all()
    projects = [dict(zip(_COLUMNS, row)) for row in rows]
    pending = {(r, pid): int(t) for r, pid, t in session.execute(text(_PENDING_SQL))}
    for p in projects:
        p["area_ha"] = round(p["area_m2"] / 10_000, 2) if p["area_m2"] is not None else None
        p["pending_t"] = pending.get((p["registry"], p["project_id"]), 0)
    totals = {k: sum(int(p[k]) for p in projects)
              for k in ("issued_t", "held_t", "retired_t", "cancelled_t", "pending_t")}
    return {"filters": {k: v for k, v in filters.items() if v}, "projects": projects,
            "totals": {"projects": len(projects), **totals}}


def import_report(session: Session, seq: int) -> dict[str, Any]:
    """The reconciliation report recorded by import entry ``seq``.

    Raises
    ------
    NotFound
        ``entry_not_found`` when entry ``seq`` is not a registry import.
    """
    row = session.execute(text("SELECT body FROM journal_entry WHERE seq = :s AND kind = :k"),
                          {"s": seq, "k": ENTRY_KIND}).first()
    if row is None:
        raise NotFound("entry_not_found", seq=seq)
    result = json.loads(row[0])["payload"].get("result", {})
    if "report" not in result:  # an import recorded before reports existed
        raise NotFound("registry_report_not_recorded", seq=seq)
    return {**result["report"], "seq": seq}
