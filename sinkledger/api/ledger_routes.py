"""The ledger over HTTP: sales (with the receipt PDF), retirements, pledges and their release,
balances, holdings and serial blocks.

Each endpoint is a thin call: the body as declared (types checked by FastAPI, rules by the
services), the key's actor, the ``Idempotency-Key`` as the request id. Reads go through
:mod:`sinkledger.services.ledger_reads`, which scopes them to what the role may see.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sinkledger.api.deps import Acting, Paged, RequestId, Svc
from sinkledger.services import ledger_reads
from sinkledger.ui.receipt import receipt_pdf

router = APIRouter(prefix="/v1")
Lang = Annotated[Literal["zh", "en"], Query(description="The document's language.")]
DateQuery = Annotated[str | None, Query(description="YYYY-MM-DD, inclusive.", max_length=10)]


class Body(BaseModel):
    """A request body: exactly the declared fields, each of its declared JSON type."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SaleIn(Body):
    seller_account: str = Field(max_length=40, examples=["COL-0001-H"])
    buyer_account: str = Field(max_length=40, examples=["ENT-0001-H"])
    quantity: int = Field(description="Whole tCO2e.", examples=[10])
    price_fen_per_t: int = Field(description="Price per tonne in fen (1/100 yuan).", examples=[6800])
    contract_no: str = Field(max_length=80, examples=["HZ-2025-0001"])
    serials: list[str] | None = Field(default=None, description="Serial ranges to take; default oldest vintage first.")
    sale_date: str | None = Field(default=None, max_length=10, examples=["2026-03-18"],
                                  description="The day the sale was made (YYYY-MM-DD, Asia/Shanghai); default: "
                                              "the day it is recorded. Not in the future.")
    contract_date: str | None = Field(default=None, max_length=10, examples=["2026-03-10"],
                                      description="The day the contract was signed (YYYY-MM-DD); not after the sale.")


class RetirementIn(Body):
    account_id: str = Field(max_length=40)
    quantity: int
    beneficiary: str
    purpose: str
    kind: str = "voluntary"
    serials: list[str] | None = None


class PledgeIn(Body):
    account_id: str = Field(max_length=40)
    quantity: int
    loan_reference: str
    loan_amount_fen: int
    term_end: str = Field(description="YYYY-MM-DD.")
    serials: list[str] | None = None


@router.get("/whoami", tags=["keys"])
def whoami(actor: Acting) -> dict[str, Any]:
    """The actor this key acts as: user name, role and party."""
    return {"username": actor.username, "role": actor.role.value, "party_id": actor.party_id}


@router.post("/sales", status_code=201, tags=["sales"])
def post_sale(body: SaleIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Record a sale (交易): credits move seller → buyer at a price under a contract."""
    return svc.sell(actor, request_id, **body.model_dump())


@router.get("/sales", tags=["sales"])
def get_sales(svc: Svc, actor: Acting, page: Paged,
              account_id: Annotated[str | None, Query(max_length=40)] = None, date_from: DateQuery = None,
              date_to: DateQuery = None, contract: Annotated[str | None, Query(max_length=80)] = None) -> dict[str, Any]:
    """Sales, newest first, that this key may read (an enterprise or cooperative: its own)."""
    found = ledger_reads.sales(svc, actor, account_id=account_id, date_from=date_from, date_to=date_to,
                               contract=contract, limit=page.limit, offset=page.offset)
    return page.of_page(found["items"], found["total"])


@router.get("/sales/{seq}", tags=["sales"])
def get_sale(seq: int, svc: Svc, actor: Acting) -> dict[str, Any]:
    """One sale with its entry hash and the serial blocks that moved."""
    return ledger_reads.sale(svc, actor, seq)


@router.get("/sales/{seq}/receipt.pdf", tags=["sales"], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def get_receipt(seq: int, svc: Svc, actor: Acting, lang: Lang = "zh") -> Response:
    """The sale receipt (PDF) in Chinese or English."""
    pdf = receipt_pdf(ledger_reads.sale(svc, actor, seq), lang)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="receipt-{seq}.pdf"'})


@router.post("/retirements", status_code=201, tags=["retirements"])
def post_retirement(body: RetirementIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Retire credits (注销) for a beneficiary and purpose."""
    return svc.retire(actor, request_id, **body.model_dump())


@router.get("/retirements", tags=["retirements"])
def get_retirements(svc: Svc, actor: Acting, page: Paged,
                    account_id: Annotated[str | None, Query(max_length=40)] = None,
                    beneficiary: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
                    year: Annotated[int | None, Query(description="The year recorded.")] = None) -> dict[str, Any]:
    """Retirements, newest first, that this key may read, by beneficiary and year."""
    found = ledger_reads.retirements(svc, actor, account_id=account_id, beneficiary=beneficiary, year=year,
                                     limit=page.limit, offset=page.offset)
    return page.of_page(found["items"], found["total"])


@router.post("/pledges", status_code=201, tags=["pledges"])
def post_pledge(body: PledgeIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """The acting bank pledges credits of a holder's account (质押) as loan collateral."""
    return svc.pledge(actor, request_id, **body.model_dump())


@router.get("/pledges", tags=["pledges"])
def get_pledges(svc: Svc, actor: Acting, page: Paged,
                account_id: Annotated[str | None, Query(max_length=40)] = None) -> dict[str, Any]:
    return page.of_page(**ledger_reads.pledges_page(svc, actor, account_id=account_id, limit=page.limit,
                                                    offset=page.offset))


@router.post("/pledges/{pledge_id}/release", tags=["pledges"])
def post_release(pledge_id: str, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Release a pledge: the credits become available again."""
    return svc.release(actor, request_id, pledge_id=pledge_id)


@router.post("/pledges/{pledge_id}/default", tags=["pledges"])
def post_default(pledge_id: str, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """The loan defaulted: the pledged credits move to the bank."""
    return svc.default_pledge(actor, request_id, pledge_id=pledge_id)


@router.get("/balances", tags=["balances"])
def get_balances(svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    """Balances by account (a role that reads every account), else this key's own account."""
    return page.of_page(**ledger_reads.balances_page(svc, actor, limit=page.limit, offset=page.offset))


@router.get("/accounts/{account_id}/balance", tags=["balances"])
def get_balance(account_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    return ledger_reads.balance(svc, actor, account_id)


@router.get("/accounts/{account_id}/holdings", tags=["balances"])
def get_holdings(account_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """An account's credits by batch (sink type, vintage, project) and state."""
    return ledger_reads.holdings(svc, actor, account_id)


@router.get("/accounts/{account_id}/blocks", tags=["balances"])
def get_blocks(account_id: str, svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    """An account's serial blocks (序列号段)."""
    return page.of_page(**ledger_reads.blocks_page(svc, actor, account_id, limit=page.limit, offset=page.offset))
