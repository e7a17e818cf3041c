"""Verify time against its floors, measured in the same run: full replay and incremental tail.

Builds (or reuses, ``--keep-db``) a journal of ``--entries`` entries the way
``bench/ledger_bench.py`` does (one issuance, then single-credit sales A→B: a million entries
make a million blocks, the worst case for the replay), then measures:

- ``full_s``: ``verify --full`` (re-hash, replay, projection compared block for block, balances,
  conservation, checkpoints) vs ``floor_full_s``: read every journal row and recompute
  ``sha256(prev_hash + "\\n" + body)`` (the least any verify must do); ``full_vs_floor`` is
  their ratio (target ≤ 3); ``full_cpu_s``/``floor_full_cpu_s``/``full_vs_floor_cpu`` the same
  in CPU seconds of the measuring process (steadier than wall time on a shared machine; SQLite
  runs in that process, a PostgreSQL server's own CPU is not counted). ``full_peak_rss_mb``: the
  peak resident memory of the process that ran it (each measurement runs in a fresh process);
- ``jobs`` (``--jobs``, default 2): with 2 the full run audits the tables in a second process
  beside the replay; ``full_beside_cpu_s`` and ``full_beside_peak_rss_mb`` are that process's
  CPU seconds and peak memory (``full_cpu_s`` counts the measuring process only);
- ``incremental_s``: ``verify`` after ``--tail`` more sales appended through the command path,
  from the checkpoint the full run recorded, vs ``floor_tail_s``: read and re-hash the tail rows
  (target: ≤ 1.5 s at 1,000,000 entries).

Prints one JSON document. Short mode (CI): ``--entries 3000 --tail 30``; full: ``--entries 1000000``.

``--existing URL`` measures a database already built instead (the county dataset:
``sinkledger demo --scale county``), left as it is but for the verified checkpoint the full runs
record: ``--runs`` times the floor then ``verify --full`` (each in a fresh process, one after the
other, so that both see the same machine), then ``--runs`` incremental runs from the checkpoint the
last full run recorded (an empty tail: what an incremental run costs whatever the ledger's size);
every run and the medians.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger.bulk import append_many, read_head  # noqa: E402
from ledger.journal import RAW_COLUMNS  # noqa: E402
from ledger.domain import BlockSet  # noqa: E402
from sinkledger.config import load_settings  # noqa: E402
from sinkledger.services.registry import Service  # noqa: E402

import ledger_bench  # noqa: E402

CHUNK = 10_000


def build(url: str, n: int) -> None:
    """The journal of ``n`` entries and its projection (no floor table), unless already there."""
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    try:
        if svc.db.has_schema():
            with svc.db.read() as s:
                if read_head(s.connection())[0] >= n:
                    return
        svc.db.dispose()
        svc = ledger_bench.setup(url)
        db = svc.db
        with db.write() as s:
            head = read_head(s.connection())
        seq0, batch_id, blocks = head[0], "BENCH/1", BlockSet()
        for start in range(0, n, CHUNK):
            entries = ledger_bench.history_chunk(start, min(n, start + CHUNK), n, seq0, batch_id, blocks)
            with db.write() as s:
                head = append_many(s, entries, head)
        ledger_bench._insert_batch_and_blocks(db, batch_id, n, blocks.blocks(), seq0)
    finally:
        svc.db.dispose()


def floor(url: str, after: int = 0) -> tuple[float, int, float]:
    """Seconds to read the journal rows after ``after`` (every column verify checks, as plain driver
    tuples, pages of 10,000 along the primary key, as verify reads them) and re-hash each; the rows
    read; the CPU seconds."""
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    sha = hashlib.sha256
    with svc.db.engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        started, cpu, n = time.perf_counter(), time.process_time(), 0
        while True:
            cursor.execute(f"SELECT {RAW_COLUMNS} FROM journal_entry WHERE seq > {after} ORDER BY seq LIMIT {CHUNK}")
            rows = cursor.fetchall()
            if not rows:
                break
            for seq, _kind, _request_id, _actor, _recorded_at, body, prev, digest in rows:
                if sha((prev + "\n" + body).encode()).hexdigest() != digest:
                    raise SystemExit(f"entry {seq} does not hash")
            n, after = n + len(rows), rows[-1][0]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        cursor.close()
    svc.db.dispose()
    return elapsed, n, cpu


def measure(url: str, full: bool, jobs: int) -> dict:
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    started, cpu = time.perf_counter(), time.process_time()
    report = svc.verify(full=full, record=True, jobs=jobs)  # the full run records where the incremental one starts
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    svc.db.dispose()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the audits' process, when they ran beside
    return {"s": elapsed, "cpu_s": cpu, "ok": report.ok, "mode": report.mode, "from_seq": report.from_seq,
            "entries": report.entries, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "beside_cpu_s": children.ru_utime + children.ru_stime, "beside_peak_rss_mb": children.ru_maxrss // 1024}


def in_child(url: str, full: bool, jobs: int) -> dict:
    """:func:`measure` in a fresh process, so that its peak memory is the verify's own."""
    out = subprocess.run([sys.executable, __file__, "--measure", "full" if full else "incremental",
                          "--database-url", url, "--jobs", str(jobs)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def existing(url: str, runs: int, jobs: int) -> dict:
    """``--existing``: the floor and ``verify --full`` ``runs`` times, alternating, then ``runs``
    incremental runs (an empty tail)."""
    full_runs, incremental_runs = [], []
    for _ in range(runs):
        floor_s, rows, floor_cpu = floor(url)
        full = in_child(url, True, jobs)
        full_runs.append({"floor_s": round(floor_s, 3), "floor_cpu_s": round(floor_cpu, 3),
                          "full_s": round(full["s"], 3), "full_vs_floor": round(full["s"] / floor_s, 2), "full_cpu_s": round(full["cpu_s"], 3),
                          "full_beside_cpu_s": round(full["beside_cpu_s"], 3), "ok": full["ok"],
                          "peak_rss_mb": full["peak_rss_mb"], "beside_peak_rss_mb": full["beside_peak_rss_mb"],
                          "load_average": os.getloadavg()[0]})
    for _ in range(runs):
        incremental = in_child(url, False, jobs)
        incremental_runs.append({"s": round(incremental["s"], 3), "mode": incremental["mode"], "ok": incremental["ok"],
                                 "peak_rss_mb": incremental["peak_rss_mb"]})
    return {"benchmark": "verify", "database": url.split("://", 1)[0], "entries": full["entries"], "jobs": jobs,
            "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                        "platform": platform.platform()},
            "verify_ok": all(r["ok"] for r in full_runs + incremental_runs),
            "full_vs_floor_median": statistics.median(r["full_vs_floor"] for r in full_runs),
            "full_s_median": statistics.median(r["full_s"] for r in full_runs),
            "floor_s_median": statistics.median(r["floor_s"] for r in full_runs),
            "incremental_s_median": statistics.median(r["s"] for r in incremental_runs),
            "full_runs": full_runs, "incremental_runs": incremental_runs}


def append_tail(url: str, k: int) -> None:
    """``k`` single-credit sales B→A through the full command path (the tail to verify)."""
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    clerk, run = svc.actor("bench-clerk"), time.time_ns()
    for i in range(k):  # request ids of this run: a kept database gets a new tail each time
        svc.sell(clerk, f"verify-tail-{run}-{i}", seller_account="BENCH-B-H", buyer_account="BENCH-A-H", quantity=1,
                 price_fen_per_t=7341, contract_no="bench")
    svc.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=20_000, help="journal entries to build and verify")
    ap.add_argument("--tail", type=int, default=100, help="sales appended after the full verify")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--keep-db", default=None, help="SQLite file to build once and reuse (kept)")
    ap.add_argument("--reuse-db", action="store_true",
                    help="with --database-url: keep the journal an earlier run built there (at least --entries "
                         "entries) instead of building it again")
    ap.add_argument("--jobs", type=int, choices=(1, 2), default=2,
                    help="verify's processes (2: the table audits beside the replay; 1: one process)")
    ap.add_argument("--existing", default=None, metavar="URL",
                    help="measure this database as it is (the county dataset) instead of building a journal")
    ap.add_argument("--runs", type=int, default=3, help="with --existing: floor and full runs, alternating")
    ap.add_argument("--measure", choices=("full", "incremental"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.database_url, args.measure == "full", args.jobs)))
        return
    if args.existing:
        print(json.dumps(existing(args.existing, args.runs, args.jobs), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{args.keep_db or Path(tmp) / 'verify.db'}"
        if args.keep_db or not args.database_url or args.reuse_db:
            build(url, args.entries)
        else:  # a PostgreSQL database given: rebuilt from scratch
            svc = ledger_bench.setup(url)
            svc.db.dispose()
            build(url, args.entries)
        floor_full, rows, floor_cpu = floor(url)
        full = in_child(url, True, args.jobs)
        append_tail(url, args.tail)
        floor_tail, tail_rows, _ = floor(url, full["entries"])
        incremental = in_child(url, False, args.jobs)
    out = {
        "benchmark": "verify", "backend": "sqlite" if url.startswith("sqlite") else "postgresql",
        "entries": incremental["entries"], "tail_entries": tail_rows,
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform(), "load_average": os.getloadavg()},
        "verify_ok": full["ok"] and incremental["ok"],
        "full_mode": full["mode"], "incremental_mode": incremental["mode"], "incremental_from_seq": incremental["from_seq"],
        "floor_full_s": round(floor_full, 3), "full_s": round(full["s"], 3),
        "full_vs_floor": round(full["s"] / floor_full, 2), "full_peak_rss_mb": full["peak_rss_mb"],
        "floor_full_cpu_s": round(floor_cpu, 3), "full_cpu_s": round(full["cpu_s"], 3),
        "full_vs_floor_cpu": round(full["cpu_s"] / max(floor_cpu, 1e-9), 2), "jobs": args.jobs,
        "full_beside_cpu_s": round(full["beside_cpu_s"], 3), "full_beside_peak_rss_mb": full["beside_peak_rss_mb"],
        "floor_tail_s": round(floor_tail, 4), "incremental_s": round(incremental["s"], 3),
        "incremental_peak_rss_mb": incremental["peak_rss_mb"], "floor_rows": rows,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
