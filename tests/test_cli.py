"""The ``sinkledger`` command line as a user runs it: a real process, a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest

HOME = tempfile.mkdtemp(prefix="sinkledger-cli-")  # key files and the like, never the user's home
COMMANDS = ["init", "demo", "verify", "balances", "parcels", "parcels list", "history", "estimate",
            "issue", "sell", "retire", "app", "import-registry", "collect", "pledge", "release", "reverse",
            "correct", "checkpoint", "checkpoint keygen", "checkpoint check", "proof", "proof-check",
            "consistency-proof", "consistency-check", "court case", "court order", "court fulfil",
            "court status", "certificate verify", "export", "import-backup", "people show", "people add", "people log",
            "users locked", "users unlock", "users failures", "sales import", "sales template"]


def run(args: list[str], url: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "SINKLEDGER_HOME": HOME}
    proc = subprocess.run([sys.executable, "-m", "sinkledger", *args], capture_output=True, text=True,
                          env=env, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def console_script() -> Path | None:
    """The ``sinkledger`` script pip installed for this interpreter: beside ``sys.executable`` (a
    venv, activated or not), in the interpreter's scripts folder, or in the user scheme's
    (``pip install --user``). Never looked up on PATH, which need not name this interpreter's."""
    name = "sinkledger.exe" if os.name == "nt" else "sinkledger"
    folders = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts")),
               Path(sysconfig.get_path("scripts", f"{os.name}_user"))]
    return next((folder / name for folder in folders if (folder / name).is_file()), None)


def test_console_script_is_installed():
    declared = [ep.value for ep in entry_points(group="console_scripts", name="sinkledger")]
    assert len(declared) == 1 and declared[0].startswith("sinkledger.cli.main"), declared
    exe = console_script()
    assert exe, f"the console script 'sinkledger' is not beside {sys.executable} (pip install -e .)"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "demo" in out.stdout and "verify" in out.stdout


def test_the_package_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "sinkledger", "--help"], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "SINKLEDGER_HOME": HOME})
    assert out.returncode == 0 and "demo" in out.stdout and "verify" in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, tmp_path):  # type: ignore[no-untyped-def]
    proc = run([*command.split(), "--help"], f"sqlite:///{tmp_path / 'x.db'}")
    assert proc.returncode == 0 and "Usage:" in proc.stdout


