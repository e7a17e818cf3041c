"""The public registry over HTTP (issue 18): reads anyone may make, without a key.

Every endpoint is one call of :class:`sinkledger.services.public_registry.PublicRegistry`
(``service.public``), the same the app's public pages make; a refusal is raised as the
service's :class:`~sinkledger_base.errors.SinkLedgerError` and leaves the API as a problem
document (:mod:`sinkledger.api.problems`). The two OffsetsDB files stream as they are written.
docs/public-registry.md describes each read; docs/api.md has curl examples. Each client address
has a rate limit (:func:`limited`).
"""

from __future__ import annotations

import json
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


@router.get("/checkpoints")
def checkpoints(public: Public, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
    """Recorded Merkle checkpoints, newest first: tree size, root, head hash, time, whether a
    signed checkpoint file is published for each and whether its signature holds; the operator's
    public key. Keep a root: ``sinkledger verify --against`` holds the operator to it later."""
    return public.checkpoints(limit=limit, offset=offset)


@router.get("/checkpoints/latest")
def latest_checkpoint(public: Public) -> Response:
    """The newest published signed checkpoint, as its file holds it (Ed25519, offline-checkable)."""
    return _checkpoint_file(public.checkpoint_document())


@router.get("/checkpoints/{tree_size}")
def checkpoint(tree_size: int, public: Public) -> Response:
    """The signed checkpoint published at this tree size, as its file holds it."""
    return _checkpoint_file(public.checkpoint_document(tree_size))


def _checkpoint_file(doc: dict[str, Any]) -> Response:
    name = f"checkpoint-{doc['tree_size']:012d}.json"
    return Response(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", media_type=JSON,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/consistency")
def consistency(public: Public, old: Annotated[int, Query(description="The older tree size.")],
                new: Annotated[int, Query(description="The newer tree size.")]) -> dict[str, Any]:
    """The RFC 6962 consistency proof between two tree sizes: with two published checkpoints,
    ``sinkledger consistency-check OLD NEW --proof FILE`` checks offline that NEW extends OLD."""
    return public.consistency(old, new)


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