"""The benchmarks keep working: each runs at a tiny size and prints a JSON document that passes
``bench/run_all.py``'s correctness checks (the same checks that fail CI's benchmark step).

Sizes here are smaller than the short mode CI runs (``.ci/run``): these tests guard the code
paths for a developer running pytest alone; CI measures. Timings are never asserted.
The concurrency benchmark is exercised in ``tests/test_concurrency_bench.py``; the UI benchmark
(Chromium, ~1 minute) only in CI's benchmark step.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sinkledger.config import REPO_ROOT

BENCH = REPO_ROOT / "bench"


def checks(name: str):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        from run_all import CHECKS
    finally:
        sys.path.remove(str(BENCH))
    return CHECKS[name]


def run_bench(script: str, *args: str) -> dict:  # type: ignore[type-arg]
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_ledger_benchmark_short_mode():
    out = run_bench("ledger_bench.py", "--entries", "3000", "--commands", "30")
    assert out["verify_ok"] is True and out["entries"] >= 3000 + 30
    assert checks("ledger")(out) == []
    for key in ("append_bulk_vs_plain", "append_command_vs_plain", "verify_vs_read", "balances_by_sink_type_ms"):
        assert out[key] > 0, key


def test_verify_benchmark_short_mode():
    """A full verify against the read-and-rehash floor, then an incremental one over a tail of
    sales from the checkpoint the full one recorded."""
    out = run_bench("verify_bench.py", "--entries", "3000", "--tail", "30")
    assert checks("verify")(out) == []
    assert out["floor_rows"] == 3000 + 4 and out["entries"] == 3000 + 4 + 30 and out["tail_entries"] == 30
    assert out["incremental_from_seq"] == out["entries"] - 30 and out["full_vs_floor"] > 0


def test_verify_benchmark_on_an_existing_database(tmp_path):  # type: ignore[no-untyped-def]
    """``--existing``: a database measured as it is (the county dataset, by hand), the floor and the
    full run alternating, then incremental runs from the checkpoint the last full run recorded."""
    db = tmp_path / "v.db"
    run_bench("verify_bench.py", "--entries", "500", "--tail", "5", "--keep-db", str(db))
    out = run_bench("verify_bench.py", "--existing", f"sqlite:///{db}", "--runs", "2")
    assert out["verify_ok"] and out["entries"] == 500 + 4 + 5
    assert len(out["full_runs"]) == 2 and all(r["full_vs_floor"] > 0 for r in out["full_runs"])
    assert [r["mode"] for r in out["incremental_runs"]] == ["incremental", "incremental"]


def test_proof_benchmark_tiny():
    """Proofs from the stored Merkle nodes: the migration's fill, in-process and over HTTP (each
    proof checked by the bench), against the old pass over the journal (issue 18, helper h3)."""
    out = run_bench("proof_bench.py", "--entries", "300", "--runs", "5")
    assert checks("proof")(out) == []
    assert out["entries"] == 300 + 4 and out["nodes"] == sum(out["entries"] >> k for k in range(4, 9))
    assert out["http"]["server_ms"]["n"] == 5 and out["floor_ms"]["statements"] > 0


@pytest.mark.slow
def test_parcels_benchmark_tiny():
    """Two files of 200 interleaved parcels: both imported whole, the overlap checks measured
    against their naive baselines, the ledger and parcel history verify."""
    out = run_bench("parcels_bench.py", "--parcels", "200", "--naive-sample", "50", "--single", "2")
    assert checks("parcels")(out) == []
    assert out["registry_parcels"] == 402 and out["imported"] == [200, 200]
    for key in ("plan_vs_naive", "import_vs_plain_insert", "indexed_vs_naive", "register_one_median_ms",
                "plan_vs_strtree_floor", "plan_vs_strtree_floor_cpu", "candidate_query_ms",
                "durable_write_floor_median_ms", "register_one_vs_durable_write_floor", "register_one_cpu_median_ms"):
        assert out[key] > 0, key
    assert out["candidates_ok"] is True and out["floor_rows"] == 200
    assert checks("parcels")(dict(out, candidates_ok=False)) == ["candidates_ok"]


def test_cli_startup_benchmark_tiny():
    """``balances --json`` against ``python -c pass`` in the same run: the answer is the service's,
    and the command imported no ORM, no geometry stack and no Alembic (issue 17)."""
    out = run_bench("cli_startup_bench.py", "--runs", "2")
    assert checks("cli_startup")(out) == []
    assert out["balances_answer_ok"] is True and out["floor_ms"] > 0 and out["balances_vs_floor"] > 0
    assert checks("cli_startup")(dict(out, imports_geo=["shapely"])) == ["imports_geo == []"]


@pytest.mark.slow
def test_estimate_benchmark_tiny():
    """200 parcels over 500 × 500 pixels: every parcel estimated, exactextract's time measured."""
    out = run_bench("estimate_bench.py", "--parcels", "200", "--size", "500")
    assert checks("estimate")(out) == []
    assert out["direct_s"] > 0 and out["total_overhead_ratio"] > 0 and out["net_kg_co2e_total"] > 0


