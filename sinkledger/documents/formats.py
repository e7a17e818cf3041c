"""Numbers in documents: money from fen, tonnes from kg, dates; exact, never through floats."""

from __future__ import annotations

from typing import Final

from sinkledger_base import money
from sinkledger_base.local_time import local_timestamp

NONE: Final = "—"


def yuan_digits(fen: int | None) -> str:
    """Fen as yuan digits with separators and two decimals: ``1174560`` → ``11,745.60``.

    >>> yuan_digits(1_174_560), yuan_digits(-5), yuan_digits(None)
    ('11,745.60', '-0.05', '—')
    """
    return money.yuan(fen, empty=NONE)


def format_yuan(fen: int | None, lang: str) -> str:
    """Money for a document: ``11,745.60 元`` in Chinese, ``CNY 11,745.60`` in English (a
    document states exact amounts, so no 万元 here, unlike the pages).

    >>> format_yuan(1_174_560, "zh"), format_yuan(1_174_560, "en"), format_yuan(None, "en")
    ('11,745.60 元', 'CNY 11,745.60', '—')
    """
    if fen is None:
        return NONE
    return f"{yuan_digits(fen)} 元" if lang == "zh" else f"CNY {yuan_digits(fen)}"


def tonnes_of_kg(kg: int | None) -> str:
    """``1234567`` kg → ``1,234.567`` (tonnes, exact).

    >>> tonnes_of_kg(1_234_567), tonnes_of_kg(-500), tonnes_of_kg(None)
    ('1,234.567', '-0.500', '—')
    """
    if kg is None:
        return NONE
    sign, kg = ("-" if kg < 0 else ""), abs(kg)
    return f"{sign}{kg // 1000:,}.{kg % 1000:03d}"


def percent_of_bp(bp: int | None) -> str:
    """Basis points as a percentage: ``8000`` → ``80%``, ``1250`` → ``12.5%``."""
    return NONE if bp is None else f"{bp / 100:g}%"


def timestamp_text(value: str | None) -> str:
    """An ISO timestamp (recorded in UTC) to the second, in Asia/Shanghai where people read it:
    ``2025-03-01T08:00:00+00:00`` → ``2025-03-01 16:00:00 (UTC+8)`` (issue 19)."""
    if not value:
        return NONE
    return local_timestamp(value)
