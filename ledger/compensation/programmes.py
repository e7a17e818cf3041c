"""The compensation commands: an authority registers a programme and pays the holders of verified sink.

A payment (:func:`pay`) rests on one verified estimate: the estimate must have been issued (and
the issuance not corrected); its batches are the units, one per vintage. For each eligible unit
the amount follows :func:`ledger.compensation.domain.unit_amount_fen`; together they must fit
in what is left of the budget. The payee is the **holder**: the party whose account the issuance
credited (the sink's right holder for that period: the collection centre for contracted parcels,
else the collective). The money then follows the collection contracts exactly as a sale's
proceeds do (:func:`ledger.income.distribution.plan_distribution`, D1-D6 of docs/income.md): each
unit's tonnes → the parcels by their contributions to the batch → the payee's contract covering
the parcel for the batch's period → stated costs, the villages' share, households by their
shares; the household and collective lines become due items (``source_kind`` ``compensation``,
``EC-<seq>-<line>``) that the payee pays with the ordinary payment command, and that statements
show.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ledger.commands import CommandContext
from ledger.compensation.domain import (
    MAX_BUDGET_FEN,
    MAX_RATE_FEN,
    Basis,
    Eligibility,
    check_counties,
    check_sink_types,
    check_vintage,
    days_in_vintage,
    payment_id,
    unit_amount_fen,
    whole_fen,
)
from ledger.compensation.store import CompensationPaymentRow, CompensationProgrammeRow, CompensationUnitRow
from ledger.domain import EntryKind, check_date
from ledger.income.distribution import (
    ContractFacts,
    SaleFacts,
    contract_facts,
    contract_for,
    plan_distribution,
    totals,
)
from ledger.income.domain import PAID_ROLE_VALUES, line_id
from ledger.income.contributions import batch_contributions
from ledger.sale import check_text
from ledger.sql import Tx, in_list
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, NotPermitted

MAX_NAME_CHARS, MAX_REFERENCE_CHARS = 200, 80
PROGRAMME_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")  # e.g. HZSTBC-2026
SOURCE_KIND = "compensation"  # the due items' source kind


# --- reading -----------------------------------------------------------------------------------

def get_programme(tx: Tx, code: Any) -> CompensationProgrammeRow:
    """The programme ``code`` (``programme_not_found``)."""
    row = tx.session.get(CompensationProgrammeRow, code) if isinstance(code, str) else None
    if row is None:
        raise NotFound("programme_not_found", programme=str(code)[:40])
    return row


def eligibility(row: CompensationProgrammeRow) -> Eligibility:
    return Eligibility(sink_types=tuple(json.loads(row.sink_types)), county_codes=tuple(json.loads(row.county_codes)),
                       vintage_from=row.vintage_from, vintage_to=row.vintage_to)


def programme_dict(row: CompensationProgrammeRow) -> dict[str, Any]:
    out = row.model_dump()
    out["sink_types"], out["county_codes"] = json.loads(row.sink_types), json.loads(row.county_codes)
    out["remaining_fen"] = row.budget_fen - row.paid_fen
    return out


# --- registering a programme -------------------------------------------------------------------

def register_programme(ctx: CommandContext, *, code: str, name: str, reference: str, basis: str, rate_fen: int,
                       budget_fen: int, sink_types: list[str], county_codes: list[str] | None, vintage_from: int,
                       vintage_to: int, period_start: str, period_end: str) -> tuple[str, dict[str, Any]]:
    """The acting authority registers a programme; its party is the programme's authority."""
    if not isinstance(code, str) or not PROGRAMME_CODE.match(code):
        raise InvalidInput("value_invalid", field="code", value=repr(code)[:40])
    try:
        basis_enum = Basis(basis)
    except ValueError:
        raise InvalidInput("value_invalid", field="basis", value=repr(basis)[:40]) from None
    programme = {
        "code": code, "authority_party_id": ctx.actor.party_id, "name": check_text(name, "name", MAX_NAME_CHARS),
        "reference": check_text(reference, "reference", MAX_REFERENCE_CHARS), "basis": basis_enum.value,
        "rate_fen": whole_fen(rate_fen, "rate_fen", MAX_RATE_FEN),
        "budget_fen": whole_fen(budget_fen, "budget_fen", MAX_BUDGET_FEN),
        "sink_types": check_sink_types(sink_types), "county_codes": check_counties(county_codes),
        "vintage_from": check_vintage(vintage_from, "vintage_from"),
        "vintage_to": check_vintage(vintage_to, "vintage_to"),
        "period_start": check_date(period_start, "period_start"), "period_end": check_date(period_end, "period_end")}
    if programme["vintage_from"] > programme["vintage_to"]:
        raise InvalidInput("vintages_invalid", vintage_from=programme["vintage_from"],
                           vintage_to=programme["vintage_to"])
    if programme["period_start"] >= programme["period_end"]:
        raise InvalidInput("programme_period_invalid", period_start=programme["period_start"],
                           period_end=programme["period_end"])
    if ctx.tx.one("SELECT 1 FROM compensation_programme WHERE code = :c", {"c": code}) is not None:
        raise Conflict("programme_code_taken", programme=code)
    ctx.tx.insert(CompensationProgrammeRow(
        **{k: v for k, v in programme.items() if k not in ("sink_types", "county_codes")},
        sink_types=json.dumps(programme["sink_types"]), county_codes=json.dumps(programme["county_codes"]),
        seq=ctx.seq, paid_fen=0, payments=0, updated_seq=ctx.seq, recorded_at=ctx.recorded_at))
    result = {**programme, "paid_fen": 0, "remaining_fen": programme["budget_fen"]}
    return EntryKind.compensation_programme_registered.value, {"programme": programme, "result": result}


