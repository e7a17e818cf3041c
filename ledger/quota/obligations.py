"""Quota obligations: set by an authority, discharged by retirements (see :mod:`ledger.quota`).

Three commands, each one journal entry:

- :func:`set_obligation` (the authority): enterprise, tonnes, start date and deadline, which
  sink types, vintages and counties count, the decision's reference;
- :func:`surrender` (the enterprise from its own holding, or the trading clerk for it, who may
  also buy the credits from a seller in the same entry): eligible credits, oldest vintage first,
  move to ``SYS-RETIRED`` with retirement kind ``obligation``; never more than what remains;
- :func:`claim` (the enterprise, the clerk, or the obligation's authority): count an earlier
  voluntary retirement of the enterprise's own, made on or after the start date; its eligible
  tonnes count, up to what remains, and the retirement is used up (it counts for no other).

The obligation is **met** by the entry that counts its last tonne (``met_seq``, ``met_date``; on
time or not is the deadline's comparison); after that nothing more is counted
(``obligation_already_met``). Status on a day: ``open``, ``overdue`` (past the deadline, not
met), ``met``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from ledger.commands import CommandContext
from ledger.compensation.domain import (
    Eligibility,
    check_counties,
    check_sink_types,
    check_vintage,
)
from ledger.compensation.programmes import require_authority
from ledger.domain import (
    SYSTEM_ACCOUNTS,
    AccountKind,
    Block,
    BlockState,
    EntryKind,
    Move,
    PartyKind,
    check_date,
    plan_take,
)
from ledger.parties import holding_account_id
from ledger.permissions import require_owner
from ledger.projection import apply_moves, available_blocks, describe_moves, get_account
from ledger.quota.store import ObligationCreditRow, QuotaObligationRow
from ledger.retirement import RetirementKind, retirement_id
from ledger.sale import MAX_CONTRACT_NO_CHARS, check_quantity, check_text
from ledger.sql import Tx
from ledger.store import RetirementRow, SaleRow
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, NotPermitted

MAX_REFERENCE_CHARS = 80
MAX_QUANTITY_T = 10**9
MAX_TERM_YEARS = 30  # a deadline further from the start than this is refused as absurd
OPEN, MET, OVERDUE = "open", "met", "overdue"


def obligation_id(seq: int) -> str:
    """``QO-00000042``: the obligation set by entry 42."""
    return f"QO-{seq:08d}"


def get_obligation(tx: Tx, ident: Any) -> QuotaObligationRow:
    row = tx.session.get(QuotaObligationRow, ident) if isinstance(ident, str) else None
    if row is None:
        raise NotFound("obligation_not_found", obligation=str(ident)[:40])
    return row


def eligibility(row: QuotaObligationRow) -> Eligibility:
    return Eligibility(sink_types=tuple(json.loads(row.sink_types)), county_codes=tuple(json.loads(row.county_codes)),
                       vintage_from=row.vintage_from, vintage_to=row.vintage_to)


def status_on(row: QuotaObligationRow, as_of: date | None) -> str:
    """``met``, ``overdue`` (not met after the deadline) or ``open`` on ``as_of``."""
    if row.status == MET:
        return MET
    if as_of is not None and as_of.isoformat() > row.deadline:
        return OVERDUE
    return OPEN


def obligation_dict(row: QuotaObligationRow, as_of: date | None) -> dict[str, Any]:
    out = row.model_dump()
    out["sink_types"], out["county_codes"] = json.loads(row.sink_types), json.loads(row.county_codes)
    out["obligation_id"] = row.id
    out["shortfall_t"] = max(row.quantity_t - row.counted_t, 0)
    out["status"] = status_on(row, as_of)
    out["met_on_time"] = row.met_date <= row.deadline if row.met_date else None
    return out


# --- setting an obligation ---------------------------------------------------------------------

def set_obligation(ctx: CommandContext, *, enterprise_party_id: str, quantity_t: int, deadline: str,
                   sink_types: list[str], vintage_from: int, vintage_to: int, reference: str,
                   county_codes: list[str] | None = None, start_date: str | None = None) -> tuple[str, dict[str, Any]]:
    """The acting authority sets an obligation on an enterprise."""
    tx = ctx.tx
    party = tx.one("SELECT kind FROM party WHERE id = :p", {"p": enterprise_party_id}) \
        if isinstance(enterprise_party_id, str) else None
    if party is None or party[0] != PartyKind.enterprise.value:
        raise NotFound("enterprise_not_found", party=str(enterprise_party_id)[:40])
    if not isinstance(quantity_t, int) or isinstance(quantity_t, bool) or quantity_t > MAX_QUANTITY_T:
        raise InvalidInput("value_invalid", field="quantity_t", value=repr(quantity_t)[:40])
    start = check_date(start_date or ctx.recorded_at[:10], "start_date")
    deadline = check_date(deadline, "deadline")
    latest = date.fromisoformat(start) + timedelta(days=366 * MAX_TERM_YEARS)
    if deadline <= start or date.fromisoformat(deadline) > latest:
        raise InvalidInput("obligation_deadline_invalid", start_date=start, deadline=deadline,
                           max_years=MAX_TERM_YEARS)
    obligation = {
        "obligation_id": obligation_id(ctx.seq), "authority_party_id": ctx.actor.party_id,
        "enterprise_party_id": enterprise_party_id, "reference": check_text(reference, "reference", MAX_REFERENCE_CHARS),
        "quantity_t": check_quantity(quantity_t), "start_date": start, "deadline": deadline,
        "sink_types": check_sink_types(sink_types), "county_codes": check_counties(county_codes),
        "vintage_from": check_vintage(vintage_from, "vintage_from"),
        "vintage_to": check_vintage(vintage_to, "vintage_to")}
    if obligation["vintage_from"] > obligation["vintage_to"]:
        raise InvalidInput("vintages_invalid", vintage_from=obligation["vintage_from"],
                           vintage_to=obligation["vintage_to"])
    tx.insert(QuotaObligationRow(
        id=obligation["obligation_id"], seq=ctx.seq, **{k: obligation[k] for k in (
            "authority_party_id", "enterprise_party_id", "reference", "quantity_t", "start_date", "deadline",
            "vintage_from", "vintage_to")},
        sink_types=json.dumps(obligation["sink_types"]), county_codes=json.dumps(obligation["county_codes"]),
        counted_t=0, credits=0, status=OPEN, updated_seq=ctx.seq, recorded_at=ctx.recorded_at))
    result = {**obligation, "counted_t": 0, "shortfall_t": obligation["quantity_t"], "status": OPEN}
    return EntryKind.obligation_set.value, {"obligation": obligation, "result": result}


# --- what counts -------------------------------------------------------------------------------

def _batch_facts(tx: Tx, batch_id: str, cache: dict[str, tuple]) -> tuple:
    if batch_id not in cache:
        cache[batch_id] = tx.one("SELECT sink_type, county_code, vintage_year FROM batch WHERE id = :b",
                                 {"b": batch_id})
    return cache[batch_id]


def _eligible(tx: Tx, rules: Eligibility, batch_id: str, cache: dict[str, tuple]) -> bool:
    sink_type, county, vintage = _batch_facts(tx, batch_id, cache)
    return rules.refusal(sink_type=sink_type, county_code=county, vintage_year=vintage) is None


def _matching(tx: Tx, rules: Eligibility, blocks: Iterable[Block]) -> Iterator[Block]:
    cache: dict[str, tuple] = {}
    for block in blocks:
        if _eligible(tx, rules, block.batch_id, cache):
            yield block


def _open(ctx: CommandContext, ident: str) -> QuotaObligationRow:
    row = get_obligation(ctx.tx, ident)
    if row.status == MET:
        raise Conflict("obligation_already_met", obligation=row.id, met_date=row.met_date)
    return row


def _count(ctx: CommandContext, row: QuotaObligationRow, counted_t: int) -> dict[str, Any]:
    """Add ``counted_t`` to the obligation; met when nothing remains. Returns its state after."""
    row.counted_t += counted_t
    row.credits += 1
    if row.counted_t >= row.quantity_t:
        row.status, row.met_seq, row.met_date = MET, ctx.seq, ctx.recorded_at[:10]
    row.updated_seq = ctx.seq
    ctx.tx.run("UPDATE quota_obligation SET counted_t = :c, credits = :n, status = :s, met_seq = :m, met_date = :d, "
               "updated_seq = :u WHERE id = :id", {"c": row.counted_t, "n": row.credits, "s": row.status,
                                                   "m": row.met_seq, "d": row.met_date, "u": ctx.seq, "id": row.id})
    return {"counted_t": row.counted_t, "credits": row.credits, "status": row.status, "met_seq": row.met_seq,
            "met_date": row.met_date}


def _describe(rules: Eligibility) -> str:
    text = f"sink_types={'/'.join(rules.sink_types)}, vintages={rules.vintage_from}-{rules.vintage_to}"
    return text + (f", counties={'/'.join(rules.county_codes)}" if rules.county_codes else "")


# --- surrender ---------------------------------------------------------------------------------

def surrender(ctx: CommandContext, *, obligation_id: str, quantity_t: int, seller_account: str | None = None,
              price_fen_per_t: int | None = None, contract_no: str | None = None) -> tuple[str, dict[str, Any]]:
    """Retire eligible credits of the enterprise against the obligation (buying them first from
    ``seller_account`` in the same entry, when given), oldest vintage first."""
    tx = ctx.tx
    row = _open(ctx, obligation_id)
    account_id = holding_account_id(row.enterprise_party_id)
    require_owner(ctx.actor, "obligation_surrender", row.enterprise_party_id)
    quantity_t = check_quantity(quantity_t)
    remaining = row.quantity_t - row.counted_t
    if quantity_t > remaining:
        raise Conflict("quantity_exceeds_obligation_remaining", obligation=row.id, requested=quantity_t,
                       remaining=remaining)
    rules, rid = eligibility(row), retirement_id(ctx.seq)
    purchase = _purchase_terms(ctx, seller_account, price_fen_per_t, contract_no, account_id)
    source = purchase["seller_account"] if purchase else account_id
    taken = plan_take(_matching(tx, rules, available_blocks(tx, source)), quantity_t, to_account=account_id,
                      to_state=BlockState.held)
    if not taken:
        available = sum(b.quantity for b in _matching(tx, rules, available_blocks(tx, source)))
        raise Conflict("insufficient_eligible_credits", account=source, requirement=_describe(rules),
                       requested=quantity_t, available=available)
    retire = [Move(m.batch_id, m.first, m.last, account_id, BlockState.held, SYSTEM_ACCOUNTS[AccountKind.retirement],
                   BlockState.retired, rid) for m in taken]
    moves = (taken if purchase else []) + retire
    apply_moves(tx, moves)
    beneficiary, purpose = f"{row.reference}（{row.id}）", f"obligation {row.id}"
    if purchase:
        purchase["amount_fen"] = quantity_t * purchase["price_fen_per_t"]
        tx.insert(SaleRow(seq=ctx.seq, seller_account=purchase["seller_account"], buyer_account=account_id,
                          quantity=quantity_t, price_fen_per_t=purchase["price_fen_per_t"],
                          amount_fen=purchase["amount_fen"], contract_no=purchase["contract_no"],
                          recorded_at=ctx.recorded_at))
    tx.insert(RetirementRow(id=rid, seq=ctx.seq, account_id=account_id, quantity=quantity_t, beneficiary=beneficiary,
                            purpose=purpose, retirement_kind=RetirementKind.obligation.value,
                            recorded_at=ctx.recorded_at))
    tx.insert(ObligationCreditRow(retirement_id=rid, obligation_id=row.id, seq=ctx.seq, how="surrender",
                                  retired_t=quantity_t, counted_t=quantity_t,
                                  sale_seq=ctx.seq if purchase else None,
                                  seller_account=purchase["seller_account"] if purchase else None,
                                  price_fen_per_t=purchase["price_fen_per_t"] if purchase else None,
                                  recorded_at=ctx.recorded_at))
    after = _count(ctx, row, quantity_t)
    credit = {"obligation_id": row.id, "retirement_id": rid, "account_id": account_id, "quantity_t": quantity_t,
              "beneficiary": beneficiary, "purpose": purpose, "retirement_kind": RetirementKind.obligation.value,
              "purchase": purchase}
    result = {**credit, **after, "shortfall_t": max(row.quantity_t - row.counted_t, 0),
              "blocks": describe_moves(tx, retire)}
    return EntryKind.obligation_surrender.value, {"surrender": credit, "moves": [m.to_record() for m in moves],
                                                  "obligation_after": after, "result": result}


def _purchase_terms(ctx: CommandContext, seller_account: Any, price_fen_per_t: Any, contract_no: Any,
                    buyer_account: str) -> dict[str, Any] | None:
    """A purchase in the surrender's entry: only the trading clerk records one (any seller)."""
    if seller_account is None:
        for field, value in (("price_fen_per_t", price_fen_per_t), ("contract_no", contract_no)):
            if value not in (None, ""):
                raise InvalidInput("value_invalid", field=field, value="no seller_account: nothing is bought")
        return None
    if ctx.actor.role.value != "trading_clerk":
        raise NotPermitted("not_permitted", role=ctx.actor.role.value, command="obligation_surrender")
    seller = get_account(ctx.tx, seller_account)
    if seller.kind != AccountKind.holding.value:
        raise InvalidInput("value_invalid", field="seller_account", value=str(seller_account)[:40])
    if seller_account == buyer_account:
        raise InvalidInput("accounts_must_be_different")
    if not isinstance(price_fen_per_t, int) or isinstance(price_fen_per_t, bool):
        raise InvalidInput("value_invalid", field="price_fen_per_t", value=repr(price_fen_per_t)[:40])
    if price_fen_per_t < 0:
        raise InvalidInput("price_must_not_be_negative")
    return {"seller_account": seller_account, "price_fen_per_t": price_fen_per_t,
            "contract_no": check_text(contract_no, "contract_no", MAX_CONTRACT_NO_CHARS)}


