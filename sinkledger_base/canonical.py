"""Canonical JSON and SHA-256: the bytes every hash in the ledger is computed over.

Part of the base layer (imports nothing else of sinkledger's). Canonical JSON here means sorted
keys, no spaces, UTF-8 text, no floats (amounts are integers or decimal strings), enums by
value and dates as ISO text, so that the same record always hashes the same on every backend.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any


def _reject_floats(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # the common cases, fast
        return value
    if kind is dict:
        return {str(k): _reject_floats(v) for k, v in value.items()}
    if kind is list:
        return [_reject_floats(v) for v in value]
    if isinstance(value, float):
        raise TypeError("floats are not allowed in ledger records; use integers or decimal strings")
    if isinstance(value, Mapping):
        return {str(k): _reject_floats(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_reject_floats(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value



def canonical_json(value: Any) -> str:
    """Serialise ``value`` canonically: sorted keys, no spaces, UTF-8 text, no floats."""
    return json.dumps(_reject_floats(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
