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

from ledger.commands import CommandContext
from ledger.domain import EntryKind, PartyKind, check_date
from ledger.income.terms import check_cost_terms
from ledger.parties import holding_account_id
from ledger.sale import check_text
from ledger.sql import Tx, bindable_texts, in_list, insert_sql
from sinkledger_base.errors import Conflict, InvalidInput, NotFound

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


_CONTRACT_AND_PARTY = ("SELECT (SELECT 'x' FROM collection_contract WHERE contract_no = :c), "
                       "(SELECT kind FROM party WHERE id = :p)")
_PARCELS = ("SELECT p.parcel_code, p.holder_party_id, (SELECT cp.contract_no FROM contract_parcel cp "
            "WHERE cp.parcel_code = p.parcel_code AND cp.term_start < :e AND cp.term_end > :s "
            "ORDER BY cp.id LIMIT 1) FROM parcel p WHERE p.parcel_code IN ({marks})")


def _read_parcels(tx: Tx, codes: list[str], start: str, end: str) -> dict[str, tuple[str, str | None]]:
    """``code → (holder party, a contract whose term overlaps start..end or None)``, one statement."""
    marks, params = in_list("pc", codes)
    return {r[0]: (r[1], r[2]) for r in tx.all(_PARCELS.format(marks=marks), {**params, "s": start, "e": end})}


def _check_parcels(ctx: CommandContext, parcel_codes: Any, collective: str, start: str, end: str,
                   found: dict[str, tuple[str, str | None]] | None = None) -> list[str]:
    """The parcels, each registered, held by the collective and under no contract overlapping the
    term; ``found`` is what :func:`_read_parcels` read of them, if the caller read it already."""
    if not isinstance(parcel_codes, list) or not parcel_codes or len(set(parcel_codes)) != len(parcel_codes):
        raise InvalidInput("value_invalid", field="parcel_codes", value=str(parcel_codes)[:60])
    batched = found is not None or bindable_texts(parcel_codes)
    if batched and found is None:
        found = _read_parcels(ctx.tx, parcel_codes, start, end)
    for code in parcel_codes:
        # a code the driver cannot bind is looked up alone, in order, and refused where it stands
        parcel = found.get(code) if batched else _read_parcels(ctx.tx, [code], start, end).get(code)
        if parcel is None:
            raise NotFound("parcel_not_found", parcel=code)
        holder, clash = parcel
        if holder != collective:
            raise InvalidInput("value_invalid", field="parcel_codes", value=f"{code} is not held by {collective}")
        if clash is not None:
            raise Conflict("parcel_under_contract", parcel=code, contract=clash)
    return list(parcel_codes)


def _read_request(tx: Tx, contract_no: str, collective_party_id: Any, parcel_codes: Any, start: str,
                  end: str) -> tuple[bool, str | None, dict[str, tuple[str, str | None]] | None]:
    """Whether the contract number is taken, the collective's party kind, and (when the codes can
    be read at once) the parcels: one statement when every key is plain text."""
    if not bindable_texts([collective_party_id]):
        taken = tx.one("SELECT 1 FROM collection_contract WHERE contract_no = :c", {"c": contract_no})
        if taken is not None:
            return True, None, None
        kind = tx.one("SELECT kind FROM party WHERE id = :p", {"p": collective_party_id})
        return False, kind[0] if kind else None, None
    if not (isinstance(parcel_codes, list) and parcel_codes and bindable_texts(parcel_codes)):
        taken, kind = tx.one(_CONTRACT_AND_PARTY, {"c": contract_no, "p": collective_party_id})
        return taken is not None, kind, None
    marks, params = in_list("pc", parcel_codes)
    rows = tx.all(f"SELECT 0, {_CONTRACT_AND_PARTY[7:]}, NULL UNION ALL "
                  f"SELECT 1, {_PARCELS[7:].format(marks=marks)}",
                  {**params, "c": contract_no, "p": collective_party_id, "s": start, "e": end})
    found = {}
    taken, kind = None, None
    for r in rows:
        if r[0] == 0:
            taken, kind = r[1], r[2]
        else:
            found[r[1]] = (r[2], r[3])
    return taken is not None, kind, found


def collect(ctx: CommandContext, *, contract_no: str, collective_party_id: str, parcel_codes: list[str],
            term_start: str, term_end: str, signed_date: str, payment_terms: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    contract_no = check_text(contract_no, "contract_no", 80)
    start, end, signed = check_date(term_start, "term_start"), check_date(term_end, "term_end"), check_date(signed_date, "signed_date")
    if start >= end:
        raise InvalidInput("period_invalid")
    terms = check_payment_terms(payment_terms)
    taken, kind, found = _read_request(ctx.tx, contract_no, collective_party_id, parcel_codes, start, end)
    if taken:
        raise Conflict("value_invalid", field="contract_no", value=contract_no)
    if kind is None or kind != PartyKind.collective.value:
        raise NotFound("party_not_found", party=collective_party_id)
    codes = _check_parcels(ctx, parcel_codes, collective_party_id, start, end, found)
    ctx.tx.run(insert_sql("collection_contract", _CONTRACT_COLUMNS), {
        "contract_no": contract_no, "seq": ctx.seq, "centre_party_id": ctx.actor.party_id,
        "collective_party_id": collective_party_id, "term_start": start, "term_end": end, "signed_date": signed,
        "payment_terms": json.dumps(terms, sort_keys=True)})
    ctx.tx.insert_rows("contract_parcel", [{"contract_no": contract_no, "parcel_code": code, "term_start": start,
                                             "term_end": end} for code in codes])
    result = {"contract_no": contract_no, "centre_party_id": ctx.actor.party_id,
              "centre_account": holding_account_id(ctx.actor.party_id), "collective_party_id": collective_party_id,
              "parcel_codes": codes, "term_start": start, "term_end": end, "signed_date": signed,
              "payment_terms": terms}
    return EntryKind.collection.value, {**result, "result": result}


_CONTRACT_COLUMNS = ("contract_no", "seq", "centre_party_id", "collective_party_id", "term_start", "term_end",
                     "signed_date", "payment_terms")


def centre_account_for(session: Any, parcel_codes: list[str], period_start: str, period_end: str) -> str | None:
    """The centre's account if every parcel is under a contract whose term covers the period
    (one statement; ``session`` a session or a :class:`~ledger.sql.Tx`)."""
    if not parcel_codes:
        return None
    marks, params = in_list("pc", parcel_codes)
    centre_of: dict[str, str] = {}
    for code, centre in Tx.of(session).all(
            "SELECT cp.parcel_code, cc.centre_party_id FROM contract_parcel cp JOIN collection_contract cc "
            f"ON cc.contract_no = cp.contract_no WHERE cp.parcel_code IN ({marks}) AND cp.term_start <= :ps "
            "AND cp.term_end >= :pe ORDER BY cp.id", {**params, "ps": period_start, "pe": period_end}):
        centre_of.setdefault(code, centre)
    if any(code not in centre_of for code in parcel_codes):
        return None
    centres = set(centre_of.values())
    return holding_account_id(centres.pop()) if len(centres) == 1 else None
