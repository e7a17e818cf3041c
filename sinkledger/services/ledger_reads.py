"""The ledger's records as an institution reads them: sales, retirements, pledges, balances,
holdings and serial blocks, each scoped by the acting role (issue 18).

The pages show each role its own view; the HTTP API answers whoever holds a key, so the scoping
is a rule here, in the service layer, not at the edge: ``ledger_read``
(:mod:`ledger.permissions`) says who may read at all (not households, whose statements are
income's, and not the public, whose registry is its own), and the roles in its
``ACTS_FOR_OTHERS`` read every account; the others (cooperatives, enterprises) only their own
holding account, whatever they ask for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, text
from sqlmodel import select

from ledger.balances import by_account_sql, summarise_by_account
from ledger.domain import format_block
from ledger.parties import holding_account_id
from ledger.permissions import ACTS_FOR_OTHERS, Actor, require
from ledger.queries import page_of
from ledger.sql import in_list
from ledger.store import AccountRow, BatchRow, CreditBlockRow, PledgeRow, RetirementRow
from sinkledger.services import queries
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotFound, NotPermitted, printable

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

READ = "ledger_read"
MAX_BLOCKS = 10_000
MAX_PAGE = 1000


def reads_every_account(actor: Actor) -> bool:
    return actor.role in ACTS_FOR_OTHERS[READ]


def scope(actor: Actor, account_id: Any = None, *, required: bool = False) -> str | None:
    """The account the actor may read: the one asked for (None: every account, unless
    ``required``) when its role reads every account, else its own holding account (asking for
    another is refused)."""
    require(actor, READ)
    if (account_id is not None or required) and (not isinstance(account_id, str) or not 0 < len(account_id) <= 40):
        raise InvalidInput("value_invalid", field="account_id", value=printable(repr(account_id), 40))
    if reads_every_account(actor):
        return account_id
    own = holding_account_id(actor.party_id)
    if account_id not in (None, own):
        raise NotPermitted("not_permitted", role=actor.role.value, command=READ)
    return own


def _day(value: Any, field: str) -> str | None:
    return None if value is None else checks.iso_date(value, field).isoformat()


def sales(service: Service, actor: Actor, *, account_id: str | None = None, date_from: str | None = None,
          date_to: str | None = None, contract: str | None = None, limit: int = 100,
          offset: int = 0) -> dict[str, Any]:
    """A page of the sales the actor may read, newest first: ``{"items", "total"}``, filtered by
    account (either side), the calendar days of recording (Asia/Shanghai, inclusive) and a part of
    the contract number: the trading centre page's list (:func:`queries.sales_page`), filtered and
    paged by the database."""
    account = scope(actor, account_id)
    if contract is not None and (not isinstance(contract, str) or len(contract) > 80):
        raise InvalidInput("value_invalid", field="contract", value=printable(repr(contract), 40))
    limit, offset = _page_bound(limit, "limit", 1, MAX_PAGE), _page_bound(offset, "offset", 0, 2**62)
    found = queries.sales_page(service, account_id=account, date_from=_day(date_from, "date_from"),
                               date_to=_day(date_to, "date_to"), contract=contract or None, limit=limit,
                               offset=offset)
    return {"total": found["count"], "items": found["sales"]}


def _page_bound(value: Any, field: str, lowest: int, highest: int) -> int:
    value = checks.whole(value, field)
    if not lowest <= value <= highest:
        raise InvalidInput("value_invalid", field=field, value=str(value)[:40])
    return value


def sale(service: Service, actor: Actor, seq: int) -> dict[str, Any]:
    """One sale with its entry hash and serial blocks, if the actor may read it."""
    seq = checks.whole(seq, "seq")
    require(actor, READ)
    found = queries.sale(service, seq)
    if not reads_every_account(actor) and holding_account_id(actor.party_id) not in (
            found["seller_account"], found["buyer_account"]):
        raise NotFound("entry_not_found", seq=seq)  # another's sale: as if it did not exist
    return found


def retirements(service: Service, actor: Actor, *, account_id: str | None = None, beneficiary: str | None = None,
                year: int | None = None, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """A page of the retirements the actor may read, newest first (``{"items", "total"}``);
    ``beneficiary`` a part of its name, ``year`` the year recorded. Filtered and paged by the
    database."""
    account = scope(actor, account_id)
    limit, offset = _page_bound(limit, "limit", 1, MAX_PAGE), _page_bound(offset, "offset", 0, 2**62)
    if beneficiary is not None and (not isinstance(beneficiary, str) or len(beneficiary) > 200):
        raise InvalidInput("value_invalid", field="beneficiary", value=printable(repr(beneficiary), 40))
    if year is not None:
        year = checks.whole(year, "year")
        if not checks.EARLIEST_DATE.year <= year <= checks.LATEST_DATE.year:
            raise checks.date_out_of_range("year", year)
    where = [RetirementRow.account_id == account] if account is not None else []
    if beneficiary:
        where.append(func.lower(RetirementRow.beneficiary).contains(beneficiary.lower(), autoescape=True))
    if year is not None:
        where += [RetirementRow.recorded_at >= f"{year:04d}", RetirementRow.recorded_at < f"{year + 1:04d}"]
    with service.db.read() as s:
        total = s.exec(select(func.count()).select_from(RetirementRow).where(*where)).one()
        rows = s.exec(select(RetirementRow).where(*where).order_by(RetirementRow.seq.desc())
                      .offset(offset).limit(limit)).all()
    return {"total": int(total), "items": [r.model_dump() for r in rows]}


def pledges(service: Service, actor: Actor, *, account_id: str | None = None) -> list[dict[str, Any]]:
    return pledges_page(service, actor, account_id=account_id, limit=None)["items"]


def pledges_page(service: Service, actor: Actor, *, account_id: str | None = None, limit: int | None = 100,
                 offset: int = 0) -> dict[str, Any]:
    """Pledges, newest first, that the actor may read: one page, read as a page by the database."""
    account = scope(actor, account_id)
    limit, offset = checks.page_bounds(limit, offset)
    query = select(PledgeRow).order_by(PledgeRow.seq.desc())
    with service.db.read() as s:
        rows, total = page_of(s, query.where(PledgeRow.account_id == account) if account else query,
                              limit=limit, offset=offset)
        names = queries.names_of(s, {r.account_id for r in rows})
    return {"total": total, "items": [r.model_dump() | {"account_name": names.get(r.account_id, "")} for r in rows]}


def balance(service: Service, actor: Actor, account_id: str) -> dict[str, Any]:
    """One account's balance by state (held, pledged, retired...)."""
    account = scope(actor, account_id, required=True)
    return {"account_id": account, **service.account_balance(account)}


