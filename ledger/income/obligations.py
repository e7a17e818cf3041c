"""Scheduled payments of fixed-payment contracts (``fixed_per_mu_year``; 固定收益 / 租金).

A fixed-payment contract pays the collective a fixed amount in fen per mu per year for the
parcels, whatever the credits sell for. Each **contract year** runs from an anniversary of the
term start to the next (a 29 February start falls on 28 February in other years), the last one
cut at the term end. Its obligation (应付款) is due at the end of the year (in arrears):

F1. exact = rate (fen/mu/yr) × Σ area (mu) × days of the contract year ÷ days of a full year,
    with area in mu = area in 0.01 m² × 15 ÷ 1,000,000 (1 mu = 1/15 ha), at the parcels'
    current registered areas;
F2. amount = exact rounded half up to the fen;
F3. amount → parcels by area, each parcel's part → its households by share (or to the
    collective), largest remainder in a stable order, as in :mod:`ledger.income.distribution`.

``schedule_payments`` records, in one entry, every contract year that has started on or before
a date and is not yet scheduled; the lines become due items that payments are recorded against.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlmodel import Session, select

from ledger.allocation import allocate_largest_remainder
from ledger.commands import CommandContext
from ledger.domain import EntryKind, check_date
from ledger.income.contributions import parcel_weights
from ledger.income.documents import get_contract
from ledger.income.domain import LineRole, decimal_text, line_id, record_id
from ledger.income.permissions import require_party
from ledger.income.store import DueItemRow, ObligationRow
from ledger.income.terms import FIXED, PaymentTerms
from ledger.store import ContractParcelRow, PartyRow
from sinkledger_base.errors import Conflict
from sinks.store import ParcelRow

MU_PER_CENTI_M2 = Fraction(15, 1_000_000)  # 0.01 m² in mu: 1 mu = 10,000/15 m²


def anniversary(start: date, years: int) -> date:
    """``start`` plus whole years; 29 February becomes 28 February in a common year.

    >>> anniversary(date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    """
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def contract_years(term_start: date, term_end: date) -> list[tuple[int, date, date, int]]:
    """``(index, start, end, full_year_days)`` of each contract year, the last cut at the term end.

    >>> contract_years(date(2022, 7, 1), date(2023, 10, 1))[-1]
    (1, datetime.date(2023, 7, 1), datetime.date(2023, 10, 1), 366)
    """
    out, index = [], 0
    while anniversary(term_start, index) < term_end:
        start, full_end = anniversary(term_start, index), anniversary(term_start, index + 1)
        out.append((index, start, min(full_end, term_end), (full_end - start).days))
        index += 1
    return out


def year_amount(fen_per_mu_per_year: int, weights: dict[str, int], days: int, full_year_days: int) -> tuple[Fraction, int]:
    """F1-F2: the exact amount and the amount in whole fen (half up).

    >>> year_amount(3_000, {"P": 1_000_000}, 365, 365)  # 10,000 m² = 15 mu at 30 yuan/mu
    (Fraction(45000, 1), 45000)
    """
    exact = fen_per_mu_per_year * sum(weights.values()) * MU_PER_CENTI_M2 * Fraction(days, full_year_days)
    return exact, int((exact * 2 + 1) // 2)


def obligation_lines(collective_party_id: str, contract_no: str, amount_fen: int, weights: dict[str, int],
                     shares_bp: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """F3: an obligation's lines, numbered from 1; they sum to ``amount_fen``."""
    lines = []
    for code, part in allocate_largest_remainder(amount_fen, weights).items():
        households = dict(sorted(shares_bp.get(code, {}).items()))
        if not households:
            lines.append((LineRole.collective, collective_party_id, code, part, None))
            continue
        money = allocate_largest_remainder(part, households)
        lines += [(LineRole.household, h, code, money[h], households[h]) for h in households]
    return [{"line_no": n, "role": role.value, "party_id": party, "contract_no": contract_no, "parcel_code": code,
             "share_bp": bp, "amount_fen": amount} for n, (role, party, code, amount, bp) in enumerate(lines, 1)]


def _parcel_shares(session: Session, codes: list[str]) -> dict[str, dict[str, int]]:
    rows = session.exec(select(ParcelRow).where(ParcelRow.parcel_code.in_(codes))).all()
    return {r.parcel_code: json.loads(r.household_shares or "{}") for r in rows}


def schedule_payments(ctx: CommandContext, *, contract_no: str, through: str) -> tuple[str, dict[str, Any]]:
    """The contract's centre schedules every contract year started by ``through`` and not yet scheduled."""
    contract = get_contract(ctx.session, contract_no)
    require_party(ctx.actor, "schedule_payments", contract.centre_party_id)
    terms = PaymentTerms.from_json(contract.payment_terms)
    if terms.kind != FIXED:
        raise Conflict("contract_not_fixed_payment", contract=contract_no)
    through = check_date(through, "through")
    done = set(ctx.session.exec(select(ObligationRow.year_index).where(ObligationRow.contract_no == contract_no)).all())
    years = [y for y in contract_years(date.fromisoformat(contract.term_start), date.fromisoformat(contract.term_end))
             if y[1].isoformat() <= through and y[0] not in done]
    if not years:
        raise Conflict("nothing_to_schedule", contract=contract_no, through=through)
    codes = sorted(ctx.session.exec(select(ContractParcelRow.parcel_code).where(
        ContractParcelRow.contract_no == contract_no)).all())
    weights, shares = parcel_weights(ctx.session, codes, ctx.seq), _parcel_shares(ctx.session, codes)
    obligations = [_obligation(ctx, contract, terms, year, weights, shares) for year in years]
    result = {"contract_no": contract_no, "through": through, "obligations": [
        {k: o[k] for k in ("obligation_id", "year_index", "period_start", "period_end", "due_date", "amount_fen")}
        for o in obligations], "amount_fen": sum(o["amount_fen"] for o in obligations)}
    payload = {"contract_no": contract_no, "terms": terms.to_dict(), "weights_centi_m2": weights,
               "household_shares_bp": {c: s for c, s in shares.items() if s}, "obligations": obligations,
               "result": result}
    return EntryKind.payments_scheduled.value, payload


def _obligation(ctx: CommandContext, contract: Any, terms: PaymentTerms, year: tuple[int, date, date, int],
                weights: dict[str, int], shares: dict[str, dict[str, int]]) -> dict[str, Any]:
    index, start, end, full_days = year
    exact, amount = year_amount(terms.fen_per_mu_per_year, weights, (end - start).days, full_days)
    obligation_id = line_id(record_id("OB", ctx.seq), index)
    lines = obligation_lines(contract.collective_party_id, contract.contract_no, amount, weights, shares)
    ctx.session.add(ObligationRow(id=obligation_id, seq=ctx.seq, contract_no=contract.contract_no, year_index=index,
                                  period_start=start.isoformat(), period_end=end.isoformat(),
                                  due_date=end.isoformat(), amount_fen=amount))
    kinds = {p.id: p.kind for p in ctx.session.exec(select(PartyRow).where(
        PartyRow.id.in_({line["party_id"] for line in lines}))).all()}
    for line in lines:
        if line["amount_fen"] > 0:
            ctx.session.add(DueItemRow(
                id=line_id(obligation_id, line["line_no"]), seq=ctx.seq, source_kind="fixed_payment",
                source_id=obligation_id, contract_no=contract.contract_no, payer_party_id=contract.centre_party_id,
                party_id=line["party_id"], party_kind=kinds.get(line["party_id"], ""), role=line["role"],
                parcel_code=line["parcel_code"], share_bp=line["share_bp"], amount_fen=line["amount_fen"],
                basis_date=start.isoformat(), due_date=end.isoformat()))
    return {"obligation_id": obligation_id, "year_index": index, "period_start": start.isoformat(),
            "period_end": end.isoformat(), "due_date": end.isoformat(), "days": (end - start).days,
            "full_year_days": full_days, "exact_fen": decimal_text(Decimal(exact.numerator) / exact.denominator),
            "amount_fen": amount, "lines": lines}
