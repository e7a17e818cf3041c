"""Every refusal the court code raises has a Chinese and an English message; every command a role."""

from __future__ import annotations

import ast
from pathlib import Path

from ledger.permissions import PERMISSIONS
from sinkledger.catalogue import REFUSALS
from sinkledger.config import REPO_ROOT

FILES = [*(REPO_ROOT / "ledger" / "court").glob("*.py"), REPO_ROOT / "sinkledger" / "services" / "court.py",
         REPO_ROOT / "sinkledger" / "cli" / "court.py"]
ERROR_CLASSES = {"InvalidInput", "NotFound", "NotPermitted", "Conflict", "cls"}


def raised_codes() -> set[str]:
    codes = set()
    for path in FILES:
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERROR_CLASSES
                    and node.args and isinstance(node.args[0], ast.Constant)):
                codes.add(node.args[0].value)
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                codes.add(node.value.value)  # plan_purchase returns refusal codes as values
    return {c for c in codes if isinstance(c, str) and c.replace("_", "").isalpha() and c.islower()}


def test_every_court_refusal_has_both_messages():
    codes = raised_codes()
    assert len(codes) > 10
    missing = sorted(codes - set(REFUSALS))
    assert not missing, f"refusal codes without a message: {missing}"
    for code in codes:
        zh, en = REFUSALS[code]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.strip()


def test_every_court_command_has_roles():
    assert all(PERMISSIONS[c] for c in PERMISSIONS if c.startswith("court_"))
