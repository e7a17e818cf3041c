"""The one message catalogue: every refusal and every UI string, in Chinese and English.

Refusals are values (:class:`sinkledger.base.errors.SinkLedgerError`: a code and parameters);
their text is rendered here, at the edges: the CLI, the web app and the HTTP API call
:func:`messages`, :func:`message` or :func:`refusal_dict`. Problems found in input (a parcel
row, a registry row) travel as records with a ``code`` and their parameters; :func:`localise`
adds their messages to a JSON document just before an edge shows or prints it.

Domain packages own the texts of their own codes as plain dicts (``ledger/people/messages.py``,
``ledger/income/messages.py``; the methodologies render their own, :mod:`methodologies.messages`)
and :mod:`sinkledger.catalogue.refusals` merges them into one table, so a code is defined once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sinkledger.base.errors import SinkLedgerError
from sinkledger.catalogue.refusals import REFUSALS, UI, refusal_text, ui_text

__all__ = ["REFUSALS", "UI", "localise", "message", "messages", "problem_messages",
           "refusal_dict", "refusal_text", "ui_text"]

# Keys that mark a record as a problem (a refusal code found at a row or in a file).
_PROBLEM_KEYS = frozenset({"row", "field", "row_number", "details", "params", "source"})


def messages(err: SinkLedgerError) -> tuple[str, str]:
    """The Chinese and English text of a refusal."""
    return refusal_text(err.code, err.params)


def message(err: SinkLedgerError, lang: str) -> str:
    """The refusal's text in ``lang`` (``"zh"``, anything else is English)."""
    zh, en = messages(err)
    return zh if lang == "zh" else en


def refusal_dict(err: SinkLedgerError) -> dict[str, Any]:
    """A refusal as the edges send it: code, both messages, and the JSON-safe parameters.

    Problems among the parameters (``details.problems`` of a refused import) get their messages.
    """
    zh, en = messages(err)
    out: dict[str, Any] = {"code": err.code, "message_zh": zh, "message_en": en}
    details = err.details()
    if details:
        out["details"] = localise(details)
    return out


def problem_messages(record: Mapping[str, Any]) -> tuple[str, str]:
    """The Chinese and English text of a problem record (``code`` plus its parameters)."""
    params: dict[str, Any] = {k: v for k, v in record.items() if k not in ("details", "params")}
    for nested in ("details", "params"):
        if isinstance(record.get(nested), Mapping):
            params.update(record[nested])
    params["row"] = "-" if params.get("row") is None else params["row"]
    params["field"] = params.get("field") or "-"
    return refusal_text(str(record.get("code")), params)


def localise(value: Any) -> Any:
    """``value`` with every problem record in it carrying ``message_zh`` and ``message_en``.

    A problem record is a dict with a catalogue ``code`` and at least one of the keys that
    locate a problem (row, field, row_number, details, params, source). Other values pass
    through unchanged; the input is not modified.
    """
    if isinstance(value, list):
        return [localise(v) for v in value]
    if isinstance(value, tuple):
        return tuple(localise(v) for v in value)
    if not isinstance(value, Mapping):
        return value
    out = {k: localise(v) for k, v in value.items()}
    code = out.get("code")
    if (isinstance(code, str) and code in REFUSALS and "message_zh" not in out
            and _PROBLEM_KEYS & out.keys()):
        out["message_zh"], out["message_en"] = problem_messages(value)
    return out
