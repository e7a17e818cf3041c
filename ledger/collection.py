"""Collection (收储): a contract passes the sink rights of a collective's parcels to the
collection centre for a term, under payment terms of one of two kinds:

- ``fixed_per_mu_year``: a fixed payment in fen per mu per year;
- ``proceeds_share``: a share (basis points) of net sale proceeds after stated costs.

A parcel can be under one collection contract at a time (terms may not overlap). During the
term, credits issued for the parcels accrue to the centre's account.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from ledger.commands import CommandContext
from ledger.domain import EntryKind, PartyKind, check_date
from ledger.income.terms import check_cost_terms
from ledger.parties import holding_account_id
from ledger.sale import check_text
from ledger.store import CollectionContractRow, ContractParcelRow, PartyRow
from sinkledger_base.errors import Conflict, InvalidInput, NotFound
from sinks.store import ParcelRow

PAYMENT_KINDS = {"fixed_per_mu_year": "fen_per_mu_per_year", "proceeds_share": "share_bp"}
COST_KEYS = ("cost_share_bp", "cost_fen_per_t")  # stated costs of a proceeds share (ledger.income.terms)


def check_payment_terms(terms: Any) -> dict[str, Any]:
    if not isinstance(terms, dict) or terms.get("kind") not in PAYMENT_KINDS:
        raise InvalidInput("value_invalid", field="payment_terms.kind", value=str(terms)[:60])
    key = PAYMENT_KINDS[terms["kind"]]
    allowed = {"kind", key, "costs_note", *(COST_KEYS if terms["kind"] == "proceeds_share" else ())}
    unknown = sorted(set(terms) - allowed)
    if unknown:  # e.g. a fixed fee beside a share: one kind of terms per contract, nothing dropped silently
        raise InvalidInput("value_invalid", field=f"payment_terms.{unknown[0]}", value=repr(terms[unknown[0]])[:40])
    amount = terms.get(key)
    limit = 10_000 if key == "share_bp" else 10**12
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= limit:
        raise InvalidInput("value_invalid", field=f"payment_terms.{key}", value=str(amount)[:40])
    out = {"kind": terms["kind"], key: amount}
    if terms.get("costs_note"):
        out["costs_note"] = check_text(terms["costs_note"], "payment_terms.costs_note", 500)
    return out | check_cost_terms(terms)  # stated costs: cost_share_bp, cost_fen_per_t


def _check_parcels(ctx: CommandContext, parcel_codes: Any, collective: str, start: str, end: str) -> list[str]:
    if not isinstance(parcel_codes, list) or not parcel_codes or len(set(parcel_codes)) != len(parcel_codes):
        raise InvalidInput("value_invalid", field="parcel_codes", value=str(parcel_codes)[:60])
    for code in parcel_codes:
        parcel = ctx.session.exec(select(ParcelRow).where(ParcelRow.parcel_code == code)).first()
        if parcel is None:
            raise NotFound("parcel_not_found", parcel=code)
        if parcel.holder_party_id != collective:
            raise InvalidInput("value_invalid", field="parcel_codes", value=f"{code} is not held by {collective}")
        clash = ctx.session.exec(select(ContractParcelRow).where(
            ContractParcelRow.parcel_code == code, ContractParcelRow.term_start < end,
            ContractParcelRow.term_end > start)).first()
        if clash is not None:
            raise Conflict("parcel_under_contract", parcel=code, contract=clash.contract_no)
    return list(parcel_codes)


def collect(ctx: CommandContext, *, contract_no: str, collective_party_id: str, parcel_codes: list[str],
            term_start: str, term_end: str, signed_date: str, payment_terms: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    contract_no = check_text(contract_no, "contract_no", 80)
    start, end, signed = check_date(term_start, "term_start"), check_date(term_end, "term_end"), check_date(signed_date, "signed_date")
    if start >= end:
        raise InvalidInput("period_invalid")
    terms = check_payment_terms(payment_terms)
    if ctx.session.get(CollectionContractRow, contract_no) is not None:
        raise Conflict("value_invalid", field="contract_no", value=contract_no)
    collective = ctx.session.get(PartyRow, collective_party_id)
    if collective is None or collective.kind != PartyKind.collective.value:
        raise NotFound("party_not_found", party=collective_party_id)
    codes = _check_parcels(ctx, parcel_codes, collective_party_id, start, end)
    ctx.session.add(CollectionContractRow(
        contract_no=contract_no, seq=ctx.seq, centre_party_id=ctx.actor.party_id,
        collective_party_id=collective_party_id, term_start=start, term_end=end, signed_date=signed,
        payment_terms=json.dumps(terms, sort_keys=True)))
    for code in codes:
        ctx.session.add(ContractParcelRow(contract_no=contract_no, parcel_code=code, term_start=start, term_end=end))
    result = {"contract_no": contract_no, "centre_party_id": ctx.actor.party_id,
              "centre_account": holding_account_id(ctx.actor.party_id), "collective_party_id": collective_party_id,
              "parcel_codes": codes, "term_start": start, "term_end": end, "signed_date": signed,
              "payment_terms": terms}
    return EntryKind.collection.value, {**result, "result": result}


def centre_account_for(session: Any, parcel_codes: list[str], period_start: str, period_end: str) -> str | None:
    """The centre's account if every parcel is under a contract whose term covers the period."""
    centres = set()
    for code in parcel_codes:
        row = session.exec(select(ContractParcelRow).where(
            ContractParcelRow.parcel_code == code, ContractParcelRow.term_start <= period_start,
            ContractParcelRow.term_end >= period_end)).first()
        if row is None:
            return None
        centres.add(session.get(CollectionContractRow, row.contract_no).centre_party_id)
    return holding_account_id(centres.pop()) if len(centres) == 1 else None
