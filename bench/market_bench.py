"""The county dataset's market path: sales between enterprises in a group commit, on an existing
ledger (by hand; ``sinkledger demo --scale county`` builds one).

``sinkledger demo --scale county`` records most of its million entries as sales between
enterprises inside :meth:`Database.batch` (a savepoint per command, one commit a second). This
measures that path on a copy of an existing SQLite ledger, with the floors it can be held to in
the same run:

- ``savepoint``: one command's savepoint and release, written on the driver's connection (what
  :meth:`Batch.command_step` does) against SQLAlchemy's ``begin_nested``/``commit`` (what it did);
- ``sales``: ``--sales`` sales of 1-4 t between random enterprises holding credits, each through
  the service exactly as the dataset records them (every rule and invariant), in one batch: ms a
  sale, statements a sale, and the statements that cost most (time summed per statement text);
- ``pledges``: ``--pledges`` pledges of the dataset's sizes (20-500 t, at most half of what the
  enterprise holds), then their releases, in one batch: ms, statements and blocks moved each.

The ledger is copied first (``sqlite3`` backup; the original is never written) and verified
after the run (incremental). Prints one JSON document.

    python bench/market_bench.py --database /tmp/county.db --sales 3000
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine  # noqa: E402

import ledger.sql as ledger_sql  # noqa: E402
from sinkledger.config import load_settings  # noqa: E402
from sinkledger.services.registry import Service  # noqa: E402


def savepoint_floor(path: str, n: int = 3000) -> dict[str, float]:
    """µs per savepoint + release: SQLAlchemy's begin_nested against the driver's own statements."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.begin()
        start = time.perf_counter()
        for _ in range(n):
            conn.begin_nested().commit()
        orm_us = (time.perf_counter() - start) / n * 1e6
        driver = conn.connection.driver_connection
        start = time.perf_counter()
        for _ in range(n):
            driver.execute("SAVEPOINT s")
            driver.execute("RELEASE SAVEPOINT s")
        raw_us = (time.perf_counter() - start) / n * 1e6
        conn.rollback()
    engine.dispose()
    return {"sqlalchemy_begin_nested_us": round(orm_us, 1), "driver_savepoint_us": round(raw_us, 1),
            "ratio": round(raw_us / orm_us, 3)}


def _pledges(svc: Service, args: argparse.Namespace, rng: random.Random, held: dict[str, int],
             enterprises: list[str], stats: dict[str, list[float]]) -> dict[str, Any]:
    """``args.pledges`` pledges as the county dataset makes them, then their releases (one batch
    each): ms, CPU ms and statements a command, and blocks moved a command."""
    bank = svc.actor("bank")
    out: dict[str, Any] = {"n": args.pledges}
    made: list[str] = []
    for phase in ("pledge", "release"):
        before = sum(int(n) for n, _ in stats.values())
        cpu, start = time.process_time(), time.perf_counter()
        blocks = 0
        with svc.db.batch(commit_every=2000):
            for i in range(args.pledges):
                if phase == "pledge":
                    account = rng.choice([e for e in enterprises if held[e] >= 60])
                    quantity = rng.randrange(20, min(500, held[account] // 2) + 1)
                    result = svc.pledge(bank, f"market-bench:pledge:{args.seed}:{i}", account_id=account,
                                        quantity=quantity, loan_reference=f"BENCH-{i}", loan_amount_fen=quantity * 400_000,
                                        term_end="2030-12-31")
                    held[account] -= quantity
                    made.append(result["pledge_id"])
                else:
                    result = svc.release(bank, f"market-bench:release:{args.seed}:{i}", pledge_id=made[i])
                blocks += len(result["blocks"])
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        out[phase] = {"ms_each": round(wall / args.pledges * 1000, 3), "cpu_ms_each": round(cpu / args.pledges * 1000, 3),
                      "statements_each": round((sum(int(n) for n, _ in stats.values()) - before) / args.pledges, 2),
                      "blocks_each": round(blocks / args.pledges, 1)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="an existing SQLite ledger (copied, never written)")
    parser.add_argument("--sales", type=int, default=3000)
    parser.add_argument("--pledges", type=int, default=0, help="pledges (then their releases) after the sales")
    parser.add_argument("--profile", default=None, help="write a cProfile of the timed part to this file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="market-bench-")
    copy = os.path.join(folder, "ledger.db")
    with sqlite3.connect(f"file:{args.database}?mode=ro", uri=True) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}"
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    svc.db.ensure_current()
    assert svc.verify(full=False, record=True).ok, "the copied ledger does not verify"
    with sqlite3.connect(copy) as con:
        held = dict(con.execute("SELECT account_id, sum(quantity) FROM balance WHERE state = 'held' "
                                "AND account_id LIKE 'ENT-%' GROUP BY account_id"))
        entries_before = con.execute("SELECT max(seq) FROM journal_entry").fetchone()[0]
        batches = con.execute("SELECT count(*) FROM batch").fetchone()[0]
    enterprises = sorted(held)
    if len(enterprises) < 2:
        raise SystemExit("the ledger has fewer than two enterprises holding credits")
    stats: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    run, many = ledger_sql.Tx.run, ledger_sql.Tx.many

    def timed_run(self: Any, sql: str, params: Any = None) -> Any:
        start = time.perf_counter()
        try:
            return run(self, sql, params)
        finally:
            entry = stats[sql[:100]]
            entry[0] += 1
            entry[1] += time.perf_counter() - start

    def timed_many(self: Any, sql: str, rows: Any) -> Any:
        start = time.perf_counter()
        try:
            return many(self, sql, rows)
        finally:
            entry = stats["executemany: " + sql[:86]]
            entry[0] += 1
            entry[1] += time.perf_counter() - start

    rng = random.Random(args.seed)
    clerk = svc.actor("clerk")
    floor = savepoint_floor(copy)
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU time: the machine is shared
    ledger_sql.Tx.run, ledger_sql.Tx.many = timed_run, timed_many
    cpu, start = time.process_time(), time.perf_counter()
    try:
        if profiler:
            profiler.enable()
        with svc.db.batch(commit_every=2000):
            for i in range(args.sales):
                quantity = rng.randrange(1, 5)
                seller = rng.choice([e for e in enterprises if held[e] >= quantity])
                buyer = rng.choice([e for e in enterprises if e != seller])
                svc.sell(clerk, f"market-bench:{args.seed}:{i}", seller_account=seller, buyer_account=buyer,
                         quantity=quantity, price_fen_per_t=5000, contract_no="BENCH（合成）")
                held[seller] -= quantity
                held[buyer] += quantity
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        sale_statements = sum(int(n) for n, _ in stats.values())
        pledges = _pledges(svc, args, rng, held, enterprises, stats) if args.pledges else None
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        ledger_sql.Tx.run, ledger_sql.Tx.many = run, many
    report = svc.verify(full=False)
    statements = sale_statements
    top = sorted(stats.items(), key=lambda kv: -kv[1][1])[:8]
    out = {"benchmark": "market", "database": args.database, "entries_before": entries_before, "batches": batches,
           "enterprises": len(enterprises), "sales": args.sales, "ms_per_sale": round(wall / args.sales * 1000, 3),
           "cpu_ms_per_sale": round(cpu / args.sales * 1000, 3), "statements_per_sale": round(statements / args.sales, 2),
           "costliest_statements": [{"sql": k, "n": int(n), "us_each": round(t / n * 1e6, 1)} for k, (n, t) in top],
           "pledges": pledges, "savepoint": floor, "verify_ok": report.ok, "load_average": list(os.getloadavg())}
    svc.db.dispose()
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    os.rmdir(folder)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
