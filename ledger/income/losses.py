"""Insured loss and reversal (毛竹碳汇价值恢复补偿保险): loss events, carbon lost, claims.

An insurer (or the centre, or an administrator) records a loss event: its cause (snow 雪灾,
fire 火灾, pests 病虫害, conversion 改变用途, other), its date, and the parcels hit with the
affected area and the share of the stand destroyed there. For each parcel the carbon lost is
computed from the **standing vegetation carbon per hectare** of the sink type's methodology, as
the parcel's latest estimate that started on or before the event measured it:

- bamboo forest: the stand carbon of the last monitoring event (``events[n] carbon stock``, B3);
- tea garden: the tea-bush carbon of the last biomass event (``biomass_events[n] carbon``) or,
  on the IPCC tier-1 path, at the period end;
- wetland: herbaceous carbon (C_herb × cover ÷ 100, W1, from the estimate's parameters and
  inputs) plus the last woody-vegetation carbon if measured.

Soil and sediment carbon are not counted (snow, fire and pests leave them in place; for a
conversion this understates the loss and the event should say so).

L1. lost t CO2e = stock (t C/ha) × 44/12 × affected area (ha) × damaged share (bp ÷ 10,000);
L2. reversed t = min(⌈lost⌉, credits issued for the parcel − credits already reversed for it).

Whole tonnes are rounded **up** (the buffer must cover at least the loss: conservative), but a
parcel never has more reversed than was ever credited for it. The reversal itself is the
ledger's (:func:`ledger.reversal.reverse`): that many buffer credits, oldest vintage first, are
cancelled, in the same journal entry as the loss event (all or nothing: a buffer too small
refuses the event with ``buffer_insufficient``). An insurance claim is recorded separately and
links the event, the policy and the payout.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlmodel import Session, select

from ledger import reversal
from ledger.allocation import BASIS_POINTS
from ledger.commands import CommandContext
from ledger.domain import EntryKind, check_date
from ledger.income.contributions import parcel_issued_t
from ledger.income.domain import (
    check_codes,
    check_decimal,
    check_whole,
    decimal_text,
    is_key,
    record_id,
    shown,
)
from ledger.income.store import InsuranceClaimRow, LossEventRow, LossParcelRow
from ledger.queries import page_of
from ledger.sale import check_text
from ledger.store import EstimateRow, PartyRow
from methodologies.registry import get_methodology
from methodologies.units import decimal_context
from sinkledger_base.errors import Conflict, InvalidInput, NotFound
from sinks.store import ParcelRow

CAUSES = {"snow": "雪灾", "fire": "火灾", "pests": "病虫害", "conversion": "改变用途", "other": "其他"}
M2_PER_HA = Decimal(10_000)
BAMBOO_STEP = re.compile(r"^events\[(\d+)\] carbon stock$")
TEA_STEP = re.compile(r"^biomass_events\[(\d+)\] carbon$")


def _last_step(document: dict[str, Any], pattern: re.Pattern[str], fallback: str | None = None) -> dict[str, Any] | None:
    steps = [s for s in document["steps"] if pattern.match(s["name"])]
    if steps:
        return max(steps, key=lambda s: int(pattern.match(s["name"]).group(1)))
    return next((s for s in document["steps"] if s["name"] == fallback), None)


def _wetland_stock(document: dict[str, Any]) -> tuple[Decimal, list[dict[str, Any]]]:
    given = {p["key"]: Decimal(p["value"]) for p in document["parameters"]}
    full = given.get("herbaceous_carbon_t_c_per_ha")
    if full is None:
        full = get_methodology(document["methodology_id"], document["methodology_version"]) \
            .default_parameters()["herbaceous_carbon_t_c_per_ha"].value
    cover = Decimal(document["inputs"].get("herbaceous_cover_pct") or 0)
    with decimal_context():
        herbaceous = full * cover / 100
    woody_events = document["inputs"].get("woody_vegetation_events") or []
    woody = Decimal(woody_events[-1]["carbon_t_c_per_ha"]) if woody_events else Decimal(0)
    step = {"name": "vegetation carbon", "equation": f"C_herb × cover / 100 + C_woody = {full} × {cover} / 100 + "
            f"{woody}", "value": decimal_text(herbaceous + woody), "unit": "t C/ha", "note": "W1 + last W2 event"}
    return herbaceous + woody, [step]


def stock_from_estimate(document: dict[str, Any]) -> tuple[Decimal, list[dict[str, Any]]]:
    """Standing vegetation carbon (t C/ha) measured by an estimate, with the trace step(s) used.

    Raises
    ------
    Conflict
        ``loss_stock_unknown``: the estimate's trace has no stock per hectare.
    """
    sink_type = document["sink_type"]
    if sink_type == "wetland":
        return _wetland_stock(document)
    pattern, fallback = (BAMBOO_STEP, None) if sink_type == "bamboo_forest" else (TEA_STEP, "tea-bush carbon at period end")
    step = _last_step(document, pattern, fallback)
    if step is None or step["unit"] != "t C/ha":
        raise Conflict("loss_stock_unknown", parcel=",".join(document.get("parcel_codes", [])))
    return Decimal(step["value"]), [dict(step)]


def carbon_lost(*, stock_t_c_per_ha: Decimal, affected_area_ha: Decimal, damage_share_bp: int,
                issued_t: int, reversed_before_t: int) -> tuple[Decimal, int, list[dict[str, Any]]]:
    """L1-L2 for one parcel: (lost t CO2e, tonnes to reverse, trace); pure.

    Examples
    --------
    28.3814153 t C/ha of Moso bamboo stand, 2 ha fully lost: 208.13 t CO2e, 209 t reversed.

    >>> lost, reversed_t, _ = carbon_lost(stock_t_c_per_ha=Decimal("28.3814153"), affected_area_ha=Decimal(2),
    ...                                   damage_share_bp=10_000, issued_t=1_000, reversed_before_t=0)
    >>> round(lost, 2), reversed_t
    (Decimal('208.13'), 209)
    """
    with decimal_context():
        lost = stock_t_c_per_ha * 44 / 12 * affected_area_ha * damage_share_bp / BASIS_POINTS
    whole = int(lost.to_integral_value(rounding=ROUND_CEILING))
    room = max(issued_t - reversed_before_t, 0)
    reversed_t = min(whole, room)
    steps = [{"name": "carbon lost", "equation": f"L1: C × 44/12 × A × s = {decimal_text(stock_t_c_per_ha)} × 44/12 × "
              f"{decimal_text(affected_area_ha)} × {damage_share_bp}/10000", "value": decimal_text(lost),
              "unit": "t CO2e", "note": "standing vegetation carbon on the affected area"},
             {"name": "tonnes to reverse", "equation": f"L2: min(ceil({decimal_text(lost)}), {issued_t} − "
              f"{reversed_before_t})", "value": str(reversed_t), "unit": "t CO2e",
              "note": "rounded up for the buffer; never more than credited for the parcel"}]
    return lost, reversed_t, steps


def latest_estimate(session: Session, parcel_code: str, event_date: str) -> EstimateRow:
    """The parcel's latest estimate whose period started on or before the event."""
    rows = session.exec(select(EstimateRow).where(EstimateRow.parcel_codes.contains(f'"{parcel_code}"'),
                                                  EstimateRow.period_start <= event_date)
                        .order_by(EstimateRow.period_start.desc(), EstimateRow.seq.desc())).all()
    row = next((r for r in rows if parcel_code in json.loads(r.parcel_codes)), None)
    if row is None:
        raise Conflict("loss_stock_unknown", parcel=parcel_code)
    return row


