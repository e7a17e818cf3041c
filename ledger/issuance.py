"""Verification and issuance (核证 / 签发).

A verifier approves a quantity (kg CO2e) no larger than a recorded estimate for the estimate's
parcels and monitoring period. Credits issued = floor(verified / 1000) whole tCO2e, split into
one batch per vintage (calendar year, pro rata by days). The buffer share, taken on the stock
component only and rounded up, goes to the buffer account. A parcel is never issued twice for
overlapping periods.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, NamedTuple


from ledger.allocation import allocate_largest_remainder
from ledger.commands import CommandContext
from ledger.domain import (
    SYSTEM_ACCOUNTS,
    AccountKind,
    BlockState,
    EntryKind,
    Move,
    check_project_code,
    format_block,
    serial_prefix,
    split_by_vintage,
)
from ledger.income.hooks import after_issuance
from ledger.projection import apply_moves, get_account
from ledger.sql import in_list
from sinkledger_base.errors import Conflict, InvalidInput, NotFound

BASIS_POINTS = 10_000
KG_PER_TONNE = 1_000


def buffer_quantity(total_t: int, stock_change_kg_co2e: int, net_kg_co2e: int, buffer_share_bp: int) -> int:
    """Buffer credits: the share of the stock component of what is issued, rounded up."""
    if net_kg_co2e <= 0 or stock_change_kg_co2e <= 0:
        return 0
    stock_t = min(total_t, total_t * min(stock_change_kg_co2e, net_kg_co2e) // net_kg_co2e)
    return -(-stock_t * buffer_share_bp // BASIS_POINTS)


def _check_request(verified_kg_co2e: Any, project_code: Any, buffer_share_bp: Any) -> None:
    if not isinstance(verified_kg_co2e, int) or isinstance(verified_kg_co2e, bool) or verified_kg_co2e <= 0:
        raise InvalidInput("quantity_must_be_positive")
    if project_code is None or (isinstance(project_code, str) and not project_code.strip()):
        raise InvalidInput("field_required", field="project_code")
    if not isinstance(project_code, str) or not check_project_code(project_code):
        raise InvalidInput("value_invalid", field="project_code", value=str(project_code)[:40])
    if not isinstance(buffer_share_bp, int) or not 0 <= buffer_share_bp <= BASIS_POINTS:
        raise InvalidInput("buffer_share_invalid")


def _chunks(codes: list[str], size: int = 500) -> list[list[str]]:
    return [codes[i:i + size] for i in range(0, len(codes), size)] or [[]]


def _issued_periods(ctx: CommandContext, parcel_codes: list[str], extra: str = "",
                    params: dict[str, Any] | None = None) -> list[tuple[str, str, str]]:
    """``(parcel_code, period_start, period_end)`` of the parcels' issued periods, by a read per
    500 parcels (in the order recorded)."""
    rows: list[tuple[str, str, str]] = []
    for chunk in _chunks(parcel_codes):
        if chunk:
            marks, names = in_list("c", chunk)
            rows += ctx.tx.all(f"SELECT parcel_code, period_start, period_end FROM issued_period "
                               f"WHERE parcel_code IN ({marks}){extra} ORDER BY id", {**names, **(params or {})})
    return rows


def _check_periods(ctx: CommandContext, parcel_codes: list[str], start: str, end: str) -> None:
    """No parcel of the estimate may have an issued period overlapping this one; the refusal names
    the first such parcel in the estimate's order."""
    clashes: dict[str, tuple[str, str]] = {}
    for code, period_start, period_end in _issued_periods(
            ctx, parcel_codes, " AND period_start < :e AND period_end > :s", {"s": start, "e": end}):
        clashes.setdefault(code, (period_start, period_end))
    for code in parcel_codes:
        if code in clashes:
            other = clashes[code]
            raise Conflict("period_already_issued", parcel=code, other_period=f"{other[0]}..{other[1]}")


def _check_one_off_claims(ctx: CommandContext, est: "_Estimate", parcel_codes: list[str]) -> None:
    """A one-off credit (e.g. a wetland's herbaceous vegetation, VM0033) is issued once per parcel:
    refused for the first parcel (in the estimate's order) for which an estimate of the same sink
    type whose period was issued for it claimed one of the same one-off credits. One read of the
    parcels' issued periods and one of the sink type's estimates; documents are read only for the
    estimates that cover such a parcel and period."""
    document = ctx.tx.one("SELECT document FROM estimate WHERE id = :id", {"id": est.id})[0]
    claims = set(json.loads(document).get("one_off_claims") or {})
    if not claims:
        return
    issued: dict[str, set[tuple[str, str]]] = {}
    for code, period_start, period_end in _issued_periods(ctx, parcel_codes):
        issued.setdefault(code, set()).add((period_start, period_end))
    if not issued:
        return
    periods = set().union(*issued.values())
    claimed: set[str] = set()
    for other_id, codes_json, period_start, period_end in ctx.tx.all(
            "SELECT id, parcel_codes, period_start, period_end FROM estimate WHERE sink_type = :t ORDER BY id",
            {"t": est.sink_type}):
        if (period_start, period_end) not in periods:
            continue
        covered = {c for c in json.loads(codes_json) if (period_start, period_end) in issued.get(c, ())}
        if not covered - claimed:
            continue
        other = ctx.tx.one("SELECT document FROM estimate WHERE id = :id", {"id": other_id})[0]
        if claims & set(json.loads(other).get("one_off_claims") or {}):
            claimed |= covered
    for code in parcel_codes:
        if code in claimed:
            raise Conflict("one_off_credit_already_claimed", parcel=code, claim=", ".join(sorted(claims)))


