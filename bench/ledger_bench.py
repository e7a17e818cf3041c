"""Ledger throughput and verify time, each against a plain-insert baseline measured in the same run.

Measures, on the database named by ``--database-url`` (default: a temporary SQLite file):

- ``append_bulk``: journal entries appended per second by :func:`ledger.bulk.append_many`
  (canonical JSON body, SHA-256 link, one driver executemany and one transaction per 10,000
  entries) vs ``plain_insert_bulk``: the very rows it wrote (same columns, bodies and hashes,
  read back) inserted by the same executemany into ``bench_plain``, a copy of ``journal_entry``'s
  DDL (primary key, unique request id, kind index), chunk after chunk in the same run; on
  PostgreSQL, where append_many writes by ``COPY``, also ``plain_copy_bulk``: the same rows by
  ``COPY`` into a second copy (the floor of that way of writing); and the same ratio in this
  process's CPU time (``append_bulk_vs_plain_cpu``: steadier on a loaded machine; on SQLite it
  holds the database's own work, on PostgreSQL the client's only);
- ``append_command``: sales recorded per second through the full command path (permission,
  idempotency, writer lock, block split, projection, one transaction each) vs
  ``plain_insert_per_transaction``: one journal-shaped row into ``bench_plain`` per transaction;
- ``balance_query``: milliseconds for one account's balance and for the totals by sink type,
  through the service (session, account check, projection query) vs ``plain_select``: the same
  account's balance rows summed by one raw SQL query on an open connection (the floor);
- ``verify``: seconds for ``sinkledger verify`` (re-hash, replay, compare) over the whole
  journal vs ``read_baseline``: seconds to read every journal row.

Prints one JSON document. Short mode (CI): ``--entries 20000``; full: ``--entries 1000000``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ledger.bulk import COLUMNS, BulkEntry, append_many, insert_sql, read_head  # noqa: E402
from ledger.domain import Block, BlockSet, BlockState, Move  # noqa: E402
from sinkledger.config import load_settings  # noqa: E402
from sinkledger.services.registry import SYSTEM_ACTOR, Service  # noqa: E402
from sinkledger_base.canonical import canonical_json  # noqa: E402

CHUNK = 10_000
RECORDED_AT = "2026-01-01T00:00:00"


def create_floor_table(db) -> None:  # type: ignore[no-untyped-def]
    """``bench_plain``: a copy of ``journal_entry``'s DDL (columns, primary key, unique request id,
    the kind index) for the plain-insert floors. On PostgreSQL ``LIKE ... INCLUDING ALL`` (which
    leaves out the append-only triggers: they fire on UPDATE and DELETE, never on INSERT)."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_plain")
        if db.is_sqlite:
            ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE tbl_name = 'journal_entry' AND sql IS NOT NULL "
                                       "ORDER BY type = 'table' DESC").scalars().all()
            for statement in ddl:
                conn.exec_driver_sql(statement.replace("journal_entry", "bench_plain"))
        else:
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_plain_copy")
            conn.exec_driver_sql("CREATE TABLE bench_plain (LIKE journal_entry INCLUDING ALL)")
            conn.exec_driver_sql("CREATE TABLE bench_plain_copy (LIKE journal_entry INCLUDING ALL)")


BENCH_PREFIX = "CN330500-BF-BENCH-2024"
PRICE_FEN_PER_T = 7341


