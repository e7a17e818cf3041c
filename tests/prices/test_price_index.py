"""The carbon-sink price index (issue 22, docs/prices.md "Method"), on both backends.

Rule: volume-weighted over the trades kept; outliers (below M/2 or above 2M of the weighted
median M) left out; published only with at least 3 trades from at least 2 sellers; half up to the fen.
Rule: the index is computed by the database and equals the pure rule over the same trades; its
trace names every input sale entry by seq and hash, and the check recomputes it from the journal.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from ledger.prices import method
from ledger.prices.method import Trade, compute, weighted_median
from ledger.prices.trades import local_date, market_of_batch, trade_rows
from tests.ledger.conftest import assert_refused
from tests.prices.conftest import trade


def test_the_pure_rule_leaves_out_outliers_and_weights_by_volume():
    trades = [Trade(1, "A", 100, 7000), Trade(2, "B", 300, 7200), Trade(3, "A", 50, 7100), Trade(4, "C", 5, 30000)]
    assert weighted_median(trades) == 7200
    out = compute(trades)
    assert out["published"] and out["outliers"] == 1 and out["trades_used"] == 3
    assert out["index_fen_per_t"] == (100 * 7000 + 300 * 7200 + 50 * 7100 + 225) // 450  # half up of 7144.44
    assert out["index_fen_per_t"] == 7144


@pytest.mark.parametrize("trades, reason", [
    ([Trade(1, "A", 100, 7000), Trade(2, "B", 100, 7000)], "too_few_trades"),
    ([Trade(1, "A", 100, 7000), Trade(2, "A", 100, 7100), Trade(3, "A", 100, 7200)], "too_few_sellers"),
    ([Trade(1, "A", 100, 7000), Trade(2, "B", 100, 7000), Trade(3, "C", 1, 100)], "too_few_trades"),  # one outlier
])
def test_a_thin_market_is_not_published_and_shows_no_price(trades, reason):  # type: ignore[no-untyped-def]
    out = compute(trades)
    assert not out["published"] and out["reason"] == reason and out["index_fen_per_t"] is None
    assert out["volume_t"] is None and out["median_fen_per_t"] is None and out["trades"] == len(trades)


def test_the_database_computes_the_same_index_daily_and_monthly(market):  # type: ignore[no-untyped-def]
    """Given trades in March 2025 from two sellers (one an outlier) and one in April, then the
    monthly index of March is published and equals the rule, April is thin, and each day with a
    single trade is not published."""
    income = market
    svc = income.service
    sink, county = market.market
    trade(income, "s1", day="2025-03-03", price=7000, quantity=200)
    trade(income, "s2", day="2025-03-10", price=7300, quantity=100)
    trade(income, "s3", day="2025-03-17", price=25000, quantity=10)  # outlier
    trade(income, "s4", day="2025-03-20", price=7200, quantity=50, seller="ENT-1-H", buyer="ENT-2-H")
    trade(income, "s5", day="2025-04-02", price=6800, quantity=20)
    trade(income, "s0", day="2025-04-03", price=0, quantity=5)  # a transfer at no price: not a trade
    svc.clock.day = "2025-04-10"
    out = svc.prices.index(sink_type=sink, county_code=county, frequency="monthly", date_from="2025-01-01")
    by = {w["window"]: w for w in out["windows"]}
    assert list(by) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    expected = compute([Trade(1, "C", 200, 7000), Trade(2, "C", 100, 7300), Trade(3, "C", 10, 25000),
                        Trade(4, "E", 50, 7200)])
    assert by["2025-03"] == {"window": "2025-03", **expected}
    assert by["2025-03"]["index_fen_per_t"] == 7114 and by["2025-03"]["outliers"] == 1
    assert not by["2025-04"]["published"] and by["2025-04"]["trades"] == 1
    assert by["2025-01"]["trades"] == 0
    daily = svc.prices.index(sink_type=sink, county_code=county, frequency="daily", date_from="2025-03-01",
                             date_to="2025-03-31")
    assert len(daily["windows"]) == 31 and not any(w["published"] for w in daily["windows"])
    assert [w["trades"] for w in daily["windows"] if w["trades"]] == [1, 1, 1, 1]
    assert {(m["sink_type"], m["county_code"]) for m in svc.prices.markets()} == {(sink, county)}


def test_the_trace_names_each_sale_entry_and_the_check_recomputes_it(market):  # type: ignore[no-untyped-def]
    income = market
    svc = income.service
    sink, county = market.market
    sales = [trade(income, f"t{i}", day=f"2025-03-0{i}", price=7000 + 100 * i, seller=seller)
             for i, seller in ((1, "CENTRE-1-H"), (2, "CENTRE-1-H"))]
    sales.append(trade(income, "t3", day="2025-03-04", price=7050, quantity=40, seller="ENT-1-H", buyer="ENT-2-H"))
    doc = svc.prices.trace(sink_type=sink, county_code=county, frequency="monthly", window="2025-03")
    assert [i["seq"] for i in doc["inputs"]] == [s["seq"] for s in sales]
    assert [i["entry_hash"] for i in doc["inputs"]] == [s["entry_hash"] for s in sales]
    assert doc["rule"]["version"] == method.RULE_VERSION and doc["result"]["published"]
    assert svc.prices.check_trace(doc)["ok"]
    forged = {**doc, "result": {**doc["result"], "index_fen_per_t": doc["result"]["index_fen_per_t"] + 1}}
    assert not svc.prices.check_trace(forged)["ok"]
    missing = {**doc, "inputs": doc["inputs"][:-1]}
    assert any("missing" in p for p in svc.prices.check_trace(missing)["problems"])
    assert svc.verify().ok


def test_a_corrected_sale_leaves_the_index_and_verify_sees_a_forged_trade(market):  # type: ignore[no-untyped-def]
    income = market
    svc = income.service
    sink, county = market.market
    sale = trade(income, "c1", day="2025-03-03", price=7000)
    svc.correct(svc.actor("clerk"), "corr-1", entry_seq=sale["seq"], reason="录入错误")
    with svc.db.read() as s:
        assert s.execute(text("SELECT COUNT(*) FROM price_trade")).scalar_one() == 0
    assert svc.verify().ok
    trade(income, "c2", day="2025-03-04", price=7000)
    with svc.db.engine.begin() as conn:
        conn.execute(text("UPDATE price_trade SET price_fen_per_t = 9000"))
    report = svc.verify()
    assert not report.ok and any(p.get("table") == "price_trade" for p in report.to_dict()["problems"])


def test_bad_markets_and_ranges_are_refused(market):  # type: ignore[no-untyped-def]
    prices = market.service.prices
    assert_refused("value_invalid", lambda: prices.index(sink_type="forest", county_code="330523"))
    assert_refused("value_invalid", lambda: prices.index(sink_type="bamboo_forest", county_code="33O523"))
    assert_refused("value_invalid", lambda: prices.index(sink_type="bamboo_forest", county_code="330523",
                                                          frequency="weekly"))
    assert_refused("price_index_dates_invalid", lambda: prices.index(sink_type="bamboo_forest", county_code="330523",
                                                           date_from="2025-03-01", date_to="2025-02-01"))
    assert_refused("price_index_range_too_long", lambda: prices.index(
        sink_type="bamboo_forest", county_code="330523", frequency="daily", date_from="2020-01-01",
        date_to="2025-01-01"))
    assert_refused("value_invalid", lambda: prices.trace(sink_type="bamboo_forest", county_code="330523",
                                                          frequency="monthly", window="2025-13"))
    assert_refused("price_index_trace_invalid", lambda: prices.check_trace({"rule": {}}))


@given(moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 30),
                           timezones=st.sampled_from([UTC, ZoneInfo("Asia/Shanghai"), timezone(timedelta(hours=-5))])))
def test_a_trade_date_is_the_shanghai_calendar_day_of_its_recording(moment: datetime) -> None:
    """T3: the day read from the recorded text (the fast path verify takes for every sale) is
    the day the time zone database gives, for every moment, offset and year."""
    for text_ in (moment.astimezone(UTC).isoformat(timespec="microseconds"), moment.isoformat(),
                  moment.astimezone(UTC).replace(tzinfo=None).isoformat(),
                  moment.astimezone(UTC).isoformat(timespec="seconds"), moment.astimezone(UTC).isoformat()):
        parsed = datetime.fromisoformat(text_)
        expected = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(ZoneInfo("Asia/Shanghai"))
        for _again in range(2):  # the second time from what the first remembered of its hour
            assert local_date(text_) == expected.date().isoformat(), text_


def test_a_repeated_request_is_answered_for_the_journal_head_it_was_computed_at(market):  # type: ignore[no-untyped-def]
    """The service keeps markets() and index() answers per journal head (bench/price_index_bench.py:
    the public page asks for them on every load). A new sale, even of another market, recomputes;
    an answer handed out is the caller's own copy; a second service on the same database (another
    process) sees the sale too."""
    svc = market.service
    sink, county = market.market
    ask = {"sink_type": sink, "county_code": county, "date_from": "2025-01-01", "date_to": "2025-06-30"}
    for n, day in enumerate(("2025-03-03", "2025-03-10"), start=1):
        trade(market, f"c{n}", day=day, price=7000 + 100 * n, quantity=10 * n)
    first = svc.prices.index(**ask)
    first["windows"][2]["trades"] = 99  # the caller's copy
    again = svc.prices.index(**ask)
    assert again == {**first, "windows": again["windows"]} and again["windows"][2]["trades"] == 2
    assert svc.prices.markets()[0]["trades"] == 2
    from sinkledger.services.registry import Service

    other = Service.open(svc.settings)  # another process's service, its own answers kept
    assert other.prices.markets()[0]["trades"] == 2
    trade(market, "c3", day="2025-03-17", price=7200, quantity=25, seller="ENT-1-H", buyer="ENT-2-H")
    after = svc.prices.index(**ask)
    assert after["as_of_seq"] > again["as_of_seq"] and after["windows"][2]["published"]
    assert after["windows"][2]["index_fen_per_t"] == compute([Trade(1, "C", 10, 7100), Trade(2, "C", 20, 7200),
                                                              Trade(3, "E", 25, 7200)])["index_fen_per_t"]
    assert svc.prices.markets()[0]["trades"] == 3
    assert other.prices.markets()[0]["trades"] == 3 and other.prices.index(**ask) == after
    other.db.dispose()


_batches = st.sampled_from(["CN330523-BF-AJBF01-2024/1", "CN330502-WL-WX01-2023/2", "CN330522-TG-CX01-2025/1",
                            "IMPORT:VERRA:VCS-1-2020/1", "CN330523-XX-BAD-2024/1"])
_moves = st.lists(st.fixed_dictionaries({"batch_id": _batches, "first": st.integers(1, 50),
                                         "last": st.integers(50, 90)}), min_size=1, max_size=4)


@given(_moves, st.integers(-5, 9_000), st.one_of(st.none(), st.just("2025-02-03")))
def test_a_sales_lines_are_its_tonnes_by_market(moves, price, sale_date):  # type: ignore[no-untyped-def]
    """T1-T3: a sale at a price above zero gives one line per market of its batches issued here
    (an imported or unreadable batch id gives none), its tonnes summed, in market order, dated by
    the clerk's date or else the Shanghai day of its recording."""
    payload = {"price_fen_per_t": price, "moves": moves, "seller_account": "COL-1-H", "buyer_account": "ENT-1-H"}
    if sale_date:
        payload["sale_date"] = sale_date
    tonnes: Counter = Counter()
    for move in moves:
        if (found := market_of_batch(move["batch_id"])) is not None:
            tonnes[found] += move["last"] - move["first"] + 1
    day = sale_date or "2025-04-01"  # 17:30 UTC is the next day in Shanghai
    expected = [] if price <= 0 else [(7, sink, county, day, "COL-1-H", "ENT-1-H", q, price)
                                      for (sink, county), q in sorted(tonnes.items())]
    assert trade_rows(7, "2025-03-31T17:30:00+00:00", payload) == expected
