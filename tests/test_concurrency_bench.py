"""The concurrency benchmark and ``bench/run_all.py`` keep working (issue 9, item 7)."""

from __future__ import annotations

import json
import subprocess
import sys

from sinkledger.config import REPO_ROOT
from tests.conftest import PG_URL, pg_available

BENCH = REPO_ROOT / "bench"


def test_run_all_knows_every_benchmark():
    sys.path.insert(0, str(BENCH))
    try:
        from run_all import BENCHMARKS, FULL_ARGS
    finally:
        sys.path.remove(str(BENCH))
    scripts = {script for script, _, _ in BENCHMARKS.values()}
    assert scripts == {p.name for p in BENCH.glob("*_bench.py")}, "add the new benchmark to bench/run_all.py"
    assert set(FULL_ARGS) == set(BENCHMARKS)


def test_concurrency_benchmark_short_mode_through_run_all():
    """Given run_all --short --only concurrency, then one JSON document: 16 writers sold without
    an error on SQLite (and PostgreSQL when configured), the ledger verifies and the seller lost
    exactly the sales recorded."""
    use_pg = pg_available()[0]
    command = [sys.executable, str(BENCH / "run_all.py"), "--short", "--only", "concurrency",
               *(["--database-url", PG_URL] if use_pg else [])]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    document = json.loads(proc.stdout)
    assert document["ok"] and document["short"]
    backends = document["benchmarks"]["concurrency"]["result"]["backends"]
    for name in ("sqlite", "postgresql") if use_pg else ("sqlite",):
        run = backends[name]
        assert run["verify_ok"] and run["seller_lost_exactly_the_sales"], run
        assert run["concurrent"]["sales"] == 160 and run["concurrent"]["errors"] == 0
        assert run["single_writer"]["sales_per_s"] > 0 and run["concurrent"]["sales_per_s"] > 0
    if not use_pg:
        assert "skipped" in backends["postgresql"]
