"""Each ledger command against a bare chained transaction measured in the same run.

The floor (``chained_floor``) is what any hash-chained journal must pay per entry: one transaction
that takes the writer lock (``BEGIN IMMEDIATE`` on SQLite; ``pg_advisory_xact_lock`` on
PostgreSQL), reads the head (seq, hash), makes the entry's canonical JSON body (a sale-sized
payload; the body holds the seq, so it is made per row) and hashes it onto the previous hash with
SHA-256, inserts one row into a table of the journal's shape (same columns, key, unique request
id and index) and commits. It runs on a plain DBAPI connection from the same engine, with no ORM
and no SQLAlchemy between it and the driver.

Ours is each command through the service, as the app and the CLI call it: permission,
idempotency, writer lock, every rule and invariant check, projection and journal entry, one
transaction each. Measured for: collection (收储), issuance, sale, distribution of a sale's
proceeds, payment of the distribution's due items, retirement, pledge and release.

For each backend: SQLite at ``synchronous=FULL`` (the default) and ``NORMAL``, and PostgreSQL
when ``--database-url`` names one. The scenario (synthetic, like the demo): one collection
centre, a village collective with three households (by pseudonym), an enterprise, a bank, a
verifier and a clerk; ``--heavy`` parcels are collected and issued one command each (each needs
an estimate first, recorded untimed), then ``--commands`` of every other command.

Prints one JSON document: per backend, the floor's transactions per second and per command its
rate, median latency and ``ratio`` = command rate / floor rate (the issue's goal: ≥ 0.7). After
the run ``verify`` must pass. ``--short`` (CI): 4 heavy, 30 others; full: 40 heavy, 300 others.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ledger.domain import PartyKind  # noqa: E402
from methodologies.registry import get_methodology  # noqa: E402
from sinkledger.config import load_settings  # noqa: E402
from sinkledger.services.income import IncomeService  # noqa: E402
from sinkledger.services.registry import SYSTEM_ACTOR, Service  # noqa: E402
from sinkledger_base.canonical import canonical_json  # noqa: E402

BAMBOO = "sinkledger.bamboo-moso-management"
CENTRE, COLLECTIVE, ENTERPRISE, BANK = "BC-CENTRE", "BC-COL", "BC-ENT", "BC-BANK"
HOUSEHOLDS = {"BC-HH1": 5000, "BC-HH2": 3000, "BC-HH3": 2000}
TERMS = {"kind": "proceeds_share", "share_bp": 8000, "cost_fen_per_t": 200, "costs_note": "监测核证费 2 元/吨"}
PRICE_FEN_PER_T = 7341
FLOOR_ENTRY = {"seq": 0, "kind": "sale", "request_id": "sale-00000", "actor": "clerk",
               "recorded_at": "2026-12-04T00:00:00.000000+00:00",
               "payload": {"seller_account": f"{CENTRE}-H", "buyer_account": f"{ENTERPRISE}-H", "quantity": 1,
                           "price_fen_per_t": PRICE_FEN_PER_T, "amount_fen": PRICE_FEN_PER_T, "contract_no": "bench",
                           "moves": [{"batch_id": "CN330523-BF-BC-2024/1", "first": 1, "last": 1}] * 2}}


# -- the floor ----------------------------------------------------------------------------------

FLOOR_DDL = ("CREATE TABLE bench_chain (seq BIGINT PRIMARY KEY, kind VARCHAR(40) NOT NULL, "
             "request_id VARCHAR(120) NOT NULL UNIQUE, request_fingerprint VARCHAR(64) NOT NULL, "
             "actor VARCHAR(60) NOT NULL, recorded_at VARCHAR(40) NOT NULL, body TEXT NOT NULL, "
             "prev_hash VARCHAR(64) NOT NULL, entry_hash VARCHAR(64) NOT NULL)")


def chained_floor(svc: Service, n: int) -> dict[str, Any]:
    """``n`` bare chained transactions, one row each, on a plain DBAPI connection."""
    db = svc.db
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_chain")
        conn.exec_driver_sql(FLOOR_DDL)
        conn.exec_driver_sql("CREATE INDEX ix_bench_chain_kind ON bench_chain (kind)")
    raw = db.engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        mark = "?" if db.is_sqlite else "%s"
        insert = f"INSERT INTO bench_chain VALUES ({', '.join([mark] * 9)})"
        cur = dbapi.cursor()
        if db.is_sqlite:
            dbapi.isolation_level = None
        latencies = []
        started = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            if db.is_sqlite:
                cur.execute("BEGIN IMMEDIATE")
            else:
                cur.execute("SELECT pg_advisory_xact_lock(1)")
            cur.execute("SELECT seq, entry_hash FROM bench_chain ORDER BY seq DESC LIMIT 1")
            head = cur.fetchone()
            seq, prev = (head[0] + 1, head[1]) if head else (1, "0" * 64)
            body = canonical_json({**FLOOR_ENTRY, "seq": seq, "request_id": f"floor-{seq}"})
            digest = hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()
            cur.execute(insert, (seq, "sale", f"floor-{seq}", digest, "clerk", "2026-12-04T00:00:00", body,
                                 prev, digest))
            if db.is_sqlite:
                cur.execute("COMMIT")
            else:
                dbapi.commit()
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
    finally:
        raw.close()
    return _figures(n, elapsed, latencies)


def _figures(n: int, elapsed: float, latencies: list[float]) -> dict[str, Any]:
    return {"n": n, "per_s": round(n / elapsed, 1), "median_ms": round(statistics.median(latencies) * 1000, 3)}


def timed(calls: list[Callable[[], Any]]) -> tuple[dict[str, Any], list[Any]]:
    latencies, results = [], []
    started = time.perf_counter()
    for call in calls:
        t0 = time.perf_counter()
        results.append(call())
        latencies.append(time.perf_counter() - t0)
    return _figures(len(calls), time.perf_counter() - started, latencies), results


# -- the scenario -------------------------------------------------------------------------------

def rectangle(i: int) -> dict[str, Any]:
    west, south = 119.50 + (i % 20) * 0.006, 30.80 + (i // 20) * 0.006
    return {"type": "Polygon", "coordinates": [[[west, south], [west + 0.005, south], [west + 0.005, south + 0.005],
                                                [west, south + 0.005], [west, south]]]}


def setup(url: str, synchronous: str | None, heavy: int) -> Service:
    env = {"DATABASE_URL": url}
    if synchronous:
        env["SINKLEDGER_SQLITE_SYNCHRONOUS"] = synchronous
    svc = Service.open(load_settings(env))
    if svc.db.has_schema():
        svc.db.drop_schema()
    svc.initialise()
    parties = [(CENTRE, PartyKind.collection_centre), (COLLECTIVE, PartyKind.collective),
               (ENTERPRISE, PartyKind.enterprise), (BANK, PartyKind.bank), ("BC-VER", PartyKind.verifier),
               ("BC-TC", PartyKind.trading_centre), *((h, PartyKind.household) for h in HOUSEHOLDS)]
    for pid, kind in parties:
        svc.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=f"{pid}（合成）",
                           county_code="330523")
    for user, role, pid in [("bc-centre", "collection_centre", CENTRE), ("bc-clerk", "trading_clerk", "BC-TC"),
                            ("bc-ent", "enterprise", ENTERPRISE), ("bc-bank", "bank", BANK),
                            ("bc-ver", "verifier", "BC-VER")]:
        svc.create_user(username=user, password="password-1", role=role, party_id=pid, display_name=user)
    centre = svc.actor("bc-centre")
    for i in range(heavy):
        svc.register_parcel(centre, f"reg:{i}", parcel_code=f"BC-BF-{i:04d}", sink_type="bamboo_forest",
                            holder_party_id=COLLECTIVE, geometry=rectangle(i), county_code="330523",
                            household_shares_bp=HOUSEHOLDS)
    return svc


def run_commands(svc: Service, heavy: int, n: int) -> dict[str, Any]:
    income = IncomeService(svc)
    centre, clerk, ent = svc.actor("bc-centre"), svc.actor("bc-clerk"), svc.actor("bc-ent")
    bank, verifier = svc.actor("bc-bank"), svc.actor("bc-ver")
    out: dict[str, Any] = {}
    out["collection"], _ = timed([
        lambda i=i: svc.collect(centre, f"col:{i}", contract_no=f"BC-2021-{i:04d}", collective_party_id=COLLECTIVE,
                                parcel_codes=[f"BC-BF-{i:04d}"], term_start="2021-01-01", term_end="2051-01-01",
                                signed_date="2020-12-20", payment_terms=TERMS)
        for i in range(heavy)])
    inputs = get_methodology(BAMBOO).example_inputs()
    estimates = [svc.record_estimate(centre, f"est:{i}", parcel_codes=[f"BC-BF-{i:04d}"], methodology_id=BAMBOO,
                                     inputs=inputs) for i in range(heavy)]
    out["issuance"], issued = timed([
        lambda i=i, e=e: svc.issue(verifier, f"iss:{i}", estimate_id=e["estimate_id"],
                                   verified_kg_co2e=e["net_kg_co2e"], project_code="BC", buffer_share_bp=1000)
        for i, e in enumerate(estimates)])
    assert all(r["to_account"] == f"{CENTRE}-H" for r in issued), "issuance did not go to the centre"
    out["sale"], sales = timed([
        lambda i=i: svc.sell(clerk, f"sale:{i}", seller_account=f"{CENTRE}-H", buyer_account=f"{ENTERPRISE}-H",
                             quantity=1, price_fen_per_t=PRICE_FEN_PER_T, contract_no=f"BC-S-{i}")
        for i in range(n)])
    out["distribution"], distributions = timed([
        lambda s=s: income.distribute(centre, sale_seq=s["seq"]) for s in sales])
    items = [[{"due_id": item["id"], "amount_fen": item["outstanding_fen"]}
              for item in income.due_items(centre, source_id=d["distribution_id"], outstanding_only=True)]
             for d in distributions]
    out["payment"], _ = timed([
        lambda i=i, it=it: income.record_payment(centre, f"pay:{i}", items=it, paid_date=date.today().isoformat(),
                                                 reference=f"BC-PAY-{i}")
        for i, it in enumerate(items) if it])
    out["retirement"], _ = timed([
        lambda i=i: svc.retire(ent, f"ret:{i}", account_id=f"{ENTERPRISE}-H", quantity=1, beneficiary="BC-ENT",
                               purpose="bench")
        for i in range(n)])
    out["pledge"], pledges = timed([
        lambda i=i: svc.pledge(bank, f"pl:{i}", account_id=f"{CENTRE}-H", quantity=1, loan_reference=f"L-{i}",
                               loan_amount_fen=100_000, term_end="2030-01-01")
        for i in range(n)])
    out["release"], _ = timed([
        lambda i=i, p=p: svc.release(bank, f"rel:{i}", pledge_id=p["pledge_id"]) for i, p in enumerate(pledges)])
    return out


def measure(url: str, synchronous: str | None, heavy: int, n: int) -> dict[str, Any]:
    svc = setup(url, synchronous, heavy)
    floor = chained_floor(svc, max(n, 100))
    commands = run_commands(svc, heavy, n)
    floor_after = chained_floor(svc, max(n, 100))  # the machine's state drifts: take the floor twice
    floor_per_s = (floor["per_s"] + floor_after["per_s"]) / 2
    for figures in commands.values():
        figures["ratio"] = round(figures["per_s"] / floor_per_s, 3)
    report = svc.verify()
    svc.db.dispose()
    return {"synchronous": synchronous, "chained_floor": floor, "chained_floor_after": floor_after,
            "chained_floor_per_s": round(floor_per_s, 1), "commands": commands,
            "lowest_ratio": min(f["ratio"] for f in commands.values()), "verify_ok": report.ok,
            "entries": report.entries}


def measure_existing(url: str, n: int) -> dict[str, Any]:
    """On an existing ledger (the county-scale dataset: ``sinkledger demo --scale county``), left as
    it is but for the commands measured: ``n`` sales by the clerk from the account holding the
    most credits to an enterprise, retirements of 1 t by the clerk for that enterprise, pledges of
    1 t by the bank and their releases; the floor in a scratch table of the same database,
    dropped after. ``verify`` is left to the caller (minutes at a million entries)."""
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    from sqlalchemy import text

    with svc.db.read() as s:
        seller = s.execute(text("SELECT q.account_id FROM balance q JOIN account a ON a.id = q.account_id "
                                "WHERE q.state = 'held' AND a.kind = 'holding' GROUP BY q.account_id "
                                "ORDER BY sum(q.quantity) DESC LIMIT 1")).scalar()
        buyer = s.execute(text("SELECT a.id FROM account a JOIN party p ON p.id = a.party_id WHERE p.kind = "
                               "'enterprise' AND a.kind = 'holding' AND a.id != :s ORDER BY a.id LIMIT 1"),
                          {"s": seller}).scalar()
        entries = s.execute(text("SELECT max(seq) FROM journal_entry")).scalar()
    clerk, bank = svc.actor("clerk"), svc.actor("bank")
    tag = f"{time.time_ns()}"
    floor = chained_floor(svc, max(n, 100))
    out: dict[str, Any] = {}
    out["sale"], _ = timed([lambda i=i: svc.sell(clerk, f"bench-sale:{tag}:{i}", seller_account=seller,
                                                 buyer_account=buyer, quantity=1, price_fen_per_t=PRICE_FEN_PER_T,
                                                 contract_no=f"BENCH-{tag}") for i in range(n)])
    out["retirement"], _ = timed([lambda i=i: svc.retire(clerk, f"bench-ret:{tag}:{i}", account_id=buyer, quantity=1,
                                                         beneficiary="bench", purpose="bench") for i in range(n)])
    out["pledge"], pledges = timed([lambda i=i: svc.pledge(bank, f"bench-pl:{tag}:{i}", account_id=seller, quantity=1,
                                                           loan_reference=f"L-{tag}-{i}", loan_amount_fen=100_000,
                                                           term_end="2030-01-01") for i in range(n)])
    out["release"], _ = timed([lambda i=i, p=p: svc.release(bank, f"bench-rel:{tag}:{i}", pledge_id=p["pledge_id"])
                               for i, p in enumerate(pledges)])
    floor_after = chained_floor(svc, max(n, 100))
    with svc.db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_chain")
    floor_per_s = (floor["per_s"] + floor_after["per_s"]) / 2
    for figures in out.values():
        figures["ratio"] = round(figures["per_s"] / floor_per_s, 3)
    svc.db.dispose()
    return {"existing": True, "entries_before": entries, "seller_account": seller, "buyer_account": buyer,
            "chained_floor": floor, "chained_floor_after": floor_after, "chained_floor_per_s": round(floor_per_s, 1),
            "commands": out, "lowest_ratio": min(f["ratio"] for f in out.values())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=None, help="a PostgreSQL database to measure too (dropped!)")
    ap.add_argument("--short", action="store_true", help="CI size: 4 heavy commands, 30 of every other")
    ap.add_argument("--heavy", type=int, default=None, help="collections and issuances (default 40)")
    ap.add_argument("--commands", type=int, default=None, help="every other command (default 300)")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--existing", metavar="URL", default=None,
                    help="measure sale, retirement, pledge and release on this existing ledger (e.g. the county "
                         "dataset), changing nothing else; the other options are ignored but --commands")
    args = ap.parse_args()
    if args.existing:
        print(json.dumps({"benchmark": "commands", "commands": args.commands or 300,
                          "machine": {"python": platform.python_version(), "platform": platform.platform(),
                                      "load_average": [round(x, 2) for x in __import__("os").getloadavg()]},
                          "backends": {"existing": measure_existing(args.existing, args.commands or 300)}},
                         indent=2, ensure_ascii=False))
        return
    heavy = args.heavy or (4 if args.short else 40)
    n = args.commands or (30 if args.short else 300)
    backends: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("FULL", "NORMAL"):
            backends[f"sqlite_{mode.lower()}"] = measure(f"sqlite:///{Path(tmp) / f'cmd-{mode}.db'}", mode, heavy, n)
    if args.database_url and not args.sqlite_only:
        backends["postgresql"] = measure(args.database_url, None, heavy, n)
    print(json.dumps({"benchmark": "commands", "heavy": heavy, "commands": n,
                      "machine": {"python": platform.python_version(), "platform": platform.platform(),
                                  "load_average": [round(x, 2) for x in __import__("os").getloadavg()]},
                      "backends": backends}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