# --- the units of an estimate ------------------------------------------------------------------

_BATCHES_SQL = ("SELECT b.id, b.vintage_year, b.sink_type, b.county_code, b.first, b.last, b.issuance_seq, "
                "b.period_start, b.period_end FROM batch b WHERE b.estimate_id = :e ORDER BY b.vintage_year, b.id")


def _verified_estimate(tx: Tx, estimate_id: Any) -> dict[str, Any]:
    """The estimate with its issuance (``estimate_not_found``, ``estimate_not_verified``)."""
    row = tx.one("SELECT id, sink_type, parcel_codes, period_start, period_end, reproducibility_hash "
                 "FROM estimate WHERE id = :e", {"e": estimate_id}) if isinstance(estimate_id, str) else None
    if row is None:
        raise NotFound("estimate_not_found", estimate=str(estimate_id)[:40])
    batches = tx.all(_BATCHES_SQL, {"e": row[0]})
    issuance_seq = batches[0][6] if batches else None
    corrected = issuance_seq is not None and tx.one(
        "SELECT 1 FROM correction WHERE corrected_seq = :s", {"s": issuance_seq}) is not None
    if not batches or corrected:
        raise Conflict("estimate_not_verified", estimate=row[0])
    entry = tx.one("SELECT entry_hash, body FROM journal_entry WHERE seq = :s", {"s": issuance_seq})
    to_account = json.loads(entry[1])["payload"]["result"]["to_account"]
    holder = tx.one("SELECT party_id FROM account WHERE id = :a", {"a": to_account})
    return {"estimate_id": row[0], "sink_type": row[1], "parcel_codes": json.loads(row[2]),
            "period_start": row[3], "period_end": row[4], "estimate_hash": row[5], "issuance_seq": issuance_seq,
            "issuance_entry_hash": entry[0], "holder_account": to_account, "holder_party_id": holder[0],
            "batches": [dict(zip(("batch_id", "vintage_year", "sink_type", "county_code", "first", "last",
                                  "issuance_seq", "period_start", "period_end"), b)) for b in batches]}


