"""Compensation and an obligation from the command line, as a user runs them: real processes, a
real database (the instruments' world: the income bundle issued to the centre, an authority)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.instruments.conftest import CENTRE


def run(url: str, *args: str, code: int = 0) -> dict:
    proc = subprocess.run([sys.executable, "-m", "sinkledger", *args, "--json"], capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url}, timeout=300)
    assert proc.returncode == code, proc.stderr + proc.stdout
    return json.loads(proc.stdout)


def test_a_programme_and_an_obligation_from_the_cli(world, tmp_path):  # type: ignore[no-untyped-def]
    url = world.settings.database_url
    run(url, "compensation", "programme", "--code", "CLI-EPC-1", "--name", "命令行补偿", "--reference", "R-1",
        "--basis", "per_t", "--rate-yuan", "15", "--budget-yuan", "100000", "--sink-type", "bamboo_forest",
        "--county", "330523", "--vintage-from", "2021", "--vintage-to", "2026", "--period-start", "2026-01-01",
        "--period-end", "2026-12-31", "--actor", "authority")
    payable = run(url, "compensation", "payable", "CLI-EPC-1", "--actor", "authority")
    estimate = payable[0]["estimate_id"]
    preview = run(url, "compensation", "pay", "CLI-EPC-1", estimate, "--date", "2026-06-30", "--reference", "R",
                  "--preview", "--actor", "authority")
    paid = run(url, "compensation", "pay", "CLI-EPC-1", estimate, "--date", "2026-06-30", "--reference", "R",
               "--actor", "authority")
    assert paid["amount_fen"] == preview["amount_fen"] == 1_500 * payable[0]["quantity_t"]
    again = run(url, "compensation", "pay", "CLI-EPC-1", estimate, "--date", "2026-07-01", "--reference", "R2",
                "--actor", "authority", code=2)
    assert again["error"]["code"] == "compensation_already_paid"
    assert [p["id"] for p in run(url, "compensation", "payments", "--actor", "centre")] == [paid["payment_id"]]
    ob = run(url, "obligations", "set", "--enterprise", "ENT-1", "--quantity", "5", "--deadline", "2026-12-31",
             "--start", "2026-01-01", "--sink-type", "bamboo_forest", "--vintage-from", "2020", "--vintage-to", "2026",
             "--reference", "R-OB", "--actor", "authority")
    zero = run(url, "obligations", "set", "--enterprise", "ENT-1", "--quantity", "0", "--deadline", "2026-12-31",
               "--sink-type", "bamboo_forest", "--vintage-from", "2020", "--vintage-to", "2026", "--reference", "R",
               "--actor", "authority", code=2)
    assert zero["error"]["code"] == "quantity_must_be_positive"
    met = run(url, "obligations", "surrender", ob["obligation_id"], "--quantity", "5", "--from", f"{CENTRE}-H",
              "--price-yuan", "80", "--contract", "CLI-C-1", "--actor", "clerk")
    assert met["status"] == "met" and met["shortfall_t"] == 0
    pdf = tmp_path / "ob.pdf"
    cert = run(url, "obligations", "certificate", ob["obligation_id"], "--pdf", str(pdf), "--lang", "en",
               "--actor", "authority")
    assert run(url, "obligations", "verify", cert["code"])["ok"]
    assert run(url, "obligations", "verify", "--pdf", str(pdf))["ok"]
    status = run(url, "obligations", "status", ob["obligation_id"], "--actor", "ent")
    assert status["status"] == "met" and status["certificates"][0]["code"] == cert["code"]
    ledger = subprocess.run([sys.executable, "-m", "sinkledger", "verify", "--json"], capture_output=True,
                            text=True, env={**os.environ, "DATABASE_URL": url}, timeout=300)
    assert ledger.returncode == 0 and json.loads(ledger.stdout)["ok"]
