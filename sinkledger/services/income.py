"""The income API (收储 → 收益分配) over :class:`sinkledger.services.registry.Service`.

Every state change is one journal entry through :func:`ledger.commands.run_command`; reads
check the ``income_view`` role and then whose data the actor may see. The rules live in
:mod:`ledger.income`; this class only wires requests to them. See ``docs/income.md`` for how a
page uses these calls.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.exc import NoResultFound
from sqlmodel import select

import ledger.income.store  # noqa: F401 - registers the income tables
from ledger.domain import Role
from ledger.income import (
    contributions,
    distribution,
    documents,
    liens,
    losses,
    obligations,
    payments,
    projects,
    statements,
)
from ledger.income.domain import check_whole
from ledger.income.permissions import require_income, require_statement_reader
from ledger.income.store import DistributionRow, ProjectRow
from ledger.income.terms import PaymentTerms
from ledger.permissions import Actor, require
from ledger.projection import parse_serial_range
from ledger.queries import page_of
from ledger.sql import Tx
from ledger.store import (
    BatchRow,
    CollectionContractRow,
    ContractParcelRow,
    EstimateRow,
    JournalRow,
    PartyRow,
)
from sinkledger.services.area import AreaService
from sinkledger_base import checks
from sinkledger_base.canonical import canonical_json
from sinkledger_base.errors import InvalidInput, NotFound
from sinks.store import ParcelRow


class IncomeService(AreaService):
    """Contracts' documents, bundled projects, traces, distributions, payments, liens, losses,
    statements (``service.income``)."""

    def _require(self, actor: Actor, command: str) -> None:
        require_income(actor, command)

    def _check_request(self, content: Mapping[str, Any]) -> None:
        _check_content(content)

    def _view(self, actor: Actor) -> None:
        require_income(actor, "income_view")

    def _today_text(self) -> str:
        """The service clock's date as ISO text (YYYY-MM-DD)."""
        return self.today().isoformat()

    # -- collection contracts and their documents -------------------------------------------------
    def contracts(self, actor: Actor, *, collective_party_id: str | None = None) -> list[dict[str, Any]]:
        """Collection contracts (all, or one collective's) with parcels, terms and documents."""
        return self.contracts_page(actor, collective_party_id=collective_party_id, limit=None)["items"]

    def contracts_page(self, actor: Actor, *, collective_party_id: str | None = None, limit: int | None = 100,
                       offset: int = 0) -> dict[str, Any]:
        """:meth:`contracts`, one page read as a page by the database: ``{"items", "total"}``."""
        self._view(actor)
        _text_or_none(collective_party_id, "collective_party_id")
        limit, offset = checks.page_bounds(limit, offset)
        with self.service.db.read() as s:
            query = select(CollectionContractRow).order_by(CollectionContractRow.seq)
            if collective_party_id:
                query = query.where(CollectionContractRow.collective_party_id == collective_party_id)
            rows, total = page_of(s, query, limit=limit, offset=offset)
            return {"total": total, "items": [self._contract_dict(s, c) for c in rows]}

    def contract(self, actor: Actor, contract_no: str) -> dict[str, Any]:
        self._view(actor)
        _text_or_none(contract_no, "contract_no")
        with self.service.db.read() as s:
            return self._contract_dict(s, documents.get_contract(s, contract_no))

    @staticmethod
    def _contract_dict(session: Any, row: CollectionContractRow) -> dict[str, Any]:
        codes = session.exec(select(ContractParcelRow.parcel_code).where(
            ContractParcelRow.contract_no == row.contract_no).order_by(ContractParcelRow.parcel_code)).all()
        return {**row.model_dump(exclude={"payment_terms"}),
                "payment_terms": PaymentTerms.from_json(row.payment_terms).to_dict(), "parcel_codes": list(codes),
                "documents": documents.contract_documents(session, row.contract_no)}

    def register_contract_document(self, actor: Actor, request_id: str, *, contract_no: str, title: str,
                                   content: bytes, file_name: str, media_type: str | None = None) -> dict[str, Any]:
        """Register a document of a collection contract by its SHA-256; its bytes are kept beside the journal."""
        if not isinstance(content, (bytes, bytearray)):
            raise InvalidInput("value_invalid", field="content", value=type(content).__name__)
        _text_or_none(file_name, "file_name")
        content = bytes(content)
        meta = {"contract_no": contract_no, "title": title, "file_name": file_name,
                "media_type": media_type if media_type not in (None, "") else (  # only "not given" is guessed
                    mimetypes.guess_type(file_name or "")[0] or "application/octet-stream"),
                "sha256": hashlib.sha256(content).hexdigest(), "size_bytes": len(content)}
        return self._run(actor, "collection_document", request_id, meta,
                         lambda ctx: documents.register_document(ctx, **meta, content=content))

    def register_contract_document_file(self, actor: Actor, request_id: str, *, contract_no: str, title: str,
                                        path: Path) -> dict[str, Any]:
        """:meth:`register_contract_document` of a file's bytes (``file_unreadable`` if it cannot be read)."""
        path = _file_path(path, "path")
        try:
            content = path.read_bytes()
        except (OSError, ValueError) as exc:
            raise InvalidInput("file_unreadable", field="path", reason=_reason(exc)) from None
        return self.register_contract_document(actor, request_id, contract_no=contract_no, title=title,
                                               content=content, file_name=path.name)

    # -- bundled projects -------------------------------------------------------------------------
    def register_project(self, actor: Actor, request_id: str, *, project_code: str, name: str, sink_type: str,
                         methodology_id: str, monitoring_start: str, interval_months: int,
                         parcel_codes: list[str]) -> dict[str, Any]:
        """Bundle collected parcels of one sink type into a project (打捆开发)."""
        content = {"project_code": project_code, "name": name, "sink_type": sink_type,
                   "methodology_id": methodology_id, "monitoring_start": monitoring_start,
                   "interval_months": interval_months, "parcel_codes": _as_list(parcel_codes)}
        return self._run(actor, "project_register", request_id, content,
                         lambda ctx: projects.register_project(ctx, **content))

    def add_project_parcels(self, actor: Actor, request_id: str, *, project_code: str,
                            parcel_codes: list[str]) -> dict[str, Any]:
        content = {"project_code": project_code, "parcel_codes": _as_list(parcel_codes)}
        return self._run(actor, "project_add_parcels", request_id, content,
                         lambda ctx: projects.add_parcels(ctx, **content))

    def projects(self, actor: Actor) -> list[dict[str, Any]]:
        """Every bundled project with its parcel codes, in order of registration."""
        return self.projects_page(actor, limit=None)["items"]

    def projects_page(self, actor: Actor, *, limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
        """:meth:`projects`, one page read as a page by the database: ``{"items", "total"}``."""
        self._view(actor)
        limit, offset = checks.page_bounds(limit, offset)
        with self.service.db.read() as s:
            rows, total = page_of(s, select(ProjectRow).order_by(ProjectRow.seq), limit=limit, offset=offset)
            return {"total": total, "items": [row.model_dump(exclude={"seq"}) | {
                "parcel_codes": projects.project_parcels(s, row.project_code)} for row in rows]}

    def project(self, actor: Actor, project_code: str) -> dict[str, Any]:
        self._view(actor)
        _text_or_none(project_code, "project_code")
        with self.service.db.read() as s:
            return projects.project_view(s, project_code)

    def estimate_project(self, actor: Actor, request_id: str, *, project_code: str, inputs: Mapping[str, Any],
                         period_index: int | None = None, gwp_profile: str = "AR5") -> dict[str, Any]:
        """One bundle estimate over all the project's parcels with its methodology; with
        ``period_index`` the period is the schedule's k-th monitoring period."""
        require(actor, "record_estimate")  # the role first: a forbidden role learns nothing of the project
        if period_index is not None:
            check_whole(period_index, "period_index", maximum=1_000)
        if not isinstance(inputs, Mapping):
            raise InvalidInput("value_invalid", field="inputs", value=repr(inputs)[:40])
        _check_content({"inputs": inputs, "gwp_profile": gwp_profile})  # what the estimate's entry will hold
        with self.service.db.read() as s:
            project = projects.get_project(s, project_code)
            codes = projects.project_parcels(s, project_code)
            period = projects.monitoring_periods(project, period_index + 1)[-1] if period_index is not None else None
        doc = dict(inputs) | ({"period_start": period[0], "period_end": period[1]} if period else {})
        return self.service.record_estimate(actor, request_id, parcel_codes=codes, methodology_id=project.methodology_id,
                                            inputs=doc, gwp_profile=gwp_profile)

    def issue_project(self, actor: Actor, request_id: str, *, project_code: str, estimate_id: str,
                      verified_kg_co2e: int, buffer_share_bp: int,
                      acknowledged_matches: list[str] | None = None) -> dict[str, Any]:
        """Verify and issue a bundle estimate under the project's code (credits go to the centre).
        ``acknowledged_matches``: imported registries' projects the verifier acknowledges (issue 20)."""
        require(actor, "issue")  # the role first: a forbidden role learns nothing of the project
        _text_or_none(estimate_id, "estimate_id")
        check_whole(verified_kg_co2e, "verified_kg_co2e", minimum=1, maximum=2**63 - 1)
        check_whole(buffer_share_bp, "buffer_share_bp", maximum=10_000)
        with self.service.db.read() as s:
            codes = set(projects.project_parcels(s, projects.get_project(s, project_code).project_code))
            estimate = s.get(EstimateRow, estimate_id) if estimate_id else None
        if estimate is None:
            raise NotFound("estimate_not_found", estimate=estimate_id)
        if not set(json.loads(estimate.parcel_codes)) <= codes:
            raise InvalidInput("value_invalid", field="estimate_id", value=f"{estimate_id} is not of {project_code}")
        return self.service.issue(actor, request_id, estimate_id=estimate_id, verified_kg_co2e=verified_kg_co2e,
                                  project_code=project_code, buffer_share_bp=buffer_share_bp,
                                  acknowledged_matches=acknowledged_matches)

    # -- traces -----------------------------------------------------------------------------------
    def trace_batch(self, actor: Actor, batch_id: str, parcel_code: str | None = None) -> dict[str, Any]:
        """Where a batch's credits come from: parcels (tonnes), their contracts, collectives,
        households; with ``parcel_code``, only that parcel's part (empty if it is not in the batch)."""
        self._view(actor)
        _text_or_none(batch_id, "batch_id")
        _text_or_none(parcel_code, "parcel_code")
        with self.service.db.read() as s:
            batch = s.get(BatchRow, batch_id) if batch_id else None
            if batch is None:
                raise NotFound("serials_unknown", serials=batch_id)
            return trace_of(s, batch, parcel_code)

    def trace_serial(self, actor: Actor, serial: str) -> dict[str, Any]:
        """:meth:`trace_batch` of the batch holding a serial number."""
        self._view(actor)
        if _text_or_none(serial, "serial") is None:
            raise InvalidInput("field_required", field="serial")
        prefix, first, _ = parse_serial_range(serial)
        with self.service.db.read() as s:
            batch = s.exec(select(BatchRow).where(BatchRow.serial_prefix == prefix, BatchRow.first <= first,
                                                  BatchRow.last >= first)).first()
        if batch is None:
            raise NotFound("serials_unknown", serials=serial)
        return self.trace_batch(actor, batch.id) | {"serial": serial}

    # -- distribution -----------------------------------------------------------------------------
    def preview_distribution(self, actor: Actor, *, sale_seq: int) -> dict[str, Any]:
        """The distribution a sale would have now, with its whole trace (nothing is recorded)."""
        self._view(actor)
        with self.service.db.read() as s:
            return distribution.draft_distribution(s, sale_seq)

    def distribute(self, actor: Actor, *, sale_seq: int, request_id: str | None = None) -> dict[str, Any]:
        """Record the distribution of a sale's proceeds (one per sale; request id ``distribution:<seq>``)."""
        if request_id is None:  # only None means "the default"; an empty id is refused as any other
            request_id = f"distribution:{sale_seq}"
        return self._run(actor, "distribute", request_id, {"sale_seq": sale_seq},
                         lambda ctx: distribution.distribute(ctx, sale_seq=sale_seq))

    def distributions(self, actor: Actor) -> list[dict[str, Any]]:
        return self.distributions_page(actor, limit=None)["items"]

    def distributions_page(self, actor: Actor, *, limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
        """Recorded distributions, newest first: one page read as a page by the database."""
        self._view(actor)
        limit, offset = checks.page_bounds(limit, offset)
        with self.service.db.read() as s:
            rows, total = page_of(s, select(DistributionRow).order_by(DistributionRow.seq.desc()), limit=limit,
                                  offset=offset)
        return {"total": total, "items": [d.model_dump() for d in rows]}

    def distribution(self, actor: Actor, distribution_id: str) -> dict[str, Any]:
        """A recorded distribution as its journal entry holds it (trace, contracts, every line)."""
        self._view(actor)
        with self.service.db.read() as s:
            row = s.get(DistributionRow, distribution_id) if _text_or_none(distribution_id, "distribution_id") else None
            if row is None:
                raise NotFound("distribution_not_found", distribution=str(distribution_id)[:40])
            payload = json.loads(s.get(JournalRow, row.seq).body)["payload"]
        return {k: v for k, v in payload.items() if k != "result"} | {"seq": row.seq, "recorded_at": row.recorded_at}

    # -- fixed payments and payments --------------------------------------------------------------
    def schedule_payments(self, actor: Actor, request_id: str, *, contract_no: str,
                          through: str | None = None) -> dict[str, Any]:
        """Schedule the obligations of a fixed-payment contract's years started by ``through`` (today)."""
        content = {"contract_no": contract_no, "through": self._today_text() if through is None else through}
        return self._run(actor, "schedule_payments", request_id, content,
                         lambda ctx: obligations.schedule_payments(ctx, **content))

    def due_items(self, actor: Actor, *, party_id: str | None = None, contract_no: str | None = None,
                  source_id: str | None = None, parcel_code: str | None = None,
                  outstanding_only: bool = False) -> list[dict[str, Any]]:
        """Due items the actor may see: a household its own, a collective its contracts', a centre
        what it pays, an administrator all; ``parcel_code``: only those attributed to that parcel."""
        return self.due_items_page(actor, party_id=party_id, contract_no=contract_no, source_id=source_id,
                                   parcel_code=parcel_code, outstanding_only=outstanding_only, limit=None)["items"]

    def due_items_page(self, actor: Actor, *, party_id: str | None = None, contract_no: str | None = None,
                       source_id: str | None = None, parcel_code: str | None = None, outstanding_only: bool = False,
                       limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
        """:meth:`due_items`, one page read as a page by the database (whose items the actor may
        see is part of the query): ``{"items", "total"}``."""
        self._view(actor)
        for field, value in (("party_id", party_id), ("contract_no", contract_no), ("source_id", source_id),
                             ("parcel_code", parcel_code)):
            _text_or_none(value, field)
        outstanding_only = checks.flag(outstanding_only, "outstanding_only")
        limit, offset = checks.page_bounds(limit, offset)
        if actor.role is Role.household:
            party_id = actor.party_id
        with self.service.db.read() as s:
            items, total = payments.due_items_page(
                s, party_id=party_id, contract_no=contract_no, source_id=source_id, parcel_code=parcel_code,
                outstanding_only=outstanding_only,
                seen_by=None if actor.role is Role.admin else actor.party_id,
                seen_by_collective=actor.role is Role.cooperative, limit=limit, offset=offset)
        return {"total": total, "items": items}

    def payments(self, actor: Actor, *, party_id: str | None = None, due_id: str | None = None,
                 contract_no: str | None = None, date_from: str | None = None,
                 date_to: str | None = None) -> list[dict[str, Any]]:
        """Payments the actor may see (as for :meth:`due_items`), newest paid date first."""
        return self.payments_page(actor, party_id=party_id, due_id=due_id, contract_no=contract_no,
                                  date_from=date_from, date_to=date_to, limit=None)["items"]

    def payments_page(self, actor: Actor, *, party_id: str | None = None, due_id: str | None = None,
                      contract_no: str | None = None, date_from: str | None = None, date_to: str | None = None,
                      limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
        """:meth:`payments`, one page read as a page by the database: ``{"items", "total"}``;
        ``date_from``/``date_to`` bound the paid date (inclusive)."""
        self._view(actor)
        for field, value in (("party_id", party_id), ("due_id", due_id), ("contract_no", contract_no)):
            _text_or_none(value, field)
        days = [None if value is None else checks.iso_date(value, field).isoformat()
                for field, value in (("date_from", date_from), ("date_to", date_to))]
        limit, offset = checks.page_bounds(limit, offset)
        if actor.role is Role.household:
            party_id = actor.party_id
        with self.service.db.read() as s:
            items, total = payments.payments_page(
                s, party_id=party_id, due_id=due_id, contract_no=contract_no, date_from=days[0], date_to=days[1],
                seen_by=None if actor.role is Role.admin else actor.party_id,
                seen_by_collective=actor.role is Role.cooperative, limit=limit, offset=offset)
        return {"total": total, "items": items}

    def record_payment(self, actor: Actor, request_id: str, *, items: list[Mapping[str, Any]], paid_date: str,
                       reference: str) -> dict[str, Any]:
        """Record a payment of due items: ``[{"due_id": ..., "amount_fen": ...}]``, date, reference."""
        content = {"items": [dict(i) if isinstance(i, Mapping) else i for i in _as_list(items)] if isinstance(
            items, (list, tuple)) else items, "paid_date": paid_date, "reference": reference}
        return self._run(actor, "record_payment", request_id, content,
                         lambda ctx: payments.record_payment(ctx, **content))

    def pay_outstanding(self, actor: Actor, request_id: str, *, source_id: str, paid_date: str,
                        reference: str, party_id: str | None = None) -> dict[str, Any]:
        """Pay in full every outstanding item of a distribution or obligation (or one party's) the actor pays."""
        if _text_or_none(source_id, "source_id") is None or not source_id.strip():
            raise InvalidInput("field_required", field="source_id")  # "" is not "every source"
        items = [{"due_id": i["id"], "amount_fen": i["outstanding_fen"]}
                 for i in self.due_items(actor, source_id=source_id, party_id=party_id, outstanding_only=True)
                 if actor.party_id == i["payer_party_id"] or actor.role is Role.cooperative]
        return self.record_payment(actor, request_id, items=items, paid_date=paid_date, reference=reference)

    # -- pledges of future issuances --------------------------------------------------------------
    def register_lien(self, actor: Actor, request_id: str, *, contract_no: str, loan_reference: str,
                      loan_amount_fen: int, term_end: str, parcel_codes: list[str] | None = None) -> dict[str, Any]:
        """The acting bank pledges the future issuances of a contract's parcels (收储贷)."""
        content = {"contract_no": contract_no, "loan_reference": loan_reference, "loan_amount_fen": loan_amount_fen,
                   "term_end": term_end, "parcel_codes": _as_list(parcel_codes)}
        return self._run(actor, "lien_register", request_id, content, lambda ctx: liens.register_lien(ctx, **content))

    def release_lien(self, actor: Actor, request_id: str, *, lien_id: str) -> dict[str, Any]:
        """On repayment: end the lien and release every pledge it made."""
        return self._run(actor, "lien_release", request_id, {"lien_id": lien_id},
                         lambda ctx: liens.end_lien(ctx, lien_id=lien_id, default=False))

    def default_lien(self, actor: Actor, request_id: str, *, lien_id: str) -> dict[str, Any]:
        """On default: end the lien and transfer every credit it pledged to the bank."""
        return self._run(actor, "lien_default", request_id, {"lien_id": lien_id},
                         lambda ctx: liens.end_lien(ctx, lien_id=lien_id, default=True))

    def liens(self, actor: Actor) -> list[dict[str, Any]]:
        """Liens: a bank sees its own, the others with ``income_view`` see all."""
        return self.liens_page(actor, limit=None)["items"]

    def liens_page(self, actor: Actor, *, limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
        """:meth:`liens`, one page read as a page by the database: ``{"items", "total"}``."""
        self._view(actor)
        limit, offset = checks.page_bounds(limit, offset)
        with self.service.db.read() as s:
            items, total = liens.liens_page(s, bank_party_id=actor.party_id if actor.role is Role.bank else None,
                                            limit=limit, offset=offset)
        return {"total": total, "items": items}

    # -- loss events and claims -------------------------------------------------------------------
    @staticmethod
    def _loss_parcels(parcels: Any) -> Any:
        """Areas as decimal strings (a float given by a caller becomes its shortest repr)."""
        if not isinstance(parcels, (list, tuple)) or not all(isinstance(p, Mapping) for p in parcels):
            raise InvalidInput("value_invalid", field="parcels", value=repr(parcels)[:60])
        for p in parcels:  # an unknown key (a typo of damage_share_bp) is not silently dropped
            if set(p) - LOSS_PARCEL_KEYS:
                raise InvalidInput("value_invalid", field="parcels",
                                   value=str(sorted(map(str, set(p) - LOSS_PARCEL_KEYS)))[:60])
        return [{"parcel_code": p.get("parcel_code"), "affected_area_ha": str(p.get("affected_area_ha")),
                 "damage_share_bp": p.get("damage_share_bp", 10_000)} for p in parcels]

    def preview_loss(self, actor: Actor, *, event_date: str, parcels: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Each parcel's stock, carbon lost and tonnes to reverse, with the trace (nothing recorded)."""
        require_income(actor, "loss_record")
        with self.service.db.read() as s:
            return losses.plan_loss(s, self._loss_parcels(parcels), event_date)

    def record_loss(self, actor: Actor, request_id: str, *, cause: str, event_date: str,
                    parcels: list[Mapping[str, Any]], description: str, policy_no: str | None = None) -> dict[str, Any]:
        """Record a loss event; its carbon lost cancels buffer credits in the same entry."""
        content = {"cause": cause, "event_date": event_date, "parcels": self._loss_parcels(parcels),
                   "description": description, "policy_no": policy_no}
        return self._run(actor, "loss_record", request_id, content, lambda ctx: losses.record_loss(ctx, **content))

    def record_claim(self, actor: Actor, request_id: str, *, claim_no: str, event_id: str, policy_no: str,
                     product: str, insured_party_id: str, payout_fen: int, paid_date: str | None = None,
                     reference: str | None = None) -> dict[str, Any]:
        """The insurer's claim on a loss event: policy, product (e.g. 毛竹碳汇价值恢复补偿保险), payout."""
        content = {"claim_no": claim_no, "event_id": event_id, "policy_no": policy_no, "product": product,
                   "insured_party_id": insured_party_id, "payout_fen": payout_fen, "paid_date": paid_date,
                   "reference": reference}
        return self._run(actor, "insurance_claim", request_id, content, lambda ctx: losses.record_claim(ctx, **content))

    def losses(self, actor: Actor) -> list[dict[str, Any]]:
        return self.losses_page(actor, limit=None)["items"]

    def losses_page(self, actor: Actor, *, limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
        """Loss events, newest first, with their parcels and claims: one page read as a page by the database."""
        self._view(actor)
        limit, offset = checks.page_bounds(limit, offset)
        with self.service.db.read() as s:
            items, total = losses.loss_events_page(s, limit=limit, offset=offset)
        return {"total": total, "items": items}

    # -- statements -------------------------------------------------------------------------------
    def statement(self, actor: Actor, *, party_id: str, period_start: str, period_end: str) -> dict[str, Any]:
        """The statement of a household or collective for a period (see :mod:`ledger.income.statements`)."""
        self._view(actor)
        _text_or_none(party_id, "party_id")
        with self.service.db.read() as s:
            require_statement_reader(s, actor, party_id)
            out = statements.statement(s, party_id, period_start, period_end)
        return out | {"generated_at": self.service.clock()}

    def statement_pdf(self, actor: Actor, *, party_id: str, period_start: str, period_end: str,
                      lang: str = "zh") -> bytes:
        """The statement as a PDF in ``lang`` ('zh' or 'en')."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.catalogue import checked_lang
        from sinkledger.documents.statements import render_statement_pdf

        lang = checked_lang(lang)
        data = self.statement(actor, party_id=party_id, period_start=period_start, period_end=period_end)
        return render_statement_pdf(data, labels=self._labels(data), lang=lang)

    def statement_xlsx(self, actor: Actor, path: Path, *, party_id: str, period_start: str,
                       period_end: str, lang: str = "zh") -> Path:
        """Write the statement to an Excel workbook (``path`` ends in ``.xlsx``; its folder exists)."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.catalogue import checked_lang
        from sinkledger.documents.statements import write_statement_xlsx

        lang = checked_lang(lang)
        path = _file_path(path, "path")
        if path.suffix.lower() != ".xlsx" or not path.parent.is_dir() or path.is_dir():
            raise InvalidInput("value_invalid", field="path", value=_printable(str(path))[:80])
        data = self.statement(actor, party_id=party_id, period_start=period_start, period_end=period_end)
        try:
            return write_statement_xlsx(data, path, labels=self._labels(data), lang=lang)
        except OSError as exc:
            raise InvalidInput("value_invalid", field="path", value=_reason(exc)) from None

    def _labels(self, data: dict[str, Any]) -> dict[str, str]:
        """Display names (pseudonyms for households) of the parties a statement names."""
        ids = {i["party_id"] for i in data["items"]} | {p["holder_party_id"] for p in data["parcels"]}
        with self.service.db.read() as s:
            return {p.id: p.name for p in s.exec(select(PartyRow).where(PartyRow.id.in_(ids)))} if ids else {}


def _check_content(content: Mapping[str, Any]) -> None:
    """Refuse content the journal cannot hold (floats, lone surrogates, ints beyond 64 bits,
    deep nesting) with ``value_invalid``, before ``run_command`` meets it."""
    try:
        text = canonical_json(content)
        text.encode("utf-8")
    except (TypeError, ValueError, UnicodeError, RecursionError) as exc:
        raise InvalidInput("value_invalid", field="request", value=type(exc).__name__) from None
    if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63 for v in _leaves(content)):
        raise InvalidInput("value_invalid", field="request", value="integer beyond 64 bits")


def _leaves(value: Any) -> Any:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


LOSS_PARCEL_KEYS = frozenset({"parcel_code", "affected_area_ha", "damage_share_bp"})


def _printable(text: str) -> str:
    """Text safe to echo in a refusal (lone surrogates escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _reason(exc: BaseException) -> str:
    return _printable(getattr(exc, "strerror", None) or type(exc).__name__)[:80]


def _file_path(value: Any, field: str) -> Path:
    """A file path given as text or a Path: not empty, no NUL, encodable, of a sane length."""
    text = str(value) if isinstance(value, Path) else value
    if (not isinstance(text, str) or not text.strip() or "\x00" in text or len(text) > 4096
            or _printable(text) != text):
        raise InvalidInput("value_invalid", field=field, value=_printable(repr(value))[:60])
    return Path(text)


def _as_list(value: Any) -> Any:
    """A tuple as a list (for the journal's canonical form); anything else as given, for the rules to judge."""
    return list(value) if isinstance(value, tuple) else value


def _text_or_none(value: Any, field: str) -> str | None:
    """A filter or id that must be text (or absent) before it reaches a query."""
    if value is not None and not (isinstance(value, str) and value.isprintable() and len(value) <= 120):
        raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
    return value


def trace_of(session: Any, batch: BatchRow, parcel_code: str | None = None) -> dict[str, Any]:
    """A batch's parcels with tonnes and kg, each with its contract, collective and household
    shares; with ``parcel_code``, only that parcel's part (the parcel page: a county batch holds
    thousands of parcels), the batch's own figures unchanged."""
    tx = Tx.of(session)
    tonnes = contributions.batch_contributions(session, batch.id)  # the whole batch: its allocation
    if parcel_code is not None:
        tonnes = {parcel_code: tonnes[parcel_code]} if parcel_code in tonnes else {}
    kg_sql = "SELECT parcel_code, kg_co2e FROM issuance_contribution WHERE batch_id = :b"
    kg = dict(tx.all(kg_sql + (" AND parcel_code = :c" if parcel_code is not None else ""),
                     {"b": batch.id, "c": parcel_code}))
    recorded = bool(kg) or tx.one("SELECT 1 FROM issuance_contribution WHERE batch_id = :b LIMIT 1",
                                  {"b": batch.id}) is not None
    facts = distribution.parcels_with_contracts(tx, list(tonnes), batch)
    parcels = []
    for code, quantity_t in tonnes.items():
        if code not in facts:
            raise NoResultFound(f"parcel {code} of batch {batch.id}")
        holder, shares, contract = facts[code]
        parcels.append({"parcel_code": code, "quantity_t": quantity_t, "kg_co2e": kg.get(code),
                        "holder_party_id": holder, "contract_no": contract or None,
                        "household_shares_bp": json.loads(shares or "{}")})
    return {"batch_id": batch.id, "serials": f"{batch.serial_prefix}-{batch.first:09d}..{batch.last:09d}",
            "vintage_year": batch.vintage_year, "quantity": batch.last - batch.first + 1,
            "project_code": batch.project_code, "issuance_seq": batch.issuance_seq,
            "period": f"{batch.period_start}..{batch.period_end}", "recorded": recorded, "parcels": parcels}

