"""The income tables checked against the journal: ``verify``'s table audits for :mod:`ledger.income`.

Each table of :mod:`ledger.income.store` is derived from the payloads of the entries that write
it (see :mod:`ledger.audit` for how an audit works):

- ``collection_document`` ← ``collection_document_registered`` (the document as recorded);
  ``collection_document_content``: the bytes are optional and erasable (PIPL), so a missing row is
  no difference, but a kept row must hash to its key and the key must be a document's SHA-256 the
  journal holds;
- ``bundled_project`` ← ``project_registered``; ``bundled_project_parcel`` ← ``project_registered``
  and ``project_parcels_added``;
- ``issuance_contribution`` ← ``issuance`` (its ``contributions``; an issuance recorded before
  contributions were wrote none), keyed by (batch, parcel);
- ``distribution`` and ``distribution_contract`` (keyed by (distribution, contract)) ←
  ``distribution``;
- ``fixed_payment_obligation`` ← ``payments_scheduled``;
- ``due_item`` ← ``distribution`` (its household and collective lines with an amount) and
  ``payments_scheduled`` (each obligation's lines), ``paid_fen`` ← every ``payment`` since.
  Two columns are not in the entry that writes the row; they are derived as the handler does
  from what the journal holds: ``party_kind`` (the party's kind at its ``party_registered``
  entry, empty for a party never registered) and, for an obligation's lines, ``payer_party_id``
  (the centre of the contract's ``collection`` entry);
- ``income_payment`` ← ``payment`` (one row per item);
- ``lien`` ← ``lien_registered``, its status and end ← ``lien_released`` / ``lien_defaulted``;
  ``lien_parcel`` (keyed by (lien, parcel)) ← ``lien_registered``; ``lien_pledge`` ← the
  ``issuance`` that made the pledge (``lien_pledges``); the ``pledge`` rows a lien makes and ends
  are checked by the pledge audit of :mod:`ledger.audit`;
- ``loss_event`` and ``loss_parcel`` (keyed by (event, parcel)) ← ``loss_event``;
- ``insurance_claim`` ← ``insurance_claim``.

Left out: the surrogate integer ``id`` of ``issuance_contribution``, ``distribution_contract``,
``lien_parcel`` and ``loss_parcel`` (an autoincrement no entry records; the rows are keyed by
their natural keys instead, which are unique).

In an incremental run (``after_seq`` > 0) the base behaviour holds; a due item paid in the tail
but written before it is compared on what remains outstanding, a lien ended in the tail on its
status and end, and a party or contract registered before the tail is read from its table.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Iterable

from sqlalchemy import text

from ledger.audit import Change, TableAudit, check_columns, digest, put
from ledger.income.domain import PAID_ROLE_VALUES, line_id


# --- documents -------------------------------------------------------------------------------

DOCUMENT_COLUMNS = ("id", "seq", "{owner}", "title", "file_name", "media_type", "size_bytes", "sha256")


def document_audits(table: str, owner: str, kind: str) -> list[TableAudit]:
    """The audits of a document table (owned by ``owner``: ``contract_no``, ``case_no``) and of its
    erasable content table, both written by entries of ``kind``."""
    def document(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
        d = p["document"]
        yield put(d["document_id"], seq, (d["document_id"], seq, d[owner], d["title"], d["file_name"],
                                           d["media_type"], d["size_bytes"], d["sha256"]))

    def content(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
        sha = p["document"]["sha256"]
        yield put(sha, seq, (sha, sha))

    def stored_content(row: tuple) -> tuple:
        content = row[1].encode("utf-8", "surrogatepass") if isinstance(row[1], str) else bytes(row[1])
        return (row[0], hashlib.sha256(content).hexdigest())

    columns = tuple(c.format(owner=owner) for c in DOCUMENT_COLUMNS)
    return [TableAudit(table, columns, 1, {kind: document}),
            TableAudit(f"{table}_content", ("sha256", "content"), 1, {kind: content}, seq_column=None,
                       stored=stored_content, required=False)]


# --- projects and contributions --------------------------------------------------------------

def _project(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    r = p["project"]
    yield put(r["project_code"], seq, (r["project_code"], seq, r["name"], r["sink_type"], r["methodology_id"],
                                        r["centre_party_id"], r["monitoring_start"], r["interval_months"]))


def _project_parcels(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    project = p.get("project")
    code, added = (project["project_code"], project["parcel_codes"]) if project else (p["project_code"], p["added"])
    for parcel in added:
        yield put(parcel, seq, (parcel, code, seq))


def _contributions(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    for c in p.get("contributions") or ():
        yield put(f"{c['batch_id']}/{c['parcel_code']}", seq,
                   (c["batch_id"], c["parcel_code"], seq, c["quantity_t"], c["kg_co2e"], c["weight"]))


class ContributionAudit(TableAudit):
    """``issuance_contribution``, the largest income table (a row per batch and parcel issued):
    keyed by one ``batch/parcel`` text rather than a pair, to keep less per row."""

    def __init__(self) -> None:
        super().__init__("issuance_contribution", ("batch_id", "parcel_code", "issuance_seq", "quantity_t",
                                                   "kg_co2e", "weight"), 2, {"issuance": _contributions},
                         seq_column="issuance_seq")

    def key_of(self, row: tuple) -> Any:
        return f"{row[0]}/{row[1]}"

    def tail_keys(self) -> Iterable[Any]:
        # (batch, parcel) pairs: an incremental run reads the tail's rows by batch id (batch ids
        # hold a "/", parcel codes none)
        return [tuple(key.rsplit("/", 1)) for key in self.expected]


# --- distributions, obligations, payments ----------------------------------------------------

def _distribution(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    yield put(p["distribution_id"], seq, (p["distribution_id"], seq, p["sale_seq"], p["seller_account"],
                                           p["sale_date"], p["quantity_t"], p["amount_fen"], at))


def _distribution_contracts(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    for c in p["contracts"]:
        yield put((p["distribution_id"], c["contract_no"]), seq,
                   (p["distribution_id"], c["contract_no"], c["collective_party_id"], c["kind"], c["quantity_t"],
                    c["gross_fen"], c["costs_fen"], c["net_fen"], c["villages_fen"], c["centre_fen"]))


def _obligations(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    for o in p["obligations"]:
        yield put(o["obligation_id"], seq, (o["obligation_id"], seq, p["contract_no"], o["year_index"],
                                             o["period_start"], o["period_end"], o["due_date"], o["amount_fen"]))


def _payments(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    for item in p["items"]:
        yield put(item["payment_line_id"], seq, (item["payment_line_id"], seq, item["due_id"], p["payer_party_id"],
                                                  item["party_id"], item["amount_fen"], p["paid_date"],
                                                  p["reference"]))


DUE_COLUMNS = ("id", "seq", "source_kind", "source_id", "contract_no", "payer_party_id", "party_id", "party_kind",
               "role", "parcel_code", "parcel_tonnes", "share_bp", "attributed_kg", "amount_fen", "basis_date",
               "due_date", "sale_seq", "paid_fen")


class DueItemAudit(TableAudit):
    """Due items: written by a distribution or a schedule, paid by later payments. Per key it keeps
    the digest of the written row, the amount paid since and the last entry that changed it; the
    expected rows are built from them at the end."""

    kinds = ("party_registered", "account_opened", "collection", "distribution", "payments_scheduled", "payment")

    def __init__(self, sources: dict[str, Any] | None = None) -> None:
        super().__init__("due_item", DUE_COLUMNS, 1, {}, stored=self._split, seq_of_stored=lambda row: row[1])
        # other areas' entries that write due items: kind -> rows(seq, payload, party kind of) (issue 22)
        self.sources = dict(sources or {})
        self.kinds = type(self).kinds + tuple(self.sources)
        self.rows: dict[str, list] = {}  # id -> [last seq, seq written, digest of the written row, paid fen]
        self.party_kinds: dict[str, str] = {}
        self.centres: dict[str, str] = {}  # contract no -> its centre
        self.outstanding_only: dict[str, tuple[int, dict[str, Any]]] = {}
        self.session: Any = None

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.rows.clear()
        self.party_kinds.clear()
        self.centres.clear()
        self.outstanding_only.clear()
        self.session = session

    @staticmethod
    def _split(row: tuple) -> tuple:
        return (row[0], row[1], digest(row[:-1]), row[-1])

    def _lookup(self, cache: dict[str, str], sql: str, key: str, default: str | None) -> str | None:
        if key not in cache and self.after_seq:  # registered before an incremental run's tail
            found = self.session.execute(text(sql), {"k": key}).first()
            if found is not None:
                cache[key] = found[0]
        return cache.get(key, default)

    def _kind(self, party_id: str) -> str | None:
        return self._lookup(self.party_kinds, "SELECT kind FROM party WHERE id = :k", party_id, "")

    def _centre(self, contract_no: str) -> str | None:
        return self._lookup(self.centres, "SELECT centre_party_id FROM collection_contract WHERE contract_no = :k",
                            contract_no, None)

    def _write(self, seq: int, row: tuple) -> None:
        self.rows[row[0]] = [seq, seq, digest(row), 0]

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if kind in ("party_registered", "account_opened"):
            party = p.get("party")
            if party:
                self.party_kinds[party["id"]] = party["kind"]
        elif kind == "collection":
            self.centres[p["contract_no"]] = p["centre_party_id"]
        elif kind == "distribution":
            for line in p["lines"]:
                if line["role"] in PAID_ROLE_VALUES and line["amount_fen"] > 0:
                    self._write(seq, (
                        line_id(p["distribution_id"], line["line_no"]), seq, "distribution", p["distribution_id"],
                        line["contract_no"], p["seller_party_id"], line["party_id"], self._kind(line["party_id"]),
                        line["role"], line["parcel_code"], line["parcel_tonnes"], line["share_bp"],
                        line["attributed_kg"], line["amount_fen"], p["sale_date"], p["sale_date"], p["sale_seq"]))
        elif kind == "payments_scheduled":
            payer = self._centre(p["contract_no"])
            for o in p["obligations"]:
                for line in o["lines"]:
                    if line["amount_fen"] > 0:
                        self._write(seq, (
                            line_id(o["obligation_id"], line["line_no"]), seq, "fixed_payment", o["obligation_id"],
                            p["contract_no"], payer, line["party_id"], self._kind(line["party_id"]), line["role"],
                            line["parcel_code"], None, line["share_bp"], None, line["amount_fen"],
                            o["period_start"], o["period_end"], None))
        elif kind in self.sources:
            for row in self.sources[kind](seq, p, self._kind):
                self._write(seq, row)
        elif kind == "payment":
            for item in p["items"]:
                state = self.rows.get(item["due_id"])
                if state is None:  # written before an incremental run's tail
                    self.outstanding_only[item["due_id"]] = (seq, {"amount_fen - paid_fen": item["outstanding_fen"]})
                    continue
                state[0], state[3] = seq, state[3] + item["amount_fen"]

    def finish(self, session: Any, report: Any) -> None:
        while self.rows:  # the expected rows, built once at the end (one structure at a time)
            key, (last, seq, written, paid) = self.rows.popitem()
            self.expected[key] = (last, digest((key, seq, written, paid)))
        super().finish(session, report)
        check_columns(session, report, self.table, ("id",), self.outstanding_only)


# --- liens -----------------------------------------------------------------------------------

LIEN_COLUMNS = ("id", "seq", "bank_party_id", "contract_no", "loan_reference", "loan_amount_fen", "term_end",
                "status", "ended_seq")


class LienAudit(TableAudit):
    """Liens end: keep each one's terms to derive its row after a release or default."""

    kinds = ("lien_registered", "lien_released", "lien_defaulted")

    def __init__(self) -> None:
        super().__init__("lien", LIEN_COLUMNS, 1, {})
        self.terms: dict[str, tuple] = {}
        self.ended_only: dict[str, tuple[int, dict[str, Any]]] = {}

    def begin(self, session: Any, after_seq: int) -> None:
        super().begin(session, after_seq)
        self.terms.clear()
        self.ended_only.clear()

    def entry(self, seq: int, kind: str, recorded_at: str, p: dict[str, Any]) -> None:
        if kind == "lien_registered":
            r = p["lien"]
            terms = (r["lien_id"], seq, r["bank_party_id"], r["contract_no"], r["loan_reference"],
                     r["loan_amount_fen"], r["term_end"])
            self.terms[r["lien_id"]] = terms
            self.expected[r["lien_id"]] = (seq, digest(terms + (r["status"], None)))
        elif kind in ("lien_released", "lien_defaulted"):
            terms = self.terms.get(p["lien_id"])
            if terms is None:
                self.ended_only[p["lien_id"]] = (seq, {"status": p["status"], "ended_seq": seq})
            else:
                self.expected[p["lien_id"]] = (seq, digest(terms + (p["status"], seq)))

    def finish(self, session: Any, report: Any) -> None:
        super().finish(session, report)
        check_columns(session, report, self.table, ("id",), self.ended_only)


