"""The compensation tables checked against the journal: ``verify``'s table audits for
:mod:`ledger.compensation` (see :mod:`ledger.audit` for how an audit works).

- ``compensation_programme`` ← ``compensation_programme_registered`` (its terms), then every
  ``compensation_payment`` of it (``paid_fen``, ``payments``, ``updated_seq``: the entry's
  ``programme_after``);
- ``compensation_payment`` ← ``compensation_payment`` (the payment as recorded);
- ``compensation_unit`` (keyed by programme, estimate, vintage) ← ``compensation_payment``;
- ``due_item`` rows of a payment (``source_kind`` ``compensation``) ← its household and
  collective lines with an amount: :func:`due_rows`, which the income area's due-item audit
  calls for these entries (:class:`ledger.income.audit.DueItemAudit`), so that later payments
  against them are followed there as for a sale's lines.

Every column is derived. In an incremental run a programme registered before the tail and paid
in it is compared on the columns its tail payments set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from ledger.audit import Change, TableAudit, check_columns, digest, put
from ledger.compensation.programmes import SOURCE_KIND
from ledger.income.domain import PAID_ROLE_VALUES, line_id

PROGRAMME_TERMS = ("code", "seq", "authority_party_id", "name", "reference", "basis", "rate_fen", "budget_fen",
                   "sink_types", "county_codes", "vintage_from", "vintage_to", "period_start", "period_end")
PROGRAMME_COLUMNS = PROGRAMME_TERMS + ("paid_fen", "payments", "updated_seq", "recorded_at")
PAYMENT_COLUMNS = ("id", "seq", "programme_code", "estimate_id", "estimate_hash", "issuance_seq", "payee_party_id",
                   "basis", "rate_fen", "quantity_t", "area_units", "amount_fen", "villages_fen", "paid_date",
                   "reference", "recorded_at")
UNIT_COLUMNS = ("programme_code", "estimate_id", "vintage_year", "payment_id", "seq", "batch_id", "quantity_t",
                "area_units", "days", "amount_fen")


class ProgrammeAudit(TableAudit):
    """Programmes change with each payment: keep each one's terms to derive its row after them."""

    kinds = ("compensation_programme_registered", "compensation_payment")

    def __init__(self) -> None:
        super().__init__("compensation_programme", PROGRAMME_COLUMNS, 1, {})
        self.terms: dict[str, tuple[tuple, str]] = {}
        self.paid_only: dict[str, tuple[int, dict[str, Any]]] = {}

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.terms.clear()
        self.paid_only.clear()

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if kind == "compensation_programme_registered":
            r = p["programme"]
            terms = (r["code"], seq, r["authority_party_id"], r["name"], r["reference"], r["basis"], r["rate_fen"],
                     r["budget_fen"], json.dumps(r["sink_types"]), json.dumps(r["county_codes"]), r["vintage_from"],
                     r["vintage_to"], r["period_start"], r["period_end"])
            self.terms[r["code"]] = (terms, recorded_at)
            self.expected[r["code"]] = (seq, digest(terms + (0, 0, seq, recorded_at)))
        elif kind == "compensation_payment":
            code, after = p["payment"]["programme_code"], p["programme_after"]
            known = self.terms.get(code)
            if known is None:  # registered before an incremental run's tail
                self.paid_only[code] = (seq, {"paid_fen": after["paid_fen"], "payments": after["payments"],
                                              "updated_seq": seq})
            else:
                terms, at = known
                self.expected[code] = (seq, digest(terms + (after["paid_fen"], after["payments"], seq, at)))

    def finish(self, session: Any, report: Any) -> None:
        super().finish(session, report)
        check_columns(session, report, self.table, ("code",), self.paid_only)


def _payment(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    r = p["payment"]
    yield put(r["payment_id"], seq, (r["payment_id"], seq, r["programme_code"], r["estimate_id"], r["estimate_hash"],
                                      r["issuance_seq"], r["payee_party_id"], r["basis"], r["rate_fen"],
                                      r["quantity_t"], r["area_units"], r["amount_fen"], r["villages_fen"],
                                      r["paid_date"], r["reference"], at))


def _units(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    r = p["payment"]
    for u in p["units"]:
        key = (r["programme_code"], r["estimate_id"], u["vintage_year"])
        yield put(key, seq, (*key, r["payment_id"], seq, u["batch_id"], u["quantity_t"], u["area_units"], u["days"],
                             u["amount_fen"]))


def due_rows(seq: int, p: dict[str, Any], party_kind: Callable[[str], str | None]) -> Iterable[tuple]:
    """The due items a ``compensation_payment`` entry wrote, in the due-item audit's column order
    (without ``paid_fen``): its household and collective lines with an amount."""
    r = p["payment"]
    for line in p["lines"]:
        if line["role"] in PAID_ROLE_VALUES and line["amount_fen"] > 0:
            yield (line_id(r["payment_id"], line["line_no"]), seq, SOURCE_KIND, r["payment_id"], line["contract_no"],
                   r["payee_party_id"], line["party_id"], party_kind(line["party_id"]), line["role"],
                   line["parcel_code"], line["parcel_tonnes"], line["share_bp"], line["attributed_kg"],
                   line["amount_fen"], r["paid_date"], r["paid_date"], None)


DUE_SOURCES = {"compensation_payment": due_rows}  # entry kind → the due items it writes


def audits() -> list[TableAudit]:
    """A fresh set of the compensation tables' audits, for one verify run."""
    return [ProgrammeAudit(),
            TableAudit("compensation_payment", PAYMENT_COLUMNS, 1, {"compensation_payment": _payment},
                       append_only=True),
            TableAudit("compensation_unit", UNIT_COLUMNS, 3, {"compensation_payment": _units}, append_only=True)]
