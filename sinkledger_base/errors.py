"""Refusals as values: one root error carrying a stable code and its parameters, nothing more.

A refusal changes nothing: services raise it before, or roll back after, any write. Its Chinese
and English text is rendered at the edges (CLI, web app, HTTP API) from the one message
catalogue, :mod:`sinkledger.catalogue` (``catalogue.messages(err)``, ``catalogue.refusal_dict``):
raising a refusal loads no UI string. This module is part of the base layer and imports nothing
else of sinkledger's.
"""

from __future__ import annotations

from typing import Any


class SinkLedgerError(Exception):
    """Root of every refusal: a stable ``code`` and the ``params`` its message needs.

    Examples
    --------
    >>> err = InvalidInput("quantity_must_be_positive", quantity=-3)
    >>> err.code, err.params, err.details()
    ('quantity_must_be_positive', {'quantity': -3}, {'quantity': -3})
    """

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = {k: _printable(v) for k, v in params.items()}
        super().__init__(code, self.params)

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code

    def details(self) -> dict[str, Any]:
        """The parameters that can travel as JSON (what an edge shows beside the message)."""
        return {k: v for k, v in self.params.items() if _json_safe(v)}


class InvalidInput(SinkLedgerError, ValueError):
    """The request is malformed or violates a stateless rule."""


class NotFound(SinkLedgerError, LookupError):
    """A referenced record does not exist."""


class NotPermitted(SinkLedgerError, PermissionError):
    """The actor's role does not permit the command."""


class Conflict(SinkLedgerError):
    """The request conflicts with the current state (balances, periods, request ids)."""


class IntegrityFailure(SinkLedgerError):
    """Stored data fails a check (hash chain, invariants)."""


MAX_PARAM_CHARS = 200  # a refusal echoes the caller's value, never all of it


def printable(text: str, max_chars: int = MAX_PARAM_CHARS) -> str:
    """``text`` as a refusal may print it: at most ``max_chars`` characters, lone surrogates
    escaped (they cannot be encoded as UTF-8, so a message carrying them could not be shown or sent)."""
    if not encodes_utf8(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= max_chars else text[:max_chars - 1] + "…"


def _printable(value: Any, depth: int = 0) -> Any:
    """A parameter as a refusal may print it (see :func:`printable`), containers walked."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, (list, tuple, dict)) and depth >= 8:
        return "…"
    if isinstance(value, (list, tuple)):
        return type(value)(_printable(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {_printable(k, depth + 1): _printable(v, depth + 1) for k, v in value.items()}
    return value


def encodes_utf8(text: str) -> bool:
    """Whether ``text`` can be encoded as UTF-8 (no lone surrogates from undecodable bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_safe(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict))
