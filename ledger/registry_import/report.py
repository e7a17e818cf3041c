"""The reconciliation report of one import: what came in, what the books hold, what does not add up.

Built purely from the import's records, their booking, its problems and notices, and the
projects (:func:`build_report`); kept in the journal entry's result, printed by the command line
(``--json``) and written as a workbook (:mod:`sinkledger.documents.registry_reports`).

- **files**: per file its layout, rows read, rows imported, rows refused;
- **totals**: rows and credits in (whole tonnes, and kilograms for registries that count in kg),
  credits created, held (project and buffer accounts), retired, cancelled, ended (retired or
  cancelled, the registry does not say which), the discrepancy held aside (retired beyond what
  was issued), and the kilograms below a whole tonne that the ledger does not book;
- **projects**: per project the history's sums against the totals the registry publishes
  (issued, retired; ACR and CAR publish "credits registered"), reconciled as ``complete``
  (equal), ``incomplete`` (the files hold part of the history: fewer than published, or
  retirements whose issuance is not in the files), ``exceeds`` (more than published: an
  anomaly), ``unpublished`` (the registry publishes no total), or ``no_history``;
- **anomalies**, **notices** and **problems** (refused rows), each with its file and row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import AbstractSet, Any, Iterable, Mapping, Sequence

from ledger.registry_import.model import CreditStatus, ImportProblem, ProjectRecord, RegistryRecord

ENDED = (CreditStatus.retired, CreditStatus.cancelled, CreditStatus.ended)


@dataclass
class Booking:
    """How the import's records were booked: tonnes per row, and which rows created credits."""

    booked_t: dict[tuple, int] = field(default_factory=dict)  # row key -> tonnes booked
    excess_t: dict[tuple, int] = field(default_factory=dict)  # row key -> tonnes held as a discrepancy
    incomplete_t: dict[tuple, int] = field(default_factory=dict)  # row key -> tonnes held aside, no issuance
    creates: set[tuple] = field(default_factory=set)  # row keys of the rows that created credits
    parts: dict[tuple, dict[str, int]] = field(default_factory=dict)  # row key -> tonnes ended per account part
    created_t: dict[tuple, int] = field(default_factory=dict)  # row key -> tonnes created, where not its quantity
    incomplete_pools: set[str] = field(default_factory=set)  # pools (keys) with no issuance


def _key(r: RegistryRecord) -> tuple:
    return r.source, r.row_number, r.part


@dataclass
class ProjectSums:
    """One project's history in the import, in kilograms (tonnes times 1000 where counted in t)."""

    issued_kg: int = 0
    created_t: int = 0
    buffer_t: int = 0
    ended_t: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    retired_in_files_kg: int = 0
    discrepancy_t: int = 0
    incomplete: bool = False
    rows: int = 0
    published_vintages_kg: dict[tuple, int] = field(default_factory=dict)  # Verra's total per vintage


def _project_sums(records: Iterable[RegistryRecord], booking: Booking) -> dict[str, ProjectSums]:
    sums: dict[str, ProjectSums] = defaultdict(ProjectSums)
    for r in records:
        s, key = sums[r.project_id], _key(r)
        s.rows += 1
        if "vintage_kg" in r.published:
            vintage = (r.vintage_year, r.period_start, r.period_end)
            s.published_vintages_kg[vintage] = max(s.published_vintages_kg.get(vintage, 0), r.published["vintage_kg"])
        booked = booking.booked_t.get(key, r.quantity)
        if r.status is CreditStatus.issued or key in booking.creates:
            s.issued_kg += r.amount_kg
            s.created_t += r.quantity if key in booking.creates or r.status is CreditStatus.issued else 0
            s.buffer_t += r.quantity if r.account_part == "buffer" else 0
        if r.status in ENDED:
            s.ended_t[r.status.value] += booked
            s.discrepancy_t += booking.excess_t.get(key, 0)
            if r.status is CreditStatus.retired:
                s.retired_in_files_kg += r.amount_kg
        if r.pool and r.pool in booking.incomplete_pools:
            s.incomplete = True
    return sums


def _compare(history_kg: int, published_kg: int | None) -> str:
    if published_kg is None:
        return "unpublished"
    if history_kg == published_kg:
        return "complete"
    return "incomplete" if history_kg < published_kg else "exceeds"


def _project_row(p: ProjectRecord | None, project_id: str, s: ProjectSums | None,
                 anomalies: list[ImportProblem], registry: str) -> dict[str, Any]:
    s = s or ProjectSums()
    published_issued = p.published_issued_kg if p else None
    if published_issued is None and p is not None:
        published_issued = p.published_registered_kg
    from_vintages = published_issued is None and bool(s.published_vintages_kg)
    if from_vintages:  # the vintages' totals (Verra): a vintage exceeded is flagged as such
        published_issued = sum(s.published_vintages_kg.values())
    issued_state = _compare(s.issued_kg, published_issued) if s.rows else "no_history"
    retired_state = _compare(s.retired_in_files_kg, p.published_retired_kg if p else None) if s.rows else "no_history"
    states = {issued_state, retired_state}
    state = ("exceeds" if "exceeds" in states else "incomplete" if "incomplete" in states or s.incomplete
             else "no_history" if not s.rows else "complete" if "complete" in states else "unpublished")
    for what, st, history, published in (("issued", issued_state, s.issued_kg, published_issued),
                                         ("retired", retired_state, s.retired_in_files_kg,
                                          p.published_retired_kg if p else None)):
        if st == "exceeds" and not (what == "issued" and from_vintages):
            anomalies.append(ImportProblem(registry, "", 0,  # a project's, not a row's
                                           f"registry_{what}_exceeds_published",
                                           {"project_id": project_id, "history_kg": history,
                                            "published_kg": published}, None, severity="anomaly"))
    ended = s.ended_t
    return {"project_id": project_id, "project_code": p.project_code if p else "", "name": p.name if p else "",
            "sink_category": p.sink_category if p else "other", "project_type": p.project_type if p else "",
            "methodology": p.methodology if p else "", "country": p.country if p else "",
            "rows": s.rows, "issued_kg": s.issued_kg, "created_t": s.created_t, "buffer_t": s.buffer_t,
            "retired_t": ended["retired"], "cancelled_t": ended["cancelled"], "ended_t": ended["ended"],
            "held_t": s.created_t - sum(ended.values()), "discrepancy_t": s.discrepancy_t,
            "published_issued_kg": published_issued, "published_retired_kg": p.published_retired_kg if p else None,
            "retired_in_files_kg": s.retired_in_files_kg, "reconciliation": state}


