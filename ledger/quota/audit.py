"""The quota tables checked against the journal: ``verify``'s table audits for :mod:`ledger.quota`.

- ``quota_obligation`` ← ``obligation_set`` (its terms), then every ``obligation_surrender`` and
  ``obligation_claim`` of it (``counted_t``, ``credits``, ``status``, ``met_seq``, ``met_date``,
  ``updated_seq``: the entry's ``obligation_after``);
- ``obligation_credit`` ← ``obligation_surrender`` and ``obligation_claim``;
- ``obligation_certificate`` ← ``obligation_certificate_issued`` (the record as the canonical
  JSON its code hashes);
- the ``sale`` and ``retirement`` rows a surrender writes ← ``obligation_surrender``: added to the
  core audits of those tables (:func:`extend_core`), which check every other kind's rows.

Every column is derived. In an incremental run an obligation set before the tail and counted in
it is compared on the columns its tail entries set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ledger.audit import Change, TableAudit, check_columns, digest, put

OBLIGATION_TERMS = ("id", "seq", "authority_party_id", "enterprise_party_id", "reference", "quantity_t", "start_date",
                    "deadline", "sink_types", "county_codes", "vintage_from", "vintage_to")
AFTER = ("counted_t", "credits", "status", "met_seq", "met_date")
OBLIGATION_COLUMNS = OBLIGATION_TERMS + AFTER + ("updated_seq", "recorded_at")
CREDIT_COLUMNS = ("retirement_id", "obligation_id", "seq", "how", "retired_t", "counted_t", "sale_seq",
                  "seller_account", "price_fen_per_t", "recorded_at")


class ObligationAudit(TableAudit):
    """Obligations change with each retirement counted: keep the terms to derive the row after."""

    kinds = ("obligation_set", "obligation_surrender", "obligation_claim")

    def __init__(self) -> None:
        super().__init__("quota_obligation", OBLIGATION_COLUMNS, 1, {})
        self.terms: dict[str, tuple[tuple, str]] = {}
        self.counted_only: dict[str, tuple[int, dict[str, Any]]] = {}

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.terms.clear()
        self.counted_only.clear()

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if kind == "obligation_set":
            r = p["obligation"]
            terms = (r["obligation_id"], seq, r["authority_party_id"], r["enterprise_party_id"], r["reference"],
                     r["quantity_t"], r["start_date"], r["deadline"], json.dumps(r["sink_types"]),
                     json.dumps(r["county_codes"]), r["vintage_from"], r["vintage_to"])
            self.terms[r["obligation_id"]] = (terms, recorded_at)
            self.expected[r["obligation_id"]] = (seq, digest(terms + (0, 0, "open", None, None, seq, recorded_at)))
            return
        if kind not in ("obligation_surrender", "obligation_claim"):
            return
        ident = (p.get("surrender") or p.get("claim"))["obligation_id"]
        after = tuple(p["obligation_after"][k] for k in AFTER)
        known = self.terms.get(ident)
        if known is None:  # set before an incremental run's tail
            self.counted_only[ident] = (seq, {**dict(zip(AFTER, after)), "updated_seq": seq})
        else:
            terms, at = known
            self.expected[ident] = (seq, digest(terms + after + (seq, at)))

    def finish(self, session: Any, report: Any) -> None:
        super().finish(session, report)
        check_columns(session, report, self.table, ("id",), self.counted_only)


def _surrender_credit(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    s, buy = p["surrender"], p["surrender"]["purchase"]
    yield put(s["retirement_id"], seq, (s["retirement_id"], s["obligation_id"], seq, "surrender", s["quantity_t"],
                                         s["quantity_t"], seq if buy else None, buy["seller_account"] if buy else None,
                                         buy["price_fen_per_t"] if buy else None, at))


def _claim_credit(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    c = p["claim"]
    yield put(c["retirement_id"], seq, (c["retirement_id"], c["obligation_id"], seq, "claim", c["retired_t"],
                                         c["counted_t"], None, None, None, at))


def _certificate(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    c = p["certificate"]
    yield put(c["code"], seq, (c["code"], seq, c["record"]["obligation"]["obligation_id"],
                                json.dumps(c["record"], ensure_ascii=False, sort_keys=True), at))


def _sale(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    s, buy = p["surrender"], p["surrender"]["purchase"]
    if buy:
        yield put(seq, seq, (seq, buy["seller_account"], s["account_id"], s["quantity_t"], buy["price_fen_per_t"],
                             buy["amount_fen"], buy["contract_no"], at))


def _retirement(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    s = p["surrender"]
    yield put(s["retirement_id"], seq, (s["retirement_id"], seq, s["account_id"], s["quantity_t"], s["beneficiary"],
                                         s["purpose"], s["retirement_kind"], at))


def extend_core(core: list[TableAudit]) -> list[TableAudit]:
    """The core ``sale`` and ``retirement`` audits, also reading the rows a surrender writes."""
    for audit in core:
        extra = {"sale": _sale, "retirement": _retirement}.get(audit.table)
        if extra is not None:
            audit.derive["obligation_surrender"] = extra
            audit.kinds = tuple(audit.derive)
    return core


def audits() -> list[TableAudit]:
    """A fresh set of the quota tables' audits, for one verify run."""
    return [ObligationAudit(),
            TableAudit("obligation_credit", CREDIT_COLUMNS, 1, {"obligation_surrender": _surrender_credit,
                                                                "obligation_claim": _claim_credit},
                       append_only=True),
            TableAudit("obligation_certificate", ("code", "seq", "obligation_id", "record", "issued_at"), 1,
                       {"obligation_certificate_issued": _certificate}, append_only=True)]
