"""Revenue distribution (收益分配): a sale's proceeds to contracts, collectives and households.

The trace, for one sale (all amounts whole fen, all splits largest remainder in a stable order,
:mod:`ledger.allocation`):

D1. sold credits → parcels: each batch's sold tonnes (moved out of the seller's account; a
    purchase that also retires counts them once) split over the parcels by their
    contributions to the batch (:mod:`ledger.income.contributions`); a batch without parcels
    (imported) is *untraced*;
D2. each (parcel, contract) is keyed by the collection contract of the seller (the centre) that
    covers the parcel for the batch's monitoring period, or by none;
D3. gross proceeds (the sale's amount) → keys, pro rata to tonnes (keys sorted by parcel, contract);
D4. per ``proceeds_share`` contract: gross − stated costs (:class:`~ledger.income.terms.PaymentTerms`)
    = net; net → the villages' share (``share_bp``; a half-fen tie goes to the villages) and the
    centre's; the villages' share → the contract's parcels pro rata to tonnes (sorted codes);
    each parcel's part → its households by their shares in basis points (sorted party ids), or
    to the collective when the parcel has no household shares;
D5. per ``fixed_per_mu_year`` contract: the parcels' gross stays with the centre, which pays the
    villages by schedule instead (:mod:`ledger.income.obligations`);
D6. credits of no contract of the seller, or untraced: the gross stays with the seller.

Each level sums exactly to its parent, so the lines sum exactly to the sale's amount; no line is
negative; the same journal gives the same lines. A distribution is one journal entry per sale
(request id ``distribution:<sale seq>`` by default); the household and collective lines become
due items (:class:`~ledger.income.store.DueItemRow`) that payments are recorded against.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy.exc import NoResultFound
from sqlmodel import Session

from ledger.allocation import allocate_largest_remainder, split_share_bp
from ledger.commands import CommandContext
from ledger.domain import EntryKind, Move
from ledger.income.contributions import batch_contributions
from ledger.income.domain import PAID_ROLE_VALUES, LineRole, line_id, record_id, shown
from ledger.income.permissions import require_party
from ledger.income.terms import FIXED, PaymentTerms
from ledger.sql import Tx, in_list
from sinkledger_base.errors import Conflict, NotFound

KG_PER_TONNE = 1_000
NONE = ""  # the key of "no parcel" / "no contract"


@dataclass(frozen=True, kw_only=True)
class ContractFacts:
    contract_no: str
    collective_party_id: str
    centre_party_id: str
    terms: PaymentTerms


@dataclass(frozen=True, kw_only=True)
class SaleFacts:
    """What a distribution needs to know; everything the plan depends on, nothing else."""

    amount_fen: int
    seller_party_id: str
    sold_t: dict[str, int]  # batch id → tonnes sold
    contributions: dict[str, dict[str, int]]  # batch id → parcel → tonnes of the batch
    contract_of: dict[tuple[str, str], str]  # (batch id, parcel) → contract no
    contracts: dict[str, ContractFacts]
    household_shares_bp: dict[str, dict[str, int]] = field(default_factory=dict)


# --- the pure plan -----------------------------------------------------------------------------

def sold_tonnes_by_key(facts: SaleFacts) -> tuple[dict[tuple[str, str], int], list[dict[str, Any]]]:
    """D1-D2: tonnes sold per (parcel, contract), keys sorted; and the per-batch trace."""
    units: dict[tuple[str, str], int] = defaultdict(int)
    trace = []
    for batch_id, sold in facts.sold_t.items():
        contributed = dict(sorted((facts.contributions.get(batch_id) or {}).items()))
        parts = allocate_largest_remainder(sold, contributed) if sum(contributed.values()) else {}
        if not parts:
            units[(NONE, NONE)] += sold
        for parcel, tonnes in parts.items():
            units[(parcel, facts.contract_of.get((batch_id, parcel), NONE))] += tonnes
        trace.append({"batch_id": batch_id, "sold_t": sold, "parcels_t": parts})
    return dict(sorted(units.items())), trace


def plan_distribution(facts: SaleFacts) -> dict[str, Any]:
    """D1-D6: the lines of a sale's distribution, summing exactly to ``facts.amount_fen``; pure."""
    units, trace = sold_tonnes_by_key(facts)
    gross = allocate_largest_remainder(facts.amount_fen, units) if units else {}
    by_contract: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for (parcel, contract_no), tonnes in units.items():
        by_contract[contract_no].append((parcel, tonnes, gross[(parcel, contract_no)]))
    lines: list[dict[str, Any]] = []
    contracts = []
    for contract_no in sorted(c for c in by_contract if c != NONE):
        summary, contract_lines = _contract_lines(facts, facts.contracts[contract_no], by_contract[contract_no])
        contracts.append(summary)
        lines += contract_lines
    if NONE in by_contract:
        lines.append(_line(LineRole.seller_retained, facts.seller_party_id, NONE, NONE,
                           sum(g for _, _, g in by_contract[NONE]), tonnes=sum(t for _, t, _ in by_contract[NONE])))
    lines = [{"line_no": n, **line} for n, line in enumerate(lines, start=1)]
    assert sum(line["amount_fen"] for line in lines) == facts.amount_fen, "distribution does not add up"
    return {"sold": trace, "contracts": contracts, "lines": lines}


