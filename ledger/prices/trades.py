"""A sale's trade lines: the price index's inputs (docs/prices.md, "Inputs").

T1. a sale recorded by a ``sale`` entry with a price above zero is a trade; court fulfilments
    (ordered, not negotiated), zero-price transfers and imported credits (no Huzhou county) are not;
T2. its credits are grouped by the sink type and county of their batch, both read from the batch
    id in the entry's moves (``CN330523-BF-AJBF01-2024/1``: county 330523, bamboo forest); one
    line per group, with the group's tonnes at the sale's price;
T3. the trade date is the sale date the clerk gave, otherwise the day the sale was recorded in
    Asia/Shanghai (the clerk's calendar);
T4. a ``correction`` of the sale takes its lines away.

Everything here is pure but :func:`record_trades` and :func:`delete_trades`, which write the
``price_trade`` rows in the entry's own transaction.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from ledger.domain import SinkCode

LOCAL = ZoneInfo("Asia/Shanghai")
SINK_TYPES = tuple(code.name for code in SinkCode)
_SINK_BY_CODE = {code.value: code.name for code in SinkCode}


def market_of_batch(batch_id: str) -> tuple[str, str] | None:
    """``(sink_type, county_code)`` of a batch id issued here, or None (an imported batch).

    >>> market_of_batch("CN330523-BF-AJBF01-2024/1")
    ('bamboo_forest', '330523')
    >>> market_of_batch("IMPORT:VERRA:VCS-1-2020/1") is None
    True
    """
    parts = batch_id.split("/", 1)[0].split("-")
    if len(parts) != 4 or not parts[0].startswith("CN") or parts[1] not in _SINK_BY_CODE:
        return None
    return _SINK_BY_CODE[parts[1]], parts[0][2:]


# A sale's batches are few and recur in every sale of them: each id is parsed once (verify reads
# a million sales), remembered in a plain dict (batch id → its market), looked up in place.
REMEMBERED_MARKETS: dict[str, tuple[str, str] | None] = {}


def remembered_market(batch_id: str) -> tuple[str, str] | None:
    """:func:`market_of_batch`, remembered (verify reads a million sales' batch ids)."""
    try:
        return REMEMBERED_MARKETS[batch_id]
    except KeyError:
        if len(REMEMBERED_MARKETS) >= 65_536:
            REMEMBERED_MARKETS.clear()
        found = REMEMBERED_MARKETS[batch_id] = market_of_batch(batch_id)
        return found


@functools.lru_cache(maxsize=4096)
def _days(day: str) -> tuple[str, str] | None:
    """``day`` and the day after, if ``day`` is a calendar date (YYYY-MM-DD), else None."""
    try:
        moment = date.fromisoformat(day)
    except ValueError:
        return None
    return (day, (moment + timedelta(days=1)).isoformat()) if moment < date.max else None


_HOURS: dict[str, str] = {}  # "YYYY-MM-DDTHH" of a recorded time in UTC → its Asia/Shanghai date


def local_date(recorded_at: str) -> str:
    """The Asia/Shanghai calendar date of a recorded time (UTC when it carries no offset).

    >>> local_date("2025-03-31T17:30:00+00:00")
    '2025-04-01'
    >>> local_date("2025-03-31T15:59:59.999999+00:00")
    '2025-03-31'
    """
    # What the services record (UTC to the microsecond, ``+00:00``) since 1992, when China had
    # kept UTC+8 without daylight saving for a year: the date is the UTC date, or the next one
    # from 16:00 UTC, read from the text (verify does this for every sale), and remembered by the
    # hour (what decides it is the text up to the hour, its length and its offset).
    plain = len(recorded_at) >= 19 and recorded_at.endswith("+00:00")
    if plain:
        day = _HOURS.get(recorded_at[:13])
        if day is not None:
            return day
    if plain and recorded_at[10] == "T" and "1992" <= recorded_at[:4] and recorded_at[11:13].isdigit():
        days = _days(recorded_at[:10])
        if days is not None:
            day = days[1] if recorded_at[11:13] >= "16" else days[0]
            if len(_HOURS) >= 65_536:
                _HOURS.clear()
            _HOURS[recorded_at[:13]] = day
            return day
    moment = datetime.fromisoformat(recorded_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LOCAL).date().isoformat()


# the payload fields trade_rows reads: verify's second process decodes only these of a sale
PAYLOAD_FIELDS = ("price_fen_per_t", "moves", "sale_date", "seller_account", "buyer_account")


def trade_rows(seq: int, recorded_at: str, payload: dict[str, Any]) -> list[tuple[Any, ...]]:
    """T1-T3: the trade lines of a ``sale`` entry's payload as rows of :data:`COLUMNS`, sorted
    by market; [] if not a trade."""
    price = payload.get("price_fen_per_t") or 0
    if price <= 0:
        return []
    tonnes: dict[tuple[str, str], int] = {}
    for move in payload.get("moves", ()):  # (verify's second process takes its own way: prices.audit._walk_sale)
        found = remembered_market(move["batch_id"])
        if found is not None:
            tonnes[found] = tonnes.get(found, 0) + int(move["last"]) - int(move["first"]) + 1
    if not tonnes:
        return []
    day = payload.get("sale_date") or local_date(recorded_at)
    seller, buyer = payload["seller_account"], payload["buyer_account"]
    return [(seq, sink, county, day, seller, buyer, quantity, price)
            for (sink, county), quantity in sorted(tonnes.items())]


def trade_lines(seq: int, recorded_at: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """:func:`trade_rows` as dicts by column."""
    return [dict(zip(COLUMNS, row)) for row in trade_rows(seq, recorded_at, payload)]


COLUMNS = ("sale_seq", "sink_type", "county_code", "trade_date", "seller_account", "buyer_account", "quantity_t",
           "price_fen_per_t")


def record_trades(tx: Any, seq: int, recorded_at: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Write the sale's trade lines (one statement) and return them."""
    lines = trade_lines(seq, recorded_at, payload)
    if lines:
        tx.insert_rows("price_trade", lines)
    return lines


def delete_trades(session: Any, sale_seq: int) -> None:
    """T4: a corrected sale leaves the index."""
    session.execute(text("DELETE FROM price_trade WHERE sale_seq = :s"), {"s": sale_seq})
