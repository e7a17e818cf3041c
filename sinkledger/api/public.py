"""The public registry over HTTP (issue 18): reads anyone may make, without a key.

Every endpoint is one call of :class:`sinkledger.services.public_registry.PublicRegistry`
(``service.public``), the same the app's public pages make; a refusal is raised as the
service's :class:`~sinkledger_base.errors.SinkLedgerError` and leaves the API as a problem
document (:mod:`sinkledger.api.problems`). The two OffsetsDB files stream as they are written.
docs/public-registry.md describes each read; docs/api.md has curl examples. Each client address
has a rate limit (:func:`limited`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from sinkledger.api.deps import client_of
from sinkledger.services.public_registry import MAX_PAGE, PublicRegistry

CSV = "text/csv; charset=utf-8"
JSON = "application/json; charset=utf-8"


async def limited(request: Request) -> None:
    """Count the request against its client address's bucket (:class:`~sinkledger.api.limits.PublicLimit`,
    ``app.state.public_limit``): an empty bucket is ``429 public_rate_limited`` with ``Retry-After``."""
    svc = request.app.state.service
    request.app.state.public_limit.take(client_of(request, svc))


router = APIRouter(prefix="/public", tags=["public registry"], dependencies=[Depends(limited)])


async def public_registry(request: Request) -> PublicRegistry:
    """The process's one service (``app.state.service``), its public registry."""
    return request.app.state.service.public


Public = Annotated[PublicRegistry, Depends(public_registry)]
Limit = Annotated[int, Query(description=f"Items per page (1-{MAX_PAGE}).")]
Offset = Annotated[int, Query(description="Items to skip.")]
Proof = Annotated[bool, Query(description="Include the entry's RFC 6962 inclusion proof.")]


@router.get("/serials/{serial}")
def serial(serial: str, public: Public) -> dict[str, Any]:
    """The credit with this serial number (any serial inside a block): batch, project, vintage,
    block, state (held, pledged, retired, cancelled), holder kind, retirement."""
    return public.serial(serial)


@router.get("/retirements")
def retirements(public: Public, beneficiary: Annotated[str | None, Query(description="Beneficiary (prefix).")] = None,
                purpose: Annotated[str | None, Query(description="Purpose (prefix).")] = None,
                year: Annotated[int | None, Query(description="Year the retirement was recorded.")] = None,
                limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
    """Retirements, newest first, by beneficiary, purpose and year; one page and whether there are more."""
    return public.retirements(beneficiary=beneficiary, purpose=purpose, year=year, limit=limit, offset=offset)


@router.get("/retirements/{retirement_id}")
def retirement(retirement_id: str, public: Public, proof: Proof = False) -> dict[str, Any]:
    """One retirement with its serial blocks and entry hash (and its inclusion proof)."""
    return public.retirement(retirement_id, proof=proof)


@router.get("/retirements/{retirement_id}/certificate.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def retirement_certificate(retirement_id: str, public: Public,
                           lang: Annotated[Literal["zh", "en"], Query(description="The language.")] = "zh") -> Response:
    """The retirement's certificate (PDF, QR code, Merkle proof embedded for ``sinkledger proof-check``)."""
    pdf = public.retirement_certificate_pdf(retirement_id, lang=lang)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="retirement-{retirement_id}-{lang}.pdf"'})


@router.get("/entries/{ref}")
def entry(ref: str, public: Public, proof: Proof = True) -> dict[str, Any]:
    """A journal entry by sequence number or entry hash, with its body and inclusion proof."""
    return public.entry(ref, proof=proof)


@router.get("/projects")
def projects(public: Public, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    """Projects by code: name, sink type, methodology, issued and retired credits, vintages."""
    return public.projects(limit=limit, offset=offset)


@router.get("/projects/{project_code}")
def project(project_code: str, public: Public) -> dict[str, Any]:
    """A project: issuances, vintages, parcels (codes and GeoJSON), methodology, documents."""
    return public.project(project_code)


@router.get("/parcels/{parcel_code}")
def parcel(parcel_code: str, public: Public) -> dict[str, Any]:
    """A parcel by code: sink type, county, status, area, geometry (GeoJSON), project, batches."""
    return public.parcel(parcel_code)


@router.get("/export/offsetsdb/projects.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def offsetsdb_projects(request: Request, public: Public) -> StreamingResponse:
    """The projects in CarbonPlan OffsetsDB's schema (CSV, streamed)."""
    url = str(request.url_for("project", project_code="CODE")).replace("CODE", "{code}")
    return StreamingResponse(public.offsetsdb_projects_csv(project_url=url), media_type=CSV,
                             headers={"Content-Disposition": 'attachment; filename="projects.csv"'})


@router.get("/export/offsetsdb/credits.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def offsetsdb_credits(public: Public) -> StreamingResponse:
    """The credit transactions (issuances, retirements) in OffsetsDB's schema (CSV, streamed)."""
    return StreamingResponse(public.offsetsdb_credits_csv(), media_type=CSV,
                             headers={"Content-Disposition": 'attachment; filename="credits.csv"'})


@router.get("/export/offsetsdb/projects.json", response_class=StreamingResponse,
            responses={200: {"content": {"application/json": {}}}})
def offsetsdb_projects_json(request: Request, public: Public) -> StreamingResponse:
    """The projects in OffsetsDB's schema as a JSON array of objects with its types (streamed);
    imported registries' projects are flagged by their registry (issue 20)."""
    url = str(request.url_for("project", project_code="CODE")).replace("CODE", "{code}")
    return StreamingResponse(public.offsetsdb_projects_json(project_url=url), media_type=JSON,
                             headers={"Content-Disposition": 'attachment; filename="projects.json"'})


@router.get("/export/offsetsdb/credits.json", response_class=StreamingResponse,
            responses={200: {"content": {"application/json": {}}}})
def offsetsdb_credits_json(public: Public) -> StreamingResponse:
    """The credit transactions in OffsetsDB's schema as a JSON array of objects (streamed)."""
    return StreamingResponse(public.offsetsdb_credits_json(), media_type=JSON,
                             headers={"Content-Disposition": 'attachment; filename="credits.json"'})