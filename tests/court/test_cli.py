"""The court story from the command line, as a user runs it: real processes, a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.court.conftest import CASE_NO


def run(url: str, *args: str, code: int = 0) -> dict:
    proc = subprocess.run([sys.executable, "-m", "sinkledger", *args, "--json"], capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url}, timeout=300)
    assert proc.returncode == code, proc.stderr + proc.stdout
    return json.loads(proc.stdout)


def test_the_story_from_the_cli(stocked, tmp_path):  # type: ignore[no-untyped-def]
    url = stocked.service.settings.database_url
    run(url, "court", "case", "--case-no", CASE_NO, "--judgment-date", "2024-03-15", "--defendant", "DEF-1",
        "--sink-type", "bamboo_forest", "--county", "330523", "--ecosystem", "示例竹林生态系统", "--area-ha", "0.062355",
        "--description", "非法采石毁坏林地", "--actor", "judge")
    denied = run(url, "court", "order", CASE_NO, "--item", "第二项", "--kind", "money", "--amount-yuan", "122366",
                 "--due", "2024-12-31", "--actor", "procurator", code=2)
    assert denied["error"]["code"] == "not_permitted"
    order = run(url, "court", "order", CASE_NO, "--item", "判决第二项", "--kind", "money", "--amount-yuan", "122366",
                "--due", "2024-12-31", "--actor", "judge")
    assert order["amount_fen"] == 12_236_600
    first = run(url, "court", "fulfil", order["order_id"], "--from", "COL-1-H", "--price-yuan", "58.83",
                "--quantity", "1000", "--contract", "HZGT-1", "--actor", "clerk")
    second = run(url, "court", "fulfil", order["order_id"], "--from", "COL-1-H", "--price-fen", "5883",
                 "--contract", "HZGT-2", "--actor", "clerk")
    assert (first["quantity_t"], second["quantity_t"], second["remainder_fen"]) == (1_000, 1_079, 5_843)
    status = run(url, "court", "status", "--case", CASE_NO, "--actor", "procurator")
    assert status["orders"][0]["status"] == "fulfilled"
    pdf = tmp_path / "cert.pdf"
    cert = run(url, "certificate", "issue", order["order_id"], "--pdf", str(pdf), "--actor", "judge")
    verified = run(url, "certificate", "verify", cert["code"])
    assert verified["ok"] and verified["record"]["totals"]["quantity_t"] == 2_079
    assert run(url, "certificate", "verify", "--pdf", str(pdf))["ok"]
    forged = run(url, "certificate", "verify", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", code=2)
    assert forged["error"]["code"] == "certificate_not_found"
    report = run(url, "court", "report", "--actor", "procurator", "--xlsx", str(tmp_path / "r.xlsx"))
    assert report["summary"][0]["retired_t"] == 2_079 and (tmp_path / "r.xlsx").exists()
    ledger = subprocess.run([sys.executable, "-m", "sinkledger", "verify", "--json"], capture_output=True,
                            text=True, env={**os.environ, "DATABASE_URL": url}, timeout=300)
    assert ledger.returncode == 0 and json.loads(ledger.stdout)["ok"]


def test_every_court_command_has_help(tmp_path):  # type: ignore[no-untyped-def]
    for command in ("court case", "court document", "court propose", "court order", "court amend", "court withdraw",
                    "court fulfil", "court status", "court report", "certificate issue", "certificate pdf",
                    "certificate verify"):
        proc = subprocess.run([sys.executable, "-m", "sinkledger", *command.split(), "--help"], capture_output=True,
                              text=True, env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
        assert proc.returncode == 0 and "Usage:" in proc.stdout, command
