"""Sales per second with 16 writer processes against one writer, on SQLite and PostgreSQL, and
against the naive chained floor, all in the same run.

Every journal entry links to the one before it, so writers are serialised by design
(``sinkledger.db.database``: ``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL a transaction-scoped
advisory lock, released at an asynchronous COMMIT, with the WAL flush awaited outside it so that
concurrent writers share flushes: group commit by early lock release). More writers can only
gain what lies outside the serial section (the flush, the client's own work); what this
measures is that gain against what contention costs: lock waits, SQLite's busy retries,
PostgreSQL's lock queue, and the CPU the writers take from each other, on top of the full command
path (permission, idempotency, writer lock, block split, projection, invariants, one
transaction each).

For each backend (SQLite in a temporary file; PostgreSQL at ``--database-url`` if given):

- ``naive_chain`` (the floor): per row, one transaction that takes the writer lock
  (``pg_advisory_xact_lock`` / ``BEGIN IMMEDIATE``), reads the head (seq, hash), computes SHA-256
  of prev_hash + a sale-like body, inserts one row into a table shaped like ``journal_entry`` and
  commits (durably: the server's ``synchronous_commit``, SQLite's configured ``synchronous``);
  ``--single`` rows from one process, then ``--per-writer`` rows from each of 16 processes;
  ``chain_ok``: the rows form one unbroken chain;
- ``naive_chain_early_release`` (PostgreSQL): the same chain committed as ``Database.write()``
  commits, i.e. what group commit reaches when the serial section is as small as it gets;
- the ledger is seeded as ``bench/ledger_bench.py`` seeds it (one issuance, single-credit sales)
  plus 16 buyer accounts;
- ``single_writer``: one process records ``--single`` sales seller → buyer one after another;
- ``concurrent``: 16 forked processes, each with its own engine, wait at a barrier and then
  record ``--per-writer`` sales each to their own buyer; throughput is all sales over the time
  from the barrier to the last commit; latencies are per command;
- ``concurrent_vs_single`` and ``concurrent_vs_naive_chain`` (16 writers' sales/s over the naive
  16-writer chain's rows/s) are the issue's ratios;
- afterwards ``verify`` must pass and the seller must have lost exactly the sales recorded.

Prints one JSON document. ``--short`` (CI): 40 single-writer sales, 16 × 10 concurrent sales.
Full: 1,000 single-writer sales, 16 × 200 concurrent sales (the naive chains the same counts).
"""

from __future__ import annotations

import argparse
import hashlib
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

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from sinkledger.config import load_settings  # noqa: E402
from sinkledger.db.database import PG_BEGIN_WRITE, PG_WAIT_DURABLE, WRITER_LOCK_KEY  # noqa: E402
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


def server_cpu_s() -> float:
    """CPU seconds (user + system) of every PostgreSQL process on this machine (the backends, the
    WAL writer, the checkpointer): what a sale costs the server too. Linux's /proc; 0 elsewhere."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name.startswith("postgres"):
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def single_writer(url: str, n: int) -> dict[str, Any]:
    """One writer's sales, with the CPU they take: the writer's process, and the server's on
    PostgreSQL. ``cpu_ceiling_vs_single``: the most any number of writers could reach on this
    machine's cores if each sale still cost that CPU (cores / CPU a sale, over one writer's rate):
    below 2, no scheme of concurrent writers reaches the issue's 2× without making a sale cheaper."""
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    clerk = svc.actor("bench-clerk")
    _sell(svc, clerk, "BUYER-00-H", "warm-up")
    server_before, cpu_before = server_cpu_s(), time.process_time()
    started = time.perf_counter()
    latencies = [_sell(svc, clerk, "BUYER-00-H", f"single-{i}") for i in range(n)]
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_before
    server_cpu = server_cpu_s() - server_before if not url.startswith("sqlite") else 0.0
    svc.db.dispose()
    cpu_per_sale = (client_cpu + server_cpu) / n
    cores = os.cpu_count() or 1
    return {"sales": n, "seconds": round(elapsed, 3), "sales_per_s": round(n / elapsed, 1), **_percentiles(latencies),
            "client_cpu_ms_per_sale": round(client_cpu / n * 1000, 3),
            "server_cpu_ms_per_sale": round(server_cpu / n * 1000, 3), "cores": cores,
            "cpu_ceiling_sales_per_s": round(cores / cpu_per_sale, 1) if cpu_per_sale > 0 else None,
            "cpu_ceiling_vs_single": round(cores / cpu_per_sale / (n / elapsed), 3) if cpu_per_sale > 0 else None}


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
    return _fan_out(_writer, url, per_writer)


