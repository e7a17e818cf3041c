"""Read-only queries the web app needs beyond :class:`sinkledger.services.registry.Service`.

These sit in the service layer (they read the ledger's projection tables through SQLModel), so
the pages stay free of SQL. Every function takes a ``Service`` and returns plain dicts and lists
(JSON-ready, money in integer fen, quantities in whole tonnes).

Nothing here writes; nothing here decides a rule. Warnings (``sale_checks``) are advice shown
before a command, and the command itself is refused by the ledger's rules whatever they said.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import select

from ledger.domain import SYSTEM_ACCOUNTS, AccountKind, EntryKind
from ledger.parties import holding_account_id
from ledger.store import (
    AccountRow,
    BalanceRow,
    BatchRow,
    CheckpointRow,
    EstimateRow,
    JournalRow,
    PartyRow,
    PledgeRow,
    RetirementRow,
    ReversalRow,
    SaleRow,
)
from sinkledger_base.errors import NotFound

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

ESTIMATE_RETURNED = "estimate_returned"  # the verifier's "return with comments" entry kind
PRICE_BAND = (0.5, 2.0)  # a price outside [0.5, 2] × the recent median is flagged for a second look
PRICE_WINDOW = 20  # how many latest sales the median price is taken over
Progress = Callable[[int, int, str], None]  # (done, total, label), as Service.batch_estimate's


# -- the ledger's version, for caching ---------------------------------------------------------

def ledger_version(service: Service) -> int:
    """The latest journal seq (0 when empty): a cache key that changes with every entry."""
    if not service.db.has_schema():
        return 0
    with service.db.read() as s:
        return int(s.exec(select(func.max(JournalRow.seq))).one() or 0)


# -- names -----------------------------------------------------------------------------------

def account_names(service: Service) -> dict[str, str]:
    """Account id → the holding party's name (system accounts keep their kind)."""
    with service.db.read() as s:
        parties = {p.id: p.name for p in s.exec(select(PartyRow)).all()}
        return {a.id: parties.get(a.party_id or "", "") if a.kind == AccountKind.holding.value else a.kind
                for a in s.exec(select(AccountRow)).all()}