def history_chunk(start: int, stop: int, n: int, seq0: int, batch_id: str, blocks: BlockSet) -> list[BulkEntry]:
    """Entries ``start..stop-1`` of the history: one issuance of ``n`` credits, then single-credit
    sales A→B (the worst case for block splitting), with the payloads the commands write (so that
    ``verify``'s table audits find a real ledger); their moves are applied to ``blocks``."""
    entries = []
    for i in range(start, stop):
        if i == 0:
            moves = [Move(batch_id, 1, n, None, None, "BENCH-A-H", BlockState.held)]
            batch = {"batch_id": batch_id, "serial_prefix": BENCH_PREFIX, "vintage_year": 2024, "first": 1,
                     "last": n, "quantity": n, "buffer_t": 0}
            kind, payload = "issuance", {"estimate_id": "-", "methodology_id": "-", "methodology_version": "-",
                                         "parcel_codes": [], "period_start": "2024-01-01",
                                         "period_end": "2025-01-01", "batches": [batch],
                                         "moves": [m.to_record() for m in moves]}
        else:
            moves = [Move(batch_id, i, i, "BENCH-A-H", BlockState.held, "BENCH-B-H", BlockState.held)]
            kind, payload = "sale", {"seller_account": "BENCH-A-H", "buyer_account": "BENCH-B-H", "quantity": 1,
                                     "price_fen_per_t": PRICE_FEN_PER_T, "amount_fen": PRICE_FEN_PER_T,
                                     "contract_no": "bench", "moves": [m.to_record() for m in moves]}
        for m in moves:
            blocks.apply(m)
        request_id = f"bench-{seq0 + i + 1}"
        entries.append((kind, request_id, hashlib.sha256(request_id.encode()).hexdigest(), "bench", RECORDED_AT,
                        payload))
    return entries


