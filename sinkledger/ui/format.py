"""Numbers, money, tonnes and dates formatted per language.

Chinese uses 万 for large amounts of money (``1.23 万元``) and ``2025年3月1日`` dates; English
uses thousands separators, ``CNY 12,345.67`` and ``1 Mar 2025``. Money is always integer fen
in, text out: no float ever holds a ledger amount (the division below is for display only).

Examples
--------
>>> money(7341, "zh"), money(123_456_789, "zh"), money(123_456_789, "en")
('73.41 元', '123.46 万元', 'CNY 1,234,567.89')
>>> tonnes(12345, "zh"), tonnes(12345, "en")
('12,345 吨', '12,345 t')
>>> date_text("2025-03-01", "zh"), date_text("2025-03-01T08:00:00+00:00", "en")
('2025年3月1日', '1 Mar 2025')
>>> date_text("2025-03-01T20:00:00+00:00", "zh"), datetime_text("2025-03-01T20:00:00+00:00", "en")
('2025年3月2日', '2 Mar 2025 04:00 (UTC+8)')
"""

from __future__ import annotations

from datetime import date, datetime

from sinkledger_base import money as money_lib
from sinkledger_base.local_time import ZONE_LABEL, local_timestamp
from sinkledger_base.local_time import local as local_time

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def integer(n: int | None, lang: str) -> str:
    return "—" if n is None else f"{int(n):,}"


def tonnes(n: int | None, lang: str) -> str:
    if n is None:
        return "—"
    return f"{int(n):,} 吨" if lang == "zh" else f"{int(n):,} t"


def kg_as_tonnes(kg: int | None, lang: str) -> str:
    """kg CO2e shown as tCO2e with three decimals (exact: integer arithmetic)."""
    if kg is None:
        return "—"
    sign = "-" if kg < 0 else ""
    whole, rest = divmod(abs(int(kg)), 1000)
    unit = "吨 CO2e" if lang == "zh" else "tCO2e"
    return f"{sign}{whole:,}.{rest:03d} {unit}"


def yuan(fen: int | None) -> str:
    """Fen as yuan with two decimals and separators (exact)."""
    return money_lib.yuan(fen)


def money(fen: int | None, lang: str) -> str:
    """Money for reading: 万元 from 10,000 yuan in Chinese, CNY with separators in English."""
    return money_lib.money_text(fen, lang)


def price(fen_per_t: int | None, lang: str) -> str:
    return money_lib.price_text(fen_per_t, lang)


def _as_date(value: str | date | datetime) -> date:
    """The calendar date a person reads: a moment's date in Asia/Shanghai, a date as given."""
    if isinstance(value, datetime):
        return local_time(value).date()
    if isinstance(value, date):
        return value
    text = str(value)
    return local_time(text).date() if len(text) > 10 else date.fromisoformat(text)


def date_text(value: str | date | datetime | None, lang: str) -> str:
    if not value:
        return "—"
    d = _as_date(value)
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"


def datetime_text(value: str | None, lang: str) -> str:
    """An ISO timestamp (recorded in UTC) to the minute, in Asia/Shanghai."""
    if not value:
        return "—"
    moment = local_time(value)
    return f"{date_text(moment, lang)} {moment:%H:%M} " + ("(北京时间)" if lang == "zh" else ZONE_LABEL)


def moment_text(value: str | None) -> str:
    """A timestamp for a table cell, to the second in Asia/Shanghai (empty if none)."""
    return local_timestamp(value) if value else ""


def month_text(month: str, lang: str) -> str:
    """``2025-03`` → ``2025年3月`` / ``Mar 2025``."""
    year, m = int(month[:4]), int(month[5:7])
    return f"{year}年{m}月" if lang == "zh" else f"{MONTHS_EN[m - 1]} {year}"


def hectares(ha: float | None, lang: str) -> str:
    if ha is None:
        return "—"
    return f"{ha:,.2f} 公顷" if lang == "zh" else f"{ha:,.2f} ha"


def area(ha: float, mu: float, lang: str) -> str:
    return f"{ha:,.2f} 公顷（{mu:,.1f} 亩）" if lang == "zh" else f"{ha:,.2f} ha ({mu:,.1f} mu)"


def yuan_to_fen(text: str) -> int:
    """Parse a yuan amount typed by a user (``73.41``, ``1,200``) exactly into fen.

    Raises ValueError for anything that is not a non-negative amount with at most two decimals.
    """
    return money_lib.parse_yuan(text)
