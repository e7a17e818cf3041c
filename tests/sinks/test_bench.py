"""The parcel benchmark keeps working: a short run prints its JSON document with sane figures."""

from __future__ import annotations

import json
import subprocess
import sys

from sinkledger.config import REPO_ROOT


def test_parcels_benchmark_short_mode():
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "parcels_bench.py"), "--parcels", "2000",
                           "--naive-sample", "300", "--single", "3"], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ledger_ok"] and out["history_ok"] and out["imported"] == [2000, 2000]
    for key in ("plan_s", "naive_pairwise_overlap_scaled_s", "import_empty_s", "import_against_registry_s",
                "plain_insert_rows_per_s", "register_one_median_ms", "overlap_check_one_indexed_ms",
                "naive_registry_scan_ms"):
        assert out[key] > 0, key
