"""``sinkledger prices ...`` (issue 22, docs/prices.md) as an operator runs it, on both backends.

Runs in-process (click's runner). The trades and the policy are recorded through the service with
the tests' clock (a policy's period must start after the day it is issued); the command line then
runs on today's clock, long after the policy's period. ``tests/fuzz`` sends every ``prices``
command hostile arguments.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from click.testing import CliRunner

from ledger.prices.method import Trade, compute
from tests.income.conftest import CENTRE, PROJECT, contract_no
from tests.prices.conftest import trade

POLICY = {"policy_no": "JZ-CLI-0001", "insured_party_id": "COL-A", "contract_no": contract_no("COL-A"),
          "period_start": "2025-02-01", "period_end": "2025-04-30", "strike_fen_per_t": 7500, "insured_t": 1000,
          "premium_fen": 300_000}


@pytest.fixture
def cli(market):  # type: ignore[no-untyped-def]
    """Given three March 2025 trades from two sellers and a policy over Feb-Apr 2025 (issued in
    January): the command line on the same database."""
    from sinkledger.cli.main import main

    svc = market.service
    sink, county = market.market
    svc.prices.issue_policy(svc.actor("insurer"), "cli-policy", **POLICY, sink_type=sink, county_code=county)
    trade(market, "s1", day="2025-03-03", price=7000, quantity=200)
    trade(market, "s2", day="2025-03-10", price=7300, quantity=100)
    trade(market, "s3", day="2025-03-17", price=7200, quantity=50, seller="ENT-1-H", buyer="ENT-2-H")
    runner, url = CliRunner(), svc.settings.database_url

    def run(*args: str, code: int = 0, as_json: bool = True) -> dict | str:
        result = runner.invoke(main, ["--database-url", url, "prices", *args, *(["--json"] if as_json else [])],
                               catch_exceptions=False)
        assert result.exit_code == code, result.output
        return json.loads(result.stdout) if as_json else result.stdout + result.stderr

    run.market = (sink, county)  # type: ignore[attr-defined]
    return run


INDEX = compute([Trade(1, "C", 200, 7000), Trade(2, "C", 100, 7300), Trade(3, "E", 50, 7200)])["index_fen_per_t"]


def test_the_index_its_trace_and_its_check_from_the_cli(cli, market, tmp_path):  # type: ignore[no-untyped-def]
    """Given the trades, the command line answers what the service answers; a trace written with
    --out is recomputed by `prices check` (exit 0), and a doctored one fails it (exit 1)."""
    svc = market.service
    sink, county = cli.market
    assert cli("markets") == svc.prices.markets()
    out = cli("index", "--sink-type", sink, "--county", county, "--from", "2025-01-01", "--to", "2025-06-30")
    published = [w for w in out["windows"] if w["published"]]
    assert [(w["window"], w["index_fen_per_t"], w["sellers"]) for w in published] == [("2025-03", INDEX, 2)]
    assert out["windows"] == svc.prices.index(sink_type=sink, county_code=county, date_from="2025-01-01",
                                              date_to="2025-06-30")["windows"]
    text = cli("index", "--sink-type", sink, "--county", county, "--from", "2025-01-01", "--to", "2025-06-30",
               as_json=False)
    assert f"{INDEX / 100:.2f}" in text and "2025-03" in text
    path = tmp_path / "trace.json"
    traced = cli("trace", "--sink-type", sink, "--county", county, "--window", "2025-03", "--out", str(path))
    assert json.loads(path.read_text(encoding="utf-8")) == traced and len(traced["inputs"]) == 3
    assert cli("check", str(path))["ok"] is True
    doctored = traced | {"result": traced["result"] | {"index_fen_per_t": INDEX + 1}}
    path.write_text(json.dumps(doctored), encoding="utf-8")
    failed = cli("check", str(path), code=1)
    assert failed["ok"] is False and failed["problems"]
    assert cli("trace", "--sink-type", sink, "--county", county, "--window", "2025-13",
               code=2)["error"]["code"] == "value_invalid"


def test_a_policy_is_settled_listed_and_checked_from_the_cli(cli, market):  # type: ignore[no-untyped-def]
    """Given the policy whose period has ended, the insurer previews and settles it from the
    command line: payout = (strike − index) × tonnes; the collective lists it; the check holds;
    another insurer's user or a second settlement is refused, in both languages without --json."""
    no = POLICY["policy_no"]
    payout = (POLICY["strike_fen_per_t"] - INDEX) * POLICY["insured_t"]
    preview = cli("policy", "settle", no, "--preview", "--actor", "insurer")
    assert preview["index_fen_per_t"] == INDEX and preview["payout_fen"] == payout
    assert cli("policy", "show", no, "--actor", "insurer")["status"] == "open"  # the preview recorded nothing
    denied = cli("policy", "settle", no, "--reference", "PAY-1", "--actor", "clerk", code=2)
    assert denied["error"]["code"] == "not_permitted"
    done = cli("policy", "settle", no, "--reference", "PICC-PAY-1", "--actor", "insurer")
    assert done["payout_fen"] == payout and sum(line["amount_fen"] for line in done["lines"]) == payout
    listed = cli("policy", "list", "--actor", "coop-a")
    assert [(p["policy_no"], p["status"], p["settlement"]["payout_fen"]) for p in listed["items"]] == \
        [(no, "settled", payout)]
    assert cli("policy", "check", no, "--actor", "insurer")["ok"] is True
    again = cli("policy", "settle", no, "--reference", "PICC-PAY-2", "--actor", "insurer", as_json=False, code=2)
    assert "index_policy_already_settled" in again and "已" in again and "already" in again.lower()
    assert "Traceback" not in again


