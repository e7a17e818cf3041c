"""Reading JSON documents that users hand to the CLI (inputs, proofs, monitoring, payment items).

A file that is not JSON, not UTF-8, nested deeper than Python can parse, or unreadable is a
refusal (``value_invalid`` naming the option), never a traceback. Decimal fractions are kept as
text by default (``parse_float=str``), as the methodologies and the ledger take decimal strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, Callable

from sinkledger_base.errors import InvalidInput


def load_json(source: Path | IO[str] | IO[bytes] | str, field: str, *,
              parse_float: Callable[[str], Any] | None = str) -> Any:
    """The JSON document in ``source`` (a path, an open file or the text itself)."""
    try:
        if isinstance(source, Path):
            text: str | bytes = source.read_bytes()
        elif isinstance(source, str):
            text = source
        else:
            text = source.read()
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return json.loads(text, parse_float=parse_float)
    except (ValueError, RecursionError, OSError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InvalidInput("value_invalid", field=field, value=reason[:80]) from None


def load_json_object(source: Path | IO[str] | IO[bytes] | str, field: str, *,
                     parse_float: Callable[[str], Any] | None = str) -> dict[str, Any]:
    """As :func:`load_json`, refusing a document that is not a JSON object."""
    document = load_json(source, field, parse_float=parse_float)
    if not isinstance(document, dict):
        raise InvalidInput("value_invalid", field=field, value="not a JSON object")
    return document
