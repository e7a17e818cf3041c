"""Collection and bundling over HTTP (issue 18): the collection centre signs a collection
contract (收储合同) over a collective's parcels, bundles collected parcels into a project
(打捆开发), adds parcels to it and records the bundle's estimate; a verifier issues it.

The reads of contracts and projects are in :mod:`sinkledger.api.income_routes`. Each endpoint is
one call of the same service the app and the CLI use, which checks the role (``collect``,
``project_register``, ``project_add_parcels``, ``record_estimate``, ``issue``) and the record;
``Idempotency-Key`` is the command's request id.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from sinkledger.api.deps import Acting, RequestId, Svc
from sinkledger.api.ledger_routes import Body

router = APIRouter(prefix="/v1")


class ContractIn(Body):
    contract_no: str = Field(max_length=80, examples=["AJSC-BF-2025-01"])
    collective_party_id: str = Field(max_length=40, examples=["COL-0001"])
    parcel_codes: list[str] = Field(examples=[["AJ-BF-0001"]])
    term_start: str = Field(description="YYYY-MM-DD.")
    term_end: str = Field(description="YYYY-MM-DD, after term_start.")
    signed_date: str = Field(description="YYYY-MM-DD.")
    payment_terms: dict[str, Any] = Field(
        description="`kind` `fixed_per_mu_year` with `fen_per_mu_per_year`, or `proceeds_share` with `share_bp` "
                    "(the collective's share of the net proceeds, basis points) and optionally the stated costs "
                    "`cost_share_bp`, `cost_fen_per_t` and `costs_note`.",
        examples=[{"kind": "proceeds_share", "share_bp": 8000}])


class ProjectIn(Body):
    project_code: str = Field(examples=["AJBF09"], description="1-12 of A-Z, 0-9: the code in its serials.")
    name: str = Field(examples=["安吉毛竹林打捆项目（演示）"])
    sink_type: str = Field(examples=["bamboo_forest"])
    methodology_id: str = Field(examples=["sinkledger.bamboo-moso-management"])
    monitoring_start: str = Field(description="YYYY-MM-DD: the first monitoring period starts here.")
    interval_months: int = Field(description="Months per monitoring period.", examples=[12])
    parcel_codes: list[str]


class ProjectParcelsIn(Body):
    parcel_codes: list[str]


class ProjectEstimateIn(Body):
    inputs: dict[str, Any] = Field(description="The methodology's inputs (numbers as decimal texts).")
    period_index: int | None = Field(default=None, description="The project's k-th monitoring period (from 0); "
                                                               "default: the period the inputs give.")
    gwp_profile: str = "AR5"


class ProjectIssuanceIn(Body):
    estimate_id: str
    verified_kg_co2e: int = Field(description="The verified quantity, kg CO2e (at most the estimate's).")
    buffer_share_bp: int = Field(description="Buffer share in basis points (1/100 %).", examples=[1000])
    acknowledged_matches: list[str] | None = Field(
        default=None, examples=[["carbonplan:CAR1205"]],
        description="Imported registries' projects this issuance matches and the verifier acknowledges "
                    "(<registry>:<project id>, as the refusal registry_double_counting_suspected lists them; docs/registry-import.md).")


@router.post("/contracts", status_code=201, tags=["income"])
def post_contract(body: ContractIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """The acting collection centre signs a collection contract (收储): the sink rights of the
    collective's parcels go to the centre for the term, on the payment terms."""
    return svc.collect(actor, request_id, **body.model_dump())


@router.post("/projects", status_code=201, tags=["income"])
def post_project(body: ProjectIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Bundle collected parcels of one sink type into a project (打捆开发)."""
    return svc.income.register_project(actor, request_id, **body.model_dump())


@router.post("/projects/{project_code}/parcels", status_code=201, tags=["income"])
def post_project_parcels(project_code: str, body: ProjectParcelsIn, svc: Svc, actor: Acting,
                         request_id: RequestId) -> dict[str, Any]:
    """Add collected parcels to a project."""
    return svc.income.add_project_parcels(actor, request_id, project_code=project_code, **body.model_dump())


@router.post("/projects/{project_code}/estimates", status_code=201, tags=["income"])
def post_project_estimate(project_code: str, body: ProjectEstimateIn, svc: Svc, actor: Acting,
                          request_id: RequestId) -> dict[str, Any]:
    """One estimate of the whole bundle with the project's methodology (with ``period_index``,
    over the project's k-th monitoring period)."""
    return svc.income.estimate_project(actor, request_id, project_code=project_code, **body.model_dump())


@router.post("/projects/{project_code}/issuances", status_code=201, tags=["income"])
def post_project_issuance(project_code: str, body: ProjectIssuanceIn, svc: Svc, actor: Acting,
                          request_id: RequestId) -> dict[str, Any]:
    """A verifier approves the bundle's estimate and credits are issued under the project's code
    (to the collection centre's account)."""
    return svc.income.issue_project(actor, request_id, project_code=project_code, **body.model_dump())