def test_a_policy_is_issued_from_the_cli_in_yuan_and_bad_ones_are_refused(cli, market):  # type: ignore[no-untyped-def]
    """A policy issued today for a coming period, strike and premium in yuan (exact to the fen);
    a sub-fen amount, a period in the past or a premium above the cover are refused and change nothing."""
    sink, county = cli.market
    start, end = date.today() + timedelta(days=5), date.today() + timedelta(days=95)
    base = ["policy", "issue", "--insured", "COL-A", "--contract", contract_no("COL-A"), "--sink-type", sink,
            "--county", county, "--insured-t", "500", "--actor", "insurer"]
    out = cli(*base, "--policy-no", "JZ-CLI-0002", "--start", start.isoformat(), "--end", end.isoformat(),
              "--strike-yuan", "76.50", "--premium-yuan", "1200.00")
    assert (out["strike_fen_per_t"], out["premium_fen"], out["max_payout_fen"]) == (7650, 120_000, 7650 * 500)
    before = cli("policy", "list", "--actor", "insurer")["total"]
    for extra, code in ((["--start", start.isoformat(), "--end", end.isoformat(), "--strike-yuan", "76.505",
                          "--premium-fen", "100"], "value_invalid"),
                        (["--start", "2024-01-01", "--end", "2024-06-30", "--strike-fen", "7650",
                          "--premium-fen", "100"], "policy_period_in_past"),
                        (["--start", start.isoformat(), "--end", end.isoformat(), "--strike-fen", "7650",
                          "--premium-fen", str(7650 * 500 + 1)], "premium_exceeds_cover"),
                        (["--start", start.isoformat(), "--end", end.isoformat(), "--premium-fen", "100"],
                         "field_required")):
        assert cli(*base, "--policy-no", "JZ-CLI-0003", *extra, code=2)["error"]["code"] == code
    assert cli("policy", "list", "--actor", "insurer")["total"] == before


def test_pricing_factors_and_the_reference_price_from_the_cli(cli, market, tmp_path):  # type: ignore[no-untyped-def]
    """The centre sets its bundle's factor with an evidence file; anyone shows it; the clerk's
    reference price in April is the March index × the factor; bad pairs are refused."""
    evidence = tmp_path / "biodiversity.txt"
    evidence.write_text("生物多样性调查（示例）", encoding="utf-8")
    before = cli("factors", "show", PROJECT)
    assert before["factors"] == []
    pair = f"biodiversity={evidence}"
    for args, code in ((["--factor", "beauty=1.2", "--evidence", f"beauty={evidence}"], "value_invalid"),
                       (["--factor", "biodiversity=1.2", "--evidence", f"co_benefits={evidence}"], "field_required"),
                       (["--factor", "biodiversity=1.2", "--evidence", pair, "--title", "co_benefits=x"],
                        "value_invalid"),
                       (["--factor", "biodiversity=1.2", "--factor", "biodiversity=1.3", "--evidence", pair],
                        "value_invalid"),
                       (["--factor", "biodiversity=9", "--evidence", pair], "pricing_factor_out_of_range")):
        assert cli("factors", "set", PROJECT, *args, "--actor", "centre", code=2)["error"]["code"] == code
    assert cli("factors", "show", PROJECT) == before
    done = cli("factors", "set", PROJECT, "--factor", "biodiversity=1.2", "--evidence", f"biodiversity={evidence}",
               "--title", "biodiversity=调查报告（示例）", "--actor", "centre")
    shown = cli("factors", "show", PROJECT)
    assert shown["product"] == "1.2" and shown["factors"][0]["evidence_title"] == "调查报告（示例）"
    assert shown["factors"][0]["seq"] == done["seq"]
    reference = cli("reference", "--from", f"{CENTRE}-H", "--quantity", "1", "--date", "2025-04-15",
                    "--actor", "clerk")
    line = reference["lines"][0]
    assert line["reference_index"]["window"] == "2025-03" and line["reference_index"]["index_fen_per_t"] == INDEX
    assert line["reference_price_fen_per_t"] == int((Decimal(INDEX) * Decimal("1.2")).quantize(1, ROUND_HALF_UP))
    assert cli("reference", "--from", f"{CENTRE}-H", "--quantity", "1", "--actor", "coop-a",
               code=2)["error"]["code"] == "not_permitted"
