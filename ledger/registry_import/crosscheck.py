"""Reconciliation across sources: a project that two imported files both describe (issue 20).

The same project can reach the ledger from several exports: CarbonPlan's crediting file lists
California compliance projects by their registry id (``ACR182``), the ARB issuance sheet lists
their issuances under a CARB id with the same registry id beside it (``OPR Project ID``), and
ACR's or CAR's own export lists the project again. Projects of different sources are the same
project when one's id or related id is the other's (compared without case or separators).

For each such project, each source's figure for the credits issued **to the project** (the
buffer's share apart) is set side by side:

- what the ledger booked from that source's history (its batches, buffer pools aside), when it
  has any;
- else the total the source publishes (CarbonPlan's ``arbocs``, Isometric's or Cercarbono's
  issued total, ACR's and CAR's "credits registered").

The project ``agrees`` when every source says the same, ``differs`` otherwise (the largest
difference in tonnes is given, and which source says what): a difference is reported, never
resolved, as the sources may be of different dates.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

_SQL = """
SELECT p.source_registry, p.project_id, p.related_id, p.name, p.published_issued_kg, p.published_registered_kg,
       (SELECT sum(b.last - b.first + 1) FROM batch b WHERE b.methodology_id = :imported
          AND b.methodology_version = p.source_registry AND b.project_code = p.project_code
          AND b.serial_prefix NOT LIKE :buffer),
       (SELECT sum(b.last - b.first + 1) FROM batch b WHERE b.methodology_id = :imported
          AND b.methodology_version = p.source_registry AND b.project_code = p.project_code
          AND b.serial_prefix LIKE :buffer)
FROM registry_project p
ORDER BY p.source_registry, p.project_id
"""


def id_key(value: str | None) -> str:
    """An id compared without case or separators (``ACR-182`` = ``acr182``)."""
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


def _figure(row: tuple) -> dict[str, Any]:
    registry, pid, related, name, published_kg, registered_kg, history_t, buffer_t = row
    if history_t:
        issued_t, basis = int(history_t), "history"
    elif published_kg is not None:
        issued_t, basis = int(published_kg) // 1000, "published_issued"
    elif registered_kg is not None:
        issued_t, basis = int(registered_kg) // 1000, "published_registered"
    else:
        issued_t, basis = None, "none"
    return {"registry": registry, "project_id": pid, "related_id": related, "name": name, "issued_t": issued_t,
            "basis": basis, "buffer_t": int(buffer_t or 0)}


def cross_sources(session: Session, registry: str | None = None, *, methodology_id: str) -> list[dict[str, Any]]:
    """Every project two or more sources describe, with each source's figure and whether they
    agree; only the groups ``registry`` takes part in when given. ``methodology_id`` marks the
    imported batches (``ledger.registry_import.apply.METHODOLOGY_ID``, which imports this module)."""
    params = {"imported": methodology_id, "buffer": "%:BUFFER"}
    figures = [_figure(tuple(r)) for r in session.execute(text(_SQL), params).all()]
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(figures):
        for key in {id_key(f["project_id"]), id_key(f["related_id"])} - {""}:
            by_key[key].append(i)
    parent = list(range(len(figures)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for members in by_key.values():
        for i in members[1:]:
            parent[root(i)] = root(members[0])
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for i, f in enumerate(figures):
        groups[root(i)].append(f)
    out = []
    for members in groups.values():
        if len({m["registry"] for m in members}) < 2 or (registry and registry not in {m["registry"] for m in members}):
            continue
        stated = [m["issued_t"] for m in members if m["issued_t"] is not None]
        difference = max(stated) - min(stated) if stated else 0
        counts = Counter(k for m in members for k in {id_key(m["project_id"]), id_key(m["related_id"])} - {""})
        out.append({"project": max(sorted(counts), key=lambda k: counts[k]),
                    "sources": sorted(members, key=lambda m: (m["registry"], m["project_id"])),
                    "state": "agrees" if len(stated) >= 2 and difference == 0 else
                             "differs" if len(stated) >= 2 else "unstated",
                    "difference_t": difference})
    return sorted(out, key=lambda g: g["project"])
