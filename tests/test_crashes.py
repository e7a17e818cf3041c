"""Crashes (issue 9): a process killed with SIGKILL in the middle of its work leaves the database
consistent: ``verify`` passes, nothing partial is visible, and re-running the command finishes
the work exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import sys
import time

import pytest

SALES_SCRIPT = r"""
import sys
from sinkledger.config import load_settings
from sinkledger.service import Service
svc = Service.open(load_settings({"DATABASE_URL": sys.argv[1]}))
clerk = svc.actor("clerk")
for i in range(int(sys.argv[3])):
    svc.sell(clerk, f"crash-sale-{i}", seller_account=sys.argv[2], buyer_account="ENT-0002-H", quantity=1,
             price_fen_per_t=7341, contract_no=f"C-{i}")
    print(i, flush=True)
"""


HOME = tempfile.mkdtemp(prefix="sinkledger-crash-")  # key files and the like, never the user's home
ENV = {**os.environ, "SINKLEDGER_HOME": HOME}


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sinkledger", "--database-url", url, *args], capture_output=True,
                          text=True, timeout=600, env=ENV)


def kill_after(proc: subprocess.Popen, seconds: float) -> None:  # type: ignore[type-arg]
    time.sleep(seconds)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.slow
def test_killed_demo_seeding_leaves_a_consistent_ledger_and_resumes(backend_url):  # type: ignore[no-untyped-def]
    """Given the demo seeding (about 300 commands) killed after two seconds, then verify passes on
    what was committed, and running it again completes it to the same final state."""
    proc = subprocess.Popen([sys.executable, "-m", "sinkledger", "--database-url", backend_url, "demo"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    kill_after(proc, 2.0)
    partial = cli(backend_url, "verify", "--json")
    if partial.returncode == 0:  # something was committed before the kill
        assert json.loads(partial.stdout)["ok"] is True
    else:  # killed before the registry existed
        assert json.loads(partial.stdout)["error"]["code"] == "database_not_initialised"
    done = cli(backend_url, "demo", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["ledger_ok"] and summary["parcels"] == 105
    assert cli(backend_url, "verify").returncode == 0


@pytest.mark.slow
def test_killed_sales_never_half_happen_and_rerun_finishes_exactly_once(backend_url):  # type: ignore[no-untyped-def]
    assert cli(backend_url, "demo").returncode == 0
    balances = json.loads(cli(backend_url, "balances", "--json").stdout)["by_account"]
    seller = max((r for r in balances if r["account_id"].startswith("COL-")), key=lambda r: r["held_t"])
    buyer_before = next((r["held_t"] for r in balances if r["account_id"] == "ENT-0002-H"), 0)
    n = min(40, seller["held_t"])
    args = [sys.executable, "-c", SALES_SCRIPT, backend_url, seller["account_id"], str(n)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV)
    proc.stdout.readline()  # the first sale has committed: kill somewhere in the following ones
    kill_after(proc, 0.3)
    report = json.loads(cli(backend_url, "verify", "--json").stdout)
    assert report["ok"], report["problems"]
    sales = json.loads(cli(backend_url, "history", "--kind", "sale", "--limit", "1000", "--json").stdout)["entries"]
    crashed = [e for e in sales if e["request_id"].startswith("crash-sale-")]
    assert 1 <= len(crashed) <= n
    assert subprocess.run(args, capture_output=True, text=True, timeout=600, env=ENV).returncode == 0  # the rerun
    sales = json.loads(cli(backend_url, "history", "--kind", "sale", "--limit", "1000", "--json").stdout)["entries"]
    assert sorted(e["request_id"] for e in sales if e["request_id"].startswith("crash-sale-")) == \
        sorted(f"crash-sale-{i}" for i in range(n))
    after = json.loads(cli(backend_url, "balances", "--json").stdout)["by_account"]
    assert next(r["held_t"] for r in after if r["account_id"] == "ENT-0002-H") == buyer_before + n
    assert cli(backend_url, "verify").returncode == 0