def _fan_out(target: Any, url: str, per_writer: int) -> dict[str, Any]:
    """Run ``target`` in 16 forked processes that start together; all their work over the time
    from the barrier to the last one's end, and the latencies of every call."""
    ctx = mp.get_context("fork")  # the parent holds no open connection: every child opens its own
    barrier, queue = ctx.Barrier(WRITERS + 1), ctx.Queue()
    workers = [ctx.Process(target=target, args=(url, i, per_writer, barrier, queue)) for i in range(WRITERS)]
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


# -- the naive chained floor -----------------------------------------------------------------------
# What any hash-chained append costs on this machine and backend, without the ledger: per row, one
# transaction that takes the writer lock, reads the head, hashes prev_hash + body and inserts one
# row into a table shaped like journal_entry. It is the floor the ledger's writer path is measured
# against (the issue: 16 writers >= 0.7x the naive 16-writer chain).

NAIVE_TABLE = "bench_naive_chain"
NAIVE_BODY = json.dumps({"kind": "sale", "actor": "bench-clerk", "recorded_at": "2026-01-01T00:00:00+08:00",
                         "payload": {"quantity": 1, "price_fen_per_t": PRICE_FEN, "contract_no": "bench",
                                     "moves": [{"batch_id": "BENCH/1", "first": 17, "last": 17,
                                                "from_account": SELLER, "from_state": "held",
                                                "to_account": "BUYER-00-H", "to_state": "held"}]}},
                        sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _naive_engine(url: str) -> Engine:
    """A bare engine whose ``begin()`` takes the writer lock as the ledger's does (SQLite: ``BEGIN
    IMMEDIATE`` in WAL mode with the configured ``synchronous``; PostgreSQL: the advisory lock,
    below) but none of the ledger's code path."""
    if not url.startswith("sqlite"):
        return create_engine(url)
    synchronous = load_settings({"DATABASE_URL": url}).sqlite_synchronous
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "busy_timeout=60000"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def prepare_naive(url: str) -> None:
    engine = _naive_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {NAIVE_TABLE}")
        conn.exec_driver_sql(f"CREATE TABLE {NAIVE_TABLE} (seq BIGINT PRIMARY KEY, kind VARCHAR(40) NOT NULL, "
                             "request_id VARCHAR(120) NOT NULL UNIQUE, request_fingerprint VARCHAR(64) NOT NULL, "
                             "actor VARCHAR(60) NOT NULL, recorded_at VARCHAR(40) NOT NULL, body TEXT NOT NULL, "
                             "prev_hash VARCHAR(64) NOT NULL, entry_hash VARCHAR(64) NOT NULL)")
        conn.exec_driver_sql(f"CREATE INDEX ix_{NAIVE_TABLE}_kind ON {NAIVE_TABLE} (kind)")
    engine.dispose()


def _naive_append(engine: Engine, request_id: str, early_release: bool = False) -> float:
    """One chained row in one transaction: lock, read the head, hash, insert, commit. With
    ``early_release`` (PostgreSQL), as ``Database.write()`` does it: the lock is released at an
    asynchronous COMMIT and the flush is awaited afterwards, outside it."""
    started = time.perf_counter()
    with engine.begin() as conn:
        if early_release:
            conn.execute(PG_BEGIN_WRITE)
        elif engine.dialect.name != "sqlite":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITER_LOCK_KEY})
        head = conn.execute(text(f"SELECT seq, entry_hash FROM {NAIVE_TABLE} ORDER BY seq DESC LIMIT 1")).first()
        seq, prev = (head[0] + 1, head[1]) if head else (1, "0" * 64)
        digest = hashlib.sha256((prev + NAIVE_BODY).encode()).hexdigest()
        conn.execute(text(f"INSERT INTO {NAIVE_TABLE} VALUES (:seq, 'sale', :rid, :fp, 'bench-clerk', "
                          "'2026-01-01T00:00:00+08:00', :body, :prev, :hash)"),
                     {"seq": seq, "rid": request_id, "fp": digest, "body": NAIVE_BODY, "prev": prev, "hash": digest})
    if early_release:
        with engine.begin() as conn:
            conn.execute(PG_WAIT_DURABLE)
    return (time.perf_counter() - started) * 1000


