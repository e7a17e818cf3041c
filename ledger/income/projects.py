"""Bundled projects (打捆开发): many small parcels of one sink type as one project.

A collection centre groups parcels it has collected into one project with one methodology and
one monitoring schedule (a start date and an interval in months: the monitoring periods are
[start + k × interval, start + (k + 1) × interval)). The project code is the one that appears in
the serials of its credits. A bundle estimate runs the methodology once over all the project's
parcels (their summed area); its issuance records each parcel's contribution
(:mod:`ledger.income.contributions`), so every credit traces back to parcels.

Rules: the parcels exist, are active, are of the project's sink type, are under a collection
contract of the acting centre, and are in no other project.
"""

from __future__ import annotations

import calendar
import json
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ledger.commands import CommandContext
from ledger.domain import EntryKind, check_date, check_project_code
from ledger.income.domain import check_codes, check_whole, is_key, shown
from ledger.income.permissions import require_party
from ledger.income.store import ProjectParcelRow, ProjectRow
from ledger.sale import check_text
from ledger.sql import Tx, in_list
from ledger.store import BatchRow, CollectionContractRow, ContractParcelRow
from methodologies.errors import MethodologyError
from methodologies.registry import get_methodology
from sinkledger_base.errors import Conflict, InvalidInput, NotFound
from sinks.store import ParcelRow

MAX_INTERVAL_MONTHS = 120
MAX_PARCELS = 5_000


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, the day clamped to the month's end.

    >>> add_months(date(2023, 1, 31), 1)
    datetime.date(2023, 2, 28)
    """
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def monitoring_periods(project: ProjectRow, count: int) -> list[tuple[str, str]]:
    """The first ``count`` monitoring periods of a project's schedule, as ISO dates."""
    start = date.fromisoformat(project.monitoring_start)
    return [(add_months(start, k * project.interval_months).isoformat(),
             add_months(start, (k + 1) * project.interval_months).isoformat()) for k in range(count)]


def get_project(session: Session, project_code: Any) -> ProjectRow:
    """A bundled project by code (``project_not_found``)."""
    row = session.get(ProjectRow, project_code) if is_key(project_code) else None
    if row is None:
        raise NotFound("project_not_found", project=shown(project_code, 20))
    return row


def _check_methodology(methodology_id: Any, sink_type: Any) -> None:
    try:
        methodology = get_methodology(methodology_id)
    except (MethodologyError, LookupError, TypeError):
        raise NotFound("methodology_unknown", methodology=shown(methodology_id, 80)) from None
    if methodology.sink_type != sink_type:
        raise InvalidInput("value_invalid", field="sink_type", value=shown(sink_type, 40))


def _check_parcels(session: Session, parcel_codes: Any, sink_type: str, centre_party_id: str) -> list[str]:
    """Every parcel registered, active, of the project's sink type, in no project and collected by
    the centre; the first that is not, in the order given, is refused. Read a few hundred parcels
    at a time (a bundle is hundreds of parcels), not one query per parcel and check."""
    codes = check_codes(parcel_codes, "parcel_codes", maximum=MAX_PARCELS)
    tx = Tx.of(session)
    parcels: dict[str, tuple[str, str]] = {}
    in_project: dict[str, str] = {}
    collected: set[str] = set()
    for i in range(0, len(codes), 500):
        marks, params = in_list("c", codes[i:i + 500])
        parcels.update((r[0], (r[1], r[2])) for r in tx.all(
            f"SELECT parcel_code, status, sink_type FROM parcel WHERE parcel_code IN ({marks})", params))
        in_project.update((r[0], r[1]) for r in tx.all(
            f"SELECT parcel_code, project_code FROM bundled_project_parcel WHERE parcel_code IN ({marks})", params))
        collected.update(r[0] for r in tx.all(
            f"SELECT cp.parcel_code FROM contract_parcel cp JOIN collection_contract c ON c.contract_no = cp.contract_no "
            f"WHERE cp.parcel_code IN ({marks}) AND c.centre_party_id = :centre", {**params, "centre": centre_party_id}))
    for code in codes:
        if code not in parcels:
            raise NotFound("parcel_not_found", parcel=shown(code, 40))
        status, parcel_sink_type = parcels[code]
        if status != "active":
            raise Conflict("parcel_not_active", parcel=code, status=status)
        if parcel_sink_type != sink_type:
            raise InvalidInput("value_invalid", field="sink_type", value=f"{code}: {parcel_sink_type}")
        if code in in_project:
            raise Conflict("parcel_in_project", parcel=code, project=in_project[code])
        if code not in collected:
            raise Conflict("parcel_not_collected", parcel=code)
    return sorted(parcel_codes)