def test_demo_balances_verify_and_refusals(backend_url):  # type: ignore[no-untyped-def]
    demo = json.loads(run(["demo", "--json"], backend_url, check=True).stdout)
    assert demo["parcels"] == 105 and demo["ledger_ok"] is True

    balances = json.loads(run(["balances", "--json"], backend_url, check=True).stdout)
    issued = sum(r["issued_t"] for r in balances["by_sink_type"])
    # bamboo chain + tea bundle + the price index demo's wetland issuance (its only wetland credits)
    wetland = sum(r["issued_t"] for r in balances["by_sink_type"] if r["sink_type"] == "wetland")
    assert issued == demo["chain"]["issued_t"] + demo["income"]["issued_t"] + wetland and wetland > 0
    by_account = {r["account_id"]: r for r in balances["by_account"]}
    assert by_account["SYS-BUFFER"]["held_t"] > 0
    # Every issued tonne is held, pledged, retired, or cancelled by the demo's snow-loss reversal.
    assert sum(r["held_t"] + r["pledged_t"] + r["retired_t"] for r in by_account.values()) + \
        by_account["SYS-CANCELLED"]["cancelled_t"] == issued

    verified = run(["verify", "--json"], backend_url)
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] is True
    assert json.loads(verified.stdout)["entries"] == demo["entries"]

    # Re-running the demo is idempotent: nothing new is appended.
    again = json.loads(run(["demo", "--json"], backend_url, check=True).stdout)
    assert again["entries"] == demo["entries"] and again["head_hash"] == demo["head_hash"]

    # An overdraft is refused with exit status 2 and the JSON error document; nothing changes.
    seller = max((r for r in balances["by_account"] if r["account_id"].startswith("COL-")), key=lambda r: r["held_t"])
    refused = run(["sell", "--actor", "clerk", "--from", seller["account_id"], "--to", "ENT-0002-H",
                   "--quantity", str(seller["held_t"] + 1), "--price-fen", "7341", "--contract", "C-1",
                   "--json"], backend_url)
    assert refused.returncode == 2
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "insufficient_balance" and "余额不足" in error["message_zh"]
    assert "Insufficient" in error["message_en"]
    assert json.loads(run(["verify", "--json"], backend_url).stdout)["head_hash"] == demo["head_hash"]

    # A sale within the balance goes through, and a retry with the same request id changes nothing.
    args = ["sell", "--actor", "clerk", "--from", seller["account_id"], "--to", "ENT-0002-H", "--quantity", "1",
            "--price-fen", "7341", "--contract", "C-2", "--request-id", "cli-sale-1", "--json"]
    first = json.loads(run(args, backend_url, check=True).stdout)
    second = json.loads(run(args, backend_url, check=True).stdout)
    assert (first["replayed"], second["replayed"]) == (False, True) and first["seq"] == second["seq"]
    conflict = run([*args[:-3], "--request-id", "cli-sale-1", "--quantity", "2", "--json"], backend_url)
    assert conflict.returncode == 2 and json.loads(conflict.stdout)["error"]["code"] == "request_id_conflict"

    # The clerk's dates are kept with the sale; a sale dated after the day it is recorded is refused.
    dated = json.loads(run(["sell", "--actor", "clerk", "--from", seller["account_id"], "--to", "ENT-0002-H",
                            "--quantity", "1", "--price-fen", "7341", "--contract", "C-3", "--sale-date", "2026-01-05",
                            "--contract-date", "2025-12-30", "--json"], backend_url, check=True).stdout)
    entry = json.loads(run(["history", "--kind", "sale", "--limit", "1", "--json"], backend_url,
                           check=True).stdout)["entries"][0]
    assert dated["seq"] == entry["seq"] and (dated["sale_date"], dated["contract_date"]) == ("2026-01-05", "2025-12-30")
    assert (entry["result"]["sale_date"], entry["result"]["contract_date"]) == ("2026-01-05", "2025-12-30")
    future = run(["sell", "--actor", "clerk", "--from", seller["account_id"], "--to", "ENT-0002-H", "--quantity", "1",
                  "--price-fen", "7341", "--contract", "C-4", "--sale-date", "2999-01-01", "--json"], backend_url)
    assert future.returncode == 2 and json.loads(future.stdout)["error"]["code"] == "date_out_of_range"


