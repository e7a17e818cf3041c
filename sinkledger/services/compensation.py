"""Ecological protection compensation (碳汇生态保护补偿) over the registry :class:`Service`
(``service.compensation``): an authority's programmes and their payments to the holders of
verified sink. The rules live in :mod:`ledger.compensation`; docs/instruments.md.

Commands (one journal entry each): :meth:`register_programme`, :meth:`pay` (the programme's
authority). Reads (``compensation_view``: authorities, collection centres, cooperatives, the
trading clerk, administrators): programmes are public facts of the registry, so every reader sees
them all; payments are scoped: an authority reads its own programmes' payments, a centre or a
cooperative the payments made to it, the clerk and administrators all.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

import ledger.compensation.store  # noqa: F401 - registers the compensation tables
from ledger.compensation import programmes
from ledger.compensation.domain import Eligibility
from ledger.compensation.store import CompensationPaymentRow, CompensationProgrammeRow, CompensationUnitRow
from ledger.domain import Role
from ledger.permissions import ACTS_FOR_OTHERS, Actor, require
from ledger.queries import page_of
from ledger.sql import Tx
from sinkledger.services.area import AreaService
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotFound, NotPermitted


class CompensationService(AreaService):
    """Compensation programmes and payments (``service.compensation``)."""

    def _require(self, actor: Actor, command: str) -> None:
        require(actor, command)

    # -- commands ---------------------------------------------------------------------------
    def register_programme(self, actor: Actor, request_id: str, *, code: str, name: str, reference: str, basis: str,
                           rate_fen: int, budget_fen: int, sink_types: list[str], vintage_from: int, vintage_to: int,
                           period_start: str, period_end: str, county_codes: list[str] | None = None) -> dict:
        """Register a programme: budget, basis (``per_t``: fen per tCO2e; ``per_ha``: fen per
        hectare per year), rate, eligible sink types, counties (none: every county), vintages
        and the period its payments are dated in. The acting authority is its authority."""
        content = {"code": code, "name": name, "reference": reference, "basis": basis, "rate_fen": rate_fen,
                   "budget_fen": budget_fen, "sink_types": _list(sink_types, "sink_types"),
                   "county_codes": _list(county_codes, "county_codes"), "vintage_from": vintage_from,
                   "vintage_to": vintage_to, "period_start": period_start, "period_end": period_end}
        return self._run(actor, "compensation_programme", request_id, content,
                         lambda ctx: programmes.register_programme(ctx, **content))

    def pay(self, actor: Actor, request_id: str, *, programme_code: str, estimate_id: str, paid_date: str,
            reference: str, vintages: list[int] | None = None) -> dict:
        """Pay the holder of a verified estimate's sink from the programme (every eligible
        vintage, or those named); the households' parts become due items of the payee."""
        content = {"programme_code": programme_code, "estimate_id": estimate_id, "paid_date": paid_date,
                   "reference": reference, "vintages": _list(vintages, "vintages")}
        return self._run(actor, "compensation_pay", request_id, content, lambda ctx: programmes.pay(ctx, **content))

    # -- reads ------------------------------------------------------------------------------
    def preview_payment(self, actor: Actor, *, programme_code: str, estimate_id: str,
                        vintages: list[int] | None = None) -> dict:
        """What :meth:`pay` would record now: units, amount, the distribution's lines (nothing recorded)."""
        require(actor, "compensation_pay")
        with self.db.read() as s:
            tx = Tx.of(s)
            programme = programmes.get_programme(tx, programme_code)
            programmes.require_authority(actor, "compensation_pay", programme.authority_party_id)
            return programmes.draft_payment(tx, programme, estimate_id, _list(vintages, "vintages"))

    def programmes_page(self, actor: Actor, *, limit: int | None = 100, offset: int = 0) -> dict:
        """Every programme, newest first, with what is paid and what remains."""
        require(actor, "compensation_view")
        limit, offset = checks.page_bounds(limit, offset)
        with self.db.read() as s:
            query = select(CompensationProgrammeRow).order_by(CompensationProgrammeRow.seq.desc())
            if actor.role is Role.authority:
                query = query.where(CompensationProgrammeRow.authority_party_id == actor.party_id)
            rows, total = page_of(s, query, limit=limit, offset=offset)
            return {"total": total, "items": [programmes.programme_dict(r) for r in rows]}

    def programmes(self, actor: Actor) -> list[dict]:
        return self.programmes_page(actor, limit=None)["items"]

    def programme(self, actor: Actor, *, code: str) -> dict:
        """A programme with the payments its reader may see."""
        require(actor, "compensation_view")
        with self.db.read() as s:
            row = programmes.get_programme(Tx.of(s), code)
            out = programmes.programme_dict(row)
            out["payments"] = self._payments(s, actor, programme_code=row.code)
            return out

    def payments(self, actor: Actor, *, programme_code: str | None = None) -> list[dict]:
        """Payments the actor may read (see the module docstring), newest first."""
        require(actor, "compensation_view")
        if programme_code is not None and not isinstance(programme_code, str):
            raise InvalidInput("value_invalid", field="programme_code", value=repr(programme_code)[:40])
        with self.db.read() as s:
            return self._payments(s, actor, programme_code=programme_code)

    @staticmethod
    def _payments(session: Any, actor: Actor, *, programme_code: str | None) -> list[dict]:
        query = select(CompensationPaymentRow, CompensationProgrammeRow.authority_party_id).join(
            CompensationProgrammeRow, CompensationProgrammeRow.code == CompensationPaymentRow.programme_code)
        if programme_code is not None:
            query = query.where(CompensationPaymentRow.programme_code == programme_code)
        if actor.role is Role.authority:
            query = query.where(CompensationProgrammeRow.authority_party_id == actor.party_id)
        elif actor.role not in ACTS_FOR_OTHERS["compensation_view"]:
            query = query.where(CompensationPaymentRow.payee_party_id == actor.party_id)
        rows = session.exec(query.order_by(CompensationPaymentRow.seq.desc())).all()
        out = []
        for payment, _authority in rows:
            units = session.exec(select(CompensationUnitRow).where(CompensationUnitRow.payment_id == payment.id)
                                 .order_by(CompensationUnitRow.vintage_year)).all()
            out.append(payment.model_dump() | {"units": [u.model_dump() for u in units]})
        return out

    def payment(self, actor: Actor, *, payment_id: str) -> dict:
        """One payment with its units, contracts and lines as its entry recorded them."""
        require(actor, "compensation_view")
        if not isinstance(payment_id, str):
            raise InvalidInput("value_invalid", field="payment_id", value=repr(payment_id)[:40])
        with self.db.read() as s:
            found = [p for p in self._payments(s, actor, programme_code=None) if p["id"] == payment_id]
            row = s.get(CompensationPaymentRow, payment_id)
            if row is None:
                raise NotFound("compensation_payment_not_found", payment=payment_id[:40])
            if not found:
                raise NotPermitted("not_permitted", role=actor.role.value, command="compensation_view")
            body = Tx.of(s).one("SELECT body, entry_hash FROM journal_entry WHERE seq = :s", {"s": row.seq})
            payload = json.loads(body[0])["payload"]
            return found[0] | {"entry_hash": body[1], "contracts": payload["contracts"], "lines": payload["lines"],
                               "parcel_codes": payload["parcel_codes"]}

    def payable_estimates(self, actor: Actor, *, programme_code: str) -> list[dict]:
        """Verified estimates with vintages this programme accepts and has not paid, for the
        authority's page: estimate, holder, sink type, county, vintages, tonnes."""
        require(actor, "compensation_pay")
        with self.db.read() as s:
            tx = Tx.of(s)
            programme = programmes.get_programme(tx, programme_code)
            rules: Eligibility = programmes.eligibility(programme)
            paid = {(e, v) for e, v in tx.all("SELECT estimate_id, vintage_year FROM compensation_unit "
                                              "WHERE programme_code = :p", {"p": programme.code})}
            corrected = {r[0] for r in tx.all("SELECT corrected_seq FROM correction")}
            out: dict[str, dict[str, Any]] = {}
            for estimate_id, vintage, sink, county, first, last, issuance_seq in tx.all(
                    "SELECT estimate_id, vintage_year, sink_type, county_code, first, last, issuance_seq FROM batch "
                    "WHERE estimate_id <> '' ORDER BY issuance_seq, vintage_year"):
                if issuance_seq in corrected or (estimate_id, vintage) in paid or rules.refusal(
                        sink_type=sink, county_code=county, vintage_year=vintage) is not None:
                    continue
                item = out.setdefault(estimate_id, {"estimate_id": estimate_id, "sink_type": sink,
                                                    "county_code": county, "issuance_seq": issuance_seq,
                                                    "vintages": [], "quantity_t": 0})
                item["vintages"].append(vintage)
                item["quantity_t"] += last - first + 1
            return list(out.values())


def _list(value: Any, field: str) -> list[Any] | None:
    """A list parameter as a list (None stays None); anything else is refused by field."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return list(value)
    raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
