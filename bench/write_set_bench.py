"""How close can a command come to the bare chained transaction? Its own statements, replayed.

``command_bench.py`` holds each ledger command against the bare chained transaction (one row, one
commit). A command writes more than one row: a sale splits a credit block, adds a balance row,
writes its sale and price rows and its journal entry, in tables that carry their indexes. This
bench measures what those writes cost by themselves, with no Python between them: the ceiling of
any implementation that keeps the same rows.

For each SQLite ``synchronous`` mode (``FULL``, ``NORMAL``), in one run:

1. the scenario of ``command_bench.py`` is set up (parties, parcels), and the database file copied
   (SQLite's backup API): the snapshot;
2. the commands run through the service, timed (``ours``), while every statement each command's
   transaction sends to the driver is recorded with its parameters (the command's plain
   statements through ``ledger.sql.Tx`` and anything an ORM session sends in the same
   transaction);
3. on the snapshot, each recorded transaction is replayed on a bare ``sqlite3`` connection with the
   app's pragmas: ``BEGIN IMMEDIATE``, the same statements with the same parameters (reads
   fetched), ``COMMIT`` (``replay``): the same rows written in the same order, so the same keys;
4. the bare chained transaction (``command_bench.chained_floor``) before and after, as there.

Per command: ``ours/floor`` (the issue's ratio), ``replay/floor`` (the best any implementation
writing these rows could reach) and ``ours/replay`` (what the Python path costs on top of its own
statements). Prints one JSON document. ``--short``: 4 heavy, 30 others.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import command_bench as cb  # noqa: E402
from sqlalchemy import event  # noqa: E402

import ledger.sql as ledger_sql  # noqa: E402

# the journal entry kind a command writes → the command's name in command_bench
KIND_TO_COMMAND = {"collection": "collection", "issuance": "issuance", "sale": "sale",
                   "income_distribution": "distribution", "income_payment": "payment", "retirement": "retirement",
                   "pledge": "pledge", "release": "release"}


class Recorder:
    """Every statement of every command transaction, with its parameters, in order."""

    def __init__(self) -> None:
        self.transactions: list[list[tuple[str, str, Any]]] = []
        self.current: list[tuple[str, str, Any]] | None = None

    def add(self, how: str, sql: str, params: Any) -> None:
        if self.current is not None:
            if how == "many":
                params = [dict(p) for p in params]
            elif params is not None:
                params = dict(params) if hasattr(params, "keys") else params
            self.current.append((how, sql, params))


@contextmanager
def recording(svc: Any, recorder: Recorder) -> Iterator[None]:
    db = svc.db
    original_command = db.command
    original_run, original_many = ledger_sql.Tx.run, ledger_sql.Tx.many

    @contextmanager
    def command() -> Iterator[Any]:
        recorder.current = []
        try:
            with original_command() as tx:
                yield tx
            recorder.transactions.append(recorder.current)
        finally:
            recorder.current = None

    def run(self: Any, sql: str, params: Any = None) -> Any:
        recorder.add("one", sql, params or {})
        return original_run(self, sql, params)

    def many(self: Any, sql: str, rows: Any) -> None:
        if rows:
            recorder.add("many", sql, rows)
        return original_many(self, sql, rows)

    def orm_statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        recorder.add("many" if executemany else "one", statement, parameters)

    db.command = command
    ledger_sql.Tx.run, ledger_sql.Tx.many = run, many
    event.listen(db.engine, "before_cursor_execute", orm_statement)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", orm_statement)
        ledger_sql.Tx.run, ledger_sql.Tx.many = original_run, original_many
        db.command = original_command


def command_of(transaction: list[tuple[str, str, Any]]) -> str | None:
    for how, sql, params in reversed(transaction):
        if sql.startswith("INSERT INTO journal_entry"):
            kind = params["kind"] if isinstance(params, dict) else None
            return KIND_TO_COMMAND.get(kind, kind)
    return None


def replay(path: Path, synchronous: str, transactions: list[list[tuple[str, str, Any]]]) -> dict[str, Any]:
    """Each recorded transaction on a bare connection to the snapshot, timed by command."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "foreign_keys=ON", "busy_timeout=60000",
                   "temp_store=MEMORY"):
        conn.execute(f"PRAGMA {pragma}")
    cur = conn.cursor()
    latencies: dict[str, list[float]] = {}
    totals: dict[str, float] = {}
    for transaction in transactions:
        name = command_of(transaction)
        t0 = time.perf_counter()
        cur.execute("BEGIN IMMEDIATE")
        for how, sql, params in transaction:
            if how == "many":
                cur.executemany(sql, params)
            else:
                cur.execute(sql, params)
                cur.fetchall()
        cur.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        if name is not None:
            latencies.setdefault(name, []).append(elapsed)
            totals[name] = totals.get(name, 0.0) + elapsed
    conn.close()
    return {name: {"n": len(ls), "per_s": round(len(ls) / totals[name], 1),
                   "median_ms": round(statistics.median(ls) * 1000, 3),
                   "statements": None} for name, ls in latencies.items()}


