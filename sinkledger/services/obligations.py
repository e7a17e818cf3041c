"""Quota obligations (配额履约) over the registry :class:`Service` (``service.obligations``).

Commands (one journal entry each): :meth:`set_obligation` (an authority), :meth:`surrender`
(the enterprise from its own holding; the trading clerk for any enterprise, buying from a seller
in the same entry if asked), :meth:`claim` (count an earlier voluntary retirement),
:meth:`issue_certificate` (the obligation's authority or the clerk, once met). Reads
(``obligation_view``): an enterprise its own obligations, an authority those it set, the clerk and
administrators all; status and shortfall on the day asked. Verifying a certificate needs nobody.
The rules live in :mod:`ledger.quota`; docs/instruments.md.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlmodel import select

import ledger.quota.store  # noqa: F401 - registers the quota tables
from ledger.compensation.programmes import require_authority
from ledger.court.domain import normalise_code
from ledger.domain import BlockState, Role
from ledger.parties import holding_account_id
from ledger.permissions import ACTS_FOR_OTHERS, Actor, require
from ledger.proofs import latest_checkpoint_covering
from ledger.queries import page_of
from ledger.quota import certificates, obligations
from ledger.quota.store import ObligationCertificateRow, ObligationCreditRow, QuotaObligationRow
from ledger.retirement import RetirementKind
from ledger.sale import check_text
from ledger.sql import Tx
from ledger.store import AccountRow, PartyRow
from sinkledger.services.area import AreaService
from sinkledger.services.court import certificate_in_pdf
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotPermitted


class ObligationService(AreaService):
    """Quota obligations, their surrenders, claims and certificates (``service.obligations``)."""

    def _require(self, actor: Actor, command: str) -> None:
        require(actor, command)

    # -- commands ---------------------------------------------------------------------------
    def set_obligation(self, actor: Actor, request_id: str, *, enterprise_party_id: str, quantity_t: int,
                       deadline: str, sink_types: list[str], vintage_from: int, vintage_to: int, reference: str,
                       county_codes: list[str] | None = None, start_date: str | None = None) -> dict:
        """Require an enterprise to surrender ``quantity_t`` eligible tonnes by ``deadline``;
        retirements from ``start_date`` (default: today) count."""
        content = {"enterprise_party_id": enterprise_party_id, "quantity_t": quantity_t, "deadline": deadline,
                   "sink_types": _list(sink_types, "sink_types"), "vintage_from": vintage_from,
                   "vintage_to": vintage_to, "reference": reference,
                   "county_codes": _list(county_codes, "county_codes"), "start_date": start_date}
        return self._run(actor, "obligation_set", request_id, content,
                         lambda ctx: obligations.set_obligation(ctx, **content))

    def surrender(self, actor: Actor, request_id: str, *, obligation_id: str, quantity_t: int,
                  seller_account: str | None = None, price_fen_per_t: int | None = None,
                  contract_no: str | None = None) -> dict:
        """Retire eligible credits against the obligation, oldest vintage first: the enterprise's
        own, or (the clerk) bought from ``seller_account`` at ``price_fen_per_t`` in the same entry."""
        content = {"obligation_id": obligation_id, "quantity_t": quantity_t, "seller_account": seller_account,
                   "price_fen_per_t": price_fen_per_t, "contract_no": contract_no}
        return self._run(actor, "obligation_surrender", request_id, content,
                         lambda ctx: obligations.surrender(ctx, **content))

    def claim(self, actor: Actor, request_id: str, *, obligation_id: str, retirement_id: str) -> dict:
        """Count an earlier voluntary retirement of the enterprise's own against the obligation."""
        content = {"obligation_id": obligation_id, "retirement_id": retirement_id}
        return self._run(actor, "obligation_claim", request_id, content, lambda ctx: obligations.claim(ctx, **content))

    def issue_certificate(self, actor: Actor, *, obligation_id: str) -> dict:
        """Issue the compliance certificate of a met obligation; the same facts give the same
        code (issuing again records nothing). A Merkle checkpoint covering it is recorded with it."""
        require(actor, "obligation_certificate")
        with self.db.read() as s:
            _, code = certificates.draft_certificate(s, obligation_id)
            issued = s.get(ObligationCertificateRow, code)
            if issued is not None:  # issued already (by anyone allowed to): the same certificate
                entry = Tx.of(s).one("SELECT body, entry_hash, recorded_at FROM journal_entry WHERE seq = :s",
                                     {"s": issued.seq})
                return {**json.loads(entry[0])["payload"]["result"], "seq": issued.seq, "entry_hash": entry[1],
                        "recorded_at": entry[2], "replayed": True}
        return self._run(actor, "obligation_certificate", f"obligation-certificate:{code}",
                         {"obligation_id": obligation_id, "code": code},
                         lambda ctx: certificates.issue_certificate(ctx, obligation_id=obligation_id, code=code),
                         checkpoint=True)

    # -- reads ------------------------------------------------------------------------------
    def obligations_page(self, actor: Actor, *, as_of: date | str | None = None, limit: int | None = 100,
                         offset: int = 0) -> dict:
        """The obligations the actor may read, newest first, with status and shortfall on ``as_of``."""
        require(actor, "obligation_view")
        day = _as_of(as_of) or self.today()
        limit, offset = checks.page_bounds(limit, offset)
        with self.db.read() as s:
            query = select(QuotaObligationRow).order_by(QuotaObligationRow.seq.desc())
            if actor.role is Role.authority:
                query = query.where(QuotaObligationRow.authority_party_id == actor.party_id)
            elif actor.role not in ACTS_FOR_OTHERS["obligation_view"]:
                query = query.where(QuotaObligationRow.enterprise_party_id == actor.party_id)
            rows, total = page_of(s, query, limit=limit, offset=offset)
            names = _names(s, {r.enterprise_party_id for r in rows} | {r.authority_party_id for r in rows})
            return {"as_of": day.isoformat(), "total": total,
                    "items": [obligations.obligation_dict(r, day) | {
                        "enterprise_name": names.get(r.enterprise_party_id, ""),
                        "authority_name": names.get(r.authority_party_id, "")} for r in rows]}

    def obligations(self, actor: Actor, *, as_of: date | str | None = None) -> list[dict]:
        return self.obligations_page(actor, as_of=as_of, limit=None)["items"]

    def obligation(self, actor: Actor, *, obligation_id: str, as_of: date | str | None = None) -> dict:
        """One obligation: terms, status and shortfall on ``as_of``, what was counted, its
        certificates, and what could still count (eligible credits the enterprise holds, its
        voluntary retirements not yet counted for any obligation)."""
        require(actor, "obligation_view")
        day = _as_of(as_of) or self.today()
        with self.db.read() as s:
            tx = Tx.of(s)
            row = obligations.get_obligation(tx, obligation_id)
            self._may_read(actor, row)
            credits = s.exec(select(ObligationCreditRow).where(ObligationCreditRow.obligation_id == row.id)
                             .order_by(ObligationCreditRow.seq)).all()
            names = _names(s, {row.enterprise_party_id, row.authority_party_id})
            return obligations.obligation_dict(row, day) | {
                "enterprise_name": names.get(row.enterprise_party_id, ""),
                "authority_name": names.get(row.authority_party_id, ""),
                "credits": [c.model_dump() for c in credits],
                "certificates": certificates.certificates_of(s, row.id),
                "eligible_held_t": _eligible_held(tx, row),
                "countable_retirements": [] if row.status == obligations.MET else _countable(tx, row)}

    @staticmethod
    def _may_read(actor: Actor, row: QuotaObligationRow) -> None:
        if actor.role is Role.authority:
            require_authority(actor, "obligation_view", row.authority_party_id)
        elif actor.role not in ACTS_FOR_OTHERS["obligation_view"] and actor.party_id != row.enterprise_party_id:
            raise NotPermitted("not_permitted", role=actor.role.value, command="obligation_view")

    # -- certificates -----------------------------------------------------------------------
    def verify_certificate(self, code: str) -> dict:
        """Check a compliance certificate by its code against the ledger (public, read-only)."""
        code = normalise_code(code)
        self.service.require_initialised()
        with self.db.read() as s:
            return certificates.verify_certificate(s, code)

    def verify_certificate_pdf(self, data: bytes) -> dict:
        """Check a compliance certificate PDF: its embedded record must hash to its code and
        match the ledger (public, read-only)."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.obligation_certificates import read_obligation_certificate_pdf

        code, document = certificate_in_pdf(data, read_obligation_certificate_pdf)
        self.service.require_initialised()
        with self.db.read() as s:
            return certificates.verify_certificate(s, code, presented_record=document["record"])

    def certificate_pdf(self, code: str, *, verify_url: str | None = None, lang: str = "zh") -> bytes:
        """The PDF of an issued compliance certificate (public), in ``lang`` ('zh' or 'en')."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.catalogue import checked_lang
        from sinkledger.documents.obligation_certificates import render_obligation_certificate_pdf

        code, lang = normalise_code(code), checked_lang(lang)
        if verify_url is not None:
            verify_url = check_text(verify_url, "verify_url", 500)
        with self.db.read() as s:
            row = certificates.get_certificate(s, code)
            record = json.loads(row.record)
            checkpoint = latest_checkpoint_covering(s, row.seq)
            o = record["obligation"]
            labels = _names(s, {o["enterprise_party_id"], o["authority_party_id"]})
            for c in record["credits"]:
                seller = (c["purchase"] or {}).get("seller_account")
                account = s.get(AccountRow, seller) if seller else None
                if account is not None and account.party_id:
                    labels[seller] = _names(s, {account.party_id}).get(account.party_id, seller)
        point = {"tree_size": checkpoint.tree_size, "root": checkpoint.root} if checkpoint else None
        return render_obligation_certificate_pdf(record, code, labels=labels, verify_url=verify_url,
                                                 checkpoint=point, issued_at=row.issued_at, lang=lang)


