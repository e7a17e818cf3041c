"""``sinkledger public ...`` as a user runs it: real processes against the seeded world, on
SQLite and PostgreSQL; the certificate it writes carries a proof that ``proof-check`` accepts."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from pypdf import PdfReader

from ledger.domain import format_serial


def run(service, *args: str, code: int = 0) -> dict:  # type: ignore[no-untyped-def,type-arg]
    env = {**os.environ, "DATABASE_URL": service.settings.database_url,
           "SINKLEDGER_HOME": str(service.settings.home)}
    done = subprocess.run([sys.executable, "-m", "sinkledger", *args, "--json"], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    assert done.returncode == code, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_public_commands_answer_as_the_service(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service, _ = world
    retirement = service.public.retirement(service.public.retirements(limit=1)["items"][0]["retirement_id"])
    prefix, first = retirement["blocks"][0]["serials"].split("..")[0].rsplit("-", 1)
    serial = format_serial(prefix, int(first))
    assert run(service, "public", "serial", serial)["retirement"]["retirement_id"] == retirement["retirement_id"]
    assert run(service, "public", "serial", "nope", code=2)["error"]["code"] == "serial_invalid"
    page = run(service, "public", "retirements", "--limit", "1")
    assert page["items"][0]["retirement_id"] == retirement["retirement_id"]

    proof = tmp_path / "proof.json"
    entry = run(service, "public", "entry", retirement["entry_hash"], "--out", str(proof))
    assert entry["seq"] == retirement["seq"] and entry["proof_ok"] is True
    assert run(service, "proof-check", str(proof))["ok"] is True

    pdf = tmp_path / "certificate.pdf"
    run(service, "public", "retirement-certificate", retirement["retirement_id"], "--out", str(pdf), "--lang", "en")
    words = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert retirement["retirement_id"] in words and "Retirement Certificate" in words

    credits = tmp_path / "credits.csv"
    run(service, "public", "offsetsdb", "credits", "--out", str(credits))
    rows = list(csv.DictReader(io.StringIO(credits.read_text(encoding="utf-8"))))
    retired = [r for r in rows if r["transaction_type"] == "retirement"]
    assert sum(int(r["quantity"]) for r in retired) == sum(
        r["quantity"] for r in service.public.retirements(limit=200)["items"])
