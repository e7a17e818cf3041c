"""Pledges of future issuances (收储贷 / 碳汇共富贷): a bank's lien on a contract's parcels.

A bank registers a lien on the parcels of a collection contract (all, or some) against a loan
(reference, amount in fen, term end). While the lien is active, every issuance for those
parcels arrives pledged to the bank: in the same journal entry as the issuance, the parcels'
part of the credits issued to the holder (not the buffer's) moves from ``held`` to ``pledged``
under a new pledge (``pledge`` table, id ``PL-<issuance seq>-<n>``), so the ordinary rules hold:
pledged credits cannot be sold or retired, and the bank may release or default each pledge as
any other (``sinkledger release``).

The parcels' part of a batch's holder credits is the batch's holder credits split over the
issuance's parcels by area (:mod:`ledger.income.contributions`, largest remainder), summed over
the lien's parcels; the first serials of the holder block are pledged.

Ending the lien (only by the pledgee bank) ends every pledge it made that is still active, in
one entry: a **release** on repayment returns the credits to ``held``; a **default** transfers
them to the bank's holding account. A parcel is under one active lien at a time.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ledger.allocation import allocate_largest_remainder
from ledger.commands import CommandContext
from ledger.domain import BlockState, EntryKind, Move, check_date
from ledger.income.contributions import parcel_weights
from ledger.income.documents import get_contract
from ledger.queries import page_of
from ledger.income.domain import check_codes, check_whole, is_key, record_id, shown
from ledger.income.permissions import require_party
from ledger.income.store import LienParcelRow, LienPledgeRow, LienRow
from ledger.parties import holding_account_id
from ledger.projection import apply_moves, describe_moves, get_account, tagged_blocks
from ledger.sale import check_text
from ledger.sql import Tx, in_list
from ledger.store import ContractParcelRow, PledgeRow
from sinkledger_base.errors import Conflict, InvalidInput, NotFound

ACTIVE, RELEASED, DEFAULTED = "active", "released", "defaulted"


def _check_loan(loan_amount_fen: Any, term_end: Any) -> str:
    check_whole(loan_amount_fen, "loan_amount_fen", minimum=1)
    return check_date(term_end, "term_end")


def _lien_parcels(session: Session, contract_no: str, parcel_codes: Any) -> list[str]:
    contracted = sorted(session.exec(select(ContractParcelRow.parcel_code).where(
        ContractParcelRow.contract_no == contract_no)).all())
    if parcel_codes is None:
        return contracted
    for code in check_codes(parcel_codes, "parcel_codes"):
        if code not in contracted:
            raise InvalidInput("parcel_not_in_contract", parcel=shown(code, 40), contract=contract_no)
    return sorted(parcel_codes)


def active_lien_of(session: Session, parcel_code: str) -> LienRow | None:
    """The active lien on a parcel, if any (there is at most one)."""
    return session.exec(select(LienRow).join(LienParcelRow, LienParcelRow.lien_id == LienRow.id).where(
        LienParcelRow.parcel_code == parcel_code, LienRow.status == ACTIVE)).first()


def register_lien(ctx: CommandContext, *, contract_no: str, loan_reference: str, loan_amount_fen: int,
                  term_end: str, parcel_codes: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    """The acting bank takes a lien on the future issuances of a contract's parcels."""
    contract = get_contract(ctx.session, contract_no)
    loan_reference = check_text(loan_reference, "loan_reference", 80)
    term_end = _check_loan(loan_amount_fen, term_end)
    codes = _lien_parcels(ctx.session, contract_no, parcel_codes)
    for code in codes:
        other = active_lien_of(ctx.session, code)
        if other is not None:
            raise Conflict("parcel_under_lien", parcel=code, lien=other.id)
    lien_id = record_id("LN", ctx.seq)
    ctx.session.add(LienRow(id=lien_id, seq=ctx.seq, bank_party_id=ctx.actor.party_id, contract_no=contract_no,
                            loan_reference=loan_reference, loan_amount_fen=loan_amount_fen, term_end=term_end,
                            status=ACTIVE))
    for code in codes:
        ctx.session.add(LienParcelRow(lien_id=lien_id, parcel_code=code))
    lien = {"lien_id": lien_id, "bank_party_id": ctx.actor.party_id, "contract_no": contract_no,
            "collective_party_id": contract.collective_party_id, "parcel_codes": codes,
            "loan_reference": loan_reference, "loan_amount_fen": loan_amount_fen, "term_end": term_end,
            "status": ACTIVE}
    return EntryKind.lien_registered.value, {"lien": lien, "result": lien}


