"""Issue 22 over HTTP: the carbon-sink price index (public, no key, under ``/public``), price
index insurance policies and settlements, pricing factors and the reference price (with a key,
under ``/v1``). Every endpoint is one call of ``service.prices`` (docs/prices.md), which checks
every role and record."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from sinkledger.api.deps import Acting, Paged, RequestId, Svc
from sinkledger.api.ledger_routes import Body
from sinkledger.api.public import limited
from sinkledger_base.errors import InvalidInput

public_router = APIRouter(prefix="/public", tags=["price index"], dependencies=[Depends(limited)])
router = APIRouter(prefix="/v1", tags=["price index insurance"])
Sink = Annotated[str, Query(description="bamboo_forest, wetland or tea_garden.", max_length=20)]
County = Annotated[str, Query(description="GB/T 2260 county code, e.g. 330523.", max_length=12)]
Frequency = Annotated[Literal["monthly", "daily"], Query(description="monthly or daily.")]
Day = Annotated[str | None, Query(description="YYYY-MM-DD.", max_length=10)]


@public_router.get("/price-index/markets")
def get_markets(svc: Svc) -> list[dict[str, Any]]:
    """The markets (sink type, county) with trades: their count, first and last trade date."""
    return svc.prices.markets()


@public_router.get("/price-index")
def get_index(svc: Svc, sink_type: Sink, county_code: County, frequency: Frequency = "monthly",
              date_from: Day = None, date_to: Day = None) -> dict[str, Any]:
    """One market's index, every window of the range in order; a window not published gives its
    number of trades and why (thin market), never a price."""
    return svc.prices.index(sink_type=sink_type, county_code=county_code, frequency=frequency, date_from=date_from,
                            date_to=date_to)


@public_router.get("/price-index/trace")
def get_trace(svc: Svc, sink_type: Sink, county_code: County, frequency: Frequency,
              window: Annotated[str, Query(description="2025-03 (monthly) or 2025-03-17 (daily).", max_length=10)],
              ) -> dict[str, Any]:
    """A window's trace: the rule, every input sale by entry seq and hash, the result
    (``sinkledger prices check FILE`` recomputes it from the journal)."""
    return svc.prices.trace(sink_type=sink_type, county_code=county_code, frequency=frequency, window=window)


@public_router.get("/projects/{project_code}/pricing-factors")
def get_project_factors(project_code: str, svc: Svc) -> dict[str, Any]:
    """A project's pricing factors with their evidence (title, file, size, SHA-256) and their product."""
    return svc.prices.project_factors(project_code=project_code)


class PolicyIn(Body):
    policy_no: str
    insured_party_id: str = Field(description="The collective insured (the contract's).")
    contract_no: str = Field(description="Its collection contract: the parcels a payout reaches households by.")
    sink_type: str
    county_code: str
    period_start: str = Field(description="YYYY-MM-DD, not before today.")
    period_end: str = Field(description="YYYY-MM-DD.")
    strike_fen_per_t: int
    insured_t: int
    premium_fen: int
    product: str | None = None


class SettlementIn(Body):
    paid_date: str | None = Field(default=None, description="YYYY-MM-DD; default today.")
    reference: str | None = Field(default=None, description="The transfer's reference (needed with a payout).")


class FactorIn(Body):
    factor: Literal["biodiversity", "ecological_product_value", "co_benefits"]
    value: str = Field(description="A decimal 0.5-3 with at most 4 decimals, e.g. \"1.15\".")
    evidence_title: str
    evidence_file_name: str
    evidence_content_base64: str = Field(description="The evidence document's bytes, base64.")


class FactorsIn(Body):
    factors: list[FactorIn]


@router.post("/index-policies", status_code=201)
def post_policy(body: PolicyIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """The acting insurer issues a price index insurance policy to a collective."""
    return svc.prices.issue_policy(actor, request_id, **body.model_dump())


@router.get("/index-policies")
def get_policies(svc: Svc, actor: Acting, page: Paged) -> dict[str, Any]:
    """Policies newest first with their settlements (an insurer's own, an insured collective's)."""
    return page.of_page(**svc.prices.policies(actor, limit=page.limit, offset=page.offset))


@router.get("/index-policies/{policy_no}")
def get_policy(policy_no: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    return svc.prices.policy(actor, policy_no=policy_no)


@router.get("/index-policies/{policy_no}/settlement-preview")
def get_settlement_preview(policy_no: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """What settling now would record: the index and its trace, the payout, the lines."""
    return svc.prices.preview_settlement(actor, policy_no=policy_no)


@router.post("/index-policies/{policy_no}/settlement", status_code=201)
def post_settlement(policy_no: str, body: SettlementIn, svc: Svc, actor: Acting,
                    request_id: RequestId) -> dict[str, Any]:
    """The insurer settles the policy after its period: payout = max(0, strike − index) × tonnes."""
    return svc.prices.settle_policy(actor, request_id, policy_no=policy_no, **body.model_dump())


@router.get("/index-policies/{policy_no}/check")
def get_settlement_check(policy_no: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """The settlement's index recomputed from the journal, and its payout from the index."""
    return svc.prices.check_settlement(actor, policy_no=policy_no)


@router.post("/projects/{project_code}/pricing-factors", status_code=201)
def post_factors(project_code: str, body: FactorsIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Replace a project's pricing factors, each with its evidence document (recorded by SHA-256)."""
    factors = []
    for item in body.factors:
        try:
            content = base64.b64decode(item.evidence_content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("value_invalid", field="evidence_content_base64",
                               value=item.evidence_content_base64[:40]) from None
        factors.append({"factor": item.factor, "value": item.value, "evidence_title": item.evidence_title,
                        "evidence_file_name": item.evidence_file_name, "evidence_content": content})
    return svc.prices.set_factors(actor, request_id, project_code=project_code, factors=factors)


@router.get("/reference-price")
def get_reference_price(svc: Svc, actor: Acting, seller_account: Annotated[str, Query(max_length=40)],
                        quantity: Annotated[int, Query(ge=1, le=10**12)], sale_date: Day = None) -> dict[str, Any]:
    """Before a sale: the credits it would take, the reference index and, for projects with
    pricing factors, the reference price."""
    return svc.prices.reference_price(actor, seller_account=seller_account, quantity=quantity, sale_date=sale_date)
