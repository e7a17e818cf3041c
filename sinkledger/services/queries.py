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
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import select

from ledger import queries as ledger_queries
from ledger.domain import SYSTEM_ACCOUNTS, AccountKind
from ledger.parties import holding_account_id
from ledger.sql import in_list
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
from sinkledger_base.local_time import utc_start_of_day

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

ESTIMATE_RETURNED = "estimate_returned"  # the verifier's "return with comments" entry kind
PRICE_BAND = (0.5, 2.0)  # a price outside [0.5, 2] × the recent median is flagged for a second look
PRICE_WINDOW = 20  # how many latest sales the median price is taken over
Progress = Callable[[int, int, str], None]  # (done, total, label), as Service.batch_estimate's


# -- the ledger's version, for caching ---------------------------------------------------------

def ledger_version(service: Service) -> int:
    """The latest journal seq (0 when empty or without a schema): a cache key that changes with
    every entry. One statement on the driver (pages ask for it several times a run)."""
    try:
        with service.db.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT max(seq) FROM journal_entry").scalar() or 0)
    except (OperationalError, ProgrammingError):  # no journal table yet (SQLite / PostgreSQL)
        return 0


# -- names -----------------------------------------------------------------------------------

def account_names(service: Service) -> dict[str, str]:
    """Account id → the holding party's name (system accounts keep their kind)."""
    with service.db.read() as s:
        return _account_names(s.connection())


def _account_names(conn: Any) -> dict[str, str]:
    """:func:`account_names` in an open read, as plain rows (51,218 accounts of the county: 0.1 s;
    through the ORM's objects it took 1.4 s)."""
    rows = conn.execute(text("SELECT a.id, a.kind, p.name FROM account a LEFT JOIN party p ON p.id = a.party_id"))
    return {a: (name or "") if kind == AccountKind.holding.value else kind for a, kind, name in rows}


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



