"""Crashes (issue 9): a process killed with SIGKILL in the middle of its work leaves the database
consistent: ``verify`` passes, nothing partial is visible, and re-running the command finishes
the work exactly once.

Covered, on both backends: demo seeding, a run of sales, a large parcel import (one journal
entry: all of the file or nothing), a batch of estimates recorded through ``sinkledger
estimate --project`` (one entry per parcel under ``<batch request id>/<parcel>``) and a batch of
issuances (one entry per estimate). Where the moment of the kill matters, the test waits for
evidence that the work is under way (the writer lock held for a while, a first entry
committed) and asserts afterwards that the kill did land mid-way.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import create_engine, text

from sinkledger.config import REPO_ROOT, load_settings

SALES_SCRIPT = r"""
import sys
from sinkledger.config import load_settings
from sinkledger.services.registry import Service
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


# --- helpers: reading the database from outside the killed process -------------------------------

def journal_request_ids(url: str, prefix: str) -> list[str]:
    """Request ids of the committed journal entries starting with ``prefix`` (a reader's view)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text(
                "SELECT request_id FROM journal_entry WHERE request_id LIKE :p ORDER BY seq"), {"p": prefix + "%"})]
    finally:
        engine.dispose()


def parcel_codes(url: str) -> list[str]:
    """Codes of every registered parcel row, sorted, duplicates kept (a reader's view)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT parcel_code FROM parcel ORDER BY parcel_code"))]
    finally:
        engine.dispose()


def writer_lock_held(url: str) -> bool:
    """True while some process holds the ledger's writer lock (``sinkledger.db.database``): SQLite's
    write lock (``BEGIN IMMEDIATE`` fails at once), PostgreSQL's advisory lock in this database."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()  # closing rolls back our own (empty) transaction at once
        return False
    from sinkledger.db.database import WRITER_LOCK_KEY

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database() "
                "AND l.objid = :k"), {"k": WRITER_LOCK_KEY}).scalar() > 0
    finally:
        engine.dispose()


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout_s: float = 300) -> bool:  # type: ignore[type-arg]
    """SIGKILL ``proc`` as soon as ``ready()``; False if it ended (or timed out) before that."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return True
        time.sleep(0.01)
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    return False


def held_for(url: str, seconds: float) -> Callable[[], bool]:
    """A condition that turns true once the writer lock has been seen held for ``seconds`` in a
    row: a long write transaction (the import's), not a short one such as opening the service."""
    since: list[float] = []

    def ready() -> bool:
        if not writer_lock_held(url):
            since.clear()
            return False
        since[:] = since or [time.monotonic()]
        return time.monotonic() - since[0] >= seconds

    return ready


def open_service(url: str):  # type: ignore[no-untyped-def]
    from sinkledger.services.registry import Service

    svc = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": HOME}))
    svc.initialise()
    return svc


# --- a large parcel import -------------------------------------------------------------------------

LARGE_IMPORT_PARCELS = 4000
CELL_M = 100.0
ORIGIN_4549 = (440_000.0, 3_370_000.0)  # about 119.37 E, 30.45 N: inside Huzhou


def large_parcel_file(folder: Path, n: int) -> Path:
    """``n`` adjacent 100 m squares (touching, never overlapping), one GeoPackage, EPSG:4490."""
    from sinks.crs import transform

    columns = int(np.ceil(np.sqrt(n)))
    row, col = divmod(np.arange(n), columns)
    x, y = ORIGIN_4549[0] + col * CELL_M, ORIGIN_4549[1] + row * CELL_M
    boxes = transform(shapely.box(x, y, x + CELL_M, y + CELL_M), "EPSG:4549", "EPSG:4490")
    path = folder / "large.gpkg"
    gpd.GeoDataFrame({"parcel_code": [f"CR{i:06d}" for i in range(n)], "sink_type": "bamboo_forest",
                      "holder": "CRASH-COL"}, geometry=boxes, crs="EPSG:4490").to_file(path, driver="GPKG",
                                                                                         engine="pyogrio")
    return path


@pytest.mark.slow
def test_a_killed_large_import_leaves_nothing_partial_and_the_rerun_imports_exactly_once(backend_url, tmp_path):
    """Given a file of 4,000 parcels imported with ``sinkledger parcels import`` and the process
    killed while its write transaction is open (the writer lock seen held for 0.1 s: the import's
    own transaction, not a short one), then verify
    passes and no parcel of the file is visible; running the same command again imports all
    4,000 once, and a third run registers nothing more (the request id is the file's hash)."""
    from sinkledger.services.registry import SYSTEM_ACTOR

    svc = open_service(backend_url)
    svc.register_party(SYSTEM_ACTOR, "p:crash-col", party_id="CRASH-COL", kind="collective", name="crash collective")
    svc.create_user(username="crash-admin", password="password-x", role="admin", party_id="REGISTRY", display_name="admin")
    svc.db.dispose()
    path = large_parcel_file(tmp_path, LARGE_IMPORT_PARCELS)
    command = [sys.executable, "-m", "sinkledger", "--database-url", backend_url, "parcels", "import", str(path),
               "--actor", "crash-admin", "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    assert kill_when(proc, held_for(backend_url, 0.1)), "the import finished before it could be killed mid-way"

    report = json.loads(cli(backend_url, "verify", "--json").stdout)
    assert report["ok"], report.get("problems")
    assert parcel_codes(backend_url) == []  # killed inside the transaction: nothing of the file, no part of it
    assert journal_request_ids(backend_url, "parcels-import:") == []

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600, env=ENV, check=False)
    assert rerun.returncode == 0, rerun.stdout[-1000:] + rerun.stderr[-1000:]
    assert json.loads(rerun.stdout)["parcels_registered"] == LARGE_IMPORT_PARCELS
    again = subprocess.run(command, capture_output=True, text=True, timeout=600, env=ENV, check=False)
    assert again.returncode == 0, again.stdout[-1000:] + again.stderr[-1000:]
    assert parcel_codes(backend_url) == [f"CR{i:06d}" for i in range(LARGE_IMPORT_PARCELS)]  # each once
    assert len(journal_request_ids(backend_url, "parcels-import:")) == 1
    assert cli(backend_url, "verify").returncode == 0


# --- a batch of estimates, then a batch of issuances ------------------------------------------------

BAMBOO = "sinkledger.bamboo-moso-management"
GIS = REPO_ROOT / "gis_data"

ISSUE_SCRIPT = r"""
import json, sys
from sinkledger.config import load_settings
from sinkledger.services.registry import Service
svc = Service.open(load_settings({"DATABASE_URL": sys.argv[1]}))
verifier = svc.actor("crash-verifier")
for estimate_id, net_kg_co2e in json.loads(sys.argv[2]):
    svc.issue(verifier, f"crash-issue/{estimate_id}", estimate_id=estimate_id, verified_kg_co2e=net_kg_co2e,
              project_code="AJBF01", buffer_share_bp=1000)
    print(estimate_id, flush=True)
"""


def bamboo_registry(url: str) -> list[str]:
    """The demo's 60 bamboo parcels registered to one collective, a centre and a verifier user."""
    from sinkledger.services.registry import SYSTEM_ACTOR
    from tests.methodologies.test_batch import register_demo_parcels

    layer = gpd.read_file(GIS / "demo_parcels.gpkg", layer="parcels")
    codes = sorted(layer[layer.sink_type == "bamboo_forest"].parcel_code)
    svc = open_service(url)
    register_demo_parcels(svc, codes)
    svc.register_party(SYSTEM_ACTOR, "p:crash-ver", party_id="CRASH-VER", kind="verifier", name="crash verifier")
    svc.create_user(username="crash-verifier", password="password-x", role="verifier", party_id="CRASH-VER",
                    display_name="verifier")
    svc.db.dispose()
    return codes


@pytest.mark.slow
def test_a_killed_batch_estimate_and_issuance_resume_exactly_once(backend_url):
    """Given 60 registered bamboo parcels, ``sinkledger estimate --project --period`` (one entry
    per parcel, committed four at a time) killed after its first commit, then verify passes, and the same
    command again (no --request-id: the batch's id is its content's hash) records the rest, each
    parcel exactly once.
    Then issuing those estimates one by one, killed after the first issuance: verify passes, and
    the rerun issues the rest, every estimate exactly once, and no parcel-period twice."""
    codes = bamboo_registry(backend_url)
    command = [sys.executable, "-m", "sinkledger", "--database-url", backend_url, "estimate", "--methodology", BAMBOO,
               "--project", "AJBF01", "--period", "2022-11-15..2024-11-15", "--monitoring",
               str(GIS / "demo_monitoring.json"), "--actor", "centre", "--commit-every", "4",
               "--json"]  # request id: the batch's hash; group commit of 4 estimates, so a kill lands between
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    assert kill_when(proc, lambda: bool(journal_request_ids(backend_url, "estimate-batch:"))), "ended before the kill"
    partial = journal_request_ids(backend_url, "estimate-batch:")
    assert 1 <= len(partial) < len(codes), "the kill did not land mid-batch"
    report = json.loads(cli(backend_url, "verify", "--json").stdout)
    assert report["ok"], report.get("problems")

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600, env=ENV, check=False)
    assert rerun.returncode == 0, rerun.stdout[-1000:] + rerun.stderr[-1000:]
    summary = json.loads(rerun.stdout)
    recorded = {r["parcel_code"]: r for r in summary["recorded"]}
    assert sorted(recorded) == codes and summary["refused"] == 0
    ids = journal_request_ids(backend_url, "estimate-batch:")
    batch_id = summary["batch_request_id"]
    assert sorted(ids) == sorted(f"{batch_id}/{code}" for code in codes)  # each parcel exactly once
    assert ids[:len(partial)] == partial  # what the killed run committed stands, unchanged

    to_issue = [(r["estimate_id"], r["net_kg_co2e"]) for r in summary["recorded"] if r["net_kg_co2e"] >= 1000]
    assert len(to_issue) >= 10
    args = [sys.executable, "-c", ISSUE_SCRIPT, backend_url, json.dumps(to_issue)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV)
    proc.stdout.readline()  # the first issuance has committed: kill while the next ones run
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    issued = journal_request_ids(backend_url, "crash-issue/")
    assert 1 <= len(issued) < len(to_issue), "the kill did not land mid-batch"
    report = json.loads(cli(backend_url, "verify", "--json").stdout)
    assert report["ok"], report.get("problems")

    again = subprocess.run(args, capture_output=True, text=True, timeout=600, env=ENV, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    issued = journal_request_ids(backend_url, "crash-issue/")
    assert sorted(issued) == sorted(f"crash-issue/{estimate_id}" for estimate_id, _ in to_issue)
    balances = json.loads(cli(backend_url, "balances", "--json").stdout)
    held = sum(r["held_t"] for r in balances["by_account"])
    assert held == sum(kg // 1000 for _, kg in to_issue)  # every tonne issued once (buffer included)
    assert cli(backend_url, "verify").returncode == 0