def _line(role: LineRole, party_id: str, contract_no: str, parcel_code: str, amount_fen: int, *,
          tonnes: int | None = None, share_bp: int | None = None, kg: int | None = None) -> dict[str, Any]:
    return {"role": role.value, "party_id": party_id, "contract_no": contract_no, "parcel_code": parcel_code,
            "parcel_tonnes": tonnes, "share_bp": share_bp, "attributed_kg": kg, "amount_fen": amount_fen}


def _contract_lines(facts: SaleFacts, contract: ContractFacts,
                    parcels: list[tuple[str, int, int]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """D4-D5 for one contract's parcels ``(code, tonnes, gross fen)``."""
    terms, no = contract.terms, contract.contract_no
    tonnes, gross = sum(t for _, t, _ in parcels), sum(g for _, _, g in parcels)
    summary = {"contract_no": no, "collective_party_id": contract.collective_party_id, "kind": terms.kind,
               "terms": terms.to_dict(), "quantity_t": tonnes, "gross_fen": gross}
    if terms.kind == FIXED:
        line = _line(LineRole.centre_fixed_terms, contract.centre_party_id, no, NONE, gross, tonnes=tonnes)
        return summary | {"costs_fen": 0, "net_fen": gross, "villages_fen": 0, "centre_fen": gross}, [line]
    costs = terms.stated_costs_fen(gross, tonnes)
    villages, centre = split_share_bp(gross - costs, terms.share_bp)
    lines = [_line(LineRole.costs, contract.centre_party_id, no, NONE, costs),
             _line(LineRole.centre_share, contract.centre_party_id, no, NONE, centre)]
    by_parcel = allocate_largest_remainder(villages, {code: t for code, t, _ in parcels})
    for code, parcel_t, _ in parcels:
        lines += parcel_lines(contract, code, parcel_t, by_parcel[code], facts.household_shares_bp.get(code, {}))
    return summary | {"costs_fen": costs, "net_fen": gross - costs, "villages_fen": villages,
                      "centre_fen": centre}, lines


def parcel_lines(contract: ContractFacts, parcel_code: str, parcel_t: int, amount_fen: int,
                 shares_bp: dict[str, int]) -> list[dict[str, Any]]:
    """A parcel's part to its households by share (sorted ids), or to the collective."""
    no = contract.contract_no
    if not shares_bp:
        return [_line(LineRole.collective, contract.collective_party_id, no, parcel_code, amount_fen,
                      tonnes=parcel_t, kg=parcel_t * KG_PER_TONNE)]
    ordered = dict(sorted(shares_bp.items()))
    money = allocate_largest_remainder(amount_fen, ordered)
    kg = allocate_largest_remainder(parcel_t * KG_PER_TONNE, ordered)
    return [_line(LineRole.household, household, no, parcel_code, money[household], tonnes=parcel_t,
                  share_bp=bp, kg=kg[household]) for household, bp in ordered.items()]


# --- facts from the ledger ---------------------------------------------------------------------
#
# Read by plain statements (:mod:`ledger.sql`) on a command's Tx or a read session's: the sale with
# its seller, journal entry and distribution in one statement; every sold batch's contributions
# with their contracts, contract terms and household shares in another.

class Sale(NamedTuple):
    """A recorded sale (the ``sale`` row), as the distribution reads it."""

    seq: int
    seller_account: str
    buyer_account: str
    quantity: int
    price_fen_per_t: int
    amount_fen: int
    contract_no: str
    recorded_at: str


class _SaleRead(NamedTuple):
    sale: Sale
    seller_party_id: str | None
    body: str | None  # the sale's journal entry
    entry_hash: str | None
    distribution_id: str | None  # of the distribution already recorded for it, if any


_SALE_SQL = ("SELECT s.seq, s.seller_account, s.buyer_account, s.quantity, s.price_fen_per_t, s.amount_fen, "
             "s.contract_no, s.recorded_at, a.party_id, j.body, j.entry_hash, "
             "(SELECT d.id FROM distribution d WHERE d.sale_seq = s.seq) "
             "FROM sale s LEFT JOIN account a ON a.id = s.seller_account "
             "LEFT JOIN journal_entry j ON j.seq = s.seq WHERE s.seq = :seq")


def _read_sale(tx: Tx, sale_seq: Any) -> _SaleRead:
    """The sale at journal seq ``sale_seq`` with its seller, entry and distribution (``sale_not_found``)."""
    valid = isinstance(sale_seq, int) and not isinstance(sale_seq, bool) and 0 < sale_seq <= 2**53
    row = tx.one(_SALE_SQL, {"seq": sale_seq}) if valid else None
    if row is None:
        raise NotFound("sale_not_found", sale_seq=shown(sale_seq, 20))
    return _SaleRead(Sale(*row[:8]), *row[8:])


def get_sale(session: Session | Tx, sale_seq: Any) -> Sale:
    """The sale recorded at journal seq ``sale_seq`` (``sale_not_found``)."""
    return _read_sale(Tx.of(session), sale_seq).sale


def _sold(body: str, seller_account: str) -> dict[str, int]:
    """Tonnes of each batch moved out of the seller's account. An entry that buys and retires at
    once (a court's or an obligation's purchase) also moves the same tonnes from the buyer's
    holding to retired: those were bought, not sold again, and count once."""
    out: dict[str, int] = {}
    for record in json.loads(body)["payload"]["moves"]:
        move = Move.from_record(record)
        if move.from_account == seller_account:
            out[move.batch_id] = out.get(move.batch_id, 0) + move.last - move.first + 1
    return out


_CONTRACT_OF = ("SELECT cp.contract_no FROM contract_parcel cp JOIN collection_contract cc "
                "ON cc.contract_no = cp.contract_no WHERE cp.parcel_code = {code} AND cp.term_start <= {start} "
                "AND cp.term_end >= {end}{centre} ORDER BY cp.contract_no LIMIT 1")
_CENTRE = " AND cc.centre_party_id = :centre"


def contract_for(session: Session | Tx, parcel_code: str, batch: Any, centre_party_id: str | None = None) -> str:
    """D2: the collection contract (of ``centre_party_id`` if given) covering a parcel for a
    batch's period (``batch``: anything with ``period_start`` and ``period_end``)."""
    sql = _CONTRACT_OF.format(code=":code", start=":start", end=":end",
                              centre=_CENTRE if centre_party_id is not None else "")
    row = Tx.of(session).one(sql, {"code": parcel_code, "start": batch.period_start, "end": batch.period_end,
                                   "centre": centre_party_id})
    return row[0] if row is not None else NONE


_PARCELS_OF = ("SELECT p.parcel_code, p.holder_party_id, p.household_shares, ("
               + _CONTRACT_OF.format(code="p.parcel_code", start=":start", end=":end", centre="") +
               ") FROM parcel p WHERE p.parcel_code IN ({marks})")
_CODES_PER_QUERY = 500  # bound parameters per statement (SQLite allows 32,766; PostgreSQL 65,535)


def parcels_with_contracts(session: Session | Tx, parcel_codes: list[str],
                           batch: Any) -> dict[str, tuple[str, str, str | None]]:
    """Each parcel's holder, household shares (JSON text) and the contract covering it for a
    batch's period (:func:`contract_for`, any centre; ``None`` when none), read in one statement
    per 500 parcels instead of two a parcel (a county batch holds thousands of parcels)."""
    tx, out = Tx.of(session), {}
    for i in range(0, len(parcel_codes), _CODES_PER_QUERY):
        marks, params = in_list("c", parcel_codes[i:i + _CODES_PER_QUERY])
        for code, holder, shares, contract in tx.all(_PARCELS_OF.format(marks=marks), params | {
                "start": batch.period_start, "end": batch.period_end}):
            out[code] = (holder, shares, contract)
    return out


# every contribution of the sold batches, with its parcel's household shares and the contract (of
# the seller) covering the parcel for the batch's period, with that contract's parties and terms
_FACTS_SQL = ("SELECT x.batch_id, x.parcel_code, x.quantity_t, x.shares, x.has_parcel, x.contract_no, "
              "cc.collective_party_id, cc.centre_party_id, cc.payment_terms FROM ("
              "SELECT c.batch_id, c.parcel_code, c.quantity_t, p.household_shares AS shares, "
              "p.parcel_code AS has_parcel, ("
              + _CONTRACT_OF.format(code="c.parcel_code", start="b.period_start", end="b.period_end",
                                    centre="{centre}") +
              ") AS contract_no FROM issuance_contribution c JOIN batch b ON b.id = c.batch_id "
              "LEFT JOIN parcel p ON p.parcel_code = c.parcel_code WHERE c.batch_id IN ({marks})) x "
              "LEFT JOIN collection_contract cc ON cc.contract_no = x.contract_no "
              "ORDER BY x.batch_id, x.parcel_code")


def _shares(text: str | None) -> dict[str, int]:
    return dict(sorted(json.loads(text or "{}").items()))


def _facts(tx: Tx, read: _SaleRead) -> SaleFacts:
    sale, seller = read.sale, read.seller_party_id
    sold = _sold(read.body, sale.seller_account)
    per_batch: dict[str, list[tuple[Any, ...]]] = {}
    if sold:
        marks, params = in_list("b", sold)
        sql = _FACTS_SQL.format(centre=_CENTRE if seller is not None else "", marks=marks)
        for row in tx.all(sql, {**params, "centre": seller}):
            per_batch.setdefault(row[0], []).append(row)
    contributions: dict[str, dict[str, int]] = {}
    contract_of: dict[tuple[str, str], str] = {}
    contracts: dict[str, ContractFacts] = {}
    shares: dict[str, dict[str, int]] = {}
    for batch_id in sold:
        rows = per_batch.get(batch_id)
        if rows is None:  # an issuance recorded before contributions were (or imported credits)
            contributions[batch_id] = _derived_facts(tx, batch_id, seller, contract_of, contracts, shares)
            continue
        contributions[batch_id] = {r[1]: r[2] for r in rows}
        for _, code, _, shares_text, has_parcel, contract_no, collective, centre, terms in rows:
            if contract_no:
                contract_of[(batch_id, code)] = contract_no
                contracts[contract_no] = ContractFacts(contract_no=contract_no, collective_party_id=collective,
                                                       centre_party_id=centre, terms=PaymentTerms.from_json(terms))
            if has_parcel is None:
                raise NoResultFound(f"no parcel {code}")
            shares[code] = _shares(shares_text)
    return SaleFacts(amount_fen=sale.amount_fen, seller_party_id=seller, sold_t=sold, contributions=contributions,
                     contract_of=contract_of, contracts=contracts, household_shares_bp=shares)


def _derived_facts(tx: Tx, batch_id: str, seller: str | None, contract_of: dict[tuple[str, str], str],
                   contracts: dict[str, ContractFacts], shares: dict[str, dict[str, int]]) -> dict[str, int]:
    """A batch without contribution rows: its contributions derived from the journal, and the
    facts of its parcels looked up one by one."""
    parcels = batch_contributions(tx, batch_id)
    if not parcels:
        return parcels
    period = tx.one("SELECT period_start, period_end FROM batch WHERE id = :b", {"b": batch_id})
    batch = _Period(*period)
    for code in parcels:
        contract_no = contract_for(tx, code, batch, seller)
        if contract_no:
            contract_of[(batch_id, code)] = contract_no
            contracts[contract_no] = contract_facts(tx, contract_no)
        parcel = tx.one("SELECT household_shares FROM parcel WHERE parcel_code = :c", {"c": code})
        if parcel is None:
            raise NoResultFound(f"no parcel {code}")
        shares[code] = _shares(parcel[0])
    return parcels


class _Period(NamedTuple):
    period_start: str
    period_end: str


def sale_facts(session: Session | Tx, sale: Any) -> SaleFacts:
    """Gather what :func:`plan_distribution` needs for a sale, as the ledger holds it now."""
    return _facts(Tx.of(session), _read_sale(Tx.of(session), sale.seq))


def contract_facts(session: Session | Tx, contract_no: str) -> ContractFacts:
    """A stored contract as the pure plan needs it."""
    row = Tx.of(session).one("SELECT contract_no, collective_party_id, centre_party_id, payment_terms "
                             "FROM collection_contract WHERE contract_no = :c", {"c": contract_no})
    return ContractFacts(contract_no=row[0], collective_party_id=row[1], centre_party_id=row[2],
                         terms=PaymentTerms.from_json(row[3]))


def draft_distribution(session: Session | Tx, sale_seq: int) -> dict[str, Any]:
    """The distribution a sale would have now: facts, plan and totals (nothing recorded)."""
    tx = Tx.of(session)
    return _draft(tx, _read_sale(tx, sale_seq))


def _draft(tx: Tx, read: _SaleRead) -> dict[str, Any]:
    sale = read.sale
    facts = _facts(tx, read)
    plan = plan_distribution(facts)
    return {"sale_seq": sale.seq, "sale_date": sale.recorded_at[:10], "seller_account": sale.seller_account,
            "seller_party_id": facts.seller_party_id, "buyer_account": sale.buyer_account,
            "contract_no_of_sale": sale.contract_no, "quantity_t": sale.quantity,
            "price_fen_per_t": sale.price_fen_per_t, "amount_fen": sale.amount_fen,
            "household_shares_bp": {p: s for p, s in facts.household_shares_bp.items() if s},
            **plan, "totals": totals(plan["lines"])}


def totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums by role and by party."""
    by_role: dict[str, int] = defaultdict(int)
    by_party: dict[str, int] = defaultdict(int)
    for line in lines:
        by_role[line["role"]] += line["amount_fen"]
        by_party[line["party_id"]] += line["amount_fen"]
    villages = by_role[LineRole.household.value] + by_role[LineRole.collective.value]
    return {"by_role_fen": dict(sorted(by_role.items())), "by_party_fen": dict(sorted(by_party.items())),
            "villages_fen": villages, "lines": len(lines), "sum_fen": sum(by_role.values())}


# --- the command -------------------------------------------------------------------------------

def distribute(ctx: CommandContext, *, sale_seq: int) -> tuple[str, dict[str, Any]]:
    """The selling centre records the distribution of a sale's proceeds (one per sale)."""
    read = _read_sale(ctx.tx, sale_seq)
    sale = read.sale
    if read.distribution_id is not None:
        raise Conflict("sale_already_distributed", sale_seq=sale.seq, distribution=read.distribution_id)
    draft = _draft(ctx.tx, read)
    require_party(ctx.actor, "distribute", draft["seller_party_id"])
    if not draft["contracts"]:
        raise Conflict("sale_has_no_contracted_credits", sale_seq=sale.seq)
    distribution_id = record_id("DS", ctx.seq)
    _write(ctx, distribution_id, draft)
    result = {"distribution_id": distribution_id, "sale_seq": sale.seq, "sale_date": draft["sale_date"],
              "quantity_t": draft["quantity_t"], "amount_fen": draft["amount_fen"], "totals": draft["totals"],
              "contracts": draft["contracts"]}
    payload = {"distribution_id": distribution_id, "sale_entry_hash": read.entry_hash, **draft,
               "result": result}
    return EntryKind.distribution.value, payload


_DUE_KEYS = ("contract_no", "party_id", "role", "parcel_code", "parcel_tonnes", "share_bp", "attributed_kg",
             "amount_fen")


def _write(ctx: CommandContext, distribution_id: str, draft: dict[str, Any]) -> None:
    """The distribution's rows: itself, one per contract, one due item per paid line (executemany)."""
    tx = ctx.tx
    tx.insert_rows("distribution", [{
        "id": distribution_id, "seq": ctx.seq, "sale_seq": draft["sale_seq"], "seller_account": draft["seller_account"],
        "sale_date": draft["sale_date"], "quantity_t": draft["quantity_t"], "amount_fen": draft["amount_fen"],
        "recorded_at": ctx.recorded_at}])
    tx.insert_rows("distribution_contract", [{
        "distribution_id": distribution_id, "contract_no": c["contract_no"],
        "collective_party_id": c["collective_party_id"], "kind": c["kind"], "quantity_t": c["quantity_t"],
        "gross_fen": c["gross_fen"], "costs_fen": c["costs_fen"], "net_fen": c["net_fen"],
        "villages_fen": c["villages_fen"], "centre_fen": c["centre_fen"]} for c in draft["contracts"]])
    paid = [line for line in draft["lines"] if line["role"] in PAID_ROLE_VALUES and line["amount_fen"] > 0]
    kinds = _party_kinds(tx, {line["party_id"] for line in paid})
    tx.insert_rows("due_item", [{
        "id": line_id(distribution_id, line["line_no"]), "seq": ctx.seq, "source_kind": "distribution",
        "source_id": distribution_id, "payer_party_id": draft["seller_party_id"],
        "party_kind": kinds[line["party_id"]], **{k: line[k] for k in _DUE_KEYS}, "paid_fen": 0,
        "basis_date": draft["sale_date"], "due_date": draft["sale_date"], "sale_seq": draft["sale_seq"]}
        for line in paid])


def _party_kinds(session: Session | Tx, party_ids: set[str]) -> dict[str, str]:
    if not party_ids:
        return {}
    marks, params = in_list("p", sorted(party_ids))
    return dict(Tx.of(session).all(f"SELECT id, kind FROM party WHERE id IN ({marks})", params))