def sales_with_contracts(service: Service, contracts: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Recorded sales under each of ``contracts`` (exact numbers), newest first: ``seq`` and
    ``recorded_at`` (UTC), for the warning that a contract number is already used."""
    out: dict[str, list[dict[str, Any]]] = {}
    with service.db.read() as s:
        for start in range(0, len(contracts), PARTY_ACCOUNTS_IN_SQL):
            chunk = contracts[start:start + PARTY_ACCOUNTS_IN_SQL]
            for seq, contract, at in s.exec(select(SaleRow.seq, SaleRow.contract_no, SaleRow.recorded_at)
                                            .where(SaleRow.contract_no.in_(chunk)).order_by(SaleRow.seq.desc())):
                out.setdefault(contract, []).append({"seq": seq, "recorded_at": at})
    return out

# -- sales, retirements, pledges, reversals ----------------------------------------------------

SALES_LIST_ROWS = 500  # the newest sales a list shows; the totals always count every match
# a name filter matching at most this many accounts is a list in the query, read along the account
# indexes; more (a name every enterprise's holds) is one parameter and one pass over the sales: at
# county scale 201 accounts read by index took 1.9 s for what one pass counts in 0.19 s
PARTY_ACCOUNTS_IN_SQL = 20


def sales(service: Service, *, account_id: str | None = None, date_from: str | None = None,
          date_to: str | None = None, contract: str | None = None, party_text: str | None = None,
          limit: int | None = None) -> list[dict]:
    """Sales, newest first, filtered by account (either side), date range (YYYY-MM-DD, inclusive),
    contract number substring and seller/buyer name substring; the newest ``limit`` (all if None).
    The filters run in the database; a name filter reads the sales the others leave, a page at a
    time, and never holds more than ``limit`` of them."""
    return sales_page(service, account_id=account_id, date_from=date_from, date_to=date_to, contract=contract,
                      party_text=party_text, limit=limit)["sales"]


def sales_page(service: Service, *, account_id: str | None = None, date_from: str | None = None,
               date_to: str | None = None, contract: str | None = None, party_text: str | None = None,
               limit: int | None = SALES_LIST_ROWS, offset: int = 0) -> dict[str, Any]:
    """``limit`` matching sales, newest first, after the newest ``offset`` (``sales``, as
    :func:`sales` gives them), and the totals of every match: ``count``, ``quantity`` (t) and
    ``amount_fen``. The clerk's page and the API's ``GET /v1/sales`` are this one list."""
    where, params = _sales_where(account_id, date_from, date_to, contract)
    with service.db.read() as s:
        conn = s.connection()
        if party_text:  # the accounts whose id or name holds the text (as Python compares text), then SQL
            needle = party_text.lower()
            matching = sorted(a for a, name in _account_names(conn).items()
                              if needle in a.lower() or needle in name.lower())
            if len(matching) <= PARTY_ACCOUNTS_IN_SQL:  # few accounts: a list in the statement
                marks, named = in_list("m", matching)
                either = f"(seller_account IN ({marks or 'NULL'}) OR buyer_account IN ({marks or 'NULL'}))"
            else:  # many: one parameter (a JSON list or an array), the sales read once in key order
                named = {"m": json.dumps(matching) if service.db.is_sqlite else matching}
                either = ("(+seller_account IN (SELECT value FROM json_each(:m)) OR +buyer_account IN "
                          "(SELECT value FROM json_each(:m)))" if service.db.is_sqlite else
                          "(seller_account = ANY(:m) OR buyer_account = ANY(:m))")
            where = f"{where} AND {either}" if where else f" WHERE {either}"
            params = {**params, **named}
        count, quantity, amount = _sales_totals(service, conn, where, params)
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
        rows = conn.execute(text(f"SELECT {SALE_COLUMNS} FROM sale{where} ORDER BY seq DESC{page}"), params).all()
        rows = rows[offset:] if limit is None else rows
        names = names_of(s, {a for r in rows for a in (r[2], r[3])})
    return {"sales": _sale_dicts(rows, names), "count": int(count), "quantity": int(quantity),
            "amount_fen": int(amount)}


SALE_COLUMNS = "seq, recorded_at, seller_account, buyer_account, quantity, price_fen_per_t, amount_fen, contract_no"


def _sale_dicts(rows: list[Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """Sale rows (:data:`SALE_COLUMNS`) as the lists give them, each side with its account's name."""
    return [{"seq": r[0], "recorded_at": r[1], "seller_account": r[2], "seller_name": names.get(r[2], ""),
             "buyer_account": r[3], "buyer_name": names.get(r[3], ""), "quantity": r[4], "price_fen_per_t": r[5],
             "amount_fen": r[6], "contract_no": r[7]} for r in rows]


_SALES_TOTALS: OrderedDict[tuple[Any, ...], tuple[int, int, int]] = OrderedDict()
_SALES_TOTALS_KEPT = 64
_SALES_TOTALS_LOCK = threading.Lock()


def _sales_totals(service: Service, conn: Any, where: str, params: dict[str, Any]) -> tuple[int, int, int]:
    """Count, tonnes and fen of the sales ``where`` picks, kept per filter while the journal is
    unchanged: the sale table changes only with a journal entry, and the head's hash names the
    whole journal (also when another database is put at the same address). The county's 804,460
    sales took 100 ms to total on every load of the clerk's page; the head is one index read."""
    head = conn.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1")).first()
    key = (service.db.url, tuple(head or ()), where, tuple(sorted((k, str(v)) for k, v in params.items())))
    with _SALES_TOTALS_LOCK:
        if key in _SALES_TOTALS:
            _SALES_TOTALS.move_to_end(key)
            return _SALES_TOTALS[key]
    count, quantity, amount = conn.execute(text(
        f"SELECT count(*), coalesce(sum(quantity), 0), coalesce(sum(amount_fen), 0) FROM sale{where}"), params).one()
    totals = (int(count), int(quantity), int(amount))
    with _SALES_TOTALS_LOCK:
        _SALES_TOTALS[key] = totals
        while len(_SALES_TOTALS) > _SALES_TOTALS_KEPT:
            _SALES_TOTALS.popitem(last=False)
    return totals


def _sales_where(account_id: str | None, date_from: str | None, date_to: str | None,
                 contract: str | None) -> tuple[str, dict[str, Any]]:
    """`` WHERE ...`` of the filters a database can answer, and its bound parameters."""
    clauses, params = [], {}
    if account_id:
        clauses.append("(seller_account = :account OR buyer_account = :account)")
        params["account"] = account_id
    # the dates are a person's days (Asia/Shanghai); recorded_at is UTC ISO text, compared as text
    if date_from:
        clauses.append("recorded_at >= :date_from")
        params["date_from"] = utc_start_of_day(date_from)
    if date_to:
        clauses.append("recorded_at < :date_to")
        params["date_to"] = utc_start_of_day((date.fromisoformat(date_to[:10]) + timedelta(days=1)).isoformat())
    if contract:
        clauses.append("lower(contract_no) LIKE :contract ESCAPE '!'")
        params["contract"] = "%" + "".join("!" + c if c in "!%_" else c for c in contract.lower()) + "%"
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def names_of(session: Any, account_ids: set[str]) -> dict[str, str]:
    """:func:`account_names` of some accounts only."""
    if not account_ids:
        return {}
    rows = session.exec(select(AccountRow.id, AccountRow.kind, PartyRow.name)
                        .join(PartyRow, PartyRow.id == AccountRow.party_id, isouter=True)
                        .where(AccountRow.id.in_(sorted(account_ids)))).all()
    return {a: (name or "") if kind == AccountKind.holding.value else kind for a, kind, name in rows}


def sale(service: Service, seq: int) -> dict[str, Any]:
    """One sale with its journal entry (hash, serial blocks): what a receipt shows."""
    with service.db.read() as s:
        row = s.get(SaleRow, seq)
        entry = s.get(JournalRow, seq)
        names = names_of(s, {row.seller_account, row.buyer_account}) if row is not None else {}
    if row is None or entry is None:
        raise NotFound("entry_not_found", seq=seq)
    result = json.loads(entry.body)["payload"].get("result", {})
    return {"seq": seq, "recorded_at": row.recorded_at, "seller_account": row.seller_account,
            "seller_name": names.get(row.seller_account, ""), "buyer_account": row.buyer_account,
            "buyer_name": names.get(row.buyer_account, ""), "quantity": row.quantity,
            "price_fen_per_t": row.price_fen_per_t, "amount_fen": row.amount_fen, "contract_no": row.contract_no,
            "entry_hash": entry.entry_hash, "actor": entry.actor, "blocks": result.get("blocks", []),
            "sale_date": result.get("sale_date"), "contract_date": result.get("contract_date")}


def retirements(service: Service, *, account_id: str | None = None) -> list[dict[str, Any]]:
    with service.db.read() as s:
        query = select(RetirementRow).order_by(RetirementRow.seq.desc())
        rows = s.exec(query.where(RetirementRow.account_id == account_id) if account_id else query).all()
    return [r.model_dump() for r in rows]


def pledges(service: Service, *, bank_party_id: str | None = None, account_id: str | None = None,
            status: str | None = None, limit: int | None = None) -> list[dict]:
    """Pledges, newest first, of a bank or an account and in a status when given; the newest
    ``limit`` (all if None), each with its account's name."""
    return pledges_page(service, bank_party_id=bank_party_id, account_id=account_id, status=status,
                        limit=limit)["items"]


def pledges_page(service: Service, *, bank_party_id: str | None = None, account_id: str | None = None,
                 status: str | None = None, limit: int | None = 200) -> dict[str, Any]:
    """The newest ``limit`` pledges (``items``, as :func:`pledges` gives them) and how many match
    (``count``): a bank of the county dataset has 26,960 pledges, and its page lists the newest."""
    clauses = [c for c, given in ((PledgeRow.bank_party_id == bank_party_id, bank_party_id),
                                  (PledgeRow.account_id == account_id, account_id),
                                  (PledgeRow.status == status, status)) if given]
    with service.db.read() as s:
        query = select(PledgeRow).where(*clauses).order_by(PledgeRow.seq.desc())
        rows = s.exec(query if limit is None else query.limit(int(limit))).all()
        count = s.exec(select(func.count()).select_from(PledgeRow).where(*clauses)).one()
        names = names_of(s, {r.account_id for r in rows})  # the names these rows need, not every party's
    return {"items": [r.model_dump() | {"account_name": names.get(r.account_id, "")} for r in rows],
            "count": int(count)}


def reversals(service: Service) -> list[dict[str, Any]]:
    with service.db.read() as s:
        return [r.model_dump() for r in s.exec(select(ReversalRow).order_by(ReversalRow.seq.desc())).all()]


def buffer_balance_t(service: Service) -> int:
    return service.account_balance(SYSTEM_ACCOUNTS[AccountKind.buffer])["held_t"]


# -- a party's own view ------------------------------------------------------------------------

STATEMENT_ROWS = 200  # the newest rows of each list a statement holds (an enterprise of the county bought 4,511 times)


def party_statement(service: Service, party_id: str, *, rows: int = STATEMENT_ROWS) -> dict[str, Any]:
    """A holder's statement: balance, holdings by batch and state, sales out (with the income, all
    of them summed) and in, retirements and pledges. Each list holds its first ``rows`` (holdings
    oldest vintage first, the others newest first) and ``<list>_count`` says how many there are in
    all: one read per list, none of them the account's whole history."""
    account = holding_account_id(party_id)
    limit = int(rows)
    with service.db.read() as s:
        if s.get(AccountRow, account) is None:
            raise NotFound("account_not_found", account=account)
        conn = s.connection()
        held = s.exec(select(BalanceRow, BatchRow).join(BatchRow, BatchRow.id == BalanceRow.batch_id)
                      .where(BalanceRow.account_id == account, BalanceRow.quantity > 0)
                      .order_by(BatchRow.vintage_year, BatchRow.id).limit(limit)).all()
        holdings_count = conn.execute(text("SELECT count(*) FROM balance WHERE account_id = :a AND quantity > 0"),
                                      {"a": account}).scalar_one()
        sides = {}
        for side in ("seller_account", "buyer_account"):
            count, amount = conn.execute(text(f"SELECT count(*), coalesce(sum(amount_fen), 0) FROM sale "
                                              f"WHERE {side} = :a"), {"a": account}).one()
            found = conn.execute(text(f"SELECT {SALE_COLUMNS} FROM sale WHERE {side} = :a "
                                      f"ORDER BY seq DESC LIMIT {limit}"), {"a": account}).all()
            sides[side] = (int(count), int(amount), found)
        names = names_of(s, {a for _, _, found in sides.values() for r in found for a in (r[2], r[3])})
        retired = s.exec(select(RetirementRow).where(RetirementRow.account_id == account)
                         .order_by(RetirementRow.seq.desc()).limit(limit)).all()
        retirements_count = conn.execute(text("SELECT count(*) FROM retirement WHERE account_id = :a"),
                                         {"a": account}).scalar_one()
    pledged = pledges_page(service, account_id=account, limit=limit)
    sold_count, income_fen, sold = sides["seller_account"]
    bought_count, _, bought = sides["buyer_account"]
    return {"account_id": account, "balance": service.account_balance(account),
            "holdings": [{"batch_id": b.id, "sink_type": b.sink_type, "vintage_year": b.vintage_year,
                          "state": bal.state, "quantity": bal.quantity} for bal, b in held],
            "holdings_count": int(holdings_count),
            "sold": _sale_dicts(sold, names), "sold_count": sold_count, "bought": _sale_dicts(bought, names),
            "bought_count": bought_count, "income_fen": income_fen,
            "retirements": [r.model_dump() for r in retired], "retirements_count": int(retirements_count),
            "pledges": pledged["items"], "pledges_count": pledged["count"]}


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
    return estimates_page(service, parcel_code=parcel_code, limit=None)["items"]


ESTIMATE_STATES = ("waiting", "returned", "issued")


def estimates_page(service: Service, *, parcel_code: str | None = None, state: str | None = None,
                   estimate_id: str | None = None, min_net_kg_co2e: int | None = None, limit: int | None = 100,
                   offset: int = 0) -> dict[str, Any]:
    """Recorded estimates, newest first, with their state (``waiting``, ``returned`` or
    ``issued``): one page, filtered and read as a page by the database (``{"items", "total"}``).
    An estimate is issued when a batch names it, returned when the verifier returned it since."""
    returns = estimate_returns(service)  # the verifier's returns: few, along the journal's kind index
    issued = select(BatchRow.estimate_id)
    query = select(EstimateRow).order_by(EstimateRow.seq.desc())
    if parcel_code:  # an element of the JSON list: the code between its quotes
        query = query.where(EstimateRow.parcel_codes.contains(json.dumps(parcel_code), autoescape=True))
    if estimate_id is not None:
        query = query.where(EstimateRow.id == estimate_id)
    if min_net_kg_co2e is not None:
        query = query.where(EstimateRow.net_kg_co2e >= min_net_kg_co2e)
    if state == "issued":
        query = query.where(EstimateRow.id.in_(issued))
    elif state in ("returned", "waiting"):
        query = query.where(EstimateRow.id.not_in(issued))
        returned = EstimateRow.id.in_(sorted(returns))
        query = query.where(returned if state == "returned" else ~returned)
    with service.db.read() as s:
        rows, total = ledger_queries.page_of(s, query, limit=limit, offset=offset)
        ids = [r.id for r in rows]
        done = set(s.exec(select(BatchRow.estimate_id).where(BatchRow.estimate_id.in_(ids))).all()) if ids else set()
    items = []
    for row in rows:
        back = returns.get(row.id, [])
        items.append(_estimate_summary(row) | {"state": "issued" if row.id in done else ("returned" if back else "waiting"),
                                               "returns": back})
    return {"total": total, "items": items}


def estimates_waiting(service: Service) -> list[dict[str, Any]]:
    """Recorded estimates with a net result of at least a tonne, neither issued nor returned: the
    verifier's queue, newest first, picked by the database (a county has thousands of estimates,
    nearly all issued)."""
    return estimates_page(service, state="waiting", min_net_kg_co2e=1000, limit=None)["items"]


def parcel_batches(service: Service, parcel_code: str) -> list[dict[str, Any]]:
    """Batches issued from estimates that cover ``parcel_code``."""
    ids = {e["estimate_id"] for e in estimates(service, parcel_code=parcel_code)}
    with service.db.read() as s:
        rows = s.exec(select(BatchRow).where(BatchRow.estimate_id.in_(ids)).order_by(BatchRow.issuance_seq)).all() \
            if ids else []
    return [{"batch_id": b.id, "vintage_year": b.vintage_year, "quantity": b.last - b.first + 1,
             "buffer_quantity": b.buffer_quantity, "serials": f"{b.serial_prefix}-{b.first:09d}..{b.last:09d}",
             "estimate_id": b.estimate_id, "issuance_seq": b.issuance_seq} for b in rows]


def parcel_credits(service: Service, parcel_code: str) -> dict[str, Any]:
    """The credits issued for one parcel: its share of every issuance that counted it
    (``issued_t``), and the vintages, read along the contributions' parcel index (what a click on
    the map shows)."""
    with service.db.read() as s:
        rows = s.connection().execute(text(
            "SELECT b.vintage_year, sum(c.quantity_t) FROM issuance_contribution c JOIN batch b ON b.id = c.batch_id "
            "WHERE c.parcel_code = :code GROUP BY b.vintage_year ORDER BY b.vintage_year"), {"code": parcel_code}).all()
    return {"parcel_code": parcel_code, "issued_t": int(sum(int(q) for _, q in rows)),
            "vintages": [int(v) for v, _ in rows]}


# -- public statistics -------------------------------------------------------------------------

def totals_by_county(service: Service) -> list[dict[str, Any]]:
    """Issued, held, pledged, retired and cancelled credits per county of issuance."""
    with service.db.read() as s:
        rows = s.exec(select(BatchRow.county_code, BalanceRow.state, func.sum(BalanceRow.quantity))
                      .join(BatchRow, BatchRow.id == BalanceRow.batch_id)
                      .where(BalanceRow.quantity != 0)  # the non-empty rows' partial index answers
                      .group_by(BatchRow.county_code, BalanceRow.state)).all()
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for county, state, qty in rows:
        table[county][state] += int(qty)
    return [{"county_code": c, "issued_t": sum(st.values()), "held_t": st.get("held", 0),
             "pledged_t": st.get("pledged", 0), "retired_t": st.get("retired", 0),
             "cancelled_t": st.get("cancelled", 0)} for c, st in sorted(table.items())]


def monthly_activity(service: Service) -> list[dict[str, Any]]:
    """Per month (YYYY-MM): issued, sold and retired tonnes, sales value and average price (fen/t).
    Summed by the database, month by month (a county's million entries are never read here)."""
    months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with service.db.read() as s:
        conn = s.connection()
        for month, issued in conn.exec_driver_sql(
                "SELECT substr(j.recorded_at, 1, 7), sum(b.last - b.first + 1) FROM batch b "
                "LEFT JOIN journal_entry j ON j.seq = b.issuance_seq GROUP BY substr(j.recorded_at, 1, 7)"):
            months[month or ""]["issued_t"] += int(issued)
        for month, sold, fen in conn.exec_driver_sql(
                "SELECT substr(recorded_at, 1, 7), sum(quantity), sum(amount_fen) FROM sale "
                "GROUP BY substr(recorded_at, 1, 7)"):
            months[month]["sold_t"] += int(sold)
            months[month]["sales_fen"] += int(fen)
        for month, retired in conn.exec_driver_sql(
                "SELECT substr(recorded_at, 1, 7), sum(quantity) FROM retirement GROUP BY substr(recorded_at, 1, 7)"):
            months[month]["retired_t"] += int(retired)
    out = []
    for month in sorted(k for k in months if k):
        m = months[month]
        out.append({"month": month, "issued_t": m["issued_t"], "sold_t": m["sold_t"], "retired_t": m["retired_t"],
                    "sales_fen": m["sales_fen"],
                    "average_price_fen": m["sales_fen"] // m["sold_t"] if m["sold_t"] else None})
    return out


def public_totals(service: Service) -> dict[str, Any]:
    """What the overview's tables need: credits per sink type, vintage and state
    (``by_sink_type``, as :meth:`Service.balances` gives it) and the buffer pool's held credits
    (``buffer_held_t``), without the per-account table (fifty thousand rows at county size)."""
    service.require_initialised()
    with service.db.read() as s:
        buffer = s.connection().execute(text(
            "SELECT coalesce(sum(b.quantity), 0) FROM balance b JOIN account a ON a.id = b.account_id "
            "WHERE a.kind = :kind AND b.state = 'held'"), {"kind": AccountKind.buffer.value}).scalar()
        return {"by_sink_type": ledger_queries.balances_by_sink_type(s), "buffer_held_t": int(buffer or 0)}


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
