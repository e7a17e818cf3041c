"""The carbon-sink price index (碳汇价格指数): the rule, its queries and its trace.

Rule ``sinkledger-price-index/1`` (docs/prices.md, "Method"), for one market (sink type and
county) and one window (a calendar day, a calendar month, or an insurance policy's period):

P1. the trades are the market's trade lines (:mod:`ledger.prices.trades`) dated in the window,
    recorded at or before a journal size (the *as-of* seq: a later sale never changes an index
    computed before it, and a settlement's index is the one as of its own entry);
P2. the reference price M is the volume-weighted median: the trades sorted by price (then seq),
    the price of the first at which the running tonnes reach half the window's tonnes;
P3. outliers: a trade priced below M ÷ 2 or above 2 × M is left out (counted, and named in the trace);
P4. thin market: the index is **published** only when at least :data:`MIN_TRADES` trades from at
    least :data:`MIN_SELLERS` different sellers remain; otherwise the window is "not published"
    and only its number of trades is shown (no price, no tonnes: one or two trades would be
    disclosed);
P5. index = Σ tonnes × price ÷ Σ tonnes of the trades kept, in fen per tonne, rounded half up.

The aggregate queries compute everything in the database (a window function for the median, one
``GROUP BY`` for the sums), so a county's million entries are never read into Python; the pure
:func:`compute` is the same rule over a list, used by the check that recomputes an index from the
journal's own sale entries (:func:`check_trace`).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import text

from ledger.domain import entry_hash
from ledger.prices.trades import SINK_TYPES, trade_lines
from sinkledger_base.errors import InvalidInput

RULE_VERSION = "sinkledger-price-index/1"
MIN_TRADES = 3
MIN_SELLERS = 2
OUTLIER_FACTOR = 2
FREQUENCIES = ("daily", "monthly")
MAX_DAILY_WINDOWS = 400
MAX_MONTHLY_WINDOWS = 120
COUNTY_DIGITS = (4, 6)
RULE = {"version": RULE_VERSION, "min_trades": MIN_TRADES, "min_sellers": MIN_SELLERS,
        "outlier_band": f"M/{OUTLIER_FACTOR} ≤ price ≤ {OUTLIER_FACTOR}·M", "rounding": "half up, fen per tonne",
        "median": "volume-weighted, lower", "inputs": "sale entries, price > 0, sink type and county of the batch"}


class Trade(NamedTuple):
    seq: int
    seller: str
    quantity_t: int
    price_fen_per_t: int


def half_up(numerator: int, denominator: int) -> int:
    """``numerator ÷ denominator`` rounded half up (both non-negative, denominator > 0).

    >>> half_up(5, 2), half_up(7, 3)
    (3, 2)
    """
    return (2 * numerator + denominator) // (2 * denominator)


def weighted_median(trades: list[Trade]) -> int:
    """P2: the lower volume-weighted median price.

    >>> weighted_median([Trade(1, "a", 10, 5000), Trade(2, "b", 1, 9000), Trade(3, "c", 1, 1000)])
    5000
    """
    ordered = sorted(trades, key=lambda t: (t.price_fen_per_t, t.seq))
    total, running = sum(t.quantity_t for t in ordered), 0
    for trade in ordered:
        running += trade.quantity_t
        if 2 * running >= total:
            return trade.price_fen_per_t
    raise ValueError("no trades")


def kept(price: int, median: int) -> bool:
    """P3: inside the band M ÷ 2 ≤ price ≤ 2 × M."""
    return OUTLIER_FACTOR * price >= median and price <= OUTLIER_FACTOR * median


def outcome(*, trades: int, kept_trades: int, kept_t: int, kept_amount: int, sellers: int,
            median: int | None) -> dict[str, Any]:
    """P4-P5 from a window's aggregates: what is published about it."""
    if kept_trades >= MIN_TRADES and sellers >= MIN_SELLERS:
        return {"published": True, "index_fen_per_t": half_up(kept_amount, kept_t), "trades": trades,
                "trades_used": kept_trades, "outliers": trades - kept_trades, "sellers": sellers,
                "volume_t": kept_t, "median_fen_per_t": median, "reason": None}
    reason = "too_few_trades" if kept_trades < MIN_TRADES else "too_few_sellers"
    return {"published": False, "index_fen_per_t": None, "trades": trades, "trades_used": None, "outliers": None,
            "sellers": None, "volume_t": None, "median_fen_per_t": None, "reason": reason}