@pytest.mark.slow
def test_command_benchmark_tiny(tmp_path):  # type: ignore[no-untyped-def]
    """Every command (collection, issuance, sale, distribution, payment, retirement, pledge,
    release) runs against the bare chained floor on SQLite at FULL and NORMAL; the ledger verifies
    and every ratio is a ratio of two measured rates."""
    out = run_bench("command_bench.py", "--heavy", "2", "--commands", "5", "--sqlite-only")
    assert checks("commands")(out) == []
    assert set(out["backends"]) == {"sqlite_full", "sqlite_normal"}
    for run in out["backends"].values():
        assert run["verify_ok"] and run["chained_floor_per_s"] > 0
        assert set(run["commands"]) == {"collection", "issuance", "sale", "distribution", "payment", "retirement",
                                        "pledge", "release"}
        for figures in run["commands"].values():
            assert figures["ratio"] == pytest.approx(figures["per_s"] / run["chained_floor_per_s"], abs=6e-4)
    broken = dict(out, backends={"sqlite_full": dict(out["backends"]["sqlite_full"], verify_ok=False)})
    assert checks("commands")(broken) == ["sqlite_full: verify_ok"]


def test_write_set_benchmark_tiny():
    """Each command's recorded statements, replayed on a copy of the database taken before them,
    write the same rows (same journal head, same row count and last key in every table), at FULL
    and NORMAL; the checks fail a run whose replay diverged."""
    out = run_bench("write_set_bench.py", "--heavy", "2", "--commands", "5")
    assert checks("write_set")(out) == [] and out["ok"] is True
    assert [r["synchronous"] for r in out["results"]] == ["FULL", "NORMAL"]
    for run in out["results"]:
        assert run["replay_same_rows"]["tables"] > 40 and run["replay_same_rows"]["head_seq"] > 20
        assert set(run["commands"]) == {"collection", "issuance", "sale", "distribution", "payment", "retirement",
                                        "pledge", "release"}
        for figures in run["commands"].values():
            assert figures["replay"]["statements"] >= 4  # head read, a rule's read, a write, the entry
            assert figures["replay_over_floor"] == pytest.approx(
                figures["replay"]["per_s"] / run["chained_floor_per_s"], abs=6e-4)
    diverged = dict(out, results=[dict(out["results"][0], replay_same_rows={"ok": False})])
    assert checks("write_set")(diverged) == ["FULL: the replay wrote the same rows"]


def test_price_index_benchmark_tiny():
    """The index statement over a synthetic trade table reads the market index, agrees with the
    rule applied in Python, and measures its floors (issue 22, helper h7b); timings not asserted."""
    out = run_bench("price_index_bench.py", "--trades", "5000", "--runs", "2")
    assert checks("price_index")(out) == [] and out["ok"] is True
    (r,) = out["results"]
    assert r["trades"] == 5000 and r["published_months"] > 0 and r["explain"]["full_scan"] is False
    assert checks("price_index")({"results": [{**r, "database_equals_python": False}]}) == ["sqlite: database == python"]
