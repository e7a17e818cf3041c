"""Ledger throughput and verify time, each against a plain-insert baseline measured in the same run.

Measures, on the database named by ``--database-url`` (default: a temporary SQLite file):

- ``append_bulk``: journal entries appended per second with the hash chain (canonical JSON,
  SHA-256 link, one transaction per 10,000 entries) vs ``plain_insert_bulk``: the same rows
  inserted without hashing into a table of the same shape;
- ``append_command``: sales recorded per second through the full command path (permission,
  idempotency, writer lock, block split, projection, one transaction each) vs
  ``plain_insert_per_transaction``: one plain row per transaction;
- ``balance_query``: milliseconds for one account's balance and for the totals by sink type,
  through the service (session, account check, projection query) vs ``plain_select``: the same
  account's balance rows summed by one raw SQL query on an open connection (the floor);
- ``verify``: seconds for ``sinkledger verify`` (re-hash, replay, compare) over the whole
  journal vs ``read_baseline``: seconds to read every journal row.

Prints one JSON document. Short mode (CI): ``--entries 20000``; full: ``--entries 1000000``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ledger.domain import Block, BlockSet, BlockState, Move, entry_hash  # noqa: E402
from ledger.journal import entry_body  # noqa: E402
from sinkledger.config import load_settings  # noqa: E402
from sinkledger.services.registry import SYSTEM_ACTOR, Service  # noqa: E402
from sinkledger_base.canonical import canonical_json

CHUNK = 10_000


def seed_history(svc: Service, n: int) -> float:
    """Append ``n`` entries (one issuance of n credits, then single-credit sales A→B) with the
    chain and the matching projection; return entries per second."""
    db = svc.db
    with db.write() as s:
        last = s.execute(text("SELECT max(seq), max(entry_hash) FROM journal_entry")).one()
        seq0 = last[0] or 0
        prev = s.execute(text("SELECT entry_hash FROM journal_entry WHERE seq = :q"), {"q": seq0}).scalar() or "0" * 64
    batch_id, blocks = "BENCH/1", BlockSet()
    started = time.perf_counter()
    rows, seq = [], seq0
    for i in range(n):
        seq += 1
        if i == 0:
            moves = [Move(batch_id, 1, n, None, None, "BENCH-A-H", BlockState.held)]
            payload = {"batches": [{"batch_id": batch_id, "quantity": n}], "moves": [m.to_record() for m in moves]}
        else:
            moves = [Move(batch_id, i, i, "BENCH-A-H", BlockState.held, "BENCH-B-H", BlockState.held)]
            payload = {"quantity": 1, "price_fen_per_t": 7341, "moves": [m.to_record() for m in moves]}
        for m in moves:
            blocks.apply(m)
        body = entry_body(seq=seq, kind="sale", request_id=f"bench-{seq}", actor="bench", recorded_at="2026-01-01T00:00:00",
                          payload=payload)
        digest = entry_hash(prev, body)
        rows.append({"seq": seq, "kind": "sale", "request_id": f"bench-{seq}", "fp": digest, "actor": "bench",
                     "at": "2026-01-01T00:00:00", "body": body, "prev": prev, "hash": digest})
        prev = digest
        if len(rows) == CHUNK or i == n - 1:
            _insert_journal(db, rows)
            rows = []
    _insert_batch_and_blocks(db, batch_id, n, blocks.blocks())
    return n / (time.perf_counter() - started)


def _insert_journal(db, rows) -> None:  # type: ignore[no-untyped-def]
    with db.write() as s:
        s.execute(text("INSERT INTO journal_entry (seq, kind, request_id, request_fingerprint, actor, recorded_at, body, "
                       "prev_hash, entry_hash) VALUES (:seq, :kind, :request_id, :fp, :actor, :at, :body, :prev, :hash)"), rows)


def _insert_batch_and_blocks(db, batch_id: str, n: int, blocks: list[Block]) -> None:  # type: ignore[no-untyped-def]
    with db.write() as s:
        s.execute(text("INSERT INTO batch (id, serial_prefix, region_code, county_code, sink_type, project_code, "
                       "vintage_year, first, last, buffer_quantity, issuance_seq, estimate_id, methodology_id, "
                       "methodology_version, period_start, period_end) VALUES (:id, 'BENCH', '330500', '330500', "
                       "'bamboo_forest', 'BENCH', 2024, 1, :n, 0, 0, '-', '-', '-', '2024-01-01', '2025-01-01')"),
                  {"id": batch_id, "n": n})
        rows = [{"b": b.batch_id, "f": b.first, "l": b.last, "a": b.account_id, "s": b.state.value} for b in blocks]
        for i in range(0, len(rows), CHUNK):
            s.execute(text("INSERT INTO credit_block (batch_id, first, last, account_id, state) "
                           "VALUES (:b, :f, :l, :a, :s)"), rows[i:i + CHUNK])
        sums: dict[tuple[str, str], int] = {}
        for b in blocks:
            sums[(b.account_id, b.state.value)] = sums.get((b.account_id, b.state.value), 0) + b.quantity
        s.execute(text("INSERT INTO balance (account_id, batch_id, state, quantity) VALUES (:a, :b, :s, :q)"),
                  [{"a": a, "b": batch_id, "s": st, "q": q} for (a, st), q in sums.items()])


def plain_insert(db, n: int, per_transaction: bool) -> float:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_plain")
        conn.exec_driver_sql("CREATE TABLE bench_plain (seq BIGINT PRIMARY KEY, kind VARCHAR(40), request_id VARCHAR(120) "
                             "UNIQUE, actor VARCHAR(60), body TEXT)")
    body = canonical_json({"quantity": 1, "price_fen_per_t": 7341, "moves": [Move("B", 1, 1, "A", BlockState.held, "B",
                                                                                   BlockState.held).to_record()]})
    rows = [{"seq": i, "kind": "sale", "rid": f"p-{i}", "actor": "bench", "body": body} for i in range(1, n + 1)]
    sql = text("INSERT INTO bench_plain VALUES (:seq, :kind, :rid, :actor, :body)")
    started = time.perf_counter()
    if per_transaction:
        for r in rows:
            with db.write() as s:
                s.execute(sql, r)
    else:
        for i in range(0, n, CHUNK):
            with db.write() as s:
                s.execute(sql, rows[i:i + CHUNK])
    return n / (time.perf_counter() - started)


def command_rate(svc: Service, n: int) -> float:
    clerk = svc.actor("bench-clerk")
    started = time.perf_counter()
    for i in range(n):
        svc.sell(clerk, f"cmd-{i}", seller_account="BENCH-B-H", buyer_account="BENCH-A-H", quantity=1,
                 price_fen_per_t=7341, contract_no="bench")
    return n / (time.perf_counter() - started)


def time_ms(call, repeat: int = 20) -> float:  # type: ignore[no-untyped-def]
    """Median wall time of ``call`` in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[len(times) // 2]


def plain_select_ms(db, account_id: str) -> float:  # type: ignore[no-untyped-def]
    """Median ms of the bare query under an account balance: its projection rows, summed by state."""
    sql = text("SELECT state, sum(quantity) FROM balance WHERE account_id = :a GROUP BY state")
    with db.engine.connect() as conn:
        return time_ms(lambda: conn.execute(sql, {"a": account_id}).all())


def read_all(db) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with db.engine.connect() as conn:
        for _ in conn.execution_options(yield_per=CHUNK).exec_driver_sql("SELECT seq, body, prev_hash, entry_hash FROM journal_entry ORDER BY seq"):
            pass
    return time.perf_counter() - started


def setup(url: str) -> Service:
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    if svc.db.has_schema():
        svc.db.drop_schema()
    svc.initialise()
    for pid in ("BENCH-A", "BENCH-B", "BENCH-T"):
        svc.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid,
                           kind="trading_centre" if pid == "BENCH-T" else "enterprise", name=pid)
    svc.create_user(username="bench-clerk", password="password-x", role="trading_clerk", party_id="BENCH-T", display_name="b")
    return svc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=20_000, help="journal entries to build and verify")
    ap.add_argument("--commands", type=int, default=500, help="sales through the full command path")
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        svc = setup(url)
        bulk = seed_history(svc, args.entries)
        plain_bulk = plain_insert(svc.db, args.entries, per_transaction=False)
        command = command_rate(svc, args.commands)
        plain_tx = plain_insert(svc.db, args.commands, per_transaction=True)
        balance_ms = time_ms(lambda: svc.account_balance("BENCH-B-H"))
        totals_ms = time_ms(svc.balances)
        plain_ms = plain_select_ms(svc.db, "BENCH-B-H")
        started = time.perf_counter()
        report = svc.verify()
        verify_s = time.perf_counter() - started
        read_s = read_all(svc.db)
        backend = "sqlite" if svc.db.is_sqlite else "postgresql"
        svc.db.dispose()
    out = {
        "benchmark": "ledger", "backend": backend, "entries": report.entries, "verify_ok": report.ok,
        "machine": {"python": platform.python_version(), "cpu_count": __import__("os").cpu_count(),
                    "platform": platform.platform()},
        "append_bulk_entries_per_s": round(bulk), "plain_insert_bulk_rows_per_s": round(plain_bulk),
        "append_bulk_vs_plain": round(bulk / plain_bulk, 3),
        "append_command_entries_per_s": round(command), "plain_insert_per_transaction_rows_per_s": round(plain_tx),
        "append_command_vs_plain": round(command / plain_tx, 3),
        "account_balance_ms": round(balance_ms, 2), "balances_by_sink_type_ms": round(totals_ms, 2),
        "plain_select_balance_ms": round(plain_ms, 3), "account_balance_vs_plain_select": round(balance_ms / plain_ms, 1),
        "verify_s": round(verify_s, 3), "read_baseline_s": round(read_s, 3),
        "verify_vs_read": round(verify_s / read_s, 2),
        "verify_entries_per_s": round(report.entries / verify_s),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
