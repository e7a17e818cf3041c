"""Every refusal the income code raises has a Chinese and an English message, every command a
role, and docs/income.md names every code and command (datasette's undocumented-is-a-failure)."""

from __future__ import annotations

import ast
from pathlib import Path

from ledger.income.domain import INCOME_ENTRY_KINDS
from sinkledger.catalogue import REFUSALS_BY_AREA

INCOME_REFUSALS = REFUSALS_BY_AREA["income"]
from ledger.income.permissions import INCOME_COMMANDS
from ledger.permissions import PERMISSIONS
from sinkledger.catalogue import REFUSALS
from sinkledger.config import REPO_ROOT

FILES = [*(REPO_ROOT / "ledger" / "income").glob("*.py"), REPO_ROOT / "sinkledger" / "services" / "income.py",
         REPO_ROOT / "sinkledger" / "cli" / "income.py", REPO_ROOT / "sinkledger" / "documents" / "statements.py"]
ERROR_CLASSES = {"InvalidInput", "NotFound", "NotPermitted", "Conflict"}
DOC = (REPO_ROOT / "docs" / "income.md").read_text(encoding="utf-8")


def raised_codes() -> set[str]:
    codes = set()
    for path in FILES:
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERROR_CLASSES
                    and node.args and isinstance(node.args[0], ast.Constant)):
                codes.add(node.args[0].value)
    return codes


def test_every_income_refusal_has_both_messages():
    codes = raised_codes()
    assert len(codes) > 15
    catalogue = REFUSALS | INCOME_REFUSALS
    missing = sorted(codes - set(catalogue))
    assert not missing, f"refusal codes without a message: {missing}"
    for code in codes:
        zh, en = catalogue[code]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.strip()
    assert not set(INCOME_REFUSALS) - codes, "messages for codes nothing raises"


def test_new_codes_do_not_clash_with_the_catalogue():
    for code, texts in INCOME_REFUSALS.items():
        assert REFUSALS.get(code, texts) == texts, code


def test_every_income_command_has_roles_and_the_docs_name_it():
    for command in INCOME_COMMANDS:
        roles = PERMISSIONS.get(command)
        assert roles and f"`{command}`" in DOC, command
    for kind in INCOME_ENTRY_KINDS:
        assert f"`{kind.value}`" in DOC, kind
    for code in INCOME_REFUSALS:
        assert f"`{code}`" in DOC, code