# --- at issuance ------------------------------------------------------------------------------

def _holder_moves(payload: dict[str, Any]) -> dict[str, Move]:
    """The move that created each batch's holder block, by batch id."""
    out = {}
    for record in payload["moves"]:
        move = Move.from_record(record)
        if move.from_account is None and move.to_account == payload["result"]["to_account"]:
            out[move.batch_id] = move
    return out


ACTIVE_LIEN_SQL = ("SELECT l.id FROM lien_parcel lp JOIN lien l ON l.id = lp.lien_id "
                   "WHERE lp.parcel_code = {code} AND l.status = 'active' ORDER BY l.id LIMIT 1")


def _liens_for(session: Session | Tx, parcel_codes: list[str]) -> dict[str, list[str]]:
    """Active liens on any of the parcels: lien id → its parcels among them, in lien order."""
    codes = sorted(parcel_codes)
    if not codes:
        return {}
    marks, params = in_list("pc", dict.fromkeys(codes))
    lien_of = dict(Tx.of(session).all(
        f"SELECT lp.parcel_code, l.id FROM lien_parcel lp JOIN lien l ON l.id = lp.lien_id "
        f"WHERE lp.parcel_code IN ({marks}) AND l.status = 'active' ORDER BY l.id DESC", params))
    return _by_lien(codes, lien_of)


