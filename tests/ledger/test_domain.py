"""Pure ledger rules: serial blocks, vintage split, largest-remainder allocation, canonical form."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.allocation import allocate_largest_remainder
from ledger.domain import (
    Block,
    BlockSet,
    BlockState,
    Move,
    format_block,
    plan_take,
    serial_prefix,
    split_by_vintage,
)
from ledger.issuance import buffer_quantity
from sinkledger_base.canonical import canonical_json
from sinkledger_base.errors import InvalidInput


def test_serial_format_encodes_region_sink_project_vintage_number():
    prefix = serial_prefix(region_code="330523", sink_type="bamboo_forest", project_code="AJBF01", vintage_year=2024)
    assert prefix == "CN330523-BF-AJBF01-2024"
    assert format_block(prefix, 1, 500) == "CN330523-BF-AJBF01-2024-000000001..000000500"
    assert format_block(prefix, 7, 7) == "CN330523-BF-AJBF01-2024-000000007"


def test_move_splits_a_block_and_conserves_the_count():
    """Given a block of 100, when 30 from its middle move, then three blocks hold 100 together."""
    s = BlockSet([Block("b", 1, 100, "A", BlockState.held)])
    removed, added = s.apply(Move("b", 41, 70, "A", BlockState.held, "B", BlockState.held))
    assert removed == [Block("b", 1, 100, "A", BlockState.held)]
    assert [(b.first, b.last, b.account_id) for b in s.blocks()] == [(1, 40, "A"), (41, 70, "B"), (71, 100, "A")]
    assert sum(b.quantity for b in s.blocks()) == 100


def test_issuing_a_serial_twice_is_impossible():
    s = BlockSet([Block("b", 1, 10, "A", BlockState.held)])
    with pytest.raises(ValueError, match="overlaps"):
        s.apply(Move("b", 10, 12, None, None, "A", BlockState.held))


def test_moving_what_is_not_there_fails():
    s = BlockSet([Block("b", 1, 10, "A", BlockState.held)])
    with pytest.raises(ValueError):
        s.apply(Move("b", 5, 11, "A", BlockState.held, "B", BlockState.held))  # crosses the end
    with pytest.raises(ValueError):
        s.apply(Move("b", 1, 2, "B", BlockState.held, "A", BlockState.held))  # wrong owner
    with pytest.raises(ValueError):
        s.apply(Move("b", 1, 2, "A", BlockState.retired, "B", BlockState.held))  # wrong state


def test_plan_take_takes_in_order_and_splits_the_last_block():
    blocks = [Block("old", 1, 5, "A", BlockState.held), Block("new", 1, 10, "A", BlockState.held)]
    moves = plan_take(blocks, 8, to_account="B", to_state=BlockState.held)
    assert [(m.batch_id, m.first, m.last) for m in moves] == [("old", 1, 5), ("new", 1, 3)]
    assert plan_take(blocks, 16, to_account="B", to_state=BlockState.held) == []


def test_vintage_split_is_pro_rata_by_days():
    # 2022-11-15 .. 2024-11-15: 47 days in 2022, 366 in 2023? no: 365 in 2023, 319 in 2024.
    split = split_by_vintage(731, date(2022, 11, 15), date(2024, 11, 15))
    assert split == {2022: 47, 2023: 365, 2024: 319}


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**9),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
       st.integers(min_value=1, max_value=4000))
def test_vintage_split_sums_exactly(total, start, days):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    split = split_by_vintage(total, start, start + timedelta(days=days))
    assert sum(split.values()) == total
    assert all(q > 0 for q in split.values())


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**7),
       st.dictionaries(st.integers(0, 50), st.integers(0, 10**6), min_size=1, max_size=12))
def test_largest_remainder_sums_exactly_and_is_deterministic(total, weights):  # type: ignore[no-untyped-def]
    if total and not sum(weights.values()):
        with pytest.raises(ValueError):  # nothing to split by: never a split that does not add up
            allocate_largest_remainder(total, weights)
        return
    shares = allocate_largest_remainder(total, weights)
    assert sum(shares.values()) == total
    assert all(v >= 0 for v in shares.values())
    assert shares == allocate_largest_remainder(total, dict(weights))


def test_buffer_is_taken_on_the_stock_component_and_rounded_up():
    assert buffer_quantity(100, 100_000, 100_000, 1000) == 10
    assert buffer_quantity(101, 101_500, 101_500, 1000) == 11  # 10.1 rounds up
    assert buffer_quantity(100, 50_000, 100_000, 1000) == 5  # half the net is stock
    assert buffer_quantity(100, 0, 100_000, 1000) == 0


def test_canonical_json_is_stable_and_refuses_floats():
    assert canonical_json({"b": 1, "a": "湿地"}) == '{"a":"湿地","b":1}'
    with pytest.raises(TypeError):
        canonical_json({"x": 0.1})


_json_leaves = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**64, max_value=2**64),
                         st.text(max_size=8), st.floats(allow_nan=True), st.binary(max_size=4))
_contents = st.recursive(_json_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=4), st.integers(-3, 3)), inner, max_size=4)),
    max_leaves=30)


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": [value]}
    return value


@settings(max_examples=400, deadline=None)
@given(_contents)
def test_check_content_fast_path_decides_as_the_full_check(value):  # type: ignore[no-untyped-def]
    """The fast path for plain contents accepts exactly what the field-by-field check accepts
    (it only skips building field paths): any value, deep nesting and NUL included."""
    import ledger.domain as domain

    def outcome(check):  # type: ignore[no-untyped-def]
        try:
            check(value)
        except InvalidInput as refusal:
            return refusal.code, refusal.params.get("field")
        return None

    fast = outcome(domain.check_content)
    real = domain._plainly_valid
    try:
        domain._plainly_valid = lambda value, depth: False  # the full check alone
        full = outcome(domain.check_content)
    finally:
        domain._plainly_valid = real
    assert fast == full


def test_check_content_fast_path_keeps_the_depth_limit():  # type: ignore[no-untyped-def]
    from ledger.domain import MAX_CONTENT_DEPTH, check_content

    check_content(_nested(MAX_CONTENT_DEPTH // 2 - 1))
    with pytest.raises(InvalidInput):
        check_content(_nested(MAX_CONTENT_DEPTH))
    with pytest.raises(InvalidInput):
        check_content({"note": "a\x00b"})
