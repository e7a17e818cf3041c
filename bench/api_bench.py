"""The HTTP API's speed (issue 18, point 5), against floors measured in the same run.

Starts ``sinkledger api`` as its own process over a SQLite ledger (exactly as an operator starts
it) and measures, with a key acting as the trading clerk:

- **reads**: one account's balance (``GET /v1/accounts/{id}/balance``), a serial look-up
  (``GET /public/serials/{serial}``), a retirement certificate check (``GET
  /public/retirements/{id}``, the record the certificate's link shows; with its inclusion proof
  reported apart), a public entry look-up without proof (``GET /public/entries/{seq}?proof=false``)
  and the key check alone (``GET /v1/whoami``): the server's time and CPU (its ``Server-Timing``
  header) and the client's round trip, median and 95th percentile. Goal: server time ≤ 5 ms.
  The floor of each is a plain SQL read of the same row(s) (``sqlite3``, one open connection);
  the floor of HTTP itself is ``GET /health`` (no key, no database);
- **a sale**: ``POST /v1/sales`` against the same sale through ``Service.sell`` in this process,
  interleaved one by one on the same ledger. Goal: HTTP ≤ 1.5 × in-process.

The ledger is written (keys, sales, the key-use log): ``--database`` must be a copy you can
spare. ``--short`` builds a small county ledger itself (``sinkledger demo --scale county
--parcels 150 --entries 1500``) in a temporary folder. Prints one JSON document.

    python bench/api_bench.py --short
    cp /tmp/county.db /tmp/county-copy.db && python bench/api_bench.py --database /tmp/county-copy.db
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.domain import format_serial  # noqa: E402
from sinkledger.config import load_settings  # noqa: E402
from sinkledger.services import apikeys  # noqa: E402
from sinkledger.services.registry import Service  # noqa: E402

GOAL_READ_MS = 5.0
GOAL_SALE_RATIO = 1.5
START_TIMEOUT_S = 120
UNLIMITED = "10000000"  # the rate limits out of the way: the bench measures, it does not flood


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 3),
            "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3), "n": len(ordered)}


def build_short(folder: Path) -> Path:
    """A small county ledger, built by the CLI as a user builds one."""
    path = folder / "ledger.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "SINKLEDGER_HOME": str(folder),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-m", "sinkledger", "demo", "--scale", "county", "--parcels", "150",
                    "--entries", "1500"], env=env, check=True, stdout=subprocess.DEVNULL)
    return path


def targets(path: Path) -> dict[str, Any]:
    """What the reads ask for, found by plain SQL: the enterprise holding most (the balance read
    and the seller), another enterprise (the buyer), a serial in the middle of a block, the
    latest retirement, an entry half-way down the journal."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        holders = con.execute("SELECT account_id FROM balance WHERE state = 'held' AND account_id LIKE 'ENT-%' "
                              "GROUP BY account_id ORDER BY sum(quantity) DESC LIMIT 2").fetchall()
        block = con.execute("SELECT b.serial_prefix, c.batch_id, c.first, c.last FROM credit_block c "
                            "JOIN batch b ON b.id = c.batch_id ORDER BY c.rowid DESC LIMIT 1 OFFSET 7").fetchone()
        retirement = con.execute("SELECT id FROM retirement ORDER BY seq DESC LIMIT 1").fetchone()
        entries = con.execute("SELECT max(seq) FROM journal_entry").fetchone()[0]
    if len(holders) < 2 or block is None or retirement is None:
        raise SystemExit("the ledger needs two enterprises holding credits, credit blocks and a retirement")
    number = (block[2] + block[3]) // 2
    return {"seller": holders[0][0], "buyer": holders[1][0], "serial": format_serial(block[0], number),
            "batch_id": block[1], "serial_number": number, "retirement": retirement[0], "entries": entries,
            "entry_seq": max(1, entries // 2)}


def floors(path: Path, t: dict[str, Any], runs: int) -> dict[str, dict[str, float]]:
    """ms of the plain SQL read of the same row(s) each endpoint reads, on one open connection."""
    reads: dict[str, tuple[str, tuple[Any, ...]]] = {
        "balance": ("SELECT state, sum(quantity) FROM balance WHERE account_id = ? GROUP BY state", (t["seller"],)),
        "serial": ("SELECT first, last, account_id, state, tag FROM credit_block WHERE batch_id = ? AND first <= ? "
                   "ORDER BY first DESC LIMIT 1", (t["batch_id"], t["serial_number"])),
        "retirement": ("SELECT * FROM retirement WHERE id = ?", (t["retirement"],)),
        "entry": ("SELECT seq, kind, recorded_at, body, prev_hash, entry_hash FROM journal_entry WHERE seq = ?",
                  (t["entry_seq"],)),
        "whoami": ("SELECT * FROM api_key WHERE key_id = ?", (t["key_id"],)),
    }
    out = {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        for name, (sql, params) in reads.items():
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                con.execute(sql, params).fetchall()
                times.append((time.perf_counter() - start) * 1000)
            out[name] = _summary(times)
    return out


class Api:
    """``sinkledger api`` on a free port of 127.0.0.1 over ``url``."""

    def __init__(self, url: str, home: Path) -> None:
        self.port = _free_port()
        self.log = open(home / "api.log", "w+")  # noqa: SIM115 - open for the server's whole life
        env = {**os.environ, "DATABASE_URL": url, "SINKLEDGER_HOME": str(home),
               "SINKLEDGER_API_BURST": UNLIMITED, "SINKLEDGER_API_RATE_PER_MINUTE": UNLIMITED,
               "SINKLEDGER_PUBLIC_BURST": UNLIMITED, "SINKLEDGER_PUBLIC_RATE_PER_MINUTE": UNLIMITED,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen([sys.executable, "-m", "sinkledger", "api", "--port", str(self.port)],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the API stopped: {self._output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit(f"the API did not start: {self._output()}")

    def _output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-2000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def server_timing(response: httpx.Response) -> tuple[float, float]:
    """(wall, cpu) ms of the answer's ``Server-Timing``: ``app;dur=…, cpu;dur=…``."""
    return _timing(response.headers["server-timing"])


def _timing(header: str) -> tuple[float, float]:
    app, cpu = (float(part.split("dur=")[1]) for part in header.split(","))
    return app, cpu


def timed(http: httpx.Client, call: Callable[[], httpx.Response], runs: int, warm: int) -> dict[str, Any]:
    """Server time and CPU (``Server-Timing``) and round trip of ``runs`` calls after ``warm`` unmeasured ones."""
    for _ in range(warm):
        call().raise_for_status()
    server, cpu, client = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        response = call()
        client.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        wall, used = server_timing(response)
        server.append(wall)
        cpu.append(used)
    return {"server_ms": _summary(server), "server_cpu_ms": _summary(cpu), "client_ms": _summary(client)}


def reads(http: httpx.Client, t: dict[str, Any], runs: int) -> dict[str, dict[str, Any]]:
    warm = max(3, runs // 10)
    paths = {"balance": f"/v1/accounts/{t['seller']}/balance", "serial": f"/public/serials/{t['serial']}",
             "retirement": f"/public/retirements/{t['retirement']}",
             "entry": f"/public/entries/{t['entry_seq']}?proof=false", "whoami": "/v1/whoami"}
    out = {name: timed(http, lambda p=path: http.get(p), runs, warm) | {"path": path} for name, path in paths.items()}
    # the floor of HTTP itself: a round trip to an endpoint that reads nothing (no key, no database)
    out["health_http_floor"] = timed(http, lambda: http.get("/health"), runs, warm)
    proof_runs = max(2, runs // 100)  # reported, not a goal of this bench (issue 18, point 4)
    out["retirement_with_proof"] = timed(http, lambda: http.get(f"/public/retirements/{t['retirement']}?proof=true"),
                                         proof_runs, 1)
    return out


class PlainClient:
    """The thinnest HTTP client of the standard library (``http.client``, one kept-alive
    connection): the round trip an institution's own system would see, without a Python client
    library's own cost (httpx adds ~0.5 ms a request here; BENCHMARKS.md shows both)."""

    def __init__(self, url: str, key: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)
        self.key = key

    def post_json(self, path: str, raw: bytes, request_id: str) -> tuple[int, bytes, str]:
        self.connection.request("POST", path, body=raw, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {self.key}", "Idempotency-Key": request_id})
        response = self.connection.getresponse()
        return response.status, response.read(), response.getheader("server-timing") or ""

    def close(self) -> None:
        self.connection.close()


def sales(http: httpx.Client, plain: PlainClient, svc: Service, t: dict[str, Any], n: int) -> dict[str, Any]:
    """``n`` sales over HTTP with each client and ``n`` through the service, interleaved one by
    one, all of 1 t between the same accounts."""
    clerk = svc.actor("clerk")
    body = {"seller_account": t["seller"], "buyer_account": t["buyer"], "quantity": 1, "price_fen_per_t": 5000,
            "contract_no": "API-BENCH（合成）"}
    raw = json.dumps(body).encode()
    times: dict[str, list[float]] = {k: [] for k in ("httpx", "plain", "server", "server_cpu", "in_process",
                                                      "in_process_cpu")}
    for i in range(n + 2):
        start = time.perf_counter()
        response = http.post("/v1/sales", json=body, headers={"Idempotency-Key": f"api-bench-{uuid.uuid4()}"})
        took_httpx = (time.perf_counter() - start) * 1000
        if not response.is_success:
            raise SystemExit(f"the sale over HTTP was refused: {response.text}")
        start = time.perf_counter()
        status, answer, timing = plain.post_json("/v1/sales", raw, f"api-bench-{uuid.uuid4()}")
        took_plain = (time.perf_counter() - start) * 1000
        if status != 201:
            raise SystemExit(f"the sale over HTTP was refused: {answer!r}")
        start, cpu = time.perf_counter(), time.process_time()
        svc.sell(clerk, f"api-bench-{uuid.uuid4()}", **body)
        took_in, cpu_in = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
        if i >= 2:  # the first two warm every path
            wall, used = _timing(timing)
            for name, value in (("httpx", took_httpx), ("plain", took_plain), ("server", wall), ("server_cpu", used),
                                ("in_process", took_in), ("in_process_cpu", cpu_in)):
                times[name].append(value)
    summary = {name: _summary(values) for name, values in times.items()}
    h, p, s = summary["httpx"], summary["plain"], summary["in_process"]
    ratio = p["median"] / s["median"]
    return {"http_client_ms": p, "http_client": "http.client (standard library, kept alive)",
            "httpx_client_ms": h, "http_server_ms": summary["server"], "http_server_cpu_ms": summary["server_cpu"],
            "in_process_ms": s, "in_process_cpu_ms": summary["in_process_cpu"],
            "http_overhead_ms": round(p["median"] - s["median"], 3),
            "ratio_http_to_in_process": round(ratio, 3),
            "ratio_httpx_to_in_process": round(h["median"] / s["median"], 3),
            "ratio_server_to_in_process": round(summary["server"]["median"] / s["median"], 3),
            "ratio_server_cpu_to_in_process_cpu": round(
                summary["server_cpu"]["median"] / max(summary["in_process_cpu"]["median"], 1e-3), 3),
            "goal_ratio": GOAL_SALE_RATIO, "ok": ratio <= GOAL_SALE_RATIO}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="an existing SQLite ledger to use (it is written: give a copy)")
    parser.add_argument("--short", action="store_true", help="build a small county ledger and measure a little")
    parser.add_argument("--runs", type=int, default=None, help="measured calls per read (default 300; short 30)")
    parser.add_argument("--sales", type=int, default=None, help="sales each way (default 100; short 10)")
    args = parser.parse_args()
    if bool(args.database) == args.short:
        parser.error("give exactly one of --database and --short")
    runs = args.runs or (30 if args.short else 300)
    n_sales = args.sales or (10 if args.short else 100)
    home = Path(tempfile.mkdtemp(prefix="api-bench-"))
    try:
        path = build_short(home) if args.short else Path(args.database)
        url = f"sqlite:///{path}"
        svc = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": str(home)}))
        svc.db.ensure_current()
        t = targets(path)
        made = apikeys.create_key(svc, svc.actor("admin"), username="clerk", label="api_bench")
        t["key_id"] = made["key_id"]
        api = Api(url, home)
        try:
            with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {made['key']}"},
                              timeout=120) as http:
                plain = PlainClient(api.url, made["key"])
                try:
                    measured = reads(http, t, runs)
                    sold = sales(http, plain, svc, t, n_sales)
                finally:
                    plain.close()
        finally:
            api.stop()
        floor = floors(path, t, runs)
        for name, figures in measured.items():
            if name in floor:
                server = figures["server_ms"]["median"]
                figures |= {"floor_ms": floor[name], "goal_server_ms": GOAL_READ_MS, "ok": server <= GOAL_READ_MS,
                            "ratio_to_floor": round(server / max(floor[name]["median"], 1e-3), 1)}
        report = svc.verify(full=False)
        svc.db.dispose()
        out = {"benchmark": "api", "database": "short county ledger" if args.short else str(path),
               "entries": t["entries"], "targets": {k: t[k] for k in ("seller", "buyer", "serial", "retirement",
                                                                     "entry_seq")},
               "reads": measured, "sale": sold, "verify_ok": report.ok,
               "reads_ok": all(f.get("ok", True) for f in measured.values()), "load_average": list(os.getloadavg())}
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