def _by_lien(codes: list[str], lien_of: dict[str, str | None]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code in codes:
        if lien_of.get(code) is not None:
            out.setdefault(lien_of[code], []).append(code)
    return dict(sorted(out.items()))


def pledge_issuance(ctx: CommandContext, payload: dict[str, Any], weights: dict[str, int] | None = None,
                    lien_of: dict[str, str | None] | None = None) -> tuple[list[Move], list[dict[str, Any]]]:
    """Pledge the liens' part of an issuance just recorded; return the moves and the pledges.

    ``weights`` (the parcels' weights before the issuance) and ``lien_of`` (each parcel's active
    lien, or None), if the caller read them already."""
    codes = payload["parcel_codes"]
    liens = _liens_for(ctx.tx, codes) if lien_of is None else _by_lien(sorted(codes), lien_of)
    if not liens:
        return [], []
    holder = _holder_moves(payload)
    if weights is None:
        weights = parcel_weights(ctx.tx, codes, ctx.seq)
    offsets = {batch_id: move.first for batch_id, move in holder.items()}
    moves, pledges = [], []
    for n, (lien_id, codes) in enumerate(liens.items(), start=1):
        pledge_id = f"{record_id('PL', ctx.seq)}-{n}"
        lien_moves = _lien_moves(holder, weights, codes, offsets, pledge_id)
        if lien_moves:
            moves += lien_moves
            pledges.append(_record_pledge(ctx, lien_id, pledge_id, lien_moves, codes))
    apply_moves(ctx.tx, moves)
    return moves, pledges


def _lien_moves(holder: dict[str, Move], weights: dict[str, int], codes: list[str], offsets: dict[str, int],
                pledge_id: str) -> list[Move]:
    moves = []
    for batch_id, created in holder.items():
        parts = allocate_largest_remainder(created.last - created.first + 1, weights)
        quantity = sum(parts[c] for c in codes)
        if quantity:
            first = offsets[batch_id]
            moves.append(Move(batch_id, first, first + quantity - 1, created.to_account, BlockState.held,
                              created.to_account, BlockState.pledged, pledge_id))
            offsets[batch_id] = first + quantity
    return moves


def _record_pledge(ctx: CommandContext, lien_id: str, pledge_id: str, moves: list[Move],
                   codes: list[str]) -> dict[str, Any]:
    bank, loan_reference, loan_amount_fen, term_end = ctx.tx.one(
        "SELECT bank_party_id, loan_reference, loan_amount_fen, term_end FROM lien WHERE id = :id", {"id": lien_id})
    quantity = sum(m.last - m.first + 1 for m in moves)
    ctx.tx.insert_rows("pledge", [{"id": pledge_id, "seq": ctx.seq, "account_id": moves[0].to_account,
                                    "bank_party_id": bank, "quantity": quantity, "loan_reference": loan_reference,
                                    "loan_amount_fen": loan_amount_fen, "term_end": term_end, "status": ACTIVE,
                                    "ended_seq": None}])
    ctx.tx.insert_rows("lien_pledge", [{"pledge_id": pledge_id, "lien_id": lien_id, "issuance_seq": ctx.seq}])
    return {"pledge_id": pledge_id, "lien_id": lien_id, "bank_party_id": bank,
            "account_id": moves[0].to_account, "parcel_codes": codes, "quantity": quantity}


# --- ending a lien ----------------------------------------------------------------------------

def get_lien(session: Session, lien_id: Any) -> LienRow:
    """A lien by id (``lien_not_found``)."""
    row = session.get(LienRow, lien_id) if is_key(lien_id) else None
    if row is None:
        raise NotFound("lien_not_found", lien=shown(lien_id, 40))
    return row


def end_lien(ctx: CommandContext, *, lien_id: str, default: bool) -> tuple[str, dict[str, Any]]:
    """Release (repayment) or default: end the lien and every active pledge it made, in one entry."""
    command = "lien_default" if default else "lien_release"
    lien = get_lien(ctx.session, lien_id)
    require_party(ctx.actor, command, lien.bank_party_id)
    if lien.status != ACTIVE:
        raise Conflict("lien_not_active", lien=lien_id, status=lien.status)
    bank_account = holding_account_id(lien.bank_party_id)
    if default:
        get_account(ctx.session, bank_account)
    moves, ended = [], []
    for pledge in _active_pledges(ctx.session, lien_id):
        moves += _pledge_moves(ctx.session, pledge, bank_account if default else pledge.account_id)
        pledge.status, pledge.ended_seq = (DEFAULTED if default else RELEASED), ctx.seq
        ctx.session.add(pledge)
        ended.append(pledge.id)
    apply_moves(ctx.session, moves)
    lien.status, lien.ended_seq = (DEFAULTED if default else RELEASED), ctx.seq
    ctx.session.add(lien)
    result = {"lien_id": lien_id, "status": lien.status, "pledges_ended": ended,
              "quantity": sum(m.last - m.first + 1 for m in moves),
              "to_account": bank_account if default else None, "blocks": describe_moves(ctx.session, moves)}
    payload = {**{k: v for k, v in result.items() if k != "blocks"}, "moves": [m.to_record() for m in moves],
               "result": result}
    return (EntryKind.lien_defaulted if default else EntryKind.lien_released).value, payload


def _active_pledges(session: Session, lien_id: str) -> list[PledgeRow]:
    return list(session.exec(select(PledgeRow).join(LienPledgeRow, LienPledgeRow.pledge_id == PledgeRow.id).where(
        LienPledgeRow.lien_id == lien_id, PledgeRow.status == ACTIVE).order_by(PledgeRow.id)).all())


def _pledge_moves(session: Session, pledge: PledgeRow, to_account: str) -> list[Move]:
    blocks = tagged_blocks(session, pledge.id, BlockState.pledged)
    return [Move(b.batch_id, b.first, b.last, b.account_id, b.state, to_account, BlockState.held) for b in blocks]


def liens(session: Session, *, bank_party_id: str | None = None) -> list[dict[str, Any]]:
    """Liens (all, or one bank's) with their parcels and the pledges they made."""
    return liens_page(session, bank_party_id=bank_party_id)[0]


def liens_page(session: Session, *, bank_party_id: str | None = None, limit: int | None = None,
               offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """:func:`liens`, one page of them read as a page by the database, and how many there are."""
    query = select(LienRow).order_by(LienRow.seq)
    rows, total = page_of(session, query.where(LienRow.bank_party_id == bank_party_id) if bank_party_id else query,
                          limit=limit, offset=offset)
    out = []
    for lien in rows:
        codes = session.exec(select(LienParcelRow.parcel_code).where(LienParcelRow.lien_id == lien.id)
                             .order_by(LienParcelRow.parcel_code)).all()
        pledges = session.exec(select(PledgeRow).join(LienPledgeRow, LienPledgeRow.pledge_id == PledgeRow.id)
                               .where(LienPledgeRow.lien_id == lien.id).order_by(PledgeRow.id)).all()
        out.append(lien.model_dump() | {"parcel_codes": list(codes), "pledges": [
            {"pledge_id": p.id, "account_id": p.account_id, "quantity": p.quantity, "status": p.status}
            for p in pledges]})
    return out, total
