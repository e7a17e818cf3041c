"""Cell values of registry exports: cleaning, quantities with units, dates, nested literals.

Pure functions shared by every registry's mapping (:mod:`.mapping`); each returns ``None`` for
a value it cannot read unambiguously, and the reader turns that into a problem naming the row.

Quirks handled here, as seen in the reference exports (``../shared/data/registry``):

- zero-width characters (U+200B in Gold Standard and Cercarbono project names) are removed from
  every cell; a no-break space (U+00A0, in Verra retirement details) counts as a space when a
  number or date is read, and is kept verbatim in free text;
- thousands separators in quantities (``"28,571"``), floats written for whole numbers
  (``"79565.0"`` in the ARB sheet), decimal tonnes (``"2765.37"``) next to integer kilograms;
- dates as ISO (``2026-04-03``, ``2026-04-13T12:35:58.842275``, ``2019-03-07T18:33:46.000Z``,
  ``2022-02-24 20:20:59``) or US style (``11/3/2025 7:10:41 PM``, ``03/19/2026``);
- Python or JSON literals inside a cell (Cercarbono's ``sector`` and ``locations``), read by a
  dotted path (``0.description``, ``*.issued_quantity``).
"""

from __future__ import annotations

import ast
import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sinkledger_base.checks import in_date_range

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
KG_PER_T = 1000
M2_PER_HA = 10_000
M2_PER_ACRE = Decimal("4046.8564224")  # international acre, exactly
UNITS_KG = {"t": KG_PER_T, "kg": 1}  # kilograms per unit of a quantity column
_INTEGER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$", re.ASCII)  # "１０" is not a quantity
_DECIMAL = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$", re.ASCII)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$",
                      re.ASCII)
_ISO_SPACE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$", re.ASCII)


def clean(value: str) -> str:
    """The cell without zero-width characters (kept otherwise verbatim)."""
    return value.translate(ZERO_WIDTH)


def token(value: str) -> str:
    """A cell read as an identifier or number: cleaned, no-break spaces as spaces, stripped."""
    return clean(value).replace("\u00a0", " ").strip()


# --- quantities -------------------------------------------------------------------------------

def parse_quantity(value: str) -> int | None:
    """A positive whole number, with or without comma thousands separators ("28,571")."""
    text = token(value)
    if not _INTEGER.match(text):
        return None
    number = int(text.replace(",", ""))
    return number if number > 0 else None


def parse_amount_kg(value: str, unit: str) -> int | None:
    """A quantity in ``unit`` (``"t"`` or ``"kg"``) as whole kilograms; ``None`` if unreadable.

    Zero is a value here (a column of retirements that did not happen reads ``0.0``); a negative
    number, an amount finer than a kilogram or a text that is not a plain decimal is not.

    Examples
    --------
    >>> parse_amount_kg("79565.0", "t"), parse_amount_kg("2,765.37", "t"), parse_amount_kg("2765370", "kg")
    (79565000, 2765370, 2765370)
    >>> parse_amount_kg("1.5", "kg") is None
    True
    """
    text = token(value)
    if unit not in UNITS_KG or not _DECIMAL.match(text):
        return None
    try:
        kg = Decimal(text.replace(",", "")) * UNITS_KG[unit]
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None
    return int(kg) if kg == kg.to_integral_value() else None


def whole_tonnes(kg: int) -> tuple[int, int]:
    """``(t, kg left over)``: whole tonnes, floored as the ledger floors at issuance."""
    return divmod(kg, KG_PER_T)


def parse_area_m2(value: str, unit: str) -> int | None:
    """An area in hectares (``"ha"``) or acres (``"acre"``) as whole square metres (rounded)."""
    text = token(value)
    if not _DECIMAL.match(text):
        return None
    number = Decimal(text.replace(",", ""))
    per_unit = {"ha": Decimal(M2_PER_HA), "acre": M2_PER_ACRE, "m2": Decimal(1)}.get(unit)
    return None if per_unit is None else int((number * per_unit).to_integral_value())


# --- dates ------------------------------------------------------------------------------------

def parse_iso_date(value: str) -> date | None:
    """``YYYY-MM-DD`` optionally followed by a time (``T12:35:58.842275``, `` 20:20:59``, ``Z``)."""
    text = token(value)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
        elif _ISO_SPACE_TIME.match(text):
            day = date.fromisoformat(text[:10])
        else:
            day = datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None
    return day if in_date_range(day) else None


def parse_us_date(value: str) -> date | None:
    """``M/D/YYYY`` optionally with a time (``11/3/2025 7:10:41 PM``); the time is dropped."""
    match = _US_DATE.match(token(value))
    if match is None:
        return None
    try:
        day = date(int(match[3]), int(match[1]), int(match[2]))
    except ValueError:
        return None
    return day if in_date_range(day) else None


def parse_dmy_compact(value: str) -> date | None:
    """``DDMMYYYY`` as in Verra serial numbers (``01012020``)."""
    try:
        day = datetime.strptime(value, "%d%m%Y").date()
    except ValueError:
        return None
    return day if in_date_range(day) else None


DATE_FORMATS = {"iso": parse_iso_date, "us": parse_us_date, "dmy": parse_dmy_compact}


def parse_date(value: str, fmt: str) -> date | None:
    """A date in one of :data:`DATE_FORMATS`."""
    return DATE_FORMATS[fmt](value)


def parse_year(value: str) -> int | None:
    """A vintage year: ``2024`` or ``2024.0`` (a spreadsheet's float), 1900..2199."""
    text = token(value)
    if re.fullmatch(r"\d{4}(\.0+)?", text, re.ASCII) is None:
        return None
    year = int(text[:4])
    return year if 1900 <= year <= 2199 else None


# --- literals inside a cell -------------------------------------------------------------------

def parse_literal(value: str, kind: str) -> Any:
    """A Python (``"python"``) or JSON (``"json"``) literal in a cell; ``None`` if unreadable."""
    text = clean(value).strip()
    if not text:
        return None
    try:
        return ast.literal_eval(text) if kind == "python" else json.loads(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def pick(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``0.description``, ``data_map.latitude``); ``*`` maps over a
    list and yields a list. ``None`` where the path does not lead anywhere."""
    if not path:
        return data
    head, _, rest = path.partition(".")
    if head == "*":
        return [pick(item, rest) for item in data] if isinstance(data, list) else None
    if isinstance(data, list):
        return pick(data[int(head)], rest) if head.isdigit() and int(head) < len(data) else None
    if isinstance(data, dict):
        return pick(data[head], rest) if head in data else None
    return None


def as_text(value: Any) -> str:
    """A picked value as cell text (numbers as written, lists joined by "; ", None as "")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return "; ".join(as_text(v) for v in value if v not in (None, ""))
    return str(value)