def _check_parcel_item(session: Session, item: Any) -> tuple[Any, Decimal, int]:
    if not isinstance(item, dict):
        raise InvalidInput("value_invalid", field="parcels", value=shown(item, 60))
    parcel = session.exec(select(ParcelRow).where(ParcelRow.parcel_code == item.get("parcel_code"))).first()
    if parcel is None:
        raise NotFound("parcel_not_found", parcel=str(item.get("parcel_code"))[:40])
    area = check_decimal(item.get("affected_area_ha"), "affected_area_ha")
    parcel_ha = Decimal(repr(parcel.area_m2)) / M2_PER_HA
    if area > parcel_ha:
        raise InvalidInput("affected_area_exceeds_parcel", parcel=parcel.parcel_code, affected_area_ha=str(area),
                           parcel_area_ha=decimal_text(parcel_ha.quantize(Decimal("0.0001"))))
    share = check_whole(item.get("damage_share_bp", BASIS_POINTS), "damage_share_bp", minimum=1, maximum=BASIS_POINTS)
    return parcel, area, share


def _reversed_before(session: Session, parcel_code: str) -> int:
    return sum(session.exec(select(LossParcelRow.reversed_t).where(LossParcelRow.parcel_code == parcel_code)).all())


def plan_loss(session: Session, parcels: Any, event_date: str) -> list[dict[str, Any]]:
    """Each parcel's stock, carbon lost and tonnes to reverse, with the trace (nothing recorded)."""
    event_date = check_date(event_date, "event_date")
    if not isinstance(parcels, list) or not parcels:
        raise InvalidInput("field_required", field="parcels")
    if not all(isinstance(p, dict) for p in parcels):
        raise InvalidInput("value_invalid", field="parcels", value=shown(parcels, 60))
    check_codes([p.get("parcel_code") for p in parcels], "parcels.parcel_code")
    out = []
    for item in parcels:
        parcel, area, share = _check_parcel_item(session, item)
        estimate = latest_estimate(session, parcel.parcel_code, event_date)
        document = json.loads(estimate.document) | {"parcel_codes": json.loads(estimate.parcel_codes)}
        stock, stock_steps = stock_from_estimate(document)
        lost, reversed_t, steps = carbon_lost(
            stock_t_c_per_ha=stock, affected_area_ha=area, damage_share_bp=share,
            issued_t=parcel_issued_t(session, parcel.parcel_code),
            reversed_before_t=_reversed_before(session, parcel.parcel_code))
        out.append({"parcel_code": parcel.parcel_code, "sink_type": parcel.sink_type,
                    "affected_area_ha": decimal_text(area), "damage_share_bp": share, "estimate_id": estimate.id,
                    "methodology_id": estimate.methodology_id, "methodology_version": estimate.methodology_version,
                    "stock_t_c_per_ha": decimal_text(stock), "lost_t_co2e": decimal_text(lost),
                    "reversed_t": reversed_t, "steps": stock_steps + steps})
    return out


