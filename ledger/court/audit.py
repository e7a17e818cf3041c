"""The court tables checked against the journal: ``verify``'s table audits for :mod:`ledger.court`.

Each table of :mod:`ledger.court.store` is derived from the payloads of the entries that write
it (see :mod:`ledger.audit` for how an audit works):

- ``court_case`` ← ``court_case_registered`` (the case, its geometry included);
- ``court_document`` ← ``court_document_registered``; ``court_document_content``: the bytes are
  optional and erasable (PIPL), so a missing row is no difference, but a kept row must hash to
  its key and the key must be a document's SHA-256 the journal holds;
- ``court_order`` ← ``court_order_issued``, then every ``court_order_amended`` (the terms after),
  ``court_fulfilment`` (totals, last price, count) and ``court_order_withdrawn``; its stored
  status is recomputed as the handler does (:func:`ledger.court.domain.order_status`, without a
  date); the proposal is compared as JSON (the handler writes it unsorted, the journal sorted);
- ``court_order_event`` ← each of those entries and ``court_certificate_issued``, its summary
  compared as JSON;
- ``court_fulfilment`` ← ``court_fulfilment`` (the sale and judicial retirement it writes are
  checked by the sale and retirement audits of :mod:`ledger.audit`);
- ``court_certificate`` ← ``court_certificate_issued`` (the record, as the canonical JSON the
  code hashes).

Every column is derived; none is left out. In an incremental run (``after_seq`` > 0) the base
behaviour holds, and an order written before the tail and changed in it is compared on the
columns the tail's entries set.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ledger.audit import Change, TableAudit, check_columns, digest, put
from ledger.court.domain import TERM_FIELDS, OrderKind, OrderTerms, order_status
from ledger.income.audit import document_audits


def _canonical(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _canonical_text(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _canonical(json.loads(value))
    except ValueError:
        return f"not JSON: {value}"


def _case(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    c = p["case"]
    yield put(c["case_no"], seq, (c["case_no"], seq, c["court_party_id"], c["court_name"], c["judgment_date"],
                                   json.dumps(c["defendants"]), c["sink_type"], c["county_code"], c["ecosystem_name"],
                                   c["damaged_area_ha"], c.get("parcel_code"), c.get("geometry_wkb"),
                                   c["description"], at))


def _fulfilment(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    f = p["fulfilment"]
    yield put(f["fulfilment_id"], seq, (f["fulfilment_id"], seq, f["order_id"], f["case_no"], f["seller_account"],
                                         f["buyer_account"], f["quantity_t"], f["price_fen_per_t"], f["amount_fen"],
                                         f["remainder_fen"], f["retirement_id"], f["contract_no"],
                                         f["purchase_date"], at))


def _certificate(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    c = p["certificate"]
    record = c["record"]
    yield put(c["code"], seq, (c["code"], seq, record["order"]["order_id"], record["case"]["case_no"],
                                _canonical(record), at))


# --- order events: one per entry -------------------------------------------------------------

def _event(seq: int, at: str, order_id: str, kind: str, summary: dict[str, Any]) -> Change:
    return put(seq, seq, (seq, order_id, kind, _canonical(summary), at))


def _issued_event(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield _event(seq, at, p["order"]["order_id"], "court_order_issued", p["order"])


def _amended_event(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield _event(seq, at, p["order_id"], "court_order_amended", {k: p[k] for k in ("order_id", "reason", "before",
                                                                                  "after")})


def _withdrawn_event(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield _event(seq, at, p["order_id"], "court_order_withdrawn",
                 {k: p[k] for k in ("order_id", "reason", "fulfilled_t", "spent_fen")})


def _fulfilment_event(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield _event(seq, at, p["fulfilment"]["order_id"], "court_fulfilment", p["fulfilment"])


def _certificate_event(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    c = p["certificate"]
    yield _event(seq, at, c["record"]["order"]["order_id"], "court_certificate_issued", {"code": c["code"]})


def _stored_event(row: tuple) -> tuple:
    return (*row[:3], _canonical_text(row[3]), row[4])


# --- orders: terms amended, totals moved by fulfilments, withdrawn ---------------------------

ORDER_COLUMNS = ("order_id", "seq", "case_no", "court_party_id", "item", "kind", "quantity_t", "amount_fen",
                 "due_date", "same_sink_type", "same_county", "status", "fulfilled_t", "spent_fen",
                 "last_price_fen_per_t", "fulfilments", "decision", "proposal", "override_reason", "withdrawn_seq",
                 "withdrawal_reason", "updated_seq")


def _stored_order(row: tuple) -> tuple:
    out = list(row)
    for n in (9, 10):  # booleans: 0/1 on SQLite
        out[n] = None if row[n] is None else bool(row[n])
    out[17] = _canonical_text(row[17])
    return tuple(out)


class OrderAudit(TableAudit):
    """Orders change after they are issued; keep each one's current row (there are few orders)."""

    kinds = ("court_order_issued", "court_order_amended", "court_fulfilment", "court_order_withdrawn")

    def __init__(self) -> None:
        super().__init__("court_order", ORDER_COLUMNS, 1, {}, stored=_stored_order)
        self.orders: dict[str, dict[str, Any]] = {}
        self.partial: dict[str, tuple[int, dict[str, Any]]] = {}

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.orders.clear()
        self.partial.clear()

    def _set(self, seq: int, order_id: str, changes: dict[str, Any]) -> None:
        order = self.orders.get(order_id)
        if order is None:  # issued before an incremental run's tail: compare what the tail set
            before = self.partial.get(order_id, (seq, {}))[1]
            self.partial[order_id] = (seq, {**before, **changes})
            return
        order.update(changes, updated_seq=seq)
        if order["withdrawn_seq"] is None:
            terms = OrderTerms(kind=OrderKind(order["kind"]), quantity_t=order["quantity_t"],
                               amount_fen=order["amount_fen"], fulfilled_t=order["fulfilled_t"],
                               spent_fen=order["spent_fen"], last_price_fen_per_t=order["last_price_fen_per_t"])
            order["status"] = order_status(withdrawn=False, complete=terms.is_complete(),
                                           fulfilled_t=order["fulfilled_t"], due_date=order["due_date"],
                                           as_of=None).value
        self.expected[order_id] = (seq, digest(tuple(order[c] for c in ORDER_COLUMNS)))

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if kind == "court_order_issued":
            o = p["order"]
            order = {**{c: o.get(c) for c in ORDER_COLUMNS}, "seq": seq, "status": "ordered", "fulfilled_t": 0,
                     "spent_fen": 0, "last_price_fen_per_t": None, "fulfilments": 0,
                     "proposal": _canonical(p.get("proposal")), "withdrawn_seq": None, "withdrawal_reason": None,
                     "updated_seq": seq}
            self.orders[o["order_id"]] = order
            self.expected[o["order_id"]] = (seq, digest(tuple(order[c] for c in ORDER_COLUMNS)))
        elif kind == "court_order_amended":
            self._set(seq, p["order_id"], {**{k: p["after"][k] for k in TERM_FIELDS}, "updated_seq": seq})
        elif kind == "court_fulfilment":
            f = p["fulfilment"]
            order = self.orders.get(f["order_id"])
            changes = {"last_price_fen_per_t": f["price_fen_per_t"], "updated_seq": seq}
            if order is not None:
                changes.update(fulfilled_t=order["fulfilled_t"] + f["quantity_t"],
                               spent_fen=order["spent_fen"] + f["amount_fen"], fulfilments=order["fulfilments"] + 1)
            self._set(seq, f["order_id"], changes)
        elif kind == "court_order_withdrawn":
            self._set(seq, p["order_id"], {"withdrawn_seq": seq, "withdrawal_reason": p["reason"],
                                           "status": "withdrawn", "fulfilled_t": p["fulfilled_t"],
                                           "spent_fen": p["spent_fen"], "updated_seq": seq})

    def finish(self, session: Any, report: Any) -> None:
        super().finish(session, report)
        partial = {}
        for key, (seq, values) in self.partial.items():
            values = dict(values)
            for flag in ("same_sink_type", "same_county"):  # 0/1 on SQLite
                if flag in values:
                    values[f"CASE WHEN {flag} THEN 1 ELSE 0 END"] = int(values.pop(flag))
            partial[key] = (seq, values)
        check_columns(session, report, self.table, ("order_id",), partial)


