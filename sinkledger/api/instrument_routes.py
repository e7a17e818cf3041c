"""Compensation programmes and quota obligations over HTTP (issue 22; docs/instruments.md).

An authority registers programmes and pays the holders of verified sink
(``service.compensation``), sets quota obligations and certifies them once met; an enterprise
(or the trading centre for it) surrenders credits against its obligation or counts an earlier
retirement (``service.obligations``). Every role and scope check is the services'. A compliance
certificate is verified by anyone at ``/public/obligation-certificates/{code}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field

from sinkledger.api.deps import Acting, Paged, RequestId, Svc
from sinkledger.api.ledger_routes import Body, Lang
from sinkledger.api.public import limited

router = APIRouter(prefix="/v1", tags=["compensation and obligations"])
public_router = APIRouter(prefix="/public", tags=["public registry"], dependencies=[Depends(limited)])
AsOf = Annotated[str | None, Query(description="Status on this day, YYYY-MM-DD (default: today).")]


class CompensationProgrammeIn(Body):
    code: str = Field(examples=["HZSTBC-2026"], description="Capitals, digits and hyphens, up to 40.")
    name: str
    reference: str = Field(description="The policy document (文号).")
    basis: str = Field(examples=["per_t", "per_ha"], description="per_t: fen per tCO2e; per_ha: fen per ha a year.")
    rate_fen: int
    budget_fen: int
    sink_types: list[str] = Field(examples=[["bamboo_forest", "wetland"]])
    vintage_from: int
    vintage_to: int
    period_start: str = Field(description="First payment date, YYYY-MM-DD.")
    period_end: str = Field(description="Last payment date, YYYY-MM-DD.")
    county_codes: list[str] | None = Field(default=None, description="None or empty: every county.")


class CompensationPaymentIn(Body):
    programme_code: str
    estimate_id: str
    paid_date: str = Field(description="YYYY-MM-DD, within the programme's period.")
    reference: str
    vintages: list[int] | None = Field(default=None, description="Pay only these vintages (default: every eligible).")


class QuotaObligationIn(Body):
    enterprise_party_id: str
    quantity_t: int
    deadline: str = Field(description="YYYY-MM-DD")
    sink_types: list[str]
    vintage_from: int
    vintage_to: int
    reference: str = Field(description="The decision's document number (文号).")
    county_codes: list[str] | None = None
    start_date: str | None = Field(default=None, description="Retirements from this day count (default: today).")


class ObligationSurrenderIn(Body):
    quantity_t: int
    seller_account: str | None = Field(default=None, description="Buy from this account in the same entry (clerk).")
    price_fen_per_t: int | None = None
    contract_no: str | None = None


class ObligationClaimIn(Body):
    retirement_id: str


# --- compensation ------------------------------------------------------------------------------

@router.post("/compensation/programmes", status_code=201)
def post_programme(body: CompensationProgrammeIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Register a compensation programme (the acting authority's)."""
    return svc.compensation.register_programme(actor, request_id, **body.model_dump())


@router.get("/compensation/programmes")
def get_programmes(svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    """Programmes, newest first, with what is paid and what remains of each budget."""
    return page.of_page(**svc.compensation.programmes_page(actor, limit=page.limit, offset=page.offset))


@router.get("/compensation/programmes/{code}")
def get_programme(code: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """A programme with the payments the key may read."""
    return svc.compensation.programme(actor, code=code)


@router.get("/compensation/programmes/{code}/payable")
def get_payable(code: str, svc: Svc, actor: Acting) -> list[dict[str, Any]]:
    """Verified estimates with vintages the programme accepts and has not paid (its authority)."""
    return svc.compensation.payable_estimates(actor, programme_code=code)


@router.get("/compensation/payments/preview")
def get_payment_preview(svc: Svc, actor: Acting, programme_code: str, estimate_id: str) -> dict[str, Any]:
    """What a payment would be now: units, amount and the lines to contracts and households."""
    return svc.compensation.preview_payment(actor, programme_code=programme_code, estimate_id=estimate_id)


@router.post("/compensation/payments", status_code=201)
def post_payment(body: CompensationPaymentIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Pay the holder of a verified estimate's sink from a programme (its authority)."""
    return svc.compensation.pay(actor, request_id, **body.model_dump())


@router.get("/compensation/payments")
def get_payments(svc: Svc, actor: Acting, programme_code: str | None = None) -> list[dict[str, Any]]:
    """Payments the key may read: its programmes', or made to its party."""
    return svc.compensation.payments(actor, programme_code=programme_code)


@router.get("/compensation/payments/{payment_id}")
def get_payment(payment_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """A payment with its units, contracts and lines."""
    return svc.compensation.payment(actor, payment_id=payment_id)


# --- obligations -------------------------------------------------------------------------------

@router.post("/obligations", status_code=201)
def post_obligation(body: QuotaObligationIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Set a quota obligation on an enterprise (an authority)."""
    return svc.obligations.set_obligation(actor, request_id, **body.model_dump())


@router.get("/obligations")
def get_obligations(svc: Svc, actor: Acting, page: Paged, as_of: AsOf = None) -> dict[str, Any]:
    """Obligations the key may read, with status and shortfall on ``as_of``."""
    found = svc.obligations.obligations_page(actor, as_of=as_of, limit=page.limit, offset=page.offset)
    return page.of_page(items=found["items"], total=found["total"])


@router.get("/obligations/{obligation_id}")
def get_obligation(obligation_id: str, svc: Svc, actor: Acting, as_of: AsOf = None) -> dict[str, Any]:
    """An obligation: status, shortfall, what counted, what could, its certificates."""
    return svc.obligations.obligation(actor, obligation_id=obligation_id, as_of=as_of)


@router.post("/obligations/{obligation_id}/surrenders", status_code=201)
def post_surrender(obligation_id: str, body: ObligationSurrenderIn, svc: Svc, actor: Acting,
                   request_id: RequestId) -> dict[str, Any]:
    """Retire eligible credits against the obligation (bought in the same entry when a seller is named)."""
    return svc.obligations.surrender(actor, request_id, obligation_id=obligation_id, **body.model_dump())


@router.post("/obligations/{obligation_id}/claims", status_code=201)
def post_claim(obligation_id: str, body: ObligationClaimIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Count an earlier voluntary retirement of the enterprise's own against the obligation."""
    return svc.obligations.claim(actor, request_id, obligation_id=obligation_id, retirement_id=body.retirement_id)


@router.post("/obligations/{obligation_id}/certificate", status_code=201)
def post_obligation_certificate(obligation_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """Issue the compliance certificate of a met obligation (the same facts give the same code)."""
    return svc.obligations.issue_certificate(actor, obligation_id=obligation_id)


# --- the public check of a compliance certificate ----------------------------------------------

@public_router.get("/obligation-certificates/{code}")
def get_obligation_certificate(code: str, request: Request) -> dict[str, Any]:
    """Check a compliance certificate against the ledger (anyone): every entry's hash, the record
    rebuilt from the journal, an inclusion proof of each entry."""
    return request.app.state.service.obligations.verify_certificate(code)


@public_router.get("/obligation-certificates/{code}/certificate.pdf")
def get_obligation_certificate_pdf(code: str, request: Request, lang: Lang = "zh") -> Response:
    """The compliance certificate as a PDF in Chinese or English (anyone)."""
    pdf = request.app.state.service.obligations.certificate_pdf(code, lang=lang)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="obligation-certificate-{code}.pdf"'})
