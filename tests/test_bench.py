"""The benchmarks keep working: each runs in a short mode and prints its JSON document."""

from __future__ import annotations

import json
import subprocess
import sys

from sinkledger.config import REPO_ROOT


def test_ledger_benchmark_short_mode():
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "ledger_bench.py"), "--entries", "3000",
                           "--commands", "30"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verify_ok"] is True and out["entries"] >= 3000
    for key in ("append_bulk_entries_per_s", "plain_insert_bulk_rows_per_s", "append_command_entries_per_s",
                "plain_insert_per_transaction_rows_per_s", "verify_s", "read_baseline_s"):
        assert out[key] > 0, key
