"""What ``verify`` derives from the journal for the price index, index insurance and pricing
factors (docs/ledger.md, "Every table under the chain"):

- ``price_trade`` ← ``sale`` (its trade lines, :func:`ledger.prices.trades.trade_lines`); a
  ``correction`` of a sale deletes them (the corrected entry is read again to name its lines);
- ``index_policy`` ← ``index_policy_issued``; ``index_settlement`` ← ``index_policy_settled``,
  whose recorded index must also follow from the inputs its trace lists by the rule, and its
  payout from the index (S4);
- ``due_item`` ← ``index_policy_settled`` (its household lines; through the income audit);
- ``pricing_factor`` ← ``pricing_factors_set`` (the project's set replaced, ``removed`` deleted);
- ``pricing_evidence_content``: the bytes, when kept, hash to the journal's SHA-256.

Whether a settlement's trace lists every trade of its window, with the hashes of their entries,
is what ``sinkledger prices check-settlement`` recomputes from the journal itself.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial
from typing import Any, Callable, Iterable

import msgspec
from sqlalchemy import text

import ledger.audit
from ledger.audit import Change, TableAudit, fail, put
from ledger.prices import method
from ledger.prices.insurance import SOURCE_KIND, payout_fen
from ledger.prices.trades import COLUMNS as TRADE_COLUMNS
from ledger.prices.trades import PAYLOAD_FIELDS as TRADE_FIELDS
from ledger.prices.trades import REMEMBERED_MARKETS, local_date, remembered_market, trade_lines, trade_rows


class TradeAudit(TableAudit):
    """``price_trade``: a correction's deletions are named by reading the corrected sale again."""

    def __init__(self) -> None:
        super().__init__("price_trade", TRADE_COLUMNS, 3, {"sale": self._sale, "correction": self._correction},
                         seq_column="sale_seq", append_only=True, ordered=True,
                         text_keys=("sink_type", "county_code"), payload_fields={"sale": TRADE_FIELDS})
        self.session: Any = None

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.session = session

    @staticmethod
    def _sale(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
        return [("put", (seq, row[1], row[2]), seq, row) for row in trade_rows(seq, at, p)]  # put(), sorted by market

    def walker(self, by_kind: dict[str, list[TableAudit]]) -> dict[str, Callable[[int, Any], bool]]:
        """A walker of sales for the second process of a full run (:attr:`ledger.audit.Audits.walkers`),
        when a sale's audits are the sale table's and this one: :func:`_walk_sale`."""
        audits = by_kind.get("sale", [])
        if len(audits) != 2 or audits[1] is not self or audits[0].table != "sale" or \
                audits[0].derive.get("sale") is not ledger.audit._sale or not (audits[0].ordered and self.ordered):
            return {}
        return {"sale": partial(_walk_sale, audits[0], self, msgspec.json.Decoder(_SaleBody).decode)}

    def _correction(self, seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
        if p.get("corrected_kind") != "sale":
            return
        row = self.session.execute(text("SELECT recorded_at, body FROM journal_entry WHERE seq = :s"),
                                   {"s": p["corrected_seq"]}).first()
        if row is None:
            return
        for line in trade_lines(p["corrected_seq"], row[0], json.loads(row[1])["payload"]):
            yield ("delete", (p["corrected_seq"], line["sink_type"], line["county_code"]), seq, None)


class _TradeMove(msgspec.Struct, gc=False):
    batch_id: str
    first: int
    last: int


class _SalePayload(msgspec.Struct, gc=False):
    seller_account: str
    buyer_account: str
    quantity: int
    price_fen_per_t: int
    amount_fen: int
    contract_no: str
    moves: list[_TradeMove]
    sale_date: str | None = None


class _SaleBody(msgspec.Struct, gc=False):
    kind: str
    recorded_at: str
    payload: _SalePayload


_LOW, _HIGH = -2**63, 2**64  # the integers orjson reads as integers (beyond: floats)


def _walk_sale(sale: TableAudit, trades: TradeAudit, decode: Callable[[Any], _SaleBody], seq: int, body: Any) -> bool:
    """A sale's row and its trade lines, for the sale table's audit and the price index's, from one
    typed decoding of its body, when both audits are still summing in key order: what
    ``ledger.audit._sale`` and :func:`trade_rows` derive from a whole parse, row for row. Any
    body it cannot take so (a field missing or of another type, an integer orjson would read as a
    float, a key out of order, a time it cannot read) is declined (False) before anything is
    changed, and goes the general way, which derives or names it."""
    if not (sale.summing and trades.summing):
        return False
    try:
        b = decode(body)
    except (msgspec.MsgspecError, UnicodeDecodeError, TypeError):
        return False
    p = b.payload
    price = p.price_fen_per_t
    if b.kind != "sale" or not (_LOW <= p.quantity < _HIGH and _LOW <= price < _HIGH and _LOW <= p.amount_fen < _HIGH):
        return False
    lines: list[tuple[Any, ...]] = []
    if price > 0:  # T1: a trade (trade_rows: one line per market, in market order)
        market, total, tonnes, markets = None, 0, None, REMEMBERED_MARKETS
        for m in p.moves:
            first, last = m.first, m.last
            if not (_LOW <= first < _HIGH and _LOW <= last < _HIGH):
                return False
            try:
                found = markets[m.batch_id]
            except KeyError:
                found = remembered_market(m.batch_id)
            if found is None:
                continue
            if market is None:
                market = found
            elif tonnes is None and found != market:  # a second market: grouped from here on
                tonnes = {market: total}
            if tonnes is None:
                total += last - first + 1
            else:
                tonnes[found] = tonnes.get(found, 0) + last - first + 1
        if market is not None:
            try:
                day = p.sale_date or local_date(b.recorded_at)
            except ValueError:
                return False
            seller, buyer = p.seller_account, p.buyer_account
            lines = [(seq, market[0], market[1], day, seller, buyer, total, price)] if tonnes is None else \
                [(seq, sink, county, day, seller, buyer, q, price) for (sink, county), q in sorted(tonnes.items())]
    # the keys must follow the last ones (a line's key follows the line before: markets in order)
    if not sale.follows(seq) or (lines and not trades.follows((seq, lines[0][1], lines[0][2]))):
        return False
    sale.put_ordered([(seq, p.seller_account, p.buyer_account, p.quantity, price, p.amount_fen, p.contract_no,
                       b.recorded_at)], seq)
    if lines:
        trades.put_ordered(lines, (seq, lines[-1][1], lines[-1][2]))
    return True


POLICY_COLUMNS = ("policy_no", "seq", "product", "insurer_party_id", "insured_party_id", "contract_no", "sink_type",
                  "county_code", "period_start", "period_end", "strike_fen_per_t", "insured_t", "premium_fen",
                  "issued_on")
SETTLEMENT_COLUMNS = ("id", "seq", "policy_no", "published", "index_fen_per_t", "trades", "payout_fen",
                      "rule_version", "paid_date", "reference")


def _policy(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    policy = p["policy"] | {"seq": seq}
    yield put(policy["policy_no"], seq, tuple(policy[c] for c in POLICY_COLUMNS))


def _settlement(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    s = p["settlement"]
    yield put(s["settlement_id"], seq, (s["settlement_id"], seq, s["policy_no"], bool(s["published"]),
                                        s["index_fen_per_t"], s["trades"], s["payout_fen"],
                                        p["trace"]["rule"]["version"], s["paid_date"], s["reference"]))


def _settlement_stored(row: tuple) -> tuple:
    return (*row[:3], bool(row[3]), *row[4:])


class SettlementAudit(TableAudit):
    """``index_settlement``, and each settlement's arithmetic: its index from its trace's inputs by
    the rule, its payout from the index (S4)."""

    def __init__(self) -> None:
        super().__init__("index_settlement", SETTLEMENT_COLUMNS, 1, {"index_policy_settled": _settlement},
                         stored=_settlement_stored, append_only=True)
        self.problems: list[tuple[int, str, str]] = []

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.problems = []

    def entry(self, seq: int, kind: str, recorded_at: str, payload: dict[str, Any]) -> None:
        super().entry(seq, kind, recorded_at, payload)
        if kind != "index_policy_settled":
            return
        s, trace = payload["settlement"], payload["trace"]
        trades = [method.Trade(i["seq"], i["seller_account"], i["quantity_t"], i["price_fen_per_t"])
                  for i in trace["inputs"]]
        if method.compute(trades) != trace["result"]:
            self.problems.append((seq, s["settlement_id"], "index_does_not_follow_from_inputs"))
        if s["published"] and s["index_fen_per_t"] != trace["result"]["index_fen_per_t"]:
            self.problems.append((seq, s["settlement_id"], "index_does_not_follow_from_inputs"))
        if s["payout_fen"] != payout_fen(s["strike_fen_per_t"], s["index_fen_per_t"], s["insured_t"]):
            self.problems.append((seq, s["settlement_id"], "payout_does_not_follow_from_index"))
        if sum(line["amount_fen"] for line in s["lines"]) != s["payout_fen"]:
            self.problems.append((seq, s["settlement_id"], "payout_lines_do_not_add_up"))

    def finish(self, session: Any, report: Any) -> None:
        super().finish(session, report)
        for seq, key, code in self.problems:
            fail(report, seq, self.table, key, code)


def _factors(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    project = p["project_code"]
    for f in p["factors"]:
        yield put((project, f["factor"]), seq, (project, f["factor"], seq, f["value"], f["evidence_title"],
                                                f["evidence_file_name"], f["evidence_size_bytes"], f["evidence_sha256"]))
    for name in p.get("removed", ()):
        yield ("delete", (project, name), seq, None)


def _evidence(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    for f in p["factors"]:
        yield put(f["evidence_sha256"], seq, (f["evidence_sha256"], f["evidence_sha256"]))


def _evidence_stored(row: tuple) -> tuple:
    content = row[1].encode("utf-8", "surrogatepass") if isinstance(row[1], str) else bytes(row[1])
    return (row[0], hashlib.sha256(content).hexdigest())


def _settlement_due_rows(seq: int, p: dict[str, Any], kind_of: Callable[[str], str | None]) -> Iterable[tuple]:
    s = p["settlement"]
    settlement_id = s["settlement_id"]
    for line in s["lines"]:
        if line["role"] == "household" and line["amount_fen"] > 0:
            yield (f"{settlement_id}-{line['line_no']:03d}", seq, SOURCE_KIND, settlement_id, line["contract_no"],
                   s["insured_party_id"], line["party_id"], kind_of(line["party_id"]), line["role"],
                   line["parcel_code"], None, line["share_bp"], None, line["amount_fen"], s["paid_date"],
                   s["paid_date"], None)


DUE_SOURCES = {"index_policy_settled": _settlement_due_rows}  # entry kind → the due items it writes (income audit)


def audits() -> list[TableAudit]:
    """A fresh set of the price tables' audits, for one verify run."""
    return [
        TradeAudit(),
        TableAudit("index_policy", POLICY_COLUMNS, 1, {"index_policy_issued": _policy}, append_only=True),
        SettlementAudit(),
        TableAudit("pricing_factor", ("project_code", "factor", "seq", "value", "evidence_title", "evidence_file_name",
                                      "evidence_size_bytes", "evidence_sha256"), 2, {"pricing_factors_set": _factors}),
        TableAudit("pricing_evidence_content", ("sha256", "content"), 1, {"pricing_factors_set": _evidence},
                   seq_column=None, stored=_evidence_stored, required=False),
    ]