def _names(session: Any, party_ids: set[str]) -> dict[str, str]:
    ids = sorted(p for p in party_ids if p)
    if not ids:
        return {}
    rows = session.exec(select(PartyRow).where(PartyRow.id.in_(ids))).all()
    return {r.id: r.name for r in rows}


def _eligible_held(tx: Tx, row: QuotaObligationRow) -> int:
    """Eligible credits the enterprise holds (held, not pledged) now."""
    rules = obligations.eligibility(row)
    total = 0
    for batch_id, quantity, sink, county, vintage in tx.all(
            "SELECT b.batch_id, b.quantity, t.sink_type, t.county_code, t.vintage_year FROM balance b "
            "JOIN batch t ON t.id = b.batch_id WHERE b.account_id = :a AND b.state = :s AND b.quantity > 0",
            {"a": holding_account_id(row.enterprise_party_id), "s": BlockState.held.value}):
        if rules.refusal(sink_type=sink, county_code=county, vintage_year=vintage) is None:
            total += quantity
    return total


def _countable(tx: Tx, row: QuotaObligationRow) -> list[dict[str, Any]]:
    """The enterprise's voluntary retirements from the start date not yet counted for any obligation."""
    rows = tx.all("SELECT r.id, r.quantity, r.recorded_at, r.beneficiary FROM retirement r "
                  "LEFT JOIN obligation_credit c ON c.retirement_id = r.id WHERE r.account_id = :a "
                  "AND r.retirement_kind = :k AND c.retirement_id IS NULL AND r.recorded_at >= :start "
                  "ORDER BY r.seq", {"a": holding_account_id(row.enterprise_party_id),
                                     "k": RetirementKind.voluntary.value, "start": row.start_date})
    return [{"retirement_id": r[0], "quantity_t": r[1], "date": r[2][:10], "beneficiary": r[3]} for r in rows]


def _as_of(value: Any) -> date | None:
    """A status date: a ``date`` or an ISO date text (``None``: today), in the one date range."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return checks.date_in_range(value, "as_of")
    if isinstance(value, str):
        return checks.iso_date(value, "as_of")
    raise InvalidInput("value_invalid", field="as_of", value=repr(value)[:40])


def _list(value: Any, field: str) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return list(value)
    raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
