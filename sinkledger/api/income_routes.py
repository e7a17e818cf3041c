"""From collection to farmers' income over HTTP: contracts, distributions and payments, liens
(a bank's pledge of future issuances), losses and insurance claims, statements. The income
service (``service.income``) checks every role and record (a household sees only its own)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import Field

from sinkledger.api.deps import Acting, Paged, RequestId, Svc, upload_parts
from sinkledger.api.ledger_routes import Body, DateQuery, Lang

router = APIRouter(prefix="/v1")
Day = Annotated[str, Query(description="YYYY-MM-DD.", max_length=10)]


class DistributionIn(Body):
    sale_seq: int = Field(description="The sale whose proceeds are distributed.")


class ScheduleIn(Body):
    contract_no: str
    through: str | None = Field(default=None, description="YYYY-MM-DD; default today.")


class PayOutstandingIn(Body):
    source_id: str = Field(description="A distribution or obligation id.")
    paid_date: str
    reference: str
    party_id: str | None = None


class PaymentItem(Body):
    due_id: str
    amount_fen: int


class PaymentIn(Body):
    items: list[PaymentItem]
    paid_date: str
    reference: str


class LienIn(Body):
    contract_no: str
    loan_reference: str
    loan_amount_fen: int
    term_end: str
    parcel_codes: list[str] | None = None


class LossParcel(Body):
    parcel_code: str
    affected_area_ha: str = Field(description="Hectares as a decimal text.")
    damage_share_bp: int = 10_000


class LossIn(Body):
    cause: str = Field(examples=["snow"])
    event_date: str
    parcels: list[LossParcel]
    description: str
    policy_no: str | None = None


class ClaimIn(Body):
    claim_no: str
    event_id: str
    policy_no: str
    product: str
    insured_party_id: str
    payout_fen: int
    paid_date: str | None = None
    reference: str | None = None


@router.get("/contracts", tags=["income"])
def get_contracts(svc: Svc, actor: Acting, page: Paged,
                  collective_party_id: Annotated[str | None, Query(max_length=40)] = None) -> dict[str, Any]:
    """Collection contracts (收储合同) with parcels, terms and documents."""
    return page.of_page(**svc.income.contracts_page(actor, collective_party_id=collective_party_id, limit=page.limit,
                                                    offset=page.offset))


@router.get("/contracts/{contract_no}", tags=["income"])
def get_contract(contract_no: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    return svc.income.contract(actor, contract_no)


@router.post("/contracts/{contract_no}/documents", status_code=201, tags=["income"])
def post_contract_document(contract_no: str, svc: Svc, actor: Acting, request_id: RequestId,
                           file: Annotated[UploadFile, File(description="The signed contract or an annex.")],
                           title: Annotated[str, Form(max_length=200)]) -> dict[str, Any]:
    """Register a document of a collection contract by its SHA-256; its bytes are kept beside the journal."""
    return svc.income.register_contract_document(actor, request_id, contract_no=contract_no, title=title,
                                                 **upload_parts(file))


@router.post("/distributions", status_code=201, tags=["income"])
def post_distribution(body: DistributionIn, svc: Svc, actor: Acting,
                      request_id: RequestId) -> dict[str, Any]:
    """Record the distribution (收益分配) of a sale's proceeds to collectives and households."""
    return svc.income.distribute(actor, sale_seq=body.sale_seq, request_id=request_id)


@router.get("/distributions/preview", tags=["income"])
def get_distribution_preview(svc: Svc, actor: Acting, sale_seq: int) -> dict[str, Any]:
    """The distribution a sale would have now, with its whole trace (nothing is recorded)."""
    return svc.income.preview_distribution(actor, sale_seq=sale_seq)


