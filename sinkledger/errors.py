"""Refusals: one root error carrying a stable code and messages in Chinese and English.

A refusal changes nothing: services raise it before, or roll back after, any write.
Messages come from :mod:`sinkledger.messages`, the one catalogue.
"""

from __future__ import annotations

from typing import Any

from sinkledger.messages import refusal_text


class SinkLedgerError(Exception):
    """Root of every refusal. ``code`` is stable; messages are formatted from the catalogue."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = {k: _printable(v) for k, v in params.items()}
        params = self.params
        self.message_zh, self.message_en = refusal_text(code, params)
        super().__init__(f"{code}: {self.message_en}")

    def to_dict(self) -> dict[str, Any]:
        details = {k: v for k, v in self.params.items() if _json_safe(v)}
        out: dict[str, Any] = {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        if details:
            out["details"] = details
        return out

    def message(self, lang: str) -> str:
        return self.message_zh if lang == "zh" else self.message_en


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
