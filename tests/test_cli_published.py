"""Published roots from the command line, as an operator and an outside checker run them: a real
process, a real (SQLite) database, key files on disk (docs/ledger.md, "Published roots")."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sinkledger.config import load_settings
from sinkledger.services.registry import SYSTEM_ACTOR, Service
from tests.ledger.test_published import grow, rewrite_everything


def sl(args: list[str], url: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SINKLEDGER_CHECKPOINT_")}
    full.update({"DATABASE_URL": url, "SINKLEDGER_HOME": str(home), **env})
    return subprocess.run([sys.executable, "-m", "sinkledger", *args], capture_output=True, text=True, env=full,
                          timeout=300)


def ok_json(proc: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)


def refusal(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr + proc.stdout
    error = json.loads(proc.stdout)["error"]
    assert error["message_zh"] and error["message_en"]
    return str(error["code"])


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """A registry with three parties and a dozen more entries (fast to make, unlike the demo)."""
    home = tmp_path_factory.mktemp("small")
    db = home / "ledger.db"
    svc = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{db}", "SINKLEDGER_HOME": str(home)}))
    svc.initialise()
    for party in ("ENT-1", "ENT-2", "ENT-3"):
        svc.register_party(SYSTEM_ACTOR, f"p:{party}", party_id=party, kind="enterprise", name=f"{party} 示例企业")
    grow(svc, 12)
    svc.db.dispose()
    return db


def test_publish_check_and_hold_the_operator_to_a_root(small_db, tmp_path):  # type: ignore[no-untyped-def]
    db = tmp_path / "ledger.db"
    shutil.copyfile(small_db, db)
    url, home = f"sqlite:///{db}", tmp_path

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return sl(list(args), url, home, **env)

    # keys: made once, private mode 0600, never overwritten
    made = ok_json(run("checkpoint", "keygen", "--out", str(tmp_path / "cp.key"), "--json"))
    key, pub = tmp_path / "cp.key", made["public_key_file"]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert refusal(run("checkpoint", "keygen", "--out", str(key), "--json")) == "key_file_exists"
    ok_json(run("checkpoint", "keygen", "--out", str(tmp_path / "other.key"), "--json"))

    # without a key: recorded unsigned; a file is refused
    assert ok_json(run("checkpoint", "--json"))["signed"] is False
    assert refusal(run("checkpoint", "--out", str(tmp_path / "x.json"), "--json")) == "checkpoint_key_not_configured"
    at_start = run("verify", SINKLEDGER_CHECKPOINT_KEY=str(tmp_path / "nope.key"))  # refused at start-up
    assert at_start.returncode == 2 and "checkpoint_key_invalid" in at_start.stdout + at_start.stderr
    signed = {"SINKLEDGER_CHECKPOINT_KEY": str(key)}

    first = ok_json(run("checkpoint", "--out", str(tmp_path / "cp1.json"), "--json", **signed))
    assert first["signed"] and first["files"] == [str(tmp_path / "cp1.json")]
    assert ok_json(run("checkpoint", "check", str(tmp_path / "cp1.json"), "--public-key", pub, "--json"))["ok"]
    assert ok_json(run("checkpoint", "check", str(tmp_path / "cp1.json"), "--public-key", made["public_key"],
                       "--json"))["tree_size"] == first["tree_size"]
    wrong_key = run("checkpoint", "check", str(tmp_path / "cp1.json"), "--public-key", str(tmp_path / "other.key.pub"))
    assert wrong_key.returncode == 1 and "key_mismatch" in wrong_key.stdout
    tampered = json.loads((tmp_path / "cp1.json").read_text())
    tampered["root"] = "0" * 64
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    bad = run("checkpoint", "check", str(tmp_path / "tampered.json"), "--public-key", pub, "--json")
    assert bad.returncode == 1 and json.loads(bad.stdout)["reason"] == "signature_invalid"
    assert refusal(run("checkpoint", "check", str(tmp_path / "cp1.json"), "--public-key", "zz", "--json")) == \
        "public_key_invalid"

    # the ledger grows; a second published root extends the first
    ok_json(run("init", "--json"))  # idempotent: no entry
    svc = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": str(home)}))
    grow(svc, 5)
    svc.db.dispose()
    second = ok_json(run("checkpoint", "--out", str(tmp_path / "cp2.json"), "--json", **signed))
    n1, n2 = first["tree_size"], second["tree_size"]
    assert n2 == n1 + 5
    cons = run("consistency-proof", str(n1), str(n2))
    assert cons.returncode == 0
    (tmp_path / "cons.json").write_text(cons.stdout)
    cp1, cp2 = str(tmp_path / "cp1.json"), str(tmp_path / "cp2.json")
    offline = {"DATABASE_URL": "sqlite:////nonexistent/folder/x.db"}  # the checks below need no database
    assert ok_json(run("consistency-check", cp1, cp2, "--proof", str(tmp_path / "cons.json"), "--public-key", pub,
                       "--json", **offline))["ok"]
    assert ok_json(run("consistency-check", cp1, cp2, "--json"))["ok"]  # the proof computed from the database
    assert run("consistency-check", cp2, cp1, "--proof", str(tmp_path / "cons.json"), **offline).returncode == 1
    assert refusal(run("consistency-proof", str(n2), str(n1), "--json")) == "consistency_sizes_invalid"

    # an inclusion proof issued at the first size holds against the second published root
    proof = run("proof", "7", "--tree-size", str(n1))
    (tmp_path / "p7.json").write_text(proof.stdout)
    assert run("proof-check", str(tmp_path / "p7.json"), "--root", cp1, "--public-key", pub, **offline).returncode == 0
    needs = run("proof-check", str(tmp_path / "p7.json"), "--root", cp2, "--json", **offline)
    assert needs.returncode == 1 and json.loads(needs.stdout)["reason"] == "consistency_proof_needed"
    assert run("proof-check", str(tmp_path / "p7.json"), "--root", cp2, "--consistency", str(tmp_path / "cons.json"),
               "--public-key", pub, **offline).returncode == 0

    # a full rewrite of the chain and its checkpoint rows passes a full replay, not verify --against
    assert ok_json(run("verify", "--against", cp1, "--public-key", pub, "--json"))["against"]["ok"]
    svc = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": str(home)}))
    rewrite_everything(svc)
    svc.db.dispose()
    held = run("verify")  # the verified checkpoint the passing run above recorded holds it...
    assert held.returncode == 1 and "no longer has the hash verified" in held.stderr + held.stdout
    full = run("verify", "--full")  # ...and so does a full run (every verified head recorded)...
    assert full.returncode == 1 and "no longer has the hash verified" in full.stderr + full.stdout
    svc = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": str(home)}))
    with svc.db.engine.begin() as conn:  # ...until the operator erases them too: the database then holds nothing
        conn.exec_driver_sql("DELETE FROM verified_checkpoint")
    svc.db.dispose()
    assert run("verify", "--full").returncode == 0  # ...a consistent rewrite replays cleanly in full...
    caught = run("verify", "--against", cp1, "--public-key", pub, "--json")
    assert caught.returncode == 1
    report = json.loads(caught.stdout)
    assert report["against"]["ok"] is False and report["against"]["tree_size"] == n1
    assert f"tree size {n1}" in report["problems"][-1]["problem"]
    plain = run("verify", "--against", cp1, "--public-key", pub)
    assert plain.returncode == 1 and f"tree size {n1}" in plain.stderr + plain.stdout
    assert run("consistency-check", cp1, cp2).returncode == 1  # the rewritten database's proof fails too
