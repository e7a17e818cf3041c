"""Money: whole fen in, text out, and text typed by a person parsed exactly back into fen.

Every amount in the ledger is an integer number of fen (分; 100 fen = 1 yuan). No float ever
holds an amount: formatting and parsing use integer and ``Decimal`` arithmetic only. Chinese
text shows 万元 from 10,000 yuan up (rounded half up to 0.01 万元, i.e. to 100 yuan); English
shows ``CNY`` with thousands separators. This module is part of the base layer.

Examples
--------
>>> yuan(1_174_560), yuan(-5), yuan(None)
('11,745.60', '-0.05', '—')
>>> money_text(7341, "zh"), money_text(123_456_789, "zh"), money_text(123_456_789, "en")
('73.41 元', '123.46 万元', 'CNY 1,234,567.89')
>>> price_text(7341, "zh"), price_text(7341, "en")
('73.41 元/吨', 'CNY 73.41/t')
>>> parse_yuan("1,200.5"), Fen(150) + Fen(50), Fen.of_yuan("0.01")
(120050, Fen(fen=200), Fen(fen=1))
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 yuan
MAX_FEN = 2**63 - 1  # what both databases store in a BIGINT
EMPTY = "—"


def yuan(fen: int | None, *, empty: str = EMPTY) -> str:
    """Fen as yuan with two decimals and thousands separators (exact); ``empty`` for None."""
    if fen is None:
        return empty
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"


def wan_yuan(fen: int) -> str:
    """Fen as 万元 with two decimals, rounded half up (exact integer arithmetic)."""
    hundreds_of_yuan, rest = divmod(abs(int(fen)), FEN_PER_WAN // 100)
    if rest * 2 >= FEN_PER_WAN // 100:
        hundreds_of_yuan += 1
    sign = "-" if fen < 0 and hundreds_of_yuan else ""
    whole, decimals = divmod(hundreds_of_yuan, 100)
    return f"{sign}{whole:,}.{decimals:02d}"


def money_text(fen: int | None, lang: str) -> str:
    """Money for reading: 万元 from 10,000 yuan in Chinese, CNY with separators in English."""
    if fen is None:
        return EMPTY
    if lang != "zh":
        return f"CNY {yuan(fen)}"
    if abs(fen) >= FEN_PER_WAN:
        return f"{wan_yuan(fen)} 万元"
    return f"{yuan(fen)} 元"


def price_text(fen_per_t: int | None, lang: str) -> str:
    """A unit price per tonne of CO2e."""
    if fen_per_t is None:
        return EMPTY
    return f"{yuan(fen_per_t)} 元/吨" if lang == "zh" else f"CNY {yuan(fen_per_t)}/t"


def parse_yuan(text: str) -> int:
    """A yuan amount typed by a person (``73.41``, ``1,200``, ``1，200``) exactly in fen.

    Raises
    ------
    ValueError
        For anything that is not a non-negative amount with at most two decimals, written in
        ASCII digits (``Decimal("１０")`` is 10: full-width or other non-ASCII digits are refused).
    """
    if any(not ch.isascii() and (ch.isdigit() or ch.isnumeric()) for ch in str(text)):
        raise ValueError(text)
    try:
        value = Decimal(str(text).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    fen = value * FEN_PER_YUAN
    if value < 0 or fen != fen.to_integral_value() or fen > MAX_FEN:
        raise ValueError(text)
    return int(fen)


@dataclass(frozen=True, order=True)
class Fen:
    """An amount of money in whole fen; adds and subtracts only with fen, scales by whole numbers."""

    fen: int

    def __post_init__(self) -> None:
        if type(self.fen) is not int:  # bool and float are refused alike
            raise TypeError(f"an amount of money is a whole number of fen, not {type(self.fen).__name__}")
        if abs(self.fen) > MAX_FEN:
            raise ValueError(f"{self.fen} fen is beyond what the ledger stores")

    @classmethod
    def of_yuan(cls, text: str) -> Fen:
        return cls(parse_yuan(text))

    def __add__(self, other: Fen) -> Fen:
        if not isinstance(other, Fen):
            return NotImplemented
        return Fen(self.fen + other.fen)

    def __sub__(self, other: Fen) -> Fen:
        if not isinstance(other, Fen):
            return NotImplemented
        return Fen(self.fen - other.fen)

    def __mul__(self, factor: int) -> Fen:
        if type(factor) is not int:
            return NotImplemented
        return Fen(self.fen * factor)

    __rmul__ = __mul__

    def __neg__(self) -> Fen:
        return Fen(-self.fen)

    def yuan(self) -> str:
        return yuan(self.fen)

    def text(self, lang: str) -> str:
        return money_text(self.fen, lang)