def _area_units(tx: Tx, batch_id: str, parcel_codes: list[str]) -> int:
    """The estimate's area in 0.01 m²: the parcels' weights recorded with the batch, else (an
    issuance recorded before contributions were) the parcels' areas now."""
    row = tx.one("SELECT sum(weight) FROM issuance_contribution WHERE batch_id = :b", {"b": batch_id})
    if row is not None and row[0]:
        return int(row[0])
    marks, params = in_list("p", parcel_codes)
    return sum(round(a * 100) for (a,) in tx.all(f"SELECT area_m2 FROM parcel WHERE parcel_code IN ({marks})", params))


def _chosen_vintages(estimate: dict[str, Any], vintages: Any) -> set[int] | None:
    if vintages is None:
        return None
    issued = {b["vintage_year"] for b in estimate["batches"]}
    if not isinstance(vintages, (list, tuple)) or not vintages:
        raise InvalidInput("value_invalid", field="vintages", value=repr(vintages)[:40])
    for v in vintages:
        if not isinstance(v, int) or isinstance(v, bool) or v not in issued:
            raise InvalidInput("value_invalid", field="vintages", value=repr(v)[:40])
    return set(vintages)


def plan_units(tx: Tx, programme: CompensationProgrammeRow, estimate: dict[str, Any],
               vintages: set[int] | None) -> list[dict[str, Any]]:
    """The units a payment for ``estimate`` pays (every eligible vintage, or those chosen), each
    with its amount; refused if one is not eligible or already paid, or none is left."""
    rules, basis = eligibility(programme), Basis(programme.basis)
    units = []
    for batch in estimate["batches"]:
        vintage = batch["vintage_year"]
        if vintages is not None and vintage not in vintages:
            continue
        why = rules.refusal(sink_type=batch["sink_type"], county_code=batch["county_code"], vintage_year=vintage)
        if why is not None:
            if vintages is None and why == "vintage":
                continue  # the estimate's other vintages are simply not this programme's
            value = {"sink_type": batch["sink_type"], "county": batch["county_code"]}.get(why, vintage)
            raise Conflict("estimate_not_eligible", estimate=estimate["estimate_id"], vintage=vintage,
                           detail=f"{why}={value}")
        paid = tx.one("SELECT payment_id FROM compensation_unit WHERE programme_code = :p AND estimate_id = :e "
                      "AND vintage_year = :v", {"p": programme.code, "e": estimate["estimate_id"], "v": vintage})
        if paid is not None:
            raise Conflict("compensation_already_paid", programme=programme.code, estimate=estimate["estimate_id"],
                           vintage=vintage, payment=paid[0])
        tonnes = batch["last"] - batch["first"] + 1
        area = _area_units(tx, batch["batch_id"], estimate["parcel_codes"]) if basis is Basis.per_ha else 0
        days, year_days = days_in_vintage(batch["period_start"], batch["period_end"], vintage)
        amount = unit_amount_fen(basis, programme.rate_fen, tonnes=tonnes, area_units=area, days=days,
                                 year_days=year_days)
        units.append({"vintage_year": vintage, "batch_id": batch["batch_id"], "quantity_t": tonnes,
                      "area_units": area, "days": days, "year_days": year_days, "amount_fen": amount})
    if not units:
        raise Conflict("estimate_not_eligible", estimate=estimate["estimate_id"], vintage="-",
                       detail=f"vintages={rules.vintage_from}-{rules.vintage_to}")
    if sum(u["amount_fen"] for u in units) <= 0:
        raise Conflict("compensation_nothing_to_pay", estimate=estimate["estimate_id"])
    return units


# --- from the units to households: the distribution rules of a sale ---------------------------

