"""The message catalogue covers every refusal the code can raise, in Chinese and English."""

from __future__ import annotations

import ast
from pathlib import Path

from sinkledger import catalogue
from sinkledger.catalogue import REFUSALS
from sinkledger.config import REPO_ROOT
from sinkledger_base.errors import SinkLedgerError

ERROR_CLASSES = {"SinkLedgerError", "InvalidInput", "NotFound", "NotPermitted", "Conflict", "IntegrityFailure"}
PACKAGES = ("sinkledger_base", "sinkledger", "ledger", "sinks")


def raised_codes() -> set[str]:
    codes = set()
    for package in PACKAGES:
        for path in Path(REPO_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERROR_CLASSES
                        and node.args and isinstance(node.args[0], ast.Constant)):
                    codes.add(node.args[0].value)
    return codes


def test_every_raised_code_has_both_messages():
    codes = raised_codes()
    assert len(codes) > 25
    missing = sorted(codes - set(REFUSALS))
    assert not missing, f"refusal codes without a catalogue entry: {missing}"
    for code in codes:
        zh, en = REFUSALS[code]
        assert zh.strip() and en.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{code}: Chinese message has no Chinese"


def test_refusal_formats_its_parameters_and_survives_missing_ones():
    err = SinkLedgerError("insufficient_balance", requested=5, available=2)
    assert "5" in catalogue.messages(err)[0] and "2" in catalogue.messages(err)[1]
    assert catalogue.messages(SinkLedgerError("insufficient_balance"))[1].count("?") == 2
    assert catalogue.refusal_dict(err)["code"] == "insufficient_balance"