def balances(service: Service, actor: Actor) -> list[dict[str, Any]]:
    """Every account's balance (roles that read every account), else the actor's own."""
    return balances_page(service, actor, limit=None)["items"]


def balances_page(service: Service, actor: Actor, *, limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
    """:func:`balances`, one page of accounts (in account order) read as a page by the database."""
    account = scope(actor)
    limit, offset = checks.page_bounds(limit, offset)
    service.require_initialised()
    where, params = ("account_id = :a", {"a": account}) if account is not None else ("1 = 1", {})
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    with service.db.read() as s:
        conn = s.connection()
        total = conn.execute(text(f"SELECT count(DISTINCT account_id) FROM balance WHERE {where}"), params).scalar()
        ids = [r[0] for r in conn.execute(text(f"SELECT DISTINCT account_id FROM balance WHERE {where} "
                                               f"ORDER BY account_id{page}"), params)]
        ids = ids if limit is not None else ids[offset:]
        marks, named = in_list("id", ids)
        rows = conn.execute(text(by_account_sql(f"b.account_id IN ({marks})")), named).all() if ids else []
    lines = {line["account_id"]: line for line in summarise_by_account(rows)}
    return {"total": int(total or 0), "items": [lines[i] for i in ids if i in lines]}


def holdings(service: Service, actor: Actor, account_id: str) -> dict[str, Any]:
    """An account's credits by batch and state, with the batch's sink type and vintage."""
    account = scope(actor, account_id, required=True)
    with service.db.read() as s:
        if s.get(AccountRow, account) is None:
            raise NotFound("account_not_found", account=account)
    return {"account_id": account, "balance": service.account_balance(account),
            "holdings": _holdings(service, account)}


def _holdings(service: Service, account: str) -> list[dict[str, Any]]:
    with service.db.read() as s:
        rows = s.exec(select(CreditBlockRow, BatchRow).join(BatchRow, BatchRow.id == CreditBlockRow.batch_id)
                      .where(CreditBlockRow.account_id == account)).all()
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for block, batch in rows:
        row = totals.setdefault((batch.id, block.state), {
            "batch_id": batch.id, "sink_type": batch.sink_type, "vintage_year": batch.vintage_year,
            "project_code": batch.project_code, "state": block.state, "quantity": 0})
        row["quantity"] += block.last - block.first + 1
    return sorted(totals.values(), key=lambda r: (r["vintage_year"], r["batch_id"], r["state"]))


def blocks(service: Service, actor: Actor, account_id: str) -> list[dict[str, Any]]:
    """An account's serial blocks (at most :data:`MAX_BLOCKS`), by batch and first serial."""
    return blocks_page(service, actor, account_id, limit=None)["items"][:MAX_BLOCKS]


def blocks_page(service: Service, actor: Actor, account_id: str, *, limit: int | None = 100,
                offset: int = 0) -> dict[str, Any]:
    """An account's serial blocks by batch and first serial: one page, read as a page by the
    database (``ix_credit_block_holding``), however many blocks the account holds."""
    account = scope(actor, account_id, required=True)
    limit, offset = checks.page_bounds(limit, offset)
    with service.db.read() as s:
        if s.get(AccountRow, account) is None:
            raise NotFound("account_not_found", account=account)
        total = s.exec(select(func.count()).select_from(CreditBlockRow).where(CreditBlockRow.account_id == account)).one()
        query = (select(CreditBlockRow, BatchRow.serial_prefix).join(BatchRow, BatchRow.id == CreditBlockRow.batch_id)
                 .where(CreditBlockRow.account_id == account).order_by(CreditBlockRow.batch_id, CreditBlockRow.first)
                 .offset(offset))
        rows = s.exec(query.limit(limit) if limit is not None else query).all()
    return {"total": int(total), "items": [
        {"batch_id": b.batch_id, "state": b.state, "first": b.first, "last": b.last, "quantity": b.last - b.first + 1,
         "serials": format_block(prefix, b.first, b.last), "tag": b.tag} for b, prefix in rows]}