def payment_facts(tx: Tx, units: list[dict[str, Any]], amount_fen: int, payee_party_id: str) -> SaleFacts:
    """What :func:`plan_distribution` needs: the payment's amount over the units' tonnes (the
    money follows tonnes, as a sale's does: D3), the parcels' contributions to each batch, the
    payee's contracts covering them, household shares."""
    sold = {u["batch_id"]: u["quantity_t"] for u in units}
    contributions: dict[str, dict[str, int]] = {}
    contract_of: dict[tuple[str, str], str] = {}
    contracts: dict[str, ContractFacts] = {}
    shares: dict[str, dict[str, int]] = {}
    for batch_id in sold:
        contributions[batch_id] = batch_contributions(tx, batch_id)
        period = tx.one("SELECT period_start, period_end FROM batch WHERE id = :b", {"b": batch_id})
        batch = _Period(*period)
        for code in contributions[batch_id]:
            contract_no = contract_for(tx, code, batch, payee_party_id)
            if contract_no:
                contract_of[(batch_id, code)] = contract_no
                contracts.setdefault(contract_no, contract_facts(tx, contract_no))
            parcel = tx.one("SELECT household_shares FROM parcel WHERE parcel_code = :c", {"c": code})
            shares[code] = dict(sorted(json.loads((parcel[0] if parcel else None) or "{}").items()))
    return SaleFacts(amount_fen=amount_fen, seller_party_id=payee_party_id, sold_t=sold, contributions=contributions,
                     contract_of=contract_of, contracts=contracts, household_shares_bp=shares)


class _Period:
    def __init__(self, period_start: str, period_end: str) -> None:
        self.period_start, self.period_end = period_start, period_end


def draft_payment(tx: Tx, programme: CompensationProgrammeRow, estimate_id: Any, vintages: Any) -> dict[str, Any]:
    """What a payment would be now: the estimate, units, amount, distribution (nothing recorded)."""
    estimate = _verified_estimate(tx, estimate_id)
    units = plan_units(tx, programme, estimate, _chosen_vintages(estimate, vintages))
    amount = sum(u["amount_fen"] for u in units)
    plan = plan_distribution(payment_facts(tx, units, amount, estimate["holder_party_id"]))
    return {"programme_code": programme.code, "estimate": {k: v for k, v in estimate.items() if k != "batches"},
            "units": units, "amount_fen": amount, "quantity_t": sum(u["quantity_t"] for u in units),
            "area_units": max((u["area_units"] for u in units), default=0),
            "remaining_before_fen": programme.budget_fen - programme.paid_fen, **plan,
            "totals": totals(plan["lines"])}


# --- paying ------------------------------------------------------------------------------------

def require_authority(ctx_actor: Any, command: str, authority_party_id: str) -> None:
    """An authority acts on its own programmes and obligations only."""
    if ctx_actor.party_id != authority_party_id:
        raise NotPermitted("not_permitted", role=ctx_actor.role.value, command=command)


def pay(ctx: CommandContext, *, programme_code: str, estimate_id: str, paid_date: str, reference: str,
        vintages: list[int] | None = None) -> tuple[str, dict[str, Any]]:
    """The programme's authority pays the holder of a verified estimate's sink, in one entry."""
    tx = ctx.tx
    programme = get_programme(tx, programme_code)
    require_authority(ctx.actor, "compensation_pay", programme.authority_party_id)
    paid_date = check_date(paid_date, "paid_date")
    reference = check_text(reference, "reference", MAX_REFERENCE_CHARS)
    if not programme.period_start <= paid_date <= programme.period_end:
        raise Conflict("payment_outside_programme_period", paid_date=paid_date, period_start=programme.period_start,
                       period_end=programme.period_end)
    draft = draft_payment(tx, programme, estimate_id, vintages)
    remaining = programme.budget_fen - programme.paid_fen
    if draft["amount_fen"] > remaining:
        raise Conflict("programme_budget_exceeded", programme=programme.code, amount_fen=draft["amount_fen"],
                       remaining_fen=remaining)
    pid = payment_id(ctx.seq)
    estimate = draft["estimate"]
    villages = sum(line["amount_fen"] for line in draft["lines"] if line["role"] in PAID_ROLE_VALUES)
    payment = {"payment_id": pid, "programme_code": programme.code, "authority_party_id": programme.authority_party_id,
               "estimate_id": estimate["estimate_id"], "estimate_hash": estimate["estimate_hash"],
               "issuance_seq": estimate["issuance_seq"], "issuance_entry_hash": estimate["issuance_entry_hash"],
               "payee_party_id": estimate["holder_party_id"], "payee_account": estimate["holder_account"],
               "basis": programme.basis, "rate_fen": programme.rate_fen, "quantity_t": draft["quantity_t"],
               "area_units": draft["area_units"], "amount_fen": draft["amount_fen"], "villages_fen": villages,
               "paid_date": paid_date, "reference": reference}
    _write(ctx, programme, payment, draft)
    after = {"paid_fen": programme.paid_fen, "payments": programme.payments}
    result = {**payment, "units": draft["units"], "contracts": draft["contracts"], "totals": draft["totals"],
              "remaining_fen": programme.budget_fen - programme.paid_fen}
    body = {"payment": payment, "units": draft["units"], "parcel_codes": estimate["parcel_codes"],
            "sold": draft["sold"], "contracts": draft["contracts"], "lines": draft["lines"],
            "programme_after": after, "result": result}
    return EntryKind.compensation_payment.value, body