def holding_accounts(service: Service, *, kinds: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Holding accounts with their party (id, kind, name) and available credits (``held_t``),
    optionally only those of some party kinds."""
    with service.db.read() as s:
        rows = s.exec(select(AccountRow, PartyRow).join(PartyRow, PartyRow.id == AccountRow.party_id)
                      .where(AccountRow.kind == AccountKind.holding.value).order_by(AccountRow.id)).all()
        held = dict(s.exec(select(BalanceRow.account_id, func.sum(BalanceRow.quantity))
                           .where(BalanceRow.state == "held").group_by(BalanceRow.account_id)).all())
    return [{"account_id": a.id, "party_id": p.id, "party_kind": p.kind, "name": p.name,
             "held_t": int(held.get(a.id) or 0)} for a, p in rows if kinds is None or p.kind in kinds]


# -- balances and checks before a sale ---------------------------------------------------------

def sale_checks(service: Service, *, seller_account: str, quantity: int, price_fen_per_t: int) -> dict[str, Any]:
    """What a clerk should see before recording a sale: balance, pledges, price sanity.

    ``warnings`` are catalogue keys (``ui_text``) with their parameters; ``blocking`` is true
    when the ledger will certainly refuse (quantity above the available balance).
    """
    balance = service.account_balance(seller_account)
    median = recent_median_price(service)
    warnings: list[tuple[str, dict[str, Any]]] = []
    if quantity > balance["held_t"]:
        warnings.append(("check_insufficient", {"requested": quantity, "available": balance["held_t"]}))
    if balance["pledged_t"]:
        warnings.append(("check_pledged", {"pledged": balance["pledged_t"]}))
    if median and price_fen_per_t > 0 and not (PRICE_BAND[0] * median <= price_fen_per_t <= PRICE_BAND[1] * median):
        warnings.append(("check_price_outlier", {"median_fen": median}))
    if price_fen_per_t == 0:
        warnings.append(("check_price_zero", {}))
    return {"held_t": balance["held_t"], "pledged_t": balance["pledged_t"], "median_price_fen": median,
            "amount_fen": max(quantity, 0) * max(price_fen_per_t, 0), "warnings": warnings,
            "blocking": quantity > balance["held_t"]}


def recent_median_price(service: Service) -> int | None:
    """Median unit price (fen/t) of the latest sales, or None before the first sale."""
    with service.db.read() as s:
        prices = s.exec(select(SaleRow.price_fen_per_t).where(SaleRow.price_fen_per_t > 0)
                        .order_by(SaleRow.seq.desc()).limit(PRICE_WINDOW)).all()
    return int(statistics.median(prices)) if prices else None


# -- sales, retirements, pledges, reversals ----------------------------------------------------

def sales(service: Service, *, account_id: str | None = None, date_from: str | None = None,
          date_to: str | None = None, contract: str | None = None, party_text: str | None = None) -> list[dict]:
    """Sales, newest first, filtered by account (either side), date range (YYYY-MM-DD, inclusive),
    contract number substring and seller/buyer name substring."""
    names = account_names(service)
    with service.db.read() as s:
        query = select(SaleRow).order_by(SaleRow.seq.desc())
        if account_id:
            query = query.where((SaleRow.seller_account == account_id) | (SaleRow.buyer_account == account_id))
        rows = s.exec(query).all()
    out = []
    for r in rows:
        day = r.recorded_at[:10]
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        if contract and contract.lower() not in r.contract_no.lower():
            continue
        seller, buyer = names.get(r.seller_account, ""), names.get(r.buyer_account, "")
        if party_text and not any(party_text.lower() in x.lower() for x in (seller, buyer, r.seller_account,
                                                                           r.buyer_account)):
            continue
        out.append({"seq": r.seq, "recorded_at": r.recorded_at, "seller_account": r.seller_account,
                    "seller_name": seller, "buyer_account": r.buyer_account, "buyer_name": buyer,
                    "quantity": r.quantity, "price_fen_per_t": r.price_fen_per_t, "amount_fen": r.amount_fen,
                    "contract_no": r.contract_no})
    return out


def sale(service: Service, seq: int) -> dict[str, Any]:
    """One sale with its journal entry (hash, serial blocks): what a receipt shows."""
    names = account_names(service)
    with service.db.read() as s:
        row = s.get(SaleRow, seq)
        entry = s.get(JournalRow, seq)
    if row is None or entry is None:
        raise NotFound("entry_not_found", seq=seq)
    result = json.loads(entry.body)["payload"].get("result", {})
    return {"seq": seq, "recorded_at": row.recorded_at, "seller_account": row.seller_account,
            "seller_name": names.get(row.seller_account, ""), "buyer_account": row.buyer_account,
            "buyer_name": names.get(row.buyer_account, ""), "quantity": row.quantity,
            "price_fen_per_t": row.price_fen_per_t, "amount_fen": row.amount_fen, "contract_no": row.contract_no,
            "entry_hash": entry.entry_hash, "actor": entry.actor, "blocks": result.get("blocks", [])}


def retirements(service: Service, *, account_id: str | None = None) -> list[dict[str, Any]]:
    with service.db.read() as s:
        query = select(RetirementRow).order_by(RetirementRow.seq.desc())
        rows = s.exec(query.where(RetirementRow.account_id == account_id) if account_id else query).all()
    return [r.model_dump() for r in rows]


def pledges(service: Service, *, bank_party_id: str | None = None, account_id: str | None = None) -> list[dict]:
    names = account_names(service)
    with service.db.read() as s:
        query = select(PledgeRow).order_by(PledgeRow.seq.desc())
        if bank_party_id:
            query = query.where(PledgeRow.bank_party_id == bank_party_id)
        if account_id:
            query = query.where(PledgeRow.account_id == account_id)
        rows = s.exec(query).all()
    return [r.model_dump() | {"account_name": names.get(r.account_id, "")} for r in rows]


def reversals(service: Service) -> list[dict[str, Any]]:
    with service.db.read() as s:
        return [r.model_dump() for r in s.exec(select(ReversalRow).order_by(ReversalRow.seq.desc())).all()]


def buffer_balance_t(service: Service) -> int:
    return service.account_balance(SYSTEM_ACCOUNTS[AccountKind.buffer])["held_t"]


# -- a party's own view ------------------------------------------------------------------------

def party_statement(service: Service, party_id: str) -> dict[str, Any]:
    """A holder's statement: balance by batch and state, sales in and out, income, retirements."""
    account = holding_account_id(party_id)
    with service.db.read() as s:
        if s.get(AccountRow, account) is None:
            raise NotFound("account_not_found", account=account)
        rows = s.exec(select(BalanceRow, BatchRow).join(BatchRow, BatchRow.id == BalanceRow.batch_id)
                      .where(BalanceRow.account_id == account, BalanceRow.quantity > 0)
                      .order_by(BatchRow.vintage_year, BatchRow.id)).all()
    holdings = [{"batch_id": b.id, "sink_type": b.sink_type, "vintage_year": b.vintage_year, "state": bal.state,
                 "quantity": bal.quantity} for bal, b in rows]
    sold = [x for x in sales(service, account_id=account) if x["seller_account"] == account]
    bought = [x for x in sales(service, account_id=account) if x["buyer_account"] == account]
    return {"account_id": account, "balance": service.account_balance(account), "holdings": holdings,
            "sold": sold, "bought": bought, "income_fen": sum(x["amount_fen"] for x in sold),
            "retirements": retirements(service, account_id=account), "pledges": pledges(service, account_id=account)}


# -- estimates and verification ----------------------------------------------------------------

def _estimate_summary(row: EstimateRow) -> dict[str, Any]:
    return {"estimate_id": row.id, "seq": row.seq, "methodology_id": row.methodology_id,
            "methodology_version": row.methodology_version, "sink_type": row.sink_type,
            "parcel_codes": json.loads(row.parcel_codes), "period_start": row.period_start,
            "period_end": row.period_end, "net_kg_co2e": row.net_kg_co2e, "uses_unverified": row.uses_unverified}


def estimate_returns(service: Service) -> dict[str, list[dict[str, Any]]]:
    """Estimate id → the verifier's returns (comments, who, when), oldest first."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with service.db.read() as s:
        for row in s.exec(select(JournalRow).where(JournalRow.kind == ESTIMATE_RETURNED).order_by(JournalRow.seq)):
            payload = json.loads(row.body)["payload"]
            out[payload["estimate_id"]].append({"seq": row.seq, "comments": payload["comments"],
                                                "actor": row.actor, "recorded_at": row.recorded_at})
    return dict(out)


def estimates(service: Service, *, parcel_code: str | None = None) -> list[dict[str, Any]]:
    """Recorded estimates with their state: ``waiting``, ``returned`` or ``issued``."""
    returns = estimate_returns(service)
    with service.db.read() as s:
        issued = {b.estimate_id: b for b in s.exec(select(BatchRow)).all()}
        rows = s.exec(select(EstimateRow).order_by(EstimateRow.seq.desc())).all()
    out = []
    for row in rows:
        summary = _estimate_summary(row)
        if parcel_code and parcel_code not in summary["parcel_codes"]:
            continue
        back = returns.get(row.id, [])
        state = "issued" if row.id in issued else ("returned" if back else "waiting")
        out.append(summary | {"state": state, "returns": back})
    return out


def estimates_waiting(service: Service) -> list[dict[str, Any]]:
    """Recorded estimates with a positive net result, neither issued nor returned: the verifier's queue."""
    return [e for e in estimates(service) if e["state"] == "waiting" and e["net_kg_co2e"] >= 1000]


def parcel_batches(service: Service, parcel_code: str) -> list[dict[str, Any]]:
    """Batches issued from estimates that cover ``parcel_code``."""
    ids = {e["estimate_id"] for e in estimates(service, parcel_code=parcel_code)}
    with service.db.read() as s:
        rows = s.exec(select(BatchRow).where(BatchRow.estimate_id.in_(ids)).order_by(BatchRow.issuance_seq)).all() \
            if ids else []
    return [{"batch_id": b.id, "vintage_year": b.vintage_year, "quantity": b.last - b.first + 1,
             "buffer_quantity": b.buffer_quantity, "serials": f"{b.serial_prefix}-{b.first:09d}..{b.last:09d}",
             "estimate_id": b.estimate_id, "issuance_seq": b.issuance_seq} for b in rows]


# -- public statistics -------------------------------------------------------------------------

def totals_by_county(service: Service) -> list[dict[str, Any]]:
    """Issued, held, pledged, retired and cancelled credits per county of issuance."""
    with service.db.read() as s:
        rows = s.exec(select(BatchRow.county_code, BalanceRow.state, func.sum(BalanceRow.quantity))
                      .join(BatchRow, BatchRow.id == BalanceRow.batch_id)
                      .group_by(BatchRow.county_code, BalanceRow.state)).all()
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for county, state, qty in rows:
        table[county][state] += int(qty)
    return [{"county_code": c, "issued_t": sum(st.values()), "held_t": st.get("held", 0),
             "pledged_t": st.get("pledged", 0), "retired_t": st.get("retired", 0),
             "cancelled_t": st.get("cancelled", 0)} for c, st in sorted(table.items())]


def monthly_activity(service: Service) -> list[dict[str, Any]]:
    """Per month (YYYY-MM): issued, sold and retired tonnes, sales value and average price (fen/t)."""
    months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with service.db.read() as s:
        issued_at = {seq: at for seq, at in s.exec(select(JournalRow.seq, JournalRow.recorded_at)
                                                    .where(JournalRow.kind == EntryKind.issuance.value)).all()}
        for b in s.exec(select(BatchRow)).all():
            months[issued_at.get(b.issuance_seq, "")[:7]]["issued_t"] += b.last - b.first + 1
        for r in s.exec(select(SaleRow)).all():
            m = months[r.recorded_at[:7]]
            m["sold_t"] += r.quantity
            m["sales_fen"] += r.amount_fen
        for r in s.exec(select(RetirementRow)).all():
            months[r.recorded_at[:7]]["retired_t"] += r.quantity
    out = []
    for month in sorted(k for k in months if k):
        m = months[month]
        out.append({"month": month, "issued_t": m["issued_t"], "sold_t": m["sold_t"], "retired_t": m["retired_t"],
                    "sales_fen": m["sales_fen"],
                    "average_price_fen": m["sales_fen"] // m["sold_t"] if m["sold_t"] else None})
    return out


def integrity(service: Service) -> dict[str, Any]:
    """The chain's health as last verified, without verifying (no page replays the journal): the
    latest verified checkpoint (size, head, root, mode, when; None before the first verify that
    recorded one), the journal's size now and the latest published Merkle checkpoint. ``ok`` is
    True when a verify passed and recorded and the latest recording run did not fail;
    ``merkle_root``/``head_hash`` are what the last passing run verified. ``last_run`` is the
    latest recording run's outcome and ``failed`` that run when it failed (what the overview
    shows first: a failure is never hidden behind an older pass)."""
    verified = service.last_verified()
    last_run = service.last_verify_run()
    failed = last_run if last_run is not None and not last_run["ok"] else None
    with service.db.read() as s:
        cp = s.exec(select(CheckpointRow).order_by(CheckpointRow.tree_size.desc()).limit(1)).first()
        size = s.exec(select(JournalRow.seq).order_by(JournalRow.seq.desc()).limit(1)).first() or 0
    return {"ok": verified is not None and failed is None, "entries": size,
            "first_bad_seq": failed["first_bad_seq"] if failed else None, "last_run": last_run, "failed": failed,
            "verified_entries": verified["tree_size"] if verified else 0,
            "head_hash": verified["head_hash"] if verified else None,
            "merkle_root": verified["merkle_root"] if verified else None, "verified": verified,
            "checkpoint": {"tree_size": cp.tree_size, "root": cp.root, "created_at": cp.created_at} if cp else None}


# -- parcels -----------------------------------------------------------------------------------

def preview_parcel_file(service: Service, actor: Any, *, path: str, options: Any = None,
                        progress: Progress | None = None) -> dict[str, Any]:
    """:meth:`Service.preview_parcels` with each row's geometry for the map, and ``reading`` /
    ``done`` stages around the service's own progress (rows checked, ``registry``)."""
    report = progress or (lambda done, total, stage: None)
    report(0, 0, "reading")
    out = service.preview_parcels(actor, path=path, options=options, progress=report, with_geometry=True)
    rows = len(out["parcels"])
    report(rows, rows, "done")
    return out


def parcels_near(service: Service, bounds_lonlat: tuple[float, float, float, float], *, limit: int = 400) -> list[dict]:
    """Active parcels whose bounding box meets ``bounds_lonlat`` (for the drawing map), at most
    ``limit``, read through the spatial index (:func:`sinkledger.services.tiles.parcels_in_bounds`)."""
    from sinkledger.services.tiles import parcels_in_bounds  # deferred: mapbox-vector-tile loads for map pages only

    return parcels_in_bounds(service, bounds_lonlat, limit=limit)