def _naive_writer(url: str, index: int, n: int, barrier: Any, results: Any, early_release: bool = False) -> None:
    engine = _naive_engine(url)
    _naive_append(engine, f"naive-warm-up-{index}", early_release)
    barrier.wait()
    latencies = [_naive_append(engine, f"naive-w{index}-{i}", early_release) for i in range(n)]
    done = time.time()
    engine.dispose()
    results.put({"latencies": latencies, "errors": [], "done": done})


def _naive_writer_early_release(url: str, index: int, n: int, barrier: Any, results: Any) -> None:
    _naive_writer(url, index, n, barrier, results, early_release=True)


def naive_floor(url: str, single: int, per_writer: int, early_release: bool = False) -> dict[str, Any]:
    """The naive chain with one process, then with 16 (as :func:`concurrent`), and its check."""
    prepare_naive(url)
    engine = _naive_engine(url)
    _naive_append(engine, "naive-warm-up", early_release)
    started = time.perf_counter()
    latencies = [_naive_append(engine, f"naive-single-{i}", early_release) for i in range(single)]
    elapsed = time.perf_counter() - started
    one = {"rows": single, "seconds": round(elapsed, 3), "rows_per_s": round(single / elapsed, 1),
           **_percentiles(latencies)}
    many = _fan_out(_naive_writer_early_release if early_release else _naive_writer, url, per_writer)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT seq, prev_hash, entry_hash FROM {NAIVE_TABLE} ORDER BY seq")).all()
        conn.exec_driver_sql(f"DROP TABLE {NAIVE_TABLE}")
        conn.commit()
    engine.dispose()
    chained = all(r[0] == i + 1 and r[1] == (rows[i - 1][2] if i else "0" * 64) for i, r in enumerate(rows))
    many["rows_per_s"] = many.pop("sales_per_s")
    many["rows"] = many.pop("sales")
    return {"single_writer": one, "concurrent": many, "concurrent_vs_single": round(
        many["rows_per_s"] / one["rows_per_s"], 3), "chain_ok": chained and len(rows) == 1 + single + 16 + many["rows"]}


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
    floor = naive_floor(url, single, per_writer)
    # The same chain with Database.write()'s early lock release: what the mechanism alone reaches
    # when the serial section is as small as it gets (PostgreSQL; SQLite has no such mode).
    early = None if url.startswith("sqlite") else naive_floor(url, single, per_writer, early_release=True)
    one = single_writer(url, single)
    many = concurrent(url, per_writer)
    checked = check(url, credits, 1 + single + many["sales"])
    return {"single_writer": one, "concurrent": many,
            "concurrent_vs_single": round(many["sales_per_s"] / one["sales_per_s"], 3),
            "concurrent_vs_naive_chain": round(many["sales_per_s"] / floor["concurrent"]["rows_per_s"], 3),
            "single_vs_naive_chain": round(one["sales_per_s"] / floor["single_writer"]["rows_per_s"], 3),
            "naive_chain": floor, **({"naive_chain_early_release": early} if early else {}), **checked}


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
