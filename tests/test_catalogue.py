"""The one message catalogue (sinkledger/catalogue/*.toml): complete, paired, loaded once.

Refusals are values: raising one loads no text; the edges render it from the catalogue.
"""

from __future__ import annotations

import string
import subprocess
import sys

import pytest

from sinkledger import catalogue
from sinkledger.config import REPO_ROOT
from sinkledger_base.errors import InvalidInput

ENTRIES = sorted({**catalogue.REFUSALS, **catalogue.UI, **catalogue.DOCUMENTS}.items())


def fields(template: str) -> set[str]:
    """The template's fields; ``x_zh`` and ``x_en`` (text already in that language) count as ``x``."""
    return {name.removesuffix("_zh").removesuffix("_en") for _, name, _, _ in string.Formatter().parse(template)
            if name}


@pytest.mark.parametrize("key, pair", ENTRIES, ids=[k for k, _ in ENTRIES])
def test_every_entry_has_both_languages_with_the_same_fields(key, pair):
    zh, en = pair
    assert zh.strip() and en.strip(), key
    assert fields(zh) == fields(en), key
    assert any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in zh) or zh == en or \
        not any(ch.isalpha() for ch in zh), f"{key}: the Chinese text has no Chinese"


def test_a_key_defined_twice_stops_the_load(tmp_path):
    (tmp_path / "a.toml").write_text('[one]\nsame = ["一", "one"]\n[two]\nsame = ["二", "two"]\n', encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match="defined twice"):
        catalogue._load("a", {}, tmp_path)
    (tmp_path / "b.toml").write_text('[one]\nodd = ["只有中文"]\n', encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match="expected"):
        catalogue._load("b", {}, tmp_path)


def test_refusal_and_ui_keys_never_collide():
    assert not set(catalogue.REFUSALS) & set(catalogue.UI)


def test_a_refusal_is_a_value_rendered_at_the_edge():
    err = InvalidInput("insufficient_balance", requested=5, available=2)
    assert (err.code, err.params) == ("insufficient_balance", {"requested": 5, "available": 2})
    assert not hasattr(err, "message_zh")
    out = catalogue.refusal_dict(err)
    assert out["message_zh"] == "可用余额不足：需要 5 吨，可用 2 吨。"
    assert out["message_en"].startswith("Insufficient available balance: 5 t requested")
    assert catalogue.message(InvalidInput("no_such_code_anywhere"), "en") == "Refused (no_such_code_anywhere)."


def test_problems_get_their_messages_at_the_edge():
    problems = [{"row": 3, "field": "geometry", "code": "area_too_small", "details": {"area_m2": 12.5, "min_area_m2": 100}},
                {"row": None, "field": None, "code": "not_a_catalogue_code"}]
    shown = catalogue.localise({"problems": problems})
    assert "12.5" in shown["problems"][0]["message_en"] and shown["problems"][0]["message_zh"]
    assert "message_en" not in shown["problems"][1]  # unknown codes pass through untouched
    assert "message_en" not in problems[0]  # the input is not modified


def test_the_domain_loads_no_text():
    """Importing the ledger's commands (and raising their refusals) loads no catalogue and no UI."""
    code = ("import sys, ledger.sale, ledger.issuance, sinks.importer, methodologies.registry; "
            "from sinkledger_base.errors import InvalidInput; InvalidInput('quantity_must_be_positive'); "
            "print(sorted(m for m in sys.modules if m.startswith(('sinkledger.catalogue', 'sinkledger.ui', "
            "'sinkledger.services', 'sinkledger.cli', 'streamlit'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_every_entry_kind_has_a_name_in_both_languages() -> None:
    """The public registry names an entry's kind for its reader (issue 19: no raw kind such as
    "retirement" in the Chinese UI); a new kind needs its names in the catalogue."""
    from ledger.domain import EntryKind
    from sinkledger.catalogue import UI

    missing = [k.value for k in EntryKind if f"kind_{k.value}" not in UI]
    assert missing == []
    assert all(UI[f"kind_{k.value}"][0] and UI[f"kind_{k.value}"][1] for k in EntryKind)
