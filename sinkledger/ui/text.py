"""``t(key, **params)``: catalogue text in the chosen language.

Looks the key up in :data:`sinkledger.catalogue.UI`, the one catalogue (its ``ui.toml``). A
missing key is a programming error caught
by the tests, not shown to a user.
"""

from __future__ import annotations

from typing import Any

from sinkledger.catalogue import UI
from sinkledger.catalogue import format_template as _format
from sinkledger.ui import session
from sinks import SINK_TYPES, SinkType


def text(key: str, lang: str, **params: Any) -> str:
    zh, en = UI[key]
    return _format(zh if lang == "zh" else en, params)


def t(key: str, **params: Any) -> str:
    return text(key, session.lang(), **params)


def t_or(key: str, fallback: str, **params: Any) -> str:
    """``t(key)`` when the catalogue has it, else ``fallback`` (for codes from other modules)."""
    return t(key, **params) if key in UI else fallback


def entry_kind(kind: str) -> str:
    """A journal entry's kind in the UI's language (the kind itself for one the catalogue does not
    name, e.g. from a newer release)."""
    return t_or(f"kind_{kind}", kind)


def labeller(prefix: str):  # type: ignore[no-untyped-def]
    """A ``format_func`` for widgets: ``prefix + value`` looked up in the language chosen *now*.

    The language is captured when the widget is built, because Streamlit may call a format
    function outside the script run (AppTest does), where the session is not at hand.
    """
    lang = session.lang()
    return lambda value: text(f"{prefix}{value}", lang)


def sink_labeller():  # type: ignore[no-untyped-def]

    lang = session.lang()
    return lambda value: (SINK_TYPES[SinkType(value)].name_zh if lang == "zh" else SINK_TYPES[SinkType(value)].name_en)
