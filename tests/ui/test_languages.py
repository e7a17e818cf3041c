"""Every page of every role, in both languages: no text of the other language outside data.

A page in English shows no Chinese character except in data (names of people, parties and
places, which are Chinese in the synthetic demo); a page in Chinese shows none of the English
words a UI might leave untranslated. What is checked is what the app writes itself: titles,
headers, captions, messages, markdown, widget labels, options, placeholders, tab and expander
labels, metric labels and table column names. Table cells are data and are not checked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from sinkledger.ui.navigation import PUBLIC_PAGES, ROLE_PAGES
from sinkledger.ui.session import LANG
from tests.ui.conftest import CJK, no_errors, open_app, service_for

ROLE_USERS = {"cooperative": "coop", "household": "household", "collection_centre": "centre",
              "trading_clerk": "clerk", "verifier": "verifier", "enterprise": "enterprise", "court": "court",
              "procurator": "procurator", "bank": "bank", "insurer": "insurer", "admin": "admin", "public": None}
# English words a Chinese page must not show (each a whole word, as a UI would leave it)
ENGLISH_UI_WORDS = re.compile(
    r"\b(Upload|Browse files|Choose options|Choose an option|No results|Cancel|Submit|Download|Register|"
    r"Parcels?|Account|Balance|Total|Status|Sign in|Sign out|Page not found|None|True|False|problem\(s\)|"
    r"parcels|Draw|Finish|Delete|Holder|Amount|Date|Estimate|Select|Search|Overview|Language)\b")
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


@pytest.fixture(scope="module")
def data_words(ui_db) -> set[str]:  # type: ignore[no-untyped-def]
    """Names in the data: the users' display names and the accounts' holders (county and sink-type
    names are not data: they have English names and must show them)."""
    from sinkledger.services import queries as ui_queries

    service = service_for(ui_db)
    try:
        words = {u["display_name"] for u in service.users() if u.get("display_name")}
        words |= set(ui_queries.account_names(service).values())
    finally:
        service.db.dispose()
    return {w for w in words if w}


def without_data(value: str, data: set[str]) -> str:
    for word in sorted(data, key=len, reverse=True):
        value = value.replace(word, "")
    return value


@pytest.mark.parametrize("role, page, lang", CASES, ids=[f"{r}-{p}-{lang}" for r, p, lang in CASES])
def test_every_page_speaks_one_language(app_env, data_words, role, page, lang) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=ROLE_USERS[role], page=page, lang=lang)
    no_errors(at)
    shown = [without_data(s, data_words) for s in shown_texts(at)]
    if lang == "en":
        leftovers = [s for s in shown if CJK.search(s)]
    else:
        leftovers = [s for s in shown if ENGLISH_UI_WORDS.search(s)]
    assert leftovers == [], f"{role} {page} in {lang}: {leftovers}"
