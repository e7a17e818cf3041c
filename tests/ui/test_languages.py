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
from tests.ui.conftest import CJK, list_tables, no_errors, open_app

ROLE_USERS = {"cooperative": "coop", "household": "household", "collection_centre": "centre",
              "trading_clerk": "clerk", "verifier": "verifier", "enterprise": "enterprise", "court": "court",
              "procurator": "procurator", "bank": "bank", "insurer": "insurer", "admin": "admin", "public": None}
# English words a Chinese page must not show (each a whole word, as a UI would leave it)
ENGLISH_UI_WORDS = re.compile(
    r"\b(Upload|Browse files|Choose options|Choose an option|No results|Cancel|Submit|Download|Register|"
    r"Parcels?|Account|Balance|Total|Status|Sign in|Sign out|Page not found|None|True|False|problem\(s\)|"
    r"parcels|Draw|Finish|Delete|Holder|Amount|Date|Estimate|Select|Search|Overview|Language)\b")
# a code's own name for a field (``loan_reference``, ``parcel_code/sink_type/holder``) or an English
# field word, in a Chinese text: a refusal or a label that named the field raw instead of in Chinese
# (checked in messages written for people: alerts and captions, not reports, options or file paths)
RAW_FIELD = re.compile(r"(?<![/\w.])[a-z]+(?:_[a-z0-9]+)+(?![/\w.])|\b(beneficiary|purpose|quantity|holder|geometry|"
                       r"contract|seller|buyer|reason|password|username|field)\b")
MESSAGES = ("caption", "info", "success", "warning", "error", "toast")
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
        for value in [*(f.value for f in [*root.dataframe, *root.table]), *list_tables(at, root)]:
            found += [str(c) for c in getattr(value, "columns", ())]
    return found


MESSAGE_COLUMNS = ("col_problem", "col_check")  # table columns of messages (a preview's problems, a row's check)