NO_CREDITS = ("registry_row_without_credits", "registry_reversal_reported")


def _file_rows(files: Sequence[Mapping[str, Any]], records: Sequence[RegistryRecord],
               problems: Sequence[ImportProblem], notices: Sequence[ImportProblem]) -> list[dict[str, Any]]:
    """Per file: every row read is booked, kept as a project, noted as issuing nothing, or refused
    (``rows == rows_booked + rows_projects + rows_without_credits + rows_refused``)."""
    booked = {(r.source, r.row_number) for r in records}
    refused = {(p.source, p.row_number) for p in problems}
    no_credits = {(n.source, n.row_number) for n in notices if n.code in NO_CREDITS}
    out = []
    for f in files:
        src, rows = f["source"], f["rows"]
        n_refused = sum(1 for s, n in refused if s == src and n > 1)
        n_booked = sum(1 for s, _ in booked if s == src) if f["kind"] == "events" else 0
        n_none = sum(1 for s, _ in no_credits if s == src)
        n_projects = rows - n_refused if f["kind"] == "projects" else 0
        out.append({**f, "rows_booked": n_booked, "rows_projects": n_projects, "rows_without_credits": n_none,
                    "rows_refused": n_refused, "rows_unaccounted": rows - n_booked - n_projects - n_none - n_refused})
    return out


def build_report(*, registry: str, name: str, files: Sequence[Mapping[str, Any]], records: Sequence[RegistryRecord],
                 booking: Booking, problems: Sequence[ImportProblem], notices: Sequence[ImportProblem],
                 projects: Sequence[ProjectRecord], held: Mapping[str, int],
                 taken_up: AbstractSet[tuple] = frozenset()) -> dict[str, Any]:
    """The reconciliation report (see the module docstring); ``held`` is what the imported accounts
    hold after the import (``project_t``, ``buffer_t``) and what the registry's imports hold aside
    pending (``pending_t``). ``taken_up``: the keys of events an earlier import held aside that
    this one books (counted in what it books, not in the rows and credits it brings in)."""
    sums = _project_sums(records, booking)
    brought = [r for r in records if _key(r) not in taken_up]
    known = {p.project_id: p for p in projects}
    anomalies = [n for n in notices if n.severity == "anomaly"]
    project_rows = [_project_row(known.get(pid), pid, sums.get(pid), anomalies, registry)
                    for pid in sorted(set(known) | set(sums))]
    by_status = defaultdict(int)
    for r in records:
        by_status[r.status.value] += booking.booked_t.get(_key(r), r.quantity)
    created = {part: sum(booking.created_t.get(_key(r), r.quantity) for r in records
                         if _key(r) in booking.creates and r.account_part == part)
               for part in ("project", "buffer")}
    ended = {"project": 0, "buffer": 0}
    for r in records:
        if r.status in ENDED:
            for part, tonnes in booking.parts.get(_key(r), {r.account_part: r.quantity}).items():
                ended[part] += tonnes
    kg_rows = [r for r in brought if r.quantity_kg is not None]
    file_rows = _file_rows(files, brought, problems, notices)
    totals = {
        **{k: sum(f[k] for f in file_rows) for k in ("rows", "rows_booked", "rows_projects", "rows_without_credits",
                                                      "rows_unaccounted")},
        "rows_imported": len({(r.source, r.row_number) for r in brought}),
        "rows_refused": len({(p.source, p.row_number) for p in problems}),
        "records": len(brought), "credits_in_t": sum(r.quantity for r in brought),
        "credits_in_kg": sum(r.amount_kg for r in brought), "taken_up_rows": len(records) - len(brought), "created_t": created["project"] + created["buffer"],
        "created_buffer_t": created["buffer"],
        "retired_t": by_status["retired"], "cancelled_t": by_status["cancelled"], "ended_t": by_status["ended"],
        "held_t": created["project"] - ended["project"], "buffer_held_t": created["buffer"] - ended["buffer"],
        "account_held_t": held.get("project_t", 0), "account_buffer_held_t": held.get("buffer_t", 0),
        "discrepancy_t": sum(booking.excess_t.values()),
        "incomplete_t": sum(booking.incomplete_t.values()), "pending_t": held.get("pending_t", 0),
        "below_a_tonne_kg": sum(r.quantity_kg - r.quantity * 1000 for r in kg_rows if r.quantity_kg is not None),
    }
    states = defaultdict(int)
    for row in project_rows:
        states[row["reconciliation"]] += 1
    return {"registry": registry, "name": name, "files": file_rows,
            "totals": totals, "projects": project_rows, "project_states": dict(sorted(states.items())),
            "anomalies": [a.to_record() for a in anomalies],
            "notices": [n.to_record() for n in notices if n.severity != "anomaly"],
            "problems": [p.to_record() for p in problems]}
