"""Type checks at the service boundary: what a caller hands the API is refused by field
(``value_invalid``) before anything uses it, so a wrong type never escapes as ``TypeError``,
``KeyError`` or ``AttributeError`` from deeper code.

Each returns the value in the shape the service works with (a list, a dict, a :class:`Path`).

Two rules hold for text from anywhere (CLI options, files, forms, JSON documents):

- a date is an ISO date between :data:`EARLIEST_DATE` and :data:`LATEST_DATE` (:func:`iso_date`,
  :func:`date_in_range`), the one definition of the range; a date outside it is refused with
  ``date_out_of_range`` naming the field and the range;
- a number is written in ASCII digits only (:func:`ascii_number_text`): Python's ``int("１０")``
  is 10 and ``"٣".isdigit()`` is true, so without this check full-width or Arabic-Indic digits
  would pass as quantities and amounts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sinkledger_base.errors import InvalidInput

MAX_ITEMS = 100_000
MAX_PATH_CHARS = 4096  # PATH_MAX on Linux
MAX_NAME_BYTES = 255  # NAME_MAX: one file or folder name


EARLIEST_DATE = date(1900, 1, 1)  # before any tenure record, planting or contract the registry holds
LATEST_DATE = date(2199, 12, 31)  # past any contract term (70 years) or crediting period from today


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


MAX_PAGE_ROWS = 1000


def page_bounds(limit: Any, offset: Any) -> tuple[int | None, int]:
    """A page of a list: ``limit`` rows (1 to :data:`MAX_PAGE_ROWS`; None: every row) after
    ``offset`` (0 or more), each a whole number (``value_invalid`` otherwise)."""
    if limit is not None and not 1 <= whole(limit, "limit") <= MAX_PAGE_ROWS:
        raise _bad("limit", limit)
    if not 0 <= whole(offset, "offset") <= 2**62:
        raise _bad("offset", offset)
    return limit, offset


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


def date_out_of_range(field: str, value: Any) -> InvalidInput:
    """The refusal of a date outside :data:`EARLIEST_DATE` .. :data:`LATEST_DATE`."""
    return InvalidInput("date_out_of_range", field=field, value=str(value)[:40],
                        earliest=EARLIEST_DATE.isoformat(), latest=LATEST_DATE.isoformat())


def in_date_range(day: date) -> bool:
    """Whether ``day`` lies within :data:`EARLIEST_DATE` .. :data:`LATEST_DATE`."""
    return EARLIEST_DATE <= day <= LATEST_DATE


def date_in_range(day: date, field: str) -> date:
    """``day`` if within the range, else refused (``date_out_of_range``)."""
    if not in_date_range(day):
        raise date_out_of_range(field, day.isoformat())
    return day


def iso_date(value: Any, field: str) -> date:
    """An ISO date (``YYYY-MM-DD``) within the range: ``value_invalid`` for anything that is not
    a date, ``date_out_of_range`` for a date outside :data:`EARLIEST_DATE` .. :data:`LATEST_DATE`."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _bad(field, value) from None
    return date_in_range(day, field)


def ascii_number_text(text: Any) -> bool:
    """Whether ``text`` is text with no digit but ASCII ones: ``"１０"``, ``"٣"``, ``"1０"`` or
    ``"²"`` are not numbers here, whatever ``int`` or ``Decimal`` would make of them.

    >>> ascii_number_text("1,200.50"), ascii_number_text("１０"), ascii_number_text("٣")
    (True, False, False)
    """
    return isinstance(text, str) and not any(
        not ch.isascii() and (ch.isdigit() or ch.isnumeric()) for ch in text)


def ascii_number(text: str, field: str) -> str:
    """``text`` if its digits are all ASCII, else refused (``number_not_ascii`` naming ``field``)."""
    if not ascii_number_text(text):
        raise InvalidInput("number_not_ascii", field=field, value=str(text)[:40])
    return text


def ascii_digits(text: Any) -> bool:
    """Whether ``text`` is one or more ASCII digits and nothing else (unlike ``str.isdigit``)."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def whole_number_text(text: Any, field: str, *, minimum: int | None = None) -> int:
    """A whole number typed as text in ASCII digits (an optional leading ``-``), refused
    (``value_invalid``) otherwise or below ``minimum``."""
    if not isinstance(text, str):
        raise _bad(field, text)
    stripped = ascii_number(text, field).strip()
    digits = stripped[1:] if stripped.startswith("-") else stripped
    if not ascii_digits(digits) or len(digits) > 19:
        raise _bad(field, text)
    number = int(stripped)
    if minimum is not None and number < minimum:
        raise _bad(field, text)
    return number
