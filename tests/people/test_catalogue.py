"""Every refusal the person register raises has a Chinese and an English message that never
asks for a personal value; every people command has roles."""

from __future__ import annotations

import ast
import string
from pathlib import Path

from sinkledger.catalogue import REFUSALS_BY_AREA

PEOPLE_REFUSALS = REFUSALS_BY_AREA["people"]
from ledger.people.permissions import PEOPLE_PERMISSIONS
from sinkledger.catalogue import REFUSALS
from sinkledger.config import REPO_ROOT

FILES = [*(REPO_ROOT / "ledger" / "people").glob("*.py"), REPO_ROOT / "sinkledger" / "services" / "people.py",
         REPO_ROOT / "sinkledger" / "cli" / "people.py"]
ERRORS = {"InvalidInput", "NotFound", "NotPermitted", "Conflict", "IntegrityFailure", "SinkLedgerError"}
WARNINGS = {"party_name_reveals_person"}
# Template fields a message may name: ids, codes, field names, paths; never a personal value.
SAFE_PARAMETERS = {"party", "kind", "path", "mode", "field", "purpose", "choices", "username", "erased_at"}


def raised_codes() -> set[str]:
    codes = set()
    for path in FILES:
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS
                    and node.args and isinstance(node.args[0], ast.Constant)):
                codes.add(node.args[0].value)
    return codes


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_code_has_both_messages_with_the_same_safe_fields():
    own = (raised_codes() | WARNINGS) - set(REFUSALS) | set(PEOPLE_REFUSALS)
    missing = sorted((raised_codes() | WARNINGS) - set(REFUSALS) - set(PEOPLE_REFUSALS))
    assert not missing, f"codes without a message: {missing}"
    for code in own:
        zh, en = PEOPLE_REFUSALS[code]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.strip(), code
        assert template_fields(zh) == template_fields(en) <= SAFE_PARAMETERS, code


def test_the_messages_are_merged_into_the_one_catalogue():
    assert {code: REFUSALS.get(code) for code in PEOPLE_REFUSALS} == PEOPLE_REFUSALS


def test_every_people_command_has_roles_and_only_admins_erase():
    assert all(PEOPLE_PERMISSIONS.values())
    assert {r.value for r in PEOPLE_PERMISSIONS["people_erase"]} == {"admin"}
    assert {r.value for r in PEOPLE_PERMISSIONS["people_designate"]} == {"admin"}