def register_project(ctx: CommandContext, *, project_code: str, name: str, sink_type: str, methodology_id: str,
                     monitoring_start: str, interval_months: int, parcel_codes: list[str]) -> tuple[str, dict[str, Any]]:
    """The acting centre registers a bundled project over parcels it has collected."""
    if not isinstance(project_code, str) or not check_project_code(project_code):
        raise InvalidInput("value_invalid", field="project_code", value=shown(project_code, 40))
    if ctx.session.get(ProjectRow, project_code) is not None:
        raise Conflict("project_code_taken", project=project_code)
    _check_methodology(methodology_id, sink_type)
    project = {"project_code": project_code, "name": check_text(name, "name", 200), "sink_type": sink_type,
               "methodology_id": methodology_id, "centre_party_id": ctx.actor.party_id,
               "monitoring_start": check_date(monitoring_start, "monitoring_start"),
               "interval_months": check_whole(interval_months, "interval_months", minimum=1,
                                              maximum=MAX_INTERVAL_MONTHS)}
    codes = _check_parcels(ctx.session, parcel_codes, sink_type, ctx.actor.party_id)
    ctx.session.add(ProjectRow(seq=ctx.seq, **project))
    for code in codes:
        ctx.session.add(ProjectParcelRow(parcel_code=code, project_code=project_code, added_seq=ctx.seq))
    result = project | {"parcel_codes": codes}
    return EntryKind.project_registered.value, {"project": result, "result": result}


def add_parcels(ctx: CommandContext, *, project_code: str, parcel_codes: list[str]) -> tuple[str, dict[str, Any]]:
    """The project's centre adds parcels to it (from the next monitoring period on)."""
    project = get_project(ctx.session, project_code)
    require_party(ctx.actor, "project_add_parcels", project.centre_party_id)
    codes = _check_parcels(ctx.session, parcel_codes, project.sink_type, project.centre_party_id)
    for code in codes:
        ctx.session.add(ProjectParcelRow(parcel_code=code, project_code=project_code, added_seq=ctx.seq))
    result = {"project_code": project_code, "added": codes, "parcel_codes": project_parcels(ctx.session, project_code)}
    return EntryKind.project_parcels_added.value, {**result, "result": result}


def project_parcels(session: Session, project_code: str) -> list[str]:
    """The project's parcel codes, sorted."""
    return sorted(session.exec(select(ProjectParcelRow.parcel_code).where(
        ProjectParcelRow.project_code == project_code)).all())


def project_view(session: Session, project_code: str, *, periods: int = 5) -> dict[str, Any]:
    """A project with its parcels (area, holder, households), schedule and batches issued."""
    project = get_project(session, project_code)
    codes = project_parcels(session, project_code)
    parcels = session.exec(select(ParcelRow).where(ParcelRow.parcel_code.in_(codes))
                           .order_by(ParcelRow.parcel_code)).all() if codes else []
    batches = session.exec(select(BatchRow).where(BatchRow.project_code == project_code)
                           .order_by(BatchRow.issuance_seq, BatchRow.id)).all()
    return {**project.model_dump(), "monitoring_periods": monitoring_periods(project, periods),
            "parcels": [{"parcel_code": p.parcel_code, "holder_party_id": p.holder_party_id,
                         "area_ha": round(p.area_m2 / 10_000, 4), "area_mu": round(p.area_m2 * 15 / 10_000, 2),
                         "household_shares_bp": json.loads(p.household_shares or "{}")} for p in parcels],
            "area_ha": round(sum(p.area_m2 for p in parcels) / 10_000, 4),
            "batches": [{"batch_id": b.id, "vintage_year": b.vintage_year, "quantity": b.last - b.first + 1,
                         "buffer_t": b.buffer_quantity, "issuance_seq": b.issuance_seq,
                         "period": f"{b.period_start}..{b.period_end}"} for b in batches]}
