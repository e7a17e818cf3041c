"""Canonical JSON and read-only copies of JSON-like documents.

Canonical JSON (sorted keys, no whitespace, UTF-8 kept, Decimals as canonical strings, floats
refused) gives the bytes that :func:`methodologies.base.reproducibility_hash` digests; the same
document always gives the same bytes however it was typed.
"""

import json
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from methodologies.units import canonical_decimal


def freeze(value: Any) -> Any:
    """Return a read-only deep copy: mappings become MappingProxyType, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`, turning Decimals into canonical strings (JSON-safe)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    if isinstance(value, Decimal):
        return canonical_decimal(value)
    return value


def canonical_json(document: Any) -> str:
    """Serialise ``document`` canonically: sorted keys, no spaces, UTF-8, Decimals as strings.

    Floats are refused: they have no single canonical decimal form.
    """
    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            return canonical_decimal(value)
        if isinstance(value, MappingProxyType):
            return dict(value)
        raise TypeError(f"not canonically serialisable: {type(value).__name__}")

    def reject_floats(value: Any) -> None:
        if isinstance(value, float):
            raise TypeError("floats are not canonically serialisable; use Decimal")
        if isinstance(value, Mapping):
            for item in value.values():
                reject_floats(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                reject_floats(item)

    reject_floats(document)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=encode)
