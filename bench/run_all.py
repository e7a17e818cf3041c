"""Run every benchmark in ``bench/`` in its short mode and print one JSON document.

Each benchmark runs as its own process (as a user would run it) and prints its own JSON document,
which is embedded here under its name with the wall time of the run. Exit status 0 only if every
benchmark exited 0 and printed valid JSON; a failed one is reported with the tail of its stderr.

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
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TIMEOUT_S = 1800

# name -> (script, short-mode arguments, takes --database-url)
BENCHMARKS: dict[str, tuple[str, list[str], bool]] = {
    "ledger": ("ledger_bench.py", ["--entries", "3000", "--commands", "30"], True),
    "parcels": ("parcels_bench.py", ["--parcels", "2000", "--naive-sample", "300", "--single", "5"], True),
    "estimate": ("estimate_bench.py", ["--short"], False),
    "concurrency": ("concurrency_bench.py", ["--short"], True),
    "ui": ("ui_bench.py", ["--parcels", "1000", "--runs", "2"], False),  # needs Chromium (as the browser tests)
}
FULL_ARGS: dict[str, list[str]] = {
    "ledger": ["--entries", "1000000", "--commands", "1000"], "parcels": ["--parcels", "100000"],
    "estimate": [], "concurrency": [], "ui": [],
}


def run_one(name: str, script: str, args: list[str], url: str | None = None) -> dict[str, Any]:
    command = [sys.executable, str(BENCH / script), *args, *(["--database-url", url] if url else [])]
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {TIMEOUT_S} s", "command": _shown(command)}
    wall_s = round(time.perf_counter() - started, 2)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        result = None
    if proc.returncode != 0 or result is None:
        return {"ok": False, "exit_status": proc.returncode, "wall_s": wall_s, "command": _shown(command),
                "stderr_tail": proc.stderr.strip().splitlines()[-5:]}
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
    out: dict[str, Any] = {}
    for name, (script, short_args, takes_url) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        bench_args = short_args if args.short else FULL_ARGS[name]
        if name == "concurrency":
            out[name] = run_one(name, script, bench_args, args.database_url)
            continue
        out[name] = run_one(name, script, bench_args)
        if takes_url and args.database_url:
            out[f"{name}_postgresql"] = run_one(name, script, bench_args, args.database_url)
    ok = all(r["ok"] for r in out.values())
    print(json.dumps({"benchmarks": out, "short": args.short, "ok": ok}, indent=2, ensure_ascii=False))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