def _check_event(cause: Any, event_date: Any, description: Any, policy_no: Any) -> dict[str, Any]:
    if not isinstance(cause, str) or cause not in CAUSES:
        raise InvalidInput("value_invalid", field="cause", value=shown(cause, 40))
    return {"cause": cause, "cause_zh": CAUSES[cause], "event_date": check_date(event_date, "event_date"),
            "description": check_text(description, "description", 1000),
            "policy_no": check_text(policy_no, "policy_no", 80, required=False) or None}


def record_loss(ctx: CommandContext, *, cause: str, event_date: str, parcels: list[dict[str, Any]],
                description: str, policy_no: str | None = None) -> tuple[str, dict[str, Any]]:
    """Record a loss event and reverse (cancel) buffer credits for the carbon lost, in one entry."""
    event = _check_event(cause, event_date, description, policy_no)
    plan = plan_loss(ctx.session, parcels, event["event_date"])
    event_id = record_id("LE", ctx.seq)
    lost = sum(Decimal(p["lost_t_co2e"]) for p in plan)
    reversed_t = sum(p["reversed_t"] for p in plan)
    moves, reversal_part = [], None
    if reversed_t:
        reason = f"{event['cause_zh']} {cause} loss event {event_id}: {decimal_text(lost)} t CO2e lost"
        _, made = reversal.reverse(ctx, quantity=reversed_t, reason=reason[:500], loss_event_ref=event_id)
        moves, reversal_part = made["moves"], {k: v for k, v in made.items() if k not in ("moves", "result")}
    _write_event(ctx, event_id, event, plan, lost, reversed_t, reversal_part)
    result = {"event_id": event_id, **event, "lost_t_co2e": decimal_text(lost), "reversed_t": reversed_t,
              "reversal_id": reversal_part["reversal_id"] if reversal_part else None,
              "parcels": [{k: p[k] for k in ("parcel_code", "affected_area_ha", "lost_t_co2e", "reversed_t")}
                          for p in plan]}
    payload = {"loss_event": {"event_id": event_id, **event, "reported_by_party_id": ctx.actor.party_id,
                              "parcels": plan, "lost_t_co2e": decimal_text(lost), "reversed_t": reversed_t},
               "reversal": reversal_part, "moves": moves, "result": result}
    return EntryKind.loss_event.value, payload