def _lien_parcels(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    lien = p["lien"]
    for code in lien["parcel_codes"]:
        yield put((lien["lien_id"], code), seq, (lien["lien_id"], code))


def _lien_pledges(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    for made in p.get("lien_pledges") or ():
        yield put(made["pledge_id"], seq, (made["pledge_id"], made["lien_id"], seq))


# --- losses and claims -----------------------------------------------------------------------

def _loss_event(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    e, reversal = p["loss_event"], p.get("reversal")
    yield put(e["event_id"], seq, (e["event_id"], seq, e["cause"], e["event_date"], e["reported_by_party_id"],
                                    e["policy_no"], e["description"], e["lost_t_co2e"], e["reversed_t"],
                                    reversal["reversal_id"] if reversal else None, at))


def _loss_parcels(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    e = p["loss_event"]
    for r in e["parcels"]:
        yield put((e["event_id"], r["parcel_code"]), seq,
                   (e["event_id"], r["parcel_code"], r["affected_area_ha"], r["damage_share_bp"],
                    r["stock_t_c_per_ha"], r["estimate_id"], r["lost_t_co2e"], r["reversed_t"]))


def _claim(seq: int, at: str, p: dict[str, Any]) -> Iterable[Change]:
    c = p["claim"]
    yield put(c["claim_no"], seq, (c["claim_no"], seq, c["event_id"], c["insurer_party_id"], c["insured_party_id"],
                                    c["policy_no"], c["product"], c["payout_fen"], c["paid_date"], c["reference"]))


def audits(due_sources: dict[str, Any] | None = None) -> list[TableAudit]:
    """A fresh set of the income tables' audits, for one verify run; ``due_sources``: other
    areas' entry kinds that write due items, each with the rows it wrote."""
    return [
        *document_audits("collection_document", "contract_no", "collection_document_registered"),
        TableAudit("bundled_project", ("project_code", "seq", "name", "sink_type", "methodology_id",
                                       "centre_party_id", "monitoring_start", "interval_months"), 1,
                   {"project_registered": _project}),
        TableAudit("bundled_project_parcel", ("parcel_code", "project_code", "added_seq"), 1,
                   {"project_registered": _project_parcels, "project_parcels_added": _project_parcels},
                   seq_column="added_seq"),
        ContributionAudit(),
        TableAudit("distribution", ("id", "seq", "sale_seq", "seller_account", "sale_date", "quantity_t",
                                    "amount_fen", "recorded_at"), 1, {"distribution": _distribution}),
        TableAudit("distribution_contract", ("distribution_id", "contract_no", "collective_party_id", "kind",
                                             "quantity_t", "gross_fen", "costs_fen", "net_fen", "villages_fen",
                                             "centre_fen"), 2, {"distribution": _distribution_contracts},
                   seq_column=None),
        TableAudit("fixed_payment_obligation", ("id", "seq", "contract_no", "year_index", "period_start",
                                                "period_end", "due_date", "amount_fen"), 1,
                   {"payments_scheduled": _obligations}),
        DueItemAudit(due_sources),
        TableAudit("income_payment", ("id", "seq", "due_id", "payer_party_id", "party_id", "amount_fen", "paid_date",
                                      "reference"), 1, {"payment": _payments}),
        LienAudit(),
        TableAudit("lien_parcel", ("lien_id", "parcel_code"), 2, {"lien_registered": _lien_parcels},
                   seq_column=None),
        TableAudit("lien_pledge", ("pledge_id", "lien_id", "issuance_seq"), 1, {"issuance": _lien_pledges},
                   seq_column="issuance_seq"),
        TableAudit("loss_event", ("id", "seq", "cause", "event_date", "reported_by_party_id", "policy_no",
                                  "description", "lost_t_co2e", "reversed_t", "reversal_id", "recorded_at"), 1,
                   {"loss_event": _loss_event}),
        TableAudit("loss_parcel", ("event_id", "parcel_code", "affected_area_ha", "damage_share_bp",
                                   "stock_t_c_per_ha", "estimate_id", "lost_t_co2e", "reversed_t"), 2,
                   {"loss_event": _loss_parcels}, seq_column=None),
        TableAudit("insurance_claim", ("claim_no", "seq", "event_id", "insurer_party_id", "insured_party_id",
                                       "policy_no", "product", "payout_fen", "paid_date", "reference"), 1,
                   {"insurance_claim": _claim}),
    ]
