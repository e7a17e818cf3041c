"""Every problem and refusal code the parcel code can produce has a message in Chinese and English.

The new codes are added to :data:`sinkledger.catalogue.REFUSALS` (``refusals.toml``).
"""

from __future__ import annotations

import ast
from pathlib import Path

from sinkledger.catalogue import REFUSALS
from sinkledger.config import REPO_ROOT

CALLS = {"Problem", "InvalidInput", "NotFound", "Conflict", "NotPermitted", "SinkLedgerError"}


def parcel_codes() -> set[str]:
    from sinks.attributes import PROBLEM_CODES

    codes = set(PROBLEM_CODES)
    for path in [*Path(REPO_ROOT / "sinks").rglob("*.py"), REPO_ROOT / "sinkledger" / "cli" / "parcels.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CALLS
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                codes.add(node.args[0].value)
    return codes


def test_every_parcel_code_has_both_messages():
    codes = parcel_codes()
    assert len(codes) > 40
    missing = sorted(codes - set(REFUSALS))
    assert not missing, f"parcel codes without a catalogue entry: {missing}"
    for code in codes:
        zh, en = REFUSALS[code]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.strip()
