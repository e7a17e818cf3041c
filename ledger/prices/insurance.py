"""Price index insurance (碳汇价格指数保险): policies on the price index and their settlement.

An insurer issues a policy to a collective (the insured) over a collection contract of that
collective: the index's market (sink type, county), a period, a strike index (fen/t), the insured
tonnes and the premium (fen). At the period's end the insurer settles it (docs/prices.md,
"Index insurance"):

S1. the index is the period's index (:func:`ledger.prices.method.period_index`, the whole period
    as one window, as of the settlement's own entry);
S2. when the period's index is not published (thin market), the latest published monthly index
    of a month inside the period is used instead;
S3. when neither is published: within :data:`GRACE_DAYS` days after the period's end the
    settlement is refused (``price_index_not_published``: late-reported sales may still publish
    it); after that it is recorded with no index and no payout;
S4. payout = max(0, strike − index) × insured tonnes, in fen (whole numbers: exact);
S5. the payout is paid to the insured collective (``paid_date``, ``reference``: the insurer's
    transfer), and passes on to households by the contract's parcels of the policy's sink type
    and county: the payout → those parcels by registered area → each parcel's households by their
    shares (or the collective when it has none), largest remainder (F3 of
    :mod:`ledger.income.obligations`, the rule fixed payments use); each household line becomes a
    due item the collective owes and pays as any other (``record_payment``).

A policy is settled once (``index_policy_already_settled``), never before its period has ended
(``index_policy_period_not_ended``), only by its insurer.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from ledger.commands import CommandContext
from ledger.domain import EntryKind, PartyKind, check_date
from ledger.income.contributions import parcel_weights
from ledger.income.documents import get_contract
from ledger.income.domain import check_whole, is_key, line_id, record_id, shown
from ledger.income.obligations import obligation_lines
from ledger.income.permissions import require_party
from ledger.income.store import DueItemRow
from ledger.prices import method
from ledger.prices.store import IndexPolicyRow, IndexSettlementRow
from ledger.prices.trades import local_date
from ledger.sale import check_text
from ledger.store import ContractParcelRow, PartyRow
from sinkledger_base.errors import Conflict, InvalidInput, NotFound
from sinks.store import ParcelRow

DEFAULT_PRODUCT = "竹林碳汇价格指数保险"
MIN_PERIOD_DAYS = 28
MAX_PERIOD_DAYS = 1_096  # three years
MAX_START_AHEAD_DAYS = 730  # a period starts within two years of the policy
MAX_STRIKE_FEN_PER_T = 100_000_000  # 1,000,000 yuan a tonne: beyond any carbon-sink price
MAX_INSURED_T = 100_000_000
GRACE_DAYS = 60
SOURCE_KIND = "index_insurance"


def _day(ctx: CommandContext) -> date:
    return date.fromisoformat(local_date(ctx.recorded_at))


def _policy_parcels(session: Session, contract_no: str, sink_type: str, county_code: str) -> list[str]:
    codes = session.exec(select(ContractParcelRow.parcel_code).where(ContractParcelRow.contract_no == contract_no)).all()
    rows = session.exec(select(ParcelRow).where(ParcelRow.parcel_code.in_(codes))).all() if codes else []
    return sorted(r.parcel_code for r in rows if r.sink_type == sink_type and r.county_code == county_code)


def issue_policy(ctx: CommandContext, *, policy_no: str, insured_party_id: str, contract_no: str, sink_type: str,
                 county_code: str, period_start: str, period_end: str, strike_fen_per_t: int, insured_t: int,
                 premium_fen: int, product: str | None = None) -> tuple[str, dict[str, Any]]:
    """The acting insurer issues a policy (one entry)."""
    policy_no = check_text(policy_no, "policy_no", 80)
    product = check_text(product, "product", 200, required=False) or DEFAULT_PRODUCT
    sink_type, county_code = method.check_market(sink_type, county_code)
    start, end = check_date(period_start, "period_start"), check_date(period_end, "period_end")
    strike = check_whole(strike_fen_per_t, "strike_fen_per_t", minimum=1, maximum=MAX_STRIKE_FEN_PER_T)
    if not isinstance(insured_t, int) or isinstance(insured_t, bool) or insured_t <= 0:
        raise InvalidInput("quantity_must_be_positive")
    insured_t = check_whole(insured_t, "insured_t", minimum=1, maximum=MAX_INSURED_T)
    premium = check_whole(premium_fen, "premium_fen", minimum=1)
    today, first, last = _day(ctx), date.fromisoformat(start), date.fromisoformat(end)
    if first < today:
        raise InvalidInput("policy_period_in_past", period_start=start, today=today.isoformat())
    days = (last - first).days + 1
    if not MIN_PERIOD_DAYS <= days <= MAX_PERIOD_DAYS or (first - today).days > MAX_START_AHEAD_DAYS:
        raise InvalidInput("policy_period_invalid", period_start=start, period_end=end, min_days=MIN_PERIOD_DAYS,
                           max_days=MAX_PERIOD_DAYS, max_ahead_days=MAX_START_AHEAD_DAYS)
    if premium > strike * insured_t:
        raise InvalidInput("premium_exceeds_cover", premium_fen=premium, cover_fen=strike * insured_t)
    if ctx.session.get(IndexPolicyRow, policy_no) is not None:
        raise Conflict("policy_no_taken", policy_no=policy_no)
    insured = ctx.session.get(PartyRow, insured_party_id) if is_key(insured_party_id) else None
    if insured is None:
        raise NotFound("party_not_found", party=shown(insured_party_id, 40))
    contract = get_contract(ctx.session, contract_no)
    if insured.kind != PartyKind.collective.value or contract.collective_party_id != insured.id:
        raise InvalidInput("policy_insured_not_contract_collective", party=insured.id, contract=contract.contract_no)
    parcels = _policy_parcels(ctx.session, contract.contract_no, sink_type, county_code)
    if not parcels:
        raise InvalidInput("policy_contract_has_no_parcels_of_market", contract=contract.contract_no,
                           sink_type=sink_type, county_code=county_code)
    policy = {"policy_no": policy_no, "product": product, "insurer_party_id": ctx.actor.party_id,
              "insured_party_id": insured.id, "contract_no": contract.contract_no, "sink_type": sink_type,
              "county_code": county_code, "period_start": start, "period_end": end, "strike_fen_per_t": strike,
              "insured_t": insured_t, "premium_fen": premium, "issued_on": today.isoformat()}
    ctx.session.add(IndexPolicyRow(seq=ctx.seq, **policy))
    result = policy | {"max_payout_fen": strike * insured_t, "parcel_codes": parcels}
    return EntryKind.index_policy_issued.value, {"policy": policy, "parcel_codes": parcels, "result": result}


def get_policy(session: Session, policy_no: Any) -> IndexPolicyRow:
    row = session.get(IndexPolicyRow, policy_no) if is_key(policy_no) else None
    if row is None:
        raise NotFound("index_policy_not_found", policy_no=shown(policy_no, 80))
    return row


def index_for(conn: Any, policy: IndexPolicyRow, as_of_seq: int) -> dict[str, Any]:
    """S1-S2: the index a settlement uses, with its trace (``basis``: period, month or none)."""
    market = {"sink_type": policy.sink_type, "county_code": policy.county_code}
    period = method.period_index(conn, **market, period_start=policy.period_start, period_end=policy.period_end,
                                 as_of_seq=as_of_seq)
    if period["published"]:
        window, d0, d1, basis = f"{policy.period_start}..{policy.period_end}", policy.period_start, policy.period_end, "period"
    else:
        month = method.latest_published_month(conn, **market, date_from=policy.period_start,
                                              date_to=policy.period_end, as_of_seq=as_of_seq)
        if month is None:
            return {"basis": "none", "published": False, "index_fen_per_t": None, "trades": period["trades"],
                    "trace": method.trace(conn, **market, window=f"{policy.period_start}..{policy.period_end}",
                                          date_from=policy.period_start, date_to=policy.period_end,
                                          as_of_seq=as_of_seq)}
        window, basis = month[0], "month"
        d0, d1 = method.window_bounds("monthly", window)
    trace = method.trace(conn, **market, window=window, date_from=d0, date_to=d1, as_of_seq=as_of_seq)
    return {"basis": basis, "published": True, "index_fen_per_t": trace["result"]["index_fen_per_t"],
            "trades": trace["result"]["trades"], "trace": trace}


def payout_fen(strike_fen_per_t: int, index_fen_per_t: int | None, insured_t: int) -> int:
    """S4 (no index: no payout).

    >>> payout_fen(7000, 6400, 500), payout_fen(7000, 7200, 500), payout_fen(7000, None, 500)
    (300000, 0, 0)
    """
    if index_fen_per_t is None:
        return 0
    return max(0, strike_fen_per_t - index_fen_per_t) * insured_t


def plan_settlement(ctx_or_session: Any, policy: IndexPolicyRow, *, today: date, as_of_seq: int) -> dict[str, Any]:
    """S1-S5 without writing: the index, its trace, the payout and the lines."""
    if today <= date.fromisoformat(policy.period_end):
        raise Conflict("index_policy_period_not_ended", policy_no=policy.policy_no, period_end=policy.period_end)
    found = index_for(ctx_or_session, policy, as_of_seq)
    if not found["published"] and today <= date.fromisoformat(policy.period_end) + timedelta(days=GRACE_DAYS):
        raise Conflict("price_index_not_published", policy_no=policy.policy_no, trades=found["trades"],
                       min_trades=method.MIN_TRADES, grace_days=GRACE_DAYS)
    payout = payout_fen(policy.strike_fen_per_t, found["index_fen_per_t"], policy.insured_t)
    parcels = _policy_parcels(ctx_or_session, policy.contract_no, policy.sink_type, policy.county_code)
    weights = parcel_weights(ctx_or_session, parcels, as_of_seq + 1) if payout else {}
    shares = {r.parcel_code: json.loads(r.household_shares or "{}") for r in ctx_or_session.exec(
        select(ParcelRow).where(ParcelRow.parcel_code.in_(parcels))).all()} if payout else {}
    lines = obligation_lines(policy.insured_party_id, policy.contract_no, payout, weights, shares) if payout else []
    return {"policy_no": policy.policy_no, "basis": found["basis"], "published": found["published"],
            "index_fen_per_t": found["index_fen_per_t"], "strike_fen_per_t": policy.strike_fen_per_t,
            "insured_t": policy.insured_t, "payout_fen": payout, "trace": found["trace"],
            "weights_centi_m2": weights, "household_shares_bp": {c: s for c, s in shares.items() if s},
            "lines": lines}


def settle_policy(ctx: CommandContext, *, policy_no: str, paid_date: str | None = None,
                  reference: str | None = None) -> tuple[str, dict[str, Any]]:
    """The policy's insurer settles it at the period's end (one entry; S1-S5)."""
    policy = get_policy(ctx.session, policy_no)
    require_party(ctx.actor, "index_policy_settle", policy.insurer_party_id)
    if ctx.session.exec(select(IndexSettlementRow).where(IndexSettlementRow.policy_no == policy.policy_no)).first():
        raise Conflict("index_policy_already_settled", policy_no=policy.policy_no)
    today = _day(ctx)
    plan = plan_settlement(ctx.session, policy, today=today, as_of_seq=ctx.seq - 1)
    paid = check_date(paid_date, "paid_date") if paid_date else today.isoformat()
    if not policy.period_end < paid <= (today + timedelta(days=1)).isoformat():
        raise InvalidInput("settlement_paid_date_invalid", paid_date=paid, period_end=policy.period_end,
                           today=today.isoformat())
    reference = check_text(reference, "reference", 80, required=bool(plan["payout_fen"])) or ""
    settlement_id = record_id("IS", ctx.seq)
    ctx.session.add(IndexSettlementRow(id=settlement_id, seq=ctx.seq, policy_no=policy.policy_no,
                                       published=plan["published"], index_fen_per_t=plan["index_fen_per_t"],
                                       trades=plan["trace"]["result"]["trades"], payout_fen=plan["payout_fen"],
                                       rule_version=method.RULE_VERSION, paid_date=paid, reference=reference))
    kinds = {p.id: p.kind for p in ctx.session.exec(select(PartyRow).where(
        PartyRow.id.in_({line["party_id"] for line in plan["lines"]}))).all()} if plan["lines"] else {}
    for row in due_rows(settlement_id, ctx.seq, policy.insured_party_id, paid, plan["lines"], kinds):
        ctx.session.add(DueItemRow(**row))
    result = {"settlement_id": settlement_id, "paid_date": paid, "reference": reference,
              "insured_party_id": policy.insured_party_id, "contract_no": policy.contract_no,
              **{k: plan[k] for k in ("policy_no", "basis", "published", "index_fen_per_t", "strike_fen_per_t",
                                      "insured_t", "payout_fen", "lines")},
              "window": plan["trace"]["window"], "trades": plan["trace"]["result"]["trades"]}
    payload = {"settlement": result, "trace": plan["trace"], "weights_centi_m2": plan["weights_centi_m2"],
               "household_shares_bp": plan["household_shares_bp"], "result": result}
    return EntryKind.index_policy_settled.value, payload


def due_rows(settlement_id: str, seq: int, collective: str, paid_date: str, lines: list[dict[str, Any]],
             kinds: dict[str, str]) -> list[dict[str, Any]]:
    """S5: the household lines as due items the collective owes (its own lines it already holds)."""
    return [{"id": line_id(settlement_id, line["line_no"]), "seq": seq, "source_kind": SOURCE_KIND,
             "source_id": settlement_id, "contract_no": line["contract_no"], "payer_party_id": collective,
             "party_id": line["party_id"], "party_kind": kinds.get(line["party_id"], ""), "role": line["role"],
             "parcel_code": line["parcel_code"], "parcel_tonnes": None, "share_bp": line["share_bp"],
             "attributed_kg": None, "amount_fen": line["amount_fen"], "basis_date": paid_date, "due_date": paid_date,
             "sale_seq": None}
            for line in lines if line["role"] == "household" and line["amount_fen"] > 0]


def policies(session: Session, *, party_id: str | None = None, limit: int | None = None,
             offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Policies newest first (those where ``party_id`` is insurer or insured), with their settlement."""
    where, params = "", {}
    if party_id is not None:
        where, params = "WHERE p.insurer_party_id = :party OR p.insured_party_id = :party", {"party": party_id}
    total = session.execute(text(f"SELECT COUNT(*) FROM index_policy p {where}"), params).scalar_one()
    query = select(IndexPolicyRow).order_by(IndexPolicyRow.seq.desc())
    if party_id is not None:
        query = query.where((IndexPolicyRow.insurer_party_id == party_id) | (IndexPolicyRow.insured_party_id == party_id))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = session.exec(query).all()
    return [policy_view(session, row) for row in rows], int(total)


def policy_view(session: Session, row: IndexPolicyRow) -> dict[str, Any]:
    settlement = session.exec(select(IndexSettlementRow).where(IndexSettlementRow.policy_no == row.policy_no)).first()
    out = row.model_dump() | {"max_payout_fen": row.strike_fen_per_t * row.insured_t,
                              "status": "settled" if settlement else "open", "settlement": None}
    if settlement is not None:
        due = session.exec(select(DueItemRow).where(DueItemRow.source_id == settlement.id)
                           .order_by(DueItemRow.id)).all()
        out["settlement"] = settlement.model_dump() | {"due_items": [
            d.model_dump() | {"outstanding_fen": d.amount_fen - d.paid_fen} for d in due]}
    return out
