"""The price index at county scale (issue 22, docs/prices.md): the statement an index request
runs, on a synthetic ``price_trade`` table of ``--trades`` rows, with its floors in the same run.

The table is the ledger's own (``ledger.prices.store``, its index ``ix_price_trade_market``),
created in a scratch place: a temporary SQLite file, or with ``--database-url`` a schema
``bench_price_index`` of that PostgreSQL database (dropped at the end). The trades are spread over
3 sink types × 6 counties, three years, 400 sellers, prices around 80 yuan/t with a few outliers.

Measured (median of ``--runs`` runs, ms):

- ``monthly``: one market's monthly index over 24 months (what the public page and
  ``GET /public/price-index`` ask for), through :func:`ledger.prices.method.series`;
- ``daily``: 60 daily windows; ``period``: one policy period of 3 months (a settlement);
- ``markets``: the list of markets (every public page load);
- floors: ``floor_aggregate`` is a plain ``SUM ... GROUP BY month`` over the same rows (no median,
  no outliers, no sellers): what reading the market's range costs at least; ``floor_python`` is
  fetching the same rows and applying the rule in Python (:func:`ledger.prices.method.compute`),
  what the database saves us; ``insert`` is the rate the rows were written by executemany.

``explain`` shows the plan of the monthly statement and whether it reads ``ix_price_trade_market``.
Prints one JSON document with the load average.

    python bench/price_index_bench.py --trades 1000000
    python bench/price_index_bench.py --trades 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db
    python bench/price_index_bench.py --short
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, text  # noqa: E402

from ledger.prices import method  # noqa: E402
from ledger.prices.store import PriceTradeRow  # noqa: E402

SINKS = ("bamboo_forest", "wetland", "tea_garden")
COUNTIES = ("330502", "330503", "330521", "330522", "330523", "330581")
MARKET = {"sink_type": "bamboo_forest", "county_code": "330523"}
FIRST_DAY, DAYS = date(2024, 1, 1), 3 * 365
SCHEMA = "bench_price_index"


def trades(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for seq in range(1, n + 1):
        sink = rng.choice(SINKS)
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        price = int(rng.gauss(8000, 400)) if rng.random() > 0.01 else rng.choice((1500, 30_000))  # 1 % outliers
        out.append({"sale_seq": seq, "sink_type": sink, "county_code": rng.choice(COUNTIES),
                    "trade_date": day.isoformat(), "seller_account": f"COL-{rng.randrange(400):04d}-H",
                    "buyer_account": f"ENT-{rng.randrange(200):04d}-H", "quantity_t": rng.randint(1, 60),
                    "price_fen_per_t": max(price, 1)})
    return out


def _engine(url: str | None, folder: Path) -> Any:
    if not url:
        return create_engine(f"sqlite:///{folder / 'prices.db'}")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"SET search_path TO {SCHEMA}")
        cur.close()
        dbapi_conn.commit()

    engine.dispose()
    return engine


def _timed(fn: Any, runs: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2), out


FLOOR_SQL = ("SELECT substr(trade_date, 1, 7), SUM(quantity_t * price_fen_per_t), SUM(quantity_t) FROM price_trade "
             "WHERE sink_type = :sink AND county_code = :county AND trade_date >= :d0 AND trade_date <= :d1 "
             "GROUP BY substr(trade_date, 1, 7)")
ROWS_SQL = ("SELECT substr(trade_date, 1, 7), sale_seq, seller_account, quantity_t, price_fen_per_t FROM price_trade "
            "WHERE sink_type = :sink AND county_code = :county AND trade_date >= :d0 AND trade_date <= :d1")


def _python_floor(conn: Any, params: dict[str, Any]) -> dict[str, Any]:
    by_month: dict[str, list[method.Trade]] = defaultdict(list)
    for w, seq, seller, q, p in conn.execute(text(ROWS_SQL), params):
        by_month[w].append(method.Trade(int(seq), seller, int(q), int(p)))
    return {w: method.compute(ts) for w, ts in by_month.items()}


def _explain(conn: Any, postgres: bool, params: dict[str, Any]) -> dict[str, Any]:
    sql = method._WINDOWS_SQL.format(key=method._KEY["monthly"], kept=method._KEPT)
    full = {**params, "asof": method.ALL, "label": ""}
    if postgres:
        plan = [r[0] for r in conn.execute(text("EXPLAIN " + sql), full)]
    else:
        plan = [r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql), full)]
    return {"uses_market_index": any("ix_price_trade_market" in line for line in plan),
            "full_scan": any(("Seq Scan on price_trade" in line) or line.strip() == "SCAN price_trade"
                             for line in plan), "plan": plan}


def run(n: int, runs: int, url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="price-index-bench-") as folder:
        engine = _engine(url, Path(folder))
        postgres = engine.dialect.name == "postgresql"
        PriceTradeRow.__table__.create(engine)  # the ledger's table and its market index
        rows = trades(n)
        start = time.perf_counter()
        insert = PriceTradeRow.__table__.insert()
        with engine.begin() as conn:
            for i in range(0, len(rows), 20_000):
                conn.execute(insert, rows[i:i + 20_000])
        insert_s = time.perf_counter() - start
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # what autovacuum keeps up on a live table (PostgreSQL's index-only scans need it)
            conn.execute(text("VACUUM ANALYZE price_trade" if postgres else "ANALYZE"))
        months = {"date_from": "2024-10-01", "date_to": "2026-09-30"}
        params = {"sink": MARKET["sink_type"], "county": MARKET["county_code"], "d0": months["date_from"],
                  "d1": months["date_to"]}
        with engine.connect() as conn:
            in_market = conn.execute(text("SELECT COUNT(*) FROM price_trade WHERE sink_type = :sink AND "
                                          "county_code = :county AND trade_date >= :d0 AND trade_date <= :d1"),
                                     params).scalar_one()
            monthly_ms, series = _timed(lambda: method.series(conn, **MARKET, frequency="monthly", **months), runs)
            daily_ms, _ = _timed(lambda: method.series(conn, **MARKET, frequency="daily", date_from="2026-08-02",
                                                       date_to="2026-09-30"), runs)
            period_ms, _ = _timed(lambda: method.period_index(conn, **MARKET, period_start="2026-03-01",
                                                              period_end="2026-05-31", as_of_seq=method.ALL), runs)
            markets_ms, markets = _timed(lambda: method.markets(conn), runs)
            floor_ms, _ = _timed(lambda: conn.execute(text(FLOOR_SQL), params).all(), runs)
            python_ms, by_python = _timed(lambda: _python_floor(conn, params), max(1, runs // 3))
            explain = _explain(conn, postgres, params)
        same = all(by_python[w["window"]] == {k: v for k, v in w.items() if k != "window"}
                   for w in series if w["window"] in by_python)
        if postgres:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
        engine.dispose()
    return {"backend": "postgresql" if postgres else "sqlite", "trades": n, "markets": len(markets),
            "market_trades_in_24_months": int(in_market), "runs": runs,
            "ms": {"monthly": monthly_ms, "daily": daily_ms, "period": period_ms, "markets": markets_ms,
                   "floor_aggregate": floor_ms, "floor_python": python_ms},
            "monthly_over_floor_aggregate": round(monthly_ms / floor_ms, 2) if floor_ms else None,
            "python_over_monthly": round(python_ms / monthly_ms, 2) if monthly_ms else None,
            "database_equals_python": same, "published_months": sum(w["published"] for w in series),
            "insert_rows_per_s": round(n / insert_s), "explain": explain,
            "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trades", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--database-url", default=None, help="PostgreSQL (a scratch schema); default a SQLite file")
    ap.add_argument("--short", action="store_true", help="100,000 trades, 5 runs (CI)")
    args = ap.parse_args()
    n, runs = (100_000, 5) if args.short else (args.trades, args.runs)
    url = args.database_url if args.database_url and args.database_url.startswith("postgresql") else None
    out = [run(n, runs, None)]
    if url:
        out.append(run(n, runs, url))
    print(json.dumps({"benchmark": "price_index", "results": out,
                      "ok": all(r["explain"]["uses_market_index"] and r["database_equals_python"] for r in out)},
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
