"""The ordered comparison of a table audit (``ordered=True``: the sale and price trade rows): one
keyed hash over the rows in key order, the journal's as derived and the stored ones read in key
order, each page encoded at once (:func:`ledger.audit.encode_rows`, which must be the rows'
:func:`ledger.audit.encode` one by one, however the rows are cut into pages); a key out of order
sends the audit to the keyed comparison, which names each difference (issue 16)."""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from ledger.audit import TableAudit, encode, encode_rows

values = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**64, max_value=2**70),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(), st.just("\ud800"),
                   st.decimals(allow_nan=False, allow_infinity=False), st.binary(max_size=8),
                   st.dates(), st.just(math.inf), st.just(Decimal("1.50")), st.just(datetime.date(2026, 1, 1)))
rows = st.lists(st.tuples(values, values, values), max_size=12)


@given(rows, st.integers(min_value=0, max_value=12))
def test_a_page_encodes_as_its_rows_one_by_one_wherever_it_is_cut(page, cut):  # type: ignore[no-untyped-def]
    one_by_one = b"".join(encode(r) + b"," for r in page)
    assert encode_rows(page) == one_by_one
    assert encode_rows(page[:cut]) + encode_rows(page[cut:]) == one_by_one


@given(rows)
def test_a_float_json_writes_as_null_never_encodes_as_none(page):  # type: ignore[no-untyped-def]
    """NaN and the infinities, which JSON writes as ``null``, are told from None however many None
    and texts holding the word the row has (the page's count of ``null`` is only a shortcut)."""
    for row in page:
        for i, value in enumerate(row):
            if type(value) is float and not math.isfinite(value):
                nulled = (*row[:i], None, *row[i + 1:])
                assert encode(row) != encode(nulled)
                assert encode_rows([*page, row]) != encode_rows([*page, nulled])


def test_rows_that_differ_encode_differently():  # type: ignore[no-untyped-def]
    assert len({encode_rows([r]) for r in [(1, "1"), (1, 1), (1, 1.0), (1, True), (1, None), ("1", 1)]}) == 6
    assert encode_rows([(1, "a,b")]) != encode_rows([(1, "a"), ("b",)])
    nan, null = float("nan"), "null"
    assert len({encode(r) for r in [(None, nan, null), (None, None, null), (nan, None, None), (None, math.inf, None),
                                    (None, None, None)]}) == 5
    assert encode_rows([(None, null), (nan, None)]) != encode_rows([(None, null), (None, None)])


def sale(seq: int, at: str, p: dict) -> list:  # type: ignore[type-arg]
    return [("put", p["key"], seq, (p["key"], p["value"]))]


def test_a_key_out_of_order_or_a_deletion_leaves_the_ordered_comparison():  # type: ignore[no-untyped-def]
    for keys in ([3, 2], [2, 2], [1, "a"]):
        audit = TableAudit("t", ("k", "v"), 1, {"sale": sale}, ordered=True)
        audit.begin(None, 0)
        for seq, key in enumerate(keys, 1):
            audit.entry(seq, "sale", "", {"key": key, "value": "v"})
        assert not audit.summing, keys
    audit = TableAudit("t", ("k", "v"), 1, {"sale": sale, "correction": lambda s, a, p: [("delete", 1, s, None)]},
                       ordered=True)
    audit.begin(None, 0)
    audit.entry(1, "sale", "", {"key": 1, "value": "v"})
    assert audit.summing
    audit.entry(2, "correction", "", {})
    assert not audit.summing


def test_a_stored_table_compared_in_key_order_names_each_difference(funded):  # type: ignore[no-untyped-def]
    """Sales; then one sale row moved under another seq and another's buyer changed: both named
    (the ordered hash differs, the keyed comparison names them)."""
    svc = funded
    clerk = svc.actor("clerk")
    seqs = [svc.sell(clerk, f"s-{i}", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                     price_fen_per_t=4_500, contract_no=f"HZ-{i}")["seq"] for i in range(5)]
    assert svc.verify().ok
    with svc.db.engine.begin() as conn:
        conn.execute(text(f"UPDATE sale SET seq = 100000 WHERE seq = {seqs[1]}"))
        conn.execute(text(f"UPDATE sale SET buyer_account = 'ENT-2-H' WHERE seq = {seqs[3]}"))
    report = svc.verify()
    named = {(p.get("table"), p.get("key"), p.get("code")) for p in report.problems}
    assert {("sale", "100000", "row_not_in_journal"), ("sale", str(seqs[1]), "row_missing"),
            ("sale", str(seqs[3]), "row_differs_from_journal")} <= named
    assert not report.ok


def test_the_ordered_comparison_passes_an_intact_table_without_the_keyed_one(funded, monkeypatch):  # type: ignore[no-untyped-def]
    svc = funded
    clerk = svc.actor("clerk")
    for i in range(3):
        svc.sell(clerk, f"s-{i}", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                 price_fen_per_t=4_500, contract_no=f"HZ-{i}")
    keyed = []
    real = TableAudit._read_journal_by_key

    def spy(self, session):  # type: ignore[no-untyped-def]
        keyed.append(self.table)
        return real(self, session)

    monkeypatch.setattr(TableAudit, "_read_journal_by_key", spy)
    report = svc.verify()
    assert report.ok, report.problems
    assert "sale" not in keyed and "price_trade" not in keyed
    assert report.state["rows"]["sale"] == 3


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4) | st.just("合成"),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                      max_size=3), max_leaves=8)


@given(json_values, st.booleans(), st.booleans())
def test_a_parcels_json_text_is_what_the_projection_writes(value, ensure_ascii, sort_keys):  # type: ignore[no-untyped-def]
    """The parcel audit's texts (an empty list or object without the encoder) are json.dumps's."""
    from ledger.audit import _json_text

    assert _json_text(value, ensure_ascii, sort_keys) == json.dumps(value, ensure_ascii=ensure_ascii,
                                                                     sort_keys=sort_keys)