def _write_event(ctx: CommandContext, event_id: str, event: dict[str, Any], plan: list[dict[str, Any]],
                 lost: Decimal, reversed_t: int, reversal_part: dict[str, Any] | None) -> None:
    ctx.session.add(LossEventRow(id=event_id, seq=ctx.seq, cause=event["cause"], event_date=event["event_date"],
                                 reported_by_party_id=ctx.actor.party_id, policy_no=event["policy_no"],
                                 description=event["description"], lost_t_co2e=decimal_text(lost),
                                 reversed_t=reversed_t, recorded_at=ctx.recorded_at,
                                 reversal_id=reversal_part["reversal_id"] if reversal_part else None))
    for p in plan:
        ctx.session.add(LossParcelRow(event_id=event_id, parcel_code=p["parcel_code"],
                                      affected_area_ha=p["affected_area_ha"], damage_share_bp=p["damage_share_bp"],
                                      stock_t_c_per_ha=p["stock_t_c_per_ha"], estimate_id=p["estimate_id"],
                                      lost_t_co2e=p["lost_t_co2e"], reversed_t=p["reversed_t"]))


def record_claim(ctx: CommandContext, *, claim_no: str, event_id: str, policy_no: str, product: str,
                 insured_party_id: str, payout_fen: int, paid_date: str | None = None,
                 reference: str | None = None) -> tuple[str, dict[str, Any]]:
    """The acting insurer records a claim on a loss event: policy, product and payout (fen)."""
    claim_no = check_text(claim_no, "claim_no", 80)
    if ctx.session.get(InsuranceClaimRow, claim_no) is not None:
        raise Conflict("claim_no_taken", claim_no=claim_no)
    if not is_key(event_id) or ctx.session.get(LossEventRow, event_id) is None:
        raise NotFound("loss_event_not_found", event=shown(event_id, 40))
    if not is_key(insured_party_id) or ctx.session.get(PartyRow, insured_party_id) is None:
        raise NotFound("party_not_found", party=shown(insured_party_id, 40))
    claim = {"claim_no": claim_no, "event_id": event_id, "insurer_party_id": ctx.actor.party_id,
             "insured_party_id": insured_party_id, "policy_no": check_text(policy_no, "policy_no", 80),
             "product": check_text(product, "product", 200), "payout_fen": check_whole(payout_fen, "payout_fen"),
             "paid_date": check_date(paid_date, "paid_date") if paid_date else None,
             "reference": check_text(reference, "reference", 80, required=False) or None}
    ctx.session.add(InsuranceClaimRow(seq=ctx.seq, **claim))
    return EntryKind.insurance_claim.value, {"claim": claim, "result": claim}


def loss_events(session: Session) -> list[dict[str, Any]]:
    """Loss events, newest first, with their parcels and claims."""
    return loss_events_page(session)[0]


def loss_events_page(session: Session, *, limit: int | None = None, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """:func:`loss_events`, one page of them read as a page by the database, and how many there are."""
    events, total = page_of(session, select(LossEventRow).order_by(LossEventRow.seq.desc()), limit=limit,
                            offset=offset)
    out = []
    for event in events:
        parcels = session.exec(select(LossParcelRow).where(LossParcelRow.event_id == event.id)
                               .order_by(LossParcelRow.parcel_code)).all()
        claims = session.exec(select(InsuranceClaimRow).where(InsuranceClaimRow.event_id == event.id)
                              .order_by(InsuranceClaimRow.seq)).all()
        out.append(event.model_dump() | {"parcels": [p.model_dump(exclude={"id"}) for p in parcels],
                                         "claims": [c.model_dump() for c in claims]})
    return out, total