def audits() -> list[TableAudit]:
    """A fresh set of the court tables' audits, for one verify run."""
    return [
        TableAudit("court_case", ("case_no", "seq", "court_party_id", "court_name", "judgment_date", "defendants",
                                  "sink_type", "county_code", "ecosystem_name", "damaged_area_ha", "parcel_code",
                                  "geometry_wkb", "description", "recorded_at"), 1,
                   {"court_case_registered": _case}),
        *document_audits("court_document", "case_no", "court_document_registered"),
        OrderAudit(),
        TableAudit("court_order_event", ("seq", "order_id", "kind", "summary", "recorded_at"), 1,
                   {"court_order_issued": _issued_event, "court_order_amended": _amended_event,
                    "court_order_withdrawn": _withdrawn_event, "court_fulfilment": _fulfilment_event,
                    "court_certificate_issued": _certificate_event}, stored=_stored_event),
        TableAudit("court_fulfilment", ("id", "seq", "order_id", "case_no", "seller_account", "buyer_account",
                                        "quantity_t", "price_fen_per_t", "amount_fen", "remainder_fen",
                                        "retirement_id", "contract_no", "purchase_date", "recorded_at"), 1,
                   {"court_fulfilment": _fulfilment}),
        TableAudit("court_certificate", ("code", "seq", "order_id", "case_no", "record", "issued_at"), 1,
                   {"court_certificate_issued": _certificate}),
    ]