def compute(trades: list[Trade]) -> dict[str, Any]:
    """P2-P5 over a window's trades (the pure rule; the queries give the same)."""
    if not trades:
        return outcome(trades=0, kept_trades=0, kept_t=0, kept_amount=0, sellers=0, median=None)
    median = weighted_median(trades)
    used = [t for t in trades if kept(t.price_fen_per_t, median)]
    return outcome(trades=len(trades), kept_trades=len(used), kept_t=sum(t.quantity_t for t in used),
                   kept_amount=sum(t.quantity_t * t.price_fen_per_t for t in used),
                   sellers=len({t.seller for t in used}), median=median)


# --- the checks of a request ------------------------------------------------------------------

def check_market(sink_type: Any, county_code: Any) -> tuple[str, str]:
    if not isinstance(sink_type, str) or sink_type not in SINK_TYPES:
        raise InvalidInput("value_invalid", field="sink_type", value=str(sink_type)[:40])
    if (not isinstance(county_code, str) or not county_code.isascii() or not county_code.isdigit()
            or len(county_code) not in COUNTY_DIGITS):
        raise InvalidInput("value_invalid", field="county_code", value=str(county_code)[:40])
    return sink_type, county_code


def check_frequency(frequency: Any) -> str:
    if not isinstance(frequency, str) or frequency not in FREQUENCIES:
        raise InvalidInput("value_invalid", field="frequency", value=str(frequency)[:40])
    return frequency


def window_bounds(frequency: str, window: str) -> tuple[str, str]:
    """A window's first and last day: ``2025-03-17`` (daily), ``2025-03`` (monthly)."""
    try:
        if frequency == "daily" and len(window) == 10:
            day = date.fromisoformat(window)
            return day.isoformat(), day.isoformat()
        if frequency == "monthly" and len(window) == 7 and window[4] == "-":
            first = date(int(window[:4]), int(window[5:]), 1)
            nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first.isoformat(), (nxt - timedelta(days=1)).isoformat()
    except (ValueError, TypeError):
        pass
    raise InvalidInput("value_invalid", field="window", value=str(window)[:40])


def window_keys(frequency: str, date_from: str, date_to: str) -> list[str]:
    """Every window of the range, in order (so a window without trades is listed too)."""
    start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    if frequency == "daily":
        days = (end - start).days + 1
        if days > MAX_DAILY_WINDOWS:
            raise InvalidInput("price_index_range_too_long", frequency=frequency, maximum=MAX_DAILY_WINDOWS)
        return [(start + timedelta(days=i)).isoformat() for i in range(days)]
    keys, month = [], date(start.year, start.month, 1)
    while month <= end:
        keys.append(month.isoformat()[:7])
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    if len(keys) > MAX_MONTHLY_WINDOWS:
        raise InvalidInput("price_index_range_too_long", frequency=frequency, maximum=MAX_MONTHLY_WINDOWS)
    return keys


# --- the queries ------------------------------------------------------------------------------

