"""Run every benchmark in ``bench/`` in its short mode and print one JSON document.

Each benchmark runs as its own process (as a user would run it) and prints its own JSON document,
which is embedded here under its name with the wall time of the run. Exit status 0 only if every
benchmark exited 0, printed valid JSON and passed its correctness checks (:data:`CHECKS`: the
ledger verifies, every parcel was imported, every sale was recorded once, ...); a failed one is
reported with the tail of its stderr or the checks it failed. Timings are reported, never
checked: on a shared CI machine they say little, and a slow run is not a broken one.

    python bench/run_all.py --short                       # SQLite only (PostgreSQL parts skipped)
    python bench/run_all.py --short --database-url postgresql+psycopg://postgres@127.0.0.1:5432/sinkledger_bench

With ``--database-url`` (PostgreSQL), the ledger and parcel benchmarks also run there and the
concurrency benchmark measures PostgreSQL beside SQLite. Every benchmark drops and rebuilds the
schema of the database it is given: never point it at a database whose data you need (nor at the
test database while the tests run).

A new ``bench/*_bench.py`` must be added to :data:`BENCHMARKS` (``test_run_all`` checks).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TIMEOUT_S = 1800  # per benchmark, full mode
SHORT_TIMEOUT_S = 600  # per benchmark, short mode: a hung benchmark must not eat CI's 20 minutes

# name -> (script, short-mode arguments, takes --database-url)

# Benchmarks run by hand only, each with the reason it is not in the short mode CI runs.
BY_HAND = {
    "market_bench.py": "needs an existing county-scale ledger (sinkledger demo --scale county) to copy",
    "map_tiles_bench.py": "drives Chromium over two Streamlit servers for minutes; the tile tests run in the suite",
    "signin_log_bench.py": "fills a sign-in log to its 100,000-row bound with argon2 sign-ins: minutes",
}

BENCHMARKS: dict[str, tuple[str, list[str], bool]] = {
    "ledger": ("ledger_bench.py", ["--entries", "3000", "--commands", "30"], True),
    "parcels": ("parcels_bench.py", ["--parcels", "2000", "--naive-sample", "300", "--single", "5",
                                     "--plan-repeats", "1"], True),
    "estimate": ("estimate_bench.py", ["--short"], False),
    "concurrency": ("concurrency_bench.py", ["--short"], True),
    "commands": ("command_bench.py", ["--short"], True),
    # issue 15: each command's own statements replayed with no Python between them (the ceiling)
    "write_set": ("write_set_bench.py", ["--short"], False),
    "ui": ("ui_bench.py", ["--parcels", "1000", "--runs", "2"], False),  # needs Chromium (as the browser tests)
    "verify": ("verify_bench.py", ["--entries", "3000", "--tail", "30"], True),
    "cli_startup": ("cli_startup_bench.py", ["--runs", "5"], True),
    # at 1,000,000 entries by hand: --database a copy of a county ledger (BENCHMARKS.md, issue 18)
    "api": ("api_bench.py", ["--short"], False),
    # issue 18 (helper h3): inclusion proofs from the stored Merkle nodes; full: --entries 1000000
    "proof": ("proof_bench.py", ["--entries", "3000", "--runs", "30"], False),
    # issue 22 (helper h7b): the price index over 100,000 trades (~10 s); full: 1,000,000
    "price_index": ("price_index_bench.py", ["--short"], True),
}
FULL_ARGS: dict[str, list[str]] = {
    "ledger": ["--entries", "1000000", "--commands", "1000"], "parcels": ["--parcels", "100000"],
    "estimate": [], "concurrency": [], "commands": [], "write_set": [], "ui": [], "verify": ["--entries", "1000000", "--tail", "1000"],
    "cli_startup": ["--runs", "21"], "api": ["--short", "--runs", "300", "--sales", "100"],
    "proof": ["--entries", "1000000", "--runs", "300"], "price_index": ["--trades", "1000000"],
}


Result = dict[str, Any]


def _ledger_checks(r: Result) -> list[str]:
    rates = ("append_bulk_entries_per_s", "plain_insert_bulk_rows_per_s", "append_command_entries_per_s",
             "plain_insert_per_transaction_rows_per_s", "verify_s", "read_baseline_s", "account_balance_ms",
             "plain_select_balance_ms")
    return [*(["verify_ok"] if r.get("verify_ok") is not True else []),
            *([f"{k} > 0" for k in rates if not (r.get(k) or 0) > 0])]


def _parcels_checks(r: Result) -> list[str]:
    n = r.get("parcels_per_file")
    return [*([name for name in ("ledger_ok", "history_ok", "candidates_ok") if r.get(name) is not True]),
            *(["imported == [parcels_per_file] * 2"] if r.get("imported") != [n, n] else []),
            *(["plan_problems == 0 and floor_rows == parcels_per_file"]
              if r.get("plan_problems") != 0 or r.get("floor_rows") != n else []),
            *([f"{k} > 0" for k in ("strtree_floor_s", "plan_median_s") if not (r.get(k) or 0) > 0])]


def _estimate_checks(r: Result) -> list[str]:
    return [*(["estimated == parcels"] if r.get("estimated") != r.get("parcels") else []),
            *(["refused == 0"] if r.get("refused") != 0 else [])]


def _concurrency_checks(r: Result) -> list[str]:
    failed = []
    for backend, run in r.get("backends", {}).items():
        if "skipped" in run:
            continue
        for name in ("verify_ok", "seller_lost_exactly_the_sales"):
            if run.get(name) is not True:
                failed.append(f"{backend}: {name}")
        for floor in ("naive_chain", *(["naive_chain_early_release"] if backend == "postgresql" else [])):
            if run.get(floor, {}).get("chain_ok") is not True:
                failed.append(f"{backend}: {floor} chain_ok")
        concurrent = run.get("concurrent", {})
        expected = concurrent.get("writers", 0) * concurrent.get("per_writer", 0)
        if concurrent.get("errors") != 0 or not 0 < expected == concurrent.get("sales"):
            failed.append(f"{backend}: every writer sold every sale without an error")
    return failed


def _write_set_checks(r: Result) -> list[str]:
    failed = []
    for run in r.get("results", []):
        mode = run.get("synchronous")
        if run.get("verify_ok") is not True:
            failed.append(f"{mode}: verify_ok")
        if (run.get("replay_same_rows") or {}).get("ok") is not True:
            failed.append(f"{mode}: the replay wrote the same rows")
        if len(run.get("commands", {})) < 8:
            failed.append(f"{mode}: every command replayed")
    return failed or ([] if r.get("results") else ["a mode measured"])


def _commands_checks(r: Result) -> list[str]:
    failed = []
    for backend, run in r.get("backends", {}).items():
        if run.get("verify_ok") is not True:
            failed.append(f"{backend}: verify_ok")
        for command, figures in run.get("commands", {}).items():
            if not (figures.get("n") or 0) > 0 or not (figures.get("per_s") or 0) > 0:
                failed.append(f"{backend}: {command} ran")
    return failed or ([] if r.get("backends") else ["a backend measured"])


def _ui_checks(r: Result) -> list[str]:
    pages = r.get("pages", {})
    return [f"{page}: loaded" for page in ("blank", "landing_demo", "map_10k")
            if not all(load.get("ready_ms", 0) > 0 for load in pages.get(page, {}).get("loads", [{}]))]


def _verify_checks(r: Result) -> list[str]:
    return [*(["verify_ok"] if r.get("verify_ok") is not True else []),
            *(["full_mode == full"] if r.get("full_mode") != "full" else []),
            *(["incremental_mode == incremental"] if r.get("incremental_mode") != "incremental" else []),
            *(["incremental_from_seq == entries - tail_entries"]
              if r.get("incremental_from_seq") != (r.get("entries") or 0) - (r.get("tail_entries") or 0) else []),
            *([f"{k} > 0" for k in ("floor_full_s", "full_s", "floor_tail_s", "incremental_s") if not (r.get(k) or 0) > 0])]


def _cli_startup_checks(r: Result) -> list[str]:
    return [*(["balances_answer_ok"] if r.get("balances_answer_ok") is not True else []),
            *([f"{k} == []" for k in ("imports_geo", "imports_orm", "imports_migrations") if r.get(k) != []]),
            *([f"{k} > 0" for k in ("floor_ms", "balances_json_ms") if not (r.get(k) or 0) > 0])]


def _api_checks(r: Result) -> list[str]:
    reads = r.get("reads", {})
    sale = r.get("sale", {})
    return [*(["verify_ok"] if r.get("verify_ok") is not True else []),
            *([f"{name}: server_ms and floor_ms > 0" for name in ("balance", "serial", "retirement", "entry", "whoami")
               if not ((reads.get(name, {}).get("server_ms", {}).get("median") or 0) > 0
                       and (reads.get(name, {}).get("floor_ms", {}).get("median") or 0) > 0)]),
            *(["sale: both ways measured"] if not ((sale.get("in_process_ms", {}).get("median") or 0) > 0
                                                  and (sale.get("ratio_http_to_in_process") or 0) > 0) else [])]


def _proof_checks(r: Result) -> list[str]:
    http = r.get("http", {}).get("server_ms", {})
    return [*(["nodes > 0"] if not (r.get("nodes") or 0) > 0 and "migration_s" in r else []),
            *(["http server_ms > 0"] if not (http.get("median") or 0) > 0 else []),
            *(["in_process_ms > 0"] if not (r.get("in_process_ms", {}).get("median") or 0) > 0 else []),
            *(["from_journal_s >= 0"] if not isinstance(r.get("from_journal_s"), (int, float)) else [])]


def _price_index_checks(r: Result) -> list[str]:
    results = r.get("results") or [{}]
    return [*[f"{x.get('backend')}: the index request reads ix_price_trade_market" for x in results
              if x.get("explain", {}).get("uses_market_index") is not True],
            *[f"{x.get('backend')}: database == python" for x in results if x.get("database_equals_python") is not True],
            *[f"{x.get('backend')}: ms > 0" for x in results
              if not all((v or 0) > 0 for v in x.get("ms", {"monthly": 0}).values())]]


# name -> correctness checks on a benchmark's JSON document: the names of the failed ones.
CHECKS: dict[str, Callable[[Result], list[str]]] = {
    "ledger": _ledger_checks, "parcels": _parcels_checks, "estimate": _estimate_checks,
    "concurrency": _concurrency_checks, "commands": _commands_checks, "write_set": _write_set_checks, "ui": _ui_checks, "verify": _verify_checks,
    "cli_startup": _cli_startup_checks, "api": _api_checks, "proof": _proof_checks,
    "price_index": _price_index_checks,
}


def run_one(name: str, script: str, args: list[str], url: str | None = None,
            timeout_s: float = TIMEOUT_S) -> dict[str, Any]:
    command = [sys.executable, str(BENCH / script), *args, *(["--database-url", url] if url else [])]
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout_s} s", "command": _shown(command)}
    wall_s = round(time.perf_counter() - started, 2)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = None
    if proc.returncode != 0 or result is None:
        return {"ok": False, "exit_status": proc.returncode, "wall_s": wall_s, "command": _shown(command),
                "stderr_tail": proc.stderr.strip().splitlines()[-5:]}
    failed = CHECKS[name](result)
    if failed:
        return {"ok": False, "failed_checks": failed, "wall_s": wall_s, "command": _shown(command), "result": result}
    return {"ok": True, "wall_s": wall_s, "command": _shown(command), "result": result}


def _shown(command: list[str]) -> str:
    """The command as a user would type it, with any password in a URL hidden."""
    from urllib.parse import urlsplit

    def hide(arg: str) -> str:
        parts = urlsplit(arg) if "://" in arg else None
        if parts and parts.password:
            return arg.replace(f":{parts.password}@", ":***@")
        return arg

    return " ".join(["python", *(hide(a) for a in command[1:])]).replace(str(BENCH.parent) + os.sep, "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="short mode for every benchmark (CI); default: full")
    ap.add_argument("--database-url", default=None, help="PostgreSQL for the parts that measure it (dropped!)")
    ap.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these (repeatable)")
    args = ap.parse_args()
    started = time.perf_counter()
    out: dict[str, Any] = {}
    for name, (script, short_args, takes_url) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        bench_args = short_args if args.short else FULL_ARGS[name]
        timeout_s = SHORT_TIMEOUT_S if args.short else TIMEOUT_S
        if name in ("concurrency", "commands"):  # measure PostgreSQL beside SQLite in one document
            out[name] = run_one(name, script, bench_args, args.database_url, timeout_s)
            if args.database_url and "skipped" in out[name].get("result", {}).get("backends", {}).get(
                    "postgresql", {}):
                out[name] |= {"ok": False, "failed_checks": ["postgresql measured"]}
            continue
        out[name] = run_one(name, script, bench_args, timeout_s=timeout_s)
        if takes_url and args.database_url:
            out[f"{name}_postgresql"] = run_one(name, script, bench_args, args.database_url, timeout_s)
    ok = all(r["ok"] for r in out.values())
    print(json.dumps({"benchmarks": out, "short": args.short, "ok": ok,
                      "wall_s": round(time.perf_counter() - started, 1)}, indent=2, ensure_ascii=False))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