def _write(ctx: CommandContext, programme: CompensationProgrammeRow, payment: dict[str, Any],
           draft: dict[str, Any]) -> None:
    tx, pid = ctx.tx, payment["payment_id"]
    tx.insert(CompensationPaymentRow(id=pid, seq=ctx.seq, recorded_at=ctx.recorded_at, **{
        k: payment[k] for k in ("programme_code", "estimate_id", "estimate_hash", "issuance_seq", "payee_party_id",
                                "basis", "rate_fen", "quantity_t", "area_units", "amount_fen", "villages_fen",
                                "paid_date", "reference")}))
    tx.insert_rows("compensation_unit", [{
        "programme_code": programme.code, "estimate_id": payment["estimate_id"], "vintage_year": u["vintage_year"],
        "payment_id": pid, "seq": ctx.seq, "batch_id": u["batch_id"], "quantity_t": u["quantity_t"],
        "area_units": u["area_units"], "days": u["days"], "amount_fen": u["amount_fen"]} for u in draft["units"]])
    programme.paid_fen += payment["amount_fen"]
    programme.payments += 1
    programme.updated_seq = ctx.seq
    tx.run("UPDATE compensation_programme SET paid_fen = :paid, payments = :n, updated_seq = :s WHERE code = :c",
           {"paid": programme.paid_fen, "n": programme.payments, "s": ctx.seq, "c": programme.code})
    paid = [line for line in draft["lines"] if line["role"] in PAID_ROLE_VALUES and line["amount_fen"] > 0]
    kinds = _party_kinds(tx, {line["party_id"] for line in paid})
    tx.insert_rows("due_item", [due_row(pid, ctx.seq, payment, line, kinds[line["party_id"]]) for line in paid])


def due_row(pid: str, seq: int, payment: dict[str, Any], line: dict[str, Any], party_kind: str) -> dict[str, Any]:
    """A household's or collective's line of a payment as a due item (the payee owes it)."""
    return {"id": line_id(pid, line["line_no"]), "seq": seq, "source_kind": SOURCE_KIND, "source_id": pid,
            "contract_no": line["contract_no"], "payer_party_id": payment["payee_party_id"],
            "party_id": line["party_id"], "party_kind": party_kind, "role": line["role"],
            "parcel_code": line["parcel_code"], "parcel_tonnes": line["parcel_tonnes"], "share_bp": line["share_bp"],
            "attributed_kg": line["attributed_kg"], "amount_fen": line["amount_fen"], "paid_fen": 0,
            "basis_date": payment["paid_date"], "due_date": payment["paid_date"], "sale_seq": None}


def _party_kinds(tx: Tx, party_ids: set[str]) -> dict[str, str]:
    if not party_ids:
        return {}
    marks, params = in_list("p", sorted(party_ids))
    found = dict(tx.all(f"SELECT id, kind FROM party WHERE id IN ({marks})", params))
    return {p: found.get(p, "") for p in party_ids}