_KEY = {"daily": "trade_date", "monthly": "substr(trade_date, 1, 7)", "period": ":label"}
_KEPT = f"({OUTLIER_FACTOR} * t.p >= m.median AND t.p <= {OUTLIER_FACTOR} * m.median)"
_WINDOWS_SQL = """
WITH t AS (
  SELECT {key} AS w, sale_seq AS s, seller_account AS seller, quantity_t AS q, price_fen_per_t AS p
  FROM price_trade
  WHERE sink_type = :sink AND county_code = :county AND trade_date >= :d0 AND trade_date <= :d1
    AND sale_seq <= :asof
), c AS (
  SELECT w, p, SUM(q) OVER (PARTITION BY w ORDER BY p, s ROWS UNBOUNDED PRECEDING) AS running,
         SUM(q) OVER (PARTITION BY w) AS total
  FROM t
), m AS (
  SELECT w, MIN(p) AS median FROM c WHERE 2 * running >= total GROUP BY w
)
SELECT t.w, m.median, COUNT(*),
       SUM(CASE WHEN {kept} THEN 1 ELSE 0 END),
       SUM(CASE WHEN {kept} THEN t.q ELSE 0 END),
       SUM(CASE WHEN {kept} THEN t.q * t.p ELSE 0 END),
       COUNT(DISTINCT CASE WHEN {kept} THEN t.seller END)
FROM t JOIN m ON m.w = t.w
GROUP BY t.w, m.median
ORDER BY t.w
"""

ALL = 2**62  # as of "now": every entry


def window_results(conn: Any, *, sink_type: str, county_code: str, frequency: str, date_from: str, date_to: str,
                   as_of_seq: int = ALL) -> dict[str, dict[str, Any]]:
    """P1-P5 for every window of the range that has trades, computed by the database:
    ``{window key: outcome}``. ``frequency``: daily, monthly or period (one window, the range)."""
    sql = _WINDOWS_SQL.format(key=_KEY[frequency], kept=_KEPT)
    params = {"sink": sink_type, "county": county_code, "d0": date_from, "d1": date_to, "asof": as_of_seq,
              "label": f"{date_from}..{date_to}"}
    rows = conn.execute(text(sql), params).all()
    return {row[0]: outcome(median=int(row[1]), trades=int(row[2]), kept_trades=int(row[3]), kept_t=int(row[4]),
                            kept_amount=int(row[5]), sellers=int(row[6])) for row in rows}


def series(conn: Any, *, sink_type: str, county_code: str, frequency: str, date_from: str,
           date_to: str, as_of_seq: int = ALL) -> list[dict[str, Any]]:
    """Every window of the range, in order, with its outcome (a window without trades: not
    published, 0 trades), as of an entry (P1; default: every entry)."""
    keys = window_keys(frequency, date_from, date_to)
    found = window_results(conn, sink_type=sink_type, county_code=county_code, frequency=frequency,
                           date_from=date_from, date_to=date_to, as_of_seq=as_of_seq)
    empty = compute([])
    return [{"window": key, **found.get(key, empty)} for key in keys]


def period_index(conn: Any, *, sink_type: str, county_code: str, period_start: str, period_end: str,
                 as_of_seq: int = ALL) -> dict[str, Any]:
    """The index over one period (an insurance policy's), as of a journal size."""
    found = window_results(conn, sink_type=sink_type, county_code=county_code, frequency="period",
                           date_from=period_start, date_to=period_end, as_of_seq=as_of_seq)
    return next(iter(found.values()), compute([]))


def latest_published_month(conn: Any, *, sink_type: str, county_code: str, date_from: str, date_to: str,
                           as_of_seq: int = ALL) -> tuple[str, dict[str, Any]] | None:
    """The last calendar month inside [date_from, date_to] whose monthly index is published."""
    found = window_results(conn, sink_type=sink_type, county_code=county_code, frequency="monthly",
                           date_from=date_from, date_to=date_to, as_of_seq=as_of_seq)
    months = [(key, out) for key, out in found.items() if out["published"]
              and window_bounds("monthly", key)[0] >= date_from and window_bounds("monthly", key)[1] <= date_to]
    return months[-1] if months else None


_INPUTS_SQL = ("SELECT t.sale_seq, j.entry_hash, t.seller_account, t.quantity_t, t.price_fen_per_t, t.trade_date "
               "FROM price_trade t JOIN journal_entry j ON j.seq = t.sale_seq "
               "WHERE t.sink_type = :sink AND t.county_code = :county AND t.trade_date >= :d0 AND t.trade_date <= :d1 "
               "AND t.sale_seq <= :asof ORDER BY t.sale_seq")


