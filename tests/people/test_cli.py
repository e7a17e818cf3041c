"""``sinkledger people ...`` as an operator runs it (CliRunner over the real ``main`` group)."""

from __future__ import annotations

import base64
import json
import os

import pytest
from click.testing import CliRunner

from sinkledger.cli.main import main
from sinkledger.cli.people import people as people_group
from sinkledger.demo.people import synthetic_person
from sinkledger.services.registry import SYSTEM_ACTOR
from tests.people.conftest import CONSENT, TEST_KEY


@pytest.fixture
def run(people, backend_url, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Run ``sinkledger --database-url URL people ...`` against the fixture's database and key file."""
    if "people" not in main.commands:  # until the lead wires the group into sinkledger/cli/main.py
        monkeypatch.setitem(main.commands, "people", people_group)
    key_file = tmp_path / "data.key"
    key_file.write_text(base64.b64encode(TEST_KEY).decode() + "\n")
    os.chmod(key_file, 0o600)
    monkeypatch.setenv("SINKLEDGER_HOME", str(tmp_path))
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, stdin: str | None = None) -> dict:  # type: ignore[type-arg]
        result = runner.invoke(main, ["--database-url", backend_url, *args], input=stdin, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return json.loads(result.output) if "--json" in args and result.output.strip() else {}

    return invoke


def test_register_show_correct_erase_and_log_from_the_command_line(people, run, tmp_path):  # type: ignore[no-untyped-def]
    svc = people.api.service
    svc.register_party(SYSTEM_ACTOR, "p:HH-4", party_id="HH-4", kind="household", name="农户 HH-4（化名）")
    person = synthetic_person(4) | {"purpose": "收益分配（测试）", "consent_date": CONSENT}
    added = run("people", "add", "--party", "HH-4", "--input", "-", "--actor", "centre", "--json",
                stdin=json.dumps(person, ensure_ascii=False))
    assert added["party_id"] == "HH-4" and added["handler_party_id"] == "CENTRE-1"

    cashier = run("people", "show", "--party", "HH-4", "--purpose", "revenue_payment", "--actor", "cashier", "--json")
    assert cashier["bank_account"] == person["bank_account"]
    admin = run("people", "show", "--party", "HH-4", "--actor", "admin", "--json")
    assert admin["resident_id"].startswith("3305**********") and admin["bank_name"] is None
    refused = run("people", "show", "--party", "HH-4", "--actor", "clerk", "--json", code=2)
    assert refused["error"]["code"] == "not_permitted"

    run("people", "correct", "--party", "HH-4", "--phone", "0572-1234567", "--reason", "核对", "--actor", "centre",
        "--json")
    assert run("people", "show", "--party", "HH-4", "--purpose", "data_correction", "--actor", "cashier",
               "--json")["phone"] == "0572-1234567"
    erased = run("people", "erase", "--party", "HH-4", "--reason", "E-2025-009", "--actor", "admin", "--json")
    assert erased["versions_destroyed"] == 1
    log = run("people", "log", "--party", "HH-4", "--actor", "admin", "--json")
    assert [r["action"] for r in log] == ["erase", "view", "correct", "view", "view", "register"]
    assert run("people", "log", "--verify", "--actor", "admin", "--json")["ok"] is True
    assert run("verify", "--json")["ok"] is True


def test_refusals_name_the_problem_and_never_echo_the_value(people, run):  # type: ignore[no-untyped-def]
    bad = synthetic_person(9) | {"resident_id": "330523195102020013", "purpose": "测试", "consent_date": CONSENT}
    out = run("people", "add", "--party", "HH-2", "--input", "-", "--handler", "CENTRE-1", "--actor", "admin",
              "--json", code=2, stdin=json.dumps(bad, ensure_ascii=False))
    assert out["error"]["code"] == "resident_id_check_digit_invalid"
    assert "330523195102020013" not in json.dumps(out)
    assert "校验码" in out["error"]["message_zh"] and "check digit" in out["error"]["message_en"]


def test_export_lookup_designate_and_keygen(people, run, tmp_path):  # type: ignore[no-untyped-def]
    items = tmp_path / "items.json"
    items.write_text(json.dumps([{"party_id": "HH-1", "amount_fen": 12345}, {"party_id": "HH-2", "amount_fen": 1}]))
    out = run("people", "export", "--out", str(tmp_path / "pay.xlsx"), "--items", str(items), "--actor", "cashier",
              "--json")
    assert out["format"] == "xlsx" and (tmp_path / "pay.xlsx").stat().st_size > 1000
    run("people", "export", "--out", str(tmp_path / "all.pdf"), "--actor", "admin", "--json")
    assert (tmp_path / "all.pdf").read_bytes().startswith(b"%PDF")
    found = run("people", "lookup", "--resident-id", people.details["HH-2"]["resident_id"], "--purpose",
                "erasure_request", "--actor", "admin", "--json")
    assert found["found"] and found["person"]["party_id"] == "HH-2"
    assert run("people", "designate", "--user", "cashier", "--revoke", "--actor", "admin", "--json")["revoked"]
    assert len(run("people", "keygen", "--json")["data_key"]) == 44
    listed = run("people", "list", "--actor", "coop", "--json")
    assert [p["party_id"] for p in listed] == ["HH-1", "HH-2"]