def measure(folder: Path, synchronous: str, heavy: int, n: int) -> dict[str, Any]:
    path, snapshot = folder / f"ours-{synchronous}.db", folder / f"snapshot-{synchronous}.db"
    svc = cb.setup(f"sqlite:///{path}", synchronous, heavy)
    with svc.db.engine.connect() as conn:  # the snapshot: the scenario before any timed command
        source = conn.connection.driver_connection
        target = sqlite3.connect(snapshot)
        source.backup(target)
        target.close()
    floor = cb.chained_floor(svc, max(n, 100))
    recorder = Recorder()
    with recording(svc, recorder):
        ours = cb.run_commands(svc, heavy, n)
    floor_after = cb.chained_floor(svc, max(n, 100))
    report = svc.verify()
    svc.db.dispose()
    replayed = replay(snapshot, synchronous, recorder.transactions)
    same = same_rows(path, snapshot)
    statements: dict[str, list[int]] = {}
    for transaction in recorder.transactions:
        name = command_of(transaction)
        if name is not None:
            statements.setdefault(name, []).append(len(transaction))
    floor_per_s = (floor["per_s"] + floor_after["per_s"]) / 2
    commands: dict[str, Any] = {}
    for name, figures in ours.items():
        again = replayed.get(name)
        if again is None:
            continue
        again["statements"] = round(statistics.mean(statements[name]), 1)
        commands[name] = {"ours": figures, "replay": again,
                          "ours_over_floor": round(figures["per_s"] / floor_per_s, 3),
                          "replay_over_floor": round(again["per_s"] / floor_per_s, 3),
                          "ours_over_replay": round(figures["per_s"] / again["per_s"], 3)}
    return {"synchronous": synchronous, "chained_floor_per_s": round(floor_per_s, 1),
            "chained_floor": floor, "chained_floor_after": floor_after, "commands": commands,
            "verify_ok": report.ok, "replay_same_rows": same}


def same_rows(ours: Path, replayed: Path) -> dict[str, Any]:
    """Whether the replay wrote what the commands wrote: the same journal head and, in every
    table, the same number of rows and the same last key (the floor's scratch table aside)."""
    def facts(path: Path) -> dict[str, Any]:
        conn = sqlite3.connect(path)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                                                 "LIKE 'sqlite_%' AND name != 'bench_chain' ORDER BY name")]
            out: dict[str, Any] = {t: conn.execute(f'SELECT count(*), max(rowid) FROM "{t}"').fetchone()
                                   for t in tables if not t.startswith("parcel_rtree")}
            out["head"] = conn.execute("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1").fetchone()
            return out
        finally:
            conn.close()
    a, b = facts(ours), facts(replayed)
    differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    return {"ok": not differ, "differ": differ, "head_seq": a["head"][0], "tables": len(a) - 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="CI: 4 heavy, 30 other commands")
    parser.add_argument("--heavy", type=int, default=None)
    parser.add_argument("--commands", type=int, default=None)
    args = parser.parse_args()
    heavy = args.heavy or (4 if args.short else 40)
    n = args.commands or (30 if args.short else 300)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sinkledger-write-set-") as tmp:
        results = [measure(Path(tmp), mode, heavy, n) for mode in ("FULL", "NORMAL")]
    ok = all(r["verify_ok"] and r["replay_same_rows"]["ok"] for r in results)
    print(json.dumps({"bench": "write_set", "heavy": heavy, "commands": n, "python": platform.python_version(),
                      "load_average": list(os.getloadavg()), "results": results,
                      "seconds": round(time.perf_counter() - started, 1), "ok": ok}, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