@router.get("/distributions", tags=["income"])
def get_distributions(svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    return page.of_page(**svc.income.distributions_page(actor, limit=page.limit, offset=page.offset))


@router.get("/distributions/{distribution_id}", tags=["income"])
def get_distribution(distribution_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    return svc.income.distribution(actor, distribution_id)


@router.get("/due-items", tags=["income"])
def get_due_items(svc: Svc, actor: Acting, page: Paged,
                  party_id: Annotated[str | None, Query(max_length=40)] = None,
                  contract_no: Annotated[str | None, Query(max_length=80)] = None,
                  outstanding_only: bool = False) -> dict[str, Any]:
    """Amounts due to collectives and households that this key may see."""
    return page.of_page(**svc.income.due_items_page(actor, party_id=party_id, contract_no=contract_no,
                                                    outstanding_only=outstanding_only, limit=page.limit,
                                                    offset=page.offset))


@router.get("/payments", tags=["income"])
def get_payments(svc: Svc, actor: Acting, page: Paged,
                 party_id: Annotated[str | None, Query(max_length=40, description="The party paid.")] = None,
                 due_id: Annotated[str | None, Query(max_length=48)] = None,
                 contract_no: Annotated[str | None, Query(max_length=80)] = None,
                 date_from: DateQuery = None, date_to: DateQuery = None) -> dict[str, Any]:
    """Payments of due items that this key may see (a household its own, a collective its
    contracts', a centre what it pays), newest paid date first."""
    return page.of_page(**svc.income.payments_page(actor, party_id=party_id, due_id=due_id, contract_no=contract_no,
                                                   date_from=date_from, date_to=date_to, limit=page.limit,
                                                   offset=page.offset))


@router.post("/payments", status_code=201, tags=["income"])
def post_payment(body: PaymentIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Record a payment of due items."""
    return svc.income.record_payment(actor, request_id, **body.model_dump())


@router.post("/payment-schedules", status_code=201, tags=["income"])
def post_schedule(body: ScheduleIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Schedule the obligations of a fixed-payment contract's years started by ``through``."""
    return svc.income.schedule_payments(actor, request_id, **body.model_dump())


@router.post("/payments/outstanding", status_code=201, tags=["income"])
def post_pay_outstanding(body: PayOutstandingIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Pay in full every outstanding item of a distribution or obligation (or one party's) that
    this key's party pays."""
    return svc.income.pay_outstanding(actor, request_id, **body.model_dump())


@router.get("/projects", tags=["income"])
def get_projects(svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    """Bundled projects (打捆开发) with their parcels."""
    return page.of_page(**svc.income.projects_page(actor, limit=page.limit, offset=page.offset))


@router.get("/projects/{project_code}", tags=["income"])
def get_project(project_code: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    return svc.income.project(actor, project_code)


@router.post("/liens", status_code=201, tags=["liens"])
def post_lien(body: LienIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """The acting bank pledges the future issuances of a contract's parcels (收储贷)."""
    return svc.income.register_lien(actor, request_id, **body.model_dump())


@router.get("/liens", tags=["liens"])
def get_liens(svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    return page.of_page(**svc.income.liens_page(actor, limit=page.limit, offset=page.offset))


@router.post("/liens/{lien_id}/release", tags=["liens"])
def post_lien_release(lien_id: str, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    return svc.income.release_lien(actor, request_id, lien_id=lien_id)


@router.post("/liens/{lien_id}/default", tags=["liens"])
def post_lien_default(lien_id: str, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    return svc.income.default_lien(actor, request_id, lien_id=lien_id)


@router.post("/losses", status_code=201, tags=["losses"])
def post_loss(body: LossIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Record a loss event (snow, fire, pests); its carbon lost cancels buffer credits."""
    return svc.income.record_loss(actor, request_id, **body.model_dump())


@router.get("/losses", tags=["losses"])
def get_losses(svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    return page.of_page(**svc.income.losses_page(actor, limit=page.limit, offset=page.offset))


@router.post("/claims", status_code=201, tags=["losses"])
def post_claim(body: ClaimIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """The insurer's claim on a loss event: policy, product, payout."""
    return svc.income.record_claim(actor, request_id, **body.model_dump())


@router.get("/statements/{party_id}", tags=["statements"])
def get_statement(party_id: str, svc: Svc, actor: Acting, period_start: Day, period_end: Day) -> dict[str, Any]:
    """The income statement of a household or collective for a period."""
    return svc.income.statement(actor, party_id=party_id, period_start=period_start, period_end=period_end)


@router.get("/statements/{party_id}/statement.pdf", tags=["statements"], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def get_statement_pdf(party_id: str, svc: Svc, actor: Acting, period_start: Day, period_end: Day,
                      lang: Lang = "zh") -> Response:
    pdf = svc.income.statement_pdf(actor, party_id=party_id, period_start=period_start, period_end=period_end,
                                   lang=lang)
    return Response(pdf, media_type="application/pdf")
