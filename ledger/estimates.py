"""Recording an estimate (测算): run a methodology on a parcel set and keep the whole trace.

The registered parcel area is authoritative: the methodology runs with the sum of the parcels'
areas (in ha, measured in the region's Gauss-Krüger zone), whatever area the inputs name.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Mapping

from sqlmodel import select

from ledger.commands import CommandContext
from ledger.domain import EntryKind
from ledger.permissions import require_owner
from ledger.store import EstimateRow
from methodologies.errors import MethodologyError
from methodologies.registry import get_methodology
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, printable
from sinks.geometry import M2_PER_HA
from sinks.store import ParcelRow


def estimate_id(seq: int) -> str:
    return f"EST-{seq:08d}"


def methodology_refusal(exc: Exception) -> InvalidInput:
    """Turn a methodology's list of input problems into one refusal.

    The methodology renders its own problems (its catalogue is domain data,
    :mod:`methodologies.messages`); the refusal carries them as parameters, joined, so that the
    edge's template ``methodology_input_invalid`` shows every one of them.
    """
    problems = getattr(exc, "problems", None) or [exc]
    zh = "；".join(getattr(p, "message_zh", str(p)) for p in problems)
    en = "; ".join(getattr(p, "message_en", str(p)) for p in problems)
    return InvalidInput("methodology_input_invalid", problems_en=printable(en, 2000),
                        problems_zh=printable(zh, 2000),
                        problem_codes=[getattr(p, "code", "invalid") for p in problems])


def _load_parcels(ctx: CommandContext, parcel_codes: list[str]) -> list[ParcelRow]:
    if not parcel_codes or len(set(parcel_codes)) != len(parcel_codes):
        raise InvalidInput("value_invalid", field="parcel_codes", value=",".join(map(str, parcel_codes))[:60])
    found: dict[str, ParcelRow] = {}
    codes = [c for c in parcel_codes if isinstance(c, str)]
    for i in range(0, len(codes), 500):  # one query per 500 parcels (a bundle is hundreds)
        for row in ctx.session.exec(select(ParcelRow).where(ParcelRow.parcel_code.in_(codes[i:i + 500]))):
            found[row.parcel_code] = row
    rows = []
    for code in parcel_codes:
        row = found.get(code) if isinstance(code, str) else None
        if row is None:
            raise NotFound("parcel_not_found", parcel=code)
        if row.status not in ("active", "retired"):  # superseded by a split, merge or new version
            raise Conflict("parcel_not_active", parcel=code, status=row.status)
        rows.append(row)
    return rows


def record_estimate(ctx: CommandContext, *, parcel_codes: list[str], methodology_id: str,
                    inputs: Mapping[str, Any], gwp_profile: str) -> tuple[str, dict[str, Any]]:
    try:
        methodology = get_methodology(methodology_id)
    except (KeyError, LookupError, MethodologyError):
        raise NotFound("methodology_unknown", methodology=methodology_id) from None
    parcels = _load_parcels(ctx, parcel_codes)
    for p in parcels:
        require_owner(ctx.actor, "record_estimate", p.holder_party_id)
    if {p.sink_type for p in parcels} != {methodology.sink_type}:
        raise InvalidInput("value_invalid", field="sink_type", value=methodology.sink_type)
    area_ha = sum(Decimal(repr(p.area_m2)) for p in parcels) / M2_PER_HA
    doc = {**inputs, "area_ha": str(area_ha.quantize(Decimal("0.0001")))}
    try:
        est = methodology.estimate(doc, gwp_profile=gwp_profile)
    except MethodologyError as exc:
        raise methodology_refusal(exc) from None
    for p in parcels:
        if p.retired_from is not None and est.period_end.isoformat() > p.retired_from:
            raise Conflict("parcel_not_active", parcel=p.parcel_code, status=f"retired from {p.retired_from}")
    eid = estimate_id(ctx.seq)
    document = est.to_dict()
    ctx.session.add(EstimateRow(
        id=eid, seq=ctx.seq, methodology_id=est.methodology_id, methodology_version=est.methodology_version,
        sink_type=est.sink_type, parcel_codes=json.dumps(parcel_codes), period_start=est.period_start.isoformat(),
        period_end=est.period_end.isoformat(), net_kg_co2e=est.net_kg_co2e,
        stock_change_kg_co2e=est.stock_change_kg_co2e, reproducibility_hash=est.reproducibility_hash,
        document=json.dumps(document, ensure_ascii=False, sort_keys=True), uses_unverified=est.uses_unverified))
    result = {"estimate_id": eid, "methodology_id": est.methodology_id,
              "methodology_version": est.methodology_version, "parcel_codes": parcel_codes,
              "period_start": est.period_start.isoformat(), "period_end": est.period_end.isoformat(),
              "area_ha": doc["area_ha"], "net_kg_co2e": est.net_kg_co2e,
              "stock_change_kg_co2e": est.stock_change_kg_co2e, "gwp_profile": est.gwp_profile,
              "uses_unverified": est.uses_unverified, "reproducibility_hash": est.reproducibility_hash,
              "warnings": [w.code for w in est.warnings]}
    return EntryKind.estimate_recorded.value, {**result, "result": result}