# --- claiming an earlier retirement ------------------------------------------------------------

def claim(ctx: CommandContext, *, obligation_id: str, retirement_id: str) -> tuple[str, dict[str, Any]]:
    """Count an earlier voluntary retirement of the enterprise against the obligation."""
    tx = ctx.tx
    row = _open(ctx, obligation_id)
    if ctx.actor.role.value == "authority":
        require_authority(ctx.actor, "obligation_claim", row.authority_party_id)
    else:
        require_owner(ctx.actor, "obligation_claim", row.enterprise_party_id)
    found = tx.one("SELECT id, seq, account_id, quantity, retirement_kind, recorded_at FROM retirement WHERE id = :r",
                   {"r": retirement_id}) if isinstance(retirement_id, str) else None
    if found is None:
        raise NotFound("retirement_not_found", retirement=str(retirement_id)[:40])
    rid, rseq, account_id, retired_t, kind, recorded_at = found
    used = tx.one("SELECT obligation_id FROM obligation_credit WHERE retirement_id = :r", {"r": rid})
    if used is not None:
        raise Conflict("retirement_already_counted", retirement=rid, obligation=used[0])
    if account_id != holding_account_id(row.enterprise_party_id):
        raise Conflict("retirement_not_enterprise_own", retirement=rid, enterprise=row.enterprise_party_id)
    if kind != RetirementKind.voluntary.value:
        raise Conflict("retirement_not_voluntary", retirement=rid, kind=kind)
    if recorded_at[:10] < row.start_date:
        raise Conflict("retirement_before_obligation", retirement=rid, date=recorded_at[:10],
                       start_date=row.start_date)
    body = tx.one("SELECT body, entry_hash FROM journal_entry WHERE seq = :s", {"s": rseq})
    rules, cache = eligibility(row), {}
    eligible_t = sum(m["last"] - m["first"] + 1 for m in json.loads(body[0])["payload"]["moves"]
                     if m["to_state"] == BlockState.retired.value and _eligible(tx, rules, m["batch_id"], cache))
    if eligible_t <= 0:
        raise Conflict("retirement_not_eligible", retirement=rid, requirement=_describe(rules))
    counted_t = min(eligible_t, row.quantity_t - row.counted_t)
    tx.insert(ObligationCreditRow(retirement_id=rid, obligation_id=row.id, seq=ctx.seq, how="claim",
                                  retired_t=retired_t, counted_t=counted_t, recorded_at=ctx.recorded_at))
    after = _count(ctx, row, counted_t)
    credit = {"obligation_id": row.id, "retirement_id": rid, "retirement_seq": rseq, "retirement_entry_hash": body[1],
              "retired_t": retired_t, "eligible_t": eligible_t, "counted_t": counted_t}
    result = {**credit, **after, "shortfall_t": max(row.quantity_t - row.counted_t, 0)}
    return EntryKind.obligation_claim.value, {"claim": credit, "obligation_after": after, "result": result}