def _next_number(ctx: CommandContext, prefix: str) -> int:
    last = ctx.tx.one("SELECT max(last) FROM batch WHERE serial_prefix = :p", {"p": prefix})[0]
    return (last or 0) + 1


class _Estimate(NamedTuple):
    id: str
    methodology_id: str
    methodology_version: str
    sink_type: str
    parcel_codes: str
    period_start: str
    period_end: str
    net_kg_co2e: int
    stock_change_kg_co2e: int
    reproducibility_hash: str


def _estimate(ctx: CommandContext, estimate_id: Any) -> _Estimate:
    row = ctx.tx.one(f"SELECT {', '.join(_Estimate._fields)} FROM estimate WHERE id = :id",
                     {"id": estimate_id}) if isinstance(estimate_id, str) else None
    if row is None:
        raise NotFound("estimate_not_found", estimate=estimate_id)
    return _Estimate(*row)


def issue(ctx: CommandContext, *, estimate_id: str, verified_kg_co2e: int, project_code: str,
          buffer_share_bp: int, to_account: str, region_code: str, county_code: str) -> tuple[str, dict[str, Any]]:
    _check_request(verified_kg_co2e, project_code, buffer_share_bp)
    est = _estimate(ctx, estimate_id)
    if verified_kg_co2e > est.net_kg_co2e:
        raise Conflict("verified_quantity_exceeds_estimate", verified_kg_co2e=verified_kg_co2e,
                       estimate_kg_co2e=est.net_kg_co2e)
    total_t = verified_kg_co2e // KG_PER_TONNE
    if total_t < 1:
        raise Conflict("nothing_to_issue")
    account = get_account(ctx.tx, to_account)
    if account.kind != AccountKind.holding.value:
        raise InvalidInput("value_invalid", field="to_account", value=to_account)
    parcel_codes = json.loads(est.parcel_codes)
    _check_periods(ctx, parcel_codes, est.period_start, est.period_end)
    _check_one_off_claims(ctx, est, parcel_codes)
    buffer_t = buffer_quantity(total_t, est.stock_change_kg_co2e, est.net_kg_co2e, buffer_share_bp)
    by_vintage = split_by_vintage(total_t, date.fromisoformat(est.period_start), date.fromisoformat(est.period_end))
    buffer_by_vintage = allocate_largest_remainder(buffer_t, by_vintage)
    batches, moves = [], []
    for vintage, quantity in sorted(by_vintage.items()):
        batch, batch_moves = _create_batch(ctx, est, vintage, quantity, buffer_by_vintage[vintage],
                                           project_code=project_code, to_account=to_account,
                                           region_code=region_code, county_code=county_code)
        batches.append(batch)
        moves.extend(batch_moves)
    ctx.tx.insert_rows("issued_period", [{"parcel_code": code, "period_start": est.period_start,
                                          "period_end": est.period_end, "issuance_seq": ctx.seq}
                                         for code in parcel_codes])
    apply_moves(ctx.tx, moves)
    result = {"estimate_id": estimate_id, "issued_t": total_t, "buffer_t": buffer_t,
              "to_account": to_account, "batches": batches}
    payload = {"estimate_id": estimate_id, "estimate_hash": est.reproducibility_hash,
               "methodology_id": est.methodology_id, "methodology_version": est.methodology_version,
               "parcel_codes": parcel_codes, "period_start": est.period_start, "period_end": est.period_end,
               "verified_kg_co2e": verified_kg_co2e, "buffer_share_bp": buffer_share_bp,
               "batches": batches, "moves": [m.to_record() for m in moves], "result": result}
    return EntryKind.issuance.value, after_issuance(ctx, payload)  # contributions and lien pledges


def _create_batch(ctx: CommandContext, est: _Estimate, vintage: int, quantity: int, buffer_t: int, *,
                  project_code: str, to_account: str, region_code: str, county_code: str):
    prefix = serial_prefix(region_code=region_code, sink_type=est.sink_type,
                           project_code=project_code, vintage_year=vintage)
    first = _next_number(ctx, prefix)
    last = first + quantity - 1
    batch_id = f"{prefix}/{first}"
    row = {"id": batch_id, "serial_prefix": prefix, "region_code": region_code, "county_code": county_code,
           "sink_type": est.sink_type, "project_code": project_code, "vintage_year": vintage, "first": first,
           "last": last, "buffer_quantity": buffer_t, "issuance_seq": ctx.seq, "estimate_id": est.id,
           "methodology_id": est.methodology_id, "methodology_version": est.methodology_version,
           "period_start": est.period_start, "period_end": est.period_end}
    ctx.tx.insert_rows("batch", [row])  # every column of BatchRow, values checked above
    moves = []
    holder_last = last - buffer_t
    if holder_last >= first:
        moves.append(Move(batch_id, first, holder_last, None, None, to_account, BlockState.held))
    if buffer_t:
        moves.append(Move(batch_id, holder_last + 1, last, None, None,
                          SYSTEM_ACCOUNTS[AccountKind.buffer], BlockState.held))
    batch = {"batch_id": batch_id, "vintage_year": vintage, "serial_prefix": prefix,
             "first": first, "last": last, "quantity": quantity, "buffer_t": buffer_t,
             "serials": format_block(prefix, first, last)}
    return batch, moves
