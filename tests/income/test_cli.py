"""The income story from the command line, with ``--json``, as an operator runs it.

Runs in-process (click's runner) for speed; the fuzz suite (``tests/fuzz``) runs every
``sinkledger income`` command with hostile arguments.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.income.conftest import CENTRE, PROJECT, contract_no


@pytest.fixture
def cli(sold):  # type: ignore[no-untyped-def]
    from sinkledger.cli.main import main

    url = sold.service.settings.database_url
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> dict:
        result = runner.invoke(main, ["--database-url", url, "income", *args, "--json"], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return json.loads(result.output)

    return run


def test_the_income_story_from_the_cli(cli, sold, tmp_path):  # type: ignore[no-untyped-def]
    sale = str(sold.sale["seq"])
    preview = cli("distribute", sale, "--preview", "--actor", "centre")
    assert preview["totals"]["sum_fen"] == preview["amount_fen"] == 14_682_000
    denied = cli("distribute", sale, "--actor", "coop-a", code=2)
    assert denied["error"]["code"] == "not_permitted"
    out = cli("distribute", sale, "--actor", "centre")
    assert out["totals"]["villages_fen"] == preview["totals"]["villages_fen"]
    lines = cli("distribution", out["distribution_id"], "--actor", "centre")["lines"]
    assert sum(x["amount_fen"] for x in lines) == 14_682_000
    mine = cli("dues", "--actor", "hh-a1")
    paid = cli("pay", "--all-of", out["distribution_id"], "--party", "HH-A1", "--date", out["sale_date"],
               "--reference", "NSYH-0001", "--actor", "centre")
    assert paid["amount_fen"] == sum(i["amount_fen"] for i in mine)
    again = cli("pay", "--due", f"{mine[0]['id']}=1", "--date", out["sale_date"], "--reference", "x",
                "--actor", "centre", code=2)
    assert again["error"]["code"] == "payment_exceeds_amount_due"
    assert cli("pay", "--due", "DS-1", "--date", out["sale_date"], "--reference", "x", "--actor", "centre",
               code=2)["error"]["code"] == "value_invalid"
    pdf, xlsx = tmp_path / "hh.pdf", tmp_path / "hh.xlsx"
    statement = cli("statement", "HH-A1", "--from", "2000-01-01", "--to", "2100-12-31", "--pdf", str(pdf),
                    "--xlsx", str(xlsx), "--actor", "hh-a1")
    assert statement["totals"]["paid_fen"] == paid["amount_fen"] and pdf.read_bytes().startswith(b"%PDF")
    assert xlsx.exists()


def test_contracts_projects_traces_from_the_cli(cli, sold, tmp_path):  # type: ignore[no-untyped-def]
    document = tmp_path / "contract.txt"
    document.write_text("收储合同（示例）", encoding="utf-8")
    doc = cli("contract-document", contract_no("COL-A"), str(document), "--title", "收储合同文本", "--actor", "centre")
    contracts = cli("contracts", "--actor", "coop-a", "--collective", "COL-A")
    assert contracts[0]["documents"][0]["sha256"] == doc["sha256"]
    shown = cli("project", "show", PROJECT, "--actor", "centre")
    assert len(shown["parcels"]) == 6 and shown["batches"]
    trace = cli("trace", shown["batches"][0]["batch_id"], "--actor", "centre")
    assert sum(p["quantity_t"] for p in trace["parcels"]) == shown["batches"][0]["quantity"]
    schedule = cli("schedule", contract_no("COL-A"), "--actor", "centre", code=2)
    assert schedule["error"]["code"] == "contract_not_fixed_payment"


def test_liens_losses_and_claims_from_the_cli(cli, sold):  # type: ignore[no-untyped-def]
    lien = cli("lien", "register", "--contract", contract_no("COL-B"), "--loan", "碳汇共富贷-0009",
               "--loan-amount-yuan", "500000", "--term-end", "2027-12-31", "--actor", "bank")
    assert lien["loan_amount_fen"] == 50_000_000 and lien["parcel_codes"] == ["HZ-BF-B01", "HZ-BF-B02"]
    assert cli("lien", "list", "--actor", "bank")[0]["id"] == lien["lien_id"]
    released = cli("lien", "release", lien["lien_id"], "--actor", "bank")
    assert released["status"] == "released"
    preview = cli("loss", "record", "--cause", "snow", "--date", "2024-01-20", "--parcel", "HZ-BF-A01=5:3000",
                  "--description", "雪压", "--preview", "--actor", "insurer")
    assert preview[0]["reversed_t"] == 157
    event = cli("loss", "record", "--cause", "snow", "--date", "2024-01-20", "--parcel", "HZ-BF-A01=5:3000",
                "--description", "雪压", "--policy", "PICC-1", "--actor", "insurer")
    assert event["reversed_t"] == 157
    claim = cli("claim", "--claim-no", "LP-1", "--event", event["event_id"], "--policy", "PICC-1", "--insured", CENTRE,
                "--payout-yuan", "11460", "--actor", "insurer")
    assert claim["payout_fen"] == 1_146_000 and claim["product"] == "毛竹碳汇价值恢复补偿保险"
    assert cli("loss", "list", "--actor", "centre")[0]["claims"][0]["claim_no"] == "LP-1"


def test_every_income_command_has_help():
    from sinkledger.cli.main import main

    runner = CliRunner()
    for command in ("contracts", "contract-document", "project register", "project add", "project show",
                    "project estimate", "project issue", "trace", "distribute", "distribution", "schedule", "dues",
                    "pay", "lien register", "lien release", "lien list", "loss record", "loss list", "claim",
                    "statement"):
        result = runner.invoke(main, ["income", *command.split(), "--help"])
        assert result.exit_code == 0 and "--json" in result.output, command