def message_texts(at, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The messages a page writes for people: alerts, captions, and the cells of a table's
    problem column (a table's other cells are data)."""
    from sinkledger.ui.text import text

    found = [str(e.value) for root in (at.main, at.sidebar) for kind in MESSAGES for e in getattr(root, kind)]
    headers = {text(key, lang) for key in MESSAGE_COLUMNS}
    for value in [*(f.value for f in at.main.dataframe), *list_tables(at, at.main)]:
        for column in [c for c in getattr(value, "columns", ()) if c in headers]:
            found += [str(v) for v in value[column]]
    return found


def leftovers_of(at, lang: str, data: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The texts of the other language on the page: in English any Chinese (or a count that
    disagrees with its noun), in Chinese an English UI word, or a field's raw name in a message."""
    shown = [without_data(s, data) for s in shown_texts(at)]
    messages = [without_data(s, data) for s in message_texts(at, lang)]
    if lang == "en":
        return [s for s in shown + messages if CJK.search(s) or PLURAL_SLIP.search(s)]
    return [s for s in shown if ENGLISH_UI_WORDS.search(s)] + [m for m in messages if RAW_FIELD.search(m)]


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
    return stored_words(ui_db)


def stored_words(ui_db) -> set[str]:  # type: ignore[no-untyped-def]
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
    for word in sorted((w for w in data if w in value), key=len, reverse=True):
        value = value.replace(word, "")
    return CASE_NUMBER.sub("", value)  # a Chinese case number, e.g. a form's example, is Chinese in any UI


@pytest.mark.parametrize("role, page, lang", CASES, ids=[f"{r}-{p}-{lang}" for r, p, lang in CASES])
def test_every_page_speaks_one_language(app_env, data_words, role, page, lang) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=ROLE_USERS[role], page=page, lang=lang)
    no_errors(at)
    leftovers = leftovers_of(at, lang, data_words)
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


# -- the same walk in the states after actions (issue 19, point 8) -----------------------------------
#
# A page's first state is not all it shows: after a sale, an upload's preview, a refusal, a
# confirmation question, an expanded section, other texts appear. Each scenario below acts on a
# page as its user would (by widget keys, or by the label the chosen language gives a button) and
# the state it ends in is checked as the first states are. Free text typed here is ASCII, so that
# nothing typed counts as data; what the actions store (names, numbers) is data from then on.

def _press(at, key: str, lang: str):  # type: ignore[no-untyped-def]
    """The button with widget key ``key``, else the one labelled with catalogue text ``key``."""
    from sinkledger.ui.text import text

    found = [b for b in at.button if getattr(b, "key", None) == key] or \
        [b for b in at.button if b.label == text(key, lang)]
    assert found, f"no button {key!r}; have {[(b.key, b.label) for b in at.button]}"
    return found[0].click().run()


def _xlsx(*rows: list) -> bytes:  # type: ignore[type-arg]
    import io

    from openpyxl import Workbook

    from sinkledger.services.sales_files import TEMPLATE_COLUMNS

    book = Workbook()
    book.active.append(list(TEMPLATE_COLUMNS["zh"]))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sale_recorded(at, lang):  # type: ignore[no-untyped-def]
    at.selectbox(key="sale_seller").set_value("COL-0001-H")
    at.text_input(key="sale_contract").set_value(f"HZGX-LANG-{lang}-1").run()
    return _press(at, "record_sale", lang)


def _sale_refused(at, lang):  # type: ignore[no-untyped-def]
    at.selectbox(key="sale_seller").set_value("COL-0001-H")
    at.number_input(key="sale_quantity").set_value(99_999)
    at.text_input(key="sale_price").set_value("300").run()  # short of credits, a price far off the median
    at.text_input(key="sale_contract").set_value("HZGX-2026-0101").run()  # a contract number already used
    return at.text_input(key="sale_price").set_value("7,3.x").run()  # unreadable


def _import_refused(at, lang):  # type: ignore[no-untyped-def]
    data = _xlsx(["COL-0001-H", "ENT-0001-H", 1, "300", "HZGX-2026-0101", "2026-11-20", "2026-11-01"],
                 ["COL-0001-H", "NOPE", 0, "7341", "HZGX-2026-0101", "2026-02-30", None],
                 ["COL-0001-H", "ENT-0002-H", 99_999, "73.41", "HZGX-LANG-X", None, None])
    return at.file_uploader(key="sales_file").set_value((f"day-{lang}.xlsx", data, "application/octet-stream")).run()


def _import_recorded(at, lang):  # type: ignore[no-untyped-def]
    data = _xlsx(["COL-0001-H", "ENT-0001-H", 1, "73.41", f"HZGX-LANG-{lang}-2", None, None])
    at.file_uploader(key="sales_file").set_value((f"ok-{lang}.xlsx", data, "application/octet-stream")).run()
    return _press(at, "record_sales", lang)


def _correction_asked(at, lang):  # type: ignore[no-untyped-def]
    at.text_input(key="correct_reason").set_value("typed twice").run()
    return _press(at, "correct_sale_button", lang)


def _upload_previewed(at, lang):  # type: ignore[no-untyped-def]
    from tests.ui.scenario import square

    bare = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": square("drawn"),
                       "properties": {"xiaoban": f"LANG-{lang}", "mianji": "12.5"}}]}).encode("utf-8")
    return at.file_uploader(key="parcel_file").set_value((f"bare-{lang}.geojson", bare, "application/geo+json")).run()


def _retirement_asked(at, lang):  # type: ignore[no-untyped-def]
    at.text_input(key="retire_beneficiary").set_value("Example Ltd")
    at.text_input(key="retire_purpose").set_value("offset")  # a form: its values go with its button
    return _press(at, "retire_credits", lang)


def _retired(at, lang):  # type: ignore[no-untyped-def]
    at = _retirement_asked(at, lang)
    return _press(at, "confirm_yes", lang)


def _retirement_refused(at, lang):  # type: ignore[no-untyped-def]
    """No beneficiary: refused before any confirmation is asked."""
    return _press(at, "retire_credits", lang)


def _retirement_refused_by_the_service(at, lang):  # type: ignore[no-untyped-def]
    """Asked, confirmed, refused by the service: more than the account holds."""
    at.number_input(key="retire_quantity").set_value(10_000_000)
    at = _retirement_asked(at, lang)
    return _press(at, "confirm_yes", lang)


def _pledge_blank(at, lang):  # type: ignore[no-untyped-def]
    return _press(at, "record_pledge", lang)


