"""Type checks at the service boundary: what a caller hands the API is refused by field
(``value_invalid``) before anything uses it, so a wrong type never escapes as ``TypeError``,
``KeyError`` or ``AttributeError`` from deeper code.

Each returns the value in the shape the service works with (a list, a dict, a :class:`Path`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sinkledger_base.errors import InvalidInput

MAX_ITEMS = 100_000
MAX_PATH_CHARS = 4096  # PATH_MAX on Linux
MAX_NAME_BYTES = 255  # NAME_MAX: one file or folder name


def _bad(field: str, value: Any) -> InvalidInput:
    return InvalidInput("value_invalid", field=field, value=repr(value)[:40])


def text_list(value: Any, field: str, *, max_items: int = MAX_ITEMS) -> list[str]:
    """A list or tuple of strings (ids, codes, serial ranges)."""
    if not isinstance(value, (list, tuple)) or len(value) > max_items:
        raise _bad(field, value)
    for item in value:
        if not isinstance(item, str):
            raise _bad(field, item)
    return list(value)


def optional_text_list(value: Any, field: str) -> list[str] | None:
    return None if value is None else text_list(value, field)


def mapping(value: Any, field: str) -> dict[str, Any]:
    """A mapping with text keys."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _bad(field, value)
    return dict(value)


def optional_mapping(value: Any, field: str) -> dict[str, Any]:
    return {} if value is None else mapping(value, field)


def mapping_list(value: Any, field: str, *, required_keys: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """A list of mappings, each with ``required_keys``."""
    if not isinstance(value, (list, tuple)) or len(value) > MAX_ITEMS:
        raise _bad(field, value)
    out = [mapping(item, field) for item in value]
    for item in out:
        for key in required_keys:
            if item.get(key) is None:
                raise InvalidInput("field_required", field=f"{field}.{key}")
    return out


def flag(value: Any, field: str) -> bool:
    """A boolean: the string 'false' or the number 1 is not one."""
    if not isinstance(value, bool):
        raise _bad(field, value)
    return value


def whole(value: Any, field: str) -> int:
    """An integer that is not a boolean (True is not 1 basis point)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(field, value)
    return value


def path_value(value: Any, field: str) -> Path:
    """A file path given as text or ``os.PathLike``: not empty, no NUL character."""
    if not isinstance(value, (str, os.PathLike)):
        raise _bad(field, value)
    text = os.fspath(value)
    if not isinstance(text, str) or not text.strip() or "\x00" in text or len(text) > MAX_PATH_CHARS:
        raise _bad(field, value)
    path = Path(text)
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in path.parts):
        raise _bad(field, value)
    return path


def output_path(value: Any, field: str) -> Path:
    """A file to write: a valid path (:func:`path_value`), not a folder, in a folder that exists."""
    path = path_value(value, field)
    if path.is_dir() or not path.parent.is_dir():
        raise InvalidInput("path_unusable", path=str(path)[:200],
                           reason="is a folder" if path.is_dir() else "the folder does not exist")
    return path
