"""Judicial compensation over HTTP: a court registers cases and orders and follows their
fulfilment; a buyer (or the trading centre) fulfils an order; a court or the trading centre
issues the certificate. The court service (``service.court``) checks every role and case."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import Field

from sinkledger.api.deps import Acting, Paged, RequestId, Svc, upload_parts
from sinkledger.api.ledger_routes import Body, Lang

router = APIRouter(prefix="/v1/court", tags=["court"])


class CaseIn(Body):
    case_no: str = Field(examples=["（2025）浙0521刑初1号"])
    judgment_date: str = Field(description="YYYY-MM-DD.")
    defendants: list[str] = Field(description="Party ids of the defendants.")
    sink_type: str = Field(examples=["bamboo_forest"])
    county_code: str = Field(examples=["330521"])
    ecosystem_name: str
    damaged_area_ha: str = Field(description="Hectares as a decimal text.", examples=["1.5"])
    description: str
    parcel_code: str | None = None
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON polygon, EPSG:4490 lon-lat.")


class OrderIn(Body):
    case_no: str
    item: str = Field(examples=["判决第二项"])
    kind: str = Field(examples=["quantity", "amount"])
    due_date: str = Field(description="YYYY-MM-DD.")
    quantity_t: int | None = None
    amount_fen: int | None = None
    same_sink_type: bool = False
    same_county: bool = False


class AmendIn(Body):
    reason: str
    quantity_t: int | None = None
    amount_fen: int | None = None
    due_date: str | None = None
    same_sink_type: bool | None = None
    same_county: bool | None = None


class WithdrawIn(Body):
    reason: str


class FulfilIn(Body):
    seller_account: str
    price_fen_per_t: int
    contract_no: str
    quantity_t: int | None = None
    buyer_account: str | None = None
    purchase_date: str | None = None
    serials: list[str] | None = None


@router.post("/cases", status_code=201)
def post_case(body: CaseIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Register a case (案件) and its damaged ecosystem; the acting court is the case's court."""
    return svc.court.register_case(actor, request_id, **body.model_dump())


@router.get("/cases")
def get_cases(svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    """Cases in order of registration."""
    return page.of_page(**svc.court.cases_page(actor, limit=page.limit, offset=page.offset))


@router.get("/cases/{case_no}")
def get_case(case_no: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """A case with its documents and orders (status, history, fulfilments, certificates)."""
    return svc.court.status(actor, case_no=case_no)


@router.post("/cases/{case_no}/documents", status_code=201)
def post_case_document(case_no: str, svc: Svc, actor: Acting, request_id: RequestId,
                       file: Annotated[UploadFile, File(description="The document (judgment, report...).")],
                       title: Annotated[str, Form(max_length=200)]) -> dict[str, Any]:
    """Register a document of a case by its SHA-256; its bytes are kept beside the journal."""
    return svc.court.register_document(actor, request_id, case_no=case_no, title=title, **upload_parts(file))


@router.post("/orders", status_code=201)
def post_order(body: OrderIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Order (判令) a quantity of credits or an amount of money for a case."""
    return svc.court.issue_order(actor, request_id, **body.model_dump())


@router.get("/orders/{order_id}")
def get_order(order_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    return svc.court.status(actor, order_id=order_id)


@router.post("/orders/{order_id}/fulfilments", status_code=201)
def post_fulfilment(order_id: str, body: FulfilIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Buy credits from a seller and retire them against the order's case, in one entry."""
    return svc.court.fulfil(actor, request_id, order_id=order_id, **body.model_dump())


@router.post("/orders/{order_id}/certificate", status_code=201)
def post_certificate(order_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """Issue the certificate of the order's fulfilments so far (the same facts give the same code)."""
    return svc.court.issue_certificate(actor, order_id=order_id)


@router.post("/orders/{order_id}/amendments", status_code=201)
def post_amendment(order_id: str, body: AmendIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Amend an order's terms by a new entry (the fields given change; at least one)."""
    changes = {k: v for k, v in body.model_dump().items() if k != "reason" and v is not None}
    return svc.court.amend_order(actor, request_id, order_id=order_id, reason=body.reason, **changes)


@router.post("/orders/{order_id}/withdrawal", status_code=201)
def post_withdrawal(order_id: str, body: WithdrawIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Withdraw an order (an entry saying why; its history stays)."""
    return svc.court.withdraw_order(actor, request_id, order_id=order_id, reason=body.reason)


# -- reports and certificates (issue 18, helper h3) ---------------------------------------------

ReportYear = Annotated[int | None, Query(description="Only the orders of this year (by judgment date).")]
CourtParty = Annotated[str | None, Query(max_length=40, description="Only this court's orders (its party id).")]
AsOf = Annotated[str | None, Query(max_length=10, description="Statuses on this day, YYYY-MM-DD; default today.")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/report")
def get_report(svc: Svc, actor: Acting, court_party_id: CourtParty = None, year: ReportYear = None,
               as_of: AsOf = None) -> dict[str, Any]:
    """The court report: per court and year, orders, tonnes, money, fulfilment rate; every order
    line with its status; the overdue list."""
    return svc.court.report(actor, court_party_id=court_party_id, year=year, as_of=as_of)


@router.get("/report.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def get_report_xlsx(svc: Svc, actor: Acting, court_party_id: CourtParty = None, year: ReportYear = None,
                    as_of: AsOf = None) -> Response:
    """The court report as an Excel workbook (汇总 Summary, 判令 Orders, 逾期 Overdue, 说明 About)."""
    data = svc.court.report_xlsx(actor, court_party_id=court_party_id, year=year, as_of=as_of)
    return Response(data, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="court-report.xlsx"'})


@router.get("/certificates/{code}")
def get_certificate(code: str, svc: Svc, _actor: Acting) -> dict[str, Any]:
    """Check an issued certificate by its code against the ledger (its record, the entries it
    names and their inclusion proofs)."""
    return svc.court.verify_certificate(code)


@router.get("/certificates/{code}/certificate.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def get_certificate_pdf(code: str, svc: Svc, _actor: Acting, lang: Lang = "zh") -> Response:
    """An issued certificate as a PDF in Chinese or English (QR code of its public check)."""
    public_url = svc.settings.public_url
    pdf = svc.court.certificate_pdf(code, verify_url=f"{public_url}/certificate" if public_url else None, lang=lang)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="certificate.pdf"'})
