"""Every page of every role, in both languages: no text of the other language outside data.

A page in English shows no Chinese character except in data (names of people, parties and
places, which are Chinese in the synthetic demo); a page in Chinese shows none of the English
words a UI might leave untranslated. What is checked is what the app writes itself: titles,
headers, captions, messages, markdown, widget labels, options, placeholders, tab and expander
labels, metric labels and table column names. Table cells are data and are not checked.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from sinkledger.ui.navigation import PUBLIC_PAGES, ROLE_PAGES
from sinkledger.ui.session import LANG
from tests.ui.conftest import CJK, no_errors, open_app

ROLE_USERS = {"cooperative": "coop", "household": "household", "collection_centre": "centre",
              "trading_clerk": "clerk", "verifier": "verifier", "enterprise": "enterprise", "court": "court",
              "procurator": "procurator", "bank": "bank", "insurer": "insurer", "admin": "admin", "public": None}
# English words a Chinese page must not show (each a whole word, as a UI would leave it)
ENGLISH_UI_WORDS = re.compile(
    r"\b(Upload|Browse files|Choose options|Choose an option|No results|Cancel|Submit|Download|Register|"
    r"Parcels?|Account|Balance|Total|Status|Sign in|Sign out|Page not found|None|True|False|problem\(s\)|"
    r"parcels|Draw|Finish|Delete|Holder|Amount|Date|Estimate|Select|Search|Overview|Language)\b")
DATA_RUN = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff00-\uffef()（）\d\w]*[\u3400-\u9fff][\u3001-\u303f\u3400-\u9fff\uff00-\uffef()（）\d\w]*")
CASE_NUMBER = re.compile(r"[(（]\d{4}[)）][\u4e00-\u9fff]+\d*[\u4e00-\u9fff]+\d+号")
PLURAL_SLIP = re.compile(r"(?<![\d.,])\b1 (parcels|problems|rows|estimates|findings|entries|credits)\b|\w\(s\)")
WIDGETS = ("button", "text_input", "number_input", "text_area", "selectbox", "multiselect", "radio", "checkbox",
           "date_input", "toggle", "slider", "select_slider", "tabs", "expander", "metric")

CASES = [(role, page, lang) for role in ROLE_USERS for page in (*ROLE_PAGES.get(role, ()), *PUBLIC_PAGES)
         for lang in ("zh", "en") if page != "signin" or role == "public"]


def _strings(node: Any) -> list[str]:
    """What the app wrote on a widget: its label, placeholder, options (as shown) and help."""
    out = []
    for attr in ("label", "placeholder", "help"):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            out.append(value)
    proto = getattr(node, "proto", None)
    for option in getattr(proto, "options", ()) or ():
        out.append(str(option))
    return out


def shown_texts(at) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []
    for root in (at.main, at.sidebar):
        for kind in ("title", "header", "subheader", "caption", "markdown", "info", "success", "warning", "error",
                     "toast"):
            found += [str(e.value) for e in getattr(root, kind)]
        for kind in WIDGETS:
            for node in getattr(root, kind):
                if getattr(node, "key", None) != LANG:  # the language switch names both languages on purpose
                    found += _strings(node)
        for frame in [*root.dataframe, *root.table]:
            value = frame.value
            found += [str(c) for c in getattr(value, "columns", ())]
    return found


def _leaves(value: Any) -> list[str]:
    """The strings in a stored value (a JSON document's string leaves too)."""
    if isinstance(value, str):
        if value[:1] in "[{":
            try:
                return _leaves(json.loads(value))
            except ValueError:
                pass
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _leaves(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _leaves(v)]
    return []


@pytest.fixture(scope="module")
def data_words(ui_db) -> set[str]:  # type: ignore[no-untyped-def]
    """Data: every Chinese text stored in the database (names of people, parties and places,
    contract and case numbers, project names, clauses), and the methodologies' bibliographic
    sources. County and sink-type names are not data here: they have English names and must show
    them in the English UI."""
    from methodologies.registry import list_methodologies

    engine = sa.create_engine(ui_db["env"]["DATABASE_URL"])
    words: set[str] = set()
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
                if not columns:
                    continue
                for row in conn.execute(sa.select(*columns)):
                    words |= {s for v in row for s in _leaves(v) if CJK.search(s)}
    finally:
        engine.dispose()
    for methodology in list_methodologies():
        estimate = methodology.estimate(methodology.example_inputs()).to_dict()
        words |= {s for p in estimate["parameters"] for s in _leaves(p.get("source")) if CJK.search(s)}
    return _chinese_parts(words)


def _chinese_parts(words: set[str]) -> set[str]:
    """Each stored text and its runs of Chinese (a page may show a part of a stored text)."""
    parts = set(words)
    for word in words:
        parts |= {m.group(0) for m in DATA_RUN.finditer(word) if len(m.group(0)) >= 3}
    return {p for p in parts if p.strip()}


def without_data(value: str, data: set[str]) -> str:
    if not CJK.search(value):
        return value
    value = CASE_NUMBER.sub("", value)  # a Chinese case number, e.g. a form's example, is Chinese in any UI
    for word in sorted((w for w in data if w in value), key=len, reverse=True):
        value = value.replace(word, "")
    return value


@pytest.mark.parametrize("role, page, lang", CASES, ids=[f"{r}-{p}-{lang}" for r, p, lang in CASES])
def test_every_page_speaks_one_language(app_env, data_words, role, page, lang) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=ROLE_USERS[role], page=page, lang=lang)
    no_errors(at)
    shown = [without_data(s, data_words) for s in shown_texts(at)]
    if lang == "en":
        leftovers = [s for s in shown if CJK.search(s) or PLURAL_SLIP.search(s)]
    else:
        leftovers = [s for s in shown if ENGLISH_UI_WORDS.search(s)]
    assert leftovers == [], f"{role} {page} in {lang}: {leftovers}"


COUNTED_NOUNS = re.compile(r"\{(?!total\}|sink_type\})(\w+)\} (parcels|problems|rows|estimates|findings|entries|households|items|contracts)\b")


@pytest.mark.parametrize("table", ["UI", "REFUSALS"])
def test_counts_in_english_agree_with_their_number(table) -> None:  # type: ignore[no-untyped-def]
    """No "1 parcels" and no "problem(s)": a count's noun follows the count
    (``{n} {n:plural/parcel/parcels}``), checked on every English text with a count."""
    from sinkledger import catalogue

    slips = {key: en for key, (_, en) in getattr(catalogue, table).items()
             if "(s)" in en and re.search(r"\{\w+\}", en) or COUNTED_NOUNS.search(en)}
    assert slips == {}
    assert catalogue.ui_text("preview_problems", "en", n=1, rows=1).startswith("1 problem in 1 row:")
    assert catalogue.ui_text("preview_problems", "en", n=2, rows=3).startswith("2 problems in 3 rows:")
    assert catalogue.ui_text("confirm_import", "en", n=1) == "Register 1 parcel"