def trace(conn: Any, *, sink_type: str, county_code: str, window: str, date_from: str, date_to: str,
          as_of_seq: int) -> dict[str, Any]:
    """An index's trace: the rule, every input by sale entry (seq and hash), which were left out
    as outliers, and the result; what :func:`check_trace` recomputes from the journal."""
    rows = conn.execute(text(_INPUTS_SQL), {"sink": sink_type, "county": county_code, "d0": date_from,
                                            "d1": date_to, "asof": as_of_seq}).all()
    trades = [Trade(int(r[0]), r[2], int(r[3]), int(r[4])) for r in rows]
    result = compute(trades)
    median = weighted_median(trades) if trades else None
    inputs = [{"seq": int(r[0]), "entry_hash": r[1], "trade_date": r[5], "seller_account": r[2], "quantity_t": int(r[3]),
               "price_fen_per_t": int(r[4]), "outlier": median is not None and not kept(int(r[4]), median)}
              for r in rows]
    return {"format": "sinkledger-price-index-trace/1", "rule": RULE, "sink_type": sink_type,
            "county_code": county_code, "window": window, "date_from": date_from, "date_to": date_to,
            "as_of_seq": as_of_seq, "inputs": inputs, "result": result}


def check_trace(conn: Any, document: dict[str, Any]) -> list[str]:
    """Recompute a trace from the journal: each input's entry is read by seq, its hash recomputed
    from its stored body and previous hash, its trade lines derived again from its payload; every
    trade line of the market and window up to the as-of seq must be an input, and the result must
    follow from the inputs by the rule. Returns the problems (none: the trace holds)."""
    problems: list[str] = []
    if document.get("rule", {}).get("version") != RULE_VERSION:
        return [f"rule version {document.get('rule', {}).get('version')!r} is not {RULE_VERSION}"]
    sink, county = document["sink_type"], document["county_code"]
    d0, d1 = document["date_from"], document["date_to"]
    trades = []
    for item in document["inputs"]:
        row = conn.execute(text("SELECT seq, kind, recorded_at, body, prev_hash, entry_hash FROM journal_entry "
                                "WHERE seq = :s"), {"s": item["seq"]}).first()
        if row is None or row[1] != "sale":
            problems.append(f"entry {item['seq']}: not a sale in the journal")
            continue
        if entry_hash(row[4], row[3]) != row[5] or row[5] != item["entry_hash"]:
            problems.append(f"entry {item['seq']}: its hash is not the trace's")
            continue
        lines = [x for x in trade_lines(row[0], row[2], json.loads(row[3])["payload"])
                 if x["sink_type"] == sink and x["county_code"] == county and d0 <= x["trade_date"] <= d1]
        if len(lines) != 1 or ("quantity_t" in item and (lines[0]["quantity_t"], lines[0]["price_fen_per_t"]) != (
                item["quantity_t"], item.get("price_fen_per_t"))):  # a thin window's trace shows no prices
            problems.append(f"entry {item['seq']}: its trade is not the trace's")
            continue
        trades.append(Trade(row[0], lines[0]["seller_account"], lines[0]["quantity_t"], lines[0]["price_fen_per_t"]))
    listed = {item["seq"] for item in document["inputs"]}
    stored = {int(r[0]) for r in conn.execute(text(_INPUTS_SQL), {"sink": sink, "county": county, "d0": d0, "d1": d1,
                                                                  "asof": document["as_of_seq"]}).all()}
    problems += [f"entry {seq}: a trade of the window missing from the trace" for seq in sorted(stored - listed)]
    if not problems and compute(trades) != document["result"]:
        problems.append("the result does not follow from the inputs by the rule")
    return problems


def markets(conn: Any) -> list[dict[str, Any]]:
    """The markets with trades: sink type, county, trades, first and last trade date."""
    rows = conn.execute(text("SELECT sink_type, county_code, COUNT(*), MIN(trade_date), MAX(trade_date) "
                             "FROM price_trade GROUP BY sink_type, county_code ORDER BY sink_type, county_code")).all()
    return [{"sink_type": r[0], "county_code": r[1], "trades": int(r[2]), "first_trade_date": r[3],
             "last_trade_date": r[4]} for r in rows]
