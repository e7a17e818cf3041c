"""The concurrency benchmark and ``bench/run_all.py`` keep working (issue 9, item 7)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from sinkledger.config import REPO_ROOT
from tests.conftest import PG_URL, pg_available

BENCH = REPO_ROOT / "bench"


def run_all_module():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    return run_all


def test_run_all_knows_every_benchmark():
    run_all = run_all_module()
    scripts = {script for script, _, _ in run_all.BENCHMARKS.values()}
    assert scripts | set(run_all.BY_HAND) == {p.name for p in BENCH.glob("*_bench.py")}, \
        "add the new benchmark to bench/run_all.py (or to BY_HAND with the reason)"
    assert not scripts & set(run_all.BY_HAND) and all(len(why) > 20 for why in run_all.BY_HAND.values())
    assert set(run_all.FULL_ARGS) == set(run_all.BENCHMARKS) == set(run_all.CHECKS)


def test_ci_runs_the_benchmarks_in_short_mode_on_their_own_database():
    """.ci/run runs run_all --short after the tests, on PostgreSQL (a database of its own, as every
    benchmark drops the schema it is given) besides SQLite, under ``set -e`` so a failure fails CI."""
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci
    assert ci.index("python -m pytest") < ci.index("bench/run_all.py --short --database-url")
    bench_db = ci.split("BENCH_DB=")[1].split()[0]
    test_db = ci.split("PG_DB=")[1].split()[0]
    assert bench_db != test_db and 'CREATE DATABASE ${BENCH_DB}' in ci


# A correct short-mode result of each benchmark, trimmed to what the checks read.
SOUND = {
    "ledger": {"verify_ok": True, "append_bulk_entries_per_s": 1, "plain_insert_bulk_rows_per_s": 1,
               "append_command_entries_per_s": 1, "plain_insert_per_transaction_rows_per_s": 1, "verify_s": 0.1,
               "read_baseline_s": 0.01, "account_balance_ms": 0.5, "plain_select_balance_ms": 0.05},
    "parcels": {"parcels_per_file": 2000, "imported": [2000, 2000], "ledger_ok": True, "history_ok": True,
                "candidates_ok": True, "plan_problems": 0, "floor_rows": 2000, "strtree_floor_s": 1.2,
                "plan_median_s": 2.9},
    "estimate": {"parcels": 5000, "estimated": 5000, "refused": 0},
    "concurrency": {"writers": 16, "backends": {
        "sqlite": {"verify_ok": True, "seller_lost_exactly_the_sales": True, "naive_chain": {"chain_ok": True},
                   "concurrent": {"writers": 16, "per_writer": 10, "sales": 160, "errors": 0}},
        "postgresql": {"skipped": "no --database-url given"}}},
    "ui": {"pages": {page: {"loads": [{"ready_ms": 1200}]} for page in ("blank", "landing_demo", "map_10k")}},
}
# One defect per row: (benchmark, path to the value, broken value).
BROKEN = [
    ("ledger", ("verify_ok",), False),
    ("ledger", ("append_bulk_entries_per_s",), 0),
    ("parcels", ("imported",), [2000, 1999]),
    ("parcels", ("history_ok",), False),
    ("estimate", ("estimated",), 4999),
    ("concurrency", ("backends", "sqlite", "concurrent", "errors"), 3),
    ("concurrency", ("backends", "sqlite", "concurrent", "sales"), 150),
    ("concurrency", ("backends", "sqlite", "seller_lost_exactly_the_sales"), False),
    ("concurrency", ("backends", "sqlite", "naive_chain", "chain_ok"), False),
    ("ui", ("pages", "map_10k"), {}),
]


def test_sound_results_pass_the_checks():
    checks = run_all_module().CHECKS
    assert {name: checks[name](result) for name, result in SOUND.items()} == {name: [] for name in SOUND}


@pytest.mark.parametrize(("name", "path", "value"), BROKEN)
def test_a_wrong_result_fails_its_benchmark(name, path, value):
    result = copy.deepcopy(SOUND[name])
    target = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert run_all_module().CHECKS[name](result), f"{name}: {path} = {value!r} passed the checks"


def test_a_failing_benchmark_makes_run_all_fail():
    """Given a PostgreSQL URL nothing listens on, the ledger benchmark's PostgreSQL run fails: run_all
    still runs and reports the SQLite one, reports the failure with its stderr, and exits 1."""
    command = [sys.executable, str(BENCH / "run_all.py"), "--short", "--only", "ledger",
               "--database-url", "postgresql+psycopg://postgres@127.0.0.1:9/nothing_listens_here"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    document = json.loads(proc.stdout)
    assert document["ok"] is False and document["benchmarks"]["ledger"]["ok"] is True
    failed = document["benchmarks"]["ledger_postgresql"]
    assert failed["ok"] is False and failed["exit_status"] != 0 and failed["stderr_tail"]


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
        assert run["naive_chain"]["chain_ok"] and run["naive_chain"]["concurrent"]["rows"] == 160
        assert run["concurrent_vs_naive_chain"] > 0
    if use_pg:
        assert backends["postgresql"]["naive_chain_early_release"]["chain_ok"]
    if not use_pg:
        assert "skipped" in backends["postgresql"]
