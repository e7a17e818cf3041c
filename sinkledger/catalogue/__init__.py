"""The one message catalogue: every refusal and every UI string, in Chinese and English.

Refusals are values (:class:`sinkledger_base.errors.SinkLedgerError`: a code and parameters);
their text is rendered here, at the edges: the CLI, the web app and the HTTP API call
:func:`messages`, :func:`message` or :func:`refusal_dict`. Problems found in input (a parcel
row, a registry row) travel as records with a ``code`` and their parameters; :func:`localise`
adds their messages to a JSON document just before an edge shows or prints it.

The texts are data: ``refusals.toml`` (every refusal code), ``ui.toml`` (the web app's strings)
and ``documents.toml`` (the PDF and Excel documents), each entry ``key = ["中文", "English"]``
in tables by area. A key defined twice, in any table of any file, stops the start-up. (The
methodologies are pure science, usable alone, and render their own input problems from
:mod:`methodologies.messages`.)
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sinkledger_base.errors import SinkLedgerError

__all__ = ["DOCUMENTS", "REFUSALS", "REFUSALS_BY_AREA", "UI", "UI_BY_AREA", "field_name", "format_template",
           "localise", "message", "messages", "problem_messages", "refusal_dict", "refusal_text", "ui_text"]

HERE = Path(__file__).resolve().parent
Pair = tuple[str, str]


class CatalogueError(RuntimeError):
    """The catalogue's files are broken: a programming error, found at start-up."""


def _load(name: str, seen: dict[str, str], folder: Path = HERE) -> dict[str, dict[str, Pair]]:
    """The tables of ``name``.toml: area → key → (zh, en); ``seen`` maps every key to its place."""
    import tomllib  # deferred on purpose: the catalogue is read on first use (_tables)

    with open(folder / f"{name}.toml", "rb") as f:
        data = tomllib.load(f)
    out: dict[str, dict[str, Pair]] = {}
    for area, table in data.items():
        out[area] = {}
        for key, pair in table.items():
            if key in seen:
                raise CatalogueError(f"{key!r} is defined twice: {seen[key]} and {name}.toml [{area}]")
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)):
                raise CatalogueError(f"{name}.toml [{area}] {key}: expected [\"中文\", \"English\"]")
            seen[key] = f"{name}.toml [{area}]"
            out[area][key] = (pair[0], pair[1])
    return out


@functools.lru_cache(maxsize=1)
def _tables() -> dict[str, Any]:
    """Every table, read on first use (not at import: a command that shows no text pays nothing)."""
    seen: dict[str, str] = {}
    refusals_by_area = _load("refusals", seen)
    ui_by_area = _load("ui", seen)
    documents_by_area = _load("documents", {})  # documents have their own keys (they may reuse a UI word)
    return {"REFUSALS_BY_AREA": refusals_by_area, "UI_BY_AREA": ui_by_area,
            "DOCUMENTS_BY_AREA": documents_by_area,
            "REFUSALS": {k: v for table in refusals_by_area.values() for k, v in table.items()},
            "UI": {k: v for table in ui_by_area.values() for k, v in table.items()},
            "DOCUMENTS": documents_by_area["texts"]}


def __getattr__(name: str) -> Any:
    """``REFUSALS``, ``UI``, ``DOCUMENTS`` and their ``*_BY_AREA`` tables, loaded on first use."""
    tables = _tables()
    if name in tables:
        return tables[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


UNKNOWN_REFUSAL: Pair = ("操作被拒绝（{code}）。", "Refused ({code}).")


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "?"


class _PluralFormatter(string.Formatter):
    """``{n:plural/parcel/parcels}`` renders the word for ``n`` (the singular for exactly 1), so
    English texts say "1 parcel" and "2 parcels" instead of "1 parcels" or "parcel(s)"."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec.startswith("plural/"):
            _, one, other = (format_spec.split("/") + ["", ""])[:3]
            try:
                return one if int(value) == 1 else other
            except (TypeError, ValueError):
                return other
        return super().format_field(value, format_spec)


def format_template(template: str, params: Mapping[str, Any]) -> str:
    """``template`` with ``params`` filled in; a missing field shows as ``?`` instead of failing,
    so that a refusal is always displayable. ``{n:plural/one/other}`` picks a word by count."""
    return _PluralFormatter().vformat(template, (), _Lenient(params))


def refusal_text(code: str, params: Mapping[str, Any]) -> Pair:
    """The Chinese and English message for a refusal code and its parameters.

    A ``field`` parameter that names a field the catalogue knows (``fieldname_<field>``; parts
    joined by ``/`` each) is shown by that name in each language (``loan_reference`` → 贷款编号 /
    loan reference); the parameter itself, for machines, is unchanged."""
    zh, en = _tables()["REFUSALS"].get(code, UNKNOWN_REFUSAL)
    merged = {"code": code, **params}
    field = params.get("field")
    if isinstance(field, str):
        return (format_template(zh, {**merged, "field": field_name(field, "zh")}),
                format_template(en, {**merged, "field": field_name(field, "en")}))
    return format_template(zh, merged), format_template(en, merged)


def field_name(field: str, lang: str) -> str:
    """A field as a person names it in ``lang``, or the field itself for one the catalogue does not
    name (a column of the user's file, an option of the command line)."""
    names = _tables()["UI"]
    parts = [names.get(f"fieldname_{part}") for part in field.split("/")]
    if not any(parts):
        return field
    return "/".join(pair[0 if lang == "zh" else 1] if pair else part for pair, part in zip(parts, field.split("/")))


def ui_text(key: str, lang: str, **params: Any) -> str:
    """A web-app string in ``lang`` (``"zh"``; anything else is English)."""
    zh, en = _tables()["UI"][key]
    return format_template(zh if lang == "zh" else en, params)

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
    if (isinstance(code, str) and code in _tables()["REFUSALS"] and "message_zh" not in out
            and _PROBLEM_KEYS & out.keys()):
        out["message_zh"], out["message_en"] = problem_messages(value)
    return out
