"""The text of every document, in Chinese and English: ``key: (zh, en)``, from the one
catalogue (``sinkledger/catalogue/documents.toml``).

One pair per key, so the two languages cannot drift apart; both sides name the same
``{placeholders}`` (tests/documents/test_documents.py checks). :func:`text` picks the side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sinkledger import catalogue
from sinkledger_base.errors import InvalidInput

LANGS: Final = ("zh", "en")

TEXTS: Final[Mapping[str, tuple[str, str]]] = catalogue.DOCUMENTS
SINK_TYPES: Final[Mapping[str, tuple[str, str]]] = catalogue.DOCUMENTS_BY_AREA["sink_types"]


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` ('zh', anything else is English), with ``values`` filled in."""
    zh, en = TEXTS[key]
    chosen = zh if lang == "zh" else en
    return chosen.format(**values) if values else chosen


def text_or(key: str, lang: str, fallback: str) -> str:
    """The text ``key`` in ``lang``, or ``fallback`` when the catalogue has no such key."""
    return text(key, lang) if key in TEXTS else fallback


def sink_type_name(sink_type: str, lang: str) -> str:
    """``bamboo_forest`` → ``竹林`` / ``Bamboo forest`` (an unknown type as it is)."""
    zh, en = SINK_TYPES.get(sink_type, (sink_type, sink_type))
    return zh if lang == "zh" else en


def checked_lang(lang: object) -> str:
    """``lang`` if it is a document language, else a ``value_invalid`` refusal (field ``lang``)."""
    if lang not in LANGS:
        raise InvalidInput("value_invalid", field="lang", value=repr(lang)[:20])
    return str(lang)
