"""Money: fen in, text out, exact both ways (sinkledger_base.money)."""

from __future__ import annotations

import doctest
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sinkledger_base import money
from sinkledger_base.money import MAX_FEN, Fen

amounts = st.integers(min_value=0, max_value=MAX_FEN)


@given(amounts)
def test_yuan_text_parses_back_to_the_same_fen(fen):
    assert money.parse_yuan(money.yuan(fen)) == fen


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_wan_yuan_is_decimal_rounding_half_up(fen):
    expected = (Decimal(abs(fen)) / money.FEN_PER_WAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if fen < 0 and expected else ""
    assert money.wan_yuan(fen) == f"{sign}{expected:,.2f}"


def test_money_text_switches_to_wan_at_ten_thousand_yuan():
    assert money.money_text(999_999, "zh") == "9,999.99 元"
    assert money.money_text(1_000_000, "zh") == "1.00 万元"
    assert money.money_text(1_000_000, "en") == "CNY 10,000.00"
    assert money.money_text(None, "en") == "—"


@pytest.mark.parametrize("text", ["-1", "1.001", "abc", "", "NaN", "Infinity", "1e30", "1.2.3"])
def test_parse_yuan_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        money.parse_yuan(text)


def test_fen_adds_only_fen_and_never_holds_a_float():
    assert Fen(150) + Fen(50) == Fen(200) and Fen(5) * 3 == Fen(15) and -Fen(5) == Fen(-5)
    with pytest.raises(TypeError):
        Fen(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Fen(True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Fen(1) + 1  # type: ignore[operator]
    assert Fen.of_yuan("12.34").text("zh") == "12.34 元"


def test_docstring_examples():
    result = doctest.testmod(money)
    assert result.attempted > 0 and result.failed == 0
