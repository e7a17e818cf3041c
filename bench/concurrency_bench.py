"""Sales per second with 16 writer processes against one writer, on SQLite and PostgreSQL, in
the same run.

Every journal entry links to the one before it, so writers are serialised by design
(``sinkledger.db.database``: ``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on
PostgreSQL). Sixteen writers therefore cannot beat one; what this measures is what contention
costs: lock waits, SQLite's busy retries, PostgreSQL's lock queue, and the CPU the writers take
from each other, on top of the full command path (permission, idempotency, writer lock, block
split, projection, invariants, one transaction each).

For each backend (SQLite in a temporary file; PostgreSQL at ``--database-url`` if given):

- the ledger is seeded as ``bench/ledger_bench.py`` seeds it (one issuance, single-credit sales)
  plus 16 buyer accounts;
- ``single_writer``: one process records ``--single`` sales seller → buyer one after another;
- ``concurrent``: 16 forked processes, each with its own engine, wait at a barrier and then
  record ``--per-writer`` sales each to their own buyer; throughput is all sales over the time
  from the barrier to the last commit; latencies are per command;
- afterwards ``verify`` must pass and the seller must have lost exactly the sales recorded.

Prints one JSON document. ``--short`` (CI): 40 single-writer sales, 16 × 10 concurrent sales.
Full: 1,000 single-writer sales, 16 × 200 concurrent sales.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from ledger_bench import seed_history, setup  # noqa: E402

from sinkledger.config import load_settings  # noqa: E402
from sinkledger.services.registry import SYSTEM_ACTOR, Service  # noqa: E402

WRITERS = 16
SELLER = "BENCH-B-H"  # holds every credit but one after seed_history
PRICE_FEN = 7341


def prepare(url: str, credits: int) -> None:
    """A fresh ledger: the ledger bench's history of ``credits`` credits, 16 buyers, a clerk."""
    svc = setup(url)
    seed_history(svc, credits)
    for i in range(WRITERS):
        svc.register_party(SYSTEM_ACTOR, f"p:buyer-{i}", party_id=f"BUYER-{i:02d}", kind="enterprise",
                           name=f"buyer {i}")
    svc.db.dispose()


def _sell(svc: Service, clerk: Any, buyer: str, request_id: str) -> float:
    started = time.perf_counter()
    svc.sell(clerk, request_id, seller_account=SELLER, buyer_account=buyer, quantity=1, price_fen_per_t=PRICE_FEN,
             contract_no="bench")
    return (time.perf_counter() - started) * 1000


def single_writer(url: str, n: int) -> dict[str, Any]:
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    clerk = svc.actor("bench-clerk")
    _sell(svc, clerk, "BUYER-00-H", "warm-up")
    started = time.perf_counter()
    latencies = [_sell(svc, clerk, "BUYER-00-H", f"single-{i}") for i in range(n)]
    elapsed = time.perf_counter() - started
    svc.db.dispose()
    return {"sales": n, "seconds": round(elapsed, 3), "sales_per_s": round(n / elapsed, 1), **_percentiles(latencies)}


def _writer(url: str, index: int, n: int, barrier: Any, results: Any) -> None:
    """One writer process: open its own engine, warm up, wait for the others, sell."""
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    clerk, buyer = svc.actor("bench-clerk"), f"BUYER-{index:02d}-H"
    svc.account_balance(buyer)
    barrier.wait()
    latencies, errors = [], []
    for i in range(n):
        try:
            latencies.append(_sell(svc, clerk, buyer, f"w{index}-{i}"))
        except Exception as exc:  # noqa: BLE001 - counted and reported, never silently dropped
            errors.append(f"{type(exc).__name__}: {str(exc)[:80]}")
    done = time.time()
    svc.db.dispose()
    results.put({"latencies": latencies, "errors": errors, "done": done})


def concurrent(url: str, per_writer: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")  # the parent holds no open connection: every child opens its own
    barrier, queue = ctx.Barrier(WRITERS + 1), ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(url, i, per_writer, barrier, queue)) for i in range(WRITERS)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.time()
    results = [queue.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = max(r["done"] for r in results) - started
    latencies = [ms for r in results for ms in r["latencies"]]
    errors = [e for r in results for e in r["errors"]]
    return {"writers": WRITERS, "per_writer": per_writer, "sales": len(latencies), "errors": len(errors),
            "error_samples": errors[:3],
            "seconds": round(elapsed, 3), "sales_per_s": round(len(latencies) / elapsed, 1),
            **_percentiles(latencies)}


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies) or [0.0]
    return {"latency_median_ms": round(statistics.median(ordered), 2),
            "latency_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
            "latency_max_ms": round(ordered[-1], 2)}


def check(url: str, credits: int, sold: int) -> dict[str, Any]:
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    report = svc.verify()
    seller_held = svc.account_balance(SELLER)["held_t"]
    svc.db.dispose()
    return {"verify_ok": report.ok, "entries": report.entries, "seller_lost_exactly_the_sales": seller_held ==
            credits - 1 - sold}


def run_backend(url: str, single: int, per_writer: int) -> dict[str, Any]:
    credits = single + WRITERS * per_writer + 100
    prepare(url, credits)
    one = single_writer(url, single)
    many = concurrent(url, per_writer)
    checked = check(url, credits, 1 + single + many["sales"])
    return {"single_writer": one, "concurrent": many, "concurrent_vs_single": round(
        many["sales_per_s"] / one["sales_per_s"], 3), **checked}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="CI: 40 single-writer sales, 16 × 10 concurrent")
    ap.add_argument("--single", type=int, default=None, help="single-writer sales (default 1000; short 40)")
    ap.add_argument("--per-writer", type=int, default=None, help="sales per writer (default 200; short 10)")
    ap.add_argument("--database-url", default=None,
                    help="PostgreSQL to measure beside SQLite (its schema is dropped and rebuilt)")
    args = ap.parse_args()
    single = args.single or (40 if args.short else 1000)
    per_writer = args.per_writer or (10 if args.short else 200)
    backends: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends["sqlite"] = run_backend(f"sqlite:///{Path(tmp) / 'bench.db'}", single, per_writer)
    if args.database_url:
        backends["postgresql"] = run_backend(args.database_url, single, per_writer)
    else:
        backends["postgresql"] = {"skipped": "no --database-url given"}
    print(json.dumps({"benchmark": "concurrency", "short": args.short, "writers": WRITERS,
                      "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                                  "platform": platform.platform(), "load_average_1m": round(os.getloadavg()[0], 2)},
                      "backends": backends}, indent=2))


if __name__ == "__main__":
    main()