def _pledge_refused(at, lang):  # type: ignore[no-untyped-def]
    at.selectbox(key="pledge_account").set_value("COL-0001-H")
    at.number_input(key="pledge_quantity").set_value(99_999)
    at.text_input(key="pledge_loan").set_value("LOAN-LANG")
    return _press(at, "record_pledge", lang)


def _default_asked(at, lang):  # type: ignore[no-untyped-def]
    return _press(at, "default", lang)


def _case_with_order(at, lang):  # type: ignore[no-untyped-def]
    at.text_input(key="case_no").set_value(f"(2026)LANG-{lang}")
    at.multiselect(key="case_defendants").set_value(["ENT-0002"])
    at.text_input(key="case_ecosystem").set_value("wetland")
    at.text_area(key="case_description").set_value("test")
    at = _press(at, "register_case", lang)
    return _press(at, "issue_order", lang)


def _approved(at, lang):  # type: ignore[no-untyped-def]
    return _press(at, "approve_and_issue", lang)


def _export_prepared(at, lang):  # type: ignore[no-untyped-def]
    return _press(at, "export_prepare", lang)


def _user_created(at, lang):  # type: ignore[no-untyped-def]
    at.selectbox(key="new_role").set_value("cooperative").run()
    at.selectbox(key="new_party_cooperative").set_value("COL-0001")
    at.text_input(key="new_username").set_value(f"lang-{lang}")
    at.text_input(key="new_display").set_value("Lang")
    at.text_input(key="new_password").set_value("password-1").run()
    return _press(at, "create_user", lang)


def _user_refused(at, lang):  # type: ignore[no-untyped-def]
    at.selectbox(key="new_role").set_value("cooperative").run()
    at.selectbox(key="new_party_cooperative").set_value("COL-0001")
    at.text_input(key="new_username").set_value("admin")  # taken
    at.text_input(key="new_password").set_value("x").run()
    return _press(at, "create_user", lang)


ACTIONS = {  # scenario → (user, page, what it does)
    "sale_recorded": ("clerk", "sale", _sale_recorded),
    "sale_refused": ("clerk", "sale", _sale_refused),
    "import_refused": ("clerk", "sale", _import_refused),
    "import_recorded": ("clerk", "sale", _import_recorded),
    "correction_asked": ("clerk", "sales", _correction_asked),
    "upload_previewed": ("coop", "register", _upload_previewed),
    "retirement_asked": ("enterprise", "account", _retirement_asked),
    "retired": ("enterprise", "account", _retired),
    "retirement_refused": ("enterprise", "account", _retirement_refused),
    "retirement_refused_by_the_service": ("enterprise", "account", _retirement_refused_by_the_service),
    "pledge_refused": ("bank", "pledges", _pledge_refused),
    "pledge_blank": ("bank", "pledges", _pledge_blank),
    "default_asked": ("bank", "pledges", _default_asked),
    "case_with_order": ("court", "cases", _case_with_order),
    "approved": ("verifier", "verify", _approved),
    "export_prepared": ("centre", "parcels", _export_prepared),
    "user_created": ("admin", "users", _user_created),
    "user_refused": ("admin", "users", _user_refused),
}
ACTION_CASES = [(name, lang) for name in ACTIONS for lang in ("zh", "en")]
# the column names of the files the scenarios upload: the user's data wherever a page names them
FILE_COLUMNS = {"单价（元/吨）", "数量（吨）", "成交日期", "合同日期", "买方账户", "卖方账户", "合同编号"}


@pytest.mark.parametrize("scenario, lang", ACTION_CASES, ids=[f"{n}-{lang}" for n, lang in ACTION_CASES])
def test_every_page_speaks_one_language_after_actions(app_env, scenario, lang) -> None:  # type: ignore[no-untyped-def]
    user, page, act = ACTIONS[scenario]
    at = act(open_app(app_env, user=user, page=page, lang=lang), lang)
    assert not at.exception, [e.value for e in at.exception]
    leftovers = leftovers_of(at, lang, stored_words(app_env) | FILE_COLUMNS)  # what the action stored is data now
    assert leftovers == [], f"{scenario} in {lang}: {leftovers}"