def test_refusal_without_json_goes_to_stderr(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run(["init"], url, check=True)
    proc = run(["sell", "--actor", "nobody", "--from", "A", "--to", "B", "--quantity", "1",
                "--price-fen", "1", "--contract", "c"], url)
    assert proc.returncode == 2 and proc.stdout == "" and "actor_unknown" in proc.stderr


def test_verify_fails_on_an_uninitialised_database(tmp_path):  # type: ignore[no-untyped-def]
    proc = run(["verify", "--json"], f"sqlite:///{tmp_path / 'empty.db'}")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "database_not_initialised"


def test_verify_records_a_checkpoint_then_checks_only_the_tail(tmp_path):  # type: ignore[no-untyped-def]
    """The first ``verify`` replays in full and records; the next starts from it; ``--full``
    replays again. The mode is in the JSON report and the human one."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run(["init"], url, check=True)
    first = json.loads(run(["verify", "--json"], url, check=True).stdout)
    assert first["ok"] and (first["mode"], first["from_seq"]) == ("full", 0)
    second = json.loads(run(["verify", "--json"], url, check=True).stdout)
    assert (second["mode"], second["from_seq"], second["merkle_root"]) == ("incremental", first["entries"],
                                                                             first["merkle_root"])
    full = json.loads(run(["verify", "--full", "--json"], url, check=True).stdout)
    assert (full["mode"], full["from_seq"]) == ("full", 0)
    one = json.loads(run(["verify", "--full", "--jobs", "1", "--json"], url, check=True).stdout)
    assert (one["mode"], one["merkle_root"]) == ("full", first["merkle_root"])
    refused = run(["verify", "--full", "--jobs", "3"], url)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert f"mode: incremental, from_seq {first['entries']}" in run(["verify"], url, check=True).stdout


FORK_PROBE = """
import sys
import ledger.audit as audit
audit.BESIDE_MIN_ENTRIES = 0  # the demo's few entries: a second process all the same
started = []
fork, spawn = audit._fork, audit._spawn
audit._fork = lambda *a, **k: (started.append("forked"), fork(*a, **k))[1]
audit._spawn = lambda *a, **k: (started.append("spawned"), spawn(*a, **k))[1]
from sinkledger.cli.main import main
try:
    main(sys.argv[1:])
finally:
    print("SECOND-PROCESS", started, file=sys.stderr)
"""


def test_a_full_verify_from_the_command_line_forks_its_second_process(tmp_path):  # type: ignore[no-untyped-def]
    """The command's progress bar runs no thread of its own, so the second process of a full verify
    is forked (it starts at once, every module imported) rather than started anew; the bar is still
    drawn as the walk goes."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run(["demo"], url, check=True)
    env = {**os.environ, "DATABASE_URL": url, "SINKLEDGER_HOME": HOME}
    proc = subprocess.run([sys.executable, "-c", FORK_PROBE, "verify", "--full", "--json"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"]
    assert "SECOND-PROCESS ['forked']" in proc.stderr


def test_verify_exits_non_zero_and_names_the_entry_after_tampering(tmp_path):  # type: ignore[no-untyped-def]
    import sqlite3

    url = f"sqlite:///{tmp_path / 'x.db'}"
    run(["demo"], url, check=True)
    con = sqlite3.connect(tmp_path / "x.db")
    con.execute("DROP TRIGGER journal_entry_no_update")
    con.execute("UPDATE journal_entry SET body = replace(body, '\"quantity\":', '\"quantity\": ') WHERE kind = 'sale'")
    con.commit()
    first_sale = con.execute("SELECT min(seq) FROM journal_entry WHERE kind = 'sale'").fetchone()[0]
    con.close()
    proc = run(["verify", "--json"], url)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["ok"] is False and report["first_bad_seq"] == first_sale
    human = run(["verify"], url)
    assert human.returncode == 1 and f"entry {first_sale}" in human.stderr


def test_pledge_release_reverse_correct_and_proofs(tmp_path):  # type: ignore[no-untyped-def]
    """The other transaction kinds and the offline proof, as an operator scripts them."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run(["demo"], url, check=True)
    balances = json.loads(run(["balances", "--json"], url, check=True).stdout)["by_account"]
    holder = max((r for r in balances if r["account_id"].startswith("COL-")), key=lambda r: r["held_t"])
    pledged = json.loads(run(["pledge", "--actor", "bank", "--account", holder["account_id"], "--quantity", "3",
                              "--loan", "共富贷-001", "--loan-amount-fen", "30000000", "--term-end", "2027-06-30",
                              "--json"], url, check=True).stdout)
    blocked = run(["retire", "--actor", "clerk", "--account", holder["account_id"], "--quantity",
                   str(holder["held_t"]), "--beneficiary", "b", "--purpose", "p", "--json"], url)
    assert blocked.returncode == 2 and json.loads(blocked.stdout)["error"]["code"] == "credits_short_pledged"
    released = json.loads(run(["release", pledged["pledge_id"], "--actor", "bank", "--json"], url, check=True).stdout)
    assert released["status"] == "released"
    reversal = json.loads(run(["reverse", "--actor", "insurer", "--quantity", "2", "--reason", "雪灾",
                               "--loss-event", "LOSS-2026-01", "--json"], url, check=True).stdout)
    assert reversal["quantity"] == 2
    sale = json.loads(run(["sell", "--actor", "clerk", "--from", holder["account_id"], "--to", "ENT-0002-H",
                           "--quantity", "1", "--price-fen", "5883", "--contract", "C-9", "--json"], url, check=True).stdout)
    fixed = json.loads(run(["correct", str(sale["seq"]), "--actor", "admin", "--reason", "录入错误", "--json"],
                           url, check=True).stdout)
    assert fixed["corrected_seq"] == sale["seq"]
    checkpoint = json.loads(run(["checkpoint", "--json"], url, check=True).stdout)
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(run(["proof", str(sale["seq"])], url, check=True).stdout, encoding="utf-8")
    assert json.loads(proof_file.read_text())["root"] == checkpoint["root"]
    assert run(["proof-check", str(proof_file)], url).returncode == 0
    proof_file.write_text(proof_file.read_text().replace("5883", "5884"), encoding="utf-8")
    assert run(["proof-check", str(proof_file)], url).returncode == 1
    assert run(["verify"], url).returncode == 0
