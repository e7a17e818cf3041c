"""CLI start-up (issue 17): ``sinkledger balances --json`` against ``python -c pass``, same run.

A command should import only what it needs; the floor is the interpreter starting and exiting
(``python -c pass``), the goal ``balances --json`` at most 3x that floor. The two are timed
alternately (``--runs`` pairs, medians) on a database seeded with the demo (SQLite in a temporary
folder, or ``--database-url``, whose schema is DROPPED and rebuilt). Correctness: the command's
JSON equals the service's own ``balances()``, and ``-X importtime`` shows it imported no ORM, no
geometry stack and no Alembic (``imports_*`` lists, empty when right).

Both commands run as an installed program runs: with its compiled bytecode cached. The
environment may say ``PYTHONDONTWRITEBYTECODE=1`` (this machine's does), which makes every run
compile the repository's modules from source again (about 12 ms for ``balances``) while the
standard library's bytecode, compiled when Python was installed, is read as usual: the floor
would pay nothing of the kind. So the bench gives both commands a bytecode cache of their own
(``PYTHONPYCACHEPREFIX`` in a temporary folder), warmed by one untimed run of each.

    python bench/cli_startup_bench.py [--runs 21] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GEO = ("geopandas", "pandas", "pyogrio", "shapely", "pyproj", "fiona")
ORM = ("sqlalchemy", "sqlmodel")
MIGRATIONS = ("alembic", "mako")
GOAL_RATIO = 3.0


def seed(url: str, home: str) -> dict:
    from sinkledger.config import load_settings
    from sinkledger.demo.seed import seed_demo
    from sinkledger.services.registry import Service

    svc = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": home}))
    if svc.db.has_schema():
        svc.db.drop_schema()
    seed_demo(svc)
    svc.checkpoint()
    balances = svc.balances()
    svc.db.dispose()
    return balances


def timed(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return (time.perf_counter() - started) * 1000, proc


def imported_packages(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=21, help="timed pairs (python -c pass, balances --json)")
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        url = args.database_url or f"sqlite:///{Path(home) / 'bench.db'}"
        expected = seed(url, home)
        env = {**os.environ, "DATABASE_URL": url, "SINKLEDGER_HOME": home,
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               "PYTHONPYCACHEPREFIX": str(Path(home) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        floor_cmd = [sys.executable, "-c", "pass"]
        balances_cmd = [sys.executable, "-m", "sinkledger", "balances", "--json"]
        for warm in (floor_cmd, balances_cmd):  # write the bytecode cache, untimed
            timed(warm, env)
        _, check = timed([sys.executable, "-X", "importtime", *balances_cmd[1:]], env)
        imported = imported_packages(check.stderr)
        answer_ok = check.returncode == 0 and json.loads(check.stdout) == expected
        load_before = os.getloadavg()
        floor_ms, ours_ms = [], []
        for _ in range(args.runs):  # alternate, so that a burst of load hits both alike
            floor_ms.append(timed(floor_cmd, env)[0])
            ms, proc = timed(balances_cmd, env)
            answer_ok = answer_ok and proc.returncode == 0
            ours_ms.append(ms)
        load_after = os.getloadavg()
    floor, ours = statistics.median(floor_ms), statistics.median(ours_ms)
    print(json.dumps({
        "benchmark": "cli_startup", "backend": "sqlite" if url.startswith("sqlite") else "postgresql",
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(), "platform": platform.platform()},
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in load_after]},
        "runs": args.runs, "floor": "python -c pass", "floor_ms": round(floor, 1),
        "balances_json_ms": round(ours, 1), "balances_json_min_ms": round(min(ours_ms), 1),
        "floor_min_ms": round(min(floor_ms), 1), "balances_vs_floor": round(ours / floor, 2),
        "goal_ratio": GOAL_RATIO, "balances_answer_ok": answer_ok, "bytecode": "cached (PYTHONPYCACHEPREFIX)",
        "imports_geo": sorted(imported & set(GEO)), "imports_orm": sorted(imported & set(ORM)),
        "imports_migrations": sorted(imported & set(MIGRATIONS)),
    }, indent=2))


if __name__ == "__main__":
    main()
