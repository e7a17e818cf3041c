"""The estimate benchmark keeps working: a tiny run prints its JSON document."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "estimate_bench.py"


def test_the_estimate_benchmark_runs_and_reports_its_ratios() -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--parcels", "300", "--size", "400"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["parcels"] == 300 and out["estimated"] + out["refused"] == 300
    for key in ("direct_s", "zonal_s", "estimate_s", "total_s", "zonal_overhead_ratio",
                "total_overhead_ratio", "estimate_ms_per_parcel"):
        assert out[key] > 0, key
