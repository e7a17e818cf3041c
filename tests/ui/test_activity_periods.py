"""The statistics page's activity charts at the grain that keeps them readable
(``sinkledger.ui.public.activity_periods``): months while there are at most 24, else quarters,
else years; nothing is lost on the way and the average price is the period's value over its
tonnes, never an average of monthly averages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sinkledger.ui.public import _period_text, activity_periods

FIELDS = ("issued_t", "sold_t", "retired_t", "sales_fen")


def month_rows(draw_months: list[tuple[int, int]], values: list[tuple[int, int, int, int]]) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    for (year, month), (issued, sold, retired, price) in zip(sorted(set(draw_months)), values, strict=False):
        fen = sold * price
        rows.append({"month": f"{year}-{month:02d}", "issued_t": issued, "sold_t": sold, "retired_t": retired,
                     "sales_fen": fen, "average_price_fen": fen // sold if sold else None})
    return rows


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(2015, 2040), st.integers(1, 12)), min_size=1, max_size=200),
       st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**5), st.integers(0, 10**5), st.integers(0, 20_000)),
                min_size=200, max_size=200),
       st.integers(1, 40))
def test_periods_keep_every_tonne_and_fen_and_stay_few(months, values, most) -> None:  # type: ignore[no-untyped-def]
    rows = month_rows(months, values)
    grain, periods = activity_periods(rows, most)
    for field in FIELDS:
        assert sum(p[field] for p in periods) == sum(r[field] for r in rows)
    years = {r["month"][:4] for r in rows}
    if grain == "month":
        assert periods == rows and len(rows) <= most
    else:
        assert len(rows) > most
        keys = [p["period"] for p in periods]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)  # in time order, each once
        if grain == "quarter":
            assert len(periods) <= most
            assert {k[:4] for k in keys} == years and all(k[4:] in ("-Q1", "-Q2", "-Q3", "-Q4") for k in keys)
        else:
            assert keys == sorted(years)
            quarters = {(r["month"][:4], (int(r["month"][5:7]) - 1) // 3) for r in rows}
            assert len(quarters) > most  # years only when quarters would be too many
        for p in periods:
            assert p["average_price_fen"] == (p["sales_fen"] // p["sold_t"] if p["sold_t"] else None)


def test_four_county_years_are_drawn_by_quarter_with_the_value_weighted_price() -> None:
    rows = [{"month": f"{2022 + i // 12}-{i % 12 + 1:02d}", "issued_t": 100, "sold_t": 0 if i % 3 else 10,
             "retired_t": 1, "sales_fen": 0 if i % 3 else 10 * (7000 + i), "average_price_fen": None} for i in range(52)]
    grain, periods = activity_periods(rows)
    assert grain == "quarter" and len(periods) == 18  # 2022-Q1 … 2026-Q2
    first = periods[0]
    assert (first["period"], first["issued_t"], first["sold_t"], first["average_price_fen"]) == ("2022-Q1", 300, 10, 7000)
    assert [_period_text("quarter", first, lang) for lang in ("zh", "en")] == ["2022年第1季度", "Q1 2022"]
    assert [_period_text("year", {"period": "2025"}, lang) for lang in ("zh", "en")] == ["2025年", "2025"]
    assert [_period_text("month", rows[2], lang) for lang in ("zh", "en")] == ["2022年3月", "Mar 2022"]


def test_the_statistics_page_draws_a_county_s_four_years_by_quarter(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Given 52 months of activity (the county dataset's span), the statistics page draws 18
    quarters of three series and their average prices, under captions that say so."""
    from sinkledger.services import queries as ui_queries
    from sinkledger.ui.text import text
    from tests.ui.conftest import drawn_charts, no_errors, open_app, texts

    rows = [{"month": f"{2022 + i // 12}-{i % 12 + 1:02d}", "issued_t": 100 + i, "sold_t": 10, "retired_t": 1,
             "sales_fen": 10 * (7000 + i), "average_price_fen": 7000 + i} for i in range(52)]
    monkeypatch.setattr(ui_queries, "monthly_activity", lambda service: rows)
    at = open_app(app_env, page="statistics")
    no_errors(at)
    captions = texts(at, "caption")
    assert text("chart_volumes_quarter", "zh") in captions and text("chart_price_quarter", "zh") in captions
    volumes, prices = drawn_charts(at)
    assert len(volumes.marks) == 18 * 3 and {m["category"] for m in volumes.marks} >= {"2022年第1季度", "2026年第2季度"}
    first = {p["category"]: p["value"] for p in prices.marks}["2022年第1季度"]
    assert first == (7000 + 7001 + 7002) // 3 / 100  # tonnes equal each month: the value-weighted mean