def seed_history(svc: Service, n: int) -> tuple[float, float, float | None]:
    """Append ``n`` entries through :func:`ledger.bulk.append_many` (canonical JSON, SHA-256 chain,
    one executemany and one transaction per 10,000) and write the matching projection; after each
    chunk, insert the very rows it wrote (read back: same columns, bodies and hashes) into
    ``bench_plain`` by the same executemany in a transaction of its own (the floor); on PostgreSQL
    also by ``COPY`` into ``bench_plain_copy`` (the floor of append_many's own way of writing
    there, reported beside the goal's). Return (entries per second, floor rows per second, COPY
    floor rows per second or None); payload building and the projection are not timed."""
    db = svc.db
    create_floor_table(db)
    with db.write() as s:
        head = read_head(s.connection())
    seq0 = head[0]
    batch_id, blocks = "BENCH/1", BlockSet()
    ours = floor = copy_floor = 0.0
    cpu = {"ours": 0.0, "floor": 0.0}  # this process's CPU seconds (steadier than wall time on a loaded machine)
    select = text(f"SELECT {', '.join(COLUMNS)} FROM journal_entry WHERE seq > :a AND seq <= :b ORDER BY seq")
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        entries = history_chunk(start, stop, n, seq0, batch_id, blocks)
        gc.freeze()  # the harness's objects (payloads, replayed blocks) stay out of the collector's scans
        started, cpu_started = time.perf_counter(), time.process_time()
        with db.write() as s:
            head = append_many(s, entries, head)
        ours += time.perf_counter() - started
        cpu["ours"] += time.process_time() - cpu_started
        with db.read() as s:
            rows = [tuple(r) for r in s.execute(select, {"a": seq0 + start, "b": seq0 + stop})]
        gc.freeze()
        started, cpu_started = time.perf_counter(), time.process_time()
        with db.write() as s:
            conn = s.connection()
            cursor = conn.connection.cursor()
            cursor.executemany(insert_sql(conn, "bench_plain"), rows)  # append_many's call, on a list
            cursor.close()
        floor += time.perf_counter() - started
        cpu["floor"] += time.process_time() - cpu_started
        if not db.is_sqlite:
            gc.freeze()
            started = time.perf_counter()
            with db.write() as s:
                cursor = s.connection().connection.cursor()
                with cursor.copy(f"COPY bench_plain_copy ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.close()
            copy_floor += time.perf_counter() - started
    _insert_batch_and_blocks(db, batch_id, n, blocks.blocks(), seq0)
    CPU_SECONDS.update(cpu)
    return n / ours, n / floor, (n / copy_floor if copy_floor else None)


CPU_SECONDS: dict[str, float] = {}  # seed_history's CPU seconds (this process only), ours and the floor's


def _insert_batch_and_blocks(db, batch_id: str, n: int, blocks: list[Block], seq0: int) -> None:  # type: ignore[no-untyped-def]
    """The projection of the history after entry ``seq0``: its batch, sale rows, blocks and balances."""
    with db.write() as s:
        s.execute(text("INSERT INTO batch (id, serial_prefix, region_code, county_code, sink_type, project_code, "
                       "vintage_year, first, last, buffer_quantity, issuance_seq, estimate_id, methodology_id, "
                       "methodology_version, period_start, period_end) VALUES (:id, :p, '330500', '330500', "
                       "'bamboo_forest', 'BENCH', 2024, 1, :n, 0, :seq, '-', '-', '-', '2024-01-01', '2025-01-01')"),
                  {"id": batch_id, "p": BENCH_PREFIX, "n": n, "seq": seq0 + 1})
        for start in range(2, n + 1, CHUNK):
            s.execute(text("INSERT INTO sale (seq, seller_account, buyer_account, quantity, price_fen_per_t, amount_fen, "
                           "contract_no, recorded_at) VALUES (:seq, 'BENCH-A-H', 'BENCH-B-H', 1, :p, :p, 'bench', :t)"),
                      [{"seq": seq0 + i, "p": PRICE_FEN_PER_T, "t": RECORDED_AT}
                       for i in range(start, min(n, start + CHUNK - 1) + 1)])
        rows = [{"b": b.batch_id, "f": b.first, "l": b.last, "a": b.account_id, "s": b.state.value} for b in blocks]
        for i in range(0, len(rows), CHUNK):
            s.execute(text("INSERT INTO credit_block (batch_id, first, last, account_id, state) "
                           "VALUES (:b, :f, :l, :a, :s)"), rows[i:i + CHUNK])
        sums: dict[tuple[str, str], int] = {}
        for b in blocks:
            sums[(b.account_id, b.state.value)] = sums.get((b.account_id, b.state.value), 0) + b.quantity
        s.execute(text("INSERT INTO balance (account_id, batch_id, state, quantity, vintage_year, issuance_seq) "
                       "SELECT :a, id, :s, :q, vintage_year, issuance_seq FROM batch WHERE id = :b"),
                  [{"a": a, "b": batch_id, "s": st, "q": q} for (a, st), q in sums.items()])


def plain_insert_per_transaction(db, n: int) -> float:  # type: ignore[no-untyped-def]
    """Rows per second inserted into ``bench_plain`` (the journal's shape) one per transaction."""
    body = canonical_json({"quantity": 1, "price_fen_per_t": 7341, "moves": [Move("B", 1, 1, "A", BlockState.held, "B",
                                                                                   BlockState.held).to_record()]})
    rows = [(10**12 + i, "sale", f"p-{i}", "0" * 64, "bench", RECORDED_AT, body, "0" * 64, "0" * 64)
            for i in range(1, n + 1)]
    started = time.perf_counter()
    for r in rows:
        with db.write() as s:
            conn = s.connection()
            conn.exec_driver_sql(insert_sql(conn, "bench_plain"), r)
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
        bulk, plain_bulk, copy_bulk = seed_history(svc, args.entries)
        command = command_rate(svc, args.commands)
        plain_tx = plain_insert_per_transaction(svc.db, args.commands)
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
        "append_bulk_cpu_us_per_entry": round(CPU_SECONDS["ours"] / args.entries * 1e6, 2),
        "plain_insert_bulk_cpu_us_per_row": round(CPU_SECONDS["floor"] / args.entries * 1e6, 2),
        "append_bulk_vs_plain_cpu": round(CPU_SECONDS["floor"] / CPU_SECONDS["ours"], 3),
        "plain_copy_bulk_rows_per_s": round(copy_bulk) if copy_bulk else None,
        "append_bulk_vs_plain_copy": round(bulk / copy_bulk, 3) if copy_bulk else None,
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
